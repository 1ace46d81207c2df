"""`synthera evaluate` and `synthera compare`: the evaluation suite on the command line.

Registered on `synthera.cli.app` when `synthera.cli` imports this module. The heavy
imports (scikit-learn, Plotly) happen inside the commands, so `synthera --help` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from synthera.cli import (
    DelimiterOption,
    MissingOption,
    QuietOption,
    SensitiveOption,
    TargetOption,
    _read,
    _split_names,
    app,
    handles_user_errors,
    stderr,
)
from synthera.errors import ParameterError
from synthera.progress_bar import RichProgress
from synthera.schema import Schema

if TYPE_CHECKING:
    from synthera.report.generator import GeneratorInfo
    from synthera.report.report import FamilyScore
    from synthera.transformer_eval import TransformerOptions

RealOption = Annotated[
    Path, typer.Option("--real", help="The real table the generator was trained on.")
]
HoldoutOption = Annotated[
    Path | None,
    typer.Option(
        "--holdout", help="Real rows the generator never saw (split from --real if omitted)."
    ),
]
SchemaOption = Annotated[
    Path | None, typer.Option("--schema", help="Schema JSON (inferred from --real if omitted).")
]
EvalSeedOption = Annotated[int, typer.Option("--seed", help="Random seed (reproducible).")]
JsonPathOption = Annotated[
    Path | None, typer.Option("--json", help="Also write every metric as JSON to this file.")
]
TransformersOption = Annotated[
    str | None,
    typer.Option(
        "--transformers",
        help="Also fine-tune these models on real vs synthetic rows: 'default' or checkpoint "
        "directories, comma-separated (see `evaluate-transformers`; needs the extra).",
    ),
]
COLOURS = {"green": "green", "amber": "yellow", "red": "red", "grey": "bright_black"}
MODEL_HELP = (
    "The model directory (written by `fit`) that generated {what}: the report states its "
    "privacy guarantee, or that it has none."
)


def _schema(schema_file: Path | None, target: str | None, sensitive: str | None) -> Schema | None:
    if schema_file is None:
        return None
    schema = Schema.load(schema_file)
    if target or sensitive:
        schema = schema.with_overrides(target=target, sensitive=_split_names(sensitive) or None)
    return schema


def _check_outputs(outputs: list[Path | None], inputs: list[Path | None]) -> None:
    """Refuse to write a report over one of the input tables."""
    for out in outputs:
        if out is None:
            continue
        if out.is_dir():
            raise ParameterError(f"cannot write {out}: it is a folder")
        for source in inputs:
            if source is not None and out.exists() and source.exists() and out.samefile(source):
                raise ParameterError(f"refusing to write {out}: it is the input table {source}")


def _generator(model_dir: Path | None) -> GeneratorInfo | None:
    """What the saved model's header says about it; None without a model directory."""
    if model_dir is None:
        return None
    from synthera.report.generator import GeneratorInfo

    return GeneratorInfo.from_model_dir(model_dir)


def _print_privacy(name: str, generator: GeneratorInfo | None) -> None:
    if generator is None:
        return
    ledger = generator.privacy
    said = "trained without differential privacy" if ledger is None else ledger.summary()
    stderr.print(f"privacy of {escape(name)}: {escape(said)}")


def _print_scorecard(title: str, cards: list[FamilyScore]) -> None:
    table = Table(title=title, title_justify="left")
    table.add_column("family")
    table.add_column("verdict")
    table.add_column("headline")
    for card in cards:
        colour = COLOURS[card.status]
        table.add_row(card.family, f"[{colour}]{card.status}[/]", escape(card.headline))
    stderr.print(table)


@app.command()
@handles_user_errors
def evaluate(
    real: RealOption,
    synthetic: Annotated[Path, typer.Option("--synthetic", help="The synthetic table to judge.")],
    holdout: HoldoutOption = None,
    target: TargetOption = None,
    sensitive: SensitiveOption = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="HTML report to write.")] = Path(
        "report.html"
    ),
    json_out: JsonPathOption = None,
    schema_file: SchemaOption = None,
    seed: EvalSeedOption = 0,
    delimiter: DelimiterOption = None,
    missing: MissingOption = None,
    quiet: QuietOption = False,
    transformers: TransformersOption = None,
    model_dir: Annotated[
        Path | None, typer.Option("--model", help=MODEL_HELP.format(what="--synthetic"))
    ] = None,
) -> None:
    """Judge a synthetic table: fidelity, utility, privacy and fairness, each beside its
    real-vs-real reference, as an HTML report (and JSON)."""
    from synthera.evaluation import evaluate as run_evaluation

    _check_outputs([out, json_out], [real, synthetic, holdout])
    generator = _generator(model_dir)  # a bad model directory fails before any work
    real_table = _read(real, delimiter, missing)
    synthetic_table = _read(synthetic, delimiter, missing)
    holdout_table = _read(holdout, delimiter, missing) if holdout is not None else None
    schema = _schema(schema_file, target, sensitive)
    with RichProgress(stderr, enabled=not quiet) as progress:
        report = run_evaluation(
            real_table,
            synthetic_table,
            holdout=holdout_table,
            schema=schema,
            target=target,
            sensitive=_split_names(sensitive) or None,
            seed=seed,
            progress=progress,
            name=synthetic.name,
            transformers=_transformer_options(transformers),
            generator=generator,
        )
    for note in report.notes:
        stderr.print(f"[yellow]note:[/] {escape(note)}")
    _print_privacy(synthetic.name, generator)
    _print_scorecard(f"scorecard: {escape(synthetic.name)}", report.scorecard)
    report.to_html(out)
    typer.echo(f"report: {out}")
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(report.to_json() + "\n", encoding="utf-8")
        typer.echo(f"metrics: {json_out}")


def _transformer_options(models: str | None) -> TransformerOptions | None:
    if models is None:
        return None
    from synthera.transformer_eval import TransformerOptions

    return TransformerOptions(models=tuple(_split_names(models)))


def _unique_names(paths: list[Path]) -> list[str]:
    """File names, made unique by their folder (or a number) where two are alike."""
    names = [p.name for p in paths]
    if len(set(names)) == len(names):
        return names
    names = [f"{p.parent.name}/{p.name}" if names.count(p.name) > 1 else p.name for p in paths]
    return [n if names.count(n) == 1 else f"{n} ({i + 1})" for i, n in enumerate(names)]


@app.command()
@handles_user_errors
def compare(
    synthetic: Annotated[list[Path], typer.Argument(help="Synthetic tables to compare.")],
    real: RealOption,
    holdout: HoldoutOption = None,
    target: TargetOption = None,
    sensitive: SensitiveOption = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="HTML comparison to write.")] = Path(
        "comparison.html"
    ),
    json_out: JsonPathOption = None,
    schema_file: SchemaOption = None,
    seed: EvalSeedOption = 0,
    delimiter: DelimiterOption = None,
    missing: MissingOption = None,
    quiet: QuietOption = False,
    transformers: TransformersOption = None,
    model_dirs: Annotated[
        list[Path] | None,
        typer.Option(
            "--model",
            help=MODEL_HELP.format(what="each synthetic table")
            + " Repeat it once per table, in the tables' order.",
        ),
    ] = None,
) -> None:
    """Evaluate several synthetic tables on the same split and seed, side by side."""
    from synthera.evaluation import compare as run_comparison
    from synthera.report.generator import GeneratorInfo

    _check_outputs([out, json_out], [real, holdout, *synthetic])
    names = _unique_names(synthetic)
    if model_dirs and len(model_dirs) != len(synthetic):
        raise ParameterError(
            f"--model was given {len(model_dirs)} time(s) for {len(synthetic)} synthetic "
            "tables: give one model directory per table, in the same order, or none"
        )
    generators = {
        name: GeneratorInfo.from_model_dir(model_dir)
        for name, model_dir in zip(names, model_dirs or [], strict=False)
    }
    real_table = _read(real, delimiter, missing)
    holdout_table = _read(holdout, delimiter, missing) if holdout is not None else None
    tables = {
        name: _read(path, delimiter, missing) for name, path in zip(names, synthetic, strict=True)
    }
    schema = _schema(schema_file, target, sensitive)
    with RichProgress(stderr, enabled=not quiet) as progress:
        comparison = run_comparison(
            real_table,
            tables,
            holdout=holdout_table,
            schema=schema,
            target=target,
            sensitive=_split_names(sensitive) or None,
            seed=seed,
            progress=progress,
            transformers=_transformer_options(transformers),
            generators=generators,
        )
    for note in comparison.notes:
        stderr.print(f"[yellow]note:[/] {escape(note)}")
    for report in comparison.reports:
        _print_privacy(report.name, report.generator)
        _print_scorecard(f"scorecard: {escape(report.name)}", report.scorecard)
    comparison.to_html(out)
    typer.echo(f"comparison: {out}")
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(comparison.to_json() + "\n", encoding="utf-8")
        typer.echo(f"metrics: {json_out}")
