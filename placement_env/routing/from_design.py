"""A routing problem from a placement of any design in the :mod:`netlists` data model.

Resource model (shared with the Circuit Training proxy of :mod:`placement_env.proxy_cost`):

* **Grid**: the design's ``.plc`` grid (``grid_cols x grid_rows`` over the canvas) when it has
  one, else a ``grid x grid`` grid (default :data:`DEFAULT_GRID`) over the canvas.
* **Tracks**: a horizontal gcell edge carries ``floor(cell height x routes_per_micron_h)`` tracks,
  a vertical one ``floor(cell width x routes_per_micron_v)``, from the ``.plc``; designs without
  routing settings use :func:`default_routes`.
* **Macro blockage**: hard macros take Circuit Training's routing allocation: in each gcell a
  macro covering ``y`` microns of its height blocks ``y x macro_routes_h`` horizontal tracks and
  one covering ``x`` microns of its width ``x x macro_routes_v`` vertical tracks (the proxy's own
  allocation map, quirks included). An edge loses the mean of its two gcells' blocked tracks:
  ``capacity = max(0, floor(tracks - blocked))``.
* **Nets**: every net with pins on placed nodes of the chosen kinds (hard and soft macros and
  ports by default; standard cells with ``include_std_cells``), pins at
  :meth:`netlists.Placement.pin_positions` clamped into the canvas and snapped to their gcell's
  centre; a net uses ``max(1, net weight)`` tracks per edge (the proxy's routing weight), encoded
  as the ISPD 2008 net min width. Nets whose pins fall in one gcell need no routing.

The problem has two layers (1: horizontal, 2: vertical; unit width, zero spacing) so one unit of
capacity is one track, and tiles of the gcell size in microns.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from netlists import Design, Netlist, NodeKind, Placement, PlcSettings
from placement_env import proxy_cost as _proxy
from placement_env.grid import Grid
from placement_env.routing.problem import (
    InvalidRoutingProblemError,
    RoutingNet,
    RoutingProblem,
    two_layer_capacities,
)

__all__ = [
    "DEFAULT_GRID",
    "DEFAULT_TRACKS_PER_ROW",
    "MACRO_ROUTE_SHARE",
    "NG45_ROUTES",
    "RoutingResources",
    "default_routes",
    "problem_from_placement",
    "routing_resources",
]

#: Gcells per side for designs without a ``.plc`` grid.
DEFAULT_GRID = 64
#: Routing tracks per direction per placement-row height, for Bookshelf designs (row-based
#: units rather than microns) without routing settings.
DEFAULT_TRACKS_PER_ROW = 10.0
#: Share of a direction's tracks that a hard macro blocks by default (Circuit Training's NG45
#: settings: macro routes 7.143 / 8.339 of 11.285 / 12.605 routes per micron, about 0.65).
MACRO_ROUTE_SHARE = 0.65
#: ``(routes_per_micron_h, routes_per_micron_v, macro_routes_h, macro_routes_v)`` of the Circuit
#: Training NanGate45 designs, used for row-less designs in microns without routing settings.
NG45_ROUTES = (11.285, 12.605, 7.143, 8.339)


@dataclass(frozen=True)
class RoutingResources:
    """The grid and routing supply of a design (tracks per micron; see the module docstring).

    Attributes:
        grid: The gcell grid over the canvas.
        routes_h: Horizontal tracks per micron of gcell height.
        routes_v: Vertical tracks per micron of gcell width.
        macro_routes_h: Horizontal tracks per micron of height a hard macro blocks.
        macro_routes_v: Vertical tracks per micron of width a hard macro blocks.
    """

    grid: Grid
    routes_h: float
    routes_v: float
    macro_routes_h: float
    macro_routes_v: float


def default_routes(netlist: Netlist) -> tuple[float, float, float, float]:
    """Routing supply for a design without ``.plc`` routing settings.

    Row-based (Bookshelf) canvases get :data:`DEFAULT_TRACKS_PER_ROW` tracks per row height in
    each direction; others the NanGate45 values :data:`NG45_ROUTES`. Macros block
    :data:`MACRO_ROUTE_SHARE` of the tracks.

    Returns:
        ``(routes_h, routes_v, macro_routes_h, macro_routes_v)`` per micron.
    """
    rows = netlist.canvas.rows
    if not rows:
        return NG45_ROUTES
    per_micron = DEFAULT_TRACKS_PER_ROW / float(rows[0].height)
    blocked = MACRO_ROUTE_SHARE * per_micron
    return per_micron, per_micron, blocked, blocked


def routing_resources(
    netlist: Netlist, settings: PlcSettings | None = None, *, grid: int = DEFAULT_GRID
) -> RoutingResources:
    """The grid and track supply a design routes on (see the module docstring).

    Args:
        netlist: The design.
        settings: Its ``.plc`` header, if any.
        grid: Gcells per side when ``settings`` is None.

    Raises:
        InvalidRoutingProblemError: A negative or non-finite routing supply.
    """
    if settings is not None:
        cells = Grid.from_settings(netlist, settings)
    else:
        cells = Grid.over(netlist.canvas, grid, grid)
    if settings is not None and settings.routes_per_micron_h and settings.routes_per_micron_v:
        routes = (
            float(settings.routes_per_micron_h),
            float(settings.routes_per_micron_v),
            float(settings.macro_routes_h or 0.0),
            float(settings.macro_routes_v or 0.0),
        )
    else:
        routes = default_routes(netlist)
    if not all(np.isfinite(value) and value >= 0 for value in routes):
        raise InvalidRoutingProblemError(
            f"routes per micron (h, v, macro h, macro v) must be finite and >= 0, got {routes}"
        )
    return RoutingResources(cells, *routes)


def _edge_tracks(
    netlist: Netlist, placement: Placement, res: RoutingResources
) -> tuple[np.ndarray, np.ndarray]:
    """``(nx - 1, ny)`` horizontal and ``(nx, ny - 1)`` vertical edge tracks after blockage."""
    grid = res.grid
    h_total = math.floor(grid.cell_height * res.routes_h + 1e-9)
    v_total = math.floor(grid.cell_width * res.routes_v + 1e-9)
    tables = _proxy._tables(netlist)
    h_alloc, v_alloc = _proxy._macro_allocation(netlist, placement, tables, grid)  # (rows, cols)
    h_block = (h_alloc * res.macro_routes_h).T  # (cols, rows) = (nx, ny)
    v_block = (v_alloc * res.macro_routes_v).T
    h_edge = (h_block[:-1, :] + h_block[1:, :]) / 2
    v_edge = (v_block[:, :-1] + v_block[:, 1:]) / 2
    h = np.maximum(np.floor(h_total - h_edge + 1e-9), 0.0)
    v = np.maximum(np.floor(v_total - v_edge + 1e-9), 0.0)
    return h, v


def problem_from_placement(
    design: Design | Netlist,
    placement: Placement | None = None,
    *,
    settings: PlcSettings | None = None,
    grid: int = DEFAULT_GRID,
    include_std_cells: bool = False,
) -> RoutingProblem:
    """The routing problem of a placement (see the module docstring for the model).

    Args:
        design: A :class:`netlists.Design` (its netlist, placement and ``.plc``) or a netlist.
        placement: The placement to route; default: the design's own.
        settings: ``.plc`` settings; default: the design's (None for a bare netlist).
        grid: Gcells per side for designs without a ``.plc`` grid.
        include_std_cells: Also route the pins of placed standard cells.

    Returns:
        A two-layer :class:`RoutingProblem` named after the netlist.

    Raises:
        ValueError: No placement was given for a bare netlist.
        InvalidRoutingProblemError: A negative routing supply or an inconsistent problem.
    """
    if isinstance(design, Design):
        netlist = design.netlist
        placement = design.placement if placement is None else placement
        settings = design.plc if settings is None else settings
    else:
        netlist = design
    if placement is None:
        raise ValueError("problem_from_placement needs a placement for a bare netlist")
    res = routing_resources(netlist, settings, grid=grid)
    h, v = _edge_tracks(netlist, placement, res)
    g = res.grid

    kinds = [NodeKind.HARD_MACRO, NodeKind.SOFT_MACRO, NodeKind.PORT]
    if include_std_cells:
        kinds.append(NodeKind.STD_CELL)
    owners = np.asarray(netlist.pin_nodes)
    node_ok = placement.placed & np.isin(netlist.node_kinds, [int(k) for k in kinds])
    pin_ok = node_ok[owners]
    xy = placement.pin_positions(netlist)
    rows, cols = g.cell_of(xy[:, 0], xy[:, 1])  # clamped into the grid, as the proxy does
    centre_x = g.x0 + (cols + 0.5) * g.cell_width
    centre_y = g.y0 + (rows + 0.5) * g.cell_height

    nets = []
    starts, pins, weights = netlist.net_starts, netlist.net_pins, netlist.net_weights
    for net in range(len(starts) - 1):
        members = np.asarray(pins[starts[net] : starts[net + 1]])
        members = members[pin_ok[members]]
        if len(members) < 2:
            continue
        cells = np.column_stack([centre_x[members], centre_y[members], np.ones(len(members))])
        nets.append(RoutingNet(netlist.net_names[net], net, cells, max(1.0, float(weights[net]))))

    h_default, v_default, adjustments = two_layer_capacities(h, v)
    return RoutingProblem(
        nx=g.cols,
        ny=g.rows,
        vertical_capacity=(0.0, v_default),
        horizontal_capacity=(h_default, 0.0),
        min_width=(1.0, 1.0),
        min_spacing=(0.0, 0.0),
        via_spacing=(0.0, 0.0),
        origin=(g.x0, g.y0),
        tile_width=g.cell_width,
        tile_height=g.cell_height,
        nets=tuple(nets),
        adjustments=adjustments,
        name=netlist.name,
    )
