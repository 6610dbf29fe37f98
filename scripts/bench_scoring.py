"""Times the scoring kernels on bundled designs (median over repeats, one run, one process).

Usage: python scripts/bench_scoring.py [--repeats 20] [--designs ibm01 ariane133_ng45 ...]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from collections.abc import Callable

import netlists
from netlists import NodeKind
from placement_env.grid import Grid
from placement_env.incremental import hpwl_delta, position_mask, wire_mask
from placement_env.maps import density_map, rudy_map
from placement_env.wirelength import hpwl, macro_hpwl, steiner_wirelength

DEFAULT = ["ibm01", "ariane133_ng45", "nvdla_ng45", "ibm14"]


def _median_ms(function: Callable[[], object], repeats: int) -> float:
    function()  # warm-up (numba compilation, caches)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--designs", nargs="+", default=DEFAULT)
    parser.add_argument("--grid", type=int, default=128, help="bins per side for maps and masks")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, Python {platform.python_version()}; ms, median")
    kernels = [
        "hpwl",
        "macro_hpwl",
        "steiner",
        "density",
        "rudy",
        "wire_mask",
        "position_mask",
        "hpwl_delta",
    ]
    extra = []
    try:
        from placement_env.proxy_cost import proxy_cost

        extra = ["ct_proxy", "proxy_move"]
    except ImportError:
        proxy_cost = None
    print("| design | " + " | ".join(kernels + extra) + " |")
    print("|---|" + "---:|" * (len(kernels) + len(extra)))
    for name in args.designs:
        cells = _design_row(name, args.grid, args.repeats, kernels + extra, proxy_cost)
        print(f"| {name} | " + " | ".join(cells) + " |")


def _design_row(name: str, bins: int, repeats: int, kernels: list[str], proxy_cost) -> list[str]:
    design = netlists.load(name)
    netlist, placement = design.netlist, design.placement
    grid = Grid.over(netlist.canvas, bins, bins)
    macro = int(netlist.nodes_of_kind(NodeKind.HARD_MACRO)[0])
    target = placement.positions[[macro]] + 1.0
    calls = {
        "hpwl": lambda: hpwl(netlist, placement),
        "macro_hpwl": lambda: macro_hpwl(netlist, placement),
        "steiner": lambda: steiner_wirelength(netlist, placement),
        "density": lambda: density_map(netlist, placement, grid),
        "rudy": lambda: rudy_map(netlist, placement, grid),
        "wire_mask": lambda: wire_mask(netlist, placement, macro, grid),
        "position_mask": lambda: position_mask(netlist, placement, macro, grid),
        "hpwl_delta": lambda: hpwl_delta(netlist, placement, [macro], target),
    }
    if proxy_cost is not None and design.plc is not None:
        from placement_env.proxy_incremental import IncrementalProxy

        calls["ct_proxy"] = lambda: proxy_cost(netlist, placement, design.plc)
        # One incremental proxy move of a hard macro, and its undo (what an annealer pays).
        inc = IncrementalProxy(netlist, placement, design.plc)
        calls["proxy_move"] = lambda: (inc.move([macro], target), inc.undo())
    return [f"{_median_ms(calls[k], repeats):.2f}" if k in calls else "-" for k in kernels]


if __name__ == "__main__":
    main()
