"""Random legal placement: each macro (largest first) to a uniformly random legal grid cell."""

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
from agents.decode import decode
from agents.legalize import legalize
from netlists import Design, Placement


@register
class RandomPlacer(Placer):
    """Uniform random legal cells; restarts on a dead end, then tries a grid twice as fine, then
    (dense designs) random cells in the lowest row with room, and last (designs too dense for
    any cell grid) uniform random targets packed by the minimum-displacement legaliser.

    Args:
        grid: Cells per side of the starting grid (made finer when a macro does not fit).
        restarts: Dead ends tolerated per grid before refining it.
        context: ``"placed"`` or ``"macros"`` (see :mod:`agents.base`).
    """

    name = "random"

    def __init__(self, grid: int = 64, restarts: int = 20, context: str = "placed") -> None:
        self.grid_size = grid
        self.restarts = restarts
        self.context = context

    def place(self, design: Design, rng: np.random.Generator, budget: Budget) -> PlacerResult:
        start = time.perf_counter()
        problem = MacroProblem(design, self.context)
        grid = problem.grid(self.grid_size)

        def choose(step: int, node: int, current: Placement, legal: np.ndarray) -> int:
            return int(rng.choice(np.flatnonzero(legal.ravel())))

        def packed(step: int, node: int, current: Placement, legal: np.ndarray) -> int:
            # Dense designs: a random legal cell in the lowest row that has one (row packing).
            row = int(np.flatnonzero(legal.any(axis=1))[0])
            return row * legal.shape[1] + int(rng.choice(np.flatnonzero(legal[row])))

        base = grid.rows
        tries = 0
        for mode, chooser in (("uniform", choose), ("packed", packed)):
            for size in (base, base * 2):
                grid = problem.grid(size)
                for _ in range(self.restarts):
                    tries += 1
                    result = decode(problem, grid, chooser)
                    if result is not None:
                        stats = PlacerStats(
                            evaluations=tries,
                            seconds=time.perf_counter() - start,
                            notes=(f"grid={grid.rows}", f"tries={tries}", f"mode={mode}"),
                        )
                        return PlacerResult(problem.to_full(result), stats)
        # Too dense for any cell grid (ami49): random targets, packed by the legaliser.
        canvas = problem.netlist.canvas
        targets = rng.uniform(
            [canvas.x_min, canvas.y_min], [canvas.x_max, canvas.y_max], (len(problem.local), 2)
        )
        result, method = legalize(problem, targets, rng=rng)
        stats = PlacerStats(
            evaluations=tries + 1,
            seconds=time.perf_counter() - start,
            notes=(f"tries={tries}", f"mode=legalised random targets ({method})"),
        )
        return PlacerResult(problem.to_full(result), stats)
