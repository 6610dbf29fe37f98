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


def _mixed_batch():
    """A batch of observations of two designs (padded to one space), several steps deep."""
    options = [EnvOptions(d, "hpwl", 32, graph=True) for d in ("n10", "n30")]
    setup = build_vec_env(options, 4, seed=0, in_process=True)
    obs = setup.env.reset()
    rng = np.random.default_rng(0)
    for _ in range(3):
        masks = np.stack(setup.env.env_method("action_masks"))
        actions = [rng.choice(np.flatnonzero(m)) for m in masks]
        obs, *_ = setup.env.step(np.array(actions))
    return setup, {k: torch.as_tensor(v) for k, v in obs.items()}


def test_static_graph_encoder__grouped_batch_equals_one_observation_at_a_time():
    setup, batch = _mixed_batch()
    config = PPOConfig(policy="gnn", head="coarse", n_steps=8, batch_size=8)
    graph = new_model(config, setup.env, 0).policy.features_extractor.graph
    assert graph.__class__.__name__ == "StaticGraphEncoder"
    grouped = graph(batch)
    alone = torch.cat([graph({k: v[i : i + 1] for k, v in batch.items()}) for i in range(4)])
    torch.testing.assert_close(grouped, alone, rtol=1e-5, atol=1e-6)
    # The golden per-observation embeddings: envs 0 and 2 hold n10, 1 and 3 n30.
    emb = graph.embeddings(batch)
    torch.testing.assert_close(emb[0], emb[2])
    assert not torch.allclose(emb[0], emb[1])
    hidden = emb.shape[-1]
    mask = batch["macro_mask"]
    mean = emb.sum(1) / mask.sum(1, keepdim=True)
    torch.testing.assert_close(grouped[:, :hidden], mean, rtol=1e-5, atol=1e-6)


def test_static_graph_encoder__cache_follows_weight_updates():
    setup, batch = _mixed_batch()
    config = PPOConfig(policy="gnn", head="coarse", n_steps=8, batch_size=8)
    graph = new_model(config, setup.env, 0).policy.features_extractor.graph
    with torch.no_grad():
        first = graph(batch)
        again = graph(batch)  # served from the cache
        torch.testing.assert_close(first, again, rtol=0, atol=0)
        graph.embed[0].weight.add_(0.5)  # an in-place update, like an optimizer step
        changed = graph(batch)
    assert not torch.allclose(first, changed)
    torch.testing.assert_close(changed, graph(batch))  # with grad: recomputed, same values
