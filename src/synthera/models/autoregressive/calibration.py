"""Finish fitting the output biases, so each column's marginal comes out right.

At the optimum of the cross-entropy, the gradient of an output bias is the gap between
the model's mean predicted probability of that token and the token's frequency, so a
converged network reproduces every column's distribution on its training rows. Adam with
early stopping ends near, not at, that optimum: on census the mean prediction for `sex`
was 3.3 points off with the real rows as inputs, and the sampled marginals inherit the
error. With everything else fixed, the biases alone are a convex problem; a few
proportional-fitting steps on cached logits (b += log frequency − log mean prediction)
solve it in a second.

A private fit may not read the rows again, so it calibrates on its own samples instead,
towards the released counts (post-processing, free of budget): column by column, the
bias is fitted on the logits of rows whose earlier columns were drawn from the model.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from synthera.models.autoregressive.network import AutoregressiveNetwork

CALIBRATION_ROWS = 30_000  # training rows whose mean prediction is matched
CACHED_LOGITS = 50_000_000  # their logits are cached when this many values (200 MB) suffice
CHUNK_ROWS = 8_192
SAMPLED_ROWS = 20_000
MAX_ITERATIONS = 20
TOLERANCE = 5e-4  # total variation between mean prediction and frequency


def _step(mean: torch.Tensor, frequency: torch.Tensor) -> torch.Tensor:
    """One proportional-fitting step; tokens of frequency 0 keep their bias."""
    seen = frequency > 0
    step = torch.zeros_like(frequency)
    step[seen] = torch.log(frequency[seen]) - torch.log(mean[seen].clamp_min(1e-30))
    return step


def _gap(mean: torch.Tensor, frequency: torch.Tensor) -> float:
    return float((mean - frequency).abs().sum()) / 2


def fit_shift(logits: torch.Tensor, frequency: torch.Tensor) -> torch.Tensor:
    """The shift s of one column's logits (rows × tokens) after which the mean of
    softmax(logits + s) over the rows is `frequency`."""
    shift = torch.zeros_like(frequency)
    for _ in range(MAX_ITERATIONS):
        mean = torch.softmax(logits + shift, dim=1).mean(0)
        if _gap(mean, frequency) <= TOLERANCE:
            break
        shift += _step(mean, frequency)
    return shift


def _mean_prediction(network: AutoregressiveNetwork, rows: torch.Tensor) -> torch.Tensor:
    """Each column's predicted distribution averaged over `rows`, side by side."""
    total = torch.zeros(network.offsets[-1], device=rows.device)
    for start in range(0, len(rows), CHUNK_ROWS):
        logits = network(rows[start : start + CHUNK_ROWS])
        for j in range(len(network.vocab)):
            low, high = network.offsets[j], network.offsets[j + 1]
            total[low:high] += torch.softmax(logits[:, low:high], dim=1).sum(0)
    return total / len(rows)


@torch.no_grad()
def calibrate_output_bias(network: AutoregressiveNetwork, tokens: torch.Tensor) -> None:
    """Shift the output biases until each column's predicted distribution, averaged over
    the training rows `tokens` (in random order; at most CALIBRATION_ROWS of them), equals
    the column's token frequencies in all of `tokens`."""
    network.eval()
    offsets = network.offsets
    blocks = [(offsets[j], offsets[j + 1]) for j in range(len(network.vocab))]
    frequency = torch.cat(
        [
            torch.bincount(tokens[:, j], minlength=high - low).float() / len(tokens)
            for j, (low, high) in enumerate(blocks)
        ]
    )
    rows = tokens[:CALIBRATION_ROWS]
    if len(rows) * offsets[-1] <= CACHED_LOGITS:  # columns apart, on cached logits
        logits = torch.cat(
            [network(rows[start : start + CHUNK_ROWS]) for start in range(0, len(rows), CHUNK_ROWS)]
        )
        for low, high in blocks:
            network.out.bias[low:high] += fit_shift(logits[:, low:high], frequency[low:high])
        return
    for _ in range(MAX_ITERATIONS):  # too wide to cache: a forward pass per step
        mean = _mean_prediction(network, rows)
        if max(_gap(mean[low:high], frequency[low:high]) for low, high in blocks) <= TOLERANCE:
            break
        network.out.bias.add_(_step(mean, frequency))


@torch.no_grad()
def calibrate_to_counts(
    network: AutoregressiveNetwork,
    counts: Sequence[torch.Tensor],
    generator: torch.Generator,
    rows: int = SAMPLED_ROWS,
) -> None:
    """Shift the output biases so that rows drawn from the network have, column by
    column, the distribution of `counts` (one tensor per network position)."""
    network.eval()
    shifts: dict[int, torch.Tensor] = {}

    def adjust(j: int, logits: torch.Tensor) -> torch.Tensor:
        frequency = counts[j].to(logits).clamp_min(0)
        shifts[j] = fit_shift(logits, frequency / frequency.sum().clamp_min(1e-12))
        return logits + shifts[j]

    network.sample(rows, generator, adjust=adjust)
    for j, shift in shifts.items():
        network.out.bias[network.offsets[j] : network.offsets[j + 1]] += shift
