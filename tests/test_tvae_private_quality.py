"""DP TVAE keeps the marginals: a minority category, and a numeric column's minority mode,
come back at about their rates (the decoder starts at the released shares and each
one-hot block is drawn from its softmax), where the reference's argmax decoding emits
every column's mode."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd
import pytest

from synthera.errors import ParameterError
from synthera.models.neural.layout import OutputLayout
from synthera.models.neural.priors import (
    flagged_missing_share,
    log_shares,
    released_log_shares,
    released_missing_shares,
)
from synthera.models.tvae import TVAE
from synthera.schema import Schema

ROWS = 3000
COLOR_SHARES = {"red": 0.6, "green": 0.3, "blue": 0.1}
HIGH_SHARE = 0.2  # of `amount`: the mode around 100 (the rest is around 10)
MISSING_SHARE = 0.12  # of `amount`
SMALL: dict[str, Any] = {
    "batch_size": 200,
    "embedding_dim": 16,
    "compress_dims": (32, 32),
    "decompress_dims": (32, 32),
    "device": "cpu",
    "collapse_check_rows": 1000,
}


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    """Independent columns: a three-level colour, an amount with a 20 % mode far from
    the rest and 12 % missing values, a fair flag."""
    rng = np.random.default_rng(3)
    color = rng.choice(list(COLOR_SHARES), size=ROWS, p=list(COLOR_SHARES.values()))
    high = rng.random(ROWS) < HIGH_SHARE
    amount = np.where(high, rng.normal(100.0, 5.0, ROWS), rng.normal(10.0, 2.0, ROWS))
    amount[rng.random(ROWS) < MISSING_SHARE] = np.nan
    return pd.DataFrame({"color": color, "amount": amount.round(2), "flag": rng.random(ROWS) < 0.5})


@pytest.fixture(scope="module")
def schema(table: pd.DataFrame) -> Schema:
    return Schema.infer(table)


@pytest.fixture(scope="module")
def private_tvae(table: pd.DataFrame, schema: Schema) -> TVAE:
    model = TVAE(epochs=3, **SMALL)
    return model.fit(table, schema, seed=0, privacy={"epsilon": 3.0})


def _shares(rows: pd.DataFrame) -> dict[str, float]:
    counts = rows["color"].value_counts(normalize=True)
    return {level: float(counts.get(level, 0.0)) for level in COLOR_SHARES}


def _high_share(rows: pd.DataFrame) -> float:
    return float((rows["amount"].dropna() > 55).mean())


def test_private_tvae_draws_each_category_at_about_its_rate(private_tvae: TVAE) -> None:
    rows = private_tvae.sample(4000, seed=1)
    shares = _shares(rows)
    for level, share in COLOR_SHARES.items():
        assert shares[level] == pytest.approx(share, abs=0.06), (level, shares)
    assert _high_share(rows) == pytest.approx(HIGH_SHARE, abs=0.06)
    assert 0.35 < float(rows["flag"].mean()) < 0.65
    assert float(rows["amount"].isna().mean()) == pytest.approx(MISSING_SHARE, abs=0.05)


def test_tvae_starts_at_the_observed_shares_without_privacy(
    table: pd.DataFrame, schema: Schema
) -> None:
    model = TVAE(epochs=3, **SMALL).fit(table, schema, seed=0)
    rows = model.sample(4000, seed=1)
    shares = _shares(rows)
    for level, share in COLOR_SHARES.items():
        assert shares[level] == pytest.approx(share, abs=0.05), (level, shares)
    assert _high_share(rows) == pytest.approx(HIGH_SHARE, abs=0.05)
    assert float(rows["amount"].isna().mean()) == pytest.approx(MISSING_SHARE, abs=0.04)


def test_argmax_decoding_of_the_same_private_decoder_emits_the_modes(private_tvae: TVAE) -> None:
    """The cause of the collapse: a decoder that barely reads its latent has one argmax
    per block whatever the latent, the most frequent level."""
    private_tvae.discrete_decoding = "argmax"
    try:
        rows = private_tvae.sample(4000, seed=1)
    finally:
        private_tvae.discrete_decoding = "sample"
    shares = _shares(rows)
    assert shares["blue"] < 0.02 and shares["red"] > 0.9, shares
    assert _high_share(rows) < 0.02 and float(rows["amount"].isna().mean()) < 0.02


def test_output_shares_come_from_the_release(private_tvae: TVAE) -> None:
    layout: OutputLayout = private_tvae._layout
    shares = released_log_shares(private_tvae.encoder_, layout, {"amount": 0.05}).cpu().numpy()
    color = next(b for b in layout.discrete if b.column == "color")
    codec = private_tvae.encoder_.encoders["color"].codec  # type: ignore[attr-defined]
    released = np.asarray(codec.counts, dtype=np.float64)
    np.testing.assert_allclose(
        np.exp(shares[color.start : color.start + color.width]), released / released.sum()
    )
    # Width-2 blocks: the boolean flag (discrete, first), then amount's missing flag.
    pairs = next(g for g in layout.softmax_groups if g.width == 2)
    np.testing.assert_allclose(np.exp(shares[pairs.stop - 2 : pairs.stop]), [0.95, 0.05])
    assert (shares[layout.tanh] == 0).all()  # scalars keep their own biases


def test_missing_flags_start_at_the_released_count(private_tvae: TVAE, table: pd.DataFrame) -> None:
    release = private_tvae._release
    shares = released_missing_shares(release, ROWS)
    assert set(shares) == {"amount"}
    assert shares["amount"] == pytest.approx(table["amount"].isna().mean(), abs=0.02)
    # A release that flags missing values without counting them: the flagging bar's share.
    uncounted = dataclasses.replace(release.columns["amount"], missing_count=None)
    bare = dataclasses.replace(release, columns={**release.columns, "amount": uncounted})
    fallback = released_missing_shares(bare, ROWS)["amount"]
    assert fallback == flagged_missing_share(release.sigma, ROWS)
    assert 0 < fallback < table["amount"].isna().mean()


def test_log_shares_floor_and_empty_total() -> None:
    np.testing.assert_allclose(np.exp(log_shares(np.array([3.0, 1.0]))), [0.75, 0.25])
    assert log_shares(np.array([5.0, 0.0]))[1] == pytest.approx(np.log(1e-4))
    np.testing.assert_allclose(np.exp(log_shares(np.zeros(4))), 0.25)


def test_unknown_decoding_is_refused() -> None:
    with pytest.raises(ParameterError, match="discrete_decoding must be one of sample, argmax"):
        TVAE(discrete_decoding="mean")
