"""A mode-specific TableEncoder built from private summaries alone (no look at the rows).

The column encoders are the ordinary ones (`transforms`), so a private model saves, loads
and decodes like any other; only their fitted state comes from `privacy.preprocessing`:

- numeric / integer: `ModeSpecificNumeric` whose modes are the released segments (mean
  at the segment's middle, standard deviation such that the ±0.99·4σ window is the
  segment: every value in range encodes without clipping) and whose converter clips to
  the released range; values outside it are clipped on encoding, row by row;
- datetime: the same, on the released time axis: a `DatetimeConverter` whose origin,
  resolution and range are the released ones (`privacy.preprocessing.DatetimeSummary`),
  so samples come back as datetime64 (or text in the declared format) of the column's
  unit and time zone, inside the released or declared range;
- categorical / boolean: `OneHotCategorical` over the released levels, with no rare
  level (unknown values encode as the most frequent released level);
- id: random UUIDs (the usual id encoder learns the keys' shape from the data);
- text: generated as missing, as always.

Encoding a row under DP-SGD is then a function of that row and of released numbers only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthera.privacy.preprocessing import (
    CategorySummary,
    DatetimeSummary,
    NumericSummary,
    PrivateSummaries,
)
from synthera.schema import ColumnKind, ColumnSpec, Schema
from synthera.transforms import TableEncoder
from synthera.transforms.base import ColumnEncoder
from synthera.transforms.categorical import OneHotCategorical
from synthera.transforms.categories import CategoryCodec
from synthera.transforms.converters import DatetimeConverter, NumberConverter
from synthera.transforms.ids import IdEncoder
from synthera.transforms.mixture import ALPHA_CLIP, Mixture
from synthera.transforms.numeric import ModeSpecificNumeric
from synthera.transforms.options import FitOptions
from synthera.transforms.text import TextEncoder

_MIN_WEIGHT_SHARE = 1e-3  # a mode with no noisy mass still gets a little prior weight


def private_encoder(
    df: pd.DataFrame, schema: Schema, summaries: PrivateSummaries, *, max_components: int
) -> TableEncoder:
    """A fitted encoder for `schema`; `df` is read for column storage types only."""
    encoder = TableEncoder(
        schema, style="mode_specific", max_components=max_components, dtype=np.float32
    )
    columns: list[ColumnEncoder] = []
    for spec in schema.columns:
        summary = summaries.columns.get(spec.name)
        if isinstance(summary, NumericSummary):
            columns.append(_numeric(spec, summary))
        elif isinstance(summary, CategorySummary):
            columns.append(OneHotCategorical(spec.name, released_codec(spec, summary)))
        elif spec.kind is ColumnKind.ID:
            columns.append(IdEncoder(spec.name, mode="uuid", dtype="str"))
        else:  # text: width 0, only the storage type is kept
            rng = np.random.default_rng(0)  # unused by TextEncoder.fit
            columns.append(TextEncoder.fit(df[spec.name], spec, FitOptions(), rng))
    encoder.encoders_ = columns
    return encoder


def segment_mixture(edges: np.ndarray, masses: np.ndarray) -> Mixture:
    """One mode per segment [edges[i], edges[i + 1]] whose encoding window is the segment."""
    lower, upper = float(edges[0]), float(edges[-1])
    floor = max(upper - lower, abs(lower), abs(upper), 1.0) * 1e-9
    means = 0.5 * (edges[:-1] + edges[1:])
    half_widths = 0.5 * (edges[1:] - edges[:-1])
    stds = np.maximum(half_widths / (4.0 * ALPHA_CLIP) * (1.0 + 1e-6), floor)
    total = float(masses.sum())
    shares = masses / total if total > 0 else np.full(masses.size, 1.0 / masses.size)
    weights = np.maximum(shares, _MIN_WEIGHT_SHARE)
    return Mixture(means.astype(np.float64), stds.astype(np.float64), weights / weights.sum())


def released_converter(
    spec: ColumnSpec, summary: NumericSummary
) -> NumberConverter | DatetimeConverter:
    """A converter that clips to the released range, in the column's storage type."""
    if isinstance(summary, DatetimeSummary):
        return summary.converter
    dtype = summary.dtype
    if spec.kind is ColumnKind.INTEGER and summary.has_missing:
        dtype = "Int64"
    return NumberConverter(
        spec.name,
        spec.kind,
        lower=summary.lower,
        upper=summary.upper,
        dtype=dtype,
        empty=False,
    )


def _numeric(spec: ColumnSpec, summary: NumericSummary) -> ModeSpecificNumeric:
    converter = released_converter(spec, summary)
    mixture = segment_mixture(summary.segment_edges, summary.segment_masses)
    return ModeSpecificNumeric(spec.name, converter, mixture, has_missing=summary.has_missing)


def released_codec(spec: ColumnSpec, summary: CategorySummary) -> CategoryCodec:
    """The codec of the released levels (unknown values encode as the most frequent)."""
    counts = summary.counts
    if summary.missing_count is not None:
        counts = np.concatenate([counts, [summary.missing_count]])
    return CategoryCodec(
        spec.name,
        levels=summary.levels,
        level_kind=summary.level_kind,
        counts=counts.astype(np.int64),
        has_rare=False,
        has_missing=summary.missing_count is not None,
        dtype=summary.dtype,
        stringify=summary.stringify,
    )
