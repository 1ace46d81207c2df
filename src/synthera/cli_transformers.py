"""`synthera evaluate-transformers`: BERT-family models fine-tuned on real vs synthetic rows.

Registered on `synthera.cli.app` when `synthera.cli` imports this module. Transformers
and the model weights load inside the command, so `synthera --help` stays fast.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from synthera.cli import (
    DelimiterOption,
    MissingOption,
    QuietOption,
    _read,
    _split_names,
    app,
    handles_user_errors,
    stderr,
)
from synthera.cli_evaluate import _check_outputs
from synthera.io import split_holdout
from synthera.progress_bar import RichProgress

if TYPE_CHECKING:
    from synthera.transformer_eval import TransformerEvaluation

HOLDOUT_FRACTION = 0.2


@app.command("evaluate-transformers")
@handles_user_errors
def evaluate_transformers(
    real: Annotated[Path, typer.Option("--real", help="The real training table.")],
    synthetic: Annotated[Path, typer.Option("--synthetic", help="The synthetic table to judge.")],
    target: Annotated[str, typer.Option("--target", help="The column the models predict.")],
    holdout: Annotated[
        Path | None,
        typer.Option("--holdout", help="Real rows never trained on (20 % of --real if omitted)."),
    ] = None,
    models: Annotated[
        str,
        typer.Option(
            "--models",
            help="Comma-separated: 'default' (all-MiniLM-L6-v2, shipped in a package) or "
            "local Hugging Face checkpoint directories (BERT, RoBERTa, DistilBERT, ...).",
        ),
    ] = "default",
    epochs: Annotated[int, typer.Option("--epochs", min=1, help="Passes over the rows.")] = 2,
    max_rows: Annotated[
        int, typer.Option("--max-rows", min=10, help="Rows used per table (seeded sample).")
    ] = 5000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (reproducible).")] = 0,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1)] = 16,
    learning_rate: Annotated[float, typer.Option("--learning-rate")] = 5e-5,
    max_length: Annotated[
        int, typer.Option("--max-length", min=8, help="Tokens per row text; longer is cut.")
    ] = 128,
    text_columns: Annotated[
        str | None,
        typer.Option("--text-columns", help="Columns written, in order (default: all but ids)."),
    ] = None,
    text_template: Annotated[
        str, typer.Option("--text-template", help="How one column is written.")
    ] = "{column}: {value}",
    text_separator: Annotated[
        str, typer.Option("--text-separator", help="What joins the columns.")
    ] = "; ",
    device: Annotated[str, typer.Option("--device", help="auto, cpu, cuda or cuda:N.")] = "auto",
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write the full result as JSON to this file.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Also write an HTML page of the result.")
    ] = None,
    delimiter: DelimiterOption = None,
    missing: MissingOption = None,
    quiet: QuietOption = False,
) -> None:
    """Fine-tune BERT-family classifiers on the real rows and on the synthetic rows, score
    both on the real holdout, beside a gradient-boosting baseline."""
    from synthera.transformer_eval import FinetuneSettings, TextFormat
    from synthera.transformer_eval import evaluate_transformers as run
    from synthera.transformer_eval.checkpoints import require_transformers, resolve_checkpoint

    require_transformers()  # before reading tables: a missing extra is the first thing to say
    for spec in _split_names(models):
        resolve_checkpoint(spec)  # so is a wrong model path
    _check_outputs([json_out, out], [real, synthetic, holdout])
    text_format = TextFormat(
        template=text_template,
        separator=text_separator,
        columns=tuple(_split_names(text_columns)) or None,
    )
    settings = FinetuneSettings(
        epochs=epochs, batch_size=batch_size, learning_rate=learning_rate, max_length=max_length
    )
    real_table = _read(real, delimiter, missing)
    synthetic_table = _read(synthetic, delimiter, missing)
    if holdout is not None:
        holdout_table = _read(holdout, delimiter, missing)
    else:
        if target not in real_table.columns:
            from synthera.errors import ColumnNotFoundError

            raise ColumnNotFoundError(f"the real table has no target column {target!r}")
        real_table, holdout_table = split_holdout(
            real_table, fraction=HOLDOUT_FRACTION, seed=seed, stratify=target
        )
        stderr.print(
            f"[yellow]note:[/] no holdout given: {len(holdout_table):,} real rows "
            f"({HOLDOUT_FRACTION:.0%}, seed {seed}) were held out"
        )
    with RichProgress(stderr, enabled=not quiet) as progress:
        result = run(
            real_table,
            synthetic_table,
            holdout_table,
            target,
            models=_split_names(models),
            epochs=epochs,
            max_rows=max_rows,
            seed=seed,
            text_format=text_format,
            device=device,
            progress=progress,
            settings=settings,
        )
    for note in result.notes:
        stderr.print(f"[yellow]note:[/] {escape(note)}")
    _print_table(result)
    data = result.to_dict()
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False)
        json_out.write_text(text + "\n", encoding="utf-8")
        typer.echo(f"transformers: {json_out}")
    if out is not None:
        from synthera.report.report import write_text
        from synthera.report.transformers_html import render_transformers

        write_text(out, render_transformers(data))
        typer.echo(f"report: {out}")


def _print_table(result: TransformerEvaluation) -> None:
    """One line per model and metric, so the table fits a narrow terminal."""
    from synthera.transformer_eval.result import METRIC_LABELS, METRICS

    frame = result.table()
    table = Table(
        title=f"target {escape(result.target)}: scored on {result.rows['holdout']:,} real "
        "holdout rows (gap = real − synthetic)",
        title_justify="left",
    )
    for name in ("model", "metric"):
        table.add_column(name, no_wrap=True)
    for name in ("trained on real", "trained on synthetic", "gap"):
        table.add_column(name, justify="right")
    for label, row in frame.iterrows():
        for i, metric in enumerate(METRICS):
            values = [row[(metric, side)] for side in ("real", "synthetic", "gap")]
            cells = ["—" if math.isnan(v) else f"{v:.3f}" for v in values]
            table.add_row(escape(str(label)) if i == 0 else "", METRIC_LABELS[metric], *cells)
        table.add_section()
    stderr.print(table)
