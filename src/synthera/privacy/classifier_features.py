"""The DP classifier's inputs, planned from the real rows under differential privacy.

An MLP needs every input on a known scale, and that scale must not leak: the bounds of a
numeric column and the labels of a categorical one (the target's classes included) come
from the schema where declared (`lower`/`upper` — days since 1970 for datetimes —
and `categories`: public knowledge, free) and otherwise from the one Gaussian histogram
of `privacy.preprocessing.private_summaries`, the same release the private generators
use: numeric ranges from the outermost grid bins that clear a noise bar, category sets
above a noisy threshold, so a label seen in a handful of rows never becomes an input;
datetime ranges from its calendar-month grid.

Numbers are clipped to their bounds and scaled to 0..1, a missing value reads 0.5 with
its own indicator; labels are one-hot, with one input for every other label and one for
missing. Without privacy the same plan is made from the exact values (min/max, every
label up to `MAX_CATEGORIES`), so the private and the non-private classifier differ only
in privacy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from synthera.errors import ParameterError
from synthera.metrics.columns import category_codes, is_numeric, labels, numbers, top_categories
from synthera.privacy.ledger import BudgetPart
from synthera.privacy.preprocessing import (
    CategorySummary,
    DatetimeSummary,
    NumericSummary,
    private_summaries,
)
from synthera.schema import ColumnSpec, Schema

MAX_CATEGORIES = 100  # without privacy: the most frequent labels, the rest share "other"


@dataclass(frozen=True)
class FeatureColumn:
    """How one column becomes inputs: scaled number + missing flag, or one-hot labels +
    "other" + "missing"."""

    name: str
    numeric: bool
    lower: float = 0.0
    upper: float = 1.0
    categories: tuple[str, ...] = ()

    @property
    def width(self) -> int:
        return 2 if self.numeric else len(self.categories) + 2

    def block(self, series: pd.Series, spec: ColumnSpec) -> np.ndarray:
        if self.numeric:
            values = numbers(series, spec)
            missing = ~np.isfinite(values)
            span = self.upper - self.lower
            with np.errstate(invalid="ignore"):
                scaled = np.clip((values - self.lower) / span, 0.0, 1.0)
            scaled[missing] = 0.5
            return np.column_stack([scaled, missing.astype(float)])
        codes, _, _ = category_codes(series, list(self.categories))
        block = np.zeros((len(codes), self.width))
        block[np.arange(len(codes)), codes] = 1.0
        return block

    def to_dict(self) -> dict[str, Any]:
        if self.numeric:
            return {"name": self.name, "numeric": True, "lower": self.lower, "upper": self.upper}
        return {"name": self.name, "numeric": False, "categories": list(self.categories)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FeatureColumn:
        if data["numeric"]:
            return cls(str(data["name"]), True, float(data["lower"]), float(data["upper"]))
        return cls(str(data["name"]), False, categories=tuple(map(str, data["categories"])))


@dataclass(frozen=True)
class FeaturePlan:
    """The inputs of the classifier and the classes it predicts."""

    columns: tuple[FeatureColumn, ...]
    classes: tuple[str, ...]

    @property
    def width(self) -> int:
        return sum(c.width for c in self.columns)

    def transform(self, df: pd.DataFrame, schema: Schema) -> np.ndarray:
        """A float32 matrix, one block per planned column."""
        blocks = [c.block(df[c.name], schema[c.name]) for c in self.columns]
        if not blocks:
            return np.zeros((len(df), 0), dtype=np.float32)
        return np.column_stack(blocks).astype(np.float32)

    def class_codes(self, series: pd.Series) -> np.ndarray:
        """0..K-1 for known classes, −1 for a missing or unknown class."""
        codes, other, missing = category_codes(series, list(self.classes))
        return np.where((codes == other) | (codes == missing), -1, codes)

    def to_dict(self) -> dict[str, Any]:
        return {"columns": [c.to_dict() for c in self.columns], "classes": list(self.classes)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FeaturePlan:
        return cls(
            tuple(FeatureColumn.from_dict(c) for c in data["columns"]),
            tuple(str(c) for c in data["classes"]),
        )


@dataclass(frozen=True)
class PlannedFeatures:
    """A plan and what it cost: the ledger parts, what was public, and notes for the user."""

    plan: FeaturePlan
    parts: tuple[BudgetPart, ...]
    public: tuple[str, ...]
    notes: tuple[str, ...]


def _declared_bounds(spec: ColumnSpec) -> tuple[float, float] | None:
    if spec.lower is None or spec.upper is None:
        return None
    if not float(spec.lower) < float(spec.upper):
        raise ParameterError(
            f"column {spec.name!r}: declared lower bound {spec.lower} is not below upper "
            f"{spec.upper}"
        )
    return float(spec.lower), float(spec.upper)


def _as_labels(values: Any) -> tuple[str, ...]:
    """Labels as the metrics read them (3, 3.0 and "3" alike), in the given order."""
    return tuple(str(v) for v in labels(pd.Series(list(values), dtype=object)).dropna())


def _declared_categories(spec: ColumnSpec) -> tuple[str, ...] | None:
    return None if spec.categories is None else _as_labels(spec.categories)


def _exact(df: pd.DataFrame, spec: ColumnSpec) -> tuple[float, float] | tuple[str, ...] | None:
    """Bounds or labels read from the exact values (the non-private plan)."""
    if not is_numeric(spec):
        return tuple(top_categories(df[spec.name], MAX_CATEGORIES))
    values = numbers(df[spec.name], spec)
    present = values[np.isfinite(values)]
    if present.size == 0:
        return None
    low, high = float(present.min()), float(present.max())
    return low, high if high > low else low + 1.0


def _released(
    summary: CategorySummary | NumericSummary,
) -> tuple[float, float] | tuple[str, ...]:
    if isinstance(summary, DatetimeSummary):  # in days since 1970, as declared bounds are
        low, high = summary.lower_days, summary.upper_days
        return low, high if high > low else low + 1.0
    if isinstance(summary, NumericSummary):
        low, high = summary.lower, summary.upper
        return low, high if high > low else low + 1.0
    return _as_labels(summary.levels)


def plan_features(
    df: pd.DataFrame,
    schema: Schema,
    target: str,
    *,
    epsilon: float | None,
    delta: float = 0.0,
    rng: np.random.Generator,
) -> PlannedFeatures:
    """Plan the inputs (every modelled column but the target) and the target's classes.

    With `epsilon` and `delta` (the preprocessing budget) the columns the schema does not
    declare are released by one private histogram; with `epsilon` None the plan reads the
    exact values.
    """
    names = [c for c in schema.modelled if c != target] + [target]
    found: dict[str, tuple[float, float] | tuple[str, ...] | None] = {}
    public = ["the schema: column names, kinds and roles", "the number of rows (sampling rate)"]
    notes: list[str] = []
    undeclared = []
    for name in names:
        spec = schema[name]
        declared = _declared_bounds(spec) if is_numeric(spec) else _declared_categories(spec)
        if declared is not None:
            found[name] = declared
            public.append(f"declared {'bounds' if is_numeric(spec) else 'categories'} of {name!r}")
        elif epsilon is None:
            found[name] = _exact(df, spec)
        else:
            undeclared.append(name)
    parts: tuple[BudgetPart, ...] = ()
    if undeclared and epsilon is not None:
        released = private_summaries(
            df[undeclared],
            Schema(tuple(schema[n] for n in undeclared)),
            epsilon=epsilon,
            delta=delta,
            max_components=1,
            rng=rng,
        )
        found.update({n: _released(released.columns[n]) for n in undeclared})
        parts = (released.part,)
        notes += released.notes
    planned: list[FeatureColumn] = []
    for name in names[:-1]:
        plan = found[name]
        if plan is None:
            if epsilon is None:
                notes.append(f"column {name!r} left out: it has no values")
            continue
        if is_numeric(schema[name]):
            low, high = plan
            planned.append(FeatureColumn(name, True, float(low), float(high)))
        else:
            planned.append(FeatureColumn(name, False, categories=tuple(map(str, plan))))
    classes = tuple(map(str, found[target] or ()))
    if len(classes) < 2:
        raise ParameterError(
            f"the target {target!r} has fewer than two classes"
            + (
                " frequent enough to be released at this ε; raise epsilon or declare the "
                "classes as the target's categories in the schema"
                if epsilon is not None
                else ""
            )
        )
    return PlannedFeatures(FeaturePlan(tuple(planned), classes), parts, tuple(public), tuple(notes))
