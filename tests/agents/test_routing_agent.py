"""PPO on the routing env through scripts/train_router.py (routing has its own script)."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest

from agents.routing_agent import HELD_OUT_SEED, METRICS
from placement_env.routing import SyntheticConfig, generate, route_sequential

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "train_router.py"
PLACEMENT_SCRIPT = SCRIPT.parent / "train_agent.py"


def _run(*args: str, script: Path = SCRIPT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(script), *args], capture_output=True, text=True, timeout=300
    )


def test_train_router__routes_with_ppo_and_compares_with_astar(tmp_path):
    out = tmp_path / "route"
    # An easy problem: ample tracks and no reduced edge, so sequential A* solves every net, and
    # the env's A* fallback finishes any net the policy leaves: PPO must solve them all too.
    done = _run(
        "--timesteps", "600", "--n-envs", "1", "--eval-problems", "5",
        "--env-arg", "num_nets=6", "capacity=20", "reduced_edges=0", "--out", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (out / "model.zip").is_file()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["timesteps"] >= 600
    assert summary["held_out_problems"] == 5
    astar = summary["results"]["sequential A*"]
    ppo = summary["results"]["ppo"]
    assert astar["solved"] == 1.0 and astar["wirelength"] > 0
    assert ppo["solved"] >= astar["solved"] and ppo["total_overflow"] == 0
    # The A* row is sequential A* on the documented held-out problems, recomputed here.
    config = SyntheticConfig(grid=8, num_nets=6, capacity=20, reduced_edges=0)
    assert summary["config"] == asdict(config)
    problems = [generate(config, HELD_OUT_SEED + i) for i in range(5)]
    rows = [route_sequential(problem).metrics.summary() for problem in problems]
    for metric in METRICS:
        expected = statistics.fmean(float(row[metric]) for row in rows)
        assert astar[metric] == pytest.approx(expected), metric
    # Every net's route spans its pins' bounding box: the half-perimeters (in gcell edges)
    # bound both routers' wirelength from below.
    bound = statistics.fmean(sum(_half_perimeter(p, net) for net in p.nets) for p in problems)
    assert bound > 0
    assert astar["wirelength"] >= bound and ppo["wirelength"] >= bound


def _half_perimeter(problem, net) -> int:
    """Gcell bounding-box half-perimeter of ``net``'s pins."""
    cells = np.floor(
        (np.asarray(net.pins)[:, :2] - problem.origin) / (problem.tile_width, problem.tile_height)
    )
    return int((cells.max(axis=0) - cells.min(axis=0)).sum())


def test_train_router__bad_routing_option_is_a_clear_error(tmp_path):
    done = _run("--timesteps", "10", "--env-arg", "bogus=3", "--out", str(tmp_path / "x"))
    assert done.returncode == 2
    assert "GlobalRouting-v0" in done.stderr and "bogus" in done.stderr


def test_train_agent__sends_the_routing_env_to_train_router(tmp_path):
    done = _run("--design", "GlobalRouting-v0", "--out", str(tmp_path / "x"),
                script=PLACEMENT_SCRIPT)  # fmt: skip
    assert done.returncode == 2 and "train_router.py" in done.stderr


def test_train_router__every_option_has_help_from_its_docstring():
    import importlib.util

    from agents.cli import dataclass_parser, field_docs

    spec = importlib.util.spec_from_file_location("train_router", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["train_router"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    docs = field_docs(module.Args)
    parser = dataclass_parser(module.Args)
    options = [a for a in parser._actions if a.dest != "help"]
    assert {a.dest for a in options} == set(docs) and len(options) > 5
    for action in options:
        assert action.help.startswith(docs[action.dest]), action.dest
