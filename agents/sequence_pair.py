"""Sequence-pair packing (Murata et al. 1995) in O(n log n) by weighted longest common subsequence.

A sequence pair is two orders of the same n blocks, ``positive`` and ``negative``. Block a lies
left of block b when a comes before b in both; a lies below b when a comes after b in
``positive`` and before b in ``negative``. Every pair of blocks is related one way or the other,
so the packing is overlap-free by construction. Packing places each block as far left and down as
those relations allow: its x is the longest path to it in the horizontal constraint graph, which
equals a weighted longest common subsequence of the two orders (Tang, Tian and Wong, DATE 2000).
:func:`pack` computes it with a prefix-maximum Fenwick tree, O(n log n); :func:`pack_naive` is
the O(n^2) constraint-graph version that the tests hold it to.

Pre-placed blocks (Murata et al., 1997): a block with a floor is put at its floor or, when its
predecessors push it further, further; the push is the state's *violation*, zero exactly when
every pre-placed block sits where it must. An annealer prices the violation, so that the legal
states are the packings with violation zero.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True)
def pack_axis(
    order: np.ndarray,
    rank: np.ndarray,
    sizes: np.ndarray,
    floor: np.ndarray,
    pinned: np.ndarray,
    out: np.ndarray,
) -> tuple[float, float]:
    """Lower-left coordinates along one axis: visiting blocks in ``order``, each starts at the
    largest end (coordinate + size) of the blocks visited before it with a smaller ``rank``, or
    at its ``floor`` if that is larger for a ``pinned`` block; returns the extent and the pinned
    blocks' total push past their floors. A Fenwick tree over ranks keeps the prefix maxima."""
    n = len(order)
    tree = np.zeros(n + 1)
    extent = 0.0
    violation = 0.0
    for b in order:
        i = rank[b]  # 0-based; the tree is 1-based, so blocks of rank < rank[b] are 1..i
        best = 0.0
        while i > 0:
            if tree[i] > best:
                best = tree[i]
            i -= i & -i
        if pinned[b]:
            if best > floor[b]:
                violation += best - floor[b]
            else:
                best = floor[b]
        out[b] = best
        end = best + sizes[b]
        if end > extent:
            extent = end
        i = rank[b] + 1
        while i <= n:
            if end > tree[i]:
                tree[i] = end
            i += i & -i
    return extent, violation


def pack(
    positive: np.ndarray,
    negative: np.ndarray,
    widths: np.ndarray,
    heights: np.ndarray,
    floors: np.ndarray | None = None,
    pinned: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, float, float, float]:
    """Lower-left corners of the packed blocks, the packing's size and the pre-placed push.

    Args:
        positive: (n,) the blocks 0..n-1 in the positive order.
        negative: (n,) the same blocks in the negative order.
        widths: (n,) block widths.
        heights: (n,) block heights.
        floors: (n, 2) the lower-left corner each pinned block must have (ignored elsewhere).
        pinned: (n,) bool, the pre-placed blocks (default: none).

    Returns:
        (n,) x, (n,) y of each block's lower-left corner (from 0), the width, the height and the
        violation: how far, summed over both axes, predecessors push pinned blocks past their
        floors (0 when every pinned block is where it must be).
    """
    n = len(positive)
    rank = np.empty(n, dtype=np.int64)
    rank[negative] = np.arange(n)
    if pinned is None:
        pinned = np.zeros(n, dtype=np.bool_)
    if floors is None:
        floors = np.zeros((n, 2))
    floors = np.asarray(floors, dtype=np.float64)
    x = np.empty(n)
    y = np.empty(n)
    order = positive.astype(np.int64)
    width, push_x = pack_axis(
        order, rank, widths.astype(np.float64), floors[:, 0].copy(), pinned, x
    )
    # Below-of: after in positive, before in negative, so y visits positive in reverse.
    height, push_y = pack_axis(
        order[::-1].copy(), rank, heights.astype(np.float64), floors[:, 1].copy(), pinned, y
    )
    return x, y, width, height, push_x + push_y


def pack_naive(
    positive: np.ndarray,
    negative: np.ndarray,
    widths: np.ndarray,
    heights: np.ndarray,
    floors: np.ndarray | None = None,
    pinned: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, float, float, float]:
    """:func:`pack` by longest paths in the two constraint graphs, O(n^2) (the tests' golden)."""
    n = len(positive)
    pinned = np.zeros(n, dtype=bool) if pinned is None else pinned
    floors = np.zeros((n, 2)) if floors is None else floors
    pos = np.empty(n, dtype=np.int64)
    neg = np.empty(n, dtype=np.int64)
    pos[positive] = np.arange(n)
    neg[negative] = np.arange(n)
    x = np.zeros(n)
    y = np.zeros(n)
    violation = 0.0
    for b in positive:  # left-of predecessors come earlier in positive
        for a in range(n):
            if pos[a] < pos[b] and neg[a] < neg[b]:
                x[b] = max(x[b], x[a] + widths[a])
        if pinned[b]:
            violation += max(0.0, x[b] - floors[b, 0])
            x[b] = max(x[b], floors[b, 0])
    for b in positive[::-1]:  # below-of predecessors come later in positive
        for a in range(n):
            if pos[a] > pos[b] and neg[a] < neg[b]:
                y[b] = max(y[b], y[a] + heights[a])
        if pinned[b]:
            violation += max(0.0, y[b] - floors[b, 1])
            y[b] = max(y[b], floors[b, 1])
    width = float(np.max(x + widths)) if n else 0.0
    height = float(np.max(y + heights)) if n else 0.0
    return x, y, width, height, violation
