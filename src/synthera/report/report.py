"""The Report of one synthetic table, and the Comparison of several."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from synthera.metrics.result import MetricResult, clean_number
from synthera.report.generator import GeneratorInfo

Status = Literal["green", "amber", "red", "grey"]
FAMILIES = ("fidelity", "utility", "privacy", "fairness")


@dataclass(frozen=True)
class FamilyScore:
    """One scorecard tile: a family's verdict against its real-vs-real reference."""

    family: str
    status: Status
    headline: str  # e.g. "score 91 (reference 96)"
    reasons: tuple[str, ...] = ()  # why not green, in plain words
    value: float | None = None
    reference: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "family": self.family,
            "status": self.status,
            "headline": self.headline,
            "reasons": list(self.reasons),
            "value": clean_number(self.value),
            "reference": clean_number(self.reference),
        }


@dataclass
class Report:
    """Every metric of one synthetic table beside its reference, and how it was computed."""

    name: str
    metrics: list[MetricResult]
    scorecard: list[FamilyScore]
    distributions: dict[str, dict[str, Any]]  # per column, for the overlay charts
    notes: list[str] = field(default_factory=list)
    sampling: list[dict[str, Any]] = field(default_factory=list)  # every subsample + seed
    settings: dict[str, Any] = field(default_factory=dict)  # seed, target, sensitive, ...
    tables: dict[str, int] = field(default_factory=dict)  # row and column counts
    schema: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per family
    transformers: dict[str, Any] | None = None  # a TransformerEvaluation, once attached
    generator: GeneratorInfo | None = None  # model and privacy ledger; None: not known

    def metric(self, name: str) -> MetricResult:
        for result in self.metrics:
            if result.name == name:
                return result
        raise KeyError(f"no metric {name!r} in this report")

    def family(self, family: str) -> list[MetricResult]:
        return [m for m in self.metrics if m.family == family]

    def score(self, family: str) -> FamilyScore:
        return next(s for s in self.scorecard if s.family == family)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "scorecard": [s.to_dict() for s in self.scorecard],
            "metrics": [m.to_dict() for m in self.metrics],
            "notes": list(self.notes),
            "sampling": list(self.sampling),
            "settings": dict(self.settings),
            "tables": dict(self.tables),
            "schema": dict(self.schema),
            "timings": dict(self.timings),
            "distributions": self.distributions,
            **({"transformers": self.transformers} if self.transformers is not None else {}),
            # "generator" and "privacy" (null: not private) only where the caller knows them.
            **(self.generator.to_dict() if self.generator is not None else {}),
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, allow_nan=False)

    def to_html(self, path: str | Path | None = None) -> str:
        """The self-contained HTML page; written to `path` when one is given."""
        from synthera.report.html import render_report

        page = render_report(self)
        if path is not None:
            write_text(Path(path), page)
        return page


@dataclass
class Comparison:
    """Several synthetic tables evaluated on the same real, holdout and seed."""

    reports: list[Report]
    notes: list[str] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return [r.name for r in self.reports]

    def rows(self) -> list[dict[str, Any]]:
        """One row per metric: each table's value, the reference and the best table."""
        first = self.reports[0]
        out = []
        for metric in first.metrics:
            values = {}
            for report in self.reports:
                try:
                    values[report.name] = report.metric(metric.name).value
                except KeyError:
                    values[report.name] = None
            best = [
                name
                for name, v in values.items()
                if v is not None and not any(metric.better(o, v) for o in values.values())
            ]
            out.append(
                {
                    "name": metric.name,
                    "family": metric.family,
                    "label": metric.label,
                    "direction": metric.direction,
                    "ideal": metric.ideal,
                    "reference": clean_number(metric.reference),
                    "values": {k: clean_number(v) for k, v in values.items()},
                    "best": best if len(best) < len(values) else [],
                }
            )
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "tables": self.names,
            "notes": list(self.notes),
            "rows": self.rows(),
            "scorecards": {r.name: [s.to_dict() for s in r.scorecard] for r in self.reports},
            # Each table's privacy ledger (null: not private); tables of unknown origin absent.
            "privacy": {
                r.name: r.generator.to_dict()["privacy"]
                for r in self.reports
                if r.generator is not None
            },
            "reports": {r.name: r.to_dict() for r in self.reports},
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, allow_nan=False)

    def to_html(self, path: str | Path | None = None) -> str:
        from synthera.report.compare_html import render_comparison

        page = render_comparison(self)
        if path is not None:
            write_text(Path(path), page)
        return page


def write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
