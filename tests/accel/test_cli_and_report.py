"""``python -m accel build`` / ``report`` and the chip report; presets in the scoring script."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import netlists
from accel import PRESETS, TPU_V1, build_chip
from accel.__main__ import main
from accel.floorplan import packed_placement
from accel.report import default_placement
from placement_env.chip_report import chip_report
from placement_env.legality import check_legality

ROOT = Path(__file__).resolve().parents[2]
REPORT_KEYS = {
    "die_area_mm2",
    "placement",
    "clock_mhz",
    "peak_tops_at_placed_clock",
    "peak_tops_at_target_clock",
    "fmax_mhz",
    "wns_ps",
    "hpwl",
    "legal",
}


def test_report__tpu_v1_reference(capsys):
    assert main(["report", "tpu_v1", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) >= REPORT_KEYS
    assert report["legal"] is True
    assert report["die_area_mm2"] <= 331.0
    assert report["fmax_mhz"] == pytest.approx(700.0, rel=0.05)
    assert report["wns_ps"] == 0.0
    assert report["peak_tops_at_placed_clock"] == pytest.approx(91.75, rel=0.005)
    assert report["placement"].startswith("reference floor plan")


def test_build_then_report__reads_the_written_placement(tmp_path, capsys):
    out, ref = tmp_path / "v1.json", tmp_path / "v1_ref.pl"
    assert main(["build", "tpu_v1", "--out", str(out), "--reference-placement", str(ref)]) == 0
    design = netlists.read_design(out)
    assert design.netlist.timing is not None and design.plc is not None
    assert main(["report", "tpu_v1", "--placement", str(ref), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["legal"] is True
    assert report["placement"] == str(ref)
    assert main(["report", "tpu_v1"]) == 0
    assert "fmax_mhz" in capsys.readouterr().out


def test_cli__bad_input_is_a_clear_error(capsys):
    assert main(["report", "tpu_v9"]) == 2
    assert "preset must be one of" in capsys.readouterr().err
    assert main(["report", "tpu_v1", "--tiles", "0"]) == 2
    assert "tiles must be an integer" in capsys.readouterr().err


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset__has_a_legal_default_placement_and_a_report(name):
    params = PRESETS[name]
    design = build_chip(params, tiles=2)
    placement = default_placement(design)
    assert check_legality(design.netlist, placement).is_legal
    report = chip_report(params, design, placement, "default")
    assert report["legal"]
    assert report["peak_tops_at_placed_clock"] <= report["peak_tops_at_target_clock"] + 1e-9


def test_packed_placement__keeps_fixed_io_and_is_legal():
    design = build_chip(TPU_V1)
    placement = packed_placement(design)
    assert check_legality(design.netlist, placement).is_legal


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset__loads_in_the_scoring_script(tmp_path, name):
    out, ref = tmp_path / f"{name}.json", tmp_path / f"{name}_ref.pl"
    assert main(["build", name, "--out", str(out), "--reference-placement", str(ref)]) == 0
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "evaluate_placement.py"), "--netlist", str(out),
         "--placement", str(ref), "--json"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    metrics = json.loads(result.stdout)
    assert metrics["legal"] is True and metrics["proxy"] is not None
    assert metrics["fmax_mhz"] > 0


def test_report__tpu_v2_names_the_scored_placement_and_both_peaks(capsys):
    # Regression: the report printed "peak_tops" at the f_max of a placement it did not name.
    assert main(["report", "tpu_v2", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert "peak_tops" not in report and "peak_tops_at_target" not in report
    assert report["placement"].startswith("shelf packing")
    assert report["clock_mhz"] == pytest.approx(min(report["fmax_mhz"], report["target_mhz"]))
    assert report["peak_tops_at_target_clock"] == pytest.approx(45.88, rel=0.005)
    assert report["peak_tops_at_placed_clock"] == pytest.approx(
        report["peak_tops_at_target_clock"] * report["clock_mhz"] / report["target_mhz"]
    )


def test_report__a_placement_file_that_places_nothing_gets_no_fmax(tmp_path, capsys):
    empty = tmp_path / "empty.plc"
    empty.write_text("# nothing placed\n")
    assert main(["report", "tpu_v1", "--placement", str(empty), "--json"]) == 2
    captured = capsys.readouterr()
    assert "places 0 of" in captured.err and "movable hard macros" in captured.err
    assert captured.out == ""
