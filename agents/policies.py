"""Policies for sb3-contrib's MaskablePPO on :class:`placement_env.env.MacroPlacementEnv`.

Both policies keep the grid's spatial resolution all the way to the action logits: a small
fully-convolutional encoder turns the grid channels (position mask, wire mask, density, plus two
coordinate channels) into per-cell features, a *global* vector summarises the design and the
macro to place, and a 1x1-convolution head scores every cell from its own features and the
broadcast global vector (optionally plus a linear skip from the cell's features, the raw wire
mask among them: ``wire_skip=True``, which ``wire_prior=b`` starts at ``-b`` x the wire mask,
a greedy prior) -- one logit per grid cell, ``(batch, rows * cols)``.

* :class:`CnnPlacementPolicy` -- the global vector comes from an MLP over the flattened
  ``macro_features`` and ``current_macro``; its first layer depends on the number of macros.
* :class:`GnnPlacementPolicy` -- the global vector comes from a graph network (plain torch)
  over the padded macro graph of the observation (``graph_edges``, ``graph_edge_weights``,
  ``graph_edge_mask``; the env's ``graph_observation=True``). No weight depends on the number of
  macros, edges or grid cells, so one set of weights runs on every design (transfer).

The value head reads the global vector (which includes pooled grid features). Masking is done by
MaskablePPO's masked categorical distribution: illegal cells get probability zero.

Observations may carry an optional ``"macro_mask"`` ``(n,)`` (1 for real macros), which
:class:`agents.rl_env.PaddedObservation` adds when designs of different sizes share a vector env.
"""

from __future__ import annotations

import copy
from functools import partial
from typing import Any

import numpy as np
import torch
from gymnasium import spaces
from sb3_contrib.common.maskable.policies import MaskableActorCriticPolicy
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor
from torch import nn

GRID_KEYS = ("position_mask", "wire_mask", "density")
GRAPH_KEYS = ("graph_edges", "graph_edge_weights", "graph_edge_mask")
#: Input channels of the grid encoder: the three grid observations and x, y coordinates.
GRID_CHANNELS = len(GRID_KEYS) + 2
#: Coarse resolution (cells a side) at which the encoder's deeper layers run.
COARSE_CELLS = 32
#: Cells a side of the ``"coarse"`` head's logit map (its encoder runs there too): 16 keeps a
#: 64 x 64 grid's convolutions 16x cheaper than full resolution, while the elementwise
#: full-resolution terms (wire mask, density, position mask, centre) keep the per-cell detail.
COARSE_HEAD_CELLS = 16
#: Action heads: ``"full"`` (the per-cell head on full-resolution features) and ``"coarse"``
#: (coarse logits upsampled plus elementwise full-resolution terms; see :class:`CoarseLogitHead`).
HEADS = ("full", "coarse")


class PolicyError(ValueError):
    """A policy cannot be built for this observation space (missing keys, bad sizes)."""


def _require(space: spaces.Dict, keys: tuple[str, ...], what: str) -> None:
    missing = [k for k in keys if k not in space.spaces]
    if missing:
        raise PolicyError(
            f"the {what} policy needs observation keys {list(keys)}; missing {missing} "
            "(for the graph policy make the env with graph_observation=True)"
        )


def _coords(rows: int, cols: int) -> torch.Tensor:
    """(2, rows, cols) cell-centre coordinates in [-1, 1]."""
    ys = (torch.arange(rows, dtype=torch.float32) + 0.5) / rows * 2 - 1
    xs = (torch.arange(cols, dtype=torch.float32) + 0.5) / cols * 2 - 1
    return torch.stack(torch.meshgrid(ys, xs, indexing="ij"))


def _dilated_stack(in_channels: int, channels: int, layers: int) -> nn.Sequential:
    """``layers`` 3x3 conv + ReLU layers; dilation grows 1, 2, 4, 4, ... (a wider receptive
    field at no extra cost)."""
    convs: list[nn.Module] = [nn.Conv2d(in_channels, channels, 3, padding=1), nn.ReLU()]
    for i in range(1, layers):
        d = min(2**i, 4)
        convs += [nn.Conv2d(channels, channels, 3, padding=d, dilation=d), nn.ReLU()]
    return nn.Sequential(*convs)


class GridEncoder(nn.Module):
    """Per-cell features at full resolution plus a pooled summary.

    One cheap 3x3 layer runs at full resolution; the grid is then average-pooled to at most
    :data:`COARSE_CELLS` a side, where deeper 3x3 layers see a wide neighbourhood, and upsampled
    back (nearest) and concatenated with the full-resolution features and the raw grid channels
    (a one-level U-Net). A 128 x 128 grid thus costs about what a 32 x 32 one does.

    Args:
        channels: Feature channels of the coarse layers (the fine layer has a quarter, at least 8).
        layers: Number of coarse 3x3 layers.
        raw: Append the raw grid channels to the cell features (for the head's linear skip).
    """

    def __init__(self, channels: int = 32, layers: int = 3, raw: bool = False) -> None:
        super().__init__()
        fine = max(8, channels // 4)  # full resolution is the costly part: keep it thin
        self.fine = nn.Sequential(nn.Conv2d(GRID_CHANNELS, fine, 3, padding=1), nn.ReLU())
        self.coarse = _dilated_stack(fine, channels, layers)
        self.raw = raw
        self.out_channels = fine + channels + (len(GRID_KEYS) if raw else 0)
        self.pooled_dim = 2 * channels

    def forward(self, grid: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``grid`` (B, 3, H, W) -> cell features (B, C, H, W), pooled (B, pooled_dim)."""
        b, _, h, w = grid.shape
        coords = _coords(h, w).to(grid.device).expand(b, -1, -1, -1)
        fine = self.fine(torch.cat([grid, coords], dim=1))
        factor = max(1, -(-max(h, w) // COARSE_CELLS))
        low = nn.functional.avg_pool2d(fine, factor, ceil_mode=True) if factor > 1 else fine
        low = self.coarse(low)
        pooled = torch.cat([low.mean(dim=(2, 3)), low.amax(dim=(2, 3))], dim=1)
        up = low
        if factor > 1:
            up = nn.functional.interpolate(low, scale_factor=factor, mode="nearest")[..., :h, :w]
        parts = [fine, up, grid] if self.raw else [fine, up]
        return torch.cat(parts, dim=1), pooled


def coarse_factor(rows: int, cols: int, cells: int = COARSE_HEAD_CELLS) -> int:
    """Pooling factor that brings a ``rows x cols`` grid to at most ``cells`` a side."""
    return max(1, -(-max(rows, cols) // cells))


class CoarseGridEncoder(nn.Module):
    """The ``"coarse"`` head's encoder: the grid channels (and coordinates) average-pooled to at
    most :data:`COARSE_HEAD_CELLS` a side, then 3x3 layers there only (nothing runs at full
    resolution, which is where :class:`GridEncoder` spends most of a 64 x 64 grid's time).

    Args:
        channels: Feature channels.
        layers: Number of 3x3 layers (dilation grows 1, 2, 4, ...).
    """

    def __init__(self, channels: int = 16, layers: int = 3) -> None:
        super().__init__()
        self.convs = _dilated_stack(GRID_CHANNELS, channels, layers)
        self.out_channels = channels
        self.pooled_dim = 2 * channels

    def forward(self, grid: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``grid`` (B, 3, H, W) -> coarse features (B, C, h, w), pooled (B, pooled_dim)."""
        b, _, h, w = grid.shape
        coords = _coords(h, w).to(grid.device).expand(b, -1, -1, -1)
        x = torch.cat([grid, coords], dim=1)
        factor = coarse_factor(h, w)
        if factor > 1:
            x = nn.functional.avg_pool2d(x, factor, ceil_mode=True)
        low = self.convs(x)
        return low, torch.cat([low.mean(dim=(2, 3)), low.amax(dim=(2, 3))], dim=1)


def _edge_lists(obs: dict[str, torch.Tensor], n: int) -> tuple[torch.Tensor, ...]:
    """Both directions of the padded edges of a batch as flat node indices over ``B * n``
    nodes, their weights ``(2 B E, 1)`` (padded edges 0), and each node's weighted degree."""
    edges = obs["graph_edges"].long().clamp(0, n - 1)  # (B, E, 2)
    b = edges.shape[0]
    weight = (obs["graph_edge_weights"] * obs["graph_edge_mask"]).reshape(-1, 1)  # (B*E, 1)
    offset = (torch.arange(b, device=edges.device) * n).unsqueeze(1)
    src = (edges[..., 0] + offset).reshape(-1)
    dst = (edges[..., 1] + offset).reshape(-1)
    both_src, both_dst = torch.cat([src, dst]), torch.cat([dst, src])
    both_w = torch.cat([weight, weight])
    degree = torch.zeros(b * n, 1, device=edges.device).index_add_(0, both_dst, both_w)
    return both_src, both_dst, both_w, degree


def _rounds(hidden: int, layers: int) -> tuple[nn.ModuleList, nn.ModuleList]:
    """MLPs and layer norms of ``layers`` message-passing rounds (:func:`_pass_messages`)."""
    rounds = nn.ModuleList(
        nn.Sequential(nn.Linear(2 * hidden, hidden), nn.ReLU(), nn.Linear(hidden, hidden))
        for _ in range(layers)
    )
    return rounds, nn.ModuleList(nn.LayerNorm(hidden) for _ in range(layers))


def _pass_messages(
    h: torch.Tensor,
    edges: tuple[torch.Tensor, ...],
    node_mask: torch.Tensor,
    rounds: nn.ModuleList,
    norms: nn.ModuleList,
) -> torch.Tensor:
    """Residual rounds ``h <- LayerNorm(h + MLP([h, weighted mean of neighbours]))`` over the
    graph whose :func:`_edge_lists` are ``edges``; padded macros stay zero."""
    b, n, _ = h.shape
    both_src, both_dst, both_w, degree = edges
    for layer, norm in zip(rounds, norms, strict=True):
        flat = h.reshape(b * n, -1)
        agg = torch.zeros_like(flat).index_add_(0, both_dst, flat[both_src] * both_w)
        agg = agg / degree.clamp(min=1e-6)
        update = layer(torch.cat([flat, agg], dim=-1)).reshape(b, n, -1)
        h = norm(h + update) * node_mask.unsqueeze(-1)
    return h


class MacroGraphEncoder(nn.Module):
    """Message passing over the padded macro graph; returns [mean embedding, current macro's].

    Node inputs are the ``macro_features`` rows plus a flag for the macro placed next (the first
    unplaced one: macros are placed in row order). Each layer averages neighbours' embeddings
    with the edge weights (both directions; padded edges and padded macros count zero) and adds
    an MLP of ``[h, mean neighbour]`` to ``h`` (residual). Runs on every observation: the
    placed flags and positions change each step.

    Args:
        node_features: Columns of ``macro_features``.
        hidden: Embedding width.
        layers: Message-passing rounds.
    """

    def __init__(self, node_features: int, hidden: int = 64, layers: int = 3) -> None:
        super().__init__()
        self.embed = nn.Sequential(nn.Linear(node_features + 1, hidden), nn.ReLU())
        self.rounds, self.norms = _rounds(hidden, layers)
        self.out_dim = 2 * hidden

    def forward(self, obs: dict[str, torch.Tensor]) -> torch.Tensor:
        feats = obs["macro_features"]  # (B, n, F)
        b, n, _ = feats.shape
        node_mask = obs.get("macro_mask", torch.ones(b, n, device=feats.device))  # (B, n)
        current = _current_index(feats, node_mask)  # (B,)
        flag = nn.functional.one_hot(current, n).to(feats.dtype).unsqueeze(-1)
        h = self.embed(torch.cat([feats, flag], dim=-1)) * node_mask.unsqueeze(-1)
        h = _pass_messages(h, _edge_lists(obs, n), node_mask, self.rounds, self.norms)
        mean = h.sum(dim=1) / node_mask.sum(dim=1, keepdim=True).clamp(min=1.0)
        now = h[torch.arange(b, device=feats.device), current]
        return torch.cat([mean, now], dim=-1)


#: Columns of ``macro_features`` that do not change during an episode (width, height).
STATIC_FEATURES = 2


class StaticGraphEncoder(nn.Module):
    """The ``"coarse"`` policy's graph encoder: message passing over the *static* part of the
    macro graph (each macro's width, height and weighted degree), then a cheap per-observation
    readout ``[mean embedding, current macro's, mean over the placed macros]``.

    The static part is the same for every step of every episode of a design, so it runs once per
    distinct design in a batch (usually one), not once per observation: during an update that
    is 1/256 of :class:`MacroGraphEncoder`'s work at batch 256. Where the macros sit is the
    grid encoder's job (density, wire mask). Under ``torch.no_grad`` (rollout collection) the
    embeddings are also kept between calls while the weights and the graph stay the same.

    Args:
        hidden: Embedding width.
        layers: Message-passing rounds.
    """

    def __init__(self, hidden: int = 32, layers: int = 2) -> None:
        super().__init__()
        self.embed = nn.Sequential(nn.Linear(STATIC_FEATURES + 1, hidden), nn.ReLU())
        self.rounds, self.norms = _rounds(hidden, layers)
        self.out_dim = 3 * hidden
        self._cache: tuple[tuple[int, ...], torch.Tensor, torch.Tensor] | None = None

    def embeddings(self, obs: dict[str, torch.Tensor]) -> torch.Tensor:
        """(B, n, hidden) node embeddings of each observation's static graph, computed per
        observation (the golden version of :meth:`forward`'s grouping)."""
        feats = obs["macro_features"]
        b, n, _ = feats.shape
        node_mask = obs.get("macro_mask", torch.ones(b, n, device=feats.device))
        edges = _edge_lists(obs, n)
        degree = edges[3]
        top = degree.reshape(b, n).amax(dim=1, keepdim=True).clamp(min=1e-6)
        static = torch.cat(
            [feats[..., :STATIC_FEATURES], (degree.reshape(b, n) / top)[..., None]], -1
        )
        h = self.embed(static) * node_mask.unsqueeze(-1)
        return _pass_messages(h, edges, node_mask, self.rounds, self.norms)

    def _static_key(self, obs: dict[str, torch.Tensor]) -> torch.Tensor:
        """(B, K) everything the static embeddings depend on, one row per observation."""
        feats = obs["macro_features"]
        b, n, _ = feats.shape
        parts = [
            obs["graph_edges"].reshape(b, -1),
            (obs["graph_edge_weights"] * obs["graph_edge_mask"]).reshape(b, -1),
            feats[..., :STATIC_FEATURES].reshape(b, -1),
        ]
        if "macro_mask" in obs:
            parts.append(obs["macro_mask"])
        return torch.cat(parts, dim=1)

    def _grouped(self, obs: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """Embeddings of the distinct static graphs ``(U, n, hidden)`` and each observation's
        row among them ``(B,)``."""
        key = self._static_key(obs)
        b = key.shape[0]
        if b == 1 or bool((key == key[:1]).all()):
            unique, inverse = key[:1], torch.zeros(b, dtype=torch.long, device=key.device)
        else:
            unique, inverse = torch.unique(key, dim=0, return_inverse=True)
        versions = tuple(p._version for p in self.parameters())
        if not torch.is_grad_enabled() and self._cache is not None:
            cached_versions, cached_key, cached = self._cache
            if cached_versions == versions and torch.equal(cached_key, unique):
                return cached, inverse
        first = torch.zeros(len(unique), dtype=torch.long, device=key.device)
        first.scatter_(0, inverse.flip(0), torch.arange(b - 1, -1, -1, device=key.device))
        sub = {k: v[first] for k, v in obs.items()}
        emb = self.embeddings(sub)
        self._cache = (versions, unique, emb.detach()) if not torch.is_grad_enabled() else None
        return emb, inverse

    def forward(self, obs: dict[str, torch.Tensor]) -> torch.Tensor:
        feats = obs["macro_features"]
        b, n, _ = feats.shape
        node_mask = obs.get("macro_mask", torch.ones(b, n, device=feats.device))
        emb, inverse = self._grouped(obs)  # (U, n, hidden), (B,)
        current = _current_index(feats, node_mask)
        real = node_mask.sum(dim=1, keepdim=True).clamp(min=1.0)
        placed = feats[..., 2] * node_mask  # (B, n)
        mean = emb.sum(dim=1)[inverse] / real
        now = emb[inverse, current]
        placed_sum = (
            torch.einsum("bn,bnh->bh", placed, emb[inverse]) if len(emb) > 1 else (placed @ emb[0])
        )
        placed_mean = placed_sum / placed.sum(dim=1, keepdim=True).clamp(min=1.0)
        return torch.cat([mean, now, placed_mean], dim=-1)


def _current_index(feats: torch.Tensor, node_mask: torch.Tensor) -> torch.Tensor:
    """(B,) row of the macro placed next: the number placed so far (column 2), clipped."""
    placed = (feats[..., 2] * node_mask).sum(dim=1).round().long()
    real = node_mask.sum(dim=1).long().clamp(min=1)
    return torch.minimum(placed, real - 1)


class PlacementExtractor(BaseFeaturesExtractor):
    """Base of the two extractors: output ``[cell features flattened, global vector]``.

    Subclasses set :attr:`global_dim` and implement :meth:`design_vector`. The policy's heads
    split the output again using :attr:`cell_channels`, :attr:`grid_shape` and
    :attr:`global_dim` (SB3 passes features between modules as one flat tensor).
    """

    def __init__(
        self,
        observation_space: spaces.Dict,
        channels: int,
        hidden: int,
        wire_skip: bool,
        wire_prior: float = 0.0,
        centre_prior: float = 0.0,
        head: str = "full",
    ) -> None:
        _require(observation_space, (*GRID_KEYS, "macro_features", "current_macro"), "placement")
        if head not in HEADS:
            raise PolicyError(f"unknown head {head!r}; choose one of {HEADS}")
        if wire_prior and not wire_skip and head == "full":
            raise PolicyError("wire_prior needs wire_skip=True (the prior is the skip's weight)")
        for name, value in (("wire_prior", wire_prior), ("centre_prior", centre_prior)):
            if not np.isfinite(value) or value < 0:
                raise PolicyError(f"{name} must be finite and >= 0, got {value!r}")
        self.wire_prior = float(wire_prior)
        self.centre_prior = float(centre_prior)
        rows, cols = observation_space["position_mask"].shape
        self.grid_shape = (int(rows), int(cols))
        self.head = head
        if head == "coarse":
            encoder: nn.Module = CoarseGridEncoder(channels)
            factor = coarse_factor(rows, cols)
            self.coarse_shape = (-(-rows // factor), -(-cols // factor))
            # Coarse features, then the raw full-resolution grid channels for the head's
            # elementwise terms.
            cells = encoder.out_channels * int(np.prod(self.coarse_shape))
            cells += len(GRID_KEYS) * rows * cols
        else:
            encoder = GridEncoder(channels, raw=wire_skip)
            self.coarse_shape = None
            cells = encoder.out_channels * rows * cols
        self.wire_skip = wire_skip
        self.cell_channels = encoder.out_channels
        self.global_dim = hidden
        super().__init__(observation_space, cells + hidden)
        self.grid_encoder = encoder
        self._pooled_dim = encoder.pooled_dim

    def design_vector(self, obs: dict[str, torch.Tensor]) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, obs: dict[str, torch.Tensor]) -> torch.Tensor:
        grid = torch.stack([obs[k] for k in GRID_KEYS], dim=1)
        cells, pooled = self.grid_encoder(grid)
        glob = self.mix(torch.cat([pooled, self.design_vector(obs), obs["current_macro"]], -1))
        if self.coarse_shape is not None:
            return torch.cat([cells.flatten(1), grid.flatten(1), glob], dim=1)
        return torch.cat([cells.flatten(1), glob], dim=1)


class CnnExtractor(PlacementExtractor):
    """Grid encoder + an MLP over the flattened macro features (sized for one design)."""

    def __init__(
        self,
        observation_space: spaces.Dict,
        channels: int = 32,
        hidden: int = 64,
        wire_skip: bool = False,
        wire_prior: float = 0.0,
        centre_prior: float = 0.0,
        head: str = "full",
    ):
        super().__init__(
            observation_space, channels, hidden, wire_skip, wire_prior, centre_prior, head
        )
        n_inputs = int(np.prod(observation_space["macro_features"].shape))
        self.macros = nn.Sequential(nn.Flatten(), nn.Linear(n_inputs, hidden), nn.ReLU())
        current = observation_space["current_macro"].shape[0]
        self.mix = nn.Sequential(nn.Linear(self._pooled_dim + hidden + current, hidden), nn.ReLU())

    def design_vector(self, obs: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.macros(obs["macro_features"])


class GnnExtractor(PlacementExtractor):
    """Grid encoder + :class:`MacroGraphEncoder` (no size-dependent weights)."""

    def __init__(
        self,
        observation_space: spaces.Dict,
        channels: int = 32,
        hidden: int = 64,
        wire_skip: bool = False,
        wire_prior: float = 0.0,
        centre_prior: float = 0.0,
        head: str = "full",
    ):
        _require(observation_space, GRAPH_KEYS, "graph")
        super().__init__(
            observation_space, channels, hidden, wire_skip, wire_prior, centre_prior, head
        )
        features = observation_space["macro_features"].shape[-1]
        self.graph: nn.Module = (
            StaticGraphEncoder(hidden) if head == "coarse" else MacroGraphEncoder(features, hidden)
        )
        current = observation_space["current_macro"].shape[0]
        self.mix = nn.Sequential(
            nn.Linear(self._pooled_dim + self.graph.out_dim + current, hidden), nn.ReLU()
        )

    def design_vector(self, obs: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.graph(obs)


class _Split(nn.Module):
    """SB3's ``mlp_extractor`` slot: the actor gets the features untouched (the cell head
    unpacks them), the critic an MLP of the global vector."""

    def __init__(self, global_dim: int, hidden: int) -> None:
        super().__init__()
        self.global_dim = global_dim
        self.critic = nn.Sequential(nn.Linear(global_dim, hidden), nn.Tanh())
        self.latent_dim_vf = hidden

    def forward_actor(self, features: torch.Tensor) -> torch.Tensor:
        return features

    def forward_critic(self, features: torch.Tensor) -> torch.Tensor:
        return self.critic(features[:, -self.global_dim :])

    def forward(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.forward_actor(features), self.forward_critic(features)


class CellLogitHead(nn.Module):
    """One logit per grid cell from the cell's features and the broadcast global vector."""

    def __init__(
        self,
        cell_channels: int,
        global_dim: int,
        grid_shape: tuple[int, int],
        skip: bool = False,
        wire_prior: float = 0.0,
        centre_prior: float = 0.0,
    ):
        super().__init__()
        self.cell_channels = cell_channels
        self.global_dim = global_dim
        self.grid_shape = grid_shape
        hidden = 16
        self.project = nn.Linear(global_dim, hidden)
        self.cells = nn.Conv2d(cell_channels, hidden, 1)
        self.out = nn.Conv2d(hidden, 1, 1)
        # Optional linear 1x1 skip from the cell features (raw wire mask included) to the logit:
        # the policy can learn "prefer cells of low wirelength increase" with one weight. It
        # pulls the policy towards the greedy rule (worse on the tight TPUv1 floor plan).
        self.skip = nn.Conv2d(cell_channels, 1, 1) if skip else None
        # With wire_prior = b > 0 the skip starts at logit -b x (normalised wire mask): the first
        # policy's argmax is the greedy wire-mask rule and it samples near it; PPO then trains
        # the weight like any other (a greedy prior, not a fixed bias).
        self.wire_prior = float(wire_prior)
        # With centre_prior = c > 0, a learnable weight starting at -c times each cell's distance
        # from the canvas centre (0 there, 1 in the corners): the greedy placer's tie-break, so
        # that the first macros, whose wire masks are flat, start in the middle.
        self.centre_prior = float(centre_prior)
        self.centre_weight = None
        if centre_prior > 0:
            self.register_buffer("centre_distance", _centre_distance(grid_shape))
            self.centre_weight = nn.Parameter(torch.tensor(-self.centre_prior))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        rows, cols = self.grid_shape
        b = features.shape[0]
        cells = features[:, : -self.global_dim].reshape(b, self.cell_channels, rows, cols)
        glob = self.project(features[:, -self.global_dim :])[:, :, None, None]
        logits = self.out(torch.relu(self.cells(cells) + glob))
        if self.skip is not None:
            logits = logits + self.skip(cells)
        if self.centre_weight is not None:
            logits = logits + self.centre_weight * self.centre_distance
        return logits.flatten(1)  # (B, rows * cols)

    def scale(self, factor: float) -> None:
        """Multiplies every logit by ``factor`` (all terms are linear in the scaled weights)."""
        with torch.no_grad():
            for layer in (self.out, self.skip):
                if layer is not None:
                    layer.weight.mul_(factor)
                    layer.bias.mul_(factor)
            if self.centre_weight is not None:
                self.centre_weight.mul_(factor)

    def reset_small(self) -> None:
        """Zero output layer: the first policy is exactly uniform over the legal cells (plus
        the wire and centre priors, if any), so it explores like the env's random policy. The
        gradient still reaches the layer through its input activations, so it trains from the
        first update."""
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)
        if self.centre_weight is not None:
            with torch.no_grad():
                self.centre_weight.fill_(-self.centre_prior)
        if self.skip is not None:
            nn.init.zeros_(self.skip.weight)
            nn.init.zeros_(self.skip.bias)
            with torch.no_grad():  # the raw grid channels are the last ones of the cell features
                wire = self.cell_channels - len(GRID_KEYS) + GRID_KEYS.index("wire_mask")
                self.skip.weight[0, wire] = -self.wire_prior


def _centre_distance(grid_shape: tuple[int, int]) -> torch.Tensor:
    """(rows, cols) distance of each cell from the canvas centre: 0 there, 1 in the corners."""
    ys = (torch.arange(grid_shape[0]) + 0.5) / grid_shape[0] - 0.5
    xs = (torch.arange(grid_shape[1]) + 0.5) / grid_shape[1] - 0.5
    dist = torch.sqrt(ys[:, None] ** 2 + xs[None, :] ** 2)
    return (dist / dist.max()).float()


class CoarseLogitHead(nn.Module):
    """The ``"coarse"`` head: logits scored on the coarse grid, upsampled (nearest) to every
    cell, plus elementwise full-resolution terms.

    ``logit(cell) = coarse(cell's coarse cell) + sum_k w_k x raw_k(cell) + w_c x centre(cell)``,
    with ``raw`` the position mask, wire mask and density at full resolution and ``w`` learnable
    scalars: the coarse part learns where to go, the elementwise part keeps the exact per-cell
    wirelength ranking inside a coarse cell. ``wire_prior = b`` starts the wire weight at ``-b``
    (a greedy prior) and ``centre_prior = c`` the centre weight at ``-c``, as in
    :class:`CellLogitHead`.
    """

    def __init__(
        self,
        cell_channels: int,
        global_dim: int,
        grid_shape: tuple[int, int],
        coarse_shape: tuple[int, int],
        wire_prior: float = 0.0,
        centre_prior: float = 0.0,
    ) -> None:
        super().__init__()
        self.cell_channels = cell_channels
        self.global_dim = global_dim
        self.grid_shape = grid_shape
        self.coarse_shape = coarse_shape
        self.factor = coarse_factor(*grid_shape)
        hidden = 16
        self.project = nn.Linear(global_dim, hidden)
        self.cells = nn.Conv2d(cell_channels, hidden, 1)
        self.out = nn.Conv2d(hidden, 1, 1)
        self.raw_weight = nn.Parameter(torch.zeros(len(GRID_KEYS)))
        self.centre_weight = nn.Parameter(torch.tensor(0.0))
        self.register_buffer("centre_distance", _centre_distance(grid_shape))
        self.wire_prior = float(wire_prior)
        self.centre_prior = float(centre_prior)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        rows, cols = self.grid_shape
        h, w = self.coarse_shape
        b = features.shape[0]
        n_coarse = self.cell_channels * h * w
        coarse = features[:, :n_coarse].reshape(b, self.cell_channels, h, w)
        raw = features[:, n_coarse : n_coarse + len(GRID_KEYS) * rows * cols]
        raw = raw.reshape(b, len(GRID_KEYS), rows, cols)
        glob = self.project(features[:, -self.global_dim :])[:, :, None, None]
        logits = self.out(torch.relu(self.cells(coarse) + glob))  # (B, 1, h, w)
        if self.factor > 1:
            logits = logits.repeat_interleave(self.factor, 2).repeat_interleave(self.factor, 3)
            logits = logits[..., :rows, :cols]
        fine = torch.einsum("k,bkhw->bhw", self.raw_weight, raw)
        logits = logits[:, 0] + fine + self.centre_weight * self.centre_distance
        return logits.flatten(1)  # (B, rows * cols)

    def scale(self, factor: float) -> None:
        """Multiplies every logit by ``factor``."""
        with torch.no_grad():
            self.out.weight.mul_(factor)
            self.out.bias.mul_(factor)
            self.raw_weight.mul_(factor)
            self.centre_weight.mul_(factor)

    def reset_small(self) -> None:
        """Zero coarse output and elementwise weights, except the priors: the first policy is
        uniform over the legal cells (plus the priors), like :meth:`CellLogitHead.reset_small`."""
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)
        with torch.no_grad():
            self.raw_weight.zero_()
            self.raw_weight[GRID_KEYS.index("wire_mask")] = -self.wire_prior
            self.centre_weight.fill_(-self.centre_prior)


def finish_build(policy: MaskableActorCriticPolicy, lr_schedule) -> None:
    """The end of a spatial policy's ``_build`` once its ``action_net`` exists: the value
    layer, SB3's orthogonal init, the head's :meth:`reset_small` (the untrained policy is
    exactly its priors) and the optimizer."""
    policy.value_net = nn.Linear(policy.mlp_extractor.latent_dim_vf, 1)
    if policy.ortho_init:
        gains = {policy.features_extractor: np.sqrt(2), policy.mlp_extractor: np.sqrt(2),
                 policy.action_net: np.sqrt(2), policy.value_net: 1.0}  # fmt: skip
        for module, gain in gains.items():
            module.apply(partial(policy.init_weights, gain=gain))
    policy.action_net.reset_small()
    policy.optimizer = policy.optimizer_class(
        policy.parameters(), lr=lr_schedule(1), **policy.optimizer_kwargs
    )


class PlacementPolicy(MaskableActorCriticPolicy):
    """MaskablePPO policy with a spatial (per-cell) action head; see the module docstring.

    Takes MaskableActorCriticPolicy's arguments; ``net_arch`` and ``activation_fn`` are unused
    (the heads are fixed). ``features_extractor_class`` must be a :class:`PlacementExtractor`.
    """

    default_extractor: type[PlacementExtractor] = CnnExtractor

    def __init__(self, observation_space: spaces.Space, action_space: spaces.Space, lr_schedule,
                 **kwargs: Any) -> None:  # fmt: skip
        if not isinstance(observation_space, spaces.Dict):
            raise PolicyError("placement policies need the env's Dict observation")
        _require(observation_space, GRID_KEYS, "placement")
        rows, cols = observation_space["position_mask"].shape
        if not isinstance(action_space, spaces.Discrete) or action_space.n != rows * cols:
            raise PolicyError(
                f"action space must be Discrete({rows * cols}) (one action per grid cell), got "
                f"{action_space}"
            )
        kwargs.setdefault("features_extractor_class", self.default_extractor)
        if not issubclass(kwargs["features_extractor_class"], PlacementExtractor):
            raise PolicyError("features_extractor_class must subclass PlacementExtractor")
        kwargs["share_features_extractor"] = True  # the heads unpack one shared feature tensor
        super().__init__(observation_space, action_space, lr_schedule, **kwargs)

    def _build_mlp_extractor(self) -> None:
        extractor = self.features_extractor
        self.mlp_extractor = _Split(extractor.global_dim, 64)

    def _build(self, lr_schedule) -> None:
        # Replaces SB3's dense action layer (features x cells, which would be huge) by the
        # per-cell head; otherwise the same steps as the parent: heads, init, optimizer.
        self._build_mlp_extractor()
        extractor = self.features_extractor
        if extractor.coarse_shape is not None:
            self.action_net: nn.Module = CoarseLogitHead(
                extractor.cell_channels,
                extractor.global_dim,
                extractor.grid_shape,
                extractor.coarse_shape,
                extractor.wire_prior,
                extractor.centre_prior,
            )
        else:
            self.action_net = CellLogitHead(
                extractor.cell_channels,
                extractor.global_dim,
                extractor.grid_shape,
                extractor.wire_skip,
                extractor.wire_prior,
                extractor.centre_prior,
            )
        finish_build(self, lr_schedule)

    def soften(self, temperature: float) -> None:
        """Divides the policy's logits by ``temperature`` (> 1: closer to uniform over the legal
        cells, same argmax). A long-trained policy is nearly deterministic: fine-tuned on another
        design it would sample little but its own greedy rollout, and PPO would see almost no
        differences between episodes to learn from. The one name of this operation: the
        ``soften`` field of :class:`agents.ppo_training.PPOConfig`, ``train_agent.py --soften``
        and the ``"ppo"`` placer's ``soften=``."""
        if not (np.isfinite(temperature) and temperature > 0):
            raise PolicyError(f"soften: temperature must be finite and positive, got {temperature}")
        self.action_net.scale(1.0 / temperature)

    @property
    def anchor(self) -> PlacementPolicy | None:
        """The frozen policy that :meth:`set_anchor` saved, or ``None``."""
        return self.__dict__.get("_anchor")

    @property
    def entropy_weight(self) -> float:
        """Weight of the entropy beside ``-KL`` in the anchored regulariser (see
        :meth:`set_anchor`); 0 without an anchor."""
        return float(self.__dict__.get("_entropy_weight", 0.0))

    def set_anchor(self, entropy_weight: float = 0.0) -> None:
        """Freezes a copy of the current weights as the *anchor* policy ``pi_0``.

        From then on :meth:`evaluate_actions` returns ``entropy_weight x H(pi) - KL(pi || pi_0)``
        over the legal cells where SB3 expects the entropy, so that PPO's entropy term (SB3's
        ``ent_coef`` slot, set to the anchor weight: see
        :attr:`agents.ppo_training.PPOConfig.regulariser_coef`) pulls the policy towards
        ``pi_0``, plus the plain entropy bonus in proportion ``entropy_weight``. Against a uniform
        ``pi_0`` the KL is the entropy up to a constant; against a greedy prior or a pre-trained
        policy the pull keeps what training started from while the noisy early updates would
        otherwise wash it out. The anchor is not saved with the model (a resumed run anchors to
        the resumed weights).

        Args:
            entropy_weight: ``ent_coef / anchor_coef``, finite and >= 0 (0: the KL alone).
        """
        if not (np.isfinite(entropy_weight) and entropy_weight >= 0):
            raise PolicyError(f"entropy_weight must be finite and >= 0, got {entropy_weight}")
        anchor = copy.deepcopy(self)
        anchor.__dict__.pop("_anchor", None)
        anchor.optimizer = None
        anchor.requires_grad_(False)
        # Kept out of the module tree: not trained, not in the state dict, not in checkpoints.
        self.__dict__["_anchor"] = anchor
        self.__dict__["_entropy_weight"] = float(entropy_weight)

    def evaluate_actions(
        self,
        obs: torch.Tensor,
        actions: torch.Tensor,
        action_masks: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Values, log-probabilities of ``actions`` and the entropy, or
        ``entropy_weight x entropy - KL(pi || pi_0)`` when an anchor is set (see
        :meth:`set_anchor`)."""
        features = self.extract_features(obs)
        latent_pi, latent_vf = self.mlp_extractor(features)
        distribution = self._get_action_dist_from_latent(latent_pi)
        if action_masks is not None:
            distribution.apply_masking(action_masks)
        log_prob = distribution.log_prob(actions)
        values = self.value_net(latent_vf)
        anchor = self.anchor
        if anchor is None:
            return values, log_prob, distribution.entropy()
        with torch.no_grad():
            reference = anchor.get_distribution(obs, action_masks).distribution
        mine = distribution.distribution
        # Masked cells carry a huge negative (finite) logit in both, so they add 0 x finite.
        kl = (mine.probs * (mine.logits - reference.logits)).sum(-1)
        if self.entropy_weight == 0:  # the KL alone (kept exact: no 0 x entropy term)
            return values, log_prob, -kl
        return values, log_prob, self.entropy_weight * distribution.entropy() - kl

    def cell_logits(self, obs: dict[str, torch.Tensor]) -> torch.Tensor:
        """(B, rows * cols) unmasked logits for a batch of tensor observations."""
        features = self.extract_features(obs, self.pi_features_extractor)
        return self.action_net(self.mlp_extractor.forward_actor(features))


class CnnPlacementPolicy(PlacementPolicy):
    """:class:`PlacementPolicy` with :class:`CnnExtractor` (one design size)."""

    default_extractor = CnnExtractor


class GnnPlacementPolicy(PlacementPolicy):
    """:class:`PlacementPolicy` with :class:`GnnExtractor` (any design size; transfer)."""

    default_extractor = GnnExtractor


#: ``--policy`` name -> policy class.
POLICIES: dict[str, type[PlacementPolicy]] = {
    "cnn": CnnPlacementPolicy,
    "gnn": GnnPlacementPolicy,
}


def policy_class(name: str) -> type[PlacementPolicy]:
    """The policy class of a ``--policy`` name."""
    try:
        return POLICIES[name]
    except KeyError:
        raise PolicyError(f"unknown policy {name!r}; choose one of {sorted(POLICIES)}") from None


def transfer_weights(source: nn.Module, target: nn.Module) -> tuple[list[str], list[str]]:
    """Copies every parameter of ``source`` whose name and shape ``target`` shares.

    Used to fine-tune a pre-trained policy on another design: the graph policy transfers
    completely; the CNN policy's macro MLP (sized by the number of macros) may not.

    Returns:
        (copied names, skipped names of ``target``).
    """
    theirs = source.state_dict()
    mine = target.state_dict()
    copied = [k for k, v in mine.items() if k in theirs and theirs[k].shape == v.shape]
    target.load_state_dict({**mine, **{k: theirs[k] for k in copied}})
    return copied, [k for k in mine if k not in copied]
