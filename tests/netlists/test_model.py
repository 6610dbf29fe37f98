"""The data model: orientations, validation, object views, the CSR arrays, placements."""

from __future__ import annotations

import math

import numpy as np
import pytest

import netlists
from netlists import (
    Canvas,
    InvalidNetlistError,
    Net,
    Netlist,
    Node,
    NodeKind,
    Orientation,
    Pin,
    Placement,
)
from netlists.types import orient_offsets


def _rotate_naive(orientation: Orientation, dx: float, dy: float) -> tuple[float, float]:
    """Golden version: mirror for F*, then rotate by the named angle (N 0, W 90, S 180, E 270)."""
    name = orientation.name
    if name.startswith("F"):
        dx, dy = -dx, dy
        name = name[1:]
    angle = {"N": 0, "W": 90, "S": 180, "E": 270}[name]
    c, s = round(math.cos(math.radians(angle))), round(math.sin(math.radians(angle)))
    # The mirror is applied after the rotation in DEF; mirroring first and rotating the other way
    # is the same map, so rotate by -angle when mirrored.
    if orientation.name.startswith("F"):
        s = -s
    return c * dx - s * dy, s * dx + c * dy


@pytest.mark.parametrize("orientation", list(Orientation))
def test_orientation_transform__matches_rotation_and_mirror_geometry(orientation):
    for dx, dy in [(1.0, 0.0), (0.0, 1.0), (2.5, -1.5)]:
        assert orientation.transform(dx, dy) == pytest.approx(_rotate_naive(orientation, dx, dy))


def test_orientation_transform__keeps_an_offset_inside_the_rotated_footprint():
    # A pin at the top-right corner of a 4 x 2 block stays on the oriented 2 x 4 / 4 x 2 box.
    for orientation in Orientation:
        dx, dy = orientation.transform(2.0, 1.0)
        half = (1.0, 2.0) if orientation.swaps_sides else (2.0, 1.0)
        assert (abs(dx), abs(dy)) == half


def test_orient_offsets__vectorised_equals_scalar(rng):
    offsets = rng.normal(size=(64, 2))
    codes = rng.integers(0, 8, size=64)
    got = orient_offsets(offsets, codes)
    want = [Orientation(int(c)).transform(*o) for c, o in zip(codes, offsets, strict=True)]
    np.testing.assert_allclose(got, want)


def test_orientation_parse__rejects_unknown_names_listing_the_allowed_ones():
    assert Orientation.parse("fs") is Orientation.FS
    with pytest.raises(ValueError, match="allowed: N, S, E, W, FN, FS, FE, FW"):
        Orientation.parse("R90")


def _two_macros() -> Netlist:
    nodes = [
        Node("M0", NodeKind.HARD_MACRO, 2.0, 4.0),
        Node("M1", NodeKind.HARD_MACRO, 2.0, 2.0),
        Node("P0", NodeKind.PORT, 0.0, 0.0, fixed=True),
    ]
    nets = [
        Net("n0", (Pin("M0", 1.0, 2.0, name="M0/a"), Pin("M1", -1.0, 0.0)), weight=2.0, driver=0),
        Net("n1", (Pin("P0"), Pin("M0", 1.0, 2.0, name="M0/a"))),
    ]
    return Netlist.from_records("two_macros", Canvas(10.0, 10.0), nodes, nets)


def test_from_records__shares_named_pins_and_keeps_unnamed_ones_apart():
    netlist = _two_macros()
    assert netlist.num_pins == 3  # M0/a is shared by both nets
    assert netlist.num_net_pins == 4
    assert netlist.net(1).pins[1] == Pin("M0", 1.0, 2.0, name="M0/a")
    assert netlist.net(0).driver == 0 and netlist.net(1).driver is None
    assert netlist.node(2) == Node("P0", NodeKind.PORT, 0.0, 0.0, fixed=True)


@pytest.mark.parametrize(
    ("nodes", "nets", "message"),
    [
        ([Node("A", NodeKind.HARD_MACRO, 1, 1), Node("A", NodeKind.PORT, 0, 0)], [], "duplicate"),
        ([Node("A", NodeKind.HARD_MACRO, 1, 1)], [Net("n", (Pin("B"),))], "unknown node 'B'"),
        ([Node("A", NodeKind.HARD_MACRO, -1, 1)], [], "negative"),
        ([Node("A", NodeKind.HARD_MACRO, 1, 1)], [Net("n", (Pin("A"),), driver=3)], "driver"),
        ([Node("A", NodeKind.HARD_MACRO, 1, 1)], [Net("n", (Pin("A"),), weight=-1)], "weights"),
    ],
)
def test_from_records__rejects_inconsistent_input(nodes, nets, message):
    with pytest.raises(InvalidNetlistError, match=message):
        Netlist.from_records("bad", Canvas(1, 1), nodes, nets)


def test_netlist_arrays_are_read_only():
    netlist = _two_macros()
    with pytest.raises(ValueError, match="read-only"):
        netlist.node_sizes[0, 0] = 5.0


def test_csr_arrays__match_a_naive_walk_over_nets():
    netlist = netlists.load("ct_sample_clustered").netlist
    arrays = netlist.arrays
    entry = 0
    touching: dict[int, set[int]] = {}
    for j in range(netlist.num_nets):
        for pin in netlist.net_pin_indices(j):
            assert arrays.entry_pin[entry] == pin
            assert arrays.entry_node[entry] == netlist.pin_nodes[pin]
            assert arrays.entry_net[entry] == j
            np.testing.assert_array_equal(arrays.entry_offset[entry], netlist.pin_offsets[pin])
            touching.setdefault(int(netlist.pin_nodes[pin]), set()).add(j)
            entry += 1
    assert entry == len(arrays.entry_pin)
    for node in range(netlist.num_nodes):
        got = arrays.node_nets[arrays.node_net_starts[node] : arrays.node_net_starts[node + 1]]
        assert set(got.tolist()) == touching.get(node, set())


def test_placement_pin_positions__equal_owner_centre_plus_oriented_offset(rng):
    netlist = netlists.load("ariane133_ng45").netlist
    n = netlist.num_nodes
    placement = Placement(
        rng.uniform(0, 1000, size=(n, 2)), rng.integers(0, 8, n), np.ones(n, dtype=bool)
    )
    got = placement.pin_positions(netlist)
    for p in rng.choice(netlist.num_pins, size=200, replace=False):
        owner = netlist.pin_nodes[p]
        dx, dy = Orientation(int(placement.orientations[owner])).transform(*netlist.pin_offsets[p])
        np.testing.assert_allclose(got[p], placement.positions[owner] + (dx, dy))


def test_placement_footprints__swap_sides_for_quarter_turns():
    netlist = _two_macros()
    placement = Placement(
        np.zeros((3, 2)), [Orientation.E, Orientation.S, Orientation.FW], np.ones(3, dtype=bool)
    )
    np.testing.assert_array_equal(placement.footprints(netlist), [[4, 2], [2, 2], [0, 0]])


def test_placement__is_immutable_and_with_positions_copies():
    netlist = _two_macros()
    empty = Placement.empty(netlist)
    moved = empty.with_positions([1], np.array([[3.0, 4.0]]))
    assert not empty.placed.any() and moved.placed.tolist() == [False, True, False]
    with pytest.raises(ValueError, match="read-only"):
        moved.positions[0, 0] = 1.0


def test_placement__rejects_wrong_sizes():
    netlist = _two_macros()
    with pytest.raises(InvalidNetlistError, match="covers 2 nodes"):
        Placement(np.zeros((2, 2)), np.zeros(2), np.zeros(2, dtype=bool)).check_matches(netlist)
    with pytest.raises(InvalidNetlistError, match="shape"):
        Placement(np.zeros((3, 2)), np.zeros(2), np.zeros(3, dtype=bool))


def test_restricted_to__keeps_hpwl_of_the_kept_nodes():
    from placement_env.wirelength import hpwl

    design = netlists.load("ibm01")
    netlist, placement = design.netlist, design.placement
    keep = np.flatnonzero(netlist.node_kinds != NodeKind.STD_CELL)
    sub = netlist.restricted_to(keep)
    only_kept = Placement(
        placement.positions, placement.orientations, np.isin(np.arange(netlist.num_nodes), keep)
    )
    sub_placement = Placement(
        placement.positions[keep], placement.orientations[keep], np.ones(len(keep), dtype=bool)
    )
    assert sub.num_nodes == len(keep)
    assert sub.node_names == tuple(netlist.node_names[i] for i in keep)
    assert hpwl(sub, sub_placement) == pytest.approx(hpwl(netlist, only_kept), rel=1e-12)
    assert (np.diff(sub.net_starts) >= 2).all()
