"""Ray: comparisons as Ray tasks, failures and retries on a cluster, and the Ray ``VecEnv``.

One local Ray of 2 CPUs serves the module; each test is bounded by pytest-timeout so that a
hang fails instead of stalling CI.
"""

from __future__ import annotations

import csv
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from agents.executors import connect_ray, run_jobs

pytestmark = pytest.mark.timeout(240)
COMPARE = Path(__file__).resolve().parents[2] / "scripts" / "compare_placers.py"


@pytest.fixture(scope="module")
def local_ray():
    ray = connect_ray(num_cpus=2)
    yield ray
    ray.shutdown()


def _jobs_that_fail(bad: int):
    """A job function (a closure: Ray ships it by value) that raises for ``bad``."""

    def job(x: int) -> int:
        if x == bad:
            raise ValueError(f"job {bad} is bad")
        return x * x

    return job


def _job_that_dies(bad: int):
    """A job function whose worker process dies for ``bad``, as on a lost node."""

    def job(x: int) -> int:
        if x == bad:
            os._exit(7)
        return x

    return job


def test_ray_jobs__a_raising_task_is_retried_reported_and_the_rest_finish(local_ray):
    seen = []
    outcomes = run_jobs(_jobs_that_fail(1), [(x,) for x in range(4)], "ray", on_done=seen.append)
    assert [o.value for o in outcomes] == [0, None, 4, 9]
    assert outcomes[1].attempts == 2 and outcomes[1].error == "ValueError: job 1 is bad"
    assert all(o.ok for i, o in enumerate(outcomes) if i != 1)
    assert len(seen) == 4


def test_ray_jobs__a_task_whose_worker_dies_is_reported_and_the_rest_finish(local_ray):
    outcomes = run_jobs(_job_that_dies(2), [(x,) for x in range(4)], "ray")
    assert [o.value for o in outcomes] == [0, 1, None, 3], [o.error for o in outcomes]
    assert outcomes[2].attempts == 2 and "Crash" in outcomes[2].error  # WorkerCrashedError


def test_compare_placers__an_unreachable_cluster_is_a_usage_error_that_writes_nothing(tmp_path):
    out = tmp_path / "cmp"
    cmd = [
        sys.executable, str(COMPARE), "--designs", "n10", "--placers", "greedy", "--executor",
        "ray", "--address", "127.0.0.1:1", "--out", str(out), "--no-progress",
    ]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2
    assert "no Ray cluster answers at '127.0.0.1:1'" in done.stderr
    assert not out.exists()


def _rows(out: Path) -> list[dict]:
    with open(out / "results.csv") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:  # what may differ between two runs of the same seeds: times and hosts
        for column in ("seconds", "route_seconds", "machine", "file"):
            row.pop(column)
    return rows


def test_compare_placers__ray_gives_the_serial_rows_apart_from_times(tmp_path):
    outs = {}
    for executor in ("serial", "ray"):
        outs[executor] = out = tmp_path / executor
        cmd = [
            sys.executable, str(COMPARE), "--designs", "n10", "ct_sample_clustered",
            "--placers", "greedy", "annealing", "--seeds", "2", "--budget-evaluations", "80",
            "--executor", executor, "--workers", "2", "--out", str(out), "--no-progress",
        ]  # fmt: skip
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=200, check=False)
        assert done.returncode == 0, done.stderr
    serial, ray_rows = _rows(outs["serial"]), _rows(outs["ray"])
    assert len(serial) == 2 * 2 * 2 + 2  # runs + the two designs' reference rows
    assert ray_rows == serial
    assert all(r["attempts"] == "1" for r in serial if not r["placer"].startswith("ref:"))
    assert "executor ray" in (outs["ray"] / "results.md").read_text()
    assert (outs["ray"] / "placements" / "ct_sample_clustered_annealing_s1.plc").exists()


def _same(a, b) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return bool(np.array_equal(a, b))


def _comparable(info: dict) -> dict:
    info = dict(info)
    if "episode" in info:  # Monitor's episode time is wall time
        info["episode"] = {k: v for k, v in info["episode"].items() if k != "t"}
    return info


def test_ray_vec_env__matches_dummy_vec_env_step_for_step(local_ray):
    from agents.ppo_training import build_vec_env
    from agents.rl_env import EnvOptions

    options = [EnvOptions("n10", None, 8, graph=True), EnvOptions("n30", None, 8, graph=True)]
    dummy = build_vec_env(options, 3, seed=5, vec_env="dummy").env
    ray_env = build_vec_env(options, 3, seed=5, vec_env="ray").env
    try:
        assert ray_env.num_envs == 3
        assert ray_env.observation_space == dummy.observation_space
        assert _same(ray_env.reset(), dummy.reset())
        assert ray_env.reset_infos == dummy.reset_infos
        rng = np.random.default_rng(0)
        dones_seen = 0
        for _ in range(45):  # several episodes of n10 (10 macros) and n30: resets inside
            masks = dummy.env_method("action_masks")
            ray_masks = ray_env.env_method("action_masks")
            assert all(np.array_equal(a, b) for a, b in zip(masks, ray_masks, strict=True))
            actions = np.array([rng.choice(np.flatnonzero(m)) for m in masks])
            ray_env.step_async(actions)
            got = ray_env.step_wait()
            want = dummy.step(actions)
            assert _same(got[0], want[0])
            assert np.array_equal(got[1], want[1]) and np.array_equal(got[2], want[2])
            for a, b in zip(got[3], want[3], strict=True):
                a, b = _comparable(a), _comparable(b)
                assert a.keys() == b.keys()
                assert all(_same(a[k], b[k]) for k in a)
            dones_seen += int(want[2].sum())
        assert dones_seen >= 3  # the auto-reset path ran
        assert ray_env.get_attr("render_mode") == dummy.get_attr("render_mode")
        ray_env.set_attr("marker", 3, indices=[1])
        assert ray_env._masks is None  # what was set may change the masks: ask the actors
        assert ray_env.get_attr("marker", indices=[1]) == [3]
        assert ray_env.env_is_wrapped(type(dummy.envs[0])) == [True] * 3
    finally:
        ray_env.close()
        dummy.close()


def test_ray_vec_env__more_envs_than_cluster_cpus_is_a_clear_error(local_ray):
    from agents.ppo_training import TrainingError, build_vec_env
    from agents.rl_env import EnvOptions

    with pytest.raises(TrainingError, match="need 3 CPUs; the cluster has [0-9.]+ free"):
        build_vec_env([EnvOptions("n10", None, 8)], 3, vec_env="ray", cpus_per_env=1.0)


def test_sweep__a_tiny_placer_sweep_writes_its_table_and_best(local_ray, tmp_path):
    from agents.sweeps import Sweep, parse_axis, run_sweep, write_outputs

    sweep = Sweep(
        "placer",
        (parse_axis("start_acceptance=[0.05,0.5]", "grid"),),
        ("n10", "ami33"),
        seeds=1,
        placer="annealing",
        budget_evaluations=60,
    )
    rows = run_sweep(sweep, tmp_path, progress=False)
    assert len(rows) == 2 * 2 * 1
    assert all(r["legal"] and r["error"] == "" and math.isfinite(r["cost"]) for r in rows)
    best = write_outputs(rows, sweep, tmp_path)
    means = {}  # the best configuration is the one with the lowest cost relative to each design
    for design in ("n10", "ami33"):
        costs = {r["config"]: r["cost"] for r in rows if r["design"] == design}
        for config, cost in costs.items():
            means.setdefault(config, []).append(cost / min(costs.values()))
    assert best["config"] == min(means, key=lambda c: (math.prod(means[c]), c))
    text = (tmp_path / "sweep.md").read_text()
    assert '`{"start_acceptance": 0.05}`' in text and '`{"start_acceptance": 0.5}`' in text
    assert (tmp_path / "best.json").exists()


def test_sweep__ppo_trials_report_every_evaluation_under_asha(local_ray, tmp_path):
    from agents.sweeps import Sweep, parse_axis, run_sweep

    sweep = Sweep(
        "ppo",
        (parse_axis("learning_rate=[0.0001,0.001]", "grid"),),
        ("n10",),
        fixed={
            "grid": 8,
            "timesteps": 192,
            "eval_every": 64,
            "n_steps": 64,
            "batch_size": 32,
            "n_epochs": 1,
            "eval_samples": 0,
            "checkpoint_every": 10_000,
        },  # fmt: skip
        grace_evaluations=1,
    )
    rows = run_sweep(sweep, tmp_path, progress=False)
    assert len(rows) == 2
    assert all(r["error"] == "" and math.isfinite(r["cost"]) for r in rows), rows
    assert all(1 <= r["evaluations"] <= 4 for r in rows)  # 3 periodic + the final one at most


def test_train_agent__trains_from_ray_envs(local_ray, tmp_path):
    from agents.ppo_run import TrainingRun, train

    run = TrainingRun(
        design=("n10",), grid=8, n_envs=2, vec_env="ray", timesteps=128, n_steps=32,
        batch_size=32, n_epochs=1, eval_every=64, eval_samples=0, progress=False,
        out=str(tmp_path / "run"), device="cpu",
    )  # fmt: skip
    summary = train(run)
    assert summary["timesteps"] >= 128
    assert math.isfinite(summary["designs"]["n10"]["best_cost"])
    assert (tmp_path / "run" / "model.zip").exists()
