"""Unit tests of the reversible column encoders and the TableEncoder."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from synthera.errors import (
    ColumnNotFoundError,
    ModelFileError,
    NotFittedError,
    ParameterError,
    SchemaError,
)
from synthera.schema import ColumnKind, ColumnSpec, Schema
from synthera.transforms import RARE_LABEL, Span, Style, TableEncoder
from synthera.transforms.mixture import ALPHA_CLIP

K = ColumnKind
STYLES: list[Style] = ["mode_specific", "normal_score"]
CENSUS = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "census.csv.gz"


def schema_of(*specs: tuple[str, ColumnKind] | ColumnSpec, rare_threshold: int = 0) -> Schema:
    columns = tuple(s if isinstance(s, ColumnSpec) else ColumnSpec(*s) for s in specs)
    return Schema(columns=columns, rare_threshold=rare_threshold)


def round_trip(encoder: TableEncoder, df: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    return encoder.inverse_transform(encoder.transform(df, seed=seed), seed=seed)


def to_json_tree(state: Any) -> Any:
    """What the persistence layer does: arrays out (here: to lists), the rest as JSON."""
    if isinstance(state, dict):
        return {key: to_json_tree(value) for key, value in state.items()}
    if isinstance(state, list):
        return [to_json_tree(value) for value in state]
    if isinstance(state, np.ndarray):
        return state.tolist()
    return state


def without_arrays(state: Any) -> Any:
    if isinstance(state, dict):
        return {key: without_arrays(value) for key, value in state.items()}
    if isinstance(state, list):
        return [without_arrays(value) for value in state]
    if isinstance(state, np.ndarray):
        return "<array>"
    return state


@pytest.fixture(scope="module")
def mixed() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 400
    income = np.where(rng.random(n) < 0.3, 0.0, rng.lognormal(10, 1, n))
    income[rng.random(n) < 0.1] = np.nan
    age = pd.array(rng.integers(18, 90, n), dtype="Int64")
    age[rng.random(n) < 0.05] = pd.NA
    city = pd.Series(rng.choice(["Paris", "Lyon", "Nice", "Zürich"], n), dtype="str")
    city[rng.random(n) < 0.05] = np.nan
    joined = pd.Timestamp("2015-01-01") + pd.to_timedelta(rng.integers(0, 3000, n), unit="D")
    return pd.DataFrame(
        {
            "customer_id": [f"C{i:06d}" for i in rng.permutation(n) + 100],
            "income": income,
            "age": age,
            "city": city,
            "member": rng.random(n) < 0.4,
            "joined": pd.Series(joined).mask(rng.random(n) < 0.05),
            "comment": pd.Series(["some words here"] * n, dtype="str"),
        }
    )


@pytest.fixture(scope="module")
def mixed_schema() -> Schema:
    return schema_of(
        ("customer_id", K.ID),
        ("income", K.NUMERIC),
        ("age", K.INTEGER),
        ("city", K.CATEGORICAL),
        ("member", K.BOOLEAN),
        ("joined", K.DATETIME),
        ("comment", K.TEXT),
    )


@pytest.fixture(scope="module", params=STYLES)
def fitted(request: pytest.FixtureRequest, mixed: pd.DataFrame, mixed_schema: Schema):
    return TableEncoder(mixed_schema, style=request.param).fit(mixed, seed=3)


# ---- layout -------------------------------------------------------------------------------


def test_mode_specific_spans_and_widths(mixed: pd.DataFrame, mixed_schema: Schema) -> None:
    encoder = TableEncoder(mixed_schema, style="mode_specific").fit(mixed, seed=0)
    spans = encoder.spans
    assert all(isinstance(s, Span) for s in spans)
    assert encoder.output_width == sum(s.width for s in spans)
    by_column: dict[str, list[Span]] = {}
    for span in spans:
        by_column.setdefault(span.column, []).append(span)
    assert set(by_column) == {"income", "age", "city", "member", "joined"}
    income = by_column["income"]
    assert [(s.activation, s.role) for s in income] == [
        ("tanh", "value"),
        ("softmax", "mode"),
        ("softmax", "missing"),
    ]
    assert income[0].width == 1 and 1 <= income[1].width <= 10 and income[2].width == 2
    # 4 cities + missing as its own level; a boolean without missing values: 2 levels.
    assert [(s.width, s.activation, s.role) for s in by_column["city"]] == [
        (5, "softmax", "category")
    ]
    assert [(s.width, s.activation) for s in by_column["member"]] == [(2, "softmax")]
    slices = encoder.column_slices()
    assert list(slices) == mixed_schema.names
    assert slices["customer_id"].stop - slices["customer_id"].start == 0
    assert slices["comment"].stop - slices["comment"].start == 0
    for name, spans_of in by_column.items():
        assert slices[name].stop - slices[name].start == sum(s.width for s in spans_of)
    assert max(s.stop for s in slices.values()) == encoder.output_width


def test_normal_score_spans(mixed: pd.DataFrame, mixed_schema: Schema) -> None:
    encoder = TableEncoder(mixed_schema, style="normal_score").fit(mixed, seed=0)
    assert [(s.column, s.width, s.activation, s.role) for s in encoder.spans] == [
        ("income", 1, "identity", "value"),
        ("income", 1, "identity", "missing"),
        ("age", 1, "identity", "value"),
        ("age", 1, "identity", "missing"),
        ("city", 1, "identity", "category"),
        ("member", 1, "identity", "category"),
        ("joined", 1, "identity", "value"),
        ("joined", 1, "identity", "missing"),
    ]
    data = encoder.transform(mixed, seed=1)
    assert data.shape == (len(mixed), 8)
    # Scores are roughly standard normal.
    assert np.all(np.abs(data.mean(axis=0)) < 0.3)
    assert np.all(np.abs(data.std(axis=0) - 1) < 0.3)


def test_round_trip_is_exact(fitted: TableEncoder, mixed: pd.DataFrame) -> None:
    back = round_trip(fitted, mixed)
    assert list(back.columns) == list(mixed.columns)
    for name in ["age", "city", "member", "joined"]:
        pd.testing.assert_series_equal(back[name], mixed[name], check_names=False)
    np.testing.assert_allclose(back["income"], mixed["income"], rtol=1e-9, atol=1e-6)
    assert back["income"].isna().equals(mixed["income"].isna())


def test_float32_output(mixed: pd.DataFrame, mixed_schema: Schema) -> None:
    encoder = TableEncoder(mixed_schema, dtype=np.float32).fit(mixed, seed=0)
    data = encoder.transform(mixed, seed=0)
    assert data.dtype == np.float32
    back = encoder.inverse_transform(data)
    assert back["city"].equals(mixed["city"])
    spread = np.nanmax(mixed["income"]) - np.nanmin(mixed["income"])
    np.testing.assert_allclose(back["income"], mixed["income"], rtol=0, atol=1e-5 * spread)


# ---- mode-specific normalization ------------------------------------------------------------


def test_mode_specific_alpha_range_and_one_hot_modes() -> None:
    rng = np.random.default_rng(0)
    values = np.concatenate(
        [rng.normal(0, 1, 3000), rng.normal(3, 2, 2000), [1e6, -1e5, 400.0]]  # far tails
    )
    df = pd.DataFrame({"x": values})
    encoder = TableEncoder(schema_of(("x", K.NUMERIC))).fit(df, seed=1)
    data = encoder.transform(df, seed=2)
    alpha, modes = data[:, 0], data[:, 1:]
    assert np.all(np.abs(alpha) <= ALPHA_CLIP)
    assert np.all(modes.sum(axis=1) == 1) and set(np.unique(modes)) == {0.0, 1.0}
    back = encoder.inverse_transform(data)["x"].to_numpy()
    np.testing.assert_allclose(back, values, rtol=0, atol=1e-6 * np.ptp(values))
    # Modes are sampled (seeded): another seed gives other modes but the same values back.
    other = encoder.transform(df, seed=3)
    assert not np.array_equal(other, data)
    np.testing.assert_allclose(encoder.inverse_transform(other)["x"], values, atol=1e-3)


def test_mode_sampling_follows_the_mixture() -> None:
    rng = np.random.default_rng(0)
    values = np.concatenate([rng.normal(-100, 1, 2000), rng.normal(100, 1, 2000)])
    df = pd.DataFrame({"x": values})
    encoder = TableEncoder(schema_of(("x", K.NUMERIC))).fit(df, seed=0)
    assert encoder.spans[1].width == 2
    modes = encoder.transform(df, seed=0)[:, 1:].argmax(axis=1)
    assert len(set(zip(values < 0, modes, strict=True))) == 2  # each cluster has its own mode


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize(
    "values",
    [[5.0] * 30, [1.0, 2.0] * 15, [0.0] * 29 + [1e9], [3.0, np.nan, 3.0], [1e-300, 2e-300]],
)
def test_degenerate_numeric_columns(style: Style, values: list[float]) -> None:
    df = pd.DataFrame({"x": values, "n": pd.array(np.nan_to_num(values), dtype="float64")})
    schema = schema_of(("x", K.NUMERIC), ("n", K.NUMERIC))
    encoder = TableEncoder(schema, style=style).fit(df, seed=0)
    back = round_trip(encoder, df)
    pd.testing.assert_frame_equal(back, df, check_exact=False, rtol=1e-9)


@pytest.mark.parametrize("style", STYLES)
def test_all_missing_columns_decode_as_missing(style: Style) -> None:
    df = pd.DataFrame({"x": [np.nan] * 4, "c": pd.Series([None] * 4, dtype="str")})
    encoder = TableEncoder(schema_of(("x", K.NUMERIC), ("c", K.CATEGORICAL)), style=style)
    encoder.fit(df, seed=0)
    noise = np.random.default_rng(0).normal(size=(10, encoder.output_width))
    back = encoder.inverse_transform(noise)
    assert back.isna().all().all()


# ---- normal scores --------------------------------------------------------------------------


def test_normal_score_is_exact_with_few_distinct_values() -> None:
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"x": rng.choice([0.1, 0.2, 7.5, 1e4], 500)})
    encoder = TableEncoder(schema_of(("x", K.NUMERIC)), style="normal_score").fit(df)
    data = encoder.transform(df)
    assert np.unique(data).size == 4  # mid-rank CDF: one score per distinct value
    assert round_trip(encoder, df)["x"].equals(df["x"])
    # Any score decodes to one of the values, with about the right frequencies.
    back = encoder.inverse_transform(rng.standard_normal((20000, 1)))["x"]
    assert set(back) <= {0.1, 0.2, 7.5, 1e4}
    expected = df["x"].value_counts(normalize=True)
    got = back.value_counts(normalize=True).reindex(expected.index)
    np.testing.assert_allclose(got, expected, atol=0.02)


def test_normal_score_with_more_values_than_knots() -> None:
    rng = np.random.default_rng(2)
    values = np.concatenate([np.zeros(2000), rng.lognormal(3, 1, 8000)])
    df = pd.DataFrame({"x": values})
    encoder = TableEncoder(schema_of(("x", K.NUMERIC)), style="normal_score", max_knots=50)
    encoder.fit(df)
    state = encoder.get_state()["columns"][0]["encoder"]
    assert state["knots"].size <= 50
    back = round_trip(encoder, df)["x"].to_numpy()
    np.testing.assert_allclose(back, values, rtol=0, atol=1e-9 * np.ptp(values))
    # The marginal survives decoding of fresh normal scores, point mass at zero included.
    fresh = encoder.inverse_transform(rng.standard_normal((20000, 1)))["x"]
    assert abs((fresh == 0).mean() - 0.2) < 0.02
    assert fresh.min() >= 0 and fresh.max() <= values.max()
    assert abs(fresh.median() - np.median(values)) < 0.1 * np.median(values)


def test_normal_score_categories_own_frequency_intervals() -> None:
    df = pd.DataFrame({"c": pd.Series(["a"] * 60 + ["b"] * 30 + ["c"] * 10, dtype="str")})
    jittered = TableEncoder(schema_of(("c", K.CATEGORICAL)), style="normal_score").fit(df)
    middle = TableEncoder(schema_of(("c", K.CATEGORICAL)), style="normal_score", jitter=False)
    middle.fit(df)
    from scipy.stats import norm

    u = norm.cdf(middle.transform(df)[:, 0])
    np.testing.assert_allclose(np.unique(u), [0.3, 0.75, 0.95])  # midpoints, most frequent first
    u = norm.cdf(jittered.transform(df, seed=0)[:, 0])
    assert np.all(u[:60] < 0.6) and np.all((u[60:90] > 0.6) & (u[60:90] < 0.9))
    assert np.unique(u).size == 100
    assert round_trip(jittered, df)["c"].equals(df["c"])


# ---- categories -----------------------------------------------------------------------------


@pytest.mark.parametrize("style", STYLES)
def test_rare_levels_are_folded_and_never_decoded(style: Style) -> None:
    common = ["north"] * 40 + ["south"] * 30 + ["east"] * 25
    df = pd.DataFrame(
        {
            "region": pd.Series([*common, "Atlantis", "Lemuria", "Mu", "Mu", "Thule"], dtype="str"),
            "code": [*([1] * 50 + [2] * 45), 7777, 7777, 8888, 9999, 1],
            "flag": [True] * 99 + [False],
        }
    )
    schema = schema_of(
        ("region", K.CATEGORICAL), ("code", K.CATEGORICAL), ("flag", K.BOOLEAN), rare_threshold=5
    )
    encoder = TableEncoder(schema, style=style).fit(df, seed=0)
    back = round_trip(encoder, df)
    expected = df["region"].where(df["region"].isin(["north", "south", "east"]), RARE_LABEL)
    assert back["region"].equals(expected)
    assert back["region"].dtype == "str"
    assert list(back["code"]) == [*([1] * 50 + [2] * 45), *[RARE_LABEL] * 4, 1]
    assert back["code"].dtype == object  # folding made an integer column hold a label
    assert back["flag"].equals(df["flag"])  # booleans are never folded
    noise = np.random.default_rng(0).normal(scale=5, size=(5000, encoder.output_width))
    decoded = encoder.inverse_transform(noise)
    assert set(decoded["region"]) <= {"north", "south", "east", RARE_LABEL}
    assert set(decoded["code"]) <= {1, 2, RARE_LABEL}
    text = json.dumps(to_json_tree(encoder.get_state()))
    for one_off in ["Atlantis", "Lemuria", "Thule", "7777", "8888", "9999"]:
        assert one_off not in text


def test_no_folding_keeps_integer_codes_and_declared_levels() -> None:
    df = pd.DataFrame({"code": [1] * 20 + [2] * 20 + [3]})
    schema = Schema(
        columns=(ColumnSpec("code", K.CATEGORICAL, categories=(1, 2, 3)),), rare_threshold=5
    )
    back = round_trip(TableEncoder(schema).fit(df), df)
    assert back["code"].dtype == np.int64 and back["code"].equals(df["code"])


@pytest.mark.parametrize("style", STYLES)
def test_unknown_categories(style: Style) -> None:
    df = pd.DataFrame(
        {
            "a": pd.Series(["x"] * 10 + ["y"] * 5 + ["z"], dtype="str"),
            "b": pd.Series(["p"] * 10 + ["q"] * 6, dtype="str"),
        }
    )
    schema = schema_of(("a", K.CATEGORICAL), ("b", K.CATEGORICAL), rare_threshold=2)
    encoder = TableEncoder(schema, style=style).fit(df, seed=0)
    new = pd.DataFrame({"a": ["never seen", "y", None], "b": ["never seen", "q", None]})
    back = round_trip(encoder, new)
    assert list(back["a"]) == [RARE_LABEL, "y", RARE_LABEL]  # to the rare level ...
    assert list(back["b"]) == ["p", "q", "p"]  # ... or, without one, the most frequent


@pytest.mark.parametrize("style", STYLES)
def test_categorical_dtypes_survive(style: Style) -> None:
    df = pd.DataFrame(
        {
            "s": pd.Series(["α", "", " ", "日本", None] * 4, dtype="str"),
            "o": pd.Series(["a", 1, 2.5, True, None] * 4, dtype=object),
            "f": [0.5, 1.5, 0.5, np.nan, 2.0] * 4,
            "i": pd.array([1, 2, None, 1, 2] * 4, dtype="Int64"),
            "k": pd.Series(["lo", "hi", "lo", "mid", None] * 4, dtype="category"),
            "b": pd.Series([True, False, None, True, False] * 4, dtype=object),
            "nb": pd.array([True, False, None, True, False] * 4, dtype="boolean"),
            "yn": pd.Series(["yes", "no", "no", "yes", "no"] * 4, dtype="str"),
            "u": np.array([3, 1, 3, 1, 1] * 4, dtype=np.uint8),
        }
    )
    schema = schema_of(
        *[(name, K.CATEGORICAL) for name in ["s", "o", "f", "i", "k", "u"]],
        *[(name, K.BOOLEAN) for name in ["b", "nb", "yn"]],
    )
    encoder = TableEncoder(schema, style=style).fit(df, seed=0)
    back = round_trip(encoder, df)
    for name in ["s", "f", "i", "nb", "yn", "u"]:
        pd.testing.assert_series_equal(back[name], df[name], check_names=False)
    for name in ["o", "b"]:
        assert back[name].dtype == object
        assert back[name].isna().equals(df[name].isna())
        assert back[name].dropna().tolist() == df[name].dropna().tolist()
    assert isinstance(back["k"].dtype, pd.CategoricalDtype)
    assert back["k"].astype(object).equals(df["k"].astype(object))
    restored = TableEncoder.from_state(schema, to_json_tree(encoder.get_state()))
    pd.testing.assert_frame_equal(round_trip(restored, df), back)


def test_many_levels_are_cheap() -> None:
    rng = np.random.default_rng(0)
    n = 200_000
    df = pd.DataFrame({"c": pd.Series(rng.integers(0, 50_000, n).astype(str), dtype="str")})
    encoder = TableEncoder(schema_of(("c", K.CATEGORICAL)), style="normal_score").fit(df)
    assert round_trip(encoder, df)["c"].equals(df["c"])


# ---- ids and text ---------------------------------------------------------------------------


@pytest.mark.parametrize("style", STYLES)
def test_id_regeneration(style: Style) -> None:
    rng = np.random.default_rng(0)
    n = 300
    df = pd.DataFrame(
        {
            "int_id": rng.permutation(n) * 7 + 1000,
            "code_id": [f"INV-{i:05d}/X" for i in rng.permutation(n)],
            "uuid_id": [str(uuid.UUID(int=int(i))) for i in rng.integers(0, 2**62, n)],
            "free_id": ["".join(w) for w in rng.choice(list("abcxyz-"), (n, 6))],
            "short": [f"{i:x}" for i in range(n)],  # every hex digit is taken as first char
            "value": rng.normal(size=n),
        }
    )
    names = ["int_id", "code_id", "uuid_id", "free_id", "short"]
    schema = schema_of(*[(name, K.ID) for name in names], ("value", K.NUMERIC))
    encoder = TableEncoder(schema, style=style).fit(df, seed=0)
    assert {s.column for s in encoder.spans} == {"value"}
    back = encoder.inverse_transform(np.zeros((1000, encoder.output_width)), seed=1)
    for name in names:
        assert len(back[name]) == 1000
        assert back[name].is_unique, name
        assert not back[name].isin(df[name]).any(), name
        assert back[name].notna().all()
    assert back["int_id"].dtype == np.int64 and back["int_id"].min() == df["int_id"].max() + 1
    assert back["code_id"].iloc[0] == f"INV-{n:05d}/X"
    assert back["code_id"].str.fullmatch(r"INV-\d{5}/X").all()
    assert back["uuid_id"].map(lambda s: uuid.UUID(s).version).eq(4).all()
    assert back["free_id"].str.len().eq(df["free_id"].str.len().mode()[0]).all()
    assert back["code_id"].dtype == "str"
    text = json.dumps(to_json_tree(encoder.get_state()))
    for name in ["code_id", "uuid_id", "free_id"]:
        assert not any(real in text for real in df[name])


def test_text_decodes_as_missing(fitted: TableEncoder, mixed: pd.DataFrame) -> None:
    back = fitted.inverse_transform(fitted.transform(mixed))
    assert back["comment"].isna().all()
    assert back["comment"].dtype == "str"


# ---- datetimes ------------------------------------------------------------------------------


@pytest.mark.parametrize("style", STYLES)
def test_datetime_resolution_and_time_zones(style: Style) -> None:
    rng = np.random.default_rng(0)
    n = 300
    days = pd.Timestamp("1999-12-31") + pd.to_timedelta(rng.integers(0, 10_000, n), unit="D")
    df = pd.DataFrame(
        {
            "day": days,
            "minute": pd.Timestamp("2021-03-01 08:00")
            + pd.to_timedelta(rng.integers(0, 10**6, n), unit="min"),
            "local": (days + pd.Timedelta(hours=9)).tz_localize("Europe/Berlin"),
            "text": pd.Series(days.strftime("%d.%m.%Y"), dtype="str"),
            "mixed": pd.Series(days.strftime("%Y-%m-%d"), dtype="str"),
        }
    )
    schema = schema_of(
        ("day", K.DATETIME),
        ("minute", K.DATETIME),
        ("local", K.DATETIME),
        ColumnSpec("text", K.DATETIME, datetime_format="%d.%m.%Y"),
        ColumnSpec("mixed", K.DATETIME, datetime_format="mixed"),
    )
    encoder = TableEncoder(schema, style=style).fit(df, seed=0)
    pd.testing.assert_frame_equal(round_trip(encoder, df), df)
    noise = rng.normal(scale=2.0, size=(2000, encoder.output_width))
    back = encoder.inverse_transform(noise)
    assert (back["day"] == back["day"].dt.normalize()).all()  # day resolution learned
    assert (back["minute"].dt.second == 0).all()
    assert str(back["local"].dt.tz) == "Europe/Berlin"
    assert (back["local"].dt.hour == 9).all()  # local wall-clock time kept across DST
    for name in ["day", "minute", "local"]:
        assert back[name].between(df[name].min(), df[name].max()).all()
    parsed = pd.to_datetime(back["text"], format="%d.%m.%Y")
    assert parsed.between(days.min(), days.max()).all()
    assert back["mixed"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()


def test_datetime_strings_with_offsets() -> None:
    df = pd.DataFrame({"t": ["2020-01-01 10:00:00+0100", "2020-06-01 11:30:00+0100", None]})
    schema = schema_of(ColumnSpec("t", K.DATETIME, datetime_format="%Y-%m-%d %H:%M:%S%z"))
    encoder = TableEncoder(schema).fit(df, seed=0)
    back = round_trip(encoder, df)
    assert back["t"].tolist()[:2] == df["t"].tolist()[:2] and pd.isna(back["t"].iloc[2])
    restored = TableEncoder.from_state(schema, to_json_tree(encoder.get_state()))
    assert round_trip(restored, df)["t"].equals(back["t"])


# ---- numbers --------------------------------------------------------------------------------


@pytest.mark.parametrize("style", STYLES)
def test_declared_bounds_and_integer_rounding(style: Style) -> None:
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"share": rng.uniform(-0.2, 1.2, 500), "n": rng.integers(0, 1000, 500)})
    schema = schema_of(
        ColumnSpec("share", K.NUMERIC, lower=0.0, upper=1.0),
        ColumnSpec("n", K.INTEGER, lower=10),
    )
    encoder = TableEncoder(schema, style=style).fit(df, seed=0)
    noise = rng.normal(scale=3, size=(5000, encoder.output_width))
    back = encoder.inverse_transform(noise)
    assert back["share"].between(0.0, 1.0).all()
    assert back["n"].dtype == np.int64 and back["n"].between(10, df["n"].max()).all()


@pytest.mark.parametrize("style", STYLES)
def test_missing_values_where_none_were_fitted_are_imputed(style: Style) -> None:
    df = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "c": pd.Series(list("aabb"), dtype="str")})
    encoder = TableEncoder(schema_of(("x", K.NUMERIC), ("c", K.CATEGORICAL)), style=style)
    encoder.fit(df, seed=0)
    new = pd.DataFrame({"x": [np.nan, 2.0], "c": pd.Series([None, "b"], dtype="str")})
    back = round_trip(encoder, new)
    assert back.notna().all().all()
    assert back["x"].between(1, 4).all() and back["x"].iloc[1] == 2.0


# ---- decoding generator output --------------------------------------------------------------


def test_decode_accepts_logits_and_garbage(fitted: TableEncoder, mixed: pd.DataFrame) -> None:
    rng = np.random.default_rng(0)
    data = rng.normal(scale=10, size=(3000, fitted.output_width))
    data[::7] = np.nan
    data[1::11] = np.inf
    data[2::13] = -np.inf
    back = fitted.inverse_transform(data, seed=0)
    assert len(back) == 3000 and list(back.columns) == list(mixed.columns)
    assert back["city"].dropna().isin(mixed["city"].dropna()).all()
    assert set(back["member"]) <= {True, False} and back["member"].dtype == bool
    assert back["age"].dtype == "Int64"
    assert back["age"].dropna().between(mixed["age"].min(), mixed["age"].max()).all()
    assert back["income"].dropna().between(0, mixed["income"].max()).all()
    assert back["joined"].dropna().between(mixed["joined"].min(), mixed["joined"].max()).all()
    if fitted.style == "mode_specific":  # probabilities, not one-hots: argmax decides
        probs = fitted.transform(mixed, seed=0)
        for span, part in zip(fitted.spans, _split(probs, fitted.spans), strict=True):
            if span.activation == "softmax":
                part[:] = 0.8 * part + 0.2 / span.width
        assert round_trip_data(fitted, probs)["city"].equals(mixed["city"])


def _split(data: np.ndarray, spans: list[Span]) -> list[np.ndarray]:
    out, start = [], 0
    for span in spans:
        out.append(data[:, start : start + span.width])
        start += span.width
    return out


def round_trip_data(encoder: TableEncoder, data: np.ndarray) -> pd.DataFrame:
    return encoder.inverse_transform(data, seed=0)


# ---- state ----------------------------------------------------------------------------------


def test_state_round_trip_through_json(
    fitted: TableEncoder, mixed: pd.DataFrame, mixed_schema: Schema
) -> None:
    state = fitted.get_state()
    json.dumps(without_arrays(state))  # everything but the array leaves is plain JSON
    arrays = [v for v in _leaves(state) if isinstance(v, np.ndarray)]
    assert arrays and all(a.dtype.kind in "biuf" for a in arrays)  # safetensors can hold them
    for restored in [
        TableEncoder.from_state(mixed_schema, state),
        TableEncoder.from_state(mixed_schema, json.loads(json.dumps(to_json_tree(state)))),
    ]:
        assert restored.spans == fitted.spans
        data = fitted.transform(mixed, seed=5)
        np.testing.assert_array_equal(restored.transform(mixed, seed=5), data)
        pd.testing.assert_frame_equal(
            restored.inverse_transform(data, seed=6), fitted.inverse_transform(data, seed=6)
        )


def _leaves(tree: Any) -> list[Any]:
    if isinstance(tree, dict):
        return [leaf for value in tree.values() for leaf in _leaves(value)]
    if isinstance(tree, list):
        return [leaf for value in tree for leaf in _leaves(value)]
    return [tree]


def _mutations() -> list[tuple[str, Any]]:
    def drop(key: str):
        return lambda s: s.pop(key)

    def column(i: int, key: str, value: Any):
        return lambda s: s["columns"][i]["encoder"].__setitem__(key, value)

    return [
        ("format", lambda s: s.__setitem__("format", "something else")),
        ("version", lambda s: s.__setitem__("format_version", 99)),
        ("style", lambda s: s.__setitem__("style", "magic")),
        ("columns", drop("columns")),
        ("columns type", lambda s: s.__setitem__("columns", "nope")),
        ("fewer columns", lambda s: s["columns"].pop()),
        ("renamed", lambda s: s["columns"][1].__setitem__("name", "salary")),
        ("kind", lambda s: s["columns"][1].__setitem__("kind", "categorical")),
        ("encoder type", column(1, "type", "frequency")),
        ("converter", column(1, "converter", {"type": "number"})),
        ("converter", column(1, "converter", [1, 2])),
        ("codec", column(3, "codec", {"levels": 3})),
        ("id mode", column(0, "mode", "telepathy")),
        ("id start", column(0, "start", "twelve")),
        ("text dtype", column(6, "dtype", "int64")),
    ]


@pytest.mark.parametrize(("what", "mutate"), _mutations())
def test_malformed_state_raises_model_file_error(
    fitted: TableEncoder, mixed_schema: Schema, what: str, mutate: Any
) -> None:
    state = to_json_tree(fitted.get_state())
    mutate(state)
    with pytest.raises(ModelFileError) as info:
        TableEncoder.from_state(mixed_schema, state)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda e: e.__setitem__("stds", np.array([-1.0])),
        lambda e: e.__setitem__("means", np.array([[1.0]])),
        lambda e: e.__setitem__("weights", np.ones(99)),
        lambda e: e.__setitem__("means", np.array([np.nan] * e["means"].size)),
        lambda e: e.__setitem__("has_missing", "yes"),
        lambda e: e["converter"].__setitem__("lower", "low"),
        lambda e: e["converter"].__setitem__("dtype", "complex128"),
    ],
)
def test_malformed_mixture_state(mixed: pd.DataFrame, mixed_schema: Schema, mutate: Any) -> None:
    encoder = TableEncoder(mixed_schema, style="mode_specific").fit(mixed, seed=0)
    state = encoder.get_state()
    mutate(state["columns"][1]["encoder"])
    with pytest.raises(ModelFileError, match="income"):
        TableEncoder.from_state(mixed_schema, state)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda e: e.__setitem__("knots", e["knots"][::-1].copy()),
        lambda e: e.__setitem__("cdf_lo", e["cdf_lo"][:-1].copy()),
        lambda e: e.__setitem__("missing_counts", np.array([1, 2, 3])),
    ],
)
def test_malformed_normal_score_state(
    mixed: pd.DataFrame, mixed_schema: Schema, mutate: Any
) -> None:
    encoder = TableEncoder(mixed_schema, style="normal_score").fit(mixed, seed=0)
    state = encoder.get_state()
    mutate(state["columns"][1]["encoder"])
    with pytest.raises(ModelFileError, match="income"):
        TableEncoder.from_state(mixed_schema, state)


def test_state_for_another_table_is_refused(fitted: TableEncoder) -> None:
    other = schema_of(("a", K.NUMERIC))
    with pytest.raises(ModelFileError, match="columns but the schema has"):
        TableEncoder.from_state(other, fitted.get_state())
    with pytest.raises(ModelFileError):
        TableEncoder.from_state(other, "not a state")  # type: ignore[arg-type]


# ---- input checks ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "kind", "message"),
    [
        (
            ["1", "abc", None],
            K.NUMERIC,
            "declared numeric but holds non-numeric values such as 'abc'",
        ),
        ([1.5, 2.0], K.INTEGER, "declared integer but holds non-whole numbers such as 1.5"),
        ([1.0, np.inf], K.NUMERIC, "holds infinite values"),
        (["2020-01-01", "soon"], K.DATETIME, "not dates, such as 'soon'"),
        ([1, 2], K.DATETIME, "declared datetime but holds numbers such as 1"),
        (["x", "y", "z"], K.BOOLEAN, "declared boolean but holds 3 different values"),
    ],
)
@pytest.mark.parametrize("style", STYLES)
def test_values_that_do_not_fit_the_kind(
    style: Style, column: list, kind: ColumnKind, message: str
) -> None:
    df = pd.DataFrame({"age": column})
    schema = schema_of(("age", kind))
    with pytest.raises(SchemaError) as info:
        TableEncoder(schema, style=style).fit(df)
    assert message in str(info.value) and "'age'" in str(info.value)
    assert "\n" not in str(info.value)


def test_transform_checks_values_too(fitted: TableEncoder, mixed: pd.DataFrame) -> None:
    bad = mixed.assign(income=mixed["income"].astype(object).where(mixed.index != 3, "lots"))
    with pytest.raises(SchemaError, match="'lots'"):
        fitted.transform(bad)
    with pytest.raises(ColumnNotFoundError):
        fitted.transform(mixed.drop(columns="city"))


def test_usage_errors(mixed: pd.DataFrame, mixed_schema: Schema) -> None:
    encoder = TableEncoder(mixed_schema)
    with pytest.raises(NotFittedError):
        encoder.transform(mixed)
    with pytest.raises(NotFittedError):
        _ = encoder.spans
    with pytest.raises(ParameterError):
        TableEncoder(mixed_schema, style="fancy")  # type: ignore[arg-type]
    with pytest.raises(ParameterError):
        TableEncoder(mixed_schema, max_knots=1)
    with pytest.raises(ParameterError):
        TableEncoder(mixed_schema, dtype=np.int64)
    with pytest.raises(SchemaError):
        encoder.fit(mixed.iloc[:0])
    encoder.fit(mixed, seed=0)
    with pytest.raises(ParameterError, match="shape"):
        encoder.inverse_transform(np.zeros((3, encoder.output_width + 1)))


def test_same_seed_same_output(mixed: pd.DataFrame, mixed_schema: Schema) -> None:
    a = TableEncoder(mixed_schema).fit(mixed, seed=11)
    b = TableEncoder(mixed_schema).fit(mixed, seed=11)
    assert a.spans == b.spans
    np.testing.assert_array_equal(a.transform(mixed, seed=1), b.transform(mixed, seed=1))
    data = a.transform(mixed, seed=1)
    pd.testing.assert_frame_equal(
        a.inverse_transform(data, seed=2), b.inverse_transform(data, seed=2)
    )


def test_index_and_column_order_of_input_do_not_matter(
    fitted: TableEncoder, mixed: pd.DataFrame
) -> None:
    shuffled = mixed[list(reversed(mixed.columns))].set_index(np.arange(len(mixed)) * 3 + 1)
    np.testing.assert_array_equal(
        fitted.transform(shuffled, seed=0), fitted.transform(mixed, seed=0)
    )


# ---- the real thing (skipped on a fresh clone without ../shared) ------------------------------


@pytest.mark.skipif(not CENSUS.exists(), reason="shared census dataset not available")
@pytest.mark.parametrize("style", STYLES)
def test_census_round_trip(style: Style) -> None:
    df = pd.read_csv(CENSUS, skipinitialspace=True, na_values=["?"]).sample(5000, random_state=0)
    df = df.reset_index(drop=True)
    schema = Schema.infer(df, rare_threshold=3)
    encoder = TableEncoder(schema, style=style).fit(df, seed=0)
    back = round_trip(encoder, df)
    for name in schema.of_kind(K.INTEGER):
        assert back[name].equals(df[name])
    country = df["native_country"]
    counts = country.value_counts()
    kept = country.isin(counts[counts >= 3].index) | country.isna()
    assert back["native_country"].equals(country.where(kept, RARE_LABEL))
