"""Circuit Training's choice of the placement grid (columns x rows) for a design.

Circuit Training's grouping flow picks the grid before it clusters
(``circuit_training/grouping/grid_size_selection.py``, Apache-2.0, with its flag defaults). This
module implements the same search:

* Candidates: every ``cols`` and ``rows`` in ``[min_num, max_num)`` (10..127), at most
  ``max_grid_size`` each, with ``min_cells <= cols * rows <= max_cells`` (500..4096) and grid cells
  no more elongated than ``max_aspect_ratio`` (1.5) either way.
* For each, the movable hard macros (bloated by ``add_size``, default 0) are packed greedily,
  largest area first (ties in netlist order): each goes to the first grid cell, counting
  row-major from the bottom-left, whose centre can take the macro's centre without the macro
  leaving the canvas or overlapping an earlier one (touching is allowed). A candidate on which
  some macro finds no cell is dropped.
* Its score is ``empty + (1 - hor_waste) + (1 - ver_waste)``: ``empty`` is the fraction of grid
  cells that no macro covers (density below 1e-5) after the packing; ``hor_waste`` is the share
  of space lost when the macros' widths, in netlist order, are laid side by side with each
  centred on a column centre (a segment spans an odd number of columns; two neighbours share a
  column when their overhangs fit in one), and ``ver_waste`` the same for heights and rows.
* Among candidates scoring at least ``(1 - tolerance)`` times the best (tolerance 0.05), the one
  with the highest score per grid cell wins (the first in descending score on ties).

Circuit Training's packing asks its closed placement-cost library which cells are legal; this
module's rule (inside the canvas, no overlap) is the one its masks document. Checked against
TILOS's files: the four NG45 flat designs get TILOS's grids (ariane133 24 x 21, ariane136
25 x 21, mempool_tile 29 x 24, nvdla 39 x 36). On ICCAD04 ibm01-ibm04 at scale 0.01 the search
gives 45 x 47, 30 x 31, 31 x 29 and 31 x 31 where TILOS's ``.plc`` files have 45 x 41, 30 x 27,
32 x 29 and 31 x 30: mostly the same columns, other rows. Neither CT's flag values nor a 0.1
micron macro spacing explain it; TILOS's flat ICCAD04 netlists, which the grid was chosen on,
are not bundled. The packing keeps,
for each distinct macro size, a map of the grid cells still open to a macro of that size, and
closes the rectangle of cells around each macro placed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

_log = logging.getLogger(__name__)

__all__ = [
    "GridScore",
    "GridSearch",
    "choose_grid",
    "grid_choices",
    "pack_macros",
    "select_grid",
    "waste_ratio",
]

# Lengths closer than this (microns) count as touching, not overlapping.
_TOUCH = 1e-9


@dataclass(frozen=True)
class GridSearch:
    """The grid candidates and the choice rule (Circuit Training's flag defaults).

    Attributes:
        min_num: Smallest number of columns and of rows tried.
        max_num: Columns and rows tried stay below this.
        max_grid_size: Most columns or rows allowed.
        min_cells: Fewest grid cells allowed.
        max_cells: Most grid cells allowed.
        max_aspect_ratio: Most a grid cell's width / height (or height / width) may be (> 1).
        add_size: Added to every macro's width and height while packing (microns).
        tolerance: Candidates within this fraction of the best score compete on score per cell.
    """

    min_num: int = 10
    max_num: int = 128
    max_grid_size: int = 128
    min_cells: int = 500
    max_cells: int = 4096
    max_aspect_ratio: float = 1.5
    add_size: float = 0.0
    tolerance: float = 0.05

    def __post_init__(self) -> None:
        if not 1 <= self.min_num < self.max_num:
            raise ValueError(f"need 1 <= min_num < max_num, got {self.min_num}, {self.max_num}")
        if not self.max_aspect_ratio > 1.0:
            raise ValueError(f"max_aspect_ratio must exceed 1, got {self.max_aspect_ratio}")
        if not 0 <= self.tolerance < 1:
            raise ValueError(f"tolerance must lie in [0, 1), got {self.tolerance}")

    def candidates(self, canvas_width: float, canvas_height: float) -> list[tuple[int, int]]:
        """``(cols, rows)`` pairs allowed, rows outer and columns inner, ascending."""
        out = []
        for rows in range(self.min_num, self.max_num):
            for cols in range(self.min_num, self.max_num):
                if rows > self.max_grid_size or cols > self.max_grid_size:
                    continue
                if not self.min_cells <= rows * cols <= self.max_cells:
                    continue
                width, height = canvas_width / cols, canvas_height / rows
                if max(width / height, height / width) > self.max_aspect_ratio:
                    continue
                out.append((cols, rows))
        return out


@dataclass(frozen=True)
class GridScore:
    """How well the hard macros fit one grid.

    Attributes:
        key_metric: ``empty_ratio + (1 - hor_waste) + (1 - ver_waste)`` (dimensionless).
        empty_ratio: Fraction of grid cells no macro covers after the packing.
        hor_waste: Fraction of the macros' side-by-side span (columns) left empty.
        ver_waste: The same for heights and rows.
        num_cells: ``cols * rows``.
    """

    key_metric: float
    empty_ratio: float
    hor_waste: float
    ver_waste: float
    num_cells: int


def _span_and_extra(segment: float, cell: float) -> tuple[int, float]:
    """Odd number of cells a centred segment spans, and how much of its last cell it fills."""
    i, extra_space = 0, -1.0
    span = 1
    while extra_space < 0.0:
        span = 2 * i + 1
        extra_space = (span * cell - segment) / 2.0
        i += 1
    return span, cell - extra_space


def waste_ratio(segments: np.ndarray, cell: float) -> float:
    """Share of the span left empty when ``segments`` (in order) sit side by side, each centred
    on a cell centre; two neighbours share a cell when their overhangs fit in it together."""
    total = float(np.sum(segments))
    if not total > 0:
        raise ValueError("the segments must have a positive total length")
    index, previous = 0, 0.0
    for segment in np.asarray(segments, dtype=float).tolist():
        span, extra = _span_and_extra(segment, cell)
        index += span
        if extra + previous <= cell:
            index -= 1
        previous = extra
    spanned = (index + 1) * cell
    return (spanned - total) / spanned


def _reach(half_sums: np.ndarray, cell: float) -> np.ndarray:
    """Largest index offsets ``d`` with ``d * cell < half_sum`` (beyond touching)."""
    return np.maximum(np.ceil((half_sums - _TOUCH) / cell) - 1, -1).astype(np.int64)


def pack_macros(
    sizes: np.ndarray, canvas_width: float, canvas_height: float, cols: int, rows: int
) -> np.ndarray | None:
    """Packs macros greedily onto grid-cell centres, in the given order (module docstring).

    Args:
        sizes: ``(m, 2)`` macro widths and heights (microns), in packing order.
        canvas_width: Canvas width (microns).
        canvas_height: Canvas height (microns).
        cols: Grid columns.
        rows: Grid rows.

    Returns:
        ``(m, 2)`` int64 ``(col, row)`` of each macro, or ``None`` when one finds no cell.
    """
    sizes = np.asarray(sizes, dtype=float).reshape(-1, 2)
    gw, gh = canvas_width / cols, canvas_height / rows
    centres_x = (np.arange(cols) + 0.5) * gw
    centres_y = (np.arange(rows) + 0.5) * gh
    # Macros of one size share a map of the cells open to them, updated as each macro lands.
    shapes, shape_of = np.unique(sizes, axis=0, return_inverse=True)
    shape_of = shape_of.reshape(-1)
    left = np.bincount(shape_of, minlength=len(shapes)).tolist()
    fits_x = (centres_x - shapes[:, :1] / 2 >= -_TOUCH) & (
        centres_x + shapes[:, :1] / 2 <= canvas_width + _TOUCH
    )
    fits_y = (centres_y - shapes[:, 1:] / 2 >= -_TOUCH) & (
        centres_y + shapes[:, 1:] / 2 <= canvas_height + _TOUCH
    )
    open_cells = fits_y[:, :, None] & fits_x[:, None, :]  # (shapes, rows, cols)
    # reach[s][t]: how many cells around a placed macro of shape s a macro of shape t must keep.
    reach_x = _reach((shapes[:, None, 0] + shapes[None, :, 0]) / 2, gw).tolist()
    reach_y = _reach((shapes[:, None, 1] + shapes[None, :, 1]) / 2, gh).tolist()
    placed = np.zeros((len(sizes), 2), dtype=np.int64)
    for m, shape in enumerate(shape_of.tolist()):
        cell = int(open_cells[shape].argmax())
        if not open_cells[shape].flat[cell]:
            return None
        col, row = cell % cols, cell // cols
        placed[m] = (col, row)
        left[shape] -= 1
        for other, (dx, dy) in enumerate(zip(reach_x[shape], reach_y[shape], strict=True)):
            if left[other] and dx >= 0 and dy >= 0:
                open_cells[
                    other, max(row - dy, 0) : row + dy + 1, max(col - dx, 0) : col + dx + 1
                ] = False
    return placed


def _empty_ratio(
    sizes: np.ndarray, cells: np.ndarray, canvas_width: float, canvas_height: float, shape
) -> float:
    """Fraction of grid cells whose macro density stays below 1e-5 (the macros do not overlap)."""
    cols, rows = shape
    gw, gh = canvas_width / cols, canvas_height / rows
    cx = (cells[:, 0] + 0.5) * gw
    cy = (cells[:, 1] + 0.5) * gh
    edges_x = np.arange(cols) * gw
    edges_y = np.arange(rows) * gh
    ox = np.clip(
        np.minimum(cx[:, None] + sizes[:, :1] / 2, edges_x + gw)
        - np.maximum(cx[:, None] - sizes[:, :1] / 2, edges_x),
        0,
        None,
    )
    oy = np.clip(
        np.minimum(cy[:, None] + sizes[:, 1:] / 2, edges_y + gh)
        - np.maximum(cy[:, None] - sizes[:, 1:] / 2, edges_y),
        0,
        None,
    )
    density = oy.T @ ox / (gw * gh)
    return float((density < 1e-5).mean())


def grid_choices(
    macro_sizes: np.ndarray,
    canvas_width: float,
    canvas_height: float,
    search: GridSearch = GridSearch(),  # noqa: B008 - frozen, shared safely
) -> dict[tuple[int, int], GridScore]:
    """Scores every allowed grid on which the macros pack (module docstring).

    Args:
        macro_sizes: ``(m, 2)`` widths and heights of the movable hard macros (microns), in
            netlist order.
        canvas_width: Canvas width (microns).
        canvas_height: Canvas height (microns).
        search: The candidates and rule.

    Returns:
        ``{(cols, rows): score}`` in candidate order (rows outer, columns inner).
    """
    sizes = np.asarray(macro_sizes, dtype=float).reshape(-1, 2) + search.add_size
    if not len(sizes):
        return {}
    order = np.argsort(-(sizes[:, 0] * sizes[:, 1]), kind="stable")
    packed_sizes = sizes[order]
    hor: dict[int, float] = {}
    ver: dict[int, float] = {}
    choices: dict[tuple[int, int], GridScore] = {}
    for cols, rows in search.candidates(canvas_width, canvas_height):
        cells = pack_macros(packed_sizes, canvas_width, canvas_height, cols, rows)
        if cells is None:
            continue
        if cols not in hor:
            hor[cols] = waste_ratio(sizes[:, 0], canvas_width / cols)
        if rows not in ver:
            ver[rows] = waste_ratio(sizes[:, 1], canvas_height / rows)
        empty = _empty_ratio(packed_sizes, cells, canvas_width, canvas_height, (cols, rows))
        key = empty + (1.0 - hor[cols]) + (1.0 - ver[rows])
        choices[(cols, rows)] = GridScore(key, empty, hor[cols], ver[rows], cols * rows)
    return choices


def select_grid(choices: dict[tuple[int, int], GridScore], tolerance: float) -> tuple[int, int]:
    """The fewest-cells-per-score choice among those near the best score (module docstring).

    Raises:
        ValueError: No choices.
    """
    if not choices:
        raise ValueError("no grid to choose from")
    ranked = sorted(choices.items(), key=lambda item: item[1].key_metric, reverse=True)
    floor = ranked[0][1].key_metric * (1.0 - tolerance)
    qualified = [item for item in ranked if item[1].key_metric >= floor]
    return max(qualified, key=lambda item: item[1].key_metric / item[1].num_cells)[0]


def choose_grid(
    macro_sizes: np.ndarray,
    canvas_width: float,
    canvas_height: float,
    search: GridSearch = GridSearch(),  # noqa: B008 - frozen, shared safely
) -> tuple[int, int]:
    """Circuit Training's grid for these macros on this canvas: ``(cols, rows)``.

    Raises:
        ValueError: No movable hard macros (Circuit Training cannot choose then), or no
            candidate grid on which they all pack; pass a grid explicitly.
    """
    if not len(np.asarray(macro_sizes).reshape(-1, 2)):
        raise ValueError("the grid is chosen from the hard macros, and there are none: give a grid")
    choices = grid_choices(macro_sizes, canvas_width, canvas_height, search)
    if not choices:
        raise ValueError(
            f"the {len(macro_sizes)} hard macros pack on no candidate grid of the "
            f"{canvas_width:g} x {canvas_height:g} canvas: give a grid"
        )
    cols, rows = select_grid(choices, search.tolerance)
    best = choices[(cols, rows)]
    _log.info(
        "grid %dx%d of %d candidates: score %.4f (empty %.3f, waste %.3f / %.3f)",
        cols,
        rows,
        len(choices),
        best.key_metric,
        best.empty_ratio,
        best.hor_waste,
        best.ver_waste,
    )
    return cols, rows
