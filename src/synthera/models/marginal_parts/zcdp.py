"""Zero-concentrated DP (zCDP) accounting for the marginal model.

Every mechanism of the fit is a Gaussian measurement (ρ = Δ²/(2σ²)) or an exponential
mechanism (ε-bounded-range, hence ρ = ε²/8; Cesar & Rogers 2021). zCDP composes by adding
ρ; the total converts to (ε, δ) with Bun & Steinke (2016, Prop. 1.3):
ε = ρ + 2·sqrt(ρ·ln(1/δ)). The category thresholds add a δ of their own (a value seen in
one row is published only when its noisy count clears the threshold, with probability at
most δ_τ): δ-approximate zCDP, whose δ adds to the conversion's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from statistics import NormalDist

from synthera.errors import ParameterError
from synthera.privacy.ledger import BudgetPart, PrivacyLedger

ACCOUNTANT = "zCDP (Bun & Steinke: ε = ρ + 2·sqrt(ρ·ln(1/δ)))"


def epsilon_from_rho(rho: float, delta: float) -> float:
    """The ε of a ρ-zCDP mechanism at failure probability δ."""
    return rho + 2.0 * math.sqrt(rho * math.log(1.0 / delta))


def rho_from_epsilon(epsilon: float, delta: float) -> float:
    """The largest ρ whose conversion at δ stays within ε (the inverse of the above)."""
    log_term = math.log(1.0 / delta)
    return (math.sqrt(log_term + epsilon) - math.sqrt(log_term)) ** 2


def gaussian_sigma(rho: float, sensitivity: float = 1.0) -> float:
    """The noise scale of a Gaussian measurement with L2 sensitivity Δ that costs ρ."""
    return sensitivity / math.sqrt(2.0 * rho)


def gaussian_rho(sigma: float, sensitivity: float = 1.0) -> float:
    return sensitivity**2 / (2.0 * sigma**2)


def exponential_epsilon(rho: float) -> float:
    """The ε of an exponential mechanism that costs ρ (bounded range: ρ = ε²/8)."""
    return math.sqrt(8.0 * rho)


def exponential_rho(epsilon: float) -> float:
    return epsilon**2 / 8.0


def release_threshold(sigma: float, delta: float) -> float:
    """A noisy count must exceed this for its value to be published: a value held by one
    row (count 1) clears it with probability δ."""
    return 1.0 + sigma * -NormalDist().inv_cdf(delta)


@dataclass
class ZcdpBudget:
    """The ρ of one fit, spent part by part, and the δ reserved for thresholds."""

    epsilon: float
    delta: float
    threshold_delta: float  # part of δ reserved for the category thresholds (0: none)
    spent: list[tuple[str, float, str]] = field(default_factory=list)  # (name, ρ, how)

    def __post_init__(self) -> None:
        if not 0 <= self.threshold_delta < self.delta:
            raise ParameterError("the threshold δ must be smaller than the whole δ")

    @property
    def conversion_delta(self) -> float:
        return self.delta - self.threshold_delta

    @property
    def rho(self) -> float:
        """The whole budget in ρ."""
        return rho_from_epsilon(self.epsilon, self.conversion_delta)

    @property
    def rho_spent(self) -> float:
        return float(sum(rho for _, rho, _ in self.spent))

    @property
    def rho_left(self) -> float:
        return max(self.rho - self.rho_spent, 0.0)

    def spend(self, name: str, rho: float, mechanism: str) -> None:
        if rho < 0 or rho > self.rho_left * (1 + 1e-9) + 1e-15:
            raise ParameterError(
                f"privacy accounting error: {name} asks for ρ={rho:.4g}, {self.rho_left:.4g} left"
            )
        self.spent.append((name, rho, mechanism))

    def ledger(self, public: tuple[str, ...]) -> PrivacyLedger:
        """The ledger of the fit: one part per stage. The stages compose in zCDP (their ρ
        add up) and convert once, so each part shows its share of the converted total, in
        proportion to its ρ; the threshold δ belongs to the part that used it."""
        total_rho = self.rho_spent
        if total_rho <= 0:
            return PrivacyLedger(self.epsilon, self.delta, ACCOUNTANT, (), public)
        total_epsilon = epsilon_from_rho(total_rho, self.conversion_delta)
        merged: dict[str, tuple[float, list[str]]] = {}
        for name, rho, mechanism in self.spent:
            old_rho, mechanisms = merged.get(name, (0.0, []))
            if mechanism not in mechanisms:
                mechanisms.append(mechanism)
            merged[name] = (old_rho + rho, mechanisms)
        parts = []
        for name, (rho, mechanisms) in merged.items():
            share = rho / total_rho
            delta = self.conversion_delta * share
            if name == THRESHOLD_PART:
                delta += self.threshold_delta
            how = "; ".join(mechanisms) + f" (ρ={rho:.4g} of {total_rho:.4g})"
            parts.append(BudgetPart(name, total_epsilon * share, delta, how))
        return PrivacyLedger(self.epsilon, self.delta, ACCOUNTANT, tuple(parts), public)


THRESHOLD_PART = "category sets"
