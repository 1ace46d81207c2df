"""Output biases that start every one-hot block at its column's frequencies.

A decoder whose last layer's biases are the log-shares of each softmax block generates
the right marginals from its first step: training then only has to learn how the
columns depend on each other. Adam moves a bias by about its learning rate a step, so a
logit that starts near 0 needs thousands of steps to reach log(0.05): under DP-SGD,
with a few hundred noisy steps, the biases are all that keeps the marginals (TVAE on
census at ε = 1, see `models.tvae`).

Where the shares come from:

- a non-private fit reads them off the encoded training rows (each one-hot entry's
  share of the rows, every block included);
- a private fit reads them off the DP release (through the encoder built from it,
  `privacy.encoding`), so they cost no budget: each category's noisy count, each
  numeric mode's released mass, and each numeric column's missing flag at its noisy
  missing count's share of the rows. A release that flags missing values without
  counting them (`missing_count` None) starts the flag at the share of its flagging bar
  (~4σ): the fewest missing values it would likely have flagged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import torch
from scipy.stats import norm

from synthera.models.neural.layout import OutputLayout
from synthera.transforms import OneHotCategorical, TableEncoder
from synthera.transforms.numeric import ModeSpecificNumeric

if TYPE_CHECKING:
    from synthera.privacy.preprocessing import PrivateSummaries

MIN_SHARE = 1e-4  # a level with no (released) mass still starts reachable


def log_shares(weights: np.ndarray) -> np.ndarray:
    """log of each entry's share of the total (uniform when the total is 0)."""
    weights = np.maximum(np.asarray(weights, dtype=np.float64), 0.0)
    total = weights.sum()
    shares = weights / total if total > 0 else np.full(weights.size, 1.0 / max(weights.size, 1))
    return np.log(np.maximum(shares, MIN_SHARE))


def observed_log_shares(layout: OutputLayout, data: torch.Tensor) -> torch.Tensor:
    """(layout.width,) in model order: the log-share of the rows of `data` (encoded,
    model order) that pick each softmax entry; 0 for the scalars."""
    shares = torch.zeros(layout.width, device=data.device)
    if data.shape[0]:
        picked = data[:, layout.tanh.stop :].mean(dim=0, dtype=torch.float32)
        shares[layout.tanh.stop :] = picked.clamp_min(MIN_SHARE).log()
    return shares


def flagged_missing_share(sigma: float, n_rows: int) -> float:
    """The share of `n_rows` that the release's bar for flagging missing values stands
    for (`privacy.preprocessing`: a noisy count above the bar that an empty grid bin
    clears with probability BOUNDS_FALSE_BIN_RATE per column)."""
    from synthera.privacy.preprocessing import BOUNDS_FALSE_BIN_RATE, N_GRID_BINS

    bar = sigma * float(norm.isf(BOUNDS_FALSE_BIN_RATE / N_GRID_BINS))
    return float(np.clip(bar / max(n_rows, 1), MIN_SHARE, 0.5))


def released_missing_shares(release: PrivateSummaries, n_rows: int) -> dict[str, float]:
    """The released share of missing values of each numeric column that has a missing
    flag (the encoder keeps the flag, not the count)."""
    from synthera.privacy.preprocessing import NumericSummary

    shares = {}
    for name, summary in release.columns.items():
        if isinstance(summary, NumericSummary) and summary.has_missing:
            count = summary.missing_count
            shares[name] = (
                flagged_missing_share(release.sigma, n_rows)
                if count is None
                else float(np.clip(count / max(n_rows, 1), MIN_SHARE, 1.0 - MIN_SHARE))
            )
    return shares


def released_log_shares(
    encoder: TableEncoder, layout: OutputLayout, missing_shares: Mapping[str, float]
) -> torch.Tensor:
    """(layout.width,) in model order: each softmax entry's log-share from the encoder's
    state alone (no rows) and, for numeric columns' missing flags, `missing_shares`
    (uniform for a column not listed); 0 for the scalars."""
    pieces = []
    for column in encoder.encoders.values():
        if isinstance(column, OneHotCategorical):
            pieces.append(log_shares(column.codec.counts))
        elif isinstance(column, ModeSpecificNumeric):
            pieces += [np.zeros(1), log_shares(column.mixture.weights)]
            if column.has_missing:  # [present, missing]
                missing = missing_shares.get(column.name, 0.5)
                pieces.append(log_shares(np.array([1.0 - missing, missing])))
        else:
            pieces.append(np.zeros(column.width))
    shares = np.concatenate(pieces) if pieces else np.zeros(0)
    if shares.size != layout.width:  # the layout is built from the same encoder's spans
        raise ValueError(f"priors cover {shares.size} outputs, the layout has {layout.width}")
    return torch.as_tensor(shares[layout.order], dtype=torch.float32, device=layout.device)


def start_at_shares(
    last_layer: torch.nn.Linear, layout: OutputLayout, shares: torch.Tensor
) -> None:
    """Set the softmax blocks' biases of `last_layer` (outputs in model order) to
    `shares` (log-shares, model order); the scalars' biases are left as they are."""
    with torch.no_grad():
        last_layer.bias[layout.tanh.stop :] = shares[layout.tanh.stop :].to(last_layer.bias)
