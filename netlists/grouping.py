"""Circuit Training grouping: a flat netlist and one group id per node become a clustered netlist.

Circuit Training clusters the standard cells of a flat netlist (``groups.final``: one group id per
node, in file order, ``__metadata__`` excluded) and writes the clustered netlist that its placer
and proxy cost read. This module applies a given grouping the way Circuit Training's grouping
writer does, so that TILOS's ``groups.final`` files rebuild TILOS's clustered netlists exactly:

* Nets: a net whose driver (a port, standard cell or macro pin) reaches more than
  :attr:`GroupingSettings.max_fanout` distinct sinks is disconnected (clock nets). A sink that is
  a standard cell of group ``g`` becomes ``Grp_g/Pinput``; repeated sinks are merged; a standard
  cell's sinks inside its own group are dropped. Sinks are written in the writer's key order:
  groups by descending id, then nodes in flat order.
* Ports, hard macros and macro pins keep their names, upper-case types, positions, offsets, sizes,
  sides, macro names, orientations and weights (other attributes, such as ``ref_name``, go). A
  macro pin's position is recomputed as its macro's centre plus its offset in the macro's
  orientation.
* Each group with standard cells becomes soft macro ``Grp_g``: width = canvas width / grid
  columns, height = cell area x :attr:`GroupingSettings.area_bloating_ratio` / width, centre = the
  area-weighted centroid of its cells. Its pins: ``Poutput_multi_k`` for each cell (in flat order)
  that reaches more than one sink outside the group; ``Poutput_single_k`` per sink (in key order)
  for the cells that reach exactly one, with ``weight`` = the summed weights of those cells; one
  ``Pinput``. All pins sit at the macro centre (offsets 0).
* Order: the non-standard-cell nodes in flat order, then the groups by ascending id, after a
  ``__metadata__`` node holding the bloating ratio. Attributes are sorted by key. Numbers are
  float32 (the protobuf ``f`` field), written as protobuf writes them (the shortest decimal of at
  least 6 significant digits that reads back as the same float32) but never in exponent notation,
  which TILOS's parser cannot read.

Arithmetic follows the writer: values read from the flat file are rounded to float32, sums and
quotients are float64, and results are rounded to float32 when written.
"""

from __future__ import annotations

import gzip
import logging
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from netlists.errors import NetlistFormatError
from netlists.formats._text import read_text
from netlists.formats.circuit_training import (
    _parse_records,
    _Record,
    read_circuit_training,
    read_plc_header,
    write_plc,
)
from netlists.types import Orientation

_log = logging.getLogger(__name__)

__all__ = [
    "GroupingSettings",
    "apply_grouping",
    "format_float32",
    "file_beside",
    "group_design",
    "node_lines",
    "read_flat_netlist",
    "read_groups",
    "write_grouped_netlist",
]

_NODE_TYPES = ("PORT", "MACRO", "MACRO_PIN", "STDCELL")
# The viewer command line in a Circuit Training .plc header carries the canvas at full precision;
# the ``# Width :`` line rounds it to 3 decimals.
_VIEWER_CANVAS = re.compile(r"--canvas_width[ =](\S+)\s+--canvas_height[ =](\S+)")


@dataclass(frozen=True)
class GroupingSettings:
    """How the groups become soft macros.

    Attributes:
        canvas_width: Canvas width (microns).
        canvas_height: Canvas height (microns).
        grid_cols: Placement grid columns; a soft macro is one column wide.
        grid_rows: Placement grid rows.
        area_bloating_ratio: Soft-macro area / standard-cell area (dimensionless; Circuit Training's
            ``soft_macro_area_bloating_ratio``, 1 / cell utilisation).
        max_fanout: Nets with more distinct sinks than this are disconnected (sinks).
    """

    canvas_width: float
    canvas_height: float
    grid_cols: int
    grid_rows: int
    area_bloating_ratio: float = 2.0
    max_fanout: int = 500

    def __post_init__(self) -> None:
        if not (self.canvas_width > 0 and self.canvas_height > 0):
            raise ValueError(
                f"canvas must be positive, got {self.canvas_width} x {self.canvas_height}"
            )
        if self.grid_cols < 1 or self.grid_rows < 1:
            raise ValueError(f"grid must be at least 1x1, got {self.grid_cols}x{self.grid_rows}")
        if not self.area_bloating_ratio > 0:
            raise ValueError(
                f"area_bloating_ratio must be positive, got {self.area_bloating_ratio}"
            )
        if self.max_fanout < 0:
            raise ValueError(f"max_fanout must be non-negative, got {self.max_fanout}")

    @property
    def soft_macro_width(self) -> float:
        """Width of every soft macro: one grid column (microns)."""
        return self.canvas_width / self.grid_cols

    @classmethod
    def from_plc(cls, path: str | Path) -> GroupingSettings:
        """Takes the canvas and grid from a ``.plc`` header.

        The canvas comes from the viewer line's ``--canvas_width`` / ``--canvas_height`` when the
        header has one (full precision), else from ``# Width : ... Height : ...``.

        Raises:
            NetlistFormatError: The header lacks the grid or canvas, or is malformed.
        """
        path = Path(path)
        header = read_plc_header(path)
        if header is None or header.canvas_width is None or header.canvas_height is None:
            raise NetlistFormatError(
                path, "the header needs '# Columns : C  Rows : R' and '# Width : W  Height : H'"
            )
        width, height = header.canvas_width, header.canvas_height
        for number, line in enumerate(read_text(path).split("\n"), start=1):
            match = _VIEWER_CANVAS.search(line) if line.lstrip().startswith("#") else None
            if match is not None:
                try:
                    width, height = float(match.group(1)), float(match.group(2))
                except ValueError:
                    raise NetlistFormatError(
                        path,
                        "the viewer line's canvas size is not a number",
                        line=number,
                        field="--canvas_width",
                    ) from None
                break
        return cls(width, height, header.grid_cols, header.grid_rows)


@dataclass(frozen=True)
class FlatNetlist:
    """A flat Circuit Training netlist, digested for grouping (nodes in file order).

    Attributes:
        path: The file read.
        names: Node names (``__metadata__`` excluded).
        types: Upper-case node types: ``PORT``, ``MACRO``, ``MACRO_PIN`` or ``STDCELL``.
        sinks: Distinct sink indices of the net each node drives, in first-seen order (empty for
            macros, whose inputs Circuit Training ignores).
        weights: Net weight of each node as a driver (float32 values, 1 when absent).
        xy: Centre (microns, float32 values) or ``None``; macro pins already at macro centre plus
            oriented offset.
        offsets: Macro-pin offsets (microns, float32 values, as written) or ``None``.
        sizes: Width and height (microns, float32 values) or ``None``.
        sides: Upper-case port side or ``None``.
        owners: Index of a macro pin's macro, else -1.
        orientations: A macro's orientation name (``None`` when not written).
    """

    path: Path
    names: tuple[str, ...]
    types: tuple[str, ...]
    sinks: tuple[tuple[int, ...], ...]
    weights: tuple[float, ...]
    xy: tuple[tuple[float, float] | None, ...]
    offsets: tuple[tuple[float, float] | None, ...]
    sizes: tuple[tuple[float, float] | None, ...]
    sides: tuple[str | None, ...]
    owners: tuple[int, ...]
    orientations: tuple[str | None, ...]

    @property
    def num_nodes(self) -> int:
        """Number of nodes (the number of lines ``groups.final`` must have)."""
        return len(self.names)


# -- reading ------------------------------------------------------------------------------------


def read_groups(path: str | Path, num_nodes: int | None = None) -> np.ndarray:
    """Reads ``groups.final`` (plain or gzipped): one non-negative group id per line.

    Args:
        path: The groups file.
        num_nodes: When given, the number of ids the file must hold (the flat netlist's nodes).

    Returns:
        ``(num_nodes,)`` int64 group ids, line ``i + 1`` holding node ``i``'s id.

    Raises:
        NetlistFormatError: A line that is not a non-negative integer (``-1``, Circuit Training's
            "no group", is refused: every node needs a group), or a count other than
            ``num_nodes``; the error names the file and line.
    """
    path = Path(path)
    lines = read_text(path).split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the final newline
    ids = np.empty(len(lines), dtype=np.int64)
    for index, line in enumerate(lines):
        ids[index] = _group_id(line, path, index + 1)
    if num_nodes is not None and len(ids) != num_nodes:
        if len(ids) > num_nodes:
            line, where = num_nodes + 1, f"line {num_nodes + 1} is one too many"
        else:
            line, where = len(ids) or None, "the file ends early"
        raise NetlistFormatError(
            path,
            f"{len(ids)} group ids for {num_nodes} nodes ({where}): the file needs one line per "
            "node of the flat netlist, in its order",
            line=line,
            field="group",
        )
    return ids


def _group_id(line: str, path: Path, number: int) -> int:
    token = line.strip()
    if not token:
        raise NetlistFormatError(
            path, "empty line; expected a group id", line=number, field="group"
        )
    body = token[1:] if token[:1] in "+-" else token
    if not (body.isascii() and body.isdigit()):
        raise NetlistFormatError(
            path,
            f"expected a group id (a non-negative integer), got {line!r}",
            line=number,
            field="group",
        )
    value = int(token)
    if value < 0:
        raise NetlistFormatError(
            path,
            f"group id {value} is negative; every node needs a group id >= 0",
            line=number,
            field="group",
        )
    return value


def read_flat_netlist(path: str | Path) -> FlatNetlist:
    """Reads a flat Circuit Training netlist (plain or gzipped) for :func:`apply_grouping`.

    Args:
        path: ``*.pb.txt`` or ``*.pb.txt.gz``.

    Raises:
        NetlistFormatError: Malformed text, an unknown type, an input or ``macro_name`` naming no
            node, a duplicate name, or a standard cell or macro without width and height.
    """
    path = Path(path)
    records = [r for r in _parse_records(read_text(path), path) if r.name != "__metadata__"]
    index = _name_index(records, path)
    types = tuple(_node_type(r, path) for r in records)
    numbers = _float32_attrs(records, path)
    sinks = tuple(_sinks(r, t, index, path) for r, t in zip(records, types, strict=True))
    owners = tuple(_owner(r, t, index, types, path) for r, t in zip(records, types, strict=True))
    sizes = tuple(_pair(n, "width", "height") for n in numbers)
    for record, kind, size in zip(records, types, sizes, strict=True):
        if kind in ("STDCELL", "MACRO") and size is None:
            raise NetlistFormatError(
                path,
                f"{kind.lower()} {record.name!r} needs width and height",
                line=record.line,
                field="width",
            )
    orientations = tuple(_orientation(r, t, path) for r, t in zip(records, types, strict=True))
    offsets = tuple(_pair(n, "x_offset", "y_offset") for n in numbers)
    xy = [_pair(n, "x", "y") for n in numbers]
    for pin, owner in enumerate(owners):
        if owner >= 0 and xy[owner] is not None and offsets[pin] is not None:
            xy[pin] = _pin_position(xy[owner], offsets[pin], orientations[owner])
    return FlatNetlist(
        path=path,
        names=tuple(r.name for r in records),  # type: ignore[misc]
        types=types,
        sinks=sinks,
        weights=tuple(n.get("weight", 1.0) for n in numbers),
        xy=tuple(xy),
        offsets=offsets,
        sizes=sizes,
        sides=tuple(_side(r, t, path) for r, t in zip(records, types, strict=True)),
        owners=owners,
        orientations=orientations,
    )


def _name_index(records: list[_Record], path: Path) -> dict[str, int]:
    index: dict[str, int] = {}
    for number, record in enumerate(records):
        if record.name in index:
            raise NetlistFormatError(
                path,
                f"duplicate node name {record.name!r}",
                line=record.line_of("name"),
                field="name",
            )
        index[record.name] = number  # type: ignore[index]
    return index


def _node_type(record: _Record, path: Path) -> str:
    kind = record.attrs.get("type")
    if not isinstance(kind, str) or kind.upper() not in _NODE_TYPES:
        raise NetlistFormatError(
            path,
            f"node {record.name!r} has type {kind!r}; allowed: {', '.join(_NODE_TYPES)} (any case)",
            line=record.line_of("type"),
            field="type",
        )
    return kind.upper()


def _float32_attrs(records: list[_Record], path: Path) -> list[dict[str, float]]:
    """Each record's numeric attributes as the float32 values protobuf stores (as floats).

    Raises:
        NetlistFormatError: A value too large for float32.
    """
    values = [v for r in records for v in r.attrs.values() if isinstance(v, float)]
    with np.errstate(over="ignore"):
        singles = np.array(values, dtype=np.float64).astype(np.float32)
    if not np.isfinite(singles).all():
        bad = values[int(np.flatnonzero(~np.isfinite(singles))[0])]
        record, key = next(
            (r, k) for r in records for k, v in r.attrs.items() if isinstance(v, float) and v == bad
        )
        raise NetlistFormatError(
            path,
            f"{record.name!r}: {key} {bad!r} overflows float32",
            line=record.line_of(key),
            field=key,
        )
    rounded = iter(singles.astype(np.float64).tolist())
    return [{k: next(rounded) for k, v in r.attrs.items() if isinstance(v, float)} for r in records]


def _pair(numbers: dict[str, float], first: str, second: str) -> tuple[float, float] | None:
    if first in numbers and second in numbers:
        return numbers[first], numbers[second]
    return None


def _sinks(record: _Record, kind: str, index: dict[str, int], path: Path) -> tuple[int, ...]:
    found: dict[int, None] = {}
    for name, offset in zip(record.inputs, record.input_offsets, strict=True):
        sink = index.get(name)
        if sink is None:
            raise NetlistFormatError(
                path,
                f"unknown node {name!r} in the inputs of {record.name!r}",
                line=record._lines(offset),
                field="input",
            )
        found[sink] = None
    return () if kind == "MACRO" else tuple(found)


def _owner(
    record: _Record, kind: str, index: dict[str, int], types: tuple[str, ...], path: Path
) -> int:
    if kind != "MACRO_PIN":
        return -1
    owner = index.get(record.attrs.get("macro_name"))  # type: ignore[arg-type]
    if owner is None or types[owner] != "MACRO":
        raise NetlistFormatError(
            path,
            f"pin {record.name!r} names {record.attrs.get('macro_name')!r}, which is not a macro",
            line=record.line_of("macro_name"),
            field="macro_name",
        )
    return owner


def _orientation(record: _Record, kind: str, path: Path) -> str | None:
    text = record.attrs.get("orientation")
    if kind != "MACRO" or text is None:
        return None
    try:
        return Orientation.parse(str(text)).name
    except ValueError as error:
        raise NetlistFormatError(
            path, str(error), line=record.line_of("orientation"), field="orientation"
        ) from None


def _side(record: _Record, kind: str, path: Path) -> str | None:
    side = record.attrs.get("side")
    if kind != "PORT" or side is None:
        return None
    if not isinstance(side, str):
        raise NetlistFormatError(
            path,
            f"port {record.name!r}: side must be a name, got {side!r}",
            line=record.line_of("side"),
            field="side",
        )
    return side.upper()


def _pin_position(
    centre: tuple[float, float], offset: tuple[float, float], orientation: str | None
) -> tuple[float, float]:
    """Macro centre plus the offset turned to the macro's orientation (unturned when unknown)."""
    dx, dy = offset
    if orientation is not None:
        dx, dy = Orientation[orientation].transform(dx, dy)
    return centre[0] + dx, centre[1] + dy


# -- grouping -----------------------------------------------------------------------------------


def apply_grouping(flat: FlatNetlist, groups: np.ndarray, settings: GroupingSettings) -> str:
    """Builds the clustered netlist's text from a flat netlist and a grouping.

    Args:
        flat: The flat netlist (:func:`read_flat_netlist`).
        groups: ``(flat.num_nodes,)`` non-negative group ids, one per node (:func:`read_groups`).
        settings: Canvas, grid and soft-macro rules.

    Returns:
        The protobuf text of the clustered netlist (see the module docstring for its rules).

    Raises:
        NetlistFormatError: ``groups`` does not hold one non-negative id per node of ``flat``.
    """
    groups = np.asarray(groups, dtype=np.int64)
    if groups.shape != (flat.num_nodes,):
        raise NetlistFormatError(
            flat.path,
            f"the grouping must hold one id per node: shape {groups.shape} for "
            f"{flat.num_nodes} nodes",
        )
    if (groups < 0).any():
        node = int(np.flatnonzero(groups < 0)[0])
        raise NetlistFormatError(
            flat.path, f"node {flat.names[node]!r} has negative group id {groups[node]}"
        )
    return _Writer(flat, groups.tolist(), settings).text()


class _Writer:
    """Writes one clustered netlist (state shared by its small steps)."""

    def __init__(self, flat: FlatNetlist, groups: list[int], settings: GroupingSettings) -> None:
        self.flat = flat
        self.groups = groups
        self.settings = settings
        self.is_cell = [kind == "STDCELL" for kind in flat.types]
        self.lines: list[str] = []

    def text(self) -> str:
        ratio = self.settings.area_bloating_ratio
        self._node("__metadata__", (), {"soft_macro_area_bloating_ratio": ratio})
        members: dict[int, list[int]] = {}
        for node, group in enumerate(self.groups):
            if self.is_cell[node]:
                members.setdefault(group, []).append(node)
            else:
                self._kept_node(node)
        for group in sorted(members):
            self._soft_macro(group, members[group])
        return "\n".join(self.lines) + "\n"

    def _fanout(self, node: int) -> list[int]:
        """The writer's sink keys of ``node``'s net, sorted: ``-g - 1`` for group g, else the
        sink's index; sinks in the driver's own group are left out."""
        sinks = self.flat.sinks[node]
        if len(sinks) > self.settings.max_fanout:
            return []  # a clock or other wide net: disconnected
        own = self.groups[node] if self.is_cell[node] else None
        keys = set()
        for sink in sinks:
            if self.is_cell[sink]:
                if self.groups[sink] != own:
                    keys.add(-self.groups[sink] - 1)
            else:
                keys.add(sink)
        return sorted(keys)

    def _sink_name(self, key: int) -> str:
        return f"Grp_{-1 - key}/Pinput" if key < 0 else self.flat.names[key]

    def _kept_node(self, node: int) -> None:
        flat = self.flat
        kind = flat.types[node]
        inputs = [] if kind == "MACRO" else [self._sink_name(k) for k in self._fanout(node)]
        attrs: dict[str, float | str] = {"type": kind}
        if kind != "MACRO" and flat.weights[node] != 1.0:
            attrs["weight"] = flat.weights[node]
        for keys, values in (
            (("x", "y"), flat.xy[node]),
            (("x_offset", "y_offset"), flat.offsets[node]),
            (("width", "height"), flat.sizes[node]),
        ):
            if values is not None:
                attrs.update(zip(keys, values, strict=True))
        if kind == "PORT" and flat.sides[node] is not None:
            attrs["side"] = flat.sides[node]  # type: ignore[assignment]
        if kind == "MACRO_PIN":
            attrs["macro_name"] = flat.names[flat.owners[node]]
        if kind == "MACRO":
            attrs["orientation"] = flat.orientations[node] or "N"
        self._node(flat.names[node], inputs, attrs)

    def _soft_macro(self, group: int, cells: list[int]) -> None:
        flat = self.flat
        name = f"Grp_{group}"
        areas = [flat.sizes[c][0] * flat.sizes[c][1] for c in cells]  # type: ignore[index]
        area = sum(areas)
        width = self.settings.soft_macro_width
        height = area * self.settings.area_bloating_ratio / width
        x, y = _centroid([flat.xy[c] for c in cells], areas)
        self._node(name, (), {"height": height, "type": "macro", "width": width, "x": x, "y": y})
        pin = {
            "macro_name": name,
            "type": "macro_pin",
            "x": x,
            "x_offset": 0.0,
            "y": y,
            "y_offset": 0.0,
        }
        single: dict[int, float] = {}
        multi = 0
        for cell in cells:
            keys = self._fanout(cell)
            weight = flat.weights[cell]
            if len(keys) == 1:
                single[keys[0]] = single.get(keys[0], 0.0) + weight
            elif keys:
                self._pin(f"{name}/Poutput_multi_{multi}", keys, weight, pin)
                multi += 1
        for number, key in enumerate(sorted(single)):
            self._pin(f"{name}/Poutput_single_{number}", [key], single[key], pin)
        self._node(f"{name}/Pinput", (), pin)

    def _pin(self, name: str, keys: list[int], weight: float, attrs: dict) -> None:
        attrs = dict(attrs, weight=weight) if weight != 1.0 else attrs
        self._node(name, [self._sink_name(k) for k in keys], attrs)

    def _node(self, name: str, inputs: Sequence[str], attrs: dict[str, float | str]) -> None:
        self.lines.extend(node_lines(name, inputs, attrs))


def node_lines(name: str, inputs: Sequence[str], attrs: dict[str, float | str]) -> list[str]:
    """One ``node { ... }`` record as Circuit Training writes it: name, inputs, then the
    attributes sorted by key (strings as ``placeholder``, numbers as float32 ``f``)."""
    lines = ["node {", f'  name: "{_escape(name)}"']
    lines.extend(f'  input: "{_escape(sink)}"' for sink in inputs)
    for key in sorted(attrs):
        value = attrs[key]
        if isinstance(value, str):
            text = f'placeholder: "{_escape(value)}"'
        else:
            text = f"f: {format_float32(value)}"
        lines += ["  attr {", f'    key: "{key}"', "    value {", f"      {text}", "    }", "  }"]
    lines.append("}")
    return lines


def _centroid(
    positions: list[tuple[float, float] | None], areas: list[float]
) -> tuple[float, float]:
    """Area-weighted mean of the cells' centres (unplaced cells count at (-1, -1), as in Circuit
    Training); (0, 0) when the cells have no area."""
    total = sx = sy = 0.0
    for xy, area in zip(positions, areas, strict=True):
        x, y = xy if xy is not None else (-1.0, -1.0)
        sx += x * area
        sy += y * area
        total += area
    if total < 1e-9:
        return 0.0, 0.0
    return sx / total, sy / total


def _escape(text: str) -> str:
    """Escapes a string for protobuf text format (what the readers unescape)."""
    if not any(c in text for c in "\\\"'\n\r\t"):
        return text
    return (
        text.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("'", "\\'")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )


def format_float32(value: float) -> str:
    """Writes ``value`` rounded to float32 as protobuf text format does, without an exponent.

    Protobuf prints the shortest ``%g`` form of at least 6 significant digits that reads back as
    the same float32; this keeps those digits but always writes them positionally (``0.00001``,
    not ``1e-05``), since TILOS's parser cannot read exponents.
    """
    single = np.float32(value)
    if not np.isfinite(single):
        raise ValueError(f"{value!r} is not a finite float32")
    for precision in range(6, 10):
        shortest = float(f"{float(single):.{precision}g}")
        if np.float32(shortest) == single:
            break
    return np.format_float_positional(shortest, unique=True, trim="0")


# -- files --------------------------------------------------------------------------------------


def write_grouped_netlist(text: str, path: str | Path) -> Path:
    """Writes netlist text gzip-compressed (level 9, no name or time stamp, like ``gzip -9 -n``).

    Returns:
        The path written.
    """
    path = Path(path)
    path.write_bytes(gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0))
    return path


def group_design(
    flat_path: str | Path,
    out_dir: str | Path,
    *,
    groups_path: str | Path | None = None,
    plc_path: str | Path | None = None,
    area_bloating_ratio: float = 2.0,
) -> tuple[Path, Path]:
    """Clusters a flat netlist with a given grouping into ``OUT/netlist.pb.txt.gz`` and
    ``OUT/initial.plc``.

    The ``.plc`` gives the canvas and grid. When it places the clustered netlist (TILOS ships
    ``initial.plc`` with its clustered netlists, and numbers their nodes), it is copied unchanged
    as ``initial.plc``. Otherwise (a placement of the flat design, say) a new ``initial.plc`` is
    written with its header settings and the clustered netlist's own positions: hard macros and
    ports where the flat netlist put them, soft macros at their cells' centroids, which is what
    Circuit Training writes, and what TILOS's ``initial.plc`` files hold.

    Args:
        flat_path: The flat netlist (``.pb.txt`` or ``.pb.txt.gz``).
        out_dir: Output folder (created when missing).
        groups_path: The grouping; default ``groups.final`` or ``groups.final.gz`` beside
            ``flat_path``.
        plc_path: The ``.plc`` giving canvas and grid; default ``initial.plc`` beside
            ``flat_path`` (the bundled flat designs take theirs from ``ct_modern/<design>_ng45/``).
        area_bloating_ratio: Soft-macro area / cell area (:class:`GroupingSettings`).

    Returns:
        The netlist and ``.plc`` written.

    Raises:
        NetlistFormatError: A malformed netlist, groups file or ``.plc``, a ``.plc`` header
            without grid or canvas, or a groups file without one line per node.
        NetlistFormatError: (field ``groups`` or ``plc``) no groups file or ``.plc`` given, and
            none beside ``flat_path``.
    """
    flat_path, out_dir = Path(flat_path), Path(out_dir)
    if groups_path is None:
        groups_path = file_beside(flat_path, "groups.final", "groups")
    groups_path = Path(groups_path)
    plc_path = Path(plc_path) if plc_path else file_beside(flat_path, "initial.plc", "plc")
    settings = replace(GroupingSettings.from_plc(plc_path), area_bloating_ratio=area_bloating_ratio)
    flat = read_flat_netlist(flat_path)
    groups = read_groups(groups_path, flat.num_nodes)
    text = apply_grouping(flat, groups, settings)
    out_dir.mkdir(parents=True, exist_ok=True)
    netlist_path = write_grouped_netlist(text, out_dir / "netlist.pb.txt.gz")
    return netlist_path, _write_initial_plc(netlist_path, plc_path, out_dir / "initial.plc")


def file_beside(flat_path: Path, name: str, option: str) -> Path:
    """``name`` or ``name.gz`` in ``flat_path``'s folder.

    Raises:
        NetlistFormatError: Neither exists (the message names the ``--option`` to pass).
    """
    for candidate in (flat_path.parent / name, flat_path.parent / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    raise NetlistFormatError(flat_path, f"no {name} beside it: pass one (--{option})", field=option)


# read_plc raises with these fields when a well-formed .plc numbers another netlist.
_FOREIGN_PLC_FIELDS = frozenset(
    {"node_index", "HARD_MACROs", "SOFT_MACROs", "MACROs", "PORTs", "STDCELLs"}
)


def _write_initial_plc(netlist_path: Path, plc_path: Path, out: Path) -> Path:
    """Copies ``plc_path`` to ``out`` when it places the clustered netlist, else writes a fresh
    ``.plc`` from the netlist's own positions with ``plc_path``'s header settings."""
    in_place = out.exists() and out.resolve() == plc_path.resolve()
    if not in_place:
        # read_circuit_training would take a stale initial.plc beside the netlist as its placement.
        out.unlink(missing_ok=True)
    try:
        read_circuit_training(netlist_path, plc_path)
    except NetlistFormatError as error:
        if error.field not in _FOREIGN_PLC_FIELDS or error.path != str(plc_path):
            raise
        if in_place:
            raise NetlistFormatError(
                plc_path,
                f"{error.reason}; a new initial.plc for the clustered netlist would overwrite "
                "this file: write to another folder",
                line=error.line,
                field=error.field,
            ) from None
        _log.info(
            "%s does not place the clustered netlist (%s); writing %s from the netlist's "
            "positions with its header settings",
            plc_path,
            error.reason,
            out,
        )
        design = read_circuit_training(netlist_path)
        return write_plc(design.netlist, design.placement, out, read_plc_header(plc_path))
    if not in_place:
        shutil.copyfile(plc_path, out)
    return out
