"""Chip parameters of a TPU-like accelerator, and the presets ``tpu_v1``, ``tpu_v2``, ``tpu_v3``.

Units: memory capacities in MiB, bandwidths in GB/s (1e9 bytes per second) or Gbit/s, clock in MHz.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from accel.tech import TECH_16NM, TECH_28NM, Technology, number_format

#: Architectures the block model knows: ``inference`` is TPUv1's (a unified buffer, separate
#: accumulators and a fixed-function activation pipeline); ``training`` is TPUv2's and later
#: (per-core vector memory and a programmable vector unit that the matrix units hang off).
ARCHITECTURES = ("inference", "training")
DRAM_KINDS = ("DDR3", "DDR4", "GDDR5", "HBM2")
#: Usable PCIe bandwidth per lane and direction (GB/s) by generation.
PCIE_GB_PER_S_PER_LANE = {1: 0.25, 2: 0.5, 3: 0.985, 4: 1.969, 5: 3.938}


def _check_int(name: str, value: object, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name} must be an integer in [{low}, {high}]; got {value!r}")


def _check_real(name: str, value: object, low: float, high: float, *, open_low: bool) -> None:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and (low < value if open_low else low <= value) and value <= high
    if not ok:
        bracket = "(" if open_low else "["
        raise ValueError(f"{name} must be a number in {bracket}{low}, {high}]; got {value!r}")


@dataclass(frozen=True)
class ChipParams:
    """Everything the area, performance and netlist models need to know about one chip.

    Attributes:
        name: Design name.
        architecture: ``"inference"`` (TPUv1-like) or ``"training"`` (TPUv2-like).
        technology: Process node preset.
        array_rows: Rows of one systolic matrix unit (inputs enter along them).
        array_cols: Columns of one matrix unit (one output lane each).
        number_format: Matrix-unit input format: ``int8``, ``bf16``, ``fp16`` or ``fp32``.
        cores: Number of cores (TensorCores).
        matrix_units_per_core: Matrix units in each core.
        unified_buffer_mib: On-chip activation buffer per core (MiB): TPUv1's Unified Buffer, or a
            training core's Vector Memory.
        accumulator_mib: Accumulator storage per core (MiB); 0 where the accumulators live in
            vector memory (training architecture).
        weight_fifo_tiles: Depth of the on-chip weight FIFO in array-sized tiles (0 = none).
        vector_sublanes: Sublanes of the activation / vector unit per column lane (1 for a fixed
            activation pipeline, 8 for TPUv2's vector unit).
        dram_kind: ``DDR3``, ``DDR4``, ``GDDR5`` or ``HBM2``.
        dram_channels: DRAM channels (DDR) or stacks (HBM), each with its own PHY.
        dram_gb_per_s_per_channel: Bandwidth of one channel or stack (GB/s).
        pcie_generation: PCIe generation (1..5) of the host link.
        pcie_lanes: PCIe lanes.
        links: Inter-chip links (0 for none).
        link_gbit_per_s: Bandwidth of one inter-chip link (Gbit/s).
        clock_mhz: Target clock (MHz).
        utilisation: Block area over die area, in (0, 1].
    """

    name: str
    architecture: str
    technology: Technology
    array_rows: int
    array_cols: int
    number_format: str
    cores: int
    matrix_units_per_core: int
    unified_buffer_mib: float
    accumulator_mib: float
    weight_fifo_tiles: int
    vector_sublanes: int
    dram_kind: str
    dram_channels: int
    dram_gb_per_s_per_channel: float
    pcie_generation: int
    pcie_lanes: int
    links: int
    link_gbit_per_s: float
    clock_mhz: float
    utilisation: float

    def __post_init__(self) -> None:
        if self.architecture not in ARCHITECTURES:
            raise ValueError(
                f"architecture must be one of {', '.join(ARCHITECTURES)}; got {self.architecture!r}"
            )
        if not isinstance(self.technology, Technology):
            raise ValueError(f"technology must be a Technology; got {self.technology!r}")
        number_format(self.number_format)
        if self.dram_kind not in DRAM_KINDS:
            raise ValueError(
                f"dram_kind must be one of {', '.join(DRAM_KINDS)}; got {self.dram_kind!r}"
            )
        _check_int("array_rows", self.array_rows, 1, 4096)
        _check_int("array_cols", self.array_cols, 1, 4096)
        _check_int("cores", self.cores, 1, 64)
        _check_int("matrix_units_per_core", self.matrix_units_per_core, 1, 16)
        _check_int("weight_fifo_tiles", self.weight_fifo_tiles, 0, 64)
        _check_int("vector_sublanes", self.vector_sublanes, 1, 64)
        _check_int("dram_channels", self.dram_channels, 1, 16)
        _check_int("pcie_lanes", self.pcie_lanes, 1, 32)
        _check_int("links", self.links, 0, 16)
        if self.pcie_generation not in PCIE_GB_PER_S_PER_LANE:
            raise ValueError(
                f"pcie_generation must be an integer in [1, 5]; got {self.pcie_generation!r}"
            )
        _check_real("unified_buffer_mib", self.unified_buffer_mib, 0.0, 4096.0, open_low=True)
        _check_real("accumulator_mib", self.accumulator_mib, 0.0, 4096.0, open_low=False)
        _check_real(
            "dram_gb_per_s_per_channel", self.dram_gb_per_s_per_channel, 0.0, 1e4, open_low=True
        )
        _check_real("link_gbit_per_s", self.link_gbit_per_s, 0.0, 1e5, open_low=False)
        _check_real("clock_mhz", self.clock_mhz, 0.0, 10_000.0, open_low=True)
        _check_real("utilisation", self.utilisation, 0.0, 1.0, open_low=True)
        if self.architecture == "inference" and self.accumulator_mib <= 0:
            raise ValueError(
                "accumulator_mib must be in (0, 4096] for the inference architecture; "
                f"got {self.accumulator_mib!r}"
            )

    @property
    def macs(self) -> int:
        """Multiply-accumulate units on the chip."""
        return self.cores * self.matrix_units_per_core * self.array_rows * self.array_cols

    @property
    def dram_gb_per_s(self) -> float:
        """Total DRAM bandwidth (GB/s)."""
        return self.dram_channels * self.dram_gb_per_s_per_channel

    @property
    def pcie_gb_per_s(self) -> float:
        """Host link bandwidth per direction (GB/s)."""
        return self.pcie_lanes * PCIE_GB_PER_S_PER_LANE[self.pcie_generation]

    def with_changes(self, **changes: object) -> ChipParams:
        """A copy with some fields changed (validated again)."""
        return replace(self, **changes)


# TPUv1 (Jouppi et al., ISCA 2017): 256x256 int8, 24 MiB UB, 4 MiB accumulators, 4-tile weight
# FIFO, two DDR3-2133 channels (34 GB/s in all), PCIe Gen3 x16, 28 nm, 700 MHz. 79% of the die is
# named blocks; the rest is clocking, power and white space.
TPU_V1 = ChipParams(
    name="tpu_v1", architecture="inference", technology=TECH_28NM, array_rows=256,
    array_cols=256, number_format="int8", cores=1, matrix_units_per_core=1,
    unified_buffer_mib=24.0, accumulator_mib=4.0, weight_fifo_tiles=4, vector_sublanes=1,
    dram_kind="DDR3", dram_channels=2, dram_gb_per_s_per_channel=17.0, pcie_generation=3,
    pcie_lanes=16, links=0, link_gbit_per_s=0.0, clock_mhz=700.0, utilisation=0.79,
)  # fmt: skip
# TPUv2: two cores, one 128x128 bf16 matrix unit each, 16 MiB vector memory per core, four HBM
# stacks (700 GB/s), four inter-chip links, 16 nm, 700 MHz.
TPU_V2 = ChipParams(
    name="tpu_v2", architecture="training", technology=TECH_16NM, array_rows=128,
    array_cols=128, number_format="bf16", cores=2, matrix_units_per_core=1,
    unified_buffer_mib=16.0, accumulator_mib=0.0, weight_fifo_tiles=0, vector_sublanes=8,
    dram_kind="HBM2", dram_channels=4, dram_gb_per_s_per_channel=175.0, pcie_generation=3,
    pcie_lanes=16, links=4, link_gbit_per_s=496.0, clock_mhz=700.0, utilisation=0.6,
)  # fmt: skip
# TPUv3: TPUv2 with two matrix units per core, 900 GB/s HBM, faster links, 940 MHz.
TPU_V3 = replace(
    TPU_V2, name="tpu_v3", matrix_units_per_core=2, dram_gb_per_s_per_channel=225.0,
    link_gbit_per_s=656.0, clock_mhz=940.0,
)  # fmt: skip
PRESETS: dict[str, ChipParams] = {p.name: p for p in (TPU_V1, TPU_V2, TPU_V3)}


def preset_name(text: str) -> str | None:
    """The preset a spelling names, or ``None``: case, ``_`` and ``-`` are ignored, so
    ``"tpu_v1"``, ``"TPUv1"``, ``"tpu-v1"`` and ``"TPU_V1"`` all name ``"tpu_v1"``."""
    key = text.lower().replace("_", "").replace("-", "")
    for name in PRESETS:
        if name.replace("_", "") == key:
            return name
    return None


def preset(name: str) -> ChipParams:
    """Returns the chip preset called ``name`` (any spelling :func:`preset_name` accepts).

    Raises:
        ValueError: Unknown preset (the message lists the known ones).
    """
    known = preset_name(name)
    if known is None:
        raise ValueError(f"preset must be one of {', '.join(PRESETS)}; got {name!r}")
    return PRESETS[known]
