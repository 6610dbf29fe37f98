"""Times the readers on the largest bundled designs (median of repeated loads, in one run).

Usage: python scripts/bench_parsers.py [--repeats 3] [--designs ibm14 nvdla_ng45 ...]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

from netlists import BUNDLED, design_stats
from netlists.formats import read_design

DEFAULT = [
    "ibm01",
    "ibm14",
    "ariane133_ng45",
    "nvdla_ng45",
    "nvdla_flat_ng45",
    "ariane_lefdef",
    "gcd_mem1",
    "n300",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--designs", nargs="+", default=DEFAULT)
    args = parser.parse_args()
    print(
        f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}"
    )
    print("| design | nodes | nets | pins | median load (s) | min (s) |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in args.designs:
        entry = BUNDLED[name]
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            design = read_design(entry.path)  # uncached: the reader itself
            times.append(time.perf_counter() - start)
        stats = design_stats(design)
        print(
            f"| {name} | {stats.nodes} | {stats.nets} | {stats.pins} | "
            f"{statistics.median(times):.2f} | {min(times):.2f} |"
        )


if __name__ == "__main__":
    main()
