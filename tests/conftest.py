from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

SHARED_DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"


def make_mixed_table(n: int = 600, seed: int = 0) -> pd.DataFrame:
    """A made-up table with every modelled kind, missing values and real dependence."""
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 90, n)
    sex = rng.choice(["Female", "Male"], n, p=[0.45, 0.55])
    income = np.exp(9 + 0.02 * age + 0.3 * (sex == "Male") + rng.normal(0, 0.4, n)).round(2)
    income = np.where(rng.random(n) < 0.08, np.nan, income)
    visits = pd.Series(rng.poisson(3, n) + 100).mask(rng.random(n) < 0.1).astype("Int64")
    region = rng.choice(["north", "south", "east", "west", "centre"], n)
    diagnosis = rng.choice([f"D{i:03d}" for i in range(60)], n)
    admitted = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, n), unit="D")
    smoker = rng.random(n) < 0.2 + 0.004 * (age - 18)
    high_income = np.where(np.nan_to_num(income, nan=0) > np.nanmedian(income), "yes", "no")
    return pd.DataFrame(
        {
            "patient_id": np.arange(5000, 5000 + n),
            "age": age,
            "sex": sex,
            "income": income,
            "visits": visits,
            "region": region,
            "diagnosis": diagnosis,
            "admitted": admitted,
            "smoker": smoker,
            "high_income": high_income,
        }
    )


def table_with_one_off_regions() -> pd.DataFrame:
    """The mixed table with three regions seen once each, which a private fit must never
    generate; less its datetime column (private datetimes: `test_private_datetimes`)."""
    df = make_mixed_table(1500, seed=5).drop(columns=["admitted"])
    df.loc[:2, "region"] = ["atlantis", "lemuria", "mu"]
    return df


@pytest.fixture
def mixed_table() -> pd.DataFrame:
    return make_mixed_table()


@pytest.fixture(scope="module")
def one_torch_thread() -> Iterator[None]:
    """Torch on one thread for a test module: small tensors gain nothing from more, and on
    a busy machine the extra threads only wait for a core."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
