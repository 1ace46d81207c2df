"""Matrix products in bfloat16 where the hardware multiplies bfloat16 natively.

CPUs with AVX512-BF16 or AMX, and CUDA GPUs from Ampere on, multiply bfloat16 matrices
several times faster than float32 ones (on a 2-core AVX512-BF16 CPU: 4-5× for CTGAN's
layer sizes), accumulating in float32. The networks keep their weights, optimiser state
and every other operation in float32 and only round the two factors of each product to
bfloat16 (8 significant bits), as automatic mixed precision does; the product comes
back as float32. `precision="float32"` keeps every product in float32.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn
from torch.nn import functional

from synthera.errors import ParameterError

Precision = Literal["auto", "float32", "bfloat16"]
PRECISIONS: tuple[str, ...] = ("auto", "float32", "bfloat16")


def check_precision(value: str) -> Precision:
    if value not in PRECISIONS:
        raise ParameterError(f"precision must be one of {', '.join(PRECISIONS)}, not {value!r}")
    return value  # type: ignore[return-value]


def matmul_dtype(precision: Precision, device: torch.device) -> torch.dtype | None:
    """The dtype for matrix products on `device`: bfloat16, or None (float32)."""
    if precision == "float32":
        return None
    if precision == "bfloat16" or native_bfloat16(device):
        return torch.bfloat16
    return None


def native_bfloat16(device: torch.device) -> bool:
    """Whether `device` multiplies bfloat16 matrices in hardware (not by emulation)."""
    if device.type == "cuda":
        return torch.cuda.get_device_capability(device)[0] >= 8
    if device.type == "cpu":
        capabilities = torch.cpu.get_capabilities()
        return bool(capabilities.get("avx512_bf16") or capabilities.get("amx_bf16"))
    return False


def linear(layer: nn.Linear, x: torch.Tensor, dtype: torch.dtype | None) -> torch.Tensor:
    """`layer(x)`, its product in `dtype` (None: the layer itself, so that hooks such as
    Opacus' per-sample gradients still see the call)."""
    if dtype is None:
        return layer(x)
    bias = None if layer.bias is None else layer.bias.to(dtype)
    return functional.linear(x.to(dtype), layer.weight.to(dtype), bias).float()


def matmul(a: torch.Tensor, b: torch.Tensor, dtype: torch.dtype | None) -> torch.Tensor:
    """a @ b, the product in `dtype` (None: float32)."""
    if dtype is None:
        return a @ b
    return (a.to(dtype) @ b.to(dtype)).float()
