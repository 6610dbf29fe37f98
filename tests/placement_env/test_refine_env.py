"""MacroRefineEnv: checkers, the return == start cost - end cost invariant, costs that match a
from-scratch recomputation, legality after every move, the masks against brute force, the action
encoding (select, cell, swap, stay), errors, determinism, start placements and an SB3 smoke run."""

from __future__ import annotations

import pickle
import warnings

import gymnasium as gym
import numpy as np
import pytest

import placement_env  # noqa: F401  (registers the ids)
from netlists import NodeKind
from placement_env.incremental import hpwl_delta
from placement_env.legality import check_legality
from placement_env.maps import density_map
from placement_env.proxy_cost import proxy_cost
from placement_env.refine_env import (
    REFINE_FEATURES,
    IllegalActionError,
    IllegalPlacementError,
    MacroRefineEnv,
)
from placement_env.rewards import hpwl_scale
from placement_env.wirelength import hpwl

ENV_ID = "placement_env/MacroRefine-v0"
PROXY_DESIGN = "ct_macro_tiles_10x10"  # 100 macros, a legal shipped placement and .plc settings


def scratch_cost(env: MacroRefineEnv) -> float:
    """The env's metric of env.placement(), recomputed from scratch."""
    placement = env.placement()
    if env.cost_name == "proxy":
        return proxy_cost(env.netlist, placement, env.design.plc).proxy
    return hpwl(env.netlist, placement) / hpwl_scale(env.netlist)


def is_legal(env: MacroRefineEnv) -> bool:
    placement = env.placement()
    report = check_legality(env.netlist, placement, allow_unplaced=True)
    return report.is_legal and bool(placement.placed[env.macros].all())


def random_action(env: MacroRefineEnv, rng: np.random.Generator) -> int:
    return int(rng.choice(np.flatnonzero(env.action_masks())))


def place_step(env: MacroRefineEnv, macro: int, action: int):
    """Selects ``macro`` (index into env.macros), then steps ``action`` in the place phase."""
    env.step(env.grid.num_cells + macro)
    return env.step(action)


def centres(env: MacroRefineEnv) -> np.ndarray:
    return env.placement().positions[env.macros].copy()


# -- conformance ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"netlist": "n10", "grid": 16, "moves": 3},
        {"netlist": PROXY_DESIGN, "grid": 16, "cost": "proxy", "moves": 3, "start": "shipped"},
    ],
)
def test_gymnasium_check_env__passes(kwargs):
    from gymnasium.utils.env_checker import check_env

    env = gym.make(ENV_ID, **kwargs)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env.unwrapped, skip_render_check=True)  # rendering: its own test below
    assert [str(w.message) for w in caught] == []


def test_sb3_check_env__passes_for_registered_id():
    from stable_baselines3.common.env_checker import check_env

    env = gym.make(ENV_ID, netlist="n30", grid=16, moves=4)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env, warn=True)
    # Expected: the (rows, cols) maps and the (n, 8) feature table are neither images nor 1-D.
    unexpected = [str(w.message) for w in caught if "unconventional shape" not in str(w.message)]
    assert unexpected == []


def test_gym_make__default_id_colon_form_and_kwargs():
    env = gym.make(ENV_ID)
    obs, info = env.reset(seed=0)
    assert env.observation_space.contains(obs) and info["phase"] == "select"
    other = gym.make("placement_env:MacroRefine-v0", netlist="n30", grid=(12, 16), moves=3)
    assert other.unwrapped.grid.rows == 12 and other.unwrapped.moves == 3
    ibm = gym.make(ENV_ID, netlist="ICCAD04-ibm01", grid=64, cost="hpwl", moves=2, start="random")
    ibm.reset(seed=1)
    assert len(ibm.unwrapped.macros) == 246
    assert ibm.action_space.n == 64 * 64 + 246


def test_action_masks__safe_before_reset_and_match_the_observation():
    env = MacroRefineEnv(netlist="n10", grid=16, moves=2)
    cells, n = 16 * 16, len(env.macros)
    mask = env.action_masks()
    assert mask.dtype == np.bool_ and mask.shape == (cells + n,)
    assert not mask[:cells].any() and mask[cells:].all()
    obs, _ = env.reset(seed=0)
    assert obs["progress"][0] == 0 and not obs["position_mask"].any()
    obs, *_ = env.step(cells + 2)
    mask = env.action_masks()
    np.testing.assert_array_equal(obs["position_mask"].reshape(-1) > 0, mask[:cells])
    assert mask[cells + 2] and obs["progress"][0] == 1  # "stay" is always legal
    assert obs["macro_features"][:, REFINE_FEATURES.index("chosen")].tolist() == [
        float(j == 2) for j in range(n)
    ]


# -- the invariant, the costs, legality ----------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"netlist": "n10", "grid": 32, "moves": 12},
        {"netlist": "ami33", "grid": 32, "moves": 12, "ports": False},
        {"netlist": PROXY_DESIGN, "grid": 24, "cost": "proxy", "moves": 12, "start": "shipped"},
    ],
)
def test_masked_random_episode__return_is_start_minus_end_cost_and_costs_match_scratch(kwargs):
    env = MacroRefineEnv(**kwargs)
    rng = np.random.default_rng(0)
    _, info = env.reset(seed=0)
    assert info["cost"] == pytest.approx(scratch_cost(env), rel=1e-12)
    total, steps, done = 0.0, 0, False
    while not done:
        select = info["phase"] == "select"
        _, reward, done, truncated, info = env.step(random_action(env, rng))
        total += reward
        steps += 1
        assert not truncated
        if select:
            assert reward == 0.0 and info["phase"] == "place"
        else:
            assert is_legal(env)
            assert info["cost"] == pytest.approx(scratch_cost(env), rel=1e-9, abs=1e-12)
    assert steps == 2 * env.moves and info["phase"] == "done"
    assert np.isclose(total, info["start_cost"] - info["cost"], rtol=1e-9, atol=1e-12)
    assert info["cost"] == env.cost()
    assert info["placement"].same_as(env.placement())


def test_hpwl_cost__each_move_pays_minus_hpwl_delta_over_the_scale():
    env = MacroRefineEnv(netlist="ami33", grid=32, moves=10)
    env.reset(seed=3)
    rng = np.random.default_rng(3)
    sub, scale = env.problem.sub, hpwl_scale(env.netlist)
    for _ in range(env.moves):
        env.step(random_action(env, rng))
        before = env.problem.to_sub(env.placement())
        old = centres(env)
        _, reward, *_ = env.step(random_action(env, rng))
        moved = np.flatnonzero((centres(env) != old).any(axis=1))
        positions = centres(env)[moved]
        expected = hpwl_delta(sub, before, env.problem.local[moved], positions) if len(moved) else 0
        assert reward == pytest.approx(-expected / scale, rel=1e-9, abs=1e-15)


def test_wire_mask__ranks_cells_by_the_hpwl_reward():
    env = MacroRefineEnv(netlist="n10", grid=16, moves=1)
    env.reset(seed=0)
    obs, *_ = env.step(env.grid.num_cells + 4)
    sub, node = env.problem.sub, int(env.problem.local[4])
    start = env.problem.to_sub(env.placement())
    xs, ys = env.grid.cell_centres()
    deltas = np.array(
        [[hpwl_delta(sub, start, [node], np.array([[x, y]])) for x in xs] for y in ys]
    )
    wire = obs["wire_mask"].astype(np.float64)
    # The normalised mask is an increasing affine map of the move's HPWL change.
    span = deltas.max() - deltas.min()
    np.testing.assert_allclose(wire, (deltas - deltas.min()) / span, atol=1e-6)


def test_density__matches_a_recomputed_map_after_moves():
    env = MacroRefineEnv(netlist="n30", grid=16, moves=8)
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    done = False
    while not done:
        obs, _, done, _, _ = env.step(random_action(env, rng))
    expected = np.clip(
        density_map(env.netlist, env.placement(), env.grid, kinds=(NodeKind.HARD_MACRO,)), 0, 1
    )
    np.testing.assert_allclose(obs["density"], expected, atol=1e-6)


# -- the masks against brute force ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("design", "grid", "moves"),
    [("ami33", 24, 6), ("n30", 24, 6), ("ibm01", 64, 2)],  # ibm01: one macro 8x the median
)
def test_place_masks__match_brute_force_legality(design, grid, moves):
    env = MacroRefineEnv(netlist=design, grid=grid, moves=moves)
    env.reset(seed=1)
    cells, n = env.grid.num_cells, len(env.macros)
    xs, ys = env.grid.cell_centres()
    rng = np.random.default_rng(1)
    for _ in range(env.moves):
        j = int(rng.integers(n))
        env.step(cells + j)
        mask, full = env.action_masks(), env.placement()
        for k in range(n):  # swaps, every one
            swapped = full.with_positions(env.macros[[j, k]], full.positions[env.macros[[k, j]]])
            legal = check_legality(env.netlist, swapped, allow_unplaced=True).is_legal
            assert mask[cells + k] == legal, (j, k)
        for c in rng.choice(cells, size=40, replace=False):  # cell moves, a sample
            row, col = divmod(int(c), env.grid.cols)
            moved = full.with_positions([env.macros[j]], np.array([[xs[col], ys[row]]]))
            legal = check_legality(env.netlist, moved, allow_unplaced=True).is_legal
            assert mask[c] == legal, (j, int(c))
        env.step(random_action(env, rng))


# -- the action encoding -------------------------------------------------------------------------


def test_stay__leaves_the_placement_unchanged_and_pays_zero():
    env = MacroRefineEnv(netlist="n10", grid=16, moves=2)
    env.reset(seed=0)
    before = env.placement()
    _, reward, _, _, info = place_step(env, 3, env.grid.num_cells + 3)
    assert reward == 0.0 and info["move"] == "stay" and env.placement().same_as(before)
    assert info["moves_done"] == 1


def test_swap__exchanges_the_two_centres():
    env = MacroRefineEnv(netlist=PROXY_DESIGN, grid=16, cost="proxy", start="shipped", moves=2)
    env.reset(seed=0)
    cells = env.grid.num_cells
    env.step(cells + 0)
    k = int(np.flatnonzero(env.action_masks()[cells + 1 :])[0]) + 1  # equal tiles: all legal
    old = centres(env)
    _, reward, _, _, info = env.step(cells + k)
    new = centres(env)
    assert info["move"] == "swap"
    np.testing.assert_array_equal(new[0], old[k])
    np.testing.assert_array_equal(new[k], old[0])
    others = np.setdiff1d(np.arange(len(env.macros)), [0, k])
    np.testing.assert_array_equal(new[others], old[others])
    assert reward == pytest.approx(info["start_cost"] - info["cost"])


def test_cell_move__puts_the_macro_centre_on_the_cell_centre():
    env = MacroRefineEnv(netlist="n10", grid=16, moves=1)
    env.reset(seed=0)
    env.step(env.grid.num_cells + 1)
    cell = int(np.flatnonzero(env.action_masks()[: env.grid.num_cells])[0])
    _, _, done, _, info = env.step(cell)
    xs, ys = env.grid.cell_centres()
    row, col = divmod(cell, env.grid.cols)
    np.testing.assert_array_equal(centres(env)[1], [xs[col], ys[row]])
    assert done and info["move"] == "cell" and info["placement"].same_as(env.placement())


def test_illegal_actions__raise_naming_action_and_phase_and_change_nothing():
    env = MacroRefineEnv(netlist="n30", grid=16, moves=2)
    env.reset(seed=0)
    cells, n = env.grid.num_cells, len(env.macros)
    before = env.placement()
    with pytest.raises(IllegalActionError, match=r"action 0 .*select phase"):
        env.step(0)
    with pytest.raises(ValueError, match=rf"action {cells + n} .*select phase"):
        env.step(cells + n)
    env.step(cells)
    blocked = np.flatnonzero(~env.action_masks())
    assert len(blocked), "a dense design has cells the largest macro cannot take"
    with pytest.raises(IllegalActionError, match=rf"action {blocked[0]} .*place phase"):
        env.step(int(blocked[0]))
    with pytest.raises(IllegalActionError, match="place phase"):
        env.step(-1)
    assert env.placement().same_as(before)
    _, reward, *_ = env.step(cells)  # still in the place phase: "stay" works
    assert reward == 0.0


def test_action_space_sample__always_steps_a_legal_action_even_across_resets():
    env = MacroRefineEnv(netlist="n30", grid=16, moves=3)
    env.action_space.seed(0)
    env.reset(seed=0)
    for i in range(40):
        action = env.action_space.sample()
        if i % 7 == 0:
            env.reset(seed=i)
        _, _, done, _, _ = env.step(action)
        if done:
            env.reset()
    plain = pickle.loads(pickle.dumps(env.action_space))
    assert plain == env.action_space and plain._legal is None
    copy = pickle.loads(pickle.dumps(env))
    assert copy.action_space._legal is not None
    copy.step(copy.action_space.sample())


def test_step_before_reset_or_after_the_end__runtime_error():
    env = MacroRefineEnv(netlist="n10", grid=16, moves=1)
    with pytest.raises(RuntimeError, match="reset"):
        env.step(env.grid.num_cells)
    env.reset(seed=0)
    place_step(env, 0, env.grid.num_cells)
    assert env.action_masks().all()
    with pytest.raises(RuntimeError, match="ended"):
        env.step(0)


# -- determinism and starts ----------------------------------------------------------------------


def test_same_seed__identical_random_starts_and_episodes():
    def episode(seed: int) -> tuple[list[float], np.ndarray]:
        env = MacroRefineEnv(netlist="n30", grid=16, moves=6)
        env.reset(seed=seed)
        rng = np.random.default_rng(seed)
        rewards = [env.step(random_action(env, rng))[1] for _ in range(2 * env.moves)]
        return rewards, centres(env)

    first, second, other = episode(5), episode(5), episode(6)
    assert first[0] == second[0]
    np.testing.assert_array_equal(first[1], second[1])
    assert not np.array_equal(first[1], other[1])


def test_reset_with_a_placement_option__starts_there_and_rejects_illegal_ones():
    env = MacroRefineEnv(netlist="n10", grid=16, moves=2)
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    for _ in range(2 * env.moves):
        *_, info = env.step(random_action(env, rng))
    final = info["placement"]
    _, info = env.reset(seed=9, options={"placement": final})
    assert env.placement().same_as(final)
    assert info["start_cost"] == pytest.approx(env.cost()) and info["cost"] == env.cost()
    a, b = env.macros[:2]
    overlapping = final.with_positions([b], final.positions[[a]])
    with pytest.raises(IllegalPlacementError, match="overlapping"):
        env.reset(options={"placement": overlapping})
    off_die = final.with_positions([a], np.array([[-1e4, 0.0]]))
    with pytest.raises(ValueError, match="off the"):
        env.reset(options={"placement": off_die})
    with pytest.raises(IllegalPlacementError, match="unplaced"):
        env.reset(options={"placement": env.design.placement})
    with pytest.raises(ValueError, match="unknown reset options"):
        env.reset(options={"placment": final})


def test_shipped_start__uses_the_design_placement_or_refuses_an_illegal_one():
    env = MacroRefineEnv(netlist=PROXY_DESIGN, grid=16, cost="proxy", start="shipped", moves=1)
    env.reset(seed=0)
    np.testing.assert_array_equal(centres(env), env.design.placement.positions[env.macros])
    assert env.cost() == pytest.approx(scratch_cost(env), rel=1e-12)
    with pytest.raises(IllegalPlacementError, match="start='random'"):
        MacroRefineEnv(netlist="n10", start="shipped")  # MCNC designs ship unplaced


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"cost": "wirelength"}, "unknown cost"),
        ({"start": "greedy"}, "unknown start"),
        ({"moves": 0}, "moves must be"),
        ({"moves": 1.5}, "moves must be"),
        ({"cost": "proxy"}, ".plc"),
        ({"render_mode": "ansi"}, "render_mode"),
        ({"netlist": PROXY_DESIGN, "cost": "proxy", "ports": False}, "ports=False"),
        ({"grid": (4, 4, 4)}, "grid"),
    ],
)
def test_bad_arguments__raise_value_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MacroRefineEnv(**{"netlist": "n10", **kwargs})


def test_rgb_array_render__uint8_picture_in_both_phases():
    env = MacroRefineEnv(netlist="n10", grid=16, moves=1, render_mode="rgb_array")
    env.reset(seed=0)
    first = env.render()
    env.step(env.grid.num_cells)
    second = env.render()
    assert first.dtype == np.uint8 and first.ndim == 3 and not np.array_equal(first, second)


# -- training smoke test -------------------------------------------------------------------------


def test_maskable_ppo__learns_64_steps():
    import torch
    from sb3_contrib import MaskablePPO

    torch.set_num_threads(1)
    env = gym.make(ENV_ID, netlist="n10", grid=8, moves=4)
    model = MaskablePPO("MultiInputPolicy", env, n_steps=32, batch_size=32, n_epochs=1, seed=0)
    model.learn(64)
    assert model.num_timesteps == 64


def test_undo__takes_cell_moves_and_swaps_back_exactly():
    env = MacroRefineEnv(netlist="n30", grid=16, moves=50)
    env.reset(seed=3)
    rng = np.random.default_rng(0)
    cells = env.grid.num_cells
    undone = 0
    for _ in range(40):
        before_cost, before = env.cost(), env.placement()
        j = int(rng.integers(len(env.macros)))
        env.step(cells + j)
        legal = np.flatnonzero(env.action_masks())
        moves = legal[legal != cells + j]  # not "stay"
        if not len(moves):
            env.step(cells + j)
            continue
        _, reward, *_ = env.step(int(rng.choice(moves)))
        if rng.random() < 0.5:
            after = env.undo()
            undone += 1
            assert after == pytest.approx(before_cost, rel=1e-12, abs=1e-15)
            assert env.placement().same_as(before)
            assert env.action_masks()[cells:].all()  # back in the select phase
            with pytest.raises(RuntimeError, match="no move to undo"):
                env.undo()
        else:
            assert env.cost() == pytest.approx(before_cost - reward, rel=1e-12)
    assert undone > 5
    assert env.cost() == pytest.approx(env._cost.exact(env.placement()), rel=1e-9)
