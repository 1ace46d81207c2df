"""The empirical audit: canaries, the membership attack's statistics, and the verdict that
a non-private model leaks while a DP model stays within what its ε allows."""

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
from synthera.io import write_table
from synthera.models import registry
from synthera.privacy.audit import (
    ClassifierTarget,
    GeneratorTarget,
    advantage_bound,
    attack_result,
    make_canaries,
    run_audit,
)
from synthera.schema import Schema
from tests.conftest import make_mixed_table

# An MLP that overfits a 300-row table in a few seconds: the non-private model leaks.
OVERFIT = {"epochs": 60, "batch_size": 32, "hidden": (64,), "learning_rate": 1e-2}


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return make_mixed_table(300, 0).drop(columns=["patient_id", "admitted"])


def test_advantage_bound_follows_from_epsilon_and_delta() -> None:
    assert advantage_bound(0.0, 0.0) == 0.0
    assert advantage_bound(1.0, 0.0) == pytest.approx((math.e - 1) / (math.e + 1))
    assert advantage_bound(1.0, 1e-3) == pytest.approx((math.e - 1 + 2e-3) / (math.e + 1))
    assert advantage_bound(math.inf, 0.0) == 1.0 and advantage_bound(50.0, 0.1) == 1.0


def test_canaries_are_unusual_seeded_and_drawn_alike(table: pd.DataFrame) -> None:
    schema = Schema.infer(table, target="high_income")
    canaries = make_canaries(table, schema, 40, np.random.default_rng(7))
    again = make_canaries(table, schema, 40, np.random.default_rng(7))
    pd.testing.assert_frame_equal(canaries, again)
    assert list(canaries.columns) == list(table.columns) and len(canaries) == 40
    # The column with the most labels carries a label nobody else has.
    assert canaries["diagnosis"].tolist() == [f"canary-{i:03d}" for i in range(40)]
    assert not set(canaries["diagnosis"]) & set(table["diagnosis"])
    assert canaries["age"].between(table["age"].min(), table["age"].max()).all()
    assert set(canaries["region"]) <= set(table["region"])
    assert set(canaries["high_income"]) <= {"yes", "no"}


def test_attack_statistics_on_known_scores() -> None:
    is_member = np.r_[np.ones(20, bool), np.zeros(20, bool)]
    perfect = attack_result("perfect", np.r_[np.ones(20), np.zeros(20)], is_member, None)
    assert perfect.auc == 1.0 and perfect.advantage == 1.0 and perfect.attackable
    # 20/20 hits and 0/20 false alarms prove ε ≥ ln(0.839 / 0.161) at 95 %, no more.
    assert perfect.epsilon_lower_bound == pytest.approx(1.651, abs=0.01)
    assert perfect.advantage_interval[0] == pytest.approx(0.839 - 0.161, abs=0.01)
    noise = np.random.default_rng(0).normal(size=40)
    chance = attack_result("chance", noise, is_member, None)
    assert chance.auc_interval[0] < 0.5 < chance.auc_interval[1]
    assert chance.advantage_interval[0] < 0 < chance.advantage_interval[1]
    assert not chance.attackable


def test_classifier_audit_non_private_leaks_dp_stays_within_epsilon(
    table: pd.DataFrame,
) -> None:
    target = ClassifierTarget("high_income", OVERFIT)
    result = run_audit(table, target, {"epsilon": 1.0, "accountant": "rdp"}, canaries=20, seed=0)
    private, plain = result.private, result.non_private
    assert plain.privacy is None and plain.attackable
    assert plain.auc_interval[0] > 0.6 and plain.advantage > private.bound
    assert private.privacy is not None and private.epsilon is not None
    assert private.epsilon <= 1.0 and private.delta is not None
    assert private.bound == pytest.approx(advantage_bound(private.epsilon, private.delta))
    assert private.within_bound and private.epsilon_lower_bound <= 1.0
    assert len(private.member_scores) == len(private.non_member_scores) == 20
    data = json.loads(result.to_json())
    assert data["private"]["within_bound"] and data["non_private"]["attackable"]
    page = result.to_html()
    assert "Plotly.newPlot" in page and "Membership inference ROC" in page
    assert "within ε" in page and "attackable" in page


def test_generator_audit_with_dp_tvae(table: pd.DataFrame) -> None:
    if not registry.synthesizer_class("tvae").supports_privacy:
        pytest.skip("tvae does not support differential privacy yet")
    params = {"epochs": 30, "batch_size": 100, "compress_dims": [32], "decompress_dims": [32]}
    result = run_audit(
        table.head(150), GeneratorTarget("tvae", params), {"epsilon": 1.0}, canaries=10, seed=0
    )
    private = result.private
    assert private.privacy is not None and private.epsilon is not None
    assert private.epsilon <= 1.0 and private.within_bound
    assert result.non_private.privacy is None


def test_bad_audits_fail_early(table: pd.DataFrame) -> None:
    target = ClassifierTarget("high_income", OVERFIT)
    with pytest.raises(ParameterError, match="at least 2 canaries"):
        run_audit(table, target, {"epsilon": 1.0}, canaries=1)
    with pytest.raises(ParameterError, match="epsilon must be > 0"):
        run_audit(table, target, {"epsilon": 0.0})
    with pytest.raises(ParameterError, match="at least 10 rows"):
        run_audit(table.head(5), target, {"epsilon": 1.0})


def test_audit_command_writes_json_and_report(table: pd.DataFrame, tmp_path: Path) -> None:
    data = write_table(table, tmp_path / "data.csv")
    out = tmp_path / "audit"
    args = ["audit-privacy", str(data), "--model", "classifier", "--target", "high_income"]
    args += ["--epsilon", "1", "--canaries", "10", "--epochs", "20", "-p", "batch_size=32"]
    result = CliRunner().invoke(app, [*args, "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    data_out = json.loads((out / "audit.json").read_text(encoding="utf-8"))
    assert data_out["canaries_per_side"] == 10 and data_out["private"]["privacy"] is not None
    assert "Membership inference ROC" in (out / "report.html").read_text(encoding="utf-8")
    missing = CliRunner().invoke(app, [*args[:4], "--out", str(out)])
    assert missing.exit_code == 1 and "needs --target" in missing.stderr
