"""``floorplan`` against the hand-made TPUv1 floor plan, at ``tiles=1`` and ``tiles=4``.

For each tiling, the hand-made plan (:func:`accel.reference_placement`) and one floorplan run
per seed are scored the same way: bus-weighted HPWL of every net
(:func:`placement_env.wirelength.hpwl`), legality, and the chip's f_max
(:func:`placement_env.chip_report.chip_report`).

    python scripts/bench_floorplan_tpu.py --seeds 5 --seconds 30 --out floorplan_tpu.md
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np


def score(tiles: int, seed: int | None, seconds: float) -> dict:
    """The hand-made plan (``seed`` None) or a floorplan run on TPUv1 cut into ``tiles``."""
    import accel
    import agents
    from netlists import Design
    from placement_env.chip_report import chip_report
    from placement_env.legality import check_legality
    from placement_env.wirelength import hpwl

    params = accel.preset("tpu_v1")
    design = accel.build_chip(params, tiles=tiles)
    start = time.perf_counter()
    if seed is None:
        placement = accel.reference_placement(design)
    else:
        placement = (
            agents.make_placer("floorplan")
            .place(design, np.random.default_rng(seed), agents.Budget(seconds=seconds))
            .placement
        )
    report = chip_report(params, Design(design.netlist, placement, design.plc), placement, "")
    return {
        "tiles": tiles,
        "seed": seed,
        "macros": int(report["macros"]),
        "hpwl_m": hpwl(design.netlist, placement) / 1e6,
        "fmax": float(report["fmax_mhz"]),
        "legal": bool(check_legality(design.netlist, placement).is_legal),
        "seconds": time.perf_counter() - start,
    }


def main(argv: list[str] | None = None) -> int:
    from agents.executors import run_jobs

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tiles", nargs="+", type=int, default=[1, 4])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=30.0, help="per run")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", default=None, help="write the Markdown here too")
    args = parser.parse_args(argv)
    seeds: list[int | None] = [None, *range(args.seeds)]
    jobs = [(t, s, args.seconds) for t in args.tiles for s in seeds]
    outcomes = run_jobs(score, jobs, "process", workers=args.workers)
    failed = [o for o in outcomes if not o.ok]
    rows = [o.value for o in outcomes if o.ok]
    lines = [
        f"Machine: {platform.node()} ({platform.machine()}, {os.cpu_count()} cpus), "
        f"{time.strftime('%Y-%m-%d')}; {args.seeds} seeds, {args.seconds:g} s per run, "
        f"{args.workers} runs at a time.",
        "",
        "| tiles | macros | hand-made HPWL (m) | hand-made f_max (MHz) | floorplan HPWL (m), "
        "mean ± std | per seed | legal | floorplan f_max (MHz) | seeds under the hand-made "
        "HPWL | seeds above its f_max |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for tiles in args.tiles:
        hand = [r for r in rows if r["tiles"] == tiles and r["seed"] is None]
        runs = [r for r in rows if r["tiles"] == tiles and r["seed"] is not None]
        if not hand or not runs:
            continue
        ref = hand[0]
        values = [r["hpwl_m"] for r in runs]
        std = statistics.stdev(values) if len(values) > 1 else 0.0
        fmax = sorted({round(r["fmax"], 2) for r in runs})
        lines.append(
            f"| {tiles} | {ref['macros']} | {ref['hpwl_m']:.3f} | {ref['fmax']:.2f} | "
            f"{statistics.fmean(values):.3f} ± {std:.3f} | "
            f"{', '.join(f'{v:.2f}' for v in values)} | {sum(r['legal'] for r in runs)}/"
            f"{len(runs)} | {', '.join(f'{f:.2f}' for f in fmax)} | "
            f"{sum(v < ref['hpwl_m'] for v in values)}/{len(runs)} | "
            f"{sum(r['fmax'] > ref['fmax'] + 1e-9 for r in runs)}/{len(runs)} |"
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
