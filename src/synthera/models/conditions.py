"""Conditional sampling by rejection, shared by every model.

A condition fixes some columns: a mapping `{"sex": "Female"}` (every row), or a DataFrame of
partial rows (one row per wanted row; missing cells are generated). Models that can
condition natively (CTGAN's conditional vector) do so before falling back to this.

Categorical, boolean and integer conditions must match exactly. A continuous value is
almost never generated exactly, so numeric and datetime conditions accept rows within a
small band around the value (a share of the column's spread) and then set the value
exactly: rows stay consistent with their neighbourhood of the condition.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

from synthera.errors import ColumnNotFoundError, ConditionError, ParameterError
from synthera.schema import MODELLED_KINDS, ColumnKind, Schema

Conditions: TypeAlias = Mapping[str, Any] | pd.DataFrame
SampleFn: TypeAlias = Callable[[int, np.random.Generator], pd.DataFrame]
# A model's own conditional sampler: rows meeting {column: value}, or None if it cannot.
NativeFn: TypeAlias = Callable[[int, Mapping[str, Any], np.random.Generator], pd.DataFrame | None]

NUMERIC_BAND = 0.05  # half-width of the accepted band, in standard deviations of the column
MIN_BATCH = 1_000
BUDGET_FACTOR = 200  # at most this many generated rows per wanted row...
MIN_BUDGET = 50_000  # ...but never fewer than this many in all
MAX_BUDGET = 5_000_000


def condition_key(values: pd.Series) -> pd.Series:
    """A comparable form of labels: '1', 1 and 1.0 are one key; text is stripped."""
    uniques = pd.unique(values.dropna())
    mapping = {u: _scalar_key(u) for u in uniques}
    return values.map(mapping)


def _scalar_key(value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    text = str(value).strip()
    if text.lower() in {"true", "false"}:
        return text.lower()
    try:
        number = float(text)
    except ValueError:
        return text
    return repr(float(number)) if np.isfinite(number) else text


class ConditionSampler:
    """Draws from an unconditional sampler until enough rows meet the conditions."""

    def __init__(self, schema: Schema, sample: SampleFn, native: NativeFn | None = None) -> None:
        self.schema = schema
        self._sample = sample
        self._native = native

    def sample(self, n: int, conditions: Conditions, rng: np.random.Generator) -> pd.DataFrame:
        if isinstance(conditions, pd.DataFrame):
            return self._sample_rows(n, conditions, rng)
        return self._sample_fixed(n, dict(conditions), rng)

    def _check_columns(self, names: list[str]) -> None:
        for name in names:
            if name not in self.schema:
                raise ColumnNotFoundError(
                    f"condition names column {name!r}, which the model does not have"
                )
            kind = self.schema[name].kind
            if kind not in MODELLED_KINDS:
                raise ConditionError(
                    f"cannot condition on {name!r}: {kind.value} columns are not modelled"
                )

    def _sample_rows(self, n: int, partial: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
        if n != len(partial):
            raise ParameterError(
                f"asked for {n} rows with {len(partial)} partial rows; give one per wanted row"
            )
        columns = [str(c) for c in partial.columns]
        self._check_columns(columns)
        partial = partial.reset_index(drop=True)
        if n == 0 or not columns:
            return self._sample(n, rng)
        # Rows that fix the same values form one group, sampled in one go.
        keys = pd.DataFrame({c: condition_key(partial[c]).fillna("\x00") for c in columns})
        signature = keys.agg("\x1f".join, axis=1)
        pieces = []
        for positions in signature.groupby(signature, sort=False).indices.values():
            first = partial.iloc[positions[0]]
            wanted = {c: first[c] for c in columns if not _is_missing(first[c])}
            rows = self._sample_fixed(len(positions), wanted, rng)
            rows.index = positions
            pieces.append(rows)
        return pd.concat(pieces).sort_index().reset_index(drop=True)

    def _sample_fixed(
        self, n: int, wanted: dict[str, Any], rng: np.random.Generator
    ) -> pd.DataFrame:
        self._check_columns(list(wanted))
        if n == 0 or not wanted:
            return self._sample(n, rng)
        if self._native is not None:
            native_rows = self._native(n, wanted, rng)
            if native_rows is not None:
                return native_rows
        budget = int(min(MAX_BUDGET, max(MIN_BUDGET, BUDGET_FACTOR * n)))
        accepted: list[pd.DataFrame] = []
        have = drawn = 0
        bands: dict[str, float] = {}
        while have < n and drawn < budget:
            rate = (have + 1) / (drawn + 1) if drawn else 1.0
            batch = int(min(budget - drawn, max(MIN_BATCH, 1.2 * (n - have) / rate)))
            rows = self._sample(batch, rng)
            drawn += batch
            mask = np.ones(batch, dtype=bool)
            for name, value in wanted.items():
                mask &= self._matches(rows[name], value, name, bands)
            if mask.any():
                accepted.append(rows[mask])
                have += int(mask.sum())
        if have < n:
            shown = ", ".join(f"{k}={v!r}" for k, v in wanted.items())
            raise ConditionError(
                f"could not generate {n} rows with {shown}: only {have} of {drawn:,} generated "
                "rows matched; the model (almost) never produces this value"
            )
        result = pd.concat(accepted).iloc[:n].reset_index(drop=True)
        for name, value in wanted.items():
            if self.schema[name].kind in (ColumnKind.NUMERIC, ColumnKind.DATETIME):
                result[name] = _exact_values(result[name], value, n)
        return result

    def _matches(self, column: pd.Series, value: Any, name: str, bands: dict[str, float]) -> Any:
        kind = self.schema[name].kind
        if _is_missing(value):
            return column.isna().to_numpy()
        if kind in (ColumnKind.NUMERIC, ColumnKind.DATETIME):
            numbers, target = _as_numbers(column, value, name)
            if name not in bands:
                spread = float(np.nanstd(numbers)) if np.isfinite(numbers).any() else 0.0
                bands[name] = NUMERIC_BAND * spread
            return np.abs(numbers - target) <= bands[name]
        return (condition_key(column) == _scalar_key(value)).to_numpy()


def _is_missing(value: Any) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def _as_numbers(column: pd.Series, value: Any, name: str) -> tuple[np.ndarray, float]:
    try:
        if pd.api.types.is_numeric_dtype(column.dtype):
            return column.to_numpy(dtype=float, na_value=np.nan), float(value)
        stamps = pd.to_datetime(column, errors="coerce")
        target = pd.Timestamp(value)
    except (TypeError, ValueError):
        raise ConditionError(f"condition {name}={value!r} is not a valid value") from None
    as_float = stamps.to_numpy(dtype="datetime64[ns]").astype("int64").astype(float)
    as_float[stamps.isna().to_numpy()] = np.nan
    return as_float, float(target.value)


def _exact_values(column: pd.Series, value: Any, n: int) -> pd.Series:
    if pd.api.types.is_numeric_dtype(column.dtype):
        return pd.Series(np.full(n, float(value)), dtype=column.dtype)
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        return pd.Series([pd.Timestamp(value)] * n, dtype=column.dtype)
    return pd.Series([value] * n, dtype=column.dtype)
