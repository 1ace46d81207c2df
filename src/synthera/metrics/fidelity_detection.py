"""Fidelity of whole rows: can a classifier tell synthetic rows from real ones?

Both metrics mix equal numbers of real and synthetic rows and train a classifier to say
which is which. pMSE (Snoke et al. 2018) measures how far its propensity scores stray
from the constant a blind guess would give; the detection ROC-AUC, cross-validated,
is 0.5 when the rows cannot be told apart and 1.0 when every row gives itself away.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from synthera.metrics.features import TableFeatures
from synthera.metrics.result import MetricResult, skipped
from synthera.metrics.sampling import sample_rows
from synthera.schema import Schema

FAMILY = "fidelity"
MAX_ROWS = 10_000  # per side


def _balanced(
    real: pd.DataFrame, synthetic: pd.DataFrame, seed: int, max_rows: int | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    n = min(len(real), len(synthetic), max_rows or len(real))
    return sample_rows(real, n, seed), sample_rows(synthetic, n, seed + 1)


def pmse(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    schema: Schema,
    *,
    seed: int = 0,
    max_rows: int | None = MAX_ROWS,
) -> MetricResult:
    """Propensity-score mean squared error of a logistic regression (0 ideal).

    `details["standardised"]` divides by its largest possible value c·(1−c), which a
    classifier that separates the rows perfectly would reach: 0 ideal, 1 worst.
    """
    label = "Propensity score MSE (pMSE)"
    r, s = _balanced(real, synthetic, seed, max_rows)
    if len(r) < 10:
        return skipped("pmse", FAMILY, label, "lower", 0.0, "fewer than 10 rows on a side")
    features = TableFeatures(schema, "model").fit(r)
    x = np.vstack([features.transform(r), features.transform(s)])
    y = np.r_[np.zeros(len(r)), np.ones(len(s))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = LogisticRegression(max_iter=300).fit(x, y)
    propensity = model.predict_proba(x)[:, 1]
    share = len(s) / len(y)
    value = float(np.mean((propensity - share) ** 2))
    return MetricResult(
        "pmse",
        FAMILY,
        label,
        value,
        "lower",
        0.0,
        "How confidently a simple model can guess which rows are synthetic (0: not at all).",
        details={"standardised": value / (share * (1 - share)), "rows_per_side": len(r)},
    )


def detection_auc(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    schema: Schema,
    *,
    seed: int = 0,
    max_rows: int | None = MAX_ROWS,
    folds: int = 3,
) -> MetricResult:
    """Cross-validated ROC-AUC of gradient boosting telling synthetic from real rows."""
    label = "Detection ROC-AUC"
    r, s = _balanced(real, synthetic, seed, max_rows)
    if len(r) < 2 * folds:
        return skipped(
            "detection_auc", FAMILY, label, "lower", 0.5, "too few rows to cross-validate"
        )
    features = TableFeatures(schema, "tree").fit(r)
    x = np.vstack([features.transform(r), features.transform(s)])
    y = np.r_[np.zeros(len(r)), np.ones(len(s))]
    model = HistGradientBoostingClassifier(
        max_iter=100,
        categorical_features=features.categorical_mask if x.shape[1] else None,
        random_state=seed,
    )
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    scores = cross_val_predict(model, x, y, cv=splitter, method="predict_proba")[:, 1]
    value = float(roc_auc_score(y, scores))
    return MetricResult(
        "detection_auc",
        FAMILY,
        label,
        value,
        "lower",
        0.5,
        "How well a classifier tells synthetic rows from real ones: 0.5 is a coin flip "
        "(indistinguishable), 1.0 means every synthetic row gives itself away.",
        details={"rows_per_side": len(r), "folds": folds},
    )
