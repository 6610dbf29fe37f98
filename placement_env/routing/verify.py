"""Checks of a routing result: legal routes that connect every net, and metrics recounted.

:func:`recount` rescores a :class:`RoutingResult` from its paths alone by
:func:`~placement_env.routing.metrics.route_metrics` (the package's one metric definition);
:func:`check_routes` checks, in plain Python, that every route stays in the grid, moves one gcell
edge at a time, joins its connection's ends, and that each net's routes join all of its pin
gcells.
"""

from __future__ import annotations

import numpy as np

from placement_env.routing.metrics import RouteMetrics, route_metrics
from placement_env.routing.problem import RoutingProblem
from placement_env.routing.router import RoutingResult

__all__ = ["InvalidRouteError", "Recount", "check_routes", "recount"]

#: What :func:`recount` returns (kept as a name for older callers).
Recount = RouteMetrics


class InvalidRouteError(ValueError):
    """A route leaves the grid, skips an edge, misses its ends or leaves a net disconnected."""


def recount(problem: RoutingProblem, result: RoutingResult) -> RouteMetrics:
    """Usage, overflow, wirelength and vias of ``result``, recomputed from its paths."""
    return route_metrics(problem, result.connections.net, result.paths)


def check_routes(problem: RoutingProblem, result: RoutingResult) -> None:
    """Check that the routes are legal and connect every net.

    Raises:
        InvalidRouteError: The first problem found, naming the connection or net.
    """
    conns = result.connections
    if len(result.paths) != len(conns):
        raise InvalidRouteError(f"{len(result.paths)} routes for {len(conns)} connections")
    cells_of_net: dict[int, set] = {}
    links_of_net: dict[int, list] = {}
    for c, path in enumerate(result.paths):
        net = int(conns.net[c])
        cells = [tuple(cell) for cell in np.asarray(path).tolist()]
        x1, y1, x2, y2 = conns.ends[c].tolist()
        if not cells or cells[0] != (x1, y1) or cells[-1] != (x2, y2):
            raise InvalidRouteError(f"connection {c} (net {net}) does not run between its ends")
        for x, y in cells:
            if not (0 <= x < problem.nx and 0 <= y < problem.ny):
                raise InvalidRouteError(f"connection {c} (net {net}) leaves the grid at {x, y}")
        for a, b in zip(cells[:-1], cells[1:], strict=True):
            if abs(a[0] - b[0]) + abs(a[1] - b[1]) != 1:
                raise InvalidRouteError(f"connection {c} (net {net}) jumps from {a} to {b}")
        cells_of_net.setdefault(net, set()).update(cells)
        links_of_net.setdefault(net, []).extend(zip(cells[:-1], cells[1:], strict=True))
    for net in range(len(problem.nets)):
        pins = {tuple(cell) for cell in problem.net_gcells(net).tolist()}
        if len(pins) < 2:
            continue
        covered = cells_of_net.get(net, set())
        if not pins <= covered:
            raise InvalidRouteError(f"net {net}: pin gcells {sorted(pins - covered)} not reached")
        # Union-find over the net's route cells: all pins must share one component.
        parent = {cell: cell for cell in covered}

        def find(cell, parent=parent):
            while parent[cell] != cell:
                parent[cell] = parent[parent[cell]]
                cell = parent[cell]
            return cell

        for a, b in links_of_net[net]:
            parent[find(a)] = find(b)
        if len({find(cell) for cell in pins}) != 1:
            raise InvalidRouteError(f"net {net}: routes do not join all its pins")
