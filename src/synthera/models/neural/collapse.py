"""Mode-collapse check: categories of the real data that the generator never produces.

After fitting, a model generates a sample (10,000 rows by default) and counts, for each
categorical or boolean column, how often each category comes out. A category is flagged
when its real share would give at least MIN_EXPECTED rows in that sample but none was
generated: for a faithful generator that happens with probability below 1 %, so a flag
points at mode collapse rather than bad luck. Rarer categories cannot be judged from one
sample and are not flagged.
"""

from __future__ import annotations

import numpy as np

from synthera.models.neural.layout import OutputLayout
from synthera.transforms import OneHotCategorical, TableEncoder

MIN_EXPECTED = 5.0
SHOWN = 5  # category labels quoted per warning


def collapse_warnings(
    encoder: TableEncoder,
    layout: OutputLayout,
    real_counts: np.ndarray,
    generated_counts: np.ndarray,
) -> list[str]:
    """One line per column with categories that should appear but never do."""
    warnings = []
    for block in layout.discrete:
        part = slice(block.cond_offset, block.cond_offset + block.width)
        real, generated = real_counts[part], generated_counts[part]
        n_generated = int(generated.sum())
        expected = n_generated * real / max(int(real.sum()), 1)
        missing = np.flatnonzero((expected >= MIN_EXPECTED) & (generated == 0))
        if missing.size == 0:
            continue
        column_encoder = encoder.encoders[block.column]
        if isinstance(column_encoder, OneHotCategorical):
            labels = column_encoder.codec.decode(missing[:SHOWN]).tolist()
        else:  # pragma: no cover - discrete blocks always come from OneHotCategorical
            labels = missing[:SHOWN].tolist()
        shown = ", ".join(repr(label) for label in labels)
        more = ", ..." if missing.size > SHOWN else ""
        warnings.append(
            f"possible mode collapse in column {block.column!r}: {missing.size} of "
            f"{int((real > 0).sum())} categories never generated in {n_generated:,} rows "
            f"({shown}{more})"
        )
    return warnings
