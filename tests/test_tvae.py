"""TVAE on a small made-up table with tiny networks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from synthera.models.base import Synthesizer
from synthera.models.tvae import SIGMA_RANGE, TVAE
from synthera.schema import Schema
from tests.conftest import make_mixed_table

TINY: dict[str, Any] = {
    "batch_size": 100,
    "embedding_dim": 16,
    "compress_dims": (32, 32),
    "decompress_dims": (32, 32),
    "device": "cpu",
    "collapse_check_rows": 2000,
}


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return make_mixed_table(400, seed=4)


@pytest.fixture(scope="module")
def schema(table: pd.DataFrame) -> Schema:
    return Schema.infer(table, target="high_income", sensitive=["sex"])


@pytest.fixture(scope="module")
def events_and_model(table: pd.DataFrame, schema: Schema) -> tuple[list[tuple[Any, ...]], TVAE]:
    events: list[tuple[Any, ...]] = []
    model = TVAE(epochs=15, **TINY)
    model.fit(table, schema, seed=0, progress=lambda *event: events.append(event))
    return events, model


def test_sample_has_every_column_with_its_kind(
    events_and_model: tuple[list[tuple[Any, ...]], TVAE], table: pd.DataFrame
) -> None:
    _, model = events_and_model
    rows = model.sample(1000, seed=1)
    assert list(rows.columns) == list(table.columns) and len(rows) == 1000
    for column in table.columns:
        assert rows[column].dtype.kind == table[column].dtype.kind, column
    assert set(rows["diagnosis"]) <= set(table["diagnosis"])
    # Missing values (8 % and 10 %) come back at about their rates: each one-hot block is
    # drawn from the decoder's softmax, which starts at the training shares.
    for column in ["income", "visits"]:
        assert rows[column].isna().mean() == pytest.approx(table[column].isna().mean(), abs=0.05)
    sigma = model.decoder_.sigma.detach().numpy()
    assert sigma.min() >= SIGMA_RANGE[0] and sigma.max() <= SIGMA_RANGE[1]


def test_progress_gets_losses_per_epoch(
    events_and_model: tuple[list[tuple[Any, ...]], TVAE],
) -> None:
    events, model = events_and_model
    train = [e for e in events if e[0] == "train"]
    assert [e[1] for e in train] == list(range(1, 16)) and {e[2] for e in train} == {15}
    assert all({"loss", "reconstruction", "kl"} <= set(e[3]) for e in train)
    history = model.loss_history_["loss"]
    assert history.shape == (15,) and history[-1] < history[0]  # it learns


def test_seeded_fit_repeats_and_save_load_keeps_the_rows(
    table: pd.DataFrame, schema: Schema, tmp_path: Path
) -> None:
    first = TVAE(epochs=2, **TINY).fit(table, schema, seed=3)
    second = TVAE(epochs=2, **TINY).fit(table, schema, seed=3)
    rows = first.sample(300, seed=2)
    pd.testing.assert_frame_equal(rows, second.sample(300, seed=2))
    first.save(tmp_path / "tvae")
    loaded = Synthesizer.load(tmp_path / "tvae")
    assert isinstance(loaded, TVAE)
    pd.testing.assert_frame_equal(loaded.sample(300, seed=2), rows)
    np.testing.assert_array_equal(loaded.loss_history_["kl"], first.loss_history_["kl"])


def test_conditions_use_rejection_and_are_exact(
    events_and_model: tuple[list[tuple[Any, ...]], TVAE],
) -> None:
    _, model = events_and_model
    assert model._sample_conditional(5, {"sex": "Male"}, np.random.default_rng(0)) is None
    rows = model.sample(50, conditions={"sex": "Male"}, seed=1)
    assert (rows["sex"] == "Male").all() and len(rows) == 50
