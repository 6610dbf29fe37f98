"""Synthetic global-routing problems, in the style of Liao et al.'s ISPD 2008 problem generator.

Liao et al. (arXiv 1906.08809) train and test a routing agent on small generated problems:
a square two-layer grid, ``num_nets`` nets of 2 to ``max_pins`` pins drawn uniformly over the
grid, one default capacity per edge, and a few edges with reduced capacity. :func:`generate`
builds such a problem from a :class:`SyntheticConfig` and a seed; :func:`generate_connections`
builds larger problems with a given number of two-pin connections (the 10,000-connection
benchmark) from nets whose pins lie in a window, so that demand stays routable.

All problems are unit-tile two-layer problems (:meth:`RoutingProblem.two_layer`), deterministic
for a seed (``numpy.random.default_rng(seed)``; a ``Generator`` may be passed instead).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from placement_env.routing.decompose import connection_count
from placement_env.routing.problem import RoutingProblem


@dataclass(frozen=True)
class SyntheticConfig:
    """Parameters of a Liao-style synthetic problem (all counts; capacities in tracks).

    Attributes:
        grid: Gcells per side (the grid is ``grid x grid``).
        num_nets: Number of nets.
        max_pins: Most pins of a net; each net draws its pin count uniformly in
            ``[min_pins, max_pins]`` (distinct gcells).
        capacity: Default tracks of every horizontal and every vertical gcell edge.
        reduced_edges: Number of distinct edges (horizontal or vertical, uniformly) whose capacity
            is set to ``reduced_capacity``.
        reduced_capacity: Tracks of a reduced edge.
        min_pins: Fewest pins of a net (at least 2).
    """

    grid: int = 8
    num_nets: int = 20
    max_pins: int = 5
    capacity: int = 4
    reduced_edges: int = 3
    reduced_capacity: int = 1
    min_pins: int = 2

    def __post_init__(self) -> None:
        if self.grid < 2:
            raise ValueError(f"grid must be >= 2, got {self.grid}")
        if not 2 <= self.min_pins <= self.max_pins <= self.grid * self.grid:
            raise ValueError(
                f"need 2 <= min_pins <= max_pins <= grid**2, got min_pins={self.min_pins}, "
                f"max_pins={self.max_pins}, grid={self.grid}"
            )
        if self.num_nets < 1:
            raise ValueError(f"num_nets must be >= 1, got {self.num_nets}")
        if self.capacity < 0 or self.reduced_capacity < 0:
            raise ValueError("capacities must be >= 0")
        n_edges = 2 * self.grid * (self.grid - 1)
        if not 0 <= self.reduced_edges <= n_edges:
            raise ValueError(f"reduced_edges must be in [0, {n_edges}], got {self.reduced_edges}")


def _rng(seed: int | np.random.Generator) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def _tracks(
    nx: int,
    ny: int,
    capacity: int,
    reduced_edges: int,
    reduced_capacity: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    h = np.full((nx - 1, ny), capacity, dtype=np.int64)
    v = np.full((nx, ny - 1), capacity, dtype=np.int64)
    # One index space over all edges: horizontal first, then vertical.
    chosen = rng.choice(h.size + v.size, size=reduced_edges, replace=False)
    for index in np.sort(chosen):
        if index < h.size:
            h.flat[index] = reduced_capacity
        else:
            v.flat[index - h.size] = reduced_capacity
    return h, v


def _distinct_cells(rng: np.random.Generator, k: int, x0: int, y0: int, w: int, h: int):
    flat = rng.choice(w * h, size=k, replace=False)
    return np.column_stack([x0 + flat % w, y0 + flat // w]).astype(np.int64)


def generate(config: SyntheticConfig, seed: int | np.random.Generator = 0) -> RoutingProblem:
    """A Liao-style synthetic two-layer problem.

    Args:
        config: Grid, nets, pins and capacities.
        seed: An int seed or a ``numpy.random.Generator`` (drawn from, not copied).

    Returns:
        The problem; nets are named ``n0, n1, ...`` and pins sit at gcell centres on layer 1.
        The name records the configuration and the seed (when an int).
    """
    rng = _rng(seed)
    g = config.grid
    nets = []
    for index in range(config.num_nets):
        k = int(rng.integers(config.min_pins, config.max_pins + 1))
        nets.append((f"n{index}", _distinct_cells(rng, k, 0, 0, g, g)))
    h, v = _tracks(g, g, config.capacity, config.reduced_edges, config.reduced_capacity, rng)
    label = seed if isinstance(seed, int | np.integer) else "rng"
    name = f"synthetic-{g}x{g}-n{config.num_nets}-p{config.max_pins}-c{config.capacity}-s{label}"
    return RoutingProblem.two_layer(h, v, nets, name=name)


def generate_connections(
    grid: int = 64,
    connections: int = 10_000,
    *,
    capacity: int = 16,
    max_pins: int = 5,
    window: int | None = None,
    reduced_edges: int = 0,
    reduced_capacity: int = 1,
    seed: int | np.random.Generator = 0,
) -> RoutingProblem:
    """A ``grid x grid`` two-layer problem with exactly ``connections`` two-pin connections.

    A net of ``k`` distinct pins is ``k - 1`` connections once decomposed (three through its
    Steiner point for most three-pin nets: :func:`~placement_env.routing.decompose.
    connection_count`); nets draw ``k`` uniformly in ``[2, max_pins]`` (the last net is cut to
    hit the target) and
    place their pins in a random ``window x window`` square, so wire length stays local the way
    it does in a placed design.

    Args:
        grid: Gcells per side.
        connections: Two-pin connections wanted (at least 1).
        capacity: Default tracks per edge.
        max_pins: Most pins of a net.
        window: Side of the square a net's pins are drawn in (default ``max(4, grid // 8)``).
        reduced_edges: Edges whose capacity becomes ``reduced_capacity``.
        reduced_capacity: Tracks of a reduced edge.
        seed: An int seed or a ``numpy.random.Generator``.
    """
    if connections < 1:
        raise ValueError(f"connections must be >= 1, got {connections}")
    if grid < 2 or max_pins < 2:
        raise ValueError("grid and max_pins must be >= 2")
    rng = _rng(seed)
    window = min(grid, max(4, grid // 8) if window is None else int(window))
    if window < 2:
        raise ValueError(f"window must be >= 2, got {window}")
    max_pins = min(max_pins, window * window)
    nets, left = [], connections
    while left > 0:
        k = min(int(rng.integers(2, max_pins + 1)), left + 1)
        x0, y0 = (int(v) for v in rng.integers(0, grid - window + 1, size=2))
        cells = _distinct_cells(rng, k, x0, y0, window, window)
        if connection_count(cells) > left:  # a three-pin Steiner star needs 3; 2 are left
            cells = cells[:2]
        nets.append((f"n{len(nets)}", cells))
        left -= connection_count(cells)
    h, v = _tracks(grid, grid, capacity, reduced_edges, reduced_capacity, rng)
    label = seed if isinstance(seed, int | np.integer) else "rng"
    name = f"synthetic-{grid}x{grid}-c{connections}-cap{capacity}-s{label}"
    return RoutingProblem.two_layer(h, v, nets, name=name)
