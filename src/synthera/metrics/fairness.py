"""Fairness and bias: does the synthetic table keep, hide or amplify group differences?

For each sensitive column (a numeric one is cut at the real quartiles):
* group sizes and target rates P(target = positive | group), real vs synthetic — a gap
  larger than the holdout's is bias the generator added or removed;
* demographic parity (difference and ratio) and equalized odds (Fairlearn) of a model
  trained on the synthetic table, beside the same model trained on the real table, both
  measured on real holdout rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd

from synthera.metrics.columns import is_numeric, labels, numbers
from synthera.metrics.result import Direction, MetricResult, skipped
from synthera.metrics.utility import Task, UtilityRun
from synthera.schema import Schema

FAMILY = "fairness"
MAX_GROUPS = 10  # larger groups first; the rest pooled as "(other)"


class GroupCoder:
    """Turns a sensitive column into group names, planned on the real table."""

    def __init__(self, real: pd.DataFrame, schema: Schema, column: str) -> None:
        self.column = column
        self.spec = schema[column]
        if is_numeric(self.spec):
            values = numbers(real[column], self.spec)
            present = values[np.isfinite(values)]
            self.edges = (
                np.unique(np.quantile(present, [0.25, 0.5, 0.75]))
                if present.size
                else (np.array([]))
            )
            self.top: list[str] = []
        else:
            counts = labels(real[column]).value_counts(dropna=True)
            self.top = [str(c) for c in counts.index[:MAX_GROUPS]]
            self.edges = np.array([])

    def groups(self, df: pd.DataFrame) -> np.ndarray:
        if is_numeric(self.spec):
            values = numbers(df[self.column], self.spec)
            bins = np.searchsorted(self.edges, values, side="right")
            names = self._bin_names()
            out = np.array([names[b] for b in bins], dtype=object)
            out[~np.isfinite(values)] = "(missing)"
            return out
        text = labels(df[self.column])
        out = text.where(text.isin(self.top), "(other)").to_numpy(dtype=object)
        out[text.isna().to_numpy()] = "(missing)"
        return out

    def ordered(self, table: pd.DataFrame) -> pd.DataFrame:
        """Groups in reading order: bins from low to high, categories largest first."""
        if is_numeric(self.spec):
            order = [*self._bin_names(), "(missing)"]
            return table.reindex([g for g in order if g in table.index])
        return table.sort_values("size", ascending=False, kind="stable")

    def _bin_names(self) -> list[str]:
        e = [f"{v:.4g}" for v in self.edges]
        if not e:
            return ["all"]
        return [f"< {e[0]}"] + [f"{a} – {b}" for a, b in pairwise(e)] + [f"≥ {e[-1]}"]


def _outcome(df: pd.DataFrame, schema: Schema, task: Task) -> np.ndarray:
    """1/0 for the positive class (NaN where missing), or the numeric target."""
    if task.kind == "regression":
        return numbers(df[task.target], schema[task.target])
    text = labels(df[task.target])
    positive = (text == task.positive).fillna(False).to_numpy(dtype=bool)
    return np.where(text.isna().to_numpy(), np.nan, positive.astype(float))


def _group_table(groups: np.ndarray, outcome: np.ndarray) -> pd.DataFrame:
    frame = pd.DataFrame({"group": groups, "y": outcome})
    table = frame.groupby("group", sort=False).agg(size=("y", "size"), rate=("y", "mean"))
    table["share"] = table["size"] / max(len(frame), 1)
    return table


def group_rates(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    schema: Schema,
    *,
    task: Task,
    sensitive: Sequence[str],
    holdout: pd.DataFrame | None = None,
) -> list[MetricResult]:
    """Group-size and target-rate gaps (largest over groups), real vs synthetic, per
    sensitive column; the reference is the holdout's gap to the real table."""
    names = ("target_rate_gap", "group_size_gap")
    rate_label = (
        "Target-rate gap between groups (largest)"
        if task.kind != "regression"
        else ("Target-mean gap between groups (largest)")
    )
    if not sensitive:
        why = "no sensitive columns given"
        return [
            skipped(names[0], FAMILY, rate_label, "lower", 0.0, why),
            skipped(names[1], FAMILY, "Group-size gap (largest)", "lower", 0.0, why),
        ]
    rate_gap: dict[str, float | None] = {}
    rate_gap_ref: dict[str, float | None] = {}
    size_gap: dict[str, float | None] = {}
    size_gap_ref: dict[str, float | None] = {}
    tables: dict[str, list[dict[str, object]]] = {}
    scale = 1.0
    if task.kind == "regression":
        y = _outcome(real, schema, task)
        scale = float(np.nanstd(y)) or 1.0  # mean gaps in standard deviations
    for column in sensitive:
        coder = GroupCoder(real, schema, column)
        r = coder.ordered(_group_table(coder.groups(real), _outcome(real, schema, task)))
        s = _group_table(coder.groups(synthetic), _outcome(synthetic, schema, task))
        s = s.reindex(r.index)
        rate_gap[column] = _max_abs((s["rate"] - r["rate"]) / scale)
        size_gap[column] = _max_abs(s["share"].fillna(0) - r["share"])
        h = None
        if holdout is not None:
            h = _group_table(coder.groups(holdout), _outcome(holdout, schema, task)).reindex(
                r.index
            )
            rate_gap_ref[column] = _max_abs((h["rate"] - r["rate"]) / scale)
            size_gap_ref[column] = _max_abs(h["share"].fillna(0) - r["share"])
        tables[column] = [
            {
                "group": str(g),
                "real_share": _num(r.loc[g, "share"]),
                "synthetic_share": _num(s.loc[g, "share"]),
                "holdout_share": _num(h.loc[g, "share"]) if h is not None else None,
                "real_rate": _num(r.loc[g, "rate"]),
                "synthetic_rate": _num(s.loc[g, "rate"]),
                "holdout_rate": _num(h.loc[g, "rate"]) if h is not None else None,
            }
            for g in r.index
        ]
    what = (
        f"P({task.target} = {task.positive})"
        if task.kind != "regression"
        else (f"the mean of {task.target} (in standard deviations)")
    )
    details = {"groups": tables, "positive": task.positive, "target": task.target}
    return [
        MetricResult(
            names[0],
            FAMILY,
            rate_label,
            _worst(rate_gap),
            "lower",
            0.0,
            f"The largest difference, over the groups of each sensitive column, between "
            f"{what} in the synthetic and in the real table: bias the generator added or "
            "removed.",
            reference=_worst(rate_gap_ref) if holdout is not None else None,
            per_item=rate_gap,
            per_item_reference=rate_gap_ref,
            details=details,
        ),
        MetricResult(
            names[1],
            FAMILY,
            "Group-size gap (largest)",
            _worst(size_gap),
            "lower",
            0.0,
            "The largest difference between a group's share of the rows in the synthetic and "
            "in the real table (under-represented groups).",
            reference=_worst(size_gap_ref) if holdout is not None else None,
            per_item=size_gap,
            per_item_reference=size_gap_ref,
        ),
    ]


def _num(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return round(number, 6) if np.isfinite(number) else None


def _max_abs(values: pd.Series) -> float | None:
    present = values.abs().dropna()
    return float(present.max()) if len(present) else None


def _worst(values: dict[str, float | None]) -> float | None:
    present = [v for v in values.values() if v is not None]
    return max(present) if present else None


def model_fairness(
    run: UtilityRun,
    real: pd.DataFrame,
    schema: Schema,
    *,
    sensitive: Sequence[str],
    model: str = "gradient_boosting",
) -> list[MetricResult]:
    """Demographic parity and equalized odds (Fairlearn) of `model` trained on synthetic
    rows (value) and on real rows (reference), measured on the real holdout rows."""
    from fairlearn.metrics import (
        demographic_parity_difference,
        demographic_parity_ratio,
        equalized_odds_difference,
    )

    specs: tuple[tuple[str, str, Direction, float, Callable[..., float], str], ...] = (
        (
            "demographic_parity_difference",
            "Demographic-parity difference",
            "lower",
            0.0,
            demographic_parity_difference,
            "The largest gap between groups in the share of people the model predicts "
            f"{run.task.target} = {run.task.positive} for (0: equal treatment).",
        ),
        (
            "demographic_parity_ratio",
            "Demographic-parity ratio",
            "higher",
            1.0,
            demographic_parity_ratio,
            "The smallest group's positive-prediction rate over the largest's (1: equal).",
        ),
        (
            "equalized_odds_difference",
            "Equalized-odds difference",
            "lower",
            0.0,
            equalized_odds_difference,
            "The largest gap between groups in true- or false-positive rate (0: equal error "
            "rates).",
        ),
    )
    if run.task.kind == "regression" or not sensitive:
        why = "the target is numeric" if sensitive else "no sensitive columns given"
        return [skipped(n, FAMILY, label, d, i, why) for n, label, d, i, _, _ in specs]
    y_true = np.array([y == run.task.positive for y in run.y_test])
    synthetic_run = run.synthetic_runs.get(model)
    real_run = run.real_runs.get(model)
    results = []
    noise = _sampling_noise(run, real, schema, sensitive, y_true)
    for name, label, direction, ideal, fn, text in specs:
        values: dict[str, float | None] = {}
        references: dict[str, float | None] = {}
        for column in sensitive:
            groups = GroupCoder(real, schema, column).groups(run.test)
            for target, model_run in ((values, synthetic_run), (references, real_run)):
                if model_run is None or model_run.predictions is None:
                    target[column] = None
                    continue
                y_pred = np.array([p == run.task.positive for p in model_run.predictions])
                kwargs = {"sensitive_features": groups}
                target[column] = _num(fn(y_true, y_pred, **kwargs))
        pick = min if direction == "higher" else max
        present = [v for v in values.values() if v is not None]
        present_ref = [v for v in references.values() if v is not None]
        results.append(
            MetricResult(
                name,
                FAMILY,
                label,
                pick(present) if present else None,
                direction,
                ideal,
                text + " Value: model trained on synthetic rows; reference: "
                "the same model trained on real rows.",
                reference=pick(present_ref) if present_ref else None,
                per_item=values,
                per_item_reference=references,
                details={"model": model, "standard_error": noise[name]},
            )
        )
    return results


def _sampling_noise(
    run: UtilityRun,
    real: pd.DataFrame,
    schema: Schema,
    sensitive: Sequence[str],
    y_true: np.ndarray,
) -> dict[str, float]:
    """A rough standard error of each group metric: that of a rate measured on the
    smallest group (parity) or the smallest group-and-outcome cell (equalized odds)."""
    smallest_group = smallest_cell = len(y_true)
    for column in sensitive:
        groups = GroupCoder(real, schema, column).groups(run.test)
        frame = pd.DataFrame({"g": groups, "y": y_true})
        smallest_group = min(smallest_group, int(frame.groupby("g").size().min()))
        cells = frame.groupby(["g", "y"]).size()
        smallest_cell = min(smallest_cell, int(cells.min()) if len(cells) else 1)
    parity = float(np.sqrt(0.25 / max(smallest_group, 1)))
    odds = float(np.sqrt(0.25 / max(smallest_cell, 1)))
    return {
        "demographic_parity_difference": parity,
        "demographic_parity_ratio": parity,
        "equalized_odds_difference": odds,
    }
