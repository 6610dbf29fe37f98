"""A MaskablePPO policy for :class:`placement_env.refine_env.MacroRefineEnv` (``MacroRefine-v0``).

The refine env's action space is ``Discrete(cells + n)``: the first ``cells`` actions move the
chosen macro to a grid cell, the last ``n`` pick a macro (select phase) or swap with one (place
phase; the chosen macro itself is "stay"). The policy scores all of them in one vector:

* **cells** -- the coarse head of the placement policies
  (:class:`agents.policies.CoarseLogitHead`): logits on a 16 x 16 map from the grid encoder and the
  global vector, upsampled, plus learnable weights on the full-resolution position mask, wire
  mask and density, and on the distance from the canvas centre;
* **macros** -- an MLP of each macro's embedding (its features after one round of message passing
  over the macro graph) and the global vector, plus a learnable weight on the macro's share of
  the wirelength (a select prior: move the macros whose nets are longest) and a learnable bias
  for swaps and "stay" in the place phase.

The untrained policy is exactly its priors: in the select phase it picks a macro with
probability rising with its wirelength share (``select_prior``), in the place phase it moves
the macro to a cell of low wirelength (``wire_prior`` on the normalised wire mask) and swaps or
stays rarely (``swap_prior``). PPO then trains every weight, priors included.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from gymnasium import spaces
from sb3_contrib.common.maskable.policies import MaskableActorCriticPolicy
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor
from torch import nn

from agents.policies import (
    GRID_KEYS,
    CoarseGridEncoder,
    CoarseLogitHead,
    PolicyError,
    _edge_lists,
    _pass_messages,
    _rounds,
    _Split,
    coarse_factor,
    finish_build,
)
from placement_env.refine_env import REFINE_FEATURES

#: Keys of the refine env's observation that the policy reads.
REFINE_KEYS = (*GRID_KEYS, "macro_features", "graph_edges", "graph_edge_weights",
               "graph_edge_mask", "progress")  # fmt: skip
#: Columns of the refine env's ``macro_features`` the policy reads.
CHOSEN_COLUMN = REFINE_FEATURES.index("chosen")
WIRELENGTH_COLUMN = REFINE_FEATURES.index("wirelength")
PHASE_INDEX = 0  # of ``progress``


class RefineExtractor(BaseFeaturesExtractor):
    """Grid and macro encoders; output ``[coarse cells, raw grid, macro embeddings, global]``
    flattened (the layout the heads unpack).

    Args:
        observation_space: The refine env's Dict space.
        channels: Channels of the coarse grid encoder.
        hidden: Width of the macro embeddings and of the global vector.
        wire_prior, select_prior, swap_prior, centre_prior: Starting weights of the priors (see
            the module docstring); all finite and >= 0.
    """

    def __init__(
        self,
        observation_space: spaces.Dict,
        channels: int = 16,
        hidden: int = 32,
        wire_prior: float = 0.0,
        select_prior: float = 0.0,
        swap_prior: float = 0.0,
        centre_prior: float = 0.0,
    ) -> None:
        missing = [k for k in REFINE_KEYS if k not in observation_space.spaces]
        if missing:
            raise PolicyError(
                f"the refine policy needs observation keys {missing} (MacroRefine-v0)"
            )
        priors = {"wire": wire_prior, "select": select_prior, "swap": swap_prior,
                  "centre": centre_prior}  # fmt: skip
        for name, value in priors.items():
            if not (np.isfinite(value) and value >= 0):
                raise PolicyError(f"{name}_prior must be finite and >= 0, got {value!r}")
        rows, cols = observation_space["position_mask"].shape
        n, width = observation_space["macro_features"].shape
        factor = coarse_factor(rows, cols)
        encoder = CoarseGridEncoder(channels)
        self.grid_shape = (int(rows), int(cols))
        self.coarse_shape = (-(-rows // factor), -(-cols // factor))
        self.num_macros = int(n)
        self.cell_channels = encoder.out_channels
        self.global_dim = hidden
        self.macro_dim = hidden
        self.priors = {name: float(value) for name, value in priors.items()}
        size = encoder.out_channels * int(np.prod(self.coarse_shape))
        size += len(GRID_KEYS) * rows * cols + n * hidden + n + 1 + hidden
        super().__init__(observation_space, size)
        self.grid_encoder = encoder
        self.embed = nn.Sequential(nn.Linear(width, hidden), nn.ReLU())
        self.rounds, self.norms = _rounds(hidden, 1)
        progress = observation_space["progress"].shape[0]
        self.mix = nn.Sequential(
            nn.Linear(encoder.pooled_dim + 2 * hidden + progress, hidden), nn.ReLU()
        )

    def forward(self, obs: dict[str, torch.Tensor]) -> torch.Tensor:
        grid = torch.stack([obs[k] for k in GRID_KEYS], dim=1)
        cells, pooled = self.grid_encoder(grid)
        feats = obs["macro_features"]  # (B, n, F)
        b, n, _ = feats.shape
        ones = torch.ones(b, n, device=feats.device)
        edges = _edge_lists(obs, n)
        h = _pass_messages(self.embed(feats), edges, ones, self.rounds, self.norms)
        chosen = feats[..., CHOSEN_COLUMN]  # one-hot in the place phase, zeros in select
        now = torch.einsum("bn,bnh->bh", chosen, h)
        glob = self.mix(torch.cat([pooled, h.mean(dim=1), now, obs["progress"]], dim=-1))
        # The wirelength shares and the phase ride along for the macro head's prior terms.
        shares = feats[..., WIRELENGTH_COLUMN]
        phase = obs["progress"][:, PHASE_INDEX : PHASE_INDEX + 1]
        parts = [cells.flatten(1), grid.flatten(1), h.flatten(1), shares, phase, glob]
        return torch.cat(parts, dim=1)


class RefineHead(nn.Module):
    """``(B, cells + n)`` logits from :class:`RefineExtractor`'s features (module docstring)."""

    def __init__(self, extractor: RefineExtractor) -> None:
        super().__init__()
        rows, cols = extractor.grid_shape
        priors = extractor.priors
        self.cells = CoarseLogitHead(
            extractor.cell_channels,
            extractor.global_dim,
            extractor.grid_shape,
            extractor.coarse_shape,
            priors["wire"],
            priors["centre"],
        )
        self.n = extractor.num_macros
        self.macro_dim = extractor.macro_dim
        self.global_dim = extractor.global_dim
        self.cell_size = (
            extractor.cell_channels * int(np.prod(extractor.coarse_shape))
            + len(GRID_KEYS) * rows * cols
        )
        self.macro = nn.Sequential(
            nn.Linear(self.macro_dim + self.global_dim, 16), nn.ReLU(), nn.Linear(16, 1)
        )
        self.select_weight = nn.Parameter(torch.tensor(priors["select"]))
        self.swap_bias = nn.Parameter(torch.tensor(-priors["swap"]))
        self.select_prior = priors["select"]
        self.swap_prior = priors["swap"]

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        b = features.shape[0]
        glob = features[:, -self.global_dim :]
        cell_logits = self.cells(torch.cat([features[:, : self.cell_size], glob], dim=1))
        start = self.cell_size
        h = features[:, start : start + self.n * self.macro_dim].reshape(b, self.n, -1)
        shares = features[:, start + self.n * self.macro_dim : -self.global_dim - 1]  # (B, n)
        placing = features[:, -self.global_dim - 1 : -self.global_dim]  # (B, 1): 1 in place
        pair = torch.cat([h, glob[:, None, :].expand(-1, self.n, -1)], dim=-1)
        # Select phase: the wirelength prior; place phase: the swap / stay bias.
        prior = (1 - placing) * self.select_weight * shares + placing * self.swap_bias
        macro_logits = self.macro(pair)[..., 0] + prior
        return torch.cat([cell_logits, macro_logits], dim=1)

    def reset_small(self) -> None:
        """Zero output layers: the untrained policy is exactly its priors."""
        self.cells.reset_small()
        nn.init.zeros_(self.macro[-1].weight)
        nn.init.zeros_(self.macro[-1].bias)
        with torch.no_grad():
            self.select_weight.fill_(self.select_prior)
            self.swap_bias.fill_(-self.swap_prior)


class RefinePolicy(MaskableActorCriticPolicy):
    """MaskablePPO policy for ``MacroRefine-v0``; takes MaskableActorCriticPolicy's arguments
    (``net_arch`` and ``activation_fn`` unused). Extractor options go in
    ``features_extractor_kwargs`` (:class:`RefineExtractor`)."""

    def __init__(self, observation_space: spaces.Space, action_space: spaces.Space, lr_schedule,
                 **kwargs: Any) -> None:  # fmt: skip
        if not isinstance(observation_space, spaces.Dict):
            raise PolicyError("the refine policy needs MacroRefine-v0's Dict observation")
        rows, cols = observation_space["position_mask"].shape
        n = observation_space["macro_features"].shape[0]
        if not isinstance(action_space, spaces.Discrete) or action_space.n != rows * cols + n:
            raise PolicyError(
                f"action space must be Discrete({rows * cols + n}) (cells + macros), got "
                f"{action_space}"
            )
        kwargs["features_extractor_class"] = RefineExtractor
        kwargs["share_features_extractor"] = True
        super().__init__(observation_space, action_space, lr_schedule, **kwargs)

    def _build_mlp_extractor(self) -> None:
        self.mlp_extractor = _Split(self.features_extractor.global_dim, 64)

    def _build(self, lr_schedule) -> None:
        self._build_mlp_extractor()
        self.action_net: nn.Module = RefineHead(self.features_extractor)
        finish_build(self, lr_schedule)

    def action_logits(self, obs: dict[str, torch.Tensor]) -> torch.Tensor:
        """(B, cells + n) unmasked logits for a batch of tensor observations."""
        features = self.extract_features(obs, self.pi_features_extractor)
        return self.action_net(features)
