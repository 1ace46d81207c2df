"""The pipeline file: one YAML document that declares a whole run, checked by pydantic.

Every section has documented defaults and refuses unknown keys; a mistake is reported
as one line naming the file, the line and the key (see `source`). Model names and their
parameters are checked against the registry. Relative paths are read from the folder
that holds the pipeline file, so a pipeline runs the same from any directory.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from synthera.errors import SyntheraError, one_line
from synthera.pipeline.source import (
    KeyPath,
    PipelineConfigError,
    describe_error,
    format_key,
    line_of,
    parse_yaml,
)

if TYPE_CHECKING:
    from synthera.transformer_eval.finetune import FinetuneSettings
    from synthera.transformer_eval.rows_as_text import TextFormat

__all__ = ["FAMILIES", "Pipeline", "PipelineConfig", "PipelineConfigError", "load_pipeline"]

Family = Literal["fidelity", "utility", "privacy", "fairness"]
FAMILIES: tuple[Family, ...] = ("fidelity", "utility", "privacy", "fairness")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")  # a folder name and an MLflow key part


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


class DataConfig(_Section):
    """Where the real table comes from: a file or a built-in table (exactly one)."""

    path: str | None = None
    """CSV (plain, .gz, inside a .zip) or Parquet file, relative to the pipeline file."""
    builtin: Literal["penguins"] | None = None
    """A table shipped with Synthera: `penguins` (target `Species`, sensitive `Sex`)."""
    delimiter: str | None = None
    """CSV field delimiter; sniffed when left out."""
    missing_values: list[str] | None = None
    """Cell values read as missing (replaces the defaults, e.g. `["?"]`)."""
    encoding: str | None = None
    """Text encoding; UTF-8, then Windows-1252, then Latin-1 are tried when left out."""
    member: str | None = None
    """The CSV to read from a zip archive that holds several."""
    columns: list[str] | None = None
    """Read only these columns, in this order."""

    @model_validator(mode="after")
    def _one_source(self) -> DataConfig:
        if (self.path is None) == (self.builtin is None):
            raise ValueError("give exactly one of 'path' (a table file) or 'builtin' (penguins)")
        return self


class SchemaConfig(_Section):
    """The schema: inferred from the training rows (or read from a file), then overridden."""

    file: str | None = None
    """A schema JSON (from `synthera schema infer`) to start from instead of inferring."""
    target: str | None = None
    """The target column (enables utility, fairness and transformer evaluation)."""
    sensitive: list[str] | None = None
    """Sensitive columns (fairness). A built-in table brings its own when left out."""
    kinds: dict[str, str] = Field(default_factory=dict)
    """Column kinds to force, e.g. `{zip: categorical}`."""
    drop: list[str] = Field(default_factory=list)
    """Columns left out of everything."""
    rare_threshold: int | None = Field(default=None, ge=0)
    """Fold categories seen in fewer rows than this into one level (0 = off)."""

    @field_validator("kinds")
    @classmethod
    def _known_kinds(cls, kinds: dict[str, str]) -> dict[str, str]:
        from synthera.schema import parse_kind

        for column, kind in kinds.items():
            try:
                parse_kind(kind, column=column)
            except SyntheraError as exc:
                raise ValueError(str(exc)) from None
        return kinds


class SplitConfig(_Section):
    """How the real rows are split into training rows and a holdout never trained on."""

    holdout_fraction: float = Field(default=0.2, gt=0, lt=1)
    """Share of the rows held out (seeded)."""
    stratify: bool = True
    """Keep the target's class mix on both sides."""
    holdout_path: str | None = None
    """A separate holdout table; then the data is not split."""
    max_rows: int | None = Field(default=None, ge=20)
    """Use a seeded subsample of this many rows before splitting (quick runs)."""


class SampleConfig(_Section):
    """What is generated from a fitted model."""

    rows: int | None = Field(default=None, ge=1)
    """How many rows; as many as the training rows when left out."""
    conditions: dict[str, Any] | None = None
    """Fix columns of every generated row, e.g. `{sex: Female}`."""
    seed: int | None = None
    """Sampling seed; the run's seed when left out."""
    format: Literal["csv", "parquet"] = "csv"
    """File format of the synthetic table."""


class GeneratorConfig(_Section):
    """One generator: a registered model, its parameters and, optionally, a privacy budget."""

    name: str
    """A unique name for this generator (folder names, reports, MLflow)."""
    model: str | None = None
    """A model from `synthera models`; the default model when left out."""
    params: dict[str, Any] = Field(default_factory=dict)
    """The model's hyper-parameters, e.g. `{epochs: 50}`."""
    privacy: dict[str, Any] | None = None
    """Train with differential privacy: `{epsilon: 1.0}` (also delta, max_grad_norm, accountant)."""
    seed: int | None = None
    """Training seed; the run's seed when left out."""
    sample: SampleConfig = Field(default_factory=SampleConfig)
    """What to generate once fitted."""

    @field_validator("name")
    @classmethod
    def _plain_name(cls, name: str) -> str:
        if not _NAME.match(name):
            raise ValueError(
                f"generator name {name!r} may hold only letters, digits, '_', '-' and '.'"
            )
        return name

    @field_validator("privacy")
    @classmethod
    def _privacy_spec(cls, privacy: dict[str, Any] | None) -> dict[str, Any] | None:
        from synthera.privacy.spec import PrivacySpec

        try:
            PrivacySpec.coerce(privacy)
        except SyntheraError as exc:
            raise ValueError(str(exc)) from None
        return privacy


class TransformersConfig(_Section):
    """BERT-family classifiers fine-tuned on real and on synthetic rows (needs a target)."""

    models: list[str] = Field(default_factory=lambda: ["default"], min_length=1)
    """`default` (all-MiniLM-L6-v2, shipped in a package) or local checkpoint directories."""
    epochs: int = Field(default=2, ge=1)
    """Fine-tuning epochs per model and table."""
    max_rows: int = Field(default=5000, ge=10)
    """Rows per table used for fine-tuning (seeded subsample)."""
    device: str = "auto"
    """`auto` (GPU when present), `cpu` or `cuda`."""
    seed: int | None = None
    """The run's seed when left out."""
    text: dict[str, Any] = Field(default_factory=dict)
    """How a row is written: `template` (`"{column}: {value}"`), `separator` (`"; "`),
    `columns` (which, in order; the target never), `missing` (`"unknown"`)."""
    training: dict[str, Any] = Field(default_factory=dict)
    """Finer fine-tuning settings (`FinetuneSettings`): `batch_size`, `learning_rate`,
    `max_length`, `patience`, `max_steps`, ...; `epochs` above wins."""

    @field_validator("training")
    @classmethod
    def _training(cls, training: dict[str, Any]) -> dict[str, Any]:
        try:
            finetune_settings(training, epochs=1)
        except SyntheraError as exc:
            raise ValueError(str(exc)) from None
        return training

    @field_validator("text")
    @classmethod
    def _text_format(cls, text: dict[str, Any]) -> dict[str, Any]:
        from synthera.transformer_eval.rows_as_text import TextFormat

        known = [f.name for f in dataclasses.fields(TextFormat)]
        for key in text:
            if key not in known:
                raise ValueError(f"unknown text setting {key!r} (known: {', '.join(known)})")
        try:
            text_format(text)
        except SyntheraError as exc:
            raise ValueError(str(exc)) from None
        return text


def finetune_settings(training: Mapping[str, Any], *, epochs: int) -> FinetuneSettings:
    """The `FinetuneSettings` of a transformer section's `training` settings."""
    from synthera.transformer_eval.finetune import FinetuneSettings

    known = [f.name for f in dataclasses.fields(FinetuneSettings)]
    unknown = [key for key in training if key not in known]
    if unknown:
        raise PipelineConfigError(
            f"unknown training setting {unknown[0]!r} (known: {', '.join(known)})"
        )
    return FinetuneSettings(**{**training, "epochs": epochs})


def text_format(text: Mapping[str, Any]) -> TextFormat:
    """The `TextFormat` of a transformer section's `text` settings."""
    from synthera.transformer_eval.rows_as_text import TextFormat

    options: dict[str, Any] = dict(text)
    if options.get("columns") is not None:
        options["columns"] = tuple(options["columns"])
    return TextFormat(**options)


class EvaluateConfig(_Section):
    """How each synthetic table is judged against the real holdout."""

    families: list[Family] = Field(default_factory=lambda: list(FAMILIES))
    """Metric families to report: fidelity, utility, privacy, fairness (`[]`: none)."""
    limits: dict[str, int | None] = Field(default_factory=dict)
    """Row caps of the evaluation (see `EvaluationLimits`), e.g. `{utility_rows: 5000}`."""
    seed: int | None = None
    """Evaluation seed; the run's seed when left out."""
    transformers: TransformersConfig | None = None
    """Transformer evaluation; off when left out."""

    @field_validator("families")
    @classmethod
    def _no_repeats(cls, families: list[Family]) -> list[Family]:
        return list(dict.fromkeys(families))

    @field_validator("limits")
    @classmethod
    def _known_limits(cls, limits: dict[str, int | None]) -> dict[str, int | None]:
        from synthera.evaluation import EvaluationLimits

        known = [f.name for f in dataclasses.fields(EvaluationLimits)]
        for key in limits:
            if key not in known:
                raise ValueError(f"unknown limit {key!r} (known: {', '.join(known)})")
        return limits


class ReportsConfig(_Section):
    """Which pages are written beside the JSON results."""

    html: bool = True
    """A self-contained HTML report per generator."""
    comparison: bool = True
    """A side-by-side comparison page when there are two generators or more."""


class TrackingConfig(_Section):
    """Logging the run to MLflow (needs `synthera[tracking]`); `--track` turns it on."""

    enabled: bool = False
    """Log every run of this pipeline."""
    uri: str | None = None
    """Tracking URI; `$MLFLOW_TRACKING_URI`, else a SQLite store in the output folder."""
    experiment: str = "synthera"
    """The MLflow experiment."""
    run_name: str | None = None
    """The MLflow run name; the pipeline's name when left out."""
    log_models: bool = True
    """Log each fitted model directory as an artifact."""


class PipelineConfig(_Section):
    """A whole run: data, schema, split, generators, evaluations, reports, tracking."""

    version: Literal[1] = 1
    """Format version of the pipeline file."""
    name: str | None = None
    """The run's name; the file name (without `.yaml`) when left out."""
    seed: int = 0
    """The seed of every step that does not set its own."""
    output: str | None = None
    """Output folder, relative to the pipeline file; `<name>-output` beside it when left out."""
    data: DataConfig
    table_schema: SchemaConfig = Field(default_factory=SchemaConfig, alias="schema")
    split: SplitConfig = Field(default_factory=SplitConfig)
    generators: list[GeneratorConfig] = Field(min_length=1)
    evaluate: EvaluateConfig = Field(default_factory=EvaluateConfig)
    reports: ReportsConfig = Field(default_factory=ReportsConfig)
    tracking: TrackingConfig = Field(default_factory=TrackingConfig)

    @field_validator("name")
    @classmethod
    def _plain_name(cls, name: str | None) -> str | None:
        if name is not None and not _NAME.match(name):
            raise ValueError(f"name {name!r} may hold only letters, digits, '_', '-' and '.'")
        return name

    @model_validator(mode="after")
    def _unique_generators(self) -> PipelineConfig:
        names = [g.name for g in self.generators]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"generator name {', '.join(map(repr, repeated))} is used twice")
        return self


@dataclass(frozen=True)
class Pipeline:
    """A checked pipeline file: its settings, where it lives and where its outputs go."""

    config: PipelineConfig
    source: Path  # the YAML file
    name: str
    output: Path

    @property
    def base_dir(self) -> Path:
        return self.source.parent

    def resolve(self, path: str) -> Path:
        """A path from the file, read relative to the file's folder."""
        candidate = Path(path).expanduser()
        return candidate if candidate.is_absolute() else self.base_dir / candidate


# ---- loading ---------------------------------------------------------------------------


def load_pipeline(
    path: str | Path, *, output: str | Path | None = None, track: bool | None = None
) -> Pipeline:
    """Read and check a pipeline file; `output` and `track` override the file's settings."""
    source = Path(path).expanduser()
    if not source.is_file():
        raise PipelineConfigError(f"pipeline file not found: {source}")
    try:
        text = source.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise PipelineConfigError(f"{source} is not UTF-8 text") from None
    data, lines = parse_yaml(text, str(source))
    if not isinstance(data, Mapping):
        raise PipelineConfigError(f"{source}: a pipeline file is a mapping of sections (data: ...)")
    try:
        config = PipelineConfig.model_validate(data)
    except ValidationError as exc:
        raise PipelineConfigError(describe_error(exc, lines, str(source), PipelineConfig)) from None
    if track is not None:
        config = config.model_copy(
            update={"tracking": config.tracking.model_copy(update={"enabled": track})}
        )
    check_generators(config, lines, str(source))
    name = config.name or source.stem
    if output is not None:
        out = Path(output).expanduser()
    elif config.output is not None:
        out = Path(config.output).expanduser()
        out = out if out.is_absolute() else source.parent / out
    else:
        out = source.parent / f"{name}-output"
    return Pipeline(config=config, source=source, name=name, output=out)


# ---- checks that need the model registry -----------------------------------------------


def check_generators(config: PipelineConfig, lines: Mapping[KeyPath, int], label: str) -> None:
    """Each generator names a registered model, parameters it takes, and privacy only
    where the model can train with it."""
    from synthera.models.registry import default_synthesizer_name, synthesizer_class

    for index, generator in enumerate(config.generators):
        where: list[str | int] = ["generators", index]
        try:
            cls = synthesizer_class(generator.model or default_synthesizer_name())
        except SyntheraError as exc:
            at = [*where, "model"]
            raise PipelineConfigError(
                one_line(f"{label}, line {line_of(at, lines)}: {format_key(at)}: {exc}")
            ) from None
        taken = cls.param_names()
        for param in generator.params:
            if param not in taken:
                at = [*where, "params", param]
                close = difflib.get_close_matches(param, taken, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise PipelineConfigError(
                    one_line(
                        f"{label}, line {line_of(at, lines)}: {format_key(at)}: {cls.name} has "
                        f"no parameter {param!r} (it takes: {', '.join(taken) or 'none'}){hint}"
                    )
                )
        try:
            cls.from_params(generator.params)  # the model's own checks of each value
        except SyntheraError as exc:
            # Point at the parameter the model's message names, when it names one.
            named = [p for p in generator.params if re.search(rf"\b{re.escape(p)}\b", str(exc))]
            at = [*where, "params", *named[:1]]
            text = str(exc) if str(exc).startswith(cls.name) else f"{cls.name}: {exc}"
            raise PipelineConfigError(
                one_line(f"{label}, line {line_of(at, lines)}: {format_key(at)}: {text}")
            ) from None
        if generator.privacy is not None and not getattr(cls, "supports_privacy", False):
            at = [*where, "privacy"]
            raise PipelineConfigError(
                one_line(
                    f"{label}, line {line_of(at, lines)}: {format_key(at)}: {cls.name} cannot "
                    f"train with differential privacy (models that can: {_private_models()})"
                )
            )


def _private_models() -> str:
    from synthera.models import registry

    names: list[str] = getattr(registry, "private_synthesizer_names", lambda: [])()
    return ", ".join(names) or "none installed"
