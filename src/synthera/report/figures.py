"""Which charts a report shows, chosen from its JSON (`Report.to_dict()`).

The HTML report draws these figures between its paragraphs, and the web dashboard gets
the same ones as Plotly JSON, so both show the same plots from the same numbers. Every
function takes metrics as dictionaries (`MetricResult.to_dict()`), the form a stored
report has.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go
import plotly.io

from synthera.report import charts
from synthera.report.report import FAMILIES

MAX_DISTRIBUTION_CHARTS = 60
Metric = Mapping[str, Any]
# The association maps: metric name, section heading, whether values run −1..1.
HEATMAPS = (
    ("cramers_v_difference", "Association between columns (Cramér's V)", False),
    ("pearson_difference", "Correlation between numeric columns (Pearson)", True),
)


@dataclass(frozen=True)
class ReportFigure:
    """One chart and what a page needs around it."""

    section: str  # "fidelity", "utility", "privacy" or "fairness"
    group: str  # charts of one group are drawn side by side under one heading
    heading: str  # the group's heading
    label: str  # what the chart shows, in words (its accessible name on a page)
    figure: go.Figure
    tall: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "section": self.section,
            "group": self.group,
            "heading": self.heading,
            "label": self.label,
            "tall": self.tall,
            # plotly's own encoder: NumPy values and dates become plain JSON.
            "figure": json.loads(plotly.io.to_json(self.figure, validate=False)),
        }


def by_name(metrics: Iterable[Metric]) -> dict[str, Metric]:
    return {str(m.get("name")): m for m in metrics}


def distribution_figures(
    distributions: Mapping[str, Mapping[str, Any]], limit: int = MAX_DISTRIBUTION_CHARTS
) -> list[ReportFigure]:
    return [
        ReportFigure(
            "fidelity",
            "distributions",
            "Each column: real vs synthetic",
            f"Distribution of {column}, real and synthetic",
            charts.distribution(column, dict(data)),
        )
        for column, data in list(distributions.items())[:limit]
    ]


def heatmap_figures(metric: Metric | None) -> list[ReportFigure]:
    """Real, synthetic and their difference, for an association metric with its matrices."""
    spec = next((h for h in HEATMAPS if metric and h[0] == metric.get("name")), None)
    details = metric.get("details", {}) if metric else {}
    if spec is None or "real" not in details or "synthetic" not in details:
        return []
    name, heading, signed = spec
    columns, real, synthetic = details["columns"], details["real"], details["synthetic"]
    what = heading.split(" (")[0].lower()
    maps = (
        ("real", real, signed, f"{what} in the real table"),
        ("synthetic", synthetic, signed, f"{what} in the synthetic table"),
        (
            "synthetic − real",
            charts.difference(real, synthetic),
            True,
            f"{what}: synthetic minus real",
        ),
    )
    return [
        ReportFigure(
            "fidelity",
            name,
            heading,
            label[0].upper() + label[1:],
            charts.heatmap(title, columns, matrix, signed=is_signed),
            tall=True,
        )
        for title, matrix, is_signed, label in maps
    ]


def tstr_figure(metrics: Sequence[Metric]) -> ReportFigure | None:
    """Models trained on real vs on synthetic rows, scored on the real holdout."""
    main = next(
        (
            m
            for m in metrics
            if m.get("name") in ("tstr_roc_auc", "tstr_r2") and m.get("value") is not None
        ),
        None,
    )
    if main is None:
        return None
    models = list(main.get("per_item", {}))
    names = [main.get("details", {}).get("models", {}).get(m, m) for m in models]
    reference = main.get("per_item_reference", {})
    figure = charts.paired_bars(
        str(main["label"]).split(" (")[0] + " on real holdout rows",
        names,
        [
            ("trained on real", [reference.get(m) for m in models]),
            ("trained on synthetic", [main["per_item"].get(m) for m in models]),
        ],
    )
    return ReportFigure(
        "utility",
        "tstr",
        "Train on synthetic, test on real",
        "Scores on real holdout rows of models trained on real and on synthetic rows",
        figure,
    )


def importance_figure(metrics: Sequence[Metric]) -> ReportFigure | None:
    metric = by_name(metrics).get("importance_agreement")
    details = metric.get("details", {}) if metric and metric.get("value") is not None else {}
    if "real" not in details or "synthetic" not in details:
        return None
    figure = charts.paired_bars(
        "Feature importance (random forest)",
        details["columns"],
        [("trained on real", details["real"]), ("trained on synthetic", details["synthetic"])],
    )
    return ReportFigure(
        "utility",
        "importance",
        "Feature importance",
        "Feature importance of models trained on real and on synthetic rows",
        figure,
    )


def dcr_figure(metric: Metric | None) -> ReportFigure | None:
    if metric is None or "edges" not in metric.get("details", {}):
        return None
    return ReportFigure(
        "privacy",
        "dcr",
        "Distance to the closest record",
        "Histograms of the distance from each synthetic row to the closest real row",
        charts.distance_histograms(dict(metric["details"])),
    )


def roc_figure(metrics: Sequence[Metric]) -> ReportFigure | None:
    found = by_name(metrics)
    curves = [
        (str(m["label"]).split(": ")[-1].split(" (")[0], m["details"]["roc"], float(m["value"]))
        for key in ("mia_distance_auc", "mia_density_auc")
        if (m := found.get(key)) is not None
        and m.get("value") is not None
        and "roc" in m.get("details", {})
    ]
    if not curves:
        return None
    return ReportFigure(
        "privacy",
        "mia",
        "Membership inference",
        "ROC curves of membership-inference attacks against the synthetic table",
        charts.roc_curves(curves),
    )


def fairness_figures(metric: Metric | None) -> list[ReportFigure]:
    """Per sensitive column: each group's target rate in the real, synthetic and holdout rows."""
    details = metric.get("details", {}) if metric and metric.get("value") is not None else {}
    target, positive = details.get("target"), details.get("positive")
    rate = f"P({target} = {positive})" if positive is not None else f"mean {target}"
    out = []
    for column, rows in details.get("groups", {}).items():
        groups = [str(r["group"]) for r in rows]
        figure = charts.paired_bars(
            f"{rate} by {column}",
            groups,
            [
                ("real", [r.get("real_rate") for r in rows]),
                ("synthetic", [r.get("synthetic_rate") for r in rows]),
                ("holdout (reference)", [r.get("holdout_rate") for r in rows]),
            ],
            axis_title=rate,
            colours=[charts.REAL, charts.SYNTHETIC, charts.HOLDOUT],
        )
        out.append(
            ReportFigure(
                "fairness",
                f"groups:{column}",
                str(column),
                f"{rate} for each group of {column}: real, synthetic and holdout rows",
                figure,
            )
        )
    return out


def report_figures(report: Mapping[str, Any]) -> list[ReportFigure]:
    """Every chart of the report, in the order the HTML report draws them."""
    metrics = [m for m in report.get("metrics", []) if isinstance(m, Mapping)]
    family = {f: [m for m in metrics if m.get("family") == f] for f in FAMILIES}
    fidelity, privacy = by_name(family["fidelity"]), by_name(family["privacy"])
    figures = distribution_figures(report.get("distributions") or {})
    for name, _, _ in HEATMAPS:
        figures += heatmap_figures(fidelity.get(name))
    optional = [
        tstr_figure(family["utility"]),
        importance_figure(family["utility"]),
        dcr_figure(privacy.get("dcr_share")),
        roc_figure(family["privacy"]),
    ]
    figures += [f for f in optional if f is not None]
    figures += fairness_figures(by_name(family["fairness"]).get("target_rate_gap"))
    return figures


def figures_json(figures: Sequence[ReportFigure]) -> dict[str, Any]:
    """The figures as JSON for a page, the layout template they share sent once
    (it is most of each figure's size): {"template": ..., "figures": [...]}."""
    items = [f.to_dict() for f in figures]
    shared = items[0]["figure"].get("layout", {}).get("template") if items else None
    for item in items:
        layout = item["figure"].setdefault("layout", {})
        if layout.get("template") == shared:
            layout.pop("template", None)
    return {"template": shared, "figures": items}
