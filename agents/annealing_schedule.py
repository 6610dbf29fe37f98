"""The one schedule the annealers share: start temperature, cooling and move radius.

:mod:`agents.annealing` (HPWL), :mod:`agents.proxy_annealing` (Circuit Training proxy cost),
:mod:`agents.learned_annealing` and :mod:`agents.floorplan` start from a good placement (greedy,
or the shipped one made legal), calibrate the start temperature on the uphill deltas of a short
random walk, cool geometrically over the budget and shrink the move radius (a fraction of the die
side) linearly with the budget used. The values were set on the proxy annealer, benchmarked
against the Circuit Training reference placements; the start acceptance by a sweep of both
plain annealers. Pure functions of numbers; the loops that use them are in
:mod:`agents.annealing`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

#: Start accepting an average uphill move 1 time in 20, not Kirkpatrick's usual ~0.8: the start
#: is already good, and a hot start scrambles it before the budget can rebuild it. Chosen by
#: ``scripts/sweep.py`` over 0.05 / 0.2 / 0.5 (docs/benchmarks/ray.md): 0.05 beat the former 0.2
#: by 0.1-1.9% at 10-30 s per run on each of ibm01-04, ariane133_ng45 and nvdla_ng45, and tied it
#: at 300 s (one seed).
START_ACCEPTANCE = 0.05
#: End at 1/1000 of the start temperature (geometric cooling): the last part of the run is then a
#: descent that keeps only downhill and near-zero moves.
FINAL_TEMPERATURE_RATIO = 1e-3
#: Uphill deltas averaged for the start temperature: for exponential-like deltas the mean of 50
#: has a standard error of 1/sqrt(50), about 14%, and costs only ~100 evaluations of the budget.
CALIBRATION_UPHILL = 50
#: Proposals tried at most while calibrating (illegal ones cost nothing): bounds the walk on a
#: packed die, where few moves are legal.
CALIBRATION_ATTEMPTS = 400
#: Move radius of the calibration walk: small, so that the rare large deltas of long shifts do
#: not dominate the mean and make the start too hot.
CALIBRATION_RADIUS = 0.05
#: With no uphill delta sampled (a tiny budget), assume one costs 1/10,000 of the cost: a cold
#: start, so that a run too short to calibrate does not scramble its start.
FALLBACK_DELTA_FRACTION = 1e-4
#: Shift radius at the start: a fifth of the die, far enough to cross a macro cluster (the
#: *move* kind covers whole-die jumps).
RADIUS_START = 0.2
#: Shift radius at the end: 0.3% of the die (a few microns on a millimetre die), for fine
#: adjustments during the final descent.
RADIUS_END = 0.003


def start_temperature(
    uphill_deltas: Sequence[float], cost: float, accept: float = START_ACCEPTANCE
) -> float:
    """The temperature at which an average uphill move is accepted with probability ``accept``.

    Args:
        uphill_deltas: Positive cost changes of sampled moves.
        cost: The current cost; with no deltas, an uphill move is assumed to cost
            :data:`FALLBACK_DELTA_FRACTION` x max(|cost|, 1).
        accept: Metropolis acceptance probability of the mean delta, in (0, 1).

    Returns:
        ``mean / -ln(accept)``, so that ``exp(-mean / T) == accept``.
    """
    if not 0.0 < accept < 1.0:
        raise ValueError(f"accept must be in (0, 1), got {accept}")
    if len(uphill_deltas):
        mean = float(np.mean(uphill_deltas))
    else:
        mean = FALLBACK_DELTA_FRACTION * max(abs(cost), 1.0)
    return mean / -math.log(accept)


def temperature(
    progress: float, t_start: float, final_ratio: float = FINAL_TEMPERATURE_RATIO
) -> float:
    """Geometric cooling: ``t_start`` at progress 0 down to ``t_start * final_ratio`` at 1."""
    return t_start * final_ratio**progress


def move_radius(progress: float, start: float = RADIUS_START, end: float = RADIUS_END) -> float:
    """Shift radius (fraction of the die side): linear from ``start`` to 0, floored at ``end``.

    Linear in the budget used rather than tied to the temperature: geometric cooling leaves the
    temperature tiny for most of the run, and a temperature-tied radius would collapse early.
    """
    return max(start * (1.0 - progress), end)
