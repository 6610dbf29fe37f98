"""Ray against one machine's executors: a comparison grid, task overhead, PPO env stepping.

Three measurements, one run each (the machine is shared; quote the ratios):

1. A 4-job ``compare_placers.py`` grid (``annealing`` on ibm01, 4 seeds, an evaluation budget)
   through the serial, process-pool and Ray executors: wall time, speed-up over serial, and
   whether the rows match apart from times.
2. Ray's fixed costs: starting a local Ray, and the round trip of a no-op task (200 tasks).
3. PPO training steps per second with the same ``n_envs`` in ``SubprocVecEnv`` and in
   ``RayVecEnv`` (and ``DummyVecEnv`` for reference).

    python scripts/bench_ray.py --out docs/benchmarks/ray_raw.md
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from agents.executors import connect_ray, run_jobs
from agents.ppo_run import TrainingRun, train

COMPARE = Path(__file__).resolve().parent / "compare_placers.py"


def compare_grid(executor: str, out: Path, evaluations: int) -> tuple[float, float, list[dict]]:
    """Wall seconds of one 4-job grid (the process, the script's own count) and its rows
    without the columns that vary from run to run."""
    cmd = [
        sys.executable, str(COMPARE), "--designs", "ibm01", "--placers", "annealing",
        "--seeds", "4", "--budget-evaluations", str(evaluations), "--no-route",
        "--executor", executor, "--workers", "2", "--out", str(out), "--no-progress",
    ]  # fmt: skip
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    inside = float(re.search(r"; ([0-9.]+) s in all", done.stdout).group(1))
    with open(out / "results.csv") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        for column in ("seconds", "route_seconds", "machine", "file"):
            row.pop(column)
    return wall, inside, rows


def ppo_rate(vec_env: str, n_envs: int, timesteps: int, out: Path) -> float:
    """Env steps per second of training (PPO updates included) with ``vec_env``."""
    run = TrainingRun(
        design=("TPUv1",), reward="hpwl", grid=16, n_envs=n_envs, vec_env=vec_env,
        timesteps=timesteps, n_steps=128, batch_size=64, n_epochs=4, eval_every=10**9,
        checkpoint_every=10**9, progress=False, out=str(out), device="cpu",
    )  # fmt: skip
    summary = train(run)
    return summary["timesteps"] / summary["train_seconds"]


def _add(a: int, b: int) -> int:
    return a + b


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--evaluations", type=int, default=8000, help="per annealing run")
    parser.add_argument("--timesteps", type=int, default=4096, help="per PPO measurement")
    parser.add_argument("--n-envs", type=int, default=2)
    parser.add_argument("--out", default=None, help="write the Markdown here too")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        grid = {}
        for executor in ("serial", "process", "ray"):
            grid[executor] = compare_grid(executor, tmp / executor, args.evaluations)
        serial_wall = grid["serial"][0]
        lines += [
            f"### 1. A 4-job comparison grid (annealing on ibm01, 4 seeds, {args.evaluations} "
            "evaluations each, no routing)",
            "",
            "| executor | wall s (process) | s inside the script | speed-up over serial | "
            "overhead per job against serial / 2 | rows equal serial's |",
            "|---|---|---|---|---|---|",
        ]
        for executor, (wall, inside, rows) in grid.items():
            same = rows == grid["serial"][2]
            overhead = (wall - serial_wall / 2) / 4 if executor != "serial" else 0.0
            lines.append(
                f"| {executor} | {wall:.1f} | {inside:.1f} | {serial_wall / wall:.2f}x | "
                f"{overhead:.2f} s | {same} |"
            )

        start = time.perf_counter()
        connect_ray(num_cpus=2)
        ray_start = time.perf_counter() - start
        jobs = [(i, 1) for i in range(200)]

        def add(a: int, b: int) -> int:  # a closure: Ray ships it by value, the pool by fork
            return a + b

        start = time.perf_counter()
        run_jobs(add, jobs, "ray")
        per_task = (time.perf_counter() - start) / len(jobs)
        start = time.perf_counter()
        run_jobs(_add, jobs, "process", workers=2)
        per_process_task = (time.perf_counter() - start) / len(jobs)
        lines += [
            "",
            "### 2. Fixed costs",
            "",
            f"- starting a local Ray (2 CPUs): {ray_start:.2f} s",
            f"- a no-op task through `run_jobs`, 200 of them: Ray {per_task * 1e3:.2f} ms per "
            f"task, the process pool {per_process_task * 1e3:.2f} ms per task (pool start "
            "included)",
        ]

        rates = {}
        for vec_env in ("dummy", "subproc", "ray"):
            rates[vec_env] = ppo_rate(vec_env, args.n_envs, args.timesteps, tmp / f"ppo_{vec_env}")
        lines += [
            "",
            f"### 3. PPO training, TPUv1 on a 16 x 16 grid, {args.n_envs} envs, "
            f"{args.timesteps} steps (n_steps 128, batch 64, 4 epochs, cpu)",
            "",
            "| vec env | env steps/s (updates included) | against subproc |",
            "|---|---|---|",
        ]
        for vec_env, rate in rates.items():
            lines.append(f"| {vec_env} | {rate:.0f} | {rate / rates['subproc']:.2f}x |")
    head = (
        f"Machine: {platform.node()} ({platform.machine()}, {os.cpu_count()} cpus), torch "
        f"{torch.__version__}, {time.strftime('%Y-%m-%d')}.\n\n"
    )
    text = head + "\n".join(lines) + "\n"
    print(text)
    if args.out:
        Path(args.out).write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
