"""Compare baseline placers: placers x designs x seeds under one budget, in parallel.

Writes ``results.csv`` (one row per run and per shipped reference placement), ``results.md`` (mean
+- std per design x placer, also printed), every placement in the design's own format (``.plc``
for designs with ``.plc`` settings, ``.pl`` for Bookshelf, ``.json`` otherwise) so that
``scripts/evaluate_placement.py`` can re-score it, and a PNG of the best layout per design.

    python scripts/compare_placers.py                      # quick default run (< 1 minute)
    python scripts/compare_placers.py --designs ibm01 ibm02 --placers greedy annealing \
        --seeds 5 --budget-seconds 60 --out compare_out

Designs are bundled names, paths, or an accelerator preset of :mod:`accel` (``tpu_v1``,
``tpu_v2``, ``tpu_v3``: the chip of ``accel.build_chip``, whose hand-made floor plan is scored as
the reference ``ref:hand-made``).

The runs go to a local process pool (``--workers``), to this process one at a time (``--executor
serial``), or with ``--executor ray`` to one Ray task each (:mod:`agents.executors`): a local Ray
of ``--workers`` CPUs on this machine, or the cluster at ``--address``. Every
executor gives the same rows for the same seeds under an evaluation budget. A run that raises, or
whose worker or node dies, is retried once (column ``attempts``); if it fails again its row
carries the error and the others go on. Placement files and pictures are written here, by this
process, so that nothing has to be fetched from the cluster's nodes.

    python scripts/compare_placers.py --executor ray --address HEAD_IP:6379 --designs ibm01 \
        ibm02 --placers annealing proxy_annealing --seeds 8 --budget-seconds 600
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

import netlists
from agents.executors import EXECUTORS, ExecutorError, connect_ray, run_jobs
from netlists import Design, NodeKind, Placement
from placement_env.designs import design_labels as shared_design_labels
from placement_env.designs import load_design, resolve_design
from placement_env.legality import check_legality
from placement_env.proxy_cost import proxy_cost_if_defined
from placement_env.wirelength import hpwl, macro_hpwl

DEFAULT_DESIGNS = ["n30", "ct_sample_clustered", "ami33"]
DEFAULT_PLACERS = ["random", "greedy", "annealing"]
#: Columns of the global router (placement_env.routing.ROUTED_COLUMNS), filled unless --no-route.
ROUTED = [
    "routed_overflow", "routed_max_overflow", "routed_overflowed_edges", "routed_wl_um",
    "routed_vias", "routed_util_top5", "route_seconds",
]  # fmt: skip
FIELDS = [
    "design", "placer", "seed", "hpwl", "macro_hpwl", "proxy", "proxy_wirelength",
    "proxy_density", "proxy_congestion", "legal", "overlap_area", *ROUTED, "evaluations",
    "seconds", "machine", "file", "attempts", "error",
]  # fmt: skip
METRICS = [
    "hpwl", "macro_hpwl", "proxy", "proxy_wirelength", "proxy_density", "proxy_congestion",
    "overlap_area", "routed_overflow", "routed_wl_um", "seconds",
]  # fmt: skip
COST_FIELDS = [f for f in METRICS if f != "seconds"]


def machine() -> str:
    """The machine a run happens on (each Ray task names its own node)."""
    return f"{platform.node()} ({platform.machine()}, {os.cpu_count()} cpus)"


MACHINE = machine()

_DESIGNS: dict[str, Design] = {}


def _design(name: str) -> Design:
    if name not in _DESIGNS:
        _DESIGNS[name] = load_design(name)
    return _DESIGNS[name]


def design_labels(names: list[str]) -> dict[str, str]:
    """A unique output label per ``--designs`` value
    (:func:`placement_env.designs.design_labels`)."""
    return dict(zip(names, shared_design_labels(names), strict=True))


def score(design: Design, placement: Placement, route: bool = True) -> dict[str, object]:
    """The table's metrics of one placement (every cost from ``placement_env``).

    With ``route`` the macro-level nets are also routed by the negotiated global router
    (:func:`placement_env.routing.routed_metrics`), when the placement is legal.
    """
    nl = design.netlist
    report = check_legality(nl, placement)
    parts = proxy_cost_if_defined(nl, placement, design.plc)
    row = {
        "hpwl": hpwl(nl, placement),
        "macro_hpwl": macro_hpwl(nl, placement),
        "proxy": parts.proxy if parts else "",
        "proxy_wirelength": parts.wirelength if parts else "",
        "proxy_density": parts.density if parts else "",
        "proxy_congestion": parts.congestion if parts else "",
        "legal": bool(report.is_legal),
        "overlap_area": report.overlap_area,
    }
    routed = {column: "" for column in ROUTED}
    if route and report.is_legal:
        from placement_env.routing import routed_metrics

        routed.update(routed_metrics(design, placement))
    return {**row, **routed}


def _options(placer: str, context: str | None, extra: dict | None = None) -> dict:
    """Constructor options of ``placer``: ``context`` for the placers that take one, and the
    ``--placer-arg`` options given for it."""
    import inspect

    import agents

    options = dict((extra or {}).get(placer, {}))
    if context is None:
        return options
    takes = inspect.signature(agents.PLACERS[placer]).parameters
    return {"context": context, **options} if "context" in takes else options


def parse_placer_args(items: list[str], placers: list[str]) -> dict[str, dict]:
    """``PLACER:KEY=VALUE`` items as ``{placer: {key: value}}`` (values parsed as JSON where
    they are JSON); raises ValueError naming a bad item or a placer not in ``placers``."""
    import agents
    from agents.cli import check_keywords, key_values

    options: dict[str, dict] = {}
    for item in items:
        placer, sep, rest = item.partition(":")
        if not sep or placer not in placers:
            raise ValueError(
                f"--placer-arg takes PLACER:KEY=VALUE with PLACER one of {placers}, got {item!r}"
            )
        values = key_values((rest,), ValueError, "--placer-arg")
        check_keywords(agents.PLACERS[placer], values, ValueError, f"--placer-arg {placer}:")
        options.setdefault(placer, {}).update(values)
    return options


def run_one(
    name: str,
    label: str,
    placer: str,
    seed: int,
    budget: tuple,
    route: bool = True,
    context: str | None = None,
    placer_args: dict | None = None,
) -> tuple[dict, Placement | None]:
    """One placer run (in a worker process or a Ray task) and its scored row.

    A placer that fails (:class:`agents.PlacerError`) gives an illegal row with the error; any
    other exception propagates, for the executor to retry. The caller writes the placement file.
    """
    import agents

    design = _design(name)
    start = time.perf_counter()
    try:
        result = agents.make_placer(placer, **_options(placer, context, placer_args)).place(
            design, np.random.default_rng(seed), agents.Budget(*budget)
        )
    except agents.PlacerError as error:  # e.g. random placement stuck on a crowded die
        row = failed_row(label, placer, seed, str(error))
        row.update(seconds=time.perf_counter() - start, machine=machine())
        return row, None
    seconds = time.perf_counter() - start
    row = {
        "design": label,
        "placer": placer,
        "seed": seed,
        **score(design, result.placement, route),
    }
    row.update(
        evaluations=result.stats.evaluations,
        seconds=seconds,
        machine=machine(),
        file="",
        error="",
    )
    return row, result.placement


def _portable(name: str) -> str:
    """A design name as every worker reads it: a relative path made absolute (a Ray worker's
    working directory is not this one), anything else as given."""
    return str(Path(name).resolve()) if Path(name).exists() else name


def failed_row(label: str, placer: str, seed: int, error: str) -> dict:
    """The illegal, cost-less row of a run that gave no placement."""
    row = {"design": label, "placer": placer, "seed": seed, "legal": False}
    row.update({m: "" for m in COST_FIELDS + ROUTED})
    row.update(evaluations="", seconds="", machine="", file="", error=error)
    return row


def save_run(name: str, row: dict, placement: Placement | None, out: Path) -> None:
    """Writes a run's placement in its design's format and names the file in its row."""
    if placement is None:
        return
    design = _design(name)
    path = out / "placements" / f"{row['design']}_{row['placer']}_s{row['seed']}"
    path = path.with_name(path.name + design.placement_suffix)
    netlists.write_design(Design(design.netlist, placement, design.plc), path)
    row["file"] = str(path)


def reference_rows(name: str, label: str, route: bool = True) -> list[tuple[dict, Placement]]:
    """The design's shipped placement (when its macros are all placed) and named references."""
    design = _design(name)
    nl = design.netlist
    movable = (nl.node_kinds == int(NodeKind.HARD_MACRO)) & ~nl.node_fixed
    found: list[tuple[str, Placement]] = []
    if design.placement.placed[movable].all():
        found.append(("ref:shipped", design.placement))
    for ref, path in sorted(design.reference_placements.items()):
        found.append((f"ref:{ref}", netlists.read_placement(path, nl)))
    if resolve_design(name).preset is not None:
        import accel

        # TPUv2/v3 (two cores, HBM): accel has no hand-made plan for them (a ValueError).
        with contextlib.suppress(ValueError):
            found.append(("ref:hand-made", accel.reference_placement(design)))
    rows = []
    for ref_name, placement in found:
        row = {
            "design": label,
            "placer": ref_name,
            "seed": "",
            **score(design, placement, route),
        }
        row.update(evaluations="", seconds="", machine=MACHINE, file="", attempts="", error="")
        rows.append((row, placement))
    return rows


def _fmt(values: list[float]) -> str:
    if not values:
        return "-"
    mean = statistics.fmean(values)
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{mean:.6g} ± {std:.3g}" if std else f"{mean:.6g}"


def markdown(rows: list[dict]) -> str:
    """Mean ± std per design x placer (metrics no row has are left out)."""
    metrics = [m for m in METRICS if any(r.get(m, "") != "" for r in rows)]
    head = ["design", "placer", "runs", "legal", *metrics]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    groups: dict[tuple[str, str], list[dict]] = {}
    for row in rows:
        groups.setdefault((row["design"], row["placer"]), []).append(row)
    for (design, placer), group in groups.items():
        cells = [design, placer, str(len(group)), f"{sum(r['legal'] for r in group)}/{len(group)}"]
        for metric in metrics:
            cells.append(_fmt([float(r[metric]) for r in group if r[metric] != ""]))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--designs", nargs="+", default=DEFAULT_DESIGNS, help="names or paths")
    parser.add_argument("--placers", nargs="+", default=DEFAULT_PLACERS)
    parser.add_argument("--seeds", type=int, default=2, help="seeds 0..N-1 per design x placer")
    parser.add_argument("--budget-seconds", type=float, default=None, help="per run")
    parser.add_argument(
        "--keep-going",
        action="store_true",
        help="exit 0 even when some runs fail (each failure is still printed)",
    )
    parser.add_argument("--budget-evaluations", type=int, default=None, help="per run")
    parser.add_argument("--out", default="compare_out", help="output directory")
    parser.add_argument(
        "--workers",
        type=int,
        default=min(2, os.cpu_count() or 1),
        help="processes of the process executor; CPUs of a local Ray",
    )
    parser.add_argument(
        "--executor",
        choices=EXECUTORS,
        default="process",
        help="where the runs go: a local process pool, this process in turn, or Ray tasks",
    )
    parser.add_argument(
        "--address",
        default=None,
        help="with --executor ray: the cluster to join (HEAD_IP:6379, or auto for the one "
        "`ray start` runs on this machine); default: start Ray on this machine",
    )
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument(
        "--no-route", action="store_true", help="skip the global routing of each placement"
    )
    parser.add_argument(
        "--context",
        choices=["placed", "macros"],
        default=None,
        help="what the HPWL placers see besides the macros: every placed node of the shipped "
        "placement, or only ports and fixed blocks (protocol MH); default: each placer's own",
    )
    parser.add_argument(
        "--placer-arg",
        nargs="+",
        default=[],
        help="PLACER:KEY=VALUE constructor options, e.g. learned_annealing:checkpoint=model.zip",
    )
    args = parser.parse_args(argv)
    try:
        placer_args = parse_placer_args(args.placer_arg, args.placers)
    except ValueError as error:
        parser.error(str(error))

    import agents

    unknown = [p for p in args.placers if p not in agents.PLACERS]
    if unknown:
        parser.error(f"unknown placer(s) {unknown}; known: {', '.join(sorted(agents.PLACERS))}")
    if args.seeds < 1:
        parser.error("--seeds must be at least 1")
    if args.address is not None and args.executor != "ray":
        parser.error("--address joins a Ray cluster; give it with --executor ray")
    if args.budget_seconds is None and args.budget_evaluations is None:
        args.budget_evaluations = 300
    try:
        budget = agents.Budget(args.budget_evaluations, args.budget_seconds)
    except agents.PlacerError as error:
        parser.error(str(error))
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        parser.error(f"--out {args.out!r} is a file; give a folder (new or existing)")
    started = time.perf_counter()

    try:
        labels = design_labels(args.designs)
    except netlists.NetlistError as error:
        parser.error(str(error))
    if args.executor == "ray":  # a cluster that cannot be joined fails before anything is written
        try:
            connect_ray(args.address, args.workers)
        except ExecutorError as error:
            parser.error(str(error))
    out.mkdir(parents=True, exist_ok=True)  # only once the designs are known to load
    results: list[tuple[dict, Placement]] = []
    for name in labels:
        results.extend(reference_rows(name, labels[name], not args.no_route))
    jobs = [(d, p, s) for d in labels for p in args.placers for s in range(args.seeds)]
    budget_args = (budget.evaluations, budget.seconds)
    from tqdm import tqdm

    bar = tqdm(total=len(jobs), desc="placing", disable=args.no_progress, file=sys.stderr)
    try:
        outcomes = run_jobs(
            run_one,
            [
                (
                    _portable(d),
                    labels[d],
                    p,
                    s,
                    budget_args,
                    not args.no_route,
                    args.context,
                    placer_args,
                )
                for d, p, s in jobs
            ],  # fmt: skip
            executor=args.executor,
            workers=args.workers,
            address=args.address,
            on_done=lambda _: bar.update(),
        )
    except ExecutorError as error:
        parser.error(str(error))
    bar.close()
    for (name, placer, seed), outcome in zip(jobs, outcomes, strict=True):
        if outcome.ok:
            row, placement = outcome.value
        else:
            row, placement = failed_row(labels[name], placer, seed, outcome.error), None
        row["attempts"] = outcome.attempts
        save_run(name, row, placement, out)
        results.append((row, placement))
    order = {
        (d, p): i for i, (d, p) in enumerate((labels[d], p) for d in labels for p in args.placers)
    }
    results.sort(
        key=lambda rp: (
            rp[0]["design"],
            order.get((rp[0]["design"], rp[0]["placer"]), -1),
            str(rp[0]["seed"]),
        )
    )
    rows = [row for row, _ in results]

    with open(out / "results.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    from netlists.render import save_placement_png

    for name, label in labels.items():
        design = _design(name)
        runs = [
            (r, p)
            for r, p in results
            if r["design"] == label and r["legal"] and r["seed"] != "" and p is not None
        ]
        if not runs:
            continue
        key = "proxy" if all(r["proxy"] != "" for r, _ in runs) else "hpwl"
        row, placement = min(runs, key=lambda rp: float(rp[0][key]))
        save_placement_png(
            design.netlist,
            placement,
            out / f"{label}_best.png",
            title=f"{label}: {row['placer']} seed {row['seed']} ({key} {float(row[key]):.6g})",
        )
    elapsed = time.perf_counter() - started
    budget_text = f"{budget.evaluations} evaluations" if budget.evaluations else ""
    if budget.seconds:
        budget_text += (", " if budget_text else "") + f"{budget.seconds:g} s"
    context = f"; context: {args.context}" if args.context else ""
    where = f"{args.workers} workers" if args.executor == "process" else f"executor {args.executor}"
    table = (
        f"Budget per run: {budget_text}{context}; seeds: {args.seeds}; {where}; "
        f"{elapsed:.1f} s in all on {MACHINE}.\n\n" + markdown(rows)
    )
    (out / "results.md").write_text(table)
    print(table)
    failed = [row for row in rows if row["error"]]
    for row in failed:
        print(
            f"failed: {row['placer']} on {row['design']} seed {row['seed']}: {row['error']}",
            file=sys.stderr,
        )
    if failed and not args.keep_going:
        print(f"{len(failed)} of {len(jobs)} runs failed (--keep-going exits 0)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
