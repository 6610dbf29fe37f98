"""The macro-placement problem of a design, set up once and shared by the env and the placers.

:class:`MacroProblem` holds what every sequential or iterative macro placer needs: the movable
hard macros in placement order, the *context* (the nodes that keep the design's positions and
count in the HPWL), the sub-netlist of macros plus context that the fast kernels run on, the index
maps between it and the full netlist, and the starting placement. It also turns a sub-netlist
placement back into full-netlist placements (:meth:`MacroProblem.to_full`,
:meth:`MacroProblem.placement_of`, :meth:`MacroProblem.final_placement`), so that "the
placement a run produced" is defined once.

Contexts:

* ``"placed"`` (the placers' default): everything the design ships placed -- ports, fixed blocks,
  soft macros and standard cells -- so that the HPWL a placer minimises is the HPWL reported for
  its result;
* ``"macros"`` (the Gymnasium env): only ports and fixed nodes, so that nets count only their
  macro, fixed-block and port pins. ``ports=False`` drops the ports as well.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from netlists import Design, Netlist, NodeKind, Placement
from placement_env.grid import Grid
from placement_env.incremental import position_mask
from placement_env.legality import check_legality

CONTEXTS = ("placed", "macros")
ORDERS = ("largest_first", "index")
SOFT_MACRO_MODES = ("force_directed", "as_shipped")


class ProblemError(ValueError):
    """A design, or the options of its macro problem, cannot be placed (no movable macro,
    overlapping fixed blocks, an unknown order or context, no room on a grid)."""


def macro_order(netlist: Netlist, order: str | Sequence[int] = "largest_first") -> np.ndarray:
    """(m,) full-netlist indices of the movable hard macros in placement order.

    Args:
        netlist: The design's netlist.
        order: ``"largest_first"`` (area, ties by node index), ``"index"``, or an explicit
            sequence listing every movable hard-macro node index once.

    Raises:
        ProblemError: no movable hard macro, an unknown order name, or a bad explicit order.
    """
    movable = np.flatnonzero((netlist.node_kinds == int(NodeKind.HARD_MACRO)) & ~netlist.node_fixed)
    if not len(movable):
        raise ProblemError(f"design {netlist.name!r} has no movable hard macro to place")
    if isinstance(order, str):
        if order == "largest_first":
            area = netlist.node_sizes[movable].prod(axis=1)
            return movable[np.argsort(-area, kind="stable")]
        if order == "index":
            return movable
        raise ProblemError(f"unknown order {order!r}; choose one of {ORDERS} or a sequence")
    given = np.asarray(order, dtype=np.int64)
    if given.ndim != 1 or sorted(given.tolist()) != movable.tolist():
        raise ProblemError(
            "an explicit order must list every movable hard-macro node index exactly once "
            f"({len(movable)} nodes)"
        )
    return given


class MacroProblem:
    """The movable hard macros of a design and the sub-netlist their HPWL is computed on.

    Args:
        design: The design.
        context: ``"placed"`` or ``"macros"`` (see the module docstring).
        order: Placement order of the macros (see :func:`macro_order`).
        ports: ``False`` leaves the ports out of the context.

    Attributes:
        design: The design.
        macros: (m,) full-netlist indices of the movable hard macros, in placement order.
        context: (n_nodes,) bool, the full-netlist nodes that keep the design's positions.
        keep: Sorted full-netlist indices of the sub-netlist's nodes (context and macros).
        sub: The sub-netlist (nodes ``keep``); HPWL over it equals the full HPWL of the kept nodes.
        local: (m,) sub-netlist indices of ``macros``.
        start: Sub-netlist placement with the context placed and no movable macro placed.
        centre: (2,) the die centre (microns).

    Raises:
        ProblemError: an unknown context or order, no movable hard macro, or fixed hard macros
            that overlap or leave the die (then no placement can be legal).
    """

    def __init__(
        self,
        design: Design,
        context: str = "placed",
        order: str | Sequence[int] = "largest_first",
        ports: bool = True,
    ) -> None:
        if context not in CONTEXTS:
            raise ProblemError(f"unknown context {context!r}; choose one of {CONTEXTS}")
        nl = design.netlist
        self.design = design
        self.macros = macro_order(nl, order)
        kinds = nl.node_kinds
        shipped = design.placement
        is_port = kinds == int(NodeKind.PORT)
        if context == "placed":
            context_nodes = shipped.placed.copy()
        else:  # movable hard macros are all in `macros`, so fixed nodes and ports remain
            context_nodes = shipped.placed & (nl.node_fixed | is_port)
        if not ports:
            context_nodes &= ~is_port
        context_nodes[self.macros] = False
        fixed_hard = np.flatnonzero(context_nodes & (kinds == int(NodeKind.HARD_MACRO)))
        if len(fixed_hard):
            report = check_legality(nl, shipped, fixed_hard)
            if not report.is_legal:
                raise ProblemError(
                    f"design {nl.name!r}: its fixed hard macros are not legal "
                    f"({report.n_overlapping_pairs} overlapping pairs, "
                    f"{report.n_out_of_die} off the die); no placement can be legal"
                )
        context_nodes.setflags(write=False)
        self.context = context_nodes
        self.keep = np.union1d(np.flatnonzero(context_nodes), self.macros)
        self.sub: Netlist = nl.restricted_to(self.keep)
        self.local = np.searchsorted(self.keep, self.macros)
        self.start = Placement(
            shipped.positions[self.keep], shipped.orientations[self.keep], context_nodes[self.keep]
        )
        self.centre = np.array(nl.canvas.centre, dtype=np.float64)

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
                raise ProblemError(
                    f"design {self.netlist.name!r}: some macro fits no cell of a "
                    f"{n} x {n} grid on the empty canvas"
                )
            n *= 2

    # -- sub-netlist <-> full-netlist placements ------------------------------------------------

    def to_sub(self, full: Placement) -> Placement:
        """The sub-netlist placement of a full one: the context as at the start, the macros (and
        their placed flags) as in ``full``."""
        full.check_matches(self.netlist)
        placed = self.start.placed.copy()
        placed[self.local] = full.placed[self.macros]
        return Placement(full.positions[self.keep], full.orientations[self.keep], placed)

    def to_full(self, sub_placement: Placement) -> Placement:
        """The full-netlist placement: the shipped one with the macros as in ``sub_placement``
        (a macro the sub placement leaves unplaced is marked unplaced)."""
        shipped = self.design.placement
        positions = shipped.positions.copy()
        orientations = shipped.orientations.copy()
        placed = shipped.placed.copy()
        positions[self.macros] = sub_placement.positions[self.local]
        orientations[self.macros] = sub_placement.orientations[self.local]
        placed[self.macros] = sub_placement.placed[self.local]
        return Placement(positions, orientations, placed)

    def placement_of(self, sub_placement: Placement) -> Placement:
        """The full-netlist placement of the sub-netlist's nodes only: the context and the placed
        macros; every other node at the design's position but unplaced."""
        shipped = self.design.placement
        positions = shipped.positions.copy()
        orientations = shipped.orientations.copy()
        placed = np.zeros(self.netlist.num_nodes, dtype=np.bool_)
        positions[self.keep] = sub_placement.positions
        orientations[self.keep] = sub_placement.orientations
        placed[self.keep] = sub_placement.placed
        return Placement(positions, orientations, placed)

    def final_placement(
        self, sub_placement: Placement, soft_macros: str = "force_directed"
    ) -> Placement:
        """The design's placement with the hard macros placed in ``sub_placement`` moved there.

        This is what the ``"proxy"`` and ``"chip"`` costs score. Standard cells and macros the
        sub placement leaves unplaced (an early end) keep the design's positions. Movable soft
        macros keep them too with ``soft_macros="as_shipped"``; with ``"force_directed"`` they
        start piled at the die centre and are placed around the hard macros by
        :func:`~placement_env.soft_macros.place_soft_macros` (seed 0, so that the result depends
        on the hard macros only).

        Raises:
            ProblemError: an unknown ``soft_macros`` mode.
        """
        if soft_macros not in SOFT_MACRO_MODES:
            raise ProblemError(
                f"unknown soft_macros {soft_macros!r}; choose one of {SOFT_MACRO_MODES}"
            )
        done = sub_placement.placed[self.local]
        result = self.design.placement
        if done.any():
            result = result.with_positions(
                self.macros[done], sub_placement.positions[self.local[done]]
            )
        nl = self.netlist
        soft = np.flatnonzero((nl.node_kinds == int(NodeKind.SOFT_MACRO)) & ~nl.node_fixed)
        if soft_macros == "force_directed" and len(soft):
            from placement_env.soft_macros import place_soft_macros

            start = result.with_positions(soft, np.tile(self.centre, (len(soft), 1)))
            result = place_soft_macros(nl, start, rng=0)
        return result
