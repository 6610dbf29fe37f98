"""Sequential A*: optimal single connections (against a pure-Python golden Dijkstra), known
optima on tiny problems, and routes that join the connections' ends (the metrics themselves are
checked against a golden recount in test_metrics.py)."""

from __future__ import annotations

import heapq
import itertools

import numpy as np
import pytest

from placement_env.routing.astar import (
    AStarCosts,
    UsageGrid,
    net_order,
    path_vias,
    route_sequential,
    two_pin_connections,
)
from placement_env.routing.decompose import decompose
from placement_env.routing.problem import RoutingProblem
from placement_env.routing.synthetic import SyntheticConfig, generate

# --------------------------------------------------------------------------- golden versions


def golden_edge_cost(use, cap, own, costs):
    if own:
        return 1.0
    return (
        1.0
        + costs.usage_cost * use / max(cap, 1.0)
        + costs.overflow_cost * max(0.0, use + 1.0 - cap)
    )


def golden_neighbours(grid, net, state):
    """(next state, cost) on the two-layer graph; state = (x, y, layer)."""
    x, y, layer = state
    yield (x, y, 1 - layer), grid.costs.via_cost
    stamp = net + 1
    if layer == 0:
        if x + 1 < grid.nx:
            yield (
                (x + 1, y, 0),
                golden_edge_cost(
                    grid.h_usage[x, y], grid.h_tracks[x, y], grid.h_mark[x, y] == stamp, grid.costs
                ),
            )
        if x > 0:
            yield (
                (x - 1, y, 0),
                golden_edge_cost(
                    grid.h_usage[x - 1, y],
                    grid.h_tracks[x - 1, y],
                    grid.h_mark[x - 1, y] == stamp,
                    grid.costs,
                ),
            )
    else:
        if y + 1 < grid.ny:
            yield (
                (x, y + 1, 1),
                golden_edge_cost(
                    grid.v_usage[x, y], grid.v_tracks[x, y], grid.v_mark[x, y] == stamp, grid.costs
                ),
            )
        if y > 0:
            yield (
                (x, y - 1, 1),
                golden_edge_cost(
                    grid.v_usage[x, y - 1],
                    grid.v_tracks[x, y - 1],
                    grid.v_mark[x, y - 1] == stamp,
                    grid.costs,
                ),
            )


def golden_cost(grid, net, source, target):
    """Plain Dijkstra: the cheapest cost from (source, layer 0) to (target, layer 0)."""
    start, goal = (*source, 0), (*target, 0)
    best = {start: 0.0}
    heap = [(0.0, start)]
    while heap:
        d, s = heapq.heappop(heap)
        if s == goal:
            return d
        if d > best[s]:
            continue
        for n, c in golden_neighbours(grid, net, s):
            if d + c < best.get(n, np.inf):
                best[n] = d + c
                heapq.heappush(heap, (d + c, n))
    raise AssertionError("unreachable")


def cost_of_path(grid, net, path):
    """The cost of a 2-D path under the A* model (vias by the documented rule)."""
    total = grid.costs.via_cost * path_vias(path)
    stamp = net + 1
    for (x1, y1), (x2, y2) in zip(path[:-1], path[1:], strict=True):
        if y1 == y2:
            x = min(x1, x2)
            total += golden_edge_cost(
                grid.h_usage[x, y1], grid.h_tracks[x, y1], grid.h_mark[x, y1] == stamp, grid.costs
            )
        else:
            y = min(y1, y2)
            total += golden_edge_cost(
                grid.v_usage[x1, y], grid.v_tracks[x1, y], grid.v_mark[x1, y] == stamp, grid.costs
            )
    return total


# --------------------------------------------------------------------------- tests


def _empty(nx, ny, tracks, nets):
    return RoutingProblem.two_layer(
        np.full((nx - 1, ny), tracks), np.full((nx, ny - 1), tracks), nets
    )


@pytest.mark.parametrize("seed", range(6))
def test_search_finds_the_golden_optimum_under_random_usage(seed):
    rng = np.random.default_rng(seed)
    problem = generate(
        SyntheticConfig(grid=7, num_nets=3, reduced_edges=6, reduced_capacity=0), seed
    )
    grid = UsageGrid(problem, AStarCosts(usage_cost=0.7, overflow_cost=3.0, via_cost=0.5))
    grid.h_usage[:] = rng.integers(0, 6, grid.h_usage.shape)
    grid.v_usage[:] = rng.integers(0, 6, grid.v_usage.shape)
    grid.h_mark[:] = rng.integers(0, 3, grid.h_mark.shape)  # some edges already "own" (stamp 1)
    grid.v_mark[:] = rng.integers(0, 3, grid.v_mark.shape)
    for _ in range(10):
        source, target = (tuple(int(v) for v in rng.integers(0, 7, 2)) for _ in range(2))
        path = grid.search(0, source, target)
        assert tuple(path[0]) == source and tuple(path[-1]) == target
        assert len({tuple(c) for c in path}) == len(path)  # a simple path
        assert cost_of_path(grid, 0, path) == pytest.approx(golden_cost(grid, 0, source, target))


def test_straight_connection_has_manhattan_length_and_no_via():
    result = route_sequential(_empty(5, 3, 2, [("a", [[0, 1], [4, 1]])]))
    assert result.wirelength == 4 and result.vias == 0 and result.total_overflow == 0


def test_vertical_connection_needs_two_pin_vias():
    result = route_sequential(_empty(3, 5, 2, [("a", [[1, 0], [1, 4]])]))
    assert result.wirelength == 4 and result.vias == 2


def test_l_shaped_connection_has_manhattan_length_and_two_vias():
    result = route_sequential(_empty(5, 4, 2, [("a", [[0, 0], [3, 2]])]))
    assert result.wirelength == 5 and result.vias == 2
    path = result.routes[0][0]
    assert len(path) == 6 and path_vias(path) == 2


def test_second_net_detours_around_a_full_edge():
    # 3 x 2 grid, one track per edge: the second net across the bottom row takes the top row.
    problem = _empty(3, 2, 1, [("a", [[0, 0], [2, 0]]), ("b", [[0, 0], [2, 0]])])
    result = route_sequential(problem)
    assert result.total_overflow == 0
    assert result.wirelength == 2 + 4
    assert result.vias == 0 + 4
    assert result.metrics.solved


def test_full_edges_are_expensive_but_never_forbidden():
    # One column of zero-capacity vertical edges separates the pins: routing must overflow.
    h = np.zeros((1, 2))
    v = np.full((2, 1), 3)
    result = route_sequential(RoutingProblem.two_layer(h, v, [("a", [[0, 0], [1, 0]])]))
    assert result.wirelength == 1 and result.total_overflow == 1
    assert not result.metrics.solved and result.metrics.connected


def test_a_net_pays_for_an_edge_once():
    # Pins (0,0), (2,0), (1,1): a Steiner star through (1,0); its three wires share gcell (1,0)
    # and fit one-track edges because each net's edges count once.
    problem = _empty(3, 2, 1, [("a", [[0, 0], [2, 0], [1, 1]])])
    result = route_sequential(problem)
    assert result.metrics.h_usage.max() <= 1 and result.total_overflow == 0
    assert result.wirelength == 3 and result.metrics.connected


@pytest.mark.parametrize("seed", range(4))
def test_routes_join_their_connection_ends_and_connect_pins(seed):
    problem = generate(SyntheticConfig(grid=8, num_nets=20, capacity=2, reduced_edges=5), seed)
    result = route_sequential(problem)
    assert result.vias == sum(path_vias(p) for paths in result.routes for p in paths)
    assert result.metrics.connected
    connections = two_pin_connections(problem)
    assert result.connections == len(connections)
    for paths in result.routes:
        for path in paths:
            assert (path >= 0).all() and (path[:, 0] < 8).all() and (path[:, 1] < 8).all()
            assert (np.abs(np.diff(path, axis=0)).sum(axis=1) == 1).all()
    ends = [(int(n), (a, b), (c, d)) for n, a, b, c, d in connections]
    got = [(n, tuple(p[0]), tuple(p[-1])) for n, paths in enumerate(result.routes) for p in paths]
    assert sorted(ends) == sorted(got)


def test_sequential_routing_is_deterministic():
    problem = generate(SyntheticConfig(capacity=2), 9)
    a, b = route_sequential(problem), route_sequential(problem)
    for pa, pb in zip(itertools.chain(*a.routes), itertools.chain(*b.routes), strict=True):
        np.testing.assert_array_equal(pa, pb)


@pytest.mark.parametrize("seed", range(3))
def test_connections_are_the_decomposition_in_net_order(seed):
    problem = generate(SyntheticConfig(grid=8, num_nets=25, max_pins=6), seed)
    conns = decompose(problem)
    rows = two_pin_connections(problem)
    rank = {int(net): k for k, net in enumerate(net_order(problem))}
    assert np.diff([rank[int(n)] for n in rows[:, 0]]).min() >= 0
    for net in range(len(problem.nets)):  # each net's connections keep decomposition order
        np.testing.assert_array_equal(rows[rows[:, 0] == net, 1:], conns.ends[conns.net == net])


def test_nets_are_routed_in_hpwl_order_and_single_cell_nets_give_no_connection():
    problem = _empty(
        6, 6, 2, [("long", [[0, 0], [5, 5]]), ("short", [[1, 1], [2, 1]]), ("local", [[3, 3]])]
    )
    assert net_order(problem).tolist() == [2, 1, 0]
    assert two_pin_connections(problem)[:, 0].tolist() == [1, 0]
