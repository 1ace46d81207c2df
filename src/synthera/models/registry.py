"""Synthesizers by name, so the CLI, server and benchmark build them without import lists.

Built-in models are listed by import path and imported only when asked for, so that
`synthera models` stays fast and a model whose optional dependency is missing does not
break the others. Third-party models register with `register_synthesizer`.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from synthera.errors import UnknownModelError
from synthera.models.base import Synthesizer

# name -> "module:Class"; the first name that imports is the default.
BUILTIN_SYNTHESIZERS: dict[str, str] = {
    "gaussian_copula": "synthera.models.copula:GaussianCopula",
    "ctgan": "synthera.models.ctgan:CTGAN",
    "tvae": "synthera.models.tvae:TVAE",
    "autoregressive": "synthera.models.autoregressive:AutoregressiveSynthesizer",
    "aim": "synthera.models.marginal:AIMSynthesizer",
}
DEFAULT_PREFERENCE = ("autoregressive", "gaussian_copula")

_registered: dict[str, type[Synthesizer]] = {}


@dataclass(frozen=True)
class SynthesizerInfo:
    name: str
    description: str
    available: bool
    reason: str = ""  # why it is unavailable (missing optional dependency)


def register_synthesizer(cls: type[Synthesizer]) -> type[Synthesizer]:
    """Class decorator: make a synthesizer buildable by its `name`."""
    _registered[cls.name] = cls
    return cls


def synthesizer_class(name: str) -> type[Synthesizer]:
    if name in _registered:
        return _registered[name]
    if name not in BUILTIN_SYNTHESIZERS:
        known = ", ".join(sorted({*BUILTIN_SYNTHESIZERS, *_registered}))
        raise UnknownModelError(f"no model named {name!r} (available: {known})")
    module_name, class_name = BUILTIN_SYNTHESIZERS[name].split(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise UnknownModelError(
            f"model {name!r} needs an optional dependency that is not installed: {exc.name}"
        ) from None
    cls: type[Synthesizer] = getattr(module, class_name)
    _registered[name] = cls
    return cls


def get_synthesizer(name: str | None = None, **params: Any) -> Synthesizer:
    """A new, unfitted synthesizer; without a name, the best one available."""
    return synthesizer_class(name or default_synthesizer_name()).from_params(params)


def default_synthesizer_name() -> str:
    for name in DEFAULT_PREFERENCE:
        try:
            synthesizer_class(name)
        except UnknownModelError:
            continue
        return name
    raise UnknownModelError("no synthesizer can be imported; reinstall synthera")


def private_synthesizer_names() -> list[str]:
    """Installed models that can train with differential privacy."""
    names = []
    for name in sorted({*BUILTIN_SYNTHESIZERS, *_registered}):
        try:
            if synthesizer_class(name).supports_privacy:
                names.append(name)
        except UnknownModelError:
            continue
    return names


def available_synthesizers() -> list[SynthesizerInfo]:
    infos = []
    for name in sorted({*BUILTIN_SYNTHESIZERS, *_registered}):
        try:
            cls = synthesizer_class(name)
        except UnknownModelError as exc:
            infos.append(SynthesizerInfo(name, "", available=False, reason=str(exc)))
            continue
        infos.append(SynthesizerInfo(name, cls.description, available=True))
    return infos
