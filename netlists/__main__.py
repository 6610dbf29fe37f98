"""Command line: ``python -m netlists {list,info,convert,demo}``.

* ``list [--json]`` -- the bundled designs with their suites.
* ``info NAME_OR_PATH [--lef A.lef ...] [--json]`` -- a design's statistics (keys:
  :class:`~netlists.DesignStats`); for a DEF, what the reader skipped (``notes``). LEF files
  beside a DEF are found without ``--lef``.
* ``convert IN OUT [--lef A.lef ...]`` -- read a design in one format and write it in another
  (the output format follows OUT's name; ``.def`` copies the input DEF with the placement).
* ``group FLAT.pb.txt[.gz] --out DIR [--groups groups.final[.gz]] [--plc initial.plc]`` --
  cluster a flat Circuit Training netlist's standard cells into soft macros with a given grouping
  (:mod:`netlists.grouping`); writes ``DIR/netlist.pb.txt.gz`` and ``DIR/initial.plc``.
* ``demo [--design NAME] [--out DIR]`` -- load a design, print its statistics, draw its placement.
"""

from __future__ import annotations

import argparse
import os
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
            f"{args.input!r} is not a DEF; write .aux, .json, .pl or .plc instead"
        )
    design, notes = _load(args.input, args.lef)
    for line in (line for note in notes for line in note.lines()):
        print(f"note: {line}")
    if out.exists() and out.is_dir():
        raise UnsupportedFormatError(f"{out}: is a folder; give a file name")
    out.parent.mkdir(parents=True, exist_ok=True)
    if _is_def(out):
        written = write_def(design, out, template=template, components="all")
    else:
        written = write_design(design, out)
    print(f"wrote {written}")
    return 0


def _cmd_group(args: argparse.Namespace) -> int:
    from netlists.grouping import group_design

    flat = Path(args.flat)
    plc = args.plc
    if args.flat in BUNDLED:  # a bundled flat netlist takes its canvas and grid from its .plc
        entry = BUNDLED[args.flat]
        if entry.suite != "tilos_ng45_flat":
            flat = [d.name for d in bundled_designs() if d.suite == "tilos_ng45_flat"]
            raise UnknownDesignError(
                f"{args.flat!r} is not a flat Circuit Training netlist; the bundled ones are "
                f"{', '.join(flat)}"
            )
        flat, plc = entry.path, plc or entry.canvas_from
    elif not flat.is_file():
        raise UnknownDesignError(f"{args.flat}: no such file (nor a bundled flat design)")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        print(f"error: --out {args.out!r} is a file; give a folder", file=sys.stderr)
        return 2
    try:
        netlist, placement = group_design(flat, out, groups_path=args.groups, plc_path=plc)
    except FileNotFoundError as error:
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
    group = commands.add_parser("group", help="cluster a flat netlist into soft macros")
    group.add_argument("flat", help="flat Circuit Training netlist (.pb.txt[.gz]) or bundled name")
    group.add_argument("--out", required=True, help="folder for netlist.pb.txt.gz, initial.plc")
    group.add_argument("--groups", help="groups.final[.gz] (default: the one beside FLAT)")
    group.add_argument("--plc", help=".plc giving canvas and grid (default: initial.plc beside)")
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
