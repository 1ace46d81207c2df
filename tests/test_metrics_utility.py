from __future__ import annotations

import pytest
from sklearn.metrics import accuracy_score, f1_score, r2_score

from synthera.errors import SchemaError
from synthera.metrics.utility import make_task, utility
from tests.evaluation_data import known, one_openmp_thread, schema_of, tables

pytestmark = pytest.mark.usefixtures(one_openmp_thread.__name__)


def test_binary_target_tstr_beside_trtr() -> None:
    train, holdout, fresh = tables()
    schema = schema_of(train)
    run = utility(train, fresh, schema, holdout=holdout, max_train_rows=600)
    assert run.task.kind == "binary" and run.task.positive == "yes"
    results = {r.name: r for r in run.results}
    auc = results["tstr_roc_auc"]
    assert set(auc.per_item) == {"logistic_regression", "random_forest", "gradient_boosting"}
    # a fresh sample of the same population trains models as good as the real table does
    assert auc.value == pytest.approx(auc.reference, abs=0.03)
    # the scores are the plain scikit-learn ones on the holdout predictions
    for name, model_run in run.synthetic_runs.items():
        predictions = model_run.predictions
        assert predictions is not None
        assert results["tstr_accuracy"].per_item[name] == pytest.approx(
            accuracy_score(run.y_test, predictions)
        )
        assert results["tstr_f1"].per_item[name] == pytest.approx(
            f1_score(run.y_test == "yes", predictions == "yes")
        )
    assert known(results["importance_agreement"].value) > 0.5
    assert results["augmentation_gain"].value is not None


def test_multiclass_and_numeric_targets() -> None:
    train, holdout, fresh = tables()
    schema = schema_of(train)
    multi = utility(
        train, fresh, schema, holdout=holdout, target="region", models=["logistic_regression"]
    )
    assert multi.task.kind == "multiclass" and len(multi.task.classes) == 5
    auc = {r.name: r for r in multi.results}["tstr_roc_auc"]
    assert auc.value == pytest.approx(0.5, abs=0.1)  # region is unrelated to the rest
    numeric = utility(
        train,
        fresh,
        schema,
        holdout=holdout,
        target="income",
        models=["logistic_regression", "gradient_boosting"],
    )
    assert numeric.task.kind == "regression"
    r2 = {r.name: r for r in numeric.results}["tstr_r2"]
    predictions = numeric.synthetic_runs["gradient_boosting"].predictions
    assert r2.per_item["gradient_boosting"] == pytest.approx(r2_score(numeric.y_test, predictions))
    assert r2.reference is not None and r2.reference > 0.3


def test_single_class_synthetic_table_is_reported_not_crashed() -> None:
    train, holdout, fresh = tables()
    schema = schema_of(train)
    one_class = fresh.assign(high_income="no")
    run = utility(train, one_class, schema, holdout=holdout, models=["logistic_regression"])
    auc = {r.name: r for r in run.results}["tstr_roc_auc"]
    assert auc.value is None and auc.reference is not None
    assert any("single target class" in note for note in run.notes)


def test_a_target_without_classes_is_a_user_error() -> None:
    train, _, _ = tables()
    schema = schema_of(train)
    with pytest.raises(SchemaError, match="cannot be predicted"):
        make_task(train, schema, "patient_id")
    with pytest.raises(SchemaError, match="fewer than two classes"):
        make_task(train.assign(high_income="no"), schema, "high_income")
    assert make_task(train, schema, "age").kind == "regression"
