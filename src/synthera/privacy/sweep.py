"""Private vs non-private: one generator fitted at several ε, each scored the same way.

`run_sweep(real, "ctgan", [0.5, 1, 3, 10, inf], target="income")` holds out a share of
the real rows once (seeded, stratified on the target), then per ε fits the model on the
rest with `privacy={"epsilon": ε}` (inf: no privacy), samples as many rows as it trained
on, and runs `synthera.evaluate` against the holdout. One `Evaluator` serves every ε, so
the real-vs-real references are computed once and every point is judged on the same
split and seed. The result is a table (CSV, JSON) and an HTML page (`sweep_report`).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from synthera.errors import ParameterError, SyntheraError
from synthera.evaluation import EvaluationLimits, Evaluator
from synthera.io import split_holdout
from synthera.metrics.result import clean_number
from synthera.models.registry import get_synthesizer
from synthera.progress import ProgressCallback, report
from synthera.report.generator import GeneratorInfo
from synthera.report.report import Report
from synthera.schema import Schema

# (metric, family, what the chart calls it); the utility metric is the first one present.
TRACKED: tuple[tuple[str, str, str], ...] = (
    ("fidelity_score", "fidelity", "Fidelity score (0–100)"),
    ("tstr_roc_auc", "utility", "ROC-AUC, train synthetic / test real"),
    ("tstr_r2", "utility", "R², train synthetic / test real"),
    ("mia_distance_auc", "privacy", "Membership-inference ROC-AUC (distance attack)"),
    ("dcr_share", "privacy", "Share closer to training rows (DCR)"),
)


def epsilon_label(epsilon: float) -> str:
    return "∞ (no DP)" if math.isinf(epsilon) else f"{epsilon:g}"


@dataclass(frozen=True)
class SweepPoint:
    """One ε: what the fit spent and took, and the tracked metrics beside their references."""

    epsilon: float  # math.inf: trained without privacy
    fit_seconds: float | None
    values: dict[str, float | None]
    references: dict[str, float | None]
    scorecard: dict[str, str]  # family -> green / amber / red / grey
    privacy: dict[str, Any] | None  # the model's ledger
    error: str | None = None  # why this ε produced no model (e.g. a budget too small)

    @property
    def epsilon_spent(self) -> float | None:
        return None if self.privacy is None else float(self.privacy["epsilon_spent"])

    def to_dict(self) -> dict[str, Any]:
        return {
            "epsilon": None if math.isinf(self.epsilon) else self.epsilon,
            "private": not math.isinf(self.epsilon),
            "epsilon_spent": clean_number(self.epsilon_spent),
            "fit_seconds": self.fit_seconds,
            "values": {k: clean_number(v) for k, v in self.values.items()},
            "references": {k: clean_number(v) for k, v in self.references.items()},
            "scorecard": dict(self.scorecard),
            "privacy": self.privacy,
            "error": self.error,
        }


@dataclass
class SweepResult:
    model: str
    target: str | None
    seed: int
    train_rows: int
    holdout_rows: int
    points: list[SweepPoint]
    params: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def metrics(self) -> list[str]:
        """The tracked metrics some point has a value for, in `TRACKED` order."""
        present = {name for p in self.points for name, v in p.values.items() if v is not None}
        return [name for name, _, _ in TRACKED if name in present]

    def table(self) -> pd.DataFrame:
        """One row per ε: ε asked and spent, fit time, each metric and its reference."""
        rows = []
        for p in self.points:
            row: dict[str, Any] = {
                "epsilon": p.epsilon,
                "epsilon_spent": p.epsilon_spent,
                "delta": None if p.privacy is None else p.privacy["delta_spent"],
                "fit_seconds": p.fit_seconds,
            }
            for name in self.metrics:
                row[name] = p.values.get(name)
                row[f"{name}_reference"] = p.references.get(name)
            row["error"] = p.error
            rows.append(row)
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "target": self.target,
            "seed": self.seed,
            "train_rows": self.train_rows,
            "holdout_rows": self.holdout_rows,
            "params": self.params,
            "metrics": self.metrics,
            "points": [p.to_dict() for p in self.points],
            "notes": list(self.notes),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False, allow_nan=False)

    def to_html(self) -> str:
        from synthera.privacy.sweep_report import render_sweep

        return render_sweep(self)


def _point(epsilon: float, seconds: float, report_: Report, privacy: Any) -> SweepPoint:
    values: dict[str, float | None] = {}
    references: dict[str, float | None] = {}
    for name, _, _ in TRACKED:
        try:
            metric = report_.metric(name)
        except KeyError:
            continue
        values[name], references[name] = metric.value, metric.reference
    return SweepPoint(
        epsilon,
        round(seconds, 3),
        values,
        references,
        {card.family: card.status for card in report_.scorecard},
        None if privacy is None else privacy.to_dict(),
    )


def run_sweep(
    real: pd.DataFrame,
    model: str,
    epsilons: Sequence[float],
    *,
    target: str | None = None,
    schema: Schema | None = None,
    params: Mapping[str, Any] | None = None,
    holdout: float = 0.2,
    seed: int = 0,
    progress: ProgressCallback | None = None,
    limits: EvaluationLimits | None = None,
) -> SweepResult:
    """Fit `model` at each ε (math.inf: without privacy) and evaluate each on one holdout.

    A ε whose fit is refused (a budget too small for the planned training, say) becomes a
    point with its `error`; the sweep goes on with the others.
    """
    if not epsilons:
        raise ParameterError("the sweep needs at least one ε")
    bad = [e for e in epsilons if not e > 0]
    if bad:
        raise ParameterError(f"every ε must be > 0 (or inf for no privacy), not {bad[0]}")
    get_synthesizer(model, **dict(params or {}))  # unknown model or parameter: fail first
    if schema is None:
        schema = Schema.infer(real, target=target)
    elif target is not None:
        schema = schema.with_overrides(target=target)
    train, test = split_holdout(real, fraction=holdout, seed=seed, stratify=schema.target)
    evaluator = Evaluator(train, test, schema, None, None, seed, limits)
    points: list[SweepPoint] = []
    notes: list[str] = []
    ordered = sorted(epsilons)
    for i, epsilon in enumerate(ordered):
        report(progress, "sweep", i, len(ordered), {"epsilon": epsilon})
        synthesizer = get_synthesizer(model, **dict(params or {}))
        privacy = None if math.isinf(epsilon) else {"epsilon": float(epsilon)}
        started = time.perf_counter()
        try:
            synthesizer.fit(train, schema, seed=seed, progress=progress, privacy=privacy)
        except SyntheraError as exc:
            points.append(SweepPoint(epsilon, None, {}, {}, {}, None, error=str(exc)))
            notes.append(f"ε={epsilon_label(epsilon)}: {exc}")
            continue
        seconds = time.perf_counter() - started
        synthetic = synthesizer.sample(len(train), seed=seed)
        result = evaluator.run(
            synthetic,
            name=f"ε={epsilon_label(epsilon)}",
            progress=progress,
            generator=GeneratorInfo.of(synthesizer),
        )
        points.append(_point(epsilon, seconds, result, synthesizer.privacy_))
    report(progress, "sweep", len(ordered), len(ordered))
    if all(p.error for p in points):
        raise ParameterError(f"no ε of the sweep could be fitted: {points[0].error}")
    return SweepResult(
        model,
        schema.target,
        seed,
        len(train),
        len(test),
        points,
        dict(params or {}),
        [*evaluator.notes, *notes],
    )
