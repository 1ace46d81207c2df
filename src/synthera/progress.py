"""The one progress callback that long work reports through.

`progress(stage, done, total, metrics)`: the CLI renders it as a bar, the server stores
it on the job, tests assert on it. `total` is None when the amount of work is unknown.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol


class ProgressCallback(Protocol):
    def __call__(
        self, stage: str, done: int, total: int | None, metrics: Mapping[str, float]
    ) -> None: ...


def no_progress(stage: str, done: int, total: int | None, metrics: Mapping[str, float]) -> None:
    """The default callback: report nothing."""


def report(
    progress: ProgressCallback | None,
    stage: str,
    done: int,
    total: int | None = None,
    metrics: Mapping[str, float] | None = None,
) -> None:
    """Call `progress` if there is one; models use this instead of checking for None."""
    if progress is not None:
        progress(stage, done, total, dict(metrics or {}))
