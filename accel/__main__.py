"""Command line: build a preset chip's design, or print its report.

Usage:
    python -m accel build tpu_v1 --out tpu_v1.json --reference-placement tpu_v1_ref.pl
    python -m accel report tpu_v1 [--placement FILE] [--json]

``build`` writes the design (netlist, timing arcs, fixed I/O, grid settings) as JSON, and with
``--reference-placement`` the default floor plan (the hand-made one for ``tpu_v1``) as a placement
file (``.pl`` or ``.json``). ``report`` scores a placement (default: that floor plan).
"""

from __future__ import annotations

import argparse
import sys

import netlists
from accel.chip import build_chip
from accel.params import PRESETS, preset
from accel.report import default_placement, default_placement_and_name
from netlists.stats import format_report

# The command line is the scripts layer: it may score placements with placement_env.
from placement_env.chip_report import chip_report
from placement_env.legality import require_complete


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m accel", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("build", "report"):
        sub = commands.add_parser(name)
        sub.add_argument("preset", help=f"one of {', '.join(PRESETS)}")
        sub.add_argument("--tiles", type=int, default=1, help="pieces per large block (1..64)")
        sub.add_argument("--utilisation", type=float, help="block area over die area, (0, 1]")
        if name == "build":
            sub.add_argument(
                "--out", required=True, help="design file to write (.json; .aux drops timing)"
            )
            sub.add_argument("--reference-placement", help="placement file to write (.pl, .json)")
        else:
            sub.add_argument("--placement", help="placement file (.pl, .plc, .json) to score")
            sub.add_argument("--json", action="store_true", help="print JSON")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Runs the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        params = preset(args.preset)
        design = build_chip(params, tiles=args.tiles, utilisation=args.utilisation)
        if args.command == "build":
            netlists.write_design(design, args.out)
            if args.reference_placement:
                placed = netlists.Design(design.netlist, default_placement(design), plc=design.plc)
                netlists.write_design(placed, args.reference_placement)
            return 0
        if args.placement:
            placement = netlists.read_placement(args.placement, design.netlist)
            require_complete(design.netlist, placement, args.placement)  # no f_max for half a chip
            placement_name = str(args.placement)
        else:
            placement, placement_name = default_placement_and_name(design)
        report = chip_report(params, design, placement, placement_name)
    except (ValueError, netlists.NetlistError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(format_report(report, as_json=args.json))
    return 0


if __name__ == "__main__":
    sys.exit(main())
