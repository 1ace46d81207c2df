"""The JSON shapes of requests and answers, as the OpenAPI page documents them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field


class Message(BaseModel):
    detail: str


class Created(BaseModel):
    id: str


class Health(BaseModel):
    status: str
    version: str
    needs_setup: bool


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"


class Credentials(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class SetupIn(Credentials):
    token: str = Field(min_length=1, max_length=256)


class NewUser(Credentials):
    is_admin: bool = False


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    username: str
    is_admin: bool
    created_at: datetime


class SessionOut(BaseModel):
    user: UserOut
    csrf_token: str | None = None


class ParamOut(BaseModel):
    name: str
    type: str
    default: Any = None
    required: bool


class SynthesizerOut(BaseModel):
    name: str
    description: str
    available: bool
    reason: str = ""
    is_default: bool = False  # the registry's first choice
    params: list[ParamOut] = []
    privacy_param: str | None = None  # the ε parameter when the model supports privacy


class JobOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: str
    target_id: str
    status: str
    progress: dict[str, Any]
    error: str | None
    cancel_requested: bool
    attempts: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class JobDetail(JobOut):
    log: str


class DatasetOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    owner_id: str
    project_id: str | None
    name: str
    file_format: str
    size_bytes: int
    n_rows: int
    n_train: int
    n_holdout: int
    holdout_fraction: float
    seed: int
    columns: list[str]
    schema_: dict[str, Any] = Field(alias="schema", serialization_alias="schema")
    notes: list[str]
    created_at: datetime


class DatasetProjectIn(BaseModel):
    project_id: str | None = Field(max_length=32)


class ProjectIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)


class MemberIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)


class MemberOut(BaseModel):
    id: str
    username: str
    added_at: datetime


class ProjectOut(BaseModel):
    id: str
    name: str
    owner_id: str
    created_at: datetime
    members: list[MemberOut]


class Preview(BaseModel):
    columns: list[str]
    rows: list[list[Any]]
    n_rows: int


class SchemaIn(BaseModel):
    """A schema as `Schema.to_dict` writes it: columns with kinds, target, sensitive."""

    model_config = ConfigDict(extra="allow")

    columns: list[dict[str, Any]]
    target: str | None = None
    sensitive: list[str] = []
    rare_threshold: int = Field(default=0, ge=0)


class RunIn(BaseModel):
    dataset_id: str = Field(max_length=32)
    synthesizer: str = Field(max_length=64)
    params: dict[str, Any] = {}
    seed: int | None = Field(default=0, ge=0, le=2**31 - 1)


class RunOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    dataset_id: str
    synthesizer: str
    params: dict[str, Any]
    seed: int | None
    fit_seconds: float | None
    created_at: datetime
    job: JobOut


class SyntheticIn(BaseModel):
    run_id: str = Field(max_length=32)
    n_rows: int = Field(ge=1, le=10_000_000)
    seed: int | None = Field(default=0, ge=0, le=2**31 - 1)
    conditions: dict[str, str | int | float | bool] | None = None
    rebalance: str | None = Field(default=None, max_length=255)
    # The class mix for `rebalance` ({"a": 0.7, "b": 0.3}, any non-negative weights);
    # without it every class gets an equal share.
    ratios: dict[str, Annotated[float, Field(ge=0, allow_inf_nan=False)]] | None = Field(
        default=None, max_length=1000
    )


class SyntheticOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    dataset_id: str
    run_id: str
    n_rows: int
    seed: int | None
    conditions: dict[str, Any] | None
    rebalance: str | None
    ratios: dict[str, float] | None
    created_at: datetime
    job: JobOut


class EvaluationIn(BaseModel):
    synthetic_id: str = Field(max_length=32)


class FigureOut(BaseModel):
    section: str  # fidelity, utility, privacy or fairness
    group: str  # figures of one group sit side by side under one heading
    heading: str
    label: str  # what the chart shows, in words
    tall: bool
    figure: dict[str, Any]  # Plotly JSON: data and layout


class FiguresOut(BaseModel):
    """The HTML report's charts; every figure's layout uses `template`, sent once."""

    template: dict[str, Any] | None
    figures: list[FigureOut]


class EvaluationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    dataset_id: str
    synthetic_id: str
    created_at: datetime
    job: JobOut
