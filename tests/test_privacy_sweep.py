"""The ε sweep: one fit and one evaluation per ε on a shared holdout, a table, a chart."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from synthera.cli import app
from synthera.errors import ParameterError
from synthera.io import read_table, write_table
from synthera.models import registry
from synthera.models.copula import GaussianCopula
from synthera.privacy.ledger import BudgetPart, PrivacyLedger
from synthera.privacy.spec import PrivacySpec
from synthera.privacy.sweep import run_sweep
from synthera.progress import ProgressCallback
from synthera.schema import Schema
from tests.conftest import make_mixed_table
from tests.evaluation_data import FAST, one_openmp_thread

pytestmark = pytest.mark.usefixtures(one_openmp_thread.__name__)


class NoisyCopula(GaussianCopula):
    """Test stand-in for a private model (it is NOT differentially private): the copula,
    with each sampled cell replaced by another sampled row's value with probability
    e^(−ε), so that fidelity visibly falls as ε shrinks. Refuses ε below 0.1 as a model
    with too small a budget does."""

    name = "test_noisy_copula"
    supports_privacy = True

    def _fit_private(
        self,
        df: pd.DataFrame,
        schema: Schema,
        rng: np.random.Generator,
        progress: ProgressCallback | None,
        spec: PrivacySpec,
    ) -> PrivacyLedger:
        if spec.epsilon < 0.1:
            raise ParameterError(f"ε={spec.epsilon:g} is too small for this test model")
        self._fit(df, schema, rng, progress)
        self.scramble_ = math.exp(-spec.epsilon)
        delta = spec.resolved_delta(len(df))
        part = BudgetPart("test", spec.epsilon * 0.9, delta, "test stand-in, not DP")
        return PrivacyLedger(spec.epsilon, delta, spec.accountant, (part,))

    def _sample(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        rows = super()._sample(n, rng)
        share = getattr(self, "scramble_", 0.0)
        if self.privacy_ is None or share == 0.0 or n == 0:
            return rows
        for column in rows.columns:
            swap = rng.random(n) < share
            donors = rows[column].to_numpy()[rng.integers(0, n, n)]
            rows[column] = rows[column].where(~swap, donors)
        return rows


@pytest.fixture
def noisy_model(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setitem(registry._registered, NoisyCopula.name, NoisyCopula)
    return NoisyCopula.name


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return make_mixed_table(500, 0)


def test_one_point_per_epsilon_on_one_holdout(table: pd.DataFrame, noisy_model: str) -> None:
    stages: list[str] = []
    result = run_sweep(
        table,
        noisy_model,
        [math.inf, 3.0, 0.05, 0.3],
        target="high_income",
        seed=0,
        limits=FAST,
        progress=lambda stage, done, total, metrics: stages.append(stage),
    )
    assert [p.epsilon for p in result.points] == [0.05, 0.3, 3.0, math.inf]
    assert result.train_rows == 400 and result.holdout_rows == 100
    refused, *fitted = result.points
    assert refused.error is not None and "too small" in refused.error
    assert any("ε=0.05" in note for note in result.notes)
    for point in fitted:
        assert point.error is None and point.fit_seconds is not None
        for name in ("fidelity_score", "tstr_roc_auc", "mia_distance_auc", "dcr_share"):
            value = point.values[name]
            assert value is not None and math.isfinite(value), name
    spent = [p.epsilon_spent for p in fitted]
    assert spent[:2] == pytest.approx([0.27, 2.7]) and spent[2] is None  # inf: no ledger
    # One evaluator: every point is judged against the same real-vs-real reference.
    assert len({p.references["fidelity_score"] for p in fitted}) == 1
    fidelity = [p.values["fidelity_score"] or 0.0 for p in fitted]
    assert fidelity[0] < fidelity[1] <= fidelity[2] + 1.0  # more scrambled at small ε
    table_ = result.table()
    assert list(table_["epsilon"]) == [0.05, 0.3, 3.0, math.inf]
    assert {"fidelity_score", "fidelity_score_reference", "mia_distance_auc"} <= set(table_)
    assert "sweep" in stages and any(s.startswith("evaluate") for s in stages)


def test_html_report_holds_the_tradeoff_chart(table: pd.DataFrame, noisy_model: str) -> None:
    result = run_sweep(table, noisy_model, [1.0, math.inf], target="high_income", limits=FAST)
    page = result.to_html()
    assert page.startswith("<!DOCTYPE html>") and "Plotly.newPlot" in page
    assert 'id="chart-1"' in page and "utility trade-off of test_noisy_copula" in page
    for trace in ("Fidelity score (0–100)", "ideal: coin flip (0.5)", "real vs real"):
        assert trace in page
    assert "∞ (no DP)" in page and "What each ε covers" in page
    data = json.loads(result.to_json())
    assert [p["epsilon"] for p in data["points"]] == [1.0, None]
    assert data["points"][0]["privacy"]["parts"][0]["name"] == "test"


def test_bad_sweeps_fail_early(table: pd.DataFrame, noisy_model: str) -> None:
    with pytest.raises(ParameterError, match="cannot train with differential privacy"):
        run_sweep(table, "gaussian_copula", [1.0], limits=FAST)
    with pytest.raises(ParameterError, match="> 0"):
        run_sweep(table, noisy_model, [0.0, 1.0], limits=FAST)
    with pytest.raises(ParameterError, match="has no parameter"):
        run_sweep(table, noisy_model, [1.0], params={"nope": 1}, limits=FAST)


def test_sweep_command_writes_table_json_and_report(
    table: pd.DataFrame, noisy_model: str, tmp_path: Path
) -> None:
    data = write_table(table, tmp_path / "data.csv")
    out = tmp_path / "sweep"
    args = ["sweep", str(data), "--model", noisy_model, "--epsilons", "0.5,inf"]
    result = CliRunner().invoke(app, [*args, "--target", "high_income", "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    rows = read_table(out / "sweep.csv")
    assert len(rows) == 2 and rows["epsilon"].iloc[0] == 0.5
    assert json.loads((out / "sweep.json").read_text())["model"] == noisy_model
    assert "Plotly.newPlot" in (out / "report.html").read_text(encoding="utf-8")
    bad = CliRunner().invoke(app, [*args[:4], "--epsilons", "1,x", "--out", str(out)])
    assert bad.exit_code == 1 and "'x' is not a number" in bad.stderr


@pytest.mark.usefixtures("one_torch_thread")
def test_sweep_runs_dp_tvae(table: pd.DataFrame) -> None:
    if not registry.synthesizer_class("tvae").supports_privacy:
        pytest.skip("tvae does not support differential privacy yet")
    params = {"epochs": 2, "batch_size": 100, "compress_dims": [16], "decompress_dims": [16]}
    result = run_sweep(
        table, "tvae", [2.0, math.inf], target="high_income", params=params, limits=FAST
    )
    private, plain = result.points
    assert private.error is None and plain.error is None
    assert private.epsilon_spent is not None and private.epsilon_spent <= 2.0
    assert all(v is not None for v in private.values.values())
