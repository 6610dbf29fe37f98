"""DEF designs: read a placed (or unplaced) DEF with its LEF library; write placements back.

Read:

* ``DIEAREA`` is the canvas (the bounding box of a rectilinear die), ``ROW``\\ s its rows;
* each ``COMPONENTS`` entry becomes a node: a hard macro when its LEF master is ``CLASS
  BLOCK``, a standard cell otherwise. ``PLACED`` and ``FIXED`` (and ``COVER``) give its
  position and orientation; ``FIXED`` and ``COVER`` mark it fixed; ``UNPLACED`` (or no status)
  leaves it unplaced;
* each ``PINS`` entry becomes a fixed port node at its placement point plus the oriented centre of
  its first ``+ LAYER`` rectangle (a pin with only polygons or vias sits at its placement point);
* each ``NETS`` entry becomes a net over its connections (``( comp pin )`` and ``( PIN name )``),
  with ``+ WEIGHT`` as its weight. Pin directions are those of the LEF, and an I/O pin's is the
  one its net sees (as in Bookshelf): a chip ``INPUT`` drives its net (``OUTPUT``), a chip
  ``OUTPUT`` is a sink. A net's driver is its first driving pin. ``SPECIALNETS`` (power,
  ground) are skipped and counted in the notes.

DEF coordinates are integers in database units (``UNITS DISTANCE MICRONS``); they are divided by
that factor, so every length of the design is in microns. A component's DEF location is the
lower-left corner of its oriented footprint; the netlist stores centres.

Write: :func:`write_def` copies a DEF and rewrites the placement status of its macros (or of
every component) from a placement, leaving every other byte as it was, so that an OpenROAD flow
can pick up a placement made here.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from netlists.design import Design
from netlists.errors import NetlistFormatError, UnsupportedFormatError
from netlists.formats._lefdef_text import (
    LineIndex,
    blank_comments_and_strings,
    parse_number,
    statements,
)
from netlists.formats._text import read_text
from netlists.formats.lef import LefLibrary, LefMacro, read_lef
from netlists.netlist import Netlist
from netlists.placement import Placement
from netlists.types import Canvas, NodeKind, Orientation, PinDirection, Row

#: Sections read entry by entry; every other section is skipped whole.
_READ_SECTIONS = ("COMPONENTS", "PINS", "NETS")
_SKIPPED_SECTIONS = {
    "SPECIALNETS",
    "VIAS",
    "REGIONS",
    "GROUPS",
    "BLOCKAGES",
    "FILLS",
    "SCANCHAINS",
    "NONDEFAULTRULES",
    "STYLES",
    "SLOTS",
    "PINPROPERTIES",
    "PROPERTYDEFINITIONS",
}
_STATUSES = ("PLACED", "FIXED", "COVER", "UNPLACED")
_LEF_SUFFIXES = (".lef", ".lef.gz")


@dataclass(frozen=True)
class DefNotes:
    """What a DEF read skipped or could not keep, for the user to know about.

    Attributes:
        special_nets: Number of ``SPECIALNETS`` entries skipped (power, ground).
        wildcard_connections: ``( * pin )`` connections in regular nets, skipped.
        repeated_net_names: Nets named like an earlier net (TILOS's conversion of the CT Ariane
            names many macro output nets alike); each is kept as a net of its own.
        lef_files: The LEF files the masters came from.
        lef_duplicates: Masters or sites defined in more than one LEF (the first one kept).
    """

    special_nets: int
    wildcard_connections: int
    repeated_net_names: int
    lef_files: tuple[str, ...]
    lef_duplicates: tuple[str, ...]

    def lines(self) -> list[str]:
        """The notes in words, one per line (empty when nothing was skipped)."""
        out = []
        if self.special_nets:
            out.append(f"skipped {self.special_nets} special net(s) (SPECIALNETS: power/ground)")
        if self.wildcard_connections:
            out.append(f"skipped {self.wildcard_connections} '( * pin )' connection(s) in NETS")
        if self.repeated_net_names:
            out.append(
                f"{self.repeated_net_names} net(s) reuse the name of an earlier net (kept apart)"
            )
        if self.lef_duplicates:
            names = ", ".join(self.lef_duplicates[:5])
            more = ", ..." if len(self.lef_duplicates) > 5 else ""
            out.append(f"LEF names defined twice (first kept): {names}{more}")
        return out


def lef_files_beside(def_path: str | Path) -> list[Path]:
    """The LEF files (``*.lef``, ``*.lef.gz``) in the DEF's folder, sorted by name, with
    technology LEFs first (names containing ``tech``)."""
    folder = Path(def_path).parent
    found = [p for p in folder.iterdir() if p.is_file() and p.name.lower().endswith(_LEF_SUFFIXES)]
    return sorted(found, key=lambda p: ("tech" not in p.name.lower(), p.name))


def read_def(
    path: str | Path,
    lef_paths: Iterable[str | Path] | None = None,
    *,
    notes: list[DefNotes] | None = None,
) -> Design:
    """Reads a DEF design with the LEF files that define its masters.

    Args:
        path: The ``.def`` or ``.def.gz`` file.
        lef_paths: LEF files (plain or gzipped); by default every LEF beside the DEF
            (:func:`lef_files_beside`).
        notes: If given, a :class:`DefNotes` on what was skipped is appended to it.

    Returns:
        The design: the netlist (microns), the DEF placement, no ``.plc`` settings.

    Raises:
        NetlistFormatError: The DEF or a LEF is malformed, no LEF is found, a component's master
            or a connection's pin is not in the LEFs, a name repeats, or a section's entry
            count differs from its header (each message names the file, line and field).
    """
    path = Path(path)
    lefs = lef_files_beside(path) if lef_paths is None else [Path(p) for p in lef_paths]
    if not lefs:
        raise NetlistFormatError(
            path,
            "no LEF file beside the DEF to define its masters; pass the LEF files "
            "(--lef A.lef on the command line)",
            field="LEF",
        )
    library = read_lef(lefs)
    reader = _DefReader(path, read_text(path), library)
    design = reader.read()
    if notes is not None:
        notes.append(
            DefNotes(
                reader.special_nets,
                reader.wildcard_connections,
                reader.repeated_net_names,
                library.sources,
                library.duplicates,
            )
        )
    return design


class _DefReader:
    """One pass over a DEF's statements, building the netlist arrays as it goes."""

    def __init__(self, path: Path, text: str, library: LefLibrary) -> None:
        self.path = path
        self.text = text
        self.library = library
        self._lines: LineIndex | None = None
        self.design_name = path.name.split(".")[0]
        self.dbu: float | None = None
        self.die: tuple[float, float, float, float] | None = None
        self.rows: list[Row] = []
        # nodes
        self.node_names: list[str] = []
        self.node_index: dict[str, int] = {}
        self.node_kinds: list[int] = []
        self.node_sizes: list[tuple[float, float]] = []
        self.node_fixed: list[bool] = []
        self.positions: list[tuple[float, float]] = []
        self.orientations: list[int] = []
        self.placed: list[bool] = []
        self.masters: list[LefMacro | None] = []
        self.port_index: dict[str, int] = {}
        self.port_direction: dict[str, PinDirection] = {}
        # pins and nets
        self.pin_key: dict[tuple[int, str], int] = {}
        self.pin_nodes: list[int] = []
        self.pin_offsets: list[tuple[float, float]] = []
        self.pin_directions: list[int] = []
        self.pin_names: list[str] = []
        self.net_names: list[str] = []
        self.net_seen: set[str] = set()
        self.net_weights: list[float] = []
        self.net_starts: list[int] = [0]
        self.net_pins: list[int] = []
        self.net_drivers: list[int] = []
        self.special_nets = 0
        self.wildcard_connections = 0
        self.repeated_net_names = 0

    # -- errors --------------------------------------------------------------------------------

    def line(self, offset: int) -> int:
        if self._lines is None:
            self._lines = LineIndex(self.text)
        return self._lines(offset)

    def error(self, reason: str, offset: int, field: str | None = None) -> NetlistFormatError:
        return NetlistFormatError(self.path, reason, line=self.line(offset), field=field)

    def number(self, token: str, offset: int, field: str) -> float:
        return parse_number(token, self.path, self.line(offset), field)

    def coordinate(self, token: str, offset: int, field: str) -> float:
        if self.dbu is None:
            raise self.error("a coordinate comes before UNITS DISTANCE MICRONS", offset, field)
        return self.number(token, offset, field) / self.dbu

    # -- the walk ------------------------------------------------------------------------------

    def read(self) -> Design:
        section: str | None = None
        expected = entries = 0
        header_offset = 0
        ended = False
        for start, _end, tokens in statements(self.text):
            # Section ends carry no ';', so they lead the next statement.
            while len(tokens) >= 2 and tokens[0] == "END" and section is not None:
                if tokens[1] != section:
                    raise self.error(
                        f"'END {tokens[1]}' inside section {section}", start, f"END {tokens[1]}"
                    )
                if section in _READ_SECTIONS + ("SPECIALNETS",) and entries != expected:
                    raise self.error(
                        f"section {section} declares {expected} entries but has {entries}",
                        header_offset,
                        section,
                    )
                if section == "SPECIALNETS":
                    self.special_nets = entries
                section, tokens = None, tokens[2:]
            if not tokens:
                continue
            if tokens[0] == "END" and section is None:
                if tokens[1:2] == ["DESIGN"]:
                    ended = True
                    break
                raise self.error(f"unexpected {' '.join(tokens[:2])!r}", start, "END")
            if section is not None:
                if tokens[0] != "-":
                    if section in _SKIPPED_SECTIONS:
                        continue  # GROUPS' '+ REGION' lines, PROPERTYDEFINITIONS' bodies...
                    raise self.error(
                        f"expected an entry '- name ...' in section {section}, got {tokens[0]!r}",
                        start,
                        section,
                    )
                entries += 1
                if section == "COMPONENTS":
                    self.component(tokens, start)
                elif section == "PINS":
                    self.io_pin(tokens, start)
                elif section == "NETS":
                    self.net(tokens, start)
                continue
            keyword = tokens[0]
            if keyword in _READ_SECTIONS or keyword in _SKIPPED_SECTIONS:
                section, entries, header_offset = keyword, 0, start
                if keyword == "PROPERTYDEFINITIONS":
                    expected = 0
                    continue
                if len(tokens) != 2 or not _is_count(tokens[1]):
                    raise self.error(f"expected '{keyword} count ;'", start, keyword)
                expected = int(tokens[1])
                if keyword in _READ_SECTIONS and self.dbu is None:
                    raise self.error(f"{keyword} comes before UNITS", start, keyword)
            elif keyword == "DESIGN" and len(tokens) >= 2:
                self.design_name = tokens[1]
            elif keyword == "UNITS":
                self.units(tokens, start)
            elif keyword == "DIEAREA":
                self.die_area(tokens, start)
            elif keyword == "ROW":
                self.row(tokens, start)
        if section is not None:
            raise self.error(f"section {section} has no 'END {section}'", header_offset, section)
        if not ended:
            raise NetlistFormatError(self.path, "no 'END DESIGN': the file is truncated")
        if self.die is None:
            raise NetlistFormatError(self.path, "no DIEAREA", field="DIEAREA")
        return self.build()

    # -- header statements ---------------------------------------------------------------------

    def units(self, tokens: list[str], offset: int) -> None:
        if tokens[1:3] != ["DISTANCE", "MICRONS"] or len(tokens) != 4:
            raise self.error("expected 'UNITS DISTANCE MICRONS factor ;'", offset, "UNITS")
        value = self.number(tokens[3], offset, "UNITS")
        if value <= 0:
            raise self.error(f"database units per micron must be positive, got {value}", offset)
        self.dbu = value

    def points(self, tokens: list[str], offset: int, field: str) -> list[tuple[float, float]]:
        """The ``( x y )`` points of ``tokens`` (all of them), in microns."""
        if len(tokens) % 4 or not tokens:
            raise self.error("expected points '( x y )'", offset, field)
        out = []
        for i in range(0, len(tokens), 4):
            if tokens[i] != "(" or tokens[i + 3] != ")":
                raise self.error("expected points '( x y )'", offset, field)
            x = self.coordinate(tokens[i + 1], offset, field)
            out.append((x, self.coordinate(tokens[i + 2], offset, field)))
        return out

    def die_area(self, tokens: list[str], offset: int) -> None:
        points = self.points(tokens[1:], offset, "DIEAREA")
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        if len(points) < 2 or max(xs) <= min(xs) or max(ys) <= min(ys):
            raise self.error("DIEAREA is empty", offset, "DIEAREA")
        self.die = (min(xs), min(ys), max(xs), max(ys))

    def row(self, tokens: list[str], offset: int) -> None:
        # ROW name site x y orient [DO nx BY ny [STEP sx sy]]
        if len(tokens) < 6:
            raise self.error("expected 'ROW name site x y orient ...'", offset, "ROW")
        site = self.library.sites.get(tokens[2])
        if site is None:
            raise self.error(f"row site {tokens[2]!r} is not in the LEF files", offset, "ROW")
        x = self.coordinate(tokens[3], offset, "ROW x")
        y = self.coordinate(tokens[4], offset, "ROW y")
        count_x = count_y = 1
        step_x, step_y = site.width, site.height
        rest = tokens[6:]
        if rest[:1] == ["DO"]:
            if len(rest) < 4 or rest[2] != "BY" or not (_is_count(rest[1]) and _is_count(rest[3])):
                raise self.error("expected 'DO count BY count'", offset, "ROW")
            count_x, count_y = int(rest[1]), int(rest[3])
            if count_x < 1 or count_y < 1:
                raise self.error(f"a row of {count_x} x {count_y} sites", offset, "ROW DO")
            if rest[4:5] == ["STEP"]:
                if len(rest) < 7:
                    raise self.error("expected 'STEP x y'", offset, "ROW")
                step_x = self.coordinate(rest[5], offset, "ROW STEP") or site.width
                step_y = self.coordinate(rest[6], offset, "ROW STEP") or site.height
                if step_x < 0 or step_y < 0:
                    raise self.error("a negative row STEP", offset, "ROW STEP")
        try:
            Orientation.parse(tokens[5])
        except ValueError as error:
            raise self.error(str(error), offset, "ROW orientation") from None
        for k in range(count_y):  # a vertical row (BY > 1) is a stack of one-site rows
            self.rows.append(
                Row(
                    y=y + k * step_y if count_y > 1 else y,
                    height=site.height,
                    x=x,
                    num_sites=count_x,
                    site_width=site.width,
                    site_spacing=step_x,
                    site_orient=tokens[5],
                    site_symmetry=site.symmetry or "Y",
                )
            )

    # -- entries -------------------------------------------------------------------------------

    def add_node(self, name: str, offset: int, field: str) -> int:
        if name in self.node_index:
            raise self.error(f"name {name!r} is used twice (components and pins)", offset, field)
        index = len(self.node_names)
        self.node_index[name] = index
        self.node_names.append(name)
        return index

    def placement(
        self, tokens: list[str], offset: int, field: str
    ) -> tuple[str, tuple[float, float], Orientation] | None:
        """The first ``+ PLACED|FIXED|COVER ( x y ) orient`` or ``+ UNPLACED`` of ``tokens``."""
        for i, token in enumerate(tokens):
            if token != "+" or i + 1 >= len(tokens) or tokens[i + 1] not in _STATUSES:
                continue
            status = tokens[i + 1]
            if status == "UNPLACED":
                return None
            if len(tokens) < i + 7 or tokens[i + 2] != "(" or tokens[i + 5] != ")":
                raise self.error(f"expected '+ {status} ( x y ) orientation'", offset, field)
            x = self.coordinate(tokens[i + 3], offset, field)
            y = self.coordinate(tokens[i + 4], offset, field)
            try:
                orientation = Orientation.parse(tokens[i + 6])
            except ValueError as error:
                raise self.error(str(error), offset, f"{field} orientation") from None
            return status, (x, y), orientation
        return None

    def component(self, tokens: list[str], offset: int) -> None:
        if len(tokens) < 3:
            raise self.error("expected '- name master ...'", offset, "COMPONENTS")
        name, master_name = tokens[1], tokens[2]
        field = f"component {name}"
        master = self.library.macros.get(master_name)
        if master is None:
            sources = ", ".join(Path(s).name for s in self.library.sources)
            raise self.error(
                f"master {master_name!r} is not in the LEF files read ({sources})", offset, field
            )
        self.add_node(name, offset, field)
        self.node_kinds.append(int(NodeKind.HARD_MACRO if master.is_block else NodeKind.STD_CELL))
        self.node_sizes.append((master.width, master.height))
        self.masters.append(master)
        placed = self.placement(tokens[3:], offset, field)
        if placed is None:
            self.node_fixed.append(False)
            self.positions.append((0.0, 0.0))
            self.orientations.append(0)
            self.placed.append(False)
            return
        status, (x, y), orientation = placed
        width, height = _footprint((master.width, master.height), orientation)
        self.node_fixed.append(status in ("FIXED", "COVER"))
        self.positions.append((x + width / 2, y + height / 2))
        self.orientations.append(int(orientation))
        self.placed.append(True)

    def io_pin(self, tokens: list[str], offset: int) -> None:
        if len(tokens) < 2:
            raise self.error("expected '- name + NET net ...'", offset, "PINS")
        name = tokens[1]
        direction, point = self.pin_geometry(tokens, offset)
        index = self.add_node(name, offset, f"pin {name}")
        self.port_index[name] = index
        self.port_direction[name] = direction
        self.node_kinds.append(int(NodeKind.PORT))
        self.node_sizes.append((0.0, 0.0))
        self.node_fixed.append(True)
        self.masters.append(None)
        self.positions.append(point or (0.0, 0.0))
        self.orientations.append(0)  # a port is a point: its shape's rotation is applied already
        self.placed.append(point is not None)

    def pin_geometry(
        self, tokens: list[str], offset: int
    ) -> tuple[PinDirection, tuple[float, float] | None]:
        """An I/O pin's direction (as its net sees it) and location: its placement point plus
        the oriented centre of its first ``LAYER`` shape (``None`` when unplaced)."""
        field = f"pin {tokens[1]}"
        direction = PinDirection.BIDIRECTIONAL
        rect: tuple[float, float] | None = None
        for i, token in enumerate(tokens):
            if token != "+" or i + 1 >= len(tokens):
                continue
            option = tokens[i + 1]
            if option == "DIRECTION" and i + 2 < len(tokens):
                # As its net sees it (the Bookshelf convention): a chip input drives its net.
                direction = {"INPUT": PinDirection.OUTPUT, "OUTPUT": PinDirection.INPUT}.get(
                    tokens[i + 2], PinDirection.BIDIRECTIONAL
                )
            elif option == "LAYER" and rect is None:
                rest = tokens[i + 3 :]
                while rest and rest[0] != "(":  # MASK n, SPACING d, DESIGNRULEWIDTH d
                    rest = rest[2:]
                corners = self.points(rest[:8], offset, f"{field} LAYER")
                if len(corners) != 2:
                    raise self.error("expected '+ LAYER name ( x y ) ( x y )'", offset, field)
                (x1, y1), (x2, y2) = corners
                rect = ((x1 + x2) / 2, (y1 + y2) / 2)
        placed = self.placement(tokens[2:], offset, field)
        if placed is None:
            return direction, None
        _status, (x, y), orientation = placed
        dx, dy = orientation.transform(*rect) if rect is not None else (0.0, 0.0)
        return direction, (x + dx, y + dy)

    def pin_of(self, node: int, pin: str, offset: int, field: str) -> tuple[int, bool]:
        """The pin index of ``pin`` on node ``node`` (made on first use) and whether it drives."""
        key = (node, pin)
        index = self.pin_key.get(key)
        master = self.masters[node]
        if master is None:  # an I/O pin: ( PIN name )
            drives = self.port_direction[pin] == PinDirection.OUTPUT
            if index is None:
                index = self.new_pin(node, pin, (0.0, 0.0), self.port_direction[pin], key)
            return index, drives
        lef_pin = master.pins.get(pin)
        if lef_pin is None:
            raise self.error(
                f"master {master.name!r} of {self.node_names[node]!r} has no pin {pin!r}",
                offset,
                field,
            )
        if index is None:
            dx = lef_pin.x - master.width / 2
            dy = lef_pin.y - master.height / 2
            index = self.new_pin(node, pin, (dx, dy), lef_pin.direction, key)
        return index, lef_pin.direction == PinDirection.OUTPUT

    def new_pin(
        self,
        node: int,
        name: str,
        offset: tuple[float, float],
        direction: PinDirection,
        key: tuple[int, str],
    ) -> int:
        index = len(self.pin_nodes)
        self.pin_key[key] = index
        self.pin_nodes.append(node)
        self.pin_offsets.append(offset)
        self.pin_directions.append(int(direction))
        self.pin_names.append(name)
        return index

    def net(self, tokens: list[str], offset: int) -> None:
        if len(tokens) < 2:
            raise self.error("expected '- name ( comp pin ) ...'", offset, "NETS")
        name = tokens[1]
        field = f"net {name}"
        if name == "MUSTJOIN":
            return  # a MUSTJOIN entry names pins to join, not a net of its own
        if name in self.net_seen:
            self.repeated_net_names += 1  # kept as a net of its own: its pins are distinct
        self.net_seen.add(name)
        members: list[int] = []
        listed: set[int] = set()
        driver = -1
        weight = 1.0
        i, n = 2, len(tokens)
        while i < n and tokens[i] == "(":
            if i + 3 >= n:
                raise self.error("connection '( comp pin )' is cut short", offset, field)
            owner, pin = tokens[i + 1], tokens[i + 2]
            close = i + 3
            while close < n and tokens[close] != ")":
                close += 1  # '+ SYNTHESIZED'
            if close == n:
                raise self.error("connection has no ')'", offset, field)
            i = close + 1
            if owner == "*":
                self.wildcard_connections += 1
                continue
            if owner == "PIN":
                node = self.port_index.get(pin)
                if node is None:
                    raise self.error(f"I/O pin {pin!r} is not in PINS", offset, field)
            else:
                node = self.node_index.get(owner)
                if node is None or self.masters[node] is None:
                    raise self.error(f"component {owner!r} is not in COMPONENTS", offset, field)
            index, drives = self.pin_of(node, pin, offset, field)
            if index in listed:
                continue  # the same pin listed twice: one connection
            listed.add(index)
            if drives and driver < 0:
                driver = index
            members.append(index)
        while i < n:
            if tokens[i] != "+":
                raise self.error(f"unexpected {tokens[i]!r} after the connections", offset, field)
            if tokens[i + 1 : i + 2] == ["WEIGHT"]:
                if i + 2 >= n:
                    raise self.error("WEIGHT without a value", offset, field)
                weight = self.number(tokens[i + 2], offset, f"{field} WEIGHT")
                if weight < 0:
                    raise self.error(f"negative weight {weight}", offset, f"{field} WEIGHT")
            i += 1
            while i < n and tokens[i] != "+":
                i += 1  # the option's own words (routing points included)
        self.net_names.append(name)
        self.net_weights.append(weight)
        self.net_pins.extend(members)
        self.net_starts.append(len(self.net_pins))
        self.net_drivers.append(driver)

    # -- result --------------------------------------------------------------------------------

    def build(self) -> Design:
        assert self.die is not None
        x_min, y_min, x_max, y_max = self.die
        canvas = Canvas(x_max - x_min, y_max - y_min, x_min, y_min, tuple(self.rows))
        netlist = Netlist(
            name=self.design_name,
            canvas=canvas,
            node_names=tuple(self.node_names),
            node_kinds=np.array(self.node_kinds, dtype=np.int8),
            node_sizes=np.array(self.node_sizes, dtype=np.float64).reshape(-1, 2),
            node_fixed=np.array(self.node_fixed, dtype=bool),
            pin_nodes=np.array(self.pin_nodes, dtype=np.int32),
            pin_offsets=np.array(self.pin_offsets, dtype=np.float64).reshape(-1, 2),
            pin_directions=np.array(self.pin_directions, dtype=np.int8),
            pin_names=tuple(self.pin_names),
            net_names=tuple(self.net_names),
            net_weights=np.array(self.net_weights, dtype=np.float64),
            net_starts=np.array(self.net_starts, dtype=np.int64),
            net_pins=np.array(self.net_pins, dtype=np.int32),
            net_drivers=np.array(self.net_drivers, dtype=np.int32),
        )
        placement = Placement(
            np.array(self.positions, dtype=np.float64).reshape(-1, 2),
            np.array(self.orientations, dtype=np.int8),
            np.array(self.placed, dtype=bool),
        )
        return Design(netlist, placement, source=str(self.path))


def _is_count(token: str) -> bool:
    return token.isascii() and token.isdigit()  # isdigit() alone accepts '²'


def read_def_placement(path: str | Path, netlist: Netlist) -> Placement:
    """Reads the placement a DEF gives the nodes of ``netlist`` (matched by name; no LEF needed:
    the netlist's sizes turn DEF locations into centres).

    Use it to take back a placement a flow wrote (an OpenROAD DEF after global placement, say)
    onto the design it was made from.

    Raises:
        NetlistFormatError: The DEF is malformed, names a component or pin the netlist lacks, or
            lacks one of its nodes.
    """
    path = Path(path)
    text = read_text(path)
    index = {name: i for i, name in enumerate(netlist.node_names)}
    positions = np.zeros((netlist.num_nodes, 2))
    orientations = np.zeros(netlist.num_nodes, dtype=np.int8)
    placed = np.zeros(netlist.num_nodes, dtype=bool)
    seen = np.zeros(netlist.num_nodes, dtype=bool)
    reader = _DefReader(path, text, LefLibrary({}, {}))
    unknown: list[str] = []
    for start, _end, tokens, section in _sections(text, path):
        if section is None and tokens[:1] == ["UNITS"]:
            reader.units(tokens, start)
        if section not in ("COMPONENTS", "PINS") or len(tokens) < 2 or tokens[0] != "-":
            continue
        node = index.get(tokens[1])
        if node is None:
            unknown.append(tokens[1])
            continue
        if seen[node]:
            raise reader.error(f"{tokens[1]!r} is listed twice", start, f"{section} {tokens[1]}")
        seen[node] = True
        if section == "PINS":
            point = reader.pin_geometry(tokens, start)[1]
            if point is not None:
                positions[node], placed[node] = point, True
            continue
        found = reader.placement(tokens[2:], start, f"component {tokens[1]}")
        if found is None:
            continue
        _status, (x, y), orientation = found
        width, height = _footprint(netlist.node_sizes[node], orientation)
        positions[node] = (x + width / 2, y + height / 2)
        orientations[node] = int(orientation)
        placed[node] = True
    if unknown:
        raise NetlistFormatError(
            path,
            f"names {len(unknown)} component(s) or pin(s) the netlist {netlist.name!r} lacks "
            f"({', '.join(unknown[:5])}{', ...' if len(unknown) > 5 else ''}); "
            "is it a placement of another design?",
            field="COMPONENTS",
        )
    if not seen.all():
        missing = [netlist.node_names[i] for i in np.flatnonzero(~seen)[:5]]
        raise NetlistFormatError(
            path,
            f"lacks {int((~seen).sum())} node(s) of the netlist {netlist.name!r} "
            f"({', '.join(missing)}{', ...' if (~seen).sum() > 5 else ''})",
            field="COMPONENTS",
        )
    return Placement(positions, orientations, placed)


# -- writing ---------------------------------------------------------------------------------------

_STATUS_TEXT = re.compile(
    r"\+\s*(PLACED|FIXED|COVER|UNPLACED)\b(?:\s*\(\s*[^\s()]+\s+[^\s()]+\s*\)\s*[A-Z]{1,2}\b)?"
)


def write_def(
    design: Design,
    path: str | Path,
    *,
    template: str | Path | None = None,
    placement: Placement | None = None,
    components: str = "macros",
    fix_macros: bool = False,
) -> Path:
    """Writes a copy of a DEF with the placement of its macros (or of every component) replaced.

    Only the status of the chosen ``COMPONENTS`` entries changes; every other byte of the
    template is kept. Locations are rounded to the DEF's database units (DEF holds integers),
    so a design read from a DEF writes back exactly.

    Args:
        design: The design placed (its node names are the DEF component names).
        path: Where to write; a name ending in ``.gz`` is gzip-compressed.
        template: The DEF to copy (default: ``design.source``, when that is a DEF file).
        placement: The placement to write (default: ``design.placement``).
        components: ``"macros"`` rewrites the hard macros, ``"all"`` every placed component.
        fix_macros: Write the macros as ``FIXED`` (what a flow wants before placing the
            standard cells); otherwise each keeps its status (``UNPLACED`` becomes ``PLACED``).

    Returns:
        The path written.

    Raises:
        UnsupportedFormatError: No DEF template is known for the design.
        NetlistFormatError: The template is malformed or lacks a component of the design.
        ValueError: ``components`` is not ``"macros"`` or ``"all"``.
    """
    if components not in ("macros", "all"):
        raise ValueError(f"components must be 'macros' or 'all', got {components!r}")
    template = Path(template) if template is not None else _template_of(design)
    placement = design.placement if placement is None else placement
    placement.check_matches(design.netlist)
    text = read_text(template)
    netlist = design.netlist
    units = _DefReader(template, text, LefLibrary({}, {}))  # reads UNITS as the walk meets it
    wanted = netlist.node_kinds == NodeKind.HARD_MACRO
    if components == "all":
        wanted = netlist.node_kinds != NodeKind.PORT
    wanted &= placement.placed
    index = {name: i for i, name in enumerate(netlist.node_names)}
    pieces: list[str] = []
    position = 0
    written = np.zeros(netlist.num_nodes, dtype=bool)
    for start, end, tokens, section in _sections(text, template):
        if section is None and tokens[:1] == ["UNITS"]:
            units.units(tokens, start)
        if section != "COMPONENTS" or len(tokens) < 3 or tokens[0] != "-":
            continue
        node = index.get(tokens[1])
        if node is None or not wanted[node]:
            continue
        if units.dbu is None:
            raise units.error("COMPONENTS comes before UNITS", start, "UNITS")
        written[node] = True
        old = text[start:end]
        # A status inside a comment or a string is not the placement.
        visible = blank_comments_and_strings(old)
        match = _STATUS_TEXT.search(visible)
        fix = fix_macros and netlist.node_kinds[node] == NodeKind.HARD_MACRO
        status = _new_status(match, fix)
        new = f"+ {status} {_location(netlist, placement, node, units.dbu)}"
        if match is None:
            body = old[: len(visible.rstrip())]
            replaced = f"{body} {new}{old[len(body) :]}"
        else:
            replaced = old[: match.start()] + new + old[match.end() :]
        pieces.append(text[position:start])
        pieces.append(replaced)
        position = end
    pieces.append(text[position:])
    missing = np.flatnonzero(wanted & ~written)
    if len(missing):
        names = ", ".join(netlist.node_names[i] for i in missing[:5])
        raise NetlistFormatError(
            template,
            f"has no component for {len(missing)} node(s) of {netlist.name!r} ({names}"
            f"{', ...' if len(missing) > 5 else ''}); is it the DEF of another design?",
            field="COMPONENTS",
        )
    out = Path(path)
    data = "".join(pieces).encode()
    if out.name.lower().endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    out.write_bytes(data)
    return out


def _template_of(design: Design) -> Path:
    source = Path(design.source) if design.source else None
    if source is None or not source.name.lower().endswith((".def", ".def.gz")):
        raise UnsupportedFormatError(
            f"writing DEF copies the DEF the design was read from, and {design.name!r} was not "
            f"read from one (source {design.source!r}); pass template= or write another format"
        )
    return source


def _sections(text: str, path: Path) -> Iterator[tuple[int, int, list[str], str | None]]:
    """``(start, end, tokens, section)`` of each statement, with its section (or ``None``)."""
    section: str | None = None
    for start, end, tokens in statements(text):
        while len(tokens) >= 2 and tokens[0] == "END" and section is not None:
            section, tokens = None, tokens[2:]  # (start stays at the END: entries never follow)
        if tokens and section is None and tokens[0] in _READ_SECTIONS + tuple(_SKIPPED_SECTIONS):
            section = tokens[0]
            continue
        yield start, end, tokens, section


def _new_status(match: re.Match[str] | None, fix: bool) -> str:
    if fix:
        return "FIXED"
    if match is None or match.group(1) == "UNPLACED":
        return "PLACED"
    return match.group(1)


def _footprint(size, orientation: Orientation) -> tuple[float, float]:
    """Width and height of a block of N-orientation ``size`` as oriented (DEF locations are the
    lower-left corner of this footprint)."""
    width, height = float(size[0]), float(size[1])
    return (height, width) if orientation.swaps_sides else (width, height)


def _location(netlist: Netlist, placement: Placement, node: int, dbu: float) -> str:
    orientation = Orientation(int(placement.orientations[node]))
    width, height = _footprint(netlist.node_sizes[node], orientation)
    x, y = placement.positions[node]
    left = round((x - width / 2) * dbu)
    bottom = round((y - height / 2) * dbu)
    return f"( {left} {bottom} ) {orientation.name}"
