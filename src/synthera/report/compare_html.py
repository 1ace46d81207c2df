"""Render a Comparison: several synthetic tables side by side, the best value marked."""

from __future__ import annotations

from typing import Any

from synthera.report import charts
from synthera.report.guarantee_html import epsilon_cell
from synthera.report.html import Page, esc, explain, fmt, scorecard_html, table, wrap_table
from synthera.report.report import FAMILIES, Comparison

FAMILY_TEXT = {
    "fidelity": "How closely each synthetic table matches the real distributions.",
    "utility": "How well models trained on each synthetic table do on real holdout rows.",
    "privacy": "How much each synthetic table reveals about the people it was trained on.",
    "fairness": "Whether each synthetic table keeps group differences as in the real data.",
    "transformers": "How well BERT-family models fine-tuned on each synthetic table do on real "
    "holdout rows; the reference fine-tunes them on the real table.",
}
PERCENT = {
    "dcr_share",
    "exact_copies",
    "singling_out",
    "linkability",
    "attribute_disclosure",
    "category_coverage",
    "range_coverage",
    "chi_square",
}


def _chartable(row: dict[str, Any]) -> tuple[str, float] | None:
    """Metrics on a 0..1 scale go in the family's overlay chart (the score as a share)."""
    if row["name"] == "fidelity_score":
        return "Fidelity score (÷ 100)", 0.01
    values = [v for v in [*row["values"].values(), row["reference"]] if v is not None]
    if values and all(-1.0 <= v <= 1.0 for v in values):
        return row["label"], 1.0
    return None


def render_comparison(comparison: Comparison) -> str:
    page = Page()
    names = comparison.names
    rows = comparison.rows()
    first = comparison.reports[0]
    page.add(
        f"<h1>Comparison of {len(names)} synthetic tables</h1>",
        f'<p class="muted">{esc(", ".join(names))} · each evaluated against the same '
        f"{first.tables.get('train_rows', 0):,} training rows and "
        f"{first.tables.get('holdout_rows', 0):,} holdout rows, seed "
        f"{esc(first.settings.get('seed'))}. The best value in each row is marked ★; the "
        "reference is the holdout compared with the training rows.</p>",
    )
    page.add(_scorecards(comparison))
    for family in (*FAMILIES, "transformers"):  # transformers: only when attached
        family_rows = [r for r in rows if r["family"] == family]
        if not family_rows:
            continue
        page.add(f"<h2>{esc(family.capitalize())}</h2>", explain(esc(FAMILY_TEXT[family])))
        page.add(_family_chart(page, family, family_rows, names))
        page.add(_family_table(family_rows, names))
    if comparison.notes:
        page.add(
            "<h2>Notes</h2><ul>" + "".join(f"<li>{esc(n)}</li>" for n in comparison.notes) + "</ul>"
        )
    details = "".join(
        f"<details><summary>Scorecard of {esc(r.name)}</summary>{scorecard_html(r.scorecard)}"
        "</details>"
        for r in comparison.reports
    )
    page.add("<h2>Scorecards in detail</h2>", details)
    return page.render(f"Comparison of {len(names)} synthetic tables")


def _scorecards(comparison: Comparison) -> str:
    # The ε column only where some table's generator is known (not for CSVs of unknown origin).
    with_epsilon = any(r.generator is not None for r in comparison.reports)
    body = []
    for report in comparison.reports:
        cells = [esc(report.name)]
        if with_epsilon:
            cells.append(epsilon_cell(report.generator))
        for card in report.scorecard:
            cells.append(
                f'<span class="badge {card.status}">{esc(card.status)}</span> {esc(card.headline)}'
            )
        body.append(cells)
    headers = ["Table", *(["ε"] if with_epsilon else []), *(f.capitalize() for f in FAMILIES)]
    legend = (
        '<p class="muted">ε: the differential-privacy budget each generator spent (smaller is '
        "more private; ∞: trained without differential privacy; blank: not known).</p>"
        if with_epsilon
        else ""
    )
    return table(headers, body, numeric={1} if with_epsilon else set()) + legend


def _family_chart(page: Page, family: str, rows: list[dict[str, Any]], names: list[str]) -> str:
    shown = [(row, found) for row in rows if (found := _chartable(row)) is not None]
    if not shown:
        return ""
    labels = [label for _, (label, _) in shown]
    series = [
        (name, [_scaled(row["values"].get(name), scale) for row, (_, scale) in shown])
        for name in names
    ]
    series.append(("reference (holdout)", [_scaled(row["reference"], s) for row, (_, s) in shown]))
    colours = [*charts.PALETTE[: len(names)], charts.HOLDOUT]
    figure = charts.paired_bars(
        f"{family.capitalize()} metrics", labels, series, horizontal=True, colours=colours
    )
    return page.chart(figure, height=140 + 16 * len(labels) * len(series))


def _scaled(value: float | None, scale: float) -> float | None:
    return None if value is None else value * scale


def _family_table(rows: list[dict[str, Any]], names: list[str]) -> str:
    header = ["Metric", *(esc(n) for n in names), "Reference", "Better"]
    body_rows = []
    for row in rows:
        percent = row["name"] in PERCENT
        cells = [esc(row["label"])]
        for name in names:
            value = fmt(row["values"].get(name), percent=percent)
            marker = ' class="num best"' if name in row["best"] else ' class="num"'
            cells.append(f"<td{marker}>{value}</td>")
        better = (
            "higher"
            if row["direction"] == "higher"
            else (
                "lower" if row["ideal"] == 0 else f"closer to {fmt(row['ideal'], percent=percent)}"
            )
        )
        cells += [f'<td class="num">{fmt(row["reference"], percent=percent)}</td>', esc(better)]
        body_rows.append(cells)
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(c if c.startswith("<td") else f"<td>{c}</td>" for c in cells) + "</tr>"
        for cells in body_rows
    )
    return wrap_table(head, body)
