from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import demographic_parity_difference

from synthera.metrics.fairness import group_rates, model_fairness
from synthera.metrics.utility import Task, utility
from synthera.schema import ColumnKind, ColumnSpec, Schema
from tests.evaluation_data import known, one_openmp_thread, schema_of, tables

pytestmark = pytest.mark.usefixtures(one_openmp_thread.__name__)


def test_group_rates_hand_worked() -> None:
    schema = Schema(
        (ColumnSpec("sex", ColumnKind.CATEGORICAL), ColumnSpec("y", ColumnKind.BOOLEAN)),
        target="y",
        sensitive=("sex",),
    )
    task = Task("y", "binary", ("no", "yes"), "yes")
    real = pd.DataFrame({"sex": ["F"] * 4 + ["M"] * 4, "y": ["yes", "no", "no", "no"] * 2})
    # women: 1/4 -> 3/4 positive (bias added); men unchanged; women 6 of 8 rows
    synthetic = pd.DataFrame(
        {"sex": ["F"] * 6 + ["M"] * 2, "y": ["yes", "yes", "yes", "no", "yes", "yes", "yes", "no"]}
    )
    rate, size = group_rates(real, synthetic, schema, task=task, sensitive=["sex"])
    table = {row["group"]: row for row in rate.details["groups"]["sex"]}
    assert table["F"]["real_rate"] == 0.25 and table["F"]["synthetic_rate"] == pytest.approx(5 / 6)
    assert rate.value == pytest.approx(max(5 / 6 - 0.25, 0.5 - 0.25))
    assert size.value == pytest.approx(0.25)  # women: 50 % -> 75 % of rows


def test_bias_amplification_shows_against_the_holdout() -> None:
    train, holdout, fresh = tables()
    schema = schema_of(train)
    task = Task("high_income", "binary", ("no", "yes"), "yes")
    fair = group_rates(train, fresh, schema, task=task, sensitive=["sex"], holdout=holdout)[0]
    amplified = fresh.copy()
    women = amplified["sex"] == "Female"
    amplified.loc[women, "high_income"] = "no"  # the generator erased high-earning women
    biased = group_rates(train, amplified, schema, task=task, sensitive=["sex"], holdout=holdout)[0]
    assert fair.value is not None and fair.reference is not None
    assert known(fair.value) < 0.1 and known(biased.value) > 0.3
    assert biased.reference == fair.reference


def test_model_fairness_is_fairlearn_on_the_holdout_predictions() -> None:
    train, holdout, fresh = tables()
    schema = schema_of(train)
    run = utility(train, fresh, schema, holdout=holdout, models=["gradient_boosting"])
    results = {r.name: r for r in model_fairness(run, train, schema, sensitive=["sex"])}
    dp = results["demographic_parity_difference"]
    predictions = run.synthetic_runs["gradient_boosting"].predictions
    assert predictions is not None
    expected = demographic_parity_difference(
        run.y_test == "yes", predictions == "yes", sensitive_features=run.test["sex"].to_numpy()
    )
    assert dp.value == pytest.approx(expected, abs=1e-6)
    assert dp.reference is not None
    assert 0 <= known(results["demographic_parity_ratio"].value) <= 1
    assert np.isfinite(known(results["equalized_odds_difference"].value))


def test_numeric_targets_and_missing_sensitive_columns_are_skipped_with_reasons() -> None:
    train, holdout, fresh = tables()
    schema = schema_of(train)
    run = utility(
        train, fresh, schema, holdout=holdout, target="income", models=["gradient_boosting"]
    )
    skipped = model_fairness(run, train, schema, sensitive=["sex"])
    assert all(r.value is None and r.skipped == "the target is numeric" for r in skipped)
    rates = group_rates(train, fresh, schema, task=run.task, sensitive=["sex"])
    assert rates[0].value is not None  # group means of a numeric target still compare
    none = group_rates(train, fresh, schema, task=run.task, sensitive=[])
    assert none[0].skipped == "no sensitive columns given"
