"""PPO learns: on a design with a known optimum, training makes the greedy rollout strictly
better than the untrained policy's, and brings it close to the optimum.

The design: three 8 x 8 macros A, B, C on a 40 x 40 die, a chain of nets P0 - A - B - C - P1
with the two ports in the middle of the left and right edges, on a 5 x 5 grid (one macro per
cell). The HPWL of the chain is at least the ports' distance, 40, and exactly 40 whenever the
three macros sit in the middle row in order from left to right: that is the optimum, which a
brute force over all legal cell triples confirms below.
"""

from __future__ import annotations

import itertools
import json
from functools import partial

import numpy as np
import pytest
import torch
from stable_baselines3.common.vec_env import DummyVecEnv

import netlists
from agents.ppo_training import FAST_TRAINING, PPOConfig, new_model
from agents.rl_env import EnvOptions, make_env, rollout
from placement_env.wirelength import hpwl

GRID = 5
OPTIMUM = 40.0

torch.set_num_threads(1)


def _chain_design(path):
    nodes = [{"name": n, "kind": "hard_macro", "width": 8, "height": 8} for n in "ABC"]
    nodes += [{"name": "P0", "kind": "port", "x": 0, "y": 20},
              {"name": "P1", "kind": "port", "x": 40, "y": 20}]  # fmt: skip
    chain = ["P0", "A", "B", "C", "P1"]
    nets = [
        {"name": f"{a}-{b}", "pins": [{"node": a}, {"node": b}], "driver": 0}
        for a, b in itertools.pairwise(chain)
    ]
    design = {"format": "placement-gym-design", "version": 1, "name": "chain3",
              "canvas": {"width": 40, "height": 40}, "nodes": nodes, "nets": nets}  # fmt: skip
    path.write_text(json.dumps(design))
    return netlists.load(path)


def _brute_force_optimum(design) -> float:
    """The least HPWL over every triple of distinct cells for A, B, C (cell centres)."""
    netlist = design.netlist
    centres = [(4.0 + 8 * c, 4.0 + 8 * r) for r in range(GRID) for c in range(GRID)]
    macros = [netlist.index_of(n) for n in "ABC"]
    best = np.inf
    for cells in itertools.permutations(range(len(centres)), 3):
        xy = np.array([centres[c] for c in cells])
        best = min(best, hpwl(netlist, design.placement.with_positions(macros, xy)))
    return float(best)


def _greedy_hpwl(model, env) -> float:
    episode = rollout(model.policy, env)
    assert episode.complete
    return float(hpwl(env.unwrapped.netlist, episode.placement))


@pytest.mark.parametrize("seed", [0, 1])
def test_ppo__training_beats_the_untrained_policy_and_nears_the_optimum(tmp_path, seed):
    design = _chain_design(tmp_path / "chain3.json")
    assert _brute_force_optimum(design) == pytest.approx(OPTIMUM)
    options = EnvOptions(design, "hpwl", GRID, graph=True)
    env = make_env(options)
    vec = DummyVecEnv([partial(make_env, options)])
    config = PPOConfig(**{**FAST_TRAINING, "batch_size": 64}, n_steps=192, learning_rate=3e-3)
    model = new_model(config, vec, seed)
    untrained = _greedy_hpwl(model, env)
    model.learn(6000)
    trained = _greedy_hpwl(model, env)
    assert trained < untrained
    assert trained <= 1.2 * OPTIMUM, (untrained, trained)
