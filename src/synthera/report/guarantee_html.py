"""The "Privacy guarantee" of a report's generator as HTML: what its ε and δ cover, part
by part, or a plain statement that it has none. Nothing when the generator is unknown."""

from __future__ import annotations

from synthera.privacy.ledger import PrivacyLedger
from synthera.report.generator import GeneratorInfo
from synthera.report.html import esc, explain, table


def epsilon_text(value: float) -> str:
    return f"{value:.3g}"


def delta_text(value: float) -> str:
    return f"{value:.2g}"


def guarantee_html(generator: GeneratorInfo | None) -> str:
    """The section near the top of a report; empty when nothing is known."""
    if generator is None:
        return ""
    model = f" ({esc(generator.model)})" if generator.model else ""
    heading = "<h2 id='privacy-guarantee'>Privacy guarantee</h2>"
    if generator.privacy is None:
        return (
            f"<section>{heading}<div class='warning'><b>None.</b> The generator{model} was "
            "trained without differential privacy: no formal bound limits what the synthetic "
            "table can reveal about the people in the training data. The privacy checks "
            "below measure only the attacks they run.</div></section>"
        )
    return f"<section>{heading}{_ledger_html(generator.privacy, model)}</section>"


def _ledger_html(ledger: PrivacyLedger, model: str) -> str:
    eps, delta = epsilon_text(ledger.epsilon_spent), delta_text(ledger.delta_spent)
    headline = (
        f"<p><b>(ε = {eps}, δ = {delta})-differentially private.</b> The generator{model} "
        f"spent ε = {eps} of its target {ledger.epsilon_target:g} and δ = {delta} of its "
        f"target {delta_text(ledger.delta_target)}; accountant: "
        f"<b>{esc(ledger.accountant)}</b>.</p>"
    )
    what = explain(
        "Differential privacy is a promise about the generator, not a measurement of this "
        "table: whatever anyone learns from the synthetic table, they would have learned "
        "almost as well had any one person been left out of the training data (their odds "
        "change by at most a factor e<sup>ε</sup>, except with probability δ). It holds "
        "against every attack, including those this report does not try. The ε covers every "
        "step that read the real rows, listed below; the parts add up (basic composition)."
    )
    rows = [
        [esc(p.name), epsilon_text(p.epsilon), delta_text(p.delta), esc(p.mechanism)]
        for p in ledger.parts
    ]
    rows.append(["<b>total</b>", f"<b>{eps}</b>", f"<b>{delta}</b>", "the sum of the parts"])
    parts = table(("What read the real rows", "ε", "δ", "Mechanism"), rows, numeric={1, 2})
    if ledger.public:
        items = "".join(f"<li>{esc(item)}</li>" for item in ledger.public)
        public = (
            f"<p>Used without spending budget (declared or treated as public):</p><ul>{items}</ul>"
        )
    else:
        public = "<p>Nothing was used without spending budget.</p>"
    return headline + what + parts + public


def epsilon_cell(generator: GeneratorInfo | None) -> str:
    """A comparison's ε cell: the ε spent, ∞ for a generator without differential
    privacy, blank when unknown."""
    if generator is None:
        return ""
    if generator.privacy is None:
        return "<span title='trained without differential privacy'>∞ (not private)</span>"
    ledger = generator.privacy
    return f"<span title='{esc(ledger.summary())}'>{epsilon_text(ledger.epsilon_spent)}</span>"
