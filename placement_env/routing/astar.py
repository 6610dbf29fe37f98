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
it). The Manhattan distance is an admissible, consistent heuristic (every edge costs >= 1). The
search is the package's one A* kernel, :func:`placement_env.routing.kernels.astar`, on its
two-layer graph with this cost (:func:`~placement_env.routing.kernels.edge_cost` with ``U =
usage_cost``, ``P = overflow_cost`` and no history or logistic term); equal ``g + h`` pops the
state nearer the target first, then the one reached first.

Every wire counts as one track in the search (exact for default-width nets). The results are
scored by :func:`placement_env.routing.metrics.route_metrics`, the package's one definition of
usage, overflow, wirelength and vias (re-exported here: :func:`evaluate_routes`,
:class:`RouteMetrics`, :func:`path_edges`, :func:`path_vias`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numba
import numpy as np

from placement_env.routing import kernels
from placement_env.routing.decompose import decompose
from placement_env.routing.kernels import edge_between
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
def _commit(path, usage, mark, ny, n_h, stamp):
    """Adds ``path``'s edges to the flat usage, once per net (marks hold the net's stamp)."""
    for k in range(len(path) - 1):
        a = path[k, 0] * ny + path[k, 1]
        e = edge_between(a, path[k + 1, 0] * ny + path[k + 1, 1], ny, n_h)
        if mark[e] != stamp:
            mark[e] = stamp
            usage[e] += 1.0


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
        tracks: Flat float tracks per edge (:mod:`~placement_env.routing.kernels` edge ids).
        usage: Flat float nets crossing each edge.
        mark: Flat int64 (net index + 1) of the last net that used each edge (0: none).
        h_tracks: ``(nx - 1, ny)`` view of ``tracks``: the horizontal edges.
        v_tracks: ``(nx, ny - 1)`` view of ``tracks``: the vertical edges.
        h_usage: ``(nx - 1, ny)`` view of ``usage``.
        v_usage: ``(nx, ny - 1)`` view of ``usage``.
        h_mark: ``(nx - 1, ny)`` view of ``mark``.
        v_mark: ``(nx, ny - 1)`` view of ``mark``.
    """

    def __init__(self, problem: RoutingProblem, costs: AStarCosts | None = None) -> None:
        self.nx, self.ny = problem.nx, problem.ny
        self.costs = costs or AStarCosts()
        h_tracks, v_tracks = problem.tracks_2d()
        # Flat edge arrays in the kernels' layout; the 2-D attributes are views of them.
        self._n_h = (self.nx - 1) * self.ny
        self.tracks = np.concatenate([np.ravel(h_tracks), np.ravel(v_tracks)]).astype(np.float64)
        self.usage = np.zeros_like(self.tracks)
        # Marks hold (net index + 1) of the last net that used the edge: nets are routed one
        # after another, so "mark == stamp" means "this net already uses the edge".
        self.mark = np.zeros(len(self.tracks), dtype=np.int64)
        self.h_tracks, self.v_tracks = self._split(self.tracks)
        self.h_usage, self.v_usage = self._split(self.usage)
        self.h_mark, self.v_mark = self._split(self.mark)
        self._no_history = np.zeros(len(self.tracks))
        states = 2 * self.nx * self.ny
        self._g = np.zeros(states)
        self._parent = np.zeros(states, dtype=np.int64)
        self._seen = np.zeros(states, dtype=np.int64)
        self._stamp = 0
        room = 3 * states + 1  # one heap entry per directed edge of the two-layer graph, plus one
        self._heap_keys = np.zeros(room)
        self._heap_ties = np.zeros(room, dtype=np.int64)
        self._heap_log = np.zeros(room, dtype=np.int64)
        self._path = np.zeros(self.nx * self.ny, dtype=np.int64)

    def _split(self, flat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(h, v)`` 2-D views of a flat edge array."""
        n_h = self._n_h
        return (
            flat[:n_h].reshape(self.nx - 1, self.ny),
            flat[n_h:].reshape(self.nx, self.ny - 1),
        )

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
        self._stamp += 1
        n = kernels.astar(
            int(source[0]), int(source[1]), int(target[0]), int(target[1]),
            0, self.nx - 1, 0, self.ny - 1, self.ny, self._n_h,
            self.tracks, self.usage, self._no_history, 1.0, 0.0, 0.0, c.overflow_cost,
            c.usage_cost, self.mark, net + 1, True, c.via_cost, True,
            self._g, self._parent, self._seen, self._stamp,
            self._heap_keys, self._heap_ties, self._heap_log, self._path, 0,
        )  # fmt: skip
        cells = self._path[:n]
        return np.column_stack([cells // self.ny, cells % self.ny]).astype(np.int64)

    def commit(self, net: int, path: np.ndarray) -> None:
        """Adds ``path`` (consecutive gcells) of net ``net`` to the usage."""
        path = np.asarray(path, dtype=np.int64).reshape(-1, 2)
        _commit(path, self.usage, self.mark, self.ny, self._n_h, net + 1)


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
