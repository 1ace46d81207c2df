"""Who may see and change what: the one place the server decides.

- A dataset is visible to its owner and, when it sits in a project, to that project's
  members. Everything made from it (runs, synthetic tables, evaluations, their jobs) is
  visible exactly when the dataset is: leaving a project takes all of it out of sight.
- Anything a caller cannot see is answered 404, as if it did not exist.
- Changing what others rely on needs more than sight: a dataset is deleted or moved
  between projects by its owner only; a run, table, evaluation or job is deleted,
  cancelled or retried by whoever made it or by the dataset's owner (else 403).
"""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException
from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.orm import Session

from synthera.server.tables import (
    Dataset,
    Evaluation,
    Job,
    Project,
    ProjectMember,
    SyntheticTable,
    TrainingRun,
    User,
)

# What each kind of job works on: the table holding that row.
JOB_TARGETS: dict[str, Any] = {
    "train": TrainingRun,
    "sample": SyntheticTable,
    "evaluate": Evaluation,
}


def not_found(what: str, item_id: str) -> HTTPException:
    return HTTPException(404, f"{what} {item_id} not found")


def member_project_ids(user: User) -> Select[str]:
    return select(ProjectMember.project_id).where(ProjectMember.user_id == user.id)


def visible_dataset_ids(user: User) -> Select[str]:
    """The ids of every dataset `user` may see, as a subquery."""
    return select(Dataset.id).where(
        or_(Dataset.owner_id == user.id, Dataset.project_id.in_(member_project_ids(user)))
    )


def visible_rows(model: Any, user: User) -> ColumnElement[bool]:
    """A WHERE clause for the rows of `model` (Dataset or one made from it) `user` may see."""
    column = model.id if model is Dataset else model.dataset_id
    return column.in_(visible_dataset_ids(user))


def visible_jobs(user: User) -> ColumnElement[bool]:
    return or_(
        *(
            Job.id.in_(select(target.job_id).where(visible_rows(target, user)))
            for target in JOB_TARGETS.values()
        )
    )


def can_see_dataset(session: Session, dataset_id: str, user: User) -> bool:
    found = session.scalar(
        select(Dataset.id).where(Dataset.id == dataset_id, visible_rows(Dataset, user))
    )
    return found is not None


def visible(session: Session, model: Any, item_id: str, user: User, what: str) -> Any:
    """The row if `user` may see it; 404 otherwise (nobody learns what others have)."""
    row = session.get(model, item_id)
    if row is None:
        raise not_found(what, item_id)
    if model is Job:
        dataset_id = job_dataset_id(session, row)
    else:
        dataset_id = row.id if model is Dataset else row.dataset_id
    if dataset_id is None or not can_see_dataset(session, dataset_id, user):
        raise not_found(what, item_id)
    return row


def member_project(session: Session, project_id: str, user: User) -> Project:
    """The project if `user` is one of its members; 404 otherwise."""
    member = session.get(ProjectMember, (project_id, user.id))
    project = session.get(Project, project_id) if member is not None else None
    if project is None:
        raise not_found("project", project_id)
    return project


def job_dataset_id(session: Session, job: Job) -> str | None:
    target = JOB_TARGETS.get(job.kind)
    row = session.get(target, job.target_id) if target is not None else None
    return None if row is None else str(row.dataset_id)


def may_manage(session: Session, row: Any, user: User) -> None:
    """403 unless `user` made `row` or owns the dataset it belongs to."""
    if row.owner_id == user.id:
        return
    if isinstance(row, Dataset):
        raise HTTPException(403, "only the dataset's owner can do this")
    dataset_id = job_dataset_id(session, row) if isinstance(row, Job) else row.dataset_id
    dataset = session.get(Dataset, dataset_id) if dataset_id else None
    if dataset is None or dataset.owner_id != user.id:
        raise HTTPException(403, "only whoever started it or the dataset's owner can do this")
