"""Where the guided annealer's proposals go: picks and illegal proposals by macro size.

Runs ``annealing`` (uniform macro picks) and ``learned_annealing`` (``mode="guided"``: the
refine policy weighs the picks) for the same time on one design, and counts every call of the
move proposer by the macro it drew: how often each size quartile is picked, what share of those
proposals were illegal (overlap or off the die: no move, no cost evaluation), and how many
proposals each placer makes per second. The hypothesis under test: the policy favours large
macros, whose moves are illegal more often, so the guided loop wastes its proposals.

Usage: python scripts/bench_guided_proposals.py [--checkpoint out/refine_ibm01/model.zip]
    [--design ibm01] [--seconds 60] [--seeds 2]
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np
import torch

import agents
import agents.annealing as annealing_module
import netlists


class _Counting:
    """Wraps ``propose_hard_move``: counts picks and illegal proposals per macro (by its place
    in the proposer's macro list) and notes each macro's area from the proposer's boxes."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.picks: np.ndarray | None = None
        self.illegal: np.ndarray | None = None
        self.area: np.ndarray | None = None

    def __call__(self, rng, move_p, macros, positions, orientations, boxes, step, macro_cdf=None):
        if self.picks is None:
            self.picks = np.zeros(len(macros), dtype=np.int64)
            self.illegal = np.zeros(len(macros), dtype=np.int64)
            self.area = np.array([4 * np.prod(boxes.half[boxes.row[int(m)]]) for m in macros])
        state = rng.bit_generator.state
        move = self.inner(rng, move_p, macros, positions, orientations, boxes, step, macro_cdf)
        # Replay the first draws to learn which macro was picked (the proposer draws the kind,
        # then the macro, before anything else).
        probe = np.random.Generator(type(rng.bit_generator)())
        probe.bit_generator.state = state
        probe.choice(len(move_p), p=move_p)
        if macro_cdf is None:
            k = int(probe.integers(len(macros)))
        else:
            pick = np.searchsorted(macro_cdf, probe.random() * macro_cdf[-1], side="right")
            k = min(int(pick), len(macros) - 1)
        self.picks[k] += 1
        if move is None:
            self.illegal[k] += 1
        return move


def _run(design, placer, seconds: float, seed: int):
    counter = _Counting(annealing_module.propose_hard_move)
    annealing_module.propose_hard_move = counter
    try:
        start = time.perf_counter()
        placer.place(design, np.random.default_rng(seed), agents.Budget(None, seconds))
        elapsed = time.perf_counter() - start
    finally:
        annealing_module.propose_hard_move = counter.inner
    return counter, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--checkpoint", default=None, help="a MacroRefine-v0 model.zip (default: the priors)"
    )
    parser.add_argument("--design", default="ibm01")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--seeds", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(1)
    design = netlists.load(args.design)
    placers = {
        "annealing": agents.make_placer("annealing", context="macros"),
        "guided": agents.make_placer("learned_annealing", checkpoint=args.checkpoint),
    }
    print(f"machine: {platform.machine()}, Python {platform.python_version()}; {args.design}")
    print(
        "| placer | seed | proposals/s | illegal share | picks by size quartile (small->large) "
        "| illegal share by quartile |"
    )
    print("|---|---|---:|---:|---|---|")
    for label, placer in placers.items():
        for seed in range(args.seeds):
            counter, elapsed = _run(design, placer, args.seconds, seed)
            picks, illegal, area = counter.picks, counter.illegal, counter.area
            rank = np.empty(len(area), dtype=np.int64)
            rank[np.argsort(area, kind="stable")] = np.arange(len(area))
            quartile = rank * 4 // len(area)  # by area rank: equal areas split evenly
            total = int(picks.sum())
            by_q = [int(picks[quartile == q].sum()) for q in range(4)]
            bad_q = [int(illegal[quartile == q].sum()) for q in range(4)]
            shares = " / ".join(f"{p / max(total, 1):.2f}" for p in by_q)
            bad = " / ".join(f"{b / max(p, 1):.2f}" for b, p in zip(bad_q, by_q, strict=True))
            print(
                f"| {label} | {seed} | {total / elapsed:,.0f} | "
                f"{int(illegal.sum()) / max(total, 1):.3f} | {shares} | {bad} |"
            )


if __name__ == "__main__":
    main()
