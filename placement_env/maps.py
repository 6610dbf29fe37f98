"""Grid maps: block density and RUDY routing demand, and top-k% summaries of a map.

Bins are the cells of a :class:`~placement_env.grid.Grid` over the canvas. Both maps are exact
overlap integrals: a rectangle spreads its value over the bins it covers in proportion to the
covered area. Because a rectangle's overlap with a bin is the product of its x- and y-overlaps,
a whole map is one matrix product (rows x n) @ (n x cols), done in chunks to bound memory.
"""

from __future__ import annotations

import numpy as np

from netlists import Netlist, NodeKind, Placement
from placement_env.grid import Grid
from placement_env.wirelength import segment_bounds

_CHUNK = 8192


def _overlaps(low: np.ndarray, high: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """(n, bins) length of [low, high] inside each bin [edges[b], edges[b+1]]."""
    return np.clip(
        np.minimum(high[:, None], edges[None, 1:]) - np.maximum(low[:, None], edges[None, :-1]),
        0.0,
        None,
    )


def spread_rectangles(
    grid: Grid, low: np.ndarray, high: np.ndarray, values: np.ndarray | None = None
) -> np.ndarray:
    """(rows, cols) sum over rectangles of ``value x (overlap area with the bin)``.

    The one box-spreading kernel of the project: density maps, RUDY, the Circuit Training
    density cost and the soft-macro spreading all use it. Parts of a rectangle outside the grid
    are dropped.

    Args:
        grid: The bins.
        low: (n, 2) lower-left corners (microns).
        high: (n, 2) upper-right corners (microns).
        values: (n,) value per unit area of each rectangle; default 1 (covered area).
    """
    result = np.zeros((grid.rows, grid.cols))
    x_edges, y_edges = grid.x_edges(), grid.y_edges()
    for start in range(0, len(low), _CHUNK):
        part = slice(start, start + _CHUNK)
        ox = _overlaps(low[part, 0], high[part, 0], x_edges)
        oy = _overlaps(low[part, 1], high[part, 1], y_edges)
        if values is not None:
            oy *= values[part, None]
        result += oy.T @ ox
    return result


def density_map(
    netlist: Netlist,
    placement: Placement,
    grid: Grid,
    kinds: tuple[NodeKind, ...] = (NodeKind.HARD_MACRO, NodeKind.SOFT_MACRO, NodeKind.STD_CELL),
    *,
    nodes: np.ndarray | None = None,
) -> np.ndarray:
    """(rows, cols) fraction of each bin's area covered by placed blocks of ``kinds``.

    Overlapping blocks add up, so a value above 1 means over-subscription; parts of blocks outside
    the canvas are not counted.

    Args:
        netlist: The design.
        placement: Where its nodes are (oriented footprints).
        grid: The bins.
        kinds: Node kinds counted (placed nodes only).
        nodes: Instead of ``kinds``, the node indices to count, placed or not (Circuit Training's
            density counts every macro at its position).
    """
    placement.check_matches(netlist)
    if nodes is None:
        chosen = placement.placed & np.isin(netlist.node_kinds, [int(k) for k in kinds])
        nodes = np.flatnonzero(chosen)
    half = placement.footprints(netlist, nodes) / 2
    centres = placement.positions[nodes]
    return spread_rectangles(grid, centres - half, centres + half) / grid.cell_area


def rudy_map(netlist: Netlist, placement: Placement, grid: Grid) -> np.ndarray:
    """(rows, cols) RUDY routing demand (Spindler & Johannes, DATE 2007), wire length per area.

    Each net with at least two placed pins spreads ``weight x (w + h) / (w x h)`` uniformly over
    its pin bounding box (w x h). A bounding box narrower than a bin in either direction is widened
    to one bin pitch around its centre, so flat and point nets stay finite. Units: 1/microns (the
    expected wire length per unit area); multiply by a bin's area for microns of wire in it.
    """
    placement.check_matches(netlist)
    arrays = netlist.arrays
    keep = placement.placed[arrays.entry_node]
    positions = placement.pin_positions(netlist)[arrays.entry_pin]
    low, high, counts = segment_bounds(positions, keep, arrays.entry_net, netlist.num_nets)
    routed = counts >= 2
    low, high = low[routed], high[routed]
    pitch = np.array([grid.cell_width, grid.cell_height])
    centre = (low + high) / 2
    size = np.maximum(high - low, pitch)
    low, high = centre - size / 2, centre + size / 2
    demand = netlist.net_weights[routed] * size.sum(axis=1) / size.prod(axis=1)
    return spread_rectangles(grid, low, high, demand) / grid.cell_area


def top_mean(values: np.ndarray, count: int) -> float:
    """Sum of the ``count`` largest entries divided by ``count`` (the one top-k mean).

    O(n) with :func:`numpy.partition`; ``count`` at least the number of entries means the sum of
    all of them over ``count`` (as Circuit Training's density and congestion costs do).

    Raises:
        ValueError: ``count`` < 1.
    """
    if count < 1:
        raise ValueError(f"top_mean needs count >= 1, got {count}")
    flat = np.asarray(values, dtype=np.float64).ravel()
    if count >= flat.size:
        return float(flat.sum()) / count
    return float(np.partition(flat, flat.size - count)[flat.size - count :].sum()) / count


def top_fraction_mean(values: np.ndarray, fraction: float) -> float:
    """Mean of the largest ``fraction`` of the entries: :func:`top_mean` of
    ``max(1, floor(n x fraction))`` entries.

    Raises:
        ValueError: ``fraction`` is not in (0, 1], or ``values`` is empty.
    """
    if not 0.0 < fraction <= 1.0:
        raise ValueError(f"fraction must be in (0, 1], got {fraction}")
    size = np.size(values)
    if not size:
        raise ValueError("top_fraction_mean of an empty array")
    return top_mean(values, max(1, int(np.floor(size * fraction))))
