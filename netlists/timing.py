"""Timing data of a design: which blocks are sequential and the register-to-register arcs.

A :class:`TimingGraph` describes block-level timing the way a floor-planner sees it. Sequential
blocks launch at their outputs (after clock-to-q) and capture at their inputs (before setup);
combinational blocks pass arrival times on. Each arc runs from a driver pin to a sink pin of one
net, with the logic delay spent inside the source block after launch (``before``) and inside the
sink block before capture (``after``), and optionally pipeline registers inserted along the wire.
The placement decides the wire length between the two pins, hence the wire delay; the timing
engine (:mod:`placement_env.timing`) turns that into slack and f_max.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from netlists.errors import InvalidNetlistError


def _frozen(values: object, dtype: type, name: str) -> np.ndarray:
    array = np.ascontiguousarray(values, dtype=dtype)
    if array.ndim != 1:
        raise InvalidNetlistError(f"timing {name} must be one-dimensional, got {array.shape}")
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class TimingGraph:
    """Block-level timing arcs of a netlist.

    Attributes:
        clock_period_ns: Target clock period (ns).
        clock_to_q_ns: Launch delay of a register (ns).
        setup_ns: Setup time of a capturing register (ns).
        sequential: (n_nodes,) bool, True for blocks whose pins are registered.
        arc_names: (n_arcs,) names, for reports.
        arc_from_pin: (n_arcs,) int32 driver pin of each arc (index into the netlist's pins).
        arc_to_pin: (n_arcs,) int32 sink pin of each arc (same net as the driver).
        arc_before_ns: (n_arcs,) float64 logic delay in the source block after launch (ns).
        arc_after_ns: (n_arcs,) float64 logic delay in the sink block before capture (ns).
        arc_stages: (n_arcs,) int32 pipeline registers inserted along the wire (0 = none); they
            split the wire into ``stages + 1`` equal segments.
    """

    clock_period_ns: float
    clock_to_q_ns: float
    setup_ns: float
    sequential: np.ndarray
    arc_names: tuple[str, ...]
    arc_from_pin: np.ndarray
    arc_to_pin: np.ndarray
    arc_before_ns: np.ndarray
    arc_after_ns: np.ndarray
    arc_stages: np.ndarray

    def __post_init__(self) -> None:
        put = object.__setattr__
        put(self, "arc_names", tuple(self.arc_names))
        put(self, "sequential", _frozen(self.sequential, np.bool_, "sequential"))
        put(self, "arc_from_pin", _frozen(self.arc_from_pin, np.int32, "arc_from_pin"))
        put(self, "arc_to_pin", _frozen(self.arc_to_pin, np.int32, "arc_to_pin"))
        put(self, "arc_before_ns", _frozen(self.arc_before_ns, np.float64, "arc_before_ns"))
        put(self, "arc_after_ns", _frozen(self.arc_after_ns, np.float64, "arc_after_ns"))
        put(self, "arc_stages", _frozen(self.arc_stages, np.int32, "arc_stages"))
        n = len(self.arc_names)
        for name in ("arc_from_pin", "arc_to_pin", "arc_before_ns", "arc_after_ns", "arc_stages"):
            if len(getattr(self, name)) != n:
                raise InvalidNetlistError(
                    f"timing {name} has {len(getattr(self, name))} "
                    f"entries, expected {n} (one per arc)"
                )
        scalars = (self.clock_period_ns, self.clock_to_q_ns, self.setup_ns)
        if not all(np.isfinite(scalars)) or self.clock_period_ns <= 0 or min(scalars) < 0:
            raise InvalidNetlistError(
                "timing needs a positive clock period and non-negative clock-to-q and setup"
            )
        delays = np.concatenate([self.arc_before_ns, self.arc_after_ns])
        if not np.isfinite(delays).all() or (delays < 0).any():
            raise InvalidNetlistError("arc logic delays must be finite and non-negative")
        if n and self.arc_stages.min() < 0:
            raise InvalidNetlistError("arc pipeline stages must be non-negative")

    @property
    def num_arcs(self) -> int:
        """Number of arcs."""
        return len(self.arc_names)

    def check_against(
        self, num_nodes: int, pin_nodes: np.ndarray, pin_nets: list[set[int]]
    ) -> None:
        """Raises :class:`InvalidNetlistError` unless the arcs fit a netlist's nodes and pins.

        Args:
            num_nodes: Number of nodes of the netlist.
            pin_nodes: (n_pins,) owner of each pin.
            pin_nets: For each pin, the nets it belongs to.
        """
        if len(self.sequential) != num_nodes:
            raise InvalidNetlistError(
                f"timing.sequential has {len(self.sequential)} entries, "
                f"netlist has {num_nodes} nodes"
            )
        n_pins = len(pin_nodes)
        for k in range(self.num_arcs):
            a, b = int(self.arc_from_pin[k]), int(self.arc_to_pin[k])
            if not (0 <= a < n_pins and 0 <= b < n_pins):
                raise InvalidNetlistError(
                    f"arc {self.arc_names[k]!r} names a pin that does not exist"
                )
            if not pin_nets[a] & pin_nets[b]:
                raise InvalidNetlistError(
                    f"arc {self.arc_names[k]!r}: its pins share no net, so no wire joins them"
                )

    def same_as(self, other: TimingGraph | None) -> bool:
        """True when ``other`` holds the same arcs and settings."""
        if other is None:
            return False
        arrays = (
            "sequential",
            "arc_from_pin",
            "arc_to_pin",
            "arc_before_ns",
            "arc_after_ns",
            "arc_stages",
        )
        return (self.clock_period_ns, self.clock_to_q_ns, self.setup_ns, self.arc_names) == (
            other.clock_period_ns,
            other.clock_to_q_ns,
            other.setup_ns,
            other.arc_names,
        ) and all(np.array_equal(getattr(self, a), getattr(other, a)) for a in arrays)
