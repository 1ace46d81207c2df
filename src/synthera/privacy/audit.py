"""Empirical privacy audit: can an attacker tell which canaries a model was trained on?

Canaries are unusual rows drawn at random (seeded) the same way for everyone: numbers
uniform over each column's range, labels uniform over the column's labels, and a label
nobody else has in one categorical column. A random half of them (members) join the
table the model trains on; the other half (non-members) do not. The audited model is
trained twice, with and without differential privacy, and an attack scores every canary
(higher: more likely a member). From the scores:

* ROC-AUC (0.5: the attack cannot tell) with its 95 % interval (Hanley & McNeil 1982);
* membership advantage max(TPR − FPR) over thresholds, with a 95 % interval from the
  Wilson intervals of TPR and FPR at the best threshold. (ε, δ)-DP bounds it:
  TPR ≤ e^ε·FPR + δ and TNR ≤ e^ε·FNR + δ give
  advantage ≤ (e^ε − 1 + 2δ) / (e^ε + 1) (Kairouz et al. 2015);
* an empirical lower bound on ε (Jagielski et al. 2020): the largest
  ln((TPR − δ)/FPR) or ln((TNR − δ)/FNR) the intervals still support.

The non-private model should be visibly attackable (advantage clearly above 0); the DP
model must stay within what its ε allows: an advantage whose lower end exceeds the bound
would refute the claim. The best threshold is chosen on the same canaries, which favours
the attacker: the check is strict on the claim. With k canaries per side an audit cannot
show more than about ln(k) of ε, so it checks for gross failures (a leak the accountant
missed, a preprocessing step that reads the data for free), not the tightness of ε.

What is audited is pluggable (`AuditTarget`): a generator (score: minus the distance from
the canary to its nearest synthetic row) or the DP classifier (score: minus the loss of
the canary's true class, the loss-threshold attack of Yeom et al. 2018).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score, roc_curve

from synthera.errors import ParameterError
from synthera.metrics.columns import numbers
from synthera.metrics.features import TableFeatures
from synthera.metrics.neighbours import nearest
from synthera.metrics.privacy_attacks import Z_95, wilson_interval
from synthera.metrics.result import clean_number
from synthera.privacy.ledger import PrivacyLedger
from synthera.privacy.spec import PrivacySpec
from synthera.progress import ProgressCallback, report
from synthera.schema import ColumnKind, Schema
from synthera.seeding import derive_seed

CANARY_LABEL = "canary-{:03d}"


def advantage_bound(epsilon: float, delta: float) -> float:
    """The largest membership advantage (TPR − FPR) an (ε, δ)-DP model allows."""
    if math.isinf(epsilon):
        return 1.0
    return min(1.0, (math.expm1(epsilon) + 2 * delta) / (math.exp(epsilon) + 1))


def make_canaries(
    df: pd.DataFrame, schema: Schema, n: int, rng: np.random.Generator
) -> pd.DataFrame:
    """`n` unusual rows drawn independently of each other (see the module docstring)."""
    rows = df.iloc[rng.integers(0, len(df), n)].reset_index(drop=True).copy()
    unique_column = None
    for spec in schema.columns:
        name = spec.name
        if spec.kind in (ColumnKind.NUMERIC, ColumnKind.INTEGER):
            values = numbers(df[name], spec)
            present = values[np.isfinite(values)]
            if present.size == 0:
                continue
            drawn = rng.uniform(present.min(), present.max(), n)
            if spec.kind is ColumnKind.INTEGER:
                drawn = np.round(drawn)
            rows[name] = _as_dtype(pd.Series(drawn), df[name].dtype)
        elif spec.kind in (ColumnKind.CATEGORICAL, ColumnKind.BOOLEAN):
            levels = df[name].dropna().unique()
            if len(levels):
                rows[name] = pd.Series(
                    levels[rng.integers(0, len(levels), n)], dtype=df[name].dtype
                )
            if (
                spec.kind is ColumnKind.CATEGORICAL
                and name != schema.target
                and not pd.api.types.is_numeric_dtype(df[name].dtype)
                and (unique_column is None or df[name].nunique() > df[unique_column].nunique())
            ):
                unique_column = name
    if unique_column is not None:  # a label nobody else has: the most memorable kind
        rows[unique_column] = [CANARY_LABEL.format(i) for i in range(n)]
    return rows


def _as_dtype(values: pd.Series, dtype: Any) -> pd.Series:
    try:
        return values.astype(dtype)
    except (TypeError, ValueError):
        return values


class AuditTarget(Protocol):
    """Something trained on a table whose members an attacker tries to recognise."""

    @property
    def label(self) -> str:
        """What is audited, for the report."""
        ...

    def scores(
        self,
        train: pd.DataFrame,
        candidates: pd.DataFrame,
        schema: Schema,
        privacy: PrivacySpec | None,
        seed: int,
        progress: ProgressCallback | None,
    ) -> tuple[np.ndarray, PrivacyLedger | None]:
        """Train on `train`; return a membership score per candidate (higher: more
        likely a member) and the ledger of a private fit."""
        ...


@dataclass
class GeneratorTarget:
    """A registered generator; the attack measures the distance from each canary to its
    nearest synthetic row, among `synthetic_factor` × training rows sampled."""

    model: str
    params: Mapping[str, Any] = field(default_factory=dict)
    synthetic_factor: int = 10

    @property
    def label(self) -> str:
        return self.model

    def scores(
        self,
        train: pd.DataFrame,
        candidates: pd.DataFrame,
        schema: Schema,
        privacy: PrivacySpec | None,
        seed: int,
        progress: ProgressCallback | None,
    ) -> tuple[np.ndarray, PrivacyLedger | None]:
        from synthera.models.registry import get_synthesizer

        model = get_synthesizer(self.model, **dict(self.params))
        model.fit(train, schema, seed=seed, progress=progress, privacy=privacy)
        synthetic = model.sample(self.synthetic_factor * len(train), seed=seed)
        # Every label a candidate carries gets its own feature: a canary's own label counts.
        features = TableFeatures(schema, "distance", max_categories=100_000)
        features.fit(pd.concat([train, candidates], ignore_index=True))
        distances = nearest(features.transform(candidates), features.transform(synthetic))[0]
        return -distances[:, 0], model.privacy_


@dataclass
class ClassifierTarget:
    """The DP classifier of `target`; the attack reads the loss of each canary's class."""

    target: str
    params: Mapping[str, Any] = field(default_factory=dict)
    label: str = "private_classifier"

    def scores(
        self,
        train: pd.DataFrame,
        candidates: pd.DataFrame,
        schema: Schema,
        privacy: PrivacySpec | None,
        seed: int,
        progress: ProgressCallback | None,
    ) -> tuple[np.ndarray, PrivacyLedger | None]:
        from synthera.privacy.classifier import PrivateClassifier

        # The classes are declared (public): a small audit table could not release them
        # privately, and they are not what the canaries test.
        spec = schema[self.target]
        if spec.categories is None:
            classes = tuple(sorted(train[self.target].dropna().astype(str).unique()))
            declared = replace(spec, categories=classes)
            columns = tuple(declared if c.name == self.target else c for c in schema.columns)
            schema = replace(schema, columns=columns)
        model = PrivateClassifier(self.target, **dict(self.params))
        model.fit(train, schema, privacy=privacy, seed=seed, progress=progress)
        return -model.losses(candidates), model.privacy_


@dataclass(frozen=True)
class AttackResult:
    """One trained model under attack."""

    name: str
    epsilon: float | None  # None: no privacy
    delta: float | None
    auc: float
    auc_interval: tuple[float, float]
    advantage: float
    advantage_interval: tuple[float, float]
    epsilon_lower_bound: float  # what the attack proves about ε at 95 % (0: nothing)
    bound: float  # the advantage the claimed ε allows (1 without privacy)
    roc: dict[str, list[float]]
    member_scores: list[float]
    non_member_scores: list[float]
    privacy: dict[str, Any] | None

    @property
    def within_bound(self) -> bool:
        """The claim stands: the advantage's lower end does not exceed the bound."""
        return self.advantage_interval[0] <= self.bound

    @property
    def attackable(self) -> bool:
        """The attack clearly works: both intervals exclude chance."""
        return self.advantage_interval[0] > 0 and self.auc_interval[0] > 0.5

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "epsilon": self.epsilon,
            "delta": self.delta,
            "auc": self.auc,
            "auc_interval": list(self.auc_interval),
            "advantage": self.advantage,
            "advantage_interval": list(self.advantage_interval),
            "epsilon_lower_bound": self.epsilon_lower_bound,
            "advantage_bound": self.bound,
            "within_bound": self.within_bound,
            "attackable": self.attackable,
            "roc": self.roc,
            "member_scores": [clean_number(s) for s in self.member_scores],
            "non_member_scores": [clean_number(s) for s in self.non_member_scores],
            "privacy": self.privacy,
        }


def _auc_interval(auc: float, m: int, n: int) -> tuple[float, float]:
    """95 % interval of a ROC-AUC from m positives and n negatives (Hanley & McNeil)."""
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    variance = (auc * (1 - auc) + (m - 1) * (q1 - auc**2) + (n - 1) * (q2 - auc**2)) / (m * n)
    half = Z_95 * math.sqrt(max(variance, 0.0))
    return max(0.0, auc - half), min(1.0, auc + half)


def _epsilon_lower_bound(tp: int, fp: int, m: int, n: int, delta: float) -> float:
    """The ε that (TPR, FPR) at one threshold proves at 95 % (Jagielski et al. 2020)."""
    tpr_low, _ = wilson_interval(tp, m)
    _, fpr_high = wilson_interval(fp, n)
    tnr_low, _ = wilson_interval(n - fp, n)
    _, fnr_high = wilson_interval(m - tp, m)
    found = 0.0
    for hit, miss in ((tpr_low, fpr_high), (tnr_low, fnr_high)):
        if hit - delta > 0 and miss > 0:
            found = max(found, math.log((hit - delta) / miss))
    return found


def attack_result(
    name: str,
    scores: np.ndarray,
    is_member: np.ndarray,
    ledger: PrivacyLedger | None,
) -> AttackResult:
    """Score a membership attack: AUC, advantage and the ε it proves, with intervals."""
    m, n = int(is_member.sum()), int((~is_member).sum())
    scores = np.nan_to_num(scores, nan=-np.inf, neginf=-1e300, posinf=1e300)
    auc = float(roc_auc_score(is_member, scores))
    fpr, tpr, _ = roc_curve(is_member, scores)
    best = int(np.argmax(tpr - fpr))
    tp, fp = round(tpr[best] * m), round(fpr[best] * n)
    tpr_low, tpr_high = wilson_interval(tp, m)
    fpr_low, fpr_high = wilson_interval(fp, n)
    delta = 0.0 if ledger is None else ledger.delta_spent
    epsilon = None if ledger is None else ledger.epsilon_spent
    lower_bound = max(
        _epsilon_lower_bound(round(t * m), round(f * n), m, n, delta)
        for t, f in zip(tpr, fpr, strict=True)
    )
    return AttackResult(
        name=name,
        epsilon=epsilon,
        delta=None if ledger is None else delta,
        auc=auc,
        auc_interval=_auc_interval(auc, m, n),
        advantage=float(tpr[best] - fpr[best]),
        advantage_interval=(max(-1.0, tpr_low - fpr_high), min(1.0, tpr_high - fpr_low)),
        epsilon_lower_bound=lower_bound,
        bound=advantage_bound(math.inf if epsilon is None else epsilon, delta),
        roc={"fpr": np.round(fpr, 5).tolist(), "tpr": np.round(tpr, 5).tolist()},
        member_scores=scores[is_member].tolist(),
        non_member_scores=scores[~is_member].tolist(),
        privacy=None if ledger is None else ledger.to_dict(),
    )


@dataclass
class AuditResult:
    target: str
    rows: int  # the table's rows, before canaries
    canaries: int  # per side
    seed: int
    runs: list[AttackResult]  # the private run, then the non-private one
    notes: list[str] = field(default_factory=list)

    @property
    def private(self) -> AttackResult:
        return self.runs[0]

    @property
    def non_private(self) -> AttackResult:
        return self.runs[1]

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "rows": self.rows,
            "canaries_per_side": self.canaries,
            "seed": self.seed,
            "private": self.private.to_dict(),
            "non_private": self.non_private.to_dict(),
            "notes": list(self.notes),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False, allow_nan=False)

    def to_html(self) -> str:
        from synthera.privacy.audit_report import render_audit

        return render_audit(self)


def run_audit(
    df: pd.DataFrame,
    target: AuditTarget,
    privacy: PrivacySpec | Mapping[str, Any],
    *,
    schema: Schema | None = None,
    canaries: int = 20,
    seed: int = 0,
    progress: ProgressCallback | None = None,
) -> AuditResult:
    """Insert `canaries` member canaries into `df`, keep as many non-members aside, train
    `target` with `privacy` and without, and attack both."""
    spec = PrivacySpec.coerce(privacy)
    if spec is None:
        raise ParameterError("the audit needs a privacy budget to check, e.g. {'epsilon': 1}")
    if canaries < 2:
        raise ParameterError(f"the audit needs at least 2 canaries per side, not {canaries}")
    if len(df) < 10:
        raise ParameterError(f"the audit needs a table of at least 10 rows, not {len(df)}")
    schema = schema if schema is not None else Schema.infer(df)
    schema.validate(df)
    rng = np.random.default_rng(seed)
    candidates = make_canaries(df, schema, 2 * canaries, rng)
    is_member = np.zeros(2 * canaries, dtype=bool)
    is_member[rng.permutation(2 * canaries)[:canaries]] = True
    train = pd.concat([df, candidates[is_member]], ignore_index=True)
    train = train.iloc[rng.permutation(len(train))].reset_index(drop=True)
    runs = []
    for step, (name, run_privacy) in enumerate(
        ((f"DP (ε={spec.epsilon:g})", spec), ("no privacy", None))
    ):
        report(progress, "audit", step, 2)
        fit_seed = derive_seed(rng)
        scores, ledger = target.scores(train, candidates, schema, run_privacy, fit_seed, progress)
        runs.append(attack_result(name, np.asarray(scores, dtype=float), is_member, ledger))
    report(progress, "audit", 2, 2)
    notes = [
        f"{canaries} canaries per side: the audit can show at most about "
        f"ε ≥ {_epsilon_lower_bound(canaries, 0, canaries, canaries, 0.0):.2f}; it checks for "
        "gross leaks, not for the tightness of the accountant."
    ]
    return AuditResult(target.label, len(df), canaries, seed, runs, notes)
