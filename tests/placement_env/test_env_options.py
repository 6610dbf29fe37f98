"""The env's options agree with each other: snap's wire mask is measured where the reward is paid,
one default schedule, a flag when the look-ahead gives up, ports=False only where it means
something, and a dead-end penalty in the same units on every design."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import placement_env  # noqa: F401  (registers the ids)
from netlists import Netlist, NodeKind
from netlists.netlist import Net, Node, Pin
from netlists.types import Canvas
from placement_env.env import MacroPlacementEnv
from placement_env.incremental import hpwl_delta
from placement_env.rewards import DEFAULT_SCHEDULE, ChipReward, make_reward
from placement_env.wirelength import hpwl


def test_snap__wire_mask_is_measured_where_the_reward_is_paid():
    env = gym.make("placement_env/TPUv1-v0", reward="hpwl", grid=16, snap=True).unwrapped
    obs, _ = env.reset(seed=0)
    rng = np.random.default_rng(0)
    moved_cells = 0
    while True:
        decoder = env.decoder
        wire = decoder.wire_increase
        low, high = wire.min(), wire.max()
        expected = (wire - low) / (high - low) if high > low else np.zeros_like(wire)
        np.testing.assert_allclose(obs["wire_mask"], expected, atol=1e-6)
        xs, ys = env.grid.cell_centres()
        for cell in np.flatnonzero(decoder.legal):
            row, col = divmod(int(cell), env.grid.cols)
            target = decoder.target(cell)
            moved_cells += bool(target[0] != xs[col] or target[1] != ys[row])
            exact = hpwl_delta(env.problem.sub, decoder.placement, [decoder.node], target[None])
            assert wire.flat[cell] == pytest.approx(exact, rel=1e-9, abs=1e-6)
        cell = int(rng.choice(np.flatnonzero(env.action_masks())))
        before = hpwl(env.problem.sub, decoder.placement)
        obs, reward, done, _, info = env.step(cell)
        if done:
            break
        after = hpwl(env.problem.sub, env.sub_placement)
        assert reward == pytest.approx(-(after - before) / env.hpwl_scale, rel=1e-9, abs=1e-12)
    assert moved_cells > 0  # the test exercised snapped centres off the cell centres


def test_schedule__one_default_in_env_and_agents_and_hpwl_refuses_sparse():
    from agents.ppo_run import TrainingRun
    from agents.rl_env import EnvOptions

    env = gym.make("placement_env/TPUv1-v0", grid=16, snap=True).unwrapped
    assert DEFAULT_SCHEDULE == "dense"
    assert env.reward_schedule == DEFAULT_SCHEDULE
    assert make_reward("proxy").schedule == ChipReward().schedule == DEFAULT_SCHEDULE
    assert EnvOptions("n10").reward_schedule == TrainingRun().reward_schedule == DEFAULT_SCHEDULE
    with pytest.raises(ValueError, match="always dense"):
        MacroPlacementEnv(netlist="n10", grid=16, reward="hpwl", reward_schedule="sparse")
    with pytest.raises(ValueError, match="set the schedule on the reward object"):
        MacroPlacementEnv(netlist=env.design, reward=ChipReward(), reward_schedule="sparse")


def _two_big_macros() -> Netlist:
    """A 100 x 100 die and two 60 x 60 macros joined by a net: only one of them ever fits."""
    nodes = [Node("a", NodeKind.HARD_MACRO, 60.0, 60.0), Node("b", NodeKind.HARD_MACRO, 60.0, 60.0)]
    nets = [Net("ab", (Pin("a"), Pin("b")))]
    return Netlist.from_records("two_big", Canvas(100.0, 100.0), nodes, nets)


def test_lookahead__says_when_it_gives_up():
    env = MacroPlacementEnv(netlist=_two_big_macros(), grid=10, lookahead=True)
    _, info = env.reset(seed=0)
    # No cell of the first macro leaves room for the second: every legal cell stays allowed.
    assert info["lookahead_relaxed"] is True
    assert env.action_masks().any()
    _, _, terminated, _, info = env.step(int(np.flatnonzero(env.action_masks())[0]))
    assert terminated and info["dead_end"]

    roomy = MacroPlacementEnv(netlist="n10", grid=16, lookahead=True)
    _, info = roomy.reset(seed=0)
    assert info["lookahead_relaxed"] is False


@pytest.mark.parametrize("reward", ["proxy", "chip"])
def test_ports_false__refused_by_costs_that_score_the_whole_design(reward):
    import accel

    design = "ct_sample_clustered" if reward == "proxy" else accel.build_chip(accel.TPU_V1)
    with pytest.raises(ValueError, match="ports=False applies to the 'hpwl' cost only"):
        MacroPlacementEnv(netlist=design, grid=32, reward=reward, ports=False)


@pytest.mark.parametrize("design", ["n10", "ibm01"])
def test_dead_end_penalty__in_units_of_the_centre_pile_cost(design):
    env = MacroPlacementEnv(netlist=design, grid=16, dead_end_penalty=2.0)
    env.reset(seed=0)
    illegal = np.flatnonzero(~env.action_masks())
    assert len(illegal)
    _, _, terminated, _, info = env.step(int(illegal[0]))
    assert terminated and info["unplaced_area_fraction"] == 1.0
    # Golden: the full netlist's env-context HPWL with every macro piled at the die centre.
    nl = env.netlist
    context = env.placement  # nothing placed yet: ports and fixed blocks only
    centre = np.array(nl.canvas.centre)
    pile = context.with_positions(env.macros, np.tile(centre, (len(env.macros), 1)))
    unit = hpwl(nl, pile) / env.hpwl_scale
    assert env.penalty_unit == pytest.approx(unit, rel=1e-12)
    assert info["penalty"] == pytest.approx(2.0 * unit, rel=1e-12)


def test_placement_cost__leaves_the_episode_alone():
    from agents import make_placer
    from agents.rl_env import placement_cost

    env = MacroPlacementEnv(netlist="n10", grid=16)
    env.reset(seed=0)
    env.step(int(np.flatnonzero(env.action_masks())[0]))
    before, masks = env.placement, env.action_masks()
    other = make_placer("greedy").place(env.design, np.random.default_rng(0), None).placement
    cost = placement_cost(env, other)
    assert cost > 0
    np.testing.assert_array_equal(env.placement.positions, before.positions)
    np.testing.assert_array_equal(env.placement.placed, before.placed)
    np.testing.assert_array_equal(env.action_masks(), masks)
    assert env.decoder.step == 1


@pytest.mark.parametrize("grid", [2.5, "16", True, (16, 2.0), (16,), (16, 16, 16), None])
@pytest.mark.parametrize(
    "env_id", ["placement_env/MacroPlacement-v0", "placement_env/MacroRefine-v0"]
)
def test_grid__anything_but_an_int_or_a_pair_of_ints_is_refused(env_id, grid):
    with pytest.raises(ValueError, match="grid must be"):
        gym.make(env_id, netlist="n10", grid=grid)


@pytest.mark.parametrize("grid", [16, (8, 12), np.array([8, 12]), (np.int64(8), 12)])
def test_grid__ints_and_pairs_of_ints_are_taken(grid):
    env = gym.make("placement_env/MacroPlacement-v0", netlist="n10", grid=grid).unwrapped
    expected = (grid, grid) if isinstance(grid, int) else tuple(int(v) for v in grid)
    assert (env.grid.rows, env.grid.cols) == expected


@pytest.mark.parametrize("max_edges", [0, -3, 2.5, True])
def test_max_edges__must_be_a_positive_int(max_edges):
    with pytest.raises(ValueError, match="max_edges must be"):
        gym.make("placement_env/MacroPlacement-v0", netlist="n10", grid=16, max_edges=max_edges)


@pytest.mark.parametrize("action", [None, "a", 1.5, True, np.array([1, 2])])
@pytest.mark.parametrize(
    "env_id", ["placement_env/MacroPlacement-v0", "placement_env/MacroRefine-v0"]
)
def test_step__an_action_that_is_not_an_int_is_refused(env_id, action):
    env = gym.make(env_id, netlist="n10", grid=16).unwrapped
    env.reset(seed=0)
    with pytest.raises(ValueError, match="action must be an int in 0.."):
        env.step(action)
