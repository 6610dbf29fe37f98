"""Environments for the PPO agents: which env a design name means, padding, rollouts, scoring.

* :class:`EnvOptions` + :func:`make_env` -- a ``--design`` value (any spelling
  :func:`placement_env.designs.resolve_design` takes: ``tpu_v1`` / ``TPUv1`` / ``TPUv1-v0`` /
  ``placement_env/ICCAD04-ibm01-v0``, a bundled design name, a path, or a ``netlists.Design``)
  becomes a :class:`~placement_env.env.MacroPlacementEnv`, wrapped in
  :class:`PaddedObservation` so that designs of different sizes share one observation space.
* :func:`rollout` -- one episode of a policy with masks (greedy or sampled with a numpy
  generator, so that randomness flows in).
* :func:`placement_cost` -- any full placement scored with the env's own cost, so that PPO and
  the registry placers are compared on one number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

import placement_env  # noqa: F401  (registers the env ids)
from netlists import Placement, UnknownDesignError
from placement_env.designs import DesignRef, load_design, resolve_design
from placement_env.env import MacroPlacementEnv
from placement_env.rewards import DEFAULT_SCHEDULE


class EnvOptionsError(ValueError):
    """Bad environment options (unknown reward, grid too small, unknown design)."""


@dataclass(frozen=True)
class EnvOptions:
    """How to build the training env of one design.

    Attributes:
        design: Any spec of :func:`placement_env.designs.resolve_design`: an accel preset in
            any spelling (``tpu_v1``, ``TPUv1``), an env id (with or without ``placement_env/``
            and ``-v0``), a bundled design name, a path, or a ``netlists.Design``.
        reward: ``"hpwl"``, ``"proxy"``, ``"chip"``, or ``None`` for the env id's own default
            (``"hpwl"`` for plain designs).
        grid: Cells per side; ``None`` for the env id's default (128) or 32 for plain designs.
        reward_schedule: ``"dense"`` (:data:`placement_env.rewards.DEFAULT_SCHEDULE`) or
            ``"sparse"`` (proxy/chip only; hpwl is always dense).
        graph: Add the padded macro graph to the observation (needed by the GNN policy).
        env_kwargs: Further keyword arguments of the env (e.g. ``utilisation`` of TPUv1).
    """

    design: Any
    reward: str | None = None
    grid: int | None = None
    reward_schedule: str = DEFAULT_SCHEDULE
    graph: bool = True
    env_kwargs: dict[str, Any] = field(default_factory=dict)


def _resolve(design: Any) -> DesignRef:
    try:
        return resolve_design(design)
    except (UnknownDesignError, TypeError) as error:
        raise EnvOptionsError(str(error)) from None


def make_raw_env(options: EnvOptions) -> MacroPlacementEnv:
    """The unwrapped env of ``options`` (raises :class:`EnvOptionsError` on bad input)."""
    kwargs: dict[str, Any] = {
        "graph_observation": options.graph,
        "reward_schedule": options.reward_schedule,
        **options.env_kwargs,
    }
    if options.reward is not None:
        kwargs["reward"] = options.reward
    if options.grid is not None:
        kwargs["grid"] = options.grid
    ref = _resolve(options.design)
    try:
        if ref.env_id is not None:
            return gym.make(ref.env_id, disable_env_checker=True, **kwargs).unwrapped
        kwargs.setdefault("grid", 32)
        return MacroPlacementEnv(load_design(ref.source), **kwargs)
    except TypeError as error:  # an env keyword the env does not take
        raise EnvOptionsError(f"design {options.design!r}: {error}") from None


def env_size(env: MacroPlacementEnv) -> tuple[int, int]:
    """(macros, graph edges) of an env's observation (edges 0 without a graph)."""
    space = env.observation_space
    edges = space["graph_edges"].shape[0] if "graph_edges" in space.spaces else 0
    return space["macro_features"].shape[0], edges


class PaddedObservation(gym.ObservationWrapper):
    """Pads ``macro_features`` to ``max_macros`` rows and the graph to ``max_edges`` edges, and
    adds ``macro_mask`` ``(max_macros,)`` (1 for real macros), so that envs of designs with
    different sizes stack in one vector env. Padding is zeros (an edge mask of 0)."""

    def __init__(self, env: gym.Env, max_macros: int, max_edges: int) -> None:
        super().__init__(env)
        n, edges = env_size(env.unwrapped)
        if max_macros < n or (edges and max_edges < edges):
            raise EnvOptionsError(
                f"padding ({max_macros} macros, {max_edges} edges) is smaller than the design "
                f"({n} macros, {edges} edges)"
            )
        self.n, self.edges = n, edges
        self.max_macros, self.max_edges = max_macros, max_edges
        old = env.observation_space
        new = dict(old.spaces)
        new["macro_features"] = spaces.Box(
            0.0, 1.0, shape=(max_macros, old["macro_features"].shape[1]), dtype=np.float32
        )
        new["macro_mask"] = spaces.Box(0.0, 1.0, shape=(max_macros,), dtype=np.float32)
        if edges:
            new["graph_edges"] = spaces.Box(
                0.0, max(max_macros - 1, 0), shape=(max_edges, 2), dtype=np.float32
            )
            for key in ("graph_edge_weights", "graph_edge_mask"):
                new[key] = spaces.Box(0.0, 1.0, shape=(max_edges,), dtype=np.float32)
        self.observation_space = spaces.Dict(new)
        self._mask = np.zeros(max_macros, dtype=np.float32)
        self._mask[:n] = 1.0

    def observation(self, observation: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        out = dict(observation)
        out["macro_features"] = _pad(observation["macro_features"], self.max_macros)
        out["macro_mask"] = self._mask.copy()
        if self.edges:
            for key in ("graph_edges", "graph_edge_weights", "graph_edge_mask"):
                out[key] = _pad(observation[key], self.max_edges)
        return out

    def action_masks(self) -> np.ndarray:
        return self.env.unwrapped.action_masks()


def _pad(array: np.ndarray, size: int) -> np.ndarray:
    out = np.zeros((size, *array.shape[1:]), dtype=np.float32)
    out[: len(array)] = array
    return out


def make_env(
    options: EnvOptions, max_macros: int | None = None, max_edges: int | None = None
) -> gym.Env:
    """The padded (and ``Monitor``-wrapped, for episode statistics) env of ``options``.

    Picklable through :func:`functools.partial`, so it can feed a ``SubprocVecEnv``.
    """
    from stable_baselines3.common.monitor import Monitor

    raw = make_raw_env(options)
    n, edges = env_size(raw)
    return Monitor(PaddedObservation(raw, max_macros or n, max_edges or edges))


# -- rollouts --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Episode:
    """One finished episode: the env's cost, its ``info``, and the full-netlist placement."""

    cost: float
    complete: bool
    placement: Placement  # the design's, with the macros where the policy put them (or unplaced)
    info: dict[str, Any]


def full_placement(env: MacroPlacementEnv) -> Placement:
    """The design's placement with the env's macros where the env put them; macros the episode
    did not place (dead end) are marked unplaced."""
    return env.problem.to_full(env.sub_placement)


def rollout(
    policy: Any,
    env: gym.Env,
    rng: np.random.Generator | None = None,
    deterministic: bool = True,
) -> Episode:
    """Runs one masked episode of a :class:`~agents.policies.PlacementPolicy` on ``env``.

    Calls the policy's network directly (no SB3 shape checks), so a graph policy runs on a
    design of any size. Sampling uses ``rng`` (required when not deterministic).
    """
    import torch

    if not deterministic and rng is None:
        raise ValueError("a sampled rollout needs an rng")
    obs, _ = env.reset()
    raw = env.unwrapped
    device = policy.device
    policy.set_training_mode(False)
    done = False
    info: dict[str, Any] = {}
    while not done:
        mask = raw.action_masks()
        batch = {k: torch.as_tensor(v[None], device=device) for k, v in obs.items()}
        with torch.no_grad():
            logits = policy.cell_logits(batch)[0].double().cpu().numpy()
        logits = np.where(mask, logits, -np.inf)
        if deterministic:
            action = int(np.argmax(logits))
        else:
            p = np.exp(logits - logits.max())
            action = int(rng.choice(len(p), p=p / p.sum()))
        obs, _, terminated, truncated, info = env.step(action)
        done = terminated or truncated
    complete = int(info["n_placed"]) == len(raw.macros)
    return Episode(float(info["cost"]), complete, full_placement(raw), info)


# -- scoring ---------------------------------------------------------------------------------


def placement_cost(env: MacroPlacementEnv, placement: Placement) -> float:
    """The env's final cost of a full-netlist placement made by anyone (no dead-end penalty);
    the env's episode is left as it is.

    Scored by the env's own reward object: ``"hpwl"`` -- HPWL of the env's context (macros,
    ports, fixed blocks) over ``hpwl_scale``; ``"chip"`` -- :func:`placement_env.rewards.chip_cost`;
    ``"proxy"`` -- the Circuit Training proxy cost with the design's ``.plc`` settings. ``"proxy"``
    and ``"chip"`` score ``placement`` as given (soft macros where it puts them).
    """
    problem = env.problem
    final = placement if env.reward.needs_final else None
    cost, _ = env.reward.score(problem, problem.to_sub(placement), final)
    return float(cost)
