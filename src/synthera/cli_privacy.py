"""`synthera train-private`, `predict`, `sweep` and `audit-privacy`: differential privacy
on the command line.

Registered on `synthera.cli.app` when `synthera.cli` imports this module. Torch, Opacus
and Plotly are imported inside the commands, so `synthera --help` stays fast.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from synthera.cli import (
    DelimiterOption,
    JsonOption,
    MissingOption,
    QuietOption,
    _read,
    app,
    emit_json,
    handles_user_errors,
    load_params,
    stderr,
)
from synthera.errors import ParameterError
from synthera.io import write_table
from synthera.progress_bar import RichProgress
from synthera.schema import Schema

EpsilonOption = Annotated[
    float, typer.Option("--epsilon", help="Total privacy budget ε (covers preprocessing too).")
]
DeltaOption = Annotated[
    float | None, typer.Option("--delta", help="δ (default 1/(10·rows), stated in the output).")
]
MaxGradNormOption = Annotated[
    float, typer.Option("--max-grad-norm", help="Per-sample gradient clipping norm of DP-SGD.")
]
SchemaFileOption = Annotated[
    Path | None,
    typer.Option("--schema", help="Schema JSON (declared bounds and categories cost no ε)."),
]
ParamOption = Annotated[
    list[str] | None, typer.Option("--param", "-p", help="Model parameter key=value.")
]
SeedZeroOption = Annotated[int, typer.Option("--seed", help="Random seed (reproducible).")]


def _schema(schema_file: Path | None, table: Any, target: str | None) -> Schema:
    if schema_file is None:
        return Schema.infer(table, target=target)
    schema = Schema.load(schema_file)
    return schema.with_overrides(target=target) if target else schema


def _number(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


# ---- the DP classifier ------------------------------------------------------------------


@app.command("train-private")
@handles_user_errors
def train_private(
    data: Annotated[Path, typer.Argument(help="CSV or Parquet table of real rows.")],
    target: Annotated[str, typer.Option("--target", help="The class column to predict.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Classifier directory to write.")],
    epsilon: EpsilonOption = 1.0,
    delta: DeltaOption = None,
    max_grad_norm: MaxGradNormOption = 1.0,
    holdout: Annotated[
        float, typer.Option("--holdout", help="Share of rows held out to score both models.")
    ] = 0.2,
    epochs: Annotated[int | None, typer.Option("--epochs", help="Training epochs.")] = None,
    param: ParamOption = None,
    schema_file: SchemaFileOption = None,
    seed: SeedZeroOption = 0,
    delimiter: DelimiterOption = None,
    missing: MissingOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Train an MLP classifier with differential privacy (DP-SGD, Opacus) and score it
    beside the same MLP trained without privacy."""
    from synthera.privacy.classifier import train_with_baseline

    table = _read(data, delimiter, missing)
    schema = _schema(schema_file, table, target)
    params = load_params(None, param)
    if epochs is not None:
        params["epochs"] = epochs
    privacy = {"epsilon": epsilon, "delta": delta, "max_grad_norm": max_grad_norm}
    with RichProgress(stderr, enabled=not quiet) as progress:
        result = train_with_baseline(
            table,
            target,
            privacy=privacy,
            schema=schema,
            holdout=holdout,
            seed=seed,
            progress=progress,
            **params,
        )
    summary = result.summary()
    result.private.save(out, extra={"evaluation": summary})
    for note in result.private.notes_:
        stderr.print(f"[yellow]note:[/] {escape(note)}")
    if as_json:
        emit_json({"out": str(out), **summary})
        return
    scores = Table(title=f"holdout of {result.holdout_rows:,} rows", title_justify="left")
    for column in ("model", "ROC-AUC", "accuracy", "fit seconds"):
        scores.add_column(column)
    for key, label in (("private", f"DP (ε={epsilon:g})"), ("non_private", "no privacy")):
        s = result.scores[key]
        scores.add_row(
            label, _number(s["roc_auc"]), _number(s["accuracy"]), f"{result.seconds[key]:.1f}"
        )
    stderr.print(scores)
    ledger = result.private.privacy_
    assert ledger is not None
    stderr.print(f"{escape(ledger.summary())} → {escape(str(out))}")


@app.command()
@handles_user_errors
def predict(
    model_dir: Annotated[Path, typer.Argument(help="A directory written by `train-private`.")],
    data: Annotated[Path, typer.Argument(help="CSV or Parquet table to classify.")],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write here (CSV or Parquet), not stdout.")
    ] = None,
    delimiter: DelimiterOption = None,
    missing: MissingOption = None,
) -> None:
    """Class probabilities and the predicted class of every row, from a private classifier."""
    from synthera.privacy.classifier import PrivateClassifier

    model = PrivateClassifier.load(model_dir)
    table = _read(data, delimiter, missing)
    proba = model.predict_proba(table)
    predictions = proba.rename(columns=lambda c: f"probability_{c}")
    predictions[f"predicted_{model.target}"] = model.predict(table)
    if out is None:
        typer.echo(predictions.to_csv(index=False), nl=False)
        return
    write_table(predictions, out, protect=[data])
    stderr.print(f"wrote {len(predictions):,} predictions → {escape(str(out))}")


def _parse_epsilons(text: str) -> list[float]:
    """`"0.5,1,3,inf"` -> `[0.5, 1.0, 3.0, inf]` (inf: no privacy)."""
    values = []
    for raw in text.split(","):
        part = raw.strip().lower()
        if not part:
            continue
        try:
            value = math.inf if part in {"inf", "none", "∞"} else float(part)
        except ValueError:
            raise ParameterError(f"--epsilons: {part!r} is not a number or 'inf'") from None
        if not value > 0 or math.isnan(value):
            raise ParameterError(f"--epsilons: every ε must be > 0, not {part}")
        values.append(value)
    if not values:
        raise ParameterError("--epsilons needs at least one value, e.g. 0.5,1,3,10,inf")
    return values


# ---- the ε sweep ------------------------------------------------------------------------


@app.command()
@handles_user_errors
def sweep(
    data: Annotated[Path, typer.Argument(help="CSV or Parquet table of real rows.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the table and report.")],
    model: Annotated[str, typer.Option("--model", "-m", help="A model that supports DP.")],
    epsilons: Annotated[
        str, typer.Option("--epsilons", help="Comma-separated ε values; inf = no privacy.")
    ] = "0.5,1,3,10,inf",
    target: Annotated[
        str | None, typer.Option("--target", help="Target column (enables utility).")
    ] = None,
    epochs: Annotated[int | None, typer.Option("--epochs", help="Training epochs.")] = None,
    param: ParamOption = None,
    holdout: Annotated[
        float, typer.Option("--holdout", help="Share of rows held out for evaluation.")
    ] = 0.2,
    schema_file: SchemaFileOption = None,
    seed: SeedZeroOption = 0,
    delimiter: DelimiterOption = None,
    missing: MissingOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Fit a model at several ε (and without privacy), evaluate each, and write the
    trade-off: sweep.csv, sweep.json and report.html."""
    from synthera.privacy.sweep import run_sweep

    values = _parse_epsilons(epsilons)
    table = _read(data, delimiter, missing)
    schema = _schema(schema_file, table, target)
    params = load_params(None, param)
    if epochs is not None:
        params["epochs"] = epochs
    with RichProgress(stderr, enabled=not quiet) as progress:
        result = run_sweep(
            table,
            model,
            values,
            target=target,
            schema=schema,
            params=params,
            holdout=holdout,
            seed=seed,
            progress=progress,
        )
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "table": write_table(result.table(), out / "sweep.csv", protect=[data]),
        "json": out / "sweep.json",
        "report": out / "report.html",
    }
    paths["json"].write_text(result.to_json() + "\n", encoding="utf-8")
    paths["report"].write_text(result.to_html(), encoding="utf-8")
    for note in result.notes:
        stderr.print(f"[yellow]note:[/] {escape(note)}")
    if as_json:
        emit_json({**{k: str(v) for k, v in paths.items()}, **result.to_dict()})
        return
    shown = Table(title=f"{result.model}: ε sweep", title_justify="left")
    for column in ("ε", "ε spent", *result.metrics):
        shown.add_column(column)
    for point in result.points:
        shown.add_row(
            "inf" if math.isinf(point.epsilon) else f"{point.epsilon:g}",
            _number(point.epsilon_spent),
            *(_number(point.values.get(m)) for m in result.metrics),
        )
    stderr.print(shown)
    for name, path in paths.items():
        typer.echo(f"{name:>7}: {path}")


# ---- the empirical audit ----------------------------------------------------------------


@app.command("audit-privacy")
@handles_user_errors
def audit_privacy(
    data: Annotated[Path, typer.Argument(help="A small CSV or Parquet table of real rows.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for audit.json, report.html.")],
    model: Annotated[
        str,
        typer.Option("--model", "-m", help="A generator that supports DP, or 'classifier'."),
    ] = "tvae",
    epsilon: EpsilonOption = 1.0,
    delta: DeltaOption = None,
    canaries: Annotated[
        int, typer.Option("--canaries", min=2, help="Canary rows per side (members).")
    ] = 20,
    target: Annotated[
        str | None, typer.Option("--target", help="The class column (for 'classifier').")
    ] = None,
    epochs: Annotated[int | None, typer.Option("--epochs", help="Training epochs.")] = None,
    param: ParamOption = None,
    schema_file: SchemaFileOption = None,
    seed: SeedZeroOption = 0,
    delimiter: DelimiterOption = None,
    missing: MissingOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Train with and without DP on the table plus canary rows, attack both, and check the
    DP model's membership advantage against what its ε allows."""
    from synthera.privacy.audit import AuditTarget, ClassifierTarget, GeneratorTarget, run_audit

    table = _read(data, delimiter, missing)
    schema = _schema(schema_file, table, None)
    params = load_params(None, param)
    if epochs is not None:
        params["epochs"] = epochs
    audited: AuditTarget
    if model == "classifier":
        if target is None:
            raise ParameterError("auditing the classifier needs --target COLUMN")
        audited = ClassifierTarget(target, params)
    else:
        from synthera.models.registry import get_synthesizer

        get_synthesizer(model, **params)  # an unknown model or parameter fails here
        audited = GeneratorTarget(model, params)
    privacy = {"epsilon": epsilon, "delta": delta}
    with RichProgress(stderr, enabled=not quiet) as progress:
        result = run_audit(
            table, audited, privacy, schema=schema, canaries=canaries, seed=seed, progress=progress
        )
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / "audit.json", "report": out / "report.html"}
    paths["json"].write_text(result.to_json() + "\n", encoding="utf-8")
    paths["report"].write_text(result.to_html(), encoding="utf-8")
    for note in result.notes:
        stderr.print(f"[yellow]note:[/] {escape(note)}")
    if as_json:
        emit_json({**{k: str(v) for k, v in paths.items()}, **result.to_dict()})
        return
    shown = Table(title=f"audit of {result.target}", title_justify="left")
    for column in ("model", "ROC-AUC", "advantage (95 %)", "allowed by ε", "verdict"):
        shown.add_column(column)
    for run in result.runs:
        low, high = run.advantage_interval
        if run.privacy is None:
            verdict = "[red]attackable[/]" if run.attackable else "not shown attackable"
        else:
            verdict = "[green]within ε[/]" if run.within_bound else "[red]exceeds ε[/]"
        shown.add_row(
            escape(run.name),
            _number(run.auc),
            f"{run.advantage:.3f} ({low:.3f} – {high:.3f})",
            "—" if run.privacy is None else _number(run.bound),
            verdict,
        )
    stderr.print(shown)
    for name, path in paths.items():
        typer.echo(f"{name:>7}: {path}")
