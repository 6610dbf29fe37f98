"""The proxy annealer: legal, deterministic, never worse than its start, reports the true cost."""

from __future__ import annotations

import numpy as np
import pytest

import netlists
from agents import Budget, PlacerError, make_placer
from netlists import NodeKind
from placement_env.legality import check_legality
from placement_env.proxy_cost import proxy_cost


def _note(result, key: str) -> float:
    return float(next(n for n in result.stats.notes if n.startswith(key + "=")).split("=")[1])


@pytest.mark.parametrize("start", ["greedy", "shipped"])
def test_proxy_annealing__legal_deterministic_and_improving(start):
    design = netlists.load("mempool_tile_ng45")
    nl = design.netlist
    placer = make_placer("proxy_annealing", start=start)
    first = placer.place(design, np.random.default_rng(5), Budget(evaluations=1500))
    second = placer.place(design, np.random.default_rng(5), Budget(evaluations=1500))
    assert first.placement.same_as(second.placement)
    assert check_legality(nl, first.placement).is_legal
    soft = nl.node_kinds == int(NodeKind.SOFT_MACRO)
    # Soft macros stay on the canvas (their whole footprint).
    half = first.placement.footprints(nl, np.flatnonzero(soft)) / 2
    xy = first.placement.positions[soft]
    c = nl.canvas
    assert (xy - half >= [c.x_min - 1e-6, c.y_min - 1e-6]).all()
    assert (xy + half <= [c.x_max + 1e-6, c.y_max + 1e-6]).all()
    # The reported cost is the exact proxy of the returned placement, and not worse than the start.
    true = proxy_cost(nl, first.placement, design.plc).proxy
    assert _note(first, "best_proxy") == pytest.approx(true, abs=1e-9)
    assert true <= _note(first, "start_proxy") + 1e-12
    # Ports do not move.
    ports = nl.node_kinds == int(NodeKind.PORT)
    assert np.array_equal(first.placement.positions[ports], design.placement.positions[ports])


def test_proxy_annealing__bad_options_and_designs_are_clear_errors():
    with pytest.raises(PlacerError, match="unknown start"):
        make_placer("proxy_annealing", start="nowhere")
    with pytest.raises(PlacerError, match="soft_fraction"):
        make_placer("proxy_annealing", soft_fraction=2.0)
    with pytest.raises(PlacerError, match="needs the .plc settings"):
        make_placer("proxy_annealing").place(
            netlists.load("n10"), np.random.default_rng(0), Budget(evaluations=10)
        )
