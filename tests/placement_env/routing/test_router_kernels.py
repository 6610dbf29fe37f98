"""The router's numba kernels against naive pure-Python golden versions."""

from __future__ import annotations

import heapq
import math

import numpy as np
import pytest
from scipy.sparse.csgraph import minimum_spanning_tree

from placement_env.routing import kernels
from placement_env.routing.decompose import decompose, mst_edges, net_demands
from placement_env.routing.problem import RoutingProblem

COSTS = (3.0, 1.5, 2.0)  # H, k, P


def golden_edge_cost(u, c, h, d, height, slope, present, usage_weight=0.0):
    x = u + d - c
    return (
        1.0
        + h
        + usage_weight * u / max(c, 1.0)
        + height / (1.0 + math.exp(min(-slope * (x - 0.5), 60.0)))
        + present * max(0.0, x)
    )


def _random_state(rng, nx, ny):
    n_h = (nx - 1) * ny
    n_edges = n_h + nx * (ny - 1)
    cap = rng.integers(0, 4, n_edges).astype(float)
    usage = rng.integers(0, 5, n_edges).astype(float)
    hist = rng.random(n_edges)
    return n_h, cap, usage, hist


def _edge(a, b, ny, n_h):
    (ax, ay), (bx, by) = a, b
    if ay == by:
        return min(ax, bx) * ny + ay
    return n_h + ax * (ny - 1) + min(ay, by)


def _path_cost(cells, ny, n_h, cap, usage, hist, d):
    return sum(
        golden_edge_cost(usage[e], cap[e], hist[e], d, *COSTS)
        for e in (_edge(a, b, ny, n_h) for a, b in zip(cells[:-1], cells[1:], strict=True))
    )


def _legs(points):
    cells = [points[0]]
    for tx, ty in points[1:]:
        x, y = cells[-1]
        while x != tx:
            x += 1 if tx > x else -1
            cells.append((x, y))
        while y != ty:
            y += 1 if ty > y else -1
            cells.append((x, y))
    return cells


def golden_best_pattern_cost(x1, y1, x2, y2, z, ny, n_h, cap, usage, hist, d, bend):
    cands = []
    if x1 == x2 or y1 == y2:
        return _path_cost(_legs([(x1, y1), (x2, y2)]), ny, n_h, cap, usage, hist, d)
    cands.append((_legs([(x1, y1), (x2, y1), (x2, y2)]), 1))
    cands.append((_legs([(x1, y1), (x1, y2), (x2, y2)]), 1))
    if z:
        for xm in range(min(x1, x2) + 1, max(x1, x2)):
            cands.append((_legs([(x1, y1), (xm, y1), (xm, y2), (x2, y2)]), 2))
        for ym in range(min(y1, y2) + 1, max(y1, y2)):
            cands.append((_legs([(x1, y1), (x1, ym), (x2, ym), (x2, y2)]), 2))
    return min(_path_cost(c, ny, n_h, cap, usage, hist, d) + b * bend for c, b in cands)


def golden_dijkstra(x1, y1, x2, y2, box, ny, n_h, cap, usage, hist, d):
    xlo, xhi, ylo, yhi = box
    dist = {(x1, y1): 0.0}
    heap = [(0.0, (x1, y1))]
    done = set()
    while heap:
        g, cell = heapq.heappop(heap)
        if cell in done:
            continue
        done.add(cell)
        if cell == (x2, y2):
            return g
        x, y = cell
        for nb in ((x + 1, y), (x - 1, y), (x, y + 1), (x, y - 1)):
            if not (xlo <= nb[0] <= xhi and ylo <= nb[1] <= yhi):
                continue
            e = _edge(cell, nb, ny, n_h)
            cand = g + golden_edge_cost(usage[e], cap[e], hist[e], d, *COSTS)
            if cand < dist.get(nb, math.inf):
                dist[nb] = cand
                heapq.heappush(heap, (cand, nb))
    raise AssertionError("unreachable")


# The two callers' settings of the one A* kernel: (layered, near_first, d, H, k, P, U, net, via).
NEGOTIATED = (False, False, 1.5, *COSTS, 0.0, 0, 0.0)  # router.py: planar, logistic + history
SEQUENTIAL = (True, True, 1.0, 0.0, 0.0, 10.0, 0.5, 1, 1.0)  # astar.py: two layers, owned edges


def golden_search(x1, y1, x2, y2, box, ny, n_h, cap, usage, hist, owner, settings):
    """Plain Dijkstra on (x, y, layer) states: the cheapest cost, both ends on layer 0."""
    layered, _, d, height, slope, present, weight, net, via = settings
    xlo, xhi, ylo, yhi = box
    start, goal = (x1, y1, 0), (x2, y2, 0)
    dist = {start: 0.0}
    heap = [(0.0, start)]
    while heap:
        g, state = heapq.heappop(heap)
        if state == goal:
            return g
        if g > dist[state]:
            continue
        x, y, layer = state
        moves = [((x, y, 1 - layer), via)] if layered else []
        for nb in ((x + 1, y), (x - 1, y), (x, y + 1), (x, y - 1)):
            horizontal = nb[1] == y
            if layered and horizontal != (layer == 0):
                continue  # horizontal edges on layer 0, vertical ones on layer 1
            if not (xlo <= nb[0] <= xhi and ylo <= nb[1] <= yhi):
                continue
            e = _edge((x, y), nb, ny, n_h)
            own = net != 0 and owner[e] == net
            cost = 1.0 if own else golden_edge_cost(
                usage[e], cap[e], hist[e], d, height, slope, present, weight
            )  # fmt: skip
            moves.append(((*nb, layer), cost))
        for nxt, cost in moves:
            if g + cost < dist.get(nxt, math.inf):
                dist[nxt] = g + cost
                heapq.heappush(heap, (g + cost, nxt))
    raise AssertionError("unreachable")


def golden_gcell_path_cost(cells, ny, n_h, cap, usage, hist, owner, settings):
    """Cost of a gcell path: its edges, plus on two layers a via at each change of layer (the
    ends on layer 0, horizontal edges on layer 0, vertical ones on layer 1)."""
    layered, _, d, height, slope, present, weight, net, via = settings
    total, layer = 0.0, 0
    for a, b in zip(cells[:-1], cells[1:], strict=True):
        e = _edge(a, b, ny, n_h)
        own = net != 0 and owner[e] == net
        total += 1.0 if own else golden_edge_cost(
            usage[e], cap[e], hist[e], d, height, slope, present, weight
        )  # fmt: skip
        need = 0 if a[1] == b[1] else 1
        total += via * (need != layer) if layered else 0.0
        layer = need
    return total + (via * layer if layered else 0.0)


def test_edge_cost__matches_the_golden_formula(rng):
    for _ in range(200):
        u, c, h, d = rng.integers(0, 20), rng.integers(0, 20), rng.random() * 3, 1 + rng.random()
        assert kernels.edge_cost(u, c, h, d, *COSTS) == pytest.approx(
            golden_edge_cost(u, c, h, d, *COSTS), rel=1e-12
        )
        weight = rng.random()  # the sequential A*'s usage term, with and without the rest
        assert kernels.edge_cost(u, c, h, d, *COSTS, weight) == pytest.approx(
            golden_edge_cost(u, c, h, d, *COSTS, weight), rel=1e-12
        )
        assert kernels.edge_cost(u, c, 0.0, 1.0, 0.0, 0.0, 10.0, weight) == pytest.approx(
            golden_edge_cost(u, c, 0.0, 1.0, 0.0, 0.0, 10.0, weight), rel=1e-12
        )


@pytest.mark.parametrize("z_shapes", [False, True])
def test_best_pattern__is_the_cheapest_l_or_z_like_the_golden_enumeration(rng, z_shapes):
    nx, ny = 9, 7
    n_h, cap, usage, hist = _random_state(rng, nx, ny)
    pool = np.zeros(64, dtype=np.int64)
    for _ in range(60):
        x1, x2 = rng.integers(0, nx, 2)
        y1, y2 = rng.integers(0, ny, 2)
        kind, bend, cost = kernels.best_pattern(
            x1, y1, x2, y2, z_shapes, ny, n_h, cap, usage, hist, 1.0, *COSTS, 0.5
        )
        expected = golden_best_pattern_cost(
            x1, y1, x2, y2, z_shapes, ny, n_h, cap, usage, hist, 1.0, 0.5
        )
        assert cost == pytest.approx(expected, rel=1e-12)
        n = kernels.write_pattern(x1, y1, x2, y2, kind, bend, ny, pool, 0)
        cells = [divmod(int(c), ny) for c in pool[:n]]
        assert cells[0] == (x1, y1) and cells[-1] == (x2, y2)
        assert n == abs(x1 - x2) + abs(y1 - y2) + 1  # patterns are monotone
        bends = sum(
            (a[1] == b[1]) != (b[1] == c[1])
            for a, b, c in zip(cells, cells[1:], cells[2:], strict=False)
        )
        assert _path_cost(cells, ny, n_h, cap, usage, hist, 1.0) + 0.5 * bends == pytest.approx(
            expected, rel=1e-12
        )


def test_astar__finds_a_path_as_cheap_as_golden_dijkstra(rng):
    nx, ny = 12, 10
    n_h, cap, usage, hist = _random_state(rng, nx, ny)
    cells = nx * ny
    work_g, work_parent, work_seen = (
        np.zeros(cells),
        np.zeros(cells, np.int64),
        np.zeros(cells, np.int64),
    )
    heap_k, heap_c = np.zeros(4 * cells + 1), np.zeros(4 * cells + 1, np.int64)
    pool = np.zeros(cells, dtype=np.int64)
    for stamp in range(1, 40):
        x1, x2 = sorted(rng.integers(0, nx, 2))
        y1, y2 = rng.integers(0, ny, 2)
        box = (
            max(x1 - 2, 0),
            min(x2 + 2, nx - 1),
            max(min(y1, y2) - 1, 0),
            min(max(y1, y2) + 1, ny - 1),
        )
        n = kernels.astar(
            x1, y1, x2, y2, *box, ny, n_h, cap, usage, hist, 1.0, *COSTS, 0.0,
            np.zeros(0, np.int64), 0, False, 0.0, False,
            work_g, work_parent, work_seen, stamp, heap_k, heap_c, np.zeros(0, np.int64), pool, 0,
        )  # fmt: skip
        path = [divmod(int(c), ny) for c in pool[:n]]
        assert path[0] == (x1, y1) and path[-1] == (x2, y2)
        for (ax, ay), (bx, by) in zip(path[:-1], path[1:], strict=True):
            assert abs(ax - bx) + abs(ay - by) == 1
            assert box[0] <= bx <= box[1] and box[2] <= by <= box[3]
        expected = golden_dijkstra(x1, y1, x2, y2, box, ny, n_h, cap, usage, hist, 1.0)
        assert _path_cost(path, ny, n_h, cap, usage, hist, 1.0) == pytest.approx(expected)


@pytest.mark.parametrize(
    "settings",
    [
        NEGOTIATED,
        SEQUENTIAL,
        (True, False, 1.0, *COSTS, 0.0, 0, 0.5),  # the other mixes of graph, cost and ties
        (False, True, 1.0, 0.0, 0.0, 3.0, 0.7, 2, 0.0),
    ],
    ids=["negotiated", "sequential", "layered-logistic", "planar-owned"],
)
def test_astar__both_callers_settings_give_the_golden_dijkstra_cost(rng, settings):
    layered, near_first, d, height, slope, present, weight, net, via = settings
    for trial in range(12):
        nx, ny = (int(v) for v in rng.integers(2, 9, 2))
        n_h, cap, usage, hist = _random_state(rng, nx, ny)
        if not height:
            hist = np.zeros_like(hist)  # the sequential model has no history
        owner = rng.integers(0, 3, len(cap)) if net else np.zeros(0, np.int64)
        states = nx * ny * (2 if layered else 1)
        room = (3 if layered else 4) * states + 1  # one per directed edge, plus one
        work = np.zeros(states), np.zeros(states, np.int64), np.zeros(states, np.int64)
        heap = np.zeros(room), np.zeros(room, np.int64), np.zeros(room, np.int64)
        pool = np.zeros(nx * ny + 1, dtype=np.int64)
        for stamp in range(1, 9):
            (x1, x2), (y1, y2) = sorted(rng.integers(0, nx, 2)), rng.integers(0, ny, 2)
            box = (0, nx - 1, 0, ny - 1)
            if trial % 2:  # a window around the ends, as the negotiated router uses
                lo, hi = sorted((int(y1), int(y2)))
                box = (max(x1 - 1, 0), min(x2 + 1, nx - 1), max(lo - 1, 0), min(hi + 1, ny - 1))
            n = kernels.astar(
                x1, y1, x2, y2, *box, ny, n_h, cap, usage, hist, d, height, slope, present,
                weight, owner, net, layered, via, near_first, *work, stamp, *heap, pool, 1,
            )  # fmt: skip
            path = [divmod(int(c), ny) for c in pool[1 : 1 + n]]
            assert path[0] == (x1, y1) and path[-1] == (x2, y2)
            assert len(set(path)) == len(path)  # a simple path, vias dropped
            for (ax, ay), (bx, by) in zip(path[:-1], path[1:], strict=True):
                assert abs(ax - bx) + abs(ay - by) == 1
                assert box[0] <= bx <= box[1] and box[2] <= by <= box[3]
            expected = golden_search(
                x1, y1, x2, y2, box, ny, n_h, cap, usage, hist, owner, settings
            )
            got = golden_gcell_path_cost(path, ny, n_h, cap, usage, hist, owner, settings)
            assert got == pytest.approx(expected, rel=1e-12)


def test_mst_edges__total_length_matches_scipy(rng):
    for m in (2, 4, 7, 15):
        pts = rng.integers(0, 30, (m, 2))
        edges = mst_edges(pts[:, 0].copy(), pts[:, 1].copy())
        assert edges.shape == (m - 1, 2)
        total = sum(np.abs(pts[a] - pts[b]).sum() for a, b in edges)
        dist = np.abs(pts[:, None, :] - pts[None, :, :]).sum(-1).astype(float)
        dist[dist == 0] = 1e-9  # scipy drops zero entries; points may coincide
        expected = minimum_spanning_tree(dist).sum()
        assert total == pytest.approx(expected, abs=1e-6)


def golden_decompose(problem):
    rows = []
    for i in range(len(problem.nets)):
        cells = [tuple(c) for c in problem.net_gcells(i).tolist()]
        if len(cells) == 3:
            sx = sorted(c[0] for c in cells)[1]
            sy = sorted(c[1] for c in cells)[1]
            rows += [(i, x, y, sx, sy) for x, y in cells if (x, y) != (sx, sy)]
        elif len(cells) >= 2:  # Prim from the first gcell, lowest index on ties
            tree, best = (
                [0],
                {
                    j: (abs(cells[j][0] - cells[0][0]) + abs(cells[j][1] - cells[0][1]), 0)
                    for j in range(1, len(cells))
                },
            )  # noqa: E501
            while best:
                j = min(best, key=lambda k: (best[k][0], k))
                _, parent = best.pop(j)
                rows.append((i, *cells[parent], *cells[j]))
                tree.append(j)
                for k in best:
                    dist = abs(cells[k][0] - cells[j][0]) + abs(cells[k][1] - cells[j][1])
                    if dist < best[k][0]:
                        best[k] = (dist, j)
    return rows


def test_decompose__matches_the_golden_per_net_decomposition(rng):
    nets = [(f"n{i}", rng.integers(0, 6, (rng.integers(1, 7), 2))) for i in range(80)]
    problem = RoutingProblem.two_layer(np.full((5, 6), 2), np.full((6, 5), 2), nets)
    conns = decompose(problem)
    got = [(int(n), *map(int, e)) for n, e in zip(conns.net, conns.ends, strict=True)]
    assert got == golden_decompose(problem)
    assert (conns.lengths > 0).all()
    assert (conns.demand == net_demands(problem)[conns.net]).all()


TIE_CASES = (((0, 0), (3, 2)), ((4, 3), (1, 0)), ((0, 3), (4, 1)))


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        (  # the lower state first: the paths of the negotiated router's pre-merge kernel
            NEGOTIATED,
            [
                [(0, 0), (0, 1), (0, 2), (1, 2), (2, 2), (3, 2)],
                [(4, 3), (3, 3), (2, 3), (1, 3), (1, 2), (1, 1), (1, 0)],
                [(0, 3), (0, 2), (0, 1), (1, 1), (2, 1), (3, 1), (4, 1)],
            ],
        ),
        (  # nearer the target, then first pushed: the sequential A*'s pre-merge kernel
            SEQUENTIAL,
            [
                [(0, 0), (1, 0), (2, 0), (3, 0), (3, 1), (3, 2)],
                [(4, 3), (3, 3), (2, 3), (1, 3), (1, 2), (1, 1), (1, 0)],
                [(0, 3), (1, 3), (2, 3), (3, 3), (4, 3), (4, 2), (4, 1)],
            ],
        ),
    ],
    ids=["negotiated", "sequential"],
)
def test_astar__ties_between_equal_paths_break_as_each_caller_pins(settings, expected):
    layered, near_first, d, height, slope, present, weight, net, via = settings
    nx, ny = 5, 4
    n_h = (nx - 1) * ny
    cap = np.full(n_h + nx * (ny - 1), 3.0)  # empty and uniform: many equal-cost paths
    usage, hist, owner = np.zeros_like(cap), np.zeros_like(cap), np.zeros(len(cap), np.int64)
    states = nx * ny * (2 if layered else 1)
    room = (3 if layered else 4) * states + 1
    work = np.zeros(states), np.zeros(states, np.int64), np.zeros(states, np.int64)
    heap = np.zeros(room), np.zeros(room, np.int64), np.zeros(room, np.int64)
    pool = np.zeros(nx * ny, dtype=np.int64)
    got = []
    for stamp, ((x1, y1), (x2, y2)) in enumerate(TIE_CASES, 1):
        n = kernels.astar(
            x1, y1, x2, y2, 0, nx - 1, 0, ny - 1, ny, n_h, cap, usage, hist, d, height, slope,
            present, weight, owner, net, layered, via, near_first, *work, stamp, *heap, pool, 0,
        )  # fmt: skip
        got.append([divmod(int(c), ny) for c in pool[:n]])
    assert got == expected
