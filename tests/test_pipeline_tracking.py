"""Pipeline runs logged to MLflow, read back through MLflow's own client."""

from __future__ import annotations

import importlib.util
import json
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from synthera.cli import app
from synthera.io import write_table
from synthera.pipeline import load_pipeline, run_pipeline
from synthera.pipeline.tracking import TrackingError, tracking_location
from tests.conftest import make_mixed_table
from tests.evaluation_data import one_openmp_thread

pytestmark = pytest.mark.usefixtures(one_openmp_thread.__name__)
needs_mlflow = pytest.mark.skipif(
    any(importlib.util.find_spec(m) is None for m in ("mlflow", "sqlalchemy", "alembic")),
    reason="the tracking extra is not installed: pip install 'synthera[tracking]'",
)


@pytest.fixture(autouse=True)
def _no_outside_store(monkeypatch: pytest.MonkeyPatch) -> None:
    """A tracking URI from the environment would send test runs elsewhere."""
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)


def tracked_pipeline(folder: Path, *, uri: str | None = None) -> Path:
    write_table(make_mixed_table(240, seed=8), folder / "people.csv")
    tracking = f"\n  uri: {uri}" if uri else ""
    text = """
        name: tracked
        data: {path: people.csv}
        schema: {target: high_income, sensitive: [sex], drop: [patient_id]}
        generators:
          - name: copula
            model: gaussian_copula
            params: {max_knots: 40}
        evaluate:
          families: [fidelity, utility, privacy, fairness]
          limits: {detection_rows: 300, utility_rows: 300, privacy_rows: 300, attacks: 100}
        tracking:
          enabled: true
          experiment: synthera-tests"""
    path = folder / "tracked.yaml"
    path.write_text(textwrap.dedent(text).lstrip("\n") + tracking + "\n", encoding="utf-8")
    return path


@needs_mlflow
def test_run_is_logged_and_read_back(tmp_path: Path) -> None:
    from mlflow import MlflowClient

    result = run_pipeline(load_pipeline(tracked_pipeline(tmp_path)))
    tracking = result.tracking
    assert tracking["uri"] == f"sqlite:///{(tmp_path / 'tracked-output' / 'mlflow.db').as_posix()}"
    client = MlflowClient(tracking_uri=tracking["uri"])
    parent = client.get_run(tracking["run_id"])
    assert parent.info.status == "FINISHED" and parent.info.run_name == "tracked"
    assert parent.data.params["target"] == "high_income"
    assert parent.data.params["generators"] == "copula"
    assert parent.data.tags["synthera.steps_reused"] == "0 of 4"

    child = client.get_run(tracking["generator_runs"]["copula"])
    assert child.data.tags["mlflow.parentRunId"] == parent.info.run_id
    assert child.data.params["model"] == "gaussian_copula"
    assert child.data.params["params.max_knots"] == "40"
    report = json.loads((result.folder("evaluate/copula") / "report.json").read_text("utf-8"))
    logged = child.data.metrics
    for metric in report["metrics"]:
        if metric["value"] is not None:
            assert logged[metric["name"]] == pytest.approx(metric["value"])
        if metric["reference"] is not None:
            assert logged[f"{metric['name']}_reference"] == pytest.approx(metric["reference"])
    assert 0 < logged["fidelity_score"] <= 100 and logged["fit_seconds"] >= 0
    cards = {c["family"]: c["status"] for c in report["scorecard"]}
    assert child.data.tags["scorecard.utility"] == cards["utility"]

    artifacts = {a.path for a in client.list_artifacts(child.info.run_id)}
    assert artifacts == {"model", "reports"}
    model_files = {Path(a.path).name for a in client.list_artifacts(child.info.run_id, "model")}
    assert model_files == {"model.json", "weights.safetensors"}
    # Artifacts live in the output folder, nothing outside tmp_path.
    assert list((tmp_path / "tracked-output" / "mlartifacts").rglob("report.html"))

    # A second run reuses every step and is logged as a new run with the same metrics.
    again = run_pipeline(load_pipeline(tracked_pipeline(tmp_path)))
    assert again.reused_all and again.tracking["run_id"] != tracking["run_id"]
    rerun = client.get_run(again.tracking["generator_runs"]["copula"])
    assert rerun.data.metrics["fidelity_score"] == logged["fidelity_score"]
    assert client.get_run(again.tracking["run_id"]).data.tags["synthera.steps_reused"] == "4 of 4"


def test_tracking_uri_from_the_file_then_the_environment_then_local(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, base = tmp_path / "out", tmp_path / "pipelines"
    assert tracking_location(None, out, base) == (
        f"sqlite:///{(out / 'mlflow.db').as_posix()}",
        (out / "mlartifacts").as_uri(),
    )
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://tracking.example:5000")
    assert tracking_location(None, out, base) == ("http://tracking.example:5000", None)
    # A relative SQLite path in the file is read from the file's folder, and its artifacts
    # stay beside the database rather than under the current directory.
    assert tracking_location("sqlite:///runs/all.db", out, base) == (
        f"sqlite:///{(base / 'runs' / 'all.db').as_posix()}",
        (base / "runs" / "mlartifacts").as_uri(),
    )
    pipeline = load_pipeline(tracked_pipeline(tmp_path, uri="sqlite:///from-file.db"))
    assert pipeline.config.tracking.uri == "sqlite:///from-file.db"


def test_missing_mlflow_fails_before_any_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_find_spec = importlib.util.find_spec

    def without_mlflow(name: str, *args: object) -> object:
        return None if name == "mlflow" else real_find_spec(name)

    monkeypatch.setattr(importlib.util, "find_spec", without_mlflow)
    path = tracked_pipeline(tmp_path)
    with pytest.raises(TrackingError, match=r"pip install 'synthera\[tracking\]'"):
        run_pipeline(load_pipeline(path))
    assert not (tmp_path / "tracked-output").exists()
    result = CliRunner().invoke(app, ["run", str(path), "--no-track", "--dry-run"])
    assert result.exit_code == 0 and "tracking off" in result.stdout
