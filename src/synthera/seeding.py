"""Seeds: every stochastic call takes one; one seed on one machine gives the same rows."""

from __future__ import annotations

import numpy as np

Seed = int | np.random.Generator | None


def make_rng(seed: Seed) -> np.random.Generator:
    """A NumPy generator from an int, an existing generator, or None (fresh entropy)."""
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


def derive_seed(rng: np.random.Generator) -> int:
    """An integer seed for a library that wants one (scikit-learn, PyTorch), drawn from `rng`."""
    return int(rng.integers(0, 2**31 - 1))
