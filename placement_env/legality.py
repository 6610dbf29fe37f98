"""Legality and area of a placement: overlaps, blocks off the die, whitespace and utilisation.

Every block is the axis-aligned rectangle ``centre +- footprint / 2`` (microns), with the footprint
of :meth:`~netlists.placement.Placement.footprints` (E/W/FE/FW swap width and height). Rectangles
are closed, but only overlaps of **positive area** count: two blocks that share an edge or a
corner do not overlap, and a zero-width or zero-height block (a port) overlaps nothing.

Which blocks are checked: by default every *placed* hard macro, fixed or not; the ``kinds``
argument selects other :class:`~netlists.types.NodeKind` codes (soft macros, standard cells,
ports) and ``nodes`` names the blocks outright. Unplaced nodes have no position and are always
skipped (:func:`check_legality` counts them).

Speed: :func:`find_overlaps` sorts the rectangles along one axis and sweeps it (the axis with
fewer candidate pairs is chosen), all in numpy: ``O(n log n + c)`` for ``c`` candidate pairs whose
intervals meet along that axis, which is ``O(n log n + k)`` for the ``k`` overlapping pairs of a
spread-out placement: 1,000 macros take about a millisecond (roughly ten times faster than a shapely
STRtree query), so :func:`check_legality` can run at every step of an episode. The test suite
checks every function here against an exact oracle built on shapely.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from netlists.netlist import Netlist
from netlists.placement import Placement
from netlists.types import NodeKind

__all__ = [
    "DEFAULT_KINDS",
    "DEFAULT_TOLERANCE",
    "AreaReport",
    "IncompletePlacementError",
    "LegalityReport",
    "Overlaps",
    "area_report",
    "block_boxes",
    "box_overlaps",
    "check_legality",
    "find_overlaps",
    "out_of_die",
    "out_of_die_area",
    "overlap_area",
    "overlapping_pairs",
    "require_complete",
    "select_blocks",
    "union_area",
]

#: Node kinds checked when neither ``nodes`` nor ``kinds`` is given.
DEFAULT_KINDS: tuple[NodeKind, ...] = (NodeKind.HARD_MACRO,)
#: Default slack (microns) of the overlap and out-of-die tests, so that rounding is not a fault.
DEFAULT_TOLERANCE = 1e-9

# Most candidate pairs materialised at once by the sweep (about 150 bytes each).
_CANDIDATE_CHUNK = 1 << 20
# Most cells of the coverage grid held at once by :func:`union_area` (cache-sized strips).
_GRID_CHUNK = 1 << 18

_EMPTY_PAIRS = np.zeros((0, 2), dtype=np.int64)
_EMPTY_PAIRS.setflags(write=False)


# -- selecting blocks and their rectangles ---------------------------------------------------------


def select_blocks(
    netlist: Netlist,
    placement: Placement,
    nodes: Iterable[int] | np.ndarray | None = None,
    kinds: Iterable[NodeKind | int] | None = DEFAULT_KINDS,
) -> np.ndarray:
    """The placed blocks to check.

    Args:
        netlist: The netlist.
        placement: A placement of ``netlist``.
        nodes: Node indices (or an (n_nodes,) bool mask) to check; when given, ``kinds`` is
            ignored. Default: every node of ``kinds``.
        kinds: Node kinds to check when ``nodes`` is not given; ``None`` means every kind.

    Returns:
        (m,) int64 sorted distinct indices of the selected nodes that are placed.

    Raises:
        InvalidNetlistError: ``placement`` does not have one row per node of ``netlist``.
        IndexError: ``nodes`` holds an index out of range, or is a mask of the wrong length.
    """
    chosen = _chosen(netlist, placement, nodes, kinds)
    return chosen[placement.placed[chosen]]


def _chosen(
    netlist: Netlist,
    placement: Placement,
    nodes: Iterable[int] | np.ndarray | None,
    kinds: Iterable[NodeKind | int] | None,
) -> np.ndarray:
    """(m,) int64 the selected nodes, placed or not."""
    placement.check_matches(netlist)
    if nodes is not None:
        raw = np.asarray(nodes if isinstance(nodes, np.ndarray) else list(nodes))
        if raw.dtype == np.bool_:
            if raw.shape != (netlist.num_nodes,):
                raise IndexError(f"a node mask needs {netlist.num_nodes} entries, got {raw.shape}")
            return np.flatnonzero(raw).astype(np.int64)
        index = np.unique(raw.astype(np.int64))
        if len(index) and (index[0] < 0 or index[-1] >= netlist.num_nodes):
            raise IndexError(f"node index out of range 0..{netlist.num_nodes - 1}")
        return index
    if kinds is None:
        return np.arange(netlist.num_nodes, dtype=np.int64)
    codes = np.array([int(k) for k in kinds], dtype=np.int8)
    return np.flatnonzero(np.isin(netlist.node_kinds, codes)).astype(np.int64)


def block_boxes(netlist: Netlist, placement: Placement, nodes: np.ndarray) -> np.ndarray:
    """Rectangles of some blocks as placed.

    Args:
        netlist: The netlist.
        placement: A placement of ``netlist``.
        nodes: (m,) node indices.

    Returns:
        (m, 4) float64 ``x_lo, y_lo, x_hi, y_hi`` of each block (microns): its centre minus / plus
        half its oriented footprint.
    """
    nodes = np.asarray(nodes, dtype=np.int64)
    half = placement.footprints(netlist, nodes) / 2.0  # (m, 2) oriented
    centres = placement.positions[nodes]  # (m, 2)
    return np.concatenate([centres - half, centres + half], axis=1)


# -- overlaps --------------------------------------------------------------------------------------


def _sweep_candidates(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Sorts intervals by ``lo``; for each, counts the later ones that start before it ends.

    Returns:
        (m,) int64 order of the intervals by ``lo``; (m,) int64 number of candidates of each
        interval in that order (the next ``count`` intervals in the order); their total.
    """
    order = np.argsort(lo, kind="stable")
    lo_sorted = lo[order]
    ends = np.searchsorted(lo_sorted, hi[order], side="left")  # first later start >= my end
    counts = np.maximum(ends - np.arange(1, len(lo) + 1), 0)
    return order, counts, int(counts.sum())


def box_overlaps(
    boxes: np.ndarray, tol: float = DEFAULT_TOLERANCE
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of rectangles that overlap with positive area, by sort and sweep.

    Two rectangles overlap when their intersection is wider **and** taller than ``tol``; the
    overlap area is the exact area of the intersection (``tol`` only decides which pairs count).

    Args:
        boxes: (m, 4) float ``x_lo, y_lo, x_hi, y_hi`` (microns), with ``lo <= hi``.
        tol: Overlaps no wider or no taller than this (microns) do not count; 0 counts every
            overlap of positive area.

    Returns:
        (k, 2) int64 pairs ``(a, b)`` of row indices of ``boxes`` with ``a < b``, sorted
        lexicographically, and (k,) float64 their overlap areas (square microns).
    """
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    m = len(boxes)
    if m < 2:
        return _EMPTY_PAIRS.copy(), np.zeros(0)
    # Sweep along the axis whose intervals meet less often: fewer candidates to test.
    sweep_x = _sweep_candidates(boxes[:, 0], boxes[:, 2])
    sweep_y = _sweep_candidates(boxes[:, 1], boxes[:, 3])
    order, counts, total = sweep_x if sweep_x[2] <= sweep_y[2] else sweep_y
    if total == 0:
        return _EMPTY_PAIRS.copy(), np.zeros(0)
    sorted_boxes = boxes[order]  # (m, 4)
    firsts: list[np.ndarray] = []
    seconds: list[np.ndarray] = []
    areas: list[np.ndarray] = []
    bounds = np.cumsum(counts)  # (m,) candidates up to and including each interval
    start = 0
    while start < m:
        # Whole intervals per chunk, each chunk holding about _CANDIDATE_CHUNK candidates.
        base = bounds[start - 1] if start else 0
        stop = int(np.searchsorted(bounds, base + _CANDIDATE_CHUNK, side="right"))
        stop = max(stop, start + 1)
        chunk_counts = counts[start:stop]
        n_chunk = int(chunk_counts.sum())
        if n_chunk:
            first = np.repeat(np.arange(start, stop), chunk_counts)  # (c,) sorted positions
            offsets = np.arange(n_chunk) - np.repeat(
                np.cumsum(chunk_counts) - chunk_counts, chunk_counts
            )
            second = first + 1 + offsets  # (c,)
            a, b = sorted_boxes[first], sorted_boxes[second]  # (c, 4) each
            width = np.minimum(a[:, 2], b[:, 2]) - np.maximum(a[:, 0], b[:, 0])  # (c,)
            height = np.minimum(a[:, 3], b[:, 3]) - np.maximum(a[:, 1], b[:, 1])  # (c,)
            keep = (width > tol) & (height > tol)
            if keep.any():
                firsts.append(order[first[keep]])
                seconds.append(order[second[keep]])
                areas.append(width[keep] * height[keep])
        start = stop
    if not firsts:
        return _EMPTY_PAIRS.copy(), np.zeros(0)
    first_all, second_all = np.concatenate(firsts), np.concatenate(seconds)
    pairs = np.stack([np.minimum(first_all, second_all), np.maximum(first_all, second_all)], 1)
    area_all = np.concatenate(areas)
    sort = np.lexsort((pairs[:, 1], pairs[:, 0]))
    return pairs[sort], area_all[sort]


@dataclass(frozen=True, eq=False)
class Overlaps:
    """The overlapping pairs of blocks of a placement.

    Attributes:
        pairs: (k, 2) int64 node indices ``(a, b)``, ``a < b``, sorted lexicographically.
        areas: (k,) float64 overlap area of each pair (square microns).
    """

    pairs: np.ndarray
    areas: np.ndarray

    def __post_init__(self) -> None:
        self.pairs.setflags(write=False)
        self.areas.setflags(write=False)

    @property
    def count(self) -> int:
        """Number of overlapping pairs."""
        return len(self.pairs)

    @property
    def total_area(self) -> float:
        """Sum of the pairwise overlap areas (square microns).

        A spot covered by three blocks counts in three pairs, so this can exceed the area the
        blocks cover twice or more.
        """
        return float(self.areas.sum())

    @property
    def nodes(self) -> np.ndarray:
        """(j,) int64 sorted node indices that overlap some other block."""
        return np.unique(self.pairs)


def find_overlaps(
    netlist: Netlist,
    placement: Placement,
    nodes: Iterable[int] | np.ndarray | None = None,
    *,
    kinds: Iterable[NodeKind | int] | None = DEFAULT_KINDS,
    tol: float = DEFAULT_TOLERANCE,
) -> Overlaps:
    """The pairs of placed blocks that overlap, and their overlap areas.

    Args:
        netlist: The netlist.
        placement: A placement of ``netlist``.
        nodes: Node indices to check among themselves; default every node of ``kinds``.
            Unplaced nodes are skipped.
        kinds: Node kinds checked when ``nodes`` is not given (default hard macros; ``None``:
            all kinds).
        tol: Overlaps no wider or no taller than this (microns) do not count.

    Returns:
        The overlapping pairs (as node indices) and their areas.
    """
    selected = select_blocks(netlist, placement, nodes, kinds)
    pairs, areas = box_overlaps(block_boxes(netlist, placement, selected), tol)
    return Overlaps(pairs=selected[pairs].reshape(-1, 2), areas=areas)


def overlapping_pairs(
    netlist: Netlist,
    placement: Placement,
    nodes: Iterable[int] | np.ndarray | None = None,
    *,
    kinds: Iterable[NodeKind | int] | None = DEFAULT_KINDS,
    tol: float = DEFAULT_TOLERANCE,
) -> np.ndarray:
    """Node index pairs of the placed blocks that overlap with positive area.

    Arguments as for :func:`find_overlaps`.

    Returns:
        (k, 2) int64 pairs ``(a, b)`` with ``a < b``, sorted lexicographically.
    """
    return find_overlaps(netlist, placement, nodes, kinds=kinds, tol=tol).pairs


def overlap_area(
    netlist: Netlist,
    placement: Placement,
    nodes: Iterable[int] | np.ndarray | None = None,
    *,
    kinds: Iterable[NodeKind | int] | None = DEFAULT_KINDS,
    tol: float = DEFAULT_TOLERANCE,
) -> float:
    """Sum over overlapping pairs of their overlap area (square microns).

    Arguments as for :func:`find_overlaps`, whose result also holds the per-pair areas.
    """
    return find_overlaps(netlist, placement, nodes, kinds=kinds, tol=tol).total_area


# -- the die ---------------------------------------------------------------------------------------


def _die_box(netlist: Netlist) -> np.ndarray:
    canvas = netlist.canvas
    return np.array([canvas.x_min, canvas.y_min, canvas.x_max, canvas.y_max], dtype=np.float64)


def _outside_mask(boxes: np.ndarray, die: np.ndarray, tol: float) -> np.ndarray:
    """(m,) bool: the box is not inside ``die`` grown by ``tol`` on every side."""
    return (
        (boxes[:, 0] < die[0] - tol)
        | (boxes[:, 1] < die[1] - tol)
        | (boxes[:, 2] > die[2] + tol)
        | (boxes[:, 3] > die[3] + tol)
    )


def _clip(boxes: np.ndarray, die: np.ndarray) -> np.ndarray:
    """(m, 4) the part of each box inside ``die``; an empty part has ``lo == hi`` on some axis."""
    lo = np.clip(boxes[:, :2], die[:2], die[2:])
    hi = np.clip(boxes[:, 2:], die[:2], die[2:])
    return np.concatenate([lo, np.maximum(hi, lo)], axis=1)


def _areas(boxes: np.ndarray) -> np.ndarray:
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])


def out_of_die(
    netlist: Netlist,
    placement: Placement,
    nodes: Iterable[int] | np.ndarray | None = None,
    *,
    kinds: Iterable[NodeKind | int] | None = DEFAULT_KINDS,
    tol: float = DEFAULT_TOLERANCE,
) -> np.ndarray:
    """Placed blocks that are not wholly inside the canvas.

    A block whose edge lies on the canvas edge is inside; a zero-size block (a port) is inside
    when its point lies in the closed canvas.

    Args:
        netlist: The netlist (its ``canvas`` is the die).
        placement: A placement of ``netlist``.
        nodes: Node indices to check; default every node of ``kinds``. Unplaced nodes are skipped.
        kinds: Node kinds checked when ``nodes`` is not given (default hard macros; ``None``:
            all kinds).
        tol: A block may stick out of the canvas by up to this much (microns) on each side.

    Returns:
        (j,) int64 sorted node indices of the blocks that stick out.
    """
    selected = select_blocks(netlist, placement, nodes, kinds)
    boxes = block_boxes(netlist, placement, selected)
    return selected[_outside_mask(boxes, _die_box(netlist), tol)]


def out_of_die_area(
    netlist: Netlist,
    placement: Placement,
    nodes: Iterable[int] | np.ndarray | None = None,
    *,
    kinds: Iterable[NodeKind | int] | None = DEFAULT_KINDS,
) -> float:
    """Total area of the placed blocks that lies outside the canvas (square microns).

    Arguments as for :func:`out_of_die`. Each block counts its own area outside the canvas, even
    where blocks overlap there.
    """
    selected = select_blocks(netlist, placement, nodes, kinds)
    boxes = block_boxes(netlist, placement, selected)
    return float((_areas(boxes) - _areas(_clip(boxes, _die_box(netlist)))).sum())


# -- the legality report ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LegalityReport:
    """Whether a placement is legal, and how far from it.

    Attributes:
        is_legal: No overlapping pair, no block off the die and (unless unplaced blocks were
            allowed) no unplaced block.
        n_blocks: Number of placed blocks checked.
        n_unplaced: Number of selected blocks that are not placed (not checked).
        n_overlapping_pairs: Number of pairs of blocks that overlap with positive area.
        overlap_area: Sum over those pairs of their overlap area (square microns).
        n_out_of_die: Number of blocks not wholly inside the canvas.
        out_of_die_area: Total block area outside the canvas (square microns).
    """

    is_legal: bool
    n_blocks: int
    n_unplaced: int
    n_overlapping_pairs: int
    overlap_area: float
    n_out_of_die: int
    out_of_die_area: float


def check_legality(
    netlist: Netlist,
    placement: Placement,
    nodes: Iterable[int] | np.ndarray | None = None,
    *,
    kinds: Iterable[NodeKind | int] | None = DEFAULT_KINDS,
    tol: float = DEFAULT_TOLERANCE,
    allow_unplaced: bool = False,
) -> LegalityReport:
    """Checks the placed blocks for overlaps and for sticking out of the die.

    Args:
        netlist: The netlist (its ``canvas`` is the die).
        placement: A placement of ``netlist``.
        nodes: Node indices to check; default every node of ``kinds``.
        kinds: Node kinds checked when ``nodes`` is not given (default hard macros; ``None``:
            all kinds).
        tol: Slack of the overlap and out-of-die tests (microns), see :func:`find_overlaps` and
            :func:`out_of_die`.
        allow_unplaced: When True, unplaced blocks do not make the placement illegal (a partial
            placement during an episode); by default they do.

    Returns:
        The report.
    """
    all_nodes = _chosen(netlist, placement, nodes, kinds)
    selected = all_nodes[placement.placed[all_nodes]]
    boxes = block_boxes(netlist, placement, selected)  # (m, 4)
    _, areas = box_overlaps(boxes, tol)
    die = _die_box(netlist)
    outside = _outside_mask(boxes, die, tol)
    n_unplaced = len(all_nodes) - len(selected)
    n_out = int(outside.sum())
    return LegalityReport(
        is_legal=len(areas) == 0 and n_out == 0 and (allow_unplaced or n_unplaced == 0),
        n_blocks=len(selected),
        n_unplaced=n_unplaced,
        n_overlapping_pairs=len(areas),
        overlap_area=float(areas.sum()),
        n_out_of_die=n_out,
        out_of_die_area=float((_areas(boxes) - _areas(_clip(boxes, die))).sum()),
    )


# -- areas -----------------------------------------------------------------------------------------


def union_area(boxes: np.ndarray, clip: np.ndarray | None = None) -> float:
    """Exact area covered by a set of rectangles (each spot counted once).

    Rectangles that do not overlap (the usual, legal case) are summed directly. Otherwise the
    plane is cut along every rectangle edge into a grid of ``(2m)^2`` cells at most, and coverage
    counts are built with a 2-D difference array swept in strips of columns (bounded memory).

    Args:
        boxes: (m, 4) float ``x_lo, y_lo, x_hi, y_hi`` (microns), with ``lo <= hi``.
        clip: Optional (4,) ``x_lo, y_lo, x_hi, y_hi`` window; only area inside it counts.

    Returns:
        The covered area (square microns).
    """
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    if clip is not None:
        boxes = _clip(boxes, np.asarray(clip, dtype=np.float64))
    boxes = boxes[(boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])]  # positive area only
    if len(boxes) == 0:
        return 0.0
    if len(box_overlaps(boxes, 0.0)[1]) == 0:
        return float(_areas(boxes).sum())
    xs = np.unique(boxes[:, [0, 2]])  # (nx,) cut lines
    ys = np.unique(boxes[:, [1, 3]])  # (ny,)
    ix0, ix1 = np.searchsorted(xs, boxes[:, 0]), np.searchsorted(xs, boxes[:, 2])  # (m,) each
    iy0, iy1 = np.searchsorted(ys, boxes[:, 1]), np.searchsorted(ys, boxes[:, 3])
    # Difference events: +1 where a box starts (column ix0) on rows [iy0, iy1), -1 where it ends.
    ev_col = np.concatenate([ix0, ix0, ix1, ix1])  # (4m,)
    ev_row = np.concatenate([iy0, iy1, iy0, iy1])
    ev_val = np.concatenate(
        [np.ones_like(ix0), -np.ones_like(ix0), -np.ones_like(ix0), np.ones_like(ix0)]
    ).astype(np.int32)
    order = np.argsort(ev_col, kind="stable")
    ev_col, ev_row, ev_val = ev_col[order], ev_row[order], ev_val[order]
    dx, dy = np.diff(xs), np.diff(ys)  # (nx - 1,), (ny - 1,) strip widths and heights
    n_cols, n_rows = len(dx), len(dy)
    step = max(1, _GRID_CHUNK // max(n_rows, 1))
    carry = np.zeros(n_rows + 1, dtype=np.int32)  # coverage of the column before the strip
    total = 0.0
    for c0 in range(0, n_cols, step):
        c1 = min(c0 + step, n_cols)
        lo, hi = np.searchsorted(ev_col, [c0, c1])
        grid = np.zeros((c1 - c0, n_rows + 1), dtype=np.int32)  # (columns, rows + 1)
        np.add.at(grid, (ev_col[lo:hi] - c0, ev_row[lo:hi]), ev_val[lo:hi])
        np.cumsum(grid, axis=1, out=grid)
        np.cumsum(grid, axis=0, out=grid)
        grid += carry
        carry = grid[-1].copy()
        total += float(dx[c0:c1] @ (grid[:, :n_rows] > 0).astype(np.float64) @ dy)
    return total


@dataclass(frozen=True)
class AreaReport:
    """Areas of the placed blocks against the die.

    Attributes:
        die_area: Canvas area (square microns).
        n_blocks: Number of placed blocks counted.
        block_area: Total area of those blocks (square microns), each counted whole.
        overlap_area: Sum of the pairwise overlap areas among them (square microns), every
            overlap of positive area counted (no tolerance).
        covered_area: Area of the die covered by at least one block (square microns), exact:
            the union of the blocks clipped to the die. Equal to ``block_area - overlap_area``
            when no spot is covered by three or more blocks and no block sticks out of the die.
        whitespace: ``die_area - covered_area`` (square microns): the die left free.
        whitespace_ratio: ``whitespace / die_area`` (0 for an empty die).
        utilisation: ``block_area / die_area`` (0 for an empty die); above 1 when the blocks
            cannot fit.
        bbox: ``(x_lo, y_lo, x_hi, y_hi)`` of the bounding box of the blocks (microns); all zero
            when there are none.
        bbox_width: Width of that box (microns).
        bbox_height: Height of that box (microns).
        bbox_area: ``bbox_width * bbox_height`` (square microns).
        bbox_utilisation: ``block_area / bbox_area`` (0 when the box has no area).
    """

    die_area: float
    n_blocks: int
    block_area: float
    overlap_area: float
    covered_area: float
    whitespace: float
    whitespace_ratio: float
    utilisation: float
    bbox: tuple[float, float, float, float]
    bbox_width: float
    bbox_height: float
    bbox_area: float
    bbox_utilisation: float


def area_report(
    netlist: Netlist,
    placement: Placement,
    nodes: Iterable[int] | np.ndarray | None = None,
    *,
    kinds: Iterable[NodeKind | int] | None = DEFAULT_KINDS,
) -> AreaReport:
    """Die area, block area, bounding box, whitespace and utilisation of the placed blocks.

    Args:
        netlist: The netlist (its ``canvas`` is the die).
        placement: A placement of ``netlist``.
        nodes: Node indices to count; default every node of ``kinds``. Unplaced nodes are
            skipped.
        kinds: Node kinds counted when ``nodes`` is not given (default hard macros; ``None``:
            all kinds, ``(HARD_MACRO, SOFT_MACRO)`` for Circuit Training's macro density).

    Returns:
        The report (see :class:`AreaReport` for the definitions).
    """
    selected = select_blocks(netlist, placement, nodes, kinds)
    boxes = block_boxes(netlist, placement, selected)  # (m, 4)
    die = _die_box(netlist)
    die_area = float(netlist.canvas.area)
    block_area = float(_areas(boxes).sum())
    covered = union_area(boxes, clip=die)
    whitespace = die_area - covered
    if len(boxes):
        bbox = (
            float(boxes[:, 0].min()),
            float(boxes[:, 1].min()),
            float(boxes[:, 2].max()),
            float(boxes[:, 3].max()),
        )
    else:
        bbox = (0.0, 0.0, 0.0, 0.0)
    bbox_width, bbox_height = bbox[2] - bbox[0], bbox[3] - bbox[1]
    bbox_area = bbox_width * bbox_height
    return AreaReport(
        die_area=die_area,
        n_blocks=len(selected),
        block_area=block_area,
        overlap_area=float(box_overlaps(boxes, 0.0)[1].sum()),
        covered_area=covered,
        whitespace=whitespace,
        whitespace_ratio=whitespace / die_area if die_area > 0 else 0.0,
        utilisation=block_area / die_area if die_area > 0 else 0.0,
        bbox=bbox,
        bbox_width=bbox_width,
        bbox_height=bbox_height,
        bbox_area=bbox_area,
        bbox_utilisation=block_area / bbox_area if bbox_area > 0 else 0.0,
    )


class IncompletePlacementError(ValueError):
    """A placement leaves movable hard macros of its netlist unplaced (an empty, header-only or
    cut placement file, or one of another design)."""


def require_complete(netlist: Netlist, placement: Placement, source: str) -> None:
    """Raises :class:`IncompletePlacementError` naming ``source`` (a file, say) and the first
    unplaced macros when ``placement`` leaves any movable hard macro of ``netlist`` unplaced."""
    movable = (netlist.node_kinds == int(NodeKind.HARD_MACRO)) & ~netlist.node_fixed
    missing = np.flatnonzero(movable & ~placement.placed)
    if len(missing):
        names = ", ".join(netlist.node_names[i] for i in missing[:3])
        more = ", ..." if len(missing) > 3 else ""
        raise IncompletePlacementError(
            f"{source}: places {int(movable.sum()) - len(missing)} of {int(movable.sum())} "
            f"movable hard macros of {netlist.name!r} (unplaced: {names}{more})"
        )
