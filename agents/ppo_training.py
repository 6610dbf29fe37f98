"""MaskablePPO training pieces shared by :mod:`agents.ppo_run` (``scripts/train_agent.py``) and
the ``"ppo"`` placer.

* :class:`PPOConfig` -- the PPO hyper-parameters and policy choice (frozen).
* :func:`build_vec_env` -- one vector env over one or several designs (padded to one space).
* :func:`new_model`, :func:`resume`, :func:`fine_tune_start` -- a fresh model, a resumed one
  (the command line's PPO settings applied), or a fresh one whose weights come from a
  pre-trained checkpoint (fine-tuning, other designs too). Both refuse settings a checkpoint
  would silently override (:func:`refuse_overridden`). :func:`start_anchor` then freezes the
  anchor. Every model gets a logger that writes nothing (:func:`quiet_logger`) until the caller
  sets its own.
* :class:`PlacementEvaluator` -- a callback that evaluates the policy every so many steps, keeps
  the best placement per design, records a learning curve, and stops at a wall-clock limit.
"""

from __future__ import annotations

import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from stable_baselines3.common.callbacks import BaseCallback

from agents.policies import HEADS, POLICIES, policy_class, transfer_weights
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
        ent_coef: Weight of the entropy bonus (keeps exploring the legal cells); always the
            entropy, with or without an anchor.
        clip_range: PPO ratio clip.
        channels: Coarse channels of the grid encoder; ``None``: the head's default
            (:data:`HEAD_SIZES`).
        hidden: Width of the global vector and the graph embeddings; ``None``: the head's
            default.
        wire_skip: Add the head's linear skip over the raw grid channels (see
            :class:`agents.policies.CellLogitHead`).
        wire_prior: Starting weight ``-wire_prior`` of that skip on the wire mask (a greedy
            prior; needs ``wire_skip``); 0 starts it at zero.
        centre_prior: Starting weight of a learnable pull towards the canvas centre (the greedy
            placer's tie-break; see :class:`agents.policies.CellLogitHead`); 0: none.
        anchor_coef: Weight of ``KL(pi || pi_0)``, a pull towards the policy training starts
            from (its prior, or the checkpoint it fine-tunes or resumes); 0: no anchor. See
            :meth:`agents.policies.PlacementPolicy.set_anchor` and :func:`start_anchor`. The
            old ``anchor=True, ent_coef=X`` is ``anchor_coef=X, ent_coef=0``.
        soften: Divide the logits of the policy training starts from by this (> 1: closer to
            uniform, same argmax), see :meth:`agents.policies.PlacementPolicy.soften`; 1: as is.
        head: ``"full"`` (per-cell head on full-resolution features) or ``"coarse"`` (logits on
            a 16 x 16 map plus elementwise full-resolution terms, and message passing over the
            static macro graph once per design: see :class:`agents.policies.CoarseLogitHead`
            and :class:`agents.policies.StaticGraphEncoder`). The coarse head always has the
            elementwise wire-mask term, so ``wire_prior`` needs no ``wire_skip``. With
            :data:`FAST_TRAINING` and in-process envs it trains about 30x more steps per second
            on ibm01 at grid 64 (``scripts/bench_ppo.py --only throughput``).
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
    channels: int | None = None
    hidden: int | None = None
    wire_skip: bool = False
    wire_prior: float = 0.0
    centre_prior: float = 0.0
    anchor_coef: float = 0.0
    soften: float = 1.0
    head: str = "full"

    def __post_init__(self) -> None:
        if self.policy not in POLICIES:
            raise TrainingError(f"unknown policy {self.policy!r}; choose one of {sorted(POLICIES)}")
        if self.head not in HEADS:
            raise TrainingError(f"unknown head {self.head!r}; choose one of {HEADS}")
        for name, default in zip(("channels", "hidden"), HEAD_SIZES[self.head], strict=True):
            if getattr(self, name) is None:  # frozen: set the head's default once, here
                object.__setattr__(self, name, default)
        for name in ("n_steps", "batch_size", "n_epochs", "channels", "hidden"):
            if int(getattr(self, name)) < 1:
                raise TrainingError(f"{name} must be at least 1, got {getattr(self, name)}")
        if not self.learning_rate > 0:
            raise TrainingError(f"learning_rate must be positive, got {self.learning_rate}")
        if self.wire_prior and not self.wire_skip and self.head == "full":
            raise TrainingError("wire_prior needs wire_skip (the prior is that skip's weight)")
        for name in ("wire_prior", "centre_prior", "ent_coef", "anchor_coef"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value >= 0):
                raise TrainingError(f"{name} must be finite and >= 0, got {value}")
        if not (np.isfinite(self.soften) and self.soften > 0):
            raise TrainingError(f"soften must be finite and positive, got {self.soften}")

    @property
    def regulariser_coef(self) -> float:
        """SB3's ``ent_coef`` slot, which weighs the term :meth:`evaluate_actions
        <agents.policies.PlacementPolicy.evaluate_actions>` returns as the entropy: ``ent_coef``
        without an anchor, else ``anchor_coef`` (the policy then returns
        ``(ent_coef / anchor_coef) x entropy - KL``, so the loss gets both terms)."""
        return self.anchor_coef if self.anchor_coef > 0 else self.ent_coef

    def architecture(self) -> dict[str, Any]:
        """The settings that shape the policy's weights (a checkpoint fixes them)."""
        return {name: getattr(self, name) for name in ARCHITECTURE}


#: Default (channels, hidden) of each head; the coarse head's encoders are narrower (they serve
#: a 16 x 16 map and the static macro graph).
HEAD_SIZES = {"full": (32, 64), "coarse": (16, 32)}
#: The cheap training recipe measured by ``scripts/bench_ppo.py --only throughput``: the coarse
#: head, one pass over each rollout in minibatches of 256 (with 8 in-process envs and 512-step
#: rollouts: two updates per rollout). Scoring 8 observations at once costs little more than one
#: (the per-call overhead dominates at batch 1), and one pass instead of four is a quarter of the
#: update.
FAST_TRAINING = {"head": "coarse", "batch_size": 256, "n_epochs": 1}
FAST_ENVS = 8

#: PPOConfig fields that a checkpoint's weights fix: the policy kind, its sizes, and the priors
#: (the starting values of weights the checkpoint holds trained).
ARCHITECTURE = (
    "policy", "channels", "hidden", "wire_skip", "wire_prior", "centre_prior", "head"
)  # fmt: skip
#: PPOConfig fields that a resumed run takes from the command line, not from the checkpoint.
RESUMABLE = ("n_steps", "batch_size", "n_epochs", "learning_rate", "gamma", "gae_lambda",
             "clip_range")  # fmt: skip


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


#: Vector envs :func:`build_vec_env` builds: ``auto`` is ``subproc`` for several envs and
#: ``dummy`` for one; ``ray`` puts each env in a Ray actor (:class:`agents.ray_vec_env.RayVecEnv`).
VEC_ENVS = ("auto", "dummy", "subproc", "ray")


def build_vec_env(
    options: list[EnvOptions],
    n_envs: int = 1,
    seed: int = 0,
    labels: tuple[str, ...] = (),
    in_process: bool = False,
    vec_env: str = "auto",
    address: str | None = None,
    cpus_per_env: float | None = None,
) -> VecSetup:
    """``n_envs`` envs, design ``i % len(options)`` in env ``i``.

    ``vec_env`` picks the vector env (:data:`VEC_ENVS`): ``SubprocVecEnv`` (one process per env),
    ``DummyVecEnv`` (all in this process, stepped in turn: on one core the policy still scores
    the envs' observations as one batch, which costs little more than one; ``in_process`` is the
    same as ``dummy``), or ``RayVecEnv`` (one Ray actor per env holding ``cpus_per_env`` CPUs, on
    the cluster at ``address`` or a local Ray). Raises :class:`TrainingError` when grids differ
    or the choice is unknown.
    """
    from stable_baselines3.common.vec_env import DummyVecEnv, SubprocVecEnv

    if n_envs < 1:
        raise TrainingError(f"n_envs must be at least 1, got {n_envs}")
    if not options:
        raise TrainingError("give at least one design")
    if vec_env not in VEC_ENVS:
        raise TrainingError(f"unknown vec_env {vec_env!r}; choose one of {VEC_ENVS}")
    if address is not None and vec_env != "ray":
        raise TrainingError("an address joins a Ray cluster; give it with vec_env ray")
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
    if vec_env == "auto":
        vec_env = "subproc" if n_envs > 1 and not in_process else "dummy"
    if vec_env == "ray":
        from agents.executors import ExecutorError
        from agents.ray_vec_env import RayVecEnv

        try:
            env = RayVecEnv(factories, address=address, cpus_per_env=cpus_per_env)
        except ExecutorError as error:
            raise TrainingError(str(error)) from error
    else:
        env = SubprocVecEnv(factories) if vec_env == "subproc" else DummyVecEnv(factories)
    env.seed(seed)
    return VecSetup(env, tuple(options), max_macros, max_edges, labels)


def _policy_kwargs(config: PPOConfig) -> dict[str, Any]:
    sizes = {
        "channels": config.channels,
        "hidden": config.hidden,
        "wire_skip": config.wire_skip,
        "wire_prior": config.wire_prior,
        "centre_prior": config.centre_prior,
        "head": config.head,
    }
    return {"features_extractor_kwargs": sizes}


def new_model(config: PPOConfig, env: Any, seed: int, device: str = "cpu", **kwargs: Any) -> Any:
    """A fresh MaskablePPO on ``env`` (``kwargs`` go to its constructor)."""
    from sb3_contrib import MaskablePPO

    model = MaskablePPO(
        policy_class(config.policy),
        env,
        n_steps=config.n_steps,
        batch_size=config.batch_size,
        n_epochs=config.n_epochs,
        learning_rate=config.learning_rate,
        gamma=config.gamma,
        gae_lambda=config.gae_lambda,
        ent_coef=config.regulariser_coef,
        clip_range=config.clip_range,
        policy_kwargs=_policy_kwargs(config),
        seed=seed,
        device=device,
        **kwargs,
    )
    model.set_logger(quiet_logger())
    return model


def quiet_logger() -> Any:
    """An SB3 logger that writes nothing. Without one, ``learn`` configures a default logger,
    which makes an ``SB3-<date>`` folder in the system temp dir on every run."""
    from stable_baselines3.common.logger import Logger

    return Logger(folder=None, output_formats=[])


def load_model(path: str | Path, env: Any = None, device: str = "cpu", **settings: Any) -> Any:
    """A saved MaskablePPO (to resume training pass the same-shaped ``env``); ``settings``
    replace the saved attributes of the same name before the model is set up (SB3's ``load``
    keywords: ``n_steps`` resizes the rollout buffer, ``learning_rate`` rebuilds the schedule)."""
    from sb3_contrib import MaskablePPO

    path = Path(path)
    if not path.is_file() and not path.with_suffix(".zip").is_file():
        raise TrainingError(f"checkpoint {str(path)!r} does not exist")
    try:
        model = MaskablePPO.load(path, env=env, device=device, **settings)
    except ValueError as error:  # SB3: observation/action spaces do not match
        reason = str(error).split(":")[0]  # SB3 goes on to print both spaces in full
        raise TrainingError(
            f"checkpoint {str(path)!r} does not fit this env ({reason}: another design, grid "
            "or policy kind?); to start from its weights on another design use --init-from"
        ) from None
    except (AssertionError, KeyError, OSError, zipfile.BadZipFile) as error:
        # SB3 asserts on a zip without its data; a damaged file fails in zipfile or torch.
        raise TrainingError(
            f"checkpoint {str(path)!r} is not a MaskablePPO model saved by SB3 "
            f"({type(error).__name__}: {error})"
        ) from None
    model.set_logger(quiet_logger())
    return model


def checkpoint_architecture(model: Any, path: str | Path = "") -> dict[str, Any]:
    """The :data:`ARCHITECTURE` settings a loaded model was built with."""
    kind = next((k for k, cls in POLICIES.items() if type(model.policy) is cls), None)
    if kind is None:
        raise TrainingError(f"checkpoint {str(path)!r} does not hold a placement policy")
    sizes = model.policy_kwargs.get("features_extractor_kwargs", {})
    defaults = PPOConfig()
    return {"policy": kind, **{k: sizes.get(k, getattr(defaults, k)) for k in ARCHITECTURE[1:]}}


def refuse_overridden(config: PPOConfig, architecture: dict[str, Any], how: str) -> None:
    """Raises :class:`TrainingError` when ``config`` asks for an :data:`ARCHITECTURE` setting
    (one away from its default) that differs from the checkpoint's: the checkpoint's weights
    fix it, so the request could not take effect. ``how`` names the option, e.g. --init-from.
    A setting left at its default takes the checkpoint's value without a word."""
    defaults = PPOConfig()
    clashes = [
        f"{name}={getattr(config, name)!r} (the checkpoint has {architecture[name]!r})"
        for name in ARCHITECTURE
        if getattr(config, name) != getattr(defaults, name)
        and getattr(config, name) != architecture[name]
    ]
    if clashes:
        raise TrainingError(
            f"with {how} the checkpoint's weights fix the policy, so these settings cannot take "
            f"effect: {'; '.join(clashes)}. Drop them (or give the checkpoint's values)"
        )


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
    """Freezes ``model``'s current policy as the anchor when ``config.anchor_coef > 0`` (call it
    after loading, copying or softening the weights training starts from), weighing the
    entropy bonus against it so that the loss is ``anchor_coef x KL - ent_coef x entropy``.
    Returns whether it anchored."""
    if config.anchor_coef > 0:
        model.policy.set_anchor(entropy_weight=config.ent_coef / config.anchor_coef)
    return config.anchor_coef > 0


def config_like(path: str | Path, config: PPOConfig, device: str = "cpu") -> PPOConfig:
    """``config`` with the :data:`ARCHITECTURE` of a checkpoint, so that every weight of the
    checkpoint fits a model built from it; refuses settings the checkpoint would override
    (:func:`refuse_overridden`)."""
    from dataclasses import replace

    architecture = checkpoint_architecture(load_model(path, device=device), path)
    refuse_overridden(config, architecture, "--init-from")
    return replace(config, **architecture)


def fine_tune_start(
    config: PPOConfig, env: Any, checkpoint: str | Path, seed: int, device: str = "cpu"
) -> tuple[Any, dict[str, Any]]:
    """A fresh model on ``env`` with the checkpoint's architecture and weights, softened by
    ``config.soften``: the start of fine-tuning (call :func:`start_anchor` next).

    Returns:
        (model, notes): ``init_from``, ``copied`` (count), ``skipped`` (names),
        ``architecture`` (taken from the checkpoint) and, when not 1, ``soften``.
    """
    config = config_like(checkpoint, config, device)
    model = new_model(config, env, seed, device)
    copied, skipped = init_from(model, checkpoint, device)
    notes: dict[str, Any] = {"init_from": str(checkpoint), "copied": len(copied),
                             "skipped": skipped, "architecture": config.architecture()}  # fmt: skip
    if config.soften != 1.0:
        model.policy.soften(config.soften)
        notes["soften"] = config.soften
    return model, notes


def resume(
    checkpoint: str | Path, env: Any, config: PPOConfig, seed: int, device: str = "cpu"
) -> tuple[Any, dict[str, Any]]:
    """The checkpoint's model on ``env``, to train on, with ``config``'s PPO settings.

    A resumed run applies what it can: the :data:`RESUMABLE` settings, ``ent_coef`` and
    ``anchor_coef`` (the anchor is the resumed weights: anchors are not saved) come from
    ``config``, the policy's :data:`ARCHITECTURE` from the checkpoint (a differing setting is
    refused, :func:`refuse_overridden`); softening is refused (it belongs to ``--init-from``).

    Returns:
        (model, notes): ``resumed_from``, ``resumed_at_step``, ``architecture`` and ``changed``
        (setting -> [checkpoint's value, value now] where the two differ).
    """
    if config.soften != 1.0:
        raise TrainingError("soften applies to an --init-from policy, not to a resumed run")
    saved = load_model(checkpoint, device=device)
    architecture = checkpoint_architecture(saved, checkpoint)
    refuse_overridden(config, architecture, "--resume")
    settings = {name: getattr(config, name) for name in RESUMABLE}
    settings["ent_coef"] = config.regulariser_coef
    before = {name: _setting(saved, name) for name in settings}
    model = load_model(checkpoint, env=env, device=device, **settings)
    model.set_random_seed(seed)
    changed = {
        ("regulariser_coef" if k == "ent_coef" else k): [before[k], v]
        for k, v in settings.items()
        if before[k] != v
    }
    notes = {"resumed_from": str(checkpoint), "resumed_at_step": int(model.num_timesteps),
             "architecture": architecture, "changed": changed}  # fmt: skip
    return model, notes


def _setting(model: Any, name: str) -> Any:
    """A saved model's value of a PPO setting (schedules read at the start of training)."""
    value = getattr(model, name)
    return float(value(1.0)) if callable(value) else value


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
        report: Called after each evaluation with that evaluation's :attr:`curve` rows (one per
            design), e.g. to report to a Ray Tune scheduler.
    """

    def __init__(
        self,
        setup: VecSetup,
        every: int,
        samples: int = 4,
        seed: int = 0,
        max_seconds: float | None = None,
        report: Callable[[list[dict[str, Any]]], None] | None = None,
    ) -> None:
        super().__init__()
        self.setup = setup
        self.every = max(1, int(every))
        self.samples = samples
        self.rng = np.random.default_rng(seed)
        self.max_seconds = max_seconds
        self.report = report
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
        if self.report is not None:
            self.report(self.curve[-len(self.envs) :])
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
