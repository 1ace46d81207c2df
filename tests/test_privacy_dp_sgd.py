"""Private CTGAN and TVAE: DP-SGD through Opacus, the ledger of the whole fit, refusals of
impossible requests, persistence and the CLI."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch
from opacus.accountants import create_accountant
from opacus.accountants.utils import get_noise_multiplier
from typer.testing import CliRunner

from synthera.cli import app
from synthera.errors import ParameterError
from synthera.io import write_table
from synthera.models.base import Synthesizer
from synthera.models.ctgan import CTGAN
from synthera.models.neural.synthesizer import NeuralSynthesizer
from synthera.models.tvae import SIGMA_RANGE, TVAE
from synthera.privacy.dp_sgd import plan_dp_sgd, poisson_rows, training_part
from synthera.privacy.spec import PrivacySpec
from synthera.schema import Schema
from tests.conftest import table_with_one_off_regions

SMALL_CTGAN: dict[str, Any] = {
    "batch_size": 100,
    "embedding_dim": 16,
    "generator_dim": (32, 32),
    "discriminator_dim": (32, 32),
    "device": "cpu",
    "collapse_check_rows": 1000,
}
SMALL_TVAE: dict[str, Any] = {
    "batch_size": 100,
    "embedding_dim": 16,
    "compress_dims": (32, 32),
    "decompress_dims": (32, 32),
    "device": "cpu",
    "collapse_check_rows": 1000,
}


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return table_with_one_off_regions()


@pytest.fixture(scope="module")
def schema(table: pd.DataFrame) -> Schema:
    return Schema.infer(table, target="high_income")


def _epsilon(accountant: str, noise: float, rate: float, steps: int, delta: float) -> float:
    counter = create_accountant(accountant)
    counter.history = [(noise, rate, steps)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(counter.get_epsilon(delta=delta))


# ---- accounting -------------------------------------------------------------------------------


@pytest.mark.parametrize("accountant", ["rdp", "prv"])
def test_planned_noise_and_reported_epsilon_are_opacus_own(accountant: str) -> None:
    plan = plan_dp_sgd(
        epsilon=0.8,
        delta=1e-6,
        n_rows=30_000,
        batch_size=500,
        steps=600,
        max_grad_norm=1.0,
        accountant=accountant,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected_noise = get_noise_multiplier(
            target_epsilon=0.8,
            target_delta=1e-6,
            sample_rate=500 / 30_000,
            steps=600,
            accountant=accountant,
            epsilon_tolerance=0.01,
        )
    assert plan.noise_multiplier == expected_noise
    assert plan.sample_rate == 500 / 30_000 and plan.expected_batch_size == pytest.approx(500)
    part = training_part(plan, 600, "a network")
    assert part.epsilon == _epsilon(accountant, expected_noise, 500 / 30_000, 600, 1e-6)
    assert 0.8 - 0.011 < part.epsilon <= 0.8 and part.delta == 1e-6
    fewer = training_part(plan, 300, "a network")  # fewer steps spend less
    assert fewer.epsilon == _epsilon(accountant, expected_noise, 500 / 30_000, 300, 1e-6)
    assert fewer.epsilon < part.epsilon


def test_a_budget_no_reasonable_noise_can_meet_is_refused_with_advice() -> None:
    with pytest.raises(ParameterError, match="fewer epochs") as caught:
        plan_dp_sgd(
            epsilon=0.01,
            delta=1e-6,
            n_rows=1000,
            batch_size=500,
            steps=100_000,
            max_grad_norm=1.0,
            accountant="rdp",
        )
    assert "\n" not in str(caught.value)


def test_poisson_sampling_takes_each_row_at_the_planned_rate() -> None:
    generator = torch.Generator().manual_seed(0)
    sizes = [poisson_rows(10_000, 0.05, generator, torch.device("cpu")).numel() for _ in range(50)]
    assert np.mean(sizes) == pytest.approx(500, rel=0.02)
    assert len(set(sizes)) > 10  # the batch size itself is random


# ---- private fits ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def private_ctgan(table: pd.DataFrame, schema: Schema) -> CTGAN:
    model = CTGAN(epochs=4, **SMALL_CTGAN)
    return model.fit(table, schema, seed=0, privacy={"epsilon": 4.0, "accountant": "rdp"})


@pytest.fixture(scope="module")
def private_tvae(table: pd.DataFrame, schema: Schema) -> TVAE:
    model = TVAE(epochs=4, **SMALL_TVAE)
    return model.fit(table, schema, seed=0, privacy={"epsilon": 4.0, "accountant": "rdp"})


@pytest.mark.parametrize("name", ["private_ctgan", "private_tvae"])
def test_private_fit_spends_at_most_its_budget_and_says_on_what(
    name: str, request: pytest.FixtureRequest, table: pd.DataFrame
) -> None:
    model: NeuralSynthesizer = request.getfixturevalue(name)
    ledger = model.privacy_
    assert ledger is not None
    assert ledger.epsilon_target == 4.0 and ledger.delta_target == 1 / (10 * len(table))
    assert ledger.epsilon_spent <= 4.0 and ledger.delta_spent <= ledger.delta_target * (1 + 1e-9)
    preprocessing, training = ledger.parts
    assert preprocessing.name == "preprocessing" and training.name == "training"
    assert preprocessing.epsilon == pytest.approx(0.2 * 4.0)  # the default split
    assert training.epsilon <= 0.8 * 4.0
    steps = model._private_steps(len(table))
    assert f"{steps:,} steps" in training.mechanism and "RDP" in training.mechanism
    sample_rate = model.batch_size / len(table)
    noise = float(training.mechanism.split("noise multiplier ")[1].split(" ")[0])
    assert training.epsilon == pytest.approx(
        _epsilon("rdp", noise, sample_rate, steps, training.delta), rel=1e-3
    )
    assert any("number of rows" in fact for fact in ledger.public)
    assert model.loss_history_ and model.epochs_trained_ == 4


@pytest.mark.parametrize("name", ["private_ctgan", "private_tvae"])
def test_private_fit_generates_every_column_but_never_a_one_off_value(
    name: str, request: pytest.FixtureRequest, table: pd.DataFrame
) -> None:
    model: NeuralSynthesizer = request.getfixturevalue(name)
    rows = model.sample(2000, seed=1)
    assert list(rows.columns) == list(table.columns) and len(rows) == 2000
    for column in ["age", "income", "sex", "region", "smoker", "high_income"]:
        assert rows[column].dtype.kind == table[column].dtype.kind, column
    assert rows["visits"].dtype == "Int64"
    assert set(rows["region"].dropna()) <= {"north", "south", "east", "west", "centre"}
    assert rows["patient_id"].is_unique  # fresh random keys
    assert not set(rows["patient_id"].astype(str)) & set(table["patient_id"].astype(str))


def test_private_ctgan_trains_the_discriminator_with_opacus(
    private_ctgan: CTGAN, table: pd.DataFrame
) -> None:
    from synthera.models.ctgan_private import PrivateGanTraining

    data = torch.zeros((len(table), private_ctgan._layout.width))
    settings = plan_dp_sgd(
        epsilon=3.0,
        delta=1e-5,
        n_rows=len(table),
        batch_size=100,
        steps=15,
        max_grad_norm=1.0,
        accountant="rdp",
    )
    training = PrivateGanTraining(private_ctgan, data, torch.Generator().manual_seed(0), settings)
    assert type(training.discriminator).__name__ == "GradSampleModule"
    assert type(training.optimizer_d).__name__ == "DPOptimizer"
    assert training.optimizer_d.noise_multiplier == settings.noise_multiplier
    assert training.discriminator._module.pac == 1
    training.discriminator_step()
    assert training.steps_taken == 1


def test_private_tvae_keeps_its_trained_sigmas(private_tvae: TVAE) -> None:
    sigma = private_tvae.decoder_.sigma.detach()
    assert float(sigma.min()) >= SIGMA_RANGE[0] and float(sigma.max()) <= SIGMA_RANGE[1]
    assert not torch.allclose(sigma, torch.full_like(sigma, 0.1))  # they did train
    assert private_tvae.decoder_.sigma.requires_grad


def test_save_and_load_keep_the_ledger_and_the_rows(private_ctgan: CTGAN, tmp_path: Path) -> None:
    private_ctgan.save(tmp_path / "model")
    header = json.loads((tmp_path / "model" / "model.json").read_text())
    assert header["privacy"]["epsilon_target"] == 4.0
    assert [p["name"] for p in header["privacy"]["parts"]] == ["preprocessing", "training"]
    loaded = Synthesizer.load(tmp_path / "model")
    assert loaded.privacy_ == private_ctgan.privacy_
    pd.testing.assert_frame_equal(loaded.sample(300, seed=4), private_ctgan.sample(300, seed=4))


def test_seeded_private_fits_repeat(table: pd.DataFrame, schema: Schema) -> None:
    def fit() -> pd.DataFrame:
        model = TVAE(epochs=1, **SMALL_TVAE)
        model.fit(table, schema, seed=7, privacy={"epsilon": 2.0, "accountant": "rdp"})
        return model.sample(200, seed=1)

    pd.testing.assert_frame_equal(fit(), fit())


# ---- refusals -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("privacy", "message"),
    [
        ({"epsilon": 0}, "epsilon must be > 0"),
        ({"epsilon": 1.0, "delta": 0.01}, "not below 1/n"),
        ({"epsilon": 1.0, "noise": 2}, "no setting 'noise'"),
        ({"epsilon": 0.001}, "too small for"),
    ],
)
def test_impossible_requests_fail_early_with_one_line(
    table: pd.DataFrame, schema: Schema, privacy: dict[str, Any], message: str
) -> None:
    model = CTGAN(epochs=300, **SMALL_CTGAN)
    with pytest.raises(ParameterError, match=message) as caught:
        model.fit(table, schema, seed=0, privacy={**privacy, "accountant": "rdp"})
    assert "\n" not in str(caught.value)
    assert not hasattr(model, "generator_")  # failed before any training


def test_early_stopping_is_refused_under_privacy(table: pd.DataFrame, schema: Schema) -> None:
    model = TVAE(epochs=2, early_stop_patience=2, **SMALL_TVAE)
    with pytest.raises(ParameterError, match="early_stop_patience=None"):
        model.fit(table, schema, privacy={"epsilon": 1.0})


def test_the_default_delta_is_well_below_one_over_n() -> None:
    spec = PrivacySpec.coerce({"epsilon": 1.0})
    assert spec is not None and spec.resolved_delta(1000) == 1e-4
    assert PrivacySpec(1.0, delta=1e-7).resolved_delta(1000) == 1e-7


# ---- the command line -----------------------------------------------------------------------


def test_cli_fit_with_epsilon_writes_a_private_model(tmp_path: Path, table: pd.DataFrame) -> None:
    data = write_table(table.iloc[:600], tmp_path / "data.csv")
    runner = CliRunner()
    result = runner.invoke(
        app,
        [
            "fit",
            str(data),
            "--model",
            "tvae",
            "--out",
            str(tmp_path / "model"),
            "--epsilon",
            "3",
            "--delta",
            "1e-5",
            "--param",
            "epochs=2",
            "--param",
            "batch_size=100",
            "--param",
            "collapse_check_rows=0",
            "--seed",
            "0",
            "--quiet",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "differentially private" in result.output and "training: ε=" in result.output
    header = json.loads((tmp_path / "model" / "model.json").read_text())
    assert header["privacy"]["delta_target"] == 1e-5
    assert header["privacy"]["epsilon_spent"] <= 3.0
    sampled = runner.invoke(
        app, ["sample", str(tmp_path / "model"), "--out", str(tmp_path / "s.csv"), "-n", "50"]
    )
    assert sampled.exit_code == 0, sampled.output


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--delta", "1e-6"], "--delta needs --epsilon"),
        (["--epsilon", "-1"], "epsilon must be > 0"),
        (["--epsilon", "1", "--model", "gaussian_copula"], "cannot train with differential"),
    ],
)
def test_cli_refuses_bad_privacy_options_with_one_line(
    tmp_path: Path, table: pd.DataFrame, options: list[str], message: str
) -> None:
    data = write_table(table.iloc[:200], tmp_path / "data.csv")
    result = CliRunner().invoke(
        app, ["fit", str(data), "--out", str(tmp_path / "m"), "--model", "tvae", *options]
    )
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output
