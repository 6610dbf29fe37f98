"""Independent checks of a routing result, in plain Python (slow; for tests and audits).

:func:`recount` recomputes usage, overflow, wirelength and vias from the routes alone;
:func:`check_routes` checks that every route stays in the grid, moves one gcell edge at a time,
joins its connection's ends, and that each net's routes join all of its pin gcells.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from placement_env.routing.problem import RoutingProblem
from placement_env.routing.router import RoutingResult

__all__ = ["InvalidRouteError", "Recount", "check_routes", "recount"]


class InvalidRouteError(ValueError):
    """A route leaves the grid, skips an edge, misses its ends or leaves a net disconnected."""


@dataclass(frozen=True)
class Recount:
    """Metrics recomputed from the routes (definitions as in :mod:`.router`).

    Attributes:
        h_usage: ``(nx - 1, ny)`` tracks on horizontal edges.
        v_usage: ``(nx, ny - 1)`` tracks on vertical edges.
        total_overflow: Sum of edge overflows (tracks).
        max_overflow: Largest edge overflow (tracks).
        overflowed_edges: Edges over capacity.
        wirelength: Gcell edges crossed.
        wirelength_um: Microns (H edges x tile width + V edges x tile height).
        vias: Bends plus connection ends left vertically.
    """

    h_usage: np.ndarray  # (nx - 1, ny)
    v_usage: np.ndarray  # (nx, ny - 1)
    total_overflow: float
    max_overflow: float
    overflowed_edges: int
    wirelength: int
    wirelength_um: float
    vias: int


def recount(problem: RoutingProblem, result: RoutingResult) -> Recount:
    """Recount usage, overflow, wirelength and vias of ``result`` edge by edge."""
    nx, ny = problem.nx, problem.ny
    h_usage = np.zeros((nx - 1, ny))
    v_usage = np.zeros((nx, ny - 1))
    h_edges = v_edges = vias = 0
    for path, demand in zip(result.paths, result.connections.demand, strict=True):
        steps = []
        for (xa, ya), (xb, yb) in zip(path[:-1].tolist(), path[1:].tolist(), strict=True):
            if ya == yb:
                h_usage[min(xa, xb), ya] += demand
                h_edges += 1
                steps.append("H")
            else:
                v_usage[xa, min(ya, yb)] += demand
                v_edges += 1
                steps.append("V")
        vias += sum(a != b for a, b in zip(steps[:-1], steps[1:], strict=True))
        if steps:
            vias += (steps[0] == "V") + (steps[-1] == "V")
    h_cap, v_cap = problem.tracks_2d()
    overflow = [max(0.0, u - c) for u, c in zip(h_usage.ravel(), np.ravel(h_cap), strict=True)]
    overflow += [max(0.0, u - c) for u, c in zip(v_usage.ravel(), np.ravel(v_cap), strict=True)]
    return Recount(
        h_usage=h_usage,
        v_usage=v_usage,
        total_overflow=float(sum(overflow)),
        max_overflow=float(max(overflow, default=0.0)),
        overflowed_edges=sum(o > 0 for o in overflow),
        wirelength=h_edges + v_edges,
        wirelength_um=h_edges * problem.tile_width + v_edges * problem.tile_height,
        vias=vias,
    )


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
