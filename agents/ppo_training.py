"""MaskablePPO training pieces shared by ``scripts/train_agent.py`` and the ``"ppo"`` placer.

* :class:`PPOConfig` -- the PPO hyper-parameters and policy choice (frozen).
* :func:`build_vec_env` -- one vector env over one or several designs (padded to one space).
* :func:`new_model`, :func:`load_model`, :func:`init_from` -- a fresh model, a resumed one, or a
  fresh one whose weights come from a pre-trained checkpoint (fine-tuning, other designs too).
* :class:`PlacementEvaluator` -- a callback that evaluates the policy every so many steps, keeps
  the best placement per design, records a learning curve, and stops at a wall-clock limit.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from stable_baselines3.common.callbacks import BaseCallback

from agents.policies import POLICIES, policy_class, transfer_weights
from agents.rl_env import EnvOptions, Episode, env_size, make_env, make_raw_env, rollout


class TrainingError(ValueError):
    """Bad training options (zero timesteps, unknown policy, unusable checkpoint)."""


@dataclass(frozen=True)
class PPOConfig:
    """MaskablePPO settings.

    Attributes:
        policy: ``"cnn"`` or ``"gnn"`` (see :mod:`agents.policies`).
        n_steps: Env steps per env per rollout.
        batch_size: Minibatch size of the updates.
        n_epochs: Passes over each rollout.
        learning_rate: Adam step size.
        gamma: Discount; 1 because the dense rewards of an episode sum to minus its cost.
        gae_lambda: GAE parameter.
        ent_coef: Entropy bonus (keeps exploring the legal cells).
        clip_range: PPO ratio clip.
        channels: Coarse channels of the grid encoder.
        hidden: Width of the global vector.
        wire_skip: Add the head's linear skip over the raw grid channels (see
            :class:`agents.policies.CellLogitHead`).
        wire_prior: Starting weight ``-wire_prior`` of that skip on the wire mask (a greedy
            prior; needs ``wire_skip``); 0 starts it at zero.
        centre_prior: Starting weight of a learnable pull towards the canvas centre (the greedy
            placer's tie-break; see :class:`agents.policies.CellLogitHead`); 0: none.
        anchor: ``ent_coef`` weighs ``KL(pi || pi_0)`` to the policy training starts from (its
            prior, or the checkpoint it fine-tunes) instead of the entropy; see
            :meth:`agents.policies.PlacementPolicy.set_anchor` and :func:`start_anchor`.
    """

    policy: str = "gnn"
    n_steps: int = 256
    batch_size: int = 64
    n_epochs: int = 4
    learning_rate: float = 3e-4
    gamma: float = 1.0
    gae_lambda: float = 0.95
    ent_coef: float = 0.01
    clip_range: float = 0.2
    channels: int = 32
    hidden: int = 64
    wire_skip: bool = False
    wire_prior: float = 0.0
    centre_prior: float = 0.0
    anchor: bool = False

    def __post_init__(self) -> None:
        if self.policy not in POLICIES:
            raise TrainingError(f"unknown policy {self.policy!r}; choose one of {sorted(POLICIES)}")
        for name in ("n_steps", "batch_size", "n_epochs", "channels", "hidden"):
            if int(getattr(self, name)) < 1:
                raise TrainingError(f"{name} must be at least 1, got {getattr(self, name)}")
        if not self.learning_rate > 0:
            raise TrainingError(f"learning_rate must be positive, got {self.learning_rate}")
        if self.wire_prior and not self.wire_skip:
            raise TrainingError("wire_prior needs wire_skip (the prior is that skip's weight)")
        for name in ("wire_prior", "centre_prior"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value >= 0):
                raise TrainingError(f"{name} must be finite and >= 0, got {value}")


@dataclass(frozen=True)
class VecSetup:
    """A vector env and what built it: per-design options and the padding shared by all."""

    env: Any  # stable_baselines3 VecEnv
    options: tuple[EnvOptions, ...]
    max_macros: int
    max_edges: int
    labels: tuple[str, ...] = field(default=())

    def eval_env(self, i: int) -> Any:
        """A fresh in-process (padded) env of design ``i`` for evaluation rollouts."""
        return make_env(self.options[i], self.max_macros, self.max_edges)


def build_vec_env(
    options: list[EnvOptions], n_envs: int = 1, seed: int = 0, labels: tuple[str, ...] = ()
) -> VecSetup:
    """``n_envs`` envs, design ``i % len(options)`` in env ``i``: ``DummyVecEnv`` for one env,
    ``SubprocVecEnv`` for several. Raises :class:`TrainingError` when grids differ."""
    from stable_baselines3.common.vec_env import DummyVecEnv, SubprocVecEnv

    if n_envs < 1:
        raise TrainingError(f"n_envs must be at least 1, got {n_envs}")
    if not options:
        raise TrainingError("give at least one design")
    probes = [make_raw_env(o) for o in options]
    shapes = {p.observation_space["position_mask"].shape for p in probes}
    if len(shapes) > 1:
        raise TrainingError(
            f"designs trained together must share a grid; got {sorted(shapes)} (pass --grid)"
        )
    sizes = [env_size(p) for p in probes]
    max_macros = max(n for n, _ in sizes)
    max_edges = max(e for _, e in sizes)
    factories = [
        partial(make_env, options[i % len(options)], max_macros, max_edges) for i in range(n_envs)
    ]
    env = SubprocVecEnv(factories) if n_envs > 1 else DummyVecEnv(factories)
    env.seed(seed)
    return VecSetup(env, tuple(options), max_macros, max_edges, labels)


def _policy_kwargs(config: PPOConfig) -> dict[str, Any]:
    sizes = {
        "channels": config.channels,
        "hidden": config.hidden,
        "wire_skip": config.wire_skip,
        "wire_prior": config.wire_prior,
        "centre_prior": config.centre_prior,
    }
    return {"features_extractor_kwargs": sizes}


def new_model(config: PPOConfig, env: Any, seed: int, device: str = "cpu", **kwargs: Any) -> Any:
    """A fresh MaskablePPO on ``env`` (``kwargs`` go to its constructor)."""
    from sb3_contrib import MaskablePPO

    return MaskablePPO(
        policy_class(config.policy),
        env,
        n_steps=config.n_steps,
        batch_size=config.batch_size,
        n_epochs=config.n_epochs,
        learning_rate=config.learning_rate,
        gamma=config.gamma,
        gae_lambda=config.gae_lambda,
        ent_coef=config.ent_coef,
        clip_range=config.clip_range,
        policy_kwargs=_policy_kwargs(config),
        seed=seed,
        device=device,
        **kwargs,
    )


def load_model(path: str | Path, env: Any = None, device: str = "cpu") -> Any:
    """A saved MaskablePPO (to resume training pass the same-shaped ``env``)."""
    from sb3_contrib import MaskablePPO

    path = Path(path)
    if not path.is_file() and not path.with_suffix(".zip").is_file():
        raise TrainingError(f"checkpoint {str(path)!r} does not exist")
    try:
        return MaskablePPO.load(path, env=env, device=device)
    except ValueError as error:  # SB3: observation/action spaces do not match
        raise TrainingError(
            f"checkpoint {str(path)!r} does not fit this env ({error}); to start from its "
            "weights on another design use --init-from"
        ) from None


def init_from(model: Any, path: str | Path, device: str = "cpu") -> tuple[list[str], list[str]]:
    """Copies a checkpoint's policy weights into ``model`` where names and shapes agree.

    Returns:
        (copied, skipped) parameter names; raises :class:`TrainingError` when nothing fits.
    """
    source = load_model(path, device=device)
    copied, skipped = transfer_weights(source.policy, model.policy)
    if not copied:
        raise TrainingError(f"checkpoint {str(path)!r} shares no weights with this policy")
    return copied, skipped


def start_anchor(model: Any, config: PPOConfig) -> bool:
    """Freezes ``model``'s current policy as the anchor when ``config.anchor`` (call it after
    loading or copying the weights training starts from). Returns whether it did."""
    if config.anchor:
        model.policy.set_anchor()
    return config.anchor


def config_like(path: str | Path, config: PPOConfig, device: str = "cpu") -> PPOConfig:
    """``config`` with the policy architecture (kind, channels, hidden) of a checkpoint, so that
    every weight of the checkpoint fits a model built from it."""
    from dataclasses import replace

    source = load_model(path, device=device)
    sizes = source.policy_kwargs.get("features_extractor_kwargs", {})
    kind = next((k for k, cls in POLICIES.items() if type(source.policy) is cls), None)
    if kind is None:
        raise TrainingError(f"checkpoint {str(path)!r} does not hold a placement policy")
    return replace(config, policy=kind, **sizes)


def model_grid(model: Any) -> tuple[int, int]:
    """The (rows, cols) grid a model was trained on."""
    return tuple(int(v) for v in model.observation_space["position_mask"].shape)


class PlacementEvaluator(BaseCallback):
    """Evaluates the policy on every design every ``every`` steps; keeps the best placements.

    One evaluation is a greedy (argmax) rollout plus ``samples`` sampled ones per design. The
    best :class:`~agents.rl_env.Episode` per design (complete placements first, then lowest
    cost) is kept in :attr:`best`; :attr:`curve` collects rows ``{"timesteps", "seconds",
    "design", "greedy_cost", "best_cost", "train_cost"}``. Training stops early when
    ``max_seconds`` of wall-clock time have passed since the start of ``learn``.

    Args:
        setup: The vector env setup (its designs and padding).
        every: Evaluation period in env steps (all envs together).
        samples: Sampled rollouts per evaluation and design.
        seed: Seed of the sampling generator.
        max_seconds: Wall-clock limit of training, or None.
    """

    def __init__(
        self,
        setup: VecSetup,
        every: int,
        samples: int = 4,
        seed: int = 0,
        max_seconds: float | None = None,
    ) -> None:
        super().__init__()
        self.setup = setup
        self.every = max(1, int(every))
        self.samples = samples
        self.rng = np.random.default_rng(seed)
        self.max_seconds = max_seconds
        self.envs = [setup.eval_env(i) for i in range(len(setup.options))]
        self.best: list[Episode | None] = [None] * len(self.envs)
        self.last: list[Episode | None] = [None] * len(self.envs)
        self.curve: list[dict[str, Any]] = []
        self.train_curve: list[tuple[int, float]] = []
        self._next = self.every
        self._start = time.perf_counter()

    def _on_training_start(self) -> None:
        self._start = time.perf_counter()
        self._next = self.num_timesteps + self.every

    def _on_step(self) -> bool:
        if self.num_timesteps >= self._next:
            self._next += self.every
            self.evaluate()
        return self.max_seconds is None or time.perf_counter() - self._start <= self.max_seconds

    def _on_rollout_end(self) -> None:
        episodes = list(self.model.ep_info_buffer)
        if episodes:
            cost = -float(np.mean([e["r"] for e in episodes[-20:]]))
            self.train_curve.append((self.num_timesteps, cost))

    def seconds(self) -> float:
        """Wall-clock seconds since training started."""
        return time.perf_counter() - self._start

    def evaluate(self) -> list[Episode]:
        """Runs one evaluation now; returns each design's greedy episode."""
        policy = self.model.policy
        greedy_episodes = []
        train_cost = self.train_curve[-1][1] if self.train_curve else float("nan")
        for i, env in enumerate(self.envs):
            greedy = rollout(policy, env, deterministic=True)
            runs = [greedy] + [
                rollout(policy, env, self.rng, deterministic=False) for _ in range(self.samples)
            ]
            for episode in runs:
                if _better(episode, self.best[i]):
                    self.best[i] = episode
            self.last[i] = greedy
            greedy_episodes.append(greedy)
            label = self.setup.labels[i] if self.setup.labels else str(i)
            self.curve.append(
                {
                    "timesteps": int(self.num_timesteps),
                    "seconds": round(self.seconds(), 3),
                    "design": label,
                    "greedy_cost": greedy.cost,
                    "best_cost": self.best[i].cost,
                    "train_cost": train_cost,
                }
            )
            if self.logger is not None:
                self.logger.record(f"eval/{label}_greedy_cost", greedy.cost)
                self.logger.record(f"eval/{label}_best_cost", self.best[i].cost)
        return greedy_episodes


class StopTraining(BaseCallback):
    """Stops training after ``seconds`` of wall-clock time or ``episodes`` finished episodes
    (None: no limit on that axis)."""

    def __init__(self, seconds: float | None = None, episodes: int | None = None) -> None:
        super().__init__()
        self.seconds = seconds
        self.episodes = episodes
        self.finished = 0
        self._start = time.perf_counter()

    def _on_training_start(self) -> None:
        self._start = time.perf_counter()

    def _on_step(self) -> bool:
        self.finished += int(np.sum(self.locals.get("dones", 0)))
        if self.episodes is not None and self.finished >= self.episodes:
            return False
        return self.seconds is None or time.perf_counter() - self._start < self.seconds


def _better(new: Episode, old: Episode | None) -> bool:
    if old is None:
        return True
    return (new.complete, -new.cost) > (old.complete, -old.cost)
