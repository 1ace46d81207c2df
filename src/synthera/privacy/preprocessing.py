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
  clears the same bar.

The grid and the zero bin are public, so numeric cells need no threshold. Public without
paying: the schema (names, kinds, roles, declared bounds and categories: a schema that
`Schema.infer` read off the rows is outside the guarantee, so declare it for a strict
one), each column's storage type (float32 or float64, strings or numbers) and the number
of rows (it sets DP-SGD's sampling rate and the default δ). Id columns come back as
random UUIDs and datetime columns are refused (their encoders learn from the rows).
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import norm

from synthera.errors import ParameterError, SchemaError, one_line
from synthera.privacy.gaussian import gaussian_sigma
from synthera.privacy.ledger import BudgetPart
from synthera.schema import ColumnKind, ColumnSpec, Schema
from synthera.transforms.base import show
from synthera.transforms.categories import RARE_LABEL, LevelKind, _comparable, _levels_of
from synthera.transforms.converters import numeric_values

GRID_EXPONENTS = (-20, 64)  # the grid spans ±2^-20 ... ±2^64
GRID_STEPS_PER_OCTAVE = 4
BOUNDS_FALSE_BIN_RATE = 0.01  # chance per column that an empty bin widens the range
THRESHOLD_DELTA_SHARE = 0.5  # of the preprocessing δ: the rest pays the Gaussian mechanism
_NUMERIC = (ColumnKind.NUMERIC, ColumnKind.INTEGER)
_DISCRETE = (ColumnKind.CATEGORICAL, ColumnKind.BOOLEAN)


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
    """A numeric or integer column: its range, its mode segments (edges and noisy masses)
    and whether it gets a missing-value indicator."""

    lower: float
    upper: float
    segment_edges: np.ndarray  # (modes + 1,), from lower to upper
    segment_masses: np.ndarray  # (modes,)
    has_missing: bool
    dtype: str


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
    modelled = [spec for spec in schema.columns if spec.kind in (*_NUMERIC, *_DISCRETE)]
    dates = schema.of_kind(ColumnKind.DATETIME)
    if dates:
        raise ParameterError(
            one_line(
                f"private fits do not model datetime columns yet ({', '.join(map(repr, dates))}): "
                "convert them to numbers (e.g. days since a fixed date) or drop them"
            )
        )
    if not modelled:
        raise ParameterError(
            "a private fit needs at least one numeric, integer, categorical or boolean column"
        )
    n_discrete = sum(spec.kind in _DISCRETE for spec in modelled)
    delta_threshold = THRESHOLD_DELTA_SHARE * delta if n_discrete else 0.0
    sensitivity = math.sqrt(len(modelled))
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
            numeric, guessed = _numbers(series, spec, sigma, bar, max_components, rng)
            if guessed:
                notes.append(
                    f"column {spec.name!r}: too few rows to find its range privately at this "
                    "epsilon; declare lower/upper in the schema or raise epsilon"
                )
            columns[spec.name] = numeric
    part = BudgetPart(
        name="preprocessing",
        epsilon=epsilon,
        delta=delta,
        mechanism=(
            f"one Gaussian histogram over {len(modelled)} columns (sigma={sigma:.4g}, L2 "
            f"sensitivity sqrt({len(modelled)}), analytic Gaussian mechanism): category sets "
            + (f"above a noisy threshold of {threshold:.0f} rows, " if n_discrete else "")
            + "category and missing-value counts, numeric ranges and modes"
        ),
    )
    return PrivateSummaries(
        columns=columns,
        part=part,
        public=_public_facts(schema),
        notes=tuple(notes),
        sigma=sigma,
        threshold=threshold,
    )


def _public_facts(schema: Schema) -> tuple[str, ...]:
    facts = [
        "the schema: column names, kinds and roles (declare it: a schema inferred from "
        "the rows is not covered by the budget)",
        "the number of rows (sets the sampling rate and the default delta)",
        "each column's storage type (float32 or float64, text or number labels)",
    ]
    for spec in schema.columns:
        if spec.lower is not None or spec.upper is not None:
            facts.append(f"declared bounds of {spec.name!r}: [{spec.lower}, {spec.upper}]")
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
    )
    return summary, guessed


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
