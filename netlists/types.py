"""Small value types of the data model: node kinds, orientations, rows, the canvas, settings.

Units: every length is in microns (the design's own units for Bookshelf designs, whose files carry
no unit); coordinates of nodes are **centres**.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np


class NodeKind(IntEnum):
    """What a node of a netlist is.

    Attributes:
        HARD_MACRO: A hard macro (memory, IP block); movable unless marked fixed.
        SOFT_MACRO: A cluster of standard cells placed as one soft block (Circuit Training).
        PORT: An I/O pad or port: a fixed point or small block on the die boundary.
        STD_CELL: A single standard cell (Bookshelf movable nodes no taller than a row).
    """

    HARD_MACRO = 0
    SOFT_MACRO = 1
    PORT = 2
    STD_CELL = 3


class PinDirection(IntEnum):
    """Direction of a pin as the file states it (Bookshelf ``I``/``O``/``B``)."""

    INPUT = 0
    OUTPUT = 1
    BIDIRECTIONAL = 2


class Orientation(IntEnum):
    """The eight DEF orientations of a block.

    ``N`` is as drawn; ``S`` rotated by 180 degrees; ``E``/``W`` rotated by 90 degrees clockwise /
    counter-clockwise; an ``F`` prefix mirrors the result about the vertical axis. A pin offset
    ``(dx, dy)`` of the unrotated block maps to :meth:`transform`'s result.
    """

    N = 0
    S = 1
    E = 2
    W = 3
    FN = 4
    FS = 5
    FE = 6
    FW = 7

    @classmethod
    def parse(cls, text: str) -> Orientation:
        """Returns the orientation named ``text`` (case-insensitive).

        Raises:
            ValueError: ``text`` is not one of N, S, E, W, FN, FS, FE, FW.
        """
        try:
            return cls[text.strip().upper()]
        except KeyError:
            allowed = ", ".join(member.name for member in cls)
            raise ValueError(f"unknown orientation {text!r}; allowed: {allowed}") from None

    @property
    def swaps_sides(self) -> bool:
        """True when the block's width and height trade places (E, W, FE, FW)."""
        return self in _QUARTER_TURNS

    def transform(self, dx: float, dy: float) -> tuple[float, float]:
        """Maps a pin offset of the unrotated block to its offset in this orientation."""
        (a, b), (c, d) = _MATRICES[self]
        return a * dx + b * dy, c * dx + d * dy


_QUARTER_TURNS = frozenset({Orientation.E, Orientation.W, Orientation.FE, Orientation.FW})

# 2x2 matrices (row-major) taking an N-orientation offset to the oriented one.
_MATRICES: dict[Orientation, tuple[tuple[int, int], tuple[int, int]]] = {
    Orientation.N: ((1, 0), (0, 1)),
    Orientation.S: ((-1, 0), (0, -1)),
    Orientation.E: ((0, 1), (-1, 0)),
    Orientation.W: ((0, -1), (1, 0)),
    Orientation.FN: ((-1, 0), (0, 1)),
    Orientation.FS: ((1, 0), (0, -1)),
    Orientation.FE: ((0, -1), (-1, 0)),
    Orientation.FW: ((0, 1), (1, 0)),
}

#: (8, 2, 2) int8: ORIENTATION_MATRICES[o] @ (dx, dy) is the offset in orientation ``o``.
ORIENTATION_MATRICES = np.array([_MATRICES[o] for o in Orientation], dtype=np.int8)
ORIENTATION_MATRICES.setflags(write=False)


def orient_offsets(offsets: np.ndarray, orientations: np.ndarray) -> np.ndarray:
    """Applies per-row orientations to pin offsets, vectorised.

    Args:
        offsets: (n, 2) float offsets of the unrotated blocks.
        orientations: (n,) integer :class:`Orientation` codes.

    Returns:
        (n, 2) float64 oriented offsets.
    """
    offsets = np.asarray(offsets, dtype=np.float64)
    codes = np.asarray(orientations, dtype=np.intp)
    if not codes.any():
        return offsets.copy()
    matrices = ORIENTATION_MATRICES[codes].astype(np.float64)
    return np.einsum("nij,nj->ni", matrices, offsets)


@dataclass(frozen=True)
class Row:
    """One placement row (Bookshelf ``.scl`` ``CoreRow``).

    Attributes:
        y: Bottom edge of the row (microns).
        height: Row height (microns).
        x: Left edge of the first site (``SubrowOrigin``, microns).
        num_sites: Number of sites in the row.
        site_width: Width of one site (microns).
        site_spacing: Distance between the left edges of adjacent sites (microns).
        site_orient: Site orientation as written (``N``, ``FS``...).
        site_symmetry: Site symmetry as written (``Y``, ``X``...).
    """

    y: float
    height: float
    x: float
    num_sites: int
    site_width: float = 1.0
    site_spacing: float = 1.0
    site_orient: str = "N"
    site_symmetry: str = "Y"

    @property
    def x_max(self) -> float:
        """Right edge of the last site (microns)."""
        return self.x + self.num_sites * self.site_spacing


@dataclass(frozen=True)
class Canvas:
    """The die (placement region), an axis-aligned rectangle.

    Attributes:
        width: Die width (microns).
        height: Die height (microns).
        x_min: Left edge (microns); 0 for Circuit Training designs.
        y_min: Bottom edge (microns).
        rows: Placement rows, where the format has them (Bookshelf); empty otherwise.
    """

    width: float
    height: float
    x_min: float = 0.0
    y_min: float = 0.0
    rows: tuple[Row, ...] = ()

    @property
    def x_max(self) -> float:
        """Right edge (microns)."""
        return self.x_min + self.width

    @property
    def y_max(self) -> float:
        """Top edge (microns)."""
        return self.y_min + self.height

    @property
    def area(self) -> float:
        """Die area (square microns)."""
        return self.width * self.height

    @property
    def centre(self) -> tuple[float, float]:
        """Centre of the die ``(x, y)`` (microns)."""
        return (self.x_min + self.width / 2, self.y_min + self.height / 2)

    @property
    def row_height(self) -> float | None:
        """Height of the (first) row, or ``None`` when the canvas has no rows."""
        return self.rows[0].height if self.rows else None


@dataclass(frozen=True)
class PlcSettings:
    """The Circuit Training settings in a ``.plc`` header.

    Attributes:
        grid_cols: Number of grid columns (``Columns``).
        grid_rows: Number of grid rows (``Rows``).
        routes_per_micron_h: Horizontal routing tracks per micron.
        routes_per_micron_v: Vertical routing tracks per micron.
        macro_routes_h: Horizontal routes per micron used by macros (routing allocation).
        macro_routes_v: Vertical routes per micron used by macros.
        smoothing: Congestion smoothing range (``Smoothing factor``), in grid cells.
        overlap_threshold: Overlap below which macros are not counted as overlapping (square
            microns), from the header or the viewer line's ``--overlap_threshold``.
        canvas_width: Canvas width written in the header (microns), if any.
        canvas_height: Canvas height written in the header (microns), if any.
        blockages: Placement blockages ``(x_min, y_min, x_max, y_max, rate)`` (microns; rate is
            the blocked fraction) from ``# Blockage :`` lines.
    """

    grid_cols: int
    grid_rows: int
    routes_per_micron_h: float | None = None
    routes_per_micron_v: float | None = None
    macro_routes_h: float | None = None
    macro_routes_v: float | None = None
    smoothing: float | None = None
    overlap_threshold: float | None = None
    canvas_width: float | None = None
    canvas_height: float | None = None
    blockages: tuple[tuple[float, float, float, float, float], ...] = ()
