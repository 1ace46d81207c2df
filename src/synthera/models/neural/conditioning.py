"""Native conditions: which conditional-vector entry stands for `column = value`."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from synthera.models.conditions import condition_key
from synthera.models.neural.layout import OutputLayout
from synthera.transforms import OneHotCategorical, TableEncoder


def category_index(
    encoder: TableEncoder, layout: OutputLayout, column: str, value: Any
) -> int | None:
    """The conditional-vector index of `value` in discrete column `column`, or None when
    the column is not discrete or the value is not one of its learned categories (the
    caller then falls back to rejection sampling, which reports an impossible value)."""
    block = next((b for b in layout.discrete if b.column == column), None)
    column_encoder = encoder.encoders.get(column)
    if block is None or not isinstance(column_encoder, OneHotCategorical):
        return None
    wanted = pd.Series([value], dtype=object)
    if wanted.isna().all():
        return None
    # Compare like the rejection sampler does: '1', 1 and 1.0 name the same level, so a
    # value typed on the command line finds its category too.
    codec = column_encoder.codec
    labels = codec.decode(np.arange(codec.n_codes)).astype(object)
    keys = condition_key(labels).to_numpy()
    if codec.has_missing:
        keys[codec.missing_code] = None  # the missing level is matched by rejection
    matches = np.flatnonzero(keys == condition_key(wanted).iloc[0])
    return None if matches.size == 0 else block.cond_offset + int(matches[0])
