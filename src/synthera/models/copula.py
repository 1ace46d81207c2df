"""Gaussian copula: each column's own distribution, joined by one correlation matrix.

Every modelled column (and every missing-value indicator) is mapped to a standard-normal
score through its empirical distribution; the scores' correlation matrix is the whole
dependence model. Sampling draws correlated normals and maps them back. Fast, small and
robust, it is the quick baseline; it cannot learn non-linear relations.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from synthera.errors import ModelFileError, ParameterError
from synthera.models.base import Synthesizer
from synthera.progress import ProgressCallback, report
from synthera.schema import Schema
from synthera.seeding import derive_seed
from synthera.transforms import TableEncoder

MIN_EIGENVALUE = 1e-6  # keeps the correlation matrix positive definite


class GaussianCopula(Synthesizer):
    name = "gaussian_copula"
    description = "Gaussian copula over empirical marginals: seconds to fit, a quick baseline"

    def __init__(self, max_knots: int = 1000, max_fit_rows: int | None = 200_000) -> None:
        if max_knots < 2:
            raise ParameterError("max_knots must be at least 2")
        if max_fit_rows is not None and max_fit_rows < 2:
            raise ParameterError("max_fit_rows must be at least 2 (or None for all rows)")
        self.max_knots = max_knots
        self.max_fit_rows = max_fit_rows

    def _fit(
        self,
        df: pd.DataFrame,
        schema: Schema,
        rng: np.random.Generator,
        progress: ProgressCallback | None,
    ) -> None:
        if self.max_fit_rows is not None and len(df) > self.max_fit_rows:
            rows = rng.choice(len(df), size=self.max_fit_rows, replace=False)
            df = df.iloc[np.sort(rows)].reset_index(drop=True)
        report(progress, "fit", 0, 2)
        encoder = TableEncoder(schema, style="normal_score", max_knots=self.max_knots)
        scores = encoder.fit(df, seed=derive_seed(rng)).transform(df, seed=derive_seed(rng))
        report(progress, "fit", 1, 2)
        self.encoder_ = encoder
        self.correlation_ = nearest_correlation(scores)
        report(progress, "fit", 2, 2)

    def _sample(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        width = self.correlation_.shape[0]
        normals = rng.standard_normal((n, width))
        if width:
            normals = normals @ np.linalg.cholesky(self.correlation_).T
        return self.encoder_.inverse_transform(normals, seed=derive_seed(rng))

    def _get_state(self) -> dict[str, Any]:
        return {"encoder": self.encoder_.get_state(), "correlation": self.correlation_}

    def _set_state(self, state: Mapping[str, Any], schema: Schema) -> None:
        correlation = np.asarray(state["correlation"], dtype=float)
        encoder = TableEncoder.from_state(schema, state["encoder"])
        width = encoder.output_width
        if correlation.shape != (width, width):
            raise ModelFileError(
                f"correlation matrix has shape {correlation.shape}, expected ({width}, {width})"
            )
        self.encoder_ = encoder
        self.correlation_ = correlation


def nearest_correlation(scores: np.ndarray) -> np.ndarray:
    """The correlation matrix of `scores`, made positive definite for a Cholesky factor.

    Constant columns (no variance) get zero correlation with everything else.
    """
    width = scores.shape[1]
    if width == 0:
        return np.zeros((0, 0))
    std = scores.std(axis=0)
    varying = std > 0
    correlation = np.eye(width)
    if varying.sum() > 1:
        correlation[np.ix_(varying, varying)] = np.corrcoef(scores[:, varying], rowvar=False)
    values, vectors = np.linalg.eigh(correlation)
    correlation = (vectors * np.maximum(values, MIN_EIGENVALUE)) @ vectors.T
    scale = np.sqrt(np.diag(correlation))
    correlation = correlation / np.outer(scale, scale)
    np.fill_diagonal(correlation, 1.0)
    return correlation
