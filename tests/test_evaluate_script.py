"""scripts/evaluate_placement.py end to end, in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from netlists.bundled import DATA_DIR

ROOT = Path(__file__).resolve().parents[1]
KEYS = {"hpwl", "wirelength", "density", "congestion", "proxy", "overlap_area", "legal"}


def _evaluate(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "evaluate_placement.py"), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_evaluate_placement__scores_the_legalized_ariane133_like_the_reference():
    reference = json.loads((DATA_DIR / "ct_reference_proxy.json").read_text())
    expected = reference["designs"]["ariane133_ng45"]["legalized"]
    plc = DATA_DIR / "ct_modern" / "ariane133_ng45" / "legalized.plc"
    result = _evaluate("--netlist", "ariane133_ng45", "--placement", str(plc), "--json")
    assert result.returncode == 0, result.stderr
    metrics = json.loads(result.stdout)
    assert set(metrics) >= KEYS
    for part in ("wirelength", "density", "congestion", "proxy"):
        assert metrics[part] == pytest.approx(expected[part], abs=1e-6)
    assert metrics["legal"] is True and metrics["overlap_area"] == 0.0


def test_evaluate_placement__bookshelf_design_without_plc_reports_null_proxy():
    result = _evaluate("--netlist", "n30", "--json")
    assert result.returncode == 0, result.stderr
    metrics = json.loads(result.stdout)
    assert metrics["proxy"] is None
    # MCNC blocks ship unplaced; only terminals have positions, and every net reaches a block.
    assert metrics["unplaced_nodes"] == 30 and metrics["hpwl"] == 0.0


def test_evaluate_placement__a_bad_placement_file_exits_2_naming_it(tmp_path):
    bad = tmp_path / "bad.plc"
    bad.write_text("0 1 2 N\n")
    result = _evaluate("--netlist", "ariane133_ng45", "--placement", str(bad))
    assert result.returncode == 2
    assert "bad.plc:1" in result.stderr


def test_evaluate_placement__reports_timing_for_a_design_with_arcs(tmp_path):
    design = {
        "name": "two_registers",
        "canvas": {"width": 3000, "height": 3000},
        "nodes": [
            {"name": "A", "width": 10, "height": 10, "x": 5, "y": 5},
            {"name": "B", "width": 10, "height": 10, "x": 2005, "y": 5},
        ],
        "pins": [{"node": "A", "direction": "output"}, {"node": "B", "direction": "input"}],
        "nets": [{"name": "bus", "pins": [0, 1], "driver": 0, "weight": 32}],
        "timing": {
            "clock_period_ns": 1.0,
            "clock_to_q_ns": 0.1,
            "setup_ns": 0.05,
            "sequential": ["A", "B"],
            "arcs": [{"name": "A->B", "from_pin": 0, "to_pin": 1, "before_ns": 0.2}],
        },
    }
    path = tmp_path / "two_registers.json"
    path.write_text(json.dumps(design))
    result = _evaluate("--netlist", str(path), "--json")
    assert result.returncode == 0, result.stderr
    metrics = json.loads(result.stdout)
    # 2 mm buffered at 0.12 ns/mm + 0.03 ns: 0.27 ns; path 0.1 + 0.2 + 0.27 = 0.57 ns.
    assert metrics["min_period_ns"] == pytest.approx(0.57 + 0.05)
    assert metrics["worst_slack_ns"] == pytest.approx(1.0 - 0.62)
    assert metrics["critical_path"] == ["A", "B"]
    assert metrics["hpwl"] == pytest.approx(32 * 2000)


def test_evaluate_placement__tpu_v1_reference_with_its_own_wire_model(tmp_path):
    design, reference = tmp_path / "tpu_v1.json", tmp_path / "tpu_v1_reference.json"
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "accel",
            "build",
            "tpu_v1",
            "--out",
            str(design),
            "--reference-placement",
            str(reference),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    result = _evaluate(
        "--netlist", str(design), "--placement", str(reference), "--wire-model", "28nm", "--json"
    )
    assert result.returncode == 0, result.stderr
    metrics = json.loads(result.stdout)
    assert metrics["legal"] is True
    assert metrics["fmax_mhz"] == pytest.approx(700, rel=0.05)


def test_evaluate_placement__unknown_wire_model_lists_the_known_ones():
    result = _evaluate("--netlist", "n10", "--wire-model", "bogus")
    assert result.returncode == 2 and "known: nangate45_metal3" in result.stderr


@pytest.mark.parametrize("text", ["", "# header only\n# Columns : 1\n"])
def test_evaluate_placement__an_empty_or_header_only_plc_is_an_error_not_legal(tmp_path, text):
    plc = tmp_path / "empty.plc"
    plc.write_text(text)
    done = _evaluate("--netlist", "ariane133_ng45", "--placement", str(plc), "--json")
    assert done.returncode == 2 and "places 0 of 133 movable hard macros" in done.stderr
    assert "--partial" in done.stderr and done.stdout == ""
    partial = _evaluate("--netlist", "ariane133_ng45", "--placement", str(plc), "--json",
                        "--partial")  # fmt: skip
    assert partial.returncode == 0, partial.stderr
    assert json.loads(partial.stdout)["legal"] is False  # never legal while incomplete
