"""scripts/compare_placers.py end to end on a tiny configuration."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "compare_placers.py"


def test_compare_placers__writes_csv_markdown_placements_and_pictures(tmp_path):
    out = tmp_path / "cmp"
    cmd = [
        sys.executable, str(SCRIPT), "--designs", "n10", "ct_sample_clustered",
        "--placers", "random", "greedy", "annealing", "--seeds", "2",
        "--budget-evaluations", "60", "--out", str(out), "--no-progress",
    ]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    with open(out / "results.csv") as handle:
        rows = list(csv.DictReader(handle))
    runs = [r for r in rows if not r["placer"].startswith("ref:")]
    assert len(runs) == 2 * 3 * 2
    assert all(r["legal"] == "True" for r in runs)
    assert any(r["placer"] == "ref:initial" for r in rows)
    assert all(r["proxy"] for r in rows if r["design"] == "ct_sample_clustered")
    assert "| n10 | greedy |" in (out / "results.md").read_text()
    assert "| n10 | greedy |" in done.stdout
    assert (out / "placements" / "n10_greedy_s0.json").exists()
    assert (out / "placements" / "ct_sample_clustered_annealing_s1.plc").exists()
    assert (out / "n10_best.png").exists()


def test_compare_placers__unknown_placer_is_a_clear_error(tmp_path):
    cmd = [sys.executable, str(SCRIPT), "--placers", "nope", "--out", str(tmp_path)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode != 0
    assert "unknown placer" in done.stderr and "greedy" in done.stderr


def test_compare_placers__designs_that_share_a_file_name_keep_apart(tmp_path):
    # Regression: every Circuit Training design ships as netlist.pb.txt, and both designs were
    # labelled "netlist": placement files overwrote each other and the pictures crashed.
    import shutil

    data = Path(__file__).resolve().parents[2] / "netlists" / "data" / "ct_testdata"
    first = tmp_path / "x" / "tile"
    second = tmp_path / "y" / "tile"
    shutil.copytree(data / "sample_clustered", first)
    shutil.copytree(data / "sample_clustered", second)
    out = tmp_path / "cmp"
    cmd = [
        sys.executable, str(SCRIPT), "--designs", str(first / "netlist.pb.txt.gz"),
        str(second / "netlist.pb.txt.gz"), "--placers", "greedy", "--seeds", "1",
        "--budget-evaluations", "10", "--no-route", "--out", str(out), "--no-progress",
    ]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    with open(out / "results.csv") as handle:
        runs = [r for r in csv.DictReader(handle) if r["placer"] == "greedy"]
    assert sorted(r["design"] for r in runs) == ["tile", "tile_2"]
    files = sorted(p.name for p in (out / "placements").iterdir())
    assert files == sorted(f"{d}_greedy_s0.plc" for d in ("tile", "tile_2"))
    assert all((out / f"{d}_best.png").exists() for d in ("tile", "tile_2"))


def test_compare_placers__placer_args_reach_their_placer_and_bad_ones_exit_2(tmp_path):
    script = Path(__file__).resolve().parents[2] / "scripts" / "compare_placers.py"
    base = [sys.executable, str(script), "--designs", "n10", "--seeds", "1", "--no-route",
            "--no-progress", "--budget-evaluations", "30", "--workers", "1"]  # fmt: skip
    bad = subprocess.run(
        [*base, "--placers", "annealing", "--placer-arg", "greedy:grid=8",
         "--out", str(tmp_path / "bad")], capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert bad.returncode == 2 and "PLACER:KEY=VALUE" in bad.stderr
    ok = subprocess.run(
        [*base, "--placers", "learned_annealing", "--placer-arg",
         "learned_annealing:proposals=uniform", "learned_annealing:grid=16",
         "--out", str(tmp_path / "ok")], capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    rows = list(csv.DictReader((tmp_path / "ok" / "results.csv").open()))
    run = next(r for r in rows if r["placer"] == "learned_annealing")
    assert run["legal"] == "True"
    wrong = subprocess.run(
        [*base, "--placers", "learned_annealing", "--placer-arg",
         "learned_annealing:proposals=smart", "--out", str(tmp_path / "wrong")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    # A failing placer is a row with its reason, printed, and a non-zero exit...
    assert wrong.returncode == 1, wrong.stderr
    assert "failed: learned_annealing on n10 seed 0: " in wrong.stderr
    assert "unknown proposals" in wrong.stderr and "Traceback" not in wrong.stderr
    rows = list(csv.DictReader((tmp_path / "wrong" / "results.csv").open()))
    assert (
        "unknown proposals" in next(r for r in rows if r["placer"] == "learned_annealing")["error"]
    )
    # ... unless the caller asks to keep going.
    going = subprocess.run(
        [*base, "--placers", "learned_annealing", "greedy", "--placer-arg",
         "learned_annealing:proposals=smart", "--keep-going", "--out", str(tmp_path / "going")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert going.returncode == 0 and "failed: learned_annealing" in going.stderr


def test_compare_placers__a_plc_without_routing_settings_scores_hpwl_not_a_crash(tmp_path):
    script = Path(__file__).resolve().parents[2] / "scripts" / "compare_placers.py"
    result = subprocess.run(
        [sys.executable, str(script), "--designs", "ct_simple_with_coords", "--placers",
         "greedy", "--seeds", "1", "--no-route", "--no-progress", "--budget-evaluations", "5",
         "--workers", "1", "--out", str(tmp_path)], capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader((tmp_path / "results.csv").open()))
    greedy = next(r for r in rows if r["placer"] == "greedy")
    assert greedy["legal"] == "True" and greedy["proxy"] == "" and float(greedy["hpwl"]) > 0


def test_compare_placers__an_out_that_is_a_file_or_an_unknown_design_leaves_nothing(tmp_path):
    taken = tmp_path / "taken"
    taken.write_text("keep me")
    cmd = [sys.executable, str(SCRIPT), "--designs", "n10", "--out", str(taken)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2 and "is a file" in done.stderr and "Traceback" not in done.stderr
    assert taken.read_text() == "keep me"
    fresh = tmp_path / "fresh"
    cmd = [sys.executable, str(SCRIPT), "--designs", "no_such_design", "--out", str(fresh)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2 and "no_such_design" in done.stderr
    assert not fresh.exists()


def test_compare_placers__a_run_that_raises_is_retried_then_reported_in_its_row(
    tmp_path, monkeypatch, capsys
):
    import importlib.util

    spec = importlib.util.spec_from_file_location("compare_placers_under_test", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    real_run_one = module.run_one
    calls = []

    def flaky(name, label, placer, seed, *rest):
        calls.append((placer, seed))
        if placer == "greedy" and seed == 1:
            raise MemoryError("the worker ran out of memory")
        return real_run_one(name, label, placer, seed, *rest)

    monkeypatch.setattr(module, "run_one", flaky)
    out = tmp_path / "cmp"
    status = module.main([
        "--designs", "n10", "--placers", "greedy", "random", "--seeds", "2",
        "--budget-evaluations", "20", "--no-route", "--executor", "serial", "--out", str(out),
        "--no-progress",
    ])  # fmt: skip
    assert status == 1  # a failed run, without --keep-going
    assert calls.count(("greedy", 1)) == 2  # tried once more
    with open(out / "results.csv") as handle:
        rows = {(r["placer"], r["seed"]): r for r in csv.DictReader(handle)}
    bad = rows[("greedy", "1")]
    assert bad["error"] == "MemoryError: the worker ran out of memory" and bad["attempts"] == "2"
    assert bad["legal"] == "False" and bad["hpwl"] == ""
    others = [r for key, r in rows.items() if key != ("greedy", "1") and r["seed"] != ""]
    assert len(others) == 3 and all(r["error"] == "" and r["attempts"] == "1" for r in others)
    assert "failed: greedy on n10 seed 1" in capsys.readouterr().err
