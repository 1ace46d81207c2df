"""The steps of a pipeline, their cache keys, and the plan that `--dry-run` prints.

prepare ─▶ fit/<g> ─▶ sample/<g> ─▶ (transformers/<g> ─▶) evaluate/<g> ─▶ compare

One `prepare` step reads, splits and describes the real table; each generator `g` has
its own fit, sample and evaluation steps (a transformer table, when asked for, joins its
report); `compare` puts the evaluations side by side.
A step's key hashes its settings, the files it reads and the keys of the steps it needs.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from synthera.pipeline.cache import StepCache, file_digest, step_key
from synthera.pipeline.config import GeneratorConfig, Pipeline

StepKind = Literal["prepare", "fit", "sample", "evaluate", "transformers", "compare"]


@dataclass(frozen=True)
class Step:
    """One unit of work, cached on its own."""

    id: str  # also its folder under the output folder: "prepare", "fit/ctgan", ...
    kind: StepKind
    settings: dict[str, Any]  # everything besides files and upstream steps that decides it
    needs: tuple[str, ...] = ()
    files: dict[str, Path] = field(default_factory=dict)  # inputs whose bytes are hashed
    generator: str | None = None
    summary: str = ""  # one line for the printed plan


@dataclass(frozen=True)
class Roles:
    """The target and sensitive columns, after a built-in table's defaults are applied."""

    target: str | None
    sensitive: tuple[str, ...] | None


@dataclass
class Plan:
    pipeline: Pipeline
    steps: list[Step]
    keys: dict[str, str]  # step id -> key
    roles: Roles

    def step(self, step_id: str) -> Step:
        return next(s for s in self.steps if s.id == step_id)

    def generator(self, name: str) -> GeneratorConfig:
        return next(g for g in self.pipeline.config.generators if g.name == name)

    def reusable(self, cache: StepCache) -> dict[str, bool]:
        """Which steps a run would reuse: those finished before with the same key (a key
        holds the keys of the steps it needs, so a change reruns everything after it)."""
        return {s.id: cache.lookup(s.id, self.keys[s.id]) is not None for s in self.steps}


def build_plan(pipeline: Pipeline) -> Plan:
    """The steps in the order they run, each with its key."""
    from synthera.models.registry import default_synthesizer_name

    config = pipeline.config
    roles = _roles(pipeline)
    steps = [_prepare_step(pipeline, roles)]
    evaluated = []
    for generator in config.generators:
        name = generator.name
        model = generator.model or default_synthesizer_name()
        seed = config.seed if generator.seed is None else generator.seed
        privacy = f" with ε={generator.privacy['epsilon']:g}" if generator.privacy else ""
        params = f" {_short(generator.params)}" if generator.params else ""
        steps.append(
            Step(
                id=f"fit/{name}",
                kind="fit",
                generator=name,
                needs=("prepare",),
                settings={
                    "model": model,
                    "params": generator.params,
                    "privacy": generator.privacy,
                    "seed": seed,
                },
                summary=f"fit {model}{params}{privacy}, seed {seed}",
            )
        )
        sample = generator.sample
        sample_seed = config.seed if sample.seed is None else sample.seed
        rows = f"{sample.rows:,} rows" if sample.rows else "as many rows as the training table"
        conditions = f" where {_short(sample.conditions)}" if sample.conditions else ""
        steps.append(
            Step(
                id=f"sample/{name}",
                kind="sample",
                generator=name,
                needs=(f"fit/{name}",),
                settings=sample.model_dump() | {"seed": sample_seed},
                summary=f"sample {rows}{conditions}, seed {sample_seed} "
                f"→ synthetic.{sample.format}",
            )
        )
        evaluation = config.evaluate
        judged_by: tuple[str, ...] = ()
        if evaluation.transformers is not None:
            tf = evaluation.transformers
            models = [m if m == "default" else str(pipeline.resolve(m)) for m in tf.models]
            tf_seed = config.seed if tf.seed is None else tf.seed
            steps.append(
                Step(
                    id=f"transformers/{name}",
                    kind="transformers",
                    generator=name,
                    needs=("prepare", f"sample/{name}"),
                    settings=tf.model_dump() | {"models": models, "seed": tf_seed},
                    summary=f"fine-tune {', '.join(tf.models)} on real and on synthetic rows, "
                    f"{tf.epochs} epoch(s), ≤{tf.max_rows:,} rows → transformers.json",
                )
            )
            judged_by = (f"transformers/{name}",)  # its table joins the report
        if evaluation.families:
            eval_seed = config.seed if evaluation.seed is None else evaluation.seed
            html = " → report.html" if config.reports.html else ""
            steps.append(
                Step(
                    id=f"evaluate/{name}",
                    kind="evaluate",
                    generator=name,
                    # fit: the report states the model's privacy guarantee from its header.
                    needs=("prepare", f"fit/{name}", f"sample/{name}", *judged_by),
                    settings={
                        "families": evaluation.families,
                        "limits": evaluation.limits,
                        "seed": eval_seed,
                        "html": config.reports.html,
                    },
                    summary=f"evaluate {', '.join(evaluation.families)} on the holdout{html}",
                )
            )
            evaluated.append(name)
    if config.reports.comparison and len(evaluated) >= 2:
        steps.append(
            Step(
                id="compare",
                kind="compare",
                needs=tuple(f"evaluate/{n}" for n in evaluated),
                settings={"generators": evaluated},
                summary=f"compare {', '.join(evaluated)} side by side → comparison.html",
            )
        )
    keys: dict[str, str] = {}
    digests: dict[Path, str] = {}
    for step in steps:
        files = {}
        for name, path in step.files.items():
            if path not in digests:
                digests[path] = _input_digest(path)
            files[name] = digests[path]
        keys[step.id] = step_key(step.kind, step.settings, files, [keys[n] for n in step.needs])
    return Plan(pipeline, steps, keys, roles)


def _prepare_step(pipeline: Pipeline, roles: Roles) -> Step:
    config = pipeline.config
    data, schema, split = config.data, config.table_schema, config.split
    files: dict[str, Path] = {}
    if data.path is not None:
        files["data"] = pipeline.resolve(data.path)
    if split.holdout_path is not None:
        files["holdout"] = pipeline.resolve(split.holdout_path)
    if schema.file is not None:
        files["schema"] = pipeline.resolve(schema.file)
    settings = {
        "data": data.model_dump(exclude={"path"}),
        "schema": schema.model_dump(exclude={"file"})
        | {"target": roles.target, "sensitive": roles.sensitive},
        "split": split.model_dump(exclude={"holdout_path"}) | {"given": "holdout" in files},
        "seed": config.seed,
        "builtin": _builtin_digest(data.builtin) if data.builtin else None,
    }
    source = data.builtin or Path(data.path or "").name
    if split.holdout_path is not None:
        how = f"holdout from {Path(split.holdout_path).name}"
    else:
        stratified = f", stratified on {roles.target!r}" if split.stratify and roles.target else ""
        how = f"hold out {split.holdout_fraction:.0%}{stratified}"
    cap = f" (≤{split.max_rows:,} rows)" if split.max_rows else ""
    schema_from = f"schema from {Path(schema.file).name}" if schema.file else "infer schema"
    return Step(
        id="prepare",
        kind="prepare",
        settings=settings,
        files=files,
        summary=f"read {source}{cap}; {how}; {schema_from}",
    )


def _roles(pipeline: Pipeline) -> Roles:
    schema = pipeline.config.table_schema
    target, sensitive = schema.target, schema.sensitive
    builtin = pipeline.config.data.builtin
    if builtin is not None and schema.file is None:
        from synthera.datasets import load_demo_table

        table = load_demo_table()
        target = table.target if target is None else target
        sensitive = list(table.sensitive) if sensitive is None else sensitive
    return Roles(target, tuple(sensitive) if sensitive is not None else None)


def _input_digest(path: Path) -> str:
    from synthera.pipeline.config import PipelineConfigError

    if not path.is_file():
        raise PipelineConfigError(f"input file not found: {path}")
    return file_digest(path)


def _builtin_digest(name: str) -> str:
    """A content hash of a built-in table, so a new package version reruns its steps."""
    from synthera.datasets import load_demo_table

    frame = load_demo_table().frame
    digest = hashlib.sha256(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    digest.update(repr([(str(c), str(t)) for c, t in frame.dtypes.items()]).encode())
    return f"{name}:{digest.hexdigest()}"


def _short(mapping: dict[str, Any] | None, limit: int = 60) -> str:
    text = "{" + ", ".join(f"{k}: {v}" for k, v in (mapping or {}).items()) + "}"
    return text if len(text) <= limit else text[: limit - 2] + "…}"


def format_plan(plan: Plan, cache: StepCache) -> list[str]:
    """The printed plan: one line per step, saying whether a run would reuse it."""
    pipeline = plan.pipeline
    reuse = plan.reusable(cache)
    tracking = pipeline.config.tracking
    lines = [
        f"pipeline {pipeline.name} ({pipeline.source}) → {pipeline.output}",
        f"seed {pipeline.config.seed}; tracking {'on' if tracking.enabled else 'off'}",
    ]
    width = max(len(s.id) for s in plan.steps)
    for step in plan.steps:
        status = "reuse" if reuse[step.id] else "run"
        lines.append(f"  {status:<5}  {step.id:<{width}}  {step.summary}")
    todo = sum(not r for r in reuse.values())
    lines.append(f"{todo} of {len(plan.steps)} steps to run, {len(plan.steps) - todo} reused")
    return lines
