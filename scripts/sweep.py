"""Sweep placer or PPO settings x designs x seeds on Ray Tune; write the table and the best.

Grid axes take a JSON list, random axes LOW:HIGH (``--samples`` draws per grid point). Every
(configuration, design, seed) is one Tune trial on one CPU: of a local Ray, or of the cluster
at ``--address``. PPO trials are stopped early by ASHA (``--grace-evaluations``). Writes
``trials.csv`` (one row per trial), ``sweep.md`` (mean ± std per configuration and design, with
a scale-free score; also printed), ``best.json`` and Tune's own files under ``tune/``. Exits 1
when a trial failed (each is printed; its row has the error).

    python scripts/sweep.py placer --placer annealing --designs ibm01 n30 --seeds 3 \\
        --budget-seconds 20 --grid 'start_acceptance=[0.05,0.2,0.5]' \\
        'move_weights=[[0.5,0.2,0.2,0.1],[0.7,0.1,0.1,0.1]]' --out sweep_out
    python scripts/sweep.py ppo --designs n10 --seeds 2 --grid 'learning_rate=[1e-4,3e-4,1e-3]' \\
        --loguniform ent_coef=0.001:0.05 --samples 2 --set grid=16 timesteps=20000 \\
        eval_every=2000 --out sweep_ppo
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from agents.cli import key_values
from agents.executors import ExecutorError
from agents.sweeps import KINDS, Sweep, SweepError, parse_axis, run_sweep, write_outputs


def parse_args(argv: list[str] | None) -> tuple[argparse.Namespace, Sweep]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("kind", choices=KINDS, help="sweep a placer's options or PPO's")
    parser.add_argument("--designs", nargs="+", required=True, help="design names or paths")
    parser.add_argument("--seeds", type=int, default=1, help="seeds 0..N-1 per configuration")
    parser.add_argument("--placer", default="", help="the placer whose options are searched")
    parser.add_argument("--budget-evaluations", type=int, default=None, help="per placer run")
    parser.add_argument("--budget-seconds", type=float, default=None, help="per placer run")
    parser.add_argument("--grid", nargs="+", default=[], help="KEY=[v1,v2,...] (JSON list)")
    parser.add_argument("--uniform", nargs="+", default=[], help="KEY=LOW:HIGH")
    parser.add_argument("--loguniform", nargs="+", default=[], help="KEY=LOW:HIGH (LOW > 0)")
    parser.add_argument("--samples", type=int, default=1, help="random draws per grid point")
    parser.add_argument(
        "--set",
        nargs="+",
        default=[],
        help="KEY=VALUE options every trial gets (placer options, or train_agent.py options "
        "with _ for -)",
    )
    parser.add_argument(
        "--grace-evaluations",
        type=int,
        default=2,
        help="PPO: evaluations each run gets before ASHA may stop it",
    )
    parser.add_argument("--out", default="sweep_out", help="output folder")
    parser.add_argument(
        "--address", default=None, help="Ray cluster to join (default: Ray on this machine)"
    )
    parser.add_argument("--cpus", type=int, default=os.cpu_count() or 1, help="CPUs of a local Ray")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    try:
        axes = [parse_axis(item, kind) for kind in ("grid", "uniform", "loguniform")
                for item in getattr(args, kind)]  # fmt: skip
        fixed = key_values(tuple(args.set), SweepError, "--set")
        fixed = {key.replace("-", "_"): value for key, value in fixed.items()}
        sweep = Sweep(
            kind=args.kind,
            axes=tuple(axes),
            designs=tuple(args.designs),
            seeds=args.seeds,
            placer=args.placer,
            budget_evaluations=args.budget_evaluations,
            budget_seconds=args.budget_seconds,
            fixed=fixed,
            samples=args.samples,
            grace_evaluations=args.grace_evaluations,
        )
    except SweepError as error:
        parser.error(str(error))
    return args, sweep


def main(argv: list[str] | None = None) -> int:
    args, sweep = parse_args(argv)
    from netlists import NetlistError
    from placement_env.designs import load_design

    try:
        for design in sweep.designs:  # an unknown design fails here, before Ray starts
            load_design(design)
    except NetlistError as error:
        print(f"sweep.py: error: {error}", file=sys.stderr)
        return 2
    try:
        rows = run_sweep(sweep, args.out, args.address, args.cpus, not args.no_progress)
    except ExecutorError as error:
        print(f"sweep.py: error: {error}", file=sys.stderr)
        return 2
    best = write_outputs(rows, sweep, args.out)
    print((Path(args.out) / "sweep.md").read_text())
    if best:
        print(f"best: {best['config']} (score {best['score']:.4f}) -> {args.out}/best.json")
    failed = [row for row in rows if row["error"]]
    for row in failed:
        print(f"failed: {row['config']} on {row['design']} seed {row['seed']}: {row['error']}",
              file=sys.stderr)  # fmt: skip
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
