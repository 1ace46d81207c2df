"""Datasets: upload, list, read, preview, edit the schema, share, download, delete."""

from __future__ import annotations

from typing import Annotated, Literal

import pandas as pd
from fastapi import APIRouter, File, Form, HTTPException, Query, UploadFile
from fastapi.responses import FileResponse
from sqlalchemy import select

from synthera.errors import SchemaError
from synthera.io import read_table
from synthera.schema import Schema
from synthera.server.access import may_manage, member_project, visible, visible_rows
from synthera.server.api.deps import DB, Context, CurrentUser
from synthera.server.api.schemas import Created, DatasetOut, DatasetProjectIn, Preview, SchemaIn
from synthera.server.jsonsafe import table_preview
from synthera.server.removal import delete_with_dependents
from synthera.server.storage import remove
from synthera.server.tables import Dataset, new_id
from synthera.server.uploads import receive_upload

router = APIRouter(prefix="/datasets", tags=["datasets"])


def get_dataset(session: DB, dataset_id: str, user: CurrentUser) -> Dataset:
    dataset: Dataset = visible(session, Dataset, dataset_id, user, "dataset")
    return dataset


@router.post("", response_model=Created, status_code=201)
def upload_dataset(
    file: Annotated[UploadFile, File(description="A CSV (plain, .gz, .zip) or Parquet file.")],
    session: DB,
    context: Context,
    user: CurrentUser,
    holdout_fraction: Annotated[
        float, Form(ge=0, lt=1, description="Share of rows kept aside for evaluation.")
    ] = 0.2,
    seed: Annotated[int, Form(ge=0, le=2**31 - 1, description="Seed of the holdout split.")] = 0,
    project_id: Annotated[
        str | None, Form(max_length=32, description="Share it with this project's members.")
    ] = None,
) -> Created:
    """Upload a table; a holdout share is kept aside (seeded) and a schema is inferred."""
    if project_id:
        member_project(session, project_id, user)  # before anything is stored
    stored = receive_upload(
        file.file,
        file.filename,
        context.settings,
        context.storage,
        holdout_fraction=holdout_fraction,
        seed=seed,
    )
    dataset = Dataset(
        id=new_id(),
        owner_id=user.id,
        project_id=project_id or None,
        name=stored.name,
        file_format=stored.file_format,
        size_bytes=stored.size_bytes,
        n_rows=stored.n_rows,
        n_train=stored.n_train,
        n_holdout=stored.n_holdout,
        holdout_fraction=holdout_fraction,
        seed=seed,
        columns=stored.columns,
        schema=stored.schema.to_dict(),
        notes=stored.notes,
    )
    try:
        context.storage.commit(stored.folder, "datasets", dataset.id)
        session.add(dataset)
        session.commit()
    except BaseException:
        session.rollback()
        remove(stored.folder)
        context.storage.delete("datasets", dataset.id)
        raise
    return Created(id=dataset.id)


@router.get("", response_model=list[DatasetOut])
def list_datasets(session: DB, user: CurrentUser) -> list[Dataset]:
    query = select(Dataset).where(visible_rows(Dataset, user)).order_by(Dataset.created_at.desc())
    return list(session.scalars(query))


@router.get("/{dataset_id}", response_model=DatasetOut)
def read_dataset(dataset_id: str, session: DB, user: CurrentUser) -> Dataset:
    return get_dataset(session, dataset_id, user)


@router.get("/{dataset_id}/preview", response_model=Preview)
def preview_dataset(
    dataset_id: str,
    session: DB,
    context: Context,
    user: CurrentUser,
    rows: Annotated[int, Query(ge=1, le=1000)] = 20,
    part: Literal["train", "holdout"] = "train",
) -> Preview:
    """The first rows of the training part (or the holdout)."""
    dataset = get_dataset(session, dataset_id, user)
    path = context.storage.folder("datasets", dataset.id) / f"{part}.parquet"
    table = pd.DataFrame(columns=dataset.columns) if not path.exists() else read_table(path)
    return Preview(**table_preview(table, rows))


@router.put("/{dataset_id}/schema", response_model=DatasetOut)
def update_schema(dataset_id: str, body: SchemaIn, session: DB, user: CurrentUser) -> Dataset:
    """Replace the schema: kinds, target, sensitive columns; columns left out are dropped."""
    dataset = get_dataset(session, dataset_id, user)
    schema = Schema.from_dict(body.model_dump())
    unknown = [name for name in schema.names if name not in dataset.columns]
    if unknown:
        raise SchemaError(
            f"the table has no column {', '.join(map(repr, unknown[:5]))} "
            f"(columns: {', '.join(dataset.columns[:8])})"
        )
    if not schema.columns:
        raise SchemaError("keep at least one column in the schema")
    dataset.schema = schema.to_dict()
    session.commit()
    return dataset


@router.put("/{dataset_id}/project", response_model=DatasetOut)
def move_dataset(
    dataset_id: str, body: DatasetProjectIn, session: DB, user: CurrentUser
) -> Dataset:
    """Share the dataset with a project you belong to (its members then see it and all
    made from it), or make it private again with `null`. Only its owner can."""
    dataset = get_dataset(session, dataset_id, user)
    may_manage(session, dataset, user)
    if body.project_id is not None:
        member_project(session, body.project_id, user)
    dataset.project_id = body.project_id
    session.commit()
    return dataset


@router.get("/{dataset_id}/file", response_class=FileResponse)
def download_dataset(
    dataset_id: str, session: DB, context: Context, user: CurrentUser
) -> FileResponse:
    """The file as it was uploaded."""
    dataset = get_dataset(session, dataset_id, user)
    folder = context.storage.folder("datasets", dataset.id)
    originals = sorted(folder.glob("original*"))
    if not originals:
        raise HTTPException(404, f"dataset {dataset.id} has no stored file")
    return FileResponse(originals[0], filename=dataset.name)


@router.delete("/{dataset_id}", status_code=204)
def delete_dataset(dataset_id: str, session: DB, context: Context, user: CurrentUser) -> None:
    """Delete the dataset and every run, synthetic table and evaluation made from it."""
    dataset = get_dataset(session, dataset_id, user)
    may_manage(session, dataset, user)
    delete_with_dependents(session, context.storage, dataset)
