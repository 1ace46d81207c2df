"""Privacy risk from distances: does the synthetic table sit too close to the training rows?

All distances are Euclidean on the "distance" features (numbers as ranks 0..1,
categories one-hot so that a changed label counts 1), fitted on the training table.
The holdout is the control: real rows from the same source the generator never saw.
A generator that only learned the distribution is, on average, no closer to its training
rows than to the holdout rows.

Singling-out, linkability and attribute-inference attacks are in `privacy_attacks`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score, roc_curve

from synthera.metrics.columns import labels
from synthera.metrics.features import TableFeatures
from synthera.metrics.neighbours import nearest
from synthera.metrics.result import MetricResult, skipped
from synthera.metrics.sampling import sample_rows
from synthera.schema import Schema

FAMILY = "privacy"
MAX_ROWS = 10_000  # synthetic and holdout rows: bounds every distance computation
MAX_TRAIN_ROWS = 50_000
DENSITY_NEIGHBOURS = 5
HISTOGRAM_BINS = 40
ROC_POINTS = 200


@dataclass
class PrivacySamples:
    """Samples of the three tables, their features, and the attack targets.

    `members` / `non_members` are equal numbers of training and holdout rows that the
    membership attacks try to tell apart; `population` (the other holdout rows) is real
    data the attacker is assumed to hold for calibration. Nearest-neighbour searches are
    cached, since several metrics use the same ones.
    """

    features: TableFeatures
    train: pd.DataFrame
    holdout: pd.DataFrame
    synthetic: pd.DataFrame
    x_train: np.ndarray
    x_holdout: np.ndarray
    x_synthetic: np.ndarray
    members: np.ndarray  # row positions in train
    non_members: np.ndarray  # row positions in holdout
    population: np.ndarray  # row positions in holdout
    seed: int
    _cache: dict[tuple[str, str, int], tuple[np.ndarray, np.ndarray]] = field(
        default_factory=dict, repr=False
    )

    def neighbours(self, queries: str, reference: str, k: int) -> tuple[np.ndarray, np.ndarray]:
        """`nearest` between two of "train", "holdout", "synthetic", cached."""
        for (q, r, kk), (d, i) in self._cache.items():
            if (q, r) == (queries, reference) and kk >= k:
                return d[:, :k], i[:, :k]
        matrices = {"train": self.x_train, "holdout": self.x_holdout, "synthetic": self.x_synthetic}
        found = nearest(matrices[queries], matrices[reference], k=k)
        self._cache[(queries, reference, k)] = found
        return found

    def with_synthetic(self, synthetic: pd.DataFrame, max_rows: int | None) -> PrivacySamples:
        """The same train and holdout samples (and their cached searches) with another
        synthetic table: `compare` evaluates several without repeating shared work."""
        s = sample_rows(synthetic, max_rows, self.seed + 2)
        kept = {key: v for key, v in self._cache.items() if "synthetic" not in key[:2]}
        return replace(self, synthetic=s, x_synthetic=self.features.transform(s), _cache=kept)


def privacy_samples(
    train: pd.DataFrame,
    synthetic: pd.DataFrame,
    holdout: pd.DataFrame,
    schema: Schema,
    *,
    seed: int = 0,
    max_rows: int | None = MAX_ROWS,
    max_train_rows: int | None = MAX_TRAIN_ROWS,
) -> PrivacySamples:
    t = sample_rows(train, max_train_rows, seed)
    h = sample_rows(holdout, max_rows, seed + 1)
    s = sample_rows(synthetic, max_rows, seed + 2)
    features = TableFeatures(schema, "distance").fit(train)
    rng = np.random.default_rng(seed + 3)
    holdout_order = rng.permutation(len(h))
    half = len(h) // 2
    n_targets = min(len(h) - half, len(t))
    return PrivacySamples(
        features=features,
        train=t,
        holdout=h,
        synthetic=s,
        x_train=features.transform(t),
        x_holdout=features.transform(h),
        x_synthetic=features.transform(s),
        members=np.sort(rng.permutation(len(t))[:n_targets]),
        non_members=np.sort(holdout_order[half:][:n_targets]),
        population=np.sort(holdout_order[:half]),
        seed=seed,
    )


def _samples(
    train: pd.DataFrame,
    synthetic: pd.DataFrame,
    schema: Schema,
    holdout: pd.DataFrame,
    seed: int,
    max_rows: int | None,
    samples: PrivacySamples | None,
) -> PrivacySamples:
    if samples is not None:
        return samples
    return privacy_samples(train, synthetic, holdout, schema, seed=seed, max_rows=max_rows)


def _histograms(series: dict[str, np.ndarray]) -> dict[str, Any]:
    """Shared-bin histograms (shares of rows) of several distance samples."""
    top = max((float(np.quantile(v, 0.99)) for v in series.values() if v.size), default=1.0)
    edges = np.linspace(0.0, top or 1.0, HISTOGRAM_BINS + 1)
    out: dict[str, Any] = {"edges": np.round(edges, 5).tolist()}
    for name, values in series.items():
        counts = np.histogram(np.clip(values, 0, edges[-1]), bins=edges)[0]
        out[name] = np.round(counts / max(values.size, 1), 6).tolist()
    return out


def closer_share(
    to_train: np.ndarray, to_holdout: np.ndarray, n_train: int, n_holdout: int
) -> float:
    """Share of rows nearer a training row than any holdout row, adjusted to what it would
    be were both tables the same size; exact ties count half.

    A row unrelated to both tables is nearer the larger one more often: with
    π = n_train / (n_train + n_holdout) it is nearer the training table with probability
    π. Dividing the observed odds (among rows that are not ties) by π / (1 − π) moves
    that level to 0.5, while a copied row (at distance 0 from the training table only)
    still counts fully.
    """
    closer = float(np.mean(to_train < to_holdout))
    farther = float(np.mean(to_train > to_holdout))
    ties = 1.0 - closer - farther
    if closer + farther == 0:
        return 0.5
    prior = n_train / (n_train + n_holdout)
    weighted_closer, weighted_farther = closer * (1 - prior), farther * prior
    decided = weighted_closer / (weighted_closer + weighted_farther)
    return 0.5 * ties + (1.0 - ties) * decided


def dcr_share(
    train: pd.DataFrame,
    synthetic: pd.DataFrame,
    schema: Schema,
    *,
    holdout: pd.DataFrame,
    seed: int = 0,
    max_rows: int | None = MAX_ROWS,
    samples: PrivacySamples | None = None,
) -> MetricResult:
    """Distance to closest record: share of synthetic rows closer to a training row than
    to any holdout row, adjusted for the tables' sizes (see `closer_share`; 0.5 ideal).

    Reference: each holdout row against the training rows and the rest of the holdout,
    which is 0.5 up to noise. Details hold the distance distributions.
    """
    p = _samples(train, synthetic, schema, holdout, seed, max_rows, samples)
    label = "Distance to closest record: share closer to training rows"
    if len(p.holdout) < 3 or len(p.synthetic) < 1:
        return skipped("dcr_share", FAMILY, label, "lower", 0.5, "too few rows")
    n_t, n_h = len(p.train), len(p.holdout)
    syn_train = p.neighbours("synthetic", "train", 2)[0][:, 0]
    syn_holdout = p.neighbours("synthetic", "holdout", 1)[0][:, 0]
    hold_train = p.neighbours("holdout", "train", 2)[0][:, 0]
    hold_rest = p.neighbours("holdout", "holdout", 2)[0][:, 1]  # the first is itself
    details = _histograms(
        {
            "synthetic_to_train": syn_train,
            "synthetic_to_holdout": syn_holdout,
            "holdout_to_train": hold_train,
        }
    )
    details["median"] = {
        "synthetic_to_train": float(np.median(syn_train)),
        "synthetic_to_holdout": float(np.median(syn_holdout)),
        "holdout_to_train": float(np.median(hold_train)),
    }
    details["unadjusted_share"] = float(
        np.mean(syn_train < syn_holdout) + 0.5 * np.mean(syn_train == syn_holdout)
    )
    details["rows"] = {"train": n_t, "holdout": n_h, "synthetic": len(p.synthetic)}
    details["standard_error"] = float(np.sqrt(0.25 / len(p.synthetic)))
    return MetricResult(
        "dcr_share",
        FAMILY,
        label,
        closer_share(syn_train, syn_holdout, n_t, n_h),
        "lower",
        0.5,
        "For each synthetic row: is its nearest real row a training row or a holdout row? "
        "Around 50 % (after allowing for the training table being larger) means the "
        "generator did not stay close to the rows it learned from; far above 50 % means it "
        "copies or nearly copies them.",
        reference=closer_share(hold_train, hold_rest, n_t, n_h - 1),
        details=details,
    )


def nndr(
    train: pd.DataFrame,
    synthetic: pd.DataFrame,
    schema: Schema,
    *,
    holdout: pd.DataFrame,
    seed: int = 0,
    max_rows: int | None = MAX_ROWS,
    samples: PrivacySamples | None = None,
) -> MetricResult:
    """Median nearest-neighbour distance ratio: distance to the closest training row over
    the distance to the second closest (near 0: a row sits on one particular person).
    Reference: the same ratio for holdout rows."""
    p = _samples(train, synthetic, schema, holdout, seed, max_rows, samples)
    label = "Nearest-neighbour distance ratio (median)"
    if len(p.train) < 2:
        return skipped("nndr", FAMILY, label, "higher", 1.0, "fewer than two training rows")

    def ratios(queries: str) -> np.ndarray:
        d = p.neighbours(queries, "train", 2)[0]
        # Two equally near rows (0/0 included) single nobody out: ratio 1.
        return np.where(d[:, 1] > 0, d[:, 0] / np.where(d[:, 1] > 0, d[:, 1], 1.0), 1.0)

    syn, hold = ratios("synthetic"), ratios("holdout")
    return MetricResult(
        "nndr",
        FAMILY,
        label,
        float(np.median(syn)),
        "higher",
        1.0,
        "How much closer each synthetic row is to its nearest training row than to the next "
        "one. Low values mean rows that point at one specific person.",
        reference=float(np.median(hold)),
        details={
            "share_below_0.5": float(np.mean(syn < 0.5)),
            "reference_share_below_0.5": float(np.mean(hold < 0.5)),
        },
    )


def _row_hashes(df: pd.DataFrame, columns: list[str]) -> np.ndarray:
    text = pd.DataFrame({c: labels(df[c]).fillna("\x00missing") for c in columns})
    return pd.util.hash_pandas_object(text, index=False).to_numpy()


def exact_copies(
    train: pd.DataFrame, synthetic: pd.DataFrame, schema: Schema, *, holdout: pd.DataFrame
) -> MetricResult:
    """Share of synthetic rows identical to some training row (every evaluated column).

    Reference: the share of holdout rows identical to some training row — real tables
    hold natural duplicates, and a generator is not to blame for that many.
    """
    columns = schema.modelled
    seen = set(_row_hashes(train, columns).tolist())

    def copied(df: pd.DataFrame) -> float:
        if df.empty:
            return 0.0
        return float(np.mean([h in seen for h in _row_hashes(df, columns).tolist()]))

    value = copied(synthetic)
    return MetricResult(
        "exact_copies",
        FAMILY,
        "Exact copies of training rows",
        value,
        "lower",
        0.0,
        "The share of synthetic rows that are identical to a training row. Compare with "
        "the holdout: that many duplicates occur naturally in this data.",
        reference=copied(holdout),
        details={"synthetic_rows": len(synthetic), "copies": round(value * len(synthetic))},
    )


def auc_standard_error(n_positive: int, n_negative: int) -> float:
    """Standard error of a ROC-AUC of 0.5 (a useless score) for these class sizes."""
    return float(np.sqrt((n_positive + n_negative + 1) / (12.0 * n_positive * n_negative)))


def _roc(labels_: np.ndarray, scores: np.ndarray) -> dict[str, list[float]]:
    fpr, tpr, _ = roc_curve(labels_, scores)
    keep = np.unique(np.linspace(0, len(fpr) - 1, min(len(fpr), ROC_POINTS)).astype(int))
    return {"fpr": np.round(fpr[keep], 5).tolist(), "tpr": np.round(tpr[keep], 5).tolist()}


def membership_inference(
    train: pd.DataFrame,
    synthetic: pd.DataFrame,
    schema: Schema,
    *,
    holdout: pd.DataFrame,
    seed: int = 0,
    max_rows: int | None = MAX_ROWS,
    samples: PrivacySamples | None = None,
) -> list[MetricResult]:
    """Two membership-inference attacks; each ROC-AUC is 0.5 when they fail.

    Targets are training rows (members) and as many holdout rows (non-members).
    * distance attack — "a row is a member if a synthetic row lies very close to it";
    * density-ratio attack (after DOMIAS, van Breugel et al. 2023) — "a member where the
      synthetic data are denser than real data in general": k-nearest-neighbour density
      of the synthetic table over that of a real population sample (the other holdout
      half), compared in logs.
    """
    p = _samples(train, synthetic, schema, holdout, seed, max_rows, samples)
    names = ("mia_distance_auc", "mia_density_auc")
    k = DENSITY_NEIGHBOURS
    if min(len(p.members), len(p.non_members), len(p.population)) < k or len(p.synthetic) < k:
        return [skipped(n, FAMILY, n, "lower", 0.5, "too few rows for the attack") for n in names]
    targets = np.vstack([p.x_train[p.members], p.x_holdout[p.non_members]])
    is_member = np.r_[np.ones(len(p.members)), np.zeros(len(p.non_members))]
    to_synthetic = nearest(targets, p.x_synthetic, k=k)[0]
    to_population = nearest(targets, p.x_holdout[p.population], k=k)[0]
    distance_score = -to_synthetic[:, 0]
    eps = 1e-6
    density_score = np.log(to_population[:, -1] + eps) - np.log(to_synthetic[:, -1] + eps)
    results = []
    for name, label, score, what in (
        (
            names[0],
            "Membership inference: distance attack (ROC-AUC)",
            distance_score,
            "guesses that a real row was used for training when a synthetic row lies very close "
            "to it",
        ),
        (
            names[1],
            "Membership inference: density-ratio attack (ROC-AUC)",
            density_score,
            "guesses that a real row was used for training when synthetic rows crowd around it "
            "more than real rows do",
        ),
    ):
        auc = float(roc_auc_score(is_member, score))
        results.append(
            MetricResult(
                name,
                FAMILY,
                label,
                auc,
                "lower",
                0.5,
                f"An attacker {what}. 0.5 means the attack is no better than a coin flip; 1.0 "
                "means it recognises every training row.",
                details={
                    "roc": _roc(is_member, score),
                    "targets": len(is_member),
                    "standard_error": auc_standard_error(len(p.members), len(p.non_members)),
                },
            )
        )
    return results
