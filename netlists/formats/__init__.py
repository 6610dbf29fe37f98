"""Readers and writers, dispatched on the file type (networkx-style registries).

``read_design(path)`` picks the reader from the file name; ``write_design(design, path)`` the
writer. Known types are listed in :data:`READERS` and :data:`WRITERS`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from netlists.design import Design
from netlists.errors import NetlistFormatError, UnknownDesignError, UnsupportedFormatError
from netlists.formats.bookshelf import read_bookshelf, write_bookshelf, write_bookshelf_pl
from netlists.formats.circuit_training import (
    read_circuit_training,
    read_plc,
    read_plc_header,
    write_plc,
)
from netlists.formats.def_format import read_def, read_def_placement, write_def
from netlists.formats.json_format import read_json, write_json
from netlists.formats.mcnc import read_mcnc_block
from netlists.netlist import Netlist
from netlists.placement import Placement

#: File-name endings and the reader for each (checked longest first).
READERS: dict[str, Callable[[Path], Design]] = {
    ".aux": read_bookshelf,
    ".pb.txt": read_circuit_training,
    ".pb.txt.gz": read_circuit_training,
    ".json": read_json,
    ".json.gz": read_json,
    ".block": read_mcnc_block,
    ".block.gz": read_mcnc_block,
    ".def": read_def,  # with the LEF files beside it
    ".def.gz": read_def,
}


def _write_flat_pb(design: Design, path: Path) -> Path:
    from netlists.flat_design import flat_netlist_from_design, write_flat_netlist

    try:
        flat = flat_netlist_from_design(design)
    except ValueError as error:  # soft macros: a clustered design
        raise UnsupportedFormatError(
            f"{path}: the .pb.txt writer writes flat designs (hard macros, standard cells, "
            f"ports); {error}"
        ) from None
    driven = sum(1 for sinks in flat.sinks if sinks)
    nets = int((np.diff(design.netlist.net_starts) > 1).sum())
    if driven < nets:
        logging.getLogger(__name__).warning(
            "%s: a Circuit Training node drives one net, so %d net(s) of nodes that drive "
            "several were merged into their driver's first (%d nets written of %d)",
            design.name,
            nets - driven,
            driven,
            nets,
        )
    return write_flat_netlist(flat, path)


def _write_pl(design: Design, path: Path) -> Path:
    return write_bookshelf_pl(design.netlist, design.placement, path)


def _write_plc(design: Design, path: Path) -> Path:
    return write_plc(design.netlist, design.placement, path, design.plc)


#: File-name endings and the writer for each. ``.aux`` writes a whole Bookshelf design.
WRITERS: dict[str, Callable[[Design, Path], Path]] = {
    ".aux": lambda design, path: write_bookshelf(design, path.parent, stem=path.stem),
    ".pl": _write_pl,
    ".plc": _write_plc,
    ".json": write_json,
    ".json.gz": write_json,
    ".pb.txt": _write_flat_pb,  # a flat Circuit Training netlist
    ".pb.txt.gz": _write_flat_pb,
    ".def": lambda design, path: write_def(design, path),  # a copy of the DEF read
    ".def.gz": lambda design, path: write_def(design, path),
}


def _match(path: Path, table: dict) -> str | None:
    name = path.name.lower()
    for suffix in sorted(table, key=len, reverse=True):
        if name.endswith(suffix):
            return suffix
    return None


def read_design(path: str | Path, *, lef_paths: Sequence[str | Path] | None = None) -> Design:
    """Reads a design from any supported file, chosen by its name.

    Args:
        path: The design file (``.aux``, ``.pb.txt[.gz]``, ``.json[.gz]``, ``.block``,
            ``.def[.gz]``...).
        lef_paths: For a DEF, the LEF files of its masters (default: the LEFs beside it).

    Raises:
        UnknownDesignError: The file does not exist.
        UnsupportedFormatError: No reader handles that file type (the message lists them), or
            LEF files are given for a file that is not a DEF.
        NetlistFormatError: The file is malformed.
    """
    path = Path(path)
    suffix = _match(path, READERS)
    if suffix is None:
        raise UnsupportedFormatError(
            f"{path}: no reader for this file type; known: {', '.join(sorted(READERS))}"
        )
    if not path.is_file():
        raise UnknownDesignError(f"{path}: no such file")
    if lef_paths:
        if READERS[suffix] is not read_def:
            raise UnsupportedFormatError(f"{path}: LEF files go with a DEF, not a {suffix} file")
        return read_def(path, lef_paths)
    return READERS[suffix](path)


def write_design(design: Design, path: str | Path) -> Path:
    """Writes ``design`` (or just its placement, for ``.pl`` and ``.plc``) to ``path``.

    Raises:
        UnsupportedFormatError: No writer handles that file type (the message lists them).
    """
    path = Path(path)
    suffix = _match(path, WRITERS)
    if suffix is None:
        raise UnsupportedFormatError(
            f"{path}: no writer for this file type; known: {', '.join(sorted(WRITERS))}"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    return WRITERS[suffix](design, path)


def read_placement(path: str | Path, netlist: Netlist) -> Placement:
    """Reads a placement file (``.plc``, Bookshelf ``.pl``, JSON or DEF) onto ``netlist``.

    Raises:
        UnsupportedFormatError: Not a ``.plc``, ``.pl``, ``.json`` or ``.def`` file.
        NetlistFormatError: The file is malformed or names nodes the netlist lacks.
    """
    from netlists.formats.bookshelf import read_pl

    path = Path(path)
    name = path.name.lower()
    if name.endswith((".plc", ".plc.gz")):
        return read_plc(path, netlist)[1]
    if name.endswith((".def", ".def.gz")):
        return read_def_placement(path, netlist)
    if name.endswith((".pl", ".pl.gz")):
        return read_pl(path, netlist)
    if name.endswith((".json", ".json.gz")):
        return _placement_by_name(path, read_json(path), netlist)
    raise UnsupportedFormatError(f"{path}: not a placement file; known: .plc, .pl, .json, .def")


def _placement_by_name(path: Path, stored: Design, netlist: Netlist) -> Placement:
    """The placement of the JSON design ``stored`` carried onto ``netlist`` by node name (its
    records may be in any order).

    Raises:
        NetlistFormatError: ``stored`` names a node ``netlist`` lacks, or lacks one it has.
    """
    theirs = stored.netlist.node_names
    ours = set(netlist.node_names)
    unknown = [n for n in theirs if n not in ours]
    if unknown:
        raise NetlistFormatError(
            path,
            f"names {len(unknown)} node(s) the netlist {netlist.name!r} lacks "
            f"({', '.join(unknown[:5])}{', ...' if len(unknown) > 5 else ''}); "
            "is it a placement of another design?",
            field="nodes",
        )
    if len(theirs) != netlist.num_nodes:
        given = set(theirs)
        missing = [n for n in netlist.node_names if n not in given]
        raise NetlistFormatError(
            path,
            f"lacks {len(missing)} node(s) of the netlist {netlist.name!r} "
            f"({', '.join(missing[:5])}{', ...' if len(missing) > 5 else ''})",
            field="nodes",
        )
    order = np.array([netlist.index_of(n) for n in theirs], dtype=np.int64)
    source = stored.placement
    positions = np.zeros((netlist.num_nodes, 2))
    orientations = np.zeros(netlist.num_nodes, dtype=source.orientations.dtype)
    placed = np.zeros(netlist.num_nodes, dtype=bool)
    positions[order] = source.positions
    orientations[order] = source.orientations
    placed[order] = source.placed
    return Placement(positions, orientations, placed)


__all__ = [
    "READERS",
    "WRITERS",
    "read_bookshelf",
    "read_circuit_training",
    "read_def",
    "read_design",
    "read_json",
    "read_mcnc_block",
    "read_placement",
    "read_plc",
    "read_plc_header",
    "write_bookshelf",
    "write_bookshelf_pl",
    "write_def",
    "write_design",
    "write_json",
    "write_plc",
]
