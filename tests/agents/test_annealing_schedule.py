"""The annealers' shared schedule: calibration hits its acceptance, cooling and radius hit their
ends and fall monotonically."""

from __future__ import annotations

import math

import numpy as np
import pytest

from agents import annealing_schedule as schedule


@pytest.mark.parametrize("accept", [schedule.START_ACCEPTANCE, 0.5, 0.8])
def test_start_temperature__accepts_the_mean_uphill_move_with_the_intended_probability(accept):
    deltas = [1.0, 2.0, 3.0, 6.0]  # mean 3
    t = schedule.start_temperature(deltas, cost=100.0, accept=accept)
    assert math.exp(-3.0 / t) == pytest.approx(accept)


def test_start_temperature__without_deltas_falls_back_to_a_fraction_of_the_cost():
    t = schedule.start_temperature([], cost=5e5)
    mean = schedule.FALLBACK_DELTA_FRACTION * 5e5
    assert math.exp(-mean / t) == pytest.approx(schedule.START_ACCEPTANCE)
    # Costs under 1 (the proxy) use 1 as the scale.
    assert schedule.start_temperature([], cost=0.7) == schedule.start_temperature([], cost=1.0)
    with pytest.raises(ValueError, match="accept"):
        schedule.start_temperature([1.0], cost=1.0, accept=1.0)


def test_temperature__geometric_from_start_to_final_ratio():
    assert schedule.temperature(0.0, 2.0) == pytest.approx(2.0)
    assert schedule.temperature(1.0, 2.0) == pytest.approx(2.0 * schedule.FINAL_TEMPERATURE_RATIO)
    ts = [schedule.temperature(p, 2.0) for p in np.linspace(0.0, 1.0, 11)]
    ratios = np.array(ts[1:]) / np.array(ts[:-1])
    assert np.allclose(ratios, ratios[0]) and ratios[0] < 1.0


def test_move_radius__from_start_to_end_monotone():
    progress = np.linspace(0.0, 1.0, 201)
    radii = np.array([schedule.move_radius(p) for p in progress])
    assert radii[0] == pytest.approx(schedule.RADIUS_START)
    assert radii[-1] == pytest.approx(schedule.RADIUS_END)
    assert (np.diff(radii) <= 0).all()
    assert radii.min() >= schedule.RADIUS_END
    assert schedule.move_radius(0.5, start=0.4, end=0.01) == pytest.approx(0.2)
