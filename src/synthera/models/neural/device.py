"""Which torch device a model runs on."""

from __future__ import annotations

import torch

from synthera.errors import ParameterError


def resolve_device(name: str, *, strict: bool = True) -> torch.device:
    """`"auto"` → the first CUDA GPU when one is present, else the CPU; otherwise the
    named device (`"cpu"`, `"cuda"`, `"cuda:1"`), checked to exist. With `strict=False`
    (a saved model loaded on another machine) a missing GPU means the CPU instead."""
    if name == "auto" or (not strict and name.startswith("cuda") and not _has_gpu(name)):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise ParameterError(f"unknown device {name!r} (use 'auto', 'cpu' or 'cuda')") from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ParameterError(f"device {name!r} asked for, but no CUDA GPU is available")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise ParameterError(
                f"device {name!r} asked for, but only {torch.cuda.device_count()} GPU(s) exist"
            )
    elif device.type != "cpu":
        raise ParameterError(f"device {name!r} is not supported (use 'auto', 'cpu' or 'cuda')")
    return device


def _has_gpu(name: str) -> bool:
    if not torch.cuda.is_available():
        return False
    index = torch.device(name).index
    return index is None or index < torch.cuda.device_count()


def check_device_name(name: str) -> str:
    """Validate a device name at construction time without touching the hardware."""
    if not isinstance(name, str) or not (
        name in ("auto", "cpu", "cuda") or name.startswith("cuda:")
    ):
        raise ParameterError(f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N', not {name!r}")
    return name
