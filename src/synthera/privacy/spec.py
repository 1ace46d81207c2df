"""What a user asks for when they ask for privacy: a target (ε, δ) and the clipping norm.

Every model and command that trains under differential privacy takes a `PrivacySpec`
(or a mapping with the same keys) and checks it against the number of rows before any
work starts, so an impossible request fails early with one clear line.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from synthera.errors import ParameterError

ACCOUNTANTS = ("prv", "rdp")


def default_delta(n_rows: int) -> float:
    """δ well below 1/n (a mechanism with δ ≈ 1/n may publish one row outright)."""
    return 1.0 / (10.0 * max(n_rows, 1))


@dataclass(frozen=True)
class PrivacySpec:
    """`epsilon`: the total budget of the whole fit (preprocessing included).
    `delta`: None picks `default_delta(n)`. `max_grad_norm`: per-sample clipping norm of
    DP-SGD. `accountant`: Opacus' "prv" or "rdp"."""

    epsilon: float
    delta: float | None = None
    max_grad_norm: float = 1.0
    accountant: str = "prv"

    def __post_init__(self) -> None:
        if not (isinstance(self.epsilon, int | float) and math.isfinite(self.epsilon)):
            raise ParameterError(f"epsilon must be a finite number > 0, not {self.epsilon!r}")
        if self.epsilon <= 0:
            raise ParameterError(f"epsilon must be > 0, not {self.epsilon}")
        if self.delta is not None and not 0 < self.delta < 1:
            raise ParameterError(f"delta must lie strictly between 0 and 1, not {self.delta}")
        if not self.max_grad_norm > 0:
            raise ParameterError(f"max_grad_norm must be > 0, not {self.max_grad_norm}")
        if self.accountant not in ACCOUNTANTS:
            raise ParameterError(
                f"accountant must be one of {', '.join(ACCOUNTANTS)}, not {self.accountant!r}"
            )

    @classmethod
    def coerce(cls, value: PrivacySpec | Mapping[str, Any] | None) -> PrivacySpec | None:
        """A spec from a spec, a mapping ({"epsilon": 1.0, ...}) or None (no privacy)."""
        if value is None or isinstance(value, PrivacySpec):
            return value
        if not isinstance(value, Mapping):
            raise ParameterError(
                f"privacy must be a mapping such as {{'epsilon': 1.0}}, not {value!r}"
            )
        unknown = sorted(set(value) - {"epsilon", "delta", "max_grad_norm", "accountant"})
        if unknown:
            raise ParameterError(f"privacy has no setting {', '.join(map(repr, unknown))}")
        if "epsilon" not in value:
            raise ParameterError("privacy needs an epsilon, e.g. {'epsilon': 1.0}")
        return cls(**dict(value))

    def resolved_delta(self, n_rows: int) -> float:
        """The δ this fit uses; a δ ≥ 1/n protects nobody and is refused."""
        delta = default_delta(n_rows) if self.delta is None else self.delta
        if delta >= 1.0 / max(n_rows, 1):
            raise ParameterError(
                f"delta={delta:g} is not below 1/n = {1.0 / n_rows:g} for {n_rows} rows; "
                f"use a smaller delta (the default is {default_delta(n_rows):g})"
            )
        return delta

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
