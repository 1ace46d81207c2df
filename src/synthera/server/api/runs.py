"""Training runs: start one (a job), list, read, download the model directory, delete."""

from __future__ import annotations

import shutil
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, HTTPException, Query
from fastapi.responses import FileResponse
from sqlalchemy import select

from synthera.models.registry import synthesizer_class
from synthera.schema import Schema
from synthera.server.access import may_manage, visible, visible_rows
from synthera.server.api.common import job_succeeded, list_with_jobs, with_job
from synthera.server.api.datasets import get_dataset
from synthera.server.api.deps import DB, Context, CurrentUser
from synthera.server.api.schemas import RunIn, RunOut
from synthera.server.jobs.store import create_job
from synthera.server.removal import delete_with_dependents
from synthera.server.storage import remove
from synthera.server.tables import TrainingRun, new_id

router = APIRouter(prefix="/runs", tags=["runs"])


def get_run(session: DB, run_id: str, user: CurrentUser) -> TrainingRun:
    run: TrainingRun = visible(session, TrainingRun, run_id, user, "run")
    return run


@router.post("", response_model=RunOut, status_code=201)
def start_run(body: RunIn, session: DB, context: Context, user: CurrentUser) -> RunOut:
    """Train a synthesizer on a dataset's training part, with its current schema."""
    dataset = get_dataset(session, body.dataset_id, user)
    # Checks the name and the parameters now, so a typo fails here rather than in the job.
    synthesizer_class(body.synthesizer).from_params(body.params)
    Schema.from_dict(dataset.schema)
    run_id = new_id()
    job = create_job(session, user.id, "train", run_id)
    run = TrainingRun(
        id=run_id,
        owner_id=user.id,
        dataset_id=dataset.id,
        job_id=job.id,
        synthesizer=body.synthesizer,
        params=body.params,
        seed=body.seed,
        schema=dataset.schema,
    )
    session.add(run)
    session.commit()
    context.backend.wake()
    return with_job(session, run, RunOut)


@router.get("", response_model=list[RunOut])
def list_runs(
    session: DB,
    user: CurrentUser,
    dataset_id: Annotated[str | None, Query(max_length=32)] = None,
) -> list[RunOut]:
    query = select(TrainingRun).where(visible_rows(TrainingRun, user))
    if dataset_id is not None:
        query = query.where(TrainingRun.dataset_id == dataset_id)
    rows = list(session.scalars(query.order_by(TrainingRun.created_at.desc())))
    return list_with_jobs(session, rows, RunOut)


@router.get("/{run_id}", response_model=RunOut)
def read_run(run_id: str, session: DB, user: CurrentUser) -> RunOut:
    return with_job(session, get_run(session, run_id, user), RunOut)


@router.get("/{run_id}/model.zip", response_class=FileResponse)
def download_model(
    run_id: str, session: DB, context: Context, user: CurrentUser, background: BackgroundTasks
) -> FileResponse:
    """The fitted model directory (model.json + weights.safetensors) as a zip file."""
    run = get_run(session, run_id, user)
    model_dir = context.storage.folder("runs", run.id) / "model"
    if not job_succeeded(session, run.job_id) or not model_dir.is_dir():
        raise HTTPException(409, f"run {run.id} has no fitted model yet")
    folder = context.storage.new_tmp_dir()
    archive = shutil.make_archive(str(folder / "model"), "zip", root_dir=model_dir)
    background.add_task(remove, folder)
    return FileResponse(archive, filename=f"{run.synthesizer}-{run.id}.zip")


@router.delete("/{run_id}", status_code=204)
def delete_run(run_id: str, session: DB, context: Context, user: CurrentUser) -> None:
    """Delete the run, its model and the synthetic tables made with it."""
    run = get_run(session, run_id, user)
    may_manage(session, run, user)
    delete_with_dependents(session, context.storage, run)
