"""Training the move proposer of ``"learned_annealing"``: MaskablePPO with
:class:`agents.refine_policy.RefinePolicy` on ``MacroRefine-v0``
(``scripts/train_refiner.py``).

Each episode starts from a random legal placement of the design and makes one move per macro;
its return is the start cost minus the end cost (HPWL over ``hpwl_scale``), so the mean
training return rising is the policy learning to improve placements. A run writes
``model.zip`` (loadable by ``learned_annealing``'s ``checkpoint=``), ``curve.csv`` (the mean
return of the last 20 episodes against env steps), ``learning_curve.png`` and ``summary.json``.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from stable_baselines3.common.callbacks import BaseCallback

from agents.learned_annealing import DEFAULT_PRIORS
from agents.ppo_training import TrainingError
from netlists.json_text import finite_json


@dataclass(frozen=True)
class RefineRun:
    """Everything a refiner training run depends on (``train_refiner.py``'s options)."""

    design: str = "ibm01"
    """Design to train on (any spelling the other commands take)."""
    grid: int = 64
    """Grid cells per side (learned_annealing must use the same)."""
    cost: str = "hpwl"
    """What a move's reward is the decrease of: hpwl | proxy (designs with .plc settings)."""
    ports: bool = True
    """Count the ports in the HPWL (learned_annealing's default; always for the proxy)."""
    moves: int | None = None
    """Moves per episode (default: one per macro)."""
    timesteps: int = 200_000
    """Env steps to train, all envs together."""
    max_minutes: float | None = None
    """Stop after this many minutes of wall-clock time (default: no limit)."""
    seed: int = 0
    """Seeds Python, numpy, torch and the envs."""
    n_envs: int = 8
    """Envs stepped in turn in this process (their observations are scored as one batch)."""
    n_steps: int = 64
    """Env steps per env per rollout."""
    batch_size: int = 256
    """Minibatch size of the PPO updates."""
    n_epochs: int = 1
    """Passes over each rollout."""
    learning_rate: float = 1e-3
    """Adam step size."""
    ent_coef: float = 0.0
    """Entropy bonus."""
    device: str = "auto"
    """Torch device: auto (CUDA when present) | cpu | cuda."""
    out: str = "refine_out"
    """Output folder."""
    progress: bool = True
    """Show SB3's progress bar."""

    def __post_init__(self) -> None:
        if self.timesteps < 1 or self.n_envs < 1 or self.n_steps < 1 or self.batch_size < 1:
            raise TrainingError("timesteps, n_envs, n_steps and batch_size must be at least 1")
        if self.max_minutes is not None and not self.max_minutes > 0:
            raise TrainingError(f"--max-minutes must be positive, got {self.max_minutes}")
        if self.cost not in ("hpwl", "proxy"):
            raise TrainingError(f"--cost must be hpwl or proxy, got {self.cost!r}")
        if Path(self.out).exists() and not Path(self.out).is_dir():
            raise TrainingError(f"--out {self.out!r} is a file; give a folder (new or existing)")


class _ReturnCurve(BaseCallback):
    """Records the mean return of the last 20 episodes and stops at the wall-clock limit."""

    def __init__(self, max_seconds: float | None) -> None:
        super().__init__()
        self.max_seconds = max_seconds
        self.start = time.perf_counter()
        self.returns: list[float] = []
        self.curve: list[tuple[int, float]] = []

    def _on_step(self) -> bool:
        for info in self.locals.get("infos", []):
            if "episode" in info:
                self.returns.append(float(info["episode"]["r"]))
                recent = self.returns[-20:]
                self.curve.append((self.num_timesteps, sum(recent) / len(recent)))
        elapsed = time.perf_counter() - self.start
        return self.max_seconds is None or elapsed < self.max_seconds


def _plot(curve: list[tuple[int, float]], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    if curve:
        steps, returns = zip(*curve, strict=True)
        ax.plot(steps, returns)
    ax.set_xlabel("env steps")
    ax.set_ylabel("episode return = start cost - end cost\n(mean of last 20)")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def train_refiner(run: RefineRun) -> dict[str, Any]:
    """Trains and saves a refiner; returns the summary (also written to ``summary.json``)."""
    from sb3_contrib import MaskablePPO
    from stable_baselines3.common.monitor import Monitor
    from stable_baselines3.common.vec_env import DummyVecEnv

    from agents.ppo_run import resolve_device, seed_everything
    from agents.refine_policy import RefinePolicy
    from placement_env.refine_env import MacroRefineEnv

    seed_everything(run.seed, 1)
    device = resolve_device(run.device)

    def make() -> Monitor:
        ports = True if run.cost == "proxy" else run.ports
        return Monitor(
            MacroRefineEnv(run.design, grid=run.grid, cost=run.cost, moves=run.moves, ports=ports)
        )

    env = DummyVecEnv([make for _ in range(run.n_envs)])  # a bad design fails here, first
    env.seed(run.seed)
    out = Path(run.out)
    out.mkdir(parents=True, exist_ok=True)
    model = MaskablePPO(
        RefinePolicy,
        env,
        n_steps=run.n_steps,
        batch_size=run.batch_size,
        n_epochs=run.n_epochs,
        learning_rate=run.learning_rate,
        gamma=1.0,
        ent_coef=run.ent_coef,
        seed=run.seed,
        device=device,
        policy_kwargs={"features_extractor_kwargs": dict(DEFAULT_PRIORS)},
    )
    limit = None if run.max_minutes is None else 60 * run.max_minutes
    curve = _ReturnCurve(limit)
    start = time.perf_counter()
    model.learn(run.timesteps, callback=curve, progress_bar=run.progress)
    seconds = time.perf_counter() - start
    model.save(out / "model.zip")
    lines = ["timesteps,mean_return_last20"] + [f"{s},{r:.8g}" for s, r in curve.curve]
    (out / "curve.csv").write_text("\n".join(lines) + "\n")
    _plot(curve.curve, out / "learning_curve.png", f"MacroRefine-v0 on {run.design}")
    summary = {
        "run": asdict(run),
        "timesteps": int(model.num_timesteps),
        "train_seconds": seconds,
        "episodes": len(curve.returns),
        "first_returns": curve.returns[:20],
        "last_returns": curve.returns[-20:],
    }
    (out / "summary.json").write_text(finite_json(summary, indent=2))
    return summary
