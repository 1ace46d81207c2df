from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.stats.contingency import association

from synthera.metrics import fidelity
from synthera.metrics.columns import labels, numbers
from synthera.metrics.fidelity_pairs import cramers_v
from synthera.schema import ColumnKind, ColumnSpec, Schema
from tests.evaluation_data import known, one_openmp_thread, schema_of, shuffled_columns, tables

pytestmark = pytest.mark.usefixtures(one_openmp_thread.__name__)


def tiny_schema(**kinds: ColumnKind) -> Schema:
    return Schema(tuple(ColumnSpec(name, kind) for name, kind in kinds.items()))


def test_ks_matches_scipy_per_column() -> None:
    train, _, fresh = tables()
    schema = schema_of(train)
    result = fidelity.ks_statistic(train, fresh, schema)
    assert set(result.per_item) == {"age", "income", "admitted"}  # the numeric columns
    for column in result.per_item:
        a = numbers(train[column], schema[column])
        b = numbers(fresh[column], schema[column])
        expected = stats.ks_2samp(a[~np.isnan(a)], b[~np.isnan(b)]).statistic
        assert result.per_item[column] == pytest.approx(expected)
    assert result.value == pytest.approx(np.mean(list(result.per_item.values())))
    assert result.direction == "lower" and result.ideal == 0


def test_tvd_and_chi_square_hand_worked() -> None:
    schema = tiny_schema(c=ColumnKind.CATEGORICAL)
    real = pd.DataFrame({"c": ["a", "a", "b", "b", None]})
    synthetic = pd.DataFrame({"c": ["a", "b", "b", "b"]})
    # shares without missing: real (0.5, 0.5), synthetic (0.25, 0.75)
    assert fidelity.total_variation(real, synthetic, schema).value == pytest.approx(0.25)
    chi = fidelity.chi_square(real, synthetic, schema)
    expected = stats.chi2_contingency(np.array([[2, 2], [1, 3]])).pvalue
    assert chi.per_item["c"] == pytest.approx(expected)
    assert chi.value == 0.0  # p > 0.05: not a failure


def test_wasserstein_range_and_missing_hand_worked() -> None:
    schema = tiny_schema(x=ColumnKind.NUMERIC)
    real = pd.DataFrame({"x": np.arange(11, dtype=float)})  # range 0..10
    shifted = pd.DataFrame({"x": np.arange(11, dtype=float) + 1})
    # every unit of mass moves by 1, on a scale of 10
    assert fidelity.wasserstein(real, shifted, schema).value == pytest.approx(0.1)
    half = pd.DataFrame({"x": [5.0, 20.0, np.nan, np.nan]})
    assert fidelity.range_coverage(real, half, schema).value == pytest.approx(0.5)
    assert fidelity.missing_rate_difference(real, half, schema).value == pytest.approx(0.5)


def test_labels_read_alike_across_tools() -> None:
    assert labels(pd.Series([1.0, 2.0, np.nan])).tolist()[:2] == ["1", "2"]
    assert labels(pd.Series([1, 2])).tolist() == ["1", "2"]
    assert labels(pd.Series([True, False])).tolist() == ["True", "False"]


def test_dropped_category_is_flagged() -> None:
    train, _, fresh = tables()
    schema = schema_of(train)
    collapsed = fresh.copy()
    collapsed.loc[collapsed["region"] == "north", "region"] = "south"  # mode collapse
    result = fidelity.category_coverage(train, collapsed, schema)
    assert result.per_item["region"] == pytest.approx(0.8)
    assert result.details["dropped"] == {"region": ["north"]}
    clean = fidelity.category_coverage(train, fresh, schema)
    assert "region" not in clean.details["dropped"]


def test_cramers_v_matches_scipy_without_correction() -> None:
    table = np.array([[30, 10, 5], [10, 25, 20]])
    assert cramers_v(table, corrected=False) == pytest.approx(association(table, "cramer"))
    assert cramers_v(np.array([[50, 50], [50, 50]])) == pytest.approx(0.0)


def test_pearson_matrix_matches_numpy() -> None:
    train, _, fresh = tables()
    schema = schema_of(train)
    result = fidelity.correlation_difference(train, fresh, schema, method="pearson")
    cols = result.details["columns"]
    i, j = cols.index("age"), cols.index("income")
    frame = pd.DataFrame({c: numbers(train[c], schema[c]) for c in ("age", "income")}).dropna()
    expected = np.corrcoef(frame["age"], frame["income"])[0, 1]
    assert result.details["real"][i][j] == pytest.approx(expected, abs=1e-4)


def test_shuffled_columns_collapse_the_pair_scores() -> None:
    train, holdout, _ = tables()
    schema = schema_of(train)
    shuffled = shuffled_columns(holdout)
    for name in ("ks", "tvd"):  # the columns themselves are untouched
        fn = fidelity.ks_statistic if name == "ks" else fidelity.total_variation
        assert fn(train, shuffled, schema).value == pytest.approx(fn(train, holdout, schema).value)
    # the pairs that are related in the made-up population
    related = ["age ~ income", "age ~ high_income", "income ~ high_income", "sex ~ high_income"]
    for fn in (fidelity.association_difference, fidelity.contingency_tvd):
        reference = fn(train, holdout, schema).per_item
        broken = fn(train, shuffled, schema).per_item
        pairs = [p for p in related if p in broken]  # Cramér's V: pairs with a category
        assert np.mean([broken[p] for p in pairs]) > 2.5 * np.mean([reference[p] for p in pairs])
    broken_v = known(fidelity.association_difference(train, shuffled, schema).value)
    assert broken_v > 1.5 * known(fidelity.association_difference(train, holdout, schema).value)
    pearson = fidelity.correlation_difference(train, shuffled, schema).per_item["age ~ income"]
    assert pearson is not None and pearson > 0.3  # age and income correlate in the real table


def test_whole_row_metrics_tell_a_broken_table_from_a_fresh_sample() -> None:
    train, _, fresh = tables()
    schema = schema_of(train)
    broken = fresh.copy()
    broken["age"] = broken["age"] + 40
    fair = fidelity.detection_auc(train, fresh, schema, max_rows=400)
    unfair = fidelity.detection_auc(train, broken, schema, max_rows=400)
    assert fair.value is not None and unfair.value is not None
    assert abs(fair.value - 0.5) < 0.1 and unfair.value > 0.95
    assert known(fidelity.pmse(train, broken, schema).value) > 5 * known(
        fidelity.pmse(train, fresh, schema).value
    )


def test_fidelity_score_combines_its_parts() -> None:
    train, holdout, fresh = tables()
    schema = schema_of(train)
    parts = {
        m.name: m.with_reference(ref)
        for m, ref in (
            (fn(train, fresh, schema), fn(train, holdout, schema))
            for fn in (
                fidelity.ks_statistic,
                fidelity.total_variation,
                fidelity.contingency_tvd,
                fidelity.detection_auc,
            )
        )
    }
    score = fidelity.fidelity_score(parts)
    columns = np.mean([*parts["ks"].per_item.values(), *parts["tvd"].per_item.values()])
    rows = 2 * abs(known(parts["detection_auc"].value) - 0.5)
    expected = 100 * (1 - np.mean([columns, parts["contingency_tvd"].value, rows]))
    assert score.value == pytest.approx(expected)
    assert abs(known(score.value) - known(score.reference)) < 5
