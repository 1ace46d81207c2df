"""Loaded by test servers and their workers through SYNTHERA_PLUGINS.

- `slow_test_model`: a synthesizer that takes a while and reports progress, so tests can
  cancel it or kill its worker mid-training.
- `evaluate`: a small stand-in for `synthera.evaluate` with the same contract (a report
  with to_dict() and to_html(path)), used while the real evaluation is not installed and
  to keep API tests fast.
"""

from __future__ import annotations

import html
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from synthera.models.copula import GaussianCopula
from synthera.models.registry import register_synthesizer
from synthera.progress import ProgressCallback, report
from synthera.schema import Schema


@register_synthesizer
class SlowTestModel(GaussianCopula):
    name = "slow_test_model"
    description = "a copula that sleeps between progress reports (tests only)"

    def __init__(self, steps: int = 40, step_seconds: float = 0.25, epsilon: float | None = None):
        super().__init__()
        self.steps = steps
        self.step_seconds = step_seconds
        self.epsilon = epsilon

    def _fit(
        self,
        df: pd.DataFrame,
        schema: Schema,
        rng: np.random.Generator,
        progress: ProgressCallback | None,
    ) -> None:
        for step in range(self.steps):
            report(progress, "epoch", step, self.steps, {"loss": 1.0 / (step + 1)})
            time.sleep(self.step_seconds)
        super()._fit(df, schema, rng, progress)


class FakeReport:
    """Shaped like `synthera.report.Report.to_dict()`: a scorecard list and a metric list."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = dict(data)

    def to_dict(self) -> dict[str, Any]:
        return self.data

    def to_html(self, path: str | Path) -> Path:
        rows = "".join(
            f"<tr><td>{html.escape(card['family'])}</td><td>{card['value']:.3f}</td></tr>"
            for card in self.data["scorecard"]
        )
        Path(path).write_text(
            f"<!doctype html><title>report</title><table>{rows}</table>", encoding="utf-8"
        )
        return Path(path)


def evaluate(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    *,
    holdout: pd.DataFrame | None = None,
    schema: Schema | None = None,
    target: str | None = None,
    sensitive: list[str] | None = None,
) -> FakeReport:
    numeric = [c for c in real.columns if pd.api.types.is_numeric_dtype(real[c])]
    gaps = [abs(real[c].mean() - synthetic[c].mean()) / (real[c].std() or 1) for c in numeric]
    fidelity = float(max(0.0, 1 - np.mean(gaps))) if gaps else 1.0
    card = {"status": "green", "headline": "", "reasons": [], "reference": 0.95}
    return FakeReport(
        {
            "name": "synthetic",
            "scorecard": [
                {**card, "family": "fidelity", "value": fidelity},
                {**card, "family": "privacy", "value": 0.5},
            ],
            "metrics": [
                {
                    "name": f"mean_gap_{c}",
                    "family": "fidelity",
                    "label": f"mean gap of {c}",
                    "value": float(gap),
                    "reference": None,
                    "direction": "lower",
                    "ideal": 0.0,
                }
                for c, gap in zip(numeric, gaps, strict=True)
            ],
            "notes": [],
            "settings": {"target": target, "sensitive": sensitive or []},
            "tables": {
                "real_rows": len(real),
                "synthetic_rows": len(synthetic),
                "holdout_rows": None if holdout is None else len(holdout),
            },
        }
    )
