"""GlobalRouting-v0: the Gymnasium contract, masks, rewards that add up to the final cost,
fallbacks, determinism and vector envs."""

from __future__ import annotations

import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import placement_env  # noqa: F401  (registers the ids)
from placement_env.routing.astar import route_sequential, two_pin_connections
from placement_env.routing.env import MOVES, GlobalRoutingEnv
from placement_env.routing.metrics import evaluate_routes, path_vias
from placement_env.routing.problem import RoutingProblem
from placement_env.routing.synthetic import SyntheticConfig, generate

SMALL = SyntheticConfig(grid=5, num_nets=6, max_pins=4, capacity=2, reduced_edges=3)


def masked_random(env, rng):
    return int(rng.choice(np.flatnonzero(env.action_masks())))


def greedy(env, rng):
    """A legal move towards the target when there is one (else any legal move)."""
    mask = env.action_masks()
    (hx, hy), (tx, ty) = env._head, env._target
    closer = [
        a
        for a, (dx, dy) in enumerate(MOVES)
        if mask[a] and abs(tx - hx - dx) + abs(ty - hy - dy) < abs(tx - hx) + abs(ty - hy)
    ]
    return closer[0] if closer else masked_random(env, rng)


def run(env, policy, seed=0, options=None):
    rng = np.random.default_rng(seed)
    obs, info = env.reset(seed=seed, options=options)
    rewards, done = [], False
    while not done:
        mask = env.action_masks()
        assert mask.any()
        obs, reward, done, truncated, info = env.step(policy(env, rng))
        assert not truncated
        assert env.observation_space.contains(obs)
        rewards.append(reward)
    return rewards, info


@pytest.mark.parametrize("env_id", ["placement_env/GlobalRouting-v0", "GlobalRouting-v0"])
@pytest.mark.parametrize("render_mode", [None, "ansi", "rgb_array"])
def test_gymnasium_env_checker_passes(env_id, render_mode):
    env = gym.make(env_id, generator=SMALL, render_mode=render_mode)
    check_env(env.unwrapped)


def test_sb3_env_checker_passes():
    from stable_baselines3.common.env_checker import check_env as sb3_check_env

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*unconventional shape.*")
        sb3_check_env(GlobalRoutingEnv(generator=SMALL))
        sb3_check_env(GlobalRoutingEnv(problem=generate(SMALL, 3)))


def test_same_seed_gives_the_same_episode():
    a = run(GlobalRoutingEnv(generator=SMALL), masked_random, seed=7)
    b = run(GlobalRoutingEnv(generator=SMALL), masked_random, seed=7)
    assert a[0] == b[0] and a[1] == b[1]
    env = GlobalRoutingEnv(generator=SMALL)
    first = env.reset(seed=1)[0]
    second = env.reset()[0]
    assert env.reset(seed=1)[0].keys() == first.keys()
    assert not all(np.array_equal(first[k], second[k]) for k in first)  # a new problem


@pytest.mark.parametrize("seed", range(5))
def test_return_is_minus_the_final_cost_plus_bonuses(seed):
    env = GlobalRoutingEnv(generator=SMALL, step_limit_factor=50, connect_bonus=2.0)
    rewards, info = run(env, greedy, seed=seed)
    metrics = evaluate_routes(env.problem, env.routes())
    assert info["fallbacks"] == 0 and info["illegal_actions"] == 0
    cost = metrics.wirelength + metrics.vias + 10.0 * metrics.total_overflow
    assert sum(rewards) == pytest.approx(-cost + 2.0 * info["connections"])
    for key, value in metrics.summary().items():
        assert info[key] == value


@pytest.mark.parametrize("seed", range(5))
def test_masks_forbid_leaving_the_grid_revisits_and_dead_ends(seed):
    env = GlobalRoutingEnv(generator=SMALL)
    rng = np.random.default_rng(seed)
    env.reset(seed=seed)
    done = False
    while not done:
        mask = env.action_masks()
        for a, (dx, dy) in enumerate(MOVES):
            x, y = env._head[0] + dx, env._head[1] + dy
            inside = 0 <= x < env.nx and 0 <= y < env.ny
            if not inside or (inside and env._on_path[x, y]):
                assert not mask[a]
        _, _, done, _, info = env.step(masked_random(env, rng))
    # Masked random walks never get stuck: they end on the target or at the step limit.
    assert info["illegal_actions"] == 0 and info["connected"]


def test_dead_end_is_masked():
    # 3 x 3 grid, source (1, 0), target (2, 2). After (1, 0) -> (1, 1) -> (0, 1) the corner
    # (0, 0) is walled off by the path: entering it could never reach the target.
    problem = RoutingProblem.two_layer(
        np.full((2, 3), 5), np.full((3, 2), 5), [("a", [[1, 0], [2, 2]])]
    )
    env = GlobalRoutingEnv(problem=problem)
    env.reset(seed=0)
    assert env._head == (1, 0) and env._target == (2, 2)
    for action in (2, 1):  # +y, -x
        env.step(action)
    assert env._head == (0, 1)
    assert env.action_masks().tolist() == [False, False, True, False]


def test_illegal_actions_are_no_ops_and_the_step_limit_falls_back_to_astar():
    env = GlobalRoutingEnv(generator=SMALL, step_limit_factor=1, step_limit_extra=0)
    obs, _ = env.reset(seed=3)
    steps, done, info = 0, False, {}
    while not done:
        mask = env.action_masks()
        illegal = np.flatnonzero(~mask)
        action = int(illegal[0]) if len(illegal) else int(np.flatnonzero(mask)[0])
        head = env._head
        obs, reward, done, _, info = env.step(action)
        if len(illegal) and not info["fallback"]:
            assert env._head == head and info["illegal_action"]
        steps += 1
    assert info["fallbacks"] > 0 and info["connected"]
    metrics = evaluate_routes(env.problem, env.routes())
    assert metrics.connected and info["wirelength"] == metrics.wirelength


def test_fixed_problem_and_problem_option():
    problem = generate(SMALL, 11)
    env = GlobalRoutingEnv(problem=problem)
    _, info = run(env, greedy)
    assert env.problem is problem
    generator_env = GlobalRoutingEnv(generator=SMALL)
    _, info2 = run(generator_env, greedy, options={"problem": problem})
    assert info == info2
    with pytest.raises(ValueError, match="observation space"):
        generator_env.reset(options={"problem": generate(SyntheticConfig(grid=6), 0)})
    with pytest.raises(ValueError, match="not both"):
        GlobalRoutingEnv(problem=problem, generator=SMALL)


def test_greedy_policy_matches_astar_wirelength_on_an_uncongested_problem():
    problem = generate(SyntheticConfig(grid=6, num_nets=4, capacity=10, reduced_edges=0), 2)
    _, info = run(GlobalRoutingEnv(problem=problem, step_limit_factor=50), greedy)
    astar = route_sequential(problem)
    assert info["total_overflow"] == 0 and info["solved"]
    # Both take Manhattan-shortest paths per connection, and a net's shared edges count once.
    ends = two_pin_connections(problem)
    lengths = int(np.abs(ends[:, 1:3] - ends[:, 3:5]).sum())
    assert info["wirelength"] <= lengths and astar.wirelength <= lengths
    assert sum(path_vias(p) for ps in astar.routes for p in ps) == astar.vias


def test_render_modes():
    env = GlobalRoutingEnv(generator=SMALL, render_mode="rgb_array")
    env.reset(seed=0)
    env.step(int(np.flatnonzero(env.action_masks())[0]))
    image = env.render()
    assert image.dtype == np.uint8 and image.shape == (5 * 24, 5 * 24, 3)
    text = GlobalRoutingEnv(generator=SMALL, render_mode="ansi")
    text.reset(seed=0)
    out = text.render()
    assert "H" in out and "T" in out and "connection 0/" in out
    with pytest.raises(ValueError, match="render_mode"):
        GlobalRoutingEnv(render_mode="human")


def test_action_masks_before_reset_and_after_the_end():
    env = GlobalRoutingEnv(generator=SMALL)
    assert env.action_masks().all()
    run(env, greedy)
    assert env.action_masks().all()
    with pytest.raises(RuntimeError, match="call reset"):
        env.step(0)  # a step after the end is a mistake, not a silent no-op


@pytest.mark.parametrize("action", [None, "a", 1.5, True, np.array([1, 2])])
def test_an_action_that_is_not_an_int_is_refused(action):
    env = GlobalRoutingEnv(generator=SMALL)
    env.reset(seed=0)
    with pytest.raises(ValueError, match="action must be an int in 0..3"):
        env.step(action)
    env.step(np.int64(0))  # numpy ints, as SB3 passes them, are fine


def test_dummy_vec_env_and_maskable_ppo_run():
    import torch
    from sb3_contrib import MaskablePPO
    from sb3_contrib.common.maskable.utils import get_action_masks
    from stable_baselines3.common.logger import Logger
    from stable_baselines3.common.vec_env import DummyVecEnv

    torch.set_num_threads(1)
    vec = DummyVecEnv([lambda: gym.make("placement_env/GlobalRouting-v0", generator=SMALL)] * 2)
    vec.seed(0)
    vec.reset()
    masks = get_action_masks(vec)
    assert masks.shape == (2, 4) and masks.any(axis=1).all()
    model = MaskablePPO(
        "MultiInputPolicy", vec, n_steps=32, batch_size=32, n_epochs=1, seed=0, device="cpu"
    )
    model.set_logger(Logger(folder=None, output_formats=[]))  # no SB3-* folder in the temp dir
    model.learn(64)
    obs = vec.reset()
    actions, _ = model.predict(obs, action_masks=get_action_masks(vec), deterministic=True)
    assert actions.shape == (2,)
