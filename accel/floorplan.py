"""A hand-made reference floor plan of the inference (TPUv1-like) chip: the "human expert".

It follows the arrangement of the TPUv1 die plot: the unified buffer on the left of the top row
and, pitch-matched to it, the matrix unit on the right with the weight FIFO above it and the
systolic data setup between the two; the accumulators below the matrix unit and the activation
pipeline below them; host interface and control under the buffer; DDR3 PHYs on the west and east
edges, PCIe on the south edge. Blocks abut along their wide buses, so only the pipelined buses
(DRAM, PCIe, control) cross the die. Units: microns.
"""

from __future__ import annotations

import numpy as np

from accel.chip import GAP_UM
from netlists import Design, Netlist, Placement


def _sizes(netlist: Netlist, prefix: str) -> list[tuple[str, float, float]]:
    """(name, width, height) of the macros whose name is ``prefix`` or ``prefix.t<i>``."""
    found = []
    for i, name in enumerate(netlist.node_names):
        if name == prefix or name.startswith(prefix + ".t"):
            w, h = netlist.node_sizes[i]
            found.append((name, float(w), float(h)))
    return sorted(found, key=lambda item: int(item[0].rsplit(".t", 1)[1]) if ".t" in item[0] else 0)


def reference_placement(design: Design) -> Placement:
    """The reference floor plan of an inference-architecture chip built by ``build_chip``.

    Works for one core and any ``tiles``; the fixed I/O keeps its positions from ``design``.

    Raises:
        ValueError: The design is not a single-core inference chip from :func:`build_chip`.
    """
    netlist = design.netlist
    names = set(netlist.node_names)
    if not {"ctrl", "sds", "act", "host_if"} <= names:
        raise ValueError(
            "design: the reference floor plan needs a single-core inference chip "
            "(blocks ub, sds, mxu, acc, act, ctrl, host_if)"
        )
    side = netlist.canvas.width
    fixed = np.flatnonzero(netlist.node_fixed)
    pos, size = design.placement.positions, netlist.node_sizes
    # Strips on the west edge touch x = 0; on the south edge, y = 0.
    io_depth = max(
        (
            float(size[i][0])
            for i in fixed
            if abs(pos[i][0] - size[i][0] / 2) < 1 and size[i][1] > size[i][0]
        ),
        default=0.0,
    )
    south_depth = max(
        (
            float(size[i][1])
            for i in fixed
            if abs(pos[i][1] - size[i][1] / 2) < 1 and size[i][0] > size[i][1]
        ),
        default=0.0,
    )

    centres: dict[str, tuple[float, float]] = {}
    top = side - GAP_UM
    x = io_depth + GAP_UM
    ub = _sizes(netlist, "ub")
    ub_width = ub[0][1]
    y = top
    for name, w, h in ub:  # banks stacked downwards
        centres[name] = (x + w / 2, y - h / 2)
        y -= h
    ub_bottom = y
    x += ub_width + GAP_UM
    _, sds_w, sds_h = _sizes(netlist, "sds")[0]
    centres["sds"] = (x + sds_w / 2, top - sds_h / 2)
    x += sds_w + GAP_UM
    y = top
    for block in ("wfifo", "mxu", "acc", "act"):
        pieces = _sizes(netlist, block)
        if not pieces:
            continue
        column_x = x
        for name, w, h in pieces:  # column strips side by side
            centres[name] = (column_x + w / 2, y - h / 2)
            column_x += w
        y -= pieces[0][2]
    _, host_w, host_h = _sizes(netlist, "host_if")[0]
    _, ctrl_w, ctrl_h = _sizes(netlist, "ctrl")[0]
    left = io_depth + GAP_UM
    centres["host_if"] = (left + host_w / 2, south_depth + GAP_UM + host_h / 2)
    ctrl_right = left + ub_width
    centres["ctrl"] = (ctrl_right - ctrl_w / 2, ub_bottom - GAP_UM - ctrl_h / 2)

    positions = design.placement.positions.copy()
    for name, centre in centres.items():
        positions[netlist.index_of(name)] = centre
    placed = np.ones(netlist.num_nodes, dtype=bool)
    return Placement(positions, np.zeros(netlist.num_nodes, dtype=np.int8), placed)


def reference_design(design: Design) -> Design:
    """``design`` with its placement replaced by :func:`reference_placement`."""
    return Design(design.netlist, reference_placement(design), plc=design.plc, source=design.source)


def packed_placement(design: Design) -> Placement:
    """A simple legal placement of any chip from ``build_chip``: shelves inside the I/O ring.

    Movable macros are sorted by height and packed left to right in rows (shelves) between the
    edge strips; the fixed I/O keeps its positions. It is a legal starting point, not a good
    floor plan.

    Raises:
        ValueError: The macros do not fit between the I/O strips.
    """
    netlist = design.netlist
    side = netlist.canvas.width
    pos, size = design.placement.positions, netlist.node_sizes
    fixed = np.flatnonzero(netlist.node_fixed)

    def depth(edge: str) -> float:
        found = [0.0]
        for i in fixed:
            (x, y), (w, h) = pos[i], size[i]
            touches = {
                "W": abs(x - w / 2) < 1 and h > w,
                "E": abs(x + w / 2 - side) < 1 and h > w,
                "S": abs(y - h / 2) < 1 and w > h,
                "N": abs(y + h / 2 - side) < 1 and w > h,
            }[edge]
            if touches:
                found.append(float(w if edge in ("W", "E") else h))
        return max(found)

    x_min, x_max = depth("W") + GAP_UM, side - depth("E") - GAP_UM
    y_min, y_max = depth("S") + GAP_UM, side - depth("N") - GAP_UM
    positions = pos.copy()
    movable = [int(i) for i in np.flatnonzero(~netlist.node_fixed)]
    movable.sort(key=lambda i: -size[i][1])
    x, y, shelf = x_min, y_min, 0.0
    for i in movable:
        w, h = size[i]
        if x + w > x_max:
            x, y, shelf = x_min, y + shelf + GAP_UM, 0.0
        if x + w > x_max or y + h > y_max:
            raise ValueError(
                f"design: the macros do not fit inside the I/O ring of {netlist.name!r}; "
                "lower utilisation (allowed range (0, 1])"
            )
        positions[i] = (x + w / 2, y + h / 2)
        x += w + GAP_UM
        shelf = max(shelf, h)
    placed = np.ones(netlist.num_nodes, dtype=bool)
    return Placement(positions, np.zeros(netlist.num_nodes, dtype=np.int8), placed)
