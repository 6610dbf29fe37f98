"""Net decomposition: multi-pin nets into two-pin connections between gcells.

Each net's distinct pin gcells are joined by a rectilinear minimum spanning tree (Prim's algorithm
on Manhattan distance, started at the net's first pin gcell). A three-gcell net instead gets its
exact rectilinear Steiner tree: every pin joined to the median point ``(median x, median y)``,
which the connections then share as a Steiner gcell. Connections of zero length (both ends in one
gcell) are dropped, so a net inside a single gcell has none.

The order is deterministic: nets in problem order, and within a net the order in which Prim adds
its tree edges (ties broken by the lower gcell index in pin order).
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from placement_env.routing.problem import RoutingProblem

__all__ = [
    "Connections",
    "connection_count",
    "decompose",
    "mst_edges",
    "net_demands",
    "pin_gcells",
]


@dataclass(frozen=True)
class Connections:
    """The two-pin connections of a routing problem, in gcell coordinates.

    Attributes:
        net: ``(n,)`` int64 index of the owning net in ``problem.nets``.
        ends: ``(n, 4)`` int64 ``x1, y1, x2, y2`` gcells of the two ends.
        demand: ``(n,)`` float64 tracks one wire of the connection uses on each edge it crosses.
    """

    net: np.ndarray  # (n,)
    ends: np.ndarray  # (n, 4)
    demand: np.ndarray  # (n,)

    def __len__(self) -> int:
        return len(self.net)

    @property
    def lengths(self) -> np.ndarray:
        """``(n,)`` Manhattan length of each connection in gcell edges (its lower bound)."""
        return np.abs(self.ends[:, 0] - self.ends[:, 2]) + np.abs(self.ends[:, 1] - self.ends[:, 3])


@numba.njit(cache=True)
def mst_edges(xs: np.ndarray, ys: np.ndarray) -> np.ndarray:  # pragma: no cover - jitted
    """Prim's rectilinear MST over points ``(xs[i], ys[i])``.

    Args:
        xs: ``(m,)`` int64 x coordinates.
        ys: ``(m,)`` int64 y coordinates.

    Returns:
        ``(m - 1, 2)`` int64 ``(parent, child)`` point indices in the order Prim adds them,
        starting from point 0; ties go to the lowest index.
    """
    m = len(xs)
    out = np.empty((max(m - 1, 0), 2), dtype=np.int64)
    if m < 2:
        return out
    in_tree = np.zeros(m, dtype=np.bool_)
    best = np.full(m, np.iinfo(np.int64).max, dtype=np.int64)
    parent = np.zeros(m, dtype=np.int64)
    in_tree[0] = True
    for j in range(1, m):
        best[j] = abs(xs[j] - xs[0]) + abs(ys[j] - ys[0])
    for step in range(m - 1):
        pick = -1
        for j in range(m):
            if not in_tree[j] and (pick < 0 or best[j] < best[pick]):
                pick = j
        in_tree[pick] = True
        out[step, 0] = parent[pick]
        out[step, 1] = pick
        for j in range(m):
            if not in_tree[j]:
                dist = abs(xs[j] - xs[pick]) + abs(ys[j] - ys[pick])
                if dist < best[j]:
                    best[j] = dist
                    parent[j] = pick
    return out


def net_demands(problem: RoutingProblem) -> np.ndarray:
    """``(n_nets,)`` tracks a wire of each net uses per gcell edge crossed.

    On a layer with min width ``w`` and spacing ``s`` a wire of a net with min width ``w_n`` uses
    ``max(w_n, w) + s`` capacity units (ISPD 2008), i.e. ``(max(w_n, w) + s) / (w + s)`` tracks.
    The two-layer projection takes the lowest layer with any capacity (1 when none has any), so a
    net at the default width uses exactly one track.
    """
    layers = [
        i
        for i in range(problem.num_layers)
        if problem.horizontal_capacity[i] > 0 or problem.vertical_capacity[i] > 0
    ]
    layer = layers[0] if layers else 0
    width, spacing = problem.min_width[layer], problem.min_spacing[layer]
    widths = np.array([net.min_width for net in problem.nets], dtype=np.float64)
    return (np.maximum(widths, width) + spacing) / (width + spacing)


@numba.njit(cache=True)
def _decompose_nets(
    gx: np.ndarray, gy: np.ndarray, net_start: np.ndarray, ny: int
) -> np.ndarray:  # pragma: no cover - jitted
    """Connections ``(net, x1, y1, x2, y2)`` of every net (pins of net ``i`` are
    ``net_start[i]:net_start[i + 1]`` of ``gx, gy``); see the module docstring."""
    n_nets = len(net_start) - 1
    out = np.empty((max(len(gx), 1), 5), dtype=np.int64)
    n_out = 0
    seen = np.full(len(gx), -1, dtype=np.int64)  # scratch: gcell ids of the current net
    for net in range(n_nets):
        s, e = net_start[net], net_start[net + 1]
        m = 0
        for i in range(s, e):  # distinct gcells in pin order
            cell = gx[i] * ny + gy[i]
            dup = False
            for j in range(m):
                if seen[s + j] == cell:
                    dup = True
                    break
            if not dup:
                seen[s + m] = cell
                m += 1
        xs = np.empty(m, dtype=np.int64)
        ys = np.empty(m, dtype=np.int64)
        for j in range(m):
            xs[j] = seen[s + j] // ny
            ys[j] = seen[s + j] % ny
        if m == 3:
            sx = (
                xs[0]
                + xs[1]
                + xs[2]
                - min(xs[0], min(xs[1], xs[2]))
                - max(xs[0], max(xs[1], xs[2]))
            )
            sy = (
                ys[0]
                + ys[1]
                + ys[2]
                - min(ys[0], min(ys[1], ys[2]))
                - max(ys[0], max(ys[1], ys[2]))
            )
            for j in range(3):
                if xs[j] != sx or ys[j] != sy:
                    out[n_out, 0] = net
                    out[n_out, 1] = xs[j]
                    out[n_out, 2] = ys[j]
                    out[n_out, 3] = sx
                    out[n_out, 4] = sy
                    n_out += 1
        elif m >= 2:
            edges = mst_edges(xs, ys)
            for j in range(m - 1):
                a, b = edges[j, 0], edges[j, 1]
                out[n_out, 0] = net
                out[n_out, 1] = xs[a]
                out[n_out, 2] = ys[a]
                out[n_out, 3] = xs[b]
                out[n_out, 4] = ys[b]
                n_out += 1
    return out[:n_out]


def pin_gcells(problem: RoutingProblem) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gcells of all pins, nets concatenated: ``(gx, gy, net_start)`` (``net_start`` is the
    ``(n_nets + 1,)`` CSR offset array), computed as :meth:`RoutingProblem.net_gcells` does."""
    counts = [len(net.pins) for net in problem.nets]
    net_start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    if net_start[-1] == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, net_start
    pins = np.concatenate(
        [np.asarray(net.pins, dtype=float).reshape(-1, 3) for net in problem.nets]
    )
    gx = np.floor((pins[:, 0] - problem.origin[0]) / problem.tile_width).astype(np.int64)
    gy = np.floor((pins[:, 1] - problem.origin[1]) / problem.tile_height).astype(np.int64)
    return gx, gy, net_start


def decompose(problem: RoutingProblem) -> Connections:
    """Split every net of ``problem`` into two-pin connections (see the module docstring).

    Args:
        problem: The routing problem.

    Returns:
        The connections, nets in problem order.
    """
    demands = net_demands(problem)
    gx, gy, net_start = pin_gcells(problem)
    rows = _decompose_nets(gx, gy, net_start, problem.ny)
    net = np.ascontiguousarray(rows[:, 0])
    return Connections(
        net=net,
        ends=np.ascontiguousarray(rows[:, 1:]),
        demand=demands[net] if len(net) else np.zeros(0),
    )


def connection_count(cells: np.ndarray) -> int:
    """How many connections :func:`decompose` makes of a net with these distinct gcells.

    ``m - 1`` for ``m`` gcells, except a three-gcell net: three through its Steiner median, or
    two when the median is one of its gcells.
    """
    cells = np.asarray(cells, dtype=np.int64).reshape(-1, 2)
    m = len(cells)
    if m != 3:
        return max(m - 1, 0)
    median = np.median(cells, axis=0)
    return 2 if (cells == median).all(axis=1).any() else 3
