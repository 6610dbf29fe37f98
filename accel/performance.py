"""Performance model: peak throughput, the roofline, and systolic-array utilisation.

Units: operations per second (one multiply-accumulate counts as two operations), bandwidth in
bytes per second, operational intensity in MACs per byte of weights read from DRAM (the x axis of
the TPU paper's roofline), clock in MHz.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from accel.params import ChipParams
from accel.tech import number_format


def peak_ops_per_s(params: ChipParams, clock_mhz: float | None = None) -> float:
    """Peak operations per second: ``2 x MACs x f``.

    Args:
        params: The chip.
        clock_mhz: Clock (MHz); default the chip's target clock (pass f_max for a placed chip).
    """
    f = params.clock_mhz if clock_mhz is None else clock_mhz
    return 2.0 * params.macs * f * 1e6


def peak_tops(params: ChipParams, clock_mhz: float | None = None) -> float:
    """Peak throughput in tera-operations per second (TOPS, or TFLOPS for float formats)."""
    return peak_ops_per_s(params, clock_mhz) / 1e12


def buffer_bytes_per_cycle(params: ChipParams) -> float:
    """Bytes the activation buffer feeds one matrix unit each cycle: one value per array row."""
    return params.array_rows * number_format(params.number_format).bytes


def weight_tile_bytes(params: ChipParams) -> float:
    """Bytes of one array-sized weight tile."""
    return params.array_rows * params.array_cols * number_format(params.number_format).bytes


def ridge_point(params: ChipParams, clock_mhz: float | None = None) -> float:
    """Operational intensity (MACs per weight byte) where memory and compute bounds meet."""
    return peak_ops_per_s(params, clock_mhz) / 2.0 / (params.dram_gb_per_s * 1e9)


def roofline_ops_per_s(
    params: ChipParams, macs_per_weight_byte: float, clock_mhz: float | None = None
) -> float:
    """Attainable operations per second at an operational intensity (roofline).

    ``min(peak, 2 x intensity x DRAM bandwidth)``.

    Raises:
        ValueError: ``macs_per_weight_byte`` is not positive.
    """
    if not (macs_per_weight_byte > 0 and math.isfinite(macs_per_weight_byte)):
        raise ValueError(
            f"macs_per_weight_byte must be a finite number in (0, inf); got {macs_per_weight_byte}"
        )
    memory_bound = 2.0 * macs_per_weight_byte * params.dram_gb_per_s * 1e9
    return min(peak_ops_per_s(params, clock_mhz), memory_bound)


@dataclass(frozen=True)
class SystolicEstimate:
    """Cost of one matrix product ``(m x k) @ (k x n)`` on one weight-stationary matrix unit.

    Attributes:
        weight_tiles: Array-sized weight tiles the ``k x n`` matrix is cut into.
        cycles: Cycles, counting weight loads, array fill and drain.
        utilisation: Useful MACs over MAC slots, in (0, 1].
        seconds: ``cycles / f``.
    """

    weight_tiles: int
    cycles: int
    utilisation: float
    seconds: float


def systolic_estimate(
    params: ChipParams, m: int, k: int, n: int, clock_mhz: float | None = None
) -> SystolicEstimate:
    """Utilisation of one matrix unit for ``(m x k) @ (k x n)``, weight stationary.

    Weights are cut into ``ceil(k / rows) x ceil(n / cols)`` tiles; each tile is shifted in
    (``rows`` cycles, hidden behind the previous tile's work when that is longer), then ``m``
    input rows stream through, plus ``rows + cols - 2`` cycles to fill and drain the array.

    Raises:
        ValueError: A dimension is not a positive integer.
    """
    for name, value in (("m", m), ("k", k), ("n", n)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be an integer in [1, inf); got {value!r}")
    rows, cols = params.array_rows, params.array_cols
    tiles = math.ceil(k / rows) * math.ceil(n / cols)
    stream = m + rows + cols - 2
    cycles = rows + tiles * max(stream, rows)  # first load exposed, later ones double-buffered
    f = params.clock_mhz if clock_mhz is None else clock_mhz
    return SystolicEstimate(
        weight_tiles=tiles,
        cycles=cycles,
        utilisation=m * k * n / (rows * cols * cycles),
        seconds=cycles / (f * 1e6),
    )
