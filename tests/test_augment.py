"""Rebalancing and augmentation, through the library and the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from synthera.augment import augment, class_counts, model_classes, rebalanced_sample
from synthera.cli import app, parse_ratios
from synthera.errors import ColumnNotFoundError, ParameterError
from synthera.io import read_table, write_table
from synthera.models.copula import GaussianCopula
from synthera.schema import Schema
from tests.conftest import make_mixed_table

runner = CliRunner()


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return make_mixed_table(500, seed=7)


@pytest.fixture(scope="module")
def model(table: pd.DataFrame) -> GaussianCopula:
    schema = Schema.infer(table, target="high_income", sensitive=["sex"])
    return GaussianCopula().fit(table, schema, seed=0)


def test_class_counts_are_exact() -> None:
    assert class_counts(10, {"a": 1, "b": 1, "c": 1}) == {"a": 4, "b": 3, "c": 3}
    assert class_counts(7, {"x": 0.0, "y": 2.0}) == {"x": 0, "y": 7}
    with pytest.raises(ParameterError):
        class_counts(5, {"a": 0, "b": 0})
    with pytest.raises(ParameterError):
        class_counts(5, {"a": -1, "b": 2})


def test_rebalanced_sample_is_uniform_by_default(
    model: GaussianCopula, table: pd.DataFrame
) -> None:
    assert set(model_classes(model, "region")) == set(table["region"])
    rows = rebalanced_sample(model, 101, "region", seed=1)
    counts = rows["region"].value_counts()
    assert len(rows) == 101 and set(counts) == {21, 20} and counts.sum() == 101
    assert not rows["region"].is_monotonic_increasing  # classes come shuffled
    pd.testing.assert_frame_equal(rows, rebalanced_sample(model, 101, "region", seed=1))


def test_rebalanced_sample_follows_given_ratios(model: GaussianCopula) -> None:
    rows = rebalanced_sample(model, 80, "smoker", ratios={"True": 0.25, "false": 0.75}, seed=2)
    assert rows["smoker"].sum() == 20 and (~rows["smoker"]).sum() == 60
    rows = rebalanced_sample(model, 30, "sex", ratios={"Female": 1.0, "Male": 0.0}, seed=2)
    assert (rows["sex"] == "Female").all() and len(rows) == 30


def test_rebalancing_errors_name_the_problem(model: GaussianCopula) -> None:
    with pytest.raises(ParameterError, match="not a class of 'sex'"):
        rebalanced_sample(model, 10, "sex", ratios={"Other": 1.0})
    with pytest.raises(ParameterError, match="categorical or boolean"):
        rebalanced_sample(model, 10, "age")
    with pytest.raises(ColumnNotFoundError):
        rebalanced_sample(model, 10, "nope")


def test_augment_adds_rows_and_marks_them(table: pd.DataFrame, model: GaussianCopula) -> None:
    before = table.copy()
    result = augment(table, model, rows=120, mark_column="is_synthetic", seed=3)
    pd.testing.assert_frame_equal(table, before)  # the input is untouched
    assert len(result) == len(table) + 120
    assert list(result.columns) == [*table.columns, "is_synthetic"]
    assert result["is_synthetic"].sum() == 120 and not result["is_synthetic"].iloc[:500].any()
    pd.testing.assert_frame_equal(result.iloc[:500].drop(columns="is_synthetic"), table)
    assert result["age"].dtype == table["age"].dtype


def test_augment_balances_classes(table: pd.DataFrame, model: GaussianCopula) -> None:
    result = augment(table, model, balance="sex", seed=4)
    counts = result["sex"].value_counts()
    assert counts["Female"] == counts["Male"] == table["sex"].value_counts().max()
    assert len(result) - len(table) == abs(
        table["sex"].value_counts()["Male"] - table["sex"].value_counts()["Female"]
    )


def test_augment_refuses_ambiguous_requests(table: pd.DataFrame, model: GaussianCopula) -> None:
    with pytest.raises(ParameterError, match="either"):
        augment(table, model)
    with pytest.raises(ParameterError, match="either"):
        augment(table, model, rows=5, balance="sex")
    with pytest.raises(ParameterError, match="already has a column"):
        augment(table, model, rows=5, mark_column="sex")
    with pytest.raises(ColumnNotFoundError, match="'region'"):
        augment(table.drop(columns="region"), model, rows=5)


def test_parse_ratios_allows_equals_signs_in_labels() -> None:
    assert parse_ratios(">50K=0.5, <=50K=0.5") == {">50K": 0.5, "<=50K": 0.5}
    with pytest.raises(ParameterError, match="class=weight"):
        parse_ratios("a=0.5,b")


def test_cli_rebalance_and_augment(tmp_path: Path, table: pd.DataFrame) -> None:
    data = write_table(table, tmp_path / "data.csv")
    model_dir = tmp_path / "model"
    result = runner.invoke(
        app,
        ["fit", str(data), "--out", str(model_dir), "--model", "ctgan", "--seed", "0", "-q",
         "--json", "-p", "epochs=1", "-p", "batch_size=100", "-p", "device=cpu",
         "-p", "generator_dim=[16]", "-p", "discriminator_dim=[16]",
         "-p", "collapse_check_rows=500"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert isinstance(json.loads(result.stdout)["notes"], list)

    out = tmp_path / "balanced.csv"
    args = ["sample", str(model_dir), "-n", "60", "--out", str(out), "--seed", "1"]
    result = runner.invoke(app, [*args, "--rebalance", "sex", "--ratios", "Female=2,Male=1"])
    assert result.exit_code == 0, result.output
    assert read_table(out)["sex"].value_counts().to_dict() == {"Female": 40, "Male": 20}
    result = runner.invoke(app, [*args, "--ratios", "Female=1"])
    assert result.exit_code == 1 and "--rebalance" in result.output

    augmented = tmp_path / "augmented.csv"
    result = runner.invoke(
        app,
        ["augment", str(data), str(model_dir), "--balance", "sex", "--out", str(augmented),
         "--mark-column", "is_synthetic", "--seed", "2", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    written = read_table(augmented)
    counts = written["sex"].value_counts()
    assert counts["Female"] == counts["Male"] and written["is_synthetic"].sum() > 0
    untouched = data.read_bytes()
    result = runner.invoke(
        app, ["augment", str(data), str(model_dir), "--rows", "5", "--out", str(data)]
    )
    assert result.exit_code == 1 and "refusing" in result.output
    assert data.read_bytes() == untouched
