"""The placer interface: a budget, a result, the macro-placement problem and the registry.

Every placer places the **movable hard macros** of a design. Everything else keeps the position
the design ships with: ports and fixed blocks always, and -- with ``context="placed"`` (the
default) -- also the soft macros and standard cells the design ships placed, so that the HPWL a
placer minimises is the HPWL reported for its result. ``context="macros"`` optimises only the
nets among hard macros, ports and fixed blocks (as the Gymnasium env does).

A placer is a class with a ``name`` and ``place(design, rng, budget) -> PlacerResult``; the
result's placement covers the whole netlist, has every movable hard macro placed, and is legal
(:func:`placement_env.legality.check_legality`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from netlists import Design, Netlist, NodeKind, Placement
from placement_env.grid import Grid
from placement_env.incremental import position_mask
from placement_env.legality import check_legality

CONTEXTS = ("placed", "macros")


class PlacerError(ValueError):
    """A placer cannot run on this input (bad budget, overlapping fixed blocks, no room)."""


@dataclass(frozen=True)
class Budget:
    """How much a placer may spend: full-cost evaluations and/or wall-clock seconds.

    ``None`` means unlimited on that axis; with both ``None`` a placer uses its own default.
    A placer stops at whichever limit comes first. Only an evaluation budget makes an iterative
    placer deterministic for a seed (a time budget depends on the machine).
    """

    evaluations: int | None = None
    seconds: float | None = None

    def __post_init__(self) -> None:
        if self.evaluations is not None and int(self.evaluations) <= 0:
            raise PlacerError(f"budget evaluations must be positive, got {self.evaluations}")
        if self.seconds is not None and not float(self.seconds) > 0:
            raise PlacerError(f"budget seconds must be positive, got {self.seconds}")

    def or_default(self, evaluations: int) -> Budget:
        """This budget, or ``evaluations`` evaluations when neither limit is set."""
        if self.evaluations is None and self.seconds is None:
            return Budget(evaluations=evaluations)
        return self


class Meter:
    """Counts evaluations and time against a :class:`Budget`."""

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self.start = time.perf_counter()
        self.evaluations = 0

    def spend(self, n: int = 1) -> None:
        self.evaluations += n

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.start

    def fraction(self) -> float:
        """Fraction of the budget used, in [0, 1] (the larger of the two axes)."""
        parts = [0.0]
        if self.budget.evaluations is not None:
            parts.append(self.evaluations / self.budget.evaluations)
        if self.budget.seconds is not None:
            parts.append(self.seconds / self.budget.seconds)
        return min(1.0, max(parts))

    def exhausted(self) -> bool:
        return self.fraction() >= 1.0


@dataclass(frozen=True)
class PlacerStats:
    """What a run cost: evaluations (full placements decoded or incremental cost calls),
    seconds, and free-form notes (``key=value`` strings)."""

    evaluations: int
    seconds: float
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlacerResult:
    """A full-netlist placement with every movable hard macro placed (legal), and its stats."""

    placement: Placement
    stats: PlacerStats
    extra: dict[str, Any] = field(default_factory=dict)


class MacroProblem:
    """The movable hard macros of a design and the sub-netlist their HPWL is computed on.

    Attributes:
        design: The design.
        macros: (m,) full-netlist indices of the movable hard macros, largest area first.
        keep: Sorted full-netlist indices of the sub-netlist's nodes.
        sub: The sub-netlist (nodes ``keep``); HPWL over it equals the full HPWL of the kept nodes.
        local: (m,) sub-netlist indices of ``macros``.
        start: Sub-netlist placement with the context placed and no movable macro placed.
    """

    def __init__(self, design: Design, context: str = "placed") -> None:
        if context not in CONTEXTS:
            raise PlacerError(f"unknown context {context!r}; choose one of {CONTEXTS}")
        nl = design.netlist
        self.design = design
        kinds = nl.node_kinds
        movable = np.flatnonzero((kinds == int(NodeKind.HARD_MACRO)) & ~nl.node_fixed)
        if not len(movable):
            raise PlacerError(f"design {nl.name!r} has no movable hard macro to place")
        area = nl.node_sizes[movable].prod(axis=1)
        self.macros = movable[np.argsort(-area, kind="stable")]
        shipped = design.placement
        if context == "placed":
            context_nodes = shipped.placed.copy()
        else:
            context_nodes = shipped.placed & (
                nl.node_fixed | (kinds == int(NodeKind.PORT)) | (kinds == int(NodeKind.HARD_MACRO))
            )
        context_nodes[self.macros] = False
        fixed_hard = np.flatnonzero(context_nodes & (kinds == int(NodeKind.HARD_MACRO)))
        if len(fixed_hard):
            report = check_legality(nl, shipped, fixed_hard)
            if not report.is_legal:
                raise PlacerError(
                    f"design {nl.name!r}: its fixed hard macros are not legal "
                    f"({report.n_overlapping_pairs} overlapping pairs, "
                    f"{report.n_out_of_die} off the die); no placement can be legal"
                )
        self.keep = np.union1d(np.flatnonzero(context_nodes), self.macros)
        self.sub: Netlist = nl.restricted_to(self.keep)
        self.local = np.searchsorted(self.keep, self.macros)
        placed = context_nodes[self.keep]
        self.start = Placement(
            shipped.positions[self.keep], shipped.orientations[self.keep], placed
        )
        canvas = nl.canvas
        self.centre = np.array([canvas.x_min + canvas.width / 2, canvas.y_min + canvas.height / 2])

    @property
    def netlist(self) -> Netlist:
        return self.design.netlist

    def grid(self, size: int = 64, max_size: int = 1024) -> Grid:
        """The coarsest square grid of at least ``size`` cells a side on which every macro has a
        legal cell on the empty canvas (doubling up to ``max_size``)."""
        n = size
        while True:
            grid = Grid.over(self.netlist.canvas, n, n)
            if all(position_mask(self.sub, self.start, int(v), grid).any() for v in self.local):
                return grid
            if n * 2 > max_size:
                raise PlacerError(
                    f"design {self.netlist.name!r}: some macro fits no cell of a "
                    f"{n} x {n} grid on the empty canvas"
                )
            n *= 2

    def to_full(self, sub_placement: Placement) -> Placement:
        """The full-netlist placement: the shipped one with the macros as in ``sub_placement``."""
        shipped = self.design.placement
        positions = shipped.positions.copy()
        orientations = shipped.orientations.copy()
        placed = shipped.placed.copy()
        positions[self.macros] = sub_placement.positions[self.local]
        orientations[self.macros] = sub_placement.orientations[self.local]
        placed[self.macros] = sub_placement.placed[self.local]
        return Placement(positions, orientations, placed)


class Placer:
    """Base class of placers: subclasses set ``name`` and implement :meth:`place`."""

    name: ClassVar[str] = ""

    def place(self, design: Design, rng: np.random.Generator, budget: Budget) -> PlacerResult:
        raise NotImplementedError


PLACERS: dict[str, type[Placer]] = {}


def register(cls: type[Placer]) -> type[Placer]:
    """Class decorator adding a placer to :data:`PLACERS` under its ``name``."""
    if not cls.name or cls.name in PLACERS:
        raise ValueError(f"placer name {cls.name!r} is empty or taken")
    PLACERS[cls.name] = cls
    return cls


def make_placer(name: str, **kwargs: Any) -> Placer:
    """A new placer by registry name; keyword arguments go to its constructor."""
    try:
        cls = PLACERS[name]
    except KeyError:
        raise PlacerError(
            f"unknown placer {name!r}; known placers: {', '.join(sorted(PLACERS))}"
        ) from None
    return cls(**kwargs)
