"""Tables to model-ready numeric matrices, planned from the Schema and fitted on real data.

Three styles, one per use:

* ``"model"``    — for linear models: numerics standardised, categoricals one-hot, a
  missing-value indicator per column.
* ``"tree"``     — for tree ensembles: numerics as they are (NaN kept: the trees handle
  it), categoricals as integer codes.
* ``"distance"`` — for nearest-neighbour privacy metrics: numerics as their rank in the
  real column (0..1, so a skewed column cannot dominate), categoricals one-hot scaled
  so that two different labels are exactly 1 apart, like the full range of a numeric.

Id and free-text columns are dropped. Only real data is used for fitting, so a synthetic
table cannot move the scale it is measured on. Everything is vectorised per column.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from synthera.metrics.columns import category_codes, is_numeric, numbers, top_categories
from synthera.schema import Schema

FeatureStyle = Literal["model", "tree", "distance"]
MAX_CATEGORIES = 50  # rarer labels share one "other" feature: bounded width, bounded memory
HALF_SQRT2 = np.sqrt(0.5)  # two one-hot columns differ for a changed label: √(2·½) = 1


@dataclass(frozen=True)
class _ColumnPlan:
    name: str
    numeric: bool
    categories: tuple[str, ...] = ()
    mean: float = 0.0
    scale: float = 1.0
    sorted_values: np.ndarray | None = None  # for ranks in the distance style


class TableFeatures:
    """`TableFeatures(schema, style).fit(real).transform(df) -> float matrix`."""

    def __init__(
        self,
        schema: Schema,
        style: FeatureStyle = "model",
        *,
        columns: list[str] | None = None,
        max_categories: int = MAX_CATEGORIES,
        max_rank_values: int = 5000,
    ) -> None:
        self.schema = schema
        self.style = style
        self.columns = list(columns) if columns is not None else schema.modelled
        self.max_categories = max_categories
        self.max_rank_values = max_rank_values

    def fit(self, real: pd.DataFrame) -> TableFeatures:
        plans = []
        for name in self.columns:
            spec = self.schema[name]
            if is_numeric(spec):
                values = numbers(real[name], spec)
                present = values[np.isfinite(values)]
                mean = float(present.mean()) if present.size else 0.0
                std = float(present.std()) if present.size else 0.0
                ranks = None
                if self.style == "distance":
                    # Quantiles stand in for the full sorted column: same ranks, bounded size.
                    levels = np.linspace(0, 1, min(self.max_rank_values, max(present.size, 1)))
                    ranks = np.quantile(present, levels) if present.size else np.zeros(1)
                plans.append(_ColumnPlan(name, True, (), mean, std or 1.0, ranks))
            else:
                cats = tuple(top_categories(real[name], self.max_categories))
                plans.append(_ColumnPlan(name, False, cats))
        self.plans_ = plans
        self.feature_names_, self.feature_columns_ = self._names()
        return self

    def _names(self) -> tuple[list[str], list[str]]:
        names: list[str] = []
        owners: list[str] = []
        for plan in self.plans_:
            if self.style == "tree":
                parts = [plan.name]
            elif plan.numeric:
                parts = [plan.name, f"{plan.name} is missing"]
            else:
                parts = [f"{plan.name}={c}" for c in plan.categories]
                parts += [f"{plan.name}=(other)", f"{plan.name} is missing"]
            names += parts
            owners += [plan.name] * len(parts)
        return names, owners

    @property
    def categorical_mask(self) -> np.ndarray:
        """For the tree style: which features are category codes."""
        return np.array([not p.numeric for p in self.plans_])

    def indices_of(self, columns: list[str]) -> np.ndarray:
        """Positions of the features built from `columns`."""
        wanted = set(columns)
        return np.array([i for i, c in enumerate(self.feature_columns_) if c in wanted], int)

    def transform(self, df: pd.DataFrame) -> np.ndarray:
        blocks = [self._column_block(plan, df[plan.name]) for plan in self.plans_]
        if not blocks:
            return np.zeros((len(df), 0))
        return np.column_stack(blocks)

    def fit_transform(self, real: pd.DataFrame) -> np.ndarray:
        return self.fit(real).transform(real)

    def _column_block(self, plan: _ColumnPlan, series: pd.Series) -> np.ndarray:
        spec = self.schema[plan.name]
        if plan.numeric:
            values = numbers(series, spec)
            missing = ~np.isfinite(values)
            if self.style == "tree":
                return np.where(missing, np.nan, values)[:, None]
            if self.style == "distance":
                scaled = self._ranks(plan, values)
            else:
                scaled = (values - plan.mean) / plan.scale
            scaled[missing] = 0.0
            return np.column_stack([scaled, missing.astype(float)])
        codes, _, missing_code = category_codes(series, list(plan.categories))
        if self.style == "tree":
            return np.where(codes == missing_code, np.nan, codes).astype(float)[:, None]
        width = len(plan.categories) + 2  # the labels, "other", "missing"
        block = np.zeros((len(codes), width))
        block[np.arange(len(codes)), codes] = 1.0
        return block * HALF_SQRT2 if self.style == "distance" else block

    @staticmethod
    def _ranks(plan: _ColumnPlan, values: np.ndarray) -> np.ndarray:
        grid = plan.sorted_values
        assert grid is not None
        if grid.size < 2:
            return np.zeros_like(values)
        low = np.searchsorted(grid, values, side="left")
        high = np.searchsorted(grid, values, side="right")
        return ((low + high) / 2.0) / grid.size
