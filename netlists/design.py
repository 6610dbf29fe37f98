"""A design as loaded from files: its netlist, a placement, and format settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from netlists.netlist import Netlist
from netlists.placement import Placement
from netlists.types import PlcSettings


@dataclass(frozen=True)
class Design:
    """A netlist together with the placement and settings its files carry.

    Attributes:
        netlist: The connectivity and block sizes.
        placement: The placement the files give (Bookshelf ``.pl``, ``.plc``, JSON positions).
        plc: The Circuit Training ``.plc`` header settings (grid, routing), when there is one.
        source: Where the design came from (a path or a bundled name).
        reference_placements: Named extra placements shipped with a bundled design (for example
            ``"legalized"``), as paths that :func:`netlists.read_placement` reads.
    """

    netlist: Netlist
    placement: Placement
    plc: PlcSettings | None = None
    source: str = ""
    reference_placements: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.placement.check_matches(self.netlist)

    @property
    def name(self) -> str:
        """The netlist's name."""
        return self.netlist.name

    @property
    def placement_suffix(self) -> str:
        """The file suffix that writes this design's placements in its own format: ``.plc`` for
        Circuit Training designs, ``.pl`` for Bookshelf ones (they have rows), else ``.json``."""
        if self.plc is not None:
            return ".plc"
        if self.netlist.canvas.rows:
            return ".pl"
        return ".json"
