"""What each column of a table is, and what role it plays.

The Schema drives everything: encoders, models and metrics read it instead of guessing
column types themselves. `Schema.infer` proposes one from a DataFrame; a user edits it
(as JSON or through overrides) and hands it back.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from synthera.errors import ColumnNotFoundError, SchemaError, one_line

SCHEMA_FORMAT_VERSION = 1


class ColumnKind(StrEnum):
    NUMERIC = "numeric"  # continuous values
    INTEGER = "integer"  # whole numbers; generated values are rounded
    CATEGORICAL = "categorical"  # unordered labels, any number of levels
    BOOLEAN = "boolean"  # exactly two labels (True/False, yes/no, 0/1, ...)
    DATETIME = "datetime"  # timestamps or dates
    ID = "id"  # unique keys: regenerated, never copied
    TEXT = "text"  # long free text: not modelled yet, generated as missing


# Kinds that generators learn; ID and TEXT are produced by other means.
MODELLED_KINDS = frozenset(
    {
        ColumnKind.NUMERIC,
        ColumnKind.INTEGER,
        ColumnKind.CATEGORICAL,
        ColumnKind.BOOLEAN,
        ColumnKind.DATETIME,
    }
)

_BOOLEAN_WORDS = {
    frozenset({"true", "false"}),
    frozenset({"t", "f"}),
    frozenset({"yes", "no"}),
    frozenset({"y", "n"}),
}
_ID_NAME = re.compile(r"(^|[_\s.-])(id|uuid|guid|key|nbr)$|[a-z0-9]Id$|^id", re.IGNORECASE)
_CODE_NAME = re.compile(
    r"(^|[_\s.-])(id|code|type|class|cat|category|group|status)$", re.IGNORECASE
)

# Inference thresholds, named so the rules read like sentences.
FEW_LEVELS = 10  # an integer column with at most this many values reads as codes
CODE_LEVELS = 50  # ... or up to this many when its name says it is a code
TEXT_MEAN_LENGTH = 40  # strings longer than this on average, mostly distinct, are free text


@dataclass(frozen=True)
class ColumnSpec:
    """One column: its name, its kind and optional declared facts about it."""

    name: str
    kind: ColumnKind
    datetime_format: str | None = None  # strftime format when dates are stored as text
    lower: float | None = None  # declared bounds (public knowledge, not learned)
    upper: float | None = None
    categories: tuple[Any, ...] | None = None  # declared category set (public knowledge)
    rare_threshold: int | None = None  # overrides Schema.rare_threshold for this column

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "kind": self.kind.value}
        for key in ("datetime_format", "lower", "upper", "rare_threshold"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.categories is not None:
            out["categories"] = list(self.categories)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ColumnSpec:
        if not isinstance(data, Mapping) or "name" not in data or "kind" not in data:
            raise SchemaError("every schema column needs a 'name' and a 'kind'")
        allowed = {"name", "kind", "datetime_format", "lower", "upper", "categories"}
        allowed.add("rare_threshold")
        unknown = set(data) - allowed
        if unknown:
            raise SchemaError(
                f"column {data['name']!r} has unknown schema keys: {', '.join(sorted(unknown))}"
            )
        categories = data.get("categories")
        return cls(
            name=str(data["name"]),
            kind=parse_kind(data["kind"], column=str(data["name"])),
            datetime_format=data.get("datetime_format"),
            lower=data.get("lower"),
            upper=data.get("upper"),
            categories=tuple(categories) if categories is not None else None,
            rare_threshold=data.get("rare_threshold"),
        )


def parse_kind(value: Any, *, column: str) -> ColumnKind:
    try:
        return ColumnKind(str(value).lower())
    except ValueError:
        kinds = ", ".join(k.value for k in ColumnKind)
        raise SchemaError(
            f"column {column!r}: unknown kind {value!r} (expected one of {kinds})"
        ) from None


@dataclass(frozen=True)
class Schema:
    """The columns of a table, in order, with the target and sensitive roles."""

    columns: tuple[ColumnSpec, ...]
    target: str | None = None
    sensitive: tuple[str, ...] = ()
    # Categories seen in fewer than this many rows are folded into one RARE_LABEL level,
    # so a synthetic table never reveals a one-off value. 0 keeps every category.
    rare_threshold: int = 0
    notes: tuple[str, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        names = [c.name for c in self.columns]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise SchemaError(f"schema names these columns twice: {', '.join(duplicated)}")
        if self.target is not None and self.target not in names:
            raise ColumnNotFoundError(_missing_message("target column", self.target, names))
        for name in self.sensitive:
            if name not in names:
                raise ColumnNotFoundError(_missing_message("sensitive column", name, names))
        if self.rare_threshold < 0:
            raise SchemaError("rare_threshold must be 0 (off) or a positive row count")

    # ---- access -------------------------------------------------------------------

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def __getitem__(self, name: str) -> ColumnSpec:
        for column in self.columns:
            if column.name == name:
                return column
        raise ColumnNotFoundError(_missing_message("column", name, self.names))

    def __contains__(self, name: object) -> bool:
        return any(c.name == name for c in self.columns)

    def of_kind(self, *kinds: ColumnKind) -> list[str]:
        return [c.name for c in self.columns if c.kind in kinds]

    @property
    def modelled(self) -> list[str]:
        """Columns a generator learns (everything but id and text)."""
        return [c.name for c in self.columns if c.kind in MODELLED_KINDS]

    def rare_threshold_for(self, name: str) -> int:
        own = self[name].rare_threshold
        return self.rare_threshold if own is None else own

    # ---- editing ------------------------------------------------------------------

    def with_overrides(
        self,
        kinds: Mapping[str, ColumnKind | str] | None = None,
        *,
        target: str | None = None,
        sensitive: Iterable[str] | None = None,
        drop: Iterable[str] = (),
        rare_threshold: int | None = None,
    ) -> Schema:
        """A copy with some kinds, roles or columns changed."""
        drop = list(drop)
        for name in [*drop, *(kinds or {})]:
            self[name]  # raises a clear error for unknown names
        columns = []
        for column in self.columns:
            if column.name in drop:
                continue
            if kinds and column.name in kinds:
                kind = parse_kind(kinds[column.name], column=column.name)
                columns.append(replace(column, kind=kind))
            else:
                columns.append(column)
        new_target = self.target if target is None else target
        new_sensitive = self.sensitive if sensitive is None else tuple(sensitive)
        if new_target in drop:
            new_target = None
        return Schema(
            columns=tuple(columns),
            target=new_target,
            sensitive=tuple(s for s in new_sensitive if s not in drop),
            rare_threshold=self.rare_threshold if rare_threshold is None else rare_threshold,
            notes=self.notes,
        )

    def validate(self, df: pd.DataFrame) -> None:
        """Raise if the table lacks a column the schema names."""
        missing = [name for name in self.names if name not in df.columns]
        if missing:
            shown = ", ".join(repr(m) for m in missing[:5])
            raise ColumnNotFoundError(
                f"the table has no column {shown}{' ...' if len(missing) > 5 else ''} "
                f"named in the schema (table columns: {_short_list(list(df.columns))})"
            )

    # ---- JSON ---------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "format_version": SCHEMA_FORMAT_VERSION,
            "target": self.target,
            "sensitive": list(self.sensitive),
            "rare_threshold": self.rare_threshold,
            "columns": [c.to_dict() for c in self.columns],
        }

    def to_json(self, indent: int = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Schema:
        if not isinstance(data, Mapping) or not isinstance(data.get("columns"), list):
            raise SchemaError("a schema is a JSON object with a 'columns' list")
        version = data.get("format_version", SCHEMA_FORMAT_VERSION)
        if not isinstance(version, int) or version > SCHEMA_FORMAT_VERSION:
            raise SchemaError(
                f"schema format version {version!r} is newer than this Synthera understands "
                f"({SCHEMA_FORMAT_VERSION}); upgrade Synthera"
            )
        sensitive = data.get("sensitive") or []
        if isinstance(sensitive, str):
            sensitive = [sensitive]
        return cls(
            columns=tuple(ColumnSpec.from_dict(c) for c in data["columns"]),
            target=data.get("target"),
            sensitive=tuple(sensitive),
            rare_threshold=int(data.get("rare_threshold", 0) or 0),
        )

    @classmethod
    def from_json(cls, text: str) -> Schema:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SchemaError(f"schema is not valid JSON: {exc.msg} at line {exc.lineno}") from None
        return cls.from_dict(data)

    @classmethod
    def load(cls, path: str | Path) -> Schema:
        path = Path(path)
        if not path.is_file():
            raise SchemaError(f"schema file not found: {path}")
        return cls.from_json(path.read_text(encoding="utf-8-sig"))

    def save(self, path: str | Path) -> None:
        Path(path).write_text(self.to_json() + "\n", encoding="utf-8")

    # ---- inference ----------------------------------------------------------------

    @classmethod
    def infer(
        cls,
        df: pd.DataFrame,
        *,
        target: str | None = None,
        sensitive: Iterable[str] = (),
        overrides: Mapping[str, ColumnKind | str] | None = None,
        drop: Iterable[str] = (),
        rare_threshold: int = 0,
    ) -> Schema:
        """Propose a schema for `df`; `overrides` fixes the kind of named columns."""
        names = [str(c) for c in df.columns]
        drop = list(drop)
        overrides = dict(overrides or {})
        for name in [*drop, *overrides, *([target] if target else []), *sensitive]:
            if name not in names:
                raise ColumnNotFoundError(_missing_message("column", name, names))
        columns: list[ColumnSpec] = []
        notes: list[str] = []
        for name in names:
            if name in drop:
                continue
            series = df[name]
            if name in overrides:
                kind = parse_kind(overrides[name], column=name)
                fmt = _datetime_format(series) if kind is ColumnKind.DATETIME else None
                columns.append(ColumnSpec(name, kind, datetime_format=fmt))
                continue
            if series.isna().all():
                raise SchemaError(
                    f"column {name!r} is entirely missing; drop it or declare its kind"
                )
            spec = infer_column(name, series)
            if spec.kind is ColumnKind.TEXT:
                notes.append(f"{name!r} is free text: not modelled yet, generated as missing")
            if spec.kind is ColumnKind.ID:
                notes.append(f"{name!r} is an id: regenerated as new unique keys, never copied")
            columns.append(spec)
        if target is not None:
            target_kind = next(c.kind for c in columns if c.name == target)
            if target_kind in (ColumnKind.ID, ColumnKind.TEXT):
                raise SchemaError(
                    f"target column {target!r} was inferred as {target_kind.value}; "
                    "a target must be categorical, boolean or numeric (override its kind)"
                )
        return cls(
            columns=tuple(columns),
            target=target,
            sensitive=tuple(sensitive),
            rare_threshold=rare_threshold,
            notes=tuple(notes),
        )


def infer_column(name: str, series: pd.Series) -> ColumnSpec:
    """The kind a column most likely has; every rule here can be overridden by the user."""
    values = series.dropna()
    n_distinct = int(values.nunique())
    all_distinct = n_distinct == len(values) and len(values) == len(series)
    looks_like_id = bool(_ID_NAME.search(name))

    if pd.api.types.is_bool_dtype(values.dtype):
        return ColumnSpec(name, ColumnKind.BOOLEAN)
    if isinstance(values.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(
        values.dtype
    ):
        return ColumnSpec(name, ColumnKind.DATETIME)
    if pd.api.types.is_numeric_dtype(values.dtype):
        return _infer_numeric(name, values, n_distinct, all_distinct, looks_like_id)

    strings = values.astype(str)
    if n_distinct == 2 and frozenset(strings.str.strip().str.lower().unique()) in _BOOLEAN_WORDS:
        return ColumnSpec(name, ColumnKind.BOOLEAN)
    mean_length = float(strings.str.len().mean()) if len(strings) else 0.0
    distinct_share = n_distinct / max(len(values), 1)
    if mean_length > TEXT_MEAN_LENGTH and distinct_share > 0.5:
        return ColumnSpec(name, ColumnKind.TEXT)
    fmt = _datetime_format(strings)
    if fmt is not None:
        return ColumnSpec(name, ColumnKind.DATETIME, datetime_format=fmt)
    if (all_distinct and len(values) >= 20) or (looks_like_id and distinct_share > 0.5):
        return ColumnSpec(name, ColumnKind.ID)
    return ColumnSpec(name, ColumnKind.CATEGORICAL)


def _infer_numeric(
    name: str, values: pd.Series, n_distinct: int, all_distinct: bool, looks_like_id: bool
) -> ColumnSpec:
    floats = values.to_numpy(dtype=float)
    # Whole numbers beyond 2**53 are not exact as floats; such columns stay numeric.
    exact = np.all(np.isfinite(floats)) and np.all(np.abs(floats) <= 2**53)
    integral = bool(exact and np.all(floats == np.round(floats)))
    if integral and n_distinct == 2:
        return ColumnSpec(name, ColumnKind.BOOLEAN)
    if integral and len(values) >= 20:
        span = float(floats.max() - floats.min()) + 1 if len(floats) else 0.0
        consecutive = all_distinct and span <= 2 * len(floats)
        if (looks_like_id and n_distinct / len(values) > 0.5) or consecutive:
            return ColumnSpec(name, ColumnKind.ID)
    if integral and (
        n_distinct <= FEW_LEVELS or (_CODE_NAME.search(name) and n_distinct <= CODE_LEVELS)
    ):
        return ColumnSpec(name, ColumnKind.CATEGORICAL)
    return ColumnSpec(name, ColumnKind.INTEGER if integral else ColumnKind.NUMERIC)


_DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%Y/%m/%d",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d.%m.%Y",
    "%d-%m-%Y",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%dT%H:%M:%S.%f",
    "%Y%m%d",
)


def _datetime_format(series: pd.Series) -> str | None:
    """The strftime format that parses every one of these strings, if any.

    Every value must parse: the encoders refuse a value that does not, and a column with a
    few malformed dates is better left categorical than failing at fit time.
    """
    strings = series.dropna().astype(str).str.strip()
    if strings.empty or not strings.str.contains(r"\d", regex=True).all():
        return None
    sample = strings.iloc[:2000]
    for fmt in _DATE_FORMATS:
        if fmt == "%Y%m%d" and not sample.str.fullmatch(r"(19|20)\d{6}").all():
            continue
        if _parses_all(sample, fmt) and _parses_all(strings, fmt):
            return fmt
    if not sample.str.contains(r"[-/:.]", regex=True).all():
        return None
    if _parses_all(sample, "mixed") and _parses_all(strings, "mixed"):
        return "mixed"
    return None


def _parses_all(strings: pd.Series, fmt: str) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return bool(pd.to_datetime(strings, format=fmt, errors="coerce").notna().all())


def _short_list(names: list[Any], limit: int = 8) -> str:
    shown = ", ".join(str(n) for n in names[:limit])
    return shown + (f", ... ({len(names)} in all)" if len(names) > limit else "")


def _missing_message(what: str, name: str, names: list[str]) -> str:
    return one_line(f"{what} {name!r} does not exist (columns: {_short_list(names)})")
