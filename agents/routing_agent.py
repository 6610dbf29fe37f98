"""MaskablePPO on the routing env (``placement_env/GlobalRouting-v0``): training and rollouts.

Shared by ``scripts/train_router.py`` and ``scripts/bench_routing_rl.py``. The policy is SB3's
``MultiInputPolicy`` over the env's Dict observation (remaining-capacity, path, head and target
maps plus features), with masks always on. :func:`compare_with_astar` scores a trained policy
against sequential A* on held-out problems.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from placement_env.routing import route_sequential
from placement_env.routing.env import GlobalRoutingEnv
from placement_env.routing.problem import RoutingProblem
from placement_env.routing.synthetic import SyntheticConfig, generate

#: Env ids of the routing env (``scripts/train_agent.py`` sends them to ``train_router.py``).
ROUTING_IDS = ("GlobalRouting-v0", "placement_env/GlobalRouting-v0")
#: Seed of the first held-out problem: ``generate(config, HELD_OUT_SEED + i)`` (training draws
#: its problems from the env's own seeded generator, far below).
HELD_OUT_SEED = 1_000_000
#: Metrics :func:`compare_with_astar` averages.
METRICS = ("total_overflow", "wirelength", "vias", "solved")


@dataclass(frozen=True)
class RoutingTraining:
    """How a routing agent is trained.

    Attributes:
        config: The synthetic problems drawn at each reset.
        timesteps: Env steps to train (all envs together).
        seconds: Wall-clock cap on training (None: none).
        n_envs: Parallel envs (in one process).
        seed: Seeds the envs and the model.
        reward_scale: Multiplies every reward (keeps PPO's value targets small).
        device: Torch device.
    """

    config: SyntheticConfig = SyntheticConfig()
    timesteps: int = 100_000
    seconds: float | None = None
    n_envs: int = 4
    seed: int = 0
    reward_scale: float = 0.1
    device: str = "cpu"


def train_routing_agent(setup: RoutingTraining, callbacks: list | None = None):
    """Trains MaskablePPO on fresh synthetic problems; returns ``(model, seconds, steps)``."""
    from sb3_contrib import MaskablePPO
    from stable_baselines3.common.callbacks import BaseCallback
    from stable_baselines3.common.vec_env import DummyVecEnv

    class StopAfter(BaseCallback):
        def __init__(self, seconds: float | None) -> None:
            super().__init__()
            self.deadline = None if seconds is None else time.perf_counter() + seconds

        def _on_step(self) -> bool:
            return self.deadline is None or time.perf_counter() < self.deadline

    def make():
        return GlobalRoutingEnv(generator=setup.config, reward_scale=setup.reward_scale)

    vec = DummyVecEnv([make for _ in range(setup.n_envs)])
    vec.seed(setup.seed)
    model = MaskablePPO(
        "MultiInputPolicy",
        vec,
        n_steps=512,
        batch_size=256,
        n_epochs=4,
        learning_rate=3e-4,
        gamma=0.99,
        gae_lambda=0.95,
        ent_coef=0.01,
        seed=setup.seed,
        verbose=0,
        device=setup.device,
        policy_kwargs={"net_arch": [128, 128]},
    )
    from agents.ppo_training import quiet_logger

    model.set_logger(quiet_logger())  # no SB3-* folder in the temp dir
    start = time.perf_counter()
    model.learn(
        total_timesteps=setup.timesteps, callback=[StopAfter(setup.seconds), *(callbacks or [])]
    )
    return model, time.perf_counter() - start, model.num_timesteps


def run_policy(
    env: GlobalRoutingEnv, problem: RoutingProblem, choose: Callable[[dict, np.ndarray], int]
) -> dict:
    """Routes ``problem`` in ``env`` with ``choose(observation, mask) -> action``; the final info
    (total overflow, wirelength, vias, solved, fallbacks)."""
    obs, _ = env.reset(options={"problem": problem})
    done, info = False, {}
    while not done:
        obs, _, done, _, info = env.step(choose(obs, env.action_masks()))
    return info


def policy_chooser(model) -> Callable[[dict, np.ndarray], int]:
    """The trained model's deterministic masked action."""
    return lambda obs, mask: int(model.predict(obs, action_masks=mask, deterministic=True)[0])


def compare_with_astar(model, setup: RoutingTraining, problems: int) -> dict[str, dict]:
    """The trained policy (deterministic) and sequential A* on ``problems`` held-out problems
    (seeds :data:`HELD_OUT_SEED` + i): ``{"ppo": {metric: mean}, "sequential A*": {...}}``
    over :data:`METRICS` (``solved`` is the fraction solved)."""
    env = GlobalRoutingEnv(generator=setup.config, reward_scale=setup.reward_scale)
    env.reset(seed=setup.seed)
    held_out = [generate(setup.config, HELD_OUT_SEED + i) for i in range(problems)]
    ppo = [run_policy(env, p, policy_chooser(model)) for p in held_out]
    astar = [route_sequential(p).metrics.summary() for p in held_out]

    def mean(rows: list[dict], key: str) -> float:
        return float(statistics.fmean(float(r[key]) for r in rows))

    return {
        name: {k: mean(rows, k) for k in METRICS}
        for name, rows in (("ppo", ppo), ("sequential A*", astar))
    }
