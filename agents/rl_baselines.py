"""Baselines scored with the env's own cost, to put beside a PPO agent.

Two kinds, because on tight designs (the TPUv1-like chip at its default utilisation) the
registry's random and greedy placers find no legal placement at all:

* ``env-random`` / ``env-greedy`` -- policies acting in the *same env* as PPO (same grid, same
  macro order, same dead-end penalty): a uniform legal cell, or the legal cell with the least
  HPWL increase (the wire mask; ties to the lowest cell index).
* ``random`` / ``greedy`` (and any registry name) -- :func:`agents.make_placer` placers on the
  design, their placement scored by :func:`agents.rl_env.placement_cost`; a placer that fails
  gives ``cost=None`` and its error.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from agents.base import Budget, PlacerError, make_placer
from agents.rl_env import placement_cost
from placement_env.env import MacroPlacementEnv


@dataclass(frozen=True)
class BaselineRun:
    """One baseline run: name, seed, env cost (None when it failed), complete, seconds, note."""

    name: str
    seed: int
    cost: float | None
    complete: bool
    seconds: float
    note: str = ""


def env_policy_run(env: MacroPlacementEnv, name: str, seed: int) -> BaselineRun:
    """One episode of ``"env-random"`` or ``"env-greedy"`` in ``env`` (unwrapped)."""
    if name not in ("env-random", "env-greedy"):
        raise ValueError(f"unknown env baseline {name!r}; choose env-random or env-greedy")
    rng = np.random.default_rng(seed)
    start = time.perf_counter()
    env.reset(seed=seed)
    done, info = False, {}
    while not done:
        legal = np.flatnonzero(env.action_masks())
        if name == "env-random":
            action = int(rng.choice(legal))
        else:
            increase = env.decoder.wire_increase.reshape(-1)[legal]
            action = int(legal[np.argmin(increase)])
        _, _, done, _, info = env.step(action)
    complete = int(info["n_placed"]) == len(env.macros)
    note = "" if complete else f"dead end after {info['n_placed']}/{len(env.macros)} macros"
    return BaselineRun(name, seed, float(info["cost"]), complete, time.perf_counter() - start, note)


def placer_run(
    env: MacroPlacementEnv, name: str, seed: int, budget: Budget | None = None
) -> BaselineRun:
    """A registry placer on ``env.design``, scored with the env's cost."""
    start = time.perf_counter()
    try:
        result = make_placer(name).place(
            env.design, np.random.default_rng(seed), budget or Budget(evaluations=300)
        )
    except PlacerError as error:
        return BaselineRun(name, seed, None, False, time.perf_counter() - start, str(error))
    cost = placement_cost(env, result.placement)
    return BaselineRun(name, seed, cost, True, time.perf_counter() - start)


def run_baselines(
    env: MacroPlacementEnv,
    seeds: list[int],
    names: tuple[str, ...] = ("env-random", "env-greedy", "random", "greedy"),
) -> list[BaselineRun]:
    """Every baseline in ``names`` on every seed."""
    runs = []
    for name in names:
        for seed in seeds:
            if name.startswith("env-"):
                runs.append(env_policy_run(env, name, seed))
            else:
                runs.append(placer_run(env, name, seed))
    return runs
