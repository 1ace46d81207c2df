"""Small helpers shared by the resource routes that own a job."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from synthera.server.api.schemas import JobOut
from synthera.server.jobs.store import SUCCEEDED
from synthera.server.tables import Job

Out = TypeVar("Out", bound=BaseModel)


def with_job(session: Session, row: Any, out: type[Out]) -> Out:
    """The row as `out`, with its job's state under "job"."""
    job = session.get(Job, row.job_id)
    fields = {name: getattr(row, name) for name in out.model_fields if name != "job"}
    return out(**fields, job=JobOut.model_validate(job))


def list_with_jobs(session: Session, rows: list[Any], out: type[Out]) -> list[Out]:
    jobs = {
        job.id: job
        for job in session.scalars(select(Job).where(Job.id.in_([r.job_id for r in rows])))
    }
    result = []
    for row in rows:
        fields = {name: getattr(row, name) for name in out.model_fields if name != "job"}
        result.append(out(**fields, job=JobOut.model_validate(jobs[row.job_id])))
    return result


def job_succeeded(session: Session, job_id: str) -> bool:
    job = session.get(Job, job_id)
    return job is not None and job.status == SUCCEEDED
