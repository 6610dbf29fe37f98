"""Scores a placement of any bundled or user design with every metric the project has.

Usage:
    python scripts/evaluate_placement.py --netlist ariane133_ng45 --json
    python scripts/evaluate_placement.py --netlist ariane133_ng45 \
        --placement netlists/data/ct_modern/ariane133_ng45/legalized.plc
    python scripts/evaluate_placement.py --netlist ibm01 --placement out/ibm01.pl --json

Without ``--placement`` the placement the design's files carry is scored. The Circuit Training
parts (``wirelength``, ``density``, ``congestion``, ``proxy``) need a ``.plc`` header (grid and
routing settings) and are ``null`` for designs without one; ``rudy_top5`` and ``density_top10`` are
computed for every design on ``--grid`` bins (the ``.plc`` grid when there is one).

JSON keys (lengths in microns, areas in square microns):
    design, placement, placed_nodes, unplaced_nodes;
    hpwl (net-weighted HPWL), macro_hpwl (protocol MH), steiner (Steiner estimate);
    wirelength, density, congestion, proxy (Circuit Training, weights 1 / 0.5 / 0.5);
    rudy_top5 (mean of the top 5% RUDY bins, 1/micron), density_top10 (mean of the top 10% bin
    densities over all blocks);
    legal (every hard macro placed, none overlapping, all inside the die), overlapping_pairs,
    overlap_area, out_of_die, out_of_die_area; die_area, block_area, utilisation, bbox_area,
    whitespace;
    for designs with timing arcs (``--wire-model``, default NanGate45 metal3): worst_slack_ns,
    wns_ns, tns_ns, min_period_ns, fmax_mhz, critical_path (block names);
    with ``--route`` (a negotiated grid global router on the ``.plc`` grid, else ``--grid``
    gcells, macro-level nets: :func:`placement_env.routing.routed_metrics`): routed_overflow,
    routed_max_overflow, routed_overflowed_edges (tracks / edges), routed_wl_um, routed_vias,
    route_seconds;
    seconds (time to score).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import netlists
from netlists import NodeKind
from netlists.stats import format_report
from netlists.wires import NANGATE45, WIRE_MODELS, WireModel
from placement_env.designs import load_design
from placement_env.grid import Grid
from placement_env.legality import (
    IncompletePlacementError,
    area_report,
    check_legality,
    require_complete,
)
from placement_env.maps import density_map, rudy_map, top_fraction_mean
from placement_env.proxy_cost import proxy_cost
from placement_env.timing import analyse_timing
from placement_env.wirelength import hpwl, macro_hpwl, steiner_wirelength


def wire_model(name: str) -> WireModel:
    """A wire model by name: one of :data:`WIRE_MODELS` or an ``accel`` technology (``28nm``...).

    Raises:
        ValueError: An unknown name (the message lists the known ones).
    """
    import accel

    if name in WIRE_MODELS:
        return WIRE_MODELS[name]
    if name in accel.TECHNOLOGIES:
        return accel.technology(name).wire_model()
    known = ", ".join([*WIRE_MODELS, *accel.TECHNOLOGIES])
    raise ValueError(f"unknown wire model {name!r}; known: {known}")


def evaluate(
    design: netlists.Design,
    placement: netlists.Placement,
    bins: int,
    wire: WireModel = NANGATE45,
    route: bool = False,
) -> dict:
    """Every metric of ``placement`` as a flat dictionary (see the module docstring)."""
    start = time.perf_counter()
    netlist = design.netlist
    if design.plc is not None:
        grid = Grid.from_settings(netlist, design.plc)
    else:
        grid = Grid.over(netlist.canvas, bins, bins)
    result: dict[str, object] = {
        "design": netlist.name,
        "placed_nodes": int(placement.placed.sum()),
        "unplaced_nodes": int((~placement.placed).sum()),
        "hpwl": hpwl(netlist, placement),
        "macro_hpwl": macro_hpwl(netlist, placement),
        "steiner": steiner_wirelength(netlist, placement),
    }
    if design.plc is not None:
        cost = proxy_cost(netlist, placement, design.plc)
        result.update(
            wirelength=cost.wirelength,
            density=cost.density,
            congestion=cost.congestion,
            proxy=cost.proxy,
        )
    else:
        result.update(wirelength=None, density=None, congestion=None, proxy=None)
    result["rudy_top5"] = top_fraction_mean(rudy_map(netlist, placement, grid), 0.05)
    result["density_top10"] = top_fraction_mean(density_map(netlist, placement, grid), 0.10)
    legality = check_legality(netlist, placement)  # an unplaced hard macro is never legal
    result.update(
        legal=legality.is_legal,
        overlapping_pairs=legality.n_overlapping_pairs,
        overlap_area=legality.overlap_area,
        out_of_die=legality.n_out_of_die,
        out_of_die_area=legality.out_of_die_area,
    )
    area = area_report(netlist, placement, kinds=(NodeKind.HARD_MACRO,))
    result.update(
        die_area=area.die_area,
        block_area=area.block_area,
        utilisation=area.utilisation,
        bbox_area=area.bbox_area,
        whitespace=area.whitespace,
    )
    if netlist.timing is not None:
        timing = analyse_timing(netlist, placement, wire)
        result.update(
            worst_slack_ns=timing.worst_slack_ns,
            wns_ns=timing.wns_ns,
            tns_ns=timing.tns_ns,
            min_period_ns=timing.min_period_ns,
            fmax_mhz=timing.fmax_mhz,
            critical_path=list(timing.critical_path),
        )
    if route:
        from placement_env.routing import routed_metrics

        result.update(routed_metrics(design, placement, grid=bins))
    result["seconds"] = time.perf_counter() - start
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--netlist", required=True, help="bundled design name or design file")
    parser.add_argument("--placement", help="placement file (.plc, .pl, .json) to score")
    parser.add_argument("--grid", type=int, default=64, help="bins per side without a .plc grid")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument(
        "--wire-model",
        default=NANGATE45.name,
        help="wire delay model for timing: a placement_env.timing preset or an accel "
        "technology (28nm, 16nm, 7nm; use the chip's own for accel designs)",
    )
    parser.add_argument(
        "--route", action="store_true", help="also route the macro-level nets (routed_* keys)"
    )
    parser.add_argument(
        "--partial",
        action="store_true",
        help="score a placement that leaves movable hard macros unplaced (it is never legal)",
    )
    args = parser.parse_args(argv)
    try:
        design = load_design(args.netlist)
        placement = design.placement
        if args.placement:
            placement = netlists.read_placement(args.placement, design.netlist)
            if not args.partial:
                try:
                    require_complete(design.netlist, placement, args.placement)
                except IncompletePlacementError as error:
                    raise ValueError(f"{error}; pass --partial to score it anyway") from None
        result = evaluate(
            design, placement, args.grid, wire_model(args.wire_model), route=args.route
        )
    except (netlists.NetlistError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    result["placement"] = str(Path(args.placement)) if args.placement else "as shipped"
    print(format_report(result, as_json=args.json))
    return 0


if __name__ == "__main__":
    sys.exit(main())
