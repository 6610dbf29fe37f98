"""Pictures of placements: blocks coloured by kind, standard cells as dots, ports as markers."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from netlists.netlist import Netlist
from netlists.placement import Placement
from netlists.types import NodeKind

_COLOURS = {
    NodeKind.HARD_MACRO: ("#d95f02", "hard macro"),
    NodeKind.SOFT_MACRO: ("#7570b3", "soft macro"),
    NodeKind.STD_CELL: ("#1b9e77", "standard cell"),
    NodeKind.PORT: ("#e7298a", "port"),
}


def save_placement_png(
    netlist: Netlist,
    placement: Placement,
    path: str | Path,
    *,
    title: str | None = None,
    dpi: int = 120,
) -> Path:
    """Draws ``placement`` on the die and saves it as a PNG.

    Hard and soft macros are outlined rectangles (fixed ones hatched), standard cells dots (drawn
    as rectangles when there are few), ports triangles. Unplaced nodes are not drawn.

    Returns:
        The path written.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import Patch, Rectangle

    placement.check_matches(netlist)
    canvas = netlist.canvas
    footprints = placement.footprints(netlist)
    corners = placement.positions - footprints / 2
    kinds = netlist.node_kinds
    placed = placement.placed
    fig, ax = plt.subplots(
        figsize=(
            7,
            7 * max(canvas.height, 1e-9) / max(canvas.width, 1e-9)
            if canvas.width >= canvas.height
            else 7,
        )
    )
    ax.add_patch(
        Rectangle(
            (canvas.x_min, canvas.y_min),
            canvas.width,
            canvas.height,
            fill=False,
            linewidth=1.2,
            edgecolor="black",
        )
    )
    handles = []
    for kind in (NodeKind.SOFT_MACRO, NodeKind.HARD_MACRO):
        chosen = np.flatnonzero(placed & (kinds == kind))
        if not len(chosen):
            continue
        colour, label = _COLOURS[kind]
        patches = [Rectangle(tuple(corners[i]), *footprints[i]) for i in chosen]
        alpha = 0.35 if kind == NodeKind.SOFT_MACRO else 0.7
        ax.add_collection(
            PatchCollection(
                patches, facecolor=colour, edgecolor="black", linewidth=0.3, alpha=alpha
            )
        )
        fixed = [
            Rectangle(tuple(corners[i]), *footprints[i]) for i in chosen if netlist.node_fixed[i]
        ]
        if fixed:
            ax.add_collection(
                PatchCollection(
                    fixed, facecolor="none", hatch="//", edgecolor="black", linewidth=0.3
                )
            )
        handles.append(Patch(facecolor=colour, alpha=alpha, label=f"{label} ({len(chosen)})"))
    cells = np.flatnonzero(placed & (kinds == NodeKind.STD_CELL))
    if len(cells):
        colour, label = _COLOURS[NodeKind.STD_CELL]
        ax.scatter(*placement.positions[cells].T, s=0.2, c=colour, linewidths=0)
        handles.append(Patch(facecolor=colour, label=f"{label} ({len(cells)})"))
    ports = np.flatnonzero(placed & (kinds == NodeKind.PORT))
    if len(ports):
        colour, label = _COLOURS[NodeKind.PORT]
        ax.scatter(*placement.positions[ports].T, s=8, marker="^", c=colour, linewidths=0)
        handles.append(Patch(facecolor=colour, label=f"{label} ({len(ports)})"))
    low = (
        np.minimum([canvas.x_min, canvas.y_min], corners[placed].min(axis=0))
        if placed.any()
        else np.array([canvas.x_min, canvas.y_min])
    )
    high = (
        np.maximum([canvas.x_max, canvas.y_max], (corners + footprints)[placed].max(axis=0))
        if placed.any()
        else np.array([canvas.x_max, canvas.y_max])
    )
    margin = 0.02 * max(high - low)
    ax.set_xlim(low[0] - margin, high[0] + margin)
    ax.set_ylim(low[1] - margin, high[1] + margin)
    ax.set_aspect("equal")
    ax.set_xlabel("x (µm)")
    ax.set_ylabel("y (µm)")
    ax.set_title(title or netlist.name)
    if handles:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return path
