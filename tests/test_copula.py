from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from synthera.models.base import Synthesizer
from synthera.models.copula import GaussianCopula, nearest_correlation
from synthera.models.registry import get_synthesizer
from synthera.schema import ColumnKind, Schema


@pytest.fixture
def fitted(mixed_table: pd.DataFrame) -> GaussianCopula:
    model = get_synthesizer("gaussian_copula")
    assert isinstance(model, GaussianCopula)
    return model.fit(mixed_table, Schema.infer(mixed_table, target="high_income"), seed=0)


def test_sample_keeps_kinds_ranges_and_missing_rates(
    fitted: GaussianCopula, mixed_table: pd.DataFrame
) -> None:
    synthetic = fitted.sample(3000, seed=1)
    assert list(synthetic.columns) == list(mixed_table.columns)
    assert len(synthetic) == 3000
    schema = fitted.schema_
    for name in schema.of_kind(ColumnKind.NUMERIC, ColumnKind.INTEGER):
        real, fake = mixed_table[name].dropna(), synthetic[name].dropna()
        assert fake.min() >= real.min() and fake.max() <= real.max(), name
        assert abs(synthetic[name].isna().mean() - mixed_table[name].isna().mean()) < 0.03
    assert (synthetic["age"] == synthetic["age"].round()).all()
    assert pd.api.types.is_integer_dtype(synthetic["visits"].dtype)
    assert set(synthetic["region"]) <= set(mixed_table["region"])
    assert set(synthetic["smoker"].unique()) <= {True, False}
    assert pd.api.types.is_datetime64_any_dtype(synthetic["admitted"].dtype)
    assert synthetic["admitted"].min() >= mixed_table["admitted"].min()
    # ids are regenerated: unique and never a real key
    assert synthetic["patient_id"].is_unique
    assert not set(synthetic["patient_id"]) & set(mixed_table["patient_id"])


def test_dependence_is_learned(fitted: GaussianCopula, mixed_table: pd.DataFrame) -> None:
    synthetic = fitted.sample(5000, seed=2)
    real_corr = mixed_table[["age", "income"]].corr(method="spearman").iloc[0, 1]
    fake_corr = synthetic[["age", "income"]].corr(method="spearman").iloc[0, 1]
    assert real_corr > 0.3
    assert abs(fake_corr - real_corr) < 0.1
    # marginal frequencies of a category follow the real ones
    real_share = (mixed_table["sex"] == "Male").mean()
    assert abs((synthetic["sex"] == "Male").mean() - real_share) < 0.03


def test_save_load_same_rows(tmp_path: Path, fitted: GaussianCopula) -> None:
    fitted.save(tmp_path / "copula")
    loaded = Synthesizer.load(tmp_path / "copula")
    pd.testing.assert_frame_equal(loaded.sample(500, seed=5), fitted.sample(500, seed=5))


def test_subsampled_fit_is_seeded(mixed_table: pd.DataFrame) -> None:
    first = GaussianCopula(max_fit_rows=100).fit(mixed_table, seed=3).sample(50, seed=0)
    again = GaussianCopula(max_fit_rows=100).fit(mixed_table, seed=3).sample(50, seed=0)
    pd.testing.assert_frame_equal(first, again)


def test_nearest_correlation_is_positive_definite() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(100, 3))
    scores = np.column_stack([x, x[:, 0], np.zeros(100)])  # duplicate and constant columns
    corr = nearest_correlation(scores)
    np.linalg.cholesky(corr)
    np.testing.assert_allclose(np.diag(corr), 1.0)
    assert abs(corr[0, 3]) > 0.99 and corr[4, 0] == 0.0
