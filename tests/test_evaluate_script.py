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
