"""What every metric returns: one number, which way is better, and what to plot."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any, Literal

Direction = Literal["higher", "lower"]


@dataclass(frozen=True)
class MetricResult:
    """One metric of one synthetic table, next to its real-vs-real reference.

    `value` is None when the metric does not apply (say, no numeric columns); `skipped`
    then says why. `per_item` breaks the value down by column or column pair;
    `reference` and `per_item_reference` hold the same metric computed for the holdout
    against the training table: the level no generator beats by more than noise.
    `details` holds JSON-able data for plots.
    """

    name: str
    family: str  # "fidelity", "utility", "privacy" or "fairness"
    label: str  # a short human name, e.g. "Kolmogorov-Smirnov statistic"
    value: float | None
    direction: Direction
    ideal: float
    description: str = ""  # one plain-language sentence
    reference: float | None = None
    per_item: dict[str, float | None] = field(default_factory=dict)
    per_item_reference: dict[str, float | None] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    skipped: str | None = None

    def with_reference(self, reference: MetricResult | None) -> MetricResult:
        """This result with `reference`'s value (and per-item values) as its reference."""
        if reference is None:
            return self
        return replace(self, reference=reference.value, per_item_reference=dict(reference.per_item))

    def better(self, a: float | None, b: float | None) -> bool:
        """Whether value `a` is strictly better than `b` for this metric."""
        if a is None or b is None or math.isnan(a) or math.isnan(b):
            return a is not None and b is None
        if self.direction == "higher":
            return a > b
        return abs(a - self.ideal) < abs(b - self.ideal) if self.ideal != 0 else a < b

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "family": self.family,
            "label": self.label,
            "value": clean_number(self.value),
            "reference": clean_number(self.reference),
            "direction": self.direction,
            "ideal": self.ideal,
            "description": self.description,
            "per_item": {k: clean_number(v) for k, v in self.per_item.items()},
            "per_item_reference": {k: clean_number(v) for k, v in self.per_item_reference.items()},
            "details": jsonable(self.details),
            "skipped": self.skipped,
        }


def skipped(
    name: str, family: str, label: str, direction: Direction, ideal: float, why: str
) -> MetricResult:
    """A metric that does not apply to this table, saying why."""
    return MetricResult(name, family, label, None, direction, ideal, skipped=why)


def clean_number(value: float | None) -> float | None:
    """A float JSON can hold (NaN and infinities become None), rounded for readability."""
    if value is None:
        return None
    value = float(value)
    if not math.isfinite(value):
        return None
    return round(value, 6)


def jsonable(value: Any) -> Any:
    """`value` with NumPy scalars and arrays made plain and NaN made None, recursively."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if hasattr(value, "tolist"):  # NumPy arrays and scalars
        return jsonable(value.tolist())
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    return value
