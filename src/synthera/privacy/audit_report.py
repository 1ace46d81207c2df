"""The HTML page of a privacy audit: both models' ROC curves and the verdict table."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from synthera.report import charts
from synthera.report.html import Page, esc, explain, fmt, table

if TYPE_CHECKING:
    from synthera.privacy.audit import AttackResult, AuditResult


def _interval(interval: tuple[float, float]) -> str:
    return f"{fmt(interval[0])} – {fmt(interval[1])}"


def _verdict(run: AttackResult) -> str:
    if run.privacy is None:
        if run.attackable:
            return '<span class="badge red">attackable</span> the attack recognises members'
        return '<span class="badge green">not shown attackable</span> with these canaries'
    if run.within_bound:
        return '<span class="badge green">within ε</span> no more advantage than ε allows'
    return '<span class="badge red">exceeds ε</span> more advantage than ε allows'


def render_audit(result: AuditResult) -> str:
    page = Page()
    title = f"Privacy audit: {result.target}"
    private = result.private
    page.add(
        f"<h1>{esc(title)}</h1>",
        f'<p class="muted">{result.rows:,} real rows plus {result.canaries} canary rows '
        f"(members); {result.canaries} more canaries drawn the same way were left out "
        f"(non-members) · seed {result.seed}</p>",
        explain(
            "Canaries are unusual made-up rows. The model was trained twice on the table "
            "with the member canaries in it: once with differential privacy, once without. "
            "An attacker then scores every canary and guesses which ones were trained on.",
            "<b>Advantage</b> is the best true-positive rate minus false-positive rate of "
            "those guesses: 0 means the attacker cannot tell, 1 that it always can. A model "
            f"with (ε, δ)-DP allows at most (e^ε − 1 + 2δ)/(e^ε + 1): {fmt(private.bound)} "
            f"for ε = {fmt(private.epsilon)}. The claim stands when the advantage's 95 % "
            "interval reaches down to that bound or below.",
        ),
    )
    curves = [(run.name, run.roc, run.auc) for run in result.runs]
    page.add(page.chart(charts.roc_curves(curves), tall=True))
    rows = []
    for run in result.runs:
        rows.append(
            [
                esc(run.name),
                "—" if run.epsilon is None else fmt(run.epsilon),
                fmt(run.auc) + f' <span class="muted">({_interval(run.auc_interval)})</span>',
                fmt(run.advantage)
                + f' <span class="muted">({_interval(run.advantage_interval)})</span>',
                "—" if math.isinf(run.bound) or run.privacy is None else fmt(run.bound),
                fmt(run.epsilon_lower_bound),
                _verdict(run),
            ]
        )
    headers = (
        "Model",
        "ε spent",
        "ROC-AUC (95 %)",
        "Advantage (95 %)",
        "Allowed by ε",
        "ε proven by the attack",
        "Verdict",
    )
    page.add("<h2>Results</h2>", table(headers, rows, numeric={1, 4, 5}))
    if result.notes:
        page.add(
            "<h2>Notes</h2><ul>" + "".join(f"<li>{esc(n)}</li>" for n in result.notes) + "</ul>"
        )
    return page.render(title)
