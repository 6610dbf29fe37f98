"""Every registered placer: legal, complete, deterministic; greedy beats random; SA keeps its
start; bad input gives a clear error."""

from __future__ import annotations

import numpy as np
import pytest

import agents
import netlists
from agents import Budget, PlacerError, make_placer
from netlists import NodeKind
from placement_env.legality import check_legality
from placement_env.wirelength import hpwl

DESIGNS = ["n10", "n30", "ami33", "ami49", "ct_sample_clustered", "ibm01"]
BUDGET = Budget(evaluations=150)
#: Per-placer budgets where one evaluation is a full decode (ibm01: ~0.2 s each).
BUDGETS = {"evolution": Budget(evaluations=4), "ppo": Budget(evaluations=4)}
#: Placers that score the Circuit Training proxy, so need a design's .plc settings.
NEEDS_PLC = {"proxy_annealing"}
#: Placers that also move soft macros.
MOVES_SOFT = {"proxy_annealing"}
#: Placers that decode until one placement is complete (random restarts on dead ends), whatever
#: the budget; the others iterate until the budget is spent.
ONE_SHOT = {"greedy", "random"}


def _has_proxy(design) -> bool:
    """Whether the design's .plc settings define the proxy cost (grid and routes per micron)."""
    plc = design.plc
    return plc is not None and plc.routes_per_micron_h is not None


@pytest.fixture(scope="module")
def designs():
    return {name: netlists.load(name) for name in DESIGNS}


@pytest.mark.parametrize("placer", sorted(agents.PLACERS))
@pytest.mark.parametrize("design_name", DESIGNS)
def test_placer__legal_complete_and_deterministic(placer, design_name, designs):
    design = designs[design_name]
    nl = design.netlist
    budget = BUDGETS.get(placer, BUDGET)
    if placer in NEEDS_PLC and not _has_proxy(design):
        with pytest.raises(PlacerError, match="needs the .plc settings"):
            make_placer(placer).place(design, np.random.default_rng(3), budget)
        return
    first = make_placer(placer).place(design, np.random.default_rng(3), budget)
    second = make_placer(placer).place(design, np.random.default_rng(3), budget)
    movable = (nl.node_kinds == int(NodeKind.HARD_MACRO)) & ~nl.node_fixed
    assert first.placement.placed[movable].all()
    assert check_legality(nl, first.placement).is_legal
    assert first.placement.same_as(second.placement)
    # Nothing but the movable hard macros (and soft macros, for placers that move them) moves.
    shipped = design.placement
    others = ~movable & shipped.placed
    if placer in MOVES_SOFT:
        others &= nl.node_kinds != int(NodeKind.SOFT_MACRO)
    assert np.array_equal(first.placement.positions[others], shipped.positions[others])
    # Iterative placers stop exactly at their evaluation budget (never past it).
    assert first.stats.evaluations == second.stats.evaluations >= 1
    if placer not in ONE_SHOT:
        assert first.stats.evaluations == budget.evaluations


def test_greedy__beats_random_mean_on_n30(designs):
    design = designs["n30"]
    greedy = hpwl(design.netlist, make_placer("greedy").place(design, None, BUDGET).placement)
    randoms = [
        hpwl(
            design.netlist,
            make_placer("random").place(design, np.random.default_rng(s), BUDGET).placement,
        )
        for s in range(4)
    ]
    assert greedy < np.mean(randoms)


@pytest.mark.parametrize("design_name", ["n10", "ami33"])
def test_annealing__does_not_worsen_its_greedy_start(design_name, designs):
    design = designs[design_name]
    start = hpwl(design.netlist, make_placer("greedy").place(design, None, BUDGET).placement)
    result = make_placer("annealing").place(
        design, np.random.default_rng(0), Budget(evaluations=400)
    )
    assert hpwl(design.netlist, result.placement) <= start + 1e-6


def test_annealing__seconds_budget_stops_once_the_clock_passes_it(designs, monkeypatch):
    # A fake clock that advances 1 ms per reading makes the time budget deterministic: the run
    # must stop soon after 0.3 s of *its* clock, whatever the machine's load.
    import agents.base

    def run(budget: Budget):
        ticks = iter(range(10**9))
        monkeypatch.setattr(agents.base.time, "perf_counter", lambda: next(ticks) * 1e-3)
        return make_placer("annealing").place(designs["n10"], np.random.default_rng(0), budget)

    result = run(Budget(seconds=0.3))
    assert 0.3 <= result.stats.seconds < 0.35
    assert 0 < result.stats.evaluations < 300
    # On the same clock the run is repeatable: the same evaluations and placement.
    again = run(Budget(seconds=0.3))
    assert again.stats.evaluations == result.stats.evaluations
    assert again.placement.same_as(result.placement)
    # Whichever limit comes first stops the run: a far evaluation budget changes nothing...
    roomy = run(Budget(seconds=0.3, evaluations=10**6))
    assert roomy.stats.evaluations == result.stats.evaluations
    assert roomy.placement.same_as(result.placement)
    # ...and a small one stops it at that many evaluations, long before the clock's limit.
    few = run(Budget(seconds=0.3, evaluations=5))
    assert few.stats.evaluations == 5 and few.stats.seconds < 0.3


def test_make_placer__unknown_name_lists_the_known_ones():
    with pytest.raises(PlacerError, match="greedy"):
        make_placer("nope")


@pytest.mark.parametrize(
    "kwargs",
    [{"evaluations": 0}, {"seconds": 0.0}, {"seconds": -1.0}, {"seconds": float("inf")},
     {"seconds": float("nan")}],
)  # fmt: skip
def test_budget__zero_negative_or_endless_is_an_error(kwargs):
    with pytest.raises(PlacerError, match="positive"):
        Budget(**kwargs)


def test_problem__overlapping_fixed_macros_is_an_error(designs):
    design = designs["n10"]
    nl = design.netlist
    hard = np.flatnonzero(nl.node_kinds == int(NodeKind.HARD_MACRO))
    fixed = nl.node_fixed.copy()
    fixed[hard[:2]] = True
    import dataclasses

    pinned = dataclasses.replace(nl, node_fixed=fixed)
    placement = design.placement.with_positions(
        hard[:2], np.array([[100.0, 100.0], [100.0, 100.0]])
    )
    bad = netlists.Design(pinned, placement)
    with pytest.raises(PlacerError, match="fixed hard macros"):
        make_placer("greedy").place(bad, np.random.default_rng(0), BUDGET)


def test_evolution__does_not_worsen_its_greedy_start(designs):
    design = designs["n30"]
    start = hpwl(design.netlist, make_placer("greedy").place(design, None, BUDGET).placement)
    result = make_placer("evolution").place(
        design, np.random.default_rng(0), Budget(evaluations=20)
    )
    assert hpwl(design.netlist, result.placement) <= start + 1e-6


#: Placers trained or fitted per design are left to their own tests.
_EVERY_DESIGN_PLACERS = [p for p in sorted(agents.PLACERS) if p != "ppo"]


@pytest.mark.slow
@pytest.mark.parametrize("design_name", sorted(netlists.bundled.BUNDLED))
def test_every_placer__legal_on_every_bundled_design(design_name):
    design = netlists.load(design_name)
    nl = design.netlist
    movable = (nl.node_kinds == int(NodeKind.HARD_MACRO)) & ~nl.node_fixed
    for placer in _EVERY_DESIGN_PLACERS:
        if not movable.any() or (placer in NEEDS_PLC and not _has_proxy(design)):
            with pytest.raises(PlacerError):
                make_placer(placer).place(design, np.random.default_rng(0), Budget(evaluations=2))
            continue
        budget = Budget(evaluations=2 if placer == "evolution" else 20)
        result = make_placer(placer).place(design, np.random.default_rng(0), budget)
        assert check_legality(nl, result.placement).is_legal, placer
        assert result.placement.placed[movable].all(), placer
