"""Computing a Circuit Training grouping of a flat netlist with the Mt-KaHyPar partitioner.

Circuit Training (CT) clusters the standard cells of a flat netlist before placement
(``circuit_training/grouping/grouper.py`` and ``grouping.py``, Apache-2.0). This module follows its
steps, with Mt-KaHyPar in place of hMETIS:

1. **Wide nets are cut.** A port, cell or macro pin driving more than
   :attr:`~netlists.grouping.GroupingSettings.max_fanout` sinks drives nothing (clock nets).
2. **Fixed groups.** The pins of each hard macro form one group (macros in node order; a macro
   without pins takes no id). Ports, by position, are sorted onto the canvas side their triangle
   of the two diagonals lies in (top, right, bottom, left, in that order; ties on a diagonal go as
   in CT), and along each side a new group starts whenever a port lies more than one grid cell
   (column width on top and bottom, row height on left and right) beyond the first port of the
   current group. Then, :attr:`PartitionSettings.fixed_logic_levels` times, every standard cell
   that a grouped node drives or is driven by joins that node's group (nodes visited in
   ascending index, each one's sinks before its drivers; the first to reach a cell wins).
3. **Partition.** Every node is a vertex of weight 1 (hard macros too, with no hyperedges, as in
   CT's hMETIS input) and every remaining net a hyperedge ``{driver} + sinks`` of weight 1. The
   hypergraph is cut into ``F + num_groups`` blocks, ``F`` being the number of fixed groups, with
   the fixed groups' nodes fixed to blocks ``0..F-1``, minimising the connectivity metric km1
   (blocks a net touches, minus one; hMETIS's bisections minimise the cut, which km1 equals for
   two blocks). A free node in block ``b`` gets group ``F + b``, as CT numbers hMETIS's output,
   so free cells that land in a fixed group's block form their own group.
4. **Clean-up** (:mod:`netlists.regroup`): groups spanning more than ``sqrt(canvas area) / 4``
   in x or y are broken up; groups of at most ``nodes // groups // 4`` nodes (counted after the
   partition) merge into a connected group whose centroid is within half that span.

Why Mt-KaHyPar. CT calls hMETIS, a closed-source binary for non-commercial use that a package
cannot ship. KaHyPar cuts as well as any open partitioner but is GPLv3, which a BSD-licensed
toolkit cannot link. Mt-KaHyPar (from the KaHyPar group at KIT) is MIT-licensed, actively
maintained, installs as a manylinux wheel (``pip install mtkahypar``; its Python API has been
stable since 1.5), supports fixed vertices (step 3 needs them), and its authors report cuts on
par with KaHyPar for its quality presets. Its ``DETERMINISTIC`` preset makes the result a
function of the seed (keep :attr:`PartitionSettings.num_threads` fixed too), which reproducible
benchmarks need.

hMETIS's imbalance and Mt-KaHyPar's. CT runs ``hmetis`` (recursive bisection) with UBfactor
``b = 5``: every bisection may put between ``(50 - b)%`` and ``(50 + b)%`` of the weight on a side,
so a side may weigh ``(1 + b/50)`` times its target. After ``L = ceil(log2 k)`` levels of bisection
a final block may weigh up to ``(1 + b/50) ** L`` times the average ``W / k``. Mt-KaHyPar bounds
every block by ``(1 + epsilon) * ceil(W / k)``, so the matching bound is

    ``epsilon = (1 + b / 50) ** ceil(log2 k) - 1``

(:func:`epsilon_for_ub_factor`): 1.594 for ``b = 5`` and ``k`` from 513 to 1024, i.e. a block may
hold 2.6 times the average.

Two ways to partition (:attr:`PartitionSettings.method`). ``"recursive_bisection"`` (the
default, :func:`bisect_recursively`) repeats hMETIS's scheme, each bisection bounded by the
UBfactor itself; no block stays empty and the group counts come within 8% of TILOS's, so it is
the faithful choice. ``"kway"`` asks Mt-KaHyPar for one direct k-way partition under the epsilon
above. It uses the slack hMETIS only reaches when every level leans the same way: it cuts
1.7-1.9 times fewer nets but leaves many blocks empty, so 28-47% fewer soft macros come out.

Measured with :func:`compute_groups` (seed 0, one
thread; soft macros are the groups holding standard cells after break-up and merge; the IBM
designs at TILOS's scale 0.01 on TILOS's grids):

=========  ======  =================  =================  ===========
design     blocks  kway: km1 / soft   bisection: km1 /   TILOS soft
                                      soft               (hMETIS)
=========  ======  =================  =================  ===========
ibm01      870     8,778 / 609        15,184 / 962       894
ibm02      859     18,147 / 568       29,680 / 1,050     1,075
ibm03      886     14,576 / 714       24,457 / 1,110     1,148
ibm04      891     15,803 / 682       26,847 / 1,081     1,085
ariane133  647     31,652 / 561       61,357 / 832       782
=========  ======  =================  =================  ===========

hMETIS options without a counterpart: ``Nruns 10`` (best of 10 runs) is
:attr:`PartitionSettings.num_runs` (best km1 over seeds ``seed .. seed + num_runs - 1``);
CType, RType, Vcycle and Reconst choose hMETIS's own coarsening and refinement and have no
Mt-KaHyPar equivalent (its preset chooses those).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np

from netlists.grouping import FlatNetlist, GroupingSettings
from netlists.regroup import breakup_groups, merge_small_groups

_log = logging.getLogger(__name__)

__all__ = [
    "FlatArrays",
    "Partition",
    "PartitionSettings",
    "bisect_recursively",
    "compute_groups",
    "epsilon_for_ub_factor",
    "fixed_groups",
    "hyperedges",
    "km1_of",
    "partition_hypergraph",
]

_PRESETS = ("deterministic", "default", "quality")
_METHODS = ("kway", "recursive_bisection")


@dataclass(frozen=True)
class PartitionSettings:
    """How :func:`compute_groups` groups standard cells (CT's defaults and TILOS's hMETIS run).

    Attributes:
        num_groups: Blocks for the free nodes, on top of the fixed groups (CT's ``num_groups``).
        ub_factor: hMETIS UBfactor (percent per bisection); becomes Mt-KaHyPar's epsilon through
            :func:`epsilon_for_ub_factor`.
        num_runs: Partitions computed (seeds ``seed`` upwards); the lowest km1 wins (hMETIS's
            ``Nruns``, 10 in CT's run; 1 here by default, as each run of ariane133 takes about
            40 s on one thread).
        fixed_logic_levels: Logic levels by which fixed groups take in standard cells (CT's
            ``fixed_logic_levels``).
        breakup: Break up spread-out groups and merge small ones afterwards (CT's ``breakup``).
        breakup_fraction: A group may span at most this fraction of the canvas's side (the side of
            a square of the canvas area) in x and in y (CT: 1/4).
        merge_fraction: Groups with at most this fraction of the mean nodes per group are merged
            (CT: 1/4; the mean is taken after the partition, over all nodes).
        merge_distance_fraction: Merged groups' centroids lie within this fraction of the
            break-up span (Manhattan; CT: 1/2).
        method: ``"kway"`` (one direct k-way partition, epsilon from
            :func:`epsilon_for_ub_factor`) or ``"recursive_bisection"`` (hMETIS's scheme, each
            bisection bounded by the UBfactor itself; :func:`bisect_recursively`).
        preset: Mt-KaHyPar preset: ``"deterministic"`` (reproducible), ``"default"`` or
            ``"quality"`` (faster or better, not reproducible across runs).
        num_threads: Mt-KaHyPar threads. The deterministic preset's result depends on the seed
            and on this number, so keep it fixed to reproduce a grouping.
    """

    num_groups: int = 500
    ub_factor: float = 5.0
    num_runs: int = 1
    fixed_logic_levels: int = 1
    breakup: bool = True
    breakup_fraction: float = 0.25
    merge_fraction: float = 0.25
    merge_distance_fraction: float = 0.5
    method: str = "recursive_bisection"
    preset: str = "deterministic"
    num_threads: int = 1

    def __post_init__(self) -> None:
        if self.num_groups < 1:
            raise ValueError(f"num_groups must be at least 1, got {self.num_groups}")
        if not 0 < self.ub_factor < 50:
            raise ValueError(f"ub_factor must lie in (0, 50) percent, got {self.ub_factor}")
        if self.num_runs < 1 or self.num_threads < 1:
            raise ValueError(
                f"num_runs and num_threads must be at least 1, got {self.num_runs} and "
                f"{self.num_threads}"
            )
        if self.fixed_logic_levels < 0:
            raise ValueError(
                f"fixed_logic_levels must be non-negative, got {self.fixed_logic_levels}"
            )
        for name in ("breakup_fraction", "merge_fraction", "merge_distance_fraction"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        if self.method not in _METHODS:
            raise ValueError(f"method must be one of {', '.join(_METHODS)}, got {self.method!r}")
        if self.preset not in _PRESETS:
            raise ValueError(f"preset must be one of {', '.join(_PRESETS)}, got {self.preset!r}")

    def breakup_threshold(self, layout: GroupingSettings) -> float:
        """Largest span of a group in x and y (microns): ``breakup_fraction * sqrt(W * H)``."""
        return self.breakup_fraction * math.sqrt(layout.canvas_width * layout.canvas_height)

    def merge_distance(self, layout: GroupingSettings) -> float:
        """Largest Manhattan distance between merged groups' centroids (microns)."""
        return self.merge_distance_fraction * self.breakup_threshold(layout)

    def merge_threshold(self, num_nodes: int, num_groups: int) -> int:
        """Groups with at most this many nodes are merged: ``nodes // groups * fraction``
        (CT: ``nodes // groups // 4``)."""
        if num_groups < 1:
            return 0
        return int(num_nodes // num_groups * self.merge_fraction)


@dataclass(frozen=True)
class FlatArrays:
    """A flat netlist as arrays for partitioning (nodes in file order).

    Attributes:
        is_cell: ``(n,)`` bool, True for standard cells.
        is_macro: ``(n,)`` bool, True for hard macros.
        is_port: ``(n,)`` bool, True for ports.
        xy: ``(n, 2)`` float64 centres (microns), NaN where the netlist gives none.
        areas: ``(n,)`` float64 width x height (square microns), 0 without a size.
        fanout_starts: ``(n + 1,)`` int64 CSR offsets into ``fanout_nodes``.
        fanout_nodes: int64 sinks of each node's net after the wide-net cut; a hard macro's
            "fan-outs" are its pins that drive a net (as CT links them).
        fanin_starts: ``(n + 1,)`` int64 CSR offsets into ``fanin_nodes``.
        fanin_nodes: int64 drivers of the nets each node is a sink of (after the cut).
        net_drivers: int64 node driving each kept net (the hyperedges), ascending.
    """

    is_cell: np.ndarray
    is_macro: np.ndarray
    is_port: np.ndarray
    xy: np.ndarray
    areas: np.ndarray
    fanout_starts: np.ndarray
    fanout_nodes: np.ndarray
    fanin_starts: np.ndarray
    fanin_nodes: np.ndarray
    net_drivers: np.ndarray

    @classmethod
    def of(cls, flat: FlatNetlist, max_fanout: int) -> FlatArrays:
        """Digests ``flat``, cutting nets with more than ``max_fanout`` sinks."""
        n = flat.num_nodes
        types = np.array(flat.types, dtype=object)
        xy = np.array([p if p is not None else (np.nan, np.nan) for p in flat.xy], dtype=float)
        areas = np.array([s[0] * s[1] if s is not None else 0.0 for s in flat.sizes])
        kept = [
            sinks if len(sinks) <= max_fanout and types[node] != "MACRO" else ()
            for node, sinks in enumerate(flat.sinks)
        ]
        kept = [tuple(s for s in sinks if s != node) for node, sinks in enumerate(kept)]
        drives = np.array([len(s) > 0 for s in kept])
        # A hard macro links to its pins that drive something (before the cut), as in CT.
        macro_pins: list[list[int]] = [[] for _ in range(n)]
        for pin, owner in enumerate(flat.owners):
            if owner >= 0 and flat.sinks[pin]:
                macro_pins[owner].append(pin)
        fanouts = [macro_pins[v] if types[v] == "MACRO" else kept[v] for v in range(n)]
        fanout_starts = np.zeros(n + 1, dtype=np.int64)
        fanout_starts[1:] = np.cumsum([len(f) for f in fanouts])
        fanout_nodes = np.fromiter(
            (s for f in fanouts for s in f), dtype=np.int64, count=int(fanout_starts[-1])
        )
        sink_count = np.array([len(s) for s in kept], dtype=np.int64)
        drivers = np.repeat(np.arange(n, dtype=np.int64), sink_count)
        sinks = np.fromiter(
            (s for f in kept for s in f), dtype=np.int64, count=int(sink_count.sum())
        )
        order = np.argsort(sinks, kind="stable")
        fanin_starts = np.searchsorted(sinks[order], np.arange(n + 1)).astype(np.int64)
        return cls(
            is_cell=types == "STDCELL",
            is_macro=types == "MACRO",
            is_port=types == "PORT",
            xy=xy,
            areas=areas,
            fanout_starts=fanout_starts,
            fanout_nodes=fanout_nodes,
            fanin_starts=fanin_starts,
            fanin_nodes=drivers[order],
            net_drivers=np.flatnonzero(drives).astype(np.int64),
        )

    def fanouts(self, node: int) -> np.ndarray:
        """Sinks of ``node``'s net (a hard macro: its driving pins)."""
        return self.fanout_nodes[self.fanout_starts[node] : self.fanout_starts[node + 1]]

    def fanins(self, node: int) -> np.ndarray:
        """Drivers of the nets ``node`` is a sink of."""
        return self.fanin_nodes[self.fanin_starts[node] : self.fanin_starts[node + 1]]


def hyperedges(arrays: FlatArrays) -> list[list[int]]:
    """One hyperedge per kept net: its driver, then its sinks (node indices)."""
    return [[int(v), *arrays.fanouts(int(v)).tolist()] for v in arrays.net_drivers]


# -- fixed groups -------------------------------------------------------------------------------

_TOP, _RIGHT, _BOTTOM, _LEFT = range(4)


def _side(x: float, y: float, width: float, height: float) -> int:
    """The canvas side a point faces: the triangle between the two diagonals it lies in."""
    rising = x * height / width
    if y > rising:
        return _TOP if y > height - rising else _LEFT
    return _RIGHT if y > height - rising else _BOTTOM


def fixed_groups(
    flat: FlatNetlist, arrays: FlatArrays, layout: GroupingSettings, logic_levels: int = 1
) -> np.ndarray:
    """CT's fixed groups: each hard macro's pins, ports by side and proximity, and the standard
    cells within ``logic_levels`` of them (see the module docstring, step 2).

    Returns:
        ``(n,)`` int64 group ids ``0..F-1``, -1 for free nodes.
    """
    n = flat.num_nodes
    groups = np.full(n, -1, dtype=np.int64)
    pins_of: dict[int, list[int]] = {}
    for pin, owner in enumerate(flat.owners):
        if owner >= 0:
            pins_of.setdefault(owner, []).append(pin)
    group = 0
    for macro in np.flatnonzero(arrays.is_macro).tolist():
        if macro in pins_of:
            groups[pins_of[macro]] = group
            group += 1
    width, height = layout.canvas_width, layout.canvas_height
    sides: list[list[tuple[float, int]]] = [[] for _ in range(4)]
    for port in np.flatnonzero(arrays.is_port & ~np.isnan(arrays.xy[:, 0])).tolist():
        x, y = arrays.xy[port]
        side = _side(x, y, width, height)
        sides[side].append((y if side in (_LEFT, _RIGHT) else x, port))
    for side, ports in enumerate(sides):
        if not ports:
            continue
        step = height / layout.grid_rows if side in (_LEFT, _RIGHT) else width / layout.grid_cols
        ports.sort(key=lambda entry: entry[0])
        first = ports[0][0]
        for coord, port in ports:
            if coord - first > step:
                group += 1
                first = coord
            groups[port] = group
        group += 1
    for _ in range(logic_levels):
        _grow_by_one_level(groups, arrays)
    return groups


def _grow_by_one_level(groups: np.ndarray, arrays: FlatArrays) -> None:
    """Every standard cell a grouped node drives or is driven by joins its group (in place)."""
    for node in np.flatnonzero(groups >= 0).tolist():
        group = groups[node]
        for neighbours in (arrays.fanouts(node), arrays.fanins(node)):
            for other in neighbours[arrays.is_cell[neighbours]].tolist():
                if groups[other] < 0:
                    groups[other] = group


# -- partitioning -------------------------------------------------------------------------------


def epsilon_for_ub_factor(ub_factor: float, num_blocks: int) -> float:
    """Mt-KaHyPar's imbalance that matches hMETIS's recursive-bisection UBfactor.

    ``(1 + ub_factor / 50) ** ceil(log2 num_blocks) - 1``: each of the ``ceil(log2 k)`` bisections
    may give a side ``(50 + b)%`` instead of 50% of its parent's weight (module docstring).

    Raises:
        ValueError: ``ub_factor`` outside (0, 50) or fewer than 1 block.
    """
    if not 0 < ub_factor < 50:
        raise ValueError(f"ub_factor must lie in (0, 50) percent, got {ub_factor}")
    if num_blocks < 1:
        raise ValueError(f"num_blocks must be at least 1, got {num_blocks}")
    levels = math.ceil(math.log2(num_blocks)) if num_blocks > 1 else 0
    return (1.0 + ub_factor / 50.0) ** levels - 1.0


@dataclass(frozen=True)
class Partition:
    """A k-way partition of the nodes.

    Attributes:
        blocks: ``(n,)`` int64 block of each node, ``0..num_blocks-1``.
        num_blocks: k.
        epsilon: The imbalance allowed (dimensionless).
        max_block_weight: The most nodes a block may hold: ``(1 + epsilon) * ceil(n / k)``
            rounded down, as Mt-KaHyPar computes it (a block of fixed nodes may exceed it).
        km1: Connectivity metric: over hyperedges, blocks touched minus one.
    """

    blocks: np.ndarray
    num_blocks: int
    epsilon: float
    max_block_weight: int
    km1: int


def _checked_fixed(fixed: np.ndarray, num_nodes: int, num_blocks: int) -> np.ndarray:
    """``fixed`` as int64 after checking the block count and its shape and range.

    Raises:
        ValueError: Fewer than 2 blocks, or ``fixed`` is not one block < ``num_blocks`` (or -1)
            per node.
    """
    if num_blocks < 2:
        raise ValueError(f"num_blocks must be at least 2, got {num_blocks}")
    fixed = np.asarray(fixed, dtype=np.int64)
    if fixed.shape != (num_nodes,) or fixed.max(initial=-1) >= num_blocks:
        raise ValueError(f"fixed must hold one block < {num_blocks} (or -1) per node")
    return fixed


def partition_hypergraph(
    num_nodes: int,
    edges: list[list[int]],
    fixed: np.ndarray,
    num_blocks: int,
    epsilon: float,
    seed: int,
    *,
    preset: str = "deterministic",
    num_threads: int = 1,
    num_runs: int = 1,
) -> Partition:
    """Partitions a unit-weight hypergraph with Mt-KaHyPar, minimising km1.

    Args:
        num_nodes: Vertices.
        edges: Hyperedges (vertex lists, no repeats inside one).
        fixed: ``(num_nodes,)`` block of each fixed vertex, -1 for free ones.
        num_blocks: k (at least 2).
        epsilon: Allowed imbalance.
        seed: Seed of the first run; run ``r`` uses ``seed + r``.
        preset: ``"deterministic"``, ``"default"`` or ``"quality"``.
        num_threads: Mt-KaHyPar threads (fixed for reproducible results).
        num_runs: Runs; the lowest km1 wins (the first among equals).

    Raises:
        ImportError: ``mtkahypar`` is not installed.
        ValueError: Bad arguments, or Mt-KaHyPar refused the input.
    """
    fixed = _checked_fixed(fixed, num_nodes, num_blocks)
    mtkahypar = _mtkahypar()
    kind = _preset_type(mtkahypar, preset)
    initializer = mtkahypar.initialize(num_threads, False)
    context = initializer.context_from_preset(kind)
    context.set_partitioning_parameters(num_blocks, epsilon, mtkahypar.Objective.KM1)
    context.logging = False
    best: tuple[int, np.ndarray] | None = None
    try:
        for run in range(num_runs):
            graph = initializer.create_hypergraph(context, num_nodes, len(edges), edges)
            if (fixed >= 0).any():
                graph.add_fixed_vertices(fixed.tolist(), num_blocks)
            mtkahypar.set_seed(int(seed) + run)
            result = graph.partition(context)
            km1 = int(result.km1())
            if best is None or km1 < best[0]:
                best = (km1, np.asarray(result.get_partition(), dtype=np.int64))
            _log.info("Mt-KaHyPar run %d (seed %d): km1 %d", run, int(seed) + run, km1)
        max_weight = int(context.compute_max_block_weights(num_nodes)[0])
    except (mtkahypar.InvalidInputError, mtkahypar.InvalidParameterError) as error:
        raise ValueError(f"Mt-KaHyPar refused the hypergraph: {error}") from None
    assert best is not None
    return Partition(best[1], num_blocks, epsilon, max_weight, best[0])


def _mtkahypar():
    try:
        import mtkahypar
    except ImportError as error:  # pragma: no cover - a declared dependency
        raise ImportError(
            "computing a grouping needs Mt-KaHyPar: pip install 'mtkahypar>=1.5'"
        ) from error
    return mtkahypar


def _preset_type(mtkahypar, preset: str):
    kinds = {
        "deterministic": mtkahypar.PresetType.DETERMINISTIC,
        "default": mtkahypar.PresetType.DEFAULT,
        "quality": mtkahypar.PresetType.QUALITY,
    }
    if preset not in kinds:
        raise ValueError(f"preset must be one of {', '.join(kinds)}, got {preset!r}")
    return kinds[preset]


def km1_of(edges: list[list[int]], blocks: np.ndarray) -> int:
    """Connectivity metric of a partition: over hyperedges, distinct blocks touched minus one."""
    if not edges:
        return 0
    sizes = np.fromiter((len(e) for e in edges), dtype=np.int64, count=len(edges))
    pins = np.fromiter((v for e in edges for v in e), dtype=np.int64, count=int(sizes.sum()))
    edge = np.repeat(np.arange(len(edges)), sizes)
    pairs = np.unique(edge * (int(blocks.max()) + 1) + blocks[pins])
    return int(len(pairs) - len(edges))


def bisect_recursively(
    num_nodes: int,
    edges: list[list[int]],
    fixed: np.ndarray,
    num_blocks: int,
    ub_factor: float,
    seed: int,
    *,
    preset: str = "deterministic",
    num_threads: int = 1,
) -> Partition:
    """Partitions a unit-weight hypergraph by recursive bisection, as hMETIS's ``hmetis`` does,
    with Mt-KaHyPar cutting each piece in two.

    A piece meant for ``k`` blocks splits into sides for ``k // 2`` and ``k - k // 2`` blocks; a
    side may hold at most ``(1 + ub_factor / 50)`` times its share of the piece's nodes (hMETIS's
    ``(50 + b)%`` for an even split). A fixed node goes to the side that holds its block. Nets cut
    by a bisection are dropped from both sides (their cut is already paid), the others follow
    their pins. Every bisection uses ``seed``.

    Args:
        num_nodes: Vertices.
        edges: Hyperedges (vertex lists, no repeats inside one).
        fixed: ``(num_nodes,)`` block of each fixed vertex, -1 for free ones.
        num_blocks: k (at least 2).
        ub_factor: hMETIS UBfactor (percent).
        seed: Mt-KaHyPar's seed.
        preset: ``"deterministic"``, ``"default"`` or ``"quality"``.
        num_threads: Mt-KaHyPar threads.

    Returns:
        The partition; ``epsilon`` and ``max_block_weight`` are the k-way bound the bisections
        keep (:func:`epsilon_for_ub_factor`), not counting the rounding of each split.

    Raises:
        ValueError: Bad arguments, or Mt-KaHyPar refused a piece.
    """
    fixed = _checked_fixed(fixed, num_nodes, num_blocks)
    mtkahypar = _mtkahypar()
    kind = _preset_type(mtkahypar, preset)
    initializer = mtkahypar.initialize(num_threads, False)
    slack = 1.0 + ub_factor / 50.0
    blocks = np.full(num_nodes, -1, dtype=np.int64)
    sizes = np.fromiter((len(e) for e in edges), dtype=np.int64, count=len(edges))
    pins = np.fromiter((v for e in edges for v in e), dtype=np.int64, count=int(sizes.sum()))
    pieces = [(np.arange(num_nodes), sizes, pins, 0, num_blocks)]
    while pieces:
        nodes, sizes, pins, low, high = pieces.pop()
        k = high - low
        if k == 1 or len(nodes) == 0:
            blocks[nodes] = low
            continue
        k_left = k // 2
        sides = np.where(fixed[nodes] < 0, -1, (fixed[nodes] >= low + k_left).astype(np.int64))
        n = len(nodes)
        limits = [math.floor(slack * n * k_left / k), math.floor(slack * n * (k - k_left) / k)]
        for side in (0, 1):
            limits[side] = max(limits[side], int((sides == side).sum()))
        limits[1] = max(limits[1], n - limits[0])
        if len(sizes) and n >= 2:
            starts = np.concatenate([[0], np.cumsum(sizes)]).tolist()
            flat = pins.tolist()
            lists = [flat[a:b] for a, b in zip(starts[:-1], starts[1:], strict=True)]
            sides = _bisect(initializer, kind, mtkahypar, n, lists, sides, limits, seed)
        else:
            sides = _fill(sides, n * k_left // k)
        edge_of_pin = np.repeat(np.arange(len(sizes)), sizes)
        pin_sides = sides[pins]
        first = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        lowest = np.minimum.reduceat(pin_sides, first) if len(sizes) else pin_sides
        highest = np.maximum.reduceat(pin_sides, first) if len(sizes) else pin_sides
        local = np.empty(n, dtype=np.int64)
        for side, (start, stop) in enumerate(((low, low + k_left), (low + k_left, high))):
            members = np.flatnonzero(sides == side)
            local[members] = np.arange(len(members))
            kept = (lowest == side) & (highest == side)  # nets inside this side
            pieces.append(
                (nodes[members], sizes[kept], local[pins[kept[edge_of_pin]]], start, stop)
            )
    epsilon = epsilon_for_ub_factor(ub_factor, num_blocks)
    bound = math.floor((1 + epsilon) * math.ceil(num_nodes / num_blocks))
    return Partition(blocks, num_blocks, epsilon, bound, km1_of(edges, blocks))


def _bisect(initializer, kind, mtkahypar, n, edges, sides, limits, seed) -> np.ndarray:
    """One Mt-KaHyPar bisection of a piece with side limits and fixed sides."""
    context = initializer.context_from_preset(kind)
    context.set_partitioning_parameters(2, 0.03, mtkahypar.Objective.KM1)
    context.set_individual_target_block_weights(limits)
    context.logging = False
    try:
        graph = initializer.create_hypergraph(context, n, len(edges), edges)
        if (sides >= 0).any():
            graph.add_fixed_vertices(sides.tolist(), 2)
        mtkahypar.set_seed(int(seed))
        result = graph.partition(context)
    except (mtkahypar.InvalidInputError, mtkahypar.InvalidParameterError) as error:
        raise ValueError(f"Mt-KaHyPar refused a bisection: {error}") from None
    return np.asarray(result.get_partition(), dtype=np.int64)


def _fill(sides: np.ndarray, left_target: int) -> np.ndarray:
    """Splits a piece without nets: free nodes fill the left side up to its target, in order."""
    sides = sides.copy()
    room = max(left_target - int((sides == 0).sum()), 0)
    free = np.flatnonzero(sides < 0)
    sides[free[:room]] = 0
    sides[free[room:]] = 1
    return sides


def _partition(
    n: int,
    edges: list[list[int]],
    fixed: np.ndarray,
    num_blocks: int,
    settings: PartitionSettings,
    seed: int,
) -> Partition:
    """The partition ``settings.method`` asks for (best km1 of ``settings.num_runs`` seeds)."""
    if settings.method == "kway":
        epsilon = epsilon_for_ub_factor(settings.ub_factor, num_blocks)
        return partition_hypergraph(
            n,
            edges,
            fixed,
            num_blocks,
            epsilon,
            seed,
            preset=settings.preset,
            num_threads=settings.num_threads,
            num_runs=settings.num_runs,
        )
    best = None
    for run in range(settings.num_runs):
        part = bisect_recursively(
            n,
            edges,
            fixed,
            num_blocks,
            settings.ub_factor,
            seed + run,
            preset=settings.preset,
            num_threads=settings.num_threads,
        )
        if best is None or part.km1 < best.km1:
            best = part
    assert best is not None
    return best


def compute_groups(
    flat: FlatNetlist,
    layout: GroupingSettings,
    settings: PartitionSettings = PartitionSettings(),  # noqa: B008 - frozen, shared safely
    seed: int = 0,
) -> np.ndarray:
    """Groups the standard cells of ``flat`` as CT's grouper does, with Mt-KaHyPar.

    Args:
        flat: The flat netlist (placed: break-up and merge read its positions).
        layout: Canvas and grid (fixed port groups span one grid cell; the break-up span follows
            the canvas) and the wide-net limit.
        settings: Partitioner and clean-up settings.
        seed: Mt-KaHyPar's seed.

    Returns:
        ``(flat.num_nodes,)`` int64 group ids, one per node (macros, pins and ports too), as
        ``groups.final`` holds them and :func:`~netlists.grouping.apply_grouping` reads them.
    """
    arrays = FlatArrays.of(flat, layout.max_fanout)
    n = flat.num_nodes
    fixed = fixed_groups(flat, arrays, layout, settings.fixed_logic_levels)
    num_fixed = int(fixed.max(initial=-1)) + 1
    free = int((fixed < 0).sum())
    num_blocks = num_fixed + min(settings.num_groups, free)
    groups = fixed.copy()
    if free and num_blocks >= 2:
        part = _partition(n, hyperedges(arrays), fixed, num_blocks, settings, seed)
        _log.info(
            "%d nodes, %d fixed groups, %d blocks (%s, epsilon %.3f): km1 %d",
            n,
            num_fixed,
            num_blocks,
            settings.method,
            part.epsilon,
            part.km1,
        )
        groups[fixed < 0] = part.blocks[fixed < 0] + num_fixed
    elif free:
        groups[fixed < 0] = num_fixed
    if not settings.breakup or not n:
        return groups
    merge_nodes = settings.merge_threshold(n, len(np.unique(groups)))
    groups = breakup_groups(
        groups, arrays.xy, arrays.is_cell, arrays.areas, settings.breakup_threshold(layout)
    )
    return merge_small_groups(
        groups,
        arrays.fanout_starts,
        arrays.fanout_nodes,
        arrays.xy,
        arrays.is_cell,
        arrays.areas,
        merge_nodes,
        settings.merge_distance(layout),
    )
