"""The masked network that predicts each column's token from the columns before it.

A MADE-style multilayer perceptron (Germain et al. 2015) over column embeddings: every
hidden unit gets a degree, the connection masks let output block j see only columns
0..j-1, so one forward pass gives every column's conditional distribution at once and
training is plain cross-entropy. A masked skip connection from the embeddings to the
outputs adds a linear path (a logistic regression on the earlier columns).

Speed: the embeddings of all columns come from one table in one lookup, and the
per-column log-softmax runs on groups of columns padded to a common width (powers of
two), so a step costs a handful of kernels whatever the number of columns.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import cast

import numpy as np
import torch
from torch import nn
from torch.nn import functional

from synthera.models.neural.randomness import seeded_dropout


class MaskedLinear(nn.Module):
    """A linear layer whose weight is multiplied by a fixed 0/1 mask."""

    def __init__(self, inputs: int, outputs: int, mask: np.ndarray) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(outputs, inputs))
        self.bias = nn.Parameter(torch.zeros(outputs))
        self.register_buffer("mask", torch.as_tensor(mask, dtype=torch.float32))

    mask: torch.Tensor

    def masked_weight(self) -> torch.Tensor:
        return self.weight * self.mask

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return functional.linear(x, self.masked_weight(), self.bias)


def embedding_dim(vocab: int, largest: int) -> int:
    """Wider embeddings for larger vocabularies (a common rule of thumb, ~1.6·v^0.56)."""
    return max(4, min(largest, round(1.6 * vocab**0.56)))


class AutoregressiveNetwork(nn.Module):
    def __init__(
        self,
        vocab: Sequence[int],
        hidden: Sequence[int],
        max_embedding: int = 32,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.dropout = dropout
        self.vocab = [int(v) for v in vocab]
        d = len(self.vocab)
        dims = [embedding_dim(v, max_embedding) for v in self.vocab]
        width = max(dims)
        token_offsets = np.concatenate([[0], np.cumsum(self.vocab)])
        self.register_buffer("token_offsets", torch.as_tensor(token_offsets[:-1]))
        self.embedding = nn.Embedding(int(token_offsets[-1]), width)
        # Column j uses the first dims[j] features of its rows of the shared table.
        keep = np.concatenate([j * width + np.arange(k) for j, k in enumerate(dims)])
        self._feature_starts = [int(x) for x in np.concatenate([[0], np.cumsum(dims)])]
        self.register_buffer("embedding_keep", torch.as_tensor(keep))
        input_degree = np.repeat(np.arange(d), dims)
        layers = []
        previous = input_degree
        for size in hidden:
            # Degrees 0..d-2 spread evenly: a unit of degree k sees columns 0..k.
            degree = np.arange(size) % max(d - 1, 1)
            layers.append(MaskedLinear(len(previous), size, degree[:, None] >= previous[None, :]))
            previous = degree
        self.hidden = nn.ModuleList(layers)
        output_degree = np.repeat(np.arange(d), self.vocab)
        self.out = MaskedLinear(
            len(previous), len(output_degree), output_degree[:, None] > previous
        )
        self.skip = MaskedLinear(
            len(input_degree), len(output_degree), output_degree[:, None] > input_degree[None, :]
        )
        self.offsets = [int(o) for o in token_offsets]
        self._group_names = []
        for i, index in enumerate(_padded_groups(self.vocab, self.offsets)):
            self.register_buffer(f"group_{i}", index, persistent=False)
            self._group_names.append(f"group_{i}")

    token_offsets: torch.Tensor
    embedding_keep: torch.Tensor

    def initialise(self, generator: torch.Generator, counts: Sequence[np.ndarray]) -> None:
        """Seeded starting weights (the layers' own initialisation draws from the global
        RNG): uniform ±1/√fan-in weights, N(0, 1/width) embeddings, and output biases at
        each column's marginal distribution (see `set_output_prior`)."""
        with torch.no_grad():
            width = self.embedding.weight.shape[1]
            self.embedding.weight.normal_(0.0, 1.0 / math.sqrt(width), generator=generator)
            for layer in [*self.hidden, self.out, self.skip]:
                assert isinstance(layer, MaskedLinear)
                bound = 1.0 / math.sqrt(max(layer.weight.shape[1], 1))
                layer.weight.uniform_(-bound, bound, generator=generator)
                layer.bias.zero_()
        self.set_output_prior(counts)

    def set_output_prior(self, counts: Sequence[np.ndarray]) -> None:
        """Start every output block at its column's marginal distribution: otherwise the
        first column, which only the bias can model, starts far off and learns slowly."""
        with torch.no_grad():
            for j, column_counts in enumerate(counts):
                frequency = column_counts / max(column_counts.sum(), 1)
                prior = torch.as_tensor(np.log(frequency + 1e-6), dtype=torch.float32)
                self.out.bias[self.offsets[j] : self.offsets[j + 1]] = prior

    # ---- training ---------------------------------------------------------------------

    def embed(self, tokens: torch.Tensor) -> torch.Tensor:
        rows = self.embedding(tokens + self.token_offsets)  # (n, d, width)
        return rows.flatten(1).index_select(1, self.embedding_keep)

    def forward(
        self, tokens: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """Logits of every column's token, side by side: (n, Σ vocab). With a generator
        (training), hidden units drop out with probability `dropout`."""
        z = self.embed(tokens)
        h = z
        for layer in self.hidden:
            h = torch.relu(layer(h))
            if generator is not None:
                h = seeded_dropout(h, self.dropout, generator)
        return self.out(h) + self.skip(z)

    def negative_log_likelihood(
        self, tokens: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """Per row, in nats, summed over the columns: (n,)."""
        logits = self.forward(tokens, generator)
        chosen = logits.gather(1, tokens + self.token_offsets).sum(dim=1)
        padded = torch.cat([logits, logits.new_full((logits.shape[0], 1), -math.inf)], dim=1)
        normaliser = logits.new_zeros(logits.shape[0])
        for name in self._group_names:
            group = padded[:, getattr(self, name)]  # (n, columns, width)
            normaliser = normaliser + torch.logsumexp(group, dim=2).sum(dim=1)
        return normaliser - chosen

    # ---- sampling ---------------------------------------------------------------------

    @torch.no_grad()
    def sample(
        self,
        n: int,
        generator: torch.Generator,
        fixed: dict[int, torch.Tensor] | None = None,
        adjust: Callable[[int, torch.Tensor], torch.Tensor] | None = None,
    ) -> torch.Tensor:
        """n rows of tokens, column by column; `fixed` columns keep the given tokens
        (exact only for a prefix of the columns: later ones do not inform earlier).
        `adjust(j, logits)` may change column j's logits before they are drawn from.

        The first layer's pre-activation is linear in the embeddings, so it is updated
        with each new column's embedding instead of recomputed: sampling a wide table
        costs a few training epochs, not one forward pass per column from scratch."""
        device = self.token_offsets.device
        fixed = fixed or {}
        tokens = torch.zeros((n, len(self.vocab)), dtype=torch.long, device=device)
        z = torch.zeros((n, self.embedding_keep.numel()), device=device)
        first, rest = cast(MaskedLinear, self.hidden[0]), self.hidden[1:]
        first_weight = first.masked_weight()
        pre_activation = first.bias.expand(n, -1).clone()
        out_weight = self.out.masked_weight()
        skip_weight = self.skip.masked_weight()
        bias = self.out.bias + self.skip.bias
        for j in range(len(self.vocab)):
            if j > 0:  # bring in the embedding of the column drawn last
                features = slice(self._feature_starts[j - 1], self._feature_starts[j])
                width = features.stop - features.start
                embedded = self.embedding(tokens[:, j - 1] + self.offsets[j - 1])[:, :width]
                z[:, features] = embedded
                pre_activation += embedded @ first_weight[:, features].T
            if j in fixed:
                tokens[:, j] = fixed[j]
                continue
            h = torch.relu(pre_activation)
            for layer in rest:
                h = torch.relu(layer(h))
            low, high = self.offsets[j], self.offsets[j + 1]
            logits = h @ out_weight[low:high].T + z @ skip_weight[low:high].T + bias[low:high]
            if adjust is not None:
                logits = adjust(j, logits)
            tokens[:, j] = torch.multinomial(
                torch.softmax(logits, dim=1), 1, generator=generator
            ).squeeze(1)
        return tokens


def _padded_groups(vocab: Sequence[int], offsets: Sequence[int]) -> list[torch.Tensor]:
    """Columns grouped by their vocabulary rounded up to a power of two; for each group an
    index (columns, width) into the logits, padded with the index of a -inf column."""
    pad = offsets[-1]
    by_width: dict[int, list[int]] = {}
    for j, v in enumerate(vocab):
        by_width.setdefault(1 << max(v - 1, 0).bit_length(), []).append(j)
    groups = []
    for width, columns in sorted(by_width.items()):
        index = np.full((len(columns), width), pad, dtype=np.int64)
        for row, j in enumerate(columns):
            index[row, : vocab[j]] = np.arange(offsets[j], offsets[j + 1])
        groups.append(torch.as_tensor(index))
    return groups
