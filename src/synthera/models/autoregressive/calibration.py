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

CACHED_LOGITS = 50_000_000  # at most this many logit values cached (200 MB of float32)
CHUNK_ROWS = 8_192
SAMPLED_ROWS = 20_000
MAX_ITERATIONS = 20
TOLERANCE = 5e-4  # total variation between mean prediction and frequency


def fit_shift(logits: torch.Tensor, frequency: torch.Tensor) -> torch.Tensor:
    """The shift s of one column's logits (rows × tokens) after which the mean of
    softmax(logits + s) over the rows is `frequency`; tokens of frequency 0 keep s = 0."""
    seen = frequency > 0
    shift = torch.zeros_like(frequency)
    for _ in range(MAX_ITERATIONS):
        mean = torch.softmax(logits + shift, dim=1).mean(0)
        if float((mean - frequency).abs().sum()) / 2 <= TOLERANCE:
            break
        shift[seen] += torch.log(frequency[seen]) - torch.log(mean[seen].clamp_min(1e-30))
    return shift


@torch.no_grad()
def calibrate_output_bias(network: AutoregressiveNetwork, tokens: torch.Tensor) -> None:
    """Shift the output biases until, averaged over `tokens` (training rows in random
    order), each column's predicted distribution matches the rows' token frequencies."""
    network.eval()
    offsets = network.offsets
    rows = tokens[: max(1, min(len(tokens), CACHED_LOGITS // offsets[-1]))]
    logits = torch.cat(
        [network(rows[start : start + CHUNK_ROWS]) for start in range(0, len(rows), CHUNK_ROWS)]
    )
    for j, vocab in enumerate(network.vocab):
        low, high = offsets[j], offsets[j + 1]
        frequency = torch.bincount(rows[:, j], minlength=vocab).to(logits.dtype) / len(rows)
        network.out.bias[low:high] += fit_shift(logits[:, low:high], frequency)


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
