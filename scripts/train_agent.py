"""Train a MaskablePPO agent to place the macros of one or several designs.

Writes to ``--out``: ``model.zip`` (the trained agent), ``checkpoints/``, ``logs/progress.csv``
(SB3's CSV logger; TensorBoard event files too when the ``tensorboard`` package is installed),
per design the best placement found by the periodic evaluations in the design's own format
(``best_<design>.plc`` / ``.pl`` / ``.json``) and its picture (``best_<design>.png``),
``learning_curve.png``, ``curve.csv`` and ``summary.json`` (final and best cost, wall time,
steps).

    python scripts/train_agent.py --design TPUv1 --grid 48 --timesteps 4000 --compare-baselines
    python scripts/train_agent.py --design ibm01 --grid 32 --policy gnn --max-minutes 5
    python scripts/train_agent.py --design n10 n30 --grid 16 --n-envs 2 --out pretrain
    python scripts/train_agent.py --design ami33 --grid 16 --init-from pretrain/model.zip
    python scripts/train_agent.py --design n10 --grid 16 --resume pretrain/model.zip

``--design`` takes env ids (``TPUv1``, ``TPUv1-v0``, ``ICCAD04-ibm01-v0``), bundled names
(``python -m netlists list``) or paths; ``--design GlobalRouting-v0`` trains on the routing env
instead (synthetic problems set by ``--grid`` and ``--env-arg num_nets=20 capacity=4 ...``, compared
with sequential A* on held-out problems). Several designs are trained together (they must share a
grid); the graph policy (``--policy gnn``, default) has no weight tied to the design's size.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import math
import statistics
import sys
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import netlists
from agents.policies import POLICIES
from agents.ppo_training import (
    PlacementEvaluator,
    PPOConfig,
    TrainingError,
    build_vec_env,
    config_like,
    init_from,
    load_model,
    new_model,
    start_anchor,
)
from agents.rl_env import EnvOptions, EnvOptionsError, design_label, rollout
from agents.routing_agent import ROUTING_IDS
from netlists import Design

log = logging.getLogger("train_agent")


@dataclass(frozen=True)
class Args:
    """Everything a training run depends on (the command line, parsed)."""

    design: tuple[str, ...] = ("TPUv1",)
    reward: str | None = None  # None: the env id's default ("chip" for TPUv1, else "hpwl")
    reward_schedule: str = "dense"
    grid: int | None = None  # None: the env id's default (128) or 32 for a plain design
    env_arg: tuple[str, ...] = ()  # extra env keywords, KEY=VALUE (e.g. utilisation=0.5)
    policy: str = "gnn"
    n_envs: int = 1
    timesteps: int = 20_000
    max_minutes: float | None = None  # wall-clock cap on training
    seed: int = 0
    device: str = "auto"
    threads: int = 1
    out: str = "train_out"
    resume: str | None = None
    init_from: str | None = None
    init_temperature: float = 1.0  # > 1 softens the --init-from policy before fine-tuning
    n_steps: int = 256
    batch_size: int = 64
    n_epochs: int = 4
    learning_rate: float = 3e-4
    ent_coef: float = 0.01
    wire_skip: bool = False
    wire_prior: float = 0.0  # > 0: the wire skip starts at -wire_prior x wire mask (greedy prior)
    centre_prior: float = 0.0  # > 0: a learnable pull towards the canvas centre (tie-break)
    anchor: bool = False  # ent_coef pulls towards the starting policy instead of uniform
    eval_every: int = 2_000
    eval_samples: int = 4
    checkpoint_every: int = 10_000
    compare_baselines: bool = False
    progress: bool = True
    verbose: bool = False

    def __post_init__(self) -> None:
        if self.policy not in POLICIES:
            known = sorted(POLICIES)
            raise TrainingError(f"unknown --policy {self.policy!r}; choose one of {known}")
        if self.timesteps < 1:
            raise TrainingError(f"--timesteps must be at least 1, got {self.timesteps}")
        if self.n_envs < 1:
            raise TrainingError(f"--n-envs must be at least 1, got {self.n_envs}")
        if self.resume and self.init_from:
            raise TrainingError("give --resume (same run, same env) or --init-from, not both")
        if self.max_minutes is not None and not self.max_minutes > 0:
            raise TrainingError(f"--max-minutes must be positive, got {self.max_minutes}")
        if not self.design:
            raise TrainingError("give at least one --design")
        if not (math.isfinite(self.init_temperature) and self.init_temperature > 0):
            raise TrainingError(
                f"--init-temperature must be finite and positive, got {self.init_temperature}"
            )
        if self.init_temperature != 1.0 and not self.init_from:
            raise TrainingError("--init-temperature softens the --init-from policy; give both")

    def ppo(self) -> PPOConfig:
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
            anchor=self.anchor,
        )

    def env_kwargs(self) -> dict:
        kwargs = {}
        for item in self.env_arg:
            key, sep, value = item.partition("=")
            if not sep or not key:
                raise TrainingError(f"--env-arg takes KEY=VALUE, got {item!r}")
            try:
                kwargs[key] = json.loads(value)
            except json.JSONDecodeError:
                kwargs[key] = value
        return kwargs


HELP = {
    "design": "env ids (TPUv1, ICCAD04-ibm01-v0), bundled names or paths; several share a grid",
    "reward": "hpwl | proxy | chip (default: the env id's own, else hpwl)",
    "reward_schedule": "dense | sparse (proxy and chip rewards)",
    "grid": "cells per side (default: the env id's 128, else 32)",
    "env_arg": "extra env keywords KEY=VALUE (JSON values), e.g. utilisation=0.6",
    "policy": "gnn (any design size) | cnn",
    "n_envs": "parallel envs (SubprocVecEnv when > 1)",
    "timesteps": "env steps to train (all envs together)",
    "max_minutes": "stop training after this many minutes of wall-clock time",
    "device": "auto (CUDA when present) | cpu | cuda",
    "threads": "torch CPU threads",
    "resume": "continue training this checkpoint on the same designs",
    "init_from": "start from this checkpoint's weights (pre-train, then fine-tune)",
    "init_temperature": "divide the --init-from policy's logits by this (> 1: explore more)",
    "wire_skip": "policy head with a linear skip over the raw grid channels (greedier)",
    "wire_prior": "with --wire-skip: start that skip at -B x the wire mask (a greedy prior)",
    "centre_prior": "start a learnable -C x (distance from the canvas centre) term (tie-break)",
    "anchor": "ent-coef weighs KL(policy || starting policy) instead of the entropy: keeps "
    "the prior or the pre-trained policy (a resumed run anchors to the resumed weights)",
    "eval_every": "evaluate (greedy + sampled rollouts) every N env steps",
    "eval_samples": "sampled rollouts per evaluation and design",
    "checkpoint_every": "save a checkpoint every N env steps",
    "compare_baselines": "print random and greedy baselines beside the agent",
}


#: Types of the options whose default is None (the others take their default's type).
OPTIONAL_TYPES = {"grid": int, "max_minutes": float}


def parse_args(argv: list[str] | None = None) -> Args:
    """The command line as :class:`Args` (every field is an option, ``_`` written ``-``)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    defaults = Args()
    for f in fields(Args):
        flag = "--" + f.name.replace("_", "-")
        default = getattr(defaults, f.name)
        text = HELP.get(f.name, "")
        if "default" not in text:
            text += f" (default: {default})"
        if isinstance(default, bool):
            parser.add_argument(
                flag, action=argparse.BooleanOptionalAction, default=default, help=text
            )
        elif isinstance(default, tuple):  # repeating the flag adds to the list
            parser.add_argument(flag, nargs="+", action="extend", default=None, help=text)
        else:
            # The default's type; the options that default to None say theirs here.
            kind = type(default) if default is not None else OPTIONAL_TYPES.get(f.name, str)
            parser.add_argument(flag, type=kind, default=default, help=text)
    ns = vars(parser.parse_args(argv))
    ns = {k: getattr(defaults, k) if v is None and isinstance(getattr(defaults, k), tuple) else v
          for k, v in ns.items()}  # fmt: skip
    try:
        return Args(**{k: tuple(v) if isinstance(v, list) else v for k, v in ns.items()})
    except TrainingError as error:
        parser.error(str(error))
        raise  # unreachable: parser.error exits


def seed_everything(seed: int, threads: int) -> str:
    """Seeds Python, numpy and torch, fixes the torch thread count; returns nothing to hide."""
    import torch
    from stable_baselines3.common.utils import set_random_seed

    torch.set_num_threads(max(1, threads))  # 2 shared cores: more threads made PPO slower
    set_random_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
    return f"seed={seed} threads={torch.get_num_threads()}"


def resolve_device(device: str) -> str:
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def _logger(out: Path, verbose: bool):
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


def train_routing(args: Args, out: Path, device: str, started: float) -> dict:
    """``--design GlobalRouting-v0``: PPO on fresh synthetic routing problems.

    ``--grid`` and ``--env-arg`` set the :class:`~placement_env.routing.SyntheticConfig` fields
    (``num_nets=20 capacity=4 ...``). Writes ``model.zip`` and ``summary.json``: the trained policy
    against sequential A* on ``--eval-samples`` x 5 held-out problems (seeds 1,000,000 + i).
    """
    from agents.routing_agent import (
        RoutingTraining,
        policy_chooser,
        run_policy,
        train_routing_agent,
    )
    from placement_env.routing import SyntheticConfig, generate, route_sequential
    from placement_env.routing.env import GlobalRoutingEnv

    if len(args.design) != 1:
        raise TrainingError("train the routing env on its own (one --design)")
    kwargs = args.env_kwargs()
    if args.grid is not None:
        kwargs.setdefault("grid", args.grid)
    try:
        config = SyntheticConfig(**kwargs)
    except TypeError as error:
        raise TrainingError(f"--env-arg for GlobalRouting-v0: {error}") from None
    setup = RoutingTraining(
        config=config,
        timesteps=args.timesteps,
        seconds=None if args.max_minutes is None else args.max_minutes * 60,
        n_envs=args.n_envs,
        seed=args.seed,
        device=device,
    )
    model, train_s, steps = train_routing_agent(setup)
    model.save(out / "model.zip")
    env = GlobalRoutingEnv(generator=config, reward_scale=setup.reward_scale)
    env.reset(seed=args.seed)
    problems = [generate(config, 1_000_000 + i) for i in range(5 * args.eval_samples)]
    ppo = [run_policy(env, p, policy_chooser(model)) for p in problems]
    astar = [route_sequential(p).metrics.summary() for p in problems]

    def mean(rows: list[dict], key: str) -> float:
        return float(statistics.fmean(float(r[key]) for r in rows))

    summary = {
        "task": "GlobalRouting-v0",
        "config": asdict(config),
        "timesteps": steps,
        "train_seconds": train_s,
        "wall_seconds": time.perf_counter() - started,
        "held_out_problems": len(problems),
        "results": {
            name: {k: mean(rows, k) for k in ("total_overflow", "wirelength", "vias", "solved")}
            for name, rows in (("ppo", ppo), ("sequential A*", astar))
        },
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    return summary


def train(args: Args) -> dict:
    """Runs one training; returns (and writes) the summary."""
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()

    # -- seeding: one seed at the boundary; everything below derives from it ------------------
    seeding = seed_everything(args.seed, args.threads)
    device = resolve_device(args.device)

    if any(d in ROUTING_IDS for d in args.design):
        return train_routing(args, out, device, started)

    labels = tuple(design_label(d) for d in args.design)
    options = [
        EnvOptions(d, args.reward, args.grid, args.reward_schedule, args.policy == "gnn",
                   args.env_kwargs())
        for d in args.design
    ]  # fmt: skip
    setup = build_vec_env(options, args.n_envs, seed=args.seed, labels=labels)
    if args.resume:
        model = load_model(args.resume, env=setup.env, device=device)
        model.set_random_seed(args.seed)
        notes = {"resumed_from": args.resume, "resumed_at_step": int(model.num_timesteps)}
    else:
        config = args.ppo()
        if args.init_from:  # the checkpoint's architecture, so that all its weights fit
            config = config_like(args.init_from, config, device)
        model = new_model(config, setup.env, args.seed, device)
        notes = {}
        if args.init_from:
            copied, skipped = init_from(model, args.init_from, device)
            notes = {"init_from": args.init_from, "copied": len(copied), "skipped": skipped}
            if args.init_temperature != 1.0:
                model.policy.soften(args.init_temperature)
                notes["init_temperature"] = args.init_temperature
    if start_anchor(model, args.ppo()):
        notes["anchored"] = True
    model.set_logger(_logger(out, args.verbose))

    from stable_baselines3.common.callbacks import CallbackList, CheckpointCallback

    evaluator = PlacementEvaluator(
        setup,
        every=args.eval_every,
        samples=args.eval_samples,
        seed=args.seed,
        max_seconds=None if args.max_minutes is None else args.max_minutes * 60,
    )
    checkpoints = CheckpointCallback(
        max(1, args.checkpoint_every // args.n_envs), str(out / "checkpoints"), name_prefix="ppo"
    )
    start_steps = int(model.num_timesteps)
    train_start = time.perf_counter()
    model.learn(
        total_timesteps=args.timesteps,
        callback=CallbackList([checkpoints, evaluator]),
        progress_bar=args.progress,
        reset_num_timesteps=not args.resume,
    )
    train_seconds = time.perf_counter() - train_start
    final = evaluator.evaluate()  # the final policy, greedy (also updates the best)
    model.save(out / "model.zip")
    setup.env.close()

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
    title = f"PPO ({args.policy}) {', '.join(labels)}"
    save_learning_curve(evaluator, out / "learning_curve.png", title)
    with open(out / "curve.csv", "w", newline="") as handle:
        writer = csv.DictWriter(
            handle, ["timesteps", "seconds", "design", "greedy_cost", "best_cost", "train_cost"]
        )
        writer.writeheader()
        writer.writerows(evaluator.curve)
    summary = {
        "args": asdict(args),
        "env_kwargs": args.env_kwargs(),
        "seeding": seeding,
        "device": device,
        "timesteps": int(model.num_timesteps) - start_steps,
        "total_timesteps": int(model.num_timesteps),
        "train_seconds": round(train_seconds, 2),
        "wall_seconds": round(time.perf_counter() - started, 2),
        "designs": designs,
        **notes,
    }
    if args.compare_baselines:
        summary["baselines"] = compare_baselines(evaluator, labels, args.seed)
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
    return summary


def compare_baselines(evaluator: PlacementEvaluator, labels: tuple[str, ...], seed: int) -> dict:
    """Random and greedy (env policies and registry placers) on each design, 3 seeds; printed
    beside the PPO agent's final greedy rollout and its best evaluation.

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
            runs = [r for r in run_baselines(env, seeds, (name,))]
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
    print("\n".join(lines))
    return table


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    args = parse_args(argv)
    try:
        summary = train(args)
    except (TrainingError, EnvOptionsError, ValueError) as error:
        print(f"train_agent.py: error: {error}", file=sys.stderr)
        return 2
    if summary.get("task") == "GlobalRouting-v0":
        for name, row in summary["results"].items():
            print(f"{name}: " + ", ".join(f"{k} {v:.4g}" for k, v in row.items()))
        print(f"{summary['timesteps']} steps in {summary['train_seconds']:.1f} s -> {args.out}")
        return 0
    for label, row in summary["designs"].items():
        print(
            f"{label}: final cost {row['final_cost']:.6g} (complete={row['final_complete']}), "
            f"best {row['best_cost']:.6g}; {summary['timesteps']} steps in "
            f"{summary['train_seconds']:.1f} s -> {args.out}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
