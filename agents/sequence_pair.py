"""Sequence-pair packing (Murata et al. 1995) in O(n log n) by weighted longest common subsequence.

A sequence pair is two orders of the same n blocks, ``positive`` and ``negative``. Block a lies
left of block b when a comes before b in both; a lies below b when a comes after b in
``positive`` and before b in ``negative``. Every pair of blocks is related one way or the other,
so the packing is overlap-free by construction. Packing places each block as far left and down as
those relations allow: its x is the longest path to it in the horizontal constraint graph, which
equals a weighted longest common subsequence of the two orders (Tang, Tian and Wong, DATE 2000).
:func:`pack` computes it with a prefix-maximum Fenwick tree, O(n log n); :func:`pack_naive` is
the O(n^2) constraint-graph version that the tests hold it to.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True)
def _pack_axis(order: np.ndarray, rank: np.ndarray, sizes: np.ndarray, out: np.ndarray) -> float:
    """Lower-left coordinates along one axis: visiting blocks in ``order``, each starts at the
    largest end (coordinate + size) of the blocks visited before it with a smaller ``rank``;
    returns the extent. A Fenwick tree over ranks keeps the prefix maxima of those ends."""
    n = len(order)
    tree = np.zeros(n + 1)
    extent = 0.0
    for b in order:
        i = rank[b]  # 0-based; the tree is 1-based, so blocks of rank < rank[b] are 1..i
        best = 0.0
        while i > 0:
            if tree[i] > best:
                best = tree[i]
            i -= i & -i
        out[b] = best
        end = best + sizes[b]
        if end > extent:
            extent = end
        i = rank[b] + 1
        while i <= n:
            if end > tree[i]:
                tree[i] = end
            i += i & -i
    return extent


def pack(
    positive: np.ndarray, negative: np.ndarray, widths: np.ndarray, heights: np.ndarray
) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Lower-left corners of the packed blocks and the packing's width and height.

    Args:
        positive: (n,) the blocks 0..n-1 in the positive order.
        negative: (n,) the same blocks in the negative order.
        widths: (n,) block widths.
        heights: (n,) block heights.

    Returns:
        (n,) x, (n,) y of each block's lower-left corner (from 0), the width and the height.
    """
    n = len(positive)
    rank = np.empty(n, dtype=np.int64)
    rank[negative] = np.arange(n)
    x = np.empty(n)
    y = np.empty(n)
    width = _pack_axis(positive.astype(np.int64), rank, widths.astype(np.float64), x)
    # Below-of: after in positive, before in negative, so y visits positive in reverse.
    height = _pack_axis(positive[::-1].astype(np.int64), rank, heights.astype(np.float64), y)
    return x, y, width, height


def pack_naive(
    positive: np.ndarray, negative: np.ndarray, widths: np.ndarray, heights: np.ndarray
) -> tuple[np.ndarray, np.ndarray, float, float]:
    """:func:`pack` by longest paths in the two constraint graphs, O(n^2) (the tests' golden)."""
    n = len(positive)
    pos = np.empty(n, dtype=np.int64)
    neg = np.empty(n, dtype=np.int64)
    pos[positive] = np.arange(n)
    neg[negative] = np.arange(n)
    x = np.zeros(n)
    y = np.zeros(n)
    for b in positive:  # left-of predecessors come earlier in positive
        for a in range(n):
            if pos[a] < pos[b] and neg[a] < neg[b]:
                x[b] = max(x[b], x[a] + widths[a])
    for b in positive[::-1]:  # below-of predecessors come later in positive
        for a in range(n):
            if pos[a] > pos[b] and neg[a] < neg[b]:
                y[b] = max(y[b], y[a] + heights[a])
    width = float(np.max(x + widths)) if n else 0.0
    height = float(np.max(y + heights)) if n else 0.0
    return x, y, width, height
