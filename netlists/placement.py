"""Placements: where each node of a netlist sits, in which orientation, and whether it is placed."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from netlists.errors import InvalidNetlistError
from netlists.netlist import Netlist
from netlists.types import ORIENTATION_MATRICES, Orientation, orient_offsets


def _readonly(values: object, dtype: type, shape: tuple[int, ...], name: str) -> np.ndarray:
    array = np.array(values, dtype=dtype)  # a private copy: callers keep theirs
    if array.shape != shape:
        raise InvalidNetlistError(f"{name} must have shape {shape}, got {array.shape}")
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class Placement:
    """Centres, orientations and placed flags of every node of one netlist.

    Attributes:
        positions: (n_nodes, 2) float64 centre x, y of each node (microns).
        orientations: (n_nodes,) int8 :class:`~netlists.types.Orientation` codes.
        placed: (n_nodes,) bool; False for nodes that have no position yet.

    The arrays are read-only; the ``with_*`` methods return new placements.
    """

    positions: np.ndarray
    orientations: np.ndarray
    placed: np.ndarray

    def __post_init__(self) -> None:
        n = len(np.asarray(self.positions))
        put = object.__setattr__
        put(self, "positions", _readonly(self.positions, np.float64, (n, 2), "positions"))
        put(self, "orientations", _readonly(self.orientations, np.int8, (n,), "orientations"))
        put(self, "placed", _readonly(self.placed, np.bool_, (n,), "placed"))
        if not np.isfinite(self.positions[self.placed]).all():
            raise InvalidNetlistError("a placed node has a non-finite position")
        if n and (self.orientations.min() < 0 or self.orientations.max() >= len(Orientation)):
            raise InvalidNetlistError("orientations holds a code outside 0..7")

    @classmethod
    def empty(cls, netlist: Netlist) -> Placement:
        """A placement with nothing placed, every node at the canvas centre in orientation N."""
        n = netlist.num_nodes
        return cls(
            positions=np.tile(np.array(netlist.canvas.centre, dtype=np.float64), (n, 1)),
            orientations=np.zeros(n, dtype=np.int8),
            placed=np.zeros(n, dtype=bool),
        )

    @property
    def num_nodes(self) -> int:
        """Number of nodes the placement covers."""
        return len(self.positions)

    def check_matches(self, netlist: Netlist) -> None:
        """Raises :class:`InvalidNetlistError` unless this placement has one row per node."""
        if self.num_nodes != netlist.num_nodes:
            raise InvalidNetlistError(
                f"placement covers {self.num_nodes} nodes, netlist {netlist.name!r} has "
                f"{netlist.num_nodes}"
            )

    def with_positions(
        self,
        nodes: np.ndarray | list[int],
        positions: np.ndarray,
        orientations: np.ndarray | None = None,
    ) -> Placement:
        """Returns a copy with ``nodes`` moved to ``positions`` (and orientations) and placed."""
        new_positions = self.positions.copy()
        new_orientations = self.orientations.copy()
        new_placed = self.placed.copy()
        new_positions[nodes] = positions
        if orientations is not None:
            new_orientations[nodes] = orientations
        new_placed[nodes] = True
        return Placement(new_positions, new_orientations, new_placed)

    def footprints(self, netlist: Netlist, nodes: np.ndarray | None = None) -> np.ndarray:
        """(n, 2) width and height of each node (or of ``nodes``) as oriented (microns)."""
        self.check_matches(netlist)
        if nodes is None:
            sizes, codes = netlist.node_sizes, self.orientations
        else:
            sizes, codes = netlist.node_sizes[nodes], self.orientations[nodes]
        swap = ORIENTATION_MATRICES[codes.astype(np.intp), 0, 0] == 0
        return np.where(swap[:, None], sizes[:, ::-1], sizes)

    def pin_positions(self, netlist: Netlist) -> np.ndarray:
        """(n_pins, 2) absolute pin positions: owner centre plus the oriented offset (microns)."""
        self.check_matches(netlist)
        owners = netlist.pin_nodes
        offsets = orient_offsets(netlist.pin_offsets, self.orientations[owners])
        return self.positions[owners] + offsets

    def same_as(self, other: Placement, *, atol: float = 0.0) -> bool:
        """True when both place the same nodes at the same spots (to ``atol`` microns).

        Positions of unplaced nodes carry no meaning and are not compared.
        """
        return (
            self.num_nodes == other.num_nodes
            and np.array_equal(self.orientations, other.orientations)
            and np.array_equal(self.placed, other.placed)
            and np.allclose(
                self.positions[self.placed], other.positions[other.placed], rtol=0.0, atol=atol
            )
        )
