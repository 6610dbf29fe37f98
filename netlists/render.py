"""Pictures of placements: blocks coloured by kind, standard cells as dots, ports as markers.

:func:`draw_placement` draws onto a matplotlib axis (other pictures build on it, e.g. heat maps in
:mod:`placement_env.pictures`); :func:`save_placement_png` is the one-call PNG.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from netlists.netlist import Netlist
from netlists.placement import Placement
from netlists.types import NodeKind

#: Colour and legend label of each node kind.
COLOURS = {
    NodeKind.HARD_MACRO: ("#d95f02", "hard macro"),
    NodeKind.SOFT_MACRO: ("#7570b3", "soft macro"),
    NodeKind.STD_CELL: ("#1b9e77", "standard cell"),
    NodeKind.PORT: ("#e7298a", "port"),
}


def figure_size(netlist: Netlist, inches: float = 7.0) -> tuple[float, float]:
    """A figure size with the die's aspect ratio, the longer side ``inches`` long."""
    canvas = netlist.canvas
    aspect = max(canvas.height, 1e-9) / max(canvas.width, 1e-9)
    return (inches, inches * aspect) if aspect <= 1 else (inches / aspect, inches)


def draw_placement(ax, netlist: Netlist, placement: Placement) -> list:
    """Draws the die outline and every placed node on ``ax``; sets limits, aspect and labels.

    Hard and soft macros are outlined rectangles (fixed ones hatched), standard cells dots,
    ports triangles. Unplaced nodes are not drawn.

    Returns:
        Legend handles (one per drawn kind, with counts).
    """
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import Patch, Rectangle

    placement.check_matches(netlist)
    canvas = netlist.canvas
    footprints = placement.footprints(netlist)
    corners = placement.positions - footprints / 2
    kinds = netlist.node_kinds
    placed = placement.placed
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
        colour, label = COLOURS[kind]
        alpha = 0.35 if kind == NodeKind.SOFT_MACRO else 0.7
        patches = [Rectangle(tuple(corners[i]), *footprints[i]) for i in chosen]
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
        colour, label = COLOURS[NodeKind.STD_CELL]
        ax.scatter(*placement.positions[cells].T, s=0.2, c=colour, linewidths=0)
        handles.append(Patch(facecolor=colour, label=f"{label} ({len(cells)})"))
    ports = np.flatnonzero(placed & (kinds == NodeKind.PORT))
    if len(ports):
        colour, label = COLOURS[NodeKind.PORT]
        ax.scatter(*placement.positions[ports].T, s=8, marker="^", c=colour, linewidths=0)
        handles.append(Patch(facecolor=colour, label=f"{label} ({len(ports)})"))
    low = np.array([canvas.x_min, canvas.y_min])
    high = np.array([canvas.x_max, canvas.y_max])
    if placed.any():
        low = np.minimum(low, corners[placed].min(axis=0))
        high = np.maximum(high, (corners + footprints)[placed].max(axis=0))
    margin = 0.02 * max(high - low)
    ax.set_xlim(low[0] - margin, high[0] + margin)
    ax.set_ylim(low[1] - margin, high[1] + margin)
    ax.set_aspect("equal")
    ax.set_xlabel("x (µm)")
    ax.set_ylabel("y (µm)")
    return handles


def save_figure(fig, path: str | Path, dpi: int = 120) -> Path:
    """Saves a matplotlib figure as a PNG (creating parent folders), closes it, returns the path."""
    import matplotlib.pyplot as plt

    path = Path(path)
    if not path.suffix:
        path = path.with_suffix(".png")  # what matplotlib writes for a bare name
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return path


def save_placement_png(
    netlist: Netlist,
    placement: Placement,
    path: str | Path,
    *,
    title: str | None = None,
    dpi: int = 120,
) -> Path:
    """Draws ``placement`` on the die (see :func:`draw_placement`) and saves it as a PNG.

    Returns:
        The path written.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=figure_size(netlist))
    handles = draw_placement(ax, netlist, placement)
    ax.set_title(title or netlist.name)
    if handles:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    return save_figure(fig, path, dpi)
