"""Sequential decoding: the macros of a :class:`~placement_env.problem.MacroProblem` one at a time
onto grid cells. The env steps it one action at a time; :func:`agents.decode.decode` runs it with
a chooser. Both therefore share one legality rule, one snapping rule and one wire mask.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from netlists import Placement
from placement_env.grid import Grid
from placement_env.incremental import (
    lookahead_mask,
    position_mask,
    snapped_position_mask,
    wire_mask,
)
from placement_env.problem import MacroProblem, ProblemError


class Decoder:
    """The state of one sequential decode: the sub-netlist placement so far and the next macro.

    Args:
        problem: The macro problem.
        grid: The action grid.
        nodes: Sub-netlist indices of the macros in placement order (default ``problem.local``).
        snap: A cell is legal when the macro fits *anywhere* inside it
            (:func:`~placement_env.incremental.snapped_position_mask`), and the macro goes to the
            legal centre nearest the cell centre; otherwise only cell centres count.
        lookahead: Keep only the cells after which every later macro still has a legal cell
            (:func:`~placement_env.incremental.lookahead_mask`); when none passes, every legal
            cell stays allowed and :attr:`lookahead_relaxed` is True for that step.

    Raises:
        ProblemError: ``snap`` together with ``lookahead`` (the look-ahead reasons about cell
            centres only).
    """

    def __init__(
        self,
        problem: MacroProblem,
        grid: Grid,
        nodes: Sequence[int] | np.ndarray | None = None,
        *,
        snap: bool = False,
        lookahead: bool = False,
    ) -> None:
        if snap and lookahead:
            raise ProblemError(
                "lookahead reasons about cell centres; it cannot be combined with snap=True"
            )
        self.problem = problem
        self.grid = grid
        self.nodes = np.asarray(problem.local if nodes is None else nodes, dtype=np.int64)
        self.snap = bool(snap)
        self.lookahead = bool(lookahead)
        self._xs, self._ys = grid.cell_centres()
        self._pending = self._pending_footprints() if self.lookahead else None
        self.reset()

    def _pending_footprints(self) -> list[np.ndarray]:
        """For each step, one sub-netlist node per distinct footprint among the later macros."""
        foot = self.problem.start.footprints(self.problem.sub, self.nodes)
        pending: list[np.ndarray] = []
        seen: dict[tuple[float, float], int] = {}
        for i in range(len(self.nodes) - 1, -1, -1):
            pending.append(np.array(sorted(seen.values()), dtype=np.int64))
            # Later macros are placed later: keep the earliest of each footprint.
            seen[tuple(foot[i])] = int(self.nodes[i])
        return pending[::-1]

    def reset(self) -> None:
        """Back to the problem's starting placement, first macro next."""
        self.placement: Placement = self.problem.start
        self.step = 0
        self._update()

    @property
    def done(self) -> bool:
        """Every macro placed."""
        return self.step >= len(self.nodes)

    @property
    def node(self) -> int:
        """Sub-netlist index of the macro to place next."""
        return int(self.nodes[self.step])

    def _update(self) -> None:
        self._wire: np.ndarray | None = None
        self.lookahead_relaxed = False
        self.centres: np.ndarray | None = None
        if self.done:
            self.legal = np.zeros((self.grid.rows, self.grid.cols), dtype=np.bool_)
            return
        sub, node = self.problem.sub, self.node
        if self.snap:
            self.legal, self.centres = snapped_position_mask(sub, self.placement, node, self.grid)
        else:
            self.legal = position_mask(sub, self.placement, node, self.grid)
        if self._pending is not None and len(self._pending[self.step]):
            safe = lookahead_mask(
                sub, self.placement, node, self.grid, self._pending[self.step], self.legal
            )
            if safe.any():
                self.legal = safe
            else:  # no cell keeps every later macro placeable: allow them all, and say so
                self.lookahead_relaxed = bool(self.legal.any())

    def target(self, cell: int) -> np.ndarray:
        """(2,) where the current macro goes for ``cell``: its centre, or its snapped centre."""
        row, col = divmod(int(cell), self.grid.cols)
        if self.snap and self.legal[row, col]:
            return self.centres[row, col].copy()
        return np.array([self._xs[col], self._ys[row]])

    @property
    def wire_increase(self) -> np.ndarray:
        """(rows, cols) weighted HPWL increase (microns) of placing the current macro at each cell.

        Measured where the macro would really go (:meth:`target`): the cell centre, or with
        ``snap`` the snapped centre of each legal cell (illegal cells keep the cell-centre
        value), so that the observation and the reward agree. Computed once per step, on first
        use.
        """
        if self._wire is None:
            sub, node = self.problem.sub, self.node
            centres = None
            if self.snap:
                xs, ys = np.meshgrid(self._xs, self._ys)
                centres = np.where(self.legal[..., None], self.centres, np.stack((xs, ys), -1))
            self._wire = wire_mask(sub, self.placement, node, self.grid, centres=centres)
        return self._wire

    def place(self, cell: int) -> np.ndarray:
        """Places the current macro for ``cell`` (which must be legal) and moves to the next.

        Returns:
            (2,) the centre it went to (microns).

        Raises:
            ProblemError: the episode is over, or ``cell`` is not a legal cell.
        """
        if self.done:
            raise ProblemError("every macro is placed; reset() the decoder first")
        cell = int(cell)
        if not 0 <= cell < self.grid.num_cells or not self.legal.flat[cell]:
            raise ProblemError(f"cell {cell} is not legal for the current macro")
        centre = self.target(cell)
        self.placement = self.placement.with_positions([self.node], centre[None, :])
        self.step += 1
        self._update()
        return centre
