"""The costs an episode of :class:`~placement_env.env.MacroPlacementEnv` is scored by, as objects.

A reward object holds its options and computes the final cost of a sub-netlist placement of a
:class:`~placement_env.problem.MacroProblem`; the env turns that into rewards (see its
docstring). Three are provided:

* :class:`HpwlReward` -- the net-weighted HPWL of the macros and their context over
  :func:`hpwl_scale`; always dense (each step pays minus its HPWL increase).
* :class:`ProxyReward` -- Circuit Training's proxy cost of the final placement.
* :class:`ChipReward` -- :func:`chip_cost`: wirelength, timing and macro area of the final
  placement.

:func:`chip_cost` is usable on any placement, without an env (a floor-planner, say).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from netlists import Design, Netlist, NodeKind, Placement
from netlists.wires import NANGATE45, WireModel
from placement_env.problem import SOFT_MACRO_MODES, MacroProblem
from placement_env.wirelength import hpwl

SCHEDULES = ("dense", "sparse")
#: The one default schedule, in the env and in the agents' env options: dense shaping gives the
#: policy a signal every step and keeps the return equal to minus the final cost.
DEFAULT_SCHEDULE = "dense"

#: Default weights of the ``"chip"`` cost: normalised HPWL, -WNS / clock period, and the
#: bounding-box area of the hard macros / die area.
CHIP_WEIGHTS = {"w_wl": 1.0, "w_wns": 1.0, "w_area": 0.5}


def hpwl_scale(netlist: Netlist) -> float:
    """``(canvas width + canvas height) x (sum of net weights, at least 1)`` (microns): divides
    an HPWL so that a placement's cost lies in about [0, 1]."""
    canvas = netlist.canvas
    return float(canvas.width + canvas.height) * max(float(netlist.net_weights.sum()), 1.0)


def chip_cost(
    netlist: Netlist,
    placement: Placement,
    wire_model: WireModel | None = None,
    w_wl: float = CHIP_WEIGHTS["w_wl"],
    w_wns: float = CHIP_WEIGHTS["w_wns"],
    w_area: float = CHIP_WEIGHTS["w_area"],
) -> dict[str, float]:
    """The ``"chip"`` cost of a full-netlist placement and its parts.

    ``chip = w_wl x HPWL / hpwl_scale + w_wns x (-WNS / clock period) + w_area x (bounding-box
    area of the placed hard macros / die area)``, the WNS (ns, <= 0) from
    :func:`~placement_env.timing.analyse_timing`.

    Args:
        netlist: A netlist with timing arcs (``netlist.timing``).
        placement: Its placement.
        wire_model: The :class:`~netlists.wires.WireModel`; default
            :data:`netlists.wires.NANGATE45`.
        w_wl: Weight of the normalised HPWL (dimensionless, >= 0).
        w_wns: Weight of -WNS / clock period (dimensionless, >= 0).
        w_area: Weight of the macro bounding-box area fraction (dimensionless, >= 0).

    Returns:
        ``chip`` (the weighted sum), ``chip_wirelength``, ``chip_wns`` (-WNS / period),
        ``chip_wns_ns``, ``chip_area`` (fraction of the die) and ``chip_fmax_mhz``.

    Raises:
        ValueError: the netlist has no timing arcs.
    """
    from placement_env.timing import analyse_timing

    if netlist.timing is None:
        raise ValueError(f"chip_cost needs timing arcs, which netlist {netlist.name!r} lacks")
    model = NANGATE45 if wire_model is None else wire_model
    report = analyse_timing(netlist, placement, model)
    wl = hpwl(netlist, placement) / hpwl_scale(netlist)
    wns = -report.wns_ns / report.period_ns
    hard = np.flatnonzero(placement.placed & (netlist.node_kinds == int(NodeKind.HARD_MACRO)))
    area = 0.0
    if len(hard):
        half = placement.footprints(netlist, hard) / 2
        low = (placement.positions[hard] - half).min(axis=0)
        high = (placement.positions[hard] + half).max(axis=0)
        area = float(np.prod(high - low)) / float(netlist.canvas.area)
    return {
        "chip": w_wl * wl + w_wns * wns + w_area * area,
        "chip_wirelength": wl,
        "chip_wns_ns": report.wns_ns,
        "chip_wns": wns,
        "chip_area": area,
        "chip_fmax_mhz": report.fmax_mhz,
    }


def _check_schedule(schedule: str) -> None:
    if schedule not in SCHEDULES:
        raise ValueError(f"unknown reward_schedule {schedule!r}; choose one of {SCHEDULES}")


def _check_soft_macros(mode: str) -> None:
    if mode not in SOFT_MACRO_MODES:
        raise ValueError(f"unknown soft_macros {mode!r}; choose one of {SOFT_MACRO_MODES}")


@dataclass(frozen=True)
class HpwlReward:
    """Net-weighted HPWL of the env's placement (macros and context only) over
    :func:`hpwl_scale`. Dense by definition: each step pays minus its exact HPWL increase, so it
    has no ``schedule`` option. Scores no soft macro or standard cell, hence works with
    ``ports=False`` (nets then count only macro and fixed-block pins)."""

    name: ClassVar[str] = "hpwl"
    schedule: ClassVar[str] = "dense"
    needs_final: ClassVar[bool] = False
    allows_no_ports: ClassVar[bool] = True

    def check(self, design: Design) -> None:
        """Every design works."""

    def score(
        self, problem: MacroProblem, sub: Placement, final: Placement | None = None
    ) -> tuple[float, dict[str, float]]:
        """(cost, extra info) of a sub-netlist placement."""
        return hpwl(problem.sub, sub) / hpwl_scale(problem.netlist), {}


@dataclass(frozen=True)
class ProxyReward:
    """Circuit Training's proxy cost (:func:`~placement_env.proxy_cost.proxy_cost`) of the final
    placement, with the design's ``.plc`` settings.

    Attributes:
        schedule: ``"dense"`` (HPWL-potential shaping) or ``"sparse"`` (all at the last step).
        soft_macros: ``"force_directed"`` or ``"as_shipped"`` (see
            :meth:`~placement_env.problem.MacroProblem.final_placement`).
    """

    schedule: str = DEFAULT_SCHEDULE
    soft_macros: str = "force_directed"

    name: ClassVar[str] = "proxy"
    needs_final: ClassVar[bool] = True
    allows_no_ports: ClassVar[bool] = False

    def __post_init__(self) -> None:
        _check_schedule(self.schedule)
        _check_soft_macros(self.soft_macros)

    def check(self, design: Design) -> None:
        """Raises ValueError when the design has no ``.plc`` settings."""
        if design.plc is None:
            raise ValueError(
                f"reward='proxy' needs Circuit Training .plc settings, which design "
                f"{design.netlist.name!r} lacks; use reward='hpwl' or a design with a .plc file"
            )

    def score(
        self, problem: MacroProblem, sub: Placement, final: Placement | None = None
    ) -> tuple[float, dict[str, float]]:
        """(cost, extra info); ``final`` is the full placement to score (default
        ``problem.final_placement(sub, soft_macros)``)."""
        from placement_env.proxy_cost import proxy_cost

        if final is None:
            final = problem.final_placement(sub, self.soft_macros)
        parts = proxy_cost(problem.netlist, final, problem.design.plc)
        return parts.proxy, {
            "proxy": parts.proxy,
            "proxy_wirelength": parts.wirelength,
            "proxy_density": parts.density,
            "proxy_congestion": parts.congestion,
        }


@dataclass(frozen=True)
class ChipReward:
    """:func:`chip_cost` of the final placement (designs with timing arcs).

    Attributes:
        schedule: ``"dense"`` (HPWL-potential shaping) or ``"sparse"`` (all at the last step).
        soft_macros: ``"force_directed"`` or ``"as_shipped"``.
        w_wl: Weight of the normalised HPWL (>= 0).
        w_wns: Weight of -WNS / clock period (>= 0).
        w_area: Weight of the macro bounding-box area / die area (>= 0).
        wire_model: The :class:`~netlists.wires.WireModel`; ``None`` for
            :data:`netlists.wires.NANGATE45`.
    """

    schedule: str = DEFAULT_SCHEDULE
    soft_macros: str = "force_directed"
    w_wl: float = CHIP_WEIGHTS["w_wl"]
    w_wns: float = CHIP_WEIGHTS["w_wns"]
    w_area: float = CHIP_WEIGHTS["w_area"]
    wire_model: WireModel | None = None

    name: ClassVar[str] = "chip"
    needs_final: ClassVar[bool] = True
    allows_no_ports: ClassVar[bool] = False

    def __post_init__(self) -> None:
        _check_schedule(self.schedule)
        _check_soft_macros(self.soft_macros)
        for name in ("w_wl", "w_wns", "w_area"):
            value = getattr(self, name)
            if not np.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a finite weight >= 0, got {value!r}")

    def check(self, design: Design) -> None:
        """Raises ValueError when the design has no timing arcs."""
        if design.netlist.timing is None:
            raise ValueError(
                f"reward='chip' needs timing arcs, which design {design.netlist.name!r} lacks "
                "(netlist.timing is None); use reward='hpwl' or 'proxy', or a design with "
                "timing arcs such as accel.build_chip(accel.TPU_V1)"
            )

    def score(
        self, problem: MacroProblem, sub: Placement, final: Placement | None = None
    ) -> tuple[float, dict[str, float]]:
        """(cost, the :func:`chip_cost` parts); ``final`` as in :meth:`ProxyReward.score`."""
        if final is None:
            final = problem.final_placement(sub, self.soft_macros)
        parts = chip_cost(
            problem.netlist, final, self.wire_model, self.w_wl, self.w_wns, self.w_area
        )
        return parts["chip"], parts


Reward = HpwlReward | ProxyReward | ChipReward
REWARDS: dict[str, type] = {cls.name: cls for cls in (HpwlReward, ProxyReward, ChipReward)}


def make_reward(
    reward: str | Reward, schedule: str | None = None, wire_model: WireModel | None = None
) -> Reward:
    """A reward object from a name (``"hpwl"``, ``"proxy"``, ``"chip"``) or an object.

    Args:
        reward: A name, which builds the default object, or a reward object (returned as is,
            with its wire model filled in for ``ChipReward``).
        schedule: ``"dense"`` or ``"sparse"`` for a name; ``None`` for :data:`DEFAULT_SCHEDULE`.
            ``"hpwl"`` is always dense: ``"sparse"`` with it is an error.
        wire_model: The wire model a ``ChipReward`` without one uses.

    Raises:
        ValueError: an unknown name or schedule, ``"sparse"`` with ``"hpwl"``, or a schedule
            given together with a reward object (set it on the object instead).
    """
    if not isinstance(reward, str):
        if not isinstance(reward, HpwlReward | ProxyReward | ChipReward):
            raise ValueError(
                f"reward must be one of {tuple(REWARDS)} or a reward object, got {reward!r}"
            )
        if schedule is not None and schedule != reward.schedule:
            raise ValueError(
                f"reward_schedule={schedule!r} given with a {type(reward).__name__} whose "
                f"schedule is {reward.schedule!r}; set the schedule on the reward object"
            )
    elif reward not in REWARDS:
        raise ValueError(f"unknown reward {reward!r}; choose one of {tuple(REWARDS)}")
    elif reward == "hpwl":
        if schedule is not None:
            _check_schedule(schedule)
        if schedule == "sparse":
            raise ValueError(
                "reward='hpwl' is always dense (each step pays its exact HPWL increase); "
                "reward_schedule='sparse' needs reward='proxy' or 'chip'"
            )
        reward = HpwlReward()
    else:
        reward = REWARDS[reward](schedule=DEFAULT_SCHEDULE if schedule is None else schedule)
    if isinstance(reward, ChipReward) and reward.wire_model is None and wire_model is not None:
        reward = dataclasses.replace(reward, wire_model=wire_model)
    return reward
