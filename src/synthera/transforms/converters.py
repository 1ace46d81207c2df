"""Numbers, whole numbers and timestamps as float64, and back.

A converter is the value side of a numeric-like column: it checks that the values fit the
declared kind, turns them into float64 (NaN where missing) for the encoders, and turns
floats back into valid values: clipped to the learned range, rounded where the kind asks,
in the column's dtype.

Datetimes become integer counts of their *resolution* (the coarsest of day, hour, minute,
second, ms, us, ns that divides every value's distance from the earliest one) since the
earliest value. Those counts are small exact integers in float64 (a day-resolution column
over a century is ~36,500), so rounding on decode gives back the exact timestamps. Only a
nanosecond-resolution column spanning more than ~104 days exceeds float64's 2**53 and may
come back a few nanoseconds off (and, in the mode-specific style, whose arithmetic adds
round-off of about 1e-16 of the range: microsecond columns stay exact over decades).

Time zones are kept. A column in a named zone is modelled as local wall-clock time when
none of its values falls in a repeated daylight-saving hour (so local dates stay local
dates, whatever the offset), else as UTC instants; a fixed-offset column as UTC instants.
"""

from __future__ import annotations

import datetime as _dt
import warnings
from collections.abc import Mapping
from typing import Any, Protocol

import numpy as np
import pandas as pd

from synthera.errors import SchemaError, one_line
from synthera.schema import ColumnKind, ColumnSpec
from synthera.transforms.base import (
    malformed,
    read_bool,
    read_float,
    read_int,
    read_mapping,
    read_optional_str,
    read_str,
    show,
)

_NAT = np.iinfo(np.int64).min
_UNIT_NS = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}
_DAY_NS = 86_400 * 10**9
# Candidate resolutions, coarsest first, in nanoseconds.
_RESOLUTIONS_NS = (_DAY_NS, 3_600 * 10**9, 60 * 10**9, 10**9, 10**6, 10**3, 1)
_STRING_DTYPES = ("str", "string", "object")


class ValueConverter(Protocol):
    """Values of one numeric-like column <-> float64 (NaN where missing)."""

    name: str
    empty: bool  # the column held no values at fit: everything decodes as missing
    lower: float  # the range of the float values, for clipping
    upper: float

    def to_float(self, series: pd.Series) -> np.ndarray: ...

    def from_float(self, values: np.ndarray, missing: np.ndarray) -> pd.Series: ...

    def get_state(self) -> dict[str, Any]: ...


def fit_converter(series: pd.Series, spec: ColumnSpec) -> NumberConverter | DatetimeConverter:
    if spec.kind is ColumnKind.DATETIME:
        return DatetimeConverter.fit(series, spec)
    if spec.kind in (ColumnKind.NUMERIC, ColumnKind.INTEGER):
        return NumberConverter.fit(series, spec)
    raise SchemaError(f"column {spec.name!r} of kind {spec.kind.value} is not numeric-like")


def converter_from_state(
    spec: ColumnSpec, state: Mapping[str, Any]
) -> NumberConverter | DatetimeConverter:
    state = read_mapping(state)
    kind = read_str(state, "type", ("number", "datetime"))
    if kind == "datetime":
        return DatetimeConverter.from_state(spec, state)
    return NumberConverter.from_state(spec, state)


# ---- numbers ------------------------------------------------------------------------------


def numeric_values(series: pd.Series, name: str, kind: ColumnKind) -> np.ndarray:
    """float64 values of a numeric or integer column, NaN where missing; SchemaError if the
    column holds something else."""
    dtype = series.dtype
    if isinstance(dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(dtype):
        raise SchemaError(
            f"column {name!r} is declared {kind.value} but holds dates; declare it datetime"
        )
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        converted = pd.to_numeric(series, errors="coerce")
        values = np.asarray(converted, dtype=np.float64)
        bad = np.isnan(values) & series.notna().to_numpy()
        if bad.any():
            example = series[bad].iloc[0]
            raise SchemaError(
                one_line(
                    f"column {name!r} is declared {kind.value} but holds non-numeric values "
                    f"such as {show(example)}"
                )
            )
    if np.isinf(values).any():
        raise SchemaError(
            f"column {name!r} holds infinite values; replace them or mark them missing"
        )
    if kind is ColumnKind.INTEGER:
        finite = values[~np.isnan(values)]
        fractional = finite != np.round(finite)
        if fractional.any():
            raise SchemaError(
                one_line(
                    f"column {name!r} is declared integer but holds non-whole numbers such as "
                    f"{show(finite[fractional][0])}; declare it numeric"
                )
            )
    return values


class NumberConverter:
    """numeric (floats) and integer (rounded; Int64 when the column had missing values)."""

    def __init__(
        self, name: str, kind: ColumnKind, *, lower: float, upper: float, dtype: str, empty: bool
    ) -> None:
        self.name = name
        self.kind = kind
        self.lower = lower
        self.upper = upper
        self.dtype = dtype
        self.empty = empty

    @classmethod
    def fit(cls, series: pd.Series, spec: ColumnSpec) -> NumberConverter:
        values = numeric_values(series, spec.name, spec.kind)
        observed = values[~np.isnan(values)]
        has_missing = observed.size < values.size
        if observed.size:
            lower, upper = float(observed.min()), float(observed.max())
        else:
            lower = upper = 0.0
        if spec.lower is not None:
            lower = max(lower, float(spec.lower))
        if spec.upper is not None:
            upper = min(upper, float(spec.upper))
        if spec.kind is ColumnKind.INTEGER:
            lower, upper = float(np.ceil(lower)), float(np.floor(upper))
            dtype = "Int64" if has_missing else "int64"
        else:
            dtype = "float32" if series.dtype == np.float32 else "float64"
        upper = max(upper, lower)
        return cls(
            spec.name, spec.kind, lower=lower, upper=upper, dtype=dtype, empty=observed.size == 0
        )

    def to_float(self, series: pd.Series) -> np.ndarray:
        return numeric_values(series, self.name, self.kind)

    def from_float(self, values: np.ndarray, missing: np.ndarray) -> pd.Series:
        values = np.clip(np.asarray(values, dtype=np.float64), self.lower, self.upper)
        missing = np.asarray(missing, dtype=bool) | self.empty
        if self.kind is ColumnKind.INTEGER:
            ints = np.rint(values).astype(np.int64)
            if self.dtype == "Int64" or missing.any():
                return pd.Series(pd.arrays.IntegerArray(ints, missing.copy()), name=self.name)
            return pd.Series(ints, name=self.name)
        values = np.where(missing, np.nan, values).astype(self.dtype)
        return pd.Series(values, name=self.name)

    def get_state(self) -> dict[str, Any]:
        return {
            "type": "number",
            "lower": self.lower,
            "upper": self.upper,
            "dtype": self.dtype,
            "empty": self.empty,
        }

    @classmethod
    def from_state(cls, spec: ColumnSpec, state: Mapping[str, Any]) -> NumberConverter:
        if spec.kind not in (ColumnKind.NUMERIC, ColumnKind.INTEGER):
            raise malformed(f"a number converter cannot serve a {spec.kind.value} column")
        dtypes = ("Int64", "int64") if spec.kind is ColumnKind.INTEGER else ("float64", "float32")
        lower, upper = read_float(state, "lower"), read_float(state, "upper")
        if not (np.isfinite(lower) and np.isfinite(upper) and lower <= upper):
            raise malformed("'lower' and 'upper' should be finite with lower <= upper")
        return cls(
            spec.name,
            spec.kind,
            lower=lower,
            upper=upper,
            dtype=read_str(state, "dtype", dtypes),
            empty=read_bool(state, "empty"),
        )


# ---- datetimes ----------------------------------------------------------------------------


def parse_datetimes(series: pd.Series, name: str, fmt: str | None) -> pd.Series:
    """A datetime64 Series (tz-aware if the data is), or SchemaError for unparseable values."""
    dtype = series.dtype
    if isinstance(dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(dtype):
        return series
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype):
        example = series.dropna().iloc[0] if series.notna().any() else None
        if example is None:  # an all-missing column read as float
            return pd.Series(pd.NaT, index=series.index, dtype="datetime64[us]")
        raise SchemaError(
            one_line(
                f"column {name!r} is declared datetime but holds numbers such as {show(example)}; "
                "declare it integer or numeric"
            )
        )
    strings = series.astype("str").str.strip()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            parsed = _to_datetime(strings, fmt, utc=False)
        except ValueError:  # mixed UTC offsets: keep the instants, in UTC
            parsed = _to_datetime(strings, fmt, utc=True)
    bad = parsed.isna().to_numpy() & series.notna().to_numpy()
    if bad.any():
        shown = f" (format {fmt!r})" if fmt else ""
        raise SchemaError(
            one_line(
                f"column {name!r} is declared datetime{shown} but holds values that are not "
                f"dates, such as {show(series[bad].iloc[0])}"
            )
        )
    return parsed


def _to_datetime(strings: pd.Series, fmt: str | None, *, utc: bool) -> pd.Series:
    return pd.to_datetime(
        strings, format="mixed" if fmt in (None, "mixed") else fmt, errors="coerce", utc=utc
    )


def _tz_to_state(tz: Any) -> dict[str, Any] | None:
    if tz is None:
        return None
    if isinstance(tz, _dt.timezone):
        offset = tz.utcoffset(None)
        return {"offset_seconds": int(offset.total_seconds())}
    name = getattr(tz, "key", None) or getattr(tz, "zone", None) or str(tz)
    return {"name": str(name)}


def _tz_from_state(state: Any) -> Any:
    if state is None:
        return None
    state = read_mapping(state, None)
    if "offset_seconds" in state:
        seconds = read_int(state, "offset_seconds")
        if abs(seconds) >= 86_400:
            raise malformed("'offset_seconds' should be less than a day")
        return _dt.timezone(_dt.timedelta(seconds=seconds))
    name = read_str(state, "name")
    try:
        pd.Timestamp("2000-01-01", tz=name)
    except Exception:
        raise malformed(f"unknown time zone {name!r}") from None
    return name


def _iso_format(resolution_ns: int, has_tz: bool) -> str:
    if resolution_ns % _DAY_NS == 0:
        fmt = "%Y-%m-%d"
    elif resolution_ns % 10**9 == 0:
        fmt = "%Y-%m-%d %H:%M:%S"
    else:
        fmt = "%Y-%m-%d %H:%M:%S.%f"
    return fmt + ("%z" if has_tz else "")


class DatetimeConverter:
    """Timestamps (tz-aware or naive, or strings in a declared format) <-> counts of the
    column's resolution since its earliest value."""

    def __init__(
        self,
        name: str,
        *,
        unit: str,
        tz: Any,
        origin: int,
        resolution: int,
        upper: float,
        out_format: str | None,
        string_dtype: str,
        empty: bool,
        fmt: str | None,
        wall_clock: bool = False,
    ) -> None:
        self.name = name
        self.unit = unit
        self.tz = tz
        self.wall_clock = wall_clock  # counts of local wall-clock time, not of UTC instants
        self.origin = origin  # earliest value, in `unit` since the epoch
        self.resolution = resolution  # in `unit`
        self.lower = 0.0
        self.upper = upper
        self.out_format = out_format  # strftime format when the column holds strings
        self.string_dtype = string_dtype
        self.empty = empty
        self.fmt = fmt

    @classmethod
    def fit(cls, series: pd.Series, spec: ColumnSpec) -> DatetimeConverter:
        parsed = parse_datetimes(series, spec.name, spec.datetime_format)
        unit = str(parsed.dt.unit)
        tz = parsed.dt.tz
        wall_clock = _wall_clock_is_exact(parsed)
        ints = _epoch_ints(parsed, unit, tz, wall_clock=wall_clock)
        observed = ints[ints != _NAT]
        origin = int(observed.min()) if observed.size else 0
        diffs = observed - origin
        resolution = 1
        for candidate_ns in _RESOLUTIONS_NS:
            if candidate_ns % _UNIT_NS[unit]:
                continue
            candidate = candidate_ns // _UNIT_NS[unit]
            if np.all(diffs % candidate == 0):
                resolution = candidate
                break
        upper = float(diffs.max() // resolution) if observed.size else 0.0
        arrived_parsed = isinstance(
            series.dtype, pd.DatetimeTZDtype
        ) or pd.api.types.is_datetime64_any_dtype(series.dtype)
        as_strings = spec.datetime_format is not None and not arrived_parsed
        out_format = None
        if as_strings:
            fmt = spec.datetime_format
            out_format = (
                fmt
                if fmt not in (None, "mixed")
                else _iso_format(resolution * _UNIT_NS[unit], tz is not None)
            )
        string_dtype = str(series.dtype) if str(series.dtype) in _STRING_DTYPES else "str"
        return cls(
            spec.name,
            unit=unit,
            tz=tz,
            origin=origin,
            resolution=int(resolution),
            upper=upper,
            out_format=out_format,
            string_dtype=string_dtype,
            empty=observed.size == 0,
            fmt=spec.datetime_format,
            wall_clock=wall_clock,
        )

    def to_float(self, series: pd.Series) -> np.ndarray:
        parsed = parse_datetimes(series, self.name, self.fmt)
        ints = _epoch_ints(parsed, self.unit, self.tz, wall_clock=self.wall_clock)
        missing = ints == _NAT
        values = (ints - self.origin).astype(np.float64) / self.resolution
        values[missing] = np.nan
        return values

    def from_float(self, values: np.ndarray, missing: np.ndarray) -> pd.Series:
        counts = np.clip(np.rint(np.asarray(values, dtype=np.float64)), 0.0, self.upper)
        ints = self.origin + counts.astype(np.int64) * self.resolution
        ints[np.asarray(missing, dtype=bool) | self.empty] = _NAT
        out = pd.Series(ints.view(f"datetime64[{self.unit}]"), name=self.name)
        if self.tz is not None and self.wall_clock:
            standard_time = np.zeros(out.size, dtype=bool)  # for generated ambiguous times
            out = out.dt.tz_localize(self.tz, ambiguous=standard_time, nonexistent="shift_forward")
        elif self.tz is not None:
            out = out.dt.tz_localize("UTC").dt.tz_convert(self.tz)
        if self.out_format is not None:
            out = out.dt.strftime(self.out_format).astype(self.string_dtype)
        return out

    def get_state(self) -> dict[str, Any]:
        return {
            "type": "datetime",
            "unit": self.unit,
            "tz": _tz_to_state(self.tz),
            "origin": self.origin,
            "resolution": self.resolution,
            "upper": self.upper,
            "format": self.fmt,
            "out_format": self.out_format,
            "string_dtype": self.string_dtype,
            "empty": self.empty,
            "wall_clock": self.wall_clock,
        }

    @classmethod
    def from_state(cls, spec: ColumnSpec, state: Mapping[str, Any]) -> DatetimeConverter:
        if spec.kind is not ColumnKind.DATETIME:
            raise malformed(f"a datetime converter cannot serve a {spec.kind.value} column")
        upper = read_float(state, "upper")
        if not (np.isfinite(upper) and upper >= 0):
            raise malformed("'upper' should be a finite count >= 0")
        return cls(
            spec.name,
            unit=read_str(state, "unit", tuple(_UNIT_NS)),
            tz=_tz_from_state(state.get("tz")),
            origin=read_int(state, "origin"),
            resolution=read_int(state, "resolution", minimum=1),
            upper=upper,
            out_format=read_optional_str(state, "out_format"),
            string_dtype=read_str(state, "string_dtype", _STRING_DTYPES),
            empty=read_bool(state, "empty"),
            fmt=read_optional_str(state, "format"),
            wall_clock=read_bool(state, "wall_clock"),
        )


def _wall_clock_is_exact(parsed: pd.Series) -> bool:
    """Whether a column in a named time zone can be modelled as local wall-clock time: no
    value falls in a repeated (ambiguous) hour, so local time gives the instant back. Then
    local dates stay dates across daylight-saving changes."""
    tz = parsed.dt.tz
    if tz is None or isinstance(tz, _dt.timezone):  # naive or a fixed offset: same thing
        return False
    wall = parsed.dt.tz_localize(None)
    back = wall.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
    return bool(((back == parsed) | parsed.isna()).all())


def _epoch_ints(parsed: pd.Series, unit: str, tz: Any, *, wall_clock: bool) -> np.ndarray:
    """int64 counts of `unit` since the epoch, NaT as int64 min: of UTC instants, or of
    local wall-clock time in `tz` when `wall_clock`."""
    if parsed.dt.tz is not None:
        local = parsed.dt.tz_convert(tz if wall_clock else "UTC")
        parsed = local.dt.tz_localize(None)
    elif tz is not None and not wall_clock:  # naive values for a tz-aware column: local
        local = parsed.dt.tz_localize(tz, ambiguous="NaT", nonexistent="shift_forward")
        parsed = local.dt.tz_convert("UTC").dt.tz_localize(None)
    array = parsed.dt.as_unit(unit).to_numpy()
    return np.ascontiguousarray(array).view(np.int64)
