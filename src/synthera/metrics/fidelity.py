"""Fidelity, column by column: does each synthetic column look like the real one?

Pair metrics live in `fidelity_pairs`, whole-table ones in `fidelity_detection`; all are
re-exported here, with the overall fidelity score that combines them.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import stats

from synthera.metrics.columns import is_numeric, labels, numbers
from synthera.metrics.fidelity_detection import detection_auc, pmse
from synthera.metrics.fidelity_pairs import (
    association_difference,
    contingency_tvd,
    correlation_difference,
)
from synthera.metrics.result import MetricResult, skipped
from synthera.schema import Schema

__all__ = [
    "association_difference",
    "category_coverage",
    "chi_square",
    "column_distributions",
    "contingency_tvd",
    "correlation_difference",
    "detection_auc",
    "fidelity_score",
    "ks_statistic",
    "missing_rate_difference",
    "pmse",
    "range_coverage",
    "total_variation",
    "wasserstein",
]

FAMILY = "fidelity"
EXPECTED_COUNT_FLAG = 10  # a category expected this often but never generated is "dropped"
SHOWN_CATEGORIES = 20  # categories drawn per column in the report


def _numeric_columns(schema: Schema) -> list[str]:
    return [c for c in schema.modelled if is_numeric(schema[c])]


def _categorical_columns(schema: Schema) -> list[str]:
    return [c for c in schema.modelled if not is_numeric(schema[c])]


def _present(series: pd.Series, schema: Schema, name: str) -> np.ndarray:
    values = numbers(series, schema[name])
    return values[np.isfinite(values)]


def _mean(values: Mapping[str, float | None]) -> float | None:
    present = [v for v in values.values() if v is not None and np.isfinite(v)]
    return float(np.mean(present)) if present else None


# ---- numeric columns ---------------------------------------------------------------------


def ks_statistic(real: pd.DataFrame, synthetic: pd.DataFrame, schema: Schema) -> MetricResult:
    """Kolmogorov-Smirnov statistic per numeric column: the largest gap between the two
    cumulative distributions (0 identical, 1 disjoint)."""
    label = "Kolmogorov-Smirnov statistic"
    columns = _numeric_columns(schema)
    if not columns:
        return skipped("ks", FAMILY, label, "lower", 0.0, "no numeric columns")
    per_column: dict[str, float | None] = {}
    for name in columns:
        a = _present(real[name], schema, name)
        b = _present(synthetic[name], schema, name)
        per_column[name] = (
            float(stats.ks_2samp(a, b, method="asymp").statistic) if a.size and b.size else None
        )
    return MetricResult(
        "ks",
        FAMILY,
        label,
        _mean(per_column),
        "lower",
        0.0,
        "How far apart the cumulative distributions of each numeric column are, on average.",
        per_item=per_column,
    )


def wasserstein(real: pd.DataFrame, synthetic: pd.DataFrame, schema: Schema) -> MetricResult:
    """Wasserstein (earth mover's) distance per numeric column, both columns divided by
    the real column's range so that every column is on the same 0..1 scale."""
    label = "Wasserstein distance (scaled to the real range)"
    columns = _numeric_columns(schema)
    if not columns:
        return skipped("wasserstein", FAMILY, label, "lower", 0.0, "no numeric columns")
    per_column: dict[str, float | None] = {}
    for name in columns:
        a = _present(real[name], schema, name)
        b = _present(synthetic[name], schema, name)
        if not (a.size and b.size):
            per_column[name] = None
            continue
        span = float(a.max() - a.min()) or 1.0
        per_column[name] = float(stats.wasserstein_distance(a / span, b / span))
    return MetricResult(
        "wasserstein",
        FAMILY,
        label,
        _mean(per_column),
        "lower",
        0.0,
        "How much mass must move, as a share of the real range, to turn one numeric column "
        "into the other.",
        per_item=per_column,
    )


def range_coverage(real: pd.DataFrame, synthetic: pd.DataFrame, schema: Schema) -> MetricResult:
    """Share of each real numeric range [min, max] that the synthetic values span."""
    label = "Range coverage"
    columns = _numeric_columns(schema)
    if not columns:
        return skipped("range_coverage", FAMILY, label, "higher", 1.0, "no numeric columns")
    per_column: dict[str, float | None] = {}
    outside: dict[str, float] = {}
    for name in columns:
        a = _present(real[name], schema, name)
        b = _present(synthetic[name], schema, name)
        if not (a.size and b.size):
            per_column[name] = None
            continue
        low, high = float(a.min()), float(a.max())
        if high == low:
            per_column[name] = 1.0 if np.any(b == low) else 0.0
        else:
            overlap = min(high, float(b.max())) - max(low, float(b.min()))
            per_column[name] = float(np.clip(overlap / (high - low), 0.0, 1.0))
        outside[name] = float(np.mean((b < low) | (b > high)))
    return MetricResult(
        "range_coverage",
        FAMILY,
        label,
        _mean(per_column),
        "higher",
        1.0,
        "How much of each real numeric range the synthetic values reach.",
        per_item=per_column,
        details={"share_outside_real_range": outside},
    )


# ---- categorical columns -----------------------------------------------------------------


def _shares(series: pd.Series) -> pd.Series:
    return labels(series).value_counts(normalize=True, dropna=True)


def total_variation(real: pd.DataFrame, synthetic: pd.DataFrame, schema: Schema) -> MetricResult:
    """Total variation distance per categorical column: half the summed absolute
    differences of category shares (0 identical, 1 disjoint). Missing values excluded."""
    label = "Total variation distance"
    columns = _categorical_columns(schema)
    if not columns:
        return skipped("tvd", FAMILY, label, "lower", 0.0, "no categorical columns")
    per_column: dict[str, float | None] = {}
    for name in columns:
        p, q = _shares(real[name]), _shares(synthetic[name])
        if p.empty or q.empty:
            per_column[name] = None
            continue
        p, q = p.align(q, fill_value=0.0)
        per_column[name] = float(0.5 * np.abs(p - q).sum())
    return MetricResult(
        "tvd",
        FAMILY,
        label,
        _mean(per_column),
        "lower",
        0.0,
        "The share of rows that would have to change category to make each categorical "
        "column match the real one, on average.",
        per_item=per_column,
    )


def chi_square(real: pd.DataFrame, synthetic: pd.DataFrame, schema: Schema) -> MetricResult:
    """Chi-square test of homogeneity per categorical column; the value is the share of
    columns where the test finds a difference (p < 0.05). Per column: the p-value."""
    label = "Columns failing the chi-square test (p < 0.05)"
    columns = _categorical_columns(schema)
    if not columns:
        return skipped("chi_square", FAMILY, label, "lower", 0.0, "no categorical columns")
    p_values: dict[str, float | None] = {}
    statistics: dict[str, float] = {}
    for name in columns:
        a = labels(real[name]).value_counts(dropna=True)
        b = labels(synthetic[name]).value_counts(dropna=True)
        a, b = a.align(b, fill_value=0)
        if len(a) < 2 or a.sum() == 0 or b.sum() == 0:
            p_values[name] = None
            continue
        result = stats.chi2_contingency(np.vstack([a.to_numpy(), b.to_numpy()]))
        p_values[name] = float(result.pvalue)
        statistics[name] = float(result.statistic)
    tested = [p for p in p_values.values() if p is not None]
    value = float(np.mean([p < 0.05 for p in tested])) if tested else None
    return MetricResult(
        "chi_square",
        FAMILY,
        label,
        value,
        "lower",
        0.0,
        "With many rows even tiny differences fail this test, so compare it with the holdout.",
        per_item=p_values,
        details={"statistic": statistics},
    )


def category_coverage(real: pd.DataFrame, synthetic: pd.DataFrame, schema: Schema) -> MetricResult:
    """Share of real categories the synthetic table contains (the mode-collapse signal).

    A category is flagged as dropped when it never appears although the synthetic table
    should have held it about `EXPECTED_COUNT_FLAG` times or more at the real share.
    """
    label = "Category coverage"
    columns = _categorical_columns(schema)
    if not columns:
        return skipped("category_coverage", FAMILY, label, "higher", 1.0, "no categorical columns")
    per_column: dict[str, float | None] = {}
    dropped: dict[str, list[str]] = {}
    absent: dict[str, int] = {}
    new: dict[str, list[str]] = {}
    for name in columns:
        p = _shares(real[name])
        seen = set(labels(synthetic[name]).dropna().unique())
        if p.empty:
            per_column[name] = None
            continue
        missing = [str(c) for c in p.index if c not in seen]
        per_column[name] = 1.0 - len(missing) / len(p)
        absent[name] = len(missing)
        n_present = int(synthetic[name].notna().sum())
        flagged = [c for c in missing if p[c] * n_present >= EXPECTED_COUNT_FLAG]
        if flagged:
            dropped[name] = flagged[:SHOWN_CATEGORIES]
        unseen = sorted(str(c) for c in seen - set(p.index))
        if unseen:
            new[name] = unseen[:SHOWN_CATEGORIES]
    return MetricResult(
        "category_coverage",
        FAMILY,
        label,
        _mean(per_column),
        "higher",
        1.0,
        "How many of the real categories appear in the synthetic table. A common category "
        "that never appears means the generator collapsed onto fewer modes.",
        per_item=per_column,
        details={"dropped": dropped, "absent_count": absent, "new_categories": new},
    )


# ---- every column ------------------------------------------------------------------------


def missing_rate_difference(
    real: pd.DataFrame, synthetic: pd.DataFrame, schema: Schema
) -> MetricResult:
    """Absolute difference of the share of missing values, per column."""
    per_column: dict[str, float | None] = {
        name: abs(float(real[name].isna().mean()) - float(synthetic[name].isna().mean()))
        for name in schema.modelled
    }
    return MetricResult(
        "missing_rate",
        FAMILY,
        "Missing-rate difference",
        _mean(per_column),
        "lower",
        0.0,
        "How different the share of empty cells is, per column, on average.",
        per_item=per_column,
    )


def column_distributions(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    schema: Schema,
    *,
    bins: int = 30,
    max_categories: int = SHOWN_CATEGORIES,
) -> dict[str, dict[str, object]]:
    """Per column, what the report draws: shares per bin (numeric) or per category.

    Bins are equal-width over the real 0.5..99.5 % range (extremes go to the end bins);
    categories are the most frequent real ones, the rest summed as "(other)".
    """
    out: dict[str, dict[str, object]] = {}
    for name in schema.modelled:
        spec = schema[name]
        if is_numeric(spec):
            a = _present(real[name], schema, name)
            b = _present(synthetic[name], schema, name)
            if not a.size:
                continue
            low, high = np.quantile(a, [0.005, 0.995])
            if high <= low:
                low, high = float(a.min()) - 0.5, float(a.max()) + 0.5
            edges = np.linspace(low, high, bins + 1)

            def shares(x: np.ndarray, e: np.ndarray = edges) -> list[float]:
                counts = np.histogram(np.clip(x, e[0], e[-1]), bins=e)[0]
                return [round(float(c), 6) for c in counts / max(x.size, 1)]

            out[name] = {
                "kind": "numeric",
                "datetime": spec.kind.value == "datetime",
                "edges": [round(float(e), 6) for e in edges],
                "real": shares(a),
                "synthetic": shares(b),
            }
        else:
            p, q = _shares(real[name]), _shares(synthetic[name])
            shown = [str(c) for c in p.index[:max_categories]]
            real_shares = [float(p.get(c, 0.0)) for c in shown]
            syn_shares = [float(q.get(c, 0.0)) for c in shown]
            if len(p) > max_categories or set(q.index) - set(shown):
                shown.append("(other)")
                real_shares.append(max(0.0, 1.0 - sum(real_shares)))
                syn_shares.append(max(0.0, 1.0 - sum(syn_shares)) if len(q) else 0.0)
            out[name] = {
                "kind": "categorical",
                "categories": shown,
                "real": [round(s, 6) for s in real_shares],
                "synthetic": [round(s, 6) for s in syn_shares],
            }
    return out


# ---- the overall score -------------------------------------------------------------------

SCORE_DEFINITION = (
    "Fidelity score = 100 × (1 − mean of three distances, each between 0 and 1): "
    "(1) columns — the mean over columns of the Kolmogorov-Smirnov statistic (numeric) or "
    "total variation distance (categorical); (2) pairs — the mean total variation distance "
    "between the real and synthetic two-way tables of every column pair (numbers binned on "
    "real deciles); (3) rows — 2 × |detection ROC-AUC − 0.5|, how well a classifier tells "
    "synthetic rows from real ones. 100 means indistinguishable."
)


def fidelity_score(parts: Mapping[str, MetricResult]) -> MetricResult:
    """Combine `ks`, `tvd`, `contingency_tvd` and `detection_auc` into one 0..100 score."""

    def score(use_reference: bool) -> tuple[float | None, dict[str, float | None]]:
        def pick(result: MetricResult) -> float | None:
            return result.reference if use_reference else result.value

        def items(result: MetricResult | None) -> dict[str, float | None]:
            if result is None:
                return {}
            return result.per_item_reference if use_reference else result.per_item

        columns = {**items(parts.get("ks")), **items(parts.get("tvd"))}
        pair = parts.get("contingency_tvd")
        detection = parts.get("detection_auc")
        auc = pick(detection) if detection is not None else None
        components: dict[str, float | None] = {
            "columns": _mean(columns),
            "pairs": pick(pair) if pair is not None else None,
            "rows": min(1.0, 2 * abs(auc - 0.5)) if auc is not None else None,
        }
        distance = _mean(components)
        return (None if distance is None else 100.0 * (1.0 - distance)), components

    value, components = score(False)
    reference, reference_components = score(True)
    has_reference = any(p.reference is not None for p in parts.values())
    return MetricResult(
        "fidelity_score",
        FAMILY,
        "Fidelity score",
        value,
        "higher",
        100.0,
        SCORE_DEFINITION,
        reference=reference if has_reference else None,
        per_item=components,
        per_item_reference=reference_components if has_reference else {},
    )
