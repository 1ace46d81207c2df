"""`synthera run pipeline.yaml`: a whole run from one YAML file, each step cached.

Registered on `synthera.cli.app` when `synthera.cli` imports this module. The plan and
progress go to stderr; stdout gets the output paths (or JSON with `--json`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from synthera.cli import JsonOption, QuietOption, app, emit_json, handles_user_errors, stderr
from synthera.progress_bar import RichProgress


@app.command("run")
@handles_user_errors
def run_command(
    pipeline_file: Annotated[Path, typer.Argument(help="The pipeline YAML file.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the steps and which would be reused; run none.")
    ] = False,
    track: Annotated[
        bool | None,
        typer.Option("--track/--no-track", help="Log the run to MLflow (overrides the file)."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Output folder (overrides the file).")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Rerun every step, even those that could be reused.")
    ] = False,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Run a pipeline file: data, split, generators, evaluations, reports; steps whose
    inputs and settings did not change since the last run are reused."""
    from synthera.pipeline import build_plan, format_plan, load_pipeline, run_pipeline
    from synthera.pipeline.cache import StepCache

    pipeline = load_pipeline(pipeline_file, output=out, track=track)
    if dry_run:
        plan = build_plan(pipeline)
        for line in format_plan(plan, StepCache(pipeline.output)):
            typer.echo(line)
        return
    with RichProgress(stderr, enabled=not quiet) as progress:
        result = run_pipeline(pipeline, progress=progress, force=force)
    if as_json:
        emit_json(result.to_dict() | {"outputs": {k: str(v) for k, v in result.outputs().items()}})
        return
    table = Table("step", "status", "seconds", title=f"pipeline {escape(pipeline.name)}")
    for step in result.steps:
        colour = "green" if step.status == "ran" else "bright_black"
        seconds = f"{step.seconds:.1f}" if step.status == "ran" else ""
        table.add_row(escape(step.step), f"[{colour}]{step.status}[/]", seconds)
    stderr.print(table)
    reused = sum(s.status == "reused" for s in result.steps)
    stderr.print(
        f"{len(result.steps) - reused} step(s) ran, {reused} reused, in {result.seconds:.1f} s"
    )
    if result.tracking:
        stderr.print(
            f"MLflow run {result.tracking['run_id']} at {escape(str(result.tracking['uri']))}"
        )
    for name, path in result.outputs().items():
        typer.echo(f"{name}: {path}")
