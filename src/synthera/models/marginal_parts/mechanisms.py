"""The DP primitives of the marginal model; each takes the generator that draws its noise."""

from __future__ import annotations

from statistics import NormalDist

import numpy as np

# Tail share cut off at each end by the private bounds (values beyond are clipped).
BOUNDS_TAIL = 0.01
# Chance that noise alone makes some empty bin of the coarse range histogram look occupied.
EMPTY_BIN_PASS = 1e-3


def gaussian_measure(counts: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Counts plus independent N(0, σ²) noise."""
    counts = np.asarray(counts, dtype=np.float64)
    return counts + rng.normal(0.0, sigma, counts.shape)


def exponential_mechanism(
    qualities: np.ndarray, epsilon: float, sensitivity: float, rng: np.random.Generator
) -> int:
    """An index drawn with probability ∝ exp(ε·q / (2Δ)): ε-DP and ε-bounded-range."""
    scores = 0.5 * epsilon / sensitivity * np.asarray(qualities, dtype=np.float64)
    scores -= scores.max()
    weights = np.exp(scores)
    return int(rng.choice(weights.size, p=weights / weights.sum()))


def private_quantile(
    values: np.ndarray, grid: np.ndarray, q: float, epsilon: float, rng: np.random.Generator
) -> float:
    """The q-quantile of `values` among the (data-independent, sorted) `grid` points, by the
    exponential mechanism. The quality of a point t, -|(1-q)·#{x < t} - q·#{x ≥ t}|, is
    0 at the true quantile and changes by at most max(q, 1-q) ≤ 1 when a row comes or goes.
    """
    ordered = np.sort(np.asarray(values, dtype=np.float64))
    below = np.searchsorted(ordered, grid, side="left").astype(np.float64)
    above = ordered.size - below
    quality = -np.abs((1.0 - q) * below - q * above)
    return float(grid[exponential_mechanism(quality, epsilon, 1.0, rng)])


def coarse_edges(dates: bool) -> np.ndarray:
    """Fixed bin edges (never read from data) that locate a column's range: calendar years
    1900-2100 for dates (in days since 1970), else signed powers of two from 2^-20 to
    2^52 around a bin for zero."""
    if dates:
        years = np.arange(1900, 2102).astype(str).astype("datetime64[D]")
        return (years - np.datetime64("1970-01-01")).astype(np.float64)
    powers = 2.0 ** np.arange(-20, 53)
    return np.concatenate([-powers[::-1], powers])


def private_range(
    values: np.ndarray, edges: np.ndarray, sigma: float, rng: np.random.Generator
) -> tuple[float, float]:
    """[first, last) edges of the outermost bins whose noisy count clears a bar that an
    empty bin clears with probability EMPTY_BIN_PASS over all bins (or of the bin with the
    largest noisy count when none does); values beyond the edges count in the end bins.
    One row is in one bin: a Gaussian measurement of sensitivity 1."""
    n_bins = edges.size - 1
    cutoff = sigma * -NormalDist().inv_cdf(EMPTY_BIN_PASS / n_bins)
    bins = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, n_bins - 1)
    noisy = gaussian_measure(np.bincount(bins, minlength=n_bins), sigma, rng)
    passing = np.flatnonzero(noisy > cutoff)
    if passing.size == 0:
        passing = np.array([int(np.argmax(noisy))])
    return float(edges[passing[0]]), float(edges[passing[-1] + 1])


def fine_grid(lower: float, upper: float, integral: bool, points: int = 1000) -> np.ndarray:
    """Candidate bounds inside a private range: `points` evenly spaced values (whole
    numbers for integral columns). Fine enough that some candidate sits near the tail
    quantile (else every candidate past the data ties and the pick is arbitrary), few
    enough that the exponential mechanism's log(points) term stays small."""
    grid = np.linspace(lower, upper, points)
    return np.unique(np.round(grid)) if integral else grid
