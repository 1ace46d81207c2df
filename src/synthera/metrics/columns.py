"""How metrics read a column: as numbers or as labels, decided by the Schema alone.

Numeric, integer and datetime columns are read as floats (datetimes as days since
1970); categorical and boolean columns as text labels. A real and a synthetic table
written by different tools then compare equal: 3, 3.0 and "3" are the same label.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from synthera.schema import ColumnKind, ColumnSpec

NUMERIC_KINDS = frozenset({ColumnKind.NUMERIC, ColumnKind.INTEGER, ColumnKind.DATETIME})
CATEGORICAL_KINDS = frozenset({ColumnKind.CATEGORICAL, ColumnKind.BOOLEAN})
NANOSECONDS_PER_DAY = 86_400 * 10**9


def is_numeric(spec: ColumnSpec) -> bool:
    return spec.kind in NUMERIC_KINDS


def numbers(series: pd.Series, spec: ColumnSpec) -> np.ndarray:
    """A float array; missing or unreadable values are NaN."""
    if spec.kind is ColumnKind.DATETIME:
        return _datetime_days(series, spec.datetime_format)
    if pd.api.types.is_bool_dtype(series.dtype):
        return series.astype(float).to_numpy()
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _datetime_days(series: pd.Series, fmt: str | None) -> np.ndarray:
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        stamps = series.dt.tz_convert("UTC").dt.tz_localize(None)
    elif pd.api.types.is_datetime64_any_dtype(series.dtype):
        stamps = series
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            stamps = pd.to_datetime(series, format=fmt, errors="coerce")
    stamps = stamps.astype("datetime64[ns]")
    values = stamps.to_numpy(dtype="datetime64[ns]").astype(np.int64).astype(float)
    values[pd.isna(stamps).to_numpy()] = np.nan
    return values / NANOSECONDS_PER_DAY


def labels(series: pd.Series) -> pd.Series:
    """Text labels with missing values kept missing; whole floats read as integers."""
    if pd.api.types.is_bool_dtype(series.dtype):
        return series.astype("string")
    if pd.api.types.is_float_dtype(series.dtype):
        values = series.to_numpy(dtype=float, na_value=np.nan)
        finite = values[np.isfinite(values)]
        if np.all(finite == np.round(finite)):
            return series.astype("Int64").astype("string")
    return series.astype("string")


def category_codes(series: pd.Series, categories: list[str]) -> tuple[np.ndarray, int, int]:
    """Integer codes: 0..K-1 for `categories`, K for any other label, K+1 for missing.

    Returns (codes, other_code, missing_code).
    """
    text = labels(series)
    k = len(categories)
    values = text.to_numpy(dtype=object, na_value=None)
    codes = pd.Index(categories, dtype=object).get_indexer(values).astype(np.int64)
    missing = text.isna().to_numpy()
    codes[codes < 0] = k
    codes[missing] = k + 1
    return codes, k, k + 1


def top_categories(series: pd.Series, limit: int) -> list[str]:
    """The `limit` most frequent labels (ties broken by label, so the order is stable)."""
    counts = labels(series).value_counts(dropna=True)
    ordered = sorted(counts.items(), key=lambda item: (-item[1], str(item[0])))
    return [str(label) for label, _ in ordered[:limit]]
