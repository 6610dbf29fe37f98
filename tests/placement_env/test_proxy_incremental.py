"""IncrementalProxy against the full proxy cost (its golden version) after random moves."""

from __future__ import annotations

import numpy as np
import pytest

import netlists
from netlists import NodeKind
from placement_env.proxy_cost import proxy_cost
from placement_env.proxy_incremental import IncrementalProxy


def _parts(cost) -> list[float]:
    return [cost.wirelength, cost.density, cost.congestion, cost.proxy]


def _check(design_name: str, moves: int, seed: int) -> None:
    design = netlists.load(design_name)
    nl = design.netlist
    start = netlists.read_placement(design.reference_placements["initial"], nl)
    inc = IncrementalProxy(nl, start, design.plc)
    assert _parts(inc.cost) == pytest.approx(_parts(proxy_cost(nl, start, design.plc)), abs=1e-12)
    rng = np.random.default_rng(seed)
    kinds = nl.node_kinds
    movable = np.flatnonzero(
        (kinds == int(NodeKind.HARD_MACRO)) | (kinds == int(NodeKind.SOFT_MACRO))
    )
    c = nl.canvas
    for step in range(moves):
        k = 1 if rng.random() < 0.7 else 2
        nodes = rng.choice(movable, k, replace=False)
        # Some moves leave the canvas: pins there are clamped into the edge gcells.
        pos = np.column_stack(
            [rng.uniform(c.x_min - 5, c.x_max + 5, k), rng.uniform(c.y_min - 5, c.y_max + 5, k)]
        )
        orient = rng.integers(0, 8, k) if rng.random() < 0.3 else None
        before = inc.cost
        got = inc.move(nodes, pos, orient)
        full = proxy_cost(nl, inc.placement(), design.plc)
        assert got == pytest.approx(full.proxy, abs=1e-9), step
        assert inc.cost.congestion == pytest.approx(full.congestion, abs=1e-9)
        assert inc.cost.density == pytest.approx(full.density, abs=1e-12)
        assert inc.cost.wirelength == pytest.approx(full.wirelength, abs=1e-9)
        if rng.random() < 0.5:
            assert inc.undo() == before.proxy
            assert inc.cost == before
    final = proxy_cost(nl, inc.placement(), design.plc)
    assert inc.resync() == pytest.approx(final.proxy, abs=1e-12)


@pytest.mark.parametrize(
    "name", ["ct_sample_clustered", "ct_macro_tiles_10x10", "mempool_tile_ng45"]
)
def test_matches_full_proxy(name):
    _check(name, moves=150, seed=1)


def test_matches_full_proxy_on_ariane133_with_smoothing_and_offsets():
    _check("ariane133_ng45", moves=60, seed=2)


def test_undo_without_move_is_an_error():
    design = netlists.load("ct_macro_tiles_10x10")
    inc = IncrementalProxy(design.netlist, design.placement, design.plc)
    with pytest.raises(RuntimeError, match="no move"):
        inc.undo()
