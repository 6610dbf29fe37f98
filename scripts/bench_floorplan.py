"""``floorplan`` on the GSRC protocol: n100 / n200 / n300 in a fixed square outline, 10% whitespace.

The protocol of the fixed-outline literature (the ASP-DAC'08 comparison quoted in issue 17): a
square outline whose area is 1.1 x the blocks' total area, blocks may rotate, the pads stay on
the outline, and the cost is the centre-to-centre HPWL of every net. The bundled GSRC files put
the pads on the boundary of an 800 x 800 square. Here the pads are scaled onto the outline (the
usual convention). The published figures may differ from it in how the pads were scaled.

    python scripts/bench_floorplan.py --seeds 5 --seconds 60 --out floorplan_gsrc.md
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np

#: Published HPWL (Parquet, IMF, a convex-optimisation method), as quoted in issue 17.
PUBLISHED = {
    "n100": (242_050, 207_852, 203_700),
    "n200": (432_882, 369_888, 367_880),
    "n300": (647_452, 489_868, 492_830),
}


def outline_design(name: str, whitespace: float = 0.10):
    """The bundled GSRC design in a square outline of (1 + whitespace) x the block area, its
    pads scaled from their bounding box onto the outline's."""
    import netlists
    from netlists import Canvas, Design, NodeKind

    design = netlists.load(name)
    nl = design.netlist
    hard = nl.node_kinds == int(NodeKind.HARD_MACRO)
    side = math.sqrt((1.0 + whitespace) * float(nl.node_sizes[hard].prod(axis=1).sum()))
    ports = np.flatnonzero(nl.node_kinds == int(NodeKind.PORT))
    old = nl.canvas
    scaled = (design.placement.positions[ports] - [old.x_min, old.y_min]) * [
        side / old.width,
        side / old.height,
    ]
    netlist = dataclasses.replace(nl, canvas=Canvas(side, side))
    placement = design.placement.with_positions(ports, scaled, design.placement.orientations[ports])
    return Design(netlist, placement, design.plc), side


def run(name: str, seed: int, seconds: float) -> dict:
    """One floorplan run on the outline design; its HPWL, fit and time."""
    import agents
    from placement_env.legality import check_legality
    from placement_env.wirelength import hpwl

    design, side = outline_design(name)
    start = time.perf_counter()
    result = agents.make_placer("floorplan", rotate=True).place(
        design, np.random.default_rng(seed), agents.Budget(seconds=seconds)
    )
    return {
        "design": name,
        "seed": seed,
        "side": side,
        "hpwl": hpwl(design.netlist, result.placement),
        "legal": bool(check_legality(design.netlist, result.placement).is_legal),
        "packed": any(note.startswith("result=packing") for note in result.stats.notes),
        "evaluations": result.stats.evaluations,
        "seconds": time.perf_counter() - start,
    }


def main(argv: list[str] | None = None) -> int:
    from agents.executors import run_jobs

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--designs", nargs="+", default=list(PUBLISHED))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=60.0, help="per run")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", default=None, help="write the Markdown here too")
    args = parser.parse_args(argv)
    jobs = [(d, s, args.seconds) for d in args.designs for s in range(args.seeds)]
    outcomes = run_jobs(run, jobs, "process", workers=args.workers)
    failed = [o for o in outcomes if not o.ok]
    rows = [o.value for o in outcomes if o.ok]
    lines = [
        f"Machine: {platform.node()} ({platform.machine()}, {os.cpu_count()} cpus), "
        f"{time.strftime('%Y-%m-%d')}; {args.seeds} seeds, {args.seconds:g} s per run, "
        f"{args.workers} runs at a time.",
        "",
        "| design | outline side | HPWL mean ± std | best | packed inside | moves | Parquet | "
        "IMF | convex | against Parquet | against the best published |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name in args.designs:
        mine = [r for r in rows if r["design"] == name]
        if not mine:
            continue
        values = [r["hpwl"] for r in mine]
        mean = statistics.fmean(values)
        std = statistics.stdev(values) if len(values) > 1 else 0.0
        parquet, imf, convex = PUBLISHED.get(name, (math.nan,) * 3)
        best_published = min(parquet, imf, convex)
        packed = sum(r["packed"] and r["legal"] for r in mine)
        moves = statistics.fmean(r["evaluations"] for r in mine)
        lines.append(
            f"| {name} | {mine[0]['side']:.1f} | {mean:,.0f} ± {std:,.0f} | {min(values):,.0f} | "
            f"{packed}/{len(mine)} | {moves:,.0f} | {parquet:,} | {imf:,} | {convex:,} | "
            f"{mean / parquet - 1:+.1%} | {mean / best_published - 1:+.1%} |"
        )
    for outcome in failed:
        lines.append(f"\nfailed: {outcome.args[:2]}: {outcome.error}")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        Path(args.out).write_text(text)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
