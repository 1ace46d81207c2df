"""Property-based round trips of the TableEncoder on random mixed tables (both styles)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthera.schema import ColumnKind, ColumnSpec, Schema
from synthera.transforms import Style, TableEncoder

K = ColumnKind
SCHEMA = Schema(
    columns=(
        ColumnSpec("num", K.NUMERIC),
        ColumnSpec("count", K.INTEGER),
        ColumnSpec("label", K.CATEGORICAL),
        ColumnSpec("code", K.CATEGORICAL),
        ColumnSpec("flag", K.BOOLEAN),
        ColumnSpec("day", K.DATETIME),
        ColumnSpec("stamp", K.DATETIME),
        ColumnSpec("stamp_tz", K.DATETIME),
        ColumnSpec("day_text", K.DATETIME, datetime_format="%d/%m/%Y"),
        ColumnSpec("row_id", K.ID),
        ColumnSpec("note", K.TEXT),
    )
)
EXACT = ["label", "code", "flag", "day", "stamp", "stamp_tz", "day_text"]
LABELS = ["a", "B", "é", "日本語", "", " ", "x y", "🙂", "None", "nan", "0"]
FIRST, LAST = dt.datetime(1900, 1, 1), dt.datetime(2100, 12, 31)


def _maybe(strategy: st.SearchStrategy, missing: bool) -> st.SearchStrategy:
    return st.one_of(st.none(), strategy) if missing else strategy


@st.composite
def mixed_frames(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(1, 40))
    gaps = draw(st.booleans())  # whether this table has missing values at all

    def column(strategy: st.SearchStrategy) -> list:
        return draw(st.lists(_maybe(strategy, gaps), min_size=n, max_size=n))

    floats = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False, allow_subnormal=False)
    stamps = st.datetimes(FIRST, LAST).map(
        lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000)
    )
    days = column(st.dates(FIRST.date(), LAST.date()))
    return pd.DataFrame(
        {
            "num": pd.array(column(floats), dtype="float64"),
            "count": pd.array(column(st.integers(-(10**9), 10**9)), dtype="Int64"),
            "label": pd.Series(column(st.sampled_from(LABELS)), dtype="str"),
            "code": draw(st.lists(st.sampled_from([3, 1, 2, 10, -7]), min_size=n, max_size=n)),
            "flag": draw(st.lists(st.booleans(), min_size=n, max_size=n)),
            "day": pd.to_datetime(pd.Series(days, dtype=object)),
            "stamp": pd.to_datetime(pd.Series(column(stamps), dtype=object)),
            "stamp_tz": pd.to_datetime(pd.Series(column(stamps), dtype=object))
            .dt.tz_localize("UTC")
            .dt.tz_convert("America/New_York"),
            "day_text": pd.Series(
                [None if d is None else d.strftime("%d/%m/%Y") for d in days], dtype="str"
            ),
            "row_id": [f"R{i:04d}" for i in range(n)],
            "note": pd.Series(column(st.text(max_size=5)), dtype="str"),
        }
    )


def _assert_round_trip(df: pd.DataFrame, back: pd.DataFrame) -> None:
    assert list(back.columns) == SCHEMA.names
    assert len(back) == len(df)
    for name in EXACT:
        pd.testing.assert_series_equal(back[name], df[name], check_names=False)
    for name in ["num", "count"]:
        original = df[name].to_numpy(dtype=float, na_value=np.nan)
        decoded = back[name].to_numpy(dtype=float, na_value=np.nan)
        np.testing.assert_array_equal(np.isnan(decoded), np.isnan(original))
        present = ~np.isnan(original)
        if present.any():
            spread = float(np.ptp(original[present]))
            np.testing.assert_allclose(
                decoded[present], original[present], rtol=0, atol=1e-6 * spread
            )
    assert back["count"].dtype == ("Int64" if df["count"].isna().any() else "int64")
    assert not back["row_id"].isin(df["row_id"]).any()
    assert back["row_id"].is_unique
    assert back["note"].isna().all()


@pytest.mark.parametrize(
    ("style", "options"),
    [
        ("mode_specific", {}),
        ("mode_specific", {"max_components": 2}),
        ("normal_score", {}),
        ("normal_score", {"max_knots": 3}),  # more distinct values than knots
        ("normal_score", {"jitter": False}),
    ],
)
@settings(derandomize=True, max_examples=25, deadline=None)
@given(df=mixed_frames(), seed=st.integers(0, 2**32 - 1))
def test_round_trip(style: Style, options: dict, df: pd.DataFrame, seed: int) -> None:
    encoder = TableEncoder(SCHEMA, style=style, **options).fit(df, seed=seed)
    data = encoder.transform(df, seed=seed + 1)
    assert data.shape == (len(df), encoder.output_width)
    assert np.all(np.isfinite(data))
    _assert_round_trip(df, encoder.inverse_transform(data, seed=seed + 2))


@pytest.mark.parametrize("style", ["mode_specific", "normal_score"])
@settings(derandomize=True, max_examples=20, deadline=None)
@given(df=mixed_frames(), seed=st.integers(0, 2**32 - 1))
def test_random_matrices_decode_to_valid_values(style: Style, df: pd.DataFrame, seed: int) -> None:
    encoder = TableEncoder(SCHEMA, style=style).fit(df, seed=seed)
    rng = np.random.default_rng(seed)
    noise = rng.normal(scale=3.0, size=(50, encoder.output_width))
    back = encoder.inverse_transform(noise, seed=seed)
    for name in ["num", "count", "day", "stamp", "stamp_tz"]:
        present = back[name].dropna()
        if len(present):
            assert present.min() >= df[name].min()
            assert present.max() <= df[name].max()
        if df[name].notna().all():
            assert back[name].notna().all()
    days = pd.to_datetime(back["day_text"], format="%d/%m/%Y").dropna()
    if len(days):
        assert days.isin(pd.date_range(df["day"].min(), df["day"].max())).all()
    for name in ["label", "code", "flag", "day_text"]:
        if name != "day_text":
            assert back[name].dropna().isin(df[name].dropna()).all()
        assert back[name].dtype == df[name].dtype
        if df[name].notna().all():
            assert back[name].notna().all()
