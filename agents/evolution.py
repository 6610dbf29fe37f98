"""Evolutionary wire-mask search (WireMask-EA style, a (1+1)-EA).

The genome holds one target position per macro; it is decoded greedily with wire masks: each
macro (largest first) goes to the legal cell of least HPWL increase, ties broken by distance to
its target position (then cell index). Mutation re-draws each target with probability 1/m (at
least one) uniformly over the die; the child replaces the parent when no worse. Budget: full
placements decoded. A child that dead-ends (no legal cell; dense designs) is decoded by the
minimum-displacement legaliser from its targets instead; if that fails too it counts as an
evaluation and is discarded.
"""

from __future__ import annotations

import numpy as np

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
from agents.decode import decode, wire_mask_chooser
from agents.greedy import greedy_sub_placement
from agents.legalize import legalize
from netlists import Design
from placement_env.wirelength import hpwl


@register
class EvolutionPlacer(Placer):
    """(1+1)-EA over wire-mask-decoded target positions, starting from the greedy placement.

    Args:
        grid: Cells per side of the decoding grid (refined if the greedy start needs it).
        context: ``"placed"`` or ``"macros"`` (see :mod:`agents.base`).
        default_evaluations: Budget when the caller gives none.
    """

    name = "evolution"

    def __init__(self, grid: int = 64, context: str = "placed", default_evaluations: int = 50):
        self.grid_size = grid
        self.context = context
        self.default_evaluations = default_evaluations

    def place(self, design: Design, rng: np.random.Generator, budget: Budget) -> PlacerResult:
        meter = Meter(budget.or_default(self.default_evaluations))
        problem = MacroProblem(design, self.context)
        best, size, _ = greedy_sub_placement(problem, self.grid_size)
        meter.spend(1)
        grid = problem.grid(size)
        best_cost = start_cost = hpwl(problem.sub, best)
        canvas = problem.netlist.canvas
        low = np.array([canvas.x_min, canvas.y_min])
        high = np.array([canvas.x_max, canvas.y_max])
        m = len(problem.local)
        genome = np.tile(problem.centre, (m, 1))  # the greedy start's tie-break target
        improved = dead = 0
        while not meter.exhausted():
            child = genome.copy()
            flip = rng.random(m) < 1.0 / m
            if not flip.any():
                flip[rng.integers(m)] = True
            child[flip] = rng.uniform(low, high, size=(int(flip.sum()), 2))
            meter.spend(1)
            placed = decode(problem, grid, wire_mask_chooser(problem, grid, child))
            if placed is None:  # dense designs: the targets made legal instead
                try:
                    placed, _ = legalize(problem, child, restarts=0)
                except PlacerError:
                    dead += 1
                    continue
            cost = hpwl(problem.sub, placed)
            if cost <= best_cost:
                improved += cost < best_cost
                genome, best, best_cost = child, placed, cost
        stats = PlacerStats(
            evaluations=meter.evaluations,
            seconds=meter.seconds,
            notes=(
                f"grid={size}",
                f"start_hpwl={start_cost:.6g}",
                f"best_hpwl={best_cost:.6g}",
                f"improvements={improved}",
                f"dead_ends={dead}",
            ),
        )
        return PlacerResult(problem.to_full(best), stats)
