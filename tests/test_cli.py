from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner, Result

from synthera.cli import app
from synthera.io import read_table, write_table

runner = CliRunner()


@pytest.fixture
def data_csv(tmp_path: Path, mixed_table: pd.DataFrame) -> Path:
    return write_table(mixed_table, tmp_path / "data.csv")


def invoke(*args: str | Path) -> Result:
    return runner.invoke(app, [str(a) for a in args])


def test_schema_infer_then_fit_then_sample(tmp_path: Path, data_csv: Path) -> None:
    result = invoke("schema", "infer", data_csv, "--target", "high_income", "--sensitive", "sex")
    assert result.exit_code == 0, result.output
    schema = json.loads(result.stdout)
    assert schema["target"] == "high_income" and schema["sensitive"] == ["sex"]
    kinds = {c["name"]: c["kind"] for c in schema["columns"]}
    assert kinds["patient_id"] == "id" and kinds["admitted"] == "datetime"
    # a user edits the schema: treat age as categorical
    for column in schema["columns"]:
        if column["name"] == "age":
            column["kind"] = "categorical"
    schema_file = tmp_path / "schema.json"
    schema_file.write_text(json.dumps(schema))

    model_dir = tmp_path / "model"
    result = invoke(
        "fit", data_csv, "--model", "gaussian_copula", "--schema", schema_file,
        "--out", model_dir, "--seed", "7", "--param", "max_knots=200", "--json", "-q",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["model"] == "gaussian_copula" and summary["rows"] == 600
    saved = json.loads((model_dir / "model.json").read_text())
    assert saved["params"]["max_knots"] == 200
    assert saved["schema"]["columns"][1]["kind"] == "categorical"

    out = tmp_path / "synthetic.csv"
    result = invoke("sample", model_dir, "-n", "250", "--out", out, "--seed", "7", "--json")
    assert result.exit_code == 0, result.output
    synthetic = read_table(out)
    assert len(synthetic) == 250 and list(synthetic.columns) == schema_names(schema)
    again = tmp_path / "again.csv"
    assert invoke("sample", model_dir, "-n", "250", "--out", again, "--seed", "7").exit_code == 0
    assert out.read_bytes() == again.read_bytes()  # same seed, same rows


def schema_names(schema: dict) -> list[str]:
    return [c["name"] for c in schema["columns"]]


def test_sample_with_conditions(tmp_path: Path, data_csv: Path) -> None:
    model_dir = tmp_path / "model"
    assert invoke("fit", data_csv, "--out", model_dir, "--seed", "1", "-q").exit_code == 0
    out = tmp_path / "women.csv"
    result = invoke("sample", model_dir, "-n", "50", "--condition", "sex=Female", "--out", out)
    assert result.exit_code == 0, result.output
    assert (read_table(out)["sex"] == "Female").all()
    result = invoke("sample", model_dir, "-n", "5", "-c", "sex=Robot", "--out", out)
    assert result.exit_code == 1
    assert "sex='Robot'" in result.stderr


def test_models_lists_the_registry() -> None:
    result = invoke("models", "--json")
    assert result.exit_code == 0
    names = {m["name"] for m in json.loads(result.stdout)["models"]}
    assert "gaussian_copula" in names
    assert "gaussian_copula" in invoke("models").stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["fit", "missing.csv", "--out", "m"], "missing.csv"),
        (["fit", "{data}", "--out", "{tmp}/m", "--model", "nope"], "no model named 'nope'"),
        (["fit", "{data}", "--out", "{tmp}/m", "--param", "bogus"], "name=value"),
        (["fit", "{data}", "--out", "{tmp}/m", "--param", "epochs=3"], "no parameter 'epochs'"),
        (["fit", "{data}", "--out", "{tmp}/m", "--target", "salary"], "'salary' does not exist"),
        (["sample", "{tmp}/nowhere", "--out", "{tmp}/s.csv"], "model directory not found"),
        (["schema", "infer", "{tmp}/empty.csv"], "empty.csv"),
    ],
)
def test_user_errors_exit_1_with_one_line(
    args: list[str], message: str, tmp_path: Path, data_csv: Path
) -> None:
    (tmp_path / "empty.csv").write_text("")
    filled = [a.format(data=data_csv, tmp=tmp_path) for a in args]
    result = runner.invoke(app, filled)
    assert result.exit_code == 1, result.output
    assert message in result.stderr
    assert result.stderr.strip().count("\n") == 0  # one line, no traceback
    assert "Traceback" not in result.output


def test_usage_errors_exit_2() -> None:
    assert invoke("fit").exit_code == 2
    assert invoke("sample", "m", "-n", "-5", "--out", "x.csv").exit_code == 2
    assert invoke("no-such-command").exit_code == 2


def test_version() -> None:
    result = invoke("--version")
    assert result.exit_code == 0 and result.stdout.startswith("synthera ")


def test_demo_runs_offline(tmp_path: Path) -> None:
    result = invoke("demo", "--out", tmp_path / "demo", "-q")
    assert result.exit_code == 0, result.output
    synthetic = read_table(tmp_path / "demo" / "synthetic.csv")
    train = read_table(tmp_path / "demo" / "train.csv")
    assert len(synthetic) == len(train) > 200
    assert set(synthetic["Species"]) <= set(train["Species"])
    assert (tmp_path / "demo" / "model" / "model.json").is_file()
    assert "synthetic:" in result.stdout


def test_console_script_entry_point(tmp_path: Path) -> None:
    """The installed `synthera` command, run as a real process, exits 1 on a user error."""
    process = subprocess.run(
        [sys.executable, "-m", "synthera", "fit", str(tmp_path / "absent.csv"), "--out", "m"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert process.returncode == 1
    assert process.stderr.startswith("error:") and "absent.csv" in process.stderr
