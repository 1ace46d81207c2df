"""Metrics: pure functions `(real, synthetic, schema, **options) -> MetricResult`.

One module per family — `fidelity`, `utility`, `privacy` (with `privacy_attacks`) and
`fairness` — sharing `features` (tables to numeric matrices, fitted on real data) and
`columns` (how a column is read, from the Schema).
"""

from synthera.metrics.result import MetricResult

__all__ = ["MetricResult"]
