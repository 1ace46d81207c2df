"""The "Transformer evaluation" section: models trained on real vs synthetic rows.

Reads the JSON form of a TransformerEvaluation (`Report.transformers`), so a report
loaded from JSON renders the same section.
"""

from __future__ import annotations

from typing import Any

from synthera import __version__
from synthera.report import charts
from synthera.report.html import Page, esc, explain, fmt, wrap_table

METRIC_LABELS = {"accuracy": "Accuracy", "f1_macro": "Macro F1", "roc_auc": "ROC-AUC"}
SIDE_LABELS = {"real": "trained on real", "synthetic": "trained on synthetic", "gap": "gap"}


def transformers_html(page: Page, data: dict[str, Any]) -> str:
    rows = data.get("table", [])
    metrics = [m for m in data.get("metrics", METRIC_LABELS) if m in METRIC_LABELS]
    settings = data.get("settings", {})
    counts = data.get("rows", {})
    parts = [
        "<h2 id='transformers'>Transformer evaluation: BERT-family models on real vs "
        "synthetic rows</h2>",
        explain(
            "Each row is written as text (the target left out) and a pretrained language "
            "model is fine-tuned to predict the target twice: once on the real training rows, "
            "once on the synthetic rows. Both are scored on the same real holdout rows. The "
            "<b>gap</b> is real minus synthetic: what training on the synthetic table cost. "
            "Gradient boosting on the same rows is the baseline: if it matches the "
            "transformers, they add nothing on this table.",
            f"Target {esc(data.get('target'))} ({esc(data.get('task'))}); "
            f"{counts.get('real_train', 0):,} real, {counts.get('synthetic_train', 0):,} "
            f"synthetic and {counts.get('holdout', 0):,} holdout rows; "
            f"{esc(settings.get('epochs'))} epoch(s), seed {esc(settings.get('seed'))}, "
            f"device {esc(settings.get('device'))}.",
        ),
    ]
    main = "roc_auc" if any(r["real"].get("roc_auc") is not None for r in rows) else "accuracy"
    if rows:
        labels = [r["label"] for r in rows]
        figure = charts.paired_bars(
            f"{METRIC_LABELS[main]} on real holdout rows",
            labels,
            [
                ("trained on real", [r["real"].get(main) for r in rows]),
                ("trained on synthetic", [r["synthetic"].get(main) for r in rows]),
            ],
        )
        parts.append(page.chart(figure))
    head = "<th rowspan='2'>Model</th>" + "".join(
        f"<th colspan='3'>{esc(METRIC_LABELS[m])}</th>" for m in metrics
    )
    sub = "".join(
        f'<th class="num">{esc(SIDE_LABELS[s])}</th>' for _ in metrics for s in SIDE_LABELS
    )
    body = "".join(
        f"<tr><td>{esc(r['label'])}</td>"
        + "".join(
            f'<td class="num">{fmt(r[side].get(m))}</td>' for m in metrics for side in SIDE_LABELS
        )
        + "</tr>"
        for r in rows
    )
    parts.append(wrap_table(f"{head}</tr><tr>{sub}", body))
    if data.get("example_text"):
        parts.append(
            f"<p class='muted'>A row as the models read it: <code>{esc(data['example_text'])}"
            "</code></p>"
        )
    notes = "".join(f"<li>{esc(n)}</li>" for n in data.get("notes", []))
    if notes:
        parts.append(f"<ul>{notes}</ul>")
    parts.append(_training_details(data))
    return "".join(parts)


def _training_details(data: dict[str, Any]) -> str:
    items = []
    for model in data.get("models", []):
        for side in ("real", "synthetic"):
            training = model.get(side, {}).get("training")
            if not training:
                continue
            checks = training.get("validation_loss") or []
            best = min((loss for _, loss in checks), default=None)
            items.append(
                f"<li>{esc(model['label'])} on {side} rows: {training['steps']} steps "
                f"({training['epochs_run']:.2f} epochs) on {training['train_rows']:,} rows, "
                f"validation slice {training['validation_rows']:,} rows"
                + (f", best validation loss {fmt(best)}" if best is not None else "")
                + (", stopped early" if training.get("stopped_early") else "")
                + f", {training['seconds']:.1f} s</li>"
            )
    if not items:
        return ""
    return f"<details><summary>How each model trained</summary><ul>{''.join(items)}</ul></details>"


def render_transformers(data: dict[str, Any]) -> str:
    """A page holding the transformer section alone (`synthera evaluate-transformers --out`)."""
    page = Page()
    page.add(
        transformers_html(page, data),
        f"<footer>Synthera {esc(__version__)} · every number in this page is also in the "
        "JSON output (<code>--json</code>).</footer>",
    )
    return page.render("Transformer evaluation")
