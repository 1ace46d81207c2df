"""Evaluations: evaluate a synthetic table (a job); the report as JSON, charts or HTML."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import FileResponse
from sqlalchemy import select

from synthera.server.access import may_manage, visible, visible_rows
from synthera.server.api.common import job_succeeded, list_with_jobs, with_job
from synthera.server.api.deps import DB, Context, CurrentUser
from synthera.server.api.schemas import EvaluationIn, EvaluationOut, FiguresOut
from synthera.server.api.synthetic import get_table
from synthera.server.jobs.store import create_job
from synthera.server.removal import delete_evaluation
from synthera.server.tables import Evaluation, new_id

router = APIRouter(prefix="/evaluations", tags=["evaluations"])


def get_evaluation(session: DB, evaluation_id: str, user: CurrentUser) -> Evaluation:
    item: Evaluation = visible(session, Evaluation, evaluation_id, user, "evaluation")
    return item


@router.post("", response_model=EvaluationOut, status_code=201)
def start_evaluation(
    body: EvaluationIn, session: DB, context: Context, user: CurrentUser
) -> EvaluationOut:
    """Compare a synthetic table with its dataset's training part and holdout."""
    table = get_table(session, body.synthetic_id, user)
    if not job_succeeded(session, table.job_id):
        raise HTTPException(409, f"synthetic table {table.id} is not ready yet")
    evaluation_id = new_id()
    job = create_job(session, user.id, "evaluate", evaluation_id)
    item = Evaluation(
        id=evaluation_id,
        owner_id=user.id,
        dataset_id=table.dataset_id,
        synthetic_id=table.id,
        job_id=job.id,
    )
    session.add(item)
    session.commit()
    context.backend.wake()
    return with_job(session, item, EvaluationOut)


@router.get("", response_model=list[EvaluationOut])
def list_evaluations(
    session: DB,
    user: CurrentUser,
    dataset_id: Annotated[str | None, Query(max_length=32)] = None,
) -> list[EvaluationOut]:
    query = select(Evaluation).where(visible_rows(Evaluation, user))
    if dataset_id is not None:
        query = query.where(Evaluation.dataset_id == dataset_id)
    rows = list(session.scalars(query.order_by(Evaluation.created_at.desc())))
    return list_with_jobs(session, rows, EvaluationOut)


@router.get("/{evaluation_id}", response_model=EvaluationOut)
def read_evaluation(evaluation_id: str, session: DB, user: CurrentUser) -> EvaluationOut:
    return with_job(session, get_evaluation(session, evaluation_id, user), EvaluationOut)


def _report_file(session: DB, context: Context, item: Evaluation, name: str) -> Any:
    path = context.storage.folder("evaluations", item.id) / name
    if not job_succeeded(session, item.job_id) or not path.exists():
        raise HTTPException(409, f"evaluation {item.id} is not finished yet")
    return path


@router.get("/{evaluation_id}/report")
def report_json(
    evaluation_id: str, session: DB, context: Context, user: CurrentUser
) -> dict[str, Any]:
    """The report's JSON: every value with its real-vs-real reference."""
    item = get_evaluation(session, evaluation_id, user)
    path = _report_file(session, context, item, "report.json")
    report: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return report


@router.get("/{evaluation_id}/figures", response_model=FiguresOut)
def read_figures(
    evaluation_id: str, session: DB, context: Context, user: CurrentUser
) -> dict[str, Any]:
    """The HTML report's charts as Plotly JSON (heatmaps, distributions, distance
    histograms, membership-inference ROC, fairness), for the dashboard to draw."""
    from synthera.report.figures import figures_json, report_figures

    item = get_evaluation(session, evaluation_id, user)
    path = _report_file(session, context, item, "report.json")
    report: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return figures_json(report_figures(report))


@router.get("/{evaluation_id}/report.html", response_class=FileResponse)
def report_html(
    evaluation_id: str,
    session: DB,
    context: Context,
    user: CurrentUser,
    download: bool = False,
) -> FileResponse:
    """The self-contained HTML report (inline, or as an attachment with download=true)."""
    item = get_evaluation(session, evaluation_id, user)
    path = _report_file(session, context, item, "report.html")
    return FileResponse(
        path,
        media_type="text/html",
        filename=f"report-{item.id}.html",
        content_disposition_type="attachment" if download else "inline",
        headers={"Content-Security-Policy": "sandbox allow-scripts"},
    )


@router.delete("/{evaluation_id}", status_code=204)
def remove_evaluation(evaluation_id: str, session: DB, context: Context, user: CurrentUser) -> None:
    item = get_evaluation(session, evaluation_id, user)
    may_manage(session, item, user)
    delete_evaluation(session, context.storage, item)
