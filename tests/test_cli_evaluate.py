from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner, Result

from synthera.cli import app
from synthera.io import write_table
from tests.evaluation_data import one_openmp_thread, tables

pytestmark = pytest.mark.usefixtures(one_openmp_thread.__name__)
runner = CliRunner()


def invoke(*args: str | Path) -> Result:
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def csvs(tmp_path: Path) -> dict[str, Path]:
    train, holdout, fresh = tables(300)
    return {
        "train": write_table(train, tmp_path / "train.csv"),
        "holdout": write_table(holdout, tmp_path / "holdout.csv"),
        "synthetic": write_table(fresh, tmp_path / "synthetic.csv"),
        "other": write_table(fresh.sample(frac=1.0, random_state=1), tmp_path / "other.csv"),
    }


def test_evaluate_writes_report_and_json(tmp_path: Path, csvs: dict[str, Path]) -> None:
    out, metrics = tmp_path / "out" / "report.html", tmp_path / "metrics.json"
    result = invoke(
        "evaluate",
        "--real",
        csvs["train"],
        "--synthetic",
        csvs["synthetic"],
        "--holdout",
        csvs["holdout"],
        "--target",
        "high_income",
        "--sensitive",
        "sex,region",
        "--out",
        out,
        "--json",
        metrics,
        "--seed",
        "1",
        "-q",
    )
    assert result.exit_code == 0, result.output
    assert f"report: {out}" in result.stdout and f"metrics: {metrics}" in result.stdout
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    data = json.loads(metrics.read_text(encoding="utf-8"))
    assert data["name"] == "synthetic.csv" and data["settings"]["sensitive"] == ["sex", "region"]
    assert "scorecard" in result.stderr


def test_compare_writes_one_page_for_several_tables(tmp_path: Path, csvs: dict[str, Path]) -> None:
    out = tmp_path / "comparison.html"
    result = invoke(
        "compare",
        "--real",
        csvs["train"],
        "--holdout",
        csvs["holdout"],
        "--target",
        "high_income",
        csvs["synthetic"],
        csvs["other"],
        "--out",
        out,
        "--json",
        tmp_path / "c.json",
        "-q",
    )
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "c.json").read_text(encoding="utf-8"))
    assert data["tables"] == ["synthetic.csv", "other.csv"]
    assert "Comparison of 2 synthetic tables" in out.read_text(encoding="utf-8")


def test_no_holdout_is_announced(tmp_path: Path, csvs: dict[str, Path]) -> None:
    result = invoke(
        "evaluate",
        "--real",
        csvs["train"],
        "--synthetic",
        csvs["synthetic"],
        "--out",
        tmp_path / "r.html",
        "-q",
    )
    assert result.exit_code == 0, result.output
    assert "No holdout was given" in result.stderr


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"target": "salary"}, "target column 'salary' does not exist"),
        ({"drop": "age"}, "missing 'age'"),
        ({"extra": "bonus"}, "extra 'bonus'"),
    ],
)
def test_user_errors_are_one_line(
    tmp_path: Path, csvs: dict[str, Path], change: dict[str, str], message: str
) -> None:
    synthetic = pd.read_csv(csvs["synthetic"])
    if "drop" in change:
        synthetic = synthetic.drop(columns=[change["drop"]])
    if "extra" in change:
        synthetic[change["extra"]] = 1
    path = write_table(synthetic, tmp_path / "changed.csv")
    result = invoke(
        "evaluate",
        "--real",
        csvs["train"],
        "--synthetic",
        path,
        "--holdout",
        csvs["holdout"],
        "--target",
        change.get("target", "high_income"),
        "--out",
        tmp_path / "r.html",
        "-q",
    )
    assert result.exit_code == 1
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_refuses_to_overwrite_an_input(csvs: dict[str, Path]) -> None:
    result = invoke(
        "evaluate",
        "--real",
        csvs["train"],
        "--synthetic",
        csvs["synthetic"],
        "--out",
        csvs["train"],
        "-q",
    )
    assert result.exit_code == 1 and "refusing to write" in result.stderr


def test_demo_ends_with_the_report(tmp_path: Path) -> None:
    result = invoke("demo", "--out", tmp_path / "demo", "-q")
    assert result.exit_code == 0, result.output
    last = result.stdout.strip().splitlines()[-1]
    assert last.split(":", 1)[0].strip() == "report"
    report = Path(last.split(":", 1)[1].strip())
    assert report == tmp_path / "demo" / "report.html" and report.is_file()
