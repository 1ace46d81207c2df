"""Id columns: not modelled (width 0); decoding makes n new unique keys, never real ones.

What is learned (and stored) is only the *shape* of the keys, never a key:

- integer ids: the next free number, max + 1; new keys count up from there.
- string ids that all read as PREFIX + DIGITS + SUFFIX ("C000123", "user-17"): the most
  common prefix and suffix, the zero-padding width, and the number after the largest one
  seen; new keys count up from there, so none can equal a real one.
- UUIDs: random version-4 UUIDs (a clash with a real one has probability ~2**-122 per pair).
- anything else: random lowercase hex strings of the most common length whose first
  character is one that no real key starts with (so no new key can equal a real one); when
  every candidate first character is taken, the keys are one character longer than the
  longest real key instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, Self

import numpy as np
import pandas as pd

from synthera.schema import ColumnSpec
from synthera.transforms.base import (
    Span,
    check_type,
    empty_block,
    malformed,
    read_bool,
    read_int,
    read_str,
)
from synthera.transforms.options import FitOptions

IdMode = Literal["integer", "pattern", "uuid", "random"]
_MODES = ("integer", "pattern", "uuid", "random")
_HEX = np.array(list("0123456789abcdef"))
_FIRST_POOL = "0123456789abcdefghijklmnopqrstuvwxyz"
_PATTERN = r"^(\D*)(\d+)(\D*)$"
_UUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
_MAX_START = 2**62
_STRING_DTYPES = ("str", "string", "object")


class IdEncoder:
    TYPE = "id"

    def __init__(
        self,
        name: str,
        *,
        mode: IdMode,
        start: int = 1,
        prefix: str = "",
        suffix: str = "",
        pad: int = 0,
        length: int = 8,
        first_chars: str = "0123456789abcdef",
        upper: bool = False,
        dtype: str = "str",
    ) -> None:
        self.name = name
        self.mode = mode
        self.start = start
        self.prefix = prefix
        self.suffix = suffix
        self.pad = pad  # zero-padding width of the number (0: none)
        self.length = length
        self.first_chars = first_chars
        self.upper = upper
        self.dtype = dtype

    @classmethod
    def fit(
        cls, series: pd.Series, spec: ColumnSpec, options: FitOptions, rng: np.random.Generator
    ) -> Self:
        values = series.dropna()
        dtype = str(series.dtype)
        is_number = pd.api.types.is_numeric_dtype(series.dtype) and not (
            pd.api.types.is_bool_dtype(series.dtype)
        )
        if is_number:
            numbers = values.to_numpy(dtype=np.float64)
            start = int(np.floor(numbers.max())) + 1 if numbers.size else 1
            if start < _MAX_START:
                return cls(spec.name, mode="integer", start=start, dtype="int64")
        dtype = dtype if dtype in _STRING_DTYPES else "str"
        strings = values.astype("str")
        if strings.empty:
            return cls(spec.name, mode="pattern", start=1, dtype=dtype)
        parts = strings.str.extract(_PATTERN)
        if parts[1].notna().all():
            encoder = cls._fit_pattern(spec.name, parts, dtype)
            if encoder is not None:
                return encoder
        if strings.str.fullmatch(_UUID).all():
            upper = bool(strings.str.contains("[A-F]", regex=True).any())
            return cls(spec.name, mode="uuid", upper=upper, dtype=dtype)
        return cls._fit_random(spec.name, strings, dtype)

    @classmethod
    def _fit_pattern(cls, name: str, parts: pd.DataFrame, dtype: str) -> Self | None:
        digits = parts[1].astype("str")
        stripped = digits.str.lstrip("0")
        lengths = stripped.str.len()
        largest = stripped[lengths == lengths.max()].max()
        start = int(largest or "0") + 1
        if start >= _MAX_START:
            return None
        digit_lengths = digits.str.len()
        padded = digits.str.startswith("0") & (digit_lengths > 1)
        if padded.any():
            pad = int(digit_lengths[padded].max())
        elif digit_lengths.nunique() == 1:
            pad = int(digit_lengths.iloc[0])
        else:
            pad = 0
        return cls(
            name,
            mode="pattern",
            start=start,
            prefix=str(parts[0].value_counts().index[0]),
            suffix=str(parts[2].value_counts().index[0]),
            pad=pad,
            dtype=dtype,
        )

    @classmethod
    def _fit_random(cls, name: str, strings: pd.Series, dtype: str) -> Self:
        lengths = strings.str.len()
        length = max(int(lengths.value_counts().index[0]), 1)
        used = set(strings.str[:1].unique().tolist())
        free = "".join(c for c in _FIRST_POOL if c not in used)
        if not free:
            return cls(name, mode="random", length=int(lengths.max()) + 1, dtype=dtype)
        return cls(name, mode="random", length=length, first_chars=free[:16], dtype=dtype)

    @property
    def spans(self) -> list[Span]:
        return []

    @property
    def width(self) -> int:
        return 0

    def transform(self, series: pd.Series, rng: np.random.Generator) -> np.ndarray:
        return empty_block(len(series))

    def inverse_transform(self, block: np.ndarray, rng: np.random.Generator) -> pd.Series:
        return self.generate(block.shape[0], rng)

    def generate(self, n: int, rng: np.random.Generator) -> pd.Series:
        if self.mode == "integer":
            return pd.Series(np.arange(self.start, self.start + n, dtype=np.int64), name=self.name)
        if self.mode == "pattern":
            numbers = np.arange(self.start, self.start + n, dtype=np.int64).astype(str)
            if self.pad:
                numbers = np.char.zfill(numbers, self.pad)
            keys = np.char.add(np.char.add(self.prefix, numbers), self.suffix)
            return pd.Series(keys, name=self.name, dtype=self.dtype)
        draw = self._draw_uuids if self.mode == "uuid" else self._draw_random
        keys = draw(n, rng)
        for _ in range(100):  # redraw the (rare) duplicates, all at once per round
            duplicated = pd.Series(keys).duplicated().to_numpy()
            if not duplicated.any():
                break
            keys[duplicated] = draw(int(duplicated.sum()), rng)
        return pd.Series(keys, name=self.name, dtype=self.dtype)

    def _draw_random(self, n: int, rng: np.random.Generator) -> np.ndarray:
        length = self.length
        capacity = len(self.first_chars) * 16.0 ** (length - 1)
        while capacity < 4.0 * n:  # too few possible keys for n unique ones: lengthen
            length += 1
            capacity *= 16.0
        first = np.array(list(self.first_chars))[rng.integers(0, len(self.first_chars), n)]
        rest = _HEX[rng.integers(0, 16, (n, length - 1))]
        chars = np.column_stack([first, rest]).astype("<U1")
        return np.ascontiguousarray(chars).view(f"<U{length}").reshape(n).astype(object)

    def _draw_uuids(self, n: int, rng: np.random.Generator) -> np.ndarray:
        nibbles = rng.integers(0, 16, (n, 32))
        nibbles[:, 12] = 4  # version 4
        nibbles[:, 16] = 8 + nibbles[:, 16] % 4  # RFC 4122 variant
        chars = _HEX[nibbles]
        if self.upper:
            chars = np.char.upper(chars)
        dash = np.full((n, 1), "-")
        groups = [chars[:, 0:8], dash, chars[:, 8:12], dash, chars[:, 12:16], dash]
        groups += [chars[:, 16:20], dash, chars[:, 20:32]]
        joined = np.ascontiguousarray(np.column_stack(groups).astype("<U1"))
        return joined.view("<U36").reshape(n).astype(object)

    def get_state(self) -> dict[str, Any]:
        return {
            "type": self.TYPE,
            "mode": self.mode,
            "start": self.start,
            "prefix": self.prefix,
            "suffix": self.suffix,
            "pad": self.pad,
            "length": self.length,
            "first_chars": self.first_chars,
            "upper": self.upper,
            "dtype": self.dtype,
        }

    @classmethod
    def from_state(cls, spec: ColumnSpec, state: Mapping[str, Any]) -> Self:
        check_type(state, cls.TYPE)
        start = read_int(state, "start")
        if not -_MAX_START < start < _MAX_START:
            raise malformed("id 'start' is out of range")
        first_chars = read_str(state, "first_chars")
        if not first_chars or any(c not in _FIRST_POOL for c in first_chars):
            raise malformed("id 'first_chars' should be letters or digits")
        return cls(
            spec.name,
            mode=read_str(state, "mode", _MODES),  # type: ignore[arg-type]
            start=start,
            prefix=read_str(state, "prefix"),
            suffix=read_str(state, "suffix"),
            pad=read_int(state, "pad", minimum=0),
            length=read_int(state, "length", minimum=1),
            first_chars=first_chars,
            upper=read_bool(state, "upper"),
            dtype=read_str(state, "dtype", (*_STRING_DTYPES, "int64")),
        )
