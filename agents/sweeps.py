"""Sweeps of placer or PPO settings x designs x seeds on Ray Tune (``scripts/sweep.py``).

A sweep is a search space over constructor options of one placer (``kind="placer"``) or over
fields of :class:`agents.ppo_run.TrainingRun` (``kind="ppo"``), crossed with designs and seeds:

* ``grid`` axes (Tune's ``grid_search``) and ``uniform`` / ``loguniform`` axes (random search,
  ``samples`` draws per grid point);
* every (configuration, design, seed) is one Tune trial holding one CPU of the cluster, on a
  local Ray or the cluster at ``address``;
* placer trials report their final cost once: the exact proxy when the design has routing
  settings, else HPWL; an illegal placement counts as a failed trial;
* PPO trials report after every evaluation (the best cost so far, mean over the run's designs)
  and Tune's ASHA scheduler stops the weak ones early; each design is its own Tune experiment so
  that ASHA compares runs on the same design only.

:func:`summarise` turns the trials into one table, mean ± std of the cost per configuration and
design, and ranks the configurations by the geometric mean over designs of their mean cost
divided by the best configuration's mean cost on that design (1.0 is best on every design).
"""

from __future__ import annotations

import csv
import json
import math
import statistics
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from agents.executors import connect_ray, one_line

KINDS = ("placer", "ppo")
#: Trial settings the sweep owns: they are the sweep's axes, not searchable options.
RESERVED = ("design", "seed", "out")


class SweepError(ValueError):
    """A sweep that cannot run: an unknown option, a malformed axis, an empty space."""


@dataclass(frozen=True)
class Axis:
    """One searched option.

    Attributes:
        name: The placer's constructor option or the :class:`TrainingRun` field.
        kind: ``"grid"`` (every value in ``values``), ``"uniform"`` or ``"loguniform"`` (random
            draws between ``values[0]`` and ``values[1]``).
        values: The grid's values, or the random axis's (low, high).
    """

    name: str
    kind: str
    values: tuple


@dataclass(frozen=True)
class Sweep:
    """What to sweep, on what, with what budget.

    Attributes:
        kind: ``"placer"`` or ``"ppo"``.
        axes: The searched options (at least one).
        designs: Design names (any spelling of :func:`placement_env.designs.resolve_design`).
        seeds: Seeds 0..seeds-1 per configuration and design.
        placer: The placer (``kind="placer"``).
        budget_evaluations: Placer budget in evaluations per trial, or None.
        budget_seconds: Placer budget in seconds per trial, or None.
        fixed: Options every trial gets besides the searched ones (placer options, or
            TrainingRun fields for PPO).
        samples: Random draws per grid point (see :func:`configurations`).
        grace_evaluations: PPO: evaluations every trial gets before ASHA may stop it.
    """

    kind: str
    axes: tuple[Axis, ...]
    designs: tuple[str, ...]
    seeds: int = 1
    placer: str = ""
    budget_evaluations: int | None = None
    budget_seconds: float | None = None
    fixed: Mapping[str, Any] = field(default_factory=dict)
    samples: int = 1
    grace_evaluations: int = 2

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise SweepError(f"unknown sweep kind {self.kind!r}; choose one of {KINDS}")
        if not self.axes:
            raise SweepError("give at least one searched option (--grid, --uniform, --loguniform)")
        if not self.designs:
            raise SweepError("give at least one design")
        if self.seeds < 1 or self.samples < 1:
            raise SweepError(
                f"seeds and samples must be at least 1, got {self.seeds}, {self.samples}"
            )
        names = [a.name for a in self.axes]
        for name in names + list(self.fixed):
            if name in RESERVED:
                raise SweepError(f"{name!r} is the sweep's own axis (--designs, --seeds, --out)")
        if len(set(names)) < len(names):
            raise SweepError(f"an option is searched twice: {names}")
        both = sorted(set(names) & set(self.fixed))
        if both:
            raise SweepError(f"{both[0]!r} is both searched and fixed (--set); give it once")
        if self.kind == "placer":
            self._check_placer()
        else:
            self._check_ppo()

    def _check_placer(self) -> None:
        import agents
        from agents.cli import check_keywords

        if self.placer not in agents.PLACERS:
            known = ", ".join(sorted(agents.PLACERS))
            raise SweepError(f"unknown placer {self.placer!r}; known: {known}")
        if self.budget_evaluations is None and self.budget_seconds is None:
            raise SweepError("a placer sweep needs a budget (evaluations or seconds per trial)")
        import inspect

        takes = inspect.signature(agents.PLACERS[self.placer]).parameters
        for name, values in self._values():
            if name not in takes:
                raise SweepError(
                    f"{self.placer} takes no option {name!r}; it takes {', '.join(takes)}"
                )
            for value in values:
                check_keywords(
                    agents.PLACERS[self.placer], {name: value}, SweepError, "sweep option"
                )
        for config in configurations(self):  # the placer's own checks, before any trial
            try:
                agents.make_placer(self.placer, **self.fixed, **config)
            except agents.PlacerError as error:
                raise SweepError(f"{json.dumps(config, default=list)}: {error}") from None

    def _check_ppo(self) -> None:
        from dataclasses import fields

        from agents.cli import check_keywords
        from agents.ppo_run import TrainingRun
        from agents.ppo_training import TrainingError

        names = {f.name for f in fields(TrainingRun)}
        for name, values in self._values():
            if name not in names:
                raise SweepError(f"train_agent.py has no option --{name.replace('_', '-')}")
            for value in values:
                check_keywords(TrainingRun, {name: value}, SweepError, "sweep option")
        if self.grace_evaluations < 1:
            raise SweepError(f"grace_evaluations must be at least 1, got {self.grace_evaluations}")
        first = {name: values[0] for name, values in self._values()}
        try:  # the run's own checks, on the first configuration, before any trial starts
            TrainingRun(**{**first, "design": (self.designs[0],), "out": "."})
        except TrainingError as error:
            raise SweepError(str(error)) from None

    def _values(self) -> list[tuple[str, tuple]]:
        """(option, the values a trial may give it) for the axes and the fixed options."""
        return [(a.name, a.values) for a in self.axes] + [(k, (v,)) for k, v in self.fixed.items()]


def parse_axis(item: str, kind: str) -> Axis:
    """``KEY=[v1,v2,...]`` (a JSON list; ``grid``) or ``KEY=LOW:HIGH`` (``uniform`` and
    ``loguniform``) as an :class:`Axis`; JSON lists among grid values become tuples (the placers'
    tuple options). Raises :class:`SweepError` naming the item."""
    name, sep, text = item.partition("=")
    name = name.strip().replace("-", "_")
    if not sep or not name:
        raise SweepError(f"--{kind} takes KEY=VALUES, got {item!r}")
    if kind == "grid":
        try:
            values = json.loads(text)
        except json.JSONDecodeError as error:
            raise SweepError(f"--grid {name}: {text!r} is not a JSON list ({error.msg})") from None
        if not isinstance(values, list) or not values:
            raise SweepError(f"--grid {name}: give a non-empty JSON list, e.g. {name}=[0.1,0.2]")
        return Axis(name, kind, tuple(_tuples(v) for v in values))
    low, sep, high = text.partition(":")
    try:
        bounds = (float(low), float(high))
    except ValueError:
        bounds = ()
    if not sep or len(bounds) != 2 or not bounds[0] < bounds[1]:
        raise SweepError(f"--{kind} {name}: give LOW:HIGH with LOW < HIGH, got {text!r}")
    if kind == "loguniform" and bounds[0] <= 0:
        raise SweepError(f"--loguniform {name}: LOW must be positive, got {bounds[0]}")
    return Axis(name, kind, bounds)


def _tuples(value: Any) -> Any:
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def configurations(sweep: Sweep, seed: int = 0) -> list[dict[str, Any]]:
    """Every configuration a sweep runs: each point of the grid axes' product, ``samples``
    times, with the random axes drawn once per (point, sample) by a generator seeded with
    ``seed``. Drawn here, not by Tune, so that a configuration's value is the same on every
    design and seed (Tune would draw again for each of them)."""
    import itertools

    rng = np.random.default_rng(seed)
    grid = [a for a in sweep.axes if a.kind == "grid"]
    drawn = [a for a in sweep.axes if a.kind != "grid"]
    found = []
    for point in itertools.product(*(a.values for a in grid)):
        for _ in range(sweep.samples):
            config = {a.name: value for a, value in zip(grid, point, strict=True)}
            for axis in drawn:
                low, high = axis.values
                if axis.kind == "loguniform":
                    config[axis.name] = float(math.exp(rng.uniform(math.log(low), math.log(high))))
                else:
                    config[axis.name] = float(rng.uniform(low, high))
            found.append({a.name: config[a.name] for a in sweep.axes})
    return found


# -- trials (run in Ray workers: module-level, so that Ray finds them by import) -------------


def placer_trial(config: dict[str, Any], placer: str, budget: tuple, fixed: dict) -> None:
    """One placer run of a sweep: reports ``cost`` (proxy, else HPWL), ``legal`` and times."""
    from ray import tune

    import agents
    from placement_env.designs import load_design
    from placement_env.legality import check_legality
    from placement_env.proxy_cost import proxy_cost_if_defined
    from placement_env.wirelength import hpwl

    options = {k: _tuples(v) for k, v in config["options"].items()}
    design = load_design(config["design"])
    start = time.perf_counter()
    try:
        result = agents.make_placer(placer, **fixed, **options).place(
            design, np.random.default_rng(config["seed"]), agents.Budget(*budget)
        )
    except agents.PlacerError as error:
        tune.report({"cost": math.inf, "legal": False, "error": str(error)})
        return
    placement = result.placement
    legal = bool(check_legality(design.netlist, placement).is_legal)
    parts = proxy_cost_if_defined(design.netlist, placement, design.plc)
    objective = "proxy" if parts is not None else "hpwl"
    cost = parts.proxy if parts is not None else hpwl(design.netlist, placement)
    tune.report(
        {
            "cost": float(cost) if legal else math.inf,
            "objective": objective,
            "legal": legal,
            "error": "" if legal else "illegal placement",
            "evaluations": int(result.stats.evaluations),
            "seconds": time.perf_counter() - start,
        }
    )


def ppo_trial(config: dict[str, Any], fixed: dict) -> None:
    """One PPO training of a sweep: reports the best cost so far after every evaluation."""
    from ray import tune

    from agents.ppo_run import TrainingRun, train

    options = {k: _tuples(v) for k, v in config["options"].items()}
    trial_dir = Path(tune.get_context().get_trial_dir())
    own = {"design": (config["design"],), "seed": int(config["seed"]), "progress": False,
           "out": str(trial_dir / "train")}  # fmt: skip
    run = TrainingRun(**{**fixed, **options, **own})

    def report(rows: list[dict]) -> None:
        tune.report(
            {
                "cost": statistics.fmean(r["best_cost"] for r in rows),
                "greedy_cost": statistics.fmean(r["greedy_cost"] for r in rows),
                "timesteps": rows[0]["timesteps"],
                "legal": True,
                "error": "",
            }
        )

    train(run, report=report)


# -- running and summarising ---------------------------------------------------------------


def _progress_callback(bar: Any) -> Any:
    """A Tune callback that advances a tqdm bar as trials end (finished, stopped or failed)."""
    from ray import tune

    class TrialsEnded(tune.Callback):
        def on_trial_complete(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
            bar.update()

        def on_trial_error(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
            bar.update()

    return TrialsEnded()


def run_sweep(
    sweep: Sweep,
    out: str | Path,
    address: str | None = None,
    cpus: int | None = None,
    progress: bool = True,
) -> list[dict[str, Any]]:
    """Runs every trial of ``sweep`` on Ray Tune; returns one row per trial.

    Rows: ``config`` (the searched options, JSON), ``design``, ``seed``, ``cost``, ``legal``,
    ``error`` and, for PPO, ``timesteps`` and ``evaluations`` (reports before the end or ASHA's
    stop). Tune's own files go to ``out/tune``.

    Raises:
        ExecutorError: Ray cannot start or the cluster cannot be reached.
    """
    connect_ray(address, cpus)
    from ray import tune
    from ray.tune.schedulers import ASHAScheduler
    from tqdm import tqdm

    out = Path(out).resolve()
    # Tune runs each trial in its own folder: a design given as a relative path must not move.
    designs = [str(Path(d).resolve()) if Path(d).exists() else d for d in sweep.designs]
    space = {"options": tune.grid_search(configurations(sweep))}
    per_design = len(space["options"]["grid_search"]) * sweep.seeds
    seeds = tune.grid_search(list(range(sweep.seeds)))
    if sweep.kind == "placer":
        trainable = tune.with_parameters(
            placer_trial,
            placer=sweep.placer,
            budget=(sweep.budget_evaluations, sweep.budget_seconds),
            fixed=dict(sweep.fixed),
        )
        experiments = [("placer", {**space, "design": tune.grid_search(designs),
                                   "seed": seeds}, None)]  # fmt: skip
    else:
        trainable = tune.with_parameters(ppo_trial, fixed=dict(sweep.fixed))
        envs = [v for a in sweep.axes if a.name == "n_envs" for v in a.values]
        cpus = max([1, int(sweep.fixed.get("n_envs", 1)), *map(int, envs)])  # its env processes
        experiments = []
        for i, design in enumerate(designs):
            # One experiment per design: ASHA compares runs on one design only.
            scheduler = ASHAScheduler(
                time_attr="training_iteration",
                max_t=10**6,  # the runs end by their own --timesteps; ASHA only stops early
                grace_period=sweep.grace_evaluations,
                reduction_factor=2,
            )
            experiments.append((f"ppo_{i}", {**space, "design": design, "seed": seeds}, scheduler))
    bar = tqdm(total=per_design * len(designs), desc="trials", disable=not progress)
    rows: list[dict[str, Any]] = []
    try:
        for name, param_space, scheduler in experiments:
            tuner = tune.Tuner(
                tune.with_resources(trainable, {"cpu": 1 if sweep.kind == "placer" else cpus}),
                param_space=param_space,
                tune_config=tune.TuneConfig(
                    metric="cost",
                    mode="min",
                    scheduler=scheduler,
                    reuse_actors=True,  # one worker process runs many trials: no re-imports
                ),
                run_config=tune.RunConfig(
                    name=name,
                    storage_path=str(out / "tune"),
                    verbose=0,
                    callbacks=[_progress_callback(bar)],
                    failure_config=tune.FailureConfig(max_failures=1),  # retried once
                ),
            )
            rows.extend(_trial_rows(tuner.fit(), sweep))
    finally:
        bar.close()
    return rows


def _trial_rows(results: Any, sweep: Sweep) -> list[dict[str, Any]]:
    rows = []
    for result in results:
        config = result.config or {}
        metrics = result.metrics or {}
        error = metrics.get("error", "")
        if result.error is not None:
            error = one_line(result.error)
        cost = metrics.get("cost", math.inf)
        row = {
            "config": json.dumps(config.get("options", {}), default=list),
            "design": config.get("design", ""),
            "seed": config.get("seed", ""),
            "cost": cost if error == "" else math.inf,
            "legal": bool(metrics.get("legal", False)) and error == "",
            "error": error,
        }
        if sweep.kind == "ppo":
            row["timesteps"] = metrics.get("timesteps", "")
            row["evaluations"] = metrics.get("training_iteration", "")
        rows.append(row)
    return rows


def summarise(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Per configuration: each design's mean and std cost, the runs that failed, and the score
    (geometric mean over designs of mean cost / the best configuration's mean cost there).

    Returns the configurations, best first, and the best one. A configuration whose runs all
    failed on a design scores infinity; a design where every configuration failed is left out
    of the scores (it ranks nothing).
    """
    designs = sorted({r["design"] for r in rows})
    by: dict[str, dict[str, list[float]]] = {}
    failed: dict[str, int] = {}
    for row in rows:
        by.setdefault(row["config"], {d: [] for d in designs})
        if math.isfinite(row["cost"]):
            by[row["config"]][row["design"]].append(float(row["cost"]))
        else:
            failed[row["config"]] = failed.get(row["config"], 0) + 1
    means = {
        config: {d: statistics.fmean(v) if v else math.inf for d, v in per.items()}
        for config, per in by.items()
    }
    best_mean = {d: min(m[d] for m in means.values()) for d in designs}
    scored = [d for d in designs if math.isfinite(best_mean[d])]  # some configuration ran there
    table = []
    for config, per in by.items():
        ratios = [means[config][d] / best_mean[d] for d in scored]
        usable = bool(ratios) and all(math.isfinite(r) and r > 0 for r in ratios)
        score = math.exp(statistics.fmean(math.log(r) for r in ratios)) if usable else math.inf
        table.append(
            {
                "config": config,
                "score": score,
                "failed": failed.get(config, 0),
                "designs": {
                    d: (means[config][d], statistics.stdev(v) if len(v) > 1 else 0.0, len(v))
                    for d, v in per.items()
                },
            }
        )
    table.sort(key=lambda entry: (entry["score"], entry["config"]))
    return table, table[0] if table else {}


def markdown(table: list[dict[str, Any]]) -> str:
    """The summary as a Markdown table: one row per configuration, one column per design."""
    if not table:
        return "(no trials)\n"
    designs = list(table[0]["designs"])
    head = ["configuration", "score", *designs, "failed"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for entry in table:
        cells = [f"`{entry['config']}`", f"{entry['score']:.4f}"]
        for design in designs:
            mean, std, n = entry["designs"][design]
            cells.append(f"{mean:.6g} ± {std:.3g} ({n})" if n else "-")
        cells.append(str(entry["failed"]))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write_outputs(rows: list[dict[str, Any]], sweep: Sweep, out: str | Path) -> dict[str, Any]:
    """Writes ``trials.csv``, ``sweep.md`` (the summary) and ``best.json``; returns the best."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    columns = list(rows[0]) if rows else ["config", "design", "seed", "cost", "legal", "error"]
    with open(out / "trials.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    table, best = summarise(rows)
    what = f"placer {sweep.placer}" if sweep.kind == "placer" else "PPO (ASHA early stopping)"
    budget = ""
    if sweep.kind == "placer":
        parts = [f"{sweep.budget_evaluations} evaluations" if sweep.budget_evaluations else "",
                 f"{sweep.budget_seconds:g} s" if sweep.budget_seconds else ""]  # fmt: skip
        budget = "; budget per run: " + ", ".join(p for p in parts if p)
    fixed = f"; fixed: {json.dumps(dict(sweep.fixed), default=list)}" if sweep.fixed else ""
    text = (
        f"Sweep of {what}; {sweep.seeds} seed(s){budget}{fixed}. Cost: mean ± std (runs) per "
        "design; score: geometric mean over designs of the mean cost over the best "
        "configuration's (1 = best everywhere).\n\n" + markdown(table)
    )
    (out / "sweep.md").write_text(text)
    if best:
        summary = {"kind": sweep.kind, "placer": sweep.placer, "best": json.loads(best["config"]),
                   "score": best["score"], "designs": best["designs"]}  # fmt: skip
        (out / "best.json").write_text(json.dumps(summary, indent=2, default=str))
    return best
