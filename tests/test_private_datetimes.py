"""Datetime columns under differential privacy: the release (range, resolution, missing
flag on a public month grid), declared bounds (free, honoured, listed as public), an
encoder that reads no value, and private fits of every DP-SGD model that generate
datetimes within the released range at about the real missing rate."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from synthera.models import registry
from synthera.models.autoregressive import AutoregressiveSynthesizer
from synthera.models.base import Synthesizer
from synthera.models.marginal_parts.domains import BinnedDomain, fit_domains
from synthera.models.marginal_parts.zcdp import ZcdpBudget
from synthera.privacy import time_axis
from synthera.privacy.encoding import private_encoder
from synthera.privacy.preprocessing import (
    DatetimeSummary,
    PrivateSummaries,
    private_summaries,
)
from synthera.schema import ColumnKind, ColumnSpec, Schema

N_ROWS = 2000
MISSING = {"admitted": 0.25, "recorded": 0.10}  # the real missing rates
EPOCH = pd.Timestamp("1970-01-01")
DAY = pd.Timedelta(days=1)
# Declared bounds of `admitted`, in days since 1970 (inside its real range).
DECLARED = ((pd.Timestamp("2020-03-01") - EPOCH) / DAY, (pd.Timestamp("2021-06-30") - EPOCH) / DAY)
FITS: dict[str, dict[str, Any]] = {
    "autoregressive": {"hidden": (32, 32), "max_epochs": 15, "device": "cpu"},
    "ctgan": {
        "epochs": 15,
        "batch_size": 100,
        "embedding_dim": 16,
        "generator_dim": (32, 32),
        "discriminator_dim": (32, 32),
        "device": "cpu",
    },
    "tvae": {
        "epochs": 3,
        "batch_size": 100,
        "embedding_dim": 16,
        "compress_dims": (32, 32),
        "decompress_dims": (32, 32),
        "device": "cpu",
    },
}


def patients(n: int = N_ROWS, seed: int = 0) -> pd.DataFrame:
    """Admission dates over two years, record times to the second over three months, both
    with missing values, beside a category and an integer."""
    rng = np.random.default_rng(seed)
    admitted = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 730, n), "D")
    recorded = pd.Timestamp("2021-03-01 06:00") + pd.to_timedelta(
        rng.integers(0, 86_400 * 90, n), "s"
    )
    return pd.DataFrame(
        {
            "admitted": pd.Series(admitted).mask(rng.random(n) < MISSING["admitted"]),
            "recorded": pd.Series(recorded).mask(rng.random(n) < MISSING["recorded"]),
            "ward": rng.choice(["cardio", "neuro", "ortho"], n),
            "age": rng.integers(18, 90, n),
        }
    )


def with_declared_bounds(schema: Schema) -> Schema:
    data = schema.to_dict()
    for column in data["columns"]:
        if column["name"] == "admitted":
            column["lower"], column["upper"] = DECLARED
    return Schema.from_dict(data)


def release(df: pd.DataFrame, schema: Schema, epsilon: float = 1.0) -> PrivateSummaries:
    return private_summaries(
        df, schema, epsilon=epsilon, delta=1e-6, max_components=10, rng=np.random.default_rng(0)
    )


def dates(summary: object) -> DatetimeSummary:
    assert isinstance(summary, DatetimeSummary)
    return summary


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return patients()


@pytest.fixture(scope="module")
def schema(table: pd.DataFrame) -> Schema:
    return Schema.infer(table)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


# ---- the release ------------------------------------------------------------------------------


def test_release_gives_each_datetime_a_range_a_resolution_and_a_missing_flag(
    table: pd.DataFrame, schema: Schema
) -> None:
    summaries = release(table, schema)
    admitted, recorded = dates(summaries.columns["admitted"]), dates(summaries.columns["recorded"])
    assert admitted.resolution_ns == time_axis.DAY_NS  # dates stay dates
    assert recorded.resolution_ns == 10**9  # times to the second
    assert admitted.has_missing and recorded.has_missing
    for name, summary in (("admitted", admitted), ("recorded", recorded)):
        assert summary.missing_count is not None  # the models' prior for missing values
        assert abs(summary.missing_count - table[name].isna().sum()) < 5 * summaries.sigma
    for name, summary in (("admitted", admitted), ("recorded", recorded)):
        values = table[name].dropna()
        low = EPOCH + summary.lower_days * DAY
        high = EPOCH + summary.upper_days * DAY
        assert values.between(low, high).mean() >= 0.95  # nearly every row inside
        assert low >= values.min() - 366 * DAY and high <= values.max() + 366 * DAY
        edges = summary.segment_edges
        assert edges[0] == 0.0 and edges[-1] == summary.upper
        assert np.all(np.diff(edges) > 0)  # no zero-width segment: no spurious spike
    # 4 columns, and each datetime's row also lands in one resolution cell.
    assert "sqrt(6)" in summaries.part.mechanism and "datetime" in summaries.part.mechanism
    assert summaries.part.epsilon == 1.0 and not summaries.notes


def test_a_large_table_gets_its_range_to_the_month() -> None:
    df = patients(20_000, seed=1)[["admitted"]]
    summary = dates(release(df, Schema.infer(df)).columns["admitted"])
    assert EPOCH + summary.lower_days * DAY == pd.Timestamp("2020-01-01")
    assert EPOCH + summary.upper_days * DAY == pd.Timestamp("2021-12-31")


def test_declared_bounds_are_free_honoured_and_listed_as_public(
    table: pd.DataFrame, schema: Schema
) -> None:
    declared = with_declared_bounds(schema)
    summaries = release(table, declared)
    admitted = dates(summaries.columns["admitted"])
    assert (admitted.lower_days, admitted.upper_days) == DECLARED
    assert any(
        "declared bounds of 'admitted'" in f and "days since 1970" in f for f in summaries.public
    )
    encoder = private_encoder(table, declared, summaries, max_components=10)
    back = encoder.inverse_transform(encoder.transform(table, seed=0), seed=0)
    low, high = EPOCH + DECLARED[0] * DAY, EPOCH + DECLARED[1] * DAY
    assert back["admitted"].dropna().between(low, high).all()
    inside = table["admitted"].between(low, high)
    assert (back["admitted"][inside] == table["admitted"][inside]).all()  # exact in range
    assert (back["admitted"].isna() == table["admitted"].isna()).all()


def test_zoned_bounds_are_utc_days_and_local_dates_stay_dates() -> None:
    rng = np.random.default_rng(2)
    naive = pd.Timestamp("2022-01-03") + pd.to_timedelta(rng.integers(0, 120, 3000) * 7, "D")
    # Local midnights across daylight-saving changes: whole days in wall-clock time only.
    df = pd.DataFrame({"visit": pd.Series(naive).dt.tz_localize("Europe/Paris")})
    schema = Schema((ColumnSpec("visit", ColumnKind.DATETIME, upper=19_100.0),))
    summaries = release(df, schema, epsilon=2.0)
    assert dates(summaries.columns["visit"]).resolution_ns == time_axis.DAY_NS
    encoder = private_encoder(df, schema, summaries, max_components=10)
    back = encoder.inverse_transform(encoder.transform(df, seed=0), seed=0)["visit"]
    assert str(back.dt.tz) == "Europe/Paris"
    assert (back.dt.hour == 0).all()  # local midnights
    # The declared upper bound is an instant (UTC days): nothing after it comes back.
    bound = pd.Timestamp(19_100 * 86_400, unit="s", tz="UTC")
    assert back.max() <= bound and back.max() > bound - DAY
    early = df["visit"] <= bound - DAY
    assert (back[early] == df["visit"][early]).all()


def test_text_dates_in_a_declared_date_format_need_no_resolution_cell() -> None:
    rng = np.random.default_rng(3)
    stamps = pd.Timestamp("2015-06-01") + pd.to_timedelta(rng.integers(0, 365, 3000), "D")
    df = pd.DataFrame({"signed": pd.Series(stamps.strftime("%d/%m/%Y")).astype(object)})
    schema = Schema((ColumnSpec("signed", ColumnKind.DATETIME, datetime_format="%d/%m/%Y"),))
    summaries = release(df, schema, epsilon=2.0)
    assert "sqrt(1)" in summaries.part.mechanism  # one column, whole days public
    assert any("whole days" in fact for fact in summaries.public)
    encoder = private_encoder(df, schema, summaries, max_components=10)
    back = encoder.inverse_transform(encoder.transform(df, seed=0), seed=0)["signed"]
    assert back.map(type).eq(str).all()
    assert back.str.fullmatch(r"\d{2}/\d{2}/\d{4}").all()


def test_the_encoder_reads_no_value_of_the_rows(table: pd.DataFrame, schema: Schema) -> None:
    summaries = release(table, schema)
    from_rows = private_encoder(table, schema, summaries, max_components=10)
    from_types = private_encoder(table.iloc[:0], schema, summaries, max_components=10)
    np.testing.assert_array_equal(
        from_rows.transform(table, seed=0), from_types.transform(table, seed=0)
    )


def test_aim_honours_declared_datetime_bounds(table: pd.DataFrame, schema: Schema) -> None:
    declared = with_declared_bounds(schema)
    budget = ZcdpBudget(epsilon=4.0, delta=1e-6, threshold_delta=1e-7)
    rng = np.random.default_rng(0)
    domain = fit_domains(table, declared, budget, budget.rho, rng, bins=16)["admitted"]
    assert isinstance(domain, BinnedDomain)
    assert (domain.lows[0], domain.highs[-1]) == DECLARED
    # Only `recorded` and `age` pay for private bounds; the declared ones are free.
    assert sum(name == "numeric bounds" for name, _, _ in budget.spent) == 2
    back = domain.decode(np.arange(domain.size).repeat(20), rng)
    low, high = EPOCH + DECLARED[0] * DAY, EPOCH + DECLARED[1] * DAY
    assert back.dropna().between(low, high).all() and back.isna().any()


# ---- private fits -----------------------------------------------------------------------------


Fitted = Callable[[str], tuple[Synthesizer, pd.DataFrame]]


@pytest.fixture(scope="module")
def fitted(table: pd.DataFrame, schema: Schema) -> Fitted:
    """A private fit at ε = 4 (tiny epochs) and 3,000 rows it generated, once per model."""
    fits: dict[str, tuple[Synthesizer, pd.DataFrame]] = {}

    def fit(name: str) -> tuple[Synthesizer, pd.DataFrame]:
        if name not in fits:
            model = registry.get_synthesizer(name, **FITS[name])
            model.fit(table, schema, seed=0, privacy={"epsilon": 4.0})
            fits[name] = (model, model.sample(3000, seed=1))
        return fits[name]

    return fit


def released_range(model: Synthesizer, name: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The first and last instant the fitted model's datetime converter can emit."""
    if isinstance(model, AutoregressiveSynthesizer):
        state = model.tokenizer_.get_state()["columns"][name]["converter"]
    else:
        state = model.encoder_.encoders[name].get_state()["converter"]  # type: ignore[attr-defined]
    first = pd.Timestamp(np.datetime64(state["origin"], state["unit"]))
    step = pd.Timedelta(int(state["resolution"]), unit=state["unit"])
    return first, first + int(state["upper"]) * step


@pytest.mark.parametrize("name", list(FITS))
def test_private_fits_generate_datetimes_within_the_released_range(
    name: str, table: pd.DataFrame, fitted: Fitted
) -> None:
    model, rows = fitted(name)
    ledger = model.privacy_
    assert ledger is not None and ledger.epsilon_spent <= 4.0
    assert [part.name for part in ledger.parts] == ["preprocessing", "training"]
    assert "datetime" in ledger.parts[0].mechanism
    for column in ("admitted", "recorded"):
        values = rows[column]
        assert values.dtype == table[column].dtype  # datetime64[us], naive
        low, high = released_range(model, column)
        present = values.dropna()
        assert present.between(low, high).all() and present.nunique() > 50
        real = table[column].dropna()
        assert low >= real.min() - 366 * DAY and high <= real.max() + 366 * DAY
    admitted, recorded = rows["admitted"].dropna(), rows["recorded"].dropna()
    assert (admitted.dt.normalize() == admitted).all()  # whole days, as the input
    assert (recorded.dt.normalize() != recorded).mean() > 0.9  # times of day kept
    assert (recorded.dt.microsecond == 0).all()  # to the second


@pytest.mark.parametrize("name", ["autoregressive", "ctgan", "tvae"])
def test_private_fits_generate_missing_dates_at_about_the_real_rate(
    name: str, fitted: Fitted
) -> None:
    _, rows = fitted(name)
    for column, rate in MISSING.items():
        generated = rows[column].isna().mean()
        assert abs(generated - rate) < 0.08, (column, generated)


def test_private_models_with_datetimes_save_and_load(fitted: Fitted, tmp_path: Path) -> None:
    model, _ = fitted("autoregressive")
    model.save(tmp_path / "m")
    loaded = AutoregressiveSynthesizer.load(tmp_path / "m")
    pd.testing.assert_frame_equal(loaded.sample(500, seed=5), model.sample(500, seed=5))


def test_a_private_fit_honours_declared_bounds_and_lists_them(
    table: pd.DataFrame, schema: Schema
) -> None:
    model = AutoregressiveSynthesizer(**FITS["autoregressive"])
    model.fit(table, with_declared_bounds(schema), seed=0, privacy={"epsilon": 4.0})
    rows = model.sample(3000, seed=2)["admitted"].dropna()
    low, high = EPOCH + DECLARED[0] * DAY, EPOCH + DECLARED[1] * DAY
    assert rows.between(low, high).all()
    assert rows.min() < low + 60 * DAY and rows.max() > high - 60 * DAY  # spans them
    assert model.privacy_ is not None and model.privacy_.epsilon_spent <= 4.0
    assert any("declared bounds of 'admitted'" in fact for fact in model.privacy_.public)
