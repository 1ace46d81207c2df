"""What a private fit learns from the real rows *before* training, in one DP mechanism.

A generator's encoder normally reads the data freely: each column's range, the mixture
modes of its values, its set of categories and their frequencies (the conditional vector
of CTGAN). Under differential privacy all of that comes from a single release here:

**One Gaussian histogram over every modelled column.** Each row adds 1 to exactly one
cell per column: its category (categorical and boolean columns), its quarter-octave bin
(numeric and integer columns, on a fixed grid ±2^k, k = -20 ... 64 in steps of 1/4, plus
a zero bin), or the column's "missing" cell. Adding or removing a row changes k cells by
one each, an L2 sensitivity of √k, so N(0, σ²) noise on every cell, with σ from the
analytic Gaussian mechanism (`privacy.gaussian`), is (ε, δ_G)-DP. Everything below is
post-processing of those noisy counts:

- **category sets**: a category the schema does not declare is kept only when its noisy
  count exceeds τ = 1 + σ·Q⁻¹(δ_τ / (e^ε k_c)) (k_c categorical columns). A row whose
  value nobody else shares appears in the output only if the noise on its count of 1
  exceeds τ - 1, which happens with total probability below δ_τ: rare values never
  appear, up to δ_τ. (The cells of a value that is absent from the data are not in the
  histogram at all, which is why this part needs its own δ: Gaussian sparse histograms,
  Wilkins et al. 2024.) Declared categories (`ColumnSpec.categories`) are public and
  always kept. Rows whose value was not kept are encoded as the most frequent kept one.
- **category counts** (CTGAN's conditional vector, the mode-collapse check): the noisy
  counts of the kept categories, rounded.
- **numeric ranges**: the lowest and highest grid bins whose noisy count clears a bar of
  ~4.4σ (a bin holding no row clears it with probability 1 % per column), unless the
  schema declares `lower` / `upper` (public). When no bin clears the bar (few rows, small
  ε) the single fullest bin is used and a note says so.
- **numeric modes**: instead of the Bayesian mixture (which reads the data freely), the
  range is cut into at most `max_components` segments of about equal noisy mass (by
  repeated median splits on the grid); each segment is one mode whose ±4σ window covers
  it exactly. A heavy spike (say the zeros of a capital-gain column) gets a mode of its
  own.
- **missing values**: a column gets a missing-value indicator when its noisy missing count
  clears the same bar; the noisy count itself is released too (a model's prior for it).
- **datetimes** are numbers on a time axis (instants since 1970 in the column's storage
  unit, local wall-clock time for a zoned column), binned on a public grid of calendar
  months instead of the quarter octaves, plus one cell per row for the value's time
  resolution (day, hour, ..., ns): see `privacy.time_axis`. The range (or the declared
  `lower` / `upper`, in days since 1970, UTC for a zoned column, as everywhere in
  Synthera), the mode segments (equal noisy mass over the months), the resolution (dates
  come back as dates) and the missing indicator are read off those cells as above.

The grid and the zero bin are public, so numeric cells need no threshold. Public without
paying: the schema (names, kinds, roles, declared bounds and categories: a schema that
`Schema.infer` read off the rows is outside the guarantee, so declare it for a strict
one), each column's storage type (float32 or float64, strings or numbers, a datetime
column's unit and time zone; text dates are read to the microsecond) and the number of
rows (it sets DP-SGD's sampling rate and the default δ). Id columns come back as random
UUIDs.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from synthera.errors import ParameterError, SchemaError, one_line
from synthera.privacy import time_axis
from synthera.privacy.gaussian import gaussian_sigma
from synthera.privacy.ledger import BudgetPart
from synthera.schema import ColumnKind, ColumnSpec, Schema
from synthera.transforms.base import show
from synthera.transforms.categories import RARE_LABEL, LevelKind, _comparable, _levels_of
from synthera.transforms.converters import (
    _NAT,
    _STRING_DTYPES,
    DatetimeConverter,
    _epoch_ints,
    _iso_format,
    numeric_values,
    parse_datetimes,
)

GRID_EXPONENTS = (-20, 64)  # the grid spans ±2^-20 ... ±2^64
GRID_STEPS_PER_OCTAVE = 4
BOUNDS_FALSE_BIN_RATE = 0.01  # chance per column that an empty bin widens the range
THRESHOLD_DELTA_SHARE = 0.5  # of the preprocessing δ: the rest pays the Gaussian mechanism
_NUMERIC = (ColumnKind.NUMERIC, ColumnKind.INTEGER)
_DISCRETE = (ColumnKind.CATEGORICAL, ColumnKind.BOOLEAN)
_DATE = ColumnKind.DATETIME


def _grid() -> tuple[np.ndarray, np.ndarray]:
    """(edges for binning, edges as bounds): bin i spans [edges[i], edges[i + 1]); the zero
    bin [-2^-20, 2^-20) reads as exactly [0, 0] when it bounds a range."""
    low, high = GRID_EXPONENTS
    steps = np.arange(low * GRID_STEPS_PER_OCTAVE, high * GRID_STEPS_PER_OCTAVE + 1)
    positive = 2.0 ** (steps / GRID_STEPS_PER_OCTAVE)
    edges = np.concatenate([-positive[::-1], positive])
    value_edges = edges.copy()
    middle = positive.size
    value_edges[middle - 1 : middle + 1] = 0.0
    return edges, value_edges


GRID_EDGES, GRID_VALUE_EDGES = _grid()
N_GRID_BINS = GRID_EDGES.size - 1


def grid_bins(values: np.ndarray) -> np.ndarray:
    """The grid bin of each finite value (beyond ±2^64: the outermost bins)."""
    bins = np.searchsorted(GRID_EDGES, values, side="right") - 1
    return np.clip(bins, 0, N_GRID_BINS - 1)


# ---- what is released per column -----------------------------------------------------------


@dataclass(frozen=True)
class CategorySummary:
    """A categorical or boolean column: kept levels (most frequent first), their noisy
    counts, the noisy count of missing values (None: no missing level)."""

    levels: list[object] | np.ndarray
    counts: np.ndarray
    missing_count: int | None
    level_kind: LevelKind
    stringify: bool
    dtype: str


@dataclass(frozen=True)
class NumericSummary:
    """A numeric or integer column: its range, its mode segments (edges and noisy masses),
    whether it gets a missing-value indicator and the noisy count of missing values (on
    the scale of the masses; None where not released)."""

    lower: float
    upper: float
    segment_edges: np.ndarray  # (modes + 1,), from lower to upper
    segment_masses: np.ndarray  # (modes,)
    has_missing: bool
    dtype: str
    missing_count: float | None = None


@dataclass(frozen=True)
class DatetimeSummary(NumericSummary):
    """A datetime column. `lower`, `upper` and `segment_edges` are on its converter's axis
    (counts of the released resolution since the range's first instant), so the numeric
    encoders use them as they are; `lower_days` / `upper_days` give the range in days
    since 1970 (the unit of declared bounds)."""

    converter: DatetimeConverter = field(kw_only=True)

    @property
    def resolution_ns(self) -> int:
        return self.converter.resolution * time_axis.UNIT_NS[self.converter.unit]

    @property
    def lower_days(self) -> float:
        return self._days(0.0)

    @property
    def upper_days(self) -> float:
        return self._days(self.upper)

    def _days(self, count: float) -> float:
        """Days since 1970 (of local wall-clock time for a zoned column)."""
        unit_ns = time_axis.UNIT_NS[self.converter.unit]
        instant = self.converter.origin + round(count) * self.converter.resolution
        return instant * unit_ns / time_axis.DAY_NS


ColumnSummary = CategorySummary | NumericSummary


@dataclass(frozen=True)
class PrivateSummaries:
    columns: dict[str, ColumnSummary]
    part: BudgetPart
    public: tuple[str, ...]
    notes: tuple[str, ...] = field(default=())
    sigma: float = 0.0
    threshold: float = 0.0


# ---- the mechanism -------------------------------------------------------------------------


def private_summaries(
    df: pd.DataFrame,
    schema: Schema,
    *,
    epsilon: float,
    delta: float,
    max_components: int,
    rng: np.random.Generator,
) -> PrivateSummaries:
    """Release every column's summary under (epsilon, delta)-DP (one Gaussian histogram)."""
    modelled = [spec for spec in schema.columns if spec.kind in (*_NUMERIC, *_DISCRETE, _DATE)]
    if not modelled:
        raise ParameterError(
            "a private fit needs at least one numeric, integer, datetime, categorical or "
            "boolean column"
        )
    n_discrete = sum(spec.kind in _DISCRETE for spec in modelled)
    # A datetime column's row also adds 1 to a time-resolution cell, unless it is public.
    dates = [spec for spec in modelled if spec.kind is _DATE]
    whole_days = {spec.name for spec in dates if _whole_days_public(spec, df[spec.name])}
    n_dates, n_resolutions = len(dates), len(dates) - len(whole_days)
    n_cells = len(modelled) + n_resolutions
    delta_threshold = THRESHOLD_DELTA_SHARE * delta if n_discrete else 0.0
    sensitivity = math.sqrt(n_cells)
    sigma = gaussian_sigma(epsilon, delta - delta_threshold, sensitivity)
    # A new value's cell (count 1) must stay under τ in every categorical column at once.
    threshold = (
        1.0 + sigma * float(norm.isf(delta_threshold / (math.exp(epsilon) * n_discrete)))
        if n_discrete
        else math.inf
    )
    bar = sigma * float(norm.isf(BOUNDS_FALSE_BIN_RATE / N_GRID_BINS))
    columns: dict[str, ColumnSummary] = {}
    notes: list[str] = []
    for spec in modelled:
        series = df[spec.name]
        if spec.kind in _DISCRETE:
            rare = schema.rare_threshold_for(spec.name)
            summary = _categories(series, spec, sigma, max(threshold, rare), bar, rng)
            if not len(summary.levels):
                notes.append(
                    f"column {spec.name!r}: no category is frequent enough to release at this "
                    "epsilon, so it is generated as missing (declare its categories in the "
                    "schema or raise epsilon)"
                )
            columns[spec.name] = summary
        else:
            numeric: NumericSummary
            if spec.kind is _DATE:
                numeric, guessed = _datetimes(series, spec, sigma, bar, max_components, rng)
            else:
                numeric, guessed = _numbers(series, spec, sigma, bar, max_components, rng)
            if guessed:
                unit = " (days since 1970)" if spec.kind is _DATE else ""
                notes.append(
                    f"column {spec.name!r}: too few rows to find its range privately at this "
                    f"epsilon; declare lower/upper{unit} in the schema or raise epsilon"
                )
            columns[spec.name] = numeric
    part = BudgetPart(
        name="preprocessing",
        epsilon=epsilon,
        delta=delta,
        mechanism=(
            f"one Gaussian histogram over {len(modelled)} columns"
            + (f" and {n_resolutions} datetime resolutions" if n_resolutions else "")
            + f" (sigma={sigma:.4g}, L2 sensitivity sqrt({n_cells}), analytic Gaussian "
            "mechanism): "
            + (
                f"category sets above a noisy threshold of {threshold:.0f} rows, "
                if n_discrete
                else ""
            )
            + "category and missing-value counts, numeric ranges and modes"
            + (", datetime ranges and modes" if n_dates else "")
            + (" and resolutions" if n_resolutions else "")
        ),
    )
    return PrivateSummaries(
        columns=columns,
        part=part,
        public=_public_facts(schema, whole_days),
        notes=tuple(notes),
        sigma=sigma,
        threshold=threshold,
    )


def _whole_days_public(spec: ColumnSpec, series: pd.Series) -> bool:
    """Dates stored as text in a declared date-only format: whole days are public."""
    return not _arrived_parsed(series) and time_axis.whole_days_declared(spec.datetime_format)


def _public_facts(schema: Schema, whole_days: set[str]) -> tuple[str, ...]:
    facts = [
        "the schema: column names, kinds and roles (declare it: a schema inferred from "
        "the rows is not covered by the budget)",
        "the number of rows (sets the sampling rate and the default delta)",
        "each column's storage type (float32 or float64, text or number labels, a "
        "datetime's unit and time zone)",
    ]
    for spec in schema.columns:
        if spec.lower is not None or spec.upper is not None:
            days = " (days since 1970)" if spec.kind is _DATE else ""
            facts.append(f"declared bounds of {spec.name!r}: [{spec.lower}, {spec.upper}]{days}")
        if spec.name in whole_days:
            facts.append(f"declared format of {spec.name!r} ({spec.datetime_format}): whole days")
        if spec.categories is not None:
            facts.append(f"declared categories of {spec.name!r} ({len(spec.categories)})")
    return tuple(facts)


def _categories(
    series: pd.Series,
    spec: ColumnSpec,
    sigma: float,
    threshold: float,
    bar: float,
    rng: np.random.Generator,
) -> CategorySummary:
    values, level_kind, stringify = _comparable(series)
    missing = values.isna().to_numpy()
    present = values[~missing]
    if spec.kind is ColumnKind.BOOLEAN and present.nunique() > 2:
        raise SchemaError(
            one_line(
                f"column {spec.name!r} is declared boolean but holds {present.nunique()} "
                f"different values (such as {show(present.iloc[0])}); declare it categorical"
            )
        )
    codes, uniques = pd.factorize(present)
    counts = np.bincount(codes, minlength=len(uniques)).astype(np.float64)
    declared = list(spec.categories or [])
    if declared:  # public levels are released whether or not they occur
        absent = [value for value in declared if value not in set(uniques.tolist())]
        if absent:
            uniques = pd.Index([*uniques.tolist(), *absent])
            counts = np.concatenate([counts, np.zeros(len(absent))])
    noisy = counts + rng.normal(0.0, sigma, counts.size)
    public = np.asarray(uniques.isin(declared), dtype=bool)
    keep = public | (noisy > threshold)
    if level_kind == "strings":
        keep &= np.asarray(uniques != RARE_LABEL, dtype=bool)
    order = np.argsort(-noisy[keep], kind="stable")
    kept = uniques[keep].take(order)
    released = np.maximum(np.rint(noisy[keep][order]), 0).astype(np.int64)
    noisy_missing = float(missing.sum()) + rng.normal(0.0, sigma)
    has_missing = noisy_missing > bar or kept.size == 0  # some level must exist
    return CategorySummary(
        levels=_levels_of(kept, level_kind),
        counts=released,
        missing_count=max(round(noisy_missing), 1) if has_missing else None,
        level_kind=level_kind,
        stringify=stringify,
        dtype="str" if stringify else str(series.dtype),
    )


def _numbers(
    series: pd.Series,
    spec: ColumnSpec,
    sigma: float,
    bar: float,
    max_components: int,
    rng: np.random.Generator,
) -> tuple[NumericSummary, bool]:
    """The column's summary, and whether its range had to be guessed (nothing cleared the
    bar)."""
    values = numeric_values(series, spec.name, spec.kind)
    missing = np.isnan(values)
    counts = np.bincount(grid_bins(values[~missing]), minlength=N_GRID_BINS).astype(np.float64)
    noisy = counts + rng.normal(0.0, sigma, N_GRID_BINS)
    noisy_missing = float(missing.sum()) + rng.normal(0.0, sigma)
    cleared = np.flatnonzero(noisy > bar)
    guessed = cleared.size == 0
    first, last = (
        (int(cleared[0]), int(cleared[-1])) if cleared.size else (int(np.argmax(noisy)),) * 2
    )
    lower, upper = float(GRID_VALUE_EDGES[first]), float(GRID_VALUE_EDGES[last + 1])
    if spec.lower is not None:
        lower = float(spec.lower)
    if spec.upper is not None:
        upper = float(spec.upper)
    if spec.kind is ColumnKind.INTEGER:
        lower, upper = float(math.ceil(lower)), float(math.floor(upper))
    upper = max(upper, lower)
    first, last = int(grid_bins(np.array([lower]))[0]), int(grid_bins(np.array([upper]))[0])
    masses = np.maximum(noisy[first : last + 1], 0.0)
    cuts = _median_cuts(masses, max_components)  # segment ends, as bin offsets
    ends = np.asarray(cuts, dtype=np.int64)
    inner = GRID_VALUE_EDGES[first + 1 + ends[:-1]]
    edges = np.clip(np.concatenate([[lower], inner, [upper]]), lower, upper)
    segment_masses = np.add.reduceat(masses, np.concatenate([[0], ends[:-1] + 1]))
    if spec.kind is ColumnKind.INTEGER:
        dtype = "int64"
    else:
        dtype = "float32" if series.dtype == np.float32 else "float64"
    summary = NumericSummary(
        lower=lower,
        upper=upper,
        segment_edges=np.maximum.accumulate(edges),
        segment_masses=segment_masses,
        has_missing=bool(noisy_missing > bar),
        dtype=dtype,
        missing_count=max(noisy_missing, 0.0),
    )
    return summary, guessed


def _datetimes(
    series: pd.Series,
    spec: ColumnSpec,
    sigma: float,
    bar: float,
    max_components: int,
    rng: np.random.Generator,
) -> tuple[DatetimeSummary, bool]:
    """The column's summary, and whether its range had to be guessed."""
    parsed = parse_datetimes(series, spec.name, spec.datetime_format)
    # A parsed column's unit is its storage type; text is read to the microsecond (the
    # unit pandas picks when parsing depends on the digits written).
    unit = str(parsed.dt.unit) if _arrived_parsed(series) else "us"
    tz = parsed.dt.tz
    # Local wall-clock time for a zoned column: local dates stay dates, whatever the offset.
    instants = _epoch_ints(parsed, unit, tz, wall_clock=tz is not None)
    missing = instants == _NAT
    present = instants[~missing]
    months = np.bincount(time_axis.month_bins(present, unit), minlength=time_axis.N_MONTHS)
    noisy = months + rng.normal(0.0, sigma, time_axis.N_MONTHS)
    noisy_missing = float(missing.sum()) + rng.normal(0.0, sigma)
    levels = time_axis.resolution_levels(unit)
    if _whole_days_public(spec, series):
        resolution = levels[0]
    else:
        cells = np.bincount(time_axis.resolution_cells(present, levels), minlength=len(levels))
        noisy_cells = cells + rng.normal(0.0, sigma, len(levels))
        resolution = levels[time_axis.released_resolution(noisy_cells, bar)]
    n_present = min(max(len(series) - noisy_missing, 0.0), float(len(series)))
    first, end, guessed = time_axis.released_months(noisy, sigma, n_present)
    lower = time_axis.month_start(first, unit)
    upper = time_axis.month_start(end, unit) - 1
    if spec.lower is not None:
        lower = _declared_instant(float(spec.lower), spec.name, unit, tz)
    if spec.upper is not None:
        upper = _declared_instant(float(spec.upper), spec.name, unit, tz)
    origin = -(-lower // resolution) * resolution  # the first instant on the resolution
    top = max((upper - origin) // resolution, 0)  # the last, in resolutions since origin
    edges, masses = _time_segments(noisy, origin, top, resolution, unit, max_components)
    summary = DatetimeSummary(
        lower=0.0,
        upper=float(top),
        segment_edges=edges,
        segment_masses=masses,
        has_missing=bool(noisy_missing > bar),
        dtype=f"datetime64[{unit}]",
        missing_count=max(noisy_missing, 0.0),
        converter=_released_datetimes(series, spec, unit, tz, origin, resolution, top),
    )
    return summary, guessed


def _time_segments(
    noisy: np.ndarray, origin: int, top: int, resolution: int, unit: str, max_segments: int
) -> tuple[np.ndarray, np.ndarray]:
    """Segment edges (in resolutions since `origin`, 0 to `top`) of about equal noisy mass
    over the months the range touches, and their masses."""
    last_instant = origin + top * resolution
    cell_of = time_axis.month_bins(np.array([origin, last_instant]), unit)
    if cell_of[1] > cell_of[0] and time_axis.month_start(int(cell_of[1]), unit) >= last_instant:
        cell_of[1] -= 1  # the range ends on a month's first instant: no zero-width segment
    masses = np.maximum(noisy[cell_of[0] : cell_of[1] + 1], 0.0)
    ends = np.asarray(_median_cuts(masses, max_segments), dtype=np.int64)
    inner = [time_axis.month_start(int(cell_of[0] + 1 + end), unit) for end in ends[:-1]]
    edges = np.concatenate([[0.0], (np.asarray(inner, dtype=np.float64) - origin) / resolution])
    edges = np.clip(np.append(edges, float(top)), 0.0, float(top))
    segment_masses = np.add.reduceat(masses, np.concatenate([[0], ends[:-1] + 1]))
    return np.maximum.accumulate(edges), segment_masses


def _released_datetimes(
    series: pd.Series,
    spec: ColumnSpec,
    unit: str,
    tz: Any,
    origin: int,
    resolution: int,
    top: int,
) -> DatetimeConverter:
    """The converter of the released axis, writing values back in the column's storage
    type (datetime64 of its unit and zone, or text in its declared format)."""
    arrived_parsed = _arrived_parsed(series)
    out_format = None
    if spec.datetime_format is not None and not arrived_parsed:
        fmt = spec.datetime_format
        whole = _iso_format(resolution * time_axis.UNIT_NS[unit], tz is not None)
        out_format = fmt if fmt != "mixed" else whole
    dtype = str(series.dtype)
    return DatetimeConverter(
        spec.name,
        unit=unit,
        tz=tz,
        origin=int(origin),
        resolution=int(resolution),
        upper=float(top),
        out_format=out_format,
        string_dtype=dtype if dtype in _STRING_DTYPES else "str",
        empty=False,  # whether any value is present is not released
        fmt=spec.datetime_format,
        wall_clock=tz is not None,
    )


def _arrived_parsed(series: pd.Series) -> bool:
    dtype = series.dtype
    return isinstance(dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(dtype)


def _declared_instant(days: float, name: str, unit: str, tz: Any) -> int:
    """A declared bound (days since 1970, UTC for a zoned column) as an instant of the
    column's axis (counts of `unit`, local wall-clock time for a zoned column)."""
    seconds = days * 86_400.0
    if tz is not None:  # the local time of that instant
        try:
            stamp = pd.Timestamp(seconds, unit="s", tz="UTC").tz_convert(tz)
        except (OverflowError, ValueError):
            stamp = None
        offset = stamp.utcoffset() if stamp is not None else None
        seconds += offset.total_seconds() if offset is not None else 0.0
    count = seconds * (10**9 // time_axis.UNIT_NS[unit])
    limit = float(np.iinfo(np.int64).max) / 2
    if not math.isfinite(count) or abs(count) >= limit:
        raise ParameterError(
            f"column {name!r}: the declared bound {days:g} (days since 1970) is beyond what "
            f"its datetime64[{unit}] values can hold"
        )
    return round(count)


def _median_cuts(masses: np.ndarray, max_segments: int) -> list[int]:
    """Split bins 0 .. len-1 into at most `max_segments` runs of about equal mass: split
    the heaviest run (of two bins or more) at its mass median, again and again. Returns
    each run's last bin, in order."""
    runs = [(-float(masses.sum()), 0, masses.size - 1)]  # a heap of (-mass, first, last)
    done: list[tuple[int, int]] = []
    while runs and len(runs) + len(done) < max_segments:
        mass, first, last = heapq.heappop(runs)
        if first == last or mass >= 0:  # one bin, or no mass left to split by
            done.append((first, last))
            continue
        cumulative = np.cumsum(masses[first:last])  # mass up to each possible cut
        cut = first + int(np.argmin(np.abs(cumulative + mass / 2.0)))
        for a, b in ((first, cut), (cut + 1, last)):
            heapq.heappush(runs, (-float(masses[a : b + 1].sum()), a, b))
    done.extend((first, last) for _, first, last in runs)
    return sorted(last for _, last in done)
