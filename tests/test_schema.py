from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from synthera.errors import ColumnNotFoundError, SchemaError
from synthera.schema import ColumnKind, ColumnSpec, Schema


@pytest.fixture
def mixed() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 200
    codes = rng.choice([101, 202, 303], size=n)
    return pd.DataFrame(
        {
            "encounter_id": np.arange(1000, 1000 + n),
            "age": rng.normal(40, 10, n),
            "visits": pd.Series(rng.integers(0, 400, n)).mask(rng.random(n) < 0.1).astype("Int64"),
            "visits_float": np.where(rng.random(n) < 0.1, np.nan, rng.integers(0, 400, n)),
            "admission_type_id": codes,
            "stage": rng.integers(1, 5, n),
            "smoker": rng.choice(["yes", "no"], n),
            "flag": rng.choice([0, 1], n),
            "sex": rng.choice(["Female", "Male", "Other"], n),
            "diagnosis": [f"D{v}" for v in rng.integers(0, 150, n)],
            "visit_date": pd.date_range("2020-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
            "stamp": pd.date_range("2021-03-01", periods=n, freq="h"),
            "note": [
                f"patient reported a long and specific complaint number {i} today" for i in range(n)
            ],
            "customer": [f"C{i:05d}" for i in range(n)],
            "is_member": rng.random(n) < 0.3,
        }
    )


def test_infers_the_expected_kinds(mixed: pd.DataFrame) -> None:
    schema = Schema.infer(mixed)
    kinds = {c.name: c.kind for c in schema.columns}
    assert kinds == {
        "encounter_id": ColumnKind.ID,
        "age": ColumnKind.NUMERIC,
        "visits": ColumnKind.INTEGER,
        "visits_float": ColumnKind.INTEGER,  # integers with missing values stay integers
        "admission_type_id": ColumnKind.CATEGORICAL,  # a numeric-looking code
        "stage": ColumnKind.CATEGORICAL,  # few levels
        "smoker": ColumnKind.BOOLEAN,
        "flag": ColumnKind.BOOLEAN,
        "sex": ColumnKind.CATEGORICAL,
        "diagnosis": ColumnKind.CATEGORICAL,  # ~150 levels: still categorical
        "visit_date": ColumnKind.DATETIME,
        "stamp": ColumnKind.DATETIME,
        "note": ColumnKind.TEXT,
        "customer": ColumnKind.ID,
        "is_member": ColumnKind.BOOLEAN,
    }
    assert schema["visit_date"].datetime_format == "%Y-%m-%d"
    assert any("note" in n and "not modelled" in n for n in schema.notes)
    assert set(schema.modelled) == set(mixed.columns) - {"encounter_id", "note", "customer"}


def test_high_cardinality_codes_are_categorical() -> None:
    rng = np.random.default_rng(1)
    codes = [
        f"{v}.{w}"
        for v, w in zip(rng.integers(1, 999, 5000), rng.integers(0, 9, 5000), strict=True)
    ]
    schema = Schema.infer(pd.DataFrame({"diag_1": codes}))
    assert schema["diag_1"].kind is ColumnKind.CATEGORICAL


def test_pandas_string_dtype_is_understood() -> None:
    df = pd.DataFrame({"sex": pd.array(["a", "b", None, "a"] * 10, dtype="string")})
    assert Schema.infer(df)["sex"].kind is ColumnKind.CATEGORICAL


def test_overrides_roles_and_drop(mixed: pd.DataFrame) -> None:
    schema = Schema.infer(
        mixed,
        target="smoker",
        sensitive=["sex"],
        overrides={"stage": "integer"},
        drop=["note"],
        rare_threshold=5,
    )
    assert schema["stage"].kind is ColumnKind.INTEGER
    assert "note" not in schema
    assert schema.target == "smoker" and schema.sensitive == ("sex",)
    edited = schema.with_overrides({"age": ColumnKind.INTEGER}, target="flag", drop=["sex"])
    assert edited["age"].kind is ColumnKind.INTEGER
    assert edited.target == "flag"
    assert edited.sensitive == ()  # a dropped column loses its role
    assert edited.rare_threshold == 5


def test_json_round_trip(mixed: pd.DataFrame) -> None:
    schema = Schema.infer(mixed, target="sex", sensitive=["flag"], rare_threshold=3)
    schema = schema.with_overrides()
    text = schema.to_json()
    assert Schema.from_json(text) == schema
    data = json.loads(text)
    data["columns"][1]["lower"] = 0
    data["columns"][1]["rare_threshold"] = 2
    data["columns"][4]["categories"] = [101, 202, 303, 404]
    loaded = Schema.from_dict(data)
    assert loaded[data["columns"][1]["name"]].lower == 0
    assert loaded.rare_threshold_for(data["columns"][1]["name"]) == 2
    assert loaded.rare_threshold_for("sex") == 3
    assert loaded["admission_type_id"].categories == (101, 202, 303, 404)


def test_save_and_load(tmp_path, mixed: pd.DataFrame) -> None:
    schema = Schema.infer(mixed, target="sex")
    schema.save(tmp_path / "schema.json")
    assert Schema.load(tmp_path / "schema.json") == schema


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"columns": 3}', "'columns' list"),
        ('{"columns": [{"name": "a"}]}', "'name' and a 'kind'"),
        ('{"columns": [{"name": "a", "kind": "colour"}]}', "unknown kind"),
        ('{"columns": [{"name": "a", "kind": "numeric", "bogus": 1}]}', "unknown schema keys"),
        ('{"columns": [{"name": "a", "kind": "numeric"}], "target": "b"}', "'b' does not exist"),
        ('{"columns": [{"name": "a", "kind": "id"}, {"name": "a", "kind": "id"}]}', "twice"),
        ('{"format_version": 99, "columns": []}', "newer"),
    ],
)
def test_bad_schema_documents_get_one_line(document: str, message: str) -> None:
    with pytest.raises(SchemaError, match=message) as info:
        Schema.from_json(document)
    assert "\n" not in str(info.value)


def test_all_missing_column_is_a_clear_error() -> None:
    df = pd.DataFrame({"a": [1, 2, 3], "empty": [np.nan] * 3})
    with pytest.raises(SchemaError, match="'empty' is entirely missing"):
        Schema.infer(df)
    assert "empty" not in Schema.infer(df, drop=["empty"])


def test_unknown_columns_are_named() -> None:
    df = pd.DataFrame({"a": [1.0, 2.5], "b": ["x", "y"]})
    with pytest.raises(ColumnNotFoundError, match="'income' does not exist"):
        Schema.infer(df, target="income")
    schema = Schema.infer(df)
    with pytest.raises(ColumnNotFoundError, match="'b'"):
        schema.validate(df[["a"]])


def test_target_cannot_be_an_id() -> None:
    df = pd.DataFrame({"key": [f"k{i}" for i in range(30)], "x": np.arange(30) * 1.5})
    with pytest.raises(SchemaError, match="target column 'key' was inferred as id"):
        Schema.infer(df, target="key")


def test_spec_round_trip_keeps_declared_facts() -> None:
    spec = ColumnSpec("x", ColumnKind.NUMERIC, lower=0.0, upper=1.0)
    assert ColumnSpec.from_dict(spec.to_dict()) == spec


def test_dates_with_a_malformed_value_stay_categorical() -> None:
    dates = [f"2021-01-{d:02d}" for d in range(1, 29)] * 3
    clean = Schema.infer(pd.DataFrame({"d": dates}))
    assert clean["d"].kind is ColumnKind.DATETIME
    messy = Schema.infer(pd.DataFrame({"d": [*dates, "2021-02-31"]}))  # no such day
    assert messy["d"].kind is ColumnKind.CATEGORICAL


def test_huge_whole_floats_are_numeric_not_integer() -> None:
    rng = np.random.default_rng(2)
    df = pd.DataFrame({"big": rng.normal(size=50) * 1e300, "count": rng.integers(0, 500, 50)})
    schema = Schema.infer(df)
    assert schema["big"].kind is ColumnKind.NUMERIC
    assert schema["count"].kind is ColumnKind.INTEGER
