"""Fidelity of column pairs: are the relations between columns kept?

Numeric pairs: Pearson and Spearman correlation matrices. Every pair, whatever the kinds:
the two-way table of the pair, with numbers binned on the real deciles, compared through
Cramér's V (strength of association) and the total variation distance of the tables.
"""

from __future__ import annotations

from itertools import combinations
from typing import Literal

import numpy as np
import pandas as pd

from synthera.metrics.columns import category_codes, is_numeric, numbers, top_categories
from synthera.metrics.result import MetricResult, skipped
from synthera.schema import Schema

FAMILY = "fidelity"
PAIR_BINS = 10  # numeric columns cut at real deciles
PAIR_CATEGORIES = 20  # rarer labels pooled as "other": bounded tables, stable statistics


def _pair_name(a: str, b: str) -> str:
    return f"{a} ~ {b}"


def _rounded_matrix(matrix: pd.DataFrame) -> list[list[float | None]]:
    return [
        [None if not np.isfinite(v) else round(float(v), 4) for v in row]
        for row in matrix.to_numpy()
    ]


def correlation_difference(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    schema: Schema,
    *,
    method: Literal["pearson", "spearman"] = "pearson",
) -> MetricResult:
    """Mean absolute difference between the real and synthetic correlation matrices of
    the numeric columns (0 identical; correlations range from -1 to 1)."""
    name = f"{method}_difference"
    label = f"{method.capitalize()} correlation difference"
    columns = [c for c in schema.modelled if is_numeric(schema[c])]
    if len(columns) < 2:
        return skipped(name, FAMILY, label, "lower", 0.0, "fewer than two numeric columns")

    def matrix(df: pd.DataFrame) -> pd.DataFrame:
        frame = pd.DataFrame({c: numbers(df[c], schema[c]) for c in columns})
        return frame.corr(method=method)

    r, s = matrix(real), matrix(synthetic)
    s = s.where(~(r.notna() & s.isna()), 0.0)  # a constant synthetic column: no correlation
    per_pair: dict[str, float | None] = {}
    for a, b in combinations(columns, 2):
        diff = abs(float(r.loc[a, b]) - float(s.loc[a, b]))
        per_pair[_pair_name(a, b)] = diff if np.isfinite(diff) else None
    present = [v for v in per_pair.values() if v is not None]
    return MetricResult(
        name,
        FAMILY,
        label,
        float(np.mean(present)) if present else None,
        "lower",
        0.0,
        f"How much the {method.capitalize()} correlations between numeric columns differ, "
        "on average.",
        per_item=per_pair,
        details={"columns": columns, "real": _rounded_matrix(r), "synthetic": _rounded_matrix(s)},
    )


# ---- two-way tables ---------------------------------------------------------------------


class _PairCodes:
    """Every evaluated column as small integer codes, binned on the real table."""

    def __init__(self, real: pd.DataFrame, schema: Schema) -> None:
        self.schema = schema
        self.columns = list(schema.modelled)
        self.edges: dict[str, np.ndarray] = {}
        self.categories: dict[str, list[str]] = {}
        for name in self.columns:
            if is_numeric(schema[name]):
                values = numbers(real[name], schema[name])
                present = values[np.isfinite(values)]
                cuts = (
                    np.quantile(present, np.linspace(0, 1, PAIR_BINS + 1)[1:-1])
                    if (present.size)
                    else np.array([])
                )
                self.edges[name] = np.unique(cuts)
            else:
                self.categories[name] = top_categories(real[name], PAIR_CATEGORIES)

    def sizes(self) -> list[int]:
        # numeric: bins + missing; categorical: labels + other + missing
        return [
            len(self.edges[c]) + 2 if c in self.edges else len(self.categories[c]) + 2
            for c in self.columns
        ]

    def codes(self, df: pd.DataFrame) -> np.ndarray:
        out = np.empty((len(df), len(self.columns)), dtype=np.int64)
        for j, name in enumerate(self.columns):
            if name in self.edges:
                values = numbers(df[name], self.schema[name])
                binned = np.searchsorted(self.edges[name], values, side="right")
                binned[~np.isfinite(values)] = len(self.edges[name]) + 1
                out[:, j] = binned
            else:
                out[:, j] = category_codes(df[name], self.categories[name])[0]
        return out


def _joint(codes: np.ndarray, i: int, j: int, sizes: list[int]) -> np.ndarray:
    flat = codes[:, i] * sizes[j] + codes[:, j]
    return np.bincount(flat, minlength=sizes[i] * sizes[j]).reshape(sizes[i], sizes[j])


def cramers_v(table: np.ndarray, *, corrected: bool = True) -> float:
    """Cramér's V of a two-way count table; `corrected` applies Bergsma's (2013) bias
    correction, which keeps V near 0 for independent columns in small samples."""
    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0].astype(float)
    n = table.sum()
    r, k = table.shape
    if n < 2 or r < 2 or k < 2:
        return 0.0
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / n
    phi2 = float(((table - expected) ** 2 / expected).sum() / n)
    if not corrected:
        return float(np.sqrt(phi2 / min(r - 1, k - 1)))
    phi2 = max(0.0, phi2 - (r - 1) * (k - 1) / (n - 1))
    r_c = r - (r - 1) ** 2 / (n - 1)
    k_c = k - (k - 1) ** 2 / (n - 1)
    denominator = min(r_c - 1, k_c - 1)
    return float(np.sqrt(phi2 / denominator)) if denominator > 0 else 0.0


def _pair_statistics(
    real: pd.DataFrame, synthetic: pd.DataFrame, schema: Schema
) -> tuple[list[str], np.ndarray, np.ndarray, dict[tuple[int, int], float]]:
    """Cramér's V matrices (real, synthetic) and the table TVD of every pair."""
    coder = _PairCodes(real, schema)
    sizes = coder.sizes()
    a, b = coder.codes(real), coder.codes(synthetic)
    p = len(coder.columns)
    v_real, v_syn = np.eye(p), np.eye(p)
    tvd: dict[tuple[int, int], float] = {}
    for i, j in combinations(range(p), 2):
        ta, tb = _joint(a, i, j, sizes), _joint(b, i, j, sizes)
        v_real[i, j] = v_real[j, i] = cramers_v(ta)
        v_syn[i, j] = v_syn[j, i] = cramers_v(tb)
        if ta.sum() and tb.sum():
            tvd[(i, j)] = float(0.5 * np.abs(ta / ta.sum() - tb / tb.sum()).sum())
    return coder.columns, v_real, v_syn, tvd


def association_difference(
    real: pd.DataFrame, synthetic: pd.DataFrame, schema: Schema
) -> MetricResult:
    """Mean absolute difference of Cramér's V over the pairs with a categorical column."""
    label = "Cramér's V difference"
    columns = schema.modelled
    if len(columns) < 2:
        return skipped("cramers_v_difference", FAMILY, label, "lower", 0.0, "fewer than 2 columns")
    names, v_real, v_syn, _ = _pair_statistics(real, synthetic, schema)
    categorical = [not is_numeric(schema[c]) for c in names]
    per_pair: dict[str, float | None] = {
        _pair_name(names[i], names[j]): float(abs(v_real[i, j] - v_syn[i, j]))
        for i, j in combinations(range(len(names)), 2)
        if categorical[i] or categorical[j]
    }
    present = [v for v in per_pair.values() if v is not None]
    matrix_details = {
        "columns": names,
        "real": np.round(v_real, 4).tolist(),
        "synthetic": np.round(v_syn, 4).tolist(),
    }
    if not present:
        return MetricResult(
            "cramers_v_difference",
            FAMILY,
            label,
            None,
            "lower",
            0.0,
            details=matrix_details,
            skipped="no pair has a categorical column",
        )
    return MetricResult(
        "cramers_v_difference",
        FAMILY,
        label,
        float(np.mean(present)),
        "lower",
        0.0,
        "How much the strength of association (Cramér's V, 0 none to 1 perfect) differs for "
        "pairs involving a categorical column, on average.",
        per_item=per_pair,
        details=matrix_details,
    )


def contingency_tvd(real: pd.DataFrame, synthetic: pd.DataFrame, schema: Schema) -> MetricResult:
    """Mean total variation distance between the real and synthetic two-way tables of
    every column pair (numbers binned on real deciles; 0 identical, 1 disjoint)."""
    label = "Two-way table distance"
    if len(schema.modelled) < 2:
        return skipped("contingency_tvd", FAMILY, label, "lower", 0.0, "fewer than 2 columns")
    names, _, _, tvd = _pair_statistics(real, synthetic, schema)
    per_pair: dict[str, float | None] = {
        _pair_name(names[i], names[j]): value for (i, j), value in tvd.items()
    }
    value = float(np.mean(list(tvd.values()))) if tvd else None
    return MetricResult(
        "contingency_tvd",
        FAMILY,
        label,
        value,
        "lower",
        0.0,
        "How different the joint distribution of each pair of columns is (share of rows "
        "that would have to move), on average.",
        per_item=per_pair,
    )
