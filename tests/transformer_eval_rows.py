"""Made-up rows for the transformer-evaluation tests: the colour decides the label."""

from __future__ import annotations

import numpy as np
import pandas as pd


def made_up_rows(n: int, seed: int, yes: tuple[str, ...] = ("red",)) -> pd.DataFrame:
    """`yes` for the colours in `yes`, `no` otherwise; the size is noise."""
    rng = np.random.default_rng(seed)
    colour = rng.choice(["red", "blue", "green"], n)
    label = np.where(np.isin(colour, yes), "yes", "no")
    return pd.DataFrame({"colour": colour, "size": rng.integers(1, 100, n), "label": label})
