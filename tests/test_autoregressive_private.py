"""The autoregressive model under differential privacy: the tokenizer from the release
alone, exact per-sample gradients of the masked layers, the ledger against Opacus'
accountant, persistence, and that the private path still learns a dependence."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch
from opacus.accountants import create_accountant

from synthera.errors import ParameterError
from synthera.models.autoregressive import AutoregressiveSynthesizer
from synthera.models.autoregressive import private as private_fit
from synthera.models.autoregressive.network import AutoregressiveNetwork
from synthera.models.autoregressive.private import (
    PRIVATE_DEFAULT_EPOCHS,
    private_epochs,
    released_numeric_tokens,
)
from synthera.models.base import Synthesizer
from synthera.privacy.dp_sgd import DpSgdPlan, private_module, quiet_hooks
from synthera.privacy.ledger import BudgetPart
from synthera.privacy.preprocessing import NumericSummary
from synthera.schema import ColumnKind, ColumnSpec, Schema
from tests.conftest import table_with_one_off_regions

SMALL: dict[str, Any] = {"hidden": (64, 64), "max_epochs": 5, "device": "cpu"}


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return table_with_one_off_regions()


@pytest.fixture(scope="module")
def schema(table: pd.DataFrame) -> Schema:
    return Schema.infer(table, target="high_income")


@pytest.fixture(scope="module")
def fitted(table: pd.DataFrame, schema: Schema) -> tuple[AutoregressiveSynthesizer, list[Any]]:
    """A private fit at ε = 1, and the (plan, steps) its training part was computed from."""
    calls: list[Any] = []
    original = private_fit.training_part

    def spy(plan: DpSgdPlan, steps_taken: int, what: str) -> BudgetPart:
        calls.append((plan, steps_taken))
        return original(plan, steps_taken, what)

    private_fit.training_part = spy
    try:
        model = AutoregressiveSynthesizer(**SMALL)
        model.fit(table, schema, seed=3, privacy={"epsilon": 1.0})
    finally:
        private_fit.training_part = original
    return model, calls


def test_private_fit_spends_within_target_and_generates_the_schema(
    fitted: tuple[AutoregressiveSynthesizer, list[Any]], schema: Schema
) -> None:
    model, _ = fitted
    ledger = model.privacy_
    assert ledger is not None
    assert [part.name for part in ledger.parts] == ["preprocessing", "training"]
    assert ledger.epsilon_spent == pytest.approx(sum(p.epsilon for p in ledger.parts))
    assert 0.9 < ledger.epsilon_spent <= 1.0
    assert ledger.parts[0].epsilon == pytest.approx(0.2)  # dp_preprocessing_share
    assert ledger.delta_spent <= ledger.delta_target == pytest.approx(1 / (10 * 1500))
    assert model.epochs_trained_ == SMALL["max_epochs"]
    assert model.best_validation_loss_ is None  # no validation slice under DP
    synthetic = model.sample(2000, seed=1)
    assert list(synthetic.columns) == schema.names
    assert len(synthetic) == 2000
    # One-off values are never released, so never generated.
    assert not set(synthetic["region"].dropna()) & {"atlantis", "lemuria", "mu"}
    assert set(synthetic["region"].dropna()) <= {"north", "south", "east", "west", "centre"}
    # Numbers stay inside the released ranges and keep their kinds.
    assert synthetic["age"].dtype == np.int64
    assert synthetic["age"].between(0, 256).all()


def test_training_epsilon_is_opacus_accountant_for_the_same_settings(
    fitted: tuple[AutoregressiveSynthesizer, list[Any]], table: pd.DataFrame
) -> None:
    model, calls = fitted
    assert model.privacy_ is not None
    [(plan, steps)] = calls
    batch = model._batch_size(len(table))
    assert plan.sample_rate == pytest.approx(batch / len(table))
    assert steps == SMALL["max_epochs"] * (len(table) // batch)
    counter = create_accountant("prv")
    counter.history = [(plan.noise_multiplier, plan.sample_rate, steps)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = counter.get_epsilon(delta=plan.delta)
    training = model.privacy_.parts[1]
    assert training.epsilon == pytest.approx(expected, rel=1e-6)
    assert training.epsilon <= 0.8 + 1e-9
    assert f"{steps:,} steps" in training.mechanism


def test_private_model_reloads_with_its_ledger_and_samples_identically(
    fitted: tuple[AutoregressiveSynthesizer, list[Any]], tmp_path: Path
) -> None:
    model, _ = fitted
    model.save(tmp_path / "model")
    loaded = Synthesizer.load(tmp_path / "model")
    assert isinstance(loaded, AutoregressiveSynthesizer)
    assert loaded.privacy_ == model.privacy_
    pd.testing.assert_frame_equal(
        loaded.sample(500, seed=7).drop(columns=["patient_id"]),
        model.sample(500, seed=7).drop(columns=["patient_id"]),
    )


def test_masked_layers_per_sample_gradients_are_exact() -> None:
    """Opacus' per-row gradients (through the registered MaskedLinear rule) equal the
    gradients of each row's loss computed alone, masked weights included (zero)."""
    generator = torch.Generator().manual_seed(0)
    network = AutoregressiveNetwork([3, 5, 2, 4], hidden=(8, 8), max_embedding=4)
    network.initialise(generator, [np.ones(v) for v in network.vocab])
    tokens = torch.stack(
        [torch.randint(0, v, (6,), generator=generator) for v in network.vocab], dim=1
    )
    wrapped = private_module(network, fixed_buffers=True)
    with quiet_hooks():
        network.negative_log_likelihood(tokens).sum().backward()
    # Opacus stores each parameter's per-row gradients on it as `grad_sample`.
    per_sample = {
        name: p.grad_sample.clone()  # type: ignore[attr-defined]
        for name, p in network.named_parameters()
    }
    wrapped.to_standard_module()
    for i in range(tokens.shape[0]):
        network.zero_grad(set_to_none=True)
        network.negative_log_likelihood(tokens[i : i + 1]).sum().backward()
        for name, parameter in network.named_parameters():
            assert parameter.grad is not None
            torch.testing.assert_close(per_sample[name][i], parameter.grad, atol=1e-6, rtol=1e-5)
    masked = per_sample["out.weight"] * (1 - network.out.mask)
    assert torch.count_nonzero(masked) == 0


def test_private_fit_learns_a_strong_dependence() -> None:
    """At a large ε (8; PRV planning slows down sharply above ~20) the private path must
    keep a dependence between a category and both a category and a number."""
    rng = np.random.default_rng(11)
    n = 2000
    colour = rng.choice(["red", "blue", "green"], n)
    agrees = rng.random(n) < 0.95
    shape = np.where(
        agrees, np.select([colour == "red", colour == "blue"], ["cube", "ball"], "cone"), "cube"
    )
    size = np.where(colour == "red", rng.normal(10, 1, n), rng.normal(100, 5, n))
    df = pd.DataFrame({"colour": colour, "shape": shape, "size": size})
    model = AutoregressiveSynthesizer(hidden=(64, 64), max_epochs=5, device="cpu")
    model.fit(df, seed=0, privacy={"epsilon": 8.0})
    synthetic = model.sample(3000, seed=2)
    pairs = {"red": "cube", "blue": "ball", "green": "cone"}
    matched = (synthetic["colour"].map(pairs) == synthetic["shape"]).mean()
    assert matched > 0.75  # independent columns would match about a third of the time
    red = synthetic["colour"] == "red"
    assert synthetic.loc[red, "size"].median() < 40 < synthetic.loc[~red, "size"].median()


def test_impossible_budget_fails_before_any_work(table: pd.DataFrame, schema: Schema) -> None:
    model = AutoregressiveSynthesizer(max_epochs=200, batch_size=1000, device="cpu")
    with pytest.raises(ParameterError, match="too small for") as caught:
        model.fit(table, schema, seed=0, privacy={"epsilon": 0.01})
    assert "\n" not in str(caught.value)
    assert not hasattr(model, "network_")


def test_default_epochs_shrink_under_privacy() -> None:
    assert private_epochs(AutoregressiveSynthesizer()) == PRIVATE_DEFAULT_EPOCHS
    assert private_epochs(AutoregressiveSynthesizer(max_epochs=7)) == 7


def test_numeric_tokens_come_from_released_segments() -> None:
    spec = ColumnSpec("gain", ColumnKind.INTEGER)
    summary = NumericSummary(
        lower=0.0,
        upper=100.0,
        segment_edges=np.array([0.0, 0.0, 12.3, 40.0, 100.0]),
        segment_masses=np.array([900.0, 40.0, 30.0, 30.0]),
        has_missing=False,
        dtype="int64",
    )
    tokens, counts = released_numeric_tokens(spec, summary)
    assert tokens.spikes.tolist() == [0.0]
    assert tokens.edges.tolist() == [0.0, 13.0, 40.0, 100.0]  # whole-number edges
    assert counts.tolist() == [900.0, 40.0, 30.0, 30.0]  # spike, then the three bins
    # No missing token was released: missing values encode as the heaviest token (0).
    encoded = tokens.encode(np.array([np.nan, 0.0, 5.0, 50.0, 500.0]))
    assert encoded.tolist() == [0, 0, 1, 3, 3]
