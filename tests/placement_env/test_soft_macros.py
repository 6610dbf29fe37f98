"""Force-directed soft-macro placement: inside the canvas, deterministic, hard macros and ports
fixed, and better than soft macros piled at the centre on a Circuit Training design."""

from __future__ import annotations

import numpy as np
import pytest

import netlists
from netlists import NodeKind
from placement_env.proxy_cost import proxy_cost, wirelength_cost
from placement_env.soft_macros import place_soft_macros


@pytest.fixture(scope="module")
def ariane():
    design = netlists.load("ariane133_ng45")
    legal = netlists.read_placement(design.reference_placements["legalized"], design.netlist)
    return design, legal


def _soft(netlist):
    return np.flatnonzero(netlist.node_kinds == int(NodeKind.SOFT_MACRO))


def _inside(netlist, placement, nodes) -> bool:
    c = netlist.canvas
    half = placement.footprints(netlist, nodes) / 2
    low = placement.positions[nodes] - half
    high = placement.positions[nodes] + half
    eps = 1e-9
    return bool(
        (low[:, 0] >= c.x_min - eps).all()
        and (low[:, 1] >= c.y_min - eps).all()
        and (high[:, 0] <= c.x_max + eps).all()
        and (high[:, 1] <= c.y_max + eps).all()
    )


def test_small_design__inside_canvas_deterministic_and_only_soft_macros_move():
    design = netlists.load("ct_sample_clustered")
    nl = design.netlist
    soft = _soft(nl)
    a = place_soft_macros(nl, design.placement, iterations=20, rng=1)
    b = place_soft_macros(nl, design.placement, iterations=20, rng=np.random.default_rng(1))
    assert a.same_as(b)
    assert _inside(nl, a, soft) and a.placed[soft].all()
    others = np.setdiff1d(np.arange(nl.num_nodes), soft)
    np.testing.assert_array_equal(a.positions[others], design.placement.positions[others])


def test_ariane__better_than_centre_pile_and_deterministic(ariane):
    design, legal = ariane
    nl = design.netlist
    soft = _soft(nl)
    centre = [nl.canvas.x_min + nl.canvas.width / 2, nl.canvas.y_min + nl.canvas.height / 2]
    pile = legal.with_positions(soft, np.tile(centre, (len(soft), 1)))
    placed = place_soft_macros(nl, pile, rng=0)
    assert placed.same_as(place_soft_macros(nl, pile, rng=0))
    assert _inside(nl, placed, soft)
    hard = np.flatnonzero(nl.node_kinds != int(NodeKind.SOFT_MACRO))
    np.testing.assert_array_equal(placed.positions[hard], legal.positions[hard])
    before = proxy_cost(nl, pile, design.plc)
    after = proxy_cost(nl, placed, design.plc)
    # A pile at the centre has the shortest wires (the soft macros talk mostly to each other) but
    # a hopeless density; the placed soft macros score far better overall, and their wires are
    # shorter than those of soft macros scattered at random.
    assert after.proxy < before.proxy - 0.2
    assert after.density < before.density / 2
    rng = np.random.default_rng(0)
    c = nl.canvas
    scatter = legal.with_positions(
        soft,
        np.column_stack(
            [
                rng.uniform(c.x_min, c.x_max, len(soft)),
                rng.uniform(c.y_min, c.y_max, len(soft)),
            ]
        ),
    )
    assert wirelength_cost(nl, placed, design.plc) < wirelength_cost(nl, scatter, design.plc)
    assert wirelength_cost(nl, place_soft_macros(nl, scatter, rng=0)) < wirelength_cost(nl, scatter)


def test_no_soft_macros__placement_unchanged():
    design = netlists.load("n10")
    assert place_soft_macros(design.netlist, design.placement) is design.placement
