"""The negotiated grid router on hand-made problems with known optima, and its invariants."""

from __future__ import annotations

import numpy as np
import pytest

from placement_env.routing import (
    InvalidRouteError,
    InvalidRoutingProblemError,
    RoutingProblem,
    check_routes,
    recount,
    route,
)


def _uniform(nx, ny, cap, nets):
    return RoutingProblem.two_layer(np.full((nx - 1, ny), cap), np.full((nx, ny - 1), cap), nets)


def _random_problem(seed, n=24, nets=300, cap=3, span=8, max_pins=2):
    rng = np.random.default_rng(seed)
    out = []
    for i in range(nets):
        a = rng.integers(0, n, 2)
        k = rng.integers(2, max_pins + 1)
        pins = np.clip(a + rng.integers(-span, span + 1, (k - 1, 2)), 0, n - 1)
        out.append((f"n{i}", np.vstack([a, pins])))
    return _uniform(n, n, cap, out)


def _assert_consistent(problem, result):
    check_routes(problem, result)
    again = recount(problem, result)
    np.testing.assert_array_equal(again.h_usage, result.h_usage)
    np.testing.assert_array_equal(again.v_usage, result.v_usage)
    assert again.total_overflow == result.total_overflow
    assert again.max_overflow == result.max_overflow
    assert again.overflowed_edges == result.overflowed_edges
    assert again.wirelength == result.wirelength
    assert again.wirelength_um == pytest.approx(result.wirelength_um)
    assert again.vias == result.vias


def test_route__a_diagonal_two_pin_net_takes_a_shortest_l():
    problem = _uniform(3, 3, 1, [("a", [[0, 0], [2, 2]])])
    result = route(problem)
    assert result.wirelength == 4 and result.total_overflow == 0 and result.converged
    assert result.vias == 2  # one bend, plus the end reached on the vertical layer
    _assert_consistent(problem, result)


def test_route__two_nets_on_one_unit_row_detour_one_at_optimum_cost():
    # Both nets want row 1 (capacity 1): the optimum keeps one straight (2 edges) and sends
    # the other over a neighbouring row (4 edges), with zero overflow.
    nets = [("a", [[0, 1], [2, 1]]), ("b", [[0, 1], [2, 1]])]
    problem = _uniform(3, 3, 1, nets)
    pattern = route(problem, mode="pattern")
    assert pattern.total_overflow == 2  # straight nets have no other pattern
    result = route(problem)
    assert result.total_overflow == 0 and result.wirelength == 6 and result.converged
    _assert_consistent(problem, result)


def test_route__a_starved_cut_reports_exactly_the_forced_overflow():
    # Five nets cross the cut between columns 0 and 1 of a 3 x 3 grid whose three H edges
    # there hold one track each: at least 2 tracks of overflow, and the router finds 2.
    nets = [(f"n{i}", [[0, i % 3], [2, (i + 1) % 3]]) for i in range(5)]
    h = np.full((2, 3), 1)
    h[1] = 5  # plenty of room beyond the cut
    problem = RoutingProblem.two_layer(h, np.full((3, 2), 5), nets)
    result = route(problem)
    assert result.total_overflow == 2 and not result.converged
    _assert_consistent(problem, result)


def test_route__one_blocked_edge_on_a_two_gcell_grid_overflows_by_the_demand():
    problem = _uniform(2, 1, 0, [("a", [[0, 0], [1, 0]]), ("b", [[0, 0], [1, 0]])])
    result = route(problem)
    assert (result.total_overflow, result.max_overflow, result.overflowed_edges) == (2, 2, 1)
    _assert_consistent(problem, result)


def test_route__negotiation_reduces_overflow_against_pattern_routing():
    problem = _random_problem(3)
    pattern = route(problem, mode="pattern")
    negotiated = route(problem, max_rounds=30)
    assert pattern.total_overflow > 0
    assert negotiated.total_overflow < pattern.total_overflow / 4
    assert negotiated.pattern_overflow == pattern.total_overflow
    assert negotiated.rounds > 0 and pattern.rounds == 0
    for result in (pattern, negotiated):
        _assert_consistent(problem, result)


def test_route__multi_pin_nets_connect_all_their_pins():
    problem = _random_problem(5, n=16, nets=120, cap=4, span=6, max_pins=6)
    result = route(problem)
    _assert_consistent(problem, result)
    # A tree joining a net's pins spans their bounding box (each net's edges count once).
    hpwl = sum(
        int(np.ptp(c[:, 0]) + np.ptp(c[:, 1]))
        for c in (problem.net_gcells(i) for i in range(len(problem.nets)))
    )
    assert result.wirelength >= hpwl


def test_route__is_deterministic_for_a_seed():
    problem = _random_problem(7)
    first, second = route(problem, seed=4), route(problem, seed=4)
    assert first.total_overflow == second.total_overflow
    assert all(np.array_equal(a, b) for a, b in zip(first.paths, second.paths, strict=True))
    np.testing.assert_array_equal(first.h_usage, second.h_usage)


def test_route__congestion_map_is_the_worst_edge_ratio_per_gcell():
    problem = _uniform(3, 2, 2, [("a", [[0, 0], [2, 0]])])
    result = route(problem)
    assert result.congestion.shape == (3, 2)
    np.testing.assert_allclose(result.congestion[:, 0], [0.5, 0.5, 0.5])
    np.testing.assert_allclose(result.congestion[:, 1], [0.0, 0.0, 0.0])


def test_route__a_net_in_one_gcell_needs_no_route():
    problem = _uniform(3, 3, 1, [("a", [[1, 1], [1, 1]])])
    result = route(problem)
    assert len(result.connections) == 0 and result.wirelength == 0 and result.converged


def test_check_routes__rejects_a_skipped_edge_and_a_route_off_the_grid():
    problem = _uniform(3, 3, 1, [("a", [[0, 0], [2, 0]])])
    result = route(problem)
    skipping = result.__class__(**{**result.__dict__, "paths": (np.array([[0, 0], [2, 0]]),)})
    with pytest.raises(InvalidRouteError, match="jumps"):
        check_routes(problem, skipping)
    off = np.array([[0, 0], [0, -1], [1, -1], [2, -1], [2, 0]])
    with pytest.raises(InvalidRouteError, match="leaves the grid"):
        check_routes(problem, result.__class__(**{**result.__dict__, "paths": (off,)}))


def test_bad_problems_raise_invalid_routing_problem_error():
    with pytest.raises(InvalidRoutingProblemError, match="outside"):
        _uniform(3, 3, 1, [("a", [[0, 0], [3, 0]])])
    with pytest.raises(InvalidRoutingProblemError, match=">= 0"):
        RoutingProblem.two_layer(np.full((2, 3), -1), np.full((3, 2), 1), [])
    with pytest.raises(ValueError, match="mode"):
        route(_uniform(2, 2, 1, []), mode="bogus")
