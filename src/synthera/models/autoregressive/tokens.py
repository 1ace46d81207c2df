"""Columns <-> integer tokens, the autoregressive model's vocabulary.

- Categorical and boolean columns: one token per kept level (rare levels folded, missing
  a level of its own), by the shared CategoryCodec.
- Numeric, integer and datetime columns with at most `max_tokens` distinct values: one
  token per value, so they come back exactly.
- Other numeric-like columns: "spikes" (single values that hold at least 1/max_tokens of
  the rows, such as the zeros of capital-gain columns) get a token each, the remaining
  values are cut into quantile bins with one token each, and decoding draws a value
  uniformly inside the bin. Quantile bins spend the vocabulary where the rows are, which
  keeps a classifier from telling generated values from real ones.
- A numeric column with missing values has one more token for "missing".
- Id columns get fresh keys and text columns come back missing, as in TableEncoder.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from synthera.errors import ModelFileError
from synthera.models.conditions import condition_key
from synthera.schema import ColumnKind, ColumnSpec, Schema
from synthera.seeding import derive_seed
from synthera.transforms.categories import CategoryCodec
from synthera.transforms.converters import converter_from_state, fit_converter
from synthera.transforms.ids import IdEncoder
from synthera.transforms.options import FitOptions
from synthera.transforms.text import TextEncoder

NUMERIC_KINDS = (ColumnKind.NUMERIC, ColumnKind.INTEGER, ColumnKind.DATETIME)
CATEGORY_KINDS = (ColumnKind.CATEGORICAL, ColumnKind.BOOLEAN)


class NumericTokens:
    """Float values (NaN = missing) <-> tokens: exact values, or spikes + quantile bins."""

    def __init__(
        self,
        *,
        exact: np.ndarray,
        spikes: np.ndarray,
        edges: np.ndarray,
        has_missing: bool,
        integer: bool,
        fill: int = 0,
    ) -> None:
        """`fill`: the token that missing values encode to when the column has no missing
        token (a private fit whose release kept none)."""
        self.exact = np.asarray(exact, dtype=np.float64)
        self.spikes = np.asarray(spikes, dtype=np.float64)
        self.edges = np.asarray(edges, dtype=np.float64)
        self.has_missing = bool(has_missing)
        self.integer = bool(integer)  # bins draw whole numbers
        self.n_bins = max(len(self.edges) - 1, 0)
        self.n_values = len(self.exact) + len(self.spikes) + self.n_bins
        self.vocab = self.n_values + int(self.has_missing)
        if self.vocab == 0:
            raise ModelFileError("a numeric column has no tokens")
        self.fill = int(fill)

    @classmethod
    def fit(cls, values: np.ndarray, *, max_tokens: int, integer: bool) -> NumericTokens:
        observed = values[~np.isnan(values)]
        uniques, counts = np.unique(observed, return_counts=True)
        empty = np.empty(0)
        has_missing = bool(observed.size < values.size)
        if len(uniques) <= max_tokens:
            return cls(
                exact=uniques, spikes=empty, edges=empty, has_missing=has_missing, integer=integer
            )
        share = counts / observed.size
        heavy = np.flatnonzero(share >= 1.0 / max_tokens)
        heavy = heavy[np.argsort(-share[heavy], kind="stable")][: max_tokens // 2]
        spikes = np.sort(uniques[heavy])
        rest = observed[~np.isin(observed, spikes)]
        # "inverted_cdf" puts every edge on a value that occurs, so integer columns get
        # whole-number edges.
        quantiles = np.linspace(0.0, 1.0, max_tokens - len(spikes) + 1)
        edges = np.unique(np.quantile(rest, quantiles, method="inverted_cdf"))
        if len(edges) == 1:
            edges = np.repeat(edges, 2)
        return cls(
            exact=empty, spikes=spikes, edges=edges, has_missing=has_missing, integer=integer
        )

    def encode(self, values: np.ndarray) -> np.ndarray:
        missing = self.n_values if self.has_missing else self.fill
        tokens = np.full(len(values), missing, dtype=np.int64)
        present = ~np.isnan(values)
        v = values[present]
        if len(self.exact):
            position = np.clip(np.searchsorted(self.exact, v), 0, len(self.exact) - 1)
            tokens[present] = position
        elif self.n_values:
            bins = np.searchsorted(self.edges, v, side="right") - 1
            codes = len(self.spikes) + np.clip(bins, 0, self.n_bins - 1)
            if len(self.spikes):
                spike = np.clip(np.searchsorted(self.spikes, v), 0, len(self.spikes) - 1)
                codes = np.where(self.spikes[spike] == v, spike, codes)
            tokens[present] = codes
        return tokens

    def decode(self, tokens: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """(values, missing mask); bins draw uniformly inside themselves."""
        missing = tokens >= self.n_values
        if self.n_values == 0:
            return np.zeros(len(tokens)), missing
        code = np.minimum(tokens, self.n_values - 1)
        if len(self.exact):
            return self.exact[code], missing
        n_spikes = len(self.spikes)
        spike = code < n_spikes
        bins = np.clip(code - n_spikes, 0, max(self.n_bins - 1, 0))
        low, high = self.edges[bins], self.edges[np.minimum(bins + 1, len(self.edges) - 1)]
        uniform = rng.random(len(code))
        if self.integer:
            # Bins hold [low, high) but the last one also holds its upper edge.
            high = high + (bins == self.n_bins - 1)
            values = np.minimum(np.floor(low + uniform * (high - low)), self.edges[-1])
        else:
            values = low + uniform * (high - low)
        if n_spikes:
            values = np.where(spike, self.spikes[np.minimum(code, n_spikes - 1)], values)
        return values, missing

    def get_state(self) -> dict[str, Any]:
        return {
            "exact": self.exact,
            "spikes": self.spikes,
            "edges": self.edges,
            "has_missing": self.has_missing,
            "integer": self.integer,
            "fill": self.fill,
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> NumericTokens:
        return cls(
            exact=np.asarray(state["exact"]),
            spikes=np.asarray(state["spikes"]),
            edges=np.asarray(state["edges"]),
            has_missing=bool(state["has_missing"]),
            integer=bool(state["integer"]),
            fill=int(state.get("fill", 0)),
        )


class TableTokenizer:
    """A table <-> an (n, d) matrix of tokens, one column per modelled column."""

    def __init__(self, schema: Schema, *, max_tokens: int = 256) -> None:
        self.schema = schema
        self.max_tokens = max_tokens
        self._categories: dict[str, CategoryCodec] = {}
        self._numbers: dict[str, tuple[Any, NumericTokens]] = {}  # converter, tokens
        self._others: dict[str, IdEncoder | TextEncoder] = {}

    # ---- fitting ----------------------------------------------------------------------

    @classmethod
    def assemble(
        cls,
        schema: Schema,
        *,
        max_tokens: int,
        categories: Mapping[str, CategoryCodec],
        numbers: Mapping[str, tuple[Any, NumericTokens]],
        others: Mapping[str, IdEncoder | TextEncoder],
    ) -> TableTokenizer:
        """A fitted tokenizer from parts built elsewhere (a private fit builds them from
        a DP release, see `autoregressive.private`)."""
        tokenizer = cls(schema, max_tokens=max_tokens)
        tokenizer._categories = dict(categories)
        tokenizer._numbers = dict(numbers)
        tokenizer._others = dict(others)
        return tokenizer

    def fit(self, df: pd.DataFrame, rng: np.random.Generator) -> TableTokenizer:
        for spec in self.schema.columns:
            series = df[spec.name]
            if spec.kind in CATEGORY_KINDS:
                threshold = self.schema.rare_threshold_for(spec.name)
                self._categories[spec.name] = CategoryCodec.fit(
                    series, spec, rare_threshold=threshold
                )
            elif spec.kind in NUMERIC_KINDS:
                converter = fit_converter(series, spec)
                tokens = NumericTokens.fit(
                    converter.to_float(series),
                    max_tokens=self.max_tokens,
                    integer=spec.kind is ColumnKind.INTEGER,
                )
                self._numbers[spec.name] = (converter, tokens)
            else:
                column_rng = np.random.default_rng(derive_seed(rng))
                encoder = IdEncoder if spec.kind is ColumnKind.ID else TextEncoder
                self._others[spec.name] = encoder.fit(series, spec, FitOptions(), column_rng)
        return self

    @property
    def columns(self) -> list[str]:
        """The modelled columns, in schema order."""
        return [
            spec.name
            for spec in self.schema.columns
            if spec.name in self._categories or spec.name in self._numbers
        ]

    def vocab_size(self, column: str) -> int:
        if column in self._categories:
            return self._categories[column].n_codes
        return self._numbers[column][1].vocab

    def token_counts(self, tokens: np.ndarray) -> list[np.ndarray]:
        return [
            np.bincount(tokens[:, j], minlength=self.vocab_size(name))
            for j, name in enumerate(self.columns)
        ]

    # ---- tokens -----------------------------------------------------------------------

    def encode(self, df: pd.DataFrame) -> np.ndarray:
        """int32 tokens (n, d): a million rows of 50 columns take 200 MB."""
        out = np.empty((len(df), len(self.columns)), dtype=np.int32)
        for j, name in enumerate(self.columns):
            out[:, j] = self._encode_column(name, df[name])
        return out

    def _encode_column(self, name: str, series: pd.Series) -> np.ndarray:
        if name in self._categories:
            return self._categories[name].encode(series)
        converter, tokens = self._numbers[name]
        return tokens.encode(converter.to_float(series))

    def decode(self, tokens: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
        """Every schema column, in schema order."""
        n = tokens.shape[0]
        position = {name: j for j, name in enumerate(self.columns)}
        columns: dict[str, pd.Series] = {}
        for spec in self.schema.columns:
            column_rng = np.random.default_rng(derive_seed(rng))
            columns[spec.name] = self._decode_column(
                spec,
                tokens[:, position[spec.name]] if spec.name in position else None,
                n,
                column_rng,
            ).reset_index(drop=True)
        return pd.DataFrame(columns, index=pd.RangeIndex(n))

    def _decode_column(
        self, spec: ColumnSpec, tokens: np.ndarray | None, n: int, rng: np.random.Generator
    ) -> pd.Series:
        if tokens is None:
            other = self._others[spec.name]
            if isinstance(other, IdEncoder):
                return other.generate(n, rng)
            return other.inverse_transform(np.empty((n, 0)), rng)
        if spec.name in self._categories:
            return self._categories[spec.name].decode(tokens)
        converter, numeric = self._numbers[spec.name]
        values, missing = numeric.decode(tokens, rng)
        return converter.from_float(values, missing)

    def exact_token(self, column: str, value: Any) -> int | None:
        """The token that decodes to exactly `value`, or None (binned numbers, unknown
        or missing values): then conditions on it are met by rejection sampling."""
        if column in self._categories:
            codec = self._categories[column]
            labels = condition_key(codec.decode(np.arange(codec.n_codes)).astype(object))
            keys = labels.to_numpy()
            if codec.has_missing:
                keys[codec.missing_code] = None
            if codec.has_rare:
                keys[codec.rare_code] = None
            wanted = pd.Series([value], dtype=object)
            if wanted.isna().all():
                return None
            matches = np.flatnonzero(keys == condition_key(wanted).iloc[0])
            return None if matches.size == 0 else int(matches[0])
        if column not in self._numbers:
            return None
        converter, numeric = self._numbers[column]
        if not len(numeric.exact):
            return None
        try:
            number = converter.to_float(pd.Series([value]))[0]
        except (TypeError, ValueError):
            return None
        matches = np.flatnonzero(numeric.exact == number)
        return None if matches.size == 0 else int(matches[0])

    # ---- state ------------------------------------------------------------------------

    def get_state(self) -> dict[str, Any]:
        state: dict[str, Any] = {"max_tokens": self.max_tokens, "columns": {}}
        for name, codec in self._categories.items():
            state["columns"][name] = {"type": "category", "codec": codec.get_state()}
        for name, (converter, tokens) in self._numbers.items():
            state["columns"][name] = {
                "type": "number",
                "converter": converter.get_state(),
                "tokens": tokens.get_state(),
            }
        for name, other in self._others.items():
            state["columns"][name] = {"type": "other", "encoder": other.get_state()}
        return state

    @classmethod
    def from_state(cls, schema: Schema, state: Mapping[str, Any]) -> TableTokenizer:
        tokenizer = cls(schema, max_tokens=int(state["max_tokens"]))
        columns = state["columns"]
        for spec in schema.columns:
            if spec.name not in columns:
                raise ModelFileError(f"the tokenizer has no state for column {spec.name!r}")
            column = columns[spec.name]
            if column["type"] == "category":
                tokenizer._categories[spec.name] = CategoryCodec.from_state(
                    spec.name, column["codec"]
                )
            elif column["type"] == "number":
                tokenizer._numbers[spec.name] = (
                    converter_from_state(spec, column["converter"]),
                    NumericTokens.from_state(column["tokens"]),
                )
            elif spec.kind is ColumnKind.ID:
                tokenizer._others[spec.name] = IdEncoder.from_state(spec, column["encoder"])
            else:
                tokenizer._others[spec.name] = TextEncoder.from_state(spec, column["encoder"])
        return tokenizer
