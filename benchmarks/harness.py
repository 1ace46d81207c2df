"""The issue-7 headline figures for one synthetic table, beside holdout-vs-train.

Column shapes and pair trends follow the usual quality-report definitions, so that the
figures compare with the peers' published ones: shapes = mean over columns of 1 − KS
(numbers, dates) or 1 − TVD (categories); trends = mean over column pairs of
1 − |Δ Pearson correlation| / 2 for two numeric columns, else 1 − TVD of their contingency
table (numbers cut into 10 quantile bins of the real column). Detection, TSTR, the
distance-to-closest-record share and exact copies come from `synthera.evaluate`; its
utility models train on every row here (not its default cap of 20,000), so that TSTR and
its train-real reference compare with the figures measured on the full training split.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import ks_2samp

from synthera import evaluate
from synthera.evaluation import EvaluationLimits
from synthera.schema import ColumnKind, Schema

NUMERIC = (ColumnKind.NUMERIC, ColumnKind.INTEGER, ColumnKind.DATETIME)
CATEGORY = (ColumnKind.CATEGORICAL, ColumnKind.BOOLEAN)
MAX_PAIR_ROWS = 20_000


def _as_float(series: pd.Series) -> np.ndarray:
    if isinstance(series.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(
        series.dtype
    ):
        return pd.to_datetime(series).astype("int64").to_numpy(dtype=np.float64)
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64)


def _labels(series: pd.Series) -> pd.Series:
    return series.astype("object").where(series.notna(), "<missing>").astype(str)


def column_shapes(real: pd.DataFrame, other: pd.DataFrame, schema: Schema) -> float:
    scores = []
    for spec in schema.columns:
        if spec.kind in NUMERIC:
            a, b = _as_float(real[spec.name]), _as_float(other[spec.name])
            a, b = a[~np.isnan(a)], b[~np.isnan(b)]
            if len(a) and len(b):
                scores.append(1.0 - ks_2samp(a, b).statistic)
        elif spec.kind in CATEGORY:
            p = _labels(real[spec.name]).value_counts(normalize=True)
            q = _labels(other[spec.name]).value_counts(normalize=True)
            scores.append(1.0 - 0.5 * p.subtract(q, fill_value=0).abs().sum())
    return float(np.mean(scores))


def _binned(real: pd.DataFrame, other: pd.DataFrame, schema: Schema) -> tuple[dict, dict]:
    r, o = {}, {}
    for spec in schema.columns:
        if spec.kind in NUMERIC:
            a, b = _as_float(real[spec.name]), _as_float(other[spec.name])
            edges = np.unique(np.nanquantile(a, np.linspace(0, 1, 11))[1:-1])
            r[spec.name] = np.where(np.isnan(a), -1, np.searchsorted(edges, a))
            o[spec.name] = np.where(np.isnan(b), -1, np.searchsorted(edges, b))
        elif spec.kind in CATEGORY:
            r[spec.name] = _labels(real[spec.name]).to_numpy()
            o[spec.name] = _labels(other[spec.name]).to_numpy()
    return r, o


def pair_trends(real: pd.DataFrame, other: pd.DataFrame, schema: Schema, seed: int = 0) -> float:
    real = real.sample(min(len(real), MAX_PAIR_ROWS), random_state=seed)
    other = other.sample(min(len(other), MAX_PAIR_ROWS), random_state=seed)
    numeric = {s.name for s in schema.columns if s.kind in NUMERIC}
    r, o = _binned(real, other, schema)
    scores = []
    for a, b in itertools.combinations(list(r), 2):
        if a in numeric and b in numeric:
            ra = pd.DataFrame({a: _as_float(real[a]), b: _as_float(real[b])}).corr().iloc[0, 1]
            oa = pd.DataFrame({a: _as_float(other[a]), b: _as_float(other[b])}).corr().iloc[0, 1]
            scores.append(1.0 - abs(np.nan_to_num(ra) - np.nan_to_num(oa)) / 2)
        else:
            p = pd.crosstab(r[a], r[b], normalize=True).stack()
            q = pd.crosstab(o[a], o[b], normalize=True).stack()
            scores.append(1.0 - 0.5 * p.subtract(q, fill_value=0).abs().sum())
    return float(np.mean(scores))


def score(
    train: pd.DataFrame,
    synthetic: pd.DataFrame,
    holdout: pd.DataFrame,
    schema: Schema,
    target: str,
    sensitive: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Headline figures {name: {"value": synthetic, "reference": holdout vs train}}."""
    every_row = EvaluationLimits(utility_rows=max(len(train), len(synthetic), len(holdout)))
    report = evaluate(
        train,
        synthetic,
        holdout,
        schema=schema,
        target=target,
        sensitive=list(sensitive),
        limits=every_row,
    )
    metrics = {m.name: m for m in report.metrics}
    out: dict[str, Any] = {
        "column_shapes": {
            "value": column_shapes(train, synthetic, schema),
            "reference": column_shapes(train, holdout, schema),
        },
        "pair_trends": {
            "value": pair_trends(train, synthetic, schema),
            "reference": pair_trends(train, holdout, schema),
        },
    }
    for name in ("detection_auc", "tstr_roc_auc", "dcr_share", "exact_copies", "fidelity_score"):
        metric = metrics.get(name)
        if metric is not None:
            out[name] = {"value": metric.value, "reference": metric.reference}
    tstr = metrics.get("tstr_roc_auc")
    if tstr is not None and tstr.per_item and "gradient_boosting" in tstr.per_item:
        # The headline: one gradient-boosting classifier, as in the peer table
        # (`tstr_roc_auc` above is the mean over three model families).
        out["tstr_boosting_auc"] = {
            "value": tstr.per_item["gradient_boosting"],
            "reference": (tstr.per_item_reference or {}).get("gradient_boosting"),
        }
    out["scorecard"] = {family.family: family.status for family in report.scorecard}
    return out
