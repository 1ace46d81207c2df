"""The marginal-based DP generator (AIM on mbi): accounting, fidelity, leaks, files, errors."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("mbi")

from synthera.errors import ParameterError, UnknownModelError
from synthera.models import registry
from synthera.models.base import Synthesizer
from synthera.models.marginal import AIMSynthesizer, require_extra
from synthera.models.marginal_parts.domains import CategoryDomain, fit_domains
from synthera.models.marginal_parts.junction import JunctionTreeModel
from synthera.models.marginal_parts.mechanisms import private_quantile
from synthera.models.marginal_parts.zcdp import (
    THRESHOLD_PART,
    ZcdpBudget,
    epsilon_from_rho,
    rho_from_epsilon,
)
from synthera.schema import ColumnSpec, Schema

SECRETS = ("secret-one", "secret-two")
FAST = {"iterations": 100}


def signal_table(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    """A table with strong, known dependence and two one-off values that must not leak."""
    rng = np.random.default_rng(seed)
    group = rng.choice(["A", "B", "C"], n, p=[0.5, 0.3, 0.2])
    flag = rng.random(n) < np.select([group == "A", group == "B"], [0.9, 0.2], 0.5)
    score = np.where(group == "A", 70.0, 40.0) + rng.normal(0, 5, n)
    score[rng.random(n) < 0.15] = np.nan
    city = rng.choice(["north", "south"], n).astype(object)
    city[:3] = [SECRETS[0], SECRETS[1], SECRETS[1]]
    return pd.DataFrame(
        {
            "key": [f"K{i:05d}" for i in range(n)],
            "group": group,
            "flag": flag,
            "score": score,
            "visits": rng.poisson(4, n),
            "city": city,
            "seen": pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 700, n), "D"),
        }
    )


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return signal_table()


@pytest.fixture(scope="module")
def strict_model(table: pd.DataFrame) -> AIMSynthesizer:
    """ε = 1, fewest rounds, a declared category set and declared bounds."""
    schema = Schema.infer(table, target="flag")
    columns = tuple(
        ColumnSpec(c.name, c.kind, categories=("A", "B", "C", "D"))
        if c.name == "group"
        else ColumnSpec(c.name, c.kind, lower=0.0, upper=100.0)
        if c.name == "score"
        else c
        for c in schema.columns
    )
    schema = Schema(columns, target="flag")
    model = AIMSynthesizer(rounds=1, **FAST)  # rounds: raised to one per column + 1
    return model.fit(table, schema, seed=0, privacy={"epsilon": 1.0})


@pytest.fixture(scope="module")
def loose_model(table: pd.DataFrame) -> AIMSynthesizer:
    """ε = 10, a few selection rounds: the dependence must come through."""
    model = AIMSynthesizer(rounds=12, **FAST)
    return model.fit(table, Schema.infer(table), seed=1, privacy={"epsilon": 10.0})


# ---- accounting -------------------------------------------------------------------------------


def test_zcdp_conversion_is_bun_steinke() -> None:
    rho, delta = 0.5, 1e-5
    assert epsilon_from_rho(rho, delta) == pytest.approx(0.5 + 2 * math.sqrt(0.5 * math.log(1e5)))
    for epsilon in (0.5, 1.0, 3.0, 10.0):
        assert epsilon_from_rho(rho_from_epsilon(epsilon, delta), delta) == pytest.approx(epsilon)


def test_budget_ledger_splits_the_converted_total() -> None:
    budget = ZcdpBudget(epsilon=2.0, delta=1e-6, threshold_delta=4e-7)
    budget.spend(THRESHOLD_PART, 0.25 * budget.rho, "thresholds")
    budget.spend("measurements", budget.rho_left, "Gaussian")
    with pytest.raises(ParameterError, match="accounting"):
        budget.spend("more", 1e-3, "too much")
    ledger = budget.ledger(public=())
    assert ledger.epsilon_spent == pytest.approx(2.0)
    assert ledger.delta_spent == pytest.approx(1e-6)
    parts = {part.name: part for part in ledger.parts}
    assert parts[THRESHOLD_PART].epsilon == pytest.approx(0.5)
    assert parts[THRESHOLD_PART].delta == pytest.approx(4e-7 + 0.25 * 6e-7)


def test_fit_spends_exactly_the_target_by_the_stated_conversion(
    strict_model: AIMSynthesizer, table: pd.DataFrame
) -> None:
    ledger = strict_model.privacy_
    assert ledger is not None
    delta = 1 / (10 * len(table))
    assert ledger.delta_target == pytest.approx(delta)
    # AIM spends the whole budget; the ε reported is the conversion of the total ρ at the
    # δ left after the thresholds' half.
    assert ledger.epsilon_spent <= 1.0 + 1e-9
    assert ledger.epsilon_spent == pytest.approx(
        epsilon_from_rho(rho_from_epsilon(1.0, delta / 2), delta / 2)
    )
    assert ledger.delta_spent == pytest.approx(delta)
    names = {part.name for part in ledger.parts}
    assert {THRESHOLD_PART, "one-way marginals", "marginal measurements"} <= names
    assert "zCDP" in ledger.accountant
    assert any("declared category sets: group" in fact for fact in ledger.public)


# ---- what the output reveals ------------------------------------------------------------------


def test_rare_values_never_appear_nor_are_stored(
    strict_model: AIMSynthesizer, loose_model: AIMSynthesizer, tmp_path: Path
) -> None:
    for model in (strict_model, loose_model):
        rows = model.sample(3000, seed=3)
        assert not set(rows["city"]) & set(SECRETS)
        model.save(tmp_path / "m")
        stored = (tmp_path / "m" / "model.json").read_text(encoding="utf-8")
        assert not any(secret in stored for secret in SECRETS)


def test_declared_domains_are_used_and_ids_regenerated(
    strict_model: AIMSynthesizer, table: pd.DataFrame
) -> None:
    group = strict_model.domains_["group"]
    assert isinstance(group, CategoryDomain)
    assert list(group.codec.levels) == ["A", "B", "C", "D"]
    rows = strict_model.sample(2000, seed=4)
    assert rows["score"].dropna().between(0, 100).all()
    assert rows["key"].is_unique and not set(rows["key"]) & set(table["key"])
    assert pd.api.types.is_datetime64_any_dtype(rows["seen"].dtype)
    assert (rows["seen"].dt.normalize() == rows["seen"]).all()  # whole days, as the input
    assert pd.api.types.is_bool_dtype(rows["flag"].dtype)
    assert pd.api.types.is_integer_dtype(rows["visits"].dtype)


def test_marginals_follow_the_data_at_large_epsilon(
    loose_model: AIMSynthesizer, table: pd.DataFrame
) -> None:
    rows = loose_model.sample(len(table), seed=5)
    real_groups = table["group"].value_counts(normalize=True)
    fake_groups = rows["group"].value_counts(normalize=True)
    assert (real_groups - fake_groups).abs().max() < 0.03
    for group in ("A", "B"):
        real = table.loc[table["group"] == group, "flag"].mean()
        fake = rows.loc[rows["group"] == group, "flag"].mean()
        assert abs(real - fake) < 0.08, group
    assert abs(rows["score"].isna().mean() - table["score"].isna().mean()) < 0.03
    for group in ("A", "B"):
        real_score = table.loc[table["group"] == group, "score"].mean()
        fake_score = rows.loc[rows["group"] == group, "score"].mean()
        assert abs(real_score - fake_score) < 4, group
    assert abs(rows["visits"].mean() - table["visits"].mean()) < 0.5


def test_save_load_samples_identically(loose_model: AIMSynthesizer, tmp_path: Path) -> None:
    loose_model.save(tmp_path / "aim")
    loaded = Synthesizer.load(tmp_path / "aim")
    pd.testing.assert_frame_equal(loaded.sample(500, seed=7), loose_model.sample(500, seed=7))
    assert loaded.privacy_ == loose_model.privacy_
    conditioned = loaded.sample(50, conditions={"group": "B"}, seed=8)
    assert (conditioned["group"] == "B").all()


# ---- mechanisms -------------------------------------------------------------------------------


def test_private_quantile_is_close_at_large_epsilon() -> None:
    rng = np.random.default_rng(0)
    values = rng.normal(100, 10, 5000)
    grid = np.linspace(0, 200, 401)
    picks = [private_quantile(values, grid, 0.1, 2.0, rng) for _ in range(20)]
    true = np.quantile(values, 0.1)
    assert all(abs(p - true) < 2 for p in picks)


def test_category_threshold_drops_rare_values(table: pd.DataFrame) -> None:
    schema = Schema.infer(table[["city", "group"]])
    budget = ZcdpBudget(epsilon=1.0, delta=1e-5, threshold_delta=5e-6)
    domains = fit_domains(table, schema, budget, budget.rho * 0.1, np.random.default_rng(0), bins=8)
    city = domains["city"]
    assert isinstance(city, CategoryDomain)
    assert sorted(city.codec.levels) == ["north", "south"]
    assert not city.codec.has_missing
    assert budget.rho_spent == pytest.approx(budget.rho * 0.1)


def test_junction_tree_marginals_match_brute_force() -> None:
    rng = np.random.default_rng(0)
    sizes = {"a": 3, "b": 4, "c": 2, "d": 5}
    potentials: dict[tuple[str, ...], np.ndarray] = {
        ("a", "b"): rng.normal(size=(3, 4)),
        ("b", "c"): rng.normal(size=(4, 2)),
        ("c", "d"): rng.normal(size=(2, 5)),
    }
    joint = np.exp(
        potentials[("a", "b")][:, :, None, None]
        + potentials[("b", "c")][None, :, :, None]
        + potentials[("c", "d")][None, None, :, :]
    )
    joint /= joint.sum()
    model = JunctionTreeModel.from_potentials(sizes, potentials)
    np.testing.assert_allclose(model.marginal(("a", "b")), joint.sum(axis=(2, 3)), atol=1e-12)
    np.testing.assert_allclose(model.marginal(("a", "d")), joint.sum(axis=(1, 2)), atol=1e-12)
    np.testing.assert_allclose(model.marginal(("d", "b")), joint.sum(axis=(0, 2)).T, atol=1e-12)
    codes = model.sample(40_000, np.random.default_rng(1))
    observed = np.zeros((3, 5))
    np.add.at(observed, (codes["a"], codes["d"]), 1)
    np.testing.assert_allclose(observed / 40_000, joint.sum(axis=(1, 2)), atol=0.01)
    restored = JunctionTreeModel.from_state(model.get_state())
    for k in ("a", "b", "c", "d"):
        np.testing.assert_array_equal(
            restored.sample(100, np.random.default_rng(2))[k],
            model.sample(100, np.random.default_rng(2))[k],
        )


# ---- errors -----------------------------------------------------------------------------------


def test_clear_errors(table: pd.DataFrame) -> None:
    # Private only, and the registry says so (the benchmark skips it without a budget).
    assert registry.synthesizer_class("aim").requires_privacy
    assert not registry.synthesizer_class("autoregressive").requires_privacy
    model = AIMSynthesizer(**FAST)
    with pytest.raises(ParameterError, match="privacy"):
        model.fit(table, seed=0)
    with pytest.raises(ParameterError, match="epsilon must be > 0"):
        model.fit(table, seed=0, privacy={"epsilon": 0})
    with pytest.raises(ParameterError, match="delta"):
        model.fit(table, seed=0, privacy={"epsilon": 1, "delta": 0.01})
    with pytest.raises(ParameterError, match="rounds"):
        AIMSynthesizer(rounds=0)
    with pytest.raises(ParameterError, match="bins"):
        AIMSynthesizer(bins=1)


def test_missing_extra_reports_the_model_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "mbi", None)  # find_spec now finds nothing
    assert importlib.util.find_spec("mbi") is None
    with pytest.raises(ImportError, match="synthera\\[marginal\\]"):
        require_extra()
    monkeypatch.delitem(sys.modules, "synthera.models.marginal")
    monkeypatch.delitem(registry._registered, "aim")
    info = next(i for i in registry.available_synthesizers() if i.name == "aim")
    assert not info.available and "mbi" in info.reason
    with pytest.raises(UnknownModelError, match="optional dependency"):
        registry.get_synthesizer("aim")
    assert "aim" not in registry.private_synthesizer_names()


def test_zoned_datetimes_with_times_round_trip_through_bins() -> None:
    rng = np.random.default_rng(0)
    stamps = pd.Timestamp("2022-03-01", tz="Europe/Paris") + pd.to_timedelta(
        rng.integers(0, 90 * 86_400, 4000), "s"
    )
    df = pd.DataFrame({"at": pd.Series(stamps).mask(rng.random(4000) < 0.2)})
    budget = ZcdpBudget(epsilon=5.0, delta=1e-6, threshold_delta=0.0)
    domains = fit_domains(df, Schema.infer(df), budget, budget.rho, rng, bins=16)
    domain = domains["at"]
    codes = domain.encode(df["at"], rng)
    back = domain.decode(codes, rng)
    assert str(back.dt.tz) == "Europe/Paris"
    assert (back.isna() == df["at"].isna()).all()  # the missing level was published
    observed = df["at"].notna()
    assert (back[observed].dt.second != 0).any()  # times of day kept, to the second
    bin_width = (back[observed] - df["at"][observed]).abs().max()
    assert bin_width < pd.Timedelta(days=90 / 16 + 2)
