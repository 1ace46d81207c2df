"""The fit-time options a TableEncoder hands to each column encoder."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FitOptions:
    max_components: int = 10  # mode-specific: most mixture components per column
    max_knots: int = 1000  # normal-score: most quantile knots per column
    jitter: bool = True  # normal-score: uniform draw inside a level's interval, else its middle
    rare_threshold: int = 0  # fold levels seen in fewer rows than this (0: keep all)
