"""The levels of a categorical or boolean column, as integer codes and back.

Codes are laid out as: the kept levels, most frequent first (ties in order of first
appearance); then the rare level, if any value was folded into it; then the missing level,
if the column had missing values. Everything is vectorized through pandas' hash tables
(`factorize`, `Index.get_indexer`) and NumPy `take`, so a column with 10**5 levels costs
about as much as one with 3.

Rare folding: levels seen in fewer than `rare_threshold` rows are folded into one level,
RARE_LABEL, which is a normal level from then on and decodes to "_rare_" (a numeric or
boolean column that had levels folded decodes as object dtype so that it can hold the
label). The folded values themselves are never stored. Levels the schema declares
(`ColumnSpec.categories`, public knowledge) are never folded. A value already equal to
"_rare_" shares the rare level.

Unknown values at transform time (not seen at fit, or folded) map to the rare level when
there is one, else to the most frequent level. Missing values at transform time in a
column that had none at fit are treated the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd

from synthera.schema import ColumnSpec
from synthera.transforms.base import (
    malformed,
    read_array,
    read_bool,
    read_list,
    read_optional_str,
    read_str,
)

RARE_LABEL = "_rare_"

LevelKind = Literal["strings", "objects", "numbers"]
_STRING_DTYPES = ("str", "string")
_NUMBER_DTYPES = (
    "bool",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float16",
    "float32",
    "float64",
)
_JSON_SCALARS = (str, bool, int, float)


class CategoryCodec:
    """Values <-> codes for one categorical or boolean column."""

    def __init__(
        self,
        name: str,
        *,
        levels: list[Any] | np.ndarray,
        level_kind: LevelKind,
        counts: np.ndarray,
        has_rare: bool,
        has_missing: bool,
        dtype: str,
        stringify: bool,
    ) -> None:
        self.name = name
        self.levels = levels
        self.level_kind = level_kind
        self.counts = counts
        self.has_rare = has_rare
        self.has_missing = has_missing
        self.dtype = dtype  # the column's dtype at fit ("str", "int64", "category", ...)
        self.stringify = stringify  # values were not JSON scalars: compared as strings
        n_kept = len(levels)
        self.n_codes = n_kept + int(has_rare) + int(has_missing)
        self.rare_code = n_kept if has_rare else -1
        self.missing_code = self.n_codes - 1 if has_missing else -1
        self.fallback_code = self.rare_code if has_rare else 0
        self._index = _level_index(levels, level_kind)
        if self.n_codes == 0 or counts.size != self.n_codes:
            raise malformed(f"column {name!r}: {counts.size} counts for {self.n_codes} codes")

    # ---- fitting ----------------------------------------------------------------------

    @classmethod
    def fit(cls, series: pd.Series, spec: ColumnSpec, *, rare_threshold: int) -> CategoryCodec:
        dtype = str(series.dtype)
        values, level_kind, stringify = _comparable(series)
        missing = values.isna().to_numpy()
        present = values[~missing]
        codes, uniques = pd.factorize(present)
        counts = np.bincount(codes, minlength=len(uniques)).astype(np.int64)
        order = np.argsort(-counts, kind="stable")
        uniques, counts = uniques.take(order), counts[order]
        keep = counts >= rare_threshold
        if spec.categories is not None:
            keep |= np.asarray(uniques.isin(list(spec.categories)), dtype=bool)
        if level_kind == "strings":
            keep &= np.asarray(uniques != RARE_LABEL, dtype=bool)
        has_rare = bool((~keep).any())
        kept = uniques[keep]
        all_counts = [counts[keep]]
        if has_rare:
            all_counts.append(np.array([counts[~keep].sum()], dtype=np.int64))
        if missing.any():
            all_counts.append(np.array([missing.sum()], dtype=np.int64))
        return cls(
            spec.name,
            levels=_levels_of(kept, level_kind),
            level_kind=level_kind,
            counts=np.concatenate(all_counts).astype(np.int64),
            has_rare=has_rare,
            has_missing=bool(missing.any()),
            dtype="str" if stringify else dtype,
            stringify=stringify,
        )

    # ---- codes ------------------------------------------------------------------------

    def encode(self, series: pd.Series) -> np.ndarray:
        """int64 codes for a Series; unknown values get `fallback_code`."""
        values = _as_strings(series) if self.stringify else _unwrap_categorical(series)
        missing = values.isna().to_numpy()
        codes = self._index.get_indexer(values).astype(np.int64)
        codes[codes < 0] = self.fallback_code
        if missing.any():
            codes[missing] = self.missing_code if self.has_missing else self.fallback_code
        return codes

    def decode(self, codes: np.ndarray) -> pd.Series:
        """Values for codes (clipped into range), in the column's original dtype."""
        codes = np.clip(np.asarray(codes, dtype=np.int64), 0, self.n_codes - 1)
        missing = codes == self.missing_code
        n_kept = len(self.levels)
        if self.dtype == "category":
            categories = [*list(self.levels), *([RARE_LABEL] if self.has_rare else [])]
            cat_codes = np.where(missing, -1, codes)
            return pd.Series(
                pd.Categorical.from_codes(cat_codes, categories=pd.Index(categories)),
                name=self.name,
            )
        if self.level_kind == "numbers" and not self.has_rare and n_kept:
            levels = np.asarray(self.levels)
            taken = pd.Series(levels[np.minimum(codes, n_kept - 1)], name=self.name)
            if missing.any() or self.has_missing:
                taken = taken.astype(_nullable(self.dtype)).mask(missing)
            return taken.astype(_nullable(self.dtype) if self.has_missing else self.dtype)
        lookup = np.empty(self.n_codes, dtype=object)
        lookup[:n_kept] = (
            self.levels.tolist() if isinstance(self.levels, np.ndarray) else list(self.levels)
        )
        if self.has_rare:
            lookup[self.rare_code] = RARE_LABEL
        if self.has_missing:
            lookup[self.missing_code] = np.nan
        out = lookup[codes]
        if self.level_kind == "strings" or self.stringify:
            return pd.Series(out, name=self.name, dtype=self.dtype)
        if self.has_rare or self.level_kind == "objects":
            return pd.Series(out, name=self.name, dtype=object)
        return pd.Series(out, name=self.name).astype(_nullable(self.dtype))  # no kept level

    # ---- state ------------------------------------------------------------------------

    def get_state(self) -> dict[str, Any]:
        numbers = self.level_kind == "numbers"
        levels: list[Any] | np.ndarray = np.asarray(self.levels) if numbers else list(self.levels)
        return {
            "levels": levels,
            "level_kind": self.level_kind,
            "level_dtype": str(np.asarray(self.levels).dtype)
            if self.level_kind == "numbers"
            else None,
            "counts": self.counts.copy(),
            "has_rare": self.has_rare,
            "has_missing": self.has_missing,
            "dtype": self.dtype,
            "stringify": self.stringify,
        }

    @classmethod
    def from_state(cls, name: str, state: Mapping[str, Any]) -> CategoryCodec:
        level_kind = read_str(state, "level_kind", ("strings", "objects", "numbers"))
        levels: list[Any] | np.ndarray
        if level_kind == "numbers":
            level_dtype = read_optional_str(state, "level_dtype")
            if level_dtype not in _NUMBER_DTYPES:
                raise malformed(f"unsupported 'level_dtype' {level_dtype!r}")
            levels = read_array(state, "levels", level_dtype, finite=False)
        else:
            levels = read_list(state, "levels")
            allowed = (str,) if level_kind == "strings" else _JSON_SCALARS
            if not all(isinstance(v, allowed) for v in levels):
                raise malformed(f"'levels' of column {name!r} hold values of the wrong type")
        if not pd.Index(levels, dtype=object).is_unique:
            raise malformed(f"'levels' of column {name!r} repeat a value")
        counts = read_array(state, "counts", np.int64)
        if (counts < 0).any():
            raise malformed("'counts' should not be negative")
        dtype = read_str(state, "dtype")
        if dtype != "category":
            try:
                pd.api.types.pandas_dtype(dtype)
            except TypeError:
                raise malformed(f"unknown dtype {dtype!r}") from None
        return cls(
            name,
            levels=levels,
            level_kind=level_kind,  # type: ignore[arg-type]
            counts=counts,
            has_rare=read_bool(state, "has_rare"),
            has_missing=read_bool(state, "has_missing"),
            dtype=dtype,
            stringify=read_bool(state, "stringify"),
        )


# ---- helpers ------------------------------------------------------------------------------


def _unwrap_categorical(series: pd.Series) -> pd.Series:
    if isinstance(series.dtype, pd.CategoricalDtype):
        return series.astype(series.cat.categories.dtype)
    return series


def _as_strings(series: pd.Series) -> pd.Series:
    return series.astype("str")


def _comparable(series: pd.Series) -> tuple[pd.Series, LevelKind, bool]:
    """The series as it is compared to levels, the kind of its levels, and whether it had
    to be turned into strings (values that are not plain JSON scalars)."""
    values = _unwrap_categorical(series)
    dtype = values.dtype
    if str(dtype) in _STRING_DTYPES:
        return values, "strings", False
    if _numpy_number_dtype(dtype) is not None:
        return values, "numbers", False
    if isinstance(dtype, np.dtype) and dtype.kind == "O":
        uniques = pd.unique(values.dropna())
        if all(isinstance(v, str) for v in uniques):
            return values, "strings", False
        if all(_is_json_scalar(v) for v in uniques):
            return values, "objects", False
    return _as_strings(series), "strings", True


def _is_json_scalar(value: Any) -> bool:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return bool(np.isfinite(value))
    return isinstance(value, _JSON_SCALARS)


def _numpy_number_dtype(dtype: Any) -> np.dtype | None:
    """The NumPy dtype that holds the levels of a numeric or boolean column, if it is one."""
    if isinstance(dtype, pd.CategoricalDtype):
        return None
    if isinstance(dtype, np.dtype):
        return dtype if dtype.kind in "biuf" else None
    numpy_dtype = getattr(dtype, "numpy_dtype", None)  # nullable Int64, boolean, Float64
    if isinstance(numpy_dtype, np.dtype) and numpy_dtype.kind in "biuf":
        return numpy_dtype
    return None


def _levels_of(kept: pd.Index, level_kind: LevelKind) -> list[Any] | np.ndarray:
    if level_kind == "numbers":
        number_dtype = _numpy_number_dtype(kept.dtype) or np.dtype(np.float64)
        return kept.to_numpy(dtype=number_dtype)
    return [v.item() if isinstance(v, np.generic) else v for v in kept.tolist()]


def _level_index(levels: list[Any] | np.ndarray, level_kind: LevelKind) -> pd.Index:
    if level_kind == "numbers":
        return pd.Index(np.asarray(levels))
    if level_kind == "strings":
        return pd.Index(list(levels), dtype="str")
    return pd.Index(list(levels), dtype=object)


def _nullable(dtype: str) -> str:
    """The dtype that can also hold missing values (int64 -> Int64, bool -> boolean)."""
    try:
        numpy_dtype = np.dtype(dtype)
    except TypeError:
        return dtype
    if numpy_dtype.kind == "b":
        return "boolean"
    if numpy_dtype.kind in "iu":
        return ("UInt" if numpy_dtype.kind == "u" else "Int") + str(numpy_dtype.itemsize * 8)
    return dtype
