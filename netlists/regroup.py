"""Circuit Training's clean-up of a partition: break up spread-out groups, merge tiny ones.

A hypergraph partitioner groups cells by connectivity alone, so a group may hold cells from
opposite corners of the die, and some groups end up with a handful of nodes. Circuit Training's
grouper (``circuit_training/grouping/grouping.py``, Apache-2.0) repairs both after the
partitioner has run, using the flat netlist's placement; this module does the same steps:

* **Break-up.** A group whose members' bounding box is wider or taller than a threshold is cut
  into tiles of that threshold's size, centred on the group's centroid (the area-weighted mean
  of its standard cells); the members in the centre tile stay, every other tile becomes a new
  group (new ids after the largest id so far, in the order the tiles are first met in node
  order). Along an axis on which the group spans less than the threshold there is one tile.
  Groups are visited once, in ascending id; new groups are not cut again.
* **Merge.** In passes: a group of at most ``max_nodes`` nodes joins the group it shares the
  most nets with (counted from each node's net: the node's group and its sinks' groups are all
  adjacent to each other once per net), among groups whose centroid lies within a Manhattan
  distance; ties go to the lowest id. Adjacency and centroids are computed once per pass.
  Passes repeat while some merge left the receiving group small.

Circuit Training's quirks are kept where they shape the result: a group without standard cells
has its centroid at ``(0, 0)``; an unplaced standard cell counts at ``(-1, -1)``. Where its code
reads stale state inside a merge pass (a group already merged away is visited again and may
"merge" zero nodes, creating an empty group), this module skips the emptied group instead; that
changes no node's group. Nodes without a position stay in their group on break-up (Circuit
Training would fail on them).

Arrays: ``groups`` is ``(n,)`` int64, one non-negative id per node; ``xy`` is ``(n, 2)`` float64
node centres in microns, NaN where unplaced; ``is_cell`` is ``(n,)`` bool (standard cells);
``areas`` is ``(n,)`` float64 square microns (used for standard cells only).
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

__all__ = [
    "breakup_groups",
    "group_centroids",
    "merge_small_groups",
    "spread_metrics",
]


def group_centroids(
    groups: np.ndarray, xy: np.ndarray, is_cell: np.ndarray, areas: np.ndarray
) -> np.ndarray:
    """Area-weighted centroid of each group's standard cells.

    Returns:
        ``(groups.max() + 1, 2)`` float64 centroids (microns): ``(0, 0)`` for a group (or unused
        id) whose standard cells have no area; unplaced cells count at ``(-1, -1)``.
    """
    size = int(groups.max()) + 1 if len(groups) else 0
    cells = np.flatnonzero(is_cell)
    where = np.where(np.isnan(xy[cells]), -1.0, xy[cells])
    weight = areas[cells]
    total = np.bincount(groups[cells], weights=weight, minlength=size)
    sx = np.bincount(groups[cells], weights=where[:, 0] * weight, minlength=size)
    sy = np.bincount(groups[cells], weights=where[:, 1] * weight, minlength=size)
    out = np.zeros((size, 2))
    ok = total >= 1e-9
    out[ok, 0] = sx[ok] / total[ok]
    out[ok, 1] = sy[ok] / total[ok]
    return out


def _buckets(values: np.ndarray, centre: float, cut: float) -> np.ndarray:
    """Tile index of each coordinate: tiles of width ``cut``, tile 0 centred on ``centre``
    (a coordinate half a tile from the centre, or further, rounds away from it)."""
    d = (values - centre) / cut
    return np.where(d > 0, np.floor(0.5 + d), -np.floor(0.5 - d)).astype(np.int64)


def breakup_groups(
    groups: np.ndarray,
    xy: np.ndarray,
    is_cell: np.ndarray,
    areas: np.ndarray,
    threshold: float,
) -> np.ndarray:
    """Cuts every group whose bounding box spans more than ``threshold`` (see the module
    docstring).

    Args:
        groups: ``(n,)`` group ids.
        xy: ``(n, 2)`` node centres (microns; NaN when unplaced).
        is_cell: ``(n,)`` True for standard cells.
        areas: ``(n,)`` node areas (square microns).
        threshold: Largest allowed span of a group in x and in y (microns), and the tile size.

    Returns:
        New ``(n,)`` group ids (the input is not changed).
    """
    groups = np.array(groups, dtype=np.int64)
    if not len(groups):
        return groups
    centroids = group_centroids(groups, xy, is_cell, areas)
    next_id = int(groups.max()) + 1
    order = np.argsort(groups, kind="stable")
    bounds = np.searchsorted(groups[order], np.arange(next_id + 1))
    for group in range(next_id):
        members = order[bounds[group] : bounds[group + 1]]
        placed = members[~np.isnan(xy[members, 0])]
        if not len(placed):
            continue
        low, high = xy[placed].min(axis=0), xy[placed].max(axis=0)
        span = high - low
        if not (span[0] > threshold or span[1] > threshold):
            continue
        tiles = np.zeros((len(placed), 2), dtype=np.int64)
        for axis in (0, 1):
            if span[axis] >= threshold:
                tiles[:, axis] = _buckets(xy[placed, axis], centroids[group, axis], threshold)
        moved = np.flatnonzero(tiles.any(axis=1))
        new_ids: dict[tuple[int, int], int] = {}
        for row in moved.tolist():
            key = (int(tiles[row, 0]), int(tiles[row, 1]))
            if key not in new_ids:
                new_ids[key] = next_id
                next_id += 1
            groups[placed[row]] = new_ids[key]
    return groups


def merge_small_groups(
    groups: np.ndarray,
    fanout_starts: np.ndarray,
    fanout_nodes: np.ndarray,
    xy: np.ndarray,
    is_cell: np.ndarray,
    areas: np.ndarray,
    max_nodes: int,
    distance: float,
) -> np.ndarray:
    """Merges groups of at most ``max_nodes`` nodes into their most connected close neighbour,
    pass after pass (see the module docstring).

    Args:
        groups: ``(n,)`` group ids.
        fanout_starts: ``(n + 1,)`` CSR offsets into ``fanout_nodes``.
        fanout_nodes: Sinks of each node's net (for a hard macro: its pins that drive nets).
        xy: ``(n, 2)`` node centres (microns; NaN when unplaced).
        is_cell: ``(n,)`` True for standard cells.
        areas: ``(n,)`` node areas (square microns).
        max_nodes: Groups with this many nodes or fewer are merged (nodes of any type).
        distance: Largest Manhattan distance between two groups' centroids (microns).

    Returns:
        New ``(n,)`` group ids (the input is not changed).
    """
    groups = np.array(groups, dtype=np.int64)
    if not len(groups) or max_nodes <= 0:
        return groups
    owner = np.repeat(np.arange(len(groups)), np.diff(fanout_starts))
    while not _merge_pass(groups, owner, fanout_nodes, xy, is_cell, areas, max_nodes, distance):
        pass
    return groups


def _merge_pass(
    groups: np.ndarray,
    owner: np.ndarray,
    fanout_nodes: np.ndarray,
    xy: np.ndarray,
    is_cell: np.ndarray,
    areas: np.ndarray,
    max_nodes: int,
    distance: float,
) -> bool:
    """One merge pass, in place; True when no further pass can merge anything more."""
    sizes = np.bincount(groups)
    small = np.flatnonzero((sizes > 0) & (sizes <= max_nodes))
    if not len(small):
        return True
    adjacency = _small_group_adjacency(groups, owner, fanout_nodes, small, len(sizes))
    centroids = group_centroids(groups, xy, is_cell, areas)
    finished = True
    for group in small.tolist():
        if sizes[group] == 0 or sizes[group] > max_nodes:
            continue  # merged away, or grown past the limit, earlier in this pass
        best, best_count = -1, 0
        for other, count in sorted(adjacency.get(group, {}).items()):
            gap = np.abs(centroids[other] - centroids[group]).sum()
            if gap <= distance and count > best_count:
                best, best_count = other, count
        if best < 0:
            continue
        groups[groups == group] = best
        sizes[best] += sizes[group]
        sizes[group] = 0
        if sizes[best] <= max_nodes:
            finished = False
    return finished


def _small_group_adjacency(
    groups: np.ndarray,
    owner: np.ndarray,
    fanout_nodes: np.ndarray,
    small: np.ndarray,
    num_ids: int,
) -> dict[int, dict[int, int]]:
    """``adjacency[g][h]``: the number of nets (one per driving node) that touch both small group
    ``g`` and group ``h != g``; a net touches its driver's group and its sinks' groups."""
    n = len(groups)
    node = np.concatenate([np.arange(n), owner])
    group = np.concatenate([groups, groups[fanout_nodes]])
    key = np.unique(node * num_ids + group)  # distinct (node, group) pairs, by node
    node, group = key // num_ids, key % num_ids
    is_small = np.zeros(num_ids, dtype=bool)
    is_small[small] = True
    starts = np.searchsorted(node, np.arange(n + 1))
    counts: Counter[tuple[int, int]] = Counter()
    for v in np.unique(node[is_small[group]]).tolist():
        touched = group[starts[v] : starts[v + 1]].tolist()
        if len(touched) < 2:
            continue
        for g in touched:
            if is_small[g]:
                counts.update((g, h) for h in touched if h != g)
    adjacency: dict[int, dict[int, int]] = {}
    for (g, h), count in counts.items():
        adjacency.setdefault(g, {})[h] = count
    return adjacency


def spread_metrics(
    groups: np.ndarray, xy: np.ndarray, is_cell: np.ndarray, areas: np.ndarray
) -> dict[int, float]:
    """Circuit Training's spread of each non-empty group: ``sqrt(sqrt(Sx) * sqrt(Sy)) * n``,
    where ``Sx``, ``Sy`` sum the squared x and y distances of its placed standard cells from the
    centroid and ``n`` counts all its nodes (microns x nodes; 0 for a group without cells)."""
    centroids = group_centroids(groups, xy, is_cell, areas)
    size = len(centroids)
    cells = np.flatnonzero(is_cell & ~np.isnan(xy[:, 0]))
    d = xy[cells] - centroids[groups[cells]]
    sx = np.bincount(groups[cells], weights=d[:, 0] ** 2, minlength=size)
    sy = np.bincount(groups[cells], weights=d[:, 1] ** 2, minlength=size)
    sizes = np.bincount(groups, minlength=size)
    return {
        int(g): math.sqrt(math.sqrt(sx[g]) * math.sqrt(sy[g])) * int(sizes[g])
        for g in np.flatnonzero(sizes)
    }
