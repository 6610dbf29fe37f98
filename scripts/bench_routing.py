"""Times the grid global router: macro-level nets of ibm01 and of the TPUv1-like chip, and a
synthetic problem of 10,000 two-pin connections: negotiated versus pattern-only versus the
sequential A* baseline.

    python scripts/bench_routing.py            # median of 3 runs each, after a JIT warm-up
    python scripts/bench_routing.py --runs 5 --json

Placements: ibm01 by the greedy wire-mask placer (seed 0; its shipped ``.pl`` stacks every block
in the middle of the die) on the default 64 x 64 routing grid; the TPUv1 chip on its reference
floor plan and ``.plc`` grid. The synthetic problem is a 128 x 128 grid with uniform edge
capacity (``--capacity`` tracks, 9 by default: routable; 8 is tight) and 10,000 two-pin nets whose
second pin lies within 20 gcells of the first in each direction (seeded).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time

import numpy as np

from netlists.json_text import finite_json
from placement_env.routing import RoutingProblem, problem_from_placement, route, route_sequential


def synthetic(capacity: int, n: int = 128, nets: int = 10_000, span: int = 20, seed: int = 1):
    """A ``n x n`` problem of ``nets`` two-pin nets of spans up to ``span`` gcells."""
    rng = np.random.default_rng(seed)
    pairs = []
    while len(pairs) < nets:
        a = rng.integers(0, n, 2)
        b = a + rng.integers(-span, span + 1, 2)
        if (b < 0).any() or (b >= n).any() or (a == b).all():
            continue
        pairs.append((f"n{len(pairs)}", np.array([a, b])))
    h = np.full((n - 1, n), capacity)
    v = np.full((n, n - 1), capacity)
    return RoutingProblem.two_layer(h, v, pairs, name=f"synthetic{n}_c{capacity}")


def ibm01_problem() -> RoutingProblem:
    import agents
    import netlists
    from agents.base import Budget

    design = netlists.load("ibm01")
    placed = agents.make_placer("greedy").place(design, np.random.default_rng(0), Budget())
    return problem_from_placement(design, placed.placement)


def tpu_problem() -> RoutingProblem:
    import accel
    from accel.floorplan import reference_placement

    design = accel.build_chip(accel.TPU_V1)
    return problem_from_placement(design, reference_placement(design))


def bench(problem: RoutingProblem, mode: str, runs: int) -> dict:
    """One row: ``mode`` is the router's ``pattern`` or ``negotiated``, or ``astar`` (the
    sequential A* baseline, which routes each connection once and never reroutes)."""
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        if mode == "astar":
            result = route_sequential(problem)
        else:
            result = route(problem, mode=mode, max_rounds=100, time_limit_s=120)
        times.append(time.perf_counter() - start)
    sequential = mode == "astar"
    metrics = result.metrics if sequential else result
    return {
        "problem": problem.name,
        "grid": f"{problem.nx}x{problem.ny}",
        "mode": mode,
        "nets": len(problem.nets),
        "connections": result.connections if sequential else len(result.connections),
        "median_s": statistics.median(times),
        "pattern_overflow": "-" if sequential else result.pattern_overflow,
        "total_overflow": metrics.total_overflow,
        "max_overflow": metrics.max_overflow,
        "wirelength": metrics.wirelength,
        # Each net's edges count once: a net's tree spans at least its pins' bounding box.
        "lower_bound_wl": sum(
            int(np.ptp(c[:, 0]) + np.ptp(c[:, 1]))
            for c in (problem.net_gcells(i) for i in range(len(problem.nets)))
        ),
        "vias": metrics.vias,
        "rounds": "-" if sequential else result.rounds,
        "converged": "-" if sequential else result.converged,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per case (median reported)")
    parser.add_argument("--capacity", type=int, default=9, help="synthetic edge capacity")
    parser.add_argument("--json", action="store_true", help="print JSON rows")
    args = parser.parse_args(argv)
    route(synthetic(4, n=16, nets=50), max_rounds=2)  # JIT warm-up (cached after the first run)
    start = time.perf_counter()
    problems = [ibm01_problem(), tpu_problem()]
    build_s = time.perf_counter() - start
    problems += [synthetic(args.capacity), synthetic(args.capacity - 1)]
    modes = ("astar", "pattern", "negotiated")
    rows = [bench(p, mode, args.runs) for p in problems for mode in modes]
    if args.json:
        print(finite_json(rows, indent=1))
    else:
        print(
            f"machine: {platform.node()} ({platform.machine()}); "
            f"placing + building: {build_s:.1f} s"
        )
        keys = list(rows[0])
        print("| " + " | ".join(keys) + " |")
        print("|" + "---|" * len(keys))
        for row in rows:
            cells = [f"{v:.3f}" if isinstance(v, float) else str(v) for v in row.values()]
            print("| " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
