"""Netlists: the data model, file formats and bundled benchmark designs.

Quick start::

    import netlists
    design = netlists.load("ibm01")          # a bundled design, or a path to any supported file
    netlist, placement = design.netlist, design.placement
    print(netlists.design_stats(design))
"""

from netlists.bundled import BUNDLED, BundledDesign, bundled_designs, load
from netlists.design import Design
from netlists.errors import (
    InvalidNetlistError,
    NetlistError,
    NetlistFormatError,
    UnknownDesignError,
    UnsupportedFormatError,
)
from netlists.formats import read_design, read_placement, write_design
from netlists.netlist import Net, Netlist, NetlistArrays, Node, Pin
from netlists.placement import Placement
from netlists.stats import DesignStats, design_stats
from netlists.types import Canvas, NodeKind, Orientation, PinDirection, PlcSettings, Row

__all__ = [
    "BUNDLED",
    "BundledDesign",
    "Canvas",
    "Design",
    "DesignStats",
    "InvalidNetlistError",
    "Net",
    "Netlist",
    "NetlistArrays",
    "NetlistError",
    "NetlistFormatError",
    "Node",
    "NodeKind",
    "Orientation",
    "Pin",
    "PinDirection",
    "Placement",
    "PlcSettings",
    "Row",
    "UnknownDesignError",
    "UnsupportedFormatError",
    "bundled_designs",
    "design_stats",
    "load",
    "read_design",
    "read_placement",
    "write_design",
]
