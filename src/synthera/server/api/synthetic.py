"""Synthetic tables: generate rows from a run (a job), list, preview, download, delete."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, BackgroundTasks, HTTPException, Query
from fastapi.responses import FileResponse
from sqlalchemy import select

from synthera.augment import class_counts
from synthera.errors import ParameterError
from synthera.io import read_table, write_table
from synthera.server.access import may_manage, visible, visible_rows
from synthera.server.api.common import job_succeeded, list_with_jobs, with_job
from synthera.server.api.deps import DB, Context, CurrentUser
from synthera.server.api.runs import get_run
from synthera.server.api.schemas import Preview, SyntheticIn, SyntheticOut
from synthera.server.jobs.store import create_job
from synthera.server.jsonsafe import table_preview
from synthera.server.removal import delete_with_dependents
from synthera.server.storage import remove
from synthera.server.tables import SyntheticTable, new_id

router = APIRouter(prefix="/synthetic-tables", tags=["synthetic tables"])


def get_table(session: DB, table_id: str, user: CurrentUser) -> SyntheticTable:
    table: SyntheticTable = visible(session, SyntheticTable, table_id, user, "synthetic table")
    return table


@router.post("", response_model=SyntheticOut, status_code=201)
def generate(body: SyntheticIn, session: DB, context: Context, user: CurrentUser) -> SyntheticOut:
    """Generate `n_rows` rows; `conditions` fixes columns, `rebalance` gives a column's
    classes equal shares, or the shares in `ratios`."""
    run = get_run(session, body.run_id, user)
    if not job_succeeded(session, run.job_id):
        raise HTTPException(409, f"run {run.id} has not finished training")
    if body.conditions and body.rebalance:
        raise ParameterError("use either conditions or rebalance, not both")
    if body.ratios is not None:
        if not body.rebalance:
            raise ParameterError("ratios need rebalance: the column whose classes they weigh")
        class_counts(body.n_rows, body.ratios)  # the library's checks of the weights
    names = [c["name"] for c in run.schema["columns"]]
    for column in [*(body.conditions or {}), *([body.rebalance] if body.rebalance else [])]:
        if column not in names:
            raise ParameterError(
                f"the model has no column {column!r} (columns: {', '.join(names[:8])})"
            )
    table_id = new_id()
    job = create_job(session, user.id, "sample", table_id)
    table = SyntheticTable(
        id=table_id,
        owner_id=user.id,
        dataset_id=run.dataset_id,
        run_id=run.id,
        job_id=job.id,
        n_rows=body.n_rows,
        seed=body.seed,
        conditions=body.conditions,
        rebalance=body.rebalance,
        ratios=body.ratios,
    )
    session.add(table)
    session.commit()
    context.backend.wake()
    return with_job(session, table, SyntheticOut)


@router.get("", response_model=list[SyntheticOut])
def list_tables(
    session: DB,
    user: CurrentUser,
    dataset_id: Annotated[str | None, Query(max_length=32)] = None,
) -> list[SyntheticOut]:
    query = select(SyntheticTable).where(visible_rows(SyntheticTable, user))
    if dataset_id is not None:
        query = query.where(SyntheticTable.dataset_id == dataset_id)
    rows = list(session.scalars(query.order_by(SyntheticTable.created_at.desc())))
    return list_with_jobs(session, rows, SyntheticOut)


@router.get("/{table_id}", response_model=SyntheticOut)
def read_table_info(table_id: str, session: DB, user: CurrentUser) -> SyntheticOut:
    return with_job(session, get_table(session, table_id, user), SyntheticOut)


def _stored(session: DB, context: Context, table: SyntheticTable) -> str:
    path = context.storage.folder("synthetic", table.id) / "table.parquet"
    if not job_succeeded(session, table.job_id) or not path.exists():
        raise HTTPException(409, f"synthetic table {table.id} is not ready yet")
    return str(path)


@router.get("/{table_id}/preview", response_model=Preview)
def preview(
    table_id: str,
    session: DB,
    context: Context,
    user: CurrentUser,
    rows: Annotated[int, Query(ge=1, le=1000)] = 20,
) -> Preview:
    table = get_table(session, table_id, user)
    return Preview(**table_preview(read_table(_stored(session, context, table)), rows))


@router.get("/{table_id}/download", response_class=FileResponse)
def download(
    table_id: str,
    session: DB,
    context: Context,
    user: CurrentUser,
    background: BackgroundTasks,
    format: Literal["csv", "parquet"] = "csv",
) -> FileResponse:
    """The rows as CSV or Parquet."""
    table = get_table(session, table_id, user)
    path = _stored(session, context, table)
    name = f"synthetic-{table.id}.{format}"
    if format == "parquet":
        return FileResponse(path, filename=name)
    folder = context.storage.new_tmp_dir()
    csv_path = write_table(read_table(path), folder / name)
    background.add_task(remove, folder)
    return FileResponse(csv_path, filename=name, media_type="text/csv")


@router.delete("/{table_id}", status_code=204)
def delete_table(table_id: str, session: DB, context: Context, user: CurrentUser) -> None:
    table = get_table(session, table_id, user)
    may_manage(session, table, user)
    delete_with_dependents(session, context.storage, table)
