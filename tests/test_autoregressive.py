"""The autoregressive default generator: tokens, the masked network, training, sampling."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch

from synthera.errors import ParameterError
from synthera.models.autoregressive import AutoregressiveSynthesizer, calibration
from synthera.models.autoregressive.calibration import calibrate_output_bias, calibrate_to_counts
from synthera.models.autoregressive.network import AutoregressiveNetwork
from synthera.models.autoregressive.tokens import NumericTokens, TableTokenizer
from synthera.schema import Schema
from tests.conftest import make_mixed_table

FAST: dict[str, Any] = {"hidden": (64, 64), "max_epochs": 30}


pytestmark = pytest.mark.usefixtures("one_torch_thread")


# ---- tokens -------------------------------------------------------------------------------


def test_few_distinct_values_get_one_token_each_and_come_back_exactly() -> None:
    values = np.array([3.0, 1.0, np.nan, 3.0, 7.5, 1.0])
    tokens = NumericTokens.fit(values, max_tokens=8, integer=False)
    assert tokens.vocab == 4  # 1, 3, 7.5 and missing
    decoded, missing = tokens.decode(tokens.encode(values), np.random.default_rng(0))
    np.testing.assert_array_equal(missing, np.isnan(values))
    np.testing.assert_array_equal(decoded[~missing], values[~missing])


def test_many_values_get_spikes_and_quantile_bins_with_draws_inside_the_bin() -> None:
    rng = np.random.default_rng(0)
    values = np.where(rng.random(5000) < 0.4, 0.0, rng.lognormal(8, 1, 5000))
    tokens = NumericTokens.fit(values, max_tokens=32, integer=False)
    assert tokens.vocab <= 32 and list(tokens.spikes) == [0.0]
    encoded = tokens.encode(values)
    # Quantile bins: each non-spike token holds about the same number of rows.
    bin_counts = np.bincount(encoded, minlength=tokens.vocab)[len(tokens.spikes) :]
    assert bin_counts.max() < 1.6 * bin_counts.mean()
    decoded, missing = tokens.decode(encoded, np.random.default_rng(1))
    assert not missing.any()
    assert (decoded[values == 0.0] == 0.0).all()
    np.testing.assert_array_equal(tokens.encode(decoded), encoded)  # draws stay in their bin
    assert not np.isin(decoded[values > 0], values).all()  # new values, not copies


def test_integer_bins_draw_whole_numbers_within_the_observed_range() -> None:
    values = np.random.default_rng(2).integers(-500, 500, 4000).astype(float)
    tokens = NumericTokens.fit(values, max_tokens=16, integer=True)
    decoded, _ = tokens.decode(tokens.encode(values), np.random.default_rng(3))
    assert (decoded == np.round(decoded)).all()
    assert decoded.min() >= values.min() and decoded.max() <= values.max()
    np.testing.assert_array_equal(tokens.encode(decoded), tokens.encode(values))


def test_tokenizer_round_trips_categories_and_regenerates_ids() -> None:
    df = make_mixed_table(300)
    df["note"] = [f"free text {i} " * 8 for i in range(len(df))]
    schema = Schema.infer(df, overrides={"note": "text"})
    tokenizer = TableTokenizer(schema, max_tokens=128).fit(df, np.random.default_rng(0))
    assert "patient_id" not in tokenizer.columns and "note" not in tokenizer.columns
    decoded = tokenizer.decode(tokenizer.encode(df), np.random.default_rng(0))
    assert list(decoded.columns) == schema.names
    for column in ("sex", "region", "diagnosis", "smoker", "high_income", "age", "visits"):
        pd.testing.assert_series_equal(decoded[column], df[column], check_dtype=False)
    assert decoded["note"].isna().all()
    assert not decoded["patient_id"].isin(df["patient_id"]).any()
    state = tokenizer.get_state()
    again = TableTokenizer.from_state(schema, state)
    np.testing.assert_array_equal(again.encode(df), tokenizer.encode(df))


# ---- network ------------------------------------------------------------------------------


def make_network(vocab: list[int], hidden: tuple[int, ...], seed: int) -> AutoregressiveNetwork:
    network = AutoregressiveNetwork(vocab, hidden=hidden)
    network.initialise(torch.Generator().manual_seed(seed), [np.ones(v) for v in vocab])
    return network


def test_each_column_sees_only_the_columns_before_it() -> None:
    vocab = [3, 5, 2, 7]
    network = make_network(vocab, (16, 16), seed=0)
    tokens = torch.tensor([[0, 1, 1, 2], [2, 4, 0, 6]])
    logits = network(tokens)
    for k in range(len(vocab)):
        changed = tokens.clone()
        changed[:, k] = (changed[:, k] + 1) % vocab[k]
        other = network(changed)
        upto = network.offsets[k + 1]  # blocks 0..k must not move
        torch.testing.assert_close(other[:, :upto], logits[:, :upto])
        if k < len(vocab) - 1:
            assert not torch.allclose(other[:, upto:], logits[:, upto:])


def test_grouped_likelihood_equals_per_column_cross_entropy() -> None:
    vocab = [2, 3, 9, 17, 4]
    network = make_network(vocab, (8,), seed=1)
    tokens = torch.stack([torch.randint(0, v, (50,)) for v in vocab], dim=1)
    logits = network(tokens)
    expected = sum(
        torch.nn.functional.cross_entropy(
            logits[:, network.offsets[j] : network.offsets[j + 1]], tokens[:, j], reduction="none"
        )
        for j in range(len(vocab))
    )
    torch.testing.assert_close(network.negative_log_likelihood(tokens), expected)


def test_incremental_sampling_draws_from_the_full_forward_pass() -> None:
    vocab = [3, 6, 2, 5]
    network = make_network(vocab, (16, 8), seed=2).eval()
    tokens = network.sample(300, torch.Generator().manual_seed(7))
    # Replay the draws with full forward passes: the same generator gives the same tokens.
    generator = torch.Generator().manual_seed(7)
    replay = torch.zeros_like(tokens)
    with torch.no_grad():
        for j in range(len(vocab)):
            logits = network(replay)[:, network.offsets[j] : network.offsets[j + 1]]
            replay[:, j] = torch.multinomial(torch.softmax(logits, 1), 1, generator=generator)[:, 0]
    assert (tokens == replay).float().mean() > 0.99  # float rounding may flip a rare draw


@pytest.mark.parametrize("cached", [True, False])
def test_calibration_makes_mean_predictions_match_token_frequencies(
    cached: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not cached:  # as for a table too wide to cache its logits
        monkeypatch.setattr(calibration, "CACHED_LOGITS", 0)
    vocab = [2, 4, 7]
    network = make_network(vocab, (16, 16), seed=3).eval()
    generator = torch.Generator().manual_seed(4)
    frequencies = [torch.tensor([0.8, 0.2]), torch.tensor([0.1, 0.2, 0.3, 0.4]), None]
    tokens = torch.stack(
        [
            torch.multinomial(p, 4000, replacement=True, generator=generator)
            if p is not None
            else torch.randint(0, 7, (4000,), generator=generator)
            for p in frequencies
        ],
        dim=1,
    )

    def gaps() -> list[float]:
        with torch.no_grad():
            logits = network(tokens)
        out = []
        for j, v in enumerate(vocab):
            mean = torch.softmax(logits[:, network.offsets[j] : network.offsets[j + 1]], 1).mean(0)
            observed = torch.bincount(tokens[:, j], minlength=v) / len(tokens)
            out.append(float((mean - observed).abs().sum()) / 2)
        return out

    weights = network.out.weight.detach().clone()
    assert max(gaps()) > 0.05  # a random network's predictions are far off
    calibrate_output_bias(network, tokens)
    assert max(gaps()) <= 1e-3
    torch.testing.assert_close(network.out.weight, weights)  # only the biases moved


def test_calibration_on_samples_reaches_the_given_counts() -> None:
    vocab = [3, 2, 5]
    network = make_network(vocab, (16, 16), seed=5).eval()
    counts = [torch.tensor([50.0, 30.0, 20.0]), torch.tensor([10.0, 90.0]), torch.ones(5)]

    def sampled_gaps() -> list[float]:
        tokens = network.sample(20_000, torch.Generator().manual_seed(6))
        return [
            float(
                (torch.bincount(tokens[:, j], minlength=v) / len(tokens) - c / c.sum()).abs().sum()
            )
            / 2
            for j, (v, c) in enumerate(zip(vocab, counts, strict=True))
        ]

    assert max(sampled_gaps()) > 0.1
    calibrate_to_counts(network, counts, torch.Generator().manual_seed(7))
    assert max(sampled_gaps()) < 0.02  # sampling noise of 20,000 rows is about 0.01


# ---- the model ----------------------------------------------------------------------------


def dependent_table(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    """`colour` decides `size` (mostly) and shifts `weight`; `label` follows `size`."""
    rng = np.random.default_rng(seed)
    colour = rng.choice(["red", "green", "blue"], n, p=[0.6, 0.3, 0.1])
    size = np.where(rng.random(n) < 0.9, np.where(colour == "red", "S", "L"), "M")
    weight = np.where(colour == "blue", 80.0, 20.0) + rng.normal(0, 3, n)
    label = np.where((size == "L") ^ (rng.random(n) < 0.05), "yes", "no")
    return pd.DataFrame({"colour": colour, "size": size, "weight": weight, "label": label})


@pytest.fixture(scope="module")
def fitted() -> tuple[AutoregressiveSynthesizer, pd.DataFrame, Schema]:
    df = dependent_table()
    schema = Schema.infer(df, target="label")
    torch.set_num_threads(1)
    model = AutoregressiveSynthesizer(**FAST).fit(df, schema, seed=0)
    return model, df, schema


def test_learns_marginals_and_dependence(fitted) -> None:
    model, df, _ = fitted
    rows = model.sample(6000, seed=1)
    for column in ("colour", "size", "label"):
        real = df[column].value_counts(normalize=True)
        synthetic = rows[column].value_counts(normalize=True)
        assert 0.5 * real.subtract(synthetic, fill_value=0).abs().sum() < 0.03, column
    red = rows[rows["colour"] == "red"]
    assert (red["size"] == "S").mean() > 0.85  # the real share is about 0.9
    blue = rows[rows["colour"] == "blue"]["weight"]
    assert (
        abs(blue.mean() - 80) < 3 and abs(rows[rows["colour"] != "blue"]["weight"].mean() - 20) < 2
    )
    assert model.best_validation_loss_ is not None
    assert model.epochs_trained_ < FAST["max_epochs"]  # early stopping ended it
    assert len(model.loss_history_["validation"]) == model.epochs_trained_


def test_target_conditions_are_drawn_exactly_without_rejection(fitted) -> None:
    model = fitted[0]
    rng = np.random.default_rng(0)
    native = model._sample_conditional(500, {"label": "yes"}, rng)
    assert native is not None and (native["label"] == "yes").all()
    # Given label=yes, size is mostly L, as in the real rows.
    assert (native["size"] == "L").mean() > 0.8
    assert model._sample_conditional(10, {"colour": "red"}, rng) is None  # not first: rejection
    rows = model.sample(100, conditions={"colour": "red"}, seed=3)
    assert (rows["colour"] == "red").all()


def test_the_same_seed_fits_the_same_model() -> None:
    df = dependent_table(500)
    params: dict[str, Any] = {"hidden": (16,), "max_epochs": 3, "dropout": 0.1}
    first = AutoregressiveSynthesizer(**params).fit(df, seed=5).sample(50, seed=1)
    second = AutoregressiveSynthesizer(**params).fit(df, seed=5).sample(50, seed=1)
    pd.testing.assert_frame_equal(first, second)


def test_training_stops_at_the_time_limit() -> None:
    df = dependent_table(400)
    model = AutoregressiveSynthesizer(hidden=(16,), max_epochs=50, max_fit_seconds=1e-9)
    model.fit(df, seed=0)
    assert model.epochs_trained_ == 1


def test_tables_without_modelled_columns_and_bad_parameters_are_refused() -> None:
    with pytest.raises(ParameterError, match="max_tokens"):
        AutoregressiveSynthesizer(max_tokens=1)
    with pytest.raises(ParameterError, match="batch_size"):
        AutoregressiveSynthesizer(batch_size=0)
    ids = pd.DataFrame({"key": [f"k{i}" for i in range(50)]})
    with pytest.raises(ParameterError, match="at least one modelled column"):
        AutoregressiveSynthesizer().fit(ids, Schema.infer(ids, overrides={"key": "id"}))
