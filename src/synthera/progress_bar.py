"""A Rich progress bar that is a `ProgressCallback`: one bar per stage, metrics alongside."""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


class RichProgress:
    """Use as `with RichProgress(console) as progress: model.fit(..., progress=progress)`."""

    def __init__(self, console: Console, *, enabled: bool = True) -> None:
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            TextColumn("{task.fields[metrics]}"),
            console=console,
            disable=not enabled,
            transient=False,
        )
        self._tasks: dict[str, TaskID] = {}

    def __enter__(self) -> RichProgress:
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def __call__(
        self, stage: str, done: int, total: int | None, metrics: Mapping[str, float]
    ) -> None:
        shown = "  ".join(f"{k} {v:.4g}" for k, v in metrics.items())
        if stage not in self._tasks:
            self._tasks[stage] = self._progress.add_task(stage, total=total, metrics=shown)
        self._progress.update(self._tasks[stage], completed=done, total=total, metrics=shown)
