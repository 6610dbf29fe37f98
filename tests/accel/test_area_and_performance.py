"""Area calibration against the TPUv1 floor plan, and the performance model's published figures."""

from __future__ import annotations

import pytest

from accel import (
    TPU_V1,
    TPU_V2,
    TPU_V3,
    buffer_bytes_per_cycle,
    chip_area,
    peak_tops,
    ridge_point,
    roofline_ops_per_s,
    systolic_estimate,
    weight_tile_bytes,
)
from accel.area import matrix_unit_mm2

# Published TPUv1 die fractions (Jouppi et al. 2017, Fig. 2).
TPU_V1_FRACTIONS = {
    "unified_buffer": 0.29,
    "matrix_unit": 0.24,
    "accumulators": 0.06,
    "activation": 0.06,
    "io": 0.10,
    "control": 0.02,
}


def test_tpu_v1_area__lands_on_the_published_fractions():
    report = chip_area(TPU_V1)
    for category, published in TPU_V1_FRACTIONS.items():
        assert report.fraction(category) == pytest.approx(published, abs=0.01), category
    assert report.die_area_mm2 <= 331.0
    assert report.die_area_mm2 == pytest.approx(report.block_area_mm2 / 0.79)
    assert sum(report.fractions().values()) == pytest.approx(0.79)


def test_area__scales_with_its_parameters():
    base = chip_area(TPU_V1)
    smaller_buffer = chip_area(TPU_V1.with_changes(unified_buffer_mib=14.0))
    assert smaller_buffer.category_mm2("unified_buffer") == pytest.approx(
        base.category_mm2("unified_buffer") * 14 / 24
    )
    # Four DRAM channels instead of two grow the die (the paper's TPU' estimate: about 10%).
    four_channels = chip_area(TPU_V1.with_changes(dram_channels=4))
    assert 1.05 < four_channels.die_area_mm2 / base.die_area_mm2 < 1.15
    assert chip_area(TPU_V1, utilisation=0.5).die_area_mm2 == pytest.approx(
        base.block_area_mm2 / 0.5
    )
    with pytest.raises(ValueError, match=r"utilisation must be a number in \(0, 1\]"):
        chip_area(TPU_V1, utilisation=1.5)


def test_training_chips__matrix_unit_and_die_within_published_bounds():
    # One 128x128 bf16 unit at 16 nm: at most ~37 mm2 (TPUv2 -> v3 die growth over 2 units).
    assert 18.0 <= matrix_unit_mm2(TPU_V2) <= 37.0
    v2, v3 = chip_area(TPU_V2), chip_area(TPU_V3)
    assert v2.die_area_mm2 < 611 and v3.die_area_mm2 < 648
    assert v3.die_area_mm2 > v2.die_area_mm2


@pytest.mark.parametrize(
    ("params", "published"), [(TPU_V1, 91.75), (TPU_V2, 45.9), (TPU_V3, 123.2)]
)
def test_peak_throughput__within_half_a_percent(params, published):
    assert peak_tops(params) == pytest.approx(published, rel=0.005)


def test_tpu_v1_dataflow_and_roofline():
    assert buffer_bytes_per_cycle(TPU_V1) == 256
    assert weight_tile_bytes(TPU_V1) == 64 * 1024
    assert ridge_point(TPU_V1) == pytest.approx(1349, abs=5)
    # Below the ridge the chip is memory-bound, above it compute-bound.
    assert roofline_ops_per_s(TPU_V1, 100.0) == pytest.approx(2 * 100 * 34e9)
    assert roofline_ops_per_s(TPU_V1, 5000.0) == pytest.approx(91.75e12, rel=1e-3)
    assert peak_tops(TPU_V1, clock_mhz=350.0) == pytest.approx(91.75 / 2, rel=1e-3)
    with pytest.raises(ValueError, match="macs_per_weight_byte"):
        roofline_ops_per_s(TPU_V1, 0.0)


def test_systolic_estimate__tiles_and_utilisation():
    big = TPU_V1.with_changes(array_rows=512, array_cols=512)
    # The paper's 600x600 example: 9 weight tiles on 256x256, 4 on 512x512.
    assert systolic_estimate(TPU_V1, 600, 600, 600).weight_tiles == 9
    assert systolic_estimate(big, 600, 600, 600).weight_tiles == 4
    # A bigger array fragments more: lower utilisation on the same matrix.
    assert (
        systolic_estimate(big, 600, 600, 600).utilisation
        < systolic_estimate(TPU_V1, 600, 600, 600).utilisation
    )
    # A long stream over one full tile keeps the array nearly busy.
    assert systolic_estimate(TPU_V1, 100_000, 256, 256).utilisation > 0.99
    for m, k, n in [(1, 1, 1), (7, 300, 1000), (4096, 4096, 4096)]:
        assert 0 < systolic_estimate(TPU_V1, m, k, n).utilisation <= 1
    with pytest.raises(ValueError, match=r"k must be an integer in \[1, inf\)"):
        systolic_estimate(TPU_V1, 8, 0, 8)
