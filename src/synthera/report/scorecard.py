"""The scorecard: one green / amber / red verdict per family, judged against the reference.

The thresholds are written here, in one place, and repeated in the HTML report. Green
means "within what real data differs from real data", amber "measurably worse", red
"clearly worse". Grey means the family could not be evaluated (no target, say).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from synthera.metrics.result import MetricResult
from synthera.report.report import FamilyScore, Status

ORDER: dict[Status, int] = {"grey": -1, "green": 0, "amber": 1, "red": 2}

# (amber from, red from) for each signal, in the signal's own units.
FIDELITY_GAP = (5.0, 15.0)  # points of fidelity score below the reference
UTILITY_KEPT = (0.90, 0.75)  # share of the real-data model's skill kept (below = worse)
DCR_EXCESS = (0.02, 0.05)  # share above 0.5 (or above the reference if that is higher)
COPY_EXCESS = (0.001, 0.01)  # exact-copy share above the holdout's
MIA_EXCESS = (0.03, 0.08)  # membership-inference ROC-AUC above 0.5
ATTACK_RISK = (0.05, 0.15)  # Anonymeter risk
NNDR_DROP = (0.05, 0.15)  # median ratio below the holdout's
RATE_GAP_EXCESS = (0.03, 0.08)  # target-rate gap above the holdout's
MODEL_FAIRNESS_SHIFT = (0.05, 0.10)  # parity / odds difference away from the real model's

THRESHOLDS_TEXT = {
    "fidelity": "green when the fidelity score is within 5 points of the reference "
    "(holdout vs train), amber within 15, red beyond; a dropped category makes it amber "
    "at best.",
    "utility": "models trained on synthetic rows keep at least 90 % of the skill of models "
    "trained on real rows (green), 75 % (amber), less (red). Skill is ROC-AUC above 0.5, "
    "or R².",
    "privacy": "the worst of: share closer to training rows more than 0.02 (amber) / 0.05 "
    "(red) above 50 %; exact copies 0.1 / 1 percentage points above the holdout's rate; "
    "membership-inference ROC-AUC 0.03 / 0.08 above 0.5; singling-out, linkability or "
    "attribute-disclosure risk above 0.05 / 0.15; median distance ratio 0.05 / 0.15 "
    "below the holdout's. Sampling noise is allowed for: shares and ROC-AUCs are reduced "
    "by two standard errors, and attack risks are taken at the low end of their 95 % "
    "interval, before they are compared with these limits.",
    "fairness": "the worst of: target-rate gap between groups more than 0.03 (amber) / "
    "0.08 (red) above the holdout's; demographic-parity or equalized-odds difference of "
    "the synthetic-trained model more than 0.05 / 0.10 away from the real-trained one's, "
    "after allowing two standard errors of the smallest group's rate for sampling noise.",
}


def grade(value: float | None, limits: tuple[float, float], *, low_is_bad: bool = False) -> Status:
    """Green / amber / red for a signal; `low_is_bad` flips the comparison."""
    if value is None:
        return "grey"
    amber, red = limits
    if low_is_bad:
        return "green" if value >= amber else "amber" if value >= red else "red"
    return "green" if value <= amber else "amber" if value <= red else "red"


def worst(statuses: Sequence[Status]) -> Status:
    graded = [s for s in statuses if s != "grey"]
    return max(graded, key=ORDER.__getitem__) if graded else "grey"


def _get(metrics: dict[str, MetricResult], name: str) -> MetricResult | None:
    result = metrics.get(name)
    return result if result is not None and result.value is not None else None


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f} %"


def fidelity_card(metrics: dict[str, MetricResult]) -> FamilyScore:
    score = _get(metrics, "fidelity_score")
    if score is None or score.value is None:
        return FamilyScore("fidelity", "grey", "not evaluated")
    reference = score.reference
    gap = (reference - score.value) if reference is not None else 100.0 - score.value
    status = grade(max(gap, 0.0), FIDELITY_GAP)
    reasons = []
    if status != "green":
        reasons.append(f"fidelity score {gap:.1f} points below the reference")
    coverage = metrics.get("category_coverage")
    dropped = coverage.details.get("dropped", {}) if coverage else {}
    if dropped:
        status = worst([status, "amber"])
        shown = "; ".join(f"{c}: {', '.join(v[:3])}" for c, v in list(dropped.items())[:3])
        reasons.append(f"common categories never generated ({shown})")
    detection = _get(metrics, "detection_auc")
    if detection is not None and status != "green":
        reasons.append(
            f"a classifier tells synthetic rows apart with ROC-AUC {detection.value:.2f}"
        )
    headline = f"score {score.value:.0f} / 100" + (
        f" (reference {reference:.0f})" if reference is not None else ""
    )
    return FamilyScore("fidelity", status, headline, tuple(reasons), score.value, reference)


def utility_card(metrics: dict[str, MetricResult]) -> FamilyScore:
    main = _get(metrics, "tstr_roc_auc") or _get(metrics, "tstr_r2")
    if main is None or main.value is None:
        skipped = metrics.get("tstr_roc_auc") or metrics.get("tstr_r2")
        if skipped is not None and not skipped.skipped:
            # Evaluated, but no model could learn from the synthetic rows (a single
            # target class, or none at all): the table is useless for this task.
            return FamilyScore(
                "utility",
                "red",
                "no model could be trained on the synthetic rows",
                ("its target column has fewer than two usable classes or values",),
                None,
                skipped.reference,
            )
        why = skipped.skipped if skipped and skipped.skipped else "no target column given"
        return FamilyScore("utility", "grey", f"not evaluated: {why}")
    floor = 0.5 if main.name == "tstr_roc_auc" else 0.0
    kept = None
    if main.reference is not None and main.reference > floor:
        kept = (main.value - floor) / (main.reference - floor)
    status = grade(kept, UTILITY_KEPT, low_is_bad=True)
    what = "ROC-AUC" if floor else "R²"
    headline = f"{what} {main.value:.3f} trained on synthetic" + (
        f" vs {main.reference:.3f} on real" if main.reference is not None else ""
    )
    reasons = []
    if status in ("amber", "red") and kept is not None:
        reasons.append(
            f"synthetic-trained models keep {100 * kept:.0f} % of the real models' skill"
        )
    return FamilyScore("utility", status, headline, tuple(reasons), main.value, main.reference)


def privacy_card(metrics: dict[str, MetricResult]) -> FamilyScore:
    signals: list[tuple[Status, str]] = []

    def add(status: Status, text: str) -> None:
        signals.append((status, text))

    dcr = _get(metrics, "dcr_share")
    if dcr is not None and dcr.value is not None:
        excess = dcr.value - max(0.5, dcr.reference or 0.5) - 2 * _noise(dcr)
        add(
            grade(excess, DCR_EXCESS),
            f"{_percent(dcr.value)} of synthetic rows are closer "
            "to a training row than to a holdout row (50 % ideal)",
        )
    copies = _get(metrics, "exact_copies")
    if copies is not None and copies.value is not None:
        excess = copies.value - (copies.reference or 0.0)
        add(
            grade(excess, COPY_EXCESS),
            f"{_percent(copies.value)} of synthetic rows copy a "
            f"training row (holdout: {_percent(copies.reference)})",
        )
    for name in ("mia_distance_auc", "mia_density_auc"):
        mia = _get(metrics, name)
        if mia is not None and mia.value is not None:
            add(
                grade(mia.value - 0.5 - 2 * _noise(mia), MIA_EXCESS),
                f"{mia.label.split(': ')[-1]} ROC-AUC {mia.value:.3f}",
            )
    for name in ("singling_out", "linkability"):
        attack = _get(metrics, name)
        if attack is not None:
            risk, low = _risk(attack)
            add(grade(low, ATTACK_RISK), f"{attack.label.lower()}: risk {risk:.3f}")
    disclosure = _get(metrics, "attribute_disclosure")
    if disclosure is not None:
        risks = disclosure.details.get("risk", {})
        top = max(risks.items(), key=lambda kv: kv[1]["risk"], default=None)
        if top is not None:
            add(
                grade(top[1]["risk_low"], ATTACK_RISK),
                f"attribute disclosure of {top[0]}: risk {top[1]['risk']:.3f}",
            )
    ratio = _get(metrics, "nndr")
    if ratio is not None and ratio.value is not None and ratio.reference is not None:
        add(
            grade(ratio.reference - ratio.value, NNDR_DROP),
            f"median distance ratio {ratio.value:.2f} (holdout {ratio.reference:.2f})",
        )
    if not signals:
        return FamilyScore("privacy", "grey", "not evaluated")
    status = worst([s for s, _ in signals])
    reasons = tuple(text for s, text in signals if s in ("amber", "red"))
    headline = f"closer to training rows: {_percent(dcr.value)}" if dcr else signals[0][1]
    mia = _get(metrics, "mia_distance_auc")
    if mia is not None and mia.value is not None:
        headline += f"; membership attack AUC {mia.value:.2f}"
    return FamilyScore(
        "privacy",
        status,
        headline,
        reasons,
        dcr.value if dcr else None,
        dcr.reference if dcr else None,
    )


def _noise(result: MetricResult) -> float:
    """The metric's standard error where it has one: differences within two of them are
    not counted against the table."""
    return float(result.details.get("standard_error", 0.0))


def _risk(result: MetricResult) -> tuple[float, float]:
    """An attack's Anonymeter risk and the lower end of its 95 % interval (the worst mode)."""
    parts = [result.details[m] for m in ("univariate", "multivariate") if m in result.details]
    parts = parts or [result.details]
    top = max(parts, key=lambda d: float(d.get("risk", 0.0)))
    return float(top.get("risk", 0.0)), float(top.get("risk_low", 0.0))


def fairness_card(metrics: dict[str, MetricResult]) -> FamilyScore:
    gap = _get(metrics, "target_rate_gap")
    signals: list[tuple[Status, str]] = []
    if gap is not None and gap.value is not None:
        excess = gap.value - (gap.reference or 0.0)
        signals.append(
            (
                grade(max(excess, 0.0), RATE_GAP_EXCESS),
                f"target rate of a group differs by {gap.value:.3f} "
                f"(holdout: {_number(gap.reference)})",
            )
        )
    for name in ("demographic_parity_difference", "equalized_odds_difference"):
        m = _get(metrics, name)
        if m is not None and m.value is not None and m.reference is not None:
            shift = max(0.0, abs(m.value - m.reference) - 2 * _noise(m))
            signals.append(
                (
                    grade(shift, MODEL_FAIRNESS_SHIFT),
                    f"{m.label.lower()} {m.value:.3f} (real-trained model: {m.reference:.3f})",
                )
            )
    if not signals:
        skipped = metrics.get("target_rate_gap")
        why = skipped.skipped if skipped and skipped.skipped else "no sensitive column or target"
        return FamilyScore("fairness", "grey", f"not evaluated: {why}")
    status = worst([s for s, _ in signals])
    reasons = tuple(text for s, text in signals if s in ("amber", "red"))
    headline = signals[0][1]
    return FamilyScore(
        "fairness",
        status,
        headline,
        reasons,
        gap.value if gap else None,
        gap.reference if gap else None,
    )


CARDS: dict[str, Callable[[dict[str, MetricResult]], FamilyScore]] = {
    "fidelity": fidelity_card,
    "utility": utility_card,
    "privacy": privacy_card,
    "fairness": fairness_card,
}


def scorecard(metrics: Sequence[MetricResult]) -> list[FamilyScore]:
    by_name = {m.name: m for m in metrics}
    return [card(by_name) for card in CARDS.values()]
