"""The transformer evaluation's result: model × (trained on real, trained on synthetic, gap).

Every model is scored on the same real holdout rows; the gap is real minus synthetic, so a
positive gap is what training on the synthetic table cost. A gradient-boosting baseline on
the same rows sits in the last row, so the reader sees whether a transformer adds anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from synthera.metrics.result import MetricResult, clean_number, jsonable
from synthera.transformer_eval.finetune import TrainingHistory

if TYPE_CHECKING:
    from synthera.report.report import Report

FAMILY = "transformers"
METRICS = ("accuracy", "f1_macro", "roc_auc")
METRIC_LABELS = {"accuracy": "Accuracy", "f1_macro": "Macro F1", "roc_auc": "ROC-AUC"}
SIDES = ("real", "synthetic", "gap")
BASELINE = "gradient_boosting"
BASELINE_LABEL = "Gradient boosting (baseline)"


@dataclass
class SideResult:
    """One model trained on one table (real or synthetic) and scored on the holdout."""

    scores: dict[str, float | None]
    predicted_share: dict[str, float] = field(default_factory=dict)  # holdout predictions
    training: TrainingHistory | None = None
    seconds: float = 0.0
    skipped: str | None = None  # why this side was not trained

    def to_dict(self) -> dict[str, Any]:
        return {
            "scores": {k: clean_number(v) for k, v in self.scores.items()},
            "predicted_share": {k: clean_number(v) for k, v in self.predicted_share.items()},
            "training": None if self.training is None else self.training.to_dict(),
            "seconds": round(self.seconds, 3),
            "skipped": self.skipped,
        }


@dataclass
class ModelComparison:
    """One model trained twice — on the real rows, on the synthetic rows."""

    model: str  # as the user named it: "default", a directory, or "gradient_boosting"
    label: str
    kind: Literal["transformer", "baseline"]
    real: SideResult
    synthetic: SideResult

    def gap(self, metric: str) -> float | None:
        real, synthetic = self.real.scores.get(metric), self.synthetic.scores.get(metric)
        return None if real is None or synthetic is None else real - synthetic

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "label": self.label,
            "kind": self.kind,
            "real": self.real.to_dict(),
            "synthetic": self.synthetic.to_dict(),
            "gap": {m: clean_number(self.gap(m)) for m in METRICS},
        }


@dataclass
class TransformerEvaluation:
    """Every model's scores when trained on real vs on synthetic rows, and how they ran."""

    target: str
    task: str  # "binary" or "multiclass"
    classes: list[str]
    models: list[ModelComparison]  # the transformers, then the baseline
    rows: dict[str, int]  # rows used: real_train, synthetic_train, holdout
    settings: dict[str, Any]
    example_text: str = ""
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def table(self) -> pd.DataFrame:
        """Models as rows; (metric, real | synthetic | gap) as columns."""
        columns = pd.MultiIndex.from_product([METRICS, SIDES], names=["metric", "trained on"])
        data = [
            [
                model.real.scores.get(m)
                if side == "real"
                else model.synthetic.scores.get(m)
                if side == "synthetic"
                else model.gap(m)
                for m in METRICS
                for side in SIDES
            ]
            for model in self.models
        ]
        index = pd.Index([m.label for m in self.models], name="model")
        return pd.DataFrame(data, index=index, columns=columns, dtype=float)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: NaN becomes None, numbers are rounded."""
        return jsonable(
            {
                "target": self.target,
                "task": self.task,
                "classes": list(self.classes),
                "metrics": list(METRICS),
                "gap": "real minus synthetic: positive means the synthetic table cost that much",
                "table": [
                    {
                        "model": m.model,
                        "label": m.label,
                        "kind": m.kind,
                        **{
                            side: {
                                metric: clean_number(
                                    m.real.scores.get(metric)
                                    if side == "real"
                                    else m.synthetic.scores.get(metric)
                                    if side == "synthetic"
                                    else m.gap(metric)
                                )
                                for metric in METRICS
                            }
                            for side in SIDES
                        },
                    }
                    for m in self.models
                ],
                "models": [m.to_dict() for m in self.models],
                "rows": dict(self.rows),
                "settings": dict(self.settings),
                "example_text": self.example_text,
                "notes": list(self.notes),
                "seconds": round(self.seconds, 3),
            }
        )

    def metrics(self) -> list[MetricResult]:
        """One MetricResult per model and metric, as the utility family writes them: the
        value trained on synthetic, the reference trained on real (for reports and compare)."""
        results = []
        for model, key in zip(self.models, _keys(self.models), strict=True):
            for metric in METRICS:
                results.append(
                    MetricResult(
                        f"{FAMILY}_{key}_{metric}",
                        FAMILY,
                        f"{model.label}: {METRIC_LABELS[metric]} (train synthetic, test real)",
                        model.synthetic.scores.get(metric),
                        "higher",
                        1.0,
                        f"{METRIC_LABELS[metric]} on real holdout rows of {model.label} trained "
                        f"on the synthetic rows; the reference trains it on the real rows.",
                        reference=model.real.scores.get(metric),
                        skipped=model.synthetic.skipped,
                    )
                )
        return results

    def attach_to(self, report: Report) -> Report:
        """Add this evaluation to `report`: its metrics (a `transformers` family, which
        `compare` shows as a column family) and the full result (an HTML section)."""
        report.metrics.extend(self.metrics())
        report.transformers = self.to_dict()
        report.timings["transformers"] = round(self.seconds, 3)
        return report


def _keys(models: list[ModelComparison]) -> list[str]:
    """Short unique metric-name pieces: `default`, a directory's name, `gradient_boosting`."""
    keys: list[str] = []
    for model in models:
        name = model.model.rstrip("/\\").replace("\\", "/").rsplit("/", 1)[-1] or "model"
        key = re.sub(r"[^0-9A-Za-z]+", "_", name).strip("_").lower() or "model"
        base, n = key, 2
        while key in keys:
            key, n = f"{base}_{n}", n + 1
        keys.append(key)
    return keys
