"""MCNC / GSRC hard-block floorplanning benchmarks in the NTHU ``.block`` / ``.nets`` layout.

``name.block``: ``Outline: W H``, ``NumBlocks: n``, ``NumTerminals: t``, then ``name w h`` per block
and ``name terminal x y`` per terminal. ``name.nets``: ``NumNets: m`` then ``NetDegree: k`` followed
by ``k`` member names, one per line. Blocks become movable, unplaced hard macros; terminals fixed
ports at their point (kept even where it lies outside the outline, as in the source data). Pins sit
at block centres.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from netlists.design import Design
from netlists.errors import NetlistFormatError
from netlists.formats._text import parse_float, parse_int, read_text, resolve_member
from netlists.netlist import Netlist
from netlists.placement import Placement
from netlists.types import Canvas, NodeKind, PinDirection


def _lines(text: str):
    for number, line in enumerate(text.split("\n"), start=1):
        tokens = line.replace(":", " : ").split()
        if tokens and not tokens[0].startswith("#"):
            yield number, tokens


def read_mcnc_block(path: str | Path) -> Design:
    """Reads ``name.block`` and the ``name.nets`` beside it.

    Raises:
        NetlistFormatError: Malformed lines, counts that disagree, unknown net members, or a
            missing ``.nets`` file.
    """
    path = Path(path)
    declared: dict[str, list[str]] = {}
    names: list[str] = []
    index: dict[str, int] = {}
    kinds: list[int] = []
    sizes: list[tuple[float, float]] = []
    points: list[tuple[float, float]] = []
    for number, tokens in _lines(read_text(path)):
        if len(tokens) >= 3 and tokens[1] == ":":
            declared[tokens[0]] = tokens[2:]
            continue
        name = tokens[0]
        if name in index:
            raise NetlistFormatError(path, f"duplicate name {name!r}", line=number, field=name)
        if len(tokens) == 4 and tokens[1] == "terminal":
            x = parse_float(tokens[2], path, number, f"{name} x")
            y = parse_float(tokens[3], path, number, f"{name} y")
            kinds.append(NodeKind.PORT)
            sizes.append((0.0, 0.0))
            points.append((x, y))
        elif len(tokens) == 3:
            width = parse_float(tokens[1], path, number, f"{name} width")
            height = parse_float(tokens[2], path, number, f"{name} height")
            if width < 0 or height < 0:
                raise NetlistFormatError(path, "negative size", line=number, field=name)
            kinds.append(NodeKind.HARD_MACRO)
            sizes.append((width, height))
            points.append((np.nan, np.nan))
        else:
            raise NetlistFormatError(
                path, "expected 'name width height' or 'name terminal x y'", line=number
            )
        index[name] = len(names)
        names.append(name)
    if "Outline" not in declared or len(declared["Outline"]) != 2:
        raise NetlistFormatError(path, "missing 'Outline: W H'", field="Outline")
    width, height = (parse_float(v, path, 1, "Outline") for v in declared["Outline"])
    if not (0 < width < np.inf and 0 < height < np.inf):
        raise NetlistFormatError(
            path, f"the outline must be positive and finite, got {width:g} x {height:g}",
            field="Outline",
        )  # fmt: skip
    kind_array = np.array(kinds, dtype=np.int8)
    for key, kind in (("NumBlocks", NodeKind.HARD_MACRO), ("NumTerminals", NodeKind.PORT)):
        if key in declared:
            want = parse_int(declared[key][0], path, 0, key)
            got = int((kind_array == kind).sum())
            if want != got:
                raise NetlistFormatError(path, f"{key} says {want} but {got} are listed", field=key)

    nets_path = resolve_member(path.parent, path.with_suffix(".nets").name)
    if nets_path is None:
        raise NetlistFormatError(path, f"no {path.stem}.nets beside the .block file")
    net_names: list[str] = []
    starts = [0]
    members: list[int] = []
    remaining = 0
    net_line = 0
    expected_nets = None
    for number, tokens in _lines(read_text(nets_path)):
        if remaining:
            if len(tokens) != 1 or tokens[0] not in index:
                raise NetlistFormatError(
                    nets_path,
                    f"unknown net member {' '.join(tokens)!r}",
                    line=number,
                    field=net_names[-1],
                )
            members.append(index[tokens[0]])
            remaining -= 1
            if not remaining:
                starts.append(len(members))
        elif len(tokens) == 3 and tokens[1] == ":" and tokens[0] == "NetDegree":
            remaining = parse_int(tokens[2], path=nets_path, line=number, field="NetDegree")
            net_names.append(f"net{len(net_names)}")
            net_line = number
            if not remaining:
                starts.append(len(members))
        elif len(tokens) == 3 and tokens[1] == ":" and tokens[0] == "NumNets":
            expected_nets = parse_int(tokens[2], nets_path, number, "NumNets")
        else:
            raise NetlistFormatError(
                nets_path, f"unexpected line {' '.join(tokens)!r}", line=number
            )
    if remaining:
        raise NetlistFormatError(
            nets_path, f"file ends inside a net ({remaining} members missing)", line=net_line
        )
    if expected_nets is not None and expected_nets != len(net_names):
        raise NetlistFormatError(
            nets_path,
            f"NumNets says {expected_nets} but {len(net_names)} are listed",
            field="NumNets",
        )
    n_pins = len(members)
    netlist = Netlist(
        name=path.stem,
        canvas=Canvas(width, height),
        node_names=tuple(names),
        node_kinds=kind_array,
        node_sizes=np.array(sizes, dtype=np.float64).reshape(-1, 2),
        node_fixed=kind_array == NodeKind.PORT,
        pin_nodes=np.array(members, dtype=np.int32),
        pin_offsets=np.zeros((n_pins, 2)),
        pin_directions=np.full(n_pins, PinDirection.BIDIRECTIONAL, dtype=np.int8),
        pin_names=("",) * n_pins,
        net_names=tuple(net_names),
        net_weights=np.ones(len(net_names)),
        net_starts=np.array(starts, dtype=np.int64),
        net_pins=np.arange(n_pins, dtype=np.int32),
        net_drivers=np.full(len(net_names), -1, dtype=np.int32),
    )
    point_array = np.array(points, dtype=np.float64).reshape(-1, 2)
    placed = ~np.isnan(point_array[:, 0])
    positions = np.where(placed[:, None], point_array, [width / 2, height / 2])
    placement = Placement(positions, np.zeros(len(names), dtype=np.int8), placed)
    return Design(netlist, placement, source=str(path))
