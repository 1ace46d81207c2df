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
from typing import Any

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
        # `discrete`: the discrete blocks in conditional-vector (encoder) order.
        self.discrete = sorted(discrete, key=lambda b: b.cond_offset)
        self.order = np.asarray(order, dtype=np.int64)
        self._to_encoder_order = torch.as_tensor(np.argsort(self.order), device=device)
        # For each category of the conditional vector: its block (index in `discrete`)
        # and its model column.
        self.category_block = self._long(
            [i for i, b in enumerate(self.discrete) for _ in range(b.width)]
        )
        self.category_column = self._long(
            [b.start + j for b in self.discrete for j in range(b.width)]
        )
        self._index_blocks()

    def _index_blocks(self) -> None:
        """Tables for softmax over every block at once (`block_softmax`). The softmax
        columns follow the tanh scalars, block after block. A 0/1 matrix sums block b's
        columns into entry b (and its transpose spreads an entry back over its block's
        columns); for the per-block maximum each block is padded to the widest one by
        repeating its first column, which does not change its maximum."""
        self.softmax_columns = slice(self.tanh.stop, self.width)
        widths = [g.width for g in self.softmax_groups for _ in range(g.count)]
        n_columns, n_blocks = sum(widths), len(widths)
        first = np.cumsum([0, *widths[:-1]]).astype(np.int64)
        sums = np.zeros((n_columns, n_blocks), dtype=np.float32)
        padded = np.zeros((n_blocks, max(widths, default=0)), dtype=np.int64)
        for b, width in enumerate(widths):
            sums[first[b] : first[b] + width, b] = 1.0
            padded[b] = first[b]
            padded[b, :width] += np.arange(width)
        self._block_sums = torch.as_tensor(sums, device=self.device)
        self._block_spread = self._block_sums.T.contiguous()
        self._padded_blocks = torch.as_tensor(padded.reshape(-1), device=self.device)
        self._widest_block = padded.shape[1]
        # Each category's block among all softmax blocks.
        block_at = {int(first[b]) + self.tanh.stop: b for b in range(n_blocks)}
        self._category_softmax_block = self._long(
            [block_at[b.start] for b in self.discrete for _ in range(b.width)]
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
        blocks = logits[:, self.softmax_columns]
        noisy = (blocks + gumbel_noise(blocks.shape, blocks, generator)).div_(tau)
        return torch.cat([torch.tanh(logits[:, self.tanh]), self.block_softmax(noisy)], dim=1)

    def block_softmax(self, x: torch.Tensor) -> torch.Tensor:
        """Softmax within each block of the softmax columns `x` (n, columns), for all
        blocks in a few tensor operations: a loop over blocks or width groups costs more
        in kernel launches (forward and backward) than the arithmetic does. Gathers and
        sums go through `gather` and small matrix products, which are much faster on the
        CPU than indexing with an index tensor; the backward is written out too."""
        return _BlockSoftmax.apply(x, self)

    def _shifted_exp(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(each row's maximum per block (n, blocks), exp(x minus its block's maximum)).
        The shift only keeps exp finite; softmax does not depend on it, so it is a
        constant for autograd."""
        with torch.no_grad():
            index = self._padded_blocks.expand(x.shape[0], -1)
            padded = torch.gather(x, 1, index).reshape(x.shape[0], -1, self._widest_block)
            shift = padded.amax(dim=-1)
            spread = shift @ self._block_spread
        return shift, torch.exp(x - spread)

    def conditional_cross_entropy(
        self, logits: torch.Tensor, categories: torch.Tensor
    ) -> torch.Tensor:
        """Mean cross-entropy of each row's conditioned block against its category (the
        CTGAN paper's conditional loss: one conditioned discrete column per row)."""
        if not self.discrete:
            return logits.new_zeros(())
        shift, exp = self._shifted_exp(logits[:, self.softmax_columns])
        log_normalizers = torch.log(exp @ self._block_sums) + shift  # logsumexp per block
        column = self.category_column.index_select(0, categories)[:, None]
        block = self._category_softmax_block.index_select(0, categories)[:, None]
        chosen = torch.gather(logits, 1, column)
        return (torch.gather(log_normalizers, 1, block) - chosen).mean()

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


class _BlockSoftmax(torch.autograd.Function):
    """`OutputLayout.block_softmax` with its backward written out: for y = softmax(x)
    within each block, dL/dx = y * (g - (sum over the block of g * y)), g = dL/dy."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, layout: OutputLayout) -> torch.Tensor:
        _, exp = layout._shifted_exp(x)
        y = exp / ((exp @ layout._block_sums) @ layout._block_spread)
        ctx.save_for_backward(y)
        ctx.layout = layout
        return y

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        (y,) = ctx.saved_tensors
        layout: OutputLayout = ctx.layout
        weighted = grad * y
        block_totals = (weighted @ layout._block_sums) @ layout._block_spread
        return weighted - y * block_totals, None
