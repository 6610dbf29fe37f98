"""Analytical macro placement, DREAMPlace / ePlace style, then legalisation.

The movable hard macros' centres are continuous variables, optimised with Adam on

* the weighted-average (WA) wirelength of the sub-netlist's nets that touch a movable macro
  (smooth HPWL; ``gamma`` annealed geometrically from ``gamma_start`` to ``gamma_end`` x the
  canvas' longer side -- WA tends to HPWL as ``gamma -> 0``);
* a density penalty ``lambda x (sum of squared bin overflows / bin area + pairwise macro overlap
  area)``: the macros (and fixed hard macros) are spread onto a bin grid with exact
  rectangle-bin overlaps, blocks smaller than two bins widened to two bins at lower density (a
  bell-like smoothing); ``lambda`` starts at the ePlace ratio of the two gradients' L1 norms and
  grows ``lambda_growth``-fold over the run;
* a quadratic penalty for any part of a macro outside the canvas (and a final clamp).

Start: the canvas centre plus small seeded noise. One evaluation is one gradient step (default
300); under a time budget 80 % goes to the gradient steps, the rest to legalisation
(:mod:`agents.legalize`). Runs on CUDA (float32) when available with ``device="auto"``, otherwise
on the CPU in float64 with one thread; deterministic on the CPU for a seed under an evaluation
budget.
"""

from __future__ import annotations

import time

import numpy as np
import torch

from agents.base import (
    Budget,
    MacroProblem,
    Meter,
    Placer,
    PlacerError,
    PlacerResult,
    PlacerStats,
    register,
)
from agents.legalize import legalize
from netlists import Design, Netlist, NodeKind, Placement
from netlists.types import orient_offsets
from placement_env.wirelength import hpwl

DEFAULT_EVALUATIONS = 300


class NetTensors:
    """The nets of a netlist as flat tensors for WA wirelength (entries renumbered per net).

    Args:
        netlist: The netlist.
        orientations: (n_nodes,) orientation codes (pin offsets are rotated by them).
        entry_mask: (n_entries,) bool: which incidences count (default all).
        net_mask: (n_nets,) bool: which nets count (default all); nets left with fewer than two
            counted incidences are dropped.
    """

    def __init__(
        self,
        netlist: Netlist,
        orientations: np.ndarray,
        device: torch.device,
        dtype: torch.dtype,
        entry_mask: np.ndarray | None = None,
        net_mask: np.ndarray | None = None,
    ) -> None:
        arrays = netlist.arrays
        keep = np.ones(len(arrays.entry_node), dtype=bool) if entry_mask is None else entry_mask
        if net_mask is not None:
            keep = keep & net_mask[arrays.entry_net]
        counts = np.bincount(arrays.entry_net[keep], minlength=netlist.num_nets)
        keep = keep & (counts[arrays.entry_net] >= 2)
        nets = np.flatnonzero(counts >= 2)
        renumber = np.full(netlist.num_nets, -1, dtype=np.int64)
        renumber[nets] = np.arange(len(nets))
        node = arrays.entry_node[keep].astype(np.int64)
        offsets = orient_offsets(arrays.entry_offset[keep], orientations[node])
        self.n_nets = len(nets)
        self.entry_node = torch.as_tensor(node, device=device)
        self.entry_offset = torch.as_tensor(offsets, device=device, dtype=dtype)
        net = torch.as_tensor(renumber[arrays.entry_net[keep]], device=device)
        self.entry_net = net
        self.entry_net2 = net[:, None].expand(-1, 2).contiguous()
        self.weights = torch.as_tensor(arrays.net_weights[nets], device=device, dtype=dtype)


def wa_wirelength_tensor(positions: torch.Tensor, nets: NetTensors, gamma: float) -> torch.Tensor:
    """Weighted-average wirelength (scalar tensor) of node ``positions`` (n_nodes, 2)."""
    if nets.n_nets == 0:
        return positions.sum() * 0.0
    pins = positions[nets.entry_node] + nets.entry_offset  # (E, 2)
    shape = (nets.n_nets, 2)
    with torch.no_grad():
        top = pins.new_full(shape, -torch.inf).scatter_reduce(
            0, nets.entry_net2, pins, reduce="amax", include_self=True
        )
        bottom = pins.new_full(shape, torch.inf).scatter_reduce(
            0, nets.entry_net2, pins, reduce="amin", include_self=True
        )
    a = torch.exp((pins - top[nets.entry_net]) / gamma)
    b = torch.exp((bottom[nets.entry_net] - pins) / gamma)
    zeros = pins.new_zeros(shape)
    high = zeros.index_add(0, nets.entry_net, pins * a) / zeros.index_add(0, nets.entry_net, a)
    low = zeros.index_add(0, nets.entry_net, pins * b) / zeros.index_add(0, nets.entry_net, b)
    return (nets.weights * (high - low).sum(dim=1)).sum()


def wa_wirelength(netlist: Netlist, placement: Placement, gamma: float) -> float:
    """WA wirelength (microns) of a placement: only placed owners' pins count, as in ``hpwl``."""
    placement.check_matches(netlist)
    mask = placement.placed[netlist.arrays.entry_node]
    nets = NetTensors(
        netlist, placement.orientations, torch.device("cpu"), torch.float64, entry_mask=mask
    )
    positions = torch.as_tensor(np.array(placement.positions), dtype=torch.float64)
    return float(wa_wirelength_tensor(positions, nets, gamma))


def _axis_overlap(centre: torch.Tensor, half: torch.Tensor, edges: torch.Tensor) -> torch.Tensor:
    """(m, bins) overlap length of intervals ``centre +- half`` with bins ``edges``."""
    left = torch.maximum((centre - half)[:, None], edges[None, :-1])
    right = torch.minimum((centre + half)[:, None], edges[None, 1:])
    return torch.relu(right - left)


class _Density:
    """Bin-density overflow plus pairwise overlap of the macros (movable and fixed hard)."""

    def __init__(
        self,
        problem: MacroProblem,
        device: torch.device,
        dtype: torch.dtype,
        bins: int,
        target: float,
    ) -> None:
        sub = problem.sub
        canvas = sub.canvas
        start = problem.start
        fixed = np.flatnonzero(start.placed & (sub.node_kinds == int(NodeKind.HARD_MACRO)))
        self.m = len(problem.local)
        sizes = np.concatenate((start.footprints(sub, problem.local), start.footprints(sub, fixed)))
        self.fixed_pos = torch.as_tensor(
            np.array(start.positions[fixed]), device=device, dtype=dtype
        )
        self.sizes = torch.as_tensor(sizes, device=device, dtype=dtype)
        t = lambda v: torch.as_tensor(v, device=device, dtype=dtype)  # noqa: E731
        self.x_edges = t(np.linspace(canvas.x_min, canvas.x_max, bins + 1))
        self.y_edges = t(np.linspace(canvas.y_min, canvas.y_max, bins + 1))
        bw, bh = canvas.width / bins, canvas.height / bins
        self.bin_area = bw * bh
        eff = np.maximum(sizes, 2 * np.array([bw, bh]))
        self.half = t(eff / 2)
        self.scale = t(sizes.prod(axis=1) / eff.prod(axis=1))
        self.capacity = target * self.bin_area
        n = len(sizes)
        iu = np.triu_indices(n, 1)
        pairs = iu[0] < self.m  # at least one movable
        self.pi = torch.as_tensor(iu[0][pairs], device=device)
        self.pj = torch.as_tensor(iu[1][pairs], device=device)
        self.lo = t([canvas.x_min, canvas.y_min])
        self.hi = t([canvas.x_max, canvas.y_max])

    def __call__(self, movable: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(density penalty, boundary penalty) of the movable centres (m, 2)."""
        pos = torch.cat((movable, self.fixed_pos))
        ox = _axis_overlap(pos[:, 0], self.half[:, 0], self.x_edges) * self.scale[:, None]
        oy = _axis_overlap(pos[:, 1], self.half[:, 1], self.y_edges)
        dens = oy.T @ ox  # (rows, cols) macro area per bin
        overflow = torch.relu(dens - self.capacity)
        bins = (overflow * overflow).sum() / self.bin_area
        pair = pos.new_zeros(())
        if len(self.pi):
            d = (pos[self.pi] - pos[self.pj]).abs()
            reach = (self.sizes[self.pi] + self.sizes[self.pj]) / 2
            ov = torch.relu(reach - d)
            ov = torch.minimum(ov, torch.minimum(self.sizes[self.pi], self.sizes[self.pj]))
            pair = (ov[:, 0] * ov[:, 1]).sum()
        half = self.sizes[: self.m] / 2
        out = torch.relu(self.lo - (movable - half)) + torch.relu((movable + half) - self.hi)
        return bins + pair, (out * out).sum()


def _resolve_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        return torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        raise PlacerError(f"unknown device {device!r}; use auto, cpu or cuda[:N]") from None


def global_place(
    problem: MacroProblem,
    rng: np.random.Generator,
    budget: Budget,
    device: torch.device,
    *,
    lr: float = 0.01,
    gamma_start: float = 0.04,
    gamma_end: float = 0.002,
    lambda_growth: float = 1e3,
    target_density: float = 1.0,
    bins: int | None = None,
) -> tuple[np.ndarray, int]:
    """Analytical (overlapping) centres (m, 2) of ``problem.local`` and the steps taken."""
    dtype = torch.float64 if device.type == "cpu" else torch.float32
    sub = problem.sub
    canvas = sub.canvas
    span = max(canvas.width, canvas.height)
    m = len(problem.local)
    movable = np.zeros(sub.num_nodes, dtype=bool)
    movable[problem.local] = True
    arrays = sub.arrays
    touches = np.zeros(sub.num_nets, dtype=bool)
    touches[arrays.entry_net[movable[arrays.entry_node]]] = True
    orientations = problem.start.orientations
    # Context nodes the design ships unplaced do not count (as in hpwl).
    entry_mask = (problem.start.placed | movable)[arrays.entry_node]
    nets = NetTensors(sub, orientations, device, dtype, entry_mask=entry_mask, net_mask=touches)
    if bins is None:
        bins = int(min(128, max(16, 2 ** np.ceil(np.log2(4 * np.sqrt(m))))))
    density = _Density(problem, device, dtype, bins, target_density)

    base = torch.as_tensor(np.array(problem.start.positions), device=device, dtype=dtype)
    local = torch.as_tensor(problem.local, device=device)
    origin = torch.as_tensor([canvas.x_min, canvas.y_min], device=device, dtype=dtype)
    extent = torch.as_tensor([canvas.width, canvas.height], device=device, dtype=dtype)
    noise = rng.uniform(-0.01, 0.01, size=(m, 2))
    u = torch.nn.Parameter(torch.as_tensor(0.5 + noise, device=device, dtype=dtype))
    optimiser = torch.optim.Adam([u], lr=lr)

    def terms(gamma: float) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        centres = origin + u * extent
        positions = base.index_copy(0, local, centres)
        wl = wa_wirelength_tensor(positions, nets, gamma)
        dens, bound = density(centres)
        return wl, dens, bound

    # ePlace's initial density weight: the ratio of the gradients' L1 norms.
    wl, dens, _ = terms(gamma_start * span)
    g_wl = torch.autograd.grad(wl, u, retain_graph=True)[0].abs().sum()
    g_d = torch.autograd.grad(dens, u)[0].abs().sum()
    lambda0 = float(g_wl / g_d) if float(g_d) > 0 else 1.0
    lambda0 = max(lambda0, 1e-12)
    bound_weight = float(g_wl) / span if float(g_wl) > 0 else 1.0

    meter = Meter(budget)
    steps = 0
    while not meter.exhausted():
        t = meter.fraction()
        gamma = gamma_start * span * (gamma_end / gamma_start) ** t
        lam = lambda0 * lambda_growth**t
        for group in optimiser.param_groups:
            group["lr"] = lr * (1.0 - 0.9 * t)
        optimiser.zero_grad(set_to_none=True)
        wl, dens, bound = terms(gamma)
        loss = wl + lam * dens + bound_weight * lam * bound
        loss.backward()
        optimiser.step()
        with torch.no_grad():
            u.clamp_(0.0, 1.0)
        meter.spend()
        steps += 1
    with torch.no_grad():
        centres = (origin + u * extent).cpu().numpy().astype(np.float64)
    half = problem.start.footprints(sub, problem.local) / 2
    low = np.array([canvas.x_min, canvas.y_min]) + half
    high = np.maximum(low, np.array([canvas.x_max, canvas.y_max]) - half)
    return np.clip(centres, low, high), steps


@register
class AnalyticalPlacer(Placer):
    """Analytical (WA wirelength + density) macro placer with a minimum-displacement legaliser.

    Args:
        device: ``"auto"`` (CUDA when available), ``"cpu"`` or ``"cuda"``.
        context: ``"placed"`` or ``"macros"`` (see :mod:`agents.base`).
        legal_grid: Cells a side of the legaliser's first grid (when the exact method fails).
        **options: Passed to :func:`global_place` (``lr``, ``gamma_start``, ``gamma_end``,
            ``lambda_growth``, ``target_density``, ``bins``).
    """

    name = "analytical"

    def __init__(
        self,
        device: str = "auto",
        context: str = "placed",
        legal_grid: int = 128,
        **options: float,
    ) -> None:
        self.device = device
        self.context = context
        self.legal_grid = legal_grid
        self.options = options

    def place(self, design: Design, rng: np.random.Generator, budget: Budget) -> PlacerResult:
        start = time.perf_counter()
        rng = np.random.default_rng(0) if rng is None else rng
        budget = budget.or_default(DEFAULT_EVALUATIONS)
        gp_budget = Budget(
            evaluations=budget.evaluations,
            seconds=None if budget.seconds is None else 0.8 * budget.seconds,
        )
        device = _resolve_device(self.device)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise PlacerError("device='cuda' asked for but CUDA is not available")
        problem = MacroProblem(design, self.context)
        threads = torch.get_num_threads()
        if device.type == "cpu":
            torch.set_num_threads(1)
        try:
            centres, steps = global_place(problem, rng, gp_budget, device, **self.options)
        finally:
            torch.set_num_threads(threads)
        gp_seconds = time.perf_counter() - start
        global_sub = problem.start.with_positions(problem.local, centres)
        sub, method = legalize(problem, centres, self.legal_grid)
        placement = problem.to_full(sub)
        seconds = time.perf_counter() - start
        global_hpwl = hpwl(problem.sub, global_sub)
        notes = (
            f"device={device.type}",
            f"steps={steps}",
            f"legalizer={method}",
            f"global_seconds={gp_seconds:.3g}",
            f"global_hpwl={global_hpwl:.6g}",
        )
        extra = {
            "global_placement": problem.to_full(global_sub),
            "global_hpwl": global_hpwl,
            "global_seconds": gp_seconds,
            "device": device.type,
        }
        return PlacerResult(placement, PlacerStats(steps, seconds, notes), extra)
