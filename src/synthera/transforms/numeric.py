"""Encoders for numeric, integer and datetime columns (datetimes go through a converter
that turns them into exact counts of their resolution).

ModeSpecificNumeric (for neural generators): alpha = (x - mu_k) / (4 sigma_k) in
[-0.99, 0.99] ("tanh") then a one-hot of the mixture mode k ("softmax"), k sampled from
the posterior responsibilities as in the CTGAN paper. When the sampled mode would need
|alpha| > 0.99 (a value far in the tail of an unlikely mode), the most probable mode whose
window holds the value is used instead; `cover_outliers` guarantees at fit that such a mode
exists for every fitted value, so encoding then decoding gives the value back (to
round-off). A column with missing values adds a 2-wide softmax block [present, missing];
a missing row gets alpha 0 and the heaviest mode.

NormalScoreNumeric (for the Gaussian copula): one standard-normal score per row through the
empirical CDF. The CDF is stored as knots: every distinct value when there are at most
`max_knots` of them, else `max_knots` values spread evenly by probability mass. Each knot
owns the CDF interval [lo, hi] of its own mass; the quantile function is flat on it and
linear between knots, and a value encodes as the inverse of that function (a knot as the
middle of its interval: the mid-rank CDF). So decoding an encoded value is exact for
knots and exact to round-off in between, and any score decodes to a value in range with
the right marginal. Missing values add one score, from FrequencyIntervals over
[present, missing]; a missing row's value score is a standard-normal draw (0 without
jitter), so the value scores stay standard normal.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

import numpy as np
import pandas as pd

from synthera.schema import ColumnSpec
from synthera.transforms.base import (
    Span,
    check_type,
    malformed,
    read_array,
    read_bool,
    read_mapping,
    total_width,
)
from synthera.transforms.converters import (
    DatetimeConverter,
    NumberConverter,
    converter_from_state,
    fit_converter,
)
from synthera.transforms.intervals import FrequencyIntervals, normal_cdf, normal_score
from synthera.transforms.mixture import ALPHA_CLIP, Mixture, fit_mixture
from synthera.transforms.options import FitOptions

Converter = NumberConverter | DatetimeConverter


class ModeSpecificNumeric:
    """alpha ("tanh") + mode one-hot ("softmax") [+ missing 2-wide "softmax"]."""

    TYPE = "mode_specific_numeric"

    def __init__(
        self, name: str, converter: Converter, mixture: Mixture, *, has_missing: bool
    ) -> None:
        self.name = name
        self.converter = converter
        self.mixture = mixture
        self.has_missing = has_missing

    @classmethod
    def fit(
        cls, series: pd.Series, spec: ColumnSpec, options: FitOptions, rng: np.random.Generator
    ) -> Self:
        converter = fit_converter(series, spec)
        values = converter.to_float(series)
        missing = np.isnan(values)
        mixture = fit_mixture(values[~missing], max_components=options.max_components, rng=rng)
        return cls(spec.name, converter, mixture, has_missing=bool(missing.any()))

    @property
    def spans(self) -> list[Span]:
        spans = [
            Span(self.name, 1, "tanh", "value"),
            Span(self.name, self.mixture.size, "softmax", "mode"),
        ]
        if self.has_missing:
            spans.append(Span(self.name, 2, "softmax", "missing"))
        return spans

    @property
    def width(self) -> int:
        return total_width(self.spans)

    def transform(self, series: pd.Series, rng: np.random.Generator) -> np.ndarray:
        values = self.converter.to_float(series)
        missing = np.isnan(values)
        heaviest = int(np.argmax(self.mixture.weights))
        x = np.where(missing, self.mixture.means[heaviest], values)
        modes, alpha = self._sample_modes(x, rng)
        if self.has_missing:
            modes[missing], alpha[missing] = heaviest, 0.0
        n, k = x.size, self.mixture.size
        block = np.zeros((n, self.width), dtype=np.float64)
        block[:, 0] = alpha
        block[np.arange(n), 1 + modes] = 1.0
        if self.has_missing:
            block[np.arange(n), 1 + k + missing.astype(np.int64)] = 1.0
        return block

    def _sample_modes(self, x: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
        mix = self.mixture
        probs = mix.responsibilities(x)
        draws = rng.random(x.size)
        modes = (np.cumsum(probs, axis=1) < draws[:, None]).sum(axis=1)
        modes = np.minimum(modes, mix.size - 1)
        alpha = (x - mix.means[modes]) / (4.0 * mix.stds[modes])
        far = np.abs(alpha) > ALPHA_CLIP
        if far.any():  # most probable mode whose window holds the value
            xf = x[far]
            alphas = (xf[:, None] - mix.means[None, :]) / (4.0 * mix.stds[None, :])
            feasible = np.abs(alphas) <= ALPHA_CLIP
            score = np.where(feasible, mix.log_joint(xf), -np.inf)
            best = np.argmax(score, axis=1)
            nowhere = ~feasible.any(axis=1)  # only values never seen at fit
            best[nowhere] = np.argmin(np.abs(alphas[nowhere]), axis=1)
            modes[far] = best
            alpha[far] = alphas[np.arange(xf.size), best]
        return modes, np.clip(alpha, -ALPHA_CLIP, ALPHA_CLIP)

    def inverse_transform(self, block: np.ndarray, rng: np.random.Generator) -> pd.Series:
        k = self.mixture.size
        alpha = np.clip(block[:, 0], -1.0, 1.0)
        modes = np.argmax(block[:, 1 : 1 + k], axis=1)
        x = alpha * 4.0 * self.mixture.stds[modes] + self.mixture.means[modes]
        if self.has_missing:
            missing = np.argmax(block[:, 1 + k : 3 + k], axis=1) == 1
        else:
            missing = np.zeros(block.shape[0], dtype=bool)
        return self.converter.from_float(x, missing)

    def get_state(self) -> dict[str, Any]:
        return {
            "type": self.TYPE,
            "converter": self.converter.get_state(),
            "means": self.mixture.means.copy(),
            "stds": self.mixture.stds.copy(),
            "weights": self.mixture.weights.copy(),
            "has_missing": self.has_missing,
        }

    @classmethod
    def from_state(cls, spec: ColumnSpec, state: Mapping[str, Any]) -> Self:
        check_type(state, cls.TYPE)
        converter = converter_from_state(spec, read_mapping(state, "converter"))
        means = read_array(state, "means", np.float64, min_length=1)
        stds = read_array(state, "stds", np.float64, length=means.size)
        weights = read_array(state, "weights", np.float64, length=means.size)
        if (stds <= 0).any() or (weights < 0).any() or weights.sum() <= 0:
            raise malformed("mixture 'stds' must be positive and 'weights' non-negative")
        mixture = Mixture(means, stds, weights / weights.sum())
        return cls(spec.name, converter, mixture, has_missing=read_bool(state, "has_missing"))


class NormalScoreNumeric:
    """One standard-normal score ("identity") [+ one score for the missing indicator]."""

    TYPE = "normal_score_numeric"

    def __init__(
        self,
        name: str,
        converter: Converter,
        *,
        knots: np.ndarray,
        cdf_lo: np.ndarray,
        cdf_hi: np.ndarray,
        missing_counts: np.ndarray | None,
        jitter: bool,
    ) -> None:
        self.name = name
        self.converter = converter
        self.knots = knots
        self.cdf_lo = cdf_lo
        self.cdf_hi = cdf_hi
        self.missing_counts = missing_counts
        self.jitter = jitter
        self._missing = None if missing_counts is None else FrequencyIntervals(missing_counts)
        self._xp = np.column_stack([cdf_lo, cdf_hi]).reshape(-1)  # the quantile function
        self._fp = np.repeat(knots, 2)

    @property
    def has_missing(self) -> bool:
        return self.missing_counts is not None

    @classmethod
    def fit(
        cls, series: pd.Series, spec: ColumnSpec, options: FitOptions, rng: np.random.Generator
    ) -> Self:
        converter = fit_converter(series, spec)
        values = converter.to_float(series)
        missing = np.isnan(values)
        knots, cdf_lo, cdf_hi = ecdf_knots(values[~missing], options.max_knots)
        n_missing = int(missing.sum())
        counts = np.array([values.size - n_missing, n_missing]) if n_missing else None
        return cls(
            spec.name,
            converter,
            knots=knots,
            cdf_lo=cdf_lo,
            cdf_hi=cdf_hi,
            missing_counts=counts,
            jitter=options.jitter,
        )

    @property
    def spans(self) -> list[Span]:
        spans = [Span(self.name, 1, "identity", "value")]
        if self.has_missing:
            spans.append(Span(self.name, 1, "identity", "missing"))
        return spans

    @property
    def width(self) -> int:
        return total_width(self.spans)

    def transform(self, series: pd.Series, rng: np.random.Generator) -> np.ndarray:
        values = self.converter.to_float(series)
        missing = np.isnan(values)
        middle = float(np.interp(0.5, self._xp, self._fp))  # impute unexpected missing values
        u = self.cdf(np.where(missing, middle, values))
        block = np.zeros((values.size, self.width), dtype=np.float64)
        block[:, 0] = normal_score(u)
        if self._missing is not None:
            if missing.any() and self.jitter:
                block[missing, 0] = rng.standard_normal(int(missing.sum()))
            elif missing.any():
                block[missing, 0] = 0.0
            block[:, 1] = self._missing.encode(missing.astype(np.int64), rng, jitter=self.jitter)
        return block

    def cdf(self, x: np.ndarray) -> np.ndarray:
        """The inverse of `quantile`: mid-rank CDF at knots, linear in between."""
        knots, lo, hi = self.knots, self.cdf_lo, self.cdf_hi
        last = knots.size - 1
        mid = 0.5 * (lo + hi)
        pos = np.searchsorted(knots, x, side="left")
        right = np.minimum(pos, last)
        left = np.clip(pos - 1, 0, last)
        gap = knots[right] - knots[left]
        with np.errstate(divide="ignore", invalid="ignore"):
            frac = np.where(gap > 0, (x - knots[left]) / gap, 0.0)
        u = hi[left] + frac * (lo[right] - hi[left])
        u = np.where(knots[right] == x, mid[right], u)
        return np.where(x <= knots[0], mid[0], np.where(x >= knots[last], mid[last], u))

    def quantile(self, u: np.ndarray) -> np.ndarray:
        """Piecewise linear through (cdf_lo, knot) and (cdf_hi, knot): flat on each knot."""
        xp, fp = self._xp, self._fp
        j = np.clip(np.searchsorted(xp, u, side="right") - 1, 0, xp.size - 2)
        width = xp[j + 1] - xp[j]
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(width > 0, (u - xp[j]) / width, 0.0)
        t = np.clip(t, 0.0, 1.0)
        return fp[j] + t * (fp[j + 1] - fp[j])

    def inverse_transform(self, block: np.ndarray, rng: np.random.Generator) -> pd.Series:
        x = self.quantile(normal_cdf(block[:, 0]))
        if self._missing is not None:
            missing = self._missing.decode(block[:, 1]) == 1
        else:
            missing = np.zeros(block.shape[0], dtype=bool)
        return self.converter.from_float(x, missing)

    def get_state(self) -> dict[str, Any]:
        return {
            "type": self.TYPE,
            "converter": self.converter.get_state(),
            "knots": self.knots.copy(),
            "cdf_lo": self.cdf_lo.copy(),
            "cdf_hi": self.cdf_hi.copy(),
            "missing_counts": None if self.missing_counts is None else self.missing_counts.copy(),
            "jitter": self.jitter,
        }

    @classmethod
    def from_state(cls, spec: ColumnSpec, state: Mapping[str, Any]) -> Self:
        check_type(state, cls.TYPE)
        converter = converter_from_state(spec, read_mapping(state, "converter"))
        knots = read_array(state, "knots", np.float64, min_length=1)
        cdf_lo = read_array(state, "cdf_lo", np.float64, length=knots.size)
        cdf_hi = read_array(state, "cdf_hi", np.float64, length=knots.size)
        ordered = (
            np.all(np.diff(knots) > 0)
            and np.all(cdf_lo <= cdf_hi)
            and np.all(cdf_hi[:-1] <= cdf_lo[1:])
            and cdf_lo[0] >= 0
            and cdf_hi[-1] <= 1
        )
        if not ordered:
            raise malformed("'knots' and their CDF intervals should be increasing within [0, 1]")
        counts = None
        if state.get("missing_counts") is not None:
            counts = read_array(state, "missing_counts", np.int64, length=2)
            if (counts < 0).any():
                raise malformed("'missing_counts' should not be negative")
        return cls(
            spec.name,
            converter,
            knots=knots,
            cdf_lo=cdf_lo,
            cdf_hi=cdf_hi,
            missing_counts=counts,
            jitter=read_bool(state, "jitter"),
        )


def ecdf_knots(values: np.ndarray, max_knots: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Knot values and the CDF interval [lo, hi] of each knot's own mass."""
    if values.size == 0:
        return np.array([0.0]), np.array([0.0]), np.array([1.0])
    distinct, counts = np.unique(values, return_counts=True)
    ends = np.cumsum(counts)
    total = float(ends[-1])
    lo, hi = (ends - counts) / total, ends / total
    if distinct.size > max_knots:
        targets = np.linspace(0.0, 1.0, max(max_knots, 2))
        chosen = np.searchsorted(hi, targets, side="left")
        chosen = np.unique(np.clip(chosen, 0, distinct.size - 1))
        distinct, lo, hi = distinct[chosen], lo[chosen], hi[chosen]
    return distinct.astype(np.float64), lo, hi
