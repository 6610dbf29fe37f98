"""Incremental scoring for sequential and local-search placers.

* :func:`wire_mask` -- for the macro about to be placed, the HPWL increase at every grid cell,
  for the whole grid at once (WireMask-BBO's "wire mask"; MaskPlace's wire channel).
* :func:`position_mask` -- the grid cells where the macro, centred there, lies inside the die and
  overlaps no placed blocker.
* :func:`snapped_position_mask` -- the cells that hold at least one legal centre for the macro
  anywhere inside them (not only at the cell centre), with the legal centre nearest the cell
  centre: lets a grid policy abut macros exactly in dense floor plans.
* :func:`lookahead_mask` -- the cells of :func:`position_mask` that leave every macro still to
  place at least one legal cell (a one-step feasibility look-ahead for dense floor plans).
* :func:`hpwl_delta` -- the HPWL change of moving, swapping or flipping nodes, recomputing only
  the nets that touch them.

All of them are exact and are checked against naive recomputation in the tests.
"""

from __future__ import annotations

import numba
import numpy as np

from netlists import Netlist, NodeKind, Orientation, Placement
from netlists.types import orient_offsets
from placement_env.grid import Grid
from placement_env.wirelength import segment_bounds


def _axis_increase(
    centres: np.ndarray,
    pin_low: np.ndarray,
    pin_high: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    alone: np.ndarray,
) -> np.ndarray:
    """(k, cells) growth of k nets' extents on one axis with the node at each of ``centres``.

    ``pin_low``/``pin_high`` (k,) are the node's pin offsets on each net (min, max); ``low``/
    ``high`` (k,) the extent of the net's other placed pins; ``alone`` (k,) marks nets with no
    other placed pin, whose extent is then just the node's own pin spread.
    """
    new_low = np.minimum(low[:, None], centres[None, :] + pin_low[:, None])
    new_high = np.maximum(high[:, None], centres[None, :] + pin_high[:, None])
    with np.errstate(invalid="ignore"):  # inf - inf in the rows that `alone` replaces
        grown = (new_high - new_low) - (high - low)[:, None]
    return np.where(alone[:, None], (pin_high - pin_low)[:, None], grown)


def wire_mask(
    netlist: Netlist,
    placement: Placement,
    node: int,
    grid: Grid,
    orientation: Orientation | int | None = None,
    centres: np.ndarray | None = None,
) -> np.ndarray:
    """(rows, cols) weighted HPWL increase (microns) if ``node`` is placed at each cell centre.

    Only pins of placed nodes count (as in :func:`~placement_env.wirelength.hpwl`); the node
    itself is treated as unplaced. Separable in x and y and vectorised over the node's nets:
    O(nets of the node x (rows + cols)), or O(nets x cells) with ``centres``.

    Args:
        netlist: The design.
        placement: The current partial placement.
        node: The node about to be placed.
        grid: The action grid.
        orientation: Orientation to place it in (default: its current one).
        centres: (rows, cols, 2) where the node would go for each cell (microns), e.g. the
            snapped centres of :func:`snapped_position_mask`; default the cell centres.
    """
    placement.check_matches(netlist)
    arrays = netlist.arrays
    if centres is None:
        xs, ys = grid.cell_centres()
    else:
        xs, ys = centres[..., 0].ravel(), centres[..., 1].ravel()
    orient = int(placement.orientations[node] if orientation is None else orientation)
    nets = arrays.node_nets[arrays.node_net_starts[node] : arrays.node_net_starts[node + 1]]
    if not len(nets):
        return np.zeros((grid.rows, grid.cols))
    entries = _net_entries(netlist, nets)
    group = np.repeat(np.arange(len(nets)), np.diff(netlist.net_starts)[nets])
    owners = arrays.entry_node[entries]
    mine = owners == node
    others = ~mine & placement.placed[owners]
    offsets = orient_offsets(arrays.entry_offset[entries], np.full(len(entries), orient))
    pin_low, pin_high, n_mine = segment_bounds(offsets, mine, group, len(nets))
    low, high, n_others = segment_bounds(
        _entry_xy(netlist, placement, entries), others, group, len(nets)
    )
    live = (n_others > 0) | (n_mine >= 2)
    alone = n_others[live] == 0
    weights = arrays.net_weights[nets][live]
    grow_x = _axis_increase(
        xs, pin_low[live, 0], pin_high[live, 0], low[live, 0], high[live, 0], alone
    )
    grow_y = _axis_increase(
        ys, pin_low[live, 1], pin_high[live, 1], low[live, 1], high[live, 1], alone
    )
    if centres is not None:
        return (weights @ grow_y + weights @ grow_x).reshape(grid.rows, grid.cols)
    return (weights @ grow_y)[:, None] + (weights @ grow_x)[None, :]


@numba.njit(cache=True)
def _paint_rectangles(
    rows: int, cols: int, y0: np.ndarray, y1: np.ndarray, x0: np.ndarray, x1: np.ndarray
) -> np.ndarray:  # pragma: no cover - jitted
    """(rows, cols) bool, True inside any index rectangle [y0, y1) x [x0, x1)."""
    mask = np.zeros((rows, cols), dtype=np.bool_)
    for k in range(len(y0)):
        mask[y0[k] : y1[k], x0[k] : x1[k]] = True
    return mask


def position_mask(
    netlist: Netlist,
    placement: Placement,
    node: int,
    grid: Grid,
    orientation: Orientation | int | None = None,
    blockers: tuple[NodeKind, ...] = (NodeKind.HARD_MACRO,),
) -> np.ndarray:
    """(rows, cols) bool: True where ``node`` centred on the cell is inside the die and overlaps
    (with positive area) no placed node of the ``blockers`` kinds other than itself.

    A placed blocker forbids the cell centres strictly inside its Minkowski sum with the node: an
    index rectangle found by binary search, painted by a compiled loop.
    """
    placement.check_matches(netlist)
    xs, ys = grid.cell_centres()
    orient = int(placement.orientations[node] if orientation is None else orientation)
    width, height = netlist.node_sizes[node]
    if Orientation(orient).swaps_sides:
        width, height = height, width
    canvas = netlist.canvas
    eps = 1e-9 * max(canvas.width, canvas.height, 1.0)
    fits_x = (xs - width / 2 >= canvas.x_min - eps) & (xs + width / 2 <= canvas.x_max + eps)
    fits_y = (ys - height / 2 >= canvas.y_min - eps) & (ys + height / 2 <= canvas.y_max + eps)
    kinds = netlist.node_kinds
    of_kind = kinds == blockers[0] if len(blockers) == 1 else np.isin(kinds, list(blockers))
    chosen = np.flatnonzero(placement.placed & of_kind)
    chosen = chosen[chosen != node]
    footprints = placement.footprints(netlist, chosen)
    centres = placement.positions[chosen]
    reach = (footprints + np.array([width, height])) / 2
    # Blocked centre intervals are open: (c - r, c + r). Index ranges of cell centres inside.
    x_first = np.searchsorted(xs, centres[:, 0] - reach[:, 0], side="right")
    x_stop = np.searchsorted(xs, centres[:, 0] + reach[:, 0], side="left")
    y_first = np.searchsorted(ys, centres[:, 1] - reach[:, 1], side="right")
    y_stop = np.searchsorted(ys, centres[:, 1] + reach[:, 1], side="left")
    live = (x_first < x_stop) & (y_first < y_stop) & (reach > 0).all(axis=1)
    blocked = _paint_rectangles(
        grid.rows, grid.cols, y_first[live], y_stop[live], x_first[live], x_stop[live]
    )
    return fits_y[:, None] & fits_x[None, :] & ~blocked


@numba.njit(cache=True)
def _nearest_legal_in_cells(
    xs: np.ndarray,
    ys: np.ndarray,
    legal: np.ndarray,
    col_first: np.ndarray,
    col_stop: np.ndarray,
    row_first: np.ndarray,
    row_stop: np.ndarray,
    centre_x: np.ndarray,
    centre_y: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - jitted
    """Per cell, the legal lattice point inside it nearest its centre (squared distance)."""
    rows, cols = len(row_first), len(col_first)
    found = np.zeros((rows, cols), dtype=np.bool_)
    where = np.zeros((rows, cols, 2))
    for r in range(rows):
        for c in range(cols):
            best = np.inf
            for iy in range(row_first[r], row_stop[r]):
                dy = (ys[iy] - centre_y[r]) ** 2
                if dy >= best:
                    continue
                for ix in range(col_first[c], col_stop[c]):
                    if legal[iy, ix]:
                        d = dy + (xs[ix] - centre_x[c]) ** 2
                        if d < best:
                            best = d
                            where[r, c, 0] = xs[ix]
                            where[r, c, 1] = ys[iy]
                            found[r, c] = True
    return found, where


def snapped_position_mask(
    netlist: Netlist,
    placement: Placement,
    node: int,
    grid: Grid,
    blockers: tuple[NodeKind, ...] = (NodeKind.HARD_MACRO,),
) -> tuple[np.ndarray, np.ndarray]:
    """Legal cells when the macro may sit anywhere inside the cell, and where it then goes.

    A cell is legal when some centre in its closed square keeps ``node`` inside the die and off
    every placed blocker (positive-area overlap, as in :func:`position_mask`); the macro then
    goes to the legal centre nearest the cell centre. That point lies on a lattice: its x is the
    cell centre, a cell edge, a die limit or a position abutting a blocker's left or right side
    (y likewise), so checking the lattice is exact. Cells whose centres are legal keep them.

    Returns:
        ``(mask, centres)``: (rows, cols) bool and (rows, cols, 2) the snapped centre of each
        legal cell (microns; zeros elsewhere).
    """
    placement.check_matches(netlist)
    width, height = placement.footprints(netlist, np.array([node]))[0]
    canvas = netlist.canvas
    low = np.array([canvas.x_min + width / 2, canvas.y_min + height / 2])
    high = np.array([canvas.x_max - width / 2, canvas.y_max - height / 2])
    of_kind = np.isin(netlist.node_kinds, [int(k) for k in blockers])
    chosen = np.flatnonzero(placement.placed & of_kind)
    chosen = chosen[chosen != node]
    centres = placement.positions[chosen]
    reach = (placement.footprints(netlist, chosen) + np.array([width, height])) / 2
    live = (reach > 0).all(axis=1)  # a zero-size pair blocks nothing
    centres, reach = centres[live], reach[live]
    cell_centres = grid.cell_centres()
    edges = (
        grid.x0 + np.arange(grid.cols + 1) * (grid.width / grid.cols),
        grid.y0 + np.arange(grid.rows + 1) * (grid.height / grid.rows),
    )
    lattice, firsts, stops = [], [], []
    for axis in (0, 1):
        points = np.concatenate(
            (
                cell_centres[axis],
                edges[axis],
                [low[axis], high[axis]],
                centres[:, axis] - reach[:, axis],
                centres[:, axis] + reach[:, axis],
            )
        )
        eps = 1e-9 * max(canvas.width, canvas.height, 1.0)
        points = np.unique(points[(points >= low[axis] - eps) & (points <= high[axis] + eps)])
        lattice.append(points)
        firsts.append(np.searchsorted(points, edges[axis][:-1], side="left"))
        stops.append(np.searchsorted(points, edges[axis][1:], side="right"))
    xs, ys = lattice
    # Blocked lattice points lie strictly inside a blocker's reach (open intervals).
    blocked = _paint_rectangles(
        len(ys),
        len(xs),
        np.searchsorted(ys, centres[:, 1] - reach[:, 1], side="right"),
        np.searchsorted(ys, centres[:, 1] + reach[:, 1], side="left"),
        np.searchsorted(xs, centres[:, 0] - reach[:, 0], side="right"),
        np.searchsorted(xs, centres[:, 0] + reach[:, 0], side="left"),
    )
    return _nearest_legal_in_cells(
        xs, ys, ~blocked, firsts[0], stops[0], firsts[1], stops[1], *cell_centres
    )


def _blocked_ranges(centres: np.ndarray, reach: float) -> tuple[np.ndarray, np.ndarray]:
    """Index ranges [first, stop) of the cell centres strictly within ``reach`` of each centre
    (the same open intervals, and the same binary search, as :func:`position_mask`)."""
    first = np.searchsorted(centres, centres - reach, side="right")
    stop = np.searchsorted(centres, centres + reach, side="left")
    if reach <= 0:  # a zero-size pair blocks nothing
        stop = first
    return first, np.maximum(stop, first)


def lookahead_mask(
    netlist: Netlist,
    placement: Placement,
    node: int,
    grid: Grid,
    pending: np.ndarray,
    mask: np.ndarray | None = None,
) -> np.ndarray:
    """(rows, cols) bool: the cells of ``node``'s position mask after which every node of
    ``pending`` still has a legal cell.

    Placing ``node`` at a cell forbids, for a pending macro, the cells strictly inside their
    Minkowski sum -- an index rectangle around that cell. A pending macro stays placeable when its
    current position mask has a legal cell outside that rectangle; counting the legal cells inside
    every such rectangle at once with a 2-D prefix sum makes the check O(cells) per distinct
    pending footprint. It is necessary, not sufficient: pending macros are checked one at a time,
    not for a joint packing.

    Args:
        netlist: The design.
        placement: The current partial placement (``node`` and ``pending`` unplaced).
        node: The node about to be placed (in its current orientation).
        grid: The action grid.
        pending: Nodes still to place after ``node``; one per distinct footprint is enough.
        mask: ``node``'s :func:`position_mask`, when already computed.
    """
    if mask is None:
        mask = position_mask(netlist, placement, node, grid)
    xs, ys = grid.cell_centres()
    sizes = placement.footprints(netlist, np.array([node]))[0]
    result = mask.copy()
    for other in np.asarray(pending, dtype=np.int64):
        if not result.any():
            break
        theirs = position_mask(netlist, placement, int(other), grid)
        other_size = placement.footprints(netlist, np.array([other]))[0]
        x0, x1 = _blocked_ranges(xs, (sizes[0] + other_size[0]) / 2)
        y0, y1 = _blocked_ranges(ys, (sizes[1] + other_size[1]) / 2)
        prefix = np.zeros((grid.rows + 1, grid.cols + 1), dtype=np.int64)
        prefix[1:, 1:] = theirs.cumsum(axis=0).cumsum(axis=1)
        inside = (
            prefix[np.ix_(y1, x1)]
            - prefix[np.ix_(y0, x1)]
            - prefix[np.ix_(y1, x0)]
            + prefix[np.ix_(y0, x0)]
        )
        result &= inside < prefix[-1, -1]
    return result


def touching_nets(netlist: Netlist, nodes: np.ndarray | list[int]) -> np.ndarray:
    """Sorted unique indices of the nets that touch any of ``nodes``."""
    arrays = netlist.arrays
    parts = [
        arrays.node_nets[arrays.node_net_starts[n] : arrays.node_net_starts[n + 1]]
        for n in np.atleast_1d(nodes)
    ]
    return np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int32)


def _entry_xy(netlist: Netlist, placement: Placement, entries: np.ndarray) -> np.ndarray:
    """(k, 2) positions of the given (net, pin) incidences only."""
    arrays = netlist.arrays
    owners = arrays.entry_node[entries]
    offsets = orient_offsets(arrays.entry_offset[entries], placement.orientations[owners])
    return placement.positions[owners] + offsets


def _net_entries(netlist: Netlist, nets: np.ndarray) -> np.ndarray:
    starts = netlist.net_starts[nets]
    lengths = netlist.net_starts[nets + 1] - starts
    base = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
    return base + np.arange(lengths.sum())


def nets_hpwl(netlist: Netlist, placement: Placement, nets: np.ndarray) -> np.ndarray:
    """(len(nets),) unweighted HPWL of the given nets, touching only their incidences."""
    arrays = netlist.arrays
    entries = _net_entries(netlist, nets)
    keep = placement.placed[arrays.entry_node[entries]]
    group = np.repeat(np.arange(len(nets)), np.diff(netlist.net_starts)[nets])
    low, high, counts = segment_bounds(
        _entry_xy(netlist, placement, entries), keep, group, len(nets)
    )
    return np.where(counts >= 2, (high - low).sum(axis=1), 0.0)


def hpwl_delta(
    netlist: Netlist,
    placement: Placement,
    nodes: np.ndarray | list[int],
    positions: np.ndarray,
    orientations: np.ndarray | list[int] | None = None,
) -> float:
    """Weighted HPWL after moving ``nodes`` to ``positions`` (and orientations) minus before.

    A swap is two nodes exchanging positions; a flip a new orientation at the same position.
    Only the nets touching ``nodes`` are recomputed (microns).
    """
    placement.check_matches(netlist)
    nets = touching_nets(netlist, nodes)
    if not len(nets):
        return 0.0
    after = placement.with_positions(nodes, positions, orientations)
    weights = netlist.net_weights[nets]
    return float(weights @ (nets_hpwl(netlist, after, nets) - nets_hpwl(netlist, placement, nets)))
