"""The Gaussian mechanism, calibrated exactly (the "analytic Gaussian mechanism" of Balle
and Wang, ICML 2018).

Adding N(0, σ²) to a query of L2 sensitivity Δ is (ε, δ)-differentially private exactly
when δ ≥ Φ(Δ/2σ − εσ/Δ) − e^ε Φ(−Δ/2σ − εσ/Δ). The classic σ = Δ√(2 ln(1.25/δ))/ε is
looser (and only valid for ε < 1); the exact curve lets a small preprocessing budget buy
as little noise as possible.
"""

from __future__ import annotations

import math

from scipy.stats import norm

from synthera.errors import ParameterError


def gaussian_delta(epsilon: float, sigma: float, sensitivity: float) -> float:
    """The smallest δ for which N(0, σ²) noise on a sensitivity-Δ query is (ε, δ)-DP."""
    ratio = sensitivity / sigma
    a = ratio / 2.0 - epsilon / ratio
    b = -ratio / 2.0 - epsilon / ratio
    # e^ε Φ(b) in logs: ε may be large while Φ(b) is tiny.
    return float(max(norm.cdf(a) - math.exp(epsilon + norm.logcdf(b)), 0.0))


def gaussian_sigma(epsilon: float, delta: float, sensitivity: float) -> float:
    """The smallest σ (to a relative 1e-9) for which the mechanism is (ε, δ)-DP."""
    if not (epsilon > 0 and 0 < delta < 1 and sensitivity > 0):
        raise ParameterError(
            f"the Gaussian mechanism needs ε > 0, 0 < δ < 1 and a positive sensitivity "
            f"(got ε={epsilon}, δ={delta}, Δ={sensitivity})"
        )
    low, high = 1e-6 * sensitivity, sensitivity
    while gaussian_delta(epsilon, high, sensitivity) > delta:  # δ falls as σ grows
        low, high = high, 2.0 * high
    for _ in range(200):
        middle = math.sqrt(low * high)
        if gaussian_delta(epsilon, middle, sensitivity) > delta:
            low = middle
        else:
            high = middle
        if high / low < 1 + 1e-9:
            break
    return high


def gaussian_epsilon(sigma: float, delta: float, sensitivity: float) -> float:
    """The smallest ε (to 1e-9) for which N(0, σ²) noise gives (ε, δ)-DP."""
    if gaussian_delta(0.0, sigma, sensitivity) <= delta:
        return 0.0
    low, high = 0.0, 1.0
    while gaussian_delta(high, sigma, sensitivity) > delta:
        low, high = high, 2.0 * high
    for _ in range(200):
        middle = 0.5 * (low + high)
        if gaussian_delta(middle, sigma, sensitivity) > delta:
            low = middle
        else:
            high = middle
        if high - low < 1e-9:
            break
    return high
