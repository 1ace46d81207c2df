"""The job rows in the database: every process that touches a job goes through here.

States: queued → running → succeeded | failed | cancelled; failed and cancelled jobs can
be queued again (retry). Every change bumps `version`, which the event stream watches.
Claiming is one conditional UPDATE, so two servers sharing a database never run one job
twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from synthera.server.database import session_scope
from synthera.server.tables import Job, utcnow

QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED = (
    "queued",
    "running",
    "succeeded",
    "failed",
    "cancelled",
)
ACTIVE = (QUEUED, RUNNING)
FINISHED = (SUCCEEDED, FAILED, CANCELLED)
MAX_LOG_CHARS = 64_000


def log_line(message: str, when: datetime | None = None) -> str:
    return f"{(when or utcnow()):%H:%M:%S} {message}\n"


def _trim(log: str) -> str:
    if len(log) <= MAX_LOG_CHARS:
        return log
    cut = log[-MAX_LOG_CHARS:]
    return "…\n" + cut[cut.find("\n") + 1 :]


def create_job(session: Session, owner_id: str, kind: str, target_id: str) -> Job:
    job = Job(
        owner_id=owner_id,
        kind=kind,
        target_id=target_id,
        status=QUEUED,
        progress={},
        log=log_line(f"{kind} job queued"),
        attempts=0,
        version=0,
    )
    session.add(job)
    session.flush()
    return job


def queued_ids(factory: sessionmaker[Session], limit: int) -> list[str]:
    with factory() as session:
        rows = session.scalars(
            select(Job.id).where(Job.status == QUEUED).order_by(Job.created_at).limit(limit)
        )
        return list(rows)


def claim(factory: sessionmaker[Session], job_id: str, worker: str) -> bool:
    """Mark a queued job running for `worker`; False if someone else got it first."""
    now = utcnow()
    with session_scope(factory) as session:
        result = session.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == QUEUED)
            .values(
                status=RUNNING,
                worker=worker,
                started_at=now,
                finished_at=None,
                heartbeat_at=now,
                attempts=Job.attempts + 1,
                version=Job.version + 1,
            )
        )
        claimed = bool(getattr(result, "rowcount", 0))
        if claimed:
            _append_log(session, job_id, f"started by worker {worker}")
        return claimed


def set_worker(factory: sessionmaker[Session], job_id: str, worker: str) -> None:
    with session_scope(factory) as session:
        session.execute(update(Job).where(Job.id == job_id).values(worker=worker))


def _append_log(session: Session, job_id: str, message: str) -> None:
    job = session.get(Job, job_id, with_for_update=False)
    if job is not None:
        job.log = _trim((job.log or "") + log_line(message))


def add_log(factory: sessionmaker[Session], job_id: str, message: str) -> None:
    with session_scope(factory) as session:
        _append_log(session, job_id, message)
        session.execute(update(Job).where(Job.id == job_id).values(version=Job.version + 1))


def set_progress(
    factory: sessionmaker[Session],
    job_id: str,
    progress: Mapping[str, Any],
    message: str | None = None,
) -> bool:
    """Store progress; returns whether a cancel was requested (the worker then stops)."""
    with session_scope(factory) as session:
        job = session.get(Job, job_id)
        if job is None:
            return True
        job.progress = dict(progress)
        job.heartbeat_at = utcnow()
        job.version += 1
        if message:
            job.log = _trim(job.log + log_line(message))
        return job.cancel_requested


def heartbeat(factory: sessionmaker[Session], job_id: str) -> None:
    with session_scope(factory) as session:
        session.execute(update(Job).where(Job.id == job_id).values(heartbeat_at=utcnow()))


def finish(
    factory: sessionmaker[Session],
    job_id: str,
    status: str,
    *,
    error: str | None = None,
    only_if_running: bool = True,
) -> bool:
    """Record the end of a job; with `only_if_running`, a job already ended is left alone."""
    with session_scope(factory) as session:
        job = session.get(Job, job_id)
        if job is None or (only_if_running and job.status != RUNNING):
            return False
        job.status = status
        job.error = error
        job.finished_at = utcnow()
        job.version += 1
        job.log = _trim(job.log + log_line(f"{status}" + (f": {error}" if error else "")))
        return True


def request_cancel(session: Session, job: Job) -> None:
    """A queued job is cancelled at once; a running one is stopped by its backend."""
    if job.status == QUEUED:
        job.status = CANCELLED
        job.finished_at = utcnow()
        job.log = _trim(job.log + log_line("cancelled before it started"))
    elif job.status == RUNNING:
        job.cancel_requested = True
        job.log = _trim(job.log + log_line("cancel requested"))
    job.version += 1


def retry(session: Session, job: Job) -> None:
    job.status = QUEUED
    job.error = None
    job.progress = {}
    job.cancel_requested = False
    job.worker = None
    job.started_at = None
    job.finished_at = None
    job.version += 1
    job.log = _trim(job.log + log_line("queued again (retry)"))


def requeue(factory: sessionmaker[Session], job_id: str, reason: str) -> None:
    """Put a running job back in the queue (the server is stopping and stopped its worker)."""
    with session_scope(factory) as session:
        job = session.get(Job, job_id)
        if job is None or job.status != RUNNING:
            return
        if job.cancel_requested:
            job.status = CANCELLED
            job.finished_at = utcnow()
        else:
            job.status = QUEUED
            job.progress = {}
            job.worker = None
            job.attempts = max(0, job.attempts - 1)  # not the job's fault
        job.version += 1
        job.log = _trim(job.log + log_line(reason))


def running_jobs(factory: sessionmaker[Session]) -> list[Job]:
    with factory() as session:
        return list(session.scalars(select(Job).where(Job.status == RUNNING)))


def cancel_requested_ids(factory: sessionmaker[Session], job_ids: list[str]) -> set[str]:
    if not job_ids:
        return set()
    with factory() as session:
        rows = session.scalars(
            select(Job.id).where(Job.id.in_(job_ids), Job.cancel_requested.is_(True))
        )
        return set(rows)


def is_stale(job: Job, timeout_s: float) -> bool:
    seen = job.heartbeat_at or job.started_at or job.created_at
    return utcnow() - seen > timedelta(seconds=timeout_s)
