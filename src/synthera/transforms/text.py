"""Free-text columns: not modelled yet (width 0); decoded as all-missing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

import numpy as np
import pandas as pd

from synthera.schema import ColumnSpec
from synthera.transforms.base import Span, check_type, empty_block, read_str
from synthera.transforms.options import FitOptions

_STRING_DTYPES = ("str", "string", "object")


class TextEncoder:
    TYPE = "text"

    def __init__(self, name: str, *, dtype: str = "str") -> None:
        self.name = name
        self.dtype = dtype

    @classmethod
    def fit(
        cls, series: pd.Series, spec: ColumnSpec, options: FitOptions, rng: np.random.Generator
    ) -> Self:
        dtype = str(series.dtype)
        return cls(spec.name, dtype=dtype if dtype in _STRING_DTYPES else "object")

    @property
    def spans(self) -> list[Span]:
        return []

    @property
    def width(self) -> int:
        return 0

    def transform(self, series: pd.Series, rng: np.random.Generator) -> np.ndarray:
        return empty_block(len(series))

    def inverse_transform(self, block: np.ndarray, rng: np.random.Generator) -> pd.Series:
        missing = np.full(block.shape[0], np.nan, dtype=object)
        return pd.Series(missing, name=self.name, dtype=self.dtype)

    def get_state(self) -> dict[str, Any]:
        return {"type": self.TYPE, "dtype": self.dtype}

    @classmethod
    def from_state(cls, spec: ColumnSpec, state: Mapping[str, Any]) -> Self:
        check_type(state, cls.TYPE)
        return cls(spec.name, dtype=read_str(state, "dtype", _STRING_DTYPES))
