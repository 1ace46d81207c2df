"""Discrete codes as one standard-normal score, and back (the Gaussian copula's encoding of
categories and missing indicators).

Each code owns an interval of [0, 1] as wide as its frequency, most frequent first (as
SDV's FrequencyEncoder lays them out). A code encodes as the normal score of a uniform
draw inside its interval (or the interval's midpoint without jitter) and a score decodes
to the code whose interval holds Phi(z), found for all rows at once with `searchsorted`.
Draws keep a margin of 1e-6 of the interval width from its ends, far more than the
round-off of Phi(Phi^-1(u)), so decoding an encoded score always gives back its code.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr, ndtri

_MARGIN = 1e-6
_U_EPS = 1e-12


def normal_score(u: np.ndarray) -> np.ndarray:
    """Phi^-1(u), with u kept away from 0 and 1."""
    return np.asarray(ndtri(np.clip(u, _U_EPS, 1.0 - _U_EPS)), dtype=np.float64)


def normal_cdf(z: np.ndarray) -> np.ndarray:
    return np.asarray(ndtr(np.asarray(z, dtype=np.float64)), dtype=np.float64)


class FrequencyIntervals:
    """Codes 0..k-1 with their counts <-> one normal score per row."""

    def __init__(self, counts: np.ndarray) -> None:
        counts = np.asarray(counts, dtype=np.float64)
        if counts.size == 0:
            raise ValueError("FrequencyIntervals needs at least one code")
        total = counts.sum()
        widths = counts / total if total > 0 else np.full(counts.size, 1.0 / counts.size)
        self.order = np.argsort(-widths, kind="stable")  # most frequent first
        ordered = widths[self.order]
        ends = np.cumsum(ordered)
        ends[-1] = 1.0
        starts = np.concatenate([[0.0], ends[:-1]])
        self.starts = np.empty(counts.size)
        self.widths = np.empty(counts.size)
        self.starts[self.order] = starts
        self.widths[self.order] = ordered
        self._inner_edges = ends[:-1]
        self._last_nonempty = int(np.flatnonzero(ordered > 0)[-1])

    def encode(self, codes: np.ndarray, rng: np.random.Generator, *, jitter: bool) -> np.ndarray:
        codes = np.asarray(codes, dtype=np.int64)
        if jitter:
            position = _MARGIN + (1.0 - 2.0 * _MARGIN) * rng.random(codes.size)
        else:
            position = np.full(codes.size, 0.5)
        return normal_score(self.starts[codes] + self.widths[codes] * position)

    def decode(self, scores: np.ndarray) -> np.ndarray:
        u = normal_cdf(scores)
        slot = np.searchsorted(self._inner_edges, u, side="right")
        return np.asarray(self.order[np.minimum(slot, self._last_nonempty)], dtype=np.int64)
