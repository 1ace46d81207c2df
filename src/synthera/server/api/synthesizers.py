"""GET /synthesizers: the registry's models and the parameters of their `__init__`.

The page builds its settings form from this, so a new model (or a new parameter, or
differential privacy through an ε parameter) appears without a change here.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from typing import Any

from fastapi import APIRouter

from synthera.errors import UnknownModelError
from synthera.models.registry import (
    available_synthesizers,
    default_synthesizer_name,
    synthesizer_class,
)
from synthera.server.api.deps import CurrentUser
from synthera.server.api.schemas import ParamOut, SynthesizerOut
from synthera.server.jsonsafe import json_safe

router = APIRouter(prefix="/synthesizers", tags=["synthesizers"])
PRIVACY_PARAMS = ("epsilon", "target_epsilon", "dp_epsilon")


def describe_params(cls: type) -> list[ParamOut]:
    params = []
    for name, parameter in inspect.signature(cls.__init__).parameters.items():  # type: ignore[misc]
        if name == "self" or parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        required = parameter.default is inspect.Parameter.empty
        params.append(
            ParamOut(
                name=name,
                type=_type_name(parameter.annotation),
                default=None if required else json_safe(parameter.default),
                required=required,
            )
        )
    return params


def _type_name(annotation: Any) -> str:
    if annotation is inspect.Parameter.empty:
        return "any"
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    return str(text or annotation).replace("typing.", "")


@functools.cache
def catalog() -> tuple[SynthesizerOut, ...]:
    """The registry's models, described once per process (importing them can take seconds,
    so the app warms this up in the background at start)."""
    try:
        default = default_synthesizer_name()
    except UnknownModelError:
        default = None
    out = []
    for info in available_synthesizers():
        params: list[ParamOut] = []
        if info.available:
            with contextlib.suppress(UnknownModelError):
                params = describe_params(synthesizer_class(info.name))
        names = [p.name for p in params]
        out.append(
            SynthesizerOut(
                name=info.name,
                description=info.description,
                available=info.available,
                reason=info.reason,
                is_default=info.name == default,
                params=params,
                privacy_param=next((n for n in PRIVACY_PARAMS if n in names), None),
            )
        )
    return tuple(out)


@router.get("", response_model=list[SynthesizerOut])
def list_synthesizers(user: CurrentUser) -> list[SynthesizerOut]:
    return list(catalog())
