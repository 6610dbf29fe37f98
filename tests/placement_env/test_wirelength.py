"""HPWL, macro-only HPWL and the Steiner estimate against naive golden versions."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import netlists
from netlists import NodeKind, Orientation, Placement
from placement_env.wirelength import (
    HpwlKernel,
    hpwl,
    macro_hpwl,
    net_hpwl,
    net_steiner,
    steiner_length,
    steiner_wirelength,
)


def _naive_pin(netlist, placement, pin):
    owner = netlist.pin_nodes[pin]
    dx, dy = Orientation(int(placement.orientations[owner])).transform(*netlist.pin_offsets[pin])
    return placement.positions[owner][0] + dx, placement.positions[owner][1] + dy


def _naive_hpwl(netlist, placement, macro_only=False):
    total = 0.0
    for j in range(netlist.num_nets):
        points = []
        for pin in netlist.net_pin_indices(j):
            owner = netlist.pin_nodes[pin]
            if not placement.placed[owner]:
                continue
            if macro_only and netlist.node_kinds[owner] != NodeKind.HARD_MACRO:
                continue
            points.append(_naive_pin(netlist, placement, pin))
        if len(points) >= 2:
            xs, ys = zip(*points, strict=True)
            total += netlist.net_weights[j] * (max(xs) - min(xs) + max(ys) - min(ys))
    return total


def _random_placement(netlist, rng, placed_fraction=0.8):
    n = netlist.num_nodes
    canvas = netlist.canvas
    return Placement(
        rng.uniform([0, 0], [canvas.width, canvas.height], size=(n, 2)),
        rng.integers(0, 8, n),
        rng.random(n) < placed_fraction,
    )


@pytest.mark.parametrize("name", ["ct_sample_clustered", "ct_toy_macro_stdcell", "n100", "ami33"])
def test_hpwl__matches_a_naive_loop_on_random_partial_placements(name, rng):
    netlist = netlists.load(name).netlist
    for _ in range(3):
        placement = _random_placement(netlist, rng)
        assert hpwl(netlist, placement) == pytest.approx(_naive_hpwl(netlist, placement), rel=1e-12)


@pytest.mark.parametrize("name", ["ct_sample_clustered", "n100", "ami33"])
def test_hpwl_kernel__matches_the_naive_loop_with_turned_blocks_and_unplaced_owners(name, rng):
    netlist = netlists.load(name).netlist
    kernel = HpwlKernel(netlist)
    for _ in range(3):
        placement = _random_placement(netlist, rng)
        got = kernel(placement.positions, placement.orientations, placement.placed)
        assert got == pytest.approx(_naive_hpwl(netlist, placement), rel=1e-12)


def test_hpwl__ariane133_initial_matches_the_plc_header_wirelength():
    # The .plc header written by Circuit Training says "Wirelength : 3219216.090".
    design = netlists.load("ariane133_ng45")
    assert hpwl(design.netlist, design.placement) == pytest.approx(3219216.090, rel=1e-5)


def test_hpwl__is_translation_invariant_and_linear_in_weight(rng):
    netlist = netlists.load("n50").netlist
    placement = _random_placement(netlist, rng, placed_fraction=1.0)
    shifted = Placement(placement.positions + 37.5, placement.orientations, placement.placed)
    assert hpwl(netlist, shifted) == pytest.approx(hpwl(netlist, placement))
    per_net = net_hpwl(netlist, placement)
    assert hpwl(netlist, placement) == pytest.approx(float(per_net.sum()))  # weights are 1


def test_hpwl__of_an_empty_placement_is_zero():
    netlist = netlists.load("n50").netlist
    assert hpwl(netlist, Placement.empty(netlist)) == 0.0


def test_macro_hpwl__matches_a_naive_loop_on_ibm01(rng):
    design = netlists.load("ibm01")
    netlist = design.netlist
    got = macro_hpwl(netlist, design.placement)
    assert got == pytest.approx(_naive_hpwl(netlist, design.placement, macro_only=True), rel=1e-12)
    moved = _random_placement(netlist, rng, placed_fraction=1.0)
    assert macro_hpwl(netlist, moved) == pytest.approx(
        _naive_hpwl(netlist, moved, macro_only=True), rel=1e-12
    )


def _exact_rsmt(points: np.ndarray) -> float:
    """Golden: Hanan's theorem — the best MST over the pins plus up to k-2 Hanan-grid points."""
    from scipy.sparse.csgraph import minimum_spanning_tree
    from scipy.spatial.distance import cdist

    points = np.unique(points, axis=0)
    hanan = np.array([(x, y) for x in np.unique(points[:, 0]) for y in np.unique(points[:, 1])])
    best = np.inf
    for size in range(0, len(points) - 1):
        for extra in itertools.combinations(range(len(hanan)), size):
            nodes = np.vstack([points, hanan[list(extra)]]) if extra else points
            tree = minimum_spanning_tree(cdist(nodes, nodes, "cityblock"))
            best = min(best, tree.sum())
    return float(best)


@pytest.mark.parametrize("k", [2, 3])
def test_steiner__is_exact_up_to_three_pins(k, rng):
    for _ in range(20):
        points = rng.integers(0, 50, size=(k, 2)).astype(float)
        assert steiner_length(points) == pytest.approx(_exact_rsmt(points))


@pytest.mark.parametrize("k", [4, 5])
def test_steiner__is_between_the_optimum_and_the_hpwl_bound_beyond_three_pins(k, rng):
    ratios = []
    for _ in range(15):
        points = rng.uniform(0, 100, size=(k, 2))
        exact = _exact_rsmt(points)
        got = steiner_length(points)
        assert got >= exact - 1e-9
        assert got >= np.ptp(points[:, 0]) + np.ptp(points[:, 1]) - 1e-9
        ratios.append(got / exact)
    assert np.mean(ratios) < 1.08  # a good heuristic: within a few percent of optimal on average


def test_net_steiner__equals_steiner_length_per_net(rng):
    netlist = netlists.load("n100").netlist
    placement = _random_placement(netlist, rng)
    per_net = net_steiner(netlist, placement)
    for j in range(0, netlist.num_nets, 7):
        points = [
            _naive_pin(netlist, placement, p)
            for p in netlist.net_pin_indices(j)
            if placement.placed[netlist.pin_nodes[p]]
        ]
        want = steiner_length(np.array(points)) if len(points) >= 2 else 0.0
        assert per_net[j] == pytest.approx(want)
    assert steiner_wirelength(netlist, placement) >= hpwl(netlist, placement) - 1e-6
