"""Routing problems built from placements of bundled designs, and routing-based evaluation."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

import accel
import netlists
from accel.floorplan import reference_placement
from placement_env.routing import (
    ROUTED_COLUMNS,
    InvalidRoutingProblemError,
    check_routes,
    problem_from_placement,
    recount,
    route_placement,
    routed_metrics,
)


@pytest.fixture(scope="module")
def tpu():
    design = accel.build_chip(accel.TPU_V1)
    return design, reference_placement(design)


def test_problem_from_placement__tpu_grid_and_tracks_follow_the_plc(tpu):
    design, placement = tpu
    plc = design.plc
    problem = problem_from_placement(design, placement)
    assert (problem.nx, problem.ny) == (plc.grid_cols, plc.grid_rows)
    cell = plc.canvas_width / plc.grid_cols
    assert problem.tile_width == pytest.approx(cell)
    h, v = problem.tracks_2d()
    free = math.floor(cell * plc.routes_per_micron_h)
    under_macro = math.floor(free - cell * plc.macro_routes_h)
    assert h.max() == free and v.max() == free
    assert under_macro in set(np.unique(h)) and h.min() >= 0
    # Buses use their bit width in tracks, as the proxy's routing weight does.
    weights = {n.name: n.min_width for n in problem.nets}
    assert max(weights.values()) > 1


def test_route_placement__tpu_reference_routes_legally(tpu):
    design, placement = tpu
    routed = route_placement(design, placement)
    result = routed.result
    check_routes(routed.problem, result)
    assert recount(routed.problem, result).total_overflow == result.total_overflow
    assert result.wirelength_um >= routed.pin_hpwl_um * 0.999 or len(routed.problem.nets) == 0
    assert routed.summary()["grid"] == "32x32"


def test_route_placement__ariane_legalized_macro_nets_route_without_overflow():
    design = netlists.load("ariane133_ng45")
    legal = netlists.read_placement(design.reference_placements["legalized"], design.netlist)
    routed = route_placement(design, legal, max_rounds=10)
    assert len(routed.problem.nets) > 1000
    assert routed.result.converged
    check_routes(routed.problem, routed.result)


def test_route_placement__bookshelf_design_without_plc_uses_the_default_grid():
    design = netlists.load("ibm01")
    routed = route_placement(design, grid=32, mode="pattern")
    assert (routed.problem.nx, routed.problem.ny) == (32, 32)
    # Macro-level nets only: no standard-cell pins, so far fewer nets than the design has.
    assert 0 < len(routed.problem.nets) < len(design.netlist.net_names)


def test_routed_metrics__returns_the_documented_columns(tpu):
    design, placement = tpu
    metrics = routed_metrics(design, placement)
    assert tuple(metrics) == ROUTED_COLUMNS
    assert metrics["routed_overflow"] >= 0 and metrics["routed_wl_um"] > 0
    assert 0 < metrics["routed_util_top5"] <= 1


def test_negative_routing_supply_raises_invalid_routing_problem_error(tpu):
    design, placement = tpu
    bad = dataclasses.replace(design.plc, routes_per_micron_h=-1.0)
    with pytest.raises(InvalidRoutingProblemError, match="routes per micron"):
        route_placement(design, placement, settings=bad)


def test_bare_netlist_without_placement_is_rejected():
    design = netlists.load("n10")
    with pytest.raises(ValueError, match="placement"):
        route_placement(design.netlist)
