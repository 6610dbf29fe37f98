"""Force-directed placement of soft macros around fixed hard macros and ports.

Circuit Training places the hard macros with its agent, then the soft macros (clusters of standard
cells) with a fast force-directed step before scoring. :func:`place_soft_macros` is that step,
vectorised with numpy:

* **attraction** (star model): every net pulls each of its movable soft-macro pins towards the
  net's pin centroid, with weight ``net weight / (degree - 1)``; one Jacobi step moves each soft
  macro a fraction ``attraction`` of the way to the weighted mean of its pulls (the optimum of the
  star model with the other pins frozen);
* **repulsion**: every overlapping pair of soft macros is pushed apart along the axis of smaller
  overlap, each by half that overlap, and a soft macro overlapping a hard macro (or any fixed
  block) is pushed out of it by the full overlap; the sum of pushes is scaled by ``repulsion``;
* **spreading** (FastPlace cell shifting): on a ``bins x bins`` grid, the bin boundaries of every
  grid row (then column) move so that bins over-used by soft and hard macros widen and the others
  shrink, and each soft macro follows its bin (a fraction ``spreading`` of the way);
* a soft macro whose centre lies inside a hard macro jumps to the nearest free point (a distance
  transform on a 128 x 128 grid), and all are clamped inside the canvas.

The attraction fraction decays linearly to zero over the iterations, so the last iterations mostly
spread the macros. Only movable ``NodeKind.SOFT_MACRO`` nodes move; hard macros, ports, standard
cells and fixed nodes stay where ``placement`` puts them, and nets only count pins of placed nodes
(and of the soft macros, which end up placed).
"""

from __future__ import annotations

import numpy as np

from netlists import Netlist, NodeKind, Placement
from placement_env.grid import Grid
from placement_env.maps import spread_rectangles

#: Soft-macro rows per block of the pairwise overlap computation (bounds memory to about
#: ``_CHUNK x n_soft`` floats per temporary).
_CHUNK = 512

#: Cells per side of the grid that sends soft macros out of hard macros.
_ESCAPE = 128

#: FastPlace's damping of cell shifting (larger: gentler bin resizing).
DELTA = 0.5


def _pushes(
    xy: np.ndarray,
    half: np.ndarray,
    other_xy: np.ndarray,
    other_half: np.ndarray,
    share: float,
    same: bool,
) -> np.ndarray:
    """(n, 2) sum of pushes on the boxes ``xy +- half`` out of the boxes ``other_xy +- other_half``.

    Each overlapping pair pushes along its axis of smaller overlap by ``share x overlap``. With
    ``same`` the two sets are the same boxes: a box does not push itself, and coincident centres
    are separated by index (the lower index goes left / down).
    """
    out = np.zeros_like(xy)
    n = len(xy)
    if not n or not len(other_xy):
        return out
    for start in range(0, n, _CHUNK):
        part = slice(start, min(start + _CHUNK, n))
        d = xy[part, None, :] - other_xy[None, :, :]  # (c, m, 2)
        over = half[part, None, :] + other_half[None, :, :] - np.abs(d)
        hit = (over[..., 0] > 0) & (over[..., 1] > 0)
        if same:
            rows = np.arange(part.start, part.stop)
            hit[rows - start, rows] = False
        if not hit.any():
            continue
        i, j = np.nonzero(hit)
        dd = d[i, j]
        oo = over[i, j]
        axis = (oo[:, 1] < oo[:, 0]).astype(np.intp)  # push along the smaller overlap
        gap = dd[np.arange(len(i)), axis]
        tie = np.where(i + start > j, 1.0, -1.0) if same else np.ones(len(i))
        sign = np.where(gap > 0, 1.0, np.where(gap < 0, -1.0, tie))
        amount = share * oo[np.arange(len(i)), axis] * sign
        np.add.at(out[part], (i, axis), amount)
    return out


def _cell_shift(
    xy: np.ndarray,
    half: np.ndarray,
    grid: Grid,
    fixed_area: np.ndarray,
    axis: int,
    delta: float,
) -> np.ndarray:
    """FastPlace cell shifting along ``axis``: the (n,) new coordinates of the soft macros.

    In each line of bins (a grid row for ``axis`` 0, a column for 1) the bin boundaries move so
    that over-used bins widen and under-used ones shrink (``U`` = covered area / bin area, fixed
    blocks included), then each macro maps linearly from its old bin to the new one.
    """
    edges = grid.x_edges() if axis == 0 else grid.y_edges()
    soft_area = spread_rectangles(grid, xy - half, xy + half, np.ones(len(xy)))
    use = (soft_area + fixed_area) / grid.cell_area  # (rows, cols)
    if axis == 1:
        use = use.T  # (lines, bins)
    nb = len(edges) - 1
    new = np.tile(edges, (use.shape[0], 1))
    left, right = use[:, :-1], use[:, 1:]
    new[:, 1:-1] = (edges[None, :-2] * (right + delta) + edges[None, 2:] * (left + delta)) / (
        left + right + 2 * delta
    )
    other = grid.y_edges() if axis == 0 else grid.x_edges()
    line = np.clip(np.searchsorted(other, xy[:, 1 - axis], side="right") - 1, 0, len(other) - 2)
    coord = xy[:, axis]
    b = np.clip(np.searchsorted(edges, coord, side="right") - 1, 0, nb - 1)
    frac = (coord - edges[b]) / (edges[b + 1] - edges[b])
    return new[line, b] + frac * (new[line, b + 1] - new[line, b])


def _escape_map(
    canvas_low: np.ndarray, canvas_size: np.ndarray, solid_low: np.ndarray, solid_high: np.ndarray
) -> tuple[np.ndarray, np.ndarray] | None:
    """Where a soft macro whose centre lies inside a solid block jumps: (cells, 2) nearest free
    cell centre for each cell of a ``_ESCAPE x _ESCAPE`` grid, and the (cells,) blocked flags."""
    from scipy.ndimage import distance_transform_edt

    n = _ESCAPE
    pitch = canvas_size / n
    xs = canvas_low[0] + (np.arange(n) + 0.5) * pitch[0]
    ys = canvas_low[1] + (np.arange(n) + 0.5) * pitch[1]
    inside_x = (xs[None, :] > solid_low[:, 0, None]) & (xs[None, :] < solid_high[:, 0, None])
    inside_y = (ys[None, :] > solid_low[:, 1, None]) & (ys[None, :] < solid_high[:, 1, None])
    blocked = (inside_y.astype(np.int32).T @ inside_x.astype(np.int32)) > 0  # (rows, cols)
    if not blocked.any() or blocked.all():
        return None
    _, (ri, ci) = distance_transform_edt(blocked, return_indices=True)
    target = np.stack([xs[ci], ys[ri]], axis=-1).reshape(-1, 2)
    return target, blocked.reshape(-1)


def place_soft_macros(
    netlist: Netlist,
    placement: Placement,
    *,
    iterations: int = 60,
    attraction: float = 0.6,
    repulsion: float = 1.0,
    spreading: float = 1.0,
    bins: int | None = None,
    rng: np.random.Generator | int | None = None,
) -> Placement:
    """Places the movable soft macros of ``netlist`` by a force-directed iteration.

    See the module docstring for the forces. Soft macros start where ``placement`` has them (the
    canvas centre for unplaced ones) plus a tiny random jitter (1e-3 of the canvas) that separates
    coincident centres; the jitter is the only randomness, so the result is a deterministic
    function of ``rng``.

    Args:
        netlist: The design.
        placement: Positions of the hard macros, ports and other fixed blocks (kept), and the
            starting positions of the soft macros.
        iterations: Number of force iterations (each is O(pins + soft^2 / chunk) numpy work).
        attraction: Starting fraction of the way each soft macro moves towards its star-model
            optimum per iteration (decays linearly to 0).
        repulsion: Scale of the overlap-removal pushes per iteration.
        spreading: Fraction of the cell-shifting move applied per iteration (0 turns it off).
        bins: Bins per side of the cell-shifting grid (default ``sqrt(soft macros / 5)`` clipped
            to [4, 64]).
        rng: A ``numpy.random.Generator``, a seed, or None (seed 0).

    Returns:
        A new placement in which every movable soft macro is placed inside the canvas.
    """
    placement.check_matches(netlist)
    if iterations < 0:
        raise ValueError(f"iterations must be >= 0, got {iterations}")
    kinds = netlist.node_kinds
    soft = np.flatnonzero((kinds == int(NodeKind.SOFT_MACRO)) & ~netlist.node_fixed)
    if not len(soft):
        return placement
    generator = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng or 0)
    canvas = netlist.canvas
    low_c = np.array([canvas.x_min, canvas.y_min])
    size_c = np.array([canvas.width, canvas.height])
    centre = low_c + size_c / 2

    xy = np.where(placement.placed[soft, None], placement.positions[soft], centre)
    xy = xy + generator.uniform(-1e-3, 1e-3, size=xy.shape) * size_c
    half = placement.footprints(netlist, soft) / 2
    lo = low_c + np.minimum(half, size_c / 2)
    hi = low_c + size_c - np.minimum(half, size_c / 2)
    xy = np.clip(xy, lo, hi)

    # Blocks that repel soft macros: placed hard macros and fixed non-port blocks.
    solid = np.flatnonzero(
        placement.placed
        & (kinds != int(NodeKind.PORT))
        & ((kinds == int(NodeKind.HARD_MACRO)) | netlist.node_fixed)
        & (kinds != int(NodeKind.SOFT_MACRO))
    )
    solid_xy = placement.positions[solid]
    solid_half = placement.footprints(netlist, solid) / 2

    # Net entries over pins of placed nodes and soft macros.
    is_soft = np.zeros(netlist.num_nodes, dtype=bool)
    is_soft[soft] = True
    slot = np.full(netlist.num_nodes, -1, dtype=np.int64)
    slot[soft] = np.arange(len(soft))
    pins = netlist.net_pins
    net_of = np.repeat(np.arange(netlist.num_nets), np.diff(netlist.net_starts))
    owners = netlist.pin_nodes[pins]
    alive = placement.placed[owners] | is_soft[owners]
    pins, net_of, owners = pins[alive], net_of[alive], owners[alive]
    degree = np.bincount(net_of, minlength=netlist.num_nets)
    keep = degree[net_of] >= 2
    pins, net_of, owners = pins[keep], net_of[keep], owners[keep]
    pin_xy = placement.pin_positions(netlist)[pins]
    offsets = pin_xy - placement.positions[owners]  # constant while owners translate
    moving = slot[owners] >= 0
    entry_slot = slot[owners[moving]]
    weight = netlist.net_weights[net_of] / np.maximum(degree[net_of] - 1, 1)
    pull_weight = np.bincount(entry_slot, weights=weight[moving], minlength=len(soft))
    attached = pull_weight > 0
    count = np.maximum(degree, 1)[:, None]
    nbins = bins or int(np.clip(round(np.sqrt(len(soft) / 5)), 4, 64))
    grid = Grid.over(canvas, nbins, nbins)
    fixed_area = spread_rectangles(
        grid, solid_xy - solid_half, solid_xy + solid_half, np.ones(len(solid))
    )

    escape = _escape_map(low_c, size_c, solid_xy - solid_half, solid_xy + solid_half)
    pitch = size_c / _ESCAPE

    for it in range(iterations):
        pin_xy[moving] = xy[entry_slot] + offsets[moving]
        sums = np.stack(
            [np.bincount(net_of, weights=pin_xy[:, k], minlength=netlist.num_nets) for k in (0, 1)],
            axis=1,
        )
        centroid = sums / count
        target = centroid[net_of[moving]] - offsets[moving]  # where each pin's owner would go
        mean = np.stack(
            [
                np.bincount(entry_slot, weights=weight[moving] * target[:, k], minlength=len(soft))
                for k in (0, 1)
            ],
            axis=1,
        )
        step = attraction * (1.0 - it / iterations)
        move = np.zeros_like(xy)
        move[attached] = step * (mean[attached] / pull_weight[attached, None] - xy[attached])
        push = _pushes(xy, half, xy, half, 0.5, same=True)
        push += _pushes(xy, half, solid_xy, solid_half, 1.0, same=False)
        xy = np.clip(xy + move + repulsion * push, lo, hi)
        if spreading > 0:
            for axis in (0, 1):
                shifted = _cell_shift(xy, half, grid, fixed_area, axis, DELTA)
                xy[:, axis] += spreading * (shifted - xy[:, axis])
            xy = np.clip(xy, lo, hi)
        if escape is not None:
            cell = np.clip(((xy - low_c) / pitch).astype(np.int64), 0, _ESCAPE - 1)
            flat = cell[:, 1] * _ESCAPE + cell[:, 0]
            trapped = escape[1][flat]
            xy[trapped] = np.clip(escape[0][flat[trapped]], lo[trapped], hi[trapped])

    return placement.with_positions(soft, xy)
