"""AIM (McKenna, Mullins, Sheldon & Miklau, "AIM: An Adaptive and Iterative Mechanism for
Differentially Private Synthetic Data", VLDB 2022), written for our coded columns.

1. Measure every one-way marginal with Gaussian noise; fit a graphical model to the
   measurements (`mbi`'s mirror descent, the paper's Private-PGM estimator).
2. Repeat while budget is left: among the workload's marginals (all pairs of columns and
   their one-way parts, each weighted by its overlap with the workload) that keep the
   model under a size limit growing with the budget spent, pick by the exponential
   mechanism the one the model gets most wrong (L1 error minus the error expected from
   noise alone); measure it with Gaussian noise; refit, warm-started. When a measurement
   barely moves the model, halve the noise (and spend faster) from then on.
3. Refit once more with more iterations and keep the junction-tree marginals.

Each round spends ε²/8 on the selection (exponential mechanism, bounded range) and
1/(2σ²) on the measurement (sensitivity 1: a row sits in one cell of a marginal); the
paper's split is 10 % / 90 % of a round's share.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType

import numpy as np

from synthera.models.marginal_parts.junction import Clique, JunctionTreeModel
from synthera.models.marginal_parts.mechanisms import exponential_mechanism, gaussian_measure
from synthera.models.marginal_parts.zcdp import ZcdpBudget, exponential_rho, gaussian_rho
from synthera.progress import ProgressCallback, report

SELECTION_SHARE = 0.1  # of each round's ρ; the rest pays the measurement
ROUNDS_PER_COLUMN = 16  # the paper's default number of rounds
MEASURE_PART = "marginal measurements"
SELECT_PART = "marginal selection"


def load_mbi() -> ModuleType:
    """Import `mbi` (and JAX), quietly: it warns about float32 precision on import, which
    matters only beyond ~10^5 rows per cell and is not the user's to act on."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import mbi
    return mbi


@dataclass(frozen=True)
class AimSettings:
    rounds: int | None  # budget shares; None: 16 per column (the paper's default)
    max_model_size: float  # megabytes of junction-tree tables at the end of the budget
    iterations: int  # mirror-descent steps per refit (twice as many for the last one)


def workload_weights(columns: Sequence[str]) -> dict[Clique, float]:
    """AIM's candidates: the workload (every pair) and its downward closure, each weighted
    by how many workload columns it shares: Σ over workload marginals w of |c ∩ w|."""
    workload: list[Clique] = list(itertools.combinations(columns, 2)) or [tuple(columns)]
    candidates: set[Clique] = set()
    for marginal in workload:
        for size in range(1, len(marginal) + 1):
            candidates.update(itertools.combinations(marginal, size))
    return {
        clique: float(sum(len(set(clique) & set(w)) for w in workload))
        for clique in sorted(candidates)
    }


class DataMarginals:
    """Exact marginal counts of the coded table, computed once per clique."""

    def __init__(self, codes: dict[str, np.ndarray], sizes: dict[str, int]) -> None:
        self.codes = codes
        self.sizes = sizes
        self._cache: dict[Clique, np.ndarray] = {}

    def __call__(self, clique: Clique) -> np.ndarray:
        if clique not in self._cache:
            shape = [self.sizes[a] for a in clique]
            flat = np.ravel_multi_index([self.codes[a] for a in clique], shape)
            self._cache[clique] = np.bincount(flat, minlength=math.prod(shape)).astype(float)
        return self._cache[clique]


def run_aim(
    codes: dict[str, np.ndarray],
    sizes: dict[str, int],
    budget: ZcdpBudget,
    rng: np.random.Generator,
    settings: AimSettings,
    progress: ProgressCallback | None = None,
) -> JunctionTreeModel:
    """Spend what is left of `budget` on AIM; return the fitted model."""
    mbi = load_mbi()
    columns = list(sizes)
    domain = mbi.Domain(columns, [sizes[c] for c in columns])
    answers = DataMarginals(codes, sizes)
    candidates = workload_weights(columns)
    rho = budget.rho_left
    rounds = max(settings.rounds or ROUNDS_PER_COLUMN * len(columns), len(columns) + 1)
    sigma = math.sqrt(rounds / (2 * (1 - SELECTION_SHARE) * rho))
    epsilon = math.sqrt(8 * SELECTION_SHARE * rho / rounds)
    estimator = mbi.estimation.MirrorDescent()

    measurements = []
    for column in columns:
        noisy = gaussian_measure(answers((column,)), sigma, rng)
        measurements.append(mbi.LinearMeasurement(noisy, (column,), stddev=sigma))
    budget.spend(
        "one-way marginals",
        len(columns) * gaussian_rho(sigma),
        f"Gaussian noise σ={sigma:.3g} on every column's counts",
    )
    used = len(columns) * gaussian_rho(sigma)
    model = estimator.estimate(domain, measurements, iters=settings.iterations)
    current = _junction(model, sizes)
    expected_rounds = max(round((rho - used) / (rho / rounds)), 1)
    report(progress, "aim", 0, expected_rounds)

    done = 0
    finished = False
    while not finished:
        round_rho = exponential_rho(epsilon) + gaussian_rho(sigma)
        if rho - used < 2 * round_rho:  # spend all that is left on one last round
            remaining = rho - used
            sigma = math.sqrt(1 / (2 * (1 - SELECTION_SHARE) * remaining))
            epsilon = math.sqrt(8 * SELECTION_SHARE * remaining)
            finished = True
        used += exponential_rho(epsilon) + gaussian_rho(sigma)
        size_limit = settings.max_model_size * used / rho
        allowed = _small_enough(candidates, model, domain, size_limit, mbi)
        clique = _worst_approximated(
            allowed, answers, current, float(model.total), sigma, epsilon, rng
        )
        budget.spend(SELECT_PART, exponential_rho(epsilon), "exponential mechanism")
        noisy = gaussian_measure(answers(clique), sigma, rng)
        budget.spend(MEASURE_PART, gaussian_rho(sigma), "Gaussian noise")
        measurements.append(mbi.LinearMeasurement(noisy, clique, stddev=sigma))
        before = current.marginal(clique).ravel() * float(model.total)
        model = estimator.estimate(
            domain, measurements, iters=settings.iterations, warm_start=model
        )
        current = _junction(model, sizes)
        after = current.marginal(clique).ravel() * float(model.total)
        cells = before.size
        if np.abs(after - before).sum() <= sigma * math.sqrt(2 / math.pi) * cells:
            sigma /= 2  # the model already knew this marginal: measure more precisely
            epsilon *= 2
        done += 1
        report(progress, "aim", min(done, expected_rounds), expected_rounds, {"rho_used": used})
    model = estimator.estimate(
        domain, measurements, iters=2 * settings.iterations, warm_start=model
    )
    return _junction(model, sizes)


def _junction(model: object, sizes: dict[str, int]) -> JunctionTreeModel:
    potentials = model.potentials  # type: ignore[attr-defined]
    tables = {
        tuple(clique): np.asarray(potentials[clique].values, dtype=np.float64)
        for clique in potentials.cliques
    }
    return JunctionTreeModel.from_potentials(sizes, tables)


def _small_enough(
    candidates: dict[Clique, float],
    model: object,
    domain: object,
    size_limit: float,
    mbi: ModuleType,
) -> dict[Clique, float]:
    """Candidates already inside a modelled clique, or that keep the model small enough."""
    cliques = [tuple(c) for c in model.cliques]  # type: ignore[attr-defined]
    inside = [set(c) for c in cliques]
    out = {}
    for clique, weight in candidates.items():
        free = any(set(clique) <= c for c in inside)
        if (
            free
            or mbi.junction_tree.hypothetical_model_size(domain, [*cliques, clique]) <= size_limit
        ):
            out[clique] = weight
    return out


def _worst_approximated(
    candidates: dict[Clique, float],
    answers: DataMarginals,
    model: JunctionTreeModel,
    total: float,
    sigma: float,
    epsilon: float,
    rng: np.random.Generator,
) -> Clique:
    """The exponential mechanism over the candidates' weighted L1 errors, each less the
    error a fresh measurement would have anyway. A row moves a marginal's L1 error by at
    most 1, so a candidate's quality has sensitivity equal to its weight."""
    cliques = list(candidates)
    errors = np.empty(len(cliques))
    for k, clique in enumerate(cliques):
        estimate = model.marginal(clique).ravel() * total
        observed = answers(clique)
        bias = math.sqrt(2 / math.pi) * sigma * observed.size
        errors[k] = candidates[clique] * (np.abs(observed - estimate).sum() - bias)
    sensitivity = max(candidates.values())
    return cliques[exponential_mechanism(errors, epsilon, sensitivity, rng)]
