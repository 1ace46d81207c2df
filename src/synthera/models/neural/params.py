"""Checks for the neural models' hyper-parameters: a clear message for each bad value."""

from __future__ import annotations

from collections.abc import Sequence

from synthera.errors import ParameterError


def positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ParameterError(f"{name} must be a whole number ≥ 1, not {value!r}")
    return value


def optional_positive_int(name: str, value: object) -> int | None:
    return None if value is None else positive_int(name, value)


def non_negative_float(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise ParameterError(f"{name} must be a number ≥ 0, not {value!r}")
    return float(value)


def positive_float(name: str, value: object) -> float:
    number = non_negative_float(name, value)
    if number == 0:
        raise ParameterError(f"{name} must be a number > 0, not {value!r}")
    return number


def fraction(name: str, value: object) -> float:
    number = non_negative_float(name, value)
    if not 0 < number < 1:
        raise ParameterError(f"{name} must lie strictly between 0 and 1, not {value!r}")
    return number


def layer_sizes(name: str, value: object) -> tuple[int, ...]:
    """Hidden layer widths, from a tuple or (after a JSON round trip) a list."""
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise ParameterError(f"{name} must be a list of layer widths, not {value!r}")
    return tuple(positive_int(f"{name} entries", size) for size in value)


def adam_betas(name: str, value: object) -> tuple[float, float]:
    if isinstance(value, str) or not isinstance(value, Sequence) or len(value) != 2:
        raise ParameterError(f"{name} must be two numbers in [0, 1), not {value!r}")
    betas = tuple(non_negative_float(name, b) for b in value)
    if not all(b < 1 for b in betas):
        raise ParameterError(f"{name} must be two numbers in [0, 1), not {value!r}")
    return betas[0], betas[1]
