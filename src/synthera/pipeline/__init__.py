"""Pipelines: a whole run (data, split, generators, evaluations, reports) declared in one
YAML file, each step cached by a hash of its inputs, optionally logged to MLflow.

`load_pipeline(path)` checks the file, `build_plan` lists the steps, `run_pipeline` runs
the ones whose inputs changed.
"""

from synthera.pipeline.config import Pipeline, PipelineConfig, PipelineConfigError, load_pipeline
from synthera.pipeline.plan import Plan, build_plan, format_plan
from synthera.pipeline.run import RunResult, run_pipeline

__all__ = [
    "Pipeline",
    "PipelineConfig",
    "PipelineConfigError",
    "Plan",
    "RunResult",
    "build_plan",
    "format_plan",
    "load_pipeline",
    "run_pipeline",
]
