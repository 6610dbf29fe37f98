"""Command line: ``python -m netlists {list,info,convert,demo}``.

* ``list [--json]`` -- the bundled designs with their suites.
* ``info NAME_OR_PATH [--lef A.lef ...] [--json]`` -- a design's statistics (keys:
  :class:`~netlists.DesignStats`); for a DEF, what the reader skipped (``notes``). LEF files
  beside a DEF are found without ``--lef``.
* ``convert IN OUT [--lef A.lef ...]`` -- read a design in one format and write it in another
  (the output format follows OUT's name; ``.def`` copies the input DEF with the placement).
* ``group FLAT.pb.txt[.gz] --out DIR [--groups groups.final[.gz]] [--plc initial.plc]`` --
  cluster a flat design's standard cells into soft macros, with a given grouping or one computed
  by :mod:`netlists.partition` (``--seed``); FLAT may also be any flat design (Bookshelf, DEF with
  ``--lef``, a name; ``--scale`` microns per unit). Writes ``DIR/netlist.pb.txt.gz`` and
  ``DIR/initial.plc`` (:mod:`netlists.group_flow`).
* ``demo [--design NAME] [--out DIR]`` -- load a design, print its statistics, draw its placement.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import sys
import time
from pathlib import Path

from netlists.bundled import BUNDLED, bundled_designs, load
from netlists.design import Design
from netlists.errors import NetlistError, UnknownDesignError, UnsupportedFormatError
from netlists.formats import WRITERS, read_design, write_design
from netlists.formats.def_format import DefNotes, read_def, write_def
from netlists.json_text import finite_json
from netlists.render import save_placement_png
from netlists.stats import design_stats, format_report


def _cmd_list(args: argparse.Namespace) -> int:
    designs = bundled_designs()
    if args.json:
        print(
            finite_json(
                [
                    {
                        "name": d.name,
                        "suite": d.suite,
                        "description": d.description,
                        "placements": sorted(d.placements),
                    }
                    for d in designs
                ],
                indent=1,
            )
        )
        return 0
    width = max(len(d.name) for d in designs)
    for design in designs:
        extra = (
            f"  [placements: {', '.join(sorted(design.placements))}]" if design.placements else ""
        )
        print(f"{design.name:<{width}}  {design.suite:<16} {design.description}{extra}")
    return 0


def _is_def(path: Path) -> bool:
    return path.name.lower().endswith((".def", ".def.gz"))


def _def_file(name: str) -> Path | None:
    """The DEF behind ``name`` (a bundled LEF/DEF design or a path), else ``None``."""
    path = BUNDLED[name].path if name in BUNDLED else Path(name)
    return path if _is_def(path) else None


def _load(name: str, lefs: list[str] | None) -> tuple[Design, list[DefNotes]]:
    """Loads a design (bundled name or path); a DEF is read with ``lefs`` (or the LEFs beside
    it) and returns the reader's notes too."""
    notes: list[DefNotes] = []
    source = _def_file(name)
    if source is not None and (lefs or name not in BUNDLED):
        return read_def(source, lefs, notes=notes), notes
    if lefs:
        if name in BUNDLED:
            raise UnsupportedFormatError(f"--lef goes with a DEF file, not the design {name!r}")
        return read_design(name, lef_paths=lefs), notes
    if source is not None:  # a bundled DEF: read it here to see the notes
        return read_def(source, notes=notes), notes
    return load(name), notes


def _cmd_info(args: argparse.Namespace) -> int:
    design, notes = _load(args.design, args.lef)
    report = design_stats(design).to_dict()
    lines = [line for note in notes for line in note.lines()]
    if args.json:
        if notes:
            report["notes"] = lines
        print(format_report(report, as_json=True))
        return 0
    print(format_report(report))
    for line in lines:
        print(f"note: {line}")
    return 0


def _cmd_convert(args: argparse.Namespace) -> int:
    out = Path(args.output)
    out_name = out.name.lower()
    if not any(out_name.endswith(suffix) for suffix in WRITERS):
        raise UnsupportedFormatError(
            f"{out}: no writer for this file type; known: {', '.join(sorted(WRITERS))}"
        )
    template = _def_file(args.input)
    if _is_def(out) and template is None:
        raise UnsupportedFormatError(
            f"{out}: a DEF is written as a copy of the DEF the design came from, and "
            f"{args.input!r} is not a DEF; write .aux, .json, .pb.txt, .pl or .plc instead"
        )
    design, notes = _load(args.input, args.lef)
    for line in (line for note in notes for line in note.lines()):
        print(f"note: {line}")
    if out.exists() and out.is_dir():
        raise UnsupportedFormatError(f"{out}: is a folder; give a file name")
    new_folder = next((p for p in reversed(out.parents) if not p.exists()), None)
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        if _is_def(out):
            written = write_def(design, out, template=template, components="all")
        else:
            written = write_design(design, out)
    except NetlistError:
        if new_folder is not None:  # a refused write leaves nothing behind
            shutil.rmtree(new_folder, ignore_errors=True)
        raise
    print(f"wrote {written}")
    return 0


def _cmd_group(args: argparse.Namespace) -> int:
    from netlists.group_flow import group_flat_design
    from netlists.partition import PartitionSettings

    for option, value in (("--scale", args.scale), ("--cell-utilization", args.cell_utilization)):
        if not (value > 0 and math.isfinite(value)) or (option != "--scale" and value > 1):
            limit = "" if option == "--scale" else " at most 1"
            print(f"error: {option} must be a positive number{limit}, got {value}", file=sys.stderr)
            return 2
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        print(f"error: --out {args.out!r} is a file; give a folder", file=sys.stderr)
        return 2
    plc = args.plc
    path = Path(args.flat)
    if args.flat in BUNDLED and BUNDLED[args.flat].suite == "tilos_ng45_flat":
        entry = BUNDLED[args.flat]  # takes its canvas and grid from its .plc
        source: Path | Design = entry.path
        plc = plc or entry.canvas_from
    elif args.flat not in BUNDLED and path.name.lower().endswith((".pb.txt", ".pb.txt.gz")):
        if not path.is_file():
            raise UnknownDesignError(f"{args.flat}: no such file")
        source = path
    else:  # any other flat design: Bookshelf, DEF, JSON...
        source = _load(args.flat, args.lef)[0]
    try:
        netlist, placement = group_flat_design(
            source,
            out,
            groups_path=args.groups,
            plc_path=plc,
            seed=args.seed,
            scale=args.scale,
            area_bloating_ratio=1 / args.cell_utilization,
            settings=PartitionSettings(method=args.method),
        )
    except NetlistError:
        raise
    except ValueError as error:  # a clustered design; no hard macros to choose a grid from
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"wrote {netlist}\nwrote {placement}")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        print(
            f"error: --out {args.out!r} is a file; give a folder (new or existing)", file=sys.stderr
        )
        return 2
    loaded = []
    for name in args.design:  # every design loads before anything is written
        start = time.perf_counter()
        loaded.append((name, load(name), time.perf_counter() - start))
    out.mkdir(parents=True, exist_ok=True)
    for name, design, seconds in loaded:
        print(f"== {name} (loaded in {seconds:.2f} s)")
        print(format_report(design_stats(design).to_dict()))
        picture = save_placement_png(
            design.netlist,
            design.placement,
            out / f"{design.name}_initial.png",  # a path's design goes into --out too
            title=f"{name}: placement as shipped",
        )
        print(f"picture: {picture}\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Runs the command line; returns the exit status (2 for a design that cannot be loaded)."""
    parser = argparse.ArgumentParser(prog="python -m netlists", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="list the bundled designs")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(run=_cmd_list)
    info = commands.add_parser("info", help="print a design's statistics")
    info.add_argument("design", help="bundled design name or path to a design file")
    info.add_argument("--lef", nargs="+", action="extend", help="LEF files of a DEF's masters")
    info.add_argument("--json", action="store_true", help="print JSON")
    info.set_defaults(run=_cmd_info)
    convert = commands.add_parser("convert", help="write a design in another format")
    convert.add_argument("input", help="bundled design name or path to a design file")
    convert.add_argument("output", help="file to write; its name picks the format")
    convert.add_argument("--lef", nargs="+", action="extend", help="LEF files of a DEF's masters")
    convert.set_defaults(run=_cmd_convert)
    group = commands.add_parser("group", help="cluster a flat design into soft macros")
    group.add_argument(
        "flat", help="flat Circuit Training netlist (.pb.txt[.gz]), other flat design, or name"
    )
    group.add_argument("--out", required=True, help="folder for netlist.pb.txt.gz, initial.plc")
    group.add_argument("--groups", help="groups.final[.gz] to apply (default: compute a grouping)")
    group.add_argument(
        "--plc", help=".plc giving canvas, grid and routing (default: initial.plc beside FLAT)"
    )
    group.add_argument("--seed", type=int, default=0, help="the partitioner's seed")
    group.add_argument(
        "--method",
        choices=["recursive_bisection", "kway"],
        default="recursive_bisection",
        help="hMETIS-like recursive bisection (as Circuit Training's flow) or one k-way partition",
    )
    group.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="microns per design unit of a non-CT design (0.01 for ICCAD04 as TILOS ran it)",
    )
    group.add_argument(
        "--cell-utilization",
        type=float,
        default=0.5,
        help="cell area / soft-macro area (Circuit Training's cell_area_utilization; TILOS used "
        "1 for ICCAD04)",
    )
    group.add_argument("--lef", nargs="+", action="extend", help="LEF files of a DEF's masters")
    group.set_defaults(run=_cmd_group)
    demo = commands.add_parser("demo", help="load designs, print statistics, draw placements")
    demo.add_argument("--design", nargs="+", default=["ariane133_ng45", "ibm01"])
    demo.add_argument("--out", default="demo_out", help="folder for the pictures")
    demo.set_defaults(run=_cmd_demo)
    args = parser.parse_args(argv)
    try:
        status = args.run(args)
        sys.stdout.flush()  # a closed pipe shows here, not as a traceback at exit
        return status
    except NetlistError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader went away (`... | head`): not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
