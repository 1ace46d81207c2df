"""Small made-up tables and settings shared by the evaluation tests."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from synthera.evaluation import EvaluationLimits
from synthera.schema import Schema
from tests.conftest import make_mixed_table

# Small caps keep each evaluation to a second or two on two cores.
FAST = EvaluationLimits(
    fidelity_rows=2_000,
    detection_rows=400,
    utility_rows=600,
    privacy_rows=400,
    privacy_train_rows=1_000,
    attacks=200,
)


def tables(n: int = 600) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(train, holdout, fresh): three independent draws of the same made-up population.

    `fresh` is what a perfect generator would produce: new people, same distribution.
    """
    return make_mixed_table(n, 0), make_mixed_table(n, 1), make_mixed_table(n, 2)


def schema_of(train: pd.DataFrame) -> Schema:
    return Schema.infer(train, target="high_income", sensitive=["sex"])


def shuffled_columns(df: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """Every column permuted on its own: same marginals, no relation between columns."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({c: df[c].to_numpy()[rng.permutation(len(df))] for c in df.columns}).astype(
        df.dtypes.to_dict()
    )


@pytest.fixture(autouse=True)
def one_openmp_thread() -> Iterator[None]:
    """As `evaluate` does: gradient boosting with one OpenMP thread, which stays fast when
    the test workers share the cores (more threads spin-wait for each other)."""
    with threadpool_limits(limits=1, user_api="openmp"):
        yield


def known(value: float | None) -> float:
    """A metric value the test expects to exist."""
    assert value is not None
    return value
