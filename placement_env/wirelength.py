"""Wirelength: weighted half-perimeter wirelength (HPWL), the macro-only HPWL of protocol MH, and a
rectilinear Steiner tree estimate.

A pin sits at its owner's centre plus its offset rotated by the owner's orientation
(:meth:`netlists.Placement.pin_positions`). Only pins whose owner is placed count; a net with fewer
than two counted pins contributes nothing. All lengths are microns.
"""

from __future__ import annotations

import numba
import numpy as np

from netlists import Netlist, NodeKind, Placement
from netlists.types import ORIENTATION_MATRICES


def weighted_sum(weights: np.ndarray, values: np.ndarray) -> float:
    """``sum(weights * values)`` in numpy's pairwise order, the same for any BLAS thread count.

    A BLAS dot product splits a long vector among its threads, so its last bits change with
    the thread count (Ray workers run with ``OMP_NUM_THREADS=1``); the metrics must not.
    """
    return float(np.sum(np.multiply(weights, values)))


def _entry_positions(netlist: Netlist, placement: Placement) -> np.ndarray:
    """(n_entries, 2) position of every (net, pin) incidence."""
    return placement.pin_positions(netlist)[netlist.arrays.entry_pin]


def segment_bounds(
    values: np.ndarray, keep: np.ndarray, net_ids: np.ndarray, n_nets: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-net minimum and maximum of ``values`` over the kept incidences.

    ``net_ids`` must be sorted (the CSR order of :class:`netlists.NetlistArrays`), so each net's
    kept entries form one run and ``reduceat`` does the work in a single pass.

    Returns:
        (n_nets, d) minima, (n_nets, d) maxima (``inf`` / ``-inf`` for nets with no kept entry),
        and (n_nets,) kept counts.
    """
    ids = net_ids[keep]
    counts = np.bincount(ids, minlength=n_nets)
    low = np.full((n_nets, values.shape[1]), np.inf)
    high = np.full((n_nets, values.shape[1]), -np.inf)
    present = np.flatnonzero(counts)
    if len(present):
        kept = values[keep]
        starts = np.concatenate(([0], np.cumsum(counts[present])[:-1]))
        low[present] = np.minimum.reduceat(kept, starts, axis=0)
        high[present] = np.maximum.reduceat(kept, starts, axis=0)
    return low, high, counts


def net_hpwl(
    netlist: Netlist, placement: Placement, *, entry_mask: np.ndarray | None = None
) -> np.ndarray:
    """(n_nets,) unweighted HPWL of every net (microns).

    Args:
        netlist: The design.
        placement: Where its nodes are; pins of unplaced owners are ignored.
        entry_mask: Optional (n_entries,) bool over ``netlist.arrays`` incidences to count; the
            default counts every pin of a placed owner.

    Complexity: O(n_entries) with numpy ufunc reductions.
    """
    placement.check_matches(netlist)
    arrays = netlist.arrays
    keep = placement.placed[arrays.entry_node]
    if entry_mask is not None:
        keep = keep & entry_mask
    low, high, counts = segment_bounds(
        _entry_positions(netlist, placement), keep, arrays.entry_net, netlist.num_nets
    )
    return np.where(counts >= 2, (high - low).sum(axis=1), 0.0)


def hpwl(netlist: Netlist, placement: Placement) -> float:
    """Net-weighted HPWL: the sum over nets of weight x (bbox width + bbox height), microns."""
    return weighted_sum(netlist.net_weights, net_hpwl(netlist, placement))


@numba.njit(cache=True)
def hpwl_kernel(
    positions: np.ndarray,
    orientations: np.ndarray,
    placed: np.ndarray,
    net_starts: np.ndarray,
    entry_node: np.ndarray,
    entry_offset: np.ndarray,
    weights: np.ndarray,
    matrices: np.ndarray,
) -> float:  # pragma: no cover - jitted
    """:func:`hpwl` of nodes at ``positions`` turned by ``orientations`` (codes), counting the
    pins of ``placed`` owners; the rest are the netlist's CSR arrays (see :class:`HpwlKernel`)
    and the (8, 2, 2) orientation matrices."""
    total = 0.0
    for net in range(len(net_starts) - 1):
        low_x = low_y = np.inf
        high_x = high_y = -np.inf
        count = 0
        for e in range(net_starts[net], net_starts[net + 1]):
            node = entry_node[e]
            if not placed[node]:
                continue
            turn = matrices[orientations[node]]
            dx, dy = entry_offset[e, 0], entry_offset[e, 1]
            x = positions[node, 0] + turn[0, 0] * dx + turn[0, 1] * dy
            y = positions[node, 1] + turn[1, 0] * dx + turn[1, 1] * dy
            low_x, high_x = min(low_x, x), max(high_x, x)
            low_y, high_y = min(low_y, y), max(high_y, y)
            count += 1
        if count >= 2:
            total += weights[net] * ((high_x - low_x) + (high_y - low_y))
    return total


class HpwlKernel:
    """:func:`hpwl` of one netlist for many placements, compiled and without
    :class:`netlists.Placement` objects: for searches that score every move from scratch (a
    sequence-pair move shifts most blocks). Equal to :func:`hpwl` up to the summation order
    (relative 1e-12); the tests hold it to :func:`hpwl`."""

    def __init__(self, netlist: Netlist) -> None:
        arrays = netlist.arrays
        #: The netlist's arrays in :func:`hpwl_kernel`'s order after the placement's three.
        self.static = (
            arrays.net_starts.astype(np.int64),
            arrays.entry_node.astype(np.int64),
            np.ascontiguousarray(arrays.entry_offset, dtype=np.float64),
            np.ascontiguousarray(netlist.net_weights, dtype=np.float64),
            ORIENTATION_MATRICES.astype(np.float64),
        )

    def __call__(
        self, positions: np.ndarray, orientations: np.ndarray, placed: np.ndarray
    ) -> float:
        """Net-weighted HPWL (microns) of nodes at ``positions`` (n_nodes, 2) turned by
        ``orientations`` (n_nodes,) codes; only pins of ``placed`` (n_nodes,) owners count."""
        return float(
            hpwl_kernel(
                np.ascontiguousarray(positions, dtype=np.float64),
                orientations.astype(np.int64),
                placed.astype(np.bool_),
                *self.static,
            )
        )


def macro_net_mask(netlist: Netlist) -> tuple[np.ndarray, np.ndarray]:
    """The nets and incidences of protocol MH.

    Returns:
        (n_nets,) bool, True for nets with at least two pins on hard macros, and (n_entries,)
        bool, True for the hard-macro incidences of those nets.
    """
    arrays = netlist.arrays
    on_macro = netlist.node_kinds[arrays.entry_node] == NodeKind.HARD_MACRO
    per_net = np.bincount(arrays.entry_net[on_macro], minlength=netlist.num_nets)
    nets = per_net >= 2
    return nets, on_macro & nets[arrays.entry_net]


def macro_hpwl(netlist: Netlist, placement: Placement) -> float:
    """Protocol MH (MaskPlace / WireMask-BBO / EfficientPlace): HPWL over the nets with at least
    two hard-macro pins, counting only those pins (macro centre plus offset); standard cells and
    pads are ignored. Net weights apply (they are 1 in the ICCAD04 designs). Microns."""
    nets, entries = macro_net_mask(netlist)
    per_net = net_hpwl(netlist, placement, entry_mask=entries)
    return weighted_sum(netlist.net_weights[nets], per_net[nets])


@numba.njit(cache=True)
def _rectilinear_mst(xs: np.ndarray, ys: np.ndarray) -> float:  # pragma: no cover - jitted
    """Length of a rectilinear minimum spanning tree over the points (Prim, O(k^2))."""
    k = len(xs)
    if k < 2:
        return 0.0
    in_tree = np.zeros(k, dtype=np.bool_)
    best = np.abs(xs - xs[0]) + np.abs(ys - ys[0])
    in_tree[0] = True
    total = 0.0
    for _ in range(k - 1):
        nxt = -1
        nearest = np.inf
        for i in range(k):
            if not in_tree[i] and best[i] < nearest:
                nearest = best[i]
                nxt = i
        total += nearest
        in_tree[nxt] = True
        for i in range(k):
            d = abs(xs[i] - xs[nxt]) + abs(ys[i] - ys[nxt])
            if d < best[i]:
                best[i] = d
    return total


@numba.njit(cache=True)
def _steiner_kernel(xs: np.ndarray, ys: np.ndarray) -> float:  # pragma: no cover - jitted
    """min(RMST, best single-trunk tree) for one net with more than three pins."""
    trunk_v = ys.max() - ys.min() + np.abs(xs - np.median(xs)).sum()
    trunk_h = xs.max() - xs.min() + np.abs(ys - np.median(ys)).sum()
    return min(_rectilinear_mst(xs, ys), trunk_v, trunk_h)


@numba.njit(cache=True)
def _steiner_nets(
    xs: np.ndarray, ys: np.ndarray, starts: np.ndarray, nets: np.ndarray, out: np.ndarray
) -> None:  # pragma: no cover - jitted
    for j in nets:
        out[j] = _steiner_kernel(xs[starts[j] : starts[j + 1]], ys[starts[j] : starts[j + 1]])


def steiner_length(points: np.ndarray) -> float:
    """Rectilinear Steiner tree length estimate for one net's pins (microns).

    Exact for up to three distinct pins (the half perimeter of the bounding box). Beyond that,
    the shorter of a rectilinear minimum spanning tree and the best single-trunk tree (a trunk
    through the median, one stub per pin): never below the HPWL and never above the RMST, itself
    at most 1.5 x the optimum.
    """
    points = np.unique(np.asarray(points, dtype=np.float64).reshape(-1, 2), axis=0)
    if len(points) <= 3:
        return float(np.ptp(points[:, 0]) + np.ptp(points[:, 1])) if len(points) > 1 else 0.0
    return float(_steiner_kernel(points[:, 0].copy(), points[:, 1].copy()))


def net_steiner(netlist: Netlist, placement: Placement) -> np.ndarray:
    """(n_nets,) Steiner estimate of every net over the pins of placed owners (microns).

    Nets with up to three pins are exactly their HPWL; larger nets run through a compiled loop.
    Duplicate pin positions are harmless (a zero-length MST edge).
    """
    placement.check_matches(netlist)
    arrays = netlist.arrays
    keep = placement.placed[arrays.entry_node]
    lengths = net_hpwl(netlist, placement)
    kept_net = arrays.entry_net[keep]
    counts = np.bincount(kept_net, minlength=netlist.num_nets)
    large = np.flatnonzero(counts > 3)
    if len(large):
        positions = _entry_positions(netlist, placement)[keep]
        starts = np.zeros(netlist.num_nets + 1, dtype=np.int64)
        np.cumsum(counts, out=starts[1:])
        _steiner_nets(positions[:, 0].copy(), positions[:, 1].copy(), starts, large, lengths)
    return lengths


def steiner_wirelength(netlist: Netlist, placement: Placement) -> float:
    """Net-weighted Steiner wirelength estimate (microns)."""
    return weighted_sum(netlist.net_weights, net_steiner(netlist, placement))
