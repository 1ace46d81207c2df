"""Training-by-sampling (Xu et al. 2019, section 4.3) for a whole batch at once.

Each training row of CTGAN's generator is conditioned on one discrete column and one of
its categories: the column uniformly, the category with probability proportional to
log(1 + frequency) (or to its frequency without `log_frequency`). The discriminator's
real rows must then have that category. The reference implementation picks those rows
one by one in Python; here every lookup is a tensor operation on the device:

- categories of all discrete columns share one index space (the conditional vector);
  a cumulative probability table, shifted by +1 per column, turns "column d, uniform u"
  into a category with one `searchsorted` of d + u;
- the training rows are grouped by category once, in CSR layout (`rows_by_category`
  sorted by category, `category_starts`, `category_counts`), so a row of category c is
  `rows_by_category[category_starts[c] + floor(u * category_counts[c])]`.

Generation uses the categories' true frequencies instead (the paper samples conditions
from the data's own distribution then), or one fixed category for conditional sampling.
"""

from __future__ import annotations

import torch

from synthera.models.neural.layout import OutputLayout


class ConditionalSampler:
    """Conditional vectors and matching training rows, vectorised on the device."""

    def __init__(
        self,
        layout: OutputLayout,
        category_counts: torch.Tensor,
        *,
        log_frequency: bool = True,
        data: torch.Tensor | None = None,
    ) -> None:
        """`category_counts`: rows per category (conditional-vector order). `data`, the
        encoded training rows, is needed only to draw real rows (training)."""
        self.layout = layout
        self.device = layout.device
        self.n_blocks = len(layout.discrete)
        self.n_categories = layout.n_categories
        counts = category_counts.to(device=self.device, dtype=torch.float64)
        self._first = torch.tensor(
            [b.cond_offset for b in layout.discrete], dtype=torch.long, device=self.device
        )
        self._last = self._first + torch.tensor(
            [b.width - 1 for b in layout.discrete], dtype=torch.long, device=self.device
        )
        self._training_table = self._cumulative(torch.log1p(counts) if log_frequency else counts)
        self._original_table = self._cumulative(counts)
        if data is not None:
            self._index_rows(data)

    # ---- conditional vectors ---------------------------------------------------------------

    def _cumulative(self, weights: torch.Tensor) -> torch.Tensor:
        """Per block, the cumulative share of each category, shifted by the block's index,
        so the whole table is non-decreasing and block d spans (d, d + 1]."""
        table = torch.empty_like(weights)
        for index, block in enumerate(self.layout.discrete):  # once per fit, not per step
            part = weights[block.cond_offset : block.cond_offset + block.width]
            total = part.sum()
            shares = part / total if total > 0 else torch.full_like(part, 1.0 / part.numel())
            table[block.cond_offset : block.cond_offset + block.width] = index + shares.cumsum(0)
        return table

    def _draw(self, table: torch.Tensor, n: int, generator: torch.Generator) -> torch.Tensor:
        """n categories (conditional-vector indices): a uniform block, then a category."""
        blocks = torch.randint(self.n_blocks, (n,), device=self.device, generator=generator)
        u = torch.rand(n, device=self.device, generator=generator, dtype=torch.float64)
        picked = torch.searchsorted(table, blocks + u, right=True)
        # Round-off at a block's upper edge could step into the next block.
        first, last = self._first.index_select(0, blocks), self._last.index_select(0, blocks)
        return torch.minimum(torch.maximum(picked, first), last)

    def one_hot(self, categories: torch.Tensor) -> torch.Tensor:
        cond = torch.zeros((categories.shape[0], self.n_categories), device=self.device)
        if self.n_categories:
            cond.scatter_(1, categories[:, None], 1.0)
        return cond

    def training_conditions(
        self, n: int, generator: torch.Generator
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(conditional vectors (n, n_categories), their categories (n,)) for training."""
        if not self.n_blocks:
            empty = torch.zeros(n, dtype=torch.long, device=self.device)
            return self.one_hot(empty), empty
        categories = self._draw(self._training_table, n, generator)
        return self.one_hot(categories), categories

    def generation_conditions(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """Conditional vectors for unconditional generation: true category frequencies."""
        if not self.n_blocks:
            return torch.zeros((n, 0), device=self.device)
        return self.one_hot(self._draw(self._original_table, n, generator))

    def fixed_conditions(self, n: int, category: int) -> torch.Tensor:
        """Every row conditioned on one category (conditional-vector index)."""
        return self.one_hot(torch.full((n,), category, dtype=torch.long, device=self.device))

    # ---- real rows --------------------------------------------------------------------------

    def _index_rows(self, data: torch.Tensor) -> None:
        """Group the training rows by category, for every discrete column (CSR layout)."""
        self.n_rows = data.shape[0]
        if not self.n_blocks:
            return
        keys = [
            group.view(data).argmax(dim=-1) + group.cond_offsets  # (n_rows, count)
            for group in self.layout.discrete_groups
        ]
        category_of = torch.cat(keys, dim=1).reshape(-1)  # every (row, block) pair
        row_of = torch.arange(self.n_rows, device=self.device).repeat_interleave(self.n_blocks)
        order = torch.argsort(category_of, stable=True)
        self.rows_by_category = row_of[order]
        self.category_counts = torch.bincount(category_of, minlength=self.n_categories)
        self.category_starts = torch.cumsum(self.category_counts, 0) - self.category_counts

    def rows_for(self, categories: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """One random training row of each given category (all counts must be > 0)."""
        if not self.n_blocks:
            return self.random_rows(categories.shape[0], generator)
        u = torch.rand(categories.shape[0], device=self.device, generator=generator)
        # (index_select: several times faster on the CPU than indexing with a tensor)
        counts = self.category_counts.index_select(0, categories)
        within = torch.minimum((u * counts).long(), counts - 1)
        starts = self.category_starts.index_select(0, categories)
        return self.rows_by_category.index_select(0, starts + within)

    def random_rows(self, n: int, generator: torch.Generator) -> torch.Tensor:
        return torch.randint(self.n_rows, (n,), device=self.device, generator=generator)
