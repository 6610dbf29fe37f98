"""The analytical placer: legal on every test design, deterministic, beats random on n30, and its
WA wirelength tends to HPWL as gamma shrinks."""

from __future__ import annotations

import numpy as np
import pytest

import agents
import netlists
from agents import Budget, MacroProblem, PlacerError, make_placer
from agents.analytical import wa_wirelength
from agents.legalize import legalize
from netlists import NodeKind
from placement_env.legality import check_legality
from placement_env.wirelength import hpwl

BUDGETS = {
    "n10": Budget(evaluations=120),
    "n30": Budget(evaluations=120),
    "ami33": Budget(evaluations=120),
    "ct_sample_clustered": Budget(evaluations=60),
    "ibm01": Budget(evaluations=25),
}


@pytest.fixture(scope="module")
def designs():
    return {name: netlists.load(name) for name in BUDGETS}


def test_analytical__is_registered():
    assert "analytical" in agents.PLACERS


@pytest.mark.parametrize("design_name", sorted(BUDGETS))
def test_analytical__legal_and_complete(design_name, designs):
    design = designs[design_name]
    nl = design.netlist
    result = make_placer("analytical", device="cpu").place(
        design, np.random.default_rng(1), BUDGETS[design_name]
    )
    movable = (nl.node_kinds == int(NodeKind.HARD_MACRO)) & ~nl.node_fixed
    assert result.placement.placed[movable].all()
    assert check_legality(nl, result.placement).is_legal
    others = ~movable & design.placement.placed
    assert np.array_equal(result.placement.positions[others], design.placement.positions[others])
    assert result.stats.evaluations == BUDGETS[design_name].evaluations
    assert result.extra["device"] == "cpu"
    assert np.isfinite(result.extra["global_hpwl"])


def test_analytical__deterministic_on_cpu(designs):
    design = designs["n30"]
    runs = [
        make_placer("analytical", device="cpu").place(
            design, np.random.default_rng(7), Budget(evaluations=80)
        )
        for _ in range(2)
    ]
    assert runs[0].placement.same_as(runs[1].placement)
    other = make_placer("analytical", device="cpu").place(
        design, np.random.default_rng(8), Budget(evaluations=80)
    )
    assert not other.placement.same_as(runs[0].placement)


def test_analytical__beats_random_mean_on_n30(designs):
    design = designs["n30"]
    nl = design.netlist
    ours = make_placer("analytical", device="cpu").place(
        design, np.random.default_rng(0), Budget(evaluations=200)
    )
    randoms = [
        hpwl(
            nl, make_placer("random").place(design, np.random.default_rng(s), Budget(150)).placement
        )
        for s in range(4)
    ]
    assert hpwl(nl, ours.placement) < np.mean(randoms)


def test_analytical__time_budget_is_respected(designs):
    design = designs["n10"]
    result = make_placer("analytical", device="cpu").place(
        design, np.random.default_rng(0), Budget(seconds=0.5)
    )
    assert check_legality(design.netlist, result.placement).is_legal
    assert result.stats.seconds < 5.0


def test_wa_wirelength__tends_to_hpwl_as_gamma_shrinks(designs):
    design = designs["n30"]
    nl = design.netlist
    placement = make_placer("greedy").place(design, None, Budget(evaluations=1)).placement
    exact = hpwl(nl, placement)
    span = max(nl.canvas.width, nl.canvas.height)
    errors = [exact - wa_wirelength(nl, placement, g * span) for g in (0.05, 0.01, 1e-3, 1e-4)]
    # WA underestimates HPWL, and the gap shrinks with gamma.
    assert all(e >= -1e-6 * exact for e in errors)
    assert errors == sorted(errors, reverse=True)
    assert errors[-1] < 1e-3 * exact


def test_wa_wirelength__equals_hpwl_for_tiny_gamma():
    # With gamma a millionth of a micron WA equals HPWL to rounding on the shipped placement.
    design = netlists.load("ct_sample_clustered")
    nl = design.netlist
    placement = design.placement
    assert wa_wirelength(nl, placement, 1e-6) == pytest.approx(hpwl(nl, placement), rel=1e-9)


def test_legalize__overlapping_targets_become_legal(designs):
    design = designs["ami33"]
    problem = MacroProblem(design)
    centre = np.tile(problem.centre, (len(problem.local), 1))
    sub, method = legalize(problem, centre)
    assert check_legality(problem.sub, sub).is_legal
    assert sub.placed[problem.local].all()
    # The grid path alone, too.
    sub_grid, method_grid = legalize(problem, centre, exact_limit=0)
    assert method_grid.startswith("grid=")
    assert check_legality(problem.sub, sub_grid).is_legal


def test_legalize__bad_targets_shape_is_an_error(designs):
    problem = MacroProblem(designs["n10"])
    with pytest.raises(PlacerError, match="targets"):
        legalize(problem, np.zeros((3, 2)))


def test_analytical__cuda_without_gpu_is_an_error(designs):
    if agents.analytical.torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(PlacerError, match="CUDA"):
        make_placer("analytical", device="cuda").place(
            designs["n10"], np.random.default_rng(0), Budget(evaluations=5)
        )
