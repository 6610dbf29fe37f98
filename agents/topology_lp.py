"""The block positions of least HPWL that keep a sequence pair's relations, by linear programming.

A sequence-pair packing pushes every block left and down as far as it goes, so all the
whitespace of a fixed outline ends up on the top and right. The relations of the sequence pair
("a left of b", "a below b") leave the blocks free to slide along each axis, inside the outline,
without overlapping. The wirelength-optimal slide is a linear program, one per axis (HPWL is
separable): minimise the weighted sum over nets of (upper - lower) subject to

- lower <= pin <= upper for every pin of the net (a pin moves with its block's corner);
- corner(a) + width(a) <= corner(b) for every pair with a left of b (below, for y);
- 0 <= corner <= outline - width, and the bounds that pre-placed blocks impose.

This is the classic post-pass of topological floorplanners (the relations are fixed, so the
problem is convex). HiGHS (:func:`scipy.optimize.linprog`) solves it. Its answer is feasible only
to the solver's tolerance, so :func:`slide` packs it once more with the LP corners as floors:
every overlap the tolerance left is pushed out exactly, and the result is returned only when
that push is negligible and the HPWL improved.
"""

from __future__ import annotations

import numpy as np
import scipy.optimize
import scipy.sparse

from agents.sequence_pair import pack
from netlists import Netlist, Placement

#: Largest push (microns, relative to the outline's half perimeter) of the final re-packing.
PUSH_TOLERANCE = 1e-7


def relation_pairs(positive: np.ndarray, negative: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The (k, 2) pairs (a, b) of a sequence pair with a left of b, and those with a below b."""
    n = len(positive)
    pos = np.empty(n, dtype=np.int64)
    neg = np.empty(n, dtype=np.int64)
    pos[positive] = np.arange(n)
    neg[negative] = np.arange(n)
    before_neg = neg[:, None] < neg[None, :]
    left = np.argwhere(before_neg & (pos[:, None] < pos[None, :]))
    below = np.argwhere(before_neg & (pos[:, None] > pos[None, :]))
    return left, below


def _axis(
    pairs: np.ndarray,
    extent: np.ndarray,
    corner: np.ndarray,
    pinned: np.ndarray,
    outline: float,
    entry_block: np.ndarray,
    entry_coord: np.ndarray,
    entry_net: np.ndarray,
    weights: np.ndarray,
) -> np.ndarray | None:
    """The LP along one axis; the new corners of every block (pinned ones unchanged), or None
    when HiGHS fails. ``entry_block`` is -1 for pins of nodes that do not move."""
    n = len(extent)
    free = ~pinned
    index = np.full(n, -1)
    index[free] = np.arange(int(free.sum()))
    m = int(free.sum())
    lower = np.zeros(n)
    upper = outline - extent
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    rhs: list[np.ndarray] = []
    a, b = pairs[:, 0], pairs[:, 1]
    both = free[a] & free[b]
    # Pre-placed neighbours become bounds: a free block right of a pinned one starts after it.
    np.maximum.at(lower, b[pinned[a] & free[b]], (corner + extent)[a[pinned[a] & free[b]]])
    np.minimum.at(
        upper,
        a[free[a] & pinned[b]],
        corner[b[free[a] & pinned[b]]] - extent[a[free[a] & pinned[b]]],
    )
    k = int(both.sum())
    row = 0
    rows.append(np.repeat(np.arange(k), 2))
    cols.append(np.column_stack((index[a[both]], index[b[both]])).ravel())
    vals.append(np.tile([1.0, -1.0], k))
    rhs.append(-extent[a[both]])
    row += k
    # Nets: pins on free blocks bound the net's box variables; other pins bound them directly.
    moving = entry_block >= 0
    moving[moving] = free[entry_block[moving]]
    nets = np.unique(entry_net[moving])
    net_index = np.full(len(weights), -1)
    net_index[nets] = np.arange(len(nets))
    j = len(nets)
    upper_var = m + net_index  # U_j
    lower_var = m + j + net_index  # L_j
    e = np.flatnonzero(moving)
    blocks = index[entry_block[e]]
    offsets = entry_coord[e] - corner[entry_block[e]]
    ne = len(e)
    # corner + offset - U <= 0 and L - corner - offset <= 0
    rows.append(row + np.repeat(np.arange(ne), 2))
    cols.append(np.column_stack((blocks, upper_var[entry_net[e]])).ravel())
    vals.append(np.tile([1.0, -1.0], ne))
    rhs.append(-offsets)
    row += ne
    rows.append(row + np.repeat(np.arange(ne), 2))
    cols.append(np.column_stack((lower_var[entry_net[e]], blocks)).ravel())
    vals.append(np.tile([1.0, -1.0], ne))
    rhs.append(offsets)
    row += ne
    still = ~moving & (net_index[entry_net] >= 0)
    box_low = np.full(j, -np.inf)  # U_j >= every fixed pin
    box_high = np.full(j, np.inf)  # L_j <= every fixed pin
    np.maximum.at(box_low, net_index[entry_net[still]], entry_coord[still])
    np.minimum.at(box_high, net_index[entry_net[still]], entry_coord[still])
    matrix = scipy.sparse.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(row, m + 2 * j),
    )
    cost = np.concatenate((np.zeros(m), weights[nets], -weights[nets]))
    bounds = np.concatenate(
        (
            np.column_stack((lower[free], upper[free])),
            np.column_stack((box_low, np.full(j, np.inf))),
            np.column_stack((np.full(j, -np.inf), box_high)),
        )
    )
    bounds = np.where(np.isfinite(bounds), bounds, None)
    solution = scipy.optimize.linprog(
        cost, A_ub=matrix, b_ub=np.concatenate(rhs), bounds=bounds.tolist(), method="highs"
    )
    if solution.status != 0:
        return None
    out = corner.copy()
    out[free] = solution.x[:m]
    return out


def slide(
    netlist: Netlist,
    placement: Placement,
    blocks: np.ndarray,
    positive: np.ndarray,
    negative: np.ndarray,
    sizes: np.ndarray,
    pinned: np.ndarray,
) -> Placement | None:
    """The blocks of a sequence-pair packing slid to their least-HPWL spots inside the die.

    Args:
        netlist: The netlist whose nets count (every pin of a placed owner, as in
            :func:`placement_env.wirelength.hpwl`).
        placement: The packing, with every block placed.
        blocks: (n,) the node of each block of the sequence pair.
        positive: (n,) the positive order, over 0..n-1.
        negative: (n,) the negative order.
        sizes: (n, 2) each block's width and height as oriented.
        pinned: (n,) bool, pre-placed blocks: they keep their spots.

    Returns:
        The new placement (only the unpinned blocks move), or None when the LP fails or its
        answer, re-packed exactly, would push a pre-placed block or leave the die.
    """
    canvas = netlist.canvas
    origin = np.array([canvas.x_min, canvas.y_min])
    outline = np.array([canvas.width, canvas.height])
    corner = placement.positions[blocks] - sizes / 2 - origin
    arrays = netlist.arrays
    keep = placement.placed[arrays.entry_node]
    slot = np.full(netlist.num_nodes, -1)
    slot[blocks] = np.arange(len(blocks))
    entry_block = slot[arrays.entry_node[keep]]
    entry_coord = placement.pin_positions(netlist)[arrays.entry_pin[keep]] - origin
    entry_net = arrays.entry_net[keep]
    weights = np.asarray(netlist.net_weights, dtype=np.float64)
    # A hair inside the die, so that the solver's tolerance cannot carry a block past its edge.
    margin = 1e-6 * outline
    corners = []
    for axis, pairs in enumerate(relation_pairs(positive, negative)):
        found = _axis(pairs, sizes[:, axis], corner[:, axis], pinned, outline[axis] - margin[axis],
                      entry_block, entry_coord[:, axis], entry_net, weights)  # fmt: skip
        if found is None:
            return None
        corners.append(np.where(pinned, corner[:, axis], np.maximum(found, 0.0)))
    floors = np.column_stack(corners)
    everything = np.ones(len(blocks), dtype=np.bool_)
    x, y, width, height, _ = pack(positive, negative, sizes[:, 0], sizes[:, 1], floors, everything)
    exact = np.column_stack((x, y))
    if width > canvas.width or height > canvas.height:
        return None
    if not np.array_equal(exact[pinned], floors[pinned]):
        return None
    free = ~pinned
    return placement.with_positions(
        blocks[free], origin + exact[free] + sizes[free] / 2, placement.orientations[blocks[free]]
    )
