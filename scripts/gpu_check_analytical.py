"""Runs the analytical placer on ibm01 and ariane133_ng45 on CUDA (if available) and on the CPU:
device, seconds, HPWL before / after legalisation, legality.

    python scripts/gpu_check_analytical.py [--evaluations 300]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

import netlists
from agents import Budget, make_placer
from placement_env.legality import check_legality
from placement_env.wirelength import hpwl


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--designs", nargs="+", default=["ibm01", "ariane133_ng45"])
    parser.add_argument("--evaluations", type=int, default=300)
    args = parser.parse_args()
    devices = (["cuda"] if torch.cuda.is_available() else []) + ["cpu"]
    print(f"torch {torch.__version__}; cuda available: {torch.cuda.is_available()}")
    if torch.cuda.is_available():
        print(f"gpu: {torch.cuda.get_device_name(0)}")
    for name in args.designs:
        design = netlists.load(name)
        nl = design.netlist
        for device in devices:
            if device == "cuda":  # warm-up: CUDA context and kernels
                make_placer("analytical", device="cuda").place(
                    design, np.random.default_rng(0), Budget(evaluations=3)
                )
                torch.cuda.synchronize()
            start = time.perf_counter()
            result = make_placer("analytical", device=device).place(
                design, np.random.default_rng(0), Budget(evaluations=args.evaluations)
            )
            seconds = time.perf_counter() - start
            legal = check_legality(nl, result.placement).is_legal
            print(
                f"{name:16s} device={device:4s} steps={result.stats.evaluations} "
                f"seconds={seconds:.2f} global_seconds={result.extra['global_seconds']:.2f} "
                f"hpwl_global={hpwl(nl, result.extra['global_placement']):.6g} "
                f"hpwl_legal={hpwl(nl, result.placement):.6g} legal={legal} "
                f"notes={' '.join(result.stats.notes)}",
                flush=True,
            )


if __name__ == "__main__":
    main()
