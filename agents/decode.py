"""Sequential decoding with a chooser: macros one at a time onto grid cells, as WireMask-BBO does.

A *chooser* picks the cell of each macro from its position mask (and, when it wants one, the wire
mask); :func:`decode` runs it over an order with the env's own
:class:`~placement_env.decoding.Decoder` (one legality rule, one decode loop) and returns the
sub-netlist placement, or ``None`` at a dead end (a macro with no legal cell left).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from agents.base import MacroProblem, PlacerError
from netlists import Placement
from placement_env.decoding import Decoder
from placement_env.grid import Grid
from placement_env.incremental import wire_mask
from placement_env.problem import ProblemError

#: chooser(step, local node, current placement, legal-cell mask (rows, cols)) -> flat cell index
Chooser = Callable[[int, int, Placement, np.ndarray], int]


def decode(
    problem: MacroProblem,
    grid: Grid,
    choose: Chooser,
    order: Sequence[int] | np.ndarray | None = None,
) -> Placement | None:
    """Places the macros (sub-netlist indices, default ``problem.local``) in ``order``.

    Raises:
        PlacerError: the chooser picked an illegal cell.
    """
    decoder = Decoder(problem, grid, order)
    while not decoder.done:
        if not decoder.legal.any():
            return None
        cell = int(choose(decoder.step, decoder.node, decoder.placement, decoder.legal))
        try:
            decoder.place(cell)
        except ProblemError as error:
            raise PlacerError(f"chooser: {error}") from None
    return decoder.placement


def cell_distances(grid: Grid, point: np.ndarray) -> np.ndarray:
    """(rows * cols,) Euclidean distance of every cell centre to ``point``."""
    xs, ys = grid.cell_centres()
    return np.hypot(ys[:, None] - point[1], xs[None, :] - point[0]).ravel()


def wire_mask_chooser(
    problem: MacroProblem, grid: Grid, targets: np.ndarray | None = None
) -> Chooser:
    """Least wire-mask HPWL increase among legal cells; ties go to the cell nearest the target
    (the canvas centre, or ``targets[step]``), then to the lowest cell index."""
    centre_dist = cell_distances(grid, problem.centre)
    index = np.arange(grid.num_cells)

    def choose(step: int, node: int, current: Placement, legal: np.ndarray) -> int:
        cost = wire_mask(problem.sub, current, node, grid).ravel()
        cells = np.flatnonzero(legal.ravel())
        dist = centre_dist if targets is None else cell_distances(grid, targets[step])
        # Round away float noise so that equal increases tie exactly.
        scale = max(float(np.abs(cost[cells]).max()), 1.0)
        rounded = np.round(cost[cells] / scale, 12)
        best = np.lexsort((index[cells], dist[cells], rounded))[0]
        return int(cells[best])

    return choose
