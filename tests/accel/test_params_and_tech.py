"""Technology and chip-parameter presets, and the errors bad parameters raise."""

from __future__ import annotations

import pytest

from accel import PRESETS, TECH_7NM, TECH_16NM, TECH_28NM, TPU_V1, TPU_V2, TPU_V3, preset
from accel.tech import NUMBER_FORMATS, Technology, number_format, technology


def test_multiplier_cost__grows_with_the_square_of_the_significand():
    counts = {name: f.multiplier_full_adders for name, f in NUMBER_FORMATS.items()}
    assert counts == {"int8": 64, "bf16": 64, "fp16": 121, "fp32": 576}


def test_mac_area__float_formats_cost_more_and_newer_nodes_less():
    for tech in (TECH_28NM, TECH_16NM, TECH_7NM):
        areas = [tech.mac_um2(f) for f in ("int8", "bf16", "fp16", "fp32")]
        assert areas == sorted(areas)
    assert TECH_28NM.mac_um2("bf16") > TECH_16NM.mac_um2("bf16") > TECH_7NM.mac_um2("bf16")
    assert TECH_28NM.sram_um2_per_bit > TECH_16NM.sram_um2_per_bit > TECH_7NM.sram_um2_per_bit


def test_wire_delay__buffered_is_linear_and_unbuffered_quadratic():
    tech = TECH_28NM
    assert tech.wire_delay_ns(2.0) - tech.wire_delay_ns(1.0) == pytest.approx(
        tech.wire_delay_ns(1.0) - tech.wire_delay_ns(0.0)
    )
    assert tech.wire_delay_ns(4.0, buffered=False) > 3 * tech.wire_delay_ns(2.0, buffered=False)
    model = tech.wire_model()
    assert float(model.delay_ns(10_000.0)) == pytest.approx(tech.wire_delay_ns(10.0))


def test_presets__published_configurations():
    assert TPU_V1.macs == 65536 and TPU_V1.technology is TECH_28NM
    assert TPU_V1.dram_gb_per_s == pytest.approx(34.0)
    assert TPU_V1.pcie_gb_per_s == pytest.approx(15.76)
    assert TPU_V2.macs == 2 * 128 * 128 and TPU_V3.macs == 4 * 128 * 128
    assert TPU_V2.dram_gb_per_s == pytest.approx(700) and TPU_V3.dram_gb_per_s == pytest.approx(900)
    assert set(PRESETS) == {"tpu_v1", "tpu_v2", "tpu_v3"} and preset("tpu_v3") is TPU_V3


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("array_rows", 0, r"array_rows must be an integer in \[1, 4096\]"),
        ("array_cols", -3, r"array_cols must be an integer in \[1, 4096\]"),
        ("array_rows", 2.5, r"array_rows must be an integer"),
        ("number_format", "int4", r"number_format must be one of int8, bf16, fp16, fp32"),
        ("utilisation", 0.0, r"utilisation must be a number in \(0.0, 1.0\]"),
        ("utilisation", 1.2, r"utilisation must be a number in \(0.0, 1.0\]"),
        ("clock_mhz", -700.0, r"clock_mhz must be a number in \(0.0, "),
        ("unified_buffer_mib", 0.0, r"unified_buffer_mib must be a number in \(0.0, "),
        ("accumulator_mib", 0.0, r"accumulator_mib must be in \(0, 4096\]"),
        ("cores", 0, r"cores must be an integer in \[1, 64\]"),
        ("dram_kind", "SDRAM", r"dram_kind must be one of"),
        ("pcie_generation", 7, r"pcie_generation must be an integer in \[1, 5\]"),
        ("architecture", "gpu", r"architecture must be one of inference, training"),
    ],
)
def test_bad_parameters__raise_naming_the_parameter_and_range(field, value, message):
    with pytest.raises(ValueError, match=message):
        TPU_V1.with_changes(**{field: value})


def test_unknown_presets__list_the_known_ones():
    with pytest.raises(ValueError, match="tpu_v1, tpu_v2, tpu_v3"):
        preset("tpu_v9")
    with pytest.raises(ValueError, match="28nm, 16nm, 7nm"):
        technology("5nm")
    with pytest.raises(ValueError, match="number_format must be one of"):
        number_format("fp8")


def test_technology__rejects_non_positive_values():
    fields = {k: v for k, v in vars(TECH_28NM).items()}
    fields["sram_um2_per_bit"] = 0.0
    with pytest.raises(ValueError, match="sram_um2_per_bit must be a positive"):
        Technology(**fields)
