"""The coarse action head: per-cell logits from a 16 x 16 map plus elementwise full-resolution
terms; its prior is the wire mask and centre rule, and it trains with MaskablePPO."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from agents.ppo_training import PPOConfig, build_vec_env, new_model
from agents.rl_env import EnvOptions


def _model(**config):
    setup = build_vec_env([EnvOptions("n30", "hpwl", 64, graph=True)], 1, seed=0)
    return new_model(PPOConfig(policy="gnn", head="coarse", n_steps=64, **config), setup.env, 0)


def test_coarse_head__untrained_logits_are_exactly_the_priors():
    model = _model(wire_prior=5.0, centre_prior=2.0, channels=16, hidden=32)
    obs = model.env.reset()
    batch = {k: torch.as_tensor(v) for k, v in obs.items()}
    with torch.no_grad():
        logits = model.policy.cell_logits(batch)[0].numpy()
    head = model.policy.action_net
    want = -5.0 * obs["wire_mask"][0].ravel() - 2.0 * head.centre_distance.numpy().ravel()
    np.testing.assert_allclose(logits, want, atol=1e-5)


def test_coarse_head__trains_and_changes_its_logits():
    model = _model(channels=16, hidden=32, batch_size=32)
    before = {k: v.clone() for k, v in model.policy.state_dict().items()}
    model.learn(128)
    after = model.policy.state_dict()
    assert any(
        not torch.equal(before[k], after[k])
        for k in ("action_net.out.weight", "action_net.raw_weight")
    )


def test_coarse_head__refuses_unknown_head():
    from agents.ppo_training import TrainingError

    with pytest.raises(TrainingError, match="unknown head"):
        PPOConfig(head="tiny")
