"""The hand-made TPUv1 floor plan: legal, about 700 MHz, and timing that reacts to distance."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import netlists
from accel import TPU_V1, TPU_V2, build_chip, reference_design, reference_placement
from placement_env.legality import check_legality
from placement_env.timing import analyse_timing

WIRE = TPU_V1.technology.wire_model()
DESIGN = build_chip(TPU_V1)
PLACEMENT = reference_placement(DESIGN)
REFERENCE = analyse_timing(DESIGN.netlist, PLACEMENT, WIRE)


@pytest.mark.parametrize("tiles", [1, 4, 16])
def test_reference_floor_plan__is_legal_and_meets_700_mhz(tiles):
    design = build_chip(TPU_V1, tiles=tiles)
    placement = reference_placement(design)
    assert check_legality(design.netlist, placement).is_legal
    report = analyse_timing(design.netlist, placement, WIRE)
    assert report.fmax_mhz == pytest.approx(700.0, rel=0.05)
    # Fixed I/O stays where build_chip put it.
    fixed = design.netlist.node_fixed
    assert np.array_equal(placement.positions[fixed], design.placement.positions[fixed])


def test_reference_floor_plan__wide_buses_abut():
    names = DESIGN.netlist.timing.arc_names
    length = dict(zip(names, REFERENCE.arc_length_um.tolist(), strict=True))
    for bus in ("ub->sds", "sds->mxu", "wfifo->mxu", "mxu->acc", "acc->act"):
        assert length[bus] < 100.0, bus
    assert REFERENCE.critical_arcs == ("mxu.pe",)


def test_accumulators_10_mm_away__drop_fmax_below_500_mhz():
    acc = DESIGN.netlist.index_of("acc")
    moved = PLACEMENT.with_positions([acc], PLACEMENT.positions[[acc]] + [[0.0, -10_000.0]])
    report = analyse_timing(DESIGN.netlist, moved, WIRE)
    names = DESIGN.netlist.timing.arc_names
    assert REFERENCE.arc_length_um[names.index("mxu->acc")] + 10_000 == pytest.approx(
        report.arc_length_um[names.index("mxu->acc")]
    )
    assert report.fmax_mhz < 500.0
    assert "mxu->acc" in report.critical_arcs


@settings(max_examples=40, deadline=None)
@given(
    arc=st.integers(0, DESIGN.netlist.timing.num_arcs - 1),
    steps=st.lists(st.floats(0.0, 5_000.0), min_size=1, max_size=5),
)
def test_fmax__never_rises_as_a_block_to_block_distance_grows(arc, steps):
    lengths = REFERENCE.arc_length_um.copy()
    fmax = REFERENCE.fmax_mhz
    for step in steps:
        lengths[arc] += step
        report = analyse_timing(DESIGN.netlist, PLACEMENT, WIRE, lengths_um=lengths)
        assert report.fmax_mhz <= fmax + 1e-9
        fmax = report.fmax_mhz


@settings(max_examples=20, deadline=None)
@given(scale=st.floats(1.0, 3.0), more=st.floats(0.0, 1.0))
def test_fmax__never_rises_when_the_whole_floor_plan_spreads_out(scale, more):
    centre = np.array([DESIGN.netlist.canvas.width / 2] * 2)
    fmax = []
    for factor in (scale, scale + more):
        positions = centre + (PLACEMENT.positions - centre) * factor
        spread = PLACEMENT.with_positions(np.arange(DESIGN.netlist.num_nodes), positions)
        fmax.append(analyse_timing(DESIGN.netlist, spread, WIRE).fmax_mhz)
    assert fmax[1] <= fmax[0] + 1e-9 and fmax[0] <= REFERENCE.fmax_mhz + 1e-9


def test_reference_design__loads_in_scoring_with_plc_settings(tmp_path):
    from placement_env.proxy_cost import proxy_cost

    design = reference_design(DESIGN)
    again = netlists.read_design(netlists.write_design(design, tmp_path / "tpu_v1.json"))
    assert again.placement.same_as(PLACEMENT)
    cost = proxy_cost(again.netlist, again.placement, again.plc)
    assert np.isfinite(cost.proxy)


def test_reference_floor_plan__needs_an_inference_chip():
    with pytest.raises(ValueError, match="single-core inference chip"):
        reference_placement(build_chip(TPU_V2))
