"""The `synthera` command line: a thin shell around the library.

Exit codes: 0 success, 1 a user error (one line on stderr, no traceback), 2 bad usage.
Progress bars and notes go to stderr so that stdout stays clean for JSON and schemas.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from synthera import __version__
from synthera.errors import ParameterError, SyntheraError, one_line
from synthera.io import read_table, split_holdout, write_table
from synthera.models.base import Synthesizer
from synthera.models.registry import available_synthesizers, get_synthesizer
from synthera.progress_bar import RichProgress
from synthera.schema import Schema

app = typer.Typer(
    name="synthera",
    help="Private synthetic tabular data: learn a table, generate a faithful twin.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
schema_app = typer.Typer(help="Infer, edit and check table schemas.", no_args_is_help=True)
app.add_typer(schema_app, name="schema")

stderr = Console(stderr=True, highlight=False, soft_wrap=True)
P = ParamSpec("P")
R = TypeVar("R")


def handles_user_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn a user mistake into one line on stderr and exit code 1, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except SyntheraError as exc:
            stderr.print(f"[bold red]error:[/] {escape(one_line(str(exc)))}")
            raise typer.Exit(1) from None
        except OSError as exc:  # permissions, full disk: the user can act on these too
            where = f"{exc.filename}: " if exc.filename else ""
            stderr.print(f"[bold red]error:[/] {escape(where + (exc.strerror or str(exc)))}")
            raise typer.Exit(1) from None

    return wrapper


def version_callback(value: bool) -> None:
    if value:
        typer.echo(f"synthera {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=version_callback, is_eager=True, help="Show version."),
    ] = False,
) -> None:
    """Synthera command line."""


# ---- shared options -------------------------------------------------------------------

DelimiterOption = Annotated[
    str | None, typer.Option("--delimiter", "-d", help="Field delimiter (sniffed if omitted).")
]
MissingOption = Annotated[
    list[str] | None,
    typer.Option("--missing", help="A marker of missing values (repeatable); replaces defaults."),
]
TargetOption = Annotated[str | None, typer.Option("--target", help="The target column.")]
SensitiveOption = Annotated[
    str | None, typer.Option("--sensitive", help="Sensitive columns, comma-separated.")
]
SeedOption = Annotated[int | None, typer.Option("--seed", help="Random seed (reproducible).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print a JSON summary on stdout.")]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")]


def _read(path: Path, delimiter: str | None, missing: list[str] | None) -> Any:
    return read_table(path, delimiter=delimiter, missing_values=missing)


def _split_names(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def parse_assignments(items: list[str] | None, what: str) -> dict[str, str]:
    """`["a=1", "b=x"]` -> `{"a": "1", "b": "x"}`, with a clear error for a missing `=`."""
    result: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ParameterError(f"{what} {item!r} must look like name=value")
        result[key.strip()] = value.strip()
    return result


def parse_param_value(text: str) -> Any:
    """Model parameters from the command line: JSON literals where they parse, else text."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def load_params(params_file: Path | None, params: list[str] | None) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    if params_file is not None:
        try:
            loaded = json.loads(params_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ParameterError(f"parameter file not found: {params_file}") from None
        except json.JSONDecodeError as exc:
            raise ParameterError(f"{params_file} is not valid JSON: {exc.msg}") from None
        if not isinstance(loaded, dict):
            raise ParameterError(f"{params_file} must hold a JSON object of parameters")
        merged.update(loaded)
    merged.update(
        {k: parse_param_value(v) for k, v in parse_assignments(params, "--param").items()}
    )
    return merged


def emit_json(data: Mapping[str, Any]) -> None:
    typer.echo(json.dumps(data, indent=2, default=str))


# ---- schema ---------------------------------------------------------------------------


@schema_app.command("infer")
@handles_user_errors
def schema_infer(
    data: Annotated[Path, typer.Argument(help="CSV or Parquet table.")],
    target: TargetOption = None,
    sensitive: SensitiveOption = None,
    kind: Annotated[
        list[str] | None, typer.Option("--kind", help="Override a kind: column=kind (repeatable).")
    ] = None,
    drop: Annotated[
        list[str] | None, typer.Option("--drop", help="Leave a column out (repeatable).")
    ] = None,
    rare_threshold: Annotated[
        int, typer.Option(help="Fold categories seen in fewer rows than this (0 = off).")
    ] = 0,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write here, not stdout.")] = None,
    delimiter: DelimiterOption = None,
    missing: MissingOption = None,
) -> None:
    """Infer an editable schema (JSON): column kinds, target and sensitive columns."""
    table = _read(data, delimiter, missing)
    schema = Schema.infer(
        table,
        target=target,
        sensitive=_split_names(sensitive),
        overrides=parse_assignments(kind, "--kind"),
        drop=drop or [],
        rare_threshold=rare_threshold,
    )
    for note in schema.notes:
        stderr.print(f"[yellow]note:[/] {escape(note)}")
    if out is None:
        typer.echo(schema.to_json())
    else:
        schema.save(out)
        stderr.print(f"schema written to {out}")


@schema_app.command("check")
@handles_user_errors
def schema_check(
    data: Annotated[Path, typer.Argument(help="CSV or Parquet table.")],
    schema_file: Annotated[Path, typer.Option("--schema", help="Schema JSON to check.")],
    delimiter: DelimiterOption = None,
    missing: MissingOption = None,
) -> None:
    """Check that a table matches a schema."""
    table = _read(data, delimiter, missing)
    schema = Schema.load(schema_file)
    schema.validate(table)
    typer.echo(f"ok: {len(table)} rows match the {len(schema.columns)}-column schema")


# ---- fit and sample -------------------------------------------------------------------


@app.command()
@handles_user_errors
def fit(
    data: Annotated[Path, typer.Argument(help="CSV or Parquet table to learn.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Model directory to write.")],
    model: Annotated[
        str | None, typer.Option("--model", "-m", help="Model name (see `synthera models`).")
    ] = None,
    schema_file: Annotated[
        Path | None, typer.Option("--schema", help="Schema JSON (inferred if omitted).")
    ] = None,
    target: TargetOption = None,
    sensitive: SensitiveOption = None,
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="Model parameter key=value.")
    ] = None,
    params_file: Annotated[
        Path | None, typer.Option("--params", help="JSON file of model parameters.")
    ] = None,
    seed: SeedOption = None,
    epsilon: Annotated[
        float | None,
        typer.Option("--epsilon", help="Train with differential privacy: total budget ε."),
    ] = None,
    delta: Annotated[
        float | None, typer.Option("--delta", help="Privacy δ (default 1/(10·rows)).")
    ] = None,
    max_grad_norm: Annotated[
        float, typer.Option("--max-grad-norm", help="DP-SGD per-sample clipping norm.")
    ] = 1.0,
    delimiter: DelimiterOption = None,
    missing: MissingOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Learn a table and save the fitted model as a directory (with --epsilon: privately)."""
    table = _read(data, delimiter, missing)
    if schema_file is not None:
        schema = Schema.load(schema_file)
        if target or sensitive:
            schema = schema.with_overrides(target=target, sensitive=_split_names(sensitive) or None)
    else:
        schema = Schema.infer(table, target=target, sensitive=_split_names(sensitive))
    synthesizer = get_synthesizer(model, **load_params(params_file, param))
    if epsilon is None and delta is not None:
        raise ParameterError("--delta needs --epsilon (a private fit)")
    privacy = None
    if epsilon is not None:
        privacy = {"epsilon": epsilon, "delta": delta, "max_grad_norm": max_grad_norm}
    started = time.perf_counter()
    with RichProgress(stderr, enabled=not quiet) as progress:
        synthesizer.fit(table, schema, seed=seed, progress=progress, privacy=privacy)
    seconds = time.perf_counter() - started
    synthesizer.save(out)
    fit_notes = [str(note) for note in getattr(synthesizer, "fit_warnings_", [])]
    for note in fit_notes:  # e.g. a mode-collapse check that found missing categories
        stderr.print(f"[yellow]note:[/] {escape(note)}")
    summary = {
        "model": synthesizer.name,
        "out": str(out),
        "rows": len(table),
        "columns": len(schema.columns),
        "fit_seconds": round(seconds, 3),
        "seed": seed,
        "notes": fit_notes,
        "privacy": None if synthesizer.privacy_ is None else synthesizer.privacy_.to_dict(),
    }
    if as_json:
        emit_json(summary)
    else:
        stderr.print(
            f"fitted [bold]{synthesizer.name}[/] on {len(table):,} rows × "
            f"{len(schema.columns)} columns in {seconds:.1f} s → {escape(str(out))}"
        )
        if synthesizer.privacy_ is not None:
            stderr.print(f"privacy: {escape(synthesizer.privacy_.summary())}")
            for part in synthesizer.privacy_.parts:
                stderr.print(
                    f"  {escape(part.name)}: ε={part.epsilon:.3g}, δ={part.delta:.2g} "
                    f"({escape(part.mechanism)})"
                )


@app.command()
@handles_user_errors
def sample(
    model_dir: Annotated[Path, typer.Argument(help="A model directory written by `fit`.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="CSV or Parquet file to write.")],
    rows: Annotated[int, typer.Option("-n", "--rows", min=0, help="How many rows.")] = 1000,
    condition: Annotated[
        list[str] | None,
        typer.Option("--condition", "-c", help="Fix a column: column=value (repeatable)."),
    ] = None,
    rebalance: Annotated[
        str | None,
        typer.Option("--rebalance", help="Give this categorical column a uniform class mix."),
    ] = None,
    ratios: Annotated[
        str | None,
        typer.Option("--ratios", help="Class mix for --rebalance: 'a=0.7,b=0.3'."),
    ] = None,
    seed: SeedOption = None,
    as_json: JsonOption = False,
) -> None:
    """Generate synthetic rows from a saved model."""
    from synthera.augment import rebalanced_sample

    synthesizer = Synthesizer.load(model_dir)
    conditions = parse_assignments(condition, "--condition") or None
    if ratios is not None and rebalance is None:
        raise ParameterError("--ratios needs --rebalance COLUMN")
    if rebalance is not None and conditions:
        raise ParameterError("use either --condition or --rebalance, not both")
    started = time.perf_counter()
    if rebalance is not None:
        mix = parse_ratios(ratios) if ratios is not None else None
        table = rebalanced_sample(synthesizer, rows, rebalance, ratios=mix, seed=seed)
    else:
        table = synthesizer.sample(rows, conditions=conditions, seed=seed)
    seconds = time.perf_counter() - started
    write_table(table, out)
    summary = {"out": str(out), "rows": len(table), "sample_seconds": round(seconds, 3)}
    if as_json:
        emit_json(summary)
    else:
        stderr.print(f"wrote {len(table):,} synthetic rows in {seconds:.1f} s → {escape(str(out))}")


@app.command()
def models(as_json: JsonOption = False) -> None:
    """List the models the registry holds."""
    infos = available_synthesizers()
    if as_json:
        emit_json({"models": [info.__dict__ for info in infos]})
        return
    table = Table("model", "available", "description")
    for info in infos:
        table.add_row(info.name, "yes" if info.available else "no", info.description or info.reason)
    Console().print(table)


# ---- demo -----------------------------------------------------------------------------


@app.command()
@handles_user_errors
def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the demo outputs.")] = Path(
        "demo-output"
    ),
    model: Annotated[str | None, typer.Option("--model", "-m", help="Model name.")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 0,
    quiet: QuietOption = False,
) -> None:
    """Fit and sample the built-in real table, offline, and say where everything went."""
    from synthera.datasets import load_demo_table

    builtin = load_demo_table()
    stderr.print(f"demo table: {escape(builtin.source)}")
    train, holdout = split_holdout(builtin.frame, fraction=0.2, seed=seed, stratify=builtin.target)
    schema = Schema.infer(train, target=builtin.target, sensitive=builtin.sensitive)
    for note in schema.notes:
        stderr.print(f"[yellow]note:[/] {escape(note)}")
    synthesizer = get_synthesizer(model)
    started = time.perf_counter()
    with RichProgress(stderr, enabled=not quiet) as progress:
        synthesizer.fit(train, schema, seed=seed, progress=progress)
    fit_seconds = time.perf_counter() - started
    synthetic = synthesizer.sample(len(train), seed=seed)
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "train": write_table(train, out / "train.csv"),
        "holdout": write_table(holdout, out / "holdout.csv"),
        "synthetic": write_table(synthetic, out / "synthetic.csv"),
        "model": synthesizer.save(out / "model"),
    }
    schema.save(out / "schema.json")
    stderr.print(
        f"fitted [bold]{synthesizer.name}[/] on {len(train)} rows × {len(schema.columns)} "
        f"columns in {fit_seconds:.1f} s; sampled {len(synthetic)} rows"
    )
    from synthera.evaluation import evaluate

    with RichProgress(stderr, enabled=not quiet) as progress:
        report = evaluate(train, synthetic, holdout, schema, seed=seed, progress=progress)
    paths["report"] = out / "report.html"
    report.to_html(paths["report"])
    for name, path in paths.items():
        typer.echo(f"{name:>10}: {path}")


def parse_ratios(text: str) -> dict[str, float]:
    """`'>50K=0.3,<=50K=0.7'` -> `{">50K": 0.3, "<=50K": 0.7}`: the last `=` of each part
    separates the class from its weight, so labels may contain `=`."""
    result: dict[str, float] = {}
    for part in text.split(","):
        label, sep, weight = part.strip().rpartition("=")
        try:
            result[label.strip()] = float(weight)
        except ValueError:
            sep = ""
        if not sep or not label.strip():
            raise ParameterError(f"--ratios part {part.strip()!r} must look like class=weight")
    return result


@app.command()
@handles_user_errors
def augment(
    data: Annotated[Path, typer.Argument(help="CSV or Parquet table to augment.")],
    model_dir: Annotated[Path, typer.Argument(help="A model directory written by `fit`.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="CSV or Parquet file to write.")],
    rows: Annotated[
        int | None, typer.Option("-n", "--rows", min=0, help="Add this many synthetic rows.")
    ] = None,
    balance: Annotated[
        str | None,
        typer.Option("--balance", help="Add the rows each class of this column lacks."),
    ] = None,
    mark_column: Annotated[
        str | None,
        typer.Option("--mark-column", help="Add this boolean column: true on synthetic rows."),
    ] = None,
    seed: SeedOption = None,
    delimiter: DelimiterOption = None,
    missing: MissingOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write the table plus synthetic rows (a number of rows, or enough to balance a
    column's classes); the input file is never overwritten."""
    from synthera.augment import augment as augment_table

    if (rows is None) == (balance is None):
        raise ParameterError("give exactly one of --rows N or --balance COLUMN")
    table = _read(data, delimiter, missing)
    synthesizer = Synthesizer.load(model_dir)
    started = time.perf_counter()
    result = augment_table(
        table, synthesizer, rows=rows, balance=balance, mark_column=mark_column, seed=seed
    )
    seconds = time.perf_counter() - started
    write_table(result, out, protect=[data])
    added = len(result) - len(table)
    summary = {"out": str(out), "rows": len(result), "synthetic_rows": added}
    if as_json:
        emit_json({**summary, "sample_seconds": round(seconds, 3)})
    else:
        stderr.print(
            f"wrote {len(table):,} real + {added:,} synthetic rows in {seconds:.1f} s "
            f"→ {escape(str(out))}"
        )


# Command groups register themselves on `app` when imported.
from synthera import (  # noqa: E402
    cli_evaluate,  # noqa: F401  evaluate, compare
    cli_pipeline,  # noqa: F401  run
    cli_privacy,  # noqa: F401  train-private, predict, sweep, audit-privacy
    cli_server,  # noqa: F401  serve, users
    cli_transformers,  # noqa: F401  evaluate-transformers
)


def main() -> None:
    """Console entry point."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
