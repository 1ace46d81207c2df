"""Running pipelines: every step cached by its inputs, reruns redo only what changed,
an interrupted run resumes, and the demo example runs end to end."""

from __future__ import annotations

import json
import shutil
import textwrap
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from synthera.cli import app
from synthera.io import read_table, write_table
from synthera.pipeline import build_plan, format_plan, load_pipeline, run_pipeline
from synthera.pipeline.cache import MANIFEST, StepCache
from synthera.pipeline.run import RunResult, read_run
from tests.conftest import make_mixed_table
from tests.evaluation_data import one_openmp_thread

pytestmark = pytest.mark.usefixtures(one_openmp_thread.__name__, "one_torch_thread")
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
FAST_LIMITS = """
  limits:
    fidelity_rows: 2000
    detection_rows: 300
    utility_rows: 400
    privacy_rows: 300
    privacy_train_rows: 600
    attacks: 100
"""
runner = CliRunner()


def small_pipeline(
    folder: Path, *, rows_b: int = 150, families: str | None = None, second: bool = True
) -> Path:
    """Copula generators on a made-up table written as CSV beside the file."""
    data = folder / "data" / "people.csv"
    if not data.exists():
        write_table(make_mixed_table(300, seed=3), data)
    generator_b = f"""
          - name: b
            model: gaussian_copula
            params: {{max_knots: 50}}
            sample: {{rows: {rows_b}, conditions: {{sex: Female}}}}"""
    text = f"""
        name: small
        seed: 4
        data:
          path: data/people.csv
        schema:
          target: high_income
          sensitive: [sex]
          drop: [patient_id]
        generators:
          - name: a
            model: gaussian_copula{generator_b if second else ""}
        evaluate:
        """
    body = textwrap.dedent(text).lstrip("\n")
    if families is not None:
        body += f"  families: {families}\n"
    path = folder / "small.yaml"
    path.write_text(body + FAST_LIMITS.lstrip("\n"), "utf-8")
    return path


def statuses(result: RunResult) -> dict[str, str]:
    return {r.step: r.status for r in result.steps}


def test_demo_pipeline_second_run_reuses_every_step(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    seen: list[tuple[str, int, int | None]] = []

    def progress(stage: str, done: int, total: int | None, metrics: Mapping[str, float]) -> None:
        seen.append((stage, done, total))

    first = run_pipeline(load_pipeline(EXAMPLES / "demo.yaml", output=out), progress=progress)
    assert set(statuses(first).values()) == {"ran"}
    assert {"prepare", "fit/copula", "evaluate/tvae", "compare"} <= set(statuses(first))
    # The pipeline's own bar, and each step's work under its step's name.
    assert ("pipeline", len(first.steps), len(first.steps)) in seen
    assert any(stage.startswith("fit/tvae: ") for stage, _, _ in seen)
    report = json.loads((out / "evaluate" / "copula" / "report.json").read_text("utf-8"))
    assert report["name"] == "copula" and report["tables"]["synthetic_rows"] == 275
    assert report["settings"]["target"] == "Species"  # the built-in table's roles
    assert (out / "compare" / "comparison.html").read_text("utf-8").startswith("<!DOCTYPE html>")
    assert len(read_table(out / "sample" / "tvae" / "synthetic.csv")) == 500
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}

    second = run_pipeline(load_pipeline(EXAMPLES / "demo.yaml", output=out))
    assert second.reused_all and statuses(second).keys() == statuses(first).keys()
    changed = [p for p, t in stamps.items() if p.name != "run.json" and p.stat().st_mtime_ns != t]
    assert changed == []  # nothing was rewritten
    record = read_run(out)
    assert {s["status"] for s in record["steps"]} == {"reused"}


@pytest.fixture(scope="module")
def evaluated_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the small pipeline, its data and a finished run with evaluation."""
    folder = tmp_path_factory.mktemp("evaluated")
    result = run_pipeline(load_pipeline(small_pipeline(folder)))
    assert set(statuses(result).values()) == {"ran"}
    return folder


@pytest.fixture
def finished(evaluated_run: Path, tmp_path: Path) -> Path:
    """A copy of the finished run: keys hold no absolute paths, so it is reused as is."""
    copy = tmp_path / "copy"
    shutil.copytree(evaluated_run, copy)
    return copy


def test_a_change_reruns_only_the_steps_that_depend_on_it(finished: Path) -> None:
    path = finished / "small.yaml"
    output = finished / "small-output"
    synthetic = read_table(output / "sample" / "b" / "synthetic.csv")
    assert len(synthetic) == 150 and set(synthetic["sex"]) == {"Female"}
    assert "patient_id" not in read_table(output / "prepare" / "train.parquet").columns
    assert build_plan(load_pipeline(path)).reusable(StepCache(output)) == dict.fromkeys(
        [
            "prepare",
            "fit/a",
            "sample/a",
            "evaluate/a",
            "fit/b",
            "sample/b",
            "evaluate/b",
            "compare",
        ],
        True,
    )

    small_pipeline(finished, rows_b=120)  # one generator's sample size
    second = run_pipeline(load_pipeline(path))
    assert statuses(second) == {
        "prepare": "reused",
        "fit/a": "reused",
        "sample/a": "reused",
        "evaluate/a": "reused",
        "fit/b": "reused",
        "sample/b": "ran",
        "evaluate/b": "ran",
        "compare": "ran",
    }
    assert len(read_table(second.folder("sample/b") / "synthetic.csv")) == 120
    report = json.loads((second.folder("evaluate/b") / "report.json").read_text("utf-8"))
    assert report["tables"]["synthetic_rows"] == 120

    # New bytes in the data file (same name) would redo every step.
    data = finished / "data" / "people.csv"
    write_table(read_table(data).iloc[:-5], data)
    assert not any(build_plan(load_pipeline(path)).reusable(StepCache(output)).values())


def test_a_rerun_gives_the_same_rows_as_the_first_run(tmp_path: Path) -> None:
    path = small_pipeline(tmp_path, families="[]")
    first = run_pipeline(load_pipeline(path, output=tmp_path / "one"))
    again = run_pipeline(load_pipeline(path, output=tmp_path / "two"))
    assert len(first.steps) == 5  # no evaluation asked for
    for step in ("sample/a/synthetic.csv", "sample/b/synthetic.csv", "prepare/schema.json"):
        assert (first.output / step).read_bytes() == (again.output / step).read_bytes()
    assert [r.manifest.key for r in first.steps] == [r.manifest.key for r in again.steps]
    forced = run_pipeline(load_pipeline(path, output=tmp_path / "two"), force=True)
    assert set(statuses(forced).values()) == {"ran"}


def test_an_interrupted_run_resumes_where_it_stopped(tmp_path: Path) -> None:
    pipeline = load_pipeline(small_pipeline(tmp_path, families="[]"))

    def interrupt(stage: str, done: int, total: int | None, metrics: Mapping[str, float]) -> None:
        if stage.startswith("fit/b:"):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_pipeline(pipeline, progress=interrupt)
    out = pipeline.output
    assert (out / "sample" / "a" / MANIFEST).is_file()
    assert not (out / "fit" / "b").exists()
    assert not list(out.rglob("*partial*"))  # the half-written step was removed
    # A harder stop (the process killed) can leave a partial folder behind.
    leftover = out / "fit" / ".b.partial-0000"
    leftover.mkdir()
    (leftover / "model.json").write_text("{", encoding="utf-8")

    lines = format_plan(build_plan(pipeline), StepCache(out))
    assert any(line.split()[:2] == ["run", "fit/b"] for line in lines)
    assert any(line.split()[:2] == ["reuse", "sample/a"] for line in lines)
    resumed = run_pipeline(pipeline)
    ran = [step for step, status in statuses(resumed).items() if status == "ran"]
    assert ran == ["fit/b", "sample/b"]
    assert not leftover.exists()


def test_a_damaged_step_is_redone(tmp_path: Path) -> None:
    path = small_pipeline(tmp_path, families="[]")
    first = run_pipeline(load_pipeline(path))
    model = first.folder("fit/a") / "model" / "weights.safetensors"
    model.write_bytes(model.read_bytes()[:-10])
    (first.folder("sample/b") / MANIFEST).write_text("not json", encoding="utf-8")
    second = run_pipeline(load_pipeline(path))
    ran = [step for step, status in statuses(second).items() if status == "ran"]
    assert ran == ["fit/a", "sample/b"]


def test_families_left_out_are_not_reported(tmp_path: Path) -> None:
    path = small_pipeline(tmp_path, families="[fidelity]", second=False)
    result = run_pipeline(load_pipeline(path))
    assert "compare" not in statuses(result)  # one generator: nothing to compare
    report = json.loads((result.folder("evaluate/a") / "report.json").read_text("utf-8"))
    assert {m["family"] for m in report["metrics"]} == {"fidelity"}
    cards = {c["family"]: c["status"] for c in report["scorecard"]}
    assert cards["fidelity"] != "grey" and cards["privacy"] == "grey"
    assert any("privacy" in note for note in report["notes"])


def test_cli_dry_run_then_run(tmp_path: Path) -> None:
    path = small_pipeline(tmp_path, families="[]")
    plan = runner.invoke(app, ["run", str(path), "--dry-run"])
    assert plan.exit_code == 0, plan.output
    assert "5 of 5 steps to run" in plan.stdout and "fit gaussian_copula" in plan.stdout
    assert not (tmp_path / "small-output").exists()  # a dry run writes nothing

    ran = runner.invoke(app, ["run", str(path), "-q", "--json"])
    assert ran.exit_code == 0, ran.output
    record = json.loads(ran.stdout)
    assert {s["status"] for s in record["steps"]} == {"ran"}
    assert Path(record["outputs"]["sample/b/synthetic.csv"]).is_file()

    again = runner.invoke(app, ["run", str(path), "-q"])
    assert again.exit_code == 0 and "0 step(s) ran, 5 reused" in again.stderr
    assert "sample/a/synthetic.csv: " in again.stdout
    dry = runner.invoke(app, ["run", str(path), "--dry-run"])
    assert "0 of 5 steps to run, 5 reused" in dry.stdout


def test_cli_reports_mistakes_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("data: {builtin: penguins}\ngenerators:\n  - nme: a\n", encoding="utf-8")
    result = runner.invoke(app, ["run", str(path)])
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"error: {path}, line 3: generators[0].nme: unknown key 'nme' (allowed: name, model, "
        "params, privacy, seed, sample); did you mean 'name'? (and 1 more problem)"
    )
    missing_data = small_pipeline(tmp_path, families="[]")
    (tmp_path / "data" / "people.csv").unlink()
    result = runner.invoke(app, ["run", str(missing_data), "--dry-run"])
    assert result.exit_code == 1 and "input file not found" in result.stderr
    assert "Traceback" not in result.output


def test_conditions_on_a_missing_column_fail_clearly(tmp_path: Path) -> None:
    path = small_pipeline(tmp_path, families="[]")
    path.write_text(path.read_text("utf-8").replace("{sex: Female}", "{gender: x}"), "utf-8")
    result = runner.invoke(app, ["run", str(path), "-q"])
    assert result.exit_code == 1 and "gender" in result.stderr
    # The steps before the mistake were kept for the corrected run.
    assert (tmp_path / "small-output" / "fit" / "b" / MANIFEST).is_file()


def test_holdout_file_and_schema_file(tmp_path: Path) -> None:
    train, holdout = make_mixed_table(240, seed=5), make_mixed_table(80, seed=6)
    write_table(train, tmp_path / "train.csv")
    write_table(holdout, tmp_path / "holdout.csv")
    from synthera.schema import Schema

    Schema.infer(train, target="high_income").save(tmp_path / "schema.json")
    path = tmp_path / "given.yaml"
    path.write_text(
        textwrap.dedent(
            """
            data: {path: train.csv}
            schema: {file: schema.json, kinds: {region: categorical}, drop: [patient_id]}
            split: {holdout_path: holdout.csv}
            generators: [{name: a, model: gaussian_copula}]
            evaluate: {families: []}
            """
        ).lstrip("\n"),
        encoding="utf-8",
    )
    result = run_pipeline(load_pipeline(path))
    prepared = result.folder("prepare")
    assert len(pd.read_parquet(prepared / "holdout.parquet")) == 80
    schema = Schema.load(prepared / "schema.json")
    assert schema.target == "high_income" and "patient_id" not in schema.names
    # Editing the schema file reruns from the start.
    Schema.infer(train, target="smoker").save(tmp_path / "schema.json")
    assert statuses(run_pipeline(load_pipeline(path)))["prepare"] == "ran"
