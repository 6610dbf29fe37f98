"""The learned_annealing placer, its refine policy's priors, and refiner training."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import netlists
from agents import Budget, PlacerError, make_placer
from agents.learned_annealing import DEFAULT_PRIORS, load_refine_policy
from agents.refine_training import RefineRun, train_refiner
from placement_env.legality import check_legality
from placement_env.refine_env import MacroRefineEnv
from placement_env.wirelength import hpwl

torch.set_num_threads(1)
GRID = 32


def _place(design, seed=0, evaluations=300, **options):
    placer = make_placer("learned_annealing", grid=GRID, **options)
    return placer.place(design, np.random.default_rng(seed), Budget(evaluations=evaluations))


@pytest.mark.parametrize("proposals", ["policy", "uniform"])
def test_learned_annealing__legal_improves_on_its_start_and_is_deterministic(proposals):
    design = netlists.load("n30")
    first = _place(design, proposals=proposals)
    again = _place(design, proposals=proposals)
    assert check_legality(design.netlist, first.placement).is_legal
    assert first.placement.same_as(again.placement)
    notes = dict(n.split("=", 1) for n in first.stats.notes)
    assert float(notes["best_cost"]) < float(notes["start_cost"])
    assert first.stats.evaluations <= 300


def test_refine_policy__untrained_logits_are_its_priors():
    env = MacroRefineEnv("n30", grid=GRID)
    obs, _ = env.reset(seed=0)
    policy = load_refine_policy(None, env)
    cells = env.grid.num_cells

    def logits(o):
        with torch.no_grad():
            return policy.action_logits({k: torch.as_tensor(v[None]) for k, v in o.items()})[0]

    select = logits(obs).numpy()
    shares = obs["macro_features"][:, 5]
    np.testing.assert_allclose(select[cells:], DEFAULT_PRIORS["select_prior"] * shares, atol=1e-5)
    obs, *_ = env.step(cells + 3)
    place = logits(obs).numpy()
    np.testing.assert_allclose(
        place[:cells], -DEFAULT_PRIORS["wire_prior"] * obs["wire_mask"].ravel(), atol=1e-4
    )
    np.testing.assert_allclose(place[cells:], -DEFAULT_PRIORS["swap_prior"], atol=1e-6)


def test_learned_annealing__runs_a_trained_checkpoint_and_refuses_bad_ones(tmp_path):
    run = RefineRun(design="n30", grid=GRID, timesteps=512, n_envs=2, n_steps=64,
                    batch_size=64, progress=False, out=str(tmp_path / "refine"))  # fmt: skip
    summary = train_refiner(run)
    assert summary["timesteps"] >= 512 and summary["episodes"] >= 1
    model = tmp_path / "refine" / "model.zip"
    for name in ("model.zip", "curve.csv", "learning_curve.png", "summary.json"):
        assert (tmp_path / "refine" / name).stat().st_size > 0
    design = netlists.load("n30")
    result = _place(design, checkpoint=model, evaluations=60)
    assert check_legality(design.netlist, result.placement).is_legal
    other = netlists.load("n10")  # another number of macros: no weight depends on it
    result = _place(other, checkpoint=model, evaluations=40)
    assert check_legality(other.netlist, result.placement).is_legal
    with pytest.raises(PlacerError, match="grid"):
        make_placer("learned_annealing", grid=16, checkpoint=model).place(
            design, np.random.default_rng(0), Budget(evaluations=20)
        )
    (tmp_path / "junk.zip").write_bytes(b"not a model")
    with pytest.raises(PlacerError, match="cannot load"):
        _place(design, checkpoint=tmp_path / "junk.zip", evaluations=20)


def test_learned_annealing__refuses_unknown_proposals():
    with pytest.raises(PlacerError, match="unknown proposals"):
        make_placer("learned_annealing", proposals="smart")


def test_learned_annealing__result_hpwl_matches_its_reported_best():
    design = netlists.load("n30")
    result = _place(design, evaluations=100)
    env = MacroRefineEnv(design, grid=GRID)
    env.reset(options={"placement": result.placement})
    notes = dict(n.split("=", 1) for n in result.stats.notes)
    assert env.cost() == pytest.approx(float(notes["best_cost"]), rel=1e-5)
    assert hpwl(design.netlist, result.placement) > 0
