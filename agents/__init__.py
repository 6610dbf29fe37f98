"""Baseline macro placers behind one interface, and a registry of them by name.

``make_placer(name).place(design, rng, Budget(evaluations=...))`` returns a
:class:`~agents.base.PlacerResult`; :data:`PLACERS` lists the names.
"""

from agents import (  # noqa: F401  (register the placers)
    analytical,
    annealing,
    evolution,
    floorplan,
    greedy,
    learned,
    learned_annealing,
    proxy_annealing,
    random_placer,
)
from agents.base import (
    PLACERS,
    Budget,
    MacroProblem,
    Placer,
    PlacerError,
    PlacerResult,
    PlacerStats,
    make_placer,
)

__all__ = [
    "PLACERS",
    "Budget",
    "MacroProblem",
    "Placer",
    "PlacerError",
    "PlacerResult",
    "PlacerStats",
    "make_placer",
]
