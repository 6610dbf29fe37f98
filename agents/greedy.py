"""Greedy wire-mask placement (WireMask-BBO's greedy decoder).

Macros largest first, each to the legal cell with the least HPWL increase (the wire mask); ties
go to the cell nearest the canvas centre, then to the lowest cell index. Deterministic. On a dead
end the grid is refined (x2, x4); when every grid dead-ends (dense floorplans such as ami49, where
blocks cover 87% of the die and no cell grid packs them), the minimum-displacement legaliser
packs the macros around the canvas centre instead.
"""

from __future__ import annotations

import time

import numpy as np

from agents.base import (
    Budget,
    MacroProblem,
    Placer,
    PlacerResult,
    PlacerStats,
    register,
)
from agents.decode import decode, wire_mask_chooser
from agents.legalize import legalize
from netlists import Design, Placement


def greedy_sub_placement(problem: MacroProblem, grid_size: int = 64) -> tuple[Placement, int, int]:
    """The greedy sub-netlist placement, the grid size used and the decodes tried.

    Raises:
        PlacerError: every grid dead-ends and the legaliser finds no packing either.
    """
    for tries, factor in enumerate((1, 2, 4), start=1):
        grid = problem.grid(grid_size * factor)
        result = decode(problem, grid, wire_mask_chooser(problem, grid))
        if result is not None:
            return result, grid.rows, tries
    packed, _ = legalize(problem, np.tile(problem.centre, (len(problem.local), 1)))
    return packed, grid.rows, tries + 1


@register
class GreedyPlacer(Placer):
    """Greedy wire-mask placer.

    Args:
        grid: Cells per side of the starting grid.
        context: ``"placed"`` or ``"macros"`` (see :mod:`agents.base`).
    """

    name = "greedy"

    def __init__(self, grid: int = 64, context: str = "placed") -> None:
        self.grid_size = grid
        self.context = context

    def place(self, design: Design, rng: np.random.Generator, budget: Budget) -> PlacerResult:
        start = time.perf_counter()
        problem = MacroProblem(design, self.context)
        sub, size, tries = greedy_sub_placement(problem, self.grid_size)
        stats = PlacerStats(tries, time.perf_counter() - start, (f"grid={size}",))
        return PlacerResult(problem.to_full(sub), stats)
