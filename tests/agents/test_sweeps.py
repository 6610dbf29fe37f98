"""agents.sweeps without Ray: axes, the checks of a sweep, and the summary's arithmetic."""

from __future__ import annotations

import json
import math

import pytest

from agents.sweeps import (
    Axis,
    Sweep,
    SweepError,
    configurations,
    markdown,
    parse_axis,
    summarise,
    write_outputs,
)


def test_parse_axis__grid_lists_become_tuples_and_random_axes_take_bounds():
    assert parse_axis("move_weights=[[1,2,3,4],[4,3,2,1]]", "grid") == Axis(
        "move_weights", "grid", ((1, 2, 3, 4), (4, 3, 2, 1))
    )
    assert parse_axis("start-acceptance=0.05:0.5", "uniform") == Axis(
        "start_acceptance", "uniform", (0.05, 0.5)
    )


@pytest.mark.parametrize(
    ("item", "kind", "message"),
    [
        ("x", "grid", "takes KEY=VALUES"),
        ("x=[1,", "grid", "not a JSON list"),
        ("x=[]", "grid", "non-empty JSON list"),
        ("x=0.5", "uniform", "LOW:HIGH"),
        ("x=0.5:0.1", "uniform", "LOW < HIGH"),
        ("x=0:1", "loguniform", "LOW must be positive"),
    ],
)
def test_parse_axis__malformed_items_name_themselves(item, kind, message):
    with pytest.raises(SweepError, match=message):
        parse_axis(item, kind)


def _axis(name="start_acceptance", values=(0.1, 0.3)):
    return (Axis(name, "grid", values),)


def test_sweep__checks_options_against_the_placer_and_training_run():
    Sweep("placer", _axis(), ("n10",), placer="annealing", budget_evaluations=10)
    with pytest.raises(SweepError, match="annealing takes no option 'bogus'"):
        Sweep("placer", _axis("bogus"), ("n10",), placer="annealing", budget_evaluations=10)
    with pytest.raises(SweepError, match="start_acceptance"):  # a value of the wrong type
        Sweep("placer", _axis(values=("hot",)), ("n10",), placer="annealing", budget_seconds=1)
    with pytest.raises(SweepError, match="needs a budget"):
        Sweep("placer", _axis(), ("n10",), placer="annealing")
    with pytest.raises(SweepError, match="unknown placer"):
        Sweep("placer", _axis(), ("n10",), placer="nope", budget_seconds=1)
    with pytest.raises(SweepError, match="the sweep's own axis"):
        Sweep("placer", _axis("seed"), ("n10",), placer="annealing", budget_seconds=1)
    Sweep("ppo", _axis("learning_rate", (1e-4, 3e-4)), ("n10",))
    with pytest.raises(SweepError, match="no option --learning-rat"):
        Sweep("ppo", _axis("learning_rat"), ("n10",))
    with pytest.raises(SweepError, match="at least one searched option"):
        Sweep("ppo", (), ("n10",))


def test_summarise__scores_are_geometric_means_of_ratios_to_each_designs_best():
    rows = [
        {"config": "A", "design": "d1", "cost": 10.0},
        {"config": "A", "design": "d1", "cost": 12.0},
        {"config": "A", "design": "d2", "cost": 200.0},
        {"config": "B", "design": "d1", "cost": 22.0},
        {"config": "B", "design": "d2", "cost": 100.0},
        {"config": "C", "design": "d1", "cost": 11.0},
        {"config": "C", "design": "d2", "cost": math.inf},  # a failed run
    ]
    table, best = summarise(rows)
    scores = {entry["config"]: entry["score"] for entry in table}
    # A: d1 11/11, d2 200/100 -> sqrt(2); B: d1 22/11, d2 1 -> sqrt(2); C: no d2 mean -> inf
    assert scores["A"] == pytest.approx(math.sqrt(2)) and scores["B"] == pytest.approx(math.sqrt(2))
    assert scores["C"] == math.inf and table[-1]["failed"] == 1
    assert best["config"] == "A"  # ties broken by name, so the order is deterministic
    assert table[0]["designs"]["d1"] == (11.0, pytest.approx(math.sqrt(2)), 2)
    text = markdown(table)
    assert "| `A` | 1.4142 | 11 ± 1.41 (2) | 200 ± 0 (1) | 0 |" in text


def test_summarise__a_design_where_every_configuration_failed_is_left_out_of_the_score():
    rows = [
        {"config": "A", "design": "d1", "cost": 10.0},
        {"config": "B", "design": "d1", "cost": 20.0},
        {"config": "A", "design": "no_macros", "cost": math.inf},
        {"config": "B", "design": "no_macros", "cost": math.inf},
    ]
    table, best = summarise(rows)
    assert [(e["config"], e["score"], e["failed"]) for e in table] == [("A", 1.0, 1), ("B", 2.0, 1)]
    assert "| `A` | 1.0000 | 10 ± 0 (1) | - | 1 |" in markdown(table)


def test_write_outputs__writes_trials_summary_and_best(tmp_path):
    sweep = Sweep("placer", _axis(), ("n10",), placer="annealing", budget_evaluations=10)
    rows = [
        {"config": '{"start_acceptance": 0.1}', "design": "n10", "seed": 0, "cost": 5.0,
         "legal": True, "error": ""},
        {"config": '{"start_acceptance": 0.3}', "design": "n10", "seed": 0, "cost": 4.0,
         "legal": True, "error": ""},
    ]  # fmt: skip
    best = write_outputs(rows, sweep, tmp_path)
    assert json.loads(best["config"]) == {"start_acceptance": 0.3}
    assert json.loads((tmp_path / "best.json").read_text())["best"] == {"start_acceptance": 0.3}
    assert (tmp_path / "trials.csv").read_text().count("\n") == 3
    assert "budget per run: 10 evaluations" in (tmp_path / "sweep.md").read_text()


def test_configurations__random_draws_are_per_configuration_and_shared_by_designs_and_seeds():
    sweep = Sweep(
        "placer",
        (Axis("grid", "grid", (8, 16)), Axis("start_acceptance", "loguniform", (0.01, 0.5))),
        ("n10", "n30"),
        seeds=3,
        placer="annealing",
        budget_evaluations=10,
        samples=2,
    )
    configs = configurations(sweep)
    assert len(configs) == 2 * 2  # grid points x samples; designs and seeds are crossed later
    assert [c["grid"] for c in configs] == [8, 8, 16, 16]
    draws = [c["start_acceptance"] for c in configs]
    assert len(set(draws)) == 4 and all(0.01 <= d <= 0.5 for d in draws)
    assert configs == configurations(sweep)  # seeded: the same draws every time


def test_sweep__an_option_both_searched_and_fixed_and_a_value_the_placer_refuses_are_errors():
    with pytest.raises(SweepError, match="both searched and fixed"):
        Sweep("placer", _axis(), ("n10",), placer="annealing", budget_evaluations=10,
              fixed={"start_acceptance": 0.1})  # fmt: skip
    with pytest.raises(SweepError, match="start_acceptance must be in"):
        Sweep("placer", _axis(values=(2.0,)), ("n10",), placer="annealing", budget_seconds=1)


def test_summarise__every_trial_failed_scores_infinity_without_crashing():
    table, best = summarise([{"config": "A", "design": "d", "cost": math.inf}])
    assert best["score"] == math.inf and best["failed"] == 1
