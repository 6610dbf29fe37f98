"""GSRC Bookshelf: ``.aux``, ``.nodes``, ``.nets``, ``.wts``, ``.pl`` and ``.scl``.

Reading rules (the ISPD/ICCAD academic conventions):

* The ``.aux`` line ``RowBasedPlacement : a.nodes a.nets a.wts a.pl a.scl`` names the members; each
  is looked up beside the ``.aux`` as written, then with ``.gz`` appended.
* ``.pl`` coordinates are lower-left corners; the data model stores centres. ``/FIXED`` (and
  ``/FIXED_NI``) marks a node fixed, as does ``terminal`` / ``terminal_NI`` in ``.nodes``.
* Pin offsets in ``.nets`` are from the node centre; a pin without ``: dx dy`` sits at the centre.
* A movable node taller than the row height is a hard macro, otherwise a standard cell; a terminal
  taller than the row height is a fixed hard macro, otherwise a port (pad).
* ``.wts`` lines naming a net set its weight. Lines naming a node carry node weights, which no cost
  in this project uses: they are checked and skipped (ICCAD04 lists zeros).
* Without a ``.scl`` the die is the bounding box of the ``.pl`` positions.
* A ``.kinds`` member (this project's, written by :func:`write_bookshelf`; other readers skip it)
  names the node kinds the height rule cannot express (soft macros, fixed standard cells) and,
  with ``NoRows``, the die of a design whose ``.scl`` rows the writer made up, or with ``Die``
  the die of a design whose rows do not span it (a DEF's core rows inside its die).
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np

from netlists.design import Design
from netlists.errors import NetlistFormatError, UnsupportedFormatError
from netlists.formats._text import (
    format_number,
    parse_float,
    parse_int,
    read_text,
    resolve_member,
)
from netlists.netlist import Netlist
from netlists.placement import Placement
from netlists.types import Canvas, NodeKind, Orientation, PinDirection, Row

logger = logging.getLogger(__name__)

_DIRECTIONS = {"I": PinDirection.INPUT, "O": PinDirection.OUTPUT, "B": PinDirection.BIDIRECTIONAL}
_STANDARD_MEMBERS = (".nodes", ".nets", ".wts", ".pl", ".scl")
_MEMBER_SUFFIXES = (*_STANDARD_MEMBERS, ".kinds")


def _content_lines(text: str) -> Iterator[tuple[int, list[str]]]:
    """Yields (1-based line number, tokens) for lines that are not blank or comments."""
    for number, line in enumerate(text.split("\n"), start=1):
        if "#" in line:
            line = line[: line.index("#")]
        tokens = line.split()
        if tokens:
            yield number, tokens


def _skip_header(lines: Iterator[tuple[int, list[str]]], path: Path, kind: str):
    """Consumes the ``UCLA <kind> 1.0`` line; returns the iterator positioned after it."""
    first = next(lines, None)
    if first is None:
        raise NetlistFormatError(path, f"empty file; expected the header 'UCLA {kind} 1.0'")
    number, tokens = first
    if len(tokens) < 2 or tokens[0] != "UCLA" or tokens[1] != kind:
        raise NetlistFormatError(
            path, f"expected the header 'UCLA {kind} 1.0', got {' '.join(tokens)!r}", line=number
        )
    return lines


def _keyword_value(tokens: list[str], path: Path, number: int) -> tuple[str, str] | None:
    """Parses ``Key : value`` (also ``Key: value`` and ``Key :value``); None for other lines."""
    joined = " ".join(tokens)
    if ":" not in joined:
        return None
    key, _, value = joined.partition(":")
    key, value = key.strip(), value.strip()
    if not key or " " in key:
        return None
    if not value:
        raise NetlistFormatError(path, f"{key} has no value", line=number, field=key)
    return key, value


def _read_aux(path: Path) -> dict[str, Path]:
    text = read_text(path)
    members: dict[str, Path] = {}
    for number, tokens in _content_lines(text):
        joined = " ".join(tokens)
        if ":" not in joined:
            raise NetlistFormatError(
                path, "expected 'RowBasedPlacement : <files>'", line=number, field="aux"
            )
        for name in joined.partition(":")[2].split():
            suffix = Path(name.removesuffix(".gz")).suffix
            if suffix not in _MEMBER_SUFFIXES:
                continue  # other members (.shapes, .route) are not used by this project
            if suffix in members:
                raise NetlistFormatError(path, f"two {suffix} files listed", line=number)
            try:
                found = resolve_member(path.parent, name)
            except OSError as error:
                raise NetlistFormatError(
                    path,
                    f"cannot look up member {name!r}: {error.strerror or error}",
                    line=number,
                    field=suffix,
                ) from None
            if found is None:
                raise NetlistFormatError(
                    path,
                    f"member {name!r} not found (looked for {name} and {name}.gz in {path.parent})",
                    line=number,
                    field=suffix,
                )
            members[suffix] = found
    for required in (".nodes", ".nets"):
        if required not in members:
            raise NetlistFormatError(path, f"the .aux lists no {required} file", field=required)
    return members


def _read_nodes(path: Path):
    lines = _skip_header(_content_lines(read_text(path)), path, "nodes")
    declared: dict[str, int] = {}
    names: list[str] = []
    sizes: list[tuple[float, float]] = []
    terminal: list[bool] = []
    index: dict[str, int] = {}
    for number, tokens in lines:
        keyword = (
            _keyword_value(tokens, path, number)
            if ":" in tokens[0] or (len(tokens) > 1 and tokens[1].startswith(":"))
            else None
        )
        if keyword is not None:
            key, value = keyword
            if key not in ("NumNodes", "NumTerminals"):
                raise NetlistFormatError(path, f"unknown keyword {key!r}", line=number, field=key)
            declared[key] = parse_int(value, path, number, key)
            continue
        if len(tokens) not in (3, 4):
            raise NetlistFormatError(
                path, "expected 'name width height [terminal|terminal_NI]'", line=number
            )
        name = tokens[0]
        width = parse_float(tokens[1], path, number, f"node {name} width")
        height = parse_float(tokens[2], path, number, f"node {name} height")
        if width < 0 or height < 0:
            raise NetlistFormatError(
                path, f"negative size {width} x {height}", line=number, field=f"node {name}"
            )
        is_terminal = False
        if len(tokens) == 4:
            if tokens[3] not in ("terminal", "terminal_NI"):
                raise NetlistFormatError(
                    path,
                    f"unknown node flag {tokens[3]!r}; allowed: terminal, terminal_NI",
                    line=number,
                    field=f"node {name}",
                )
            is_terminal = True
        if name in index:
            raise NetlistFormatError(
                path, f"duplicate node name {name!r}", line=number, field=f"node {name}"
            )
        index[name] = len(names)
        names.append(name)
        sizes.append((width, height))
        terminal.append(is_terminal)
    if "NumNodes" in declared and declared["NumNodes"] != len(names):
        raise NetlistFormatError(
            path,
            f"NumNodes says {declared['NumNodes']} but {len(names)} nodes are listed "
            "(truncated file?)",
            field="NumNodes",
        )
    if "NumTerminals" in declared and declared["NumTerminals"] != sum(terminal):
        raise NetlistFormatError(
            path,
            f"NumTerminals says {declared['NumTerminals']} but {sum(terminal)} are listed",
            field="NumTerminals",
        )
    sizes_array = np.array(sizes, dtype=np.float64).reshape(-1, 2)
    return names, index, sizes_array, np.array(terminal, dtype=bool)


def _read_nets(path: Path, index: dict[str, int]):
    lines = _skip_header(_content_lines(read_text(path)), path, "nets")
    declared: dict[str, int] = {}
    net_names: list[str] = []
    seen_nets: set[str] = set()
    starts = [0]
    pin_nodes: list[int] = []
    pin_dx: list[float] = []
    pin_dy: list[float] = []
    pin_dirs: list[int] = []
    remaining = 0  # pins still expected for the current net
    net_line = 0
    directions = _DIRECTIONS
    for number, tokens in lines:
        head = tokens[0]
        if remaining:
            # A pin line: node dir [: dx dy]   (dir may be missing in some writers)
            node = index.get(head)
            if node is None:
                if head.startswith("NetDegree") or head.startswith("Num"):
                    raise NetlistFormatError(
                        path,
                        f"net {net_names[-1]!r} declares more pins than it lists "
                        f"({remaining} missing)",
                        line=net_line,
                        field=f"net {net_names[-1]}",
                    )
                raise NetlistFormatError(
                    path, f"unknown node {head!r}", line=number, field=f"net {net_names[-1]}"
                )
            n = len(tokens)
            if n >= 2 and tokens[1] in directions:
                direction = directions[tokens[1]]
                rest = tokens[2:]
            else:
                direction = PinDirection.BIDIRECTIONAL
                rest = tokens[1:]
            if rest:
                if rest[0] == ":" and len(rest) == 3:
                    dx, dy = rest[1], rest[2]
                elif rest[0].startswith(":") and len(rest) == 2 and len(rest[0]) > 1:
                    dx, dy = rest[0][1:], rest[1]
                else:
                    raise NetlistFormatError(
                        path,
                        "expected 'node [I|O|B] [: dx dy]'",
                        line=number,
                        field=f"net {net_names[-1]}",
                    )
                try:
                    pin_dx.append(float(dx))
                    pin_dy.append(float(dy))
                except ValueError:
                    bad = dx if not _is_number(dx) else dy
                    raise NetlistFormatError(
                        path,
                        f"expected a number, got {bad!r}",
                        line=number,
                        field=f"net {net_names[-1]} pin offset",
                    ) from None
                if not (np.isfinite(pin_dx[-1]) and np.isfinite(pin_dy[-1])):
                    raise NetlistFormatError(
                        path, "pin offset is not finite", line=number, field="pin offset"
                    )
            else:
                pin_dx.append(0.0)
                pin_dy.append(0.0)
            pin_nodes.append(node)
            pin_dirs.append(direction)
            remaining -= 1
            if not remaining:
                starts.append(len(pin_nodes))
            continue
        keyword = _keyword_value(tokens, path, number)
        if keyword is None:
            raise NetlistFormatError(
                path, f"expected 'NetDegree : k [name]', got {' '.join(tokens)!r}", line=number
            )
        key, value = keyword
        if key == "NetDegree":
            parts = value.split()
            if len(parts) > 2:
                raise NetlistFormatError(
                    path,
                    f"expected 'NetDegree : k [name]', got {' '.join(tokens)!r}",
                    line=number,
                    field="NetDegree",
                )
            degree = parse_int(parts[0], path, number, "NetDegree")
            name = parts[1] if len(parts) > 1 else f"net{len(net_names)}"
            if name in seen_nets:
                raise NetlistFormatError(
                    path, f"duplicate net name {name!r}", line=number, field=f"net {name}"
                )
            seen_nets.add(name)
            net_names.append(name)
            net_line = number
            if degree == 0:
                starts.append(len(pin_nodes))
            remaining = degree
        elif key in ("NumNets", "NumPins"):
            declared[key] = parse_int(value, path, number, key)
        else:
            raise NetlistFormatError(path, f"unknown keyword {key!r}", line=number, field=key)
    if remaining:
        raise NetlistFormatError(
            path,
            f"file ends inside net {net_names[-1]!r}: {remaining} pins missing (truncated?)",
            line=net_line,
            field=f"net {net_names[-1]}",
        )
    if "NumNets" in declared and declared["NumNets"] != len(net_names):
        raise NetlistFormatError(
            path,
            f"NumNets says {declared['NumNets']} but {len(net_names)} nets are listed",
            field="NumNets",
        )
    if "NumPins" in declared and declared["NumPins"] != len(pin_nodes):
        raise NetlistFormatError(
            path,
            f"NumPins says {declared['NumPins']} but {len(pin_nodes)} pins are listed",
            field="NumPins",
        )
    offsets = np.column_stack([np.array(pin_dx, dtype=np.float64), np.array(pin_dy)])
    return (
        net_names,
        np.array(starts, dtype=np.int64),
        np.array(pin_nodes, dtype=np.int32),
        offsets,
        np.array(pin_dirs, dtype=np.int8),
    )


def _is_number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def _read_wts(
    path: Path, net_index: dict[str, int], node_index: dict[str, int]
) -> dict[int, float]:
    text = read_text(path)
    lines = _content_lines(text)
    first = next(lines, None)
    weights: dict[int, float] = {}
    if first is None:
        return weights
    if first[1][0] == "UCLA":
        if len(first[1]) < 2 or first[1][1] != "wts":
            raise NetlistFormatError(
                path,
                f"expected the header 'UCLA wts 1.0', got {' '.join(first[1])!r}",
                line=first[0],
            )
    else:
        lines = iter([first, *lines])
    nonzero_node_weights = 0
    for number, tokens in lines:
        if len(tokens) != 2:
            raise NetlistFormatError(path, "expected 'name weight'", line=number)
        name, value = tokens
        weight = parse_float(value, path, number, f"weight of {name}")
        if weight < 0:
            raise NetlistFormatError(path, f"negative weight {weight}", line=number, field=name)
        if name in net_index:
            if net_index[name] in weights:
                raise NetlistFormatError(
                    path, f"net {name!r} is given a weight twice", line=number, field=name
                )
            weights[net_index[name]] = weight
        elif name in node_index:
            nonzero_node_weights += weight != 0
        else:
            raise NetlistFormatError(
                path, f"{name!r} is neither a net nor a node", line=number, field=name
            )
    if nonzero_node_weights:
        logger.info(
            "%s: %d non-zero node weights skipped (no cost uses them)", path, nonzero_node_weights
        )
    return weights


def _read_pl(path: Path, index: dict[str, int], sizes: np.ndarray):
    lines = _skip_header(_content_lines(read_text(path)), path, "pl")
    n = len(sizes)
    corners = np.zeros((n, 2), dtype=np.float64)
    orientations = np.zeros(n, dtype=np.int8)
    placed = np.zeros(n, dtype=bool)
    fixed = np.zeros(n, dtype=bool)
    for number, tokens in lines:
        name = tokens[0]
        node = index.get(name)
        if node is None:
            raise NetlistFormatError(path, f"unknown node {name!r}", line=number, field="node")
        if len(tokens) < 3:
            raise NetlistFormatError(
                path, "expected 'name x y [: orientation] [/FIXED]'", line=number, field=name
            )
        x = parse_float(tokens[1], path, number, f"{name} x")
        y = parse_float(tokens[2], path, number, f"{name} y")
        rest = tokens[3:]
        if rest and rest[0].startswith(":"):
            text = rest[0][1:] or (rest[1] if len(rest) > 1 else "")
            rest = rest[1:] if rest[0][1:] else rest[2:]
            try:
                orientations[node] = Orientation.parse(text)
            except ValueError as error:
                raise NetlistFormatError(path, str(error), line=number, field=name) from None
        for flag in rest:
            if flag not in ("/FIXED", "/FIXED_NI"):
                raise NetlistFormatError(
                    path,
                    f"unknown flag {flag!r}; allowed: /FIXED, /FIXED_NI",
                    line=number,
                    field=name,
                )
            fixed[node] = True
        if placed[node]:
            raise NetlistFormatError(path, f"node {name!r} placed twice", line=number, field=name)
        corners[node] = (x, y)
        placed[node] = True
    return corners, orientations, placed, fixed


def _read_scl(path: Path) -> tuple[Row, ...]:
    lines = _skip_header(_content_lines(read_text(path)), path, "scl")
    rows: list[Row] = []
    declared: int | None = None
    current: dict[str, str] | None = None
    start_line = 0
    for number, tokens in lines:
        if tokens[0] == "CoreRow":
            if current is not None:
                raise NetlistFormatError(path, "CoreRow inside a row (missing End)", line=number)
            current, start_line = {}, number
            continue
        if tokens[0] == "End":
            if current is None:
                raise NetlistFormatError(path, "End without CoreRow", line=number)
            rows.append(_make_row(current, path, start_line))
            current = None
            continue
        joined = " ".join(tokens)
        if ":" not in joined:
            raise NetlistFormatError(path, f"unexpected text {joined!r}", line=number)
        # 'SubrowOrigin : 0 Numsites : 2295' holds two 'key : value' pairs: every part between
        # two colons is one value and the next key.
        parts = [part.split() for part in joined.split(":")]
        if len(parts[0]) != 1 or len(parts[-1]) != 1 or any(len(part) != 2 for part in parts[1:-1]):
            raise NetlistFormatError(
                path, f"expected 'key : value' pairs, got {joined!r}", line=number
            )
        keys = [parts[0][0]] + [part[1] for part in parts[1:-1]]
        values = [part[0] for part in parts[1:]]
        for key, value in zip(keys, values, strict=True):
            lower = key.lower()
            if lower == "numrows":
                declared = parse_int(value, path, number, key)
            elif current is None:
                raise NetlistFormatError(path, f"{key!r} outside a CoreRow", line=number, field=key)
            elif lower not in _ROW_FIELDS:
                raise NetlistFormatError(
                    path,
                    f"unknown row field {key!r}; allowed: {', '.join(_ROW_FIELDS.values())}",
                    line=number,
                    field=key,
                )
            elif lower in current:
                raise NetlistFormatError(path, f"row sets {key!r} twice", line=number, field=key)
            else:
                current[lower] = (value, number)  # type: ignore[assignment]
    if current is not None:
        raise NetlistFormatError(path, "file ends inside a CoreRow (truncated?)", line=start_line)
    if declared is not None and declared != len(rows):
        raise NetlistFormatError(
            path, f"NumRows says {declared} but {len(rows)} rows are listed", field="NumRows"
        )
    return tuple(rows)


_ROW_FIELDS = {
    name.lower(): name
    for name in (
        "Coordinate",
        "Height",
        "Sitewidth",
        "Sitespacing",
        "Siteorient",
        "Sitesymmetry",
        "SubrowOrigin",
        "Numsites",
    )
}


def _make_row(fields: dict, path: Path, line: int) -> Row:
    def number(key: str, default: float | None = None) -> float:
        name = _ROW_FIELDS[key]
        if key not in fields:
            if default is None:
                raise NetlistFormatError(path, f"row lacks {name!r}", line=line, field=name)
            return default
        value, at = fields[key]
        return parse_float(value, path, at, name)

    num_sites = number("numsites")
    if num_sites < 0 or not float(num_sites).is_integer():
        raise NetlistFormatError(
            path,
            f"Numsites must be a non-negative integer, got {fields['numsites'][0]!r}",
            line=fields["numsites"][1],
            field="Numsites",
        )
    height = number("height")
    if height <= 0:
        raise NetlistFormatError(
            path,
            f"row height must be positive, got {fields['height'][0]!r}",
            line=fields["height"][1],
            field="Height",
        )
    return Row(
        y=number("coordinate"),
        height=height,
        x=number("subroworigin", 0.0),
        num_sites=int(num_sites),
        site_width=number("sitewidth", 1.0),
        site_spacing=number("sitespacing", 1.0),
        site_orient=fields.get("siteorient", ("N", 0))[0],
        site_symmetry=fields.get("sitesymmetry", ("Y", 0))[0],
    )


def _read_kinds(path: Path, index: dict[str, int]) -> tuple[dict[int, int], Canvas | None, bool]:
    """Reads a ``.kinds`` member: node kinds that override the height rule, and the die of a
    design whose ``.scl`` rows were made up by the writer (``NoRows``) or whose die is larger
    than its rows (``Die``, a DEF's die around its core rows). The flag says whether the rows
    are real (``Die``)."""
    lines = _content_lines(read_text(path))
    first = next(lines, None)
    if first is None or " ".join(first[1]) != _KINDS_HEADER:
        raise NetlistFormatError(
            path, f"expected the header {_KINDS_HEADER!r}", line=first[0] if first else None
        )
    allowed = {kind.name.lower(): int(kind) for kind in NodeKind}
    kinds: dict[int, int] = {}
    die: Canvas | None = None
    real_rows = False
    for number, tokens in lines:
        keyword = _keyword_value(tokens, path, number)
        if keyword is not None:
            key, value = keyword
            values = value.split()
            if key not in ("NoRows", "Die") or len(values) != 4 or die is not None:
                raise NetlistFormatError(
                    path,
                    "expected one 'NoRows : x_min y_min width height' or 'Die : ...', got "
                    f"{' '.join(tokens)!r}",
                    line=number,
                    field=key,
                )
            x, y, width, height = (parse_float(v, path, number, key) for v in values)
            if width <= 0 or height <= 0:
                raise NetlistFormatError(
                    path, f"die {width} x {height} is not positive", line=number, field=key
                )
            die = Canvas(width, height, x, y)
            real_rows = key == "Die"
            continue
        if len(tokens) != 2:
            raise NetlistFormatError(path, "expected 'node kind'", line=number)
        name, kind = tokens
        if name not in index:
            raise NetlistFormatError(path, f"unknown node {name!r}", line=number, field="node")
        if kind not in allowed:
            raise NetlistFormatError(
                path,
                f"unknown kind {kind!r}; allowed: {', '.join(allowed)}",
                line=number,
                field=f"node {name}",
            )
        if index[name] in kinds:
            raise NetlistFormatError(
                path, f"node {name!r} given a kind twice", line=number, field=f"node {name}"
            )
        kinds[index[name]] = allowed[kind]
    return kinds, die, real_rows


def read_bookshelf(path: str | Path) -> Design:
    """Reads a Bookshelf design from its ``.aux`` file.

    Args:
        path: The ``.aux`` file.

    Returns:
        The design; its placement comes from the ``.pl`` (nodes missing from it are unplaced).

    Raises:
        NetlistFormatError: Any malformed, truncated or inconsistent member file.
    """
    path = Path(path)
    members = _read_aux(path)
    names, index, sizes, terminal = _read_nodes(members[".nodes"])
    net_names, starts, pin_nodes, offsets, directions = _read_nets(members[".nets"], index)
    net_weights = np.ones(len(net_names), dtype=np.float64)
    if ".wts" in members:
        net_index = {name: j for j, name in enumerate(net_names)}
        for j, weight in _read_wts(members[".wts"], net_index, index).items():
            net_weights[j] = weight
    n = len(names)
    if ".pl" in members:
        corners, orientations, placed, fixed_in_pl = _read_pl(members[".pl"], index, sizes)
    else:
        corners = np.zeros((n, 2))
        orientations = np.zeros(n, dtype=np.int8)
        placed = np.zeros(n, dtype=bool)
        fixed_in_pl = np.zeros(n, dtype=bool)
    rows = _read_scl(members[".scl"]) if ".scl" in members else ()
    fixed = terminal | fixed_in_pl
    swap = np.isin(orientations, [o.value for o in Orientation if o.swaps_sides])
    footprints = np.where(swap[:, None], sizes[:, ::-1], sizes)
    with np.errstate(over="ignore"):  # an overflow is reported just below
        centres = corners + footprints / 2
    if not np.isfinite(centres[placed]).all():
        bad = int(np.flatnonzero(placed & ~np.isfinite(centres).all(axis=1))[0])
        raise NetlistFormatError(
            members[".pl"],
            f"node {names[bad]!r}: corner plus half its size overflows to infinity",
            field=f"node {names[bad]}",
        )
    canvas = _canvas(rows, centres, footprints, placed, path)
    row_height = canvas.row_height
    if row_height is None:
        movable_heights = sizes[~fixed, 1]
        row_height = float(movable_heights.min()) if len(movable_heights) else 0.0
    kinds = _kinds_by_height(sizes, fixed, row_height)
    if ".kinds" in members:
        overrides, die, real_rows = _read_kinds(members[".kinds"], index)
        for node, kind in overrides.items():
            kinds[node] = kind
        if die is not None:
            canvas = replace(die, rows=canvas.rows) if real_rows else die
    n_pins = len(pin_nodes)
    netlist = Netlist(
        name=path.stem,
        canvas=canvas,
        node_names=tuple(names),
        node_kinds=kinds,
        node_sizes=sizes,
        node_fixed=fixed,
        pin_nodes=pin_nodes,
        pin_offsets=offsets,
        pin_directions=directions,
        pin_names=("",) * n_pins,
        net_names=tuple(net_names),
        net_weights=net_weights,
        net_starts=starts,
        net_pins=np.arange(n_pins, dtype=np.int32),
        net_drivers=_drivers(starts, directions),
    )
    return Design(netlist, Placement(centres, orientations, placed), source=str(path))


def _drivers(starts: np.ndarray, directions: np.ndarray) -> np.ndarray:
    """The first output pin of each net, or -1 when a net has none."""
    n_nets = len(starts) - 1
    drivers = np.full(n_nets, -1, dtype=np.int32)
    outputs = np.flatnonzero(directions == PinDirection.OUTPUT)
    if len(outputs):
        nets = np.searchsorted(starts, outputs, side="right") - 1
        first = np.unique(nets, return_index=True)
        drivers[first[0]] = outputs[first[1]]
    return drivers


def _canvas(rows, centres, footprints, placed, path) -> Canvas:
    if rows:
        x_min = min(r.x for r in rows)
        x_max = max(r.x_max for r in rows)
        y_min = min(r.y for r in rows)
        y_max = max(r.y + r.height for r in rows)
        return Canvas(x_max - x_min, y_max - y_min, x_min, y_min, rows)
    if not placed.any():
        raise NetlistFormatError(path, "no .scl and no placed node: the die size is unknown")
    low = (centres - footprints / 2)[placed].min(axis=0)
    high = (centres + footprints / 2)[placed].max(axis=0)
    return Canvas(float(high[0] - low[0]), float(high[1] - low[1]), float(low[0]), float(low[1]))


# -- writers ------------------------------------------------------------------------------------

#: Most rows the writer makes up for a design without rows (a die-tall row would make every node a
#: standard cell under the height rule; thin rows make hard macros read back as hard macros).
MAX_SYNTHETIC_ROWS = 10_000
_KINDS_HEADER = "placement-gym kinds 1.0"
_UNWRITABLE_NAME = re.compile(r"[\s#]")


def bookshelf_omissions(design_or_netlist: Design | Netlist) -> tuple[str, ...]:
    """What of a design the Bookshelf files cannot hold, in words (empty when nothing is lost).

    Bookshelf has no pin names, no block-level timing, no Circuit Training ``.plc`` settings and
    no source numbering; a pin shared by several nets is written once per net and reads back as
    one pin per net, and a pin on no net is not written at all.
    """
    design = design_or_netlist if isinstance(design_or_netlist, Design) else None
    netlist = design.netlist if design is not None else design_or_netlist
    lost = []
    named = sum(1 for name in netlist.pin_names if name)
    if named:
        lost.append(f"{named} pin names")
    if netlist.timing is not None:
        lost.append(f"{netlist.timing.num_arcs} timing arcs and the clock")
    if design is not None and design.plc is not None:
        lost.append("the .plc settings (grid, routing, blockages)")
    if netlist.source_index is not None:
        lost.append("the source file's node numbering")
    uses = np.bincount(netlist.net_pins, minlength=netlist.num_pins)
    if (uses > 1).any():
        lost.append(f"pin sharing ({int((uses > 1).sum())} pins on several nets)")
    if (uses == 0).any():
        lost.append(f"{int((uses == 0).sum())} pins on no net")
    return tuple(lost)


def _kinds_by_height(sizes: np.ndarray, fixed: np.ndarray, row_height: float) -> np.ndarray:
    """The node kinds plain Bookshelf implies: taller than a row is a hard macro; otherwise a fixed
    node is a port and a movable one a standard cell."""
    tall = sizes[:, 1] > row_height
    return np.where(
        fixed,
        np.where(tall, NodeKind.HARD_MACRO, NodeKind.PORT),
        np.where(tall, NodeKind.HARD_MACRO, NodeKind.STD_CELL),
    ).astype(np.int8)


def _rows_to_write(netlist: Netlist) -> tuple[tuple[Row, ...], bool]:
    """The design's rows, or rows made up for a design without any; and whether they are made up.

    Made-up rows split the die into equal rows lower than every hard macro and, where possible, no
    lower than any standard cell or port, so that any Bookshelf reader's height rule gets the node
    kinds right.
    """
    canvas = netlist.canvas
    if canvas.rows:
        return canvas.rows, False
    heights = netlist.node_sizes[:, 1]
    kinds = netlist.node_kinds
    # Python floats: a tiny macro height divides to inf without a numpy overflow warning.
    tall = heights[kinds == NodeKind.HARD_MACRO].tolist()
    short = heights[(kinds == NodeKind.STD_CELL) | (kinds == NodeKind.PORT)].tolist()
    count = 1
    if len(tall) and min(tall) > 0:
        cap = MAX_SYNTHETIC_ROWS  # a tiny macro would ask for more rows than anyone can read
        fewest = math.floor(min(canvas.height / min(tall), cap)) + 1  # lower than every macro
        tallest_short = max(short) if short else 0.0
        most = math.floor(min(canvas.height / tallest_short, cap)) if tallest_short > 0 else 0
        count = min(max(fewest, most), cap)
    height = canvas.height / count
    rows = tuple(
        Row(
            y=canvas.y_min + i * height,
            height=height,
            x=canvas.x_min,
            num_sites=1,
            site_width=canvas.width,
            site_spacing=canvas.width,
        )
        for i in range(count)
    )
    return rows, True


def _check_writable_names(netlist: Netlist) -> None:
    for what, names in (("node", netlist.node_names), ("net", netlist.net_names)):
        for name in names:
            if not name or _UNWRITABLE_NAME.search(name):
                raise UnsupportedFormatError(
                    f"{netlist.name}: Bookshelf cannot hold the {what} name {name!r} "
                    "(names must be non-empty, without whitespace or '#')"
                )


def _check_unique_net_names(netlist: Netlist) -> None:
    if len(set(netlist.net_names)) == netlist.num_nets:
        return
    seen: set[str] = set()
    repeated = sorted({n for n in netlist.net_names if n in seen or seen.add(n)})
    raise UnsupportedFormatError(
        f"{netlist.name}: Bookshelf cannot hold nets that share a name, and {len(repeated)} "
        f"net name(s) repeat ({', '.join(repeated[:3])}{', ...' if len(repeated) > 3 else ''}); "
        "write .json instead"
    )


def write_bookshelf_pl(netlist: Netlist, placement: Placement, path: str | Path) -> Path:
    """Writes ``placement`` as a Bookshelf ``.pl`` (lower-left corners, orientation, /FIXED).

    Unplaced nodes are not written. Returns the path written.
    """
    placement.check_matches(netlist)
    _check_writable_names(netlist)
    return _write_pl(netlist, placement, Path(path))


def _write_pl(netlist: Netlist, placement: Placement, path: Path) -> Path:
    """:func:`write_bookshelf_pl` once the caller has checked the placement and the names."""
    corners = placement.positions - placement.footprints(netlist) / 2
    lines = ["UCLA pl 1.0", f"# written by placement-gym for {netlist.name}", ""]
    fixed = netlist.node_fixed
    for i in np.flatnonzero(placement.placed):
        orient = Orientation(int(placement.orientations[i])).name
        flag = " /FIXED" if fixed[i] else ""
        lines.append(
            f"{netlist.node_names[i]} {format_number(corners[i, 0])} "
            f"{format_number(corners[i, 1])} : {orient}{flag}"
        )
    path.write_text("\n".join(lines) + "\n")
    return path


def write_bookshelf(
    design_or_netlist: Design | Netlist,
    directory: str | Path,
    placement: Placement | None = None,
    *,
    stem: str | None = None,
) -> Path:
    """Writes a complete Bookshelf design (aux, nodes, nets, wts, pl, scl) into ``directory``.

    Node kinds survive: a design without rows gets rows lower than its hard macros (so that the
    height rule of any reader finds them), and kinds the height rule cannot express (soft macros,
    fixed standard cells, a port taller than a row) go to a ``<stem>.kinds`` member that this
    reader applies and other Bookshelf readers ignore, as they ignore ISPD 2011's ``.shapes``.
    What the format cannot hold at all (:func:`bookshelf_omissions`: pin names, timing arcs...)
    is logged as a warning.

    Args:
        design_or_netlist: What to write; a :class:`Design` supplies its own placement.
        directory: Output folder (created if missing).
        placement: Placement to write (defaults to the design's).
        stem: File-name stem of the members (defaults to the netlist's name).

    Returns:
        The path of the ``.aux`` file.

    Raises:
        UnsupportedFormatError: A node or net name Bookshelf cannot write (empty, or holding
            whitespace or ``#``), or a net name used twice (Bookshelf readers refuse it);
            nothing is written.
    """
    if isinstance(design_or_netlist, Design):
        netlist = design_or_netlist.netlist
        placement = placement or design_or_netlist.placement
    else:
        netlist = design_or_netlist
        placement = placement or Placement.empty(netlist)
    placement.check_matches(netlist)
    _check_writable_names(netlist)
    _check_unique_net_names(netlist)
    lost = bookshelf_omissions(design_or_netlist)
    if lost:
        logger.warning(
            "%s: Bookshelf cannot hold %s; written without them", netlist.name, "; ".join(lost)
        )
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    stem = stem or netlist.name
    fmt = format_number
    terminal = netlist.node_fixed
    nodes = [
        "UCLA nodes 1.0",
        "",
        f"NumNodes : {netlist.num_nodes}",
        f"NumTerminals : {int(terminal.sum())}",
    ]
    for i, name in enumerate(netlist.node_names):
        w, h = netlist.node_sizes[i]
        nodes.append(f"{name} {fmt(w)} {fmt(h)}" + (" terminal" if terminal[i] else ""))
    (directory / f"{stem}.nodes").write_text("\n".join(nodes) + "\n")

    letters = {int(v): k for k, v in _DIRECTIONS.items()}
    nets = [
        "UCLA nets 1.0",
        "",
        f"NumNets : {netlist.num_nets}",
        f"NumPins : {netlist.num_net_pins}",
    ]
    for j, name in enumerate(netlist.net_names):
        pins = netlist.net_pin_indices(j)
        nets.append(f"NetDegree : {len(pins)} {name}")
        for p in pins:
            dx, dy = netlist.pin_offsets[p]
            owner = netlist.node_names[netlist.pin_nodes[p]]
            nets.append(f"{owner} {letters[int(netlist.pin_directions[p])]} : {fmt(dx)} {fmt(dy)}")
    (directory / f"{stem}.nets").write_text("\n".join(nets) + "\n")

    wts = ["UCLA wts 1.0", ""]
    wts += [
        f"{name} {fmt(w)}" for name, w in zip(netlist.net_names, netlist.net_weights, strict=True)
    ]
    (directory / f"{stem}.wts").write_text("\n".join(wts) + "\n")

    _write_pl(netlist, placement, directory / f"{stem}.pl")

    rows, made_up = _rows_to_write(netlist)
    scl = ["UCLA scl 1.0", "", f"NumRows : {len(rows)}", ""]
    for row in rows:
        scl += [
            "CoreRow Horizontal",
            f"  Coordinate : {fmt(row.y)}",
            f"  Height : {fmt(row.height)}",
            f"  Sitewidth : {fmt(row.site_width)}",
            f"  Sitespacing : {fmt(row.site_spacing)}",
            f"  Siteorient : {row.site_orient}",
            f"  Sitesymmetry : {row.site_symmetry}",
            f"  SubrowOrigin : {fmt(row.x)} Numsites : {row.num_sites}",
            "End",
        ]
    (directory / f"{stem}.scl").write_text("\n".join(scl) + "\n")

    suffixes = list(_STANDARD_MEMBERS)
    kinds_file = _write_kinds(netlist, rows[0].height, made_up, directory / f"{stem}.kinds")
    if kinds_file is not None:
        suffixes.append(".kinds")
    aux = directory / f"{stem}.aux"
    aux.write_text(f"RowBasedPlacement : {' '.join(f'{stem}{s}' for s in suffixes)}\n")
    return aux


def _write_kinds(
    netlist: Netlist, row_height: float, made_up_rows: bool, path: Path
) -> Path | None:
    """Writes the ``.kinds`` member when plain Bookshelf would lose a node kind or the fact that
    the design has no rows; removes a stale one otherwise. Returns the path, or None."""
    implied = _kinds_by_height(netlist.node_sizes, netlist.node_fixed, row_height)
    misread = np.flatnonzero(implied != netlist.node_kinds)
    canvas = netlist.canvas
    die_beyond_rows = not made_up_rows and canvas != _canvas(canvas.rows, None, None, None, path)
    if not made_up_rows and not die_beyond_rows and not len(misread):
        path.unlink(missing_ok=True)
        return None
    fmt = format_number
    lines = [_KINDS_HEADER, "# node kinds the height rule of plain Bookshelf would misread", ""]
    if made_up_rows or die_beyond_rows:
        lines.append(
            f"{'NoRows' if made_up_rows else 'Die'} : {fmt(canvas.x_min)} {fmt(canvas.y_min)} "
            f"{fmt(canvas.width)} {fmt(canvas.height)}"
        )
    lines += [
        f"{netlist.node_names[i]} {NodeKind(int(netlist.node_kinds[i])).name.lower()}"
        for i in misread
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def read_pl(path: str | Path, netlist: Netlist) -> Placement:
    """Reads a Bookshelf ``.pl`` onto ``netlist`` (nodes it does not list stay unplaced).

    Raises:
        NetlistFormatError: Malformed lines or nodes the netlist lacks.
    """
    path = Path(path)
    index = {name: i for i, name in enumerate(netlist.node_names)}
    corners, orientations, placed, _ = _read_pl(path, index, netlist.node_sizes)
    swap = np.isin(orientations, [o.value for o in Orientation if o.swaps_sides])
    footprints = np.where(swap[:, None], netlist.node_sizes[:, ::-1], netlist.node_sizes)
    return Placement(corners + footprints / 2, orientations, placed)
