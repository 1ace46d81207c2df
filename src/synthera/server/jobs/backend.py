"""The interface between the app and whatever runs jobs (local processes today, Ray later).

The database is the source of truth: the app creates job rows (queued) and flags cancels;
a backend only has to notice them, run each job's `worker.run_job` somewhere, stop what
is cancelled and record the fate of workers that died.
"""

from __future__ import annotations

from typing import Protocol


class JobBackend(Protocol):
    def start(self) -> None:
        """Begin running queued jobs (recovering those a previous server left behind)."""

    def stop(self) -> None:
        """Stop running jobs and put them back in the queue; called when the server stops."""

    def wake(self) -> None:
        """A job was queued or a cancel requested: look now rather than at the next tick."""
