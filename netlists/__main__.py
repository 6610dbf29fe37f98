"""Command line: ``python -m netlists {list,info,demo}``.

* ``list [--json]`` -- the bundled designs with their suites.
* ``info NAME_OR_PATH [--json]`` -- a design's statistics (keys: :class:`~netlists.DesignStats`).
* ``demo [--design NAME] [--out DIR]`` -- load a design, print its statistics, draw its placement.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from netlists.bundled import bundled_designs, load
from netlists.errors import NetlistError
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


def _cmd_info(args: argparse.Namespace) -> int:
    print(format_report(design_stats(load(args.design)).to_dict(), as_json=args.json))
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
    info.add_argument("--json", action="store_true", help="print JSON")
    info.set_defaults(run=_cmd_info)
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
