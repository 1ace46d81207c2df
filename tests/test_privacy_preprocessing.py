"""The private preprocessing: the exact Gaussian mechanism, the one-histogram release of
column summaries (category sets, counts, numeric ranges and modes) and the encoder
built from it."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from opacus.accountants import create_accountant

from synthera.errors import ParameterError, SchemaError
from synthera.privacy.encoding import private_encoder, segment_mixture
from synthera.privacy.gaussian import gaussian_delta, gaussian_epsilon, gaussian_sigma
from synthera.privacy.preprocessing import (
    CategorySummary,
    NumericSummary,
    PrivateSummaries,
    grid_bins,
    private_summaries,
)
from synthera.schema import ColumnKind, ColumnSpec, Schema


def _table(n: int = 4000, seed: int = 0) -> pd.DataFrame:
    """Frequent categories plus 40 values that occur once each; a skewed numeric column
    with a spike at zero; an integer column; missing values in one column."""
    rng = np.random.default_rng(seed)
    city = rng.choice(["paris", "lyon", "nice"], n, p=[0.5, 0.3, 0.2]).astype(object)
    city[:40] = [f"hamlet-{i}" for i in range(40)]
    gain = np.where(rng.random(n) < 0.85, 0.0, rng.lognormal(8, 1, n)).round(2)
    age = rng.integers(18, 80, n)
    score = pd.Series(rng.normal(50, 10, n)).mask(rng.random(n) < 0.3)
    return pd.DataFrame({"city": city, "gain": gain, "age": age, "score": score})


def _summaries(
    df: pd.DataFrame, schema: Schema, seed: int = 0, epsilon: float = 2.0
) -> PrivateSummaries:
    return private_summaries(
        df,
        schema,
        epsilon=epsilon,
        delta=1e-6,
        max_components=10,
        rng=np.random.default_rng(seed),
    )


# ---- the Gaussian mechanism ---------------------------------------------------------------


@pytest.mark.parametrize(("epsilon", "delta", "sensitivity"), [(0.2, 1e-7, 3.0), (2.0, 1e-5, 1.0)])
def test_gaussian_sigma_is_the_smallest_noise_that_meets_delta(
    epsilon: float, delta: float, sensitivity: float
) -> None:
    sigma = gaussian_sigma(epsilon, delta, sensitivity)
    assert gaussian_delta(epsilon, sigma, sensitivity) <= delta
    assert gaussian_delta(epsilon, sigma * 0.999, sensitivity) > delta  # tight
    assert gaussian_epsilon(sigma, delta, sensitivity) == pytest.approx(epsilon, rel=1e-6)
    if epsilon < 1:  # tighter than the classic bound, where that bound holds
        classic = sensitivity * math.sqrt(2 * math.log(1.25 / delta)) / epsilon
        assert sigma < classic


@pytest.mark.parametrize("noise", [0.8, 2.0, 5.0])
def test_gaussian_epsilon_matches_opacus_prv_for_one_full_batch_step(noise: float) -> None:
    """One Gaussian release is DP-SGD with sampling rate 1 and one step: Opacus' PRV
    accountant (an upper bound, near exact) must agree with the exact curve."""
    accountant = create_accountant("prv")
    accountant.history = [(noise, 1.0, 1)]
    with warnings.catch_warnings(), np.errstate(divide="ignore"):
        warnings.simplefilter("ignore")
        prv = accountant.get_epsilon(delta=1e-5)
    exact = gaussian_epsilon(noise, 1e-5, 1.0)
    assert exact <= prv <= exact * 1.03


def test_gaussian_sigma_refuses_impossible_settings() -> None:
    with pytest.raises(ParameterError, match="Gaussian mechanism"):
        gaussian_sigma(0.0, 1e-6, 1.0)


# ---- the released summaries ----------------------------------------------------------------


def test_values_that_occur_once_are_never_released() -> None:
    df = _table()
    schema = Schema.infer(df)
    true = df["city"].value_counts()
    for seed in range(20):  # the threshold must hold whatever the noise
        result = _summaries(df, schema, seed=seed)
        summary = result.columns["city"]
        assert isinstance(summary, CategorySummary)
        assert list(summary.levels) == ["paris", "lyon", "nice"]  # most frequent first
        for level, count in zip(summary.levels, summary.counts, strict=True):
            assert abs(count - true[level]) < 6 * result.sigma


def test_counts_are_noisy_and_seeded() -> None:
    df = _table()
    schema = Schema.infer(df)
    first, again, other = (_summaries(df, schema, seed=s) for s in (1, 1, 2))
    counts = [s.columns["city"].counts for s in (first, again, other)]  # type: ignore[union-attr]
    np.testing.assert_array_equal(counts[0], counts[1])
    assert not np.array_equal(counts[0], counts[2])
    assert not np.array_equal(counts[0], df["city"].value_counts().to_numpy()[:3])


def test_declared_categories_are_kept_even_when_absent_or_rare() -> None:
    df = _table()
    schema = Schema(
        columns=(
            ColumnSpec("city", ColumnKind.CATEGORICAL, categories=("paris", "hamlet-3", "rome")),
            ColumnSpec("age", ColumnKind.INTEGER),
        )
    )
    summary = _summaries(df, schema).columns["city"]
    assert isinstance(summary, CategorySummary)
    assert {"paris", "lyon", "nice", "hamlet-3", "rome"} == set(summary.levels)
    assert not any(str(v).startswith("hamlet-") and v != "hamlet-3" for v in summary.levels)


def test_a_column_with_no_frequent_value_is_generated_as_missing() -> None:
    df = pd.DataFrame({"code": [f"c{i}" for i in range(300)], "x": np.arange(300.0)})
    result = _summaries(df, Schema.infer(df).with_overrides({"code": "categorical"}))
    summary = result.columns["code"]
    assert isinstance(summary, CategorySummary)
    assert len(summary.levels) == 0 and summary.missing_count is not None
    assert any("'code'" in note and "missing" in note for note in result.notes)


def test_numeric_range_brackets_the_bulk_within_one_grid_step() -> None:
    df = _table(20_000)
    result = _summaries(df, Schema.infer(df), epsilon=4.0)
    age = result.columns["age"]
    assert isinstance(age, NumericSummary)
    step = 2 ** (1 / 4)  # quarter-octave grid
    assert 18 / step <= age.lower <= 18 and 79 <= age.upper <= 79 * step
    assert float(age.lower).is_integer() and float(age.upper).is_integer()
    score = result.columns["score"]
    assert isinstance(score, NumericSummary) and score.has_missing  # 30 % missing
    assert not age.has_missing


def test_declared_bounds_are_used_as_given() -> None:
    df = _table()
    schema = Schema(columns=(ColumnSpec("age", ColumnKind.INTEGER, lower=0, upper=120),))
    age = _summaries(df, schema).columns["age"]
    assert isinstance(age, NumericSummary)
    assert (age.lower, age.upper) == (0.0, 120.0)
    assert age.segment_edges[0] == 0.0 and age.segment_edges[-1] == 120.0


def test_a_spike_at_zero_gets_a_mode_of_its_own() -> None:
    df = _table(20_000)
    gain = _summaries(df, Schema.infer(df), epsilon=4.0).columns["gain"]
    assert isinstance(gain, NumericSummary)
    edges = gain.segment_edges
    assert gain.lower == 0.0 and edges[1] == 0.0  # the first segment is [0, 0]
    assert 2 < edges.size - 1 <= 10  # the rest split into several modes
    assert np.all(np.diff(edges) >= 0)


def test_grid_bins_put_zero_apart_and_clip_far_values() -> None:
    bins = grid_bins(np.array([-1e30, -1.0, 0.0, 1e-9, 1.0, 1.1, 1e30]))
    assert bins[2] == bins[3]  # zero and a tiny value share the zero bin
    assert bins[4] == bins[5]  # 1.0 and 1.1 share a quarter-octave bin
    assert list(bins) == sorted(bins) and bins[0] == 0


def test_sensitivity_grows_with_the_number_of_columns() -> None:
    df = _table()
    one = _summaries(df, Schema.infer(df[["age"]]))
    four = _summaries(df, Schema.infer(df))
    assert four.sigma > one.sigma * 1.5  # √4 times the sensitivity, a little less noise
    assert four.part.epsilon == 2.0 and four.part.delta == 1e-6
    assert "threshold" in four.part.mechanism and "threshold" not in one.part.mechanism


def test_bad_booleans_are_refused_with_one_line() -> None:
    bad = pd.DataFrame({"flag": ["a", "b", "c"] * 20})
    schema = Schema(columns=(ColumnSpec("flag", ColumnKind.BOOLEAN),))
    with pytest.raises(SchemaError, match="declared boolean") as caught:
        _summaries(bad, schema)
    assert "\n" not in str(caught.value)


# ---- the encoder built from them -------------------------------------------------------------


def test_segment_modes_cover_their_segments() -> None:
    edges = np.array([0.0, 0.0, 10.0, 50.0, 400.0])
    mixture = segment_mixture(edges, np.array([80.0, 10.0, 6.0, 4.0]))
    half = 0.5 * np.diff(edges)
    assert np.all(mixture.means == 0.5 * (edges[:-1] + edges[1:]))
    assert np.all(4 * 0.99 * mixture.stds >= half)  # every value has a window
    assert mixture.weights.sum() == pytest.approx(1.0) and mixture.weights[0] > 0.7


def test_private_encoder_round_trips_values_inside_the_released_range() -> None:
    df = _table(20_000)
    schema = Schema.infer(df)
    summaries = _summaries(df, schema, epsilon=4.0)
    encoder = private_encoder(df, schema, summaries, max_components=10)
    back = encoder.inverse_transform(encoder.transform(df, seed=0), seed=0)
    assert list(back.columns) == list(df.columns)
    age = summaries.columns["age"]
    assert isinstance(age, NumericSummary)
    inside = (df["age"] >= age.lower) & (df["age"] <= age.upper)
    assert inside.mean() > 0.99
    np.testing.assert_array_equal(back["age"][inside], df["age"][inside])
    assert back["age"].between(age.lower, age.upper).all()  # the rest is clipped
    kept = df["city"].isin(["paris", "lyon", "nice"])
    assert (back["city"][kept] == df["city"][kept]).all()
    assert set(back["city"]) == {"paris", "lyon", "nice"}  # one-off values are gone
    assert back["score"].isna().mean() == pytest.approx(df["score"].isna().mean())
    assert back["age"].dtype == df["age"].dtype and back["gain"].dtype == np.float64
