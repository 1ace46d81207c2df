"""The DP classifier: private preprocessing, DP-SGD accounting that matches Opacus, the
non-private twin, model files, and the `train-private` / `predict` commands."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from opacus.accountants import create_accountant
from opacus.accountants.utils import get_noise_multiplier
from typer.testing import CliRunner

from synthera.cli import app
from synthera.errors import ColumnNotFoundError, ModelFileError, ParameterError
from synthera.io import read_table, write_table
from synthera.models.registry import get_synthesizer
from synthera.privacy.classifier import PrivateClassifier, quiet_opacus, train_with_baseline
from synthera.privacy.classifier_features import FeatureColumn
from synthera.schema import ColumnKind, Schema
from tests.conftest import make_mixed_table

FAST: dict[str, Any] = {"epochs": 10, "batch_size": 64, "hidden": (16,), "learning_rate": 1e-2}
TARGET = "high_income"


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return make_mixed_table(600, 0).drop(columns=["patient_id"])


def declared_schema(df: pd.DataFrame) -> Schema:
    """Every bound and category declared: public knowledge, so preprocessing costs no ε."""
    schema = Schema.infer(df, target=TARGET)
    columns = []
    for spec in schema.columns:
        if spec.kind in (ColumnKind.NUMERIC, ColumnKind.INTEGER):
            columns.append(replace(spec, lower=0.0, upper=float(np.nanmax(df[spec.name])) + 1))
        elif spec.kind is ColumnKind.DATETIME:  # bounds in days since 1970
            columns.append(replace(spec, lower=15_000.0, upper=20_000.0))
        elif spec.kind in (ColumnKind.CATEGORICAL, ColumnKind.BOOLEAN):
            labels = sorted(df[spec.name].dropna().astype(str).unique())
            columns.append(replace(spec, categories=tuple(labels)))
        else:
            columns.append(spec)
    return replace(schema, columns=tuple(columns))


def test_non_private_classifier_beats_chance(table: pd.DataFrame) -> None:
    result = train_with_baseline(
        table, TARGET, privacy={"epsilon": 2.0, "accountant": "rdp"}, seed=0, **FAST
    )
    assert result.train_rows == 480 and result.holdout_rows == 120
    # high_income is income above its median: income is an input, so this is learnable.
    baseline = result.scores["non_private"]
    assert baseline["roc_auc"] is not None and baseline["roc_auc"] > 0.8
    assert baseline["accuracy"] is not None and baseline["accuracy"] > 0.7
    assert result.baseline.privacy_ is None
    ledger = result.private.privacy_
    assert ledger is not None and ledger.epsilon_spent <= 2.0


@pytest.mark.parametrize("accountant", ["rdp", "prv"])
def test_reported_epsilon_is_what_opacus_accountant_computes(
    table: pd.DataFrame, accountant: str
) -> None:
    schema = declared_schema(table)  # all of ε goes to DP-SGD
    model = PrivateClassifier(TARGET, epochs=2, batch_size=100, hidden=(8,))
    model.fit(table, schema, privacy={"epsilon": 3.0, "accountant": accountant}, seed=1)
    ledger, training = model.privacy_, model.training_
    assert ledger is not None and training is not None
    assert [p.name for p in ledger.parts] == ["training"]
    assert ledger.delta_target == pytest.approx(1 / (10 * len(table)))
    # Opacus' own numbers for the same settings: sampling rate 1/⌈600/100⌉, 2 epochs.
    assert training.sample_rate == pytest.approx(1 / 6) and training.steps == 12
    # Nothing else read the rows, so DP-SGD had the whole (ε, δ).
    delta = ledger.delta_target
    assert ledger.parts[0].delta == delta
    with quiet_opacus():
        sigma = get_noise_multiplier(
            target_epsilon=3.0,
            target_delta=delta,
            sample_rate=1 / 6,
            epochs=2,
            accountant=accountant,
        )
        check = create_accountant(accountant)
        check.history = [(sigma, 1 / 6, 12)]
        expected = check.get_epsilon(delta=delta)
    assert training.noise_multiplier == pytest.approx(sigma)
    assert ledger.parts[0].epsilon == pytest.approx(expected, rel=1e-9)
    assert expected <= 3.0 and ledger.epsilon_spent <= ledger.epsilon_target


def test_private_preprocessing_is_in_the_ledger(table: pd.DataFrame) -> None:
    model = PrivateClassifier(TARGET, **FAST).fit(
        table, privacy={"epsilon": 4.0, "accountant": "rdp"}, seed=0
    )
    ledger = model.privacy_
    assert ledger is not None
    assert [p.name for p in ledger.parts] == ["preprocessing", "training"]
    assert ledger.parts[0].epsilon == pytest.approx(4.0 * model.preprocessing_share)
    assert ledger.parts[0].delta == pytest.approx(ledger.delta_target / 2)
    assert ledger.epsilon_spent <= 4.0 and ledger.delta_spent <= ledger.delta_target
    assert model.plan_.classes == ("no", "yes")
    # A datetime without declared bounds takes its range from the release, in days since
    # 1970 like declared bounds: noisy at 600 rows, but on the data's stretch of time.
    admitted = next(c for c in model.plan_.columns if c.name == "admitted")
    days = table["admitted"].dropna().astype("datetime64[ns]").astype("int64") / 86_400e9
    span = days.max() - days.min()
    overlap = min(admitted.upper, days.max()) - max(admitted.lower, days.min())
    assert admitted.numeric and overlap > 0.5 * span
    assert admitted.upper - admitted.lower < 4 * span


def test_declared_bounds_and_categories_cost_nothing(table: pd.DataFrame) -> None:
    model = PrivateClassifier(TARGET, **FAST).fit(
        table, declared_schema(table), privacy={"epsilon": 1.0, "accountant": "rdp"}, seed=0
    )
    assert model.privacy_ is not None
    assert [p.name for p in model.privacy_.parts] == ["training"]
    assert "declared bounds of 'age'" in model.privacy_.public
    age = next(c for c in model.plan_.columns if c.name == "age")
    assert (age.lower, age.upper) == (0.0, float(table["age"].max()) + 1)


def test_rare_labels_and_outliers_do_not_shape_the_private_inputs() -> None:
    rng = np.random.default_rng(0)
    n = 3000
    df = pd.DataFrame(
        {
            "amount": np.r_[rng.normal(40, 5, n - 1), [1e9]],  # one far outlier
            "colour": rng.choice(["red", "blue"], n).astype(object),
            "label": rng.choice(["a", "b"], n),
        }
    )
    df.loc[:1, "colour"] = "one-off"  # a label two people share
    spec = {"epsilon": 2.0, "accountant": "rdp"}
    private = PrivateClassifier("label", epochs=1).fit(df, privacy=spec, seed=0)
    exact = PrivateClassifier("label", epochs=1).fit(df, seed=0)

    def column(model: PrivateClassifier, name: str) -> FeatureColumn:
        return next(c for c in model.plan_.columns if c.name == name)

    assert column(exact, "colour").categories == ("blue", "red", "one-off")
    assert column(private, "colour").categories == ("blue", "red")
    assert column(exact, "amount").upper == 1e9
    assert 16 <= column(private, "amount").lower < 40 < column(private, "amount").upper <= 128


def test_saved_classifier_predicts_the_same_after_load(table: pd.DataFrame, tmp_path: Path) -> None:
    model = PrivateClassifier(TARGET, **FAST).fit(
        table, privacy={"epsilon": 2.0, "accountant": "rdp"}, seed=3
    )
    model.save(tmp_path / "clf")
    loaded = PrivateClassifier.load(tmp_path / "clf")
    fresh = make_mixed_table(50, 9)
    pd.testing.assert_frame_equal(loaded.predict_proba(fresh), model.predict_proba(fresh))
    assert loaded.predict(fresh).tolist() == model.predict(fresh).tolist()
    assert loaded.privacy_ == model.privacy_ and loaded.plan_ == model.plan_
    proba = loaded.predict_proba(fresh).to_numpy()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)


def test_same_seed_same_classifier(table: pd.DataFrame) -> None:
    fits = [
        PrivateClassifier(TARGET, **FAST).fit(
            table, privacy={"epsilon": 2.0, "accountant": "rdp"}, seed=5
        )
        for _ in range(2)
    ]
    pd.testing.assert_frame_equal(fits[0].predict_proba(table), fits[1].predict_proba(table))


def test_bad_requests_fail_with_one_clear_line(table: pd.DataFrame, tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="predicts classes"):
        PrivateClassifier("income").fit(table, privacy={"epsilon": 1.0})
    with pytest.raises(ParameterError, match="too small"):
        PrivateClassifier(TARGET, epochs=50, batch_size=600).fit(
            table, declared_schema(table), privacy={"epsilon": 1e-7, "accountant": "rdp"}
        )
    with pytest.raises(ParameterError, match="delta"):
        PrivateClassifier(TARGET).fit(table, privacy={"epsilon": 1.0, "delta": 0.01})
    model = PrivateClassifier(TARGET, **FAST).fit(table, seed=0)
    with pytest.raises(ColumnNotFoundError, match="'region'"):
        model.predict(table.drop(columns=["region"]))
    get_synthesizer("gaussian_copula").fit(table.head(100), seed=0).save(tmp_path / "copula")
    with pytest.raises(ModelFileError, match="not a private classifier"):
        PrivateClassifier.load(tmp_path / "copula")


def test_train_private_and_predict_commands(table: pd.DataFrame, tmp_path: Path) -> None:
    data = write_table(table, tmp_path / "data.csv")
    runner = CliRunner()
    args = ["train-private", str(data), "--target", TARGET, "--epsilon", "3"]
    args += ["--out", str(tmp_path / "clf"), "--epochs", "3", "-p", "batch_size=64"]
    result = runner.invoke(app, [*args, "--json", "-q"])
    assert result.exit_code == 0, result.output
    assert '"non_private"' in result.stdout and '"epsilon_spent"' in result.stdout
    fresh = write_table(make_mixed_table(30, 4).drop(columns=[TARGET]), tmp_path / "new.csv")
    out = tmp_path / "predictions.csv"
    result = runner.invoke(app, ["predict", str(tmp_path / "clf"), str(fresh), "--out", str(out)])
    assert result.exit_code == 0, result.output
    predictions = read_table(out)
    assert list(predictions.columns) == ["probability_no", "probability_yes", f"predicted_{TARGET}"]
    assert len(predictions) == 30 and set(predictions[f"predicted_{TARGET}"]) <= {"no", "yes"}
    broken = write_table(make_mixed_table(30, 4).drop(columns=["sex"]), tmp_path / "bad.csv")
    result = runner.invoke(app, ["predict", str(tmp_path / "clf"), str(broken)])
    assert result.exit_code == 1
    assert "lacks the column 'sex'" in result.stderr and "Traceback" not in result.output
