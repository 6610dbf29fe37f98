"""PPO on the routing env through scripts/train_agent.py (the same script as placement)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "train_agent.py"


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=300
    )


def test_train_agent__routes_with_ppo_and_compares_with_astar(tmp_path):
    out = tmp_path / "route"
    done = _run(
        "--design", "GlobalRouting-v0", "--timesteps", "600", "--n-envs", "1",
        "--eval-samples", "1", "--env-arg", "num_nets=6", "--no-progress", "--out", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (out / "model.zip").is_file()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["timesteps"] >= 600
    assert summary["held_out_problems"] == 5
    astar = summary["results"]["sequential A*"]
    ppo = summary["results"]["ppo"]
    assert 0.0 <= ppo["solved"] <= 1.0 and astar["wirelength"] > 0


def test_train_agent__bad_routing_option_is_a_clear_error(tmp_path):
    done = _run(
        "--design", "GlobalRouting-v0", "--timesteps", "10", "--env-arg", "bogus=3",
        "--no-progress", "--out", str(tmp_path / "x"),
    )  # fmt: skip
    assert done.returncode == 2
    assert "GlobalRouting-v0" in done.stderr and "bogus" in done.stderr
