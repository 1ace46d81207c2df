"""Deleting a dataset, run or synthetic table together with everything made from it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import HTTPException
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from synthera.server.jobs.store import ACTIVE
from synthera.server.storage import Storage
from synthera.server.tables import Dataset, Evaluation, Job, SyntheticTable, TrainingRun


@dataclass
class Doomed:
    """Rows and folders that go together."""

    folders: list[tuple[str, str]] = field(default_factory=list)
    job_ids: list[str] = field(default_factory=list)


def _collect(session: Session, model: type, column: str, value: str, kind: str) -> Doomed:
    doomed = Doomed()
    rows: list[Any] = list(session.scalars(select(model).where(getattr(model, column) == value)))
    for row in rows:
        doomed.folders.append((kind, row.id))
        doomed.job_ids.append(row.job_id)
    return doomed


def _dependents(session: Session, item: Dataset | TrainingRun | SyntheticTable) -> Doomed:
    if isinstance(item, Dataset):
        key, doomed = "dataset_id", Doomed(folders=[("datasets", item.id)])
        parts = [(TrainingRun, "runs"), (SyntheticTable, "synthetic"), (Evaluation, "evaluations")]
    elif isinstance(item, TrainingRun):
        key, doomed = "run_id", Doomed(folders=[("runs", item.id)], job_ids=[item.job_id])
        parts = [(SyntheticTable, "synthetic")]
        tables = [
            t.id
            for t in session.scalars(select(SyntheticTable).where(SyntheticTable.run_id == item.id))
        ]
        for table_id in tables:
            more = _collect(session, Evaluation, "synthetic_id", table_id, "evaluations")
            doomed.folders += more.folders
            doomed.job_ids += more.job_ids
    else:
        key, doomed = "synthetic_id", Doomed(folders=[("synthetic", item.id)])
        doomed.job_ids.append(item.job_id)
        parts = [(Evaluation, "evaluations")]
    for model, kind in parts:
        more = _collect(session, model, key, item.id, kind)
        doomed.folders += more.folders
        doomed.job_ids += more.job_ids
    return doomed


def delete_with_dependents(
    session: Session, storage: Storage, item: Dataset | TrainingRun | SyntheticTable
) -> None:
    """Refuses (409) while a job on any of it runs; files go after the rows are gone."""
    doomed = _dependents(session, item)
    busy = session.scalar(
        select(Job.id).where(Job.id.in_(doomed.job_ids), Job.status.in_(ACTIVE)).limit(1)
    )
    if busy is not None:
        raise HTTPException(409, f"job {busy} is still queued or running: cancel it first")
    session.delete(item)
    session.flush()
    if doomed.job_ids:
        session.execute(delete(Job).where(Job.id.in_(doomed.job_ids)))
    session.commit()
    for kind, item_id in doomed.folders:
        storage.delete(kind, item_id)


def delete_evaluation(session: Session, storage: Storage, item: Evaluation) -> None:
    job = session.get(Job, item.job_id)
    if job is not None and job.status in ACTIVE:
        raise HTTPException(409, f"job {job.id} is still queued or running: cancel it first")
    session.delete(item)
    session.flush()
    session.execute(delete(Job).where(Job.id == item.job_id))
    session.commit()
    storage.delete("evaluations", item.id)
