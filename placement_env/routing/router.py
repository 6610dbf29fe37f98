"""A negotiated-congestion grid global router on the two-layer projection of a routing problem.

Flow (after FastRoute and PathFinder; see :mod:`placement_env.routing.kernels` for the cost):

1. **Decompose** every net into two-pin connections (:func:`~placement_env.routing.decompose.
   decompose`), ordered by length (shortest first; the seed breaks ties).
2. **Pattern routing**: each connection takes the cheaper of its two L shapes under the
   congestion-aware cost, in order; then every connection crossing an overflowed edge is ripped
   up and takes its best L or Z shape.
3. **Negotiated rip-up and reroute** (``mode="negotiated"``): each round adds the overflow of
   every overflowed edge to its history cost, raises the logistic height and slope and the
   present-congestion factor, then rips up every connection crossing an overflowed edge and
   reroutes it by A* inside its bounding box grown by a margin that widens each round. It stops
   at zero overflow (``converged``), after ``max_rounds``, past ``time_limit_s`` or when the total
   overflow has not improved for ``patience`` rounds; the best round (least total overflow, then
   least wirelength) is returned.

``mode="pattern"`` stops after step 2 (the "sequential" baseline). Everything is deterministic
for a given problem, mode, limits and seed (the time limit aside).

Metrics: the result reports :func:`~placement_env.routing.metrics.route_metrics` of its paths,
the package's one definition (ISPD 2008's: a net uses an edge once, in its demand of tracks;
wirelength counts each net's edges once; vias per path at bends and at vertical ends).

The negotiation itself counts usage per *connection* (each wire adds its net's demand to every
edge it crosses, so two overlapping connections of one net count twice). That is a conservative
bound on the reported usage (never below it), and it is what lets the kernels rip up and reroute
one connection without knowing which other connections of its net share its edges; counting
each net once there would need a reference count per (net, edge) pair in the hot loops. The
round kept is the best under that internal count; ``pattern_overflow`` is the reported total
overflow of the pattern routing.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np

from placement_env.routing import kernels
from placement_env.routing.decompose import Connections, decompose
from placement_env.routing.metrics import RouteMetrics, route_metrics
from placement_env.routing.problem import RoutingProblem

__all__ = ["RouterSettings", "RoutingResult", "route"]

logger = logging.getLogger(__name__)

MODES = ("negotiated", "pattern")


@dataclass(frozen=True)
class RouterSettings:
    """Knobs of the cost schedule (dimensionless, in units of one gcell edge of wirelength).

    Attributes:
        logistic_height: ``H`` of the logistic term in pattern routing and round 1.
        height_step: Added to ``H`` every negotiation round.
        logistic_slope: ``k`` in pattern routing and round 1 (per track).
        slope_growth: ``k`` is multiplied by this every round, up to ``max_slope``.
        max_slope: Cap on ``k``.
        present_factor: ``P`` (cost per track of overflow a wire would cause) at the start.
        present_growth: ``P`` is multiplied by this every round, up to ``max_present``.
        max_present: Cap on ``P``.
        history_step: History added per track of overflow on an edge each round.
        bend_cost: Extra cost of one bend in pattern routing (vias).
        margin: Bounding-box margin (gcells) of A* in round 1.
        margin_step: Margin added every round.
        max_margin: Cap on the margin.
        patience: Rounds without a better total overflow before giving up.
    """

    logistic_height: float = 4.0
    height_step: float = 1.0
    logistic_slope: float = 1.0
    slope_growth: float = 1.5
    max_slope: float = 4.0
    present_factor: float = 1.0
    present_growth: float = 1.3
    max_present: float = 1000.0
    history_step: float = 1.0
    bend_cost: float = 0.5
    margin: int = 3
    margin_step: int = 2
    max_margin: int = 30
    patience: int = 8


@dataclass(frozen=True)
class RoutingResult:
    """A routed problem and its metrics (:mod:`placement_env.routing.metrics`; usage in tracks).

    Attributes:
        problem_name: ``problem.name``.
        mode: ``"negotiated"`` or ``"pattern"``.
        total_overflow: Sum over gcell edges of ``max(0, usage - capacity)`` (tracks).
        max_overflow: Largest edge overflow (tracks).
        overflowed_edges: Number of edges with usage above capacity.
        pattern_overflow: Total overflow right after pattern routing (tracks).
        wirelength: Gcell edges crossed, each net's edges counted once.
        wirelength_um: The same in microns (H edges x tile width, V edges x tile height).
        vias: Via count (module docstring).
        h_usage: ``(nx - 1, ny)`` tracks used on each horizontal edge.
        v_usage: ``(nx, ny - 1)`` tracks used on each vertical edge.
        h_capacity: ``(nx - 1, ny)`` tracks of each horizontal edge.
        v_capacity: ``(nx, ny - 1)`` tracks of each vertical edge.
        congestion: ``(nx, ny)`` per gcell, the largest ``usage / capacity`` of its edges (0 for
            unused edges, ``inf`` for a used edge of zero capacity).
        connections: The two-pin connections routed (``connections.net`` maps each to its net).
        paths: Per connection, an ``(m, 2)`` int64 array of the gcells ``(x, y)`` its route
            visits, from its first end to its second.
        rounds: Negotiation rounds run (0 in pattern mode).
        runtime_s: Wall time of :func:`route` (seconds, decomposition included).
        converged: True when the total overflow is zero.
    """

    problem_name: str
    mode: str
    total_overflow: float
    max_overflow: float
    overflowed_edges: int
    pattern_overflow: float
    wirelength: int
    wirelength_um: float
    vias: int
    h_usage: np.ndarray  # (nx - 1, ny)
    v_usage: np.ndarray  # (nx, ny - 1)
    h_capacity: np.ndarray  # (nx - 1, ny)
    v_capacity: np.ndarray  # (nx, ny - 1)
    congestion: np.ndarray  # (nx, ny)
    connections: Connections
    paths: tuple[np.ndarray, ...]
    rounds: int
    runtime_s: float
    converged: bool

    def net_paths(self, net: int) -> list[np.ndarray]:
        """The gcell paths of the connections of net ``net`` (index into ``problem.nets``)."""
        return [self.paths[c] for c in np.flatnonzero(self.connections.net == net)]

    def summary(self) -> dict[str, float | int | bool]:
        """The scalar metrics as a flat dictionary (for tables and JSON)."""
        return {
            "total_overflow": self.total_overflow,
            "max_overflow": self.max_overflow,
            "overflowed_edges": self.overflowed_edges,
            "wirelength": self.wirelength,
            "wirelength_um": self.wirelength_um,
            "vias": self.vias,
            "connections": len(self.connections),
            "rounds": self.rounds,
            "runtime_s": self.runtime_s,
            "converged": self.converged,
        }


class _State:
    """Mutable routing state: flat capacities, usage, history and the path pool."""

    def __init__(self, problem: RoutingProblem, conns: Connections) -> None:
        h_cap, v_cap = problem.tracks_2d()
        self.nx, self.ny = problem.nx, problem.ny
        self.n_h = (self.nx - 1) * self.ny
        self.cap = np.concatenate([np.ravel(h_cap), np.ravel(v_cap)]).astype(np.float64)
        n_edges = len(self.cap)
        self.usage = np.zeros(n_edges)
        self.hist = np.zeros(n_edges)
        self.ends = np.ascontiguousarray(conns.ends, dtype=np.int64)
        self.demand = np.ascontiguousarray(conns.demand, dtype=np.float64)
        n = len(conns)
        self.start = np.zeros(n, dtype=np.int64)
        self.length = np.zeros(n, dtype=np.int64)
        self.pool = np.zeros(max(4 * int(conns.lengths.sum()) + 4 * n, 1024), dtype=np.int64)
        self.pool_used = 0
        cells = self.nx * self.ny
        self.work_g = np.zeros(cells)
        self.work_parent = np.zeros(cells, dtype=np.int64)
        self.work_seen = np.zeros(cells, dtype=np.int64)
        self.stamp = 0
        self.heap_keys = np.zeros(4 * cells + 1)
        self.heap_ties = np.zeros(4 * cells + 1, dtype=np.int64)

    def overflow(self) -> np.ndarray:
        return np.maximum(self.usage - self.cap, 0.0)

    def wirelength(self) -> int:
        return int(np.maximum(self.length - 1, 0).sum())

    def paths(self) -> tuple[np.ndarray, ...]:
        """Per connection, its ``(m, 2)`` int64 gcell path."""
        return tuple(
            np.stack(np.divmod(self.pool[s : s + n], self.ny), axis=1)
            for s, n in zip(self.start, self.length, strict=True)
        )

    def compact(self, extra: int) -> None:
        """Copy the live paths to the front of a pool with room for ``extra`` more gcells."""
        live = int(self.length.sum())
        size = max(2 * (live + extra), len(self.pool))
        pool = np.zeros(size, dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(self.length)[:-1]]).astype(np.int64)
        for c in np.flatnonzero(self.length):
            s, n = self.start[c], self.length[c]
            pool[offsets[c] : offsets[c] + n] = self.pool[s : s + n]
        self.pool, self.start, self.pool_used = pool, offsets, live

    def snapshot(self) -> tuple:
        n = self.pool_used
        return (self.pool[:n].copy(), self.start.copy(), self.length.copy(), self.usage.copy())

    def restore(self, snap: tuple) -> None:
        pool, self.start, self.length, self.usage = (a.copy() for a in snap)
        self.pool = np.zeros(max(len(self.pool), len(pool)), dtype=np.int64)
        self.pool[: len(pool)] = pool
        self.pool_used = len(pool)

    def pattern(self, order: np.ndarray, z_shapes: bool, rip_up: bool, costs: tuple) -> None:
        while len(order):
            self.pool_used, done = kernels.pattern_route(
                order, self.ends, self.demand, z_shapes, rip_up, self.ny, self.n_h, self.cap,
                self.usage, self.hist, *costs, self.pool, self.pool_used, self.start, self.length,
            )  # fmt: skip
            order = order[done:]
            if len(order):
                self.compact(self.nx + self.ny)

    def maze(self, order: np.ndarray, margin: int, costs: tuple) -> None:
        while len(order):
            self.pool_used, done, self.stamp = kernels.maze_route(
                order, self.ends, self.demand, margin, self.nx, self.ny, self.n_h, self.cap,
                self.usage, self.hist, *costs, self.pool, self.pool_used, self.start, self.length,
                self.work_g, self.work_parent, self.work_seen, self.stamp, self.heap_keys,
                self.heap_ties,
            )  # fmt: skip
            order = order[done:]
            if len(order):
                self.compact(self.nx * self.ny)

    def overflowed_connections(self, order: np.ndarray) -> np.ndarray:
        """Connections of ``order`` (kept in that order) crossing an overflowed edge."""
        over = self.usage > self.cap
        hits = kernels.touches_overflow(self.pool, self.start, self.length, self.ny, self.n_h, over)
        return order[hits[order] > 0]


def _order(conns: Connections, seed: int) -> np.ndarray:
    """Connections shortest first; a seeded permutation breaks ties."""
    tiebreak = np.random.default_rng(seed).permutation(len(conns))
    return np.lexsort((tiebreak, conns.lengths)).astype(np.int64)


def route(
    problem: RoutingProblem,
    *,
    mode: str = "negotiated",
    max_rounds: int = 50,
    time_limit_s: float = 60.0,
    seed: int = 0,
    settings: RouterSettings | None = None,
) -> RoutingResult:
    """Route every net of ``problem`` on its two-layer projection (see the module docstring).

    Args:
        problem: The routing problem (already validated by its constructor).
        mode: ``"negotiated"`` (pattern routing, then negotiated rip-up and reroute) or
            ``"pattern"`` (pattern routing only: the sequential baseline).
        max_rounds: Cap on negotiation rounds.
        time_limit_s: Wall-time cap of the negotiation (checked between rounds, seconds).
        seed: Breaks ties in the routing order.
        settings: The cost schedule; :class:`RouterSettings` defaults when None.

    Returns:
        The routes and their metrics.

    Raises:
        ValueError: An unknown ``mode`` or a negative limit.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if max_rounds < 0 or time_limit_s < 0:
        raise ValueError("max_rounds and time_limit_s must be >= 0")
    s = settings or RouterSettings()
    began = time.perf_counter()
    conns = decompose(problem)
    state = _State(problem, conns)
    order = _order(conns, seed)

    height, slope, present = s.logistic_height, s.logistic_slope, s.present_factor
    costs = (height, slope, present, s.bend_cost)
    state.pattern(order, z_shapes=False, rip_up=False, costs=costs)
    state.pattern(state.overflowed_connections(order), z_shapes=True, rip_up=True, costs=costs)
    internal_overflow = float(state.overflow().sum())
    pattern_paths = state.paths()
    pattern_metrics = route_metrics(problem, conns.net, pattern_paths)

    rounds = 0
    if mode == "negotiated" and internal_overflow > 0:
        best = (internal_overflow, state.wirelength())
        best_snap = state.snapshot()
        stale = 0
        margin = s.margin
        while rounds < max_rounds and time.perf_counter() - began < time_limit_s:
            rounds += 1
            state.hist += s.history_step * state.overflow()
            state.maze(state.overflowed_connections(order), margin, (height, slope, present))
            total = float(state.overflow().sum())
            logger.debug("round %d: total overflow %g", rounds, total)
            key = (total, state.wirelength())
            if key < best:
                stale = 0 if total < best[0] else stale + 1
                best, best_snap = key, state.snapshot()
            else:
                stale += 1
            if total == 0 or stale >= s.patience:
                break
            height += s.height_step
            slope = min(slope * s.slope_growth, s.max_slope)
            present = min(present * s.present_growth, s.max_present)
            margin = min(margin + s.margin_step, s.max_margin)
        state.restore(best_snap)
    if rounds == 0:  # the routes are the pattern routes: no need to score them again
        return _result(
            problem, conns, pattern_paths, pattern_metrics, pattern_metrics, mode, rounds, began
        )
    paths = state.paths()
    metrics = route_metrics(problem, conns.net, paths)
    return _result(problem, conns, paths, metrics, pattern_metrics, mode, rounds, began)


def _result(
    problem: RoutingProblem,
    conns: Connections,
    paths: tuple[np.ndarray, ...],
    metrics: RouteMetrics,
    pattern_metrics: RouteMetrics,
    mode: str,
    rounds: int,
    began: float,
) -> RoutingResult:
    h_cap, v_cap = problem.tracks_2d()
    for array in (metrics.h_usage, metrics.v_usage):
        array.setflags(write=False)
    return RoutingResult(
        problem_name=problem.name,
        mode=mode,
        total_overflow=metrics.total_overflow,
        max_overflow=metrics.max_overflow,
        overflowed_edges=metrics.overflowed_edges,
        pattern_overflow=pattern_metrics.total_overflow,
        wirelength=metrics.wirelength,
        wirelength_um=metrics.wirelength_um,
        vias=metrics.vias,
        h_usage=metrics.h_usage,
        v_usage=metrics.v_usage,
        h_capacity=h_cap,
        v_capacity=v_cap,
        congestion=congestion_map(metrics.h_usage, metrics.v_usage, h_cap, v_cap),
        connections=conns,
        paths=paths,
        rounds=rounds,
        runtime_s=time.perf_counter() - began,
        converged=metrics.total_overflow == 0,
    )


def congestion_map(
    h_usage: np.ndarray, v_usage: np.ndarray, h_cap: np.ndarray, v_cap: np.ndarray
) -> np.ndarray:
    """``(nx, ny)`` largest ``usage / capacity`` over each gcell's edges (see RoutingResult)."""
    nx, ny = v_usage.shape[0], h_usage.shape[1]
    out = np.zeros((nx, ny))
    with np.errstate(divide="ignore", invalid="ignore"):
        h_ratio = np.where(h_usage > 0, h_usage / h_cap, 0.0)
        v_ratio = np.where(v_usage > 0, v_usage / v_cap, 0.0)
    out[:-1, :] = np.maximum(out[:-1, :], h_ratio)
    out[1:, :] = np.maximum(out[1:, :], h_ratio)
    out[:, :-1] = np.maximum(out[:, :-1], v_ratio)
    out[:, 1:] = np.maximum(out[:, 1:], v_ratio)
    return out
