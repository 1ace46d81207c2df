"""The encoder's output spans, rearranged so that every per-span operation is a slice.

A TableEncoder in "mode_specific" style emits, per source column, a run of spans: "tanh"
scalars (the alpha of a numeric value) and "softmax" blocks (its mixture mode, a
category, a missing-value flag). Looping over spans in Python costs a few kernel
launches per span and step, and gathering scattered columns costs copies forward and
scatters backward. So the networks work in a *model order* of the same columns: first
every tanh scalar, then the softmax blocks grouped by width (within a group, the
discrete blocks first). A group of k blocks of width w is then one contiguous slice,
viewed as (n, k, w): every activation, loss and count below is a handful of tensor
operations however many columns the table has. Rows go back to the encoder's order
only to be decoded (`to_encoder_order`).

Discrete blocks (role "category") are the categorical and boolean columns: the ones
CTGAN's conditional vector covers (the paper's "discrete columns"). The conditional
vector keeps the encoder's column order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch.nn import functional

from synthera.errors import ParameterError
from synthera.models.neural.randomness import gumbel_noise
from synthera.transforms.base import Span


@dataclass(frozen=True)
class BlockGroup:
    """`count` softmax blocks of the same `width`, side by side from model column `start`."""

    width: int
    count: int
    start: int
    cond_offsets: torch.Tensor  # (count,) discrete groups: each block's conditional offset

    @property
    def stop(self) -> int:
        return self.start + self.width * self.count

    def view(self, rows: torch.Tensor) -> torch.Tensor:
        """The group's blocks of `rows` (model order) as an (n, count, width) view."""
        return rows[:, self.start : self.stop].reshape(rows.shape[0], self.count, self.width)


@dataclass(frozen=True)
class DiscreteBlock:
    column: str  # the source column's name
    start: int  # first model-order column of the block
    width: int  # number of categories
    cond_offset: int  # first index of the block in the conditional vector


class OutputLayout:
    """Model order and per-group slices for one encoder's spans, on one device."""

    def __init__(self, spans: list[Span], device: torch.device) -> None:
        self.width = sum(span.width for span in spans)
        self.device = device
        tanh: list[int] = []
        blocks: list[tuple[int, int, str | None]] = []  # (encoder start, width, discrete column)
        start = 0
        for span in spans:
            if span.activation == "tanh":
                tanh.extend(range(start, start + span.width))
            elif span.activation == "softmax":
                blocks.append((start, span.width, span.column if span.role == "category" else None))
            else:
                raise ParameterError(
                    f"column {span.column!r}: {span.activation!r} outputs are not supported "
                    "by the neural models (they need a mode-specific encoding)"
                )
            start += span.width
        # Conditional-vector offsets follow the encoder's order of the discrete blocks.
        cond_offset: dict[int, int] = {}  # encoder start of a discrete block -> offset
        self.n_categories = 0
        for encoder_start, width, column in blocks:
            if column is not None:
                cond_offset[encoder_start] = self.n_categories
                self.n_categories += width

        order = list(tanh)
        self.tanh = slice(0, len(tanh))
        self.softmax_groups: list[BlockGroup] = []
        self.discrete_groups: list[BlockGroup] = []
        discrete: list[DiscreteBlock] = []
        for width in sorted({w for _, w, _ in blocks}):
            members = [b for b in blocks if b[1] == width]
            members.sort(key=lambda b: b[2] is None)  # discrete blocks first (stable)
            group_start = len(order)
            offsets = []
            for encoder_start, _, column in members:
                if column is not None:
                    offsets.append(cond_offset[encoder_start])
                    discrete.append(
                        DiscreteBlock(column, len(order), width, cond_offset[encoder_start])
                    )
                order.extend(range(encoder_start, encoder_start + width))
            self.softmax_groups.append(BlockGroup(width, len(members), group_start, self._long([])))
            if offsets:
                self.discrete_groups.append(
                    BlockGroup(width, len(offsets), group_start, self._long(offsets))
                )
        # `discrete` lists the blocks in model order; `by_cond` maps a conditional-vector
        # block (encoder order) to its entry.
        self.discrete = sorted(discrete, key=lambda b: b.cond_offset)
        rank_of_offset = {b.cond_offset: i for i, b in enumerate(discrete)}
        self.order = np.asarray(order, dtype=np.int64)
        self._to_encoder_order = torch.as_tensor(np.argsort(self.order), device=device)
        # For each category of the conditional vector: its block (index in `discrete`),
        # its model column, and where its block's normaliser sits in `_normalizers`.
        self.category_block = self._long(
            [i for i, b in enumerate(self.discrete) for _ in range(b.width)]
        )
        self.category_column = self._long(
            [b.start + j for b in self.discrete for j in range(b.width)]
        )
        self._category_normalizer = self._long(
            [rank_of_offset[b.cond_offset] for b in self.discrete for _ in range(b.width)]
        )

    def _long(self, values: list[int]) -> torch.Tensor:
        return torch.tensor(values, dtype=torch.long, device=self.device)

    # ---- orders --------------------------------------------------------------------------

    def to_model_order(self, encoded: np.ndarray) -> np.ndarray:
        """Encoder output (n, width) → the networks' column order (a copy)."""
        return encoded[:, self.order]

    def to_encoder_order(self, rows: torch.Tensor) -> torch.Tensor:
        """Model-order rows → the encoder's column order, ready to decode."""
        return rows[:, self._to_encoder_order]

    # ---- generator outputs -----------------------------------------------------------

    def activate(
        self, logits: torch.Tensor, tau: float, generator: torch.Generator
    ) -> torch.Tensor:
        """tanh on scalars, Gumbel-softmax (temperature `tau`) on every softmax block."""
        n = logits.shape[0]
        pieces = [torch.tanh(logits[:, self.tanh])]
        for group in self.softmax_groups:
            block = group.view(logits)
            noisy = (block + gumbel_noise(block.shape, block, generator)) / tau
            pieces.append(softmax(noisy).reshape(n, -1))
        return torch.cat(pieces, dim=1)

    def conditional_cross_entropy(
        self, logits: torch.Tensor, categories: torch.Tensor
    ) -> torch.Tensor:
        """Mean cross-entropy of each row's conditioned block against its category (the
        CTGAN paper's conditional loss: one conditioned discrete column per row)."""
        if not self.discrete:
            return logits.new_zeros(())
        normalizers = torch.cat(
            [torch.logsumexp(g.view(logits), dim=-1) for g in self.discrete_groups], dim=1
        )
        rows = torch.arange(logits.shape[0], device=logits.device)
        chosen = logits[rows, self.category_column[categories]]
        return (normalizers[rows, self._category_normalizer[categories]] - chosen).mean()

    def softmax_cross_entropy_sum(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Summed cross-entropy of every softmax block of `logits` against the argmax of
        the same block in the one-hot `target` (TVAE's reconstruction of discrete parts)."""
        total = logits.new_zeros(())
        for group in self.softmax_groups:
            predicted = group.view(logits).reshape(-1, group.width)
            wanted = group.view(target).argmax(dim=-1).reshape(-1)
            total = total + functional.cross_entropy(predicted, wanted, reduction="sum")
        return total

    # ---- counting ----------------------------------------------------------------------

    def discrete_counts(self, rows: torch.Tensor) -> torch.Tensor:
        """(n_categories,): how many of `rows` pick each category (argmax per block)."""
        counts = torch.zeros(self.n_categories, dtype=torch.long, device=rows.device)
        for group in self.discrete_groups:
            picked = group.view(rows).argmax(dim=-1) + group.cond_offsets
            counts += torch.bincount(picked.reshape(-1), minlength=self.n_categories)
        return counts

    def softmax_frequencies(self, rows: torch.Tensor) -> list[torch.Tensor]:
        """Per softmax group, (count, width): the share of rows whose argmax is each entry."""
        shares = []
        for group in self.softmax_groups:
            picked = group.view(rows).argmax(dim=-1)  # (n, count)
            flat = picked + torch.arange(group.count, device=rows.device) * group.width
            counts = torch.bincount(flat.reshape(-1), minlength=group.count * group.width)
            shares.append(
                counts.reshape(group.count, group.width).to(torch.float64) / max(len(rows), 1)
            )
        return shares


def softmax(x: torch.Tensor) -> torch.Tensor:
    """Softmax over the last dimension, written out: on the CPU, torch.softmax is several
    times slower for the narrow blocks (2 to 10 entries) that tables are full of."""
    shifted = (x - x.amax(dim=-1, keepdim=True)).exp()
    return shifted / shifted.sum(dim=-1, keepdim=True)
