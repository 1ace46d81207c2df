"""The worker process: `python -m synthera.server.jobs.worker JOB_ID`.

It rebuilds the settings from the environment the backend passed, runs the job's task
and records the outcome. Progress goes to the job row (throttled), with a heartbeat so a
server can tell a live worker from a lost one. A user error ends the job as failed with
the library's one-line message; a cancel request stops it at the next progress report
(the backend also terminates the process).
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
import traceback
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from synthera.errors import SyntheraError, one_line
from synthera.server.config import Settings, load_plugins
from synthera.server.database import make_engine, make_sessionmaker
from synthera.server.jobs import store
from synthera.server.storage import Storage
from synthera.server.tables import Job

HEARTBEAT_S = 5.0
PROGRESS_EVERY_S = 0.5


class JobCancelledError(Exception):
    """Raised inside a task when its job's cancel was requested."""


class ProgressReporter:
    """The library's progress callback, writing to the job row at most twice a second."""

    def __init__(self, factory: sessionmaker[Session], job_id: str) -> None:
        self.factory = factory
        self.job_id = job_id
        self._stage: str | None = None
        self._stage_started = time.monotonic()
        self._last_write = 0.0

    def __call__(
        self, stage: str, done: int, total: int | None, metrics: Mapping[str, float]
    ) -> None:
        now = time.monotonic()
        new_stage = stage != self._stage
        if new_stage:
            self._stage, self._stage_started = stage, now
        finished = total is not None and done >= total
        if not (new_stage or finished or now - self._last_write >= PROGRESS_EVERY_S):
            return
        self._last_write = now
        elapsed = now - self._stage_started
        eta = elapsed / done * (total - done) if total and done else None
        progress: dict[str, Any] = {
            "stage": stage,
            "done": done,
            "total": total,
            "metrics": {k: float(v) for k, v in metrics.items()},
            "elapsed_s": round(elapsed, 2),
            "eta_s": round(eta, 2) if eta is not None else None,
        }
        message = f"stage {stage}" if new_stage else None
        if store.set_progress(self.factory, self.job_id, progress, message):
            raise JobCancelledError()


def _heartbeat(factory: sessionmaker[Session], job_id: str, stop: threading.Event) -> None:
    while not stop.wait(HEARTBEAT_S):
        # A failed beat is retried at the next one; the job itself reports real errors.
        with contextlib.suppress(Exception):
            store.heartbeat(factory, job_id)


def run_job(job_id: str, settings: Settings, factory: sessionmaker[Session]) -> str:
    """Run one claimed job to its end; returns the final status."""
    from synthera.server.jobs.tasks import TaskContext, run_task

    with factory() as session:
        job = session.get(Job, job_id)
        if job is None or job.status != store.RUNNING:
            return "skipped"
        kind, target_id = job.kind, job.target_id
    stop = threading.Event()
    beat = threading.Thread(target=_heartbeat, args=(factory, job_id, stop), daemon=True)
    beat.start()
    context = TaskContext(
        settings=settings,
        storage=Storage(settings.data_dir),
        factory=factory,
        progress=ProgressReporter(factory, job_id),
        log=lambda message: store.add_log(factory, job_id, message),
    )
    status, error = store.SUCCEEDED, None
    try:
        run_task(kind, target_id, context)
    except JobCancelledError:
        status = store.CANCELLED
    except SyntheraError as exc:
        status, error = store.FAILED, one_line(str(exc))
    except MemoryError:
        status, error = store.FAILED, "the worker ran out of memory; try a smaller table"
    except Exception as exc:
        traceback.print_exc()
        status = store.FAILED
        error = one_line(f"unexpected error ({type(exc).__name__}): {exc}")
    finally:
        stop.set()
    store.finish(factory, job_id, status, error=error)
    return status


def main(argv: list[str] | None = None) -> int:
    """`worker JOB_ID` runs that job; `worker --wait` loads everything first, then reads
    the job id from standard input (a warm spare, so a job starts without import delay)."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m synthera.server.jobs.worker JOB_ID | --wait", file=sys.stderr)
        return 2
    settings = Settings.from_env()
    load_plugins(settings)
    job_id = args[0]
    if job_id == "--wait":
        import synthera.server.jobs.tasks  # noqa: F401  (the slow imports, done ahead)

        job_id = sys.stdin.readline().strip()
        if not job_id:
            return 0  # the server stopped and closed our input: nothing to do
    engine = make_engine(settings.database_url)
    try:
        run_job(job_id, settings, make_sessionmaker(engine))
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
