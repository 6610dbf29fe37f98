"""Steps per second of MacroPlacement-v0 under masked random actions.

Times whole episodes: ``action_masks()``, a uniformly random legal cell, and ``step()`` (which
places the macro, builds the next macro's position mask and wire mask and the observation).
Reports the median over episodes.

    python scripts/bench_env.py --netlist ibm01 --grid 128 --episodes 5 [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import shlex
import sys
import time

import numpy as np


def run_episode(env, rng: np.random.Generator) -> tuple[int, float]:
    """(steps, seconds) of one masked random episode, reset excluded."""
    env.reset(seed=int(rng.integers(2**31)))
    steps, done = 0, False
    start = time.perf_counter()
    while not done:
        legal = np.flatnonzero(env.action_masks())
        _, _, terminated, truncated, _ = env.step(int(legal[rng.integers(len(legal))]))
        steps += 1
        done = terminated or truncated
    return steps, time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--netlist", default="ibm01")
    parser.add_argument("--grid", type=int, default=128)
    parser.add_argument("--reward", default="hpwl")
    parser.add_argument("--episodes", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--profile", action="store_true", help="print the top cProfile entries")
    args = parser.parse_args(argv)

    from placement_env.env import MacroPlacementEnv

    start = time.perf_counter()
    env = MacroPlacementEnv(netlist=args.netlist, grid=args.grid, reward=args.reward)
    build = time.perf_counter() - start
    rng = np.random.default_rng(args.seed)
    run_episode(env, rng)  # warm-up
    profiler = cProfile.Profile() if args.profile else None
    if profiler:
        profiler.enable()
    rates, lengths = [], []
    for _ in range(args.episodes):
        steps, seconds = run_episode(env, rng)
        rates.append(steps / seconds)
        lengths.append(steps)
    if profiler:
        profiler.disable()
    command = "python " + " ".join(shlex.quote(a) for a in [sys.argv[0], *(argv or sys.argv[1:])])
    print(f"command: {command}")
    print(
        f"{args.netlist}: {len(env.macros)} macros, grid {args.grid}x{args.grid}, "
        f"reward {args.reward}; env built in {build:.2f} s"
    )
    print(f"episode lengths: {lengths}")
    print(f"steps/s (median over {args.episodes} episodes): {float(np.median(rates)):.0f}")
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main()
