"""Plotly figures for the report, built from the JSON-able details the metrics return."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import Any

import plotly.graph_objects as go

REAL, SYNTHETIC, HOLDOUT = "#2b6cb0", "#dd6b20", "#718096"
PALETTE = ("#dd6b20", "#2f855a", "#805ad5", "#d53f8c", "#319795", "#b7791f", "#c53030")


def _layout(title: str, **extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "title": {"text": title, "font": {"size": 14}},
        "margin": {"l": 50, "r": 10, "t": 40, "b": 50},
        "legend": {"orientation": "h", "y": -0.2},
        "autosize": True,
        "template": "plotly_white",
    }
    layout.update(extra)
    return layout


def distribution(column: str, data: dict[str, Any]) -> go.Figure:
    """Real vs synthetic shares of one column: per bin (numeric) or per category."""
    if data["kind"] == "numeric":
        edges = data["edges"]
        centres = [(a + b) / 2 for a, b in pairwise(edges)]
        width = edges[1] - edges[0] if len(edges) > 1 else 1
        traces = [
            go.Bar(
                x=centres, y=data["real"], name="real", marker_color=REAL, opacity=0.55, width=width
            ),
            go.Bar(
                x=centres,
                y=data["synthetic"],
                name="synthetic",
                marker_color=SYNTHETIC,
                opacity=0.55,
                width=width,
            ),
        ]
        return go.Figure(traces, _layout(column, barmode="overlay", yaxis={"title": "share"}))
    traces = [
        go.Bar(x=data["categories"], y=data["real"], name="real", marker_color=REAL),
        go.Bar(x=data["categories"], y=data["synthetic"], name="synthetic", marker_color=SYNTHETIC),
    ]
    return go.Figure(
        traces,
        _layout(column, barmode="group", yaxis={"title": "share"}, xaxis={"type": "category"}),
    )


def heatmap(title: str, columns: Sequence[str], matrix: Any, *, signed: bool) -> go.Figure:
    """One matrix: `signed` values (correlations, differences) on a diverging −1..1 scale,
    associations on 0..1."""
    trace = go.Heatmap(
        z=matrix,
        x=list(columns),
        y=list(columns),
        zmin=-1 if signed else 0,
        zmax=1,
        colorscale="RdBu" if signed else "Blues",
        reversescale=signed,
        hovertemplate="%{y} ~ %{x}: %{z:.3f}<extra></extra>",
    )
    layout = _layout(
        title,
        yaxis={"autorange": "reversed", "type": "category"},
        xaxis={"type": "category", "tickangle": -45},
    )
    layout["margin"] = {"l": 110, "r": 10, "t": 40, "b": 110}
    return go.Figure([trace], layout)


def difference(a: Any, b: Any) -> list[list[float | None]]:
    return [
        [None if x is None or y is None else round(y - x, 4) for x, y in zip(ra, rb, strict=True)]
        for ra, rb in zip(a, b, strict=True)
    ]


def distance_histograms(details: dict[str, Any]) -> go.Figure:
    edges = details["edges"]
    centres = [(a + b) / 2 for a, b in pairwise(edges)]
    series = (
        ("synthetic_to_train", "synthetic → nearest training row", SYNTHETIC, "solid"),
        ("synthetic_to_holdout", "synthetic → nearest holdout row", REAL, "solid"),
        ("holdout_to_train", "holdout → nearest training row (reference)", HOLDOUT, "dot"),
    )
    traces = [
        go.Scatter(
            x=centres,
            y=details[key],
            name=name,
            mode="lines",
            line={"color": color, "dash": dash, "shape": "hvh"},
        )
        for key, name, color, dash in series
        if key in details
    ]
    return go.Figure(
        traces,
        _layout(
            "Distance to the closest record",
            xaxis={"title": "distance"},
            yaxis={"title": "share of rows"},
        ),
    )


def roc_curves(curves: Sequence[tuple[str, dict[str, list[float]], float]]) -> go.Figure:
    traces = [
        go.Scatter(
            x=[0, 1],
            y=[0, 1],
            name="coin flip (0.5)",
            mode="lines",
            line={"color": HOLDOUT, "dash": "dot"},
        )
    ]
    for i, (name, roc, auc) in enumerate(curves):
        traces.append(
            go.Scatter(
                x=roc["fpr"],
                y=roc["tpr"],
                name=f"{name} (AUC {auc:.3f})",
                mode="lines",
                line={"color": PALETTE[i % len(PALETTE)]},
            )
        )
    return go.Figure(
        traces,
        _layout(
            "Membership inference ROC",
            xaxis={"title": "false-positive rate", "range": [0, 1]},
            yaxis={"title": "true-positive rate", "range": [0, 1]},
        ),
    )


def paired_bars(
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    axis_title: str = "",
    horizontal: bool = False,
    colours: Sequence[str] | None = None,
) -> go.Figure:
    """Grouped bars: one group per label, one bar per series (real, synthetic, ...).
    Horizontal bars keep long metric names readable."""
    colours = list(colours or [REAL, *PALETTE])
    traces = []
    for i, (name, values) in enumerate(series):
        x, y = (list(values), list(labels)) if horizontal else (list(labels), list(values))
        traces.append(
            go.Bar(
                x=x,
                y=y,
                name=name,
                marker_color=colours[i % len(colours)],
                orientation="h" if horizontal else "v",
            )
        )
    if horizontal:
        layout = _layout(
            title,
            barmode="group",
            xaxis={"title": axis_title},
            yaxis={"type": "category", "autorange": "reversed", "automargin": True},
        )
        layout["legend"] = {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0}
        layout["margin"] = {"l": 10, "r": 10, "t": 70, "b": 40}
        return go.Figure(traces, layout)
    return go.Figure(
        traces,
        _layout(title, barmode="group", yaxis={"title": axis_title}, xaxis={"type": "category"}),
    )
