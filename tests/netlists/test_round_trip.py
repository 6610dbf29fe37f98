"""Read, write, read: every node, pin offset, net and position survives."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import netlists
from netlists.errors import UnsupportedFormatError
from netlists.formats import read_design, read_placement, write_design
from netlists.formats.bookshelf import bookshelf_omissions, read_bookshelf, write_bookshelf
from netlists.types import NodeKind

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


BUNDLED = [design.name for design in netlists.bundled_designs()]


def _net_entries(netlist: netlists.Netlist):
    """Each (net, pin) incidence as owner node, offset and direction: what Bookshelf holds of pins
    (it has no pin names, and writes a pin shared by two nets once in each)."""
    entries = netlist.net_pins
    drivers = netlist.net_drivers
    driver_entry = np.full(netlist.num_nets, -1)
    for j in np.flatnonzero(drivers >= 0):
        start, stop = netlist.net_starts[j], netlist.net_starts[j + 1]
        driver_entry[j] = start + int(np.flatnonzero(entries[start:stop] == drivers[j])[0])
    return (
        netlist.pin_nodes[entries],
        netlist.pin_offsets[entries],
        netlist.pin_directions[entries],
        driver_entry,
    )


@pytest.mark.parametrize("name", BUNDLED)
def test_every_bundled_design__round_trips_through_json_exactly_and_through_bookshelf(
    name, tmp_path, caplog
):
    """JSON holds everything. Bookshelf keeps kinds, sizes, positions and nets, and the writer
    warns about what it cannot hold. (One test per design: loading a flat one takes seconds.)"""
    design = netlists.load(name)
    again = read_design(write_design(design, tmp_path / f"{name}.json"))
    assert again.netlist.same_as(design.netlist)
    assert again.placement.same_as(design.placement)
    assert again.plc == design.plc

    if len(set(design.netlist.net_names)) < design.netlist.num_nets:  # ariane_lefdef's DEF
        with pytest.raises(UnsupportedFormatError, match="share a name"):
            write_bookshelf(design, tmp_path)
        assert not list(tmp_path.glob("*.nets"))
        return
    with caplog.at_level("WARNING", logger="netlists.formats.bookshelf"):
        again = read_bookshelf(write_bookshelf(design, tmp_path))
    a, b = design.netlist, again.netlist
    assert b.canvas == a.canvas
    assert a.node_names == b.node_names and a.net_names == b.net_names
    np.testing.assert_array_equal(b.node_kinds, a.node_kinds)
    np.testing.assert_array_equal(b.node_sizes, a.node_sizes)
    np.testing.assert_array_equal(b.node_fixed, a.node_fixed)
    np.testing.assert_array_equal(b.net_starts, a.net_starts)
    np.testing.assert_array_equal(b.net_weights, a.net_weights)
    for ours, theirs in zip(_net_entries(b), _net_entries(a), strict=True):
        np.testing.assert_array_equal(ours, theirs)
    assert again.placement.same_as(design.placement, atol=1e-9)
    lost = bookshelf_omissions(design)
    assert any("pin names" in item for item in lost) == any(a.pin_names)
    assert any("settings" in item for item in lost) == (design.plc is not None)
    if lost:
        assert "Bookshelf cannot hold" in caplog.text and lost[0] in caplog.text
    else:
        assert not caplog.records
        assert b.same_as(a)


def test_bookshelf_of_a_design_without_rows__gives_plain_readers_its_hard_macros(tmp_path):
    """Without the ``.kinds`` member (as another tool reads it) the made-up rows are lower than
    every macro, so the height rule still finds all 10 macros of n10 (it used to find 0)."""
    design = netlists.load("n10")
    aux = write_bookshelf(design, tmp_path)
    aux.write_text(aux.read_text().replace(" n10.kinds", ""))
    plain = read_bookshelf(aux).netlist
    assert (plain.node_kinds == NodeKind.HARD_MACRO).sum() == 10
    assert len(plain.canvas.rows) > 1


def test_bookshelf_of_soft_macros__keeps_them_in_the_kinds_member(tmp_path):
    design = netlists.load("ariane133_ng45")
    aux = write_bookshelf(design, tmp_path)
    assert "ariane133_ng45.kinds" in aux.read_text()
    kinds = read_bookshelf(aux).netlist.node_kinds
    assert (kinds == NodeKind.SOFT_MACRO).sum() == 782 and (
        kinds == NodeKind.HARD_MACRO
    ).sum() == 133


def test_bookshelf_of_a_design_with_rows_and_plain_kinds__has_no_kinds_member(tmp_path):
    aux = write_bookshelf(netlists.load("ibm01"), tmp_path)
    assert ".kinds" not in aux.read_text() and not (tmp_path / "ibm01.kinds").exists()


def test_write_design_aux__names_the_files_after_the_path(tmp_path):
    aux = write_design(netlists.load("n10"), tmp_path / "x.aux")
    assert aux == tmp_path / "x.aux" and aux.is_file() and (tmp_path / "x.nodes").is_file()
    assert read_design(aux).netlist.num_nodes == netlists.load("n10").netlist.num_nodes


@pytest.mark.parametrize("bad", ["a b", "a#b", ""])
def test_bookshelf_writer__refuses_a_name_it_cannot_write_and_writes_nothing(bad, tmp_path):
    design = netlists.load("n10")
    names = list(design.netlist.node_names)
    names[3] = bad
    netlist = dataclasses.replace(design.netlist, node_names=tuple(names))
    with pytest.raises(UnsupportedFormatError, match="Bookshelf cannot hold the node name"):
        write_bookshelf(netlist, tmp_path / "out")
    assert not (tmp_path / "out").exists()


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
