"""Sequential A*: the classic baseline global router (and the metrics every router here reports).

Each net is decomposed into two-pin connections by a minimum spanning tree of its pin gcells
(Manhattan distance); connections are routed one at a time, nets in order of HPWL then id, by A*
on the two-layer gcell graph, and are never ripped up. Edge costs grow with usage and an edge
that is full costs more but is never forbidden, so every connection is routed (possibly with
overflow). Learned routers (:mod:`placement_env.routing.env`) are compared with it.

The search graph is the two-layer model of :meth:`RoutingProblem.tracks_2d`: horizontal edges
on layer 1, vertical edges on layer 2, a via between the layers at any gcell. Pins sit on
layer 1, so a connection costs::

    sum over its edges of  1 + usage_cost * u / max(c, 1) + overflow_cost * max(0, u + 1 - c)
    + via_cost * vias

where ``u`` is the edge's usage before the wire and ``c`` its tracks; an edge the net already
uses costs 1 and adds no usage (a net uses an edge once however many of its connections cross
it). The Manhattan distance is an admissible, consistent heuristic (every edge costs >= 1).

Metrics (:func:`evaluate_routes`, shared with the env and the benchmark):

* usage: per edge, the number of nets whose paths cross it (each net counted once);
* total overflow ``sum max(0, usage - tracks)`` and max overflow, over the 2-D edges;
* wirelength: the number of (net, edge) pairs, i.e. gcell edges, each net's edges counted once;
* vias (the documented rule): per path, one via per direction change plus one at each end that
  the path leaves or reaches vertically (its pins are on the horizontal layer 1). This is the
  number of via segments :func:`placement_env.routing.ispd08.write_ispd08_solution` writes.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numba
import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import minimum_spanning_tree

from placement_env.routing.problem import RoutingProblem

#: Columns of :func:`two_pin_connections`.
CONNECTION_COLUMNS = ("net", "x1", "y1", "x2", "y2")


# --------------------------------------------------------------------------- decomposition


def mst_pairs(cells: np.ndarray) -> np.ndarray:
    """Minimum spanning tree of gcells under Manhattan distance.

    Args:
        cells: ``(k, 2)`` int array of distinct gcells.

    Returns:
        ``(k - 1, 2)`` int64 index pairs ``(i, j)`` with ``i < j``, sorted by length, then ``i``,
        then ``j`` (deterministic).
    """
    cells = np.asarray(cells, dtype=np.int64).reshape(-1, 2)
    k = len(cells)
    if k < 2:
        return np.empty((0, 2), dtype=np.int64)
    dist = np.abs(cells[:, None, :] - cells[None, :, :]).sum(axis=2)
    i, j = np.triu_indices(k, 1)
    # Distinct cells are >= 1 apart, so no real edge is the zero csgraph takes for "no edge".
    graph = coo_matrix((dist[i, j].astype(float), (i, j)), shape=(k, k))
    tree = minimum_spanning_tree(graph).tocoo()
    a, b = np.minimum(tree.row, tree.col), np.maximum(tree.row, tree.col)
    order = np.lexsort((b, a, dist[a, b]))
    return np.column_stack([a[order], b[order]]).astype(np.int64)


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
        ``(c, 5)`` int64 rows ``net, x1, y1, x2, y2`` (:data:`CONNECTION_COLUMNS`): nets in
        :func:`net_order`, each net's spanning-tree edges in :func:`mst_pairs` order. Nets whose
        pins all share one gcell give none.
    """
    rows = []
    for net in net_order(problem):
        cells = problem.net_gcells(int(net))
        for i, j in mst_pairs(cells):
            rows.append((int(net), *cells[i], *cells[j]))
    return np.array(rows, dtype=np.int64).reshape(-1, 5)


# --------------------------------------------------------------------------- kernels


@numba.njit(cache=True)
def _edge_cost(use, cap, own, usage_cost, overflow_cost):
    if own:
        return 1.0
    return 1.0 + usage_cost * use / max(cap, 1.0) + overflow_cost * max(0.0, use + 1.0 - cap)


@numba.njit(cache=True)
def _astar(
    nx, ny, sx, sy, tx, ty, h_use, v_use, h_cap, v_cap, h_mark, v_mark, stamp,
    usage_cost, overflow_cost, via_cost, g, parent, closed, touched,
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
                    cost = _edge_cost(h_use[x, y], h_cap[x, y], h_mark[x, y] == stamp,
                                      usage_cost, overflow_cost)
                elif k == 2 and x > 0:
                    ns = ((x - 1) * ny + y) * 2
                    cost = _edge_cost(h_use[x - 1, y], h_cap[x - 1, y],
                                      h_mark[x - 1, y] == stamp, usage_cost, overflow_cost)
            else:
                if k == 1 and y + 1 < ny:
                    ns = (x * ny + y + 1) * 2 + 1
                    cost = _edge_cost(v_use[x, y], v_cap[x, y], v_mark[x, y] == stamp,
                                      usage_cost, overflow_cost)
                elif k == 2 and y > 0:
                    ns = (x * ny + y - 1) * 2 + 1
                    cost = _edge_cost(v_use[x, y - 1], v_cap[x, y - 1],
                                      v_mark[x, y - 1] == stamp, usage_cost, overflow_cost)
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
            self.nx, self.ny, int(source[0]), int(source[1]), int(target[0]), int(target[1]),
            self.h_usage, self.v_usage, self.h_tracks, self.v_tracks, self.h_mark, self.v_mark,
            net + 1, c.usage_cost, c.overflow_cost, c.via_cost,
            self._g, self._parent, self._closed, self._touched,
        )
        cells = states // 2
        cells = cells[np.concatenate([[True], cells[1:] != cells[:-1]])]
        return np.column_stack([cells // self.ny, cells % self.ny]).astype(np.int64)

    def commit(self, net: int, path: np.ndarray) -> None:
        """Adds ``path`` (consecutive gcells) of net ``net`` to the usage."""
        _commit(np.asarray(path, dtype=np.int64).reshape(-1, 2), self.h_usage, self.v_usage,
                self.h_mark, self.v_mark, net + 1)


# --------------------------------------------------------------------------- metrics


def path_edges(path: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The edges a gcell path crosses.

    Returns:
        ``(h, v)``: ``(a, 2)`` int64 ``(x, y)`` indices into ``h_tracks`` and ``(b, 2)`` into
        ``v_tracks``.

    Raises:
        ValueError: Two consecutive cells are not neighbours.
    """
    path = np.asarray(path, dtype=np.int64).reshape(-1, 2)
    a, b = path[:-1], path[1:]
    step = np.abs(b - a).sum(axis=1)
    if (step != 1).any():
        k = int(np.flatnonzero(step != 1)[0])
        raise ValueError(f"path cells {path[k].tolist()} and {path[k + 1].tolist()} are not "
                         "neighbours")
    horizontal = a[:, 1] == b[:, 1]
    h = np.column_stack([np.minimum(a[:, 0], b[:, 0]), a[:, 1]])[horizontal]
    v = np.column_stack([a[:, 0], np.minimum(a[:, 1], b[:, 1])])[~horizontal]
    return h, v


def path_vias(path: np.ndarray) -> int:
    """Vias of one path on the two-layer model (pins on the horizontal layer 1).

    One per direction change, plus one at each end the path leaves or reaches vertically.
    """
    path = np.asarray(path, dtype=np.int64).reshape(-1, 2)
    if len(path) < 2:
        return 0
    vertical = np.diff(path, axis=0)[:, 0] == 0
    return int((vertical[1:] != vertical[:-1]).sum() + vertical[0] + vertical[-1])


@dataclass(frozen=True)
class RouteMetrics:
    """What a routing of a problem scores (units: gcell edges and tracks).

    Attributes:
        h_usage: ``(nx - 1, ny)`` float nets crossing each horizontal edge.
        v_usage: ``(nx, ny - 1)`` float nets crossing each vertical edge.
        total_overflow: ``sum max(0, usage - tracks)`` over all edges.
        max_overflow: Largest edge overflow.
        overflowed_edges: Edges with usage above their tracks.
        wirelength: Gcell edges used, each net's edges counted once.
        vias: Vias by the rule of :func:`path_vias`, summed over paths.
        connected: Every net's pin gcells are joined by its paths.
        solved: ``connected`` and zero total overflow.
    """

    h_usage: np.ndarray
    v_usage: np.ndarray
    total_overflow: float
    max_overflow: float
    overflowed_edges: int
    wirelength: int
    vias: int
    connected: bool

    @property
    def solved(self) -> bool:
        return self.connected and self.total_overflow == 0

    def summary(self) -> dict[str, float | int | bool]:
        """The scalar metrics as a dict (for ``info`` and reports)."""
        return {
            "total_overflow": self.total_overflow,
            "max_overflow": self.max_overflow,
            "overflowed_edges": self.overflowed_edges,
            "wirelength": self.wirelength,
            "vias": self.vias,
            "connected": self.connected,
            "solved": self.solved,
        }


def overflow(
    h_usage: np.ndarray, v_usage: np.ndarray, h_tracks: np.ndarray, v_tracks: np.ndarray
) -> tuple[float, float, int]:
    """``(total, max, number of overflowed edges)`` of usage against tracks."""
    over = np.concatenate([(h_usage - h_tracks).ravel(), (v_usage - v_tracks).ravel()])
    over = np.maximum(over, 0.0)
    return float(over.sum()), float(over.max(initial=0.0)), int((over > 0).sum())


def _connected(cells: np.ndarray, paths: Sequence[np.ndarray], ny: int) -> bool:
    if len(cells) < 2:
        return True
    parent: dict[int, int] = {}

    def find(a: int) -> int:
        parent.setdefault(a, a)
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for path in paths:
        keys = [int(x) * ny + int(y) for x, y in np.asarray(path).reshape(-1, 2)]
        for a, b in zip(keys[:-1], keys[1:], strict=True):
            parent[find(a)] = find(b)
    roots = {find(int(x) * ny + int(y)) for x, y in cells}
    return len(roots) == 1


def evaluate_routes(
    problem: RoutingProblem, routes: Sequence[Sequence[np.ndarray]]
) -> RouteMetrics:
    """Scores gcell-path routes of every net of ``problem`` (see the module docstring).

    Args:
        problem: The problem.
        routes: Per net, a sequence of ``(m, 2)`` int gcell paths.

    Raises:
        ValueError: Wrong number of nets, a path leaving the grid or jumping between cells.
    """
    if len(routes) != len(problem.nets):
        raise ValueError(f"routes has {len(routes)} entries for {len(problem.nets)} nets")
    h_tracks, v_tracks = problem.tracks_2d()
    h_usage = np.zeros(h_tracks.shape)
    v_usage = np.zeros(v_tracks.shape)
    vias, connected = 0, True
    for index, paths in enumerate(routes):
        h_parts, v_parts = [np.empty((0, 2), np.int64)], [np.empty((0, 2), np.int64)]
        for path in paths:
            path = np.asarray(path, dtype=np.int64).reshape(-1, 2)
            if len(path) and ((path < 0).any() or (path[:, 0] >= problem.nx).any()
                              or (path[:, 1] >= problem.ny).any()):
                raise ValueError(f"net {index}: a path leaves the {problem.nx} x {problem.ny} "
                                 "grid")
            h, v = path_edges(path)
            h_parts.append(h)
            v_parts.append(v)
            vias += path_vias(path)
        for parts, usage in ((h_parts, h_usage), (v_parts, v_usage)):
            edges = np.unique(np.concatenate(parts), axis=0)
            np.add.at(usage, (edges[:, 0], edges[:, 1]), 1.0)
        connected &= _connected(problem.net_gcells(index), paths, problem.ny)
    total, worst, count = overflow(h_usage, v_usage, h_tracks, v_tracks)
    return RouteMetrics(
        h_usage=h_usage, v_usage=v_usage, total_overflow=total, max_overflow=worst,
        overflowed_edges=count, wirelength=int(h_usage.sum() + v_usage.sum()), vias=vias,
        connected=bool(connected),
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
