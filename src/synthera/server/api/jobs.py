"""Jobs: list, read (with log), follow by server-sent events, cancel, retry."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from sqlalchemy import select

from synthera.server.access import may_manage, visible, visible_jobs
from synthera.server.api.deps import DB, Context, CurrentUser
from synthera.server.api.schemas import JobDetail, JobOut
from synthera.server.jobs import store
from synthera.server.tables import Job

router = APIRouter(prefix="/jobs", tags=["jobs"])
POLL_S = 0.3
KEEPALIVE_S = 15.0


def get_job(session: DB, job_id: str, user: CurrentUser) -> Job:
    job: Job = visible(session, Job, job_id, user, "job")
    return job


@router.get("", response_model=list[JobOut])
def list_jobs(
    session: DB,
    user: CurrentUser,
    status: Annotated[str | None, Query(max_length=16)] = None,
) -> list[Job]:
    query = select(Job).where(visible_jobs(user))
    if status is not None:
        query = query.where(Job.status == status)
    return list(session.scalars(query.order_by(Job.created_at.desc()).limit(200)))


@router.get("/{job_id}", response_model=JobDetail)
def read_job(job_id: str, session: DB, user: CurrentUser) -> Job:
    return get_job(session, job_id, user)


@router.get(
    "/{job_id}/events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
def follow_job(
    job_id: str, request: Request, session: DB, context: Context, user: CurrentUser
) -> StreamingResponse:
    """Server-sent events: a `job` event (JobDetail JSON) at each change, until it ends."""
    get_job(session, job_id, user)
    factory = context.factory

    def load() -> Job | None:
        with factory() as fresh:
            return fresh.get(Job, job_id)

    async def events() -> AsyncIterator[str]:
        seen = -1
        quiet = 0.0
        while True:
            job = await run_in_threadpool(load)
            if job is None:
                yield "event: gone\ndata: {}\n\n"
                return
            if job.version != seen:
                seen, quiet = job.version, 0.0
                payload = JobDetail.model_validate(job).model_dump(mode="json")
                yield f"event: job\ndata: {json.dumps(payload)}\n\n"
                if job.status in store.FINISHED:
                    return
            elif quiet >= KEEPALIVE_S:
                quiet = 0.0
                yield ": keep-alive\n\n"
            if await request.is_disconnected():
                return
            await asyncio.sleep(POLL_S)
            quiet += POLL_S

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(events(), media_type="text/event-stream", headers=headers)


@router.post("/{job_id}/cancel", response_model=JobOut)
def cancel_job(job_id: str, session: DB, context: Context, user: CurrentUser) -> Job:
    job = get_job(session, job_id, user)
    may_manage(session, job, user)
    if job.status not in store.ACTIVE:
        raise HTTPException(409, f"job {job.id} has already {job.status}")
    store.request_cancel(session, job)
    session.commit()
    context.backend.wake()
    return job


@router.post("/{job_id}/retry", response_model=JobOut)
def retry_job(job_id: str, session: DB, context: Context, user: CurrentUser) -> Job:
    job = get_job(session, job_id, user)
    may_manage(session, job, user)
    if job.status not in (store.FAILED, store.CANCELLED):
        raise HTTPException(
            409, f"only a failed or cancelled job can be retried (it is {job.status})"
        )
    store.retry(session, job)
    session.commit()
    context.backend.wake()
    return job
