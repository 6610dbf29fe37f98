"""The package's one metric definition (:mod:`placement_env.routing.metrics`) against a naive
pure-Python recount, on routes of the sequential A*, the negotiated router and random walks."""

from __future__ import annotations

import numpy as np
import pytest

from placement_env.routing import RoutingNet, RoutingProblem, recount, route
from placement_env.routing.astar import route_sequential
from placement_env.routing.decompose import connection_count, decompose, net_demands
from placement_env.routing.metrics import evaluate_routes, route_metrics
from placement_env.routing.synthetic import SyntheticConfig, generate

# --------------------------------------------------------------------------- golden version


def golden_metrics(problem, nets, paths):
    """Edge by edge: each net's edges once, in its demand; vias per path; pins joined."""
    demand = net_demands(problem)
    h = np.zeros((problem.nx - 1, problem.ny))
    v = np.zeros((problem.nx, problem.ny - 1))
    edges_of = {}
    links_of = {}
    vias = 0
    for net, path in zip(nets, paths, strict=True):
        steps = []
        cells = [tuple(c) for c in np.asarray(path).tolist()]
        for (x1, y1), (x2, y2) in zip(cells[:-1], cells[1:], strict=True):
            kind = "h" if y1 == y2 else "v"
            edges_of.setdefault(net, set()).add(
                ("h", min(x1, x2), y1) if kind == "h" else ("v", x1, min(y1, y2))
            )
            links_of.setdefault(net, []).append(((x1, y1), (x2, y2)))
            steps.append(kind)
        vias += sum(a != b for a, b in zip(steps[:-1], steps[1:], strict=True))
        if steps:
            vias += (steps[0] == "v") + (steps[-1] == "v")
    h_count = v_count = 0
    for net, edges in edges_of.items():
        for kind, x, y in edges:
            (h if kind == "h" else v)[x, y] += demand[net]
            h_count += kind == "h"
            v_count += kind == "v"
    h_tracks, v_tracks = problem.tracks_2d()
    over = [max(0.0, u - c) for u, c in zip(h.ravel(), h_tracks.ravel(), strict=True)]
    over += [max(0.0, u - c) for u, c in zip(v.ravel(), v_tracks.ravel(), strict=True)]
    connected = True
    for net in range(len(problem.nets)):
        pins = {tuple(c) for c in problem.net_gcells(net).tolist()}
        reached, frontier = set(), [next(iter(pins))] if pins else []
        while frontier:
            cell = frontier.pop()
            if cell in reached:
                continue
            reached.add(cell)
            frontier += [b for a, b in links_of.get(net, []) if a == cell]
            frontier += [a for a, b in links_of.get(net, []) if b == cell]
        connected &= pins <= reached
    return {
        "h_usage": h,
        "v_usage": v,
        "total_overflow": float(sum(over)),
        "max_overflow": float(max(over, default=0.0)),
        "overflowed_edges": sum(o > 0 for o in over),
        "wirelength": h_count + v_count,
        "wirelength_um": h_count * problem.tile_width + v_count * problem.tile_height,
        "vias": vias,
        "connected": connected,
    }


def assert_matches_golden(problem, nets, paths, metrics):
    expected = golden_metrics(problem, list(nets), list(paths))
    for key, value in expected.items():
        if key == "connected" and not hasattr(metrics, key):  # a RoutingResult
            continue
        got = getattr(metrics, key)
        if isinstance(value, np.ndarray):
            np.testing.assert_allclose(got, value, err_msg=key)
        else:
            assert got == pytest.approx(value), key


def _flat(routes):
    return [n for n, paths in enumerate(routes) for _ in paths], [p for ps in routes for p in ps]


def _random_walk(rng, problem, start, steps):
    path = [tuple(start)]
    for _ in range(steps):
        x, y = path[-1]
        moves = [
            (x + dx, y + dy)
            for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1))
            if 0 <= x + dx < problem.nx and 0 <= y + dy < problem.ny
        ]
        path.append(moves[rng.integers(len(moves))])
    return np.array(path, dtype=np.int64)


# --------------------------------------------------------------------------- tests


@pytest.mark.parametrize("seed", range(3))
def test_metrics_of_sequential_astar_match_the_golden_recount(seed):
    problem = generate(SyntheticConfig(grid=8, num_nets=20, capacity=2, reduced_edges=5), seed)
    result = route_sequential(problem)
    assert_matches_golden(problem, *_flat(result.routes), result.metrics)


@pytest.mark.parametrize("seed", range(3))
def test_metrics_of_the_negotiated_router_match_the_golden_recount(seed):
    problem = generate(SyntheticConfig(grid=10, num_nets=40, max_pins=6, capacity=2), seed)
    for mode in ("pattern", "negotiated"):
        result = route(problem, mode=mode, max_rounds=5)
        nets, paths = result.connections.net.tolist(), result.paths
        assert_matches_golden(problem, nets, paths, recount(problem, result))
        assert_matches_golden(problem, nets, paths, result)


@pytest.mark.parametrize("seed", range(4))
def test_random_walks_of_wide_nets_match_the_golden_recount(seed):
    rng = np.random.default_rng(seed)
    nets = [(f"n{i}", rng.integers(0, 6, (rng.integers(1, 5), 2))) for i in range(12)]
    base = RoutingProblem.two_layer(np.full((5, 6), 2), np.full((6, 5), 3), nets)
    # Wider nets use more than one track per edge (ISPD 2008 demand).
    wide = tuple(RoutingNet(n.name, n.net_id, n.pins, float(rng.integers(1, 3))) for n in base.nets)
    problem = RoutingProblem(
        **{
            **{f: getattr(base, f) for f in base.__dataclass_fields__ if f != "_cache"},
            "nets": wide,
            "tile_width": 2.0,
            "tile_height": 3.0,
        }
    )
    owners, paths = [], []
    for _ in range(30):
        net = int(rng.integers(len(nets)))
        start = problem.net_gcells(net)[0]
        owners.append(net)
        paths.append(_random_walk(rng, problem, start, int(rng.integers(0, 8))))
    assert_matches_golden(problem, owners, paths, route_metrics(problem, owners, paths))


def test_overlapping_connections_of_one_net_use_an_edge_once():
    # Two wires of one net along the same row: one track of usage, two edges of wirelength.
    problem = RoutingProblem.two_layer(np.ones((2, 1)), np.ones((3, 0)), [("a", [[0, 0], [2, 0]])])
    row = np.array([[0, 0], [1, 0], [2, 0]])
    metrics = route_metrics(problem, [0, 0], [row, row[::-1]])
    assert metrics.total_overflow == 0 and metrics.wirelength == 2 and metrics.connected
    np.testing.assert_array_equal(metrics.h_usage, [[1.0], [1.0]])


def test_evaluate_routes_rejects_broken_paths():
    problem = RoutingProblem.two_layer(np.ones((2, 3)), np.ones((3, 2)), [("a", [[0, 0], [2, 0]])])
    with pytest.raises(ValueError, match="neighbours"):
        evaluate_routes(problem, [[np.array([[0, 0], [2, 0]])]])
    with pytest.raises(ValueError, match="grid"):
        evaluate_routes(problem, [[np.array([[2, 0], [3, 0]])]])
    with pytest.raises(ValueError, match="nets"):
        evaluate_routes(problem, [])
    assert not evaluate_routes(problem, [[np.array([[0, 0], [1, 0]])]]).connected


def test_connection_count_is_what_decompose_makes():
    rng = np.random.default_rng(0)
    nets = [(f"n{i}", rng.integers(0, 5, (rng.integers(1, 6), 2))) for i in range(200)]
    problem = RoutingProblem.two_layer(np.ones((4, 5)), np.ones((5, 4)), nets)
    per_net = np.bincount(decompose(problem).net, minlength=len(nets))
    expected = [connection_count(problem.net_gcells(i)) for i in range(len(nets))]
    assert per_net.tolist() == expected
