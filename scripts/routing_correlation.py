"""Does the Circuit Training proxy predict routing? Kendall tau between proxy congestion and routed
overflow, and between HPWL and routed wirelength, over a set of placements of one design.

    python scripts/routing_correlation.py                          # ariane133_ng45, quick
    python scripts/routing_correlation.py --design ibm01 --seeds 4 --json

Placements: ``random``, ``greedy`` and ``annealing`` (``agents.make_placer``, ``--evaluations``
each) for seeds ``0 .. --seeds - 1``, plus the design's shipped reference placements (and its own
placement when every movable macro is placed). Each is scored with HPWL, the CT proxy
congestion (designs with a ``.plc``; else the mean of the top 5% RUDY bins) and routed by
:func:`placement_env.routing.route_placement` (macro-level nets, the ``.plc`` grid or
``--grid``). Besides overflow (often zero for every placement of a roomy design) it reports
tau against the routed top-5% edge utilisation, the routed analogue of the proxy congestion.
Routing is capped at ``--time-limit`` seconds of negotiation per placement.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
from scipy.stats import kendalltau

import netlists
from netlists.json_text import finite_json
from placement_env.designs import load_design
from placement_env.grid import Grid
from placement_env.maps import rudy_map, top_fraction_mean
from placement_env.proxy_cost import congestion_cost
from placement_env.routing import route_placement
from placement_env.routing.evaluation import top_utilisation
from placement_env.wirelength import hpwl


def placements(design: netlists.Design, placers: list[str], seeds: int, evaluations: int):
    """``(label, placement)`` pairs: placer runs, then shipped references."""
    import agents
    from agents.base import Budget

    out = []
    for name in placers:
        for seed in range(seeds):
            placer = agents.make_placer(name)
            result = placer.place(design, np.random.default_rng(seed), Budget(evaluations))
            out.append((f"{name}/{seed}", result.placement))
    for label, path in design.reference_placements.items():
        out.append((f"reference/{label}", netlists.read_placement(path, design.netlist)))
    return out


def score(design: netlists.Design, placement: netlists.Placement, grid: int, limit: float):
    netlist = design.netlist
    if design.plc is not None:
        congestion = congestion_cost(netlist, placement, design.plc)
    else:
        bins = Grid.over(netlist.canvas, grid, grid)
        congestion = top_fraction_mean(rudy_map(netlist, placement, bins), 0.05)
    routed = route_placement(design, placement, grid=grid, time_limit_s=limit)
    r = routed.result
    return {
        "hpwl": hpwl(netlist, placement),
        "proxy_congestion": congestion,
        "routed_overflow": r.total_overflow,
        "routed_max_overflow": r.max_overflow,
        "routed_util_top5": top_utilisation(r),
        "routed_wl_um": r.wirelength_um,
        "route_seconds": r.runtime_s,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--design", default="ariane133_ng45")
    parser.add_argument("--placers", nargs="+", default=["random", "greedy", "annealing"])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--evaluations", type=int, default=200, help="placer budget")
    parser.add_argument("--grid", type=int, default=64, help="routing grid without a .plc")
    parser.add_argument("--time-limit", type=float, default=10.0, help="negotiation s per run")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    design = load_design(args.design)  # a bundled name, a path, an accel preset or an env id
    rows = []
    for label, placement in placements(design, args.placers, args.seeds, args.evaluations):
        rows.append({"placement": label, **score(design, placement, args.grid, args.time_limit)})
    col = {key: [row[key] for row in rows] for key in rows[0] if key != "placement"}
    tau_cong = kendalltau(col["proxy_congestion"], col["routed_overflow"])
    tau_util = kendalltau(col["proxy_congestion"], col["routed_util_top5"])
    tau_wl = kendalltau(col["hpwl"], col["routed_wl_um"])
    summary = {
        "design": args.design,
        "placements": len(rows),
        "tau_congestion_vs_overflow": float(tau_cong.statistic),
        "p_congestion_vs_overflow": float(tau_cong.pvalue),
        "tau_congestion_vs_util_top5": float(tau_util.statistic),
        "p_congestion_vs_util_top5": float(tau_util.pvalue),
        "tau_hpwl_vs_routed_wl": float(tau_wl.statistic),
        "p_hpwl_vs_routed_wl": float(tau_wl.pvalue),
        "seconds": time.perf_counter() - start,
    }
    if args.json:
        print(finite_json({"summary": summary, "rows": rows}, indent=1))
        return 0
    print(
        "| placement | hpwl | proxy congestion | routed overflow | routed util top 5% "
        "| routed WL (um) | route s |"
    )
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['placement']} | {row['hpwl']:.4g} | {row['proxy_congestion']:.4g} | "
            f"{row['routed_overflow']:.0f} | {row['routed_util_top5']:.3f} | "
            f"{row['routed_wl_um']:.4g} | "
            f"{row['route_seconds']:.2f} |"
        )
    for key, value in summary.items():
        print(f"{key}: {value:.4g}" if isinstance(value, float) else f"{key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
