"""The chip as a netlist: macros, weighted bus nets, timing arcs, fixed I/O, JSON round trip."""

from __future__ import annotations

import numpy as np
import pytest

import netlists
from accel import PRESETS, TPU_V1, build_chip, chip_area, chip_spec
from netlists import NodeKind
from placement_env.legality import check_legality
from placement_env.timing import analyse_timing


@pytest.mark.parametrize("name", sorted(PRESETS))
@pytest.mark.parametrize("tiles", [1, 4])
def test_build_chip__round_trips_through_json(tmp_path, name, tiles):
    design = build_chip(PRESETS[name], tiles=tiles)
    path = netlists.write_design(design, tmp_path / f"{name}.json")
    again = netlists.read_design(path)
    assert again.netlist.same_as(design.netlist)
    assert again.placement.same_as(design.placement)
    assert again.plc == design.plc


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_build_chip__macros_cover_the_block_areas_and_fit_the_die(name):
    params = PRESETS[name]
    design = build_chip(params)
    netlist = design.netlist
    area = chip_area(params)
    assert (netlist.node_kinds == NodeKind.HARD_MACRO).all()
    sizes = netlist.node_sizes
    assert (sizes[:, 0] * sizes[:, 1]).sum() == pytest.approx(area.block_area_mm2 * 1e6)
    assert netlist.canvas.area == pytest.approx(area.die_area_mm2 * 1e6)
    # Fixed I/O is placed, touches the die edge and does not overlap.
    fixed = np.flatnonzero(netlist.node_fixed)
    assert len(fixed) >= 3 and design.placement.placed[fixed].all()
    assert not design.placement.placed[~netlist.node_fixed].any()
    boxes_ok = check_legality(netlist, design.placement, fixed)
    assert boxes_ok.is_legal
    x, y = design.placement.positions[fixed].T
    w, h = sizes[fixed].T
    side = netlist.canvas.width
    on_edge = (
        np.isclose(x - w / 2, 0) | np.isclose(x + w / 2, side)
        | np.isclose(y - h / 2, 0) | np.isclose(y + h / 2, side)
    )  # fmt: skip
    assert on_edge.all()


def test_tpu_v1_netlist__bus_widths_are_net_weights():
    netlist = build_chip(TPU_V1).netlist
    weight = dict(zip(netlist.net_names, netlist.net_weights.tolist(), strict=True))
    assert weight["ub->sds"] == 2048 and weight["sds->mxu"] == 2048
    assert weight["wfifo->mxu"] == 2048
    assert weight["mxu->acc"] == 8192 and weight["acc->act"] == 8192
    assert weight["act->ub"] == 2048


def test_tiles__split_matrix_unit_buffer_and_accumulators():
    one, many = build_chip(TPU_V1), build_chip(TPU_V1, tiles=16)
    assert one.netlist.num_nodes == 12
    assert many.netlist.num_nodes == 12 + 3 * 15
    weight = dict(zip(many.netlist.net_names, many.netlist.net_weights.tolist(), strict=True))
    assert weight["mxu->acc.3"] == 8192 / 16
    big = build_chip(PRESETS["tpu_v3"], tiles=32).netlist.num_nodes
    assert 100 <= big <= 400


def test_timing_graph__arcs_follow_the_nets_and_the_target_clock():
    netlist = build_chip(TPU_V1).netlist
    timing = netlist.timing
    assert timing.num_arcs == netlist.num_nets
    assert timing.clock_period_ns == pytest.approx(1000 / 700)
    assert timing.clock_to_q_ns == TPU_V1.technology.clock_to_q_ns
    assert timing.sequential.all()
    for k in range(timing.num_arcs):
        pins = set(netlist.net_pin_indices(k).tolist())
        assert {int(timing.arc_from_pin[k]), int(timing.arc_to_pin[k])} <= pins


def test_unplaced_design__times_with_every_block_at_the_centre():
    design = build_chip(TPU_V1)
    report = analyse_timing(design.netlist, design.placement, TPU_V1.technology.wire_model())
    assert np.isfinite(report.fmax_mhz) and report.fmax_mhz > 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tiles": 0}, r"tiles must be an integer in \[1, 64\]"),
        ({"tiles": 2.0}, r"tiles must be an integer in \[1, 64\]"),
        ({"utilisation": 0.0}, r"utilisation must be a number in \(0, 1\]"),
        ({"utilisation": 1.01}, r"utilisation must be a number in \(0, 1\]"),
    ],
)
def test_build_chip__bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        build_chip(TPU_V1, **kwargs)


def test_build_chip__io_that_cannot_fit_the_edge_is_an_error():
    with pytest.raises(ValueError, match="utilisation"):
        chip_spec(TPU_V1.with_changes(dram_channels=12), utilisation=1.0)


def test_accel_build_aux__writes_the_named_file_keeps_the_macros_and_warns_of_timing(
    tmp_path, caplog
):
    from accel.__main__ import main

    with caplog.at_level("WARNING", logger="netlists.formats.bookshelf"):
        assert main(["build", "tpu_v1", "--out", str(tmp_path / "x.aux")]) == 0
    assert (tmp_path / "x.aux").is_file() and not (tmp_path / "tpu_v1.aux").exists()
    assert "timing arcs" in caplog.text
    again = netlists.read_design(tmp_path / "x.aux").netlist
    built = build_chip(TPU_V1).netlist
    np.testing.assert_array_equal(again.node_kinds, built.node_kinds)
    assert (again.node_kinds == NodeKind.HARD_MACRO).sum() == 12
