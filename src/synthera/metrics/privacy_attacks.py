"""Privacy attacks after Anonymeter (Giomi et al., "A Unified Framework for Quantifying
Privacy Risk in Synthetic Data", PoPETs 2023), written here because the `anonymeter`
package pins an old NumPy.

Each attack is run twice with the same synthetic table: against training rows (the
people the generator learned from) and against as many holdout rows (people it never
saw: the control). Only what succeeds more often on training rows is a privacy leak:

    risk = (attack success − control success) / (1 − control success)

with a 95 % interval (see `anonymeter_risk`). Three attacks:

* singling out — a predicate built from synthetic rows ("age ≥ 71 and job = X") that
  matches exactly one real person;
* linkability — two partial records of one person (disjoint column sets) are matched to
  the same synthetic row, linking them;
* attribute inference (attribute disclosure) — knowing a person's other columns
  (quasi-identifiers), the nearest synthetic row reveals their secret column.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from synthera.metrics.columns import is_numeric, labels, numbers
from synthera.metrics.neighbours import nearest
from synthera.metrics.privacy import PrivacySamples
from synthera.metrics.result import MetricResult, skipped
from synthera.schema import Schema

FAMILY = "privacy"
N_ATTACKS = 2000  # targets per side, and predicates for singling out
PREDICATE_COLUMNS = 3  # columns per multivariate singling-out predicate
NUMERIC_TOLERANCE = 0.05  # a numeric secret is guessed when within 5 % (Anonymeter's rule)
Z_95 = 1.959964


def wilson_interval(successes: int, trials: int) -> tuple[float, float]:
    """95 % Wilson score interval of a success rate."""
    if trials == 0:
        return 0.0, 1.0
    p = successes / trials
    denominator = 1 + Z_95**2 / trials
    centre = (p + Z_95**2 / (2 * trials)) / denominator
    half = Z_95 * np.sqrt(p * (1 - p) / trials + Z_95**2 / (4 * trials**2)) / denominator
    return float(max(0.0, centre - half)), float(min(1.0, centre + half))


def anonymeter_risk(attack: int, control: int, trials: int) -> dict[str, float]:
    """Attack and control success rates and the risk that separates them, with a 95 %
    interval.

    Anonymeter puts a Wilson interval on the attack rate alone and treats the control
    rate as exact; here the interval of the difference allows for the noise of both
    rates (they are measured on equally many people), which keeps chance differences
    from reading as leaks. The attack rate's own Wilson interval is kept as well.
    """
    a = attack / trials if trials else 0.0
    c = control / trials if trials else 0.0
    spread = Z_95 * np.sqrt((a * (1 - a) + c * (1 - c)) / trials) if trials else 1.0

    def risk(rate: float) -> float:
        return float(np.clip((rate - c) / (1 - c), 0.0, 1.0)) if c < 1 else 0.0

    low, high = wilson_interval(attack, trials)
    return {
        "attack_rate": a,
        "control_rate": c,
        "risk": risk(a),
        "risk_low": risk(a - spread),
        "risk_high": risk(a + spread),
        "attack_rate_low": low,
        "attack_rate_high": high,
        "trials": trials,
    }


def _cap(positions: np.ndarray, n: int, seed: int) -> np.ndarray:
    if len(positions) <= n:
        return positions
    return np.sort(np.random.default_rng(seed).choice(positions, size=n, replace=False))


# ---- singling out -----------------------------------------------------------------------


@dataclass(frozen=True)
class Predicate:
    column: str
    op: str  # "==", "<=", ">=", "missing"
    value: float | int = 0


class _Columns:
    """Columns as arrays comparable across tables: floats, or codes of synthetic labels."""

    def __init__(self, synthetic: pd.DataFrame, schema: Schema, columns: list[str]) -> None:
        self.schema = schema
        self.columns = columns
        self.vocab = {
            c: {v: i for i, v in enumerate(labels(synthetic[c]).dropna().unique())}
            for c in columns
            if not is_numeric(schema[c])
        }

    def arrays(self, df: pd.DataFrame) -> dict[str, np.ndarray]:
        out = {}
        for c in self.columns:
            if c in self.vocab:
                text = labels(df[c])
                codes = text.map(self.vocab[c]).to_numpy(dtype=float, na_value=np.nan)
                codes[text.notna().to_numpy() & np.isnan(codes)] = -1  # unknown label
                out[c] = codes
            else:
                out[c] = numbers(df[c], self.schema[c])
        return out


def _matches(arrays: dict[str, np.ndarray], predicates: Sequence[Predicate]) -> np.ndarray:
    mask: np.ndarray | None = None
    for p in predicates:
        values = arrays[p.column]
        with np.errstate(invalid="ignore"):
            if p.op == "missing":
                hit = np.isnan(values)
            elif p.op == "==":
                hit = values == p.value
            elif p.op == "<=":
                hit = values <= p.value
            else:
                hit = values >= p.value
        mask = hit if mask is None else mask & hit
    assert mask is not None
    return mask


def _univariate_queries(
    arrays: dict[str, np.ndarray], columns: _Columns, rng: np.random.Generator, n: int
) -> list[list[Predicate]]:
    """Predicates on one column that single out one synthetic row: its rarest values,
    and the extremes of numeric columns."""
    candidates: list[list[Predicate]] = []
    for c in columns.columns:
        values = arrays[c]
        present = values[~np.isnan(values)]
        if not present.size:
            continue
        unique, counts = np.unique(present, return_counts=True)
        candidates += [[Predicate(c, "==", float(v))] for v in unique[counts == 1]]
        if c not in columns.vocab:
            candidates += [[Predicate(c, "<=", float(unique[0]))]]
            candidates += [[Predicate(c, ">=", float(unique[-1]))]]
    singled = [q for q in candidates if int(_matches(arrays, q).sum()) == 1]
    if len(singled) > n:
        singled = [singled[i] for i in rng.choice(len(singled), size=n, replace=False)]
    return singled


def _multivariate_queries(
    arrays: dict[str, np.ndarray], columns: _Columns, rng: np.random.Generator, n: int
) -> list[list[Predicate]]:
    """Predicates on a few columns of one random synthetic row (numbers: the side of the
    value away from the median) that match that row alone."""
    names = columns.columns
    n_rows = len(next(iter(arrays.values())))
    medians = {
        c: float(np.nanmedian(arrays[c]))
        for c in names
        if c not in columns.vocab and np.isfinite(arrays[c]).any()
    }
    width = min(PREDICATE_COLUMNS, len(names))
    queries: list[list[Predicate]] = []
    for _ in range(10 * n):
        if len(queries) >= n:
            break
        row = int(rng.integers(n_rows))
        query = []
        for c in rng.choice(names, size=width, replace=False):
            value = float(arrays[c][row])
            if np.isnan(value):
                query.append(Predicate(str(c), "missing"))
            elif c in columns.vocab:
                query.append(Predicate(str(c), "==", value))
            else:
                query.append(Predicate(str(c), ">=" if value > medians[c] else "<=", value))
        if int(_matches(arrays, query).sum()) == 1:
            queries.append(query)
    return queries


def singling_out(
    samples: PrivacySamples, schema: Schema, *, n_attacks: int = N_ATTACKS
) -> MetricResult:
    """Share of synthetic-derived predicates that single out exactly one training row,
    against the same share on holdout rows (equal numbers of rows on both sides)."""
    label = "Singling-out success (multivariate predicates)"
    columns = _Columns(samples.synthetic, schema, schema.modelled)
    if not columns.columns or len(samples.synthetic) < 2:
        return skipped("singling_out", FAMILY, label, "lower", 0.0, "too few rows or columns")
    rng = np.random.default_rng(samples.seed + 11)
    syn = columns.arrays(samples.synthetic)
    train = columns.arrays(samples.train.iloc[samples.members])
    control = columns.arrays(samples.holdout.iloc[samples.non_members])
    details: dict[str, dict[str, float]] = {}
    for mode, make in (
        ("univariate", _univariate_queries),
        ("multivariate", _multivariate_queries),
    ):
        queries = make(syn, columns, rng, n_attacks)
        hits = sum(int(_matches(train, q).sum() == 1) for q in queries)
        controls = sum(int(_matches(control, q).sum() == 1) for q in queries)
        details[mode] = anonymeter_risk(hits, controls, len(queries))
    multi = details["multivariate"]
    return MetricResult(
        "singling_out",
        FAMILY,
        label,
        multi["attack_rate"] if multi["trials"] else None,
        "lower",
        0.0,
        "How often a description built from the synthetic rows (for example “age ≥ 71, "
        "widowed, self-employed”) fits exactly one real training person; the reference is "
        "how often it fits exactly one holdout person, which happens by chance.",
        reference=multi["control_rate"] if multi["trials"] else None,
        details=details,
    )


# ---- linkability ------------------------------------------------------------------------


def linkability(
    samples: PrivacySamples,
    schema: Schema,
    *,
    column_sets: tuple[Sequence[str], Sequence[str]] | None = None,
    n_attacks: int = N_ATTACKS,
) -> MetricResult:
    """Share of people whose two partial records (disjoint column sets, by default the
    evaluated columns split alternately) have the same nearest synthetic row."""
    label = "Linkability success"
    names = schema.modelled
    first, second = column_sets or (names[0::2], names[1::2])
    if not first or not second:
        return skipped("linkability", FAMILY, label, "lower", 0.0, "fewer than two columns")
    a = samples.features.indices_of(list(first))
    b = samples.features.indices_of(list(second))
    members = _cap(samples.members, n_attacks, samples.seed + 12)
    controls = _cap(samples.non_members, n_attacks, samples.seed + 13)
    trials = min(len(members), len(controls))
    members, controls = members[:trials], controls[:trials]

    def linked(x: np.ndarray) -> int:
        left = nearest(x[:, a], samples.x_synthetic[:, a])[1][:, 0]
        right = nearest(x[:, b], samples.x_synthetic[:, b])[1][:, 0]
        return int(np.sum(left == right))

    risk = anonymeter_risk(
        linked(samples.x_train[members]), linked(samples.x_holdout[controls]), trials
    )
    details: dict[str, Any] = {**risk, "columns": [list(first), list(second)]}
    return MetricResult(
        "linkability",
        FAMILY,
        label,
        risk["attack_rate"],
        "lower",
        0.0,
        "How often two halves of a training person's record (different columns) lead to the "
        "same synthetic row, letting an attacker join them; the reference does the same for "
        "holdout people.",
        reference=risk["control_rate"],
        details=details,
    )


# ---- attribute inference ----------------------------------------------------------------


def _guessed(secret: str, schema: Schema, truth: pd.Series, guess: pd.Series) -> np.ndarray:
    if is_numeric(schema[secret]):
        t, g = numbers(truth, schema[secret]), numbers(guess, schema[secret])
        with np.errstate(invalid="ignore"):
            close = np.abs(g - t) <= NUMERIC_TOLERANCE * np.abs(t)
        return close | (np.isnan(t) & np.isnan(g))
    t, g = (
        labels(truth).to_numpy(object, na_value=None),
        labels(guess).to_numpy(object, na_value=None),
    )
    return np.array([x == y for x, y in zip(t, g, strict=True)])


def _inferred(
    samples: PrivacySamples,
    schema: Schema,
    secret: str,
    known: np.ndarray,
    x: np.ndarray,
    people: pd.DataFrame,
) -> int:
    """How many `people` get their `secret` guessed from the nearest synthetic row on the
    `known` features."""
    guess_rows = nearest(x[:, known], samples.x_synthetic[:, known])[1][:, 0]
    guess = samples.synthetic[secret].iloc[guess_rows].reset_index(drop=True)
    return int(_guessed(secret, schema, people[secret].reset_index(drop=True), guess).sum())


def attribute_inference(
    samples: PrivacySamples,
    schema: Schema,
    *,
    secrets: Sequence[str],
    quasi_identifiers: Sequence[str] | None = None,
    n_attacks: int = N_ATTACKS,
) -> MetricResult:
    """For each secret column: knowing a person's quasi-identifiers (by default every other
    evaluated column), take the nearest synthetic row's secret as the guess. Value: the
    mean success on training people; reference: on holdout people."""
    label = "Attribute disclosure: secret guessed from quasi-identifiers"
    if not secrets:
        return skipped(
            "attribute_disclosure",
            FAMILY,
            label,
            "lower",
            0.0,
            "no target or sensitive column to treat as the secret",
        )
    members = _cap(samples.members, n_attacks, samples.seed + 14)
    controls = _cap(samples.non_members, n_attacks, samples.seed + 15)
    trials = min(len(members), len(controls))
    members, controls = members[:trials], controls[:trials]
    attack: dict[str, float | None] = {}
    control: dict[str, float | None] = {}
    risks: dict[str, dict[str, float]] = {}
    for secret in secrets:
        known = [c for c in (quasi_identifiers or schema.modelled) if c != secret]
        if not known:
            continue
        cols = samples.features.indices_of(known)
        hits = _inferred(
            samples, schema, secret, cols, samples.x_train[members], samples.train.iloc[members]
        )
        baseline = _inferred(
            samples,
            schema,
            secret,
            cols,
            samples.x_holdout[controls],
            samples.holdout.iloc[controls],
        )
        risks[secret] = anonymeter_risk(hits, baseline, trials)
        attack[secret] = risks[secret]["attack_rate"]
        control[secret] = risks[secret]["control_rate"]
    if not attack:
        return skipped("attribute_disclosure", FAMILY, label, "lower", 0.0, "no quasi-identifiers")
    return MetricResult(
        "attribute_disclosure",
        FAMILY,
        label,
        float(np.mean(list(attack.values()))),
        "lower",
        0.0,
        "How often an attacker who knows a person's other columns guesses their secret "
        "column from the closest synthetic row. Compare with the holdout: what the data "
        "teaches about anybody, which is not a leak about the training people.",
        reference=float(np.mean(list(control.values()))),
        per_item=attack,
        per_item_reference=control,
        details={"risk": risks, "quasi_identifiers": list(quasi_identifiers or [])},
    )
