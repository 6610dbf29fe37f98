"""Macro legalisation: overlapping target centres -> a legal placement, moving each macro little.

Macros go largest first (``problem.local``'s order); each takes the legal position nearest its
target. Two ways to enumerate legal positions:

* ``candidates`` -- exact: the x (y) candidates are the target itself, the canvas edges and every
  position abutting a placed blocker's left/right (bottom/top) side; a candidate pair is legal when
  it overlaps no placed hard macro (a separable test, one matrix product). Packs blocks edge to
  edge, so it also handles dense designs.
* ``grid`` -- the cell centres of a fine :meth:`~agents.base.MacroProblem.grid` where
  :func:`~placement_env.incremental.position_mask` allows the macro; refined (x2, x4) on a dead end.

:func:`legalize` tries the exact method first for up to ``exact_limit`` macros, then the grids; it
raises :class:`~agents.base.PlacerError` when every attempt hits a dead end.
"""

from __future__ import annotations

import numpy as np

from agents.base import MacroProblem, PlacerError
from netlists import NodeKind, Placement
from placement_env.incremental import position_mask


def _blockers(problem: MacroProblem, placement: Placement, node: int) -> np.ndarray:
    sub = problem.sub
    hard = placement.placed & (sub.node_kinds == int(NodeKind.HARD_MACRO))
    hard[node] = False
    return np.flatnonzero(hard)


def _nearest_candidate(
    problem: MacroProblem, placement: Placement, node: int, target: np.ndarray
) -> np.ndarray | None:
    """The legal abutting/edge/target position nearest ``target``, or ``None``."""
    sub = problem.sub
    canvas = sub.canvas
    w, h = placement.footprints(sub, np.array([node]))[0]
    lo = np.array([canvas.x_min + w / 2, canvas.y_min + h / 2])
    hi = np.array([canvas.x_max - w / 2, canvas.y_max - h / 2])
    if (lo > hi + 1e-9).any():
        return None
    hi = np.maximum(lo, hi)
    others = _blockers(problem, placement, node)
    centres = placement.positions[others]
    sizes = placement.footprints(sub, others)
    target = np.clip(target, lo, hi)
    axes = []
    for a, own in enumerate((w, h)):
        cand = np.concatenate(
            (
                [target[a], lo[a], hi[a]],
                centres[:, a] - (sizes[:, a] + own) / 2,
                centres[:, a] + (sizes[:, a] + own) / 2,
            )
        )
        cand = np.unique(cand[(cand >= lo[a] - 1e-9) & (cand <= hi[a] + 1e-9)])
        axes.append(np.clip(cand, lo[a], hi[a]))
    xs, ys = axes
    eps = 1e-7 * max(canvas.width, canvas.height, 1.0)
    if len(others):
        reach = (sizes + np.array([w, h])) / 2 - eps
        ox = (np.abs(xs[:, None] - centres[None, :, 0]) < reach[None, :, 0]).astype(np.float64)
        oy = (np.abs(ys[:, None] - centres[None, :, 1]) < reach[None, :, 1]).astype(np.float64)
        free = (ox @ oy.T) == 0  # (nx, ny)
    else:
        free = np.ones((len(xs), len(ys)), dtype=bool)
    if not free.any():
        return None
    dist = np.abs(xs - target[0])[:, None] + np.abs(ys - target[1])[None, :]
    dist = np.where(free, dist, np.inf)
    i, j = np.unravel_index(int(np.argmin(dist)), dist.shape)
    return np.array([xs[i], ys[j]])


def _legalize_exact(problem: MacroProblem, targets: np.ndarray) -> Placement | None:
    current = problem.start
    for node, target in zip(problem.local, targets, strict=True):
        pos = _nearest_candidate(problem, current, int(node), target)
        if pos is None:
            return None
        current = current.with_positions([int(node)], pos[None, :])
    return current


def _legalize_grid(problem: MacroProblem, targets: np.ndarray, size: int) -> Placement | None:
    grid = problem.grid(size, max_size=max(size, 1024))
    xs, ys = grid.cell_centres()
    current = problem.start
    for node, target in zip(problem.local, targets, strict=True):
        legal = position_mask(problem.sub, current, int(node), grid)
        if not legal.any():
            return None
        dist = np.abs(ys - target[1])[:, None] + np.abs(xs - target[0])[None, :]
        cell = int(np.argmin(np.where(legal, dist, np.inf)))
        row, col = divmod(cell, grid.cols)
        current = current.with_positions([int(node)], np.array([[xs[col], ys[row]]]))
    return current


def legalize(
    problem: MacroProblem,
    targets: np.ndarray,
    grid_size: int = 128,
    exact_limit: int = 400,
    restarts: int = 64,
    rng: np.random.Generator | None = None,
) -> tuple[Placement, str]:
    """A legal sub-netlist placement with every movable macro near its target.

    Args:
        problem: The macro problem.
        targets: (m, 2) target centres of ``problem.local`` (same order).
        grid_size: Cells a side of the first grid tried.
        exact_limit: Use the exact candidate method first when there are at most this many macros.
        restarts: Random target sets tried when no packing near ``targets`` is found.
        rng: Draws those targets (default: seed 0, so the result is deterministic).

    Returns:
        The placement and which method produced it (``"exact"`` or ``"grid=<n>"``).
    """
    targets = np.asarray(targets, dtype=np.float64)
    if targets.shape != (len(problem.local), 2):
        raise PlacerError(f"targets must be ({len(problem.local)}, 2), got {targets.shape}")
    if len(problem.local) <= exact_limit:
        result = _legalize_exact(problem, targets)
        if result is not None:
            return result, "exact"
    for factor in (1, 2, 4):
        result = _legalize_grid(problem, targets, grid_size * factor)
        if result is not None:
            return result, f"grid={grid_size * factor}"
    # Dense floorplans (ami49, the TPU die): whether the greedy packing fits depends on where it
    # starts, so retry from random targets (a fixed seed keeps the result deterministic).
    rng = rng if rng is not None else np.random.default_rng(0)
    canvas = problem.netlist.canvas
    low, high = [canvas.x_min, canvas.y_min], [canvas.x_max, canvas.y_max]
    for restart in range(1, restarts + 1):
        random_targets = rng.uniform(low, high, targets.shape)
        if len(problem.local) <= exact_limit:
            result = _legalize_exact(problem, random_targets)
        else:
            result = _legalize_grid(problem, random_targets, grid_size)
        if result is not None:
            return result, f"random restart {restart}"
    raise PlacerError(
        f"design {problem.netlist.name!r}: legalisation found no legal position for some macro "
        f"(largest first, exact candidates, grids {grid_size}..{grid_size * 4} and {restarts} "
        "random restarts); the macros "
        "may not fit the die"
    )
