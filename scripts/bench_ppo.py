"""Benchmark PPO against the random and greedy baselines, and pre-training against scratch.

Runs one process at a time (the machine's cores are shared), one torch thread; ``--only``
picks parts, so that two parts can run as two processes:

* ``tpu``: ``TPUv1-v0`` (the TPUv1-like chip) with the ``"hpwl"`` cost on a 16 x 16 grid with
  ``snap=True`` (a macro may sit anywhere in its cell, abutting its neighbours: the die is 79 %
  full and no centre-snapped grid packs it) and ``dead_end_penalty=300``. PPO for ``--minutes``
  per seed, decoded by the ``"ppo"`` placer (greedy rollout alone, and best of it and
  ``--samples`` sampled ones), against the registry's random and greedy placers and the env's
  own random / greedy policies, all scored with the env's HPWL cost.
* ``ibm01``: ``ICCAD04-ibm01-v0`` on a 64 x 64 grid, protocol MH (the reported metric is the
  macro HPWL, :func:`placement_env.wirelength.macro_hpwl`); the env leaves the pads out
  (``ports=False``), so that its HPWL cost is that metric. The policy starts from the greedy
  prior (``wire_skip``, ``wire_prior=300``, ``centre_prior=3``: at first its argmax is the
  greedy placer's rule) and trains anchored to it with the fast recipe (:data:`IBM_TRAIN`). So
  that what PPO adds is visible, the untrained prior is decoded the same ways, and sampled as
  many times as the PPO run played episodes (training and evaluation; at most
  :data:`EQUAL_ROLLOUTS_CAP`) against the best placement PPO saw.
* ``finetune``: the ibm01 policy of each seed fine-tuned on the unseen ibm03 against the same
  training from scratch (the pre-trained run's architecture, prior and PPO settings, same
  seed) for ``--finetune-steps`` env steps each.
* ``finetune_tpu``: the TPUv1 policy of each seed (the ``tpu`` part) fine-tuned on the unseen
  training chips ``TPUv2-v0`` (12 macros) and ``TPUv3-v0`` (14 macros) against the same training
  from scratch, ``--finetune-steps`` env steps each; the greedy-rollout cost at a quarter, half
  and all of the steps, best of 1 + ``--samples`` at the end, and the zero-shot TPUv1 policy;
  ``--soften`` softens the pre-trained policy first (``train_agent.py --soften``).

* ``throughput``: training env steps per second (collection plus the PPO updates) on ibm01 at
  grid 64, one torch thread, of the old recipe (the full head, 4 passes in minibatches of 64, one
  env), the old recipe with the new recipe's 8 in-process envs, and the new recipe
  (:data:`agents.ppo_training.FAST_TRAINING`: the coarse head, one pass in minibatches of 256,
  8 in-process envs); 512-step rollouts, median of ``--repeats`` timed runs each, and the
  ratios to the old recipe.

Writes ``bench.md`` (tables) and ``bench.json`` under ``--out`` (``bench_<part>.*`` with one
part).

    python scripts/bench_ppo.py --minutes 7 --seeds 3 --only tpu --out bench_ppo_out
    python scripts/bench_ppo.py --only throughput --repeats 3
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import time
from pathlib import Path

import numpy as np

import netlists
from agents import Budget, make_placer
from agents.ppo_run import TrainingRun as Args
from agents.ppo_run import same_training, train
from agents.rl_baselines import run_baselines
from agents.rl_env import EnvOptions, make_raw_env, placement_cost
from netlists.json_text import finite_json
from placement_env.wirelength import macro_hpwl

STEPS = 10**7  # the wall-clock limit ends every run
TPU_ENV = {"snap": True, "dead_end_penalty": 300}
TPU_GRID = 16
IBM_GRID = 64
IBM_ENV = {"ports": False}  # the env's HPWL is then exactly protocol MH's macro HPWL
WIRE_PRIOR = 300.0
# Strong enough that small updates do not flip the argmax where the wire mask is flat (in 60 of
# ibm01's 246 steps the macro has no net to a placed one); 0.5 let them flip (runs/bench_ppo7).
CENTRE_PRIOR = 3.0
# The fast recipe (agents.ppo_training.FAST_TRAINING with 8 in-process envs: about 30x the old
# recipe's steps per second, docs/benchmarks/ppo_throughput.md), anchored to the prior by a light
# KL pull (no separate entropy bonus: the KL holds one). The step size is 20x the old recipe's
# 1e-4, under which the policy hardly moved from its sharp prior (approx. KL per update ~1e-8 in
# 5-minute trials; 2e-3 lowered the mean training cost about 3% in 5 minutes).
IBM_TRAIN = {"anchor_coef": 0.1, "ent_coef": 0.0, "learning_rate": 2e-3, "head": "coarse",
             "batch_size": 256, "n_epochs": 1, "n_envs": 8, "in_process": True,
             "n_steps": 64}  # fmt: skip
IBM_EVAL_EVERY = 20_000
# Sampling the untrained prior as often as PPO played takes as long as the training itself once
# PPO plays thousands of episodes; capped.
EQUAL_ROLLOUTS_CAP = 400
EVAL_SAMPLES = 2
TPU_TARGETS = ("TPUv2", "TPUv3")  # unseen chips for the TPUv1 policies
PARTS = ("tpu", "ibm01", "finetune", "finetune_tpu", "throughput")
#: Env steps per rollout of the throughput part, all envs together, and rollouts timed per run
#: (after one untimed warm-up rollout).
THROUGHPUT_ROLLOUT = 512
THROUGHPUT_ROLLOUTS = 2


def _fmt(values: list[float]) -> str:
    values = [v for v in values if v is not None]
    if not values:
        return "failed"
    if len(values) == 1:
        return f"{values[0]:.5g}"
    return f"{statistics.fmean(values):.5g} ± {statistics.stdev(values):.2g}"


def _env_args(kwargs: dict) -> tuple[str, ...]:
    return tuple(f"{k}={json.dumps(v)}" for k, v in kwargs.items())


def _decode(model: Path, design, seed: int, samples: int, env_kwargs: dict | None = None):
    """The ``"ppo"`` placer on a checkpoint: greedy rollout plus ``samples`` sampled ones."""
    placer = make_placer("ppo", checkpoint=model, cleanup=False, context="macros",
                         samples=samples, env_kwargs=env_kwargs)  # fmt: skip
    return placer.place(design, np.random.default_rng(seed), Budget(evaluations=samples + 1))


def _completion(results) -> str:
    done = sum(bool(r.extra["rl_complete"]) for r in results)
    how = sorted({n for r in results for n in r.stats.notes if n.startswith("completed_by")})
    return f"{done}/{len(results)} complete rollouts" + (f"; {', '.join(how)}" if how else "")


def _untrained(path: Path, options: EnvOptions, args: Args) -> Path:
    """Saves the policy a training run starts from (same seed, same prior) as a checkpoint."""
    from stable_baselines3.common.vec_env import DummyVecEnv

    from agents.ppo_training import new_model
    from agents.rl_env import make_env

    vec = DummyVecEnv([lambda: make_env(options)])
    new_model(args.ppo(), vec, args.seed).save(path)
    return path


def bench_tpu(out: Path, seeds: list[int], minutes: float, samples: int):
    data: dict = {"ppo": []}
    for seed in seeds:
        summary = train(Args(design=("TPUv1",), grid=TPU_GRID, reward="hpwl",
                             env_arg=_env_args(TPU_ENV), timesteps=STEPS, max_minutes=minutes,
                             seed=seed, out=str(out / f"tpu_s{seed}"), eval_every=1000,
                             progress=False))  # fmt: skip
        data["ppo"].append(summary)
    env = make_raw_env(EnvOptions("TPUv1", reward="hpwl", grid=TPU_GRID, env_kwargs=TPU_ENV))
    lines = ["| method | HPWL cost (mean ± std) | note |", "|---|---|---|"]

    def row(label: str, costs: list[float], note: str) -> None:
        lines.append(f"| {label} | {_fmt(costs)} | {note} |")
        data[label] = costs

    for name in ("random", "greedy"):
        placements = [make_placer(name, context="macros").place(
            env.design, np.random.default_rng(s), Budget(evaluations=300)).placement
            for s in seeds]  # fmt: skip
        row(f"{name} placer", [placement_cost(env, p) for p in placements],
            "grid 64 (+ legaliser where the grid dead-ends)")  # fmt: skip
    runs = run_baselines(env, seeds, ("env-random", "env-greedy"))
    for name in ("env-random", "env-greedy"):
        mine = [r for r in runs if r.name == name]
        row(
            f"{name} (grid {TPU_GRID}, snap)",
            [r.cost for r in mine],
            f"{sum(r.complete for r in mine)}/{len(mine)} complete; env cost incl. penalty",
        )
    for n, label in ((0, "PPO, greedy rollout"), (samples, f"PPO, best of 1 + {samples} sampled")):
        results = [_decode(out / f"tpu_s{s}" / "model.zip", env.design, s, n, TPU_ENV)
                   for s in seeds]  # fmt: skip
        row(label, [placement_cost(env, r.placement) for r in results], _completion(results))
    steps = _fmt([s["timesteps"] for s in data["ppo"]])
    secs = _fmt([s["train_seconds"] for s in data["ppo"]])
    lines.append(f"| (PPO steps / train s) | {steps} / {secs} | |")
    return lines, data


def bench_ibm01(out: Path, seeds: list[int], minutes: float, samples: int):
    design = netlists.load("ibm01")
    data: dict = {"ppo": []}
    options = EnvOptions("ICCAD04-ibm01-v0", grid=IBM_GRID, env_kwargs=IBM_ENV)
    for seed in seeds:
        args = Args(design=("ICCAD04-ibm01-v0",), grid=IBM_GRID, env_arg=_env_args(IBM_ENV),
                    wire_skip=True,
                    wire_prior=WIRE_PRIOR, centre_prior=CENTRE_PRIOR, **IBM_TRAIN,
                    timesteps=STEPS, max_minutes=minutes, seed=seed,
                    out=str(out / f"ibm01_s{seed}"), eval_every=IBM_EVAL_EVERY,
                    eval_samples=EVAL_SAMPLES,
                    progress=False)  # fmt: skip
        data["ppo"].append(train(args))
        _untrained(out / f"ibm01_prior_s{seed}.zip", options, args)
    lines = ["| method | macro HPWL (MH, mean ± std) | note |", "|---|---|---|"]

    def row(label: str, values: list[float], note: str) -> None:
        lines.append(f"| {label} | {_fmt(values)} | {note} |")
        data[label] = values

    for name in ("random", "greedy"):
        row(f"{name} placer", [macro_hpwl(design.netlist, make_placer(name, context="macros")
                                          .place(design, np.random.default_rng(s),
                                                 Budget(evaluations=300)).placement)
                               for s in seeds], "grid 64")  # fmt: skip
    for model, who in (("ibm01_prior_s{s}.zip", "untrained prior"),
                       ("ibm01_s{s}/model.zip", "PPO")):  # fmt: skip
        for n, how in ((0, "greedy rollout"), (samples, f"best of 1 + {samples} sampled")):
            results = [_decode(out / model.format(s=s), design, s, n, IBM_ENV) for s in seeds]
            row(
                f"{who}, {how}",
                [macro_hpwl(design.netlist, r.placement) for r in results],
                _completion(results),
            )
    # Equal episodes: the prior sampled as often as PPO played (training + evaluation rollouts)
    # against the best placement PPO saw (env HPWL = MH with ports=False).
    played = [_episodes_played(out / f"ibm01_s{s}") for s in seeds]
    rollouts = [min(k, EQUAL_ROLLOUTS_CAP) for k in played]
    results = [_decode(out / f"ibm01_prior_s{s}.zip", design, s, k - 1, IBM_ENV)
               for s, k in zip(seeds, rollouts, strict=True)]  # fmt: skip
    row(f"untrained prior, best of as many rollouts as PPO played (at most {EQUAL_ROLLOUTS_CAP})",
        [macro_hpwl(design.netlist, r.placement) for r in results],
        f"rollouts {', '.join(map(str, rollouts))} "
        f"(PPO played {', '.join(map(str, played))})")  # fmt: skip
    row("PPO, best placement seen in training and evaluation",
        [s["designs"]["ICCAD04-ibm01"]["best_info"]["hpwl"] for s in data["ppo"]],
        "same rollouts")  # fmt: skip
    steps = _fmt([s["timesteps"] for s in data["ppo"]])
    secs = _fmt([s["train_seconds"] for s in data["ppo"]])
    lines.append(f"| (PPO steps / train s) | {steps} / {secs} | |")
    return lines, data


def _training_rate(config, n_envs: int, seed: int) -> float:
    """Env steps per second of MaskablePPO training (collection and updates) on ibm01."""
    import torch

    from agents.ppo_training import build_vec_env, new_model

    torch.set_num_threads(1)
    options = [EnvOptions("ICCAD04-ibm01-v0", grid=IBM_GRID, graph=True, env_kwargs=IBM_ENV)]
    setup = build_vec_env(options, n_envs, seed=seed, in_process=True)
    model = new_model(config, setup.env, seed)
    model.learn(THROUGHPUT_ROLLOUT)  # warm-up: first-call allocations, numba, caches
    start = time.perf_counter()
    model.learn(THROUGHPUT_ROLLOUTS * THROUGHPUT_ROLLOUT, reset_num_timesteps=False)
    return THROUGHPUT_ROLLOUTS * THROUGHPUT_ROLLOUT / (time.perf_counter() - start)


def bench_throughput(repeats: int):
    from agents.ppo_training import FAST_ENVS, FAST_TRAINING, PPOConfig

    prior = {"wire_skip": True, "wire_prior": WIRE_PRIOR, "centre_prior": CENTRE_PRIOR}
    recipes = (
        ("old: full head, 4 epochs x batch 64, 1 env", PPOConfig(**prior, n_steps=512), 1),
        ("old recipe, 8 in-process envs", PPOConfig(**prior, n_steps=64), FAST_ENVS),
        ("new: coarse head, 1 epoch x batch 256, 8 in-process envs",
         PPOConfig(**prior, **FAST_TRAINING, n_steps=THROUGHPUT_ROLLOUT // FAST_ENVS),
         FAST_ENVS),
    )  # fmt: skip
    rates: dict[str, list[float]] = {label: [] for label, _, _ in recipes}
    for r in range(repeats):  # interleaved, so that a slow spell of the machine hits all alike
        for label, config, n_envs in recipes:
            rates[label].append(_training_rate(config, n_envs, seed=r))
    old = statistics.median(rates[recipes[0][0]])
    lines = ["| recipe | training steps/s (median) | runs | ratio to old |", "|---|---|---|---|"]
    for label, _, _ in recipes:
        median = statistics.median(rates[label])
        runs = ", ".join(f"{v:.1f}" for v in rates[label])
        lines.append(f"| {label} | {median:.1f} | {runs} | {median / old:.1f}x |")
    return lines, {"rates": rates, "rollout": THROUGHPUT_ROLLOUT}


def _episodes_played(run: Path) -> int:
    """Training episodes (steps / macros) plus evaluation rollouts of a finished ibm01 run."""
    summary = json.loads((run / "summary.json").read_text())
    evaluations = len((run / "curve.csv").read_text().strip().splitlines()) - 1
    macros = summary["designs"]["ICCAD04-ibm01"]["best_info"]["n_placed"]
    return round(summary["timesteps"] / macros) + evaluations * (1 + EVAL_SAMPLES)


def _same_training(pretrained: Path) -> dict:
    """The pre-trained run's architecture, prior and PPO settings, which scratch shares."""
    return same_training(json.loads((pretrained.parent / "summary.json").read_text())["args"])


def _pair(pretrained: Path, design_id: str, run: Path, grid: int, steps: int, seed: int,
          eval_every: int, soften: float = 1.0) -> dict:  # fmt: skip
    """Scratch and fine-tuned training of ``design_id`` for ``steps`` env steps each (the
    pre-trained policy softened by ``soften`` first)."""
    if not pretrained.is_file():
        raise SystemExit(f"fine-tuning needs {pretrained}: run the pre-training part first")
    summaries = {}
    for name, init in (
        ("scratch", {}),
        ("fine-tuned", {"init_from": str(pretrained), "soften": soften}),
    ):
        summaries[name] = train(Args(design=(design_id,), grid=grid, **_same_training(pretrained),
                                     timesteps=steps, seed=seed, out=f"{run}_{name}", **init,
                                     eval_every=eval_every, progress=False))  # fmt: skip
    return summaries


def bench_finetune(out: Path, pre: Path, seeds: list[int], steps: int, samples: int):
    design = netlists.load("ibm03")
    data: dict = {}
    for seed in seeds:
        _pair(pre / f"ibm01_s{seed}" / "model.zip", "ICCAD04-ibm03-v0", out / f"ibm03_s{seed}",
              IBM_GRID, steps, seed, 10**9)  # fmt: skip
    for name in ("scratch", "fine-tuned"):
        data[name] = {"mh": [], "final_cost": [], "mh_best": []}
        for seed in seeds:
            run = out / f"ibm03_s{seed}_{name}"
            summary = json.loads((run / "summary.json").read_text())
            data[name]["final_cost"].append(summary["designs"]["ICCAD04-ibm03"]["final_cost"])
            result = _decode(run / "model.zip", design, seed, 0)
            data[name]["mh"].append(macro_hpwl(design.netlist, result.placement))
            result = _decode(run / "model.zip", design, seed, samples)
            data[name]["mh_best"].append(macro_hpwl(design.netlist, result.placement))
    zero = [macro_hpwl(design.netlist, _decode(pre / f"ibm01_s{s}" / "model.zip", design, s,
                                                0).placement) for s in seeds]  # fmt: skip
    # The policy both runs start from before any training (the prior alone; ibm01_prior_s*).
    prior = [macro_hpwl(design.netlist, _decode(pre / f"ibm01_prior_s{s}.zip", design, s, n,
                                                 IBM_ENV).placement)
             for n in (0, samples) for s in seeds]  # fmt: skip
    greedy = macro_hpwl(design.netlist, make_placer("greedy", context="macros").place(
        design, None, Budget(evaluations=1)).placement)  # fmt: skip
    lines = [f"| ibm03 (unseen), {steps} steps each | env cost, greedy rollout | macro HPWL, "
             f"greedy rollout | macro HPWL, best of 1 + {samples} sampled |",
             "|---|---|---|---|"]  # fmt: skip
    for name, row in data.items():
        lines.append(f"| {name} | {_fmt(row['final_cost'])} | {_fmt(row['mh'])} | "
                     f"{_fmt(row['mh_best'])} |")  # fmt: skip
    lines.append(f"| ibm01 policy zero-shot | - | {_fmt(zero)} | - |")
    lines.append(f"| untrained prior | - | {_fmt(prior[: len(seeds)])} | "
                 f"{_fmt(prior[len(seeds) :])} |")  # fmt: skip
    lines.append(f"| greedy placer | - | {greedy:.5g} | - |")
    data["zero_shot_mh"], data["greedy_mh"] = zero, greedy
    data["prior_mh"], data["prior_best_mh"] = prior[: len(seeds)], prior[len(seeds) :]
    return lines, data


def _curve_at(run: Path, budgets: list[int]) -> list[float]:
    """The greedy-rollout cost of the periodic evaluation at each step budget."""
    rows = list(csv.DictReader((run / "curve.csv").open()))
    return [float(next(r for r in rows if int(r["timesteps"]) >= b)["greedy_cost"])
            for b in budgets]  # fmt: skip


def bench_finetune_tpu(out: Path, pre: Path, seeds: list[int], steps: int, samples: int,
                       soften: float):  # fmt: skip
    """TPUv1 policies (the ``tpu`` part) fine-tuned on the unseen TPUv2 and TPUv3 chips."""
    budgets = [steps // 4, steps // 2, steps]
    lines = ["| chip (unseen) | run | " + " | ".join(f"cost at {b} steps" for b in budgets)
             + f" | best of 1 + {samples} sampled at {steps} |",
             "|---|---|" + "---|" * (len(budgets) + 1)]  # fmt: skip
    data: dict = {}
    for chip in TPU_TARGETS:
        env = make_raw_env(EnvOptions(chip, reward="hpwl", grid=TPU_GRID, env_kwargs=TPU_ENV))
        data[chip] = {}
        for seed in seeds:
            _pair(pre / f"tpu_s{seed}" / "model.zip", chip, out / f"{chip}_s{seed}", TPU_GRID,
                  steps, seed, steps // 8, soften)  # fmt: skip
        for name in ("scratch", "fine-tuned"):
            runs = [out / f"{chip}_s{s}_{name}" for s in seeds]
            curves = [_curve_at(run, budgets) for run in runs]
            best = [placement_cost(env, _decode(run / "model.zip", env.design, s, samples,
                                                TPU_ENV).placement)
                    for run, s in zip(runs, seeds, strict=True)]  # fmt: skip
            data[chip][name] = {"curves": curves, "best": best}
            cells = [_fmt([c[i] for c in curves]) for i in range(len(budgets))]
            lines.append(f"| {chip} | {name} | {' | '.join(cells)} | {_fmt(best)} |")
        zero = [placement_cost(env, _decode(pre / f"tpu_s{s}" / "model.zip", env.design, s, n,
                                            TPU_ENV).placement)
                for n in (0, samples) for s in seeds]  # fmt: skip
        gaps = " | ".join("-" for _ in budgets[1:])
        lines.append(f"| {chip} | TPUv1 policy zero-shot | {_fmt(zero[: len(seeds)])} | {gaps} "
                     f"| {_fmt(zero[len(seeds) :])} |")  # fmt: skip
        for name in ("random", "greedy"):
            costs = [placement_cost(env, make_placer(name, context="macros").place(
                env.design, np.random.default_rng(s), Budget(evaluations=300)).placement)
                for s in seeds]  # fmt: skip
            lines.append(f"| {chip} | {name} placer | {_fmt(costs)} | {gaps} | - |")
            data[chip][f"{name} placer"] = costs
        data[chip]["zero_shot"] = zero
    return lines, data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=3.0, help="training per run")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--first-seed", type=int, default=0, help="seeds run from this one")
    parser.add_argument("--samples", type=int, default=8, help="sampled rollouts when decoding")
    parser.add_argument("--finetune-steps", type=int, default=3000, help="env steps per run")
    parser.add_argument(
        "--soften",
        type=float,
        default=1.0,
        help="finetune_tpu: soften the pre-trained policy by this first (train_agent --soften)",
    )
    parser.add_argument("--repeats", type=int, default=3, help="throughput: timed runs each")
    parser.add_argument("--only", nargs="+", default=list(PARTS), help="parts to run, in order")
    parser.add_argument("--out", default="bench_ppo_out")
    parser.add_argument("--pretrained", help="the tpu / ibm01 parts' output (default: --out)")
    args = parser.parse_args(argv)
    unknown = set(args.only) - set(PARTS)
    if unknown:
        parser.error(f"unknown part(s) {sorted(unknown)}; choose from {', '.join(PARTS)}")
    out = Path(args.out)
    pre = Path(args.pretrained or args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"bench_{args.only[0]}" if len(args.only) == 1 else "bench"
    if args.first_seed:
        stem += f"_from{args.first_seed}"
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    report, data = [], {}
    for part in args.only:
        start = time.perf_counter()
        if part == "tpu":
            lines, data[part] = bench_tpu(out, seeds, args.minutes, args.samples)
            title = (f"TPUv1-v0, grid {TPU_GRID} (snap), HPWL cost, {args.minutes:g} min PPO "
                     f"per seed, {args.seeds} seeds")  # fmt: skip
        elif part == "ibm01":
            lines, data[part] = bench_ibm01(out, seeds, args.minutes, args.samples)
            title = (f"ICCAD04 ibm01, protocol MH, grid {IBM_GRID}, {args.minutes:g} min PPO "
                     f"per seed, {args.seeds} seeds")  # fmt: skip
        elif part == "finetune":
            lines, data[part] = bench_finetune(out, pre, seeds, args.finetune_steps, args.samples)
            title = f"Pre-train on ibm01, fine-tune on ibm03 vs scratch, {args.seeds} seeds"
        elif part == "throughput":
            lines, data[part] = bench_throughput(args.repeats)
            title = (f"PPO training throughput, ICCAD04 ibm01 grid {IBM_GRID}, one torch thread, "
                     f"{THROUGHPUT_ROLLOUT}-step rollouts, median of {args.repeats}")  # fmt: skip
        else:
            lines, data[part] = bench_finetune_tpu(
                out, pre, seeds, args.finetune_steps, args.samples, args.soften
            )
            title = (f"Pre-train on TPUv1 (the tpu part), fine-tune on {' and '.join(TPU_TARGETS)}"
                     f" (soften {args.soften:g}) vs scratch, greedy-rollout HPWL cost, "
                     f"{args.seeds} seeds")  # fmt: skip
        wall = time.perf_counter() - start
        report += [f"### {title} (wall {wall / 60:.1f} min)", "", *lines, ""]
        (out / f"{stem}.md").write_text("\n".join(report))
        (out / f"{stem}.json").write_text(finite_json(data, indent=2, default=str))
        print("\n".join(report), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
