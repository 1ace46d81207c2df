"""Logging a pipeline run to MLflow: one run for the pipeline, one nested run per generator.

The pipeline's run holds its settings, the comparison page and the pipeline file; each
generator's run holds its model settings, every evaluation metric beside its reference
(`<metric>` and `<metric>_reference`), the transformer table, its reports and its model
directory. Without a tracking URI the store is a SQLite file in the output folder
(MLflow 3 refuses its old file store unless told otherwise), artifacts beside it.
MLflow is the optional extra `synthera[tracking]`, imported only here.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import logging
import math
import os
import re
import time
import warnings
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synthera.errors import SyntheraError, one_line

if TYPE_CHECKING:
    from mlflow import MlflowClient

    from synthera.pipeline.run import RunResult

INSTALL_HINT = "install the extra: pip install 'synthera[tracking]'"
LOCAL_STORE = "mlflow.db"
LOCAL_ARTIFACTS = "mlartifacts"
_SQLITE = "sqlite:///"
_BATCH = 100  # MLflow takes at most 100 params or tags and 1000 metrics per call
_UNSAFE = re.compile(r"[^\w.\-/ ]")  # characters MLflow refuses in keys


class TrackingError(SyntheraError):
    """MLflow is not installed, or the tracking store refused the run."""


def require_mlflow(uri: str) -> None:
    """Fail with one line, before any work, when the tracking extra is missing."""
    needed = ("mlflow", "sqlalchemy", "alembic") if uri.startswith("sqlite:") else ("mlflow",)
    missing = [name for name in needed if importlib.util.find_spec(name) is None]
    if "mlflow" in missing:
        raise TrackingError(f"tracking runs needs MLflow; {INSTALL_HINT}")
    if missing:
        raise TrackingError(f"MLflow's SQLite store needs {' and '.join(missing)}; {INSTALL_HINT}")


def tracking_location(
    uri: str | None, output: Path, base_dir: Path | None = None
) -> tuple[str, str | None]:
    """(tracking URI, artifact location for a new experiment): the file's URI (a relative
    SQLite path read from `base_dir`, the pipeline file's folder), else
    `$MLFLOW_TRACKING_URI`, else a SQLite store in the output folder. A SQLite store keeps
    its artifacts in `mlartifacts/` beside it; MLflow would put them under the current
    directory."""
    if uri:
        chosen = _absolute_sqlite(uri, base_dir or Path.cwd())
    elif os.environ.get("MLFLOW_TRACKING_URI"):
        chosen = _absolute_sqlite(os.environ["MLFLOW_TRACKING_URI"], Path.cwd())
    else:
        chosen = f"sqlite:///{(output.resolve() / LOCAL_STORE).as_posix()}"
    if not chosen.startswith(_SQLITE):
        return chosen, None  # a server or database decides where its artifacts go
    database = Path(chosen.removeprefix(_SQLITE))
    return chosen, (database.parent / LOCAL_ARTIFACTS).as_uri()


def _absolute_sqlite(uri: str, base_dir: Path) -> str:
    if not uri.startswith(_SQLITE):
        return uri
    database = Path(uri.removeprefix(_SQLITE))
    if not database.is_absolute():
        database = base_dir / database
    return f"{_SQLITE}{database.resolve().as_posix()}"


def log_run(result: RunResult) -> dict[str, Any]:
    """Log a finished run; returns the MLflow URI, experiment and run ids."""
    pipeline = result.plan.pipeline
    settings = pipeline.config.tracking
    uri, artifacts = tracking_location(settings.uri, pipeline.output, pipeline.base_dir)
    require_mlflow(uri)
    from mlflow import MlflowClient  # imported first: its import sets its loggers' levels
    from mlflow.exceptions import MlflowException
    from mlflow.utils.mlflow_tags import MLFLOW_PARENT_RUN_ID

    with _quiet_mlflow():
        try:
            client = MlflowClient(tracking_uri=uri)
            experiment = client.get_experiment_by_name(settings.experiment)
            experiment_id = (
                experiment.experiment_id
                if experiment is not None
                else client.create_experiment(settings.experiment, artifact_location=artifacts)
            )
            parent = client.create_run(
                experiment_id,
                run_name=settings.run_name or pipeline.name,
                tags=_run_tags(result),
            ).info.run_id
            children: dict[str, str] = {}
            try:
                _log(client, parent, params=_pipeline_params(result))
                _log_pipeline_artifacts(client, parent, result)
                for generator in pipeline.config.generators:
                    child = client.create_run(
                        experiment_id,
                        run_name=generator.name,
                        tags={MLFLOW_PARENT_RUN_ID: parent, "synthera.generator": generator.name},
                    ).info.run_id
                    children[generator.name] = child
                    _log_generator(client, child, result, generator.name)
                    client.set_terminated(child)
            except BaseException:
                for run_id in [parent, *children.values()]:
                    with contextlib.suppress(Exception):
                        client.set_terminated(run_id, status="FAILED")
                raise
            client.set_terminated(parent)
        except MlflowException as exc:
            raise TrackingError(one_line(f"MLflow at {uri} refused the run: {exc}")) from None
    return {
        "uri": uri,
        "experiment_id": experiment_id,
        "run_id": parent,
        "generator_runs": children,
    }


@contextlib.contextmanager
def _quiet_mlflow() -> Iterator[None]:
    """MLflow and its database migrations log every table they create at INFO level, and
    MLflow's store uses SQLAlchemy features SQLAlchemy warns about: none of it is ours."""
    loggers = [logging.getLogger(name) for name in ("mlflow", "alembic")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=DeprecationWarning, module="mlflow")
            warnings.filterwarnings("ignore", category=DeprecationWarning, module="sqlalchemy")
            yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


# ---- what is logged --------------------------------------------------------------------


def _run_tags(result: RunResult) -> dict[str, str]:
    reused = [r.step for r in result.steps if r.status == "reused"]
    return {
        "synthera.pipeline": result.plan.pipeline.name,
        "synthera.source": str(result.plan.pipeline.source),
        "synthera.steps_reused": f"{len(reused)} of {len(result.steps)}",
    }


def _pipeline_params(result: RunResult) -> dict[str, Any]:
    config = result.plan.pipeline.config
    prepare = next(r for r in result.steps if r.step == "prepare").manifest
    params: dict[str, Any] = {
        "seed": config.seed,
        "data": config.data.builtin or config.data.path,
        "target": result.plan.roles.target,
        "sensitive": ",".join(result.plan.roles.sensitive or ()),
        "generators": ",".join(g.name for g in config.generators),
        "evaluate.families": ",".join(config.evaluate.families),
        "transformers": config.evaluate.transformers is not None,
    }
    params |= _flatten(config.split.model_dump(), "split.")
    params |= {f"prepare.{k}": v for k, v in prepare.summary.items() if k.endswith("_rows")}
    return params


def _log_pipeline_artifacts(client: MlflowClient, run_id: str, result: RunResult) -> None:
    client.log_artifact(run_id, str(result.plan.pipeline.source), "pipeline")
    compare = result.output / "compare"
    if compare.is_dir():
        for name in ("comparison.html", "comparison.json"):
            if (compare / name).is_file():
                client.log_artifact(run_id, str(compare / name), "reports")


def _log_generator(client: MlflowClient, run_id: str, result: RunResult, name: str) -> None:
    config = result.plan.pipeline.config
    generator = result.plan.generator(name)
    fit = result.plan.step(f"fit/{name}").settings
    params = {"model": fit["model"], "seed": fit["seed"]}
    params |= _flatten(generator.params, "params.")
    params |= _flatten(generator.privacy or {}, "privacy.")
    params |= _flatten(result.plan.step(f"sample/{name}").settings, "sample.")  # seeds resolved
    metrics: dict[str, float | None] = {}
    tags: dict[str, Any] = {}
    manifests = {r.step: r.manifest for r in result.steps}
    fit_summary = manifests[f"fit/{name}"].summary
    metrics["fit_seconds"] = fit_summary.get("fit_seconds")
    metrics["sample_seconds"] = manifests[f"sample/{name}"].summary.get("sample_seconds")
    ledger = fit_summary.get("privacy") or {}
    metrics["epsilon_spent"] = ledger.get("epsilon_spent")
    metrics["delta_spent"] = ledger.get("delta_spent")
    folders = {step: result.folder(step) for step in manifests}
    evaluated = folders.get(f"evaluate/{name}")
    if evaluated is not None:
        report = json.loads((evaluated / "report.json").read_text(encoding="utf-8"))
        for metric in report["metrics"]:
            metrics[metric["name"]] = metric["value"]
            metrics[f"{metric['name']}_reference"] = metric["reference"]
        for card in report["scorecard"]:
            tags[f"scorecard.{card['family']}"] = card["status"]
        for file in ("report.html", "report.json"):
            if (evaluated / file).is_file():
                client.log_artifact(run_id, str(evaluated / file), "reports")
    transformers = folders.get(f"transformers/{name}")
    if transformers is not None:
        if evaluated is None:  # else its metrics came with the report's
            table = json.loads((transformers / "metrics.json").read_text(encoding="utf-8"))
            for metric in table:
                metrics[metric["name"]] = metric["value"]
                metrics[f"{metric['name']}_reference"] = metric["reference"]
        client.log_artifacts(run_id, str(transformers), "transformers")
    if config.tracking.log_models:
        client.log_artifacts(run_id, str(folders[f"fit/{name}"] / "model"), "model")
    _log(client, run_id, params=params, metrics=metrics, tags=tags)


def _flatten(mapping: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in mapping.items():
        if isinstance(value, Mapping) and value:
            flat |= _flatten(value, f"{prefix}{key}.")
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _log(
    client: MlflowClient,
    run_id: str,
    *,
    params: Mapping[str, Any] = {},
    metrics: Mapping[str, float | None] = {},
    tags: Mapping[str, Any] = {},
) -> None:
    """Params, finite metrics and tags in batches MLflow accepts, with keys it accepts."""
    from mlflow.entities import Metric, Param, RunTag

    now = int(time.time() * 1000)
    param_list = [Param(_key(k), _text(v)) for k, v in params.items()]
    tag_list = [RunTag(_key(k), _text(v)) for k, v in tags.items()]
    metric_list = [
        Metric(_key(k), float(v), now, 0)
        for k, v in metrics.items()
        if isinstance(v, int | float) and math.isfinite(v)
    ]
    for chunk in _chunks(param_list):
        client.log_batch(run_id, params=chunk)
    for chunk in _chunks(tag_list):
        client.log_batch(run_id, tags=chunk)
    for chunk in _chunks(metric_list):
        client.log_batch(run_id, metrics=chunk)


def _chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), _BATCH):
        yield items[start : start + _BATCH]


def _key(key: str) -> str:
    return _UNSAFE.sub("_", key)[:250]


def _text(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text[:6000]
