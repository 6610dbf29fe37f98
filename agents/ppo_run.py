"""One MaskablePPO placement training run: its settings (:class:`TrainingRun`) and :func:`train`.

``scripts/train_agent.py`` is this module's command line (every field of :class:`TrainingRun`
is an option, its docstring the option's help); benchmark scripts build runs directly.

A run writes to ``out``: ``model.zip`` (the trained agent), ``checkpoints/``,
``logs/progress.csv`` (SB3's CSV logger; TensorBoard event files too when the ``tensorboard``
package is installed), per design the best placement found by the periodic evaluations in the
design's own format (``best_<design>.plc`` / ``.pl`` / ``.json``) and its picture
(``best_<design>.png``), ``learning_curve.png``, ``curve.csv`` and ``summary.json`` (final and
best cost, wall time, steps, and what a checkpoint decided: the architecture it fixed, the
settings a resumed run changed).
"""

from __future__ import annotations

import csv
import inspect
import logging
import math
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

import netlists
from agents.cli import check_keywords, key_values
from agents.policies import POLICIES
from agents.ppo_training import (
    VEC_ENVS,
    PlacementEvaluator,
    PPOConfig,
    TrainingError,
    build_vec_env,
    checkpoint_architecture,
    fine_tune_start,
    load_model,
    new_model,
    resume,
    start_anchor,
)
from agents.rl_env import EnvOptions, rollout
from agents.routing_agent import ROUTING_IDS
from netlists import Design
from netlists.json_text import finite_json
from placement_env.designs import design_labels
from placement_env.rewards import DEFAULT_SCHEDULE

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainingRun:
    """Everything a placement training run depends on (``train_agent.py``'s options)."""

    design: tuple[str, ...] = ("TPUv1",)
    """Designs to train on, any spelling: accel presets (tpu_v1, TPUv1), env ids
    (TPUv1-v0, ICCAD04-ibm01-v0), bundled names or paths; several train together and must share
    a grid."""
    reward: str | None = None
    """Reward: hpwl | proxy | chip (default: the env id's own, else hpwl)."""
    reward_schedule: str = DEFAULT_SCHEDULE
    """When the proxy and chip rewards are paid: dense (every step) | sparse (at the end)."""
    grid: int | None = None
    """Grid cells per side (default: the env id's 128, else 32)."""
    env_arg: tuple[str, ...] = ()
    """Extra env keywords KEY=VALUE (JSON values), e.g. utilisation=0.6 snap=true."""
    policy: str = "gnn"
    """Policy: gnn (any design size; transfers) | cnn (one design size)."""
    n_envs: int = 1
    """Parallel envs (see --vec-env: by default one process each when more than 1)."""
    in_process: bool = False
    """Step all --n-envs envs in this process, in turn (one core: the policy scores their
    observations as one batch, which is cheaper than one at a time); same as --vec-env dummy."""
    vec_env: str = "auto"
    """Vector env: auto (subproc for several envs, dummy for one) | dummy (this process) |
    subproc (one process per env) | ray (one Ray actor per env, on --address or a local Ray)."""
    address: str | None = None
    """With --vec-env ray: the Ray cluster to join (HEAD_IP:6379, or auto for the one `ray
    start` runs on this machine); default: start Ray on this machine."""
    ray_cpus_per_env: float | None = None
    """With --vec-env ray: cluster CPUs each env's actor holds (default: an even share of the
    cluster's CPUs, at most 1)."""
    timesteps: int = 20_000
    """Env steps to train, all envs together."""
    max_minutes: float | None = None
    """Stop training after this many minutes of wall-clock time (default: no limit)."""
    seed: int = 0
    """Seeds Python, numpy, torch, the envs and the evaluation rollouts."""
    device: str = "auto"
    """Torch device: auto (CUDA when present) | cpu | cuda."""
    threads: int = 1
    """Torch CPU threads (1: more made PPO slower on shared cores)."""
    out: str = "train_out"
    """Output folder."""
    resume: str | None = None
    """Continue training this checkpoint on the same designs. The PPO settings of this command
    line apply (defaults included; the summary lists what changed); the checkpoint fixes the
    policy's architecture and priors, and a differing flag for them is refused."""
    init_from: str | None = None
    """Start from this checkpoint's weights (pre-train, then fine-tune; other designs too). The
    checkpoint fixes the policy's architecture and priors; a differing flag is refused."""
    soften: float = 1.0
    """Divide the --init-from policy's logits by this before fine-tuning (> 1: explore more)."""
    n_steps: int = 256
    """Env steps per env per rollout."""
    batch_size: int = 64
    """Minibatch size of the PPO updates."""
    n_epochs: int = 4
    """Passes over each rollout."""
    learning_rate: float = 3e-4
    """Adam step size."""
    ent_coef: float = 0.01
    """Weight of the entropy bonus (with or without an anchor)."""
    anchor_coef: float = 0.0
    """Weight of KL(policy || starting policy): keeps the prior or the pre-trained policy
    (a resumed run anchors to the resumed weights); 0: no anchor. The old --anchor --ent-coef X
    is --anchor-coef X --ent-coef 0."""
    wire_skip: bool = False
    """Policy head with a linear skip over the raw grid channels (greedier)."""
    wire_prior: float = 0.0
    """With --wire-skip: start that skip at -B x the wire mask (a greedy prior); 0: none."""
    centre_prior: float = 0.0
    """Start a learnable -C x (distance from the canvas centre) logit term (tie-break); 0: none."""
    head: str = "full"
    """Action head: full (per-cell features) | coarse (16 x 16 logits + per-cell wire, density,
    mask and centre terms, static graph encoder; with --batch-size 256 --n-epochs 1 --n-envs 8
    --in-process about 30x more steps/s on a 64 x 64 grid)."""
    channels: int | None = None
    """Channels of the grid encoder (default: 32 for the full head, 16 for the coarse)."""
    hidden: int | None = None
    """Width of the global vector and graph embeddings (default: 64 full, 32 coarse)."""
    eval_every: int = 2_000
    """Evaluate (greedy + sampled rollouts) every N env steps."""
    eval_samples: int = 4
    """Sampled rollouts per evaluation and design."""
    checkpoint_every: int = 10_000
    """Save a checkpoint every N env steps."""
    compare_baselines: bool = False
    """Log random and greedy baselines beside the agent at the end."""
    progress: bool = True
    """Show SB3's progress bar."""
    verbose: bool = False
    """Also print SB3's training log."""

    def __post_init__(self) -> None:
        if not self.design:
            raise TrainingError("give at least one --design")
        routing = [d for d in self.design if d in ROUTING_IDS]
        if routing:
            raise TrainingError(
                f"--design {routing[0]} is the routing env: train it with scripts/train_router.py"
            )
        if self.policy not in POLICIES:
            known = sorted(POLICIES)
            raise TrainingError(f"unknown --policy {self.policy!r}; choose one of {known}")
        if self.timesteps < 1:
            raise TrainingError(f"--timesteps must be at least 1, got {self.timesteps}")
        if self.n_envs < 1:
            raise TrainingError(f"--n-envs must be at least 1, got {self.n_envs}")
        if self.vec_env not in VEC_ENVS:
            raise TrainingError(f"unknown --vec-env {self.vec_env!r}; choose one of {VEC_ENVS}")
        if self.in_process and self.vec_env not in ("auto", "dummy"):
            raise TrainingError(
                f"--in-process steps the envs here; it contradicts --vec-env {self.vec_env}"
            )
        if self.address is not None and self.vec_env != "ray":
            raise TrainingError("--address joins a Ray cluster; give it with --vec-env ray")
        if self.ray_cpus_per_env is not None and self.vec_env != "ray":
            raise TrainingError("--ray-cpus-per-env sizes Ray envs; give it with --vec-env ray")
        if self.ray_cpus_per_env is not None and not self.ray_cpus_per_env > 0:
            raise TrainingError(f"--ray-cpus-per-env must be positive, got {self.ray_cpus_per_env}")
        if self.resume and self.init_from:
            raise TrainingError("give --resume (same run, same env) or --init-from, not both")
        if self.max_minutes is not None and not self.max_minutes > 0:
            raise TrainingError(f"--max-minutes must be positive, got {self.max_minutes}")
        if self.eval_every < 1 or self.eval_samples < 0:
            raise TrainingError(
                f"--eval-every must be at least 1 and --eval-samples at least 0, got "
                f"{self.eval_every} and {self.eval_samples}"
            )
        if Path(self.out).exists() and not Path(self.out).is_dir():
            raise TrainingError(f"--out {self.out!r} is a file; give a folder (new or existing)")
        if not (math.isfinite(self.soften) and self.soften > 0):
            raise TrainingError(f"--soften must be finite and positive, got {self.soften}")
        if self.soften != 1.0 and not self.init_from:
            raise TrainingError("--soften softens the --init-from policy; give both")
        self.ppo()  # the PPO settings' own checks
        self.env_kwargs()  # and the env's, before anything is written

    def ppo(self) -> PPOConfig:
        """The PPO settings of this run."""
        return PPOConfig(
            policy=self.policy,
            n_steps=self.n_steps,
            batch_size=self.batch_size,
            n_epochs=self.n_epochs,
            learning_rate=self.learning_rate,
            ent_coef=self.ent_coef,
            wire_skip=self.wire_skip,
            wire_prior=self.wire_prior,
            centre_prior=self.centre_prior,
            anchor_coef=self.anchor_coef,
            soften=self.soften,
            head=self.head,
            channels=self.channels,
            hidden=self.hidden,
        )

    def env_kwargs(self) -> dict[str, Any]:
        """``env_arg`` as keywords (values parsed as JSON where they are JSON)."""
        from placement_env.env import MacroPlacementEnv

        kwargs = key_values(self.env_arg, TrainingError)
        takes = inspect.signature(MacroPlacementEnv).parameters
        unknown = [key for key in kwargs if key not in takes]
        if unknown:
            raise TrainingError(
                f"--env-arg {unknown[0]}=...: MacroPlacement-v0 takes no {unknown[0]!r}; it "
                f"takes {', '.join(takes)}"
            )
        check_keywords(MacroPlacementEnv, kwargs, TrainingError, "--env-arg")
        return kwargs


def seed_everything(seed: int, threads: int) -> str:
    """Seeds Python, numpy and torch and fixes the torch thread count; returns a description."""
    import torch
    from stable_baselines3.common.utils import set_random_seed

    torch.set_num_threads(max(1, threads))  # 2 shared cores: more threads made PPO slower
    set_random_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
    return f"seed={seed} threads={torch.get_num_threads()}"


def resolve_device(device: str) -> str:
    """``"auto"`` -> ``"cuda"`` when CUDA is present, else ``"cpu"``; other names as given.

    Raises:
        TrainingError: a name torch does not know, or a CUDA device on a machine without CUDA
            (which would otherwise run on the CPU and be recorded as CUDA).
    """
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        kind = torch.device(device).type
    except (RuntimeError, TypeError, ValueError):
        raise TrainingError(f"unknown --device {device!r}; use auto, cpu or cuda[:N]") from None
    if kind == "cuda" and not torch.cuda.is_available():
        raise TrainingError(f"--device {device!r} but this machine has no CUDA; use auto or cpu")
    return device


def file_logger(out: Path, verbose: bool = False) -> Any:
    """SB3's logger writing ``out/logs`` (CSV, TensorBoard when installed, stdout if verbose)."""
    import importlib.util

    from stable_baselines3.common.logger import configure

    formats = ["csv"] + (["stdout"] if verbose else [])
    if importlib.util.find_spec("tensorboard") is not None:
        formats.append("tensorboard")
    return configure(str(out / "logs"), formats)


def save_learning_curve(evaluator: PlacementEvaluator, path: Path, title: str) -> None:
    """Training-episode cost and evaluation costs against env steps (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    if evaluator.train_curve:
        steps, costs = zip(*evaluator.train_curve, strict=True)
        ax.plot(steps, costs, color="0.6", label="training episodes (mean of last 20)")
    for label in dict.fromkeys(r["design"] for r in evaluator.curve):
        rows = [r for r in evaluator.curve if r["design"] == label]
        steps = [r["timesteps"] for r in rows]
        ax.plot(steps, [r["greedy_cost"] for r in rows], marker="o", label=f"{label}: greedy")
        ax.plot(steps, [r["best_cost"] for r in rows], linestyle="--", label=f"{label}: best")
    ax.set_xlabel("env steps")
    ax.set_ylabel("cost (lower is better)")
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _start_model(run: TrainingRun, env: Any, device: str) -> tuple[Any, dict[str, Any]]:
    """The model training starts from and what the checkpoint (if any) decided."""
    config = run.ppo()
    if run.resume:
        model, notes = resume(run.resume, env, config, run.seed, device)
        for name, (was, now) in notes["changed"].items():
            log.warning("--resume: %s is %s now (the checkpoint trained with %s)", name, now, was)
    elif run.init_from:
        model, notes = fine_tune_start(config, env, run.init_from, run.seed, device)
    else:
        model, notes = new_model(config, env, run.seed, device), {}
    if start_anchor(model, config):
        notes["anchored"] = True
        if run.resume:  # anchors are not saved: the resumed weights are the new anchor
            notes["anchored_to"] = "the resumed weights"
            log.info("--resume with --anchor-coef: anchored to the resumed weights")
    return model, notes


def with_checkpoint_policy(run: TrainingRun) -> TrainingRun:
    """``run`` with the policy kind of the checkpoint it resumes: the kind decides the env's
    observations (only the graph policy observes the netlist graph), so it must be known before
    the env is built. A ``--policy`` left at its default takes the checkpoint's kind; a
    differing one is refused."""
    if not run.resume:
        return run
    kind = checkpoint_architecture(load_model(run.resume), run.resume)["policy"]
    default = next(f.default for f in fields(TrainingRun) if f.name == "policy")
    if kind == run.policy:
        return run
    if run.policy != default:
        raise TrainingError(
            f"--resume {run.resume}: the checkpoint holds a {kind!r} policy, so "
            f"policy={run.policy!r} cannot resume it; drop --policy or give --policy {kind}"
        )
    log.info("--resume: the checkpoint holds a %r policy; training it", kind)
    return replace(run, policy=kind)


def train(run: TrainingRun, report: Callable[[list[dict]], None] | None = None) -> dict[str, Any]:
    """Runs one training; returns (and writes to ``run.out``) the summary.

    ``report`` is called after every evaluation with its learning-curve rows (one per design;
    see :class:`~agents.ppo_training.PlacementEvaluator`): a sweep's early stopping reads them.
    """
    started = time.perf_counter()
    run = with_checkpoint_policy(run)

    # -- seeding: one seed at the boundary; everything below derives from it ------------------
    seeding = seed_everything(run.seed, run.threads)
    device = resolve_device(run.device)

    labels = tuple(design_labels(run.design))  # an unknown design fails here, before any file
    env_kwargs = run.env_kwargs()  # so does a bad --env-arg
    options = [
        EnvOptions(d, run.reward, run.grid, run.reward_schedule, run.policy == "gnn",
                   env_kwargs)
        for d in run.design
    ]  # fmt: skip
    setup = build_vec_env(
        options, run.n_envs, seed=run.seed, labels=labels, in_process=run.in_process,
        vec_env=run.vec_env, address=run.address, cpus_per_env=run.ray_cpus_per_env,
    )  # fmt: skip
    out = Path(run.out)
    out.mkdir(parents=True, exist_ok=True)  # once the envs are built: bad input wrote nothing
    model, notes = _start_model(run, setup.env, device)
    model.set_logger(file_logger(out, run.verbose))

    from stable_baselines3.common.callbacks import CallbackList, CheckpointCallback

    evaluator = PlacementEvaluator(
        setup,
        every=run.eval_every,
        samples=run.eval_samples,
        seed=run.seed,
        max_seconds=None if run.max_minutes is None else run.max_minutes * 60,
        report=report,
    )
    checkpoints = CheckpointCallback(
        max(1, run.checkpoint_every // run.n_envs), str(out / "checkpoints"), name_prefix="ppo"
    )
    start_steps = int(model.num_timesteps)
    train_start = time.perf_counter()
    try:  # the envs (processes, Ray actors) end with the run, also when it is stopped
        model.learn(
            total_timesteps=run.timesteps,
            callback=CallbackList([checkpoints, evaluator]),
            progress_bar=run.progress,
            reset_num_timesteps=not run.resume,
        )
    finally:
        setup.env.close()
    train_seconds = time.perf_counter() - train_start
    final = evaluator.evaluate()  # the final policy, greedy (also updates the best)
    model.save(out / "model.zip")

    designs = _write_best(evaluator, labels, final, out)
    title = f"PPO ({run.policy}) {', '.join(labels)}"
    save_learning_curve(evaluator, out / "learning_curve.png", title)
    with open(out / "curve.csv", "w", newline="") as handle:
        writer = csv.DictWriter(
            handle, ["timesteps", "seconds", "design", "greedy_cost", "best_cost", "train_cost"]
        )
        writer.writeheader()
        writer.writerows(evaluator.curve)
    summary = {
        "args": asdict(run),
        "env_kwargs": run.env_kwargs(),
        "seeding": seeding,
        "device": device,
        "timesteps": int(model.num_timesteps) - start_steps,
        "total_timesteps": int(model.num_timesteps),
        "train_seconds": round(train_seconds, 2),
        "wall_seconds": round(time.perf_counter() - started, 2),
        "designs": designs,
        **notes,
    }
    if run.compare_baselines:
        summary["baselines"] = compare_baselines(evaluator, labels, run.seed)
    (out / "summary.json").write_text(finite_json(summary, indent=2, default=str))
    return summary


def _write_best(evaluator: PlacementEvaluator, labels: tuple[str, ...], final: list,
                out: Path) -> dict[str, Any]:  # fmt: skip
    """Writes each design's best placement and its picture; returns the summary rows."""
    from netlists.render import save_placement_png

    designs = {}
    for i, label in enumerate(labels):
        env = evaluator.envs[i].unwrapped
        best = evaluator.best[i]
        path = out / f"best_{label}{env.design.placement_suffix}"
        netlists.write_design(Design(env.netlist, best.placement, env.design.plc), path)
        save_placement_png(
            env.netlist, best.placement, out / f"best_{label}.png",
            title=f"{label}: PPO best (cost {best.cost:.5g})",
        )  # fmt: skip
        designs[label] = {
            "final_cost": final[i].cost,
            "final_complete": final[i].complete,
            "best_cost": best.cost,
            "best_complete": best.complete,
            "best_info": {k: v for k, v in best.info.items() if isinstance(v, int | float)},
            "placement_file": str(path),
        }
    return designs


def compare_baselines(evaluator: PlacementEvaluator, labels: tuple[str, ...], seed: int) -> dict:
    """Random and greedy (env policies and registry placers) on each design, 3 seeds; logged as
    a table beside the PPO agent's final greedy rollout and its best evaluation.

    Every cost is the env's: for an episode that dead-ends, the cost of the placed macros plus
    the dead-end penalty, so it is not comparable with a complete placement's cost.
    """
    from agents.rl_baselines import run_baselines

    table = {}
    lines = ["| design | method | cost (mean ± std) | complete | note |", "|---|---|---|---|---|"]
    seeds = [seed, seed + 1, seed + 2]
    for i, label in enumerate(labels):
        env = evaluator.envs[i].unwrapped
        rows = {}
        for name in ("env-random", "env-greedy", "random", "greedy"):
            runs = list(run_baselines(env, seeds, (name,)))
            costs = [r.cost for r in runs if r.cost is not None]
            rows[name] = {
                "costs": costs,
                "complete": sum(r.complete for r in runs),
                "note": next((r.note for r in runs if r.note), ""),
            }
        policy = rollout(evaluator.model.policy, evaluator.envs[i], deterministic=True)
        best = evaluator.best[i]
        for name, episode in (("ppo (greedy rollout)", policy), ("ppo (best evaluated)", best)):
            note = "" if episode.complete else (
                f"dead end after {episode.info['n_placed']}/{len(env.macros)} macros"
            )  # fmt: skip
            rows[name] = {"costs": [episode.cost], "complete": int(episode.complete), "note": note}
        for name, row in rows.items():
            costs = row["costs"]
            text = "failed" if not costs else f"{statistics.fmean(costs):.5g}"
            if len(costs) > 1:
                text += f" ± {statistics.stdev(costs):.2g}"
            total = len(seeds) if name in ("env-random", "env-greedy", "random", "greedy") else 1
            lines.append(
                f"| {label} | {name} | {text} | {row['complete']}/{total} | {row['note'][:60]} |"
            )
        table[label] = rows
    lines.append("(env cost; a dead-ended episode scores its placed macros + the dead-end penalty)")
    log.info("\n".join(lines))
    return table


def same_training(summary_args: dict[str, Any]) -> dict[str, Any]:
    """The :class:`TrainingRun` keywords of a finished run's ``summary.json`` ``args`` that shape
    its policy and PPO updates (architecture, priors, reward, env, PPO settings), for a second run
    that should train the same way (fine-tuning against scratch). A summary written before the
    anchor weight had its own name (``anchor: true`` made ``ent_coef`` the KL weight) is read as
    ``anchor_coef = ent_coef, ent_coef = 0``."""
    keys = ("reward", "policy", "env_arg", "wire_prior", "centre_prior", "anchor_coef",
            "ent_coef", "learning_rate", "wire_skip", "n_epochs")  # fmt: skip
    args = dict(summary_args)
    if args.pop("anchor", False):
        args["anchor_coef"], args["ent_coef"] = args.get("ent_coef", 0.01), 0.0
    same = {k: args[k] for k in keys if k in args}
    same["env_arg"] = tuple(same.get("env_arg", ()))
    return same
