"""Synthetic problem generators: deterministic per seed, with the requested shape."""

from __future__ import annotations

import numpy as np
import pytest

from placement_env.routing.astar import two_pin_connections
from placement_env.routing.synthetic import SyntheticConfig, generate, generate_connections


def _pins(problem):
    return [problem.net_gcells(i) for i in range(len(problem.nets))]


def test_same_seed_gives_the_same_problem_and_another_seed_another():
    config = SyntheticConfig()
    a, b, c = generate(config, 4), generate(config, 4), generate(config, 5)
    assert all(np.array_equal(x.pins, y.pins) for x, y in zip(a.nets, b.nets, strict=True))
    assert a.adjustments == b.adjustments
    for x, y in zip(a.tracks_2d(), b.tracks_2d(), strict=True):
        np.testing.assert_array_equal(x, y)
    assert any(not np.array_equal(x, y) for x, y in zip(_pins(a), _pins(c), strict=False))


def test_liao_config_gives_the_requested_nets_pins_and_capacities():
    config = SyntheticConfig(
        grid=8, num_nets=20, max_pins=5, capacity=4, reduced_edges=3, reduced_capacity=1
    )
    problem = generate(config, 0)
    assert (problem.nx, problem.ny, len(problem.nets)) == (8, 8, 20)
    for cells in _pins(problem):
        assert 2 <= len(cells) <= 5
        assert len(np.unique(cells, axis=0)) == len(cells)
    h, v = problem.tracks_2d()
    values = np.concatenate([h.ravel(), v.ravel()])
    assert (values == 1).sum() == 3
    assert (values == 4).sum() == values.size - 3


def test_a_generator_argument_is_drawn_from():
    rng = np.random.default_rng(1)
    first, second = generate(SyntheticConfig(), rng), generate(SyntheticConfig(), rng)
    assert any(not np.array_equal(x, y) for x, y in zip(_pins(first), _pins(second), strict=False))


@pytest.mark.parametrize("grid,connections", [(16, 50), (64, 1000)])
def test_connection_target_is_met_exactly(grid, connections):
    problem = generate_connections(grid, connections, capacity=8, seed=2)
    assert len(two_pin_connections(problem)) == connections
    assert (problem.nx, problem.ny) == (grid, grid)
    again = generate_connections(grid, connections, capacity=8, seed=2)
    assert all(
        np.array_equal(x.pins, y.pins) for x, y in zip(problem.nets, again.nets, strict=True)
    )


def test_connection_problems_keep_nets_inside_their_window():
    problem = generate_connections(64, 300, window=6, seed=0)
    for cells in _pins(problem):
        assert np.ptp(cells[:, 0]) < 6 and np.ptp(cells[:, 1]) < 6


@pytest.mark.parametrize(
    "kwargs",
    [
        {"grid": 1},
        {"max_pins": 1},
        {"min_pins": 4, "max_pins": 3},
        {"num_nets": 0},
        {"capacity": -1},
        {"reduced_edges": 10_000},
    ],
)
def test_bad_configs_are_rejected(kwargs):
    with pytest.raises(ValueError):
        SyntheticConfig(**kwargs)
