"""Utility: is a model trained on the synthetic table as good as one trained on the real one?

Train on synthetic, test on real (TSTR) beside train on real, test on real (TRTR), for
three estimators; the test set is always the real holdout, which no generator has seen.
Plus: do the models rank the features alike, and does adding synthetic rows to the real
training rows help (augmentation)?
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, f1_score, mean_squared_error, r2_score, roc_auc_score

from synthera.errors import SchemaError
from synthera.metrics.columns import is_numeric, labels, numbers
from synthera.metrics.features import TableFeatures
from synthera.metrics.result import Direction, MetricResult
from synthera.metrics.sampling import sample_rows
from synthera.schema import ColumnKind, Schema

FAMILY = "utility"
MODELS = ("logistic_regression", "random_forest", "gradient_boosting")
MODEL_LABELS = {
    "logistic_regression": "Logistic / linear regression",
    "random_forest": "Random forest",
    "gradient_boosting": "Gradient boosting",
}
MAX_TRAIN_ROWS = 20_000
TaskKind = Literal["binary", "multiclass", "regression"]


@dataclass(frozen=True)
class Task:
    """What is predicted: the target column, the kind of task and, for classes, which."""

    target: str
    kind: TaskKind
    classes: tuple[str, ...] = ()
    positive: str | None = None  # binary: the rarer real class (fairness rates use it too)

    @property
    def main_metric(self) -> str:
        return "r2" if self.kind == "regression" else "roc_auc"


def make_task(real: pd.DataFrame, schema: Schema, target: str) -> Task:
    spec = schema[target]
    if spec.kind in (ColumnKind.ID, ColumnKind.TEXT):
        raise SchemaError(f"target column {target!r} is {spec.kind.value}; it cannot be predicted")
    if is_numeric(spec):
        return Task(target, "regression")
    counts = labels(real[target]).value_counts(dropna=True)
    if len(counts) < 2:
        raise SchemaError(f"target column {target!r} has fewer than two classes in the real table")
    classes = tuple(sorted(str(c) for c in counts.index))
    rarest = min(counts.index, key=lambda c: (counts[c], str(c)))
    kind: TaskKind = "binary" if len(classes) == 2 else "multiclass"
    return Task(target, kind, classes, str(rarest))


@dataclass
class ModelRun:
    """One estimator trained on one table and scored on the holdout."""

    scores: dict[str, float | None]
    predictions: np.ndarray | None = None  # predicted labels (or values) on the holdout
    importances: np.ndarray | None = None


@dataclass
class UtilityRun:
    """Everything utility computed: the metrics, and what fairness reuses."""

    task: Task
    results: list[MetricResult]
    y_test: np.ndarray
    test: pd.DataFrame  # the holdout rows the models were scored on
    real_runs: dict[str, ModelRun]
    synthetic_runs: dict[str, ModelRun]
    notes: list[str] = field(default_factory=list)


def _target_values(df: pd.DataFrame, schema: Schema, task: Task) -> np.ndarray:
    if task.kind == "regression":
        return numbers(df[task.target], schema[task.target])
    return labels(df[task.target]).to_numpy(dtype=object, na_value=None)


def _usable(df: pd.DataFrame, schema: Schema, task: Task) -> pd.DataFrame:
    """Rows whose target is present and (for classes) one the real table knows."""
    y = _target_values(df, schema, task)
    if task.kind == "regression":
        keep = np.isfinite(y.astype(float))
    else:
        keep = np.isin(y, np.array(task.classes, dtype=object))
    return df[keep].reset_index(drop=True)


def _make_model(name: str, task: Task, seed: int, categorical: np.ndarray | None) -> Any:
    classify = task.kind != "regression"
    if name == "logistic_regression":
        return LogisticRegression(max_iter=300) if classify else Ridge(alpha=1.0)
    if name == "random_forest":
        forest = RandomForestClassifier if classify else RandomForestRegressor
        return forest(
            n_estimators=50, min_samples_leaf=3, max_features="sqrt", n_jobs=-1, random_state=seed
        )
    if name == "gradient_boosting":
        boost = HistGradientBoostingClassifier if classify else HistGradientBoostingRegressor
        return boost(max_iter=100, categorical_features=categorical, random_state=seed)
    raise ValueError(f"unknown model {name!r}")


class _Encoders:
    """The two feature styles the models need, fitted once on the real training rows."""

    def __init__(self, schema: Schema, real: pd.DataFrame, target: str) -> None:
        columns = [c for c in schema.modelled if c != target]
        self.linear = TableFeatures(schema, "model", columns=columns).fit(real)
        self.tree = TableFeatures(schema, "tree", columns=columns).fit(real)
        self.columns = columns

    def matrix(self, model: str, df: pd.DataFrame) -> np.ndarray:
        return (self.linear if model == "logistic_regression" else self.tree).transform(df)


def _score(task: Task, model: Any, x: np.ndarray, y: np.ndarray) -> tuple[dict, np.ndarray]:
    predictions = model.predict(x)
    if task.kind == "regression":
        return {
            "r2": float(r2_score(y, predictions)),
            "rmse": float(np.sqrt(mean_squared_error(y, predictions))),
        }, predictions
    proba = _full_proba(model, x, task.classes)
    present = [i for i, c in enumerate(task.classes) if np.any(y == c)]
    scores: dict[str, float | None] = {"accuracy": float(accuracy_score(y, predictions))}
    scores["roc_auc"] = class_auc(task, y, proba)
    if task.kind == "binary":
        scores["f1"] = float(f1_score(y == task.positive, predictions == task.positive))
    else:
        kept = [task.classes[i] for i in present]
        scores["f1"] = float(f1_score(y, predictions, average="macro", labels=kept))
    return scores, predictions


def class_auc(task: Task, y: np.ndarray, proba: np.ndarray) -> float | None:
    """ROC-AUC of class probabilities (columns in `task.classes` order) against labels `y`:
    the positive class's for a binary task, one-vs-rest macro over the classes present in
    `y` for a multiclass one; None when `y` holds too few classes to rank."""
    present = [i for i, c in enumerate(task.classes) if np.any(y == c)]
    if task.kind == "binary":
        positive = task.classes.index(task.positive or task.classes[1])
        return (
            float(roc_auc_score(y == task.positive, proba[:, positive]))
            if len(present) == 2
            else None
        )
    if len(present) <= 2:
        return None
    sub = proba[:, present]
    totals = sub.sum(axis=1, keepdims=True)
    sub = np.where(totals > 0, sub / np.where(totals > 0, totals, 1), 1.0 / len(present))
    kept = [task.classes[i] for i in present]
    return float(roc_auc_score(y, sub, multi_class="ovr", average="macro", labels=kept))


def _full_proba(model: Any, x: np.ndarray, classes: Sequence[str]) -> np.ndarray:
    """Class probabilities in `classes` order; classes the model never saw get 0."""
    proba = np.zeros((x.shape[0], len(classes)))
    given = model.predict_proba(x)
    for j, c in enumerate(model.classes_):
        proba[:, classes.index(c)] = given[:, j]
    return proba


def _train(
    name: str, task: Task, encoders: _Encoders, train: pd.DataFrame, schema: Schema, seed: int
) -> Any | None:
    """The fitted estimator, or None when the table cannot train one (a single class)."""
    y = _target_values(train, schema, task)
    if task.kind != "regression" and len(set(y)) < 2:
        return None
    categorical = encoders.tree.categorical_mask if name == "gradient_boosting" else None
    model = _make_model(name, task, seed, categorical)
    x = encoders.matrix(name, train)
    # A column without a single value carries nothing, and gradient boosting cannot bin it.
    x[:, np.isnan(x).all(axis=0)] = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(x, y.astype(float) if task.kind == "regression" else y)
    return model


def run_models(
    train: pd.DataFrame,
    test: pd.DataFrame,
    schema: Schema,
    task: Task,
    encoders: _Encoders,
    *,
    seed: int = 0,
    models: Sequence[str] = MODELS,
) -> dict[str, ModelRun]:
    """Train every estimator on `train` and score it on `test`."""
    runs: dict[str, ModelRun] = {}
    y_test = _target_values(test, schema, task)
    for name in models:
        model = _train(name, task, encoders, train, schema, seed)
        if model is None:
            runs[name] = ModelRun({})
            continue
        scores, predictions = _score(task, model, encoders.matrix(name, test), y_test)
        importances = getattr(model, "feature_importances_", None)
        runs[name] = ModelRun(scores, predictions, importances)
    return runs


_METRICS: dict[str, tuple[str, Direction, float]] = {
    "roc_auc": ("ROC-AUC", "higher", 1.0),
    "accuracy": ("Accuracy", "higher", 1.0),
    "f1": ("F1 score", "higher", 1.0),
    "r2": ("R²", "higher", 1.0),
    "rmse": ("RMSE", "lower", 0.0),
}


def _tstr_results(
    task: Task, real_runs: dict[str, ModelRun], synthetic_runs: dict[str, ModelRun]
) -> list[MetricResult]:
    names = ["r2", "rmse"] if task.kind == "regression" else ["roc_auc", "accuracy", "f1"]
    results = []
    for metric in names:
        label, direction, ideal = _METRICS[metric]
        syn = {m: run.scores.get(metric) for m, run in synthetic_runs.items()}
        real = {m: run.scores.get(metric) for m, run in real_runs.items()}

        def mean(values: dict[str, float | None]) -> float | None:
            present = [v for v in values.values() if v is not None]
            return float(np.mean(present)) if present else None

        what = "one-vs-rest macro " if task.kind == "multiclass" and metric == "roc_auc" else ""
        results.append(
            MetricResult(
                f"tstr_{metric}",
                FAMILY,
                f"{label} (train synthetic, test real)",
                mean(syn),
                direction,
                ideal,
                f"Mean {what}{label} on real holdout rows of models trained on the synthetic "
                f"table; the reference trains the same models on the real table.",
                reference=mean(real),
                per_item=syn,
                per_item_reference=real,
                details={"models": {m: MODEL_LABELS[m] for m in syn}},
            )
        )
    return results


def _importance_agreement(
    real_runs: dict[str, ModelRun],
    synthetic_runs: dict[str, ModelRun],
    holdout_importances: np.ndarray | None,
    columns: list[str],
) -> MetricResult:
    label = "Feature-importance agreement"
    real = real_runs.get("random_forest")
    syn = synthetic_runs.get("random_forest")

    def agreement(a: np.ndarray | None, b: np.ndarray | None) -> float | None:
        if a is None or b is None or len(a) < 2 or np.ptp(a) == 0 or np.ptp(b) == 0:
            return None
        return float(stats.spearmanr(a, b).statistic)

    real_imp = real.importances if real else None
    syn_imp = syn.importances if syn else None
    details: dict[str, Any] = {"columns": columns}
    if real_imp is not None:
        details["real"] = np.round(real_imp, 5).tolist()
    if syn_imp is not None:
        details["synthetic"] = np.round(syn_imp, 5).tolist()
    return MetricResult(
        "importance_agreement",
        FAMILY,
        label,
        agreement(real_imp, syn_imp),
        "higher",
        1.0,
        "Spearman rank correlation between the feature importances of a random forest trained "
        "on the real table and one trained on the synthetic table (1: same ranking). The "
        "reference compares with a forest trained on the holdout.",
        reference=agreement(real_imp, holdout_importances),
        details=details,
    )


def _augmentation_gain(
    task: Task,
    encoders: _Encoders,
    real_train: pd.DataFrame,
    synthetic_train: pd.DataFrame,
    test: pd.DataFrame,
    schema: Schema,
    real_score: float | None,
    seed: int,
) -> MetricResult:
    label = f"Augmentation gain ({_METRICS[task.main_metric][0]})"
    mixed = pd.concat([real_train, synthetic_train], ignore_index=True)
    runs = run_models(mixed, test, schema, task, encoders, seed=seed, models=["gradient_boosting"])
    augmented = runs["gradient_boosting"].scores.get(task.main_metric)
    gain = None if augmented is None or real_score is None else augmented - real_score
    return MetricResult(
        "augmentation_gain",
        FAMILY,
        label,
        gain,
        "higher",
        0.0,
        "How much gradient boosting improves on the real holdout when the synthetic rows are "
        "added to the real training rows (0: no change; negative: they hurt).",
        details={"real_only": real_score, "real_plus_synthetic": augmented},
    )


def utility(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    schema: Schema,
    *,
    holdout: pd.DataFrame,
    target: str | None = None,
    seed: int = 0,
    max_train_rows: int | None = MAX_TRAIN_ROWS,
    models: Sequence[str] = MODELS,
    real_runs: dict[str, ModelRun] | None = None,
) -> UtilityRun:
    """TSTR beside TRTR for `models`, importance agreement and augmentation gain.

    `real_runs` (from an earlier call, same real table, holdout and seed) skips retraining
    the real-data models, as `compare` does for several synthetic tables.
    """
    target = target or schema.target
    if target is None:
        raise SchemaError("utility needs a target column")
    task = make_task(real, schema, target)
    notes = []
    real_train = sample_rows(_usable(real, schema, task), max_train_rows, seed)
    usable_synthetic = _usable(synthetic, schema, task)
    dropped = len(synthetic) - len(usable_synthetic)
    if dropped:
        notes.append(
            f"{dropped} synthetic rows had a missing or unknown target and were not used to train"
        )
    synthetic_train = sample_rows(usable_synthetic, max_train_rows, seed + 1)
    test = sample_rows(_usable(holdout, schema, task), max_train_rows, seed + 2)
    encoders = _Encoders(schema, real_train, target)
    if not encoders.columns:
        raise SchemaError(f"utility needs a column besides the target {target!r} to learn from")
    if real_runs is None:
        real_runs = run_models(real_train, test, schema, task, encoders, seed=seed, models=models)
    synthetic_runs = run_models(
        synthetic_train, test, schema, task, encoders, seed=seed, models=models
    )
    for name, run in synthetic_runs.items():
        if not run.scores:
            notes.append(f"{MODEL_LABELS[name]}: the synthetic table has a single target class")
    results = _tstr_results(task, real_runs, synthetic_runs)
    holdout_forest = None
    if "random_forest" in models:
        holdout_runs = run_models(
            test, test, schema, task, encoders, seed=seed, models=["random_forest"]
        )
        holdout_forest = holdout_runs["random_forest"].importances
    results.append(
        _importance_agreement(real_runs, synthetic_runs, holdout_forest, encoders.columns)
    )
    real_score = real_runs.get("gradient_boosting", ModelRun({})).scores.get(task.main_metric)
    if "gradient_boosting" in models and len(synthetic_train):
        results.append(
            _augmentation_gain(
                task,
                encoders,
                real_train,
                synthetic_train.iloc[: len(real_train)],
                test,
                schema,
                real_score,
                seed,
            )
        )
    return UtilityRun(
        task=task,
        results=results,
        y_test=_target_values(test, schema, task),
        test=test,
        real_runs=real_runs,
        synthetic_runs=synthetic_runs,
        notes=notes,
    )
