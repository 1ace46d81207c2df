"""Encoders for categorical and boolean columns, on top of CategoryCodec.

Missing values are their own level (the last code), so no separate indicator is needed
and decoding puts them back exactly. Boolean columns are categorical columns with at most
two levels and no rare folding.

OneHotCategorical (mode-specific style): a one-hot block ("softmax"); decoding takes the
argmax, so logits or unnormalised probabilities decode as well as one-hots.
FrequencyCategorical (normal-score style): one standard-normal score through
FrequencyIntervals.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

import numpy as np
import pandas as pd

from synthera.errors import SchemaError, one_line
from synthera.schema import ColumnKind, ColumnSpec
from synthera.transforms.base import Span, check_type, one_hot, read_bool, read_mapping, show
from synthera.transforms.categories import CategoryCodec
from synthera.transforms.intervals import FrequencyIntervals
from synthera.transforms.options import FitOptions


def fit_codec(series: pd.Series, spec: ColumnSpec, options: FitOptions) -> CategoryCodec:
    if spec.kind is ColumnKind.BOOLEAN:
        distinct = series.dropna().unique()
        if len(distinct) > 2:
            shown = ", ".join(show(v) for v in list(distinct)[:3])
            more = ", ..." if len(distinct) > 3 else ""
            raise SchemaError(
                one_line(
                    f"column {spec.name!r} is declared boolean but holds {len(distinct)} "
                    f"different values ({shown}{more}); declare it categorical"
                )
            )
        return CategoryCodec.fit(series, spec, rare_threshold=0)
    return CategoryCodec.fit(series, spec, rare_threshold=options.rare_threshold)


class OneHotCategorical:
    """A one-hot block over the column's codes (kept levels, rare, missing)."""

    TYPE = "one_hot"

    def __init__(self, name: str, codec: CategoryCodec) -> None:
        self.name = name
        self.codec = codec

    @classmethod
    def fit(
        cls, series: pd.Series, spec: ColumnSpec, options: FitOptions, rng: np.random.Generator
    ) -> Self:
        return cls(spec.name, fit_codec(series, spec, options))

    @property
    def spans(self) -> list[Span]:
        return [Span(self.name, self.codec.n_codes, "softmax", "category")]

    @property
    def width(self) -> int:
        return self.codec.n_codes

    def transform(self, series: pd.Series, rng: np.random.Generator) -> np.ndarray:
        return one_hot(self.codec.encode(series), self.codec.n_codes)

    def inverse_transform(self, block: np.ndarray, rng: np.random.Generator) -> pd.Series:
        return self.codec.decode(np.argmax(block, axis=1))

    def get_state(self) -> dict[str, Any]:
        return {"type": self.TYPE, "codec": self.codec.get_state()}

    @classmethod
    def from_state(cls, spec: ColumnSpec, state: Mapping[str, Any]) -> Self:
        check_type(state, cls.TYPE)
        return cls(spec.name, CategoryCodec.from_state(spec.name, read_mapping(state, "codec")))


class FrequencyCategorical:
    """One normal score: the level's frequency interval, Phi^-1 of a draw inside it."""

    TYPE = "frequency"

    def __init__(self, name: str, codec: CategoryCodec, *, jitter: bool) -> None:
        self.name = name
        self.codec = codec
        self.jitter = jitter
        self._intervals = FrequencyIntervals(codec.counts)

    @classmethod
    def fit(
        cls, series: pd.Series, spec: ColumnSpec, options: FitOptions, rng: np.random.Generator
    ) -> Self:
        return cls(spec.name, fit_codec(series, spec, options), jitter=options.jitter)

    @property
    def spans(self) -> list[Span]:
        return [Span(self.name, 1, "identity", "category")]

    @property
    def width(self) -> int:
        return 1

    def transform(self, series: pd.Series, rng: np.random.Generator) -> np.ndarray:
        codes = self.codec.encode(series)
        return self._intervals.encode(codes, rng, jitter=self.jitter)[:, None]

    def inverse_transform(self, block: np.ndarray, rng: np.random.Generator) -> pd.Series:
        return self.codec.decode(self._intervals.decode(block[:, 0]))

    def get_state(self) -> dict[str, Any]:
        return {"type": self.TYPE, "codec": self.codec.get_state(), "jitter": self.jitter}

    @classmethod
    def from_state(cls, spec: ColumnSpec, state: Mapping[str, Any]) -> Self:
        check_type(state, cls.TYPE)
        codec = CategoryCodec.from_state(spec.name, read_mapping(state, "codec"))
        return cls(spec.name, codec, jitter=read_bool(state, "jitter"))
