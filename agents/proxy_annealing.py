"""Simulated annealing on the Circuit Training proxy cost, moving hard *and* soft macros.

The HPWL annealer (:mod:`agents.annealing`) ignores density and congestion, which are most of the
proxy on the modern designs. This placer anneals the proxy itself, scored move by move with
:class:`placement_env.proxy_incremental.IncrementalProxy` (about 0.2 ms a move on ariane133,
against 2 ms for a full rescoring), so a 10-minute run tries a few million moves:

* **start**: hard macros from the greedy wire-mask placer (``start="greedy"``) or the design's
  shipped placement made legal by the minimum-displacement legaliser (``start="shipped"``, the
  2026 challenge's setting: placers there receive the initial ``.plc``); then soft macros placed
  by the force-directed step (:func:`placement_env.soft_macros.place_soft_macros`);
* **hard-macro moves** (TILOS/Circuit Training style), each kept legal: *shift* by a random step
  that shrinks as the temperature falls, *swap* two macros, *move* to a random spot, *flip*
  (N/S/FN/FS, or the rotated group, so footprints never change);
* **soft-macro moves** (the force-directed step's job, done under the exact cost): *shift*,
  *pull* to the weighted centre of the pins it connects to, and *swap* two soft macros;
* Metropolis acceptance with the schedule of :mod:`agents.annealing_schedule` (shared with the
  HPWL annealer): geometric cooling from a temperature at which an average uphill move is
  accepted with probability ``start_acceptance``; the best placement seen is returned.

Only an evaluation budget makes a run deterministic for a seed.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from agents.annealing import (
    GuidedPicks,
    MacroBoxes,
    calibrate,
    metropolis,
    propose_hard_move,
)
from agents.annealing_schedule import START_ACCEPTANCE
from agents.base import (
    Budget,
    MacroProblem,
    Meter,
    Placer,
    PlacerError,
    PlacerResult,
    PlacerStats,
    register,
)
from agents.greedy import greedy_sub_placement
from agents.legalize import legalize
from netlists import Design, NodeKind, Placement
from placement_env.proxy_incremental import IncrementalProxy
from placement_env.soft_macros import place_soft_macros

STARTS = ("greedy", "shipped")
SOFT_MOVES = ("shift", "pull", "swap")


@register
class ProxyAnnealingPlacer(Placer):
    """Simulated annealing of hard and soft macros on the exact proxy cost.

    Args:
        start: ``"greedy"`` or ``"shipped"`` (see the module docstring).
        grid: Cells per side of the greedy start's grid.
        soft_fraction: Share of moves that move soft macros (0 when the design has none).
        hard_weights: Relative frequencies of the hard-macro shift, swap, move and flip.
        soft_weights: Relative frequencies of the soft-macro shift, pull and swap.
        start_acceptance: Probability of accepting an average uphill move at the start.
        fd_iterations: Iterations of the force-directed soft-macro start (0: keep the shipped
            soft-macro positions).
        resync_every: Moves between full recomputations of the cost (sheds rounding drift).
        default_evaluations: Budget in moves when the caller gives none.
    """

    name = "proxy_annealing"
    #: Proposals between two calls of the macro guide (see :meth:`macro_guide`).
    guide_every = 5000

    def __init__(
        self,
        start: str = "greedy",
        grid: int = 64,
        soft_fraction: float = 0.6,
        hard_weights: tuple[float, float, float, float] = (0.6, 0.15, 0.1, 0.15),
        soft_weights: tuple[float, float, float] = (0.5, 0.35, 0.15),
        start_acceptance: float = START_ACCEPTANCE,
        fd_iterations: int = 60,
        resync_every: int = 50_000,
        default_evaluations: int = 20_000,
    ) -> None:
        if start not in STARTS:
            raise PlacerError(f"unknown start {start!r}; choose one of {STARTS}")
        if not 0.0 <= soft_fraction <= 1.0:
            raise PlacerError(f"soft_fraction must be in [0, 1], got {soft_fraction}")
        if not 0.0 < start_acceptance < 1.0:
            raise PlacerError(f"start_acceptance must be in (0, 1), got {start_acceptance}")
        self.start = start
        self.grid_size = grid
        self.soft_fraction = soft_fraction
        self.hard_p = np.asarray(hard_weights, float) / np.sum(hard_weights)
        self.soft_p = np.asarray(soft_weights, float) / np.sum(soft_weights)
        self.start_acceptance = start_acceptance
        self.fd_iterations = fd_iterations
        self.resync_every = resync_every
        self.default_evaluations = default_evaluations

    def macro_guide(
        self, design: Design, problem: MacroProblem, start: Placement
    ) -> Callable[[Placement], np.ndarray] | None:
        """How often each hard macro is picked: None (uniformly) or a function of the current
        full placement giving one weight >= 0 per macro of ``problem.macros``, called every
        :attr:`guide_every` hard-macro proposals (see
        :meth:`agents.annealing.AnnealingPlacer.macro_guide`)."""
        return None

    # -- the start ------------------------------------------------------------------------------

    def _start(self, design: Design, rng: np.random.Generator) -> tuple[Placement, MacroProblem]:
        problem = MacroProblem(design, "placed")
        if self.start == "greedy":
            sub, _, _ = greedy_sub_placement(problem, self.grid_size)
        else:
            targets = design.placement.positions[problem.macros]
            sub, _ = legalize(problem, targets)
        full = problem.to_full(sub)
        if self.fd_iterations > 0:
            full = place_soft_macros(design.netlist, full, iterations=self.fd_iterations, rng=rng)
        return full, problem

    def place(self, design: Design, rng: np.random.Generator, budget: Budget) -> PlacerResult:
        plc = design.plc
        if plc is None or plc.routes_per_micron_h is None or plc.routes_per_micron_v is None:
            raise PlacerError(
                f"design {design.netlist.name!r}: proxy_annealing needs the .plc settings (grid "
                "and routes per micron) that define the proxy cost"
            )
        meter = Meter(budget.or_default(self.default_evaluations))
        nl = design.netlist
        start, problem = self._start(design, rng)
        inc = IncrementalProxy(nl, start, plc)
        start_cost = inc.cost
        boxes = MacroBoxes(nl, start)
        hard = problem.macros
        soft = np.flatnonzero((nl.node_kinds == int(NodeKind.SOFT_MACRO)) & ~nl.node_fixed)
        soft_half = start.footprints(nl, soft) / 2 if len(soft) else np.zeros((0, 2))
        soft_row = np.full(nl.num_nodes, -1, dtype=np.int64)
        soft_row[soft] = np.arange(len(soft))
        canvas = nl.canvas
        low = np.array([canvas.x_min, canvas.y_min])
        high = np.array([canvas.x_max, canvas.y_max])
        span = high - low
        soft_share = self.soft_fraction if len(soft) else 0.0

        def clamp_soft(node: int, xy: np.ndarray) -> np.ndarray:
            half = soft_half[soft_row[node]]
            return np.clip(xy, low + half, np.maximum(high - half, low + half))

        picks = GuidedPicks(self.macro_guide(design, problem, start), self.guide_every)

        def propose_hard(radius: float) -> tuple | None:
            cdf = picks.next(
                lambda: Placement(inc.positions.copy(), inc.orientations.copy(), start.placed)
            )
            return propose_hard_move(
                rng, self.hard_p, hard, inc.positions, inc.orientations, boxes, radius * span, cdf
            )

        def propose_soft(radius: float) -> tuple | None:
            kind = SOFT_MOVES[int(rng.choice(3, p=self.soft_p))]
            node = int(soft[rng.integers(len(soft))])
            pos = inc.positions[node]
            if kind == "swap":
                other = int(soft[rng.integers(len(soft))])
                if other == node:
                    return None
                a = clamp_soft(node, inc.positions[other])
                b = clamp_soft(other, pos)
                return [node, other], np.stack([a, b]), None
            if kind == "shift":
                target = pos + rng.normal(0.0, 1.0, 2) * radius * span
            else:  # pull: towards the mean of the other pins on its nets
                mean = inc.connected_pin_mean(node)
                if mean is None:
                    return None
                target = mean + rng.normal(0.0, 0.5, 2) * radius * span
            return [node], clamp_soft(node, target)[None, :], None

        def propose(radius: float) -> tuple | None:
            if rng.random() < soft_share:
                return propose_soft(radius)
            return propose_hard(radius)

        def commit_hard(nodes, positions) -> None:
            for node, pos in zip(nodes, positions, strict=True):
                if boxes.row[node] >= 0:
                    boxes.centre[boxes.row[node]] = pos

        def trial_delta(move: tuple) -> float:
            before = inc.cost.proxy
            delta = inc.move(*move) - before
            inc.undo()
            return delta

        t_start = calibrate(
            meter, propose, trial_delta, cost=inc.cost.proxy, accept=self.start_acceptance
        )
        best = {"positions": inc.positions.copy(), "orientations": inc.orientations.copy()}
        proposals = [0]

        def delta_of(move: tuple) -> float:
            proposals[0] += 1
            if proposals[0] % self.resync_every == 0:
                inc.resync()  # sheds the rounding that the take-out-and-put-back accumulates
            before = inc.cost.proxy
            return inc.move(*move) - before

        def keep_best() -> None:
            best["positions"] = inc.positions.copy()
            best["orientations"] = inc.orientations.copy()

        accepted, proposed = metropolis(
            rng,
            meter,
            propose,
            delta_of,
            lambda move: commit_hard(move[0], move[1]),
            lambda move: inc.undo(),
            keep_best,
            cost=inc.cost.proxy,
            t_start=t_start,
            tolerance=1e-12,
        )
        placed = start.placed.copy()
        placed[hard] = True
        placed[soft] = True
        best = Placement(best["positions"], best["orientations"], placed)
        final = IncrementalProxy(nl, best, plc).cost
        stats = PlacerStats(
            evaluations=meter.evaluations,
            seconds=meter.seconds,
            notes=(
                f"start={self.start}",
                f"start_proxy={start_cost.proxy:.12g}",
                f"best_proxy={final.proxy:.12g}",
                f"wirelength={final.wirelength:.6f}",
                f"density={final.density:.6f}",
                f"congestion={final.congestion:.6f}",
                f"accepted={accepted}/{proposed}",
            ),
        )
        return PlacerResult(best, stats)
