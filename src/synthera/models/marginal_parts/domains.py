"""Each modelled column as integer codes over a small domain, and back.

- categorical / boolean: a `CategoryCodec` over the levels that are declared in the schema
  (public) or published by a noisy threshold (so a value held by few rows never appears),
  plus a rare level and a missing level when their noisy counts say they matter;
- numeric / integer / datetime: equal-width bins between bounds that are declared (in
  days since 1970, UTC, for a datetime) or estimated privately, with a point bin at each
  bound (values beyond are clipped there, and a spike such as "capital gain = 0" keeps
  its own code), plus a missing level.
  Decoding draws a value uniformly inside its bin.

Only the parts built by `fit_domains` read the real rows, each through a mechanism whose
cost is booked in the zCDP budget; the rest (dtypes, formats, time zones, the schema) is
public.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from synthera.errors import ModelFileError, ParameterError
from synthera.models.marginal_parts.mechanisms import (
    BOUNDS_TAIL,
    coarse_edges,
    fine_grid,
    gaussian_measure,
    private_quantile,
    private_range,
)
from synthera.models.marginal_parts.zcdp import (
    THRESHOLD_PART,
    ZcdpBudget,
    exponential_epsilon,
    gaussian_sigma,
    release_threshold,
)
from synthera.schema import ColumnKind, ColumnSpec, Schema
from synthera.transforms.base import read_array, read_bool, read_optional_str, read_str
from synthera.transforms.categories import (
    RARE_LABEL,
    CategoryCodec,
    _comparable,
    _levels_of,
)
from synthera.transforms.converters import (
    _tz_from_state,
    _tz_to_state,
    numeric_values,
    parse_datetimes,
)

# A special level (missing, rare) is kept when its noisy count exceeds this many σ.
SPECIAL_CUTOFF_SIGMAS = 3.0
_DAY_SECONDS = 86_400
_EPOCH = np.datetime64("1970-01-01T00:00:00", "s")
_STRING_DTYPES = ("str", "string", "object")
_NUMBERS = (ColumnKind.NUMERIC, ColumnKind.INTEGER, ColumnKind.DATETIME)


class CategoryDomain:
    """A categorical or boolean column: codes of a `CategoryCodec`."""

    TYPE = "category"

    def __init__(self, name: str, codec: CategoryCodec) -> None:
        self.name = name
        self.codec = codec

    @property
    def size(self) -> int:
        return self.codec.n_codes

    def encode(self, series: pd.Series, rng: np.random.Generator) -> np.ndarray:
        return self.codec.encode(series)

    def decode(self, codes: np.ndarray, rng: np.random.Generator) -> pd.Series:
        return self.codec.decode(codes)

    def get_state(self) -> dict[str, Any]:
        return {"type": self.TYPE, "codec": self.codec.get_state()}

    @classmethod
    def from_state(cls, spec: ColumnSpec, state: Mapping[str, Any]) -> CategoryDomain:
        return cls(spec.name, CategoryCodec.from_state(spec.name, state["codec"]))


@dataclass(frozen=True)
class DatetimeFormat:
    """How a datetime column is written back: unit, time zone, text format, whole days."""

    unit: str
    tz: Any
    out_format: str | None  # strftime format when the column holds text
    string_dtype: str
    whole_days: bool

    @classmethod
    def of(cls, series: pd.Series, spec: ColumnSpec, whole_days: bool) -> DatetimeFormat:
        parsed = parse_datetimes(series, spec.name, spec.datetime_format)
        arrived_parsed = isinstance(
            series.dtype, pd.DatetimeTZDtype
        ) or pd.api.types.is_datetime64_any_dtype(series.dtype)
        out_format = None
        if spec.datetime_format is not None and not arrived_parsed:
            fmt = spec.datetime_format
            out_format = (
                fmt if fmt != "mixed" else ("%Y-%m-%d" if whole_days else "%Y-%m-%d %H:%M:%S")
            )
        dtype = str(series.dtype)
        return cls(
            unit=str(parsed.dt.unit),
            tz=parsed.dt.tz,
            out_format=out_format,
            string_dtype=dtype if dtype in _STRING_DTYPES else "str",
            whole_days=whole_days,
        )

    def days(self, series: pd.Series, spec: ColumnSpec) -> np.ndarray:
        """Days since 1970-01-01 (UTC for zoned columns), NaN where missing."""
        parsed = parse_datetimes(series, spec.name, spec.datetime_format)
        if parsed.dt.tz is not None:
            parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
        seconds = parsed.dt.as_unit("s").to_numpy().astype("datetime64[s]")
        values = (seconds - _EPOCH).astype(np.float64) / _DAY_SECONDS
        values[np.isnat(seconds)] = np.nan
        return values

    def from_days(self, days: np.ndarray, missing: np.ndarray, name: str) -> pd.Series:
        seconds = np.rint(days * _DAY_SECONDS).astype(np.int64)
        stamps = (_EPOCH + seconds.astype("timedelta64[s]")).astype(f"datetime64[{self.unit}]")
        stamps[missing] = np.datetime64("NaT")
        out = pd.Series(stamps, name=name)
        if self.tz is not None:
            out = out.dt.tz_localize("UTC").dt.tz_convert(self.tz)
        if self.out_format is not None:
            out = out.dt.strftime(self.out_format).astype(self.string_dtype)
        return out

    def get_state(self) -> dict[str, Any]:
        return {
            "unit": self.unit,
            "tz": _tz_to_state(self.tz),
            "out_format": self.out_format,
            "string_dtype": self.string_dtype,
            "whole_days": self.whole_days,
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> DatetimeFormat:
        return cls(
            unit=read_str(state, "unit", ("s", "ms", "us", "ns")),
            tz=_tz_from_state(state.get("tz")),
            out_format=read_optional_str(state, "out_format"),
            string_dtype=read_str(state, "string_dtype", _STRING_DTYPES),
            whole_days=read_bool(state, "whole_days"),
        )


class BinnedDomain:
    """A numeric, integer or datetime column: bins [low, high] (whole numbers inclusive
    when `integral`), then a missing level when `has_missing`."""

    TYPE = "bins"

    def __init__(
        self,
        spec: ColumnSpec,
        *,
        lows: np.ndarray,
        highs: np.ndarray,
        integral: bool,
        has_missing: bool,
        dtype: str,
        dates: DatetimeFormat | None = None,
    ) -> None:
        self.spec = spec
        self.name = spec.name
        self.lows = np.asarray(lows, dtype=np.float64)
        self.highs = np.asarray(highs, dtype=np.float64)
        self.integral = integral
        self.has_missing = has_missing
        self.dtype = dtype
        self.dates = dates
        if self.lows.size == 0 or self.lows.shape != self.highs.shape:
            raise ModelFileError(f"column {self.name!r}: malformed bins")
        if np.any(self.highs < self.lows) or np.any(np.diff(self.lows) <= 0):
            raise ModelFileError(f"column {self.name!r}: bins out of order")

    @property
    def size(self) -> int:
        return self.lows.size + int(self.has_missing)

    def values(self, series: pd.Series) -> np.ndarray:
        if self.dates is not None:
            return self.dates.days(series, self.spec)
        return numeric_values(series, self.name, self.spec.kind)

    def encode(self, series: pd.Series, rng: np.random.Generator) -> np.ndarray:
        values = self.values(series)
        missing = np.isnan(values)
        clipped = np.clip(np.nan_to_num(values), self.lows[0], self.highs[-1])
        codes = np.searchsorted(self.lows, clipped, side="right") - 1
        if missing.any():
            # Without a missing level (too few missing values to publish one), a missing
            # value takes a random bin: data-independent, so it costs no privacy.
            fallback = rng.integers(0, self.lows.size, int(missing.sum()))
            codes[missing] = self.lows.size if self.has_missing else fallback
        return codes.astype(np.int64)

    def decode(self, codes: np.ndarray, rng: np.random.Generator) -> pd.Series:
        codes = np.asarray(codes, dtype=np.int64)
        missing = codes >= self.lows.size
        bins = np.minimum(codes, self.lows.size - 1)
        low, high = self.lows[bins], self.highs[bins]
        if self.integral:
            values = np.floor(low + rng.random(codes.size) * (high - low + 1.0))
            values = np.minimum(values, high)
        else:
            values = low + rng.random(codes.size) * (high - low)
        if self.dates is not None:
            return self.dates.from_days(values, missing, self.name)
        if self.spec.kind is ColumnKind.INTEGER:
            ints = values.astype(np.int64)
            if self.has_missing:
                return pd.Series(pd.arrays.IntegerArray(ints, missing), name=self.name)
            return pd.Series(ints, name=self.name)
        return pd.Series(np.where(missing, np.nan, values).astype(self.dtype), name=self.name)

    def get_state(self) -> dict[str, Any]:
        return {
            "type": self.TYPE,
            "lows": self.lows.copy(),
            "highs": self.highs.copy(),
            "integral": self.integral,
            "has_missing": self.has_missing,
            "dtype": self.dtype,
            "dates": None if self.dates is None else self.dates.get_state(),
        }

    @classmethod
    def from_state(cls, spec: ColumnSpec, state: Mapping[str, Any]) -> BinnedDomain:
        dates = state.get("dates")
        return cls(
            spec,
            lows=read_array(state, "lows", np.float64),
            highs=read_array(state, "highs", np.float64),
            integral=read_bool(state, "integral"),
            has_missing=read_bool(state, "has_missing"),
            dtype=read_str(state, "dtype", ("float64", "float32", "int64", "Int64")),
            dates=None if dates is None else DatetimeFormat.from_state(dates),
        )


ColumnDomain = CategoryDomain | BinnedDomain


def domain_from_state(spec: ColumnSpec, state: Mapping[str, Any]) -> ColumnDomain:
    kind = state.get("type")
    if kind == CategoryDomain.TYPE:
        return CategoryDomain.from_state(spec, state)
    if kind == BinnedDomain.TYPE:
        return BinnedDomain.from_state(spec, state)
    raise ModelFileError(f"column {spec.name!r}: unknown domain type {kind!r}")


def make_bins(lower: float, upper: float, integral: bool, bins: int) -> tuple[np.ndarray, ...]:
    """(lows, highs): a point bin at each bound and `bins` equal-width bins between; whole
    numbers get one bin each when they are few."""
    if integral:
        lower, upper = float(np.ceil(lower)), float(np.floor(upper))
        upper = max(upper, lower)
        if upper - lower + 1 <= bins + 2:
            points = np.arange(lower, upper + 1)
            return points, points.copy()
        inner = np.unique(np.round(np.linspace(lower + 1, upper, bins + 1)))
        lows = np.concatenate([[lower], inner[:-1], [upper]])
        highs = np.concatenate([[lower], inner[1:] - 1, [upper]])
        return lows, highs
    if upper <= lower:
        return np.array([lower]), np.array([lower])
    edges = np.linspace(lower, upper, bins + 1)
    lows = np.concatenate([[lower], [np.nextafter(lower, np.inf)], edges[1:-1], [upper]])
    highs = np.concatenate([[lower], edges[1:], [upper]])
    return lows, highs


# ---- private fitting ------------------------------------------------------------------------


@dataclass(frozen=True)
class DomainCosts:
    """The noise of the preprocessing mechanisms, all from one ρ per measurement unit."""

    sigma: float  # Gaussian noise on counts
    threshold: float  # noisy count a value must exceed to be published
    quantile_epsilon: float  # exponential mechanism of each private bound

    @property
    def special_cutoff(self) -> float:
        return SPECIAL_CUTOFF_SIGMAS * self.sigma


def needs_threshold(spec: ColumnSpec, series: pd.Series) -> bool:
    """Whether the column's levels must be discovered privately (not declared, not bool)."""
    if spec.kind not in (ColumnKind.CATEGORICAL, ColumnKind.BOOLEAN):
        return False
    return spec.categories is None and not pd.api.types.is_bool_dtype(series.dtype)


def private_bounds_needed(spec: ColumnSpec) -> int:
    """Measurement units the column's bounds cost: a coarse noisy histogram that locates
    its range, then one exponential mechanism per undeclared bound (0 when both are
    declared)."""
    if spec.kind not in _NUMBERS:
        return 0
    undeclared = int(spec.lower is None) + int(spec.upper is None)
    return undeclared + 1 if undeclared else 0


def fit_domains(
    df: pd.DataFrame,
    schema: Schema,
    budget: ZcdpBudget,
    rho: float,
    rng: np.random.Generator,
    *,
    bins: int,
) -> dict[str, ColumnDomain]:
    """The domain of every modelled column, spending `rho` of `budget` in equal shares
    over the measurements it needs (thresholds, special counts, private bounds)."""
    specs = [schema[name] for name in schema.modelled]
    thresholded = [s for s in specs if needs_threshold(s, df[s.name])]
    units = len(thresholded) + len(specs) + sum(private_bounds_needed(s) for s in specs)
    unit_rho = rho / units
    sigma = gaussian_sigma(unit_rho)
    column_delta = budget.threshold_delta / max(len(thresholded), 1)
    costs = DomainCosts(
        sigma=sigma,
        threshold=release_threshold(sigma, column_delta) if thresholded else np.inf,
        quantile_epsilon=exponential_epsilon(unit_rho),
    )
    domains: dict[str, ColumnDomain] = {}
    for spec in specs:
        series = df[spec.name]
        if spec.kind in (ColumnKind.CATEGORICAL, ColumnKind.BOOLEAN):
            threshold = max(costs.threshold, float(schema.rare_threshold_for(spec.name)))
            domains[spec.name] = _category_domain(series, spec, costs, threshold, rng)
            if needs_threshold(spec, series):
                budget.spend(
                    THRESHOLD_PART,
                    unit_rho,
                    f"Gaussian noise σ={sigma:.3g} on each observed value's count; values "
                    f"with a noisy count above {costs.threshold:.3g} are published",
                )
        else:
            domains[spec.name] = _binned_domain(series, spec, costs, rng, bins)
            if private_bounds_needed(spec):
                budget.spend(
                    "numeric bounds",
                    unit_rho * private_bounds_needed(spec),
                    f"Gaussian noise σ={sigma:.3g} on a fixed coarse histogram (its outermost "
                    f"clearly occupied bins give the range), then the exponential "
                    f"mechanism (ε={costs.quantile_epsilon:.3g}) for the {BOUNDS_TAIL:g} and "
                    f"{1 - BOUNDS_TAIL:g} quantiles in it",
                )
        budget.spend(
            "missing and rare levels",
            unit_rho,
            f"Gaussian noise σ={sigma:.3g} on the missing / rare / time-of-day counts; a "
            f"level is kept above {costs.special_cutoff:.3g}",
        )
    return domains


def _category_domain(
    series: pd.Series,
    spec: ColumnSpec,
    costs: DomainCosts,
    threshold: float,
    rng: np.random.Generator,
) -> CategoryDomain:
    values, level_kind, stringify = _comparable(series)
    missing = values.isna().to_numpy()
    present = values[~missing]
    if spec.categories is not None:
        kept = pd.Index(list(spec.categories))
        kept_counts = np.zeros(len(kept))
    elif pd.api.types.is_bool_dtype(series.dtype):
        kept = pd.Index([False, True])
        kept_counts = np.zeros(2)
    else:
        codes, uniques = pd.factorize(present)
        noisy = gaussian_measure(np.bincount(codes, minlength=len(uniques)), costs.sigma, rng)
        keep = noisy > threshold
        if level_kind == "strings":
            keep &= np.asarray(uniques != RARE_LABEL, dtype=bool)
        order = np.argsort(-noisy[keep], kind="stable")
        kept, kept_counts = uniques[keep].take(order), noisy[keep][order]
    outside = int((~pd.Index(present).isin(kept)).sum())
    noisy_missing, noisy_outside = gaussian_measure(
        np.array([missing.sum(), outside]), costs.sigma, rng
    )
    has_missing = bool(noisy_missing > costs.special_cutoff)
    has_rare = bool(noisy_outside > costs.special_cutoff) or (len(kept) == 0 and not has_missing)
    specials = [noisy_outside] * has_rare + [noisy_missing] * has_missing
    counts = np.concatenate([np.asarray(kept_counts, dtype=np.float64), specials])
    try:
        levels = _levels_of(kept, level_kind)
    except (TypeError, ValueError):
        raise ParameterError(
            f"column {spec.name!r}: the declared categories do not match the column's values"
        ) from None
    codec = CategoryCodec(
        spec.name,
        levels=levels,
        level_kind=level_kind,
        counts=np.maximum(np.rint(counts), 0).astype(np.int64),
        has_rare=has_rare,
        has_missing=has_missing,
        dtype="str" if stringify else str(series.dtype),
        stringify=stringify,
    )
    return CategoryDomain(spec.name, codec)


def _bounds(
    observed: np.ndarray,
    spec: ColumnSpec,
    costs: DomainCosts,
    rng: np.random.Generator,
    *,
    integral: bool,
) -> tuple[float, float]:
    """Declared bounds, or private ones: a coarse noisy histogram over fixed bins finds the
    range, then the exponential mechanism picks the tail quantiles on a grid inside it
    (a grid spanning all numbers would drown the quantile in far-away candidates)."""
    lower, upper = spec.lower, spec.upper
    if lower is None or upper is None:
        edges = coarse_edges(spec.kind is ColumnKind.DATETIME)
        low, high = private_range(observed, edges, costs.sigma, rng)
        if lower is not None:
            low, high = float(lower), max(high, float(lower))
        if upper is not None:
            low, high = min(low, float(upper)), float(upper)
        grid = fine_grid(low, high, integral)
        epsilon = costs.quantile_epsilon
        if lower is None:
            lower = private_quantile(observed, grid, BOUNDS_TAIL, epsilon, rng)
        if upper is None:
            upper = private_quantile(observed, grid, 1 - BOUNDS_TAIL, epsilon, rng)
    low, high = sorted((float(lower), float(upper)))
    return low, high


def _binned_domain(
    series: pd.Series,
    spec: ColumnSpec,
    costs: DomainCosts,
    rng: np.random.Generator,
    bins: int,
) -> BinnedDomain:
    dates = None
    is_date = spec.kind is ColumnKind.DATETIME
    if is_date:
        values = DatetimeFormat.of(series, spec, whole_days=True).days(series, spec)
    else:
        values = numeric_values(series, spec.name, spec.kind)
    missing = np.isnan(values)
    observed = values[~missing]
    # Datetimes also count the values that are not whole days (is a time of day needed?).
    with_time = np.sum(observed != np.floor(observed)) if is_date else 0
    noisy_missing, noisy_time = gaussian_measure(
        np.array([missing.sum(), with_time]), costs.sigma, rng
    )
    has_missing = bool(noisy_missing > costs.special_cutoff)
    integral = spec.kind is ColumnKind.INTEGER
    if is_date:
        integral = not bool(noisy_time > costs.special_cutoff)  # whole days
        dates = DatetimeFormat.of(series, spec, whole_days=integral)
    lower, upper = _bounds(observed, spec, costs, rng, integral=integral or is_date)
    lows, highs = make_bins(lower, upper, integral, bins)
    if spec.kind is ColumnKind.INTEGER:
        dtype = "Int64" if has_missing else "int64"
    else:
        dtype = "float32" if series.dtype == np.float32 else "float64"
    return BinnedDomain(
        spec,
        lows=lows,
        highs=highs,
        integral=integral,
        has_missing=has_missing,
        dtype=dtype,
        dates=dates,
    )
