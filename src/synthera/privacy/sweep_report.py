"""The HTML page of an ε sweep: the trade-off chart, the table, and what each ε covered.

Built from the report package's page, tables and palette, so it looks like every other
Synthera report and works offline (Plotly's JavaScript is inlined).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from synthera.report import charts
from synthera.report.html import Page, esc, explain, fmt, table

if TYPE_CHECKING:
    from synthera.privacy.sweep import SweepResult

FAMILY_TITLES = {
    "fidelity": "Fidelity (higher is better)",
    "utility": "Utility (higher is better)",
    "privacy": "Privacy risk (0.5 is ideal)",
}
PRIVACY_IDEAL = 0.5  # a coin-flip attack, and DCR's "no closer to training than holdout"


def tradeoff_figure(result: SweepResult) -> go.Figure:
    """Fidelity, utility and privacy risk against ε, one panel each; dashed lines are the
    real-vs-real references (for privacy: the ideal 0.5)."""
    from synthera.privacy.sweep import TRACKED, epsilon_label

    families = list(FAMILY_TITLES)
    figure = make_subplots(rows=1, cols=3, subplot_titles=[FAMILY_TITLES[f] for f in families])
    fitted = [p for p in result.points if p.error is None]
    x = [epsilon_label(p.epsilon) for p in fitted]
    shown = set(result.metrics)
    for i, (name, family, label) in enumerate(TRACKED):
        if name not in shown:
            continue
        col = families.index(family) + 1
        colour = charts.PALETTE[i % len(charts.PALETTE)]
        figure.add_trace(
            go.Scatter(
                x=x,
                y=[p.values.get(name) for p in fitted],
                name=label,
                mode="lines+markers",
                line={"color": colour},
            ),
            row=1,
            col=col,
        )
        if family == "privacy":
            continue  # one "ideal" line for the panel, below
        present = [p.references[name] for p in fitted if p.references.get(name) is not None]
        level = present[0] if present else None  # the same for every point: one Evaluator
        if level is not None:
            figure.add_trace(_level(x, level, f"reference: real vs real ({family})"), 1, col)
    if shown & {name for name, family, _ in TRACKED if family == "privacy"}:
        ideal = _level(x, PRIVACY_IDEAL, "ideal: coin flip (0.5)")
        figure.add_trace(ideal, 1, families.index("privacy") + 1)
    figure.update_xaxes(type="category", title_text="ε")
    figure.update_layout(
        template="plotly_white",
        margin={"l": 50, "r": 10, "t": 60, "b": 50},
        legend={"orientation": "h", "y": -0.25},
        title={"text": f"Privacy–utility trade-off of {result.model}", "font": {"size": 14}},
    )
    return figure


def _level(x: list[str], level: float, name: str) -> go.Scatter:
    """A dashed horizontal line across the chart."""
    return go.Scatter(
        x=x,
        y=[level] * len(x),
        name=name,
        mode="lines",
        line={"color": charts.HOLDOUT, "dash": "dash"},
    )


def _table(result: SweepResult) -> str:
    from synthera.privacy.sweep import TRACKED, epsilon_label

    labels = {name: label for name, _, label in TRACKED}
    metrics = result.metrics
    headers = [
        "ε asked",
        "ε spent",
        "δ",
        "Fit (s)",
        *(esc(labels[m]) for m in metrics),
        "Scorecard",
    ]
    rows = []
    for p in result.points:
        if p.error is not None:
            rows.append(
                [esc(epsilon_label(p.epsilon)), "—", "—", "—"]
                + ["—"] * len(metrics)
                + [f'<span class="muted">not fitted: {esc(p.error)}</span>']
            )
            continue
        delta = None if p.privacy is None else p.privacy["delta_spent"]
        cards = " ".join(
            f'<span class="badge {status}">{esc(family)}</span>'
            for family, status in p.scorecard.items()
        )
        rows.append(
            [
                esc(epsilon_label(p.epsilon)),
                fmt(p.epsilon_spent),
                "—" if delta is None else f"{delta:.2g}",
                fmt(p.fit_seconds),
                *(fmt(p.values.get(m)) for m in metrics),
                cards,
            ]
        )
    reference = (
        ["reference (real vs real)", "", "", ""]
        + [
            fmt(
                next(
                    (p.references.get(m) for p in result.points if p.references.get(m) is not None),
                    None,
                )
            )
            for m in metrics
        ]
        + [""]
    )
    rows.append(reference)
    return table(headers, rows, numeric=set(range(1, 4 + len(metrics))))


def _ledgers(result: SweepResult) -> str:
    from synthera.privacy.sweep import epsilon_label

    blocks = []
    for p in result.points:
        if p.privacy is None:
            continue
        parts = [
            [
                esc(part["name"]),
                fmt(part["epsilon"]),
                f"{part['delta']:.2g}",
                esc(part["mechanism"]),
            ]
            for part in p.privacy["parts"]
        ]
        public = "".join(f"<li>{esc(item)}</li>" for item in p.privacy.get("public", []))
        blocks.append(
            f"<details><summary>ε = {esc(epsilon_label(p.epsilon))}: spent "
            f"ε = {fmt(p.epsilon_spent)}, δ = {p.privacy['delta_spent']:.2g} "
            f"({esc(p.privacy['accountant'])} accountant)</summary>"
            + table(("Part", "ε", "δ", "Mechanism"), parts, numeric={1, 2})
            + (f"<p>Used without paying (public):</p><ul>{public}</ul>" if public else "")
            + "</details>"
        )
    return "".join(blocks)


def render_sweep(result: SweepResult) -> str:
    page = Page()
    title = f"Privacy sweep: {result.model}"
    page.add(
        f"<h1>{esc(title)}</h1>",
        f'<p class="muted">{len(result.points)} fits of {esc(result.model)} on '
        f"{result.train_rows:,} training rows, each scored against the same "
        f"{result.holdout_rows:,} holdout rows · target: {esc(result.target or 'none')} · "
        f"seed {result.seed}</p>",
        explain(
            "Each point trains the same model with a different privacy budget ε (smaller is "
            "more private; ∞ is no differential privacy), samples as many rows as it trained "
            "on, and evaluates them like any synthetic table.",
            "Fidelity and utility should fall as ε shrinks; the privacy-risk metrics should "
            "move towards 0.5, where an attacker does no better than a coin flip. The dashed "
            "lines are the real-vs-real references: what a second real sample scores.",
        ),
        page.chart(tradeoff_figure(result), height=420),
        "<h2>Table</h2>",
        _table(result),
    )
    ledgers = _ledgers(result)
    if ledgers:
        page.add(
            "<h2>What each ε covers</h2>",
            "<p>The privacy ledger of every private fit: each part that read the real rows, "
            "what it spent, and what was treated as public.</p>",
            ledgers,
        )
    if result.notes:
        page.add(
            "<h2>Notes</h2><ul>" + "".join(f"<li>{esc(n)}</li>" for n in result.notes) + "</ul>"
        )
    return page.render(title)
