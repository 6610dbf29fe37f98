"""MaskablePPO on GlobalRouting-v0 against sequential A* (and the negotiated router, if present).

Trains sb3-contrib's MaskablePPO on Liao-style 8 x 8 two-layer synthetic problems with scarce
capacity (a new problem per reset) for a fixed wall-clock budget, then routes held-out seeded
problems with the trained policy (deterministic, masked), a masked uniformly random policy,
sequential A* (:func:`placement_env.routing.astar.route_sequential`) and, when
``placement_env.routing.router`` exists, its negotiated-congestion ``route``. Every method is
scored by :func:`placement_env.routing.metrics.evaluate_routes` where it returns gcell paths.

    python scripts/bench_routing_rl.py --train-seconds 420 --problems 100
"""

from __future__ import annotations

import argparse
import logging
import platform
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from agents.routing_agent import RoutingTraining, policy_chooser, run_policy, train_routing_agent
from netlists.json_text import finite_json
from placement_env.routing.astar import route_sequential
from placement_env.routing.env import GlobalRoutingEnv
from placement_env.routing.metrics import evaluate_routes
from placement_env.routing.synthetic import SyntheticConfig, generate

log = logging.getLogger("bench_routing_rl")


@dataclass(frozen=True)
class Args:
    """Benchmark settings (times in seconds)."""

    grid: int = 8
    nets: int = 20
    max_pins: int = 5
    capacity: int = 4
    reduced_edges: int = 3
    reduced_capacity: int = 1
    train_seconds: float = 420.0
    n_envs: int = 4
    seed: int = 0
    problems: int = 100
    eval_seed: int = 1_000_000  # held-out problems: generate(config, eval_seed + i)
    reward_scale: float = 0.1
    out: str = "runs/bench_routing_rl.json"


def parse_args(argv: list[str] | None) -> Args:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name, value in asdict(Args()).items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=type(value), default=value)
    return Args(**vars(parser.parse_args(argv)))


def try_router():
    try:
        from placement_env.routing.router import route  # written by another issue
    except ImportError:
        return None
    return route


def router_metrics(route, problem) -> dict:
    """Scores the negotiated router's result; gcell paths are re-scored when it exposes them."""
    result = route(problem)
    try:
        routes = [result.net_paths(i) for i in range(len(problem.nets))]
        return evaluate_routes(problem, routes).summary()
    except (AttributeError, TypeError, ValueError):
        return {
            key: getattr(result, key)
            for key in ("total_overflow", "wirelength", "vias")
            if hasattr(result, key)
        } | {"solved": getattr(result, "total_overflow", 1) == 0, "rescored": False}


def summarise(rows: list[dict], seconds: float) -> dict:
    out = {"problems": len(rows), "seconds_per_problem": seconds / max(len(rows), 1)}
    for key in ("total_overflow", "wirelength", "vias", "solved", "fallbacks"):
        values = [float(r[key]) for r in rows if key in r]
        if values:
            out[key] = (float(np.mean(values)), float(np.std(values)))
    return out


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    args = parse_args(argv)
    config = SyntheticConfig(
        grid=args.grid,
        num_nets=args.nets,
        max_pins=args.max_pins,
        capacity=args.capacity,
        reduced_edges=args.reduced_edges,
        reduced_capacity=args.reduced_capacity,
    )
    wall = time.perf_counter()
    log.info("training MaskablePPO for %.0f s on %s", args.train_seconds, config)
    torch.set_num_threads(1)
    model, train_s, timesteps = train_routing_agent(
        RoutingTraining(
            config=config,
            timesteps=10**9,
            seconds=args.train_seconds,
            n_envs=args.n_envs,
            seed=args.seed,
            reward_scale=args.reward_scale,
        )
    )
    log.info("trained %d timesteps in %.0f s", timesteps, train_s)

    problems = [generate(config, args.eval_seed + i) for i in range(args.problems)]
    env = GlobalRoutingEnv(generator=config, reward_scale=args.reward_scale)
    env.reset(seed=args.seed)
    rng = np.random.default_rng(args.seed)
    methods = {
        "MaskablePPO (deterministic)": lambda p: run_policy(env, p, policy_chooser(model)),
        "masked random": lambda p: run_policy(
            env, p, lambda o, m: int(rng.choice(np.flatnonzero(m)))
        ),
        "sequential A*": lambda p: route_sequential(p).metrics.summary(),
    }
    route = try_router()
    if route is not None:
        methods["negotiated router"] = lambda p: router_metrics(route, p)
    results = {}
    for name, method in methods.items():
        start = time.perf_counter()
        rows = [method(p) for p in problems]
        results[name] = summarise(rows, time.perf_counter() - start)
        log.info("%s: %s", name, results[name])

    lines = [
        "| method | total overflow | wirelength | vias | solved | fallbacks | s / problem |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, r in results.items():

        def pm(key: str, fmt: str = ".2f", r=r) -> str:
            return f"{r[key][0]:{fmt}} ± {r[key][1]:{fmt}}" if key in r else "—"

        solved = f"{r['solved'][0]:.2f}" if "solved" in r else "—"
        lines.append(
            f"| {name} | {pm('total_overflow')} | {pm('wirelength', '.1f')} | "
            f"{pm('vias', '.1f')} | {solved} | {pm('fallbacks')} | "
            f"{r['seconds_per_problem']:.3f} |"
        )
    table = "\n".join(lines)
    total = time.perf_counter() - wall
    print(table)
    print(
        f"\n{args.problems} held-out problems ({config}); PPO trained {timesteps} steps in "
        f"{train_s:.0f} s; total wall time {total:.0f} s on {platform.processor() or 'cpu'} "
        f"({platform.machine()}), 1 torch thread"
    )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        finite_json(
            {
                "args": asdict(args),
                "train_seconds": train_s,
                "timesteps": timesteps,
                "wall_seconds": total,
                "results": results,
                "table": table,
                "command": " ".join([Path(sys.argv[0]).name, *(argv or sys.argv[1:])]),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
