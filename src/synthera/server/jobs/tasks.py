"""What each kind of job does: read the stored inputs, call the library, store the output.

Every task writes into a fresh tmp folder and moves it into place only at the end, so a
cancelled or killed job leaves nothing half-written under files/.
"""

from __future__ import annotations

import importlib
import inspect
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session, sessionmaker

from synthera.errors import ParameterError, SyntheraError
from synthera.io import read_table, write_table
from synthera.models.base import Synthesizer
from synthera.models.registry import get_synthesizer
from synthera.progress import ProgressCallback, report
from synthera.schema import Schema
from synthera.server.config import Settings
from synthera.server.database import session_scope
from synthera.server.jsonsafe import json_safe
from synthera.server.storage import Storage
from synthera.server.tables import Evaluation, SyntheticTable, TrainingRun


@dataclass
class TaskContext:
    settings: Settings
    storage: Storage
    factory: sessionmaker[Session]
    progress: ProgressCallback
    log: Callable[[str], None]


def run_task(kind: str, target_id: str, context: TaskContext) -> None:
    tasks: dict[str, Callable[[str, TaskContext], None]] = {
        "train": train,
        "sample": sample,
        "evaluate": evaluate,
    }
    if kind not in tasks:
        raise ParameterError(f"unknown job kind {kind!r}")
    tasks[kind](target_id, context)


def _load(context: TaskContext, model: Any, item_id: str) -> Any:
    with context.factory() as session:
        row = session.get(model, item_id)
    if row is None:
        raise ParameterError(f"{model.__tablename__} {item_id} was deleted")
    return row


def read_part(context: TaskContext, dataset_id: str, part: str) -> pd.DataFrame | None:
    path = context.storage.folder("datasets", dataset_id) / f"{part}.parquet"
    return read_table(path) if path.exists() else None


# ---- train ----------------------------------------------------------------------------


def train(run_id: str, context: TaskContext) -> None:
    run: TrainingRun = _load(context, TrainingRun, run_id)
    table = read_part(context, run.dataset_id, "train")
    if table is None:
        raise ParameterError("the dataset's training table is missing")
    schema = Schema.from_dict(run.schema)
    synthesizer = get_synthesizer(run.synthesizer, **run.params)
    context.log(
        f"fitting {synthesizer.name} on {len(table):,} rows × {len(schema.columns)} columns"
    )
    started = time.perf_counter()
    synthesizer.fit(table, schema, seed=run.seed, progress=context.progress)
    seconds = time.perf_counter() - started
    folder = context.storage.new_tmp_dir()
    synthesizer.save(folder / "model")
    context.storage.commit(folder, "runs", run_id)
    with session_scope(context.factory) as session:
        row = session.get(TrainingRun, run_id)
        if row is not None:
            row.fit_seconds = round(seconds, 3)
    context.log(f"fitted in {seconds:.1f} s")


# ---- sample ---------------------------------------------------------------------------


def sample(table_id: str, context: TaskContext) -> None:
    from synthera.augment import rebalanced_sample

    item: SyntheticTable = _load(context, SyntheticTable, table_id)
    model_dir = context.storage.folder("runs", item.run_id) / "model"
    synthesizer = Synthesizer.load(model_dir)
    context.log(f"generating {item.n_rows:,} rows")
    report(context.progress, "sample", 0, 1)
    if item.rebalance:
        rows = rebalanced_sample(
            synthesizer, item.n_rows, item.rebalance, ratios=item.ratios, seed=item.seed
        )
    else:
        rows = synthesizer.sample(item.n_rows, conditions=item.conditions or None, seed=item.seed)
    report(context.progress, "sample", 1, 1)
    folder = context.storage.new_tmp_dir()
    write_table(rows, folder / "table.parquet")
    context.storage.commit(folder, "synthetic", table_id)


# ---- evaluate -------------------------------------------------------------------------


def load_evaluator(spec: str) -> Callable[..., Any]:
    """The `module:function` named by the settings; the default also tries the module
    `synthera.evaluation` itself, in case the package does not export `evaluate`."""
    candidates = [spec]
    if spec == "synthera:evaluate":
        candidates.append("synthera.evaluation:evaluate")
    for candidate in candidates:
        module_name, _, name = candidate.partition(":")
        try:
            function: Callable[..., Any] = getattr(
                importlib.import_module(module_name), name or "evaluate"
            )
        except (ImportError, AttributeError):
            continue
        return function
    raise SyntheraError(f"evaluation is not available: {spec} cannot be imported")


def evaluate(evaluation_id: str, context: TaskContext) -> None:
    item: Evaluation = _load(context, Evaluation, evaluation_id)
    table: SyntheticTable = _load(context, SyntheticTable, item.synthetic_id)
    run: TrainingRun = _load(context, TrainingRun, table.run_id)
    schema = Schema.from_dict(run.schema)
    real = read_part(context, item.dataset_id, "train")
    holdout = read_part(context, item.dataset_id, "holdout")
    synthetic = read_table(context.storage.folder("synthetic", table.id) / "table.parquet")
    if real is None:
        raise ParameterError("the dataset's training table is missing")
    names = schema.names
    evaluator = load_evaluator(context.settings.evaluator)
    options: dict[str, Any] = {
        "holdout": holdout[names] if holdout is not None and len(holdout) else None,
        "schema": schema,
        "target": schema.target,
        "sensitive": list(schema.sensitive),
    }
    parameters = inspect.signature(evaluator).parameters
    if "progress" in parameters:
        options["progress"] = context.progress
    model_dir = context.storage.folder("runs", table.run_id) / "model"
    if "generator" in parameters and model_dir.is_dir():  # the report states its privacy
        from synthera.report.generator import GeneratorInfo

        options["generator"] = GeneratorInfo.from_model_dir(model_dir)
    context.log(f"evaluating {len(synthetic):,} synthetic rows against {len(real):,} real rows")
    report(context.progress, "evaluate", 0, None)
    result = evaluator(real[names], synthetic[names], **options)
    folder = context.storage.new_tmp_dir()
    report_json = json.dumps(json_safe(result.to_dict()), allow_nan=False)
    (folder / "report.json").write_text(report_json, encoding="utf-8")
    result.to_html(folder / "report.html")
    context.storage.commit(folder, "evaluations", evaluation_id)
