"""Rows written as text, and the checks that need no model: these run without the extra."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synthera.errors import ColumnNotFoundError, ParameterError
from synthera.transformer_eval.finetune import (
    FinetuneSettings,
    balanced_weights,
    undo_class_weights,
    validation_split,
)
from synthera.transformer_eval.rows_as_text import TextFormat, rows_as_text


@pytest.fixture
def people() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "age": [39.0, 50.5, np.nan],
            "workclass": ["State-gov", None, "Private"],
            "income": ["<=50K", ">50K", "<=50K"],
            "hours": pd.array([40, 13, pd.NA], dtype="Int64"),
        }
    )


def test_rows_read_as_column_value_pairs_without_the_target(people):
    texts = rows_as_text(people, "income")
    assert texts == [
        "age: 39; workclass: State-gov; hours: 40",
        "age: 50.5; workclass: unknown; hours: 13",
        "age: unknown; workclass: Private; hours: unknown",
    ]
    assert all("income" not in t and "50K" not in t for t in texts)


def test_order_template_separator_and_missing_marker_are_options(people):
    fmt = TextFormat(
        template="{column} is {value}", separator=" | ", columns=("hours", "age"), missing="?"
    )
    assert rows_as_text(people, "income", fmt) == [
        "hours is 40 | age is 39",
        "hours is 13 | age is 50.5",
        "hours is ? | age is ?",
    ]


def test_long_decimals_are_shortened():
    table = pd.DataFrame({"x": [1 / 3], "y": ["a"]})
    assert rows_as_text(table, "y", TextFormat(digits=3)) == ["x: 0.333"]


@pytest.mark.parametrize(
    ("fmt", "table_target", "error", "message"),
    [
        (TextFormat(columns=("income", "age")), "income", ParameterError, "may not include"),
        (TextFormat(columns=("age", "nope")), "income", ColumnNotFoundError, "nope"),
        (TextFormat(columns=()), "income", ParameterError, "no column besides"),
    ],
)
def test_bad_column_choices_say_what_is_wrong(people, fmt, table_target, error, message):
    with pytest.raises(error, match=message):
        rows_as_text(people, table_target, fmt)


@pytest.mark.parametrize(
    ("template", "message"),
    [("{column}", "must contain"), ("{column}={value} {other}", "may only use")],
)
def test_bad_templates_are_refused(template, message):
    with pytest.raises(ParameterError, match=message):
        TextFormat(template=template)


def test_a_table_with_only_the_target_has_nothing_to_write():
    with pytest.raises(ParameterError, match="no column besides the target"):
        rows_as_text(pd.DataFrame({"y": ["a", "b"]}), "y")


def test_balanced_weights_make_a_rare_class_count_as_much_as_a_common_one():
    labels = np.array([0] * 9 + [1])
    weights = balanced_weights(labels, 3)
    np.testing.assert_allclose(weights, [10 / 18, 10 / 2, 1.0])
    # Each present class carries the same total weight.
    assert weights[0] * 9 == pytest.approx(weights[1] * 1)


def test_undoing_class_weights_gives_back_the_training_class_mix():
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(0)
    labels = (rng.random(4000) < 0.1).astype(int)
    features = rng.normal(size=(4000, 2)) + labels[:, None] * 1.0
    weights = balanced_weights(labels, 2)
    weighted = LogisticRegression().fit(features, labels, sample_weight=weights[labels])
    proba = weighted.predict_proba(features)
    # Weighted as if the classes were balanced, the model over-predicts the rare class ...
    assert proba[:, 1].mean() > 0.3
    corrected = undo_class_weights(proba, list(weights))
    # ... and the correction brings its mean back to the rare class's own rate,
    assert corrected[:, 1].mean() == pytest.approx(labels.mean(), abs=0.03)
    np.testing.assert_allclose(corrected.sum(axis=1), 1.0)
    # without changing the ranking a binary ROC-AUC sees.
    assert roc_auc_score(labels, corrected[:, 1]) == pytest.approx(
        roc_auc_score(labels, proba[:, 1])
    )
    assert undo_class_weights(proba, None) is proba


def test_validation_slice_is_a_stratified_part_of_the_training_rows():
    labels = np.array([0] * 90 + [1] * 10)
    settings = FinetuneSettings(validation_fraction=0.2)
    train, validation = validation_split(labels, settings, seed=3)
    assert len(validation) == 20 and len(train) == 80
    assert not set(train) & set(validation)
    assert np.bincount(labels[validation]).tolist() == [18, 2]
    again = validation_split(labels, settings, seed=3)
    assert np.array_equal(again[1], validation)


def test_tiny_tables_train_on_every_row():
    train, validation = validation_split(np.array([0, 1] * 5), FinetuneSettings(), seed=0)
    assert len(train) == 10 and len(validation) == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [("epochs", 0), ("learning_rate", 0.0), ("validation_fraction", 1.0), ("max_steps", 0)],
)
def test_bad_settings_are_refused(field, value):
    with pytest.raises(ParameterError, match=field):
        FinetuneSettings(**{field: value})
