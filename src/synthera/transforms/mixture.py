"""The variational Gaussian mixture behind mode-specific normalization (CTGAN, Xu et al. 2019).

`fit_mixture` fits scikit-learn's BayesianGaussianMixture (Dirichlet-process prior) on a
seeded subsample of at most SUBSAMPLE values, robustly standardized first (median, IQR) so
that the mixture's covariance regularisation means the same thing at every scale, and
keeps the components with weight > MIN_WEIGHT. Far outliers are left out of that fit (one
wide component would otherwise swallow bulk and outliers alike) and get tail modes of
their own. Only means, standard deviations and weights are kept: the responsibilities are
computed from them directly (point estimates), so a saved state reproduces transforms
exactly without the scikit-learn object.

Round-trip guarantee: a value is encoded as alpha = (x - mu_k) / (4 sigma_k), clipped to
+-ALPHA_CLIP. `cover_outliers` makes every fitted value lie within ALPHA_CLIP * 4 sigma of
at least one component (values that no window covers, typically outliers, get up to two
extra tail modes, so a column can have max_components + 2 modes), so the encoder always
has a mode whose alpha needs no clipping.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import BayesianGaussianMixture

from synthera.seeding import derive_seed

SUBSAMPLE = 20_000
MIN_WEIGHT = 0.005
ALPHA_CLIP = 0.99
_COVER = 4.0 * ALPHA_CLIP * (1.0 - 1e-9)  # window half-width in sigmas, with a hair of margin


@dataclass
class Mixture:
    means: np.ndarray
    stds: np.ndarray
    weights: np.ndarray

    @property
    def size(self) -> int:
        return int(self.means.size)

    def log_joint(self, x: np.ndarray) -> np.ndarray:
        """(n, k) log(weight_k * N(x | mu_k, sigma_k)), up to a constant."""
        z = (x[:, None] - self.means[None, :]) / self.stds[None, :]
        return np.log(self.weights)[None, :] - np.log(self.stds)[None, :] - 0.5 * z * z

    def responsibilities(self, x: np.ndarray) -> np.ndarray:
        log_joint = self.log_joint(x)
        log_joint -= log_joint.max(axis=1, keepdims=True)
        probs = np.exp(log_joint)
        probs /= probs.sum(axis=1, keepdims=True)
        return probs


def fit_mixture(values: np.ndarray, *, max_components: int, rng: np.random.Generator) -> Mixture:
    """A mixture for finite float64 `values` (any number of them, including none)."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return Mixture(np.array([0.0]), np.array([1.0]), np.array([1.0]))
    lowest, highest = float(values.min()), float(values.max())
    floor = _std_floor(lowest, highest)
    sample = values
    if values.size > SUBSAMPLE:
        sample = values[rng.choice(values.size, SUBSAMPLE, replace=False)]
    sample = _without_far_outliers(sample)
    n_distinct = int(np.unique(sample).size)
    if lowest == highest or n_distinct < 2:
        mixture = Mixture(np.array([float(np.median(values))]), np.array([floor]), np.array([1.0]))
        return cover_outliers(mixture, values)
    center, scale = float(np.median(sample)), _robust_scale(sample)
    standardized = ((sample - center) / scale)[:, None]
    model = BayesianGaussianMixture(
        n_components=min(max_components, n_distinct),
        weight_concentration_prior_type="dirichlet_process",
        weight_concentration_prior=0.001,
        n_init=1,
        max_iter=100,
        random_state=derive_seed(rng),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(standardized)
    weights = np.asarray(model.weights_, dtype=np.float64)
    keep = weights > MIN_WEIGHT
    if not keep.any():
        keep = weights == weights.max()
    means = np.asarray(model.means_, dtype=np.float64).reshape(-1)[keep] * scale + center
    stds = np.sqrt(np.asarray(model.covariances_, dtype=np.float64).reshape(-1)[keep]) * scale
    mixture = Mixture(means, np.maximum(stds, floor), weights[keep] / weights[keep].sum())
    return cover_outliers(mixture, values)


def _std_floor(lowest: float, highest: float) -> float:
    magnitude = max(highest - lowest, abs(lowest), abs(highest), 1.0)
    return magnitude * 1e-9


def _without_far_outliers(sample: np.ndarray) -> np.ndarray:
    """The sample less values beyond three 1%-99% ranges from that range: the mixture is
    fitted on the bulk, and `cover_outliers` gives far outliers tail modes of their own
    (otherwise one wide component swallows bulk and outliers alike)."""
    q_lo, q_hi = np.percentile(sample, [1, 99])
    reach = 3.0 * float(q_hi - q_lo)
    if reach <= 0:
        return sample
    return sample[(sample >= q_lo - reach) & (sample <= q_hi + reach)]


def _robust_scale(sample: np.ndarray) -> float:
    """A spread that outliers do not inflate: the normal-consistent IQR, else the std."""
    q1, q3 = np.percentile(sample, [25, 75])
    scale = float(q3 - q1) / 1.349
    if scale <= 0:
        scale = float(sample.std())
    return scale if scale > 0 else 1.0


def cover_outliers(mixture: Mixture, values: np.ndarray) -> Mixture:
    """Add at most two tail modes so that every value lies inside some component's
    +-_COVER window: one for the values no window covers below the heaviest mode, one for
    those above it. Each new mode spans its group and weighs its share of the rows."""
    distinct, counts = np.unique(values, return_counts=True)
    lo = mixture.means - _COVER * mixture.stds
    hi = mixture.means + _COVER * mixture.stds
    covered = np.zeros(distinct.size, dtype=bool)
    for k in range(mixture.size):  # a loop over components, not rows
        covered |= (distinct >= lo[k]) & (distinct <= hi[k])
    if covered.all():
        return mixture
    floor = _std_floor(float(distinct[0]), float(distinct[-1]))
    heaviest = mixture.means[np.argmax(mixture.weights)]
    means, stds = list(mixture.means), list(mixture.stds)
    weights = list(mixture.weights * counts[covered].sum() / counts.sum())
    for group in (~covered & (distinct < heaviest), ~covered & (distinct >= heaviest)):
        if not group.any():
            continue
        first, last = float(distinct[group].min()), float(distinct[group].max())
        means.append(0.5 * (first + last))
        stds.append(max(0.5 * (last - first) * (1.0 + 1e-9) / _COVER, floor))
        weights.append(float(counts[group].sum() / counts.sum()))
    weights_array = np.asarray(weights)
    return Mixture(np.asarray(means), np.asarray(stds), weights_array / weights_array.sum())
