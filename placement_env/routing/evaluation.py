"""Routing-based evaluation of a placement: route its nets and report overflow and wirelength.

:func:`route_placement` builds the routing problem of a placement
(:func:`~placement_env.routing.from_design.problem_from_placement`), routes it
(:func:`~placement_env.routing.router.route`) and returns the result with a few ratios;
:func:`routed_metrics` gives the flat columns a comparison table wants.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from netlists import Design, Netlist, Placement, PlcSettings
from placement_env.maps import top_fraction_mean
from placement_env.routing.from_design import DEFAULT_GRID, problem_from_placement
from placement_env.routing.problem import RoutingProblem
from placement_env.routing.router import RouterSettings, RoutingResult, route

__all__ = [
    "ROUTED_COLUMNS",
    "RoutedPlacement",
    "route_placement",
    "routed_metrics",
    "top_utilisation",
]

#: Keys of :func:`routed_metrics`, in table order.
ROUTED_COLUMNS = (
    "routed_overflow",
    "routed_max_overflow",
    "routed_overflowed_edges",
    "routed_wl_um",
    "routed_vias",
    "routed_util_top5",
    "route_seconds",
)


@dataclass(frozen=True)
class RoutedPlacement:
    """A routed placement.

    Attributes:
        problem: The routing problem built from the placement.
        result: The router's result (overflow in tracks, wirelength in gcell edges and microns).
        pin_hpwl_um: Sum over routed nets of the half-perimeter of their pin gcell centres
            (microns): the routed wirelength's lower bound for two- and three-gcell nets.
    """

    problem: RoutingProblem
    result: RoutingResult
    pin_hpwl_um: float

    @property
    def wl_over_hpwl(self) -> float:
        """Routed wirelength / :attr:`pin_hpwl_um` (1.0 when nothing needs routing)."""
        return self.result.wirelength_um / self.pin_hpwl_um if self.pin_hpwl_um > 0 else 1.0

    def summary(self) -> dict[str, float | int | bool]:
        """The result's scalar metrics plus grid size, nets and ``wl_over_hpwl``."""
        return {
            "grid": f"{self.problem.nx}x{self.problem.ny}",
            "nets": len(self.problem.nets),
            **self.result.summary(),
            "pin_hpwl_um": self.pin_hpwl_um,
            "wl_over_hpwl": self.wl_over_hpwl,
        }


def top_utilisation(result: RoutingResult, fraction: float = 0.05) -> float:
    """Mean of the top ``fraction`` of edge utilisations ``usage / capacity`` (edges with
    capacity only; at least one edge): the routed analogue of the CT congestion cost, which
    keeps ranking placements when all of them route without overflow."""
    usage = np.concatenate([result.h_usage.ravel(), result.v_usage.ravel()])
    cap = np.concatenate([result.h_capacity.ravel(), result.v_capacity.ravel()])
    ratio = usage[cap > 0] / cap[cap > 0]
    if ratio.size == 0:
        return 0.0
    return top_fraction_mean(ratio, fraction)


def _pin_hpwl(problem: RoutingProblem) -> float:
    total = 0.0
    for net in problem.nets:
        span = net.pins[:, :2].max(axis=0) - net.pins[:, :2].min(axis=0)
        total += float(span.sum())
    return total


def route_placement(
    design: Design | Netlist,
    placement: Placement | None = None,
    *,
    settings: PlcSettings | None = None,
    grid: int = DEFAULT_GRID,
    include_std_cells: bool = False,
    mode: str = "negotiated",
    max_rounds: int = 50,
    time_limit_s: float = 60.0,
    seed: int = 0,
    router_settings: RouterSettings | None = None,
) -> RoutedPlacement:
    """Route the nets of a placement on the design's gcell grid.

    Args:
        design: A :class:`netlists.Design` or a bare netlist.
        placement: The placement; default: the design's own.
        settings: ``.plc`` settings; default: the design's.
        grid: Gcells per side for designs without a ``.plc`` grid.
        include_std_cells: Also route placed standard cells' pins (default: macros and ports).
        mode: ``"negotiated"`` or ``"pattern"`` (see :func:`route`).
        max_rounds: Cap on negotiation rounds.
        time_limit_s: Cap on negotiation wall time (seconds).
        seed: Tie-break seed of the routing order.
        router_settings: Cost schedule of the router.

    Returns:
        The problem, the routing result and the pin HPWL.

    Raises:
        InvalidRoutingProblemError: The problem is inconsistent.
        ValueError: No placement for a bare netlist, or a bad router argument.
    """
    problem = problem_from_placement(
        design, placement, settings=settings, grid=grid, include_std_cells=include_std_cells
    )
    result = route(
        problem,
        mode=mode,
        max_rounds=max_rounds,
        time_limit_s=time_limit_s,
        seed=seed,
        settings=router_settings,
    )
    return RoutedPlacement(problem, result, _pin_hpwl(problem))


def routed_metrics(
    design: Design, placement: Placement, *, time_limit_s: float = 10.0, **kwargs
) -> dict[str, float | int]:
    """Routed-overflow and routed-wirelength columns for a comparison table.

    Args:
        design: The design (its ``.plc`` grid and routing settings are used when present).
        placement: The placement to route.
        time_limit_s: Cap on negotiation wall time (seconds).
        **kwargs: Further :func:`route_placement` arguments.

    Returns:
        ``{key: value}`` for the keys :data:`ROUTED_COLUMNS`: total and maximum overflow
        (tracks), overflowed edges, routed wirelength (microns), vias, the mean of the top 5%
        edge utilisations (:func:`top_utilisation`) and routing time (seconds).
    """
    routed = route_placement(design, placement, time_limit_s=time_limit_s, **kwargs)
    r = routed.result
    return {
        "routed_overflow": r.total_overflow,
        "routed_max_overflow": r.max_overflow,
        "routed_overflowed_edges": r.overflowed_edges,
        "routed_wl_um": r.wirelength_um,
        "routed_vias": r.vias,
        "routed_util_top5": top_utilisation(r),
        "route_seconds": r.runtime_s,
    }
