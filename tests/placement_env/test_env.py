"""MacroPlacementEnv: Gymnasium/SB3 conformance, legal rollouts, the return == -cost invariant,
determinism, a design with a single legal layout, argument errors and vectorisation."""

from __future__ import annotations

import warnings

import gymnasium as gym
import numpy as np
import pytest
from shapely.geometry import box

import netlists
import placement_env  # noqa: F401  (registers the ids)
from netlists import Design, Netlist, NodeKind, Placement
from netlists.netlist import Net, Node, Pin
from netlists.types import Canvas
from placement_env.env import MacroPlacementEnv
from placement_env.legality import check_legality
from placement_env.rewards import ChipReward, ProxyReward
from placement_env.wirelength import hpwl

ENV_ID = "placement_env/MacroPlacement-v0"


def rollout(env: MacroPlacementEnv, seed: int) -> tuple[float, dict, int]:
    """Masked random episode: (return, final info, steps)."""
    rng = np.random.default_rng(seed)
    env.reset(seed=seed)
    total, steps, done, info = 0.0, 0, False, {}
    while not done:
        legal = np.flatnonzero(env.action_masks())
        assert len(legal), "a live state must have a legal cell"
        _, reward, terminated, truncated, info = env.step(int(rng.choice(legal)))
        total += reward
        steps += 1
        done = terminated or truncated
    return total, info, steps


def shapely_legal(netlist: netlists.Netlist, placement: Placement, tol: float = 1e-6) -> bool:
    """Independent oracle: placed hard macros inside the die and pairwise overlap-free."""
    canvas = netlist.canvas
    die = box(canvas.x_min, canvas.y_min, canvas.x_max, canvas.y_max)
    nodes = np.flatnonzero(placement.placed & (netlist.node_kinds == int(NodeKind.HARD_MACRO)))
    foot = placement.footprints(netlist, nodes)
    boxes = [
        box(x - w / 2, y - h / 2, x + w / 2, y + h / 2)
        for (x, y), (w, h) in zip(placement.positions[nodes], foot, strict=True)
    ]
    for i, a in enumerate(boxes):
        if a.difference(die).area > tol:
            return False
        for b in boxes[i + 1 :]:
            if a.intersection(b).area > tol:
                return False
    return True


# -- conformance ---------------------------------------------------------------------------------


@pytest.mark.parametrize("design", ["n10", "ct_sample_clustered"])
def test_gymnasium_check_env__passes(design):
    from gymnasium.utils.env_checker import check_env

    env = gym.make(ENV_ID, netlist=design, grid=32, render_mode="rgb_array")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env.unwrapped, skip_render_check=False)
    assert [str(w.message) for w in caught] == []


def test_sb3_check_env__passes_for_registered_id():
    from stable_baselines3.common.env_checker import check_env

    env = gym.make(ENV_ID, netlist="ami33", grid=32)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env, warn=True)
    # Expected: the (rows, cols) maps and the (n, 5) feature table are neither images nor 1-D.
    unexpected = [str(w.message) for w in caught if "unconventional shape" not in str(w.message)]
    assert unexpected == []


def test_action_masks__safe_before_reset_and_match_observation():
    env = MacroPlacementEnv(netlist="n10", grid=16)
    mask = env.action_masks()
    assert mask.dtype == np.bool_ and mask.shape == (16 * 16,) and mask.any()
    obs, _ = env.reset(seed=0)
    np.testing.assert_array_equal(obs["position_mask"].reshape(-1) > 0, mask)
    assert env.observation_space.contains(obs)


def test_module_colon_id__makes_the_env():
    env = gym.make("placement_env:MacroPlacement-v0", netlist="n10", grid=8)
    assert isinstance(env.unwrapped, MacroPlacementEnv)


# -- rollouts, legality, invariant ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("design", "grid"),
    [("n10", 32), ("n30", 32), ("ami33", 32), ("ct_sample_clustered", 32), ("ibm01", 32)],
)
def test_masked_random_rollout__legal_and_return_is_minus_cost(design, grid):
    env = MacroPlacementEnv(netlist=design, grid=grid)
    for seed in range(2):
        total, info, steps = rollout(env, seed)
        assert total == pytest.approx(-info["cost"], rel=1e-9, abs=1e-12)
        assert not info["invalid_action"]
        placement = env.placement
        report = check_legality(env.netlist, placement, allow_unplaced=info["dead_end"])
        assert report.n_overlapping_pairs == 0 and report.n_out_of_die == 0
        assert shapely_legal(env.netlist, placement)
        assert info["hpwl"] == pytest.approx(hpwl(env.netlist, placement), rel=1e-9)
        assert info["n_placed"] == steps if not info["dead_end"] else info["n_placed"] <= steps
        if not info["dead_end"]:
            assert steps == len(env.macros) and info["penalty"] == 0.0


def test_proxy_reward__sparse_and_return_is_minus_proxy():
    from placement_env.proxy_cost import proxy_cost

    design = netlists.load("ct_sample_clustered")
    env = MacroPlacementEnv(netlist=design, grid=32, reward="proxy", reward_schedule="sparse")
    rng = np.random.default_rng(0)
    env.reset(seed=0)
    rewards, done, info = [], False, {}
    while not done:
        action = int(rng.choice(np.flatnonzero(env.action_masks())))
        _, reward, done, _, info = env.step(action)
        rewards.append(reward)
    assert all(r == 0.0 for r in rewards[:-1])
    expected = proxy_cost(design.netlist, env.final_placement(), design.plc).proxy
    assert info["proxy"] == pytest.approx(expected)
    assert sum(rewards) == pytest.approx(-info["cost"])
    assert info["cost"] == pytest.approx(expected + info["penalty"])


def test_proxy_reward__dense_schedule_and_soft_macro_modes():
    from placement_env.proxy_cost import proxy_cost

    design = netlists.load("ct_sample_clustered")
    soft = np.flatnonzero(design.netlist.node_kinds == int(NodeKind.SOFT_MACRO))
    finals = {}
    for mode in ("force_directed", "as_shipped"):
        env = MacroPlacementEnv(
            netlist=design, grid=32, reward=ProxyReward(schedule="dense", soft_macros=mode)
        )
        rng = np.random.default_rng(0)
        env.reset(seed=0)
        rewards, done, info = [], False, {}
        while not done:
            _, reward, done, _, info = env.step(int(rng.choice(np.flatnonzero(env.action_masks()))))
            rewards.append(reward)
        assert any(r != 0.0 for r in rewards[:-1])  # shaped by the HPWL potential
        assert sum(rewards) == pytest.approx(-info["cost"], rel=1e-9, abs=1e-12)
        final = env.final_placement()
        assert info["proxy"] == pytest.approx(proxy_cost(design.netlist, final, design.plc).proxy)
        finals[mode] = final.positions[soft]
    np.testing.assert_array_equal(finals["as_shipped"], design.placement.positions[soft])
    assert not np.array_equal(finals["force_directed"], finals["as_shipped"])


def _tpu(utilisation=None):
    import accel

    return accel.build_chip(accel.TPU_V1, utilisation=utilisation)


def _wire_28nm():
    import accel

    return accel.technology("28nm").wire_model()


@pytest.mark.parametrize("schedule", ["sparse", "dense"])
@pytest.mark.parametrize("utilisation", [None, 0.5])
def test_chip_reward__return_is_minus_cost(schedule, utilisation):
    from placement_env.timing import analyse_timing

    env = MacroPlacementEnv(
        netlist=_tpu(utilisation),
        grid=64,
        reward=ChipReward(schedule=schedule, wire_model=_wire_28nm()),
    )
    for seed in range(3):
        rng = np.random.default_rng(seed)
        env.reset(seed=seed)
        rewards, done, info = [], False, {}
        while not done:
            _, reward, done, _, info = env.step(int(rng.choice(np.flatnonzero(env.action_masks()))))
            rewards.append(reward)
        if schedule == "sparse":
            assert all(r == 0.0 for r in rewards[:-1])
        assert sum(rewards) == pytest.approx(-info["cost"], rel=1e-9, abs=1e-12)
        assert info["cost"] == pytest.approx(info["chip"] + info["penalty"])
        w = env.reward
        parts = w.w_wl * info["chip_wirelength"] + w.w_wns * info["chip_wns"]
        assert info["chip"] == pytest.approx(parts + w.w_area * info["chip_area"])
        report = analyse_timing(env.netlist, env.final_placement(), _wire_28nm())
        assert info["chip_wns_ns"] == pytest.approx(report.wns_ns)
        assert info["chip_wns"] >= 0 and 0 <= info["chip_area"] <= 1 + 1e-9
        assert shapely_legal(env.netlist, env.placement)


def test_chip_reward__weights_change_the_cost():
    env = MacroPlacementEnv(netlist=_tpu(0.5), grid=32, reward=ChipReward(w_wl=0.0, w_area=0.0))
    _, info, _ = rollout(env, 0)
    assert info["chip"] == pytest.approx(info["chip_wns"])


def test_invalid_action__terminates_with_penalty_and_unchanged_placement():
    env = MacroPlacementEnv(netlist="n10", grid=16)
    env.reset(seed=0)
    first = int(np.flatnonzero(env.action_masks())[0])
    _, r1, *_ = env.step(first)
    before = env.placement
    illegal = np.flatnonzero(~env.action_masks())
    assert len(illegal)
    _, r2, terminated, truncated, info = env.step(int(illegal[0]))
    assert terminated and not truncated and info["invalid_action"]
    assert env.placement.same_as(before)
    assert 0 < info["penalty"] <= 1.0
    assert r1 + r2 == pytest.approx(-info["cost"])
    assert info["cost"] == pytest.approx(info["hpwl_cost"] + info["penalty"])
    assert env.action_masks().all()  # ended: anything goes for a next-step autoreset


def test_dead_end__terminates_with_penalty_for_unplaced_area():
    # Two 60x60 macros on a 100x100 canvas: after the first, the second never fits.
    nodes = [
        Node("a", NodeKind.HARD_MACRO, 60.0, 60.0),
        Node("b", NodeKind.HARD_MACRO, 60.0, 60.0),
    ]
    nets = [Net("n", (Pin("a"), Pin("b")))]
    netlist = netlists.Netlist.from_records("dead", Canvas(100.0, 100.0), nodes, nets)
    env = MacroPlacementEnv(netlist=netlist, grid=10)
    total, info, steps = rollout(env, 0)
    assert steps == 1 and info["dead_end"] and not info["invalid_action"]
    assert info["unplaced_area_fraction"] == pytest.approx(0.5)
    assert info["penalty"] == pytest.approx(0.5)
    assert total == pytest.approx(-info["cost"])


def test_grid_224__runs_and_density_covers_the_macro_area():
    env = MacroPlacementEnv(netlist="n10", grid=224)
    assert env.action_space.n == 224 * 224
    rng = np.random.default_rng(0)
    obs, _ = env.reset(seed=0)
    done = False
    while not done:
        obs, _, done, _, info = env.step(int(rng.choice(np.flatnonzero(env.action_masks()))))
    placed = env.macros[: info["n_placed"]]
    area = env.netlist.node_sizes[placed].prod(axis=1).sum()
    assert obs["density"].sum() * env.grid.cell_area == pytest.approx(area, rel=1e-5)
    assert obs["macro_features"][: info["n_placed"], 2].all()


def test_proxy_reward_on_ariane133__return_is_minus_cost():
    env = MacroPlacementEnv(netlist="ariane133_ng45", grid=32, reward="proxy")
    total, info, _ = rollout(env, 0)
    assert total == pytest.approx(-info["cost"])
    assert shapely_legal(env.netlist, env.placement)


# -- determinism -----------------------------------------------------------------------------------


def test_same_seed__lockstep_identical_episodes():
    a = gym.make(ENV_ID, netlist="ami33", grid=24)
    b = gym.make(ENV_ID, netlist="ami33", grid=24)
    obs_a, _ = a.reset(seed=3)
    obs_b, _ = b.reset(seed=3)
    rng = np.random.default_rng(3)
    done = False
    while not done:
        assert a.observation_space.contains(obs_a)
        for key in obs_a:
            np.testing.assert_array_equal(obs_a[key], obs_b[key])
        action = int(rng.choice(np.flatnonzero(a.unwrapped.action_masks())))
        obs_a, ra, done, _, info_a = a.step(action)
        obs_b, rb, done_b, _, info_b = b.step(action)
        assert ra == rb and done == done_b
    assert info_a == info_b


# -- a design with one legal layout ---------------------------------------------------------------


def _tiling_design() -> Design:
    names = ["m0", "m1", "m2", "m3"]
    nodes = [Node(n, NodeKind.HARD_MACRO, 50.0, 50.0) for n in names]
    nodes.append(Node("p", NodeKind.PORT, 0.0, 0.0, fixed=True))
    nets = [
        Net("a", (Pin("m0"), Pin("m1"), Pin("p"))),
        Net("b", (Pin("m2"), Pin("m3"))),
        Net("c", (Pin("m1"), Pin("m2"))),
    ]
    netlist = netlists.Netlist.from_records("tiles", Canvas(100.0, 100.0), nodes, nets)
    placement = Placement.empty(netlist).with_positions([4], [[0.0, 0.0]])
    return Design(netlist, placement)


def test_single_legal_layout__masked_random_actions_always_tile_the_canvas():
    env = MacroPlacementEnv(netlist=_tiling_design(), grid=2)
    for seed in range(20):
        total, info, steps = rollout(env, seed)
        assert steps == 4 and not info["dead_end"]
        centres = {tuple(p) for p in env.placement.positions[:4]}
        assert centres == {(25.0, 25.0), (25.0, 75.0), (75.0, 25.0), (75.0, 75.0)}
        assert check_legality(env.netlist, env.placement).is_legal
        assert total == pytest.approx(-info["cost"])


# -- arguments -----------------------------------------------------------------------------------


def test_unknown_design__raises_unknown_design_error():
    with pytest.raises(netlists.UnknownDesignError):
        MacroPlacementEnv(netlist="no_such_design_xyz")


def test_grid_too_coarse_for_largest_macro__raises_value_error():
    # A 90x90 macro on a 100x100 canvas needs a centre within [45, 55]: a 2x2 grid has none.
    nodes = [Node("big", NodeKind.HARD_MACRO, 90.0, 90.0)]
    netlist = netlists.Netlist.from_records("big", Canvas(100.0, 100.0), nodes, [])
    assert MacroPlacementEnv(netlist=netlist, grid=1).action_masks().all()
    with pytest.raises(ValueError, match="finer grid"):
        MacroPlacementEnv(netlist=netlist, grid=2)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"reward": "bogus"}, "unknown reward"),
        ({"order": "bogus"}, "unknown order"),
        ({"render_mode": "ansi"}, "unknown render_mode"),
        ({"reward": "proxy"}, r"\.plc"),
        ({"grid": (4, 4, 4)}, "grid"),
        ({"reward": "chip"}, "timing arcs"),
        ({"reward_schedule": "bogus"}, "unknown reward_schedule"),
        ({"reward": "hpwl", "reward_schedule": "sparse"}, "always dense"),
        ({"dead_end_penalty": -1.0}, "dead_end_penalty"),
        ({"snap": True, "lookahead": True}, "lookahead"),
    ],
)
def test_bad_arguments__raise_value_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MacroPlacementEnv(netlist="n10", **kwargs)


def test_import__registers_ids_without_torch():
    assert ENV_ID in gym.registry and "MacroPlacement-v0" in gym.registry


def test_ready_ids__registered_with_and_without_namespace():
    from placement_env.registration import ICCAD04_DESIGNS

    assert "ibm05" not in ICCAD04_DESIGNS and len(ICCAD04_DESIGNS) == 13
    for name in ["TPUv1-v0", "TPUv2-v0", "TPUv3-v0", *(f"ICCAD04-{d}-v0" for d in ICCAD04_DESIGNS)]:
        assert f"placement_env/{name}" in gym.registry and name in gym.registry


def test_tpu_v1_id__chip_reward_and_checkers_pass():
    from gymnasium.utils.env_checker import check_env
    from stable_baselines3.common.env_checker import check_env as sb3_check_env

    env = gym.make("placement_env/TPUv1-v0")
    assert env.unwrapped.reward_mode == "chip" and env.unwrapped.grid.rows == 128
    assert env.unwrapped.reward.wire_model.name == "accel_28nm"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env.unwrapped, skip_render_check=True)
        sb3_check_env(env, warn=True)
    unexpected = [str(w.message) for w in caught if "unconventional shape" not in str(w.message)]
    assert unexpected == []
    small = gym.make("placement_env:TPUv1-v0", grid=32, utilisation=0.5, reward_schedule="dense")
    total, info, _ = rollout(small.unwrapped, 0)
    assert total == pytest.approx(-info["cost"])


@pytest.mark.parametrize(("env_id", "macros"), [("TPUv2-v0", 12), ("TPUv3-v0", 14)])
def test_training_chip_ids__their_preset_and_16nm_wires(env_id, macros):
    import accel

    env = gym.make(f"placement_env/{env_id}", grid=16, reward="hpwl", snap=True).unwrapped
    preset = accel.preset(f"tpu_v{env_id[4]}")
    assert len(env.macros) == macros
    assert env.netlist.canvas == accel.build_chip(preset).netlist.canvas
    assert env.reward_mode == "hpwl"
    chip = gym.make(f"placement_env/{env_id}", grid=16, snap=True).unwrapped
    assert chip.reward.wire_model.name == "accel_16nm" and chip.reward_mode == "chip"
    total, info, _ = rollout(env, 0)
    assert info["n_placed"] == macros and total == pytest.approx(-info["cost"])


def test_iccad04_id__colon_form_makes_ibm01():
    env = gym.make("placement_env:ICCAD04-ibm01-v0", grid=32)
    assert env.unwrapped.netlist.name.lower().startswith("ibm01")
    assert len(env.unwrapped.macros) == 246


# -- rendering -----------------------------------------------------------------------------------


def test_rgb_array_render__uint8_picture():
    env = MacroPlacementEnv(netlist="n10", grid=16, render_mode="rgb_array")
    env.reset(seed=0)
    env.step(int(np.flatnonzero(env.action_masks())[0]))
    frame = env.render()
    assert frame.dtype == np.uint8 and frame.ndim == 3 and frame.shape[2] == 3
    assert (frame != 255).any()


# -- vectorisation ---------------------------------------------------------------------------------


def _info(infos, i: int, key: str):
    """``key`` of env ``i``'s info (None if absent): SB3 gives a list of dicts, gymnasium a dict
    of arrays with a ``_key`` presence mask."""
    if isinstance(infos, dict):
        present = infos.get(f"_{key}")
        return infos[key][i] if key in infos and (present is None or present[i]) else None
    return infos[i].get(key)


def _masked_steps(
    vec_env, masks_fn, n_steps: int, n_envs: int, *, next_step_autoreset: bool = False
) -> list[list[tuple[float, bool]]]:
    """Steps a freshly reset ``vec_env`` with random legal actions (env ``i`` draws from
    ``default_rng(i)``), checking every step; returns each env's ``(reward, done)`` per real
    step. ``next_step_autoreset``: gymnasium's vector envs, where the step after a done resets
    the env (ignoring the action) instead of stepping it; those steps are left out."""
    rngs = [np.random.default_rng(i) for i in range(n_envs)]
    resetting = np.zeros(n_envs, dtype=bool)  # gymnasium resets it at the next step
    steps: list[list[tuple[float, bool]]] = [[] for _ in range(n_envs)]
    placed = np.zeros(n_envs, dtype=int)  # macros placed in each env's current episode
    paid = np.zeros(n_envs)  # return of each env's current episode
    masks = np.asarray(masks_fn())
    for _ in range(n_steps):
        assert masks.dtype == np.bool_ and masks.shape[0] == n_envs
        actions = [
            0 if resetting[i] else rngs[i].choice(np.flatnonzero(masks[i])) for i in range(n_envs)
        ]
        result = vec_env.step(np.array(actions))
        if len(result) == 5:  # gymnasium
            obs, rewards, terminated, truncated, infos = result
            dones = np.logical_or(terminated, truncated)
        else:  # SB3
            obs, rewards, dones, infos = result
        masks = np.asarray(masks_fn())
        rows, cols = obs["position_mask"].shape[1:]
        assert obs["position_mask"].shape == (n_envs, rows, cols)
        assert masks.shape == (n_envs, rows * cols)
        assert np.shape(rewards) == (n_envs,) and np.isfinite(rewards).all()
        for i in range(n_envs):
            features = obs["macro_features"][i]
            if resetting[i]:  # gymnasium's autoreset step: a fresh episode, nothing paid
                assert rewards[i] == 0.0 and not dones[i]
                assert not features[:, 2].any()
                resetting[i], placed[i], paid[i] = False, 0, 0.0
            else:
                assert not _info(infos, i, "invalid_action"), "a masked action must be legal"
                steps[i].append((float(rewards[i]), bool(dones[i])))
                placed[i] += 1
                paid[i] += rewards[i]
                if not dones[i]:
                    assert features[:, 2].sum() == placed[i]  # the chosen macro is placed
                else:  # every macro placed (or a dead end), -cost paid in all
                    assert _info(infos, i, "n_placed") == placed[i]
                    cost = _info(infos, i, "cost")
                    assert paid[i] == pytest.approx(-cost, rel=1e-5, abs=1e-6)
                    if next_step_autoreset:  # the final observation
                        assert features[:, 2].sum() == placed[i]
                        resetting[i] = True
                    else:  # SB3 resets at once: the observation starts the next episode
                        terminal = infos[i]["terminal_observation"]["macro_features"]
                        assert terminal[:, 2].sum() == placed[i]
                        assert not features[:, 2].any()
                    placed[i], paid[i] = 0, 0.0
            if resetting[i]:  # ended: no legal cell shown, and a mask that any sample fits
                assert masks[i].all() and not obs["position_mask"][i].any()
            else:  # the observation shows the cells that the next step may choose
                np.testing.assert_array_equal(obs["position_mask"][i].reshape(-1) > 0, masks[i])
    return steps


def test_dummy_and_sync_vector_envs__step():
    from stable_baselines3.common.vec_env import DummyVecEnv

    dummy = DummyVecEnv([lambda: gym.make(ENV_ID, netlist="n10", grid=16) for _ in range(2)])
    start = dummy.reset()
    assert start["position_mask"].shape == (2, 16, 16) and not start["macro_features"][..., 2].any()
    by_dummy = _masked_steps(dummy, lambda: dummy.env_method("action_masks"), 15, 2)
    dummy.close()

    sync = gym.vector.SyncVectorEnv(
        [lambda: gym.make(ENV_ID, netlist="n10", grid=16) for _ in range(2)]
    )
    sync_start, _ = sync.reset(seed=0)
    for key, value in start.items():
        np.testing.assert_array_equal(sync_start[key], value, err_msg=key)
    by_sync = _masked_steps(
        sync, lambda: sync.call("action_masks"), 15, 2, next_step_autoreset=True
    )
    sync.close()

    # n10 has 10 macros: each env finishes an episode within 15 steps (and autoresets).
    for dummy_steps, sync_steps in zip(by_dummy, by_sync, strict=True):
        assert len(dummy_steps) == 15 and 10 <= len(sync_steps) < 15
        assert any(done for _, done in dummy_steps[:10])
        assert any(done for _, done in sync_steps[:10])
        # The same seeded actions in the same deterministic env: the same rewards and ends.
        dummy_rewards, dummy_dones = zip(*dummy_steps[: len(sync_steps)], strict=True)
        sync_rewards, sync_dones = zip(*sync_steps, strict=True)
        assert dummy_dones == sync_dones
        np.testing.assert_allclose(dummy_rewards, sync_rewards, rtol=1e-6, atol=1e-7)
        assert len(set(dummy_rewards)) > 1  # the rewards are not all one constant


def test_subproc_vec_env__string_id_steps():
    from stable_baselines3.common.env_util import make_vec_env
    from stable_baselines3.common.vec_env import SubprocVecEnv

    vec = make_vec_env(
        "placement_env:MacroPlacement-v0",
        n_envs=2,
        env_kwargs={"netlist": "n10", "grid": 16},
        vec_env_cls=SubprocVecEnv,
    )
    try:
        obs = vec.reset()
        assert obs["position_mask"].shape == (2, 16, 16)
        _masked_steps(vec, lambda: vec.env_method("action_masks"), 3, 2)
    finally:
        vec.close()


def _designs_with_movable_macros() -> list[str]:
    names = []
    for entry in netlists.bundled_designs():
        if entry.suite in ("tilos_ng45_flat",) or entry.name == "ibm05":
            continue  # flat netlists: same macros as ct_modern, 150k cells; ibm05: no macros
        names.append(entry.name)
    return names


@pytest.mark.parametrize("design", _designs_with_movable_macros())
def test_masked_random_rollout__every_bundled_design_is_legal(design):
    """Every bundled design with movable macros: a masked random episode never crashes and ends
    legal (dead ends allowed: the unplaced macros are then left out)."""
    env = MacroPlacementEnv(netlist=design, grid=64)
    total, info, _ = rollout(env, 0)
    assert total == pytest.approx(-info["cost"], rel=1e-9, abs=1e-12)
    placement = env.placement
    report = check_legality(env.netlist, placement, allow_unplaced=True)
    assert report.n_overlapping_pairs == 0 and report.n_out_of_die == 0
    assert shapely_legal(env.netlist, placement)


def test_graph_observation__padded_macro_graph_passes_the_checker():
    from gymnasium.utils.env_checker import check_env

    env = gym.make(ENV_ID, netlist="n30", grid=32, graph_observation=True, max_edges=64)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env.unwrapped)
    assert [str(w.message) for w in caught] == []
    obs, _ = env.reset(seed=0)
    mask = obs["graph_edge_mask"]
    edges = obs["graph_edges"][mask == 1]
    assert obs["graph_edges"].shape == (64, 2) and 0 < mask.sum() <= 64
    assert (edges[:, 0] < edges[:, 1]).all() and edges.max() < len(env.unwrapped.macros)
    assert obs["graph_edge_weights"].max() == 1.0


def test_graph_observation__edges_follow_the_nets():
    netlist = Netlist.from_records(
        "three",
        Canvas(100.0, 100.0),
        [Node(name, NodeKind.HARD_MACRO, 10.0, 10.0) for name in ("A", "B", "C")],
        [Net("ab", (Pin("A"), Pin("B")), weight=2.0), Net("abc", (Pin("A"), Pin("B"), Pin("C")))],
    )
    env = MacroPlacementEnv(netlist=netlist, grid=8, order="index", graph_observation=True)
    obs, _ = env.reset(seed=0)
    got = {
        (int(a), int(b)): float(w)
        for (a, b), w in zip(obs["graph_edges"], obs["graph_edge_weights"], strict=True)
    }
    assert got == {(0, 1): 1.0, (1, 2): pytest.approx(1 / 3)}  # ab: 2 + 1, bc: 1, scaled by 3


def test_dead_end_penalty__scales_the_early_end_cost():
    costs = {}
    for penalty in (1.0, 10.0):
        env = MacroPlacementEnv(netlist="n10", grid=8, dead_end_penalty=penalty)
        env.reset(seed=0)
        # An illegal action ends the episode at once, with every macro unplaced.
        blocked_cells = np.flatnonzero(~env.action_masks())
        assert len(blocked_cells), "n10's first macro must have masked cells on an 8 x 8 grid"
        _, _, terminated, _, info = env.step(int(blocked_cells[0]))
        assert terminated
        costs[penalty] = info["penalty"]
    assert costs[10.0] == pytest.approx(10 * costs[1.0])
    assert costs[1.0] > 0


@pytest.mark.parametrize("options", [{"snap": True}, {"lookahead": True}])
@pytest.mark.parametrize("design", ["n30", "ami33", "ibm01"])
def test_snap_and_lookahead__legal_rollouts_and_return_is_minus_cost(design, options):
    env = MacroPlacementEnv(netlist=design, grid=16, **options)
    for seed in range(2):
        total, info, steps = rollout(env, seed)
        assert total == pytest.approx(-info["cost"], rel=1e-9, abs=1e-12)
        placement = env.placement
        report = check_legality(env.netlist, placement, allow_unplaced=info["dead_end"])
        assert report.n_overlapping_pairs == 0 and report.n_out_of_die == 0
        assert shapely_legal(env.netlist, placement)
        assert info["hpwl"] == pytest.approx(hpwl(env.netlist, placement), rel=1e-9)


def _complete_rate(env: MacroPlacementEnv, episodes: int) -> float:
    done = [rollout(env, seed)[1]["n_placed"] == len(env.macros) for seed in range(episodes)]
    return sum(done) / episodes


def test_snap__packs_the_dense_tpu_v1_die_that_cell_centres_cannot():
    # The TPUv1 die is 79% full; its two 11 mm tall blocks fit side by side between the PHYs
    # with 0.3 mm to spare, which no centre-snapped grid resolves.
    plain = gym.make("placement_env/TPUv1-v0", reward="hpwl", grid=16).unwrapped
    snapped = gym.make("placement_env/TPUv1-v0", reward="hpwl", grid=16, snap=True).unwrapped
    assert _complete_rate(plain, 20) == 0.0
    assert _complete_rate(snapped, 20) >= 0.1
    ends = [rollout(snapped, seed)[1] for seed in range(20)]
    full = next(i for i in ends if i["n_placed"] == len(snapped.macros))
    assert full["penalty"] == 0.0


def test_lookahead__keeps_the_next_big_tpu_block_placeable():
    plain = gym.make("placement_env/TPUv1-v0", reward="hpwl", grid=48).unwrapped
    ahead = gym.make("placement_env/TPUv1-v0", reward="hpwl", grid=48, lookahead=True).unwrapped
    plain.reset()
    ahead.reset()
    first, safe = plain.action_masks(), ahead.action_masks()
    assert safe.sum() < first.sum() and not (safe & ~first).any()
    # Every cell the look-ahead keeps leaves the second block (mxu) a legal cell.
    for cell in np.flatnonzero(safe):
        ahead.reset()
        _, _, terminated, _, info = ahead.step(int(cell))
        assert not info["dead_end"] and ahead.action_masks().any()


def test_snap__every_step_pays_the_exact_hpwl_increase():
    env = MacroPlacementEnv(netlist="ami33", grid=8, snap=True)
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    previous, done = 0.0, False
    while not done:
        _, reward, done, _, info = env.step(int(rng.choice(np.flatnonzero(env.action_masks()))))
        cost = info["cost"] if done else hpwl(env.netlist, env.placement) / env.hpwl_scale
        if not done or not info["penalty"]:
            assert reward == pytest.approx(previous - cost, rel=1e-9, abs=1e-12)
        previous = cost


def test_ports_false__complete_episode_cost_is_protocol_mh():
    from placement_env.wirelength import macro_hpwl

    env = MacroPlacementEnv(netlist="ibm01", grid=64, ports=False)  # no dead ends at 64
    with_ports = MacroPlacementEnv(netlist="ibm01", grid=64)
    assert not (env.problem.sub.node_kinds == int(NodeKind.PORT)).any()
    assert (with_ports.problem.sub.node_kinds == int(NodeKind.PORT)).any()
    total, info, _ = rollout(env, 0)
    assert not info["dead_end"]
    full = env.design.placement.with_positions(env.macros, env.placement.positions[env.macros])
    assert info["hpwl"] == pytest.approx(macro_hpwl(env.netlist, full), rel=1e-12)
    assert total == pytest.approx(-info["hpwl"] / env.hpwl_scale, rel=1e-9)
