"""Running a pipeline: each step calls the library, reads its inputs from the folders of
the steps it needs, and writes its outputs into its own folder; unchanged steps are reused.

Every step reads its inputs from disk, whether they were made a second ago or in an
earlier run, so a resumed run computes exactly what an uninterrupted one would.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from synthera.errors import ParameterError
from synthera.io import read_table, split_holdout, write_table
from synthera.pipeline.cache import Manifest, StepCache, write_json
from synthera.pipeline.config import FAMILIES, Pipeline
from synthera.pipeline.plan import Plan, Step, build_plan
from synthera.progress import ProgressCallback, report
from synthera.schema import Schema

StepStatus = Literal["ran", "reused"]
RUN_FILE = "run.json"


@dataclass
class StepResult:
    step: str
    status: StepStatus
    manifest: Manifest

    @property
    def seconds(self) -> float:
        return self.manifest.seconds


@dataclass
class RunResult:
    """What a run did: each step, ran or reused, and where everything went."""

    plan: Plan
    steps: list[StepResult]
    seconds: float
    tracking: dict[str, Any] = field(default_factory=dict)  # MLflow run id and URI

    @property
    def output(self) -> Path:
        return self.plan.pipeline.output

    def folder(self, step: str) -> Path:
        return self.output / step

    def status(self, step: str) -> StepStatus:
        return next(r.status for r in self.steps if r.step == step)

    @property
    def reused_all(self) -> bool:
        return all(r.status == "reused" for r in self.steps)

    def outputs(self) -> dict[str, Path]:
        """The files a person opens: reports, synthetic tables, models."""
        found: dict[str, Path] = {}
        for result in self.steps:
            folder = self.folder(result.step)
            for name in result.manifest.files:
                if name.endswith((".html", ".csv", ".parquet")) and not name.startswith(
                    ("train.", "holdout.")
                ):
                    found[f"{result.step}/{name}"] = folder / name
            if result.step.startswith("fit/"):
                found[f"{result.step}/model"] = folder / "model"
        return found

    def to_dict(self) -> dict[str, Any]:
        pipeline = self.plan.pipeline
        return {
            "pipeline": pipeline.name,
            "source": str(pipeline.source),
            "output": str(pipeline.output),
            "seconds": round(self.seconds, 3),
            "steps": [
                {
                    "step": r.step,
                    "status": r.status,
                    "key": r.manifest.key,
                    "seconds": r.manifest.seconds,
                    "summary": r.manifest.summary,
                }
                for r in self.steps
            ],
            "tracking": self.tracking,
            "config": pipeline.config.model_dump(mode="json", by_alias=True),
        }


def run_pipeline(
    pipeline: Pipeline,
    *,
    progress: ProgressCallback | None = None,
    force: bool = False,
) -> RunResult:
    """Run every step whose key changed (all of them with `force`), reuse the others,
    then log to MLflow when tracking is on."""
    started = time.perf_counter()
    if pipeline.config.tracking.enabled:  # a missing extra fails before any work, not after
        from synthera.pipeline.tracking import require_mlflow, tracking_location

        tracking = pipeline.config.tracking
        require_mlflow(tracking_location(tracking.uri, pipeline.output, pipeline.base_dir)[0])
    plan = build_plan(pipeline)
    pipeline.output.mkdir(parents=True, exist_ok=True)
    cache = StepCache(pipeline.output)
    cache.clean_leftovers()
    runner = _StepRunner(plan, cache, progress)
    results = []
    total = len(plan.steps)
    for index, step in enumerate(plan.steps):
        report(progress, "pipeline", index, total)
        results.append(runner.run(step, force=force))
    report(progress, "pipeline", total, total)
    result = RunResult(plan, results, time.perf_counter() - started)
    write_json(pipeline.output / RUN_FILE, result.to_dict())  # kept if tracking fails
    if pipeline.config.tracking.enabled:
        from synthera.pipeline.tracking import log_run

        result.tracking = log_run(result)
        write_json(pipeline.output / RUN_FILE, result.to_dict())
    return result


class _StepRunner:
    def __init__(self, plan: Plan, cache: StepCache, progress: ProgressCallback | None) -> None:
        self.plan = plan
        self.pipeline = plan.pipeline
        self.config = plan.pipeline.config
        self.cache = cache
        self.progress = progress
        self._executors: dict[str, Callable[[Step, Path], dict[str, Any]]] = {
            "prepare": self._prepare,
            "fit": self._fit,
            "sample": self._sample,
            "evaluate": self._evaluate,
            "transformers": self._transformers,
            "compare": self._compare,
        }

    def run(self, step: Step, *, force: bool) -> StepResult:
        key = self.plan.keys[step.id]
        manifest = None if force else self.cache.lookup(step.id, key)
        if manifest is not None:
            return StepResult(step.id, "reused", manifest)
        partial = self.cache.begin(step.id)
        started = time.perf_counter()
        try:
            summary = self._executors[step.kind](step, partial)
        except BaseException:
            self.cache.abandon(partial)
            raise
        seconds = time.perf_counter() - started
        return StepResult(
            step.id, "ran", self.cache.commit(step.id, partial, key, seconds, summary)
        )

    def _progress(self, step: Step) -> ProgressCallback | None:
        """The caller's callback, with each stage named after the step it belongs to."""
        outer = self.progress
        if outer is None:
            return None

        def forward(stage: str, done: int, total: int | None, metrics: Mapping[str, float]) -> None:
            outer(f"{step.id}: {stage}", done, total, metrics)

        return forward

    def _folder(self, step_id: str) -> Path:
        return self.cache.folder(step_id)

    # ---- inputs ----------------------------------------------------------------------

    def _prepared(self) -> tuple[pd.DataFrame, pd.DataFrame, Schema]:
        folder = self._folder("prepare")
        return (
            read_table(folder / "train.parquet"),
            read_table(folder / "holdout.parquet"),
            Schema.load(folder / "schema.json"),
        )

    def _synthetic(self, generator: str) -> pd.DataFrame:
        fmt = self.plan.generator(generator).sample.format
        return read_table(self._folder(f"sample/{generator}") / f"synthetic.{fmt}")

    def _read(self, path: Path) -> pd.DataFrame:
        data = self.config.data
        return read_table(
            path,
            delimiter=data.delimiter,
            missing_values=data.missing_values,
            columns=data.columns,
            encoding=data.encoding,
            member=data.member,
        )

    # ---- steps -----------------------------------------------------------------------

    def _prepare(self, step: Step, out: Path) -> dict[str, Any]:
        from synthera.metrics.sampling import sample_rows

        config, roles = self.config, self.plan.roles
        if config.data.builtin is not None:
            from synthera.datasets import load_demo_table

            table = load_demo_table().frame
            if config.data.columns is not None:
                table = table[config.data.columns]
        else:
            table = self._read(step.files["data"])
        read_rows = len(table)
        table = sample_rows(table, config.split.max_rows, config.seed)
        if "holdout" in step.files:
            train, holdout = table, self._read(step.files["holdout"])
        else:
            stratify = roles.target if config.split.stratify else None
            train, holdout = split_holdout(
                table, fraction=config.split.holdout_fraction, seed=config.seed, stratify=stratify
            )
        schema = self._schema(step, train)
        schema.validate(holdout)
        # Dropped columns leave here, so that no later step sees them.
        write_table(train[schema.names], out / "train.parquet")
        write_table(holdout[schema.names], out / "holdout.parquet")
        schema.save(out / "schema.json")
        return {
            "rows_read": read_rows,
            "train_rows": len(train),
            "holdout_rows": len(holdout),
            "columns": len(schema.columns),
            "target": schema.target,
            "sensitive": list(schema.sensitive),
            "notes": list(schema.notes),
        }

    def _schema(self, step: Step, train: pd.DataFrame) -> Schema:
        settings, roles = self.config.table_schema, self.plan.roles
        if "schema" in step.files:
            return Schema.load(step.files["schema"]).with_overrides(
                settings.kinds or None,
                target=roles.target,
                sensitive=roles.sensitive,
                drop=settings.drop,
                rare_threshold=settings.rare_threshold,
            )
        return Schema.infer(
            train,
            target=roles.target,
            sensitive=roles.sensitive or (),
            overrides=settings.kinds,
            drop=settings.drop,
            rare_threshold=settings.rare_threshold or 0,
        )

    def _fit(self, step: Step, out: Path) -> dict[str, Any]:
        from synthera.models.registry import get_synthesizer

        settings = step.settings
        train, _, schema = self._prepared()
        model = get_synthesizer(settings["model"], **settings["params"])
        options: dict[str, Any] = {"seed": settings["seed"], "progress": self._progress(step)}
        if settings["privacy"] is not None:  # only then: models without DP need not take it
            options["privacy"] = settings["privacy"]
        started = time.perf_counter()
        model.fit(train, schema, **options)
        seconds = time.perf_counter() - started
        model.save(out / "model")
        ledger = getattr(model, "privacy_", None)
        return {
            "model": model.name,
            "fit_seconds": round(seconds, 3),
            "training_rows": len(train),
            "notes": [str(n) for n in getattr(model, "fit_warnings_", [])],
            "privacy": ledger.to_dict() if ledger is not None else None,
        }

    def _sample(self, step: Step, out: Path) -> dict[str, Any]:
        from synthera.models.base import Synthesizer

        settings = step.settings
        model = Synthesizer.load(self._folder(f"fit/{step.generator}") / "model")
        rows = settings["rows"] or model.n_training_rows_
        started = time.perf_counter()
        table = model.sample(rows, conditions=settings["conditions"], seed=settings["seed"])
        seconds = time.perf_counter() - started
        write_table(table, out / f"synthetic.{settings['format']}")
        return {"rows": len(table), "sample_seconds": round(seconds, 3)}

    def _evaluate(self, step: Step, out: Path) -> dict[str, Any]:
        from synthera.evaluation import EvaluationLimits, evaluate
        from synthera.pipeline.reports import attach_transformers, keep_families
        from synthera.report.generator import GeneratorInfo

        settings, name = step.settings, str(step.generator)
        train, holdout, schema = self._prepared()
        result = evaluate(
            train,
            self._synthetic(name),
            holdout,
            schema,
            seed=settings["seed"],
            progress=self._progress(step),
            limits=EvaluationLimits(**settings["limits"]),
            name=name,
            generator=GeneratorInfo.from_model_dir(self._folder(f"fit/{name}") / "model"),
        )
        if set(settings["families"]) != set(FAMILIES):
            result = keep_families(result, settings["families"])
        if f"transformers/{name}" in step.needs:
            attach_transformers(result, self._folder(f"transformers/{name}"))
        (out / "report.json").write_text(result.to_json() + "\n", encoding="utf-8")
        if settings["html"]:
            result.to_html(out / "report.html")
        return {
            "scorecard": {card.family: card.status for card in result.scorecard},
            "timings": result.timings,
        }

    def _transformers(self, step: Step, out: Path) -> dict[str, Any]:
        from synthera.pipeline.config import finetune_settings, text_format
        from synthera.transformer_eval import evaluate_transformers

        settings = step.settings
        train, holdout, schema = self._prepared()
        if schema.target is None:
            raise ParameterError(
                "transformer evaluation needs a target column: set schema.target in the "
                "pipeline file"
            )
        result = evaluate_transformers(
            train,
            self._synthetic(str(step.generator)),
            holdout,
            schema.target,
            models=settings["models"],
            epochs=settings["epochs"],
            max_rows=settings["max_rows"],
            seed=settings["seed"],
            text_format=text_format(settings["text"]),
            settings=finetune_settings(settings["training"], epochs=settings["epochs"]),
            device=settings["device"],
            progress=self._progress(step),
            schema=schema,
        )
        write_json(out / "transformers.json", result.to_dict())
        # As MetricResults too, so the evaluation step adds them to the report as they are.
        write_json(out / "metrics.json", [m.to_dict() for m in result.metrics()])
        result.table().to_csv(out / "transformers.csv")
        return {"seconds": round(result.seconds, 3)}

    def _compare(self, step: Step, out: Path) -> dict[str, Any]:
        from synthera.pipeline.reports import load_report
        from synthera.report.report import Comparison

        reports = [
            load_report(self._folder(f"evaluate/{name}") / "report.json")
            for name in step.settings["generators"]
        ]
        comparison = Comparison(reports)
        (out / "comparison.json").write_text(comparison.to_json() + "\n", encoding="utf-8")
        comparison.to_html(out / "comparison.html")
        return {"generators": comparison.names}


def read_run(output: Path) -> dict[str, Any]:
    """The record (`run.json`) of the last run written to an output folder."""
    return dict(json.loads((output / RUN_FILE).read_text(encoding="utf-8")))
