"""Placements that do not fit their netlist get a clear error, never a wrong number."""

from __future__ import annotations

import numpy as np
import pytest

import netlists
from netlists import InvalidNetlistError, NodeKind, Placement
from placement_env.grid import Grid
from placement_env.incremental import hpwl_delta, position_mask, wire_mask
from placement_env.legality import check_legality
from placement_env.maps import density_map, rudy_map
from placement_env.proxy_cost import ProxyWeights, proxy_cost
from placement_env.wirelength import hpwl, macro_hpwl, steiner_wirelength

DESIGN = netlists.load("ct_sample_clustered")
GRID = Grid.over(DESIGN.netlist.canvas, 4, 4)
MACRO = int(DESIGN.netlist.nodes_of_kind(NodeKind.HARD_MACRO)[0])

SCORERS = {
    "hpwl": lambda n, p: hpwl(n, p),
    "macro_hpwl": lambda n, p: macro_hpwl(n, p),
    "steiner": lambda n, p: steiner_wirelength(n, p),
    "density": lambda n, p: density_map(n, p, GRID),
    "rudy": lambda n, p: rudy_map(n, p, GRID),
    "wire_mask": lambda n, p: wire_mask(n, p, MACRO, GRID),
    "position_mask": lambda n, p: position_mask(n, p, MACRO, GRID),
    "hpwl_delta": lambda n, p: hpwl_delta(n, p, [MACRO], [[1.0, 1.0]]),
    "legality": lambda n, p: check_legality(n, p),
    "proxy": lambda n, p: proxy_cost(n, p, DESIGN.plc),
}


@pytest.mark.parametrize("scorer", SCORERS)
@pytest.mark.parametrize("extra", [-1, 1])
def test_scorers__reject_a_placement_with_missing_or_extra_nodes(scorer, extra):
    n = DESIGN.netlist.num_nodes + extra
    wrong = Placement(np.zeros((n, 2)), np.zeros(n), np.ones(n, dtype=bool))
    with pytest.raises(InvalidNetlistError, match="placement covers"):
        SCORERS[scorer](DESIGN.netlist, wrong)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_placement__rejects_non_finite_coordinates_of_placed_nodes(bad):
    positions = DESIGN.placement.positions.copy()
    positions[MACRO, 0] = bad
    with pytest.raises(InvalidNetlistError, match="non-finite"):
        Placement(positions, DESIGN.placement.orientations, DESIGN.placement.placed)


def test_placement__rejects_unknown_orientation_codes():
    orientations = DESIGN.placement.orientations.copy()
    orientations[MACRO] = 9
    with pytest.raises(InvalidNetlistError, match="0..7"):
        Placement(DESIGN.placement.positions, orientations, DESIGN.placement.placed)


@pytest.mark.parametrize("rows, cols", [(0, 4), (4, 0)])
def test_grid__rejects_an_empty_grid(rows, cols):
    with pytest.raises(ValueError, match="positive size"):
        Grid.over(DESIGN.netlist.canvas, rows, cols)


@pytest.mark.parametrize("field", ["wirelength", "density", "congestion"])
@pytest.mark.parametrize("value", [-0.5, np.nan, np.inf])
def test_proxy_weights__must_be_finite_and_non_negative(field, value):
    with pytest.raises(ValueError, match=f"ProxyWeights.{field}"):
        ProxyWeights(**{field: value})
