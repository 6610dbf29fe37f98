"""The placer interface: a budget, a result, the macro-placement problem and the registry.

Every placer places the **movable hard macros** of a design. Everything else keeps the position
the design ships with: ports and fixed blocks always, and -- with ``context="placed"`` (the
default) -- also the soft macros and standard cells the design ships placed, so that the HPWL a
placer minimises is the HPWL reported for its result. ``context="macros"`` optimises only the
nets among hard macros, ports and fixed blocks (as the Gymnasium env does).

The problem itself -- macro order, context, sub-netlist and index maps -- is
:class:`placement_env.problem.MacroProblem`, shared with the Gymnasium env.

A placer is a class with a ``name`` and ``place(design, rng, budget) -> PlacerResult``; the
result's placement covers the whole netlist, has every movable hard macro placed, and is legal
(:func:`placement_env.legality.check_legality`).
"""

from __future__ import annotations

import inspect
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from netlists import Design, Placement
from placement_env import problem
from placement_env.arguments import check_types
from placement_env.grid import Grid
from placement_env.problem import CONTEXTS, ProblemError

__all__ = [
    "CONTEXTS",
    "PLACERS",
    "Budget",
    "MacroProblem",
    "Meter",
    "Placer",
    "PlacerError",
    "PlacerResult",
    "PlacerStats",
    "make_placer",
    "register",
]


class PlacerError(ProblemError):
    """A placer cannot run on this input (bad budget, overlapping fixed blocks, no room); a
    :class:`~placement_env.problem.ProblemError`, hence a ``ValueError``."""


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
        if self.seconds is not None and not 0 < float(self.seconds) < math.inf:
            raise PlacerError(f"budget seconds must be positive and finite, got {self.seconds}")

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


@contextmanager
def _as_placer_error() -> Iterator[None]:
    try:
        yield
    except PlacerError:
        raise
    except ProblemError as error:
        raise PlacerError(str(error)) from None


class MacroProblem(problem.MacroProblem):
    """The placers' :class:`placement_env.problem.MacroProblem` (largest macro first, the
    ``"placed"`` context by default), raising :class:`PlacerError` so that a placer fails with
    one exception type."""

    def __init__(self, design: Design, context: str = "placed", ports: bool = True) -> None:
        with _as_placer_error():
            super().__init__(design, context=context, ports=ports)

    def grid(self, size: int = 64, max_size: int = 1024) -> Grid:
        with _as_placer_error():
            return super().grid(size, max_size)


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
    """A new placer by registry name; keyword arguments go to its constructor.

    Raises:
        PlacerError: An unknown placer, a keyword its constructor does not take, or a value whose
            type does not fit the keyword's annotation.
    """
    try:
        cls = PLACERS[name]
    except KeyError:
        raise PlacerError(
            f"unknown placer {name!r}; known placers: {', '.join(sorted(PLACERS))}"
        ) from None
    parameters = inspect.signature(cls).parameters
    takes_any = any(p.kind is p.VAR_KEYWORD for p in parameters.values())
    unknown = [key for key in kwargs if key not in parameters and not takes_any]
    if unknown:
        raise PlacerError(
            f"placer {name!r} takes no keyword {unknown[0]!r}; it takes: "
            f"{', '.join(parameters) or 'none'}"
        )
    check_types(cls.__init__, kwargs, f"placer {name!r}", PlacerError)
    return cls(**kwargs)
