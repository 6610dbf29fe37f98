"""Read, write, read: every node, pin offset, net and position survives."""

from __future__ import annotations

import numpy as np
import pytest

import netlists
from netlists.formats import read_design, read_placement, write_design
from netlists.formats.bookshelf import read_bookshelf, write_bookshelf

JSON_CASES = ["ariane133_ng45", "ibm01", "n100", "ct_simple_grouped_with_coords_with_blockage"]


@pytest.mark.parametrize("name", JSON_CASES)
@pytest.mark.parametrize("suffix", [".json", ".json.gz"])
def test_json_round_trip__preserves_netlist_placement_and_settings(name, suffix, tmp_path):
    design = netlists.load(name)
    path = write_design(design, tmp_path / f"{name}{suffix}")
    again = read_design(path)
    assert again.netlist.same_as(design.netlist)
    assert again.placement.same_as(design.placement)
    assert again.plc == design.plc


@pytest.mark.parametrize("name", ["ibm01", "n30"])
def test_bookshelf_round_trip__preserves_nodes_pins_nets_and_positions(name, tmp_path):
    design = netlists.load(name)
    again = read_bookshelf(write_bookshelf(design, tmp_path))
    a, b = design.netlist, again.netlist
    assert a.node_names == b.node_names and a.net_names == b.net_names
    np.testing.assert_array_equal(a.node_sizes, b.node_sizes)
    np.testing.assert_array_equal(a.node_fixed, b.node_fixed)
    np.testing.assert_array_equal(a.pin_nodes[a.net_pins], b.pin_nodes[b.net_pins])
    np.testing.assert_array_equal(a.pin_offsets[a.net_pins], b.pin_offsets[b.net_pins])
    np.testing.assert_array_equal(a.net_starts, b.net_starts)
    np.testing.assert_array_equal(a.net_weights, b.net_weights)
    assert a.canvas.width == b.canvas.width and a.canvas.height == b.canvas.height
    assert again.placement.same_as(design.placement, atol=1e-9)


def test_bookshelf_round_trip_of_ibm01__is_exact_for_the_netlist(tmp_path):
    design = netlists.load("ibm01")
    again = read_bookshelf(write_bookshelf(design, tmp_path))
    assert again.netlist.canvas == design.netlist.canvas
    np.testing.assert_array_equal(again.netlist.node_kinds, design.netlist.node_kinds)
    np.testing.assert_array_equal(again.netlist.pin_directions, design.netlist.pin_directions)


@pytest.mark.parametrize("name", ["ariane133_ng45", "ct_macro_tiles_10x10"])
def test_plc_round_trip__preserves_positions_and_orientations(name, tmp_path):
    design = netlists.load(name)
    path = write_design(design, tmp_path / "out.plc")
    settings, placement = netlists.formats.read_plc(path, design.netlist)
    assert placement.same_as(design.placement)
    assert settings == design.plc


def test_pl_round_trip__preserves_positions_and_orientations(tmp_path, rng):
    design = netlists.load("n50")
    n = design.netlist.num_nodes
    moved = design.placement.with_positions(
        np.arange(n), rng.uniform(0, 800, size=(n, 2)), rng.integers(0, 8, n)
    )
    path = netlists.formats.write_bookshelf_pl(design.netlist, moved, tmp_path / "n50.pl")
    assert read_placement(path, design.netlist).same_as(moved, atol=1e-9)


def test_reference_placement__legalized_plc_reads_onto_its_netlist():
    design = netlists.load("nvdla_ng45")
    legal = read_placement(design.reference_placements["legalized"], design.netlist)
    assert legal.placed.all()
    assert not legal.same_as(design.placement)


def test_json_placement__is_matched_by_node_name_not_by_record_order(tmp_path):
    import json

    design = netlists.load("n10")
    path = write_design(design, tmp_path / "n10.json")
    data = json.loads(path.read_text())
    data["nodes"] = data["nodes"][::-1]  # the same records, reordered
    path.write_text(json.dumps(data))
    placement = read_placement(path, design.netlist)
    assert placement.same_as(design.placement)


def test_json_placement__of_another_design_is_refused(tmp_path):
    path = write_design(netlists.load("n30"), tmp_path / "n30.json")
    with pytest.raises(netlists.NetlistFormatError, match="lacks") as caught:
        read_placement(path, netlists.load("n10").netlist)
    assert caught.value.path == str(path) and caught.value.field == "nodes"
