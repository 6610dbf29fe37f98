"""The metrics of a routing: one definition for every router, env and checker of the package.

A routing is a set of gcell paths, each owned by a net (consecutive gcells are grid neighbours).
On the two-layer projection (:meth:`RoutingProblem.tracks_2d`), as ISPD 2008 scores a solution:

* **usage** of an edge: the sum, over the nets whose paths cross it, of the net's demand in tracks
  (:func:`~placement_env.routing.decompose.net_demands`; one for a default-width net). A net uses
  an edge once, however many of its paths cross it;
* **total overflow** ``sum max(0, usage - tracks)`` over the edges, **max overflow** the largest
  term and **overflowed edges** the number of positive terms;
* **wirelength**: the number of (net, edge) pairs used, i.e. gcell edges with each net's edges
  counted once; ``wirelength_um`` weighs horizontal edges by the tile width and vertical ones by
  the tile height;
* **vias** (pins sit on the horizontal layer 1, layer 2 is vertical): per path, one via per
  direction change plus one at each end that the path leaves or reaches vertically
  (:func:`path_vias`). This is the number of via segments
  :func:`placement_env.routing.ispd08.write_ispd08_solution` writes;
* **connected**: every net's pin gcells are joined by its paths.

:func:`route_metrics` computes them from flat ``(net, path)`` lists (the negotiated router's
form); :func:`evaluate_routes` from per-net lists of paths (the sequential A* and env's form).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from placement_env.routing.decompose import net_demands, pin_gcells
from placement_env.routing.problem import RoutingProblem

__all__ = [
    "RouteMetrics",
    "evaluate_routes",
    "overflow",
    "path_edges",
    "path_vias",
    "route_metrics",
]


@dataclass(frozen=True)
class RouteMetrics:
    """What a routing of a problem scores (module docstring; units: gcell edges and tracks).

    Attributes:
        h_usage: ``(nx - 1, ny)`` tracks used on each horizontal edge.
        v_usage: ``(nx, ny - 1)`` tracks used on each vertical edge.
        total_overflow: ``sum max(0, usage - tracks)`` over all edges.
        max_overflow: Largest edge overflow.
        overflowed_edges: Edges with usage above their tracks.
        wirelength: Gcell edges used, each net's edges counted once.
        vias: Vias by the rule of :func:`path_vias`, summed over paths.
        connected: Every net's pin gcells are joined by its paths.
        wirelength_um: ``wirelength`` in microns (H edges x tile width + V edges x tile height).
        solved: ``connected`` and zero total overflow.
    """

    h_usage: np.ndarray
    v_usage: np.ndarray
    total_overflow: float
    max_overflow: float
    overflowed_edges: int
    wirelength: int
    vias: int
    connected: bool
    wirelength_um: float = 0.0

    @property
    def solved(self) -> bool:
        return self.connected and self.total_overflow == 0

    def summary(self) -> dict[str, float | int | bool]:
        """The scalar metrics as a dict (for ``info`` and reports)."""
        return {
            "total_overflow": self.total_overflow,
            "max_overflow": self.max_overflow,
            "overflowed_edges": self.overflowed_edges,
            "wirelength": self.wirelength,
            "vias": self.vias,
            "connected": self.connected,
            "solved": self.solved,
        }


def path_edges(path: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The edges a gcell path crosses.

    Returns:
        ``(h, v)``: ``(a, 2)`` int64 ``(x, y)`` indices into ``h_tracks`` and ``(b, 2)`` into
        ``v_tracks``.

    Raises:
        ValueError: Two consecutive cells are not neighbours.
    """
    path = np.asarray(path, dtype=np.int64).reshape(-1, 2)
    a, b = path[:-1], path[1:]
    _check_steps(a, b)
    horizontal = a[:, 1] == b[:, 1]
    h = np.column_stack([np.minimum(a[:, 0], b[:, 0]), a[:, 1]])[horizontal]
    v = np.column_stack([a[:, 0], np.minimum(a[:, 1], b[:, 1])])[~horizontal]
    return h, v


def path_vias(path: np.ndarray) -> int:
    """Vias of one path on the two-layer model (pins on the horizontal layer 1).

    One per direction change, plus one at each end the path leaves or reaches vertically.
    """
    path = np.asarray(path, dtype=np.int64).reshape(-1, 2)
    if len(path) < 2:
        return 0
    vertical = np.diff(path, axis=0)[:, 0] == 0
    return int((vertical[1:] != vertical[:-1]).sum() + vertical[0] + vertical[-1])


def overflow(
    h_usage: np.ndarray, v_usage: np.ndarray, h_tracks: np.ndarray, v_tracks: np.ndarray
) -> tuple[float, float, int]:
    """``(total, max, number of overflowed edges)`` of usage against tracks."""
    over = np.concatenate([(h_usage - h_tracks).ravel(), (v_usage - v_tracks).ravel()])
    over = np.maximum(over, 0.0)
    return float(over.sum()), float(over.max(initial=0.0)), int((over > 0).sum())


def _check_steps(a: np.ndarray, b: np.ndarray) -> None:
    step = np.abs(b - a).sum(axis=1)
    if (step != 1).any():
        k = int(np.flatnonzero(step != 1)[0])
        raise ValueError(f"path cells {a[k].tolist()} and {b[k].tolist()} are not neighbours")


def route_metrics(
    problem: RoutingProblem, nets: Sequence[int] | np.ndarray, paths: Sequence[np.ndarray]
) -> RouteMetrics:
    """Scores gcell paths of ``problem`` (see the module docstring).

    Args:
        problem: The problem.
        nets: Per path, the index of its net in ``problem.nets``.
        paths: ``(m, 2)`` int gcell paths (any number per net, in any order).

    Raises:
        ValueError: ``nets`` and ``paths`` differ in length, or a path leaves the grid or jumps
            between cells that are not neighbours.
    """
    if len(nets) != len(paths):
        raise ValueError(f"{len(nets)} nets for {len(paths)} paths")
    nx, ny = problem.nx, problem.ny
    n_h = (nx - 1) * ny
    n_edges = n_h + nx * (ny - 1)
    nets = np.asarray(nets, dtype=np.int64).reshape(-1)
    paths = [np.asarray(p, dtype=np.int64).reshape(-1, 2) for p in paths]
    lengths = np.array([len(p) for p in paths], dtype=np.int64)
    cells = np.concatenate([np.empty((0, 2), np.int64), *paths])
    outside = (cells < 0).any(axis=1) | (cells[:, 0] >= nx) | (cells[:, 1] >= ny)
    if outside.any():
        net = int(np.repeat(nets, lengths)[np.flatnonzero(outside)[0]])
        raise ValueError(f"net {net}: a path leaves the {nx} x {ny} grid")
    # Steps: consecutive cells of one path.
    steps = np.maximum(lengths - 1, 0)
    step_path = np.repeat(np.arange(len(paths)), steps)
    first = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    within = np.arange(len(step_path)) - np.repeat(np.cumsum(steps) - steps, steps)
    ia = first[step_path] + within
    a, b = cells[ia], cells[ia + 1]
    _check_steps(a, b)
    vertical = a[:, 0] == b[:, 0]
    edge = np.where(
        vertical,
        n_h + a[:, 0] * (ny - 1) + np.minimum(a[:, 1], b[:, 1]),
        np.minimum(a[:, 0], b[:, 0]) * ny + a[:, 1],
    )
    # Each (net, edge) pair once, weighted by the net's demand.
    step_net = nets[step_path]
    used = np.unique(step_net * n_edges + edge)
    used_net, used_edge = np.divmod(used, n_edges)
    usage = np.bincount(used_edge, weights=net_demands(problem)[used_net], minlength=n_edges)
    h_usage = usage[:n_h].reshape(nx - 1, ny)
    v_usage = usage[n_h:].reshape(nx, ny - 1)
    h_tracks, v_tracks = problem.tracks_2d()
    total, worst, count = overflow(h_usage, v_usage, h_tracks, v_tracks)
    h_used = int((used_edge < n_h).sum())
    # Vias: bends inside a path, plus its first and last steps when vertical.
    bends = (vertical[1:] != vertical[:-1]) & (step_path[1:] == step_path[:-1])
    has_steps = steps > 0
    starts = (np.cumsum(steps) - steps)[has_steps]
    ends = np.cumsum(steps)[has_steps] - 1
    vias = int(bends.sum() + vertical[starts].sum() + vertical[ends].sum())
    return RouteMetrics(
        h_usage=h_usage,
        v_usage=v_usage,
        total_overflow=total,
        max_overflow=worst,
        overflowed_edges=count,
        wirelength=len(used),
        vias=vias,
        connected=_all_connected(problem, step_net, a, b),
        wirelength_um=h_used * problem.tile_width + (len(used) - h_used) * problem.tile_height,
    )


def _all_connected(
    problem: RoutingProblem, step_net: np.ndarray, a: np.ndarray, b: np.ndarray
) -> bool:
    """Whether each net's pin gcells lie in one component of the graph of its path steps."""
    gx, gy, net_start = pin_gcells(problem)
    pin_net = np.repeat(np.arange(len(problem.nets)), np.diff(net_start))
    n_cells = problem.nx * problem.ny
    pin_keys = pin_net * n_cells + gx * problem.ny + gy
    step_a = step_net * n_cells + a[:, 0] * problem.ny + a[:, 1]
    step_b = step_net * n_cells + b[:, 0] * problem.ny + b[:, 1]
    keys, index = np.unique(np.concatenate([pin_keys, step_a, step_b]), return_inverse=True)
    if len(pin_keys) == 0:
        return True
    n_pins, n_steps = len(pin_keys), len(step_a)
    graph = coo_matrix(
        (np.ones(n_steps), (index[n_pins : n_pins + n_steps], index[n_pins + n_steps :])),
        shape=(len(keys), len(keys)),
    )
    _, labels = connected_components(graph, directed=False)
    pin_labels = labels[index[:n_pins]]
    nonempty = net_start[:-1] < net_start[1:]
    lo = np.minimum.reduceat(pin_labels, net_start[:-1][nonempty])
    hi = np.maximum.reduceat(pin_labels, net_start[:-1][nonempty])
    return bool((lo == hi).all())


def evaluate_routes(
    problem: RoutingProblem, routes: Sequence[Sequence[np.ndarray]]
) -> RouteMetrics:
    """:func:`route_metrics` of per-net routes.

    Args:
        problem: The problem.
        routes: Per net of ``problem``, a sequence of ``(m, 2)`` int gcell paths.

    Raises:
        ValueError: Wrong number of nets, a path leaving the grid or jumping between cells.
    """
    if len(routes) != len(problem.nets):
        raise ValueError(f"routes has {len(routes)} entries for {len(problem.nets)} nets")
    nets = [index for index, paths in enumerate(routes) for _ in paths]
    return route_metrics(problem, nets, [path for paths in routes for path in paths])
