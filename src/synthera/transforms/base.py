"""What every column encoder shares: the Span of output columns it owns, its protocol, and
the helpers that read a saved state back with a clear error when it is malformed.

An encoder's state is a JSON-serialisable tree whose leaves may be NumPy arrays (the
model persistence layer moves those into safetensors); nothing else, so loading a model
never executes code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, Self

import numpy as np
import pandas as pd

from synthera.errors import ModelFileError, one_line
from synthera.schema import ColumnSpec

Activation = Literal["tanh", "softmax", "identity"]
Role = Literal["value", "mode", "category", "missing"]


@dataclass(frozen=True)
class Span:
    """A run of output columns that one source column owns, and how a model should emit it.

    `activation` tells a neural generator which output function fits the block: "tanh"
    for a scalar in (-1, 1), "softmax" for a one-hot block, "identity" for a normal score.
    """

    column: str
    width: int
    activation: Activation
    role: Role


class ColumnEncoder(Protocol):
    """One column in, a float block out, and back.

    `transform` returns an (n, width) float64 block; `inverse_transform` takes such a
    block (or arbitrary floats of that shape, as a generator produces them) and returns a
    Series of valid values for the column.
    """

    name: str

    @property
    def spans(self) -> list[Span]: ...

    @property
    def width(self) -> int: ...

    def transform(self, series: pd.Series, rng: np.random.Generator) -> np.ndarray: ...

    def inverse_transform(self, block: np.ndarray, rng: np.random.Generator) -> pd.Series: ...

    def get_state(self) -> dict[str, Any]: ...

    @classmethod
    def from_state(cls, spec: ColumnSpec, state: Mapping[str, Any]) -> Self: ...


def show(value: Any) -> str:
    """repr of a value for an error message (NumPy scalars as plain Python ones)."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def total_width(spans: Sequence[Span]) -> int:
    return sum(span.width for span in spans)


def one_hot(codes: np.ndarray, width: int) -> np.ndarray:
    """An (n, width) float64 one-hot matrix of integer codes (vectorized)."""
    out = np.zeros((codes.size, width), dtype=np.float64)
    if width:
        out[np.arange(codes.size), codes] = 1.0
    return out


# ---- reading a state back ---------------------------------------------------------------


def malformed(what: str) -> ModelFileError:
    return ModelFileError(one_line(f"encoder state is malformed: {what}"))


def read_mapping(state: Any, key: str | None = None) -> Mapping[str, Any]:
    value = state if key is None else _get(state, key)
    if not isinstance(value, Mapping):
        raise malformed(f"{key or 'state'!r} should be an object")
    return value


def _get(state: Mapping[str, Any], key: str) -> Any:
    if not isinstance(state, Mapping):
        raise malformed("expected an object")
    if key not in state:
        raise malformed(f"missing {key!r}")
    return state[key]


def read_str(state: Mapping[str, Any], key: str, choices: Sequence[str] | None = None) -> str:
    value = _get(state, key)
    if not isinstance(value, str):
        raise malformed(f"{key!r} should be a string")
    if choices is not None and value not in choices:
        raise malformed(f"{key!r} is {value!r}, expected one of {', '.join(choices)}")
    return value


def read_optional_str(state: Mapping[str, Any], key: str) -> str | None:
    value = state.get(key) if isinstance(state, Mapping) else None
    if value is not None and not isinstance(value, str):
        raise malformed(f"{key!r} should be a string or null")
    return value


def read_bool(state: Mapping[str, Any], key: str) -> bool:
    value = _get(state, key)
    if not isinstance(value, bool | np.bool_):
        raise malformed(f"{key!r} should be true or false")
    return bool(value)


def read_int(state: Mapping[str, Any], key: str, minimum: int | None = None) -> int:
    value = _get(state, key)
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise malformed(f"{key!r} should be an integer")
    if minimum is not None and value < minimum:
        raise malformed(f"{key!r} should be at least {minimum}")
    return int(value)


def read_optional_int(state: Mapping[str, Any], key: str) -> int | None:
    if not isinstance(state, Mapping) or state.get(key) is None:
        return None
    return read_int(state, key)


def read_float(state: Mapping[str, Any], key: str) -> float:
    value = _get(state, key)
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise malformed(f"{key!r} should be a number")
    return float(value)


def read_list(state: Mapping[str, Any], key: str) -> list[Any]:
    value = _get(state, key)
    if not isinstance(value, list | tuple):
        raise malformed(f"{key!r} should be a list")
    return list(value)


def read_array(
    state: Mapping[str, Any],
    key: str,
    dtype: Any,
    *,
    length: int | None = None,
    min_length: int = 0,
    finite: bool = True,
) -> np.ndarray:
    """A 1-d array leaf (a NumPy array, or a plain list after a JSON round trip)."""
    value = _get(state, key)
    if not isinstance(value, np.ndarray | list | tuple):
        raise malformed(f"{key!r} should be an array")
    try:
        array = np.asarray(value, dtype=dtype)
    except (TypeError, ValueError):
        raise malformed(f"{key!r} should be an array of {np.dtype(dtype).name}") from None
    if array.ndim != 1:
        raise malformed(f"{key!r} should be one-dimensional")
    if length is not None and array.size != length:
        raise malformed(f"{key!r} should have {length} entries, not {array.size}")
    if array.size < min_length:
        raise malformed(f"{key!r} should have at least {min_length} entries")
    if finite and array.dtype.kind == "f" and not np.all(np.isfinite(array)):
        raise malformed(f"{key!r} holds non-finite numbers")
    return array


def check_type(state: Mapping[str, Any], expected: str) -> None:
    found = read_str(state, "type")
    if found != expected:
        raise malformed(f"encoder type is {found!r}, expected {expected!r}")


def empty_block(n: int) -> np.ndarray:
    return np.zeros((n, 0), dtype=np.float64)
