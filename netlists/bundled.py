"""The benchmark designs shipped with the package, loadable by name.

``load("ibm01")`` reads a bundled design; ``load("path/to/design.aux")`` any supported file.
``bundled_designs()`` lists what ships, with each design's suite and files. Provenance and licences:
``netlists/data/README.md``.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

from netlists import generator
from netlists.design import Design
from netlists.errors import InvalidNetlistError, UnknownDesignError
from netlists.formats import read_design
from netlists.formats.circuit_training import read_circuit_training, read_plc_header
from netlists.types import Canvas

DATA_DIR = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class BundledDesign:
    """One shipped design.

    Attributes:
        name: The name :func:`load` accepts.
        suite: Benchmark suite (``iccad04``, ``ct_modern``, ``tilos_ng45_flat``, ``ct_testdata``,
            ``lefdef``, ``mcnc_gsrc``).
        path: The main file (``.aux``, ``netlist.pb.txt.gz``, ``.def.gz``, ``.block``), inside
            the package.
        description: One line on what it is.
        placements: Named placement files shipped with it (``initial``, ``legalized``).
        canvas_from: A ``.plc`` whose header gives the canvas and grid (flat TILOS netlists).
    """

    name: str
    suite: str
    path: Path
    description: str
    placements: dict[str, Path] = field(default_factory=dict)
    canvas_from: Path | None = None


def _registry() -> dict[str, BundledDesign]:
    designs: list[BundledDesign] = []
    for number in range(1, 15):
        name = f"ibm{number:02d}"
        designs.append(
            BundledDesign(
                name,
                "iccad04",
                DATA_DIR / "iccad04" / name / f"{name}.aux",
                "ICCAD'04 IBM mixed-size Bookshelf (RePlAce copy): macros and standard cells",
            )
        )
    for folder in (
        "ariane133_ng45",
        "ariane136_ng45",
        "mempool_tile_ng45",
        "nvdla_ng45",
        "ariane136_asap7",
    ):
        base = DATA_DIR / "ct_modern" / folder
        placements = {p.stem: p for p in sorted(base.glob("*.plc"))}
        designs.append(
            BundledDesign(
                folder,
                "ct_modern",
                base / "netlist.pb.txt.gz",
                "Circuit Training clustered netlist (TILOS grouping): hard + soft macros, ports",
                placements,
            )
        )
    flat = {
        "ariane133": "ariane133",
        "ariane136": "ariane136",
        "mempool_tile": "mempool_tile",
        "nvdla": "nvdla_partition_c",
    }
    for folder, stem in flat.items():
        designs.append(
            BundledDesign(
                f"{folder}_flat_ng45",
                "tilos_ng45_flat",
                DATA_DIR / "tilos_ng45" / folder / f"{stem}_flat.pb.txt.gz",
                "TILOS flat NanGate45 netlist: hard macros, standard cells, ports",
                canvas_from=DATA_DIR / "ct_modern" / f"{folder}_ng45" / "initial.plc",
            )
        )
    for base in sorted((DATA_DIR / "ct_testdata").iterdir()):
        designs.append(
            BundledDesign(
                f"ct_{base.name}",
                "ct_testdata",
                base / "netlist.pb.txt.gz",
                "Circuit Training environment test netlist (toy)",
                {p.stem: p for p in sorted(base.glob("*.plc"))},
            )
        )
    lefdef = {"ariane_lefdef": "ariane/ariane.def.gz", "gcd_mem1": "gcd_mem1/gcd_mem1.def.gz"}
    for name, member in lefdef.items():
        designs.append(
            BundledDesign(
                name,
                "lefdef",
                DATA_DIR / "lefdef" / member,
                "LEF/DEF design (placed): hard macros, standard cells, I/O pins",
            )
        )
    for base in sorted((DATA_DIR / "mcnc_gsrc_floorplan").iterdir()):
        designs.append(
            BundledDesign(
                base.name,
                "mcnc_gsrc",
                base / f"{base.name}.block",
                "MCNC/GSRC hard-block floorplanning case (NTHU format): blocks and terminals",
            )
        )
    return {design.name: design for design in designs}


BUNDLED: dict[str, BundledDesign] = _registry()


def bundled_designs() -> list[BundledDesign]:
    """Every shipped design, in suite order."""
    return list(BUNDLED.values())


@lru_cache(maxsize=8)
def _load_bundled(name: str) -> Design:
    entry = BUNDLED[name]
    if entry.canvas_from is not None:
        settings = read_plc_header(entry.canvas_from)
        design = read_circuit_training(entry.path)
        assert settings is not None and settings.canvas_width and settings.canvas_height
        netlist = replace(
            design.netlist, name=name, canvas=Canvas(settings.canvas_width, settings.canvas_height)
        )
        design = Design(netlist, design.placement, settings, str(entry.path))
    else:
        design = read_design(entry.path)
        if design.netlist.name != name:
            design = replace(design, netlist=replace(design.netlist, name=name))
    references = {key: str(path) for key, path in entry.placements.items()}
    return replace(design, source=name, reference_placements=references)


def load(name_or_path: str | Path) -> Design:
    """Loads a bundled design by name, any supported design file by path, or a synthetic design
    of :mod:`netlists.generator` by its name (``synth-m40-s3``, see
    :data:`netlists.generator.NAME_FORM`).

    Bundled designs are cached (they are immutable), so loading one twice is free.

    Raises:
        UnknownDesignError: Neither a bundled name, an existing file nor a well-formed
            ``synth-`` name; the message suggests close names or gives the synthetic form.
        UnsupportedFormatError: A file type no reader handles.
        NetlistFormatError: A malformed file.
    """
    key = str(name_or_path)
    if key in BUNDLED:
        return _load_bundled(key)
    path = Path(name_or_path)
    if path.exists():
        return read_design(path)
    if key.startswith(f"{generator.NAME_PREFIX}-"):
        try:
            config, seed = generator.parse_design_name(key)
        except InvalidNetlistError as error:
            raise UnknownDesignError(str(error)) from None
        return generator.generate(config, seed)
    # "ibm1" means ibm01: names whose numbers differ only in zero padding come first.
    padded = re.sub(r"\d+", lambda m: m.group().zfill(2), key)
    close = [padded] if padded != key and padded in BUNDLED else []
    close += [c for c in difflib.get_close_matches(key, BUNDLED, n=3) if c not in close]
    close = close[:3]
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    raise UnknownDesignError(
        f"{key!r} is neither a bundled design nor an existing file.{hint} "
        "List the bundled designs with `python -m netlists list`."
    )
