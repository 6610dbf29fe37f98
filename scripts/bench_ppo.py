"""Benchmark PPO against the random and greedy baselines, and pre-training against scratch.

Runs one process at a time (the machine's cores are shared), one torch thread:

* ``tpu``: ``TPUv1-v0`` (the TPUv1-like chip) with the ``"hpwl"`` cost on a 48 x 48 grid (the
  ``"chip"`` cost rewards stopping early, see the report): PPO for ``--minutes`` per seed vs
  ``env-random`` / ``env-greedy`` (policies in the same env) and the registry's random /
  greedy placers, all scored with the env's cost.
* ``ibm01``: ``ICCAD04-ibm01-v0`` on a 32 x 32 grid, protocol MH (the reported metric is the
  macro HPWL, :func:`placement_env.wirelength.macro_hpwl`): PPO's final policy decoded by the
  ``"ppo"`` placer with ``context="macros"`` (dead ends completed greedily; without and with the
  clean-up pass) vs the random and greedy placers.
* ``finetune``: the graph policy pre-trained on ibm01 (the ``ibm01`` seed-0 model) fine-tuned
  on the unseen ibm03, vs training from scratch on ibm03, for the same wall-clock budget.

Writes ``bench.md`` (tables) and ``bench.json`` under ``--out``.

    python scripts/bench_ppo.py --minutes 3 --seeds 3 --out bench_ppo_out
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from train_agent import Args, train  # noqa: E402

import netlists  # noqa: E402
from agents import Budget, make_placer  # noqa: E402
from agents.rl_baselines import run_baselines  # noqa: E402
from agents.rl_env import EnvOptions, make_raw_env, placement_cost  # noqa: E402
from placement_env.wirelength import macro_hpwl  # noqa: E402

STEPS = 10**7  # the wall-clock limit ends every run


def _fmt(values: list[float]) -> str:
    values = [v for v in values if v is not None]
    if not values:
        return "failed"
    if len(values) == 1:
        return f"{values[0]:.5g}"
    return f"{statistics.fmean(values):.5g} ± {statistics.stdev(values):.2g}"


def bench_tpu(out: Path, seeds: list[int], minutes: float) -> tuple[list[str], dict]:
    rows, data = [], {"ppo": []}
    for seed in seeds:
        summary = train(Args(design=("TPUv1",), grid=48, reward="hpwl", timesteps=STEPS,
                             max_minutes=minutes,
                             seed=seed, out=str(out / f"tpu_s{seed}"), eval_every=1000,
                             progress=False))  # fmt: skip
        data["ppo"].append(summary)
    env = make_raw_env(EnvOptions("TPUv1", reward="hpwl", grid=48))
    runs = run_baselines(env, seeds, ("env-random", "env-greedy"))
    lines = ["| method | HPWL cost (mean ± std) | complete | f_max MHz (complete ones) | note |",
             "|---|---|---|---|---|"]  # fmt: skip
    for name in ("env-random", "env-greedy"):
        mine = [r for r in runs if r.name == name]
        note = next((r.note for r in mine if r.note), "")
        done = f"{sum(r.complete for r in mine)}/{len(mine)}"
        lines.append(f"| {name} (grid 48) | {_fmt([r.cost for r in mine])} | {done} | - | {note} |")
        data[name] = [r.__dict__ for r in mine]

    def scored(placements: list, label: str, note: str) -> None:
        costs = [placement_cost(env, p) for p in placements]
        fmax = [env.chip_cost(p)["chip_fmax_mhz"] for p in placements]
        lines.append(f"| {label} | {_fmt(costs)} | {len(costs)}/{len(costs)} | {_fmt(fmax)} | "
                     f"{note} |")  # fmt: skip
        data[label] = {"costs": costs, "fmax_mhz": fmax}

    for name in ("random", "greedy"):
        placements = [make_placer(name, context="macros").place(
            env.design, np.random.default_rng(s), Budget(evaluations=300)).placement
            for s in seeds]  # fmt: skip
        scored(placements, f"{name} placer", "grid 64 (+ legaliser where it dead-ends)")
    for key, label in (("final", "PPO final policy (greedy rollout)"),
                       ("best", "PPO best evaluated placement")):  # fmt: skip
        costs = [s["designs"]["TPUv1"][f"{key}_cost"] for s in data["ppo"]]
        done = sum(s["designs"]["TPUv1"][f"{key}_complete"] for s in data["ppo"])
        steps = _fmt([s["timesteps"] for s in data["ppo"]])
        secs = _fmt([s["train_seconds"] for s in data["ppo"]])
        lines.append(f"| {label} | {_fmt(costs)} | {done}/{len(costs)} | - | env cost incl. "
                     f"dead-end penalty; {steps} steps in {secs} s |")  # fmt: skip
    for cleanup in (False, True):
        results = [make_placer("ppo", checkpoint=out / f"tpu_s{s}" / "model.zip",
                               cleanup=cleanup, context="macros", samples=0).place(
                       env.design, np.random.default_rng(s), Budget(evaluations=1))
                   for s in seeds]  # fmt: skip
        how = sorted({n for r in results for n in r.stats.notes if n.startswith("completed_by")})
        label = "PPO final policy, completed" + (" + clean-up" if cleanup else "")
        scored([r.placement for r in results], label, ", ".join(how) or "complete rollouts")
    rows += lines
    return rows, data


def _mh_of_model(model: Path, design, seed: int, cleanup: bool) -> tuple[float, list[str]]:
    placer = make_placer("ppo", checkpoint=model, cleanup=cleanup, context="macros", samples=0)
    result = placer.place(design, np.random.default_rng(seed), Budget(evaluations=1))
    return macro_hpwl(design.netlist, result.placement), list(result.stats.notes)


def bench_ibm01(out: Path, seeds: list[int], minutes: float) -> tuple[list[str], dict]:
    design = netlists.load("ibm01")
    data: dict = {"ppo": [], "ppo_mh": [], "ppo_cleanup_mh": [], "notes": []}
    for seed in seeds:
        run = out / f"ibm01_s{seed}"
        summary = train(Args(design=("ICCAD04-ibm01-v0",), grid=32, timesteps=STEPS,
                             max_minutes=minutes, seed=seed, out=str(run), eval_every=2000,
                             eval_samples=2, progress=False))  # fmt: skip
        data["ppo"].append(summary)
        mh, notes = _mh_of_model(run / "model.zip", design, seed, cleanup=False)
        data["ppo_mh"].append(mh)
        data["notes"].append(notes)
        data["ppo_cleanup_mh"].append(_mh_of_model(run / "model.zip", design, seed, True)[0])
    base = {}
    for name in ("random", "greedy"):
        base[name] = [
            macro_hpwl(design.netlist, make_placer(name, context="macros").place(
                design, np.random.default_rng(s), Budget(evaluations=300)).placement)
            for s in seeds
        ]  # fmt: skip
    data.update(base)
    label = "ICCAD04-ibm01"
    complete = sum(s["designs"][label]["final_complete"] for s in data["ppo"])
    lines = ["| method | macro HPWL (MH, mean ± std) | note |", "|---|---|---|",
             f"| random placer | {_fmt(base['random'])} | grid 64 |",
             f"| greedy placer | {_fmt(base['greedy'])} | grid 64, deterministic |",
             f"| PPO final policy | {_fmt(data['ppo_mh'])} | grid 32; {complete}/{len(seeds)} "
             "rollouts complete, rest completed greedily |",
             f"| PPO final policy + clean-up | {_fmt(data['ppo_cleanup_mh'])} | one sweep of "
             "best-cell moves on grid 64 |",
             f"| (PPO steps / train s) | {_fmt([s['timesteps'] for s in data['ppo']])} / "
             f"{_fmt([s['train_seconds'] for s in data['ppo']])} | |"]  # fmt: skip
    return lines, data


def bench_finetune(out: Path, minutes: float, pretrained: Path) -> tuple[list[str], dict]:
    design = netlists.load("ibm03")
    data = {}
    for name, init in (("scratch", None), ("fine-tuned from ibm01", str(pretrained))):
        run = out / f"ibm03_{name.split()[0]}"
        summary = train(Args(design=("ICCAD04-ibm03-v0",), grid=32, timesteps=STEPS,
                             max_minutes=minutes, seed=0, out=str(run), init_from=init,
                             eval_every=2000, eval_samples=2, progress=False))  # fmt: skip
        zero_shot = None
        if init:
            zero_shot = _mh_of_model(pretrained, design, 0, cleanup=False)[0]
        mh = _mh_of_model(run / "model.zip", design, 0, cleanup=False)[0]
        data[name] = {"summary": summary, "mh": mh, "zero_shot_mh": zero_shot}
    greedy = macro_hpwl(design.netlist, make_placer("greedy", context="macros").place(
        design, None, Budget(evaluations=1)).placement)  # fmt: skip
    label = "ICCAD04-ibm03"
    lines = ["| ibm03 (unseen) | env cost: final / best | macro HPWL (final policy) | steps |",
             "|---|---|---|---|"]  # fmt: skip
    for name, row in data.items():
        d = row["summary"]["designs"][label]
        lines.append(f"| {name} | {d['final_cost']:.5g} / {d['best_cost']:.5g} | "
                     f"{row['mh']:.5g} | {row['summary']['timesteps']} |")  # fmt: skip
    tuned = data["fine-tuned from ibm01"]
    lines.append(f"| ibm01 policy zero-shot | - | {tuned['zero_shot_mh']:.5g} | 0 |")
    lines.append(f"| greedy placer | - | {greedy:.5g} | - |")
    data["greedy_mh"] = greedy
    return lines, data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=3.0, help="training per run")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--only", nargs="+", default=["tpu", "ibm01", "finetune"])
    parser.add_argument("--out", default="bench_ppo_out")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    seeds = list(range(args.seeds))
    report, data = [], {}
    for part in args.only:
        start = time.perf_counter()
        if part == "tpu":
            lines, data[part] = bench_tpu(out, seeds, args.minutes)
            title = f"TPUv1-v0, grid 48, HPWL cost, {args.minutes:g} min PPO per seed"
        elif part == "ibm01":
            lines, data[part] = bench_ibm01(out, seeds, args.minutes)
            title = f"ICCAD04 ibm01, protocol MH, grid 32, {args.minutes:g} min PPO per seed"
        elif part == "finetune":
            pretrained = out / "ibm01_s0" / "model.zip"
            if not pretrained.is_file():
                parser.error(f"finetune needs {pretrained}: run the ibm01 part first (same --out)")
            lines, data[part] = bench_finetune(out, args.minutes, pretrained)
            title = f"Pre-train on ibm01, fine-tune on ibm03, {args.minutes:g} min each"
        else:
            parser.error(f"unknown part {part!r}; choose tpu, ibm01, finetune")
        wall = time.perf_counter() - start
        report += [f"### {title} (wall {wall / 60:.1f} min)", "", *lines, ""]
        (out / "bench.md").write_text("\n".join(report))
        (out / "bench.json").write_text(json.dumps(data, indent=2, default=str))
        print("\n".join(report), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
