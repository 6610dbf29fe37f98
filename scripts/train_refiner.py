"""Train the move proposer of the ``learned_annealing`` placer on ``MacroRefine-v0``.

Every option is a field of :class:`agents.refine_training.RefineRun`; ``--help`` lists them.
What a run writes is in :mod:`agents.refine_training`.

    python scripts/train_refiner.py --design ibm01 --grid 64 --max-minutes 10 --out out/refine
    # then: agents.make_placer("learned_annealing", checkpoint="out/refine/model.zip")
"""

from __future__ import annotations

import sys

import torch

from agents.cli import dataclass_parser, parse_into
from agents.ppo_training import TrainingError
from agents.refine_training import RefineRun, train_refiner
from netlists import NetlistError
from placement_env.problem import ProblemError


def mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else float("nan")


def main(argv: list[str] | None = None) -> int:
    torch.set_num_threads(1)
    parser = dataclass_parser(RefineRun, __doc__.split("\n")[0])
    run = parse_into(RefineRun, argv, parser, (TrainingError,))
    try:
        summary = train_refiner(run)
    except (TrainingError, NetlistError, ProblemError, ValueError) as error:
        print(f"train_refiner.py: error: {error}", file=sys.stderr)
        return 2
    first, last = summary["first_returns"], summary["last_returns"]
    print(
        f"{run.design}: {summary['episodes']} episodes, {summary['timesteps']} steps in "
        f"{summary['train_seconds']:.0f} s; mean return first 20 {mean(first):.6g}, "
        f"last 20 {mean(last):.6g} -> {run.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
