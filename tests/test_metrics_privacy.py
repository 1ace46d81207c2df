from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest
from sklearn.metrics import roc_auc_score
from sklearn.neighbors import NearestNeighbors

from synthera.metrics import privacy, privacy_attacks
from synthera.metrics.neighbours import nearest
from synthera.metrics.result import MetricResult
from synthera.schema import Schema
from tests.evaluation_data import known, one_openmp_thread, schema_of, tables

pytestmark = pytest.mark.usefixtures(one_openmp_thread.__name__)


def test_nearest_matches_sklearn_and_finds_copies_at_zero() -> None:
    rng = np.random.default_rng(0)
    reference = rng.random((400, 12))
    queries = np.vstack([rng.random((50, 12)), reference[:20]])
    distances, indices = nearest(queries, reference, k=3)
    expected_d, expected_i = (
        NearestNeighbors(n_neighbors=3, algorithm="brute").fit(reference).kneighbors(queries)
    )
    np.testing.assert_allclose(distances, expected_d, atol=1e-7)
    np.testing.assert_array_equal(indices, expected_i)
    assert np.all(distances[50:, 0] == 0.0)


def test_closer_share_hand_worked() -> None:
    to_train, to_holdout = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 1.0])
    # closer, tie (half), farther
    assert privacy.closer_share(to_train, to_holdout, 100, 100) == pytest.approx(0.5)
    # three times more training rows: by chance alone, 75 % of the decided rows would be
    # closer to training rows; 50 % observed is low (0.25 after adjusting), the tie is 0.5
    assert privacy.closer_share(to_train, to_holdout, 300, 100) == pytest.approx(
        (0.5 + 2 * 0.25) / 3
    )
    assert privacy.closer_share(np.zeros(3), np.zeros(3), 300, 100) == pytest.approx(0.5)
    assert privacy.closer_share(np.zeros(3), np.ones(3), 300, 100) == pytest.approx(1.0)


def test_anonymeter_risk_and_its_intervals() -> None:
    risk = privacy_attacks.anonymeter_risk(attack=60, control=20, trials=100)
    assert risk["risk"] == pytest.approx((0.6 - 0.2) / (1 - 0.2))
    # the interval of the difference allows for the noise of both rates
    spread = 1.959964 * np.sqrt((0.6 * 0.4 + 0.2 * 0.8) / 100)
    assert risk["risk_low"] == pytest.approx((0.6 - spread - 0.2) / 0.8)
    expected = binomtest(60, 100).proportion_ci(method="wilson")
    assert (risk["attack_rate_low"], risk["attack_rate_high"]) == pytest.approx(
        (expected.low, expected.high), abs=1e-6
    )
    assert privacy_attacks.anonymeter_risk(10, 30, 100)["risk"] == 0.0  # never negative


@dataclass
class Case:
    train: pd.DataFrame
    holdout: pd.DataFrame
    synthetic: pd.DataFrame
    schema: Schema
    samples: privacy.PrivacySamples

    @classmethod
    def make(cls, train: pd.DataFrame, holdout: pd.DataFrame, synthetic: pd.DataFrame) -> Case:
        schema = schema_of(train)
        samples = privacy.privacy_samples(train, synthetic, holdout, schema, max_rows=600)
        return cls(train, holdout, synthetic, schema, samples)


@pytest.fixture(scope="module")
def copy_case() -> Case:
    train, holdout, _ = tables()
    return Case.make(train, holdout, train.sample(frac=1.0, random_state=1))


@pytest.fixture(scope="module")
def fresh_case() -> Case:
    return Case.make(*tables())


def _distance_metrics(case: Case) -> dict[str, MetricResult]:
    args = (case.train, case.synthetic, case.schema)
    results = [
        privacy.dcr_share(*args, holdout=case.holdout, samples=case.samples),
        privacy.nndr(*args, holdout=case.holdout, samples=case.samples),
        privacy.exact_copies(*args, holdout=case.holdout),
        *privacy.membership_inference(*args, holdout=case.holdout, samples=case.samples),
    ]
    return {r.name: r for r in results}


def test_a_copy_of_train_is_caught(copy_case: Case) -> None:
    m = _distance_metrics(copy_case)
    assert known(m["dcr_share"].value) > 0.97
    assert m["dcr_share"].reference == pytest.approx(0.5, abs=0.08)
    assert m["exact_copies"].value == 1.0
    assert known(m["exact_copies"].reference) < 0.05
    assert known(m["mia_distance_auc"].value) > 0.9
    assert known(m["nndr"].value) < known(m["nndr"].reference)


def test_a_fresh_sample_looks_private(fresh_case: Case) -> None:
    m = _distance_metrics(fresh_case)
    assert m["dcr_share"].value == pytest.approx(0.5, abs=0.08)
    assert known(m["exact_copies"].value) <= known(m["exact_copies"].reference) + 0.01
    for name in ("mia_distance_auc", "mia_density_auc"):
        assert m[name].value == pytest.approx(0.5, abs=0.08), name
    assert m["nndr"].value == pytest.approx(m["nndr"].reference, abs=0.1)


def test_distance_attack_auc_is_roc_auc_of_nearest_distances(fresh_case: Case) -> None:
    s = fresh_case.samples
    result = privacy.membership_inference(
        s.train, s.synthetic, fresh_case.schema, holdout=s.holdout, samples=s
    )[0]
    finder = NearestNeighbors(n_neighbors=1, algorithm="brute").fit(s.x_synthetic)
    members = finder.kneighbors(s.x_train[s.members])[0][:, 0]
    others = finder.kneighbors(s.x_holdout[s.non_members])[0][:, 0]
    labels = np.r_[np.ones(len(members)), np.zeros(len(others))]
    expected = roc_auc_score(labels, -np.r_[members, others])
    assert result.value == pytest.approx(expected, abs=1e-6)


def test_anonymeter_attacks_separate_copy_from_fresh(copy_case: Case, fresh_case: Case) -> None:
    def run(case: Case) -> dict[str, MetricResult]:
        s, schema = case.samples, case.schema
        return {
            "singling_out": privacy_attacks.singling_out(s, schema, n_attacks=300),
            "linkability": privacy_attacks.linkability(s, schema, n_attacks=300),
            "inference": privacy_attacks.attribute_inference(
                s, schema, secrets=["high_income", "sex"], n_attacks=300
            ),
        }

    copied, fresh = run(copy_case), run(fresh_case)
    assert copied["singling_out"].details["univariate"]["risk"] > 0.05
    assert known(copied["linkability"].value) > known(copied["linkability"].reference) + 0.2
    assert copied["inference"].details["risk"]["sex"]["risk"] > 0.5
    for name in ("singling_out", "linkability", "inference"):
        value, reference = fresh[name].value, fresh[name].reference
        assert value is not None and reference is not None
        assert value == pytest.approx(reference, abs=0.1), name
