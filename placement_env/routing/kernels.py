"""numba kernels of the grid routers: edge costs, pattern routing, A* maze routing, usage.

Flat indexing shared by the kernels (``nx`` x ``ny`` gcells):

* gcell ``(x, y)`` has id ``x * ny + y``;
* horizontal edge ``(x, y)`` (between gcells ``(x, y)`` and ``(x + 1, y)``) has id ``x * ny + y``,
  for ``0 <= x < nx - 1``; there are ``n_h = (nx - 1) * ny`` of them;
* vertical edge ``(x, y)`` (between ``(x, y)`` and ``(x, y + 1)``) has id
  ``n_h + x * (ny - 1) + y``.

So ``h_usage.ravel()`` and ``v_usage.ravel()`` (C order) concatenated give the flat edge array.

Routes live in a *pool*: connection ``c`` is the gcell-id path ``pool[start[c]:start[c] +
length[c]]`` from its first end to its second, consecutive gcells being grid neighbours. Rerouting
appends the new path at ``pool_used``; the Python driver compacts the pool when it fills up.

The edge cost of adding a wire of ``d`` tracks to an edge with usage ``u`` (other wires), capacity
``c`` and history ``h`` is, with ``x = u + d - c`` (the overflow the wire would cause, if > 0)::

    cost = 1 + h + U u / max(c, 1) + H / (1 + exp(-k (x - 1/2))) + P max(0, x)

a unit of wirelength, the negotiated history, a linear usage term, a logistic penalty for nearly
full edges (FastRoute's form) and a present-congestion term (PathFinder's). The negotiated router
(:mod:`placement_env.routing.router`) uses ``U = 0`` and raises ``H``, ``k`` and ``P`` round by
round; the sequential A* (:mod:`placement_env.routing.astar`) uses ``h = H = 0`` and ``d = 1``,
and an edge its net already uses costs 1. Every cost is at least 1, so Manhattan distance is an
admissible A* heuristic.

:func:`astar` is the one A* search of the package: on the planar gcell graph (the negotiated
router) or on the two-layer graph with vias (the sequential router, see :func:`astar`).

Every kernel here has a pure-Python golden twin in ``tests/placement_env/routing``.
"""

from __future__ import annotations

import math

import numba
import numpy as np

# ruff: noqa: N803 - H, P follow the papers' names


@numba.njit(cache=True, inline="always")
def edge_cost(
    u: float, c: float, h: float, d: float, H: float, k: float, P: float, U: float = 0.0
) -> float:  # pragma: no cover - jitted
    """Cost of one wire of ``d`` tracks on an edge (see the module docstring)."""
    x = u + d - c
    cost = 1.0 + h
    # The zero tests skip work a caller's model lacks; a skipped term would add exactly 0.
    if U != 0.0:
        cost += U * u / max(c, 1.0)
    if H != 0.0:
        z = -k * (x - 0.5)
        if z > 60.0:
            z = 60.0
        cost += H / (1.0 + math.exp(z))
    if x > 0.0:
        cost += P * x
    return cost


@numba.njit(cache=True, inline="always")
def edge_between(a: int, b: int, ny: int, n_h: int) -> int:  # pragma: no cover - jitted
    """Flat id of the edge between neighbouring gcells ``a`` and ``b``."""
    ax, ay = a // ny, a % ny
    bx, by = b // ny, b % ny
    if ay == by:
        return min(ax, bx) * ny + ay
    return n_h + ax * (ny - 1) + min(ay, by)


@numba.njit(cache=True)
def add_path(
    pool: np.ndarray, start: int, length: int, ny: int, n_h: int, usage: np.ndarray, d: float
) -> None:  # pragma: no cover - jitted
    """Add ``d`` tracks to ``usage`` on every edge of the path ``pool[start:start + length]``."""
    for i in range(start, start + length - 1):
        usage[edge_between(pool[i], pool[i + 1], ny, n_h)] += d


@numba.njit(cache=True)
def _h_run(
    y: int, xa: int, xb: int, ny: int, cap, usage, hist, d, H, k, P
) -> float:  # pragma: no cover - jitted
    total = 0.0
    for x in range(min(xa, xb), max(xa, xb)):
        e = x * ny + y
        total += edge_cost(usage[e], cap[e], hist[e], d, H, k, P)
    return total


@numba.njit(cache=True)
def _v_run(
    x: int, ya: int, yb: int, ny: int, n_h: int, cap, usage, hist, d, H, k, P
) -> float:  # pragma: no cover - jitted
    total = 0.0
    for y in range(min(ya, yb), max(ya, yb)):
        e = n_h + x * (ny - 1) + y
        total += edge_cost(usage[e], cap[e], hist[e], d, H, k, P)
    return total


@numba.njit(cache=True)
def best_pattern(
    x1: int,
    y1: int,
    x2: int,
    y2: int,
    z_shapes: bool,
    ny: int,
    n_h: int,
    cap: np.ndarray,
    usage: np.ndarray,
    hist: np.ndarray,
    d: float,
    H: float,
    k: float,
    P: float,
    bend_cost: float,
) -> tuple[int, int, float]:  # pragma: no cover - jitted
    """The cheapest L (or, with ``z_shapes``, Z) route between two gcells.

    Candidates, in order (a later one wins only if strictly cheaper): the L going horizontal
    first, the L going vertical first, then the horizontal-vertical-horizontal Zs with the
    vertical jog at every column strictly between ``x1`` and ``x2``, then the
    vertical-horizontal-vertical Zs with the horizontal jog at every row strictly between.
    Each bend adds ``bend_cost``.

    Returns:
        ``(kind, bend, cost)``: ``kind`` 0 = HVH with the jog at column ``bend``, 1 = VHV with
        the jog at row ``bend`` (an L is an HVH with ``bend`` = ``x2`` or ``x1``).
    """
    if y1 == y2 or x1 == x2:
        cost = _h_run(y1, x1, x2, ny, cap, usage, hist, d, H, k, P) + _v_run(
            x1, y1, y2, ny, n_h, cap, usage, hist, d, H, k, P
        )
        return 0, x2, cost
    # HV L: horizontal along y1 to x2, then vertical along x2.
    best_kind, best_bend = 0, x2
    best = (
        _h_run(y1, x1, x2, ny, cap, usage, hist, d, H, k, P)
        + _v_run(x2, y1, y2, ny, n_h, cap, usage, hist, d, H, k, P)
        + bend_cost
    )
    # VH L: vertical along x1 to y2, then horizontal along y2.
    cost = (
        _v_run(x1, y1, y2, ny, n_h, cap, usage, hist, d, H, k, P)
        + _h_run(y2, x1, x2, ny, cap, usage, hist, d, H, k, P)
        + bend_cost
    )
    if cost < best:
        best_kind, best_bend, best = 0, x1, cost
    if not z_shapes:
        return best_kind, best_bend, best
    step = 1 if x2 > x1 else -1
    xm = x1 + step
    while xm != x2:
        cost = (
            _h_run(y1, x1, xm, ny, cap, usage, hist, d, H, k, P)
            + _v_run(xm, y1, y2, ny, n_h, cap, usage, hist, d, H, k, P)
            + _h_run(y2, xm, x2, ny, cap, usage, hist, d, H, k, P)
            + 2.0 * bend_cost
        )
        if cost < best:
            best_kind, best_bend, best = 0, xm, cost
        xm += step
    step = 1 if y2 > y1 else -1
    ym = y1 + step
    while ym != y2:
        cost = (
            _v_run(x1, y1, ym, ny, n_h, cap, usage, hist, d, H, k, P)
            + _h_run(ym, x1, x2, ny, cap, usage, hist, d, H, k, P)
            + _v_run(x2, ym, y2, ny, n_h, cap, usage, hist, d, H, k, P)
            + 2.0 * bend_cost
        )
        if cost < best:
            best_kind, best_bend, best = 1, ym, cost
        ym += step
    return best_kind, best_bend, best


@numba.njit(cache=True)
def write_pattern(
    x1: int, y1: int, x2: int, y2: int, kind: int, bend: int, ny: int, pool: np.ndarray, at: int
) -> int:  # pragma: no cover - jitted
    """Write the gcell path of a pattern (see :func:`best_pattern`) at ``pool[at:]``.

    Returns:
        The path length in gcells.
    """
    n = 0
    x, y = x1, y1
    pool[at] = x * ny + y
    n += 1
    hvh = ((bend, y1), (bend, y2), (x2, y2))
    vhv = ((x1, bend), (x2, bend), (x2, y2))
    legs = hvh if kind == 0 else vhv
    for tx, ty in legs:
        while x != tx:
            x += 1 if tx > x else -1
            pool[at + n] = x * ny + y
            n += 1
        while y != ty:
            y += 1 if ty > y else -1
            pool[at + n] = x * ny + y
            n += 1
    return n


@numba.njit(cache=True)
def pattern_route(
    order: np.ndarray,
    ends: np.ndarray,
    demand: np.ndarray,
    z_shapes: bool,
    rip_up: bool,
    ny: int,
    n_h: int,
    cap: np.ndarray,
    usage: np.ndarray,
    hist: np.ndarray,
    H: float,
    k: float,
    P: float,
    bend_cost: float,
    pool: np.ndarray,
    pool_used: int,
    start: np.ndarray,
    length: np.ndarray,
) -> tuple[int, int]:  # pragma: no cover - jitted
    """Route the connections ``order`` one after another by their best pattern.

    With ``rip_up`` each connection's current path is first removed from ``usage``.

    Returns:
        ``(pool_used, done)``: ``done < len(order)`` means the pool filled up before connection
        ``order[done]``; compact it and call again with ``order[done:]``.
    """
    for i in range(len(order)):
        c = order[i]
        x1, y1, x2, y2 = ends[c, 0], ends[c, 1], ends[c, 2], ends[c, 3]
        need = abs(x1 - x2) + abs(y1 - y2) + 1
        if pool_used + need > len(pool):
            return pool_used, i
        if rip_up:
            add_path(pool, start[c], length[c], ny, n_h, usage, -demand[c])
        kind, bend, _ = best_pattern(
            x1, y1, x2, y2, z_shapes, ny, n_h, cap, usage, hist, demand[c], H, k, P, bend_cost
        )
        n = write_pattern(x1, y1, x2, y2, kind, bend, ny, pool, pool_used)
        start[c] = pool_used
        length[c] = n
        add_path(pool, pool_used, n, ny, n_h, usage, demand[c])
        pool_used += n
    return pool_used, len(order)


#: A near-first A* tie is ``h << _PUSH_BITS | push``: by distance to the target, then by push
#: (room for 2**40 pushes and distances below 2**23 gcells).
_PUSH_BITS = 40
_PUSH_MASK = (1 << _PUSH_BITS) - 1


@numba.njit(cache=True)
def _heap_push(keys, ties, size, key, tie) -> int:  # pragma: no cover - jitted
    """Push ``(key, tie)`` on the binary min-heap ``keys, ties``; returns the new size."""
    i = size
    keys[i] = key
    ties[i] = tie
    while i > 0:
        p = (i - 1) // 2
        if keys[p] < keys[i] or (keys[p] == keys[i] and ties[p] <= ties[i]):
            break
        keys[p], keys[i] = keys[i], keys[p]
        ties[p], ties[i] = ties[i], ties[p]
        i = p
    return size + 1


@numba.njit(cache=True)
def _heap_pop(keys, ties, size) -> int:  # pragma: no cover - jitted
    """Remove the root (read it before calling); returns the new size."""
    size -= 1
    keys[0] = keys[size]
    ties[0] = ties[size]
    i = 0
    while True:
        left = 2 * i + 1
        if left >= size:
            break
        j = left
        right = left + 1
        if right < size and (
            keys[right] < keys[left] or (keys[right] == keys[left] and ties[right] < ties[left])
        ):
            j = right
        if keys[i] < keys[j] or (keys[i] == keys[j] and ties[i] <= ties[j]):
            break
        keys[i], keys[j] = keys[j], keys[i]
        ties[i], ties[j] = ties[j], ties[i]
        i = j
    return size


@numba.njit(cache=True)
def astar(
    x1: int,
    y1: int,
    x2: int,
    y2: int,
    xlo: int,
    xhi: int,
    ylo: int,
    yhi: int,
    ny: int,
    n_h: int,
    cap: np.ndarray,
    usage: np.ndarray,
    hist: np.ndarray,
    d: float,
    H: float,
    k: float,
    P: float,
    U: float,
    owner: np.ndarray,
    net: int,
    layered: bool,
    via_cost: float,
    near_first: bool,
    work_g: np.ndarray,
    work_parent: np.ndarray,
    work_seen: np.ndarray,
    stamp: int,
    heap_keys: np.ndarray,
    heap_ties: np.ndarray,
    heap_log: np.ndarray,
    pool: np.ndarray,
    at: int,
) -> int:  # pragma: no cover - jitted
    """Cheapest path from ``(x1, y1)`` to ``(x2, y2)`` inside the window ``[xlo, xhi] x [ylo,
    yhi]`` (inclusive; it must hold both ends) by A* with the Manhattan heuristic.

    The graph is the planar gcell graph, or with ``layered`` the two-layer graph of
    :meth:`RoutingProblem.tracks_2d`: state ``gcell * 2 + layer``, horizontal edges on layer 0,
    vertical ones on layer 1 and a via of cost ``via_cost`` between the layers of a gcell; both
    ends are on layer 0. An edge costs :func:`edge_cost` of ``d`` tracks with weights ``H``,
    ``k``, ``P``, ``U``, or 1 where ``owner[e] == net`` (the net already has a wire there);
    ``net = 0`` turns that off (``owner`` may then be empty).

    ``work_*`` are per-state scratch arrays (``nx * ny`` states, twice that with ``layered``)
    valid where ``work_seen == 2 * stamp`` (``2 * stamp + 1`` marks a closed state), so nothing
    is cleared between calls while ``stamp`` grows. ``heap_keys`` and ``heap_ties`` need room
    for one entry per directed edge plus one (``4 * nx * ny + 1``, ``6 * nx * ny + 1`` with
    ``layered``), and so does ``heap_log`` (the state of each push) with ``near_first``, else it
    may be empty. Equal ``g + h`` pops the lower state first or, with ``near_first``, the state
    nearer the target, then the one pushed first.

    Returns:
        The path length in gcells (vias dropped), written at ``pool[at:]`` from the first end to
        the second.
    """
    lbit = 1 if layered else 0  # state = gcell << lbit | layer
    src = (x1 * ny + y1) << lbit
    dst = (x2 * ny + y2) << lbit
    open_mark = 2 * stamp
    closed_mark = 2 * stamp + 1
    work_g[src] = 0.0
    work_parent[src] = -1
    work_seen[src] = open_mark
    h0 = abs(x1 - x2) + abs(y1 - y2)
    pushes = 0
    if near_first:
        heap_log[0] = src
    size = _heap_push(heap_keys, heap_ties, 0, float(h0), h0 << _PUSH_BITS if near_first else src)
    while size > 0:
        s = heap_log[heap_ties[0] & _PUSH_MASK] if near_first else heap_ties[0]
        size = _heap_pop(heap_keys, heap_ties, size)
        if work_seen[s] == closed_mark:
            continue
        work_seen[s] = closed_mark
        if s == dst:
            break
        cell = s >> lbit
        layer = s & lbit
        cx, cy = cell // ny, cell % ny
        g = work_g[s]
        # Moves: 0 the via, 1 +x, 2 -x, 3 +y, 4 -y. Planar: 1-4; layer 0: 0-2; layer 1: 0, 3, 4.
        skip = 2 if layer == 1 else 0
        for m in range(1 - lbit, 5 - 2 * lbit):
            move = m + skip if m > 0 else 0
            if move == 0:
                nxt, nx_, ny_ = s ^ 1, cx, cy
            else:
                nx_, ny_ = cx, cy
                if move == 1:
                    nx_ += 1
                elif move == 2:
                    nx_ -= 1
                elif move == 3:
                    ny_ += 1
                else:
                    ny_ -= 1
                if nx_ < xlo or nx_ > xhi or ny_ < ylo or ny_ > yhi:
                    continue
                nxt = (nx_ * ny + ny_) << lbit | layer
            if work_seen[nxt] == closed_mark:
                continue
            if move == 0:
                step = via_cost
            else:
                e = min(cx, nx_) * ny + cy if move <= 2 else n_h + cx * (ny - 1) + min(cy, ny_)
                if net != 0 and owner[e] == net:
                    step = 1.0
                else:
                    step = edge_cost(usage[e], cap[e], hist[e], d, H, k, P, U)
            cand = g + step
            if work_seen[nxt] != open_mark or cand < work_g[nxt]:
                work_g[nxt] = cand
                work_parent[nxt] = s
                work_seen[nxt] = open_mark
                hn = abs(nx_ - x2) + abs(ny_ - y2)
                tie = nxt
                if near_first:
                    pushes += 1
                    heap_log[pushes] = nxt
                    tie = hn << _PUSH_BITS | pushes
                size = _heap_push(heap_keys, heap_ties, size, cand + hn, tie)
    # Walk back from the sink (a via repeats its gcell: keep it once), then reverse in place.
    n = 0
    s = dst
    while True:
        cell = s >> lbit
        if n == 0 or pool[at + n - 1] != cell:
            pool[at + n] = cell
            n += 1
        if s == src:
            break
        s = work_parent[s]
    pool[at : at + n] = pool[at : at + n][::-1].copy()
    return n


@numba.njit(cache=True)
def maze_route(
    order: np.ndarray,
    ends: np.ndarray,
    demand: np.ndarray,
    margin: int,
    nx: int,
    ny: int,
    n_h: int,
    cap: np.ndarray,
    usage: np.ndarray,
    hist: np.ndarray,
    H: float,
    k: float,
    P: float,
    pool: np.ndarray,
    pool_used: int,
    start: np.ndarray,
    length: np.ndarray,
    work_g: np.ndarray,
    work_parent: np.ndarray,
    work_seen: np.ndarray,
    stamp: int,
    heap_keys: np.ndarray,
    heap_ties: np.ndarray,
) -> tuple[int, int, int]:  # pragma: no cover - jitted
    """Rip up and reroute the connections ``order`` by A* inside their bounding box grown by
    ``margin`` gcells (clipped to the grid), on the planar graph with :func:`edge_cost`'s
    ``U = 0``.

    Returns:
        ``(pool_used, done, stamp)``; ``done < len(order)`` means the pool filled up before
        ``order[done]`` (compact it and call again with ``order[done:]``).
    """
    unused = np.zeros(0, dtype=np.int64)  # no owner marks, no push log
    for i in range(len(order)):
        c = order[i]
        x1, y1, x2, y2 = ends[c, 0], ends[c, 1], ends[c, 2], ends[c, 3]
        xlo = max(min(x1, x2) - margin, 0)
        xhi = min(max(x1, x2) + margin, nx - 1)
        ylo = max(min(y1, y2) - margin, 0)
        yhi = min(max(y1, y2) + margin, ny - 1)
        if pool_used + (xhi - xlo + 1) * (yhi - ylo + 1) > len(pool):
            return pool_used, i, stamp
        add_path(pool, start[c], length[c], ny, n_h, usage, -demand[c])
        stamp += 1
        n = astar(
            x1,
            y1,
            x2,
            y2,
            xlo,
            xhi,
            ylo,
            yhi,
            ny,
            n_h,
            cap,
            usage,
            hist,
            demand[c],
            H,
            k,
            P,
            0.0,
            unused,
            0,
            False,
            0.0,
            False,
            work_g,
            work_parent,
            work_seen,
            stamp,
            heap_keys,
            heap_ties,
            unused,
            pool,
            pool_used,
        )
        start[c] = pool_used
        length[c] = n
        add_path(pool, pool_used, n, ny, n_h, usage, demand[c])
        pool_used += n
    return pool_used, len(order), stamp


@numba.njit(cache=True)
def touches_overflow(
    pool: np.ndarray,
    start: np.ndarray,
    length: np.ndarray,
    ny: int,
    n_h: int,
    over: np.ndarray,
) -> np.ndarray:  # pragma: no cover - jitted
    """``(n,)`` number of edges of each connection's path where ``over`` is True."""
    n = len(start)
    out = np.zeros(n, dtype=np.int64)
    for c in range(n):
        s = start[c]
        for i in range(s, s + length[c] - 1):
            if over[edge_between(pool[i], pool[i + 1], ny, n_h)]:
                out[c] += 1
    return out
