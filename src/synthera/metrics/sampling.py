"""Seeded row subsamples, so that every metric's cost is bounded and reproducible."""

from __future__ import annotations

import numpy as np
import pandas as pd


def sample_rows(df: pd.DataFrame, n: int | None, seed: int) -> pd.DataFrame:
    """`n` rows of `df` drawn without replacement (all of them when `n` is None or larger)."""
    if n is None or len(df) <= n:
        return df.reset_index(drop=True)
    rows = np.random.default_rng(seed).choice(len(df), size=n, replace=False)
    return df.iloc[np.sort(rows)].reset_index(drop=True)


def split_in_two(df: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two disjoint random halves of `df`."""
    order = np.random.default_rng(seed).permutation(len(df))
    half = len(df) // 2
    first = df.iloc[np.sort(order[:half])].reset_index(drop=True)
    second = df.iloc[np.sort(order[half:])].reset_index(drop=True)
    return first, second
