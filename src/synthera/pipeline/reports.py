"""Reports read back from their JSON, so later steps build on earlier steps' files."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from synthera.metrics.result import MetricResult
from synthera.report.generator import GeneratorInfo
from synthera.report.report import FamilyScore, Report
from synthera.report.scorecard import scorecard


def report_from_dict(data: Mapping[str, Any]) -> Report:
    """The Report that `Report.to_dict` wrote (numbers as rounded there)."""
    known = {f.name for f in dataclasses.fields(Report)}
    values = {k: v for k, v in data.items() if k in known}
    values["metrics"] = [MetricResult(**m) for m in data["metrics"]]
    values["scorecard"] = [
        FamilyScore(**{**s, "reasons": tuple(s.get("reasons", ()))}) for s in data["scorecard"]
    ]
    values["generator"] = GeneratorInfo.in_report(data)
    return Report(**values)


def load_report(path: Path) -> Report:
    return report_from_dict(json.loads(path.read_text(encoding="utf-8")))


def keep_families(report: Report, families: Sequence[str]) -> Report:
    """`report` with only the metrics of `families`, its scorecard judged on those alone."""
    metrics = [m for m in report.metrics if m.family in families]
    left_out = sorted({m.family for m in report.metrics} - set(families))
    if not left_out:
        return report
    note = f"Left out of this report as the pipeline asks: {', '.join(left_out)}."
    return dataclasses.replace(
        report, metrics=metrics, scorecard=scorecard(metrics), notes=[*report.notes, note]
    )


def attach_transformers(report: Report, folder: Path) -> None:
    """Add a transformer step's table and metrics (written by `TransformerEvaluation`'s
    `to_dict` and `metrics`) to `report`, as `TransformerEvaluation.attach_to` does."""
    metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    report.metrics.extend(MetricResult(**m) for m in metrics)
    report.transformers = json.loads((folder / "transformers.json").read_text(encoding="utf-8"))
