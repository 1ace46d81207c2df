"""Render a Report as one self-contained HTML page a non-statistician can read.

Every string that comes from the user's data (column names, category labels, table
names) goes through `esc` before it reaches the page.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Sequence
from typing import Any

import plotly.graph_objects as go
import plotly.io
import plotly.offline

from synthera import __version__
from synthera.metrics.result import MetricResult
from synthera.report import figures
from synthera.report.figures import MAX_DISTRIBUTION_CHARTS
from synthera.report.report import FamilyScore, Report
from synthera.report.scorecard import THRESHOLDS_TEXT
from synthera.report.template import CSS, PAGE


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def fmt(value: float | None, *, percent: bool = False) -> str:
    if value is None:
        return "—"
    if percent:
        return f"{100 * value:.1f} %"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3f}"


class Page:
    """Collects HTML parts and the figures they refer to."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.figures: dict[str, str] = {}

    def add(self, *parts: str) -> None:
        self.parts.extend(parts)

    def chart(self, figure: go.Figure, *, tall: bool = False, height: int | None = None) -> str:
        chart_id = f"chart-{len(self.figures) + 1}"
        # plotly's JSON writer escapes "<", so a label cannot close the script element.
        self.figures[chart_id] = plotly.io.to_json(figure, validate=False)
        style = f' style="height: {height}px"' if height else ""
        return f'<div class="chart{" tall" if tall else ""}" id="{chart_id}"{style}></div>'

    def render(self, title: str) -> str:
        figures = "{" + ",".join(f"{json.dumps(k)}:{v}" for k, v in self.figures.items()) + "}"
        return PAGE.substitute(
            title=esc(title),
            version=esc(__version__),
            css=CSS,
            plotly_js=plotly.offline.get_plotlyjs(),
            body="\n".join(self.parts),
            figures=figures,
        )


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], numeric: set[int] = set()) -> str:  # noqa: B006
    """An HTML table; cells are already-escaped HTML. Columns in `numeric` align right."""
    head = "".join(
        f'<th class="num">{h}</th>' if i in numeric else f"<th>{h}</th>"
        for i, h in enumerate(headers)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{c}</td>' if i in numeric else f"<td>{c}</td>"
            for i, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return wrap_table(head, body)


def wrap_table(head: str, body: str) -> str:
    """A table that scrolls inside its own box if it must, never the whole page."""
    return (
        f'<div class="table-wrap"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )


def explain(*paragraphs: str) -> str:
    return '<div class="explain">' + "".join(f"<p>{p}</p>" for p in paragraphs) + "</div>"


def is_percent(metric: MetricResult) -> bool:
    return metric.name in {
        "dcr_share",
        "exact_copies",
        "singling_out",
        "linkability",
        "attribute_disclosure",
        "category_coverage",
        "range_coverage",
        "chi_square",
    }


def metric_rows(metrics: Iterable[MetricResult]) -> list[list[str]]:
    rows = []
    for m in metrics:
        pct = is_percent(m)
        if m.value is None:
            value = f'<span class="muted">not evaluated: {esc(m.skipped or "n/a")}</span>'
        else:
            value = fmt(m.value, percent=pct)
        better = (
            "higher"
            if m.direction == "higher"
            else ("lower" if m.ideal == 0 else f"closer to {fmt(m.ideal, percent=pct)}")
        )
        rows.append(
            [esc(m.label), value, fmt(m.reference, percent=pct), esc(better), esc(m.description)]
        )
    return rows


METRIC_HEADERS = ("Metric", "Synthetic", "Reference (holdout)", "Better", "What it means")


def metric_table(metrics: Iterable[MetricResult]) -> str:
    return table(METRIC_HEADERS, metric_rows(metrics), numeric={1, 2})


# ---- sections ---------------------------------------------------------------------------


def scorecard_html(cards: Sequence[FamilyScore]) -> str:
    tiles = []
    for card in cards:
        reasons = "".join(f"<li>{esc(r)}</li>" for r in card.reasons)
        tiles.append(
            f'<div class="tile {card.status}"><div><span class="family">{esc(card.family)}'
            f'</span><span class="badge {card.status}">{esc(card.status)}</span></div>'
            f'<div class="headline">{esc(card.headline)}</div>'
            + (f"<ul>{reasons}</ul>" if reasons else "")
            + "</div>"
        )
    rules = "".join(f"<li><b>{esc(f)}</b>: {esc(t)}</li>" for f, t in THRESHOLDS_TEXT.items())
    return (
        '<section id="scorecard"><div class="scorecard">' + "".join(tiles) + "</div>"
        "<details><summary>How the colours are decided</summary><p>Every verdict compares "
        "the synthetic table with the <b>reference</b>: the same measurement made between "
        "two real samples (the holdout and the training rows). Real data differs from real "
        "data by that much, so no generator can be expected to do better.</p>"
        f"<ul>{rules}</ul></details></section>"
    )


def header_html(report: Report) -> str:
    t, s = report.tables, report.settings
    sensitive = ", ".join(s.get("sensitive") or []) or "none"
    target, seed = s.get("target") or "none", s.get("seed")
    model = report.generator.model if report.generator is not None else None
    return (
        f"<h1>Synthetic data report: {esc(report.name)}</h1>"
        f'<p class="muted">{t.get("synthetic_rows", 0):,} synthetic rows'
        + (f" (generator: {esc(model)})" if model else "")
        + " evaluated against "
        f"{t.get('train_rows', 0):,} training rows and {t.get('holdout_rows', 0):,} holdout rows, "
        f"{t.get('evaluated_columns', 0)} of {t.get('columns', 0)} columns · target: "
        f"{esc(target)} · sensitive: {esc(sensitive)} · seed {esc(seed)}"
        "</p>"
    )


def method_html(report: Report) -> str:
    parts = ["<h2>How this report was computed</h2>"]
    notes = "".join(f"<li>{esc(n)}</li>" for n in report.notes)
    if notes:
        parts.append(f"<ul>{notes}</ul>")
    if report.sampling:
        rows = [
            [
                esc(s["family"]),
                esc(s["table"]),
                f"{s['rows']:,}",
                f"{s['of']:,}",
                esc(s["seed"]),
                esc(s.get("why", "to bound time and memory")),
            ]
            for s in report.sampling
        ]
        parts.append(
            "<p>Some metrics used a random subsample of the rows (seeded, so the same "
            "command gives the same numbers):</p>"
            + table(("Family", "Table", "Rows used", "Of", "Seed", "Why"), rows, numeric={2, 3, 4})
        )
    else:
        parts.append("<p>Every row was used; no subsampling was needed.</p>")
    timing = ", ".join(f"{esc(k)} {v:.1f} s" for k, v in report.timings.items())
    parts.append(f'<p class="muted">Time taken: {timing}.</p>')
    return "".join(parts)


def fidelity_html(page: Page, report: Report) -> str:
    metrics = {m.name: m for m in report.family("fidelity")}
    score = metrics.get("fidelity_score")
    parts = [
        "<h2 id='fidelity'>Fidelity: does the synthetic table look like the real one?</h2>",
        explain(
            "Fidelity compares the synthetic rows with the real training rows: each column on "
            "its own, every pair of columns together, and whole rows (can a classifier tell "
            "them apart?). Each number has a <b>reference</b>: the same comparison between the "
            "holdout and the training rows — two real samples of the same data.",
            esc(score.description) if score else "",
        ),
    ]
    coverage = metrics.get("category_coverage")
    dropped = coverage.details.get("dropped", {}) if coverage else {}
    if dropped:
        items = "".join(
            f"<li><b>{esc(c)}</b>: {esc(', '.join(v))}</li>" for c, v in dropped.items()
        )
        parts.append(
            '<div class="warning"><b>Categories the generator dropped.</b> These are common in '
            f"the real table but never appear in the synthetic one (mode collapse):<ul>{items}"
            "</ul></div>"
        )
    parts.append(metric_table(metrics.values()))
    parts.append(_column_table(report, metrics))
    parts.append("<h3>Each column: real vs synthetic</h3>")
    charts_html = [page.chart(f.figure) for f in figures.distribution_figures(report.distributions)]
    parts.append('<div class="grid">' + "".join(charts_html) + "</div>")
    if len(report.distributions) > MAX_DISTRIBUTION_CHARTS:
        parts.append(f"<p class='muted'>The first {MAX_DISTRIBUTION_CHARTS} columns are drawn.</p>")
    parts.append(_heatmaps(page, metrics))
    return "".join(parts)


def _column_table(report: Report, metrics: dict[str, MetricResult]) -> str:
    kinds = {c["name"]: c["kind"] for c in report.schema.get("columns", [])}
    rows = []
    for column in report.distributions:
        distance = (
            metrics.get("ks")
            if column in metrics.get("ks", _EMPTY).per_item
            else (metrics.get("tvd"))
        )
        dist_value = distance.per_item.get(column) if distance else None
        dist_ref = distance.per_item_reference.get(column) if distance else None
        missing = metrics.get("missing_rate")
        coverage = metrics.get("category_coverage") or _EMPTY
        ranges = metrics.get("range_coverage") or _EMPTY
        cover = coverage.per_item.get(column, ranges.per_item.get(column))
        rows.append(
            [
                esc(column),
                esc(kinds.get(column, "")),
                esc("KS" if distance is not None and distance.name == "ks" else "TVD"),
                fmt(dist_value),
                fmt(dist_ref),
                fmt(missing.per_item.get(column) if missing else None, percent=True),
                fmt(cover, percent=True),
            ]
        )
    return "<h3>Per column</h3>" + table(
        (
            "Column",
            "Kind",
            "Distance",
            "Synthetic",
            "Reference",
            "Missing-rate difference",
            "Coverage (categories or range)",
        ),
        rows,
        numeric={3, 4, 5, 6},
    )


_EMPTY = MetricResult("", "", "", None, "lower", 0.0)


def _heatmaps(page: Page, metrics: dict[str, MetricResult]) -> str:
    parts = []
    for name, what in (
        (
            "cramers_v_difference",
            "Cramér's V measures how strongly two columns go together, for any kinds of column "
            "(numbers are cut into ten bins): 0 means unrelated, 1 means one column determines "
            "the other. The synthetic map should look like the real one; the difference map "
            "should be pale.",
        ),
        (
            "pearson_difference",
            "Pearson correlation: −1 to 1, how linearly two numeric columns move together.",
        ),
    ):
        m = metrics.get(name)
        maps = figures.heatmap_figures(m.to_dict() if m is not None else None)
        if not maps:
            continue
        parts.append(f"<h3>{esc(maps[0].heading)}</h3><p>{esc(what)}</p>")
        parts.append(
            '<div class="grid">'
            + "".join(page.chart(f.figure, tall=f.tall) for f in maps)
            + "</div>"
        )
    return "".join(parts)


def utility_html(page: Page, report: Report) -> str:
    metrics = report.family("utility")
    parts = [
        "<h2 id='utility'>Utility: can you learn from the synthetic table?</h2>",
        explain(
            "Three kinds of model are trained twice: once on the synthetic table and once on "
            "the real training table. Both are then tested on the real holdout rows, which "
            "neither has seen. If the synthetic table is useful, its models score about as "
            "well as the real ones (<i>train synthetic, test real</i> vs <i>train real, test "
            "real</i>). ROC-AUC runs from 0.5 (guessing) to 1 (perfect); R² from below 0 to 1.",
        ),
    ]
    live = [m for m in metrics if m.value is not None]
    if not live:
        skipped = metrics[0].skipped if metrics else "no target"
        parts.append(f"<p class='muted'>Not evaluated: {esc(skipped)}.</p>")
        return "".join(parts)
    as_dicts = [m.to_dict() for m in live]
    tstr = figures.tstr_figure(as_dicts)
    if tstr is not None:
        parts.append(page.chart(tstr.figure))
    parts.append(metric_table(metrics))
    importance = figures.importance_figure(as_dicts)
    if importance is not None:
        parts.append(page.chart(importance.figure))
    return "".join(parts)


def privacy_html(page: Page, report: Report) -> str:
    metrics = {m.name: m for m in report.family("privacy")}
    parts = [
        "<h2 id='privacy'>Privacy: does the synthetic table give away real people?</h2>",
        explain(
            "A good generator learns patterns, not people. These checks look for synthetic "
            "rows that sit too close to the training rows, and run the attacks a real "
            "adversary would try. Each is compared with <b>holdout</b> rows — real people the "
            "generator never saw: whatever the synthetic table reveals about them is what the "
            "data teaches about anybody, not a leak.",
        ),
        metric_table(metrics.values()),
    ]
    dcr = metrics.get("dcr_share")
    dcr_chart = figures.dcr_figure(dcr.to_dict() if dcr is not None else None)
    if dcr_chart is not None:
        parts.append(
            "<h3>Distance to the closest record</h3><p>For every synthetic row, the distance "
            "to the nearest training row (orange) and to the nearest holdout row (blue). The "
            "orange curve should look like the dotted reference — real holdout rows measured "
            "the same way; a peak at zero means copies. The blue curve sits further right "
            "when the holdout is smaller than the training table.</p>"
            + page.chart(dcr_chart.figure)
        )
    roc = figures.roc_figure([m.to_dict() for m in metrics.values()])
    if roc is not None:
        parts.append(
            "<h3>Membership inference</h3><p>An attacker holding the synthetic table tries to "
            "tell which real people were in the training data. A curve on the diagonal means "
            "the attack is a coin flip.</p>" + page.chart(roc.figure)
        )
    parts.append(_attack_table(metrics))
    return "".join(parts)


def _attack_table(metrics: dict[str, MetricResult]) -> str:
    rows = []
    for key, what in (("singling_out", "Singling out"), ("linkability", "Linkability")):
        m = metrics.get(key)
        if m is None or m.value is None:
            continue
        modes: list[tuple[str, dict[str, Any]]] = [
            (mode, m.details[mode]) for mode in ("univariate", "multivariate") if mode in m.details
        ] or [("", m.details)]
        for mode, d in modes:
            rows.append(_risk_row(f"{what} {mode}".strip(), d))
    disclosure = metrics.get("attribute_disclosure")
    if disclosure is not None and disclosure.value is not None:
        for secret, d in disclosure.details.get("risk", {}).items():
            rows.append(_risk_row(f"Attribute disclosure of {secret}", d))
    if not rows:
        return ""
    return (
        "<h3>Attacks (after Anonymeter)</h3><p>Risk = (success on training people − success "
        "on holdout people) / (1 − success on holdout people): 0 means the synthetic table "
        "helps the attacker no more against the people it learned from than against anybody "
        "else.</p>"
        + table(
            (
                "Attack",
                "Success on training people",
                "Success on holdout people",
                "Risk",
                "95 % interval",
                "Attempts",
            ),
            rows,
            numeric={1, 2, 3, 5},
        )
    )


def _risk_row(name: str, d: dict[str, Any]) -> list[str]:
    return [
        esc(name),
        fmt(d.get("attack_rate"), percent=True),
        fmt(d.get("control_rate"), percent=True),
        fmt(d.get("risk")),
        f"{fmt(d.get('risk_low'))} – {fmt(d.get('risk_high'))}",
        esc(d.get("trials", "")),
    ]


def fairness_html(page: Page, report: Report) -> str:
    metrics = {m.name: m for m in report.family("fairness")}
    parts = [
        "<h2 id='fairness'>Fairness: are groups treated as in the real data?</h2>",
        explain(
            "For each sensitive column, the synthetic table should keep each group's size and "
            "its rate of the target outcome as in the real table — neither erasing nor "
            "exaggerating differences. Models trained on the synthetic table should treat "
            "groups as models trained on the real table do (demographic parity: same share "
            "of positive predictions; equalized odds: same error rates).",
        ),
    ]
    live = [m for m in metrics.values() if m.value is not None]
    if not live:
        first = next(iter(metrics.values()), None)
        why = first.skipped if first is not None else "no sensitive columns"
        parts.append(f"<p class='muted'>Not evaluated: {esc(why)}.</p>")
        return "".join(parts)
    parts.append(metric_table(metrics.values()))
    gap = metrics.get("target_rate_gap")
    groups = gap.details.get("groups", {}) if gap else {}
    positive = gap.details.get("positive") if gap else None
    target = gap.details.get("target") if gap else None
    rate = f"P({target} = {positive})" if positive is not None else f"mean {target}"
    group_charts = {f.heading: f for f in figures.fairness_figures(gap.to_dict() if gap else None)}
    for column, rows in groups.items():
        body = [
            [
                esc(r["group"]),
                fmt(r["real_share"], percent=True),
                fmt(r["synthetic_share"], percent=True),
                fmt(r["holdout_share"], percent=True),
                fmt(r["real_rate"]),
                fmt(r["synthetic_rate"]),
                fmt(r["holdout_rate"]),
            ]
            for r in rows
        ]
        parts.append(
            f"<h3>{esc(column)}</h3>"
            + table(
                (
                    "Group",
                    "Share real",
                    "Share synthetic",
                    "Share holdout",
                    f"{esc(rate)} real",
                    f"{esc(rate)} synthetic",
                    f"{esc(rate)} holdout",
                ),
                body,
                numeric={1, 2, 3, 4, 5, 6},
            )
        )
        if str(column) in group_charts:
            parts.append(page.chart(group_charts[str(column)].figure))
    return "".join(parts)


def render_report(report: Report) -> str:
    from synthera.report.guarantee_html import guarantee_html
    from synthera.report.transformers_html import transformers_html

    page = Page()
    page.add(
        header_html(report),
        scorecard_html(report.scorecard),
        guarantee_html(report.generator),
        fidelity_html(page, report),
        utility_html(page, report),
        privacy_html(page, report),
        fairness_html(page, report),
        transformers_html(page, report.transformers) if report.transformers else "",
        method_html(report),
        f"<footer>Synthera {esc(__version__)} · every number in this page is also in the "
        "JSON output (<code>--json</code>).</footer>",
    )
    return page.render(f"Synthetic data report: {report.name}")
