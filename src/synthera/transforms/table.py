"""TableEncoder: a whole table <-> one float matrix, column encoders side by side.

The Schema decides each column's encoder; the style decides the family:

| kind                         | "mode_specific"       | "normal_score"          |
|------------------------------|-----------------------|-------------------------|
| numeric, integer, datetime   | ModeSpecificNumeric   | NormalScoreNumeric      |
| categorical, boolean         | OneHotCategorical     | FrequencyCategorical    |
| id                           | IdEncoder (width 0: new keys on decode)         |
| text                         | TextEncoder (width 0: missing on decode)        |

Seeds: each column draws from its own generator, derived in schema order from the seed
given to `fit`, `transform` or `inverse_transform`; the same seed gives the same output.
Columns are fitted in parallel threads (one per core): the numeric columns' mixture fits
are NumPy work that releases the GIL, and each column's result depends only on its own
generator, so the order they finish in changes nothing.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning

from synthera.errors import ModelFileError, NotFittedError, ParameterError, SchemaError, one_line
from synthera.schema import ColumnKind, ColumnSpec, Schema
from synthera.seeding import Seed, derive_seed, make_rng
from synthera.transforms.base import (
    ColumnEncoder,
    Span,
    malformed,
    read_bool,
    read_int,
    read_list,
    read_mapping,
    read_str,
)
from synthera.transforms.categorical import FrequencyCategorical, OneHotCategorical
from synthera.transforms.ids import IdEncoder
from synthera.transforms.numeric import ModeSpecificNumeric, NormalScoreNumeric
from synthera.transforms.options import FitOptions
from synthera.transforms.text import TextEncoder

Style = Literal["mode_specific", "normal_score"]
STYLES: tuple[Style, ...] = ("mode_specific", "normal_score")
STATE_FORMAT = "synthera.table_encoder"
STATE_VERSION = 1

EncoderClass = (
    type[ModeSpecificNumeric]
    | type[NormalScoreNumeric]
    | type[OneHotCategorical]
    | type[FrequencyCategorical]
    | type[IdEncoder]
    | type[TextEncoder]
)
_NUMERIC_LIKE = (ColumnKind.NUMERIC, ColumnKind.INTEGER, ColumnKind.DATETIME)
_DTYPES = {"float64": np.float64, "float32": np.float32}


def encoder_class(style: Style, kind: ColumnKind) -> EncoderClass:
    if kind is ColumnKind.ID:
        return IdEncoder
    if kind is ColumnKind.TEXT:
        return TextEncoder
    if kind in _NUMERIC_LIKE:
        return ModeSpecificNumeric if style == "mode_specific" else NormalScoreNumeric
    return OneHotCategorical if style == "mode_specific" else FrequencyCategorical


class TableEncoder:
    """Reversible encoding of a table as an (n, output_width) float matrix.

    `style="mode_specific"` suits neural generators (CTGAN/TVAE): tanh scalars and
    softmax one-hots, described by `spans`. `style="normal_score"` suits the Gaussian
    copula: one standard-normal score per modelled column (plus one per missing
    indicator). `jitter` (normal_score only) draws a category's score uniformly inside
    its interval; without it every row of a level gets the interval's midpoint.
    """

    def __init__(
        self,
        schema: Schema,
        *,
        style: Style = "mode_specific",
        max_components: int = 10,
        max_knots: int = 1000,
        dtype: np.dtype | type = np.float64,
        jitter: bool = True,
    ) -> None:
        if style not in STYLES:
            raise ParameterError(f"unknown encoding style {style!r} (expected one of: {STYLES})")
        if not isinstance(max_components, int) or max_components < 1:
            raise ParameterError("max_components must be a positive whole number")
        if not isinstance(max_knots, int) or max_knots < 2:
            raise ParameterError("max_knots must be a whole number of at least 2")
        if np.dtype(dtype).name not in _DTYPES:
            raise ParameterError(f"dtype must be float64 or float32, not {np.dtype(dtype).name}")
        self.schema = schema
        self.style: Style = style
        self.max_components = max_components
        self.max_knots = max_knots
        self.dtype = np.dtype(dtype)
        self.jitter = jitter
        self.encoders_: list[ColumnEncoder] | None = None

    # ---- fitting and encoding ---------------------------------------------------------

    def fit(self, df: pd.DataFrame, *, seed: Seed = None) -> TableEncoder:
        self.schema.validate(df)
        if len(df) == 0:
            raise SchemaError("cannot fit an encoder on a table with no rows")
        rng = make_rng(seed)
        seeds = [derive_seed(rng) for _ in self.schema.columns]

        def fit_column(spec: ColumnSpec, column_seed: int) -> ColumnEncoder:
            options = FitOptions(
                max_components=self.max_components,
                max_knots=self.max_knots,
                jitter=self.jitter,
                rare_threshold=self.schema.rare_threshold_for(spec.name),
            )
            cls = encoder_class(self.style, spec.kind)
            return cls.fit(df[spec.name], spec, options, np.random.default_rng(column_seed))

        workers = max(min(len(seeds), os.cpu_count() or 1), 1)
        with warnings.catch_warnings(), ThreadPoolExecutor(max_workers=workers) as pool:
            # Warning filters are process-wide, so the columns' own `catch_warnings`
            # blocks, run in threads, can undo each other's; the mixture fits' one is
            # set here for the whole fit.
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.encoders_ = list(pool.map(fit_column, self.schema.columns, seeds))
        return self

    def transform(self, df: pd.DataFrame, *, seed: Seed = None) -> np.ndarray:
        encoders = self._fitted()
        self.schema.validate(df)
        rng = make_rng(seed)
        out = np.empty((len(df), self.output_width), dtype=self.dtype)
        for encoder, span in zip(encoders, self._slices(encoders), strict=True):
            column_rng = np.random.default_rng(derive_seed(rng))
            out[:, span] = encoder.transform(df[encoder.name], column_rng)
        return out

    def fit_transform(self, df: pd.DataFrame, *, seed: Seed = None) -> np.ndarray:
        rng = make_rng(seed)
        return self.fit(df, seed=rng).transform(df, seed=rng)

    def inverse_transform(self, data: np.ndarray, *, seed: Seed = None) -> pd.DataFrame:
        """A DataFrame of every schema column, in schema order, from an (n, output_width)
        matrix of arbitrary floats (NaN reads as 0)."""
        encoders = self._fitted()
        data = np.asarray(data, dtype=np.float64)
        if data.ndim != 2 or data.shape[1] != self.output_width:
            raise ParameterError(
                f"expected an array of shape (n, {self.output_width}) to decode, "
                f"got shape {data.shape}"
            )
        data = np.where(np.isnan(data), 0.0, data)
        rng = make_rng(seed)
        columns: dict[str, pd.Series] = {}
        for encoder, span in zip(encoders, self._slices(encoders), strict=True):
            column_rng = np.random.default_rng(derive_seed(rng))
            column = encoder.inverse_transform(data[:, span], column_rng)
            columns[encoder.name] = column.reset_index(drop=True)
        return pd.DataFrame(columns, index=pd.RangeIndex(data.shape[0]))

    # ---- layout -----------------------------------------------------------------------

    @property
    def encoders(self) -> dict[str, ColumnEncoder]:
        return {encoder.name: encoder for encoder in self._fitted()}

    @property
    def spans(self) -> list[Span]:
        return [span for encoder in self._fitted() for span in encoder.spans]

    @property
    def output_width(self) -> int:
        return sum(encoder.width for encoder in self._fitted())

    def column_slices(self) -> dict[str, slice]:
        """Output columns owned by each source column (empty for id and text columns)."""
        encoders = self._fitted()
        return {e.name: s for e, s in zip(encoders, self._slices(encoders), strict=True)}

    @staticmethod
    def _slices(encoders: list[ColumnEncoder]) -> list[slice]:
        slices, start = [], 0
        for encoder in encoders:
            slices.append(slice(start, start + encoder.width))
            start += encoder.width
        return slices

    def _fitted(self) -> list[ColumnEncoder]:
        if self.encoders_ is None:
            raise NotFittedError("the table encoder is not fitted yet: call fit(df) first")
        return self.encoders_

    # ---- state ------------------------------------------------------------------------

    def get_state(self) -> dict[str, Any]:
        """A JSON-serialisable tree whose leaves may be NumPy arrays."""
        encoders = self._fitted()
        return {
            "format": STATE_FORMAT,
            "format_version": STATE_VERSION,
            "style": self.style,
            "max_components": self.max_components,
            "max_knots": self.max_knots,
            "dtype": self.dtype.name,
            "jitter": self.jitter,
            "columns": [
                {
                    "name": encoder.name,
                    "kind": spec.kind.value,
                    "encoder": encoder.get_state(),
                }
                for encoder, spec in zip(encoders, self.schema.columns, strict=True)
            ],
        }

    @classmethod
    def from_state(cls, schema: Schema, state: Mapping[str, Any]) -> TableEncoder:
        """Rebuild a fitted encoder; ModelFileError (one line) when `state` is malformed or
        does not match `schema`."""
        try:
            return cls._from_state(schema, state)
        except ModelFileError:
            raise
        except (KeyError, TypeError, ValueError, IndexError, AttributeError, OverflowError) as e:
            raise ModelFileError(one_line(f"encoder state is malformed: {e}")) from None

    @classmethod
    def _from_state(cls, schema: Schema, state: Mapping[str, Any]) -> TableEncoder:
        state = read_mapping(state)
        if state.get("format") != STATE_FORMAT:
            raise ModelFileError("this is not a Synthera table-encoder state")
        version = read_int(state, "format_version")
        if version > STATE_VERSION:
            raise ModelFileError(
                f"table-encoder state version {version} is newer than this Synthera "
                f"understands ({STATE_VERSION}); upgrade Synthera"
            )
        style: Style = read_str(state, "style", STYLES)  # type: ignore[assignment]
        encoder = cls(
            schema,
            style=style,
            max_components=read_int(state, "max_components", minimum=1),
            max_knots=read_int(state, "max_knots", minimum=2),
            dtype=_DTYPES[read_str(state, "dtype", tuple(_DTYPES))],
            jitter=read_bool(state, "jitter"),
        )
        columns = read_list(state, "columns")
        if len(columns) != len(schema.columns):
            raise ModelFileError(
                f"the encoder state has {len(columns)} columns but the schema has "
                f"{len(schema.columns)}"
            )
        encoders: list[ColumnEncoder] = []
        for spec, column in zip(schema.columns, columns, strict=True):
            encoders.append(_column_from_state(style, spec, column))
        encoder.encoders_ = encoders
        return encoder


def _column_from_state(style: Style, spec: ColumnSpec, column: Any) -> ColumnEncoder:
    column = read_mapping(column)
    name, kind = read_str(column, "name"), read_str(column, "kind")
    if name != spec.name or kind != spec.kind.value:
        raise ModelFileError(
            one_line(
                f"the encoder state does not match the schema: it has column {name!r} "
                f"({kind}) where the schema has {spec.name!r} ({spec.kind.value})"
            )
        )
    try:
        return encoder_class(style, spec.kind).from_state(spec, read_mapping(column, "encoder"))
    except ModelFileError as exc:
        raise ModelFileError(one_line(f"column {spec.name!r}: {exc}")) from None
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, OverflowError) as exc:
        raise malformed(f"column {spec.name!r}: {exc}") from None
