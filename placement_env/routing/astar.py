"""Sequential A*: the classic baseline global router.

Each net is decomposed into two-pin connections by
:func:`~placement_env.routing.decompose.decompose` (a rectilinear spanning tree of its pin gcells,
or the exact Steiner star of a three-gcell net); connections are routed one at a time, nets in
order of HPWL then id, by A* on the two-layer gcell graph, and are never ripped up. Edge costs
grow with usage and an edge that is full costs more but is never forbidden, so every connection
is routed (possibly with overflow). Learned routers (:mod:`placement_env.routing.env`) are
compared with it.

The search graph is the two-layer model of :meth:`RoutingProblem.tracks_2d`: horizontal edges
on layer 1, vertical edges on layer 2, a via between the layers at any gcell. Pins sit on
layer 1, so a connection costs::

    sum over its edges of  1 + usage_cost * u / max(c, 1) + overflow_cost * max(0, u + 1 - c)
    + via_cost * vias

where ``u`` is the edge's usage before the wire and ``c`` its tracks; an edge the net already
uses costs 1 and adds no usage (a net uses an edge once however many of its connections cross
it). The Manhattan distance is an admissible, consistent heuristic (every edge costs >= 1).

Every wire counts as one track in the search (exact for default-width nets). The results are
scored by :func:`placement_env.routing.metrics.route_metrics`, the package's one definition of
usage, overflow, wirelength and vias (re-exported here: :func:`evaluate_routes`,
:class:`RouteMetrics`, :func:`path_edges`, :func:`path_vias`).
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numba
import numpy as np

from placement_env.routing.decompose import decompose
from placement_env.routing.metrics import (  # noqa: F401 - re-exported, the A* module's API
    RouteMetrics,
    evaluate_routes,
    overflow,
    path_edges,
    path_vias,
)
from placement_env.routing.problem import RoutingProblem

#: Columns of :func:`two_pin_connections`.
CONNECTION_COLUMNS = ("net", "x1", "y1", "x2", "y2")


# --------------------------------------------------------------------------- decomposition


def net_order(problem: RoutingProblem) -> np.ndarray:
    """Net indices by gcell HPWL, then net id, then index (the routing order)."""
    keys = []
    for index, net in enumerate(problem.nets):
        cells = problem.net_gcells(index)
        hpwl = int(np.ptp(cells[:, 0]) + np.ptp(cells[:, 1])) if len(cells) else 0
        keys.append((hpwl, net.net_id, index))
    return np.array([key[2] for key in sorted(keys)], dtype=np.int64)


def two_pin_connections(problem: RoutingProblem) -> np.ndarray:
    """All two-pin connections in routing order.

    Returns:
        ``(c, 5)`` int64 rows ``net, x1, y1, x2, y2`` (:data:`CONNECTION_COLUMNS`): the
        connections of :func:`~placement_env.routing.decompose.decompose`, nets in
        :func:`net_order` and each net's connections in decomposition order. Nets whose pins all
        share one gcell give none.
    """
    conns = decompose(problem)
    rank = np.empty(len(problem.nets), dtype=np.int64)
    rank[net_order(problem)] = np.arange(len(problem.nets))
    order = np.argsort(rank[conns.net], kind="stable")
    return np.column_stack([conns.net, conns.ends])[order].astype(np.int64).reshape(-1, 5)


# --------------------------------------------------------------------------- kernels


@numba.njit(cache=True)
def _edge_cost(use, cap, own, usage_cost, overflow_cost):
    if own:
        return 1.0
    return 1.0 + usage_cost * use / max(cap, 1.0) + overflow_cost * max(0.0, use + 1.0 - cap)


@numba.njit(cache=True)
def _astar(
    nx,
    ny,
    sx,
    sy,
    tx,
    ty,
    h_use,
    v_use,
    h_cap,
    v_cap,
    h_mark,
    v_mark,
    stamp,
    usage_cost,
    overflow_cost,
    via_cost,
    g,
    parent,
    closed,
    touched,
):
    """A* on the two-layer graph; state = (x * ny + y) * 2 + layer (0 horizontal, 1 vertical).

    ``g``, ``parent``, ``closed`` are work arrays of size ``2 * nx * ny`` in their reset state
    (inf, -1, False); they are reset again before returning. Returns the states of the path.
    """
    n_touched = 0
    start = (sx * ny + sy) * 2
    goal = (tx * ny + ty) * 2
    g[start] = 0.0
    touched[n_touched] = start
    n_touched += 1
    h0 = float(abs(sx - tx) + abs(sy - ty))
    counter = 0
    heap = [(h0, h0, counter, start)]
    while len(heap) > 0:
        _, _, _, s = heapq.heappop(heap)
        if closed[s]:
            continue
        closed[s] = True
        if s == goal:
            break
        cell, layer = s // 2, s % 2
        x, y = cell // ny, cell % ny
        gs = g[s]
        # (next state, step cost): the via, then the four moves the layer allows.
        for k in range(3):
            ns = -1
            cost = 0.0
            if k == 0:
                ns = cell * 2 + (1 - layer)
                cost = via_cost
            elif layer == 0:
                if k == 1 and x + 1 < nx:
                    ns = ((x + 1) * ny + y) * 2
                    cost = _edge_cost(
                        h_use[x, y], h_cap[x, y], h_mark[x, y] == stamp, usage_cost, overflow_cost
                    )
                elif k == 2 and x > 0:
                    ns = ((x - 1) * ny + y) * 2
                    cost = _edge_cost(
                        h_use[x - 1, y],
                        h_cap[x - 1, y],
                        h_mark[x - 1, y] == stamp,
                        usage_cost,
                        overflow_cost,
                    )
            else:
                if k == 1 and y + 1 < ny:
                    ns = (x * ny + y + 1) * 2 + 1
                    cost = _edge_cost(
                        v_use[x, y], v_cap[x, y], v_mark[x, y] == stamp, usage_cost, overflow_cost
                    )
                elif k == 2 and y > 0:
                    ns = (x * ny + y - 1) * 2 + 1
                    cost = _edge_cost(
                        v_use[x, y - 1],
                        v_cap[x, y - 1],
                        v_mark[x, y - 1] == stamp,
                        usage_cost,
                        overflow_cost,
                    )
            if ns < 0 or closed[ns]:
                continue
            gn = gs + cost
            if gn < g[ns]:
                if g[ns] == np.inf:
                    touched[n_touched] = ns
                    n_touched += 1
                g[ns] = gn
                parent[ns] = s
                nc = ns // 2
                hn = float(abs(nc // ny - tx) + abs(nc % ny - ty))
                counter += 1
                heapq.heappush(heap, (gn + hn, hn, counter, ns))
    length = 0
    s = goal
    while s != -1:
        length += 1
        s = parent[s] if s != start else -1
    states = np.empty(length, dtype=np.int64)
    s = goal
    for k in range(length - 1, -1, -1):
        states[k] = s
        s = parent[s]
    for k in range(n_touched):
        t = touched[k]
        g[t] = np.inf
        parent[t] = -1
        closed[t] = False
    return states


@numba.njit(cache=True)
def _commit(path, h_use, v_use, h_mark, v_mark, stamp):
    """Adds ``path``'s edges to the usage, once per net (marks hold the net's stamp)."""
    for k in range(len(path) - 1):
        x1, y1, x2, y2 = path[k, 0], path[k, 1], path[k + 1, 0], path[k + 1, 1]
        if y1 == y2:
            x = min(x1, x2)
            if h_mark[x, y1] != stamp:
                h_mark[x, y1] = stamp
                h_use[x, y1] += 1.0
        else:
            y = min(y1, y2)
            if v_mark[x1, y] != stamp:
                v_mark[x1, y] = stamp
                v_use[x1, y] += 1.0


# --------------------------------------------------------------------------- search object


@dataclass(frozen=True)
class AStarCosts:
    """Weights of the A* edge cost (see the module docstring; all in wirelength units).

    Attributes:
        usage_cost: Cost added per unit of ``usage / tracks`` of an edge (spreads wires early).
        overflow_cost: Cost added per track of overflow the wire would create.
        via_cost: Cost of a via (ISPD 2008 charges one wirelength unit).
    """

    usage_cost: float = 0.5
    overflow_cost: float = 10.0
    via_cost: float = 1.0


class UsageGrid:
    """Edge usage of a partial routing, with A* for the next connection (mutable).

    Attributes:
        h_tracks: ``(nx - 1, ny)`` float tracks of horizontal edges.
        v_tracks: ``(nx, ny - 1)`` float tracks of vertical edges.
        h_usage: ``(nx - 1, ny)`` float nets crossing each horizontal edge.
        v_usage: ``(nx, ny - 1)`` float nets crossing each vertical edge.
    """

    def __init__(self, problem: RoutingProblem, costs: AStarCosts | None = None) -> None:
        self.nx, self.ny = problem.nx, problem.ny
        h_tracks, v_tracks = problem.tracks_2d()
        self.h_tracks = np.ascontiguousarray(h_tracks, dtype=np.float64)
        self.v_tracks = np.ascontiguousarray(v_tracks, dtype=np.float64)
        self.costs = costs or AStarCosts()
        self.h_usage = np.zeros_like(self.h_tracks)
        self.v_usage = np.zeros_like(self.v_tracks)
        # Marks hold (net index + 1) of the last net that used the edge: nets are routed one
        # after another, so "mark == stamp" means "this net already uses the edge".
        self.h_mark = np.zeros(self.h_tracks.shape, dtype=np.int64)
        self.v_mark = np.zeros(self.v_tracks.shape, dtype=np.int64)
        size = 2 * self.nx * self.ny
        self._g = np.full(size, np.inf)
        self._parent = np.full(size, -1, dtype=np.int64)
        self._closed = np.zeros(size, dtype=np.bool_)
        self._touched = np.empty(size, dtype=np.int64)

    def search(self, net: int, source: Sequence[int], target: Sequence[int]) -> np.ndarray:
        """The cheapest path from ``source`` to ``target`` under the current usage.

        Args:
            net: Net index (edges this net already uses are cheap and add no usage).
            source: ``(x, y)`` gcell.
            target: ``(x, y)`` gcell.

        Returns:
            ``(m, 2)`` int64 gcells from source to target (vias dropped; ``m >= 1``).
        """
        c = self.costs
        states = _astar(
            self.nx,
            self.ny,
            int(source[0]),
            int(source[1]),
            int(target[0]),
            int(target[1]),
            self.h_usage,
            self.v_usage,
            self.h_tracks,
            self.v_tracks,
            self.h_mark,
            self.v_mark,
            net + 1,
            c.usage_cost,
            c.overflow_cost,
            c.via_cost,
            self._g,
            self._parent,
            self._closed,
            self._touched,
        )
        cells = states // 2
        cells = cells[np.concatenate([[True], cells[1:] != cells[:-1]])]
        return np.column_stack([cells // self.ny, cells % self.ny]).astype(np.int64)

    def commit(self, net: int, path: np.ndarray) -> None:
        """Adds ``path`` (consecutive gcells) of net ``net`` to the usage."""
        _commit(
            np.asarray(path, dtype=np.int64).reshape(-1, 2),
            self.h_usage,
            self.v_usage,
            self.h_mark,
            self.v_mark,
            net + 1,
        )


# --------------------------------------------------------------------------- the router


@dataclass(frozen=True)
class AStarResult:
    """The routing found by :func:`route_sequential`.

    Attributes:
        routes: Per net, its connection paths (``(m, 2)`` int64 gcells), in routing order.
        metrics: Usage, overflow, wirelength and vias (:func:`evaluate_routes`).
        connections: Two-pin connections routed.
        runtime_s: Wall-clock seconds (seconds).
    """

    routes: tuple[tuple[np.ndarray, ...], ...]
    metrics: RouteMetrics
    connections: int
    runtime_s: float

    @property
    def total_overflow(self) -> float:
        return self.metrics.total_overflow

    @property
    def max_overflow(self) -> float:
        return self.metrics.max_overflow

    @property
    def wirelength(self) -> int:
        return self.metrics.wirelength

    @property
    def vias(self) -> int:
        return self.metrics.vias


def route_sequential(problem: RoutingProblem, costs: AStarCosts | None = None) -> AStarResult:
    """Routes every two-pin connection once, in :func:`two_pin_connections` order, by A*.

    Args:
        problem: The problem (its two-layer projection is routed).
        costs: Edge-cost weights (default :class:`AStarCosts`).

    Returns:
        The routes and their metrics. Every connection is routed; overflow is possible.
    """
    start = time.perf_counter()
    grid = UsageGrid(problem, costs)
    routes: list[list[np.ndarray]] = [[] for _ in problem.nets]
    connections = two_pin_connections(problem)
    for net, x1, y1, x2, y2 in connections:
        path = grid.search(int(net), (x1, y1), (x2, y2))
        grid.commit(int(net), path)
        routes[int(net)].append(path)
    frozen = tuple(tuple(paths) for paths in routes)
    metrics = evaluate_routes(problem, frozen)
    return AStarResult(frozen, metrics, len(connections), time.perf_counter() - start)
