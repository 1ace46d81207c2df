"""Seeded randomness for torch: one torch.Generator per fit or sample call.

Every random draw of the neural models (noise, Gumbel noise, dropout masks, batch
indices) goes through an explicit generator derived from our NumPy generator, never the
global torch RNG: a seed gives the same rows on the same hardware, and two fits running
in threads of one server do not disturb each other.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from synthera.seeding import derive_seed


def torch_generator(rng: np.random.Generator, device: torch.device) -> torch.Generator:
    """A torch generator on `device`, seeded from `rng` (which advances by one draw)."""
    generator = torch.Generator(device=device)
    generator.manual_seed(derive_seed(rng))
    return generator


def seeded_dropout(x: torch.Tensor, p: float, generator: torch.Generator) -> torch.Tensor:
    """Inverted dropout like `torch.nn.functional.dropout(training=True)`, drawing its
    mask from `generator` (the built-in one only uses the global RNG)."""
    if p <= 0.0:
        return x
    return x * dropout_mask(x.shape, p, x, generator)


def dropout_mask(
    shape: torch.Size, p: float, like: torch.Tensor, generator: torch.Generator
) -> torch.Tensor:
    """Inverted dropout's factors: 0 with probability p, else 1 / (1 - p) (in place on
    one tensor: the masks are drawn every step, so allocations count)."""
    mask = torch.rand(shape, device=like.device, dtype=like.dtype, generator=generator)
    return mask.ge_(p).mul_(1.0 / (1.0 - p))


def gumbel_noise(shape: torch.Size, like: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Standard Gumbel noise, -log(-log(U)) with U uniform in (0, 1), kept finite.

    (From uniforms rather than `exponential_`: several times faster on the CPU; in place,
    as it is drawn for every generated row.)"""
    tiny = torch.finfo(like.dtype).tiny
    uniform = torch.rand(shape, device=like.device, dtype=like.dtype, generator=generator)
    # -log(U) is Exp(1) and > 0; minus its log is Gumbel.
    return uniform.clamp_min_(tiny).log_().neg_().clamp_min_(tiny).log_().neg_()


def init_linear_layers(module: torch.nn.Module, generator: torch.Generator) -> None:
    """Re-draw every Linear layer's weights as PyTorch's default initialisation does
    (Kaiming-uniform weights, uniform biases), but from `generator`: the default draws
    from the global RNG, so two seeded fits would start from different networks."""
    for layer in module.modules():
        if isinstance(layer, torch.nn.Linear):
            torch.nn.init.kaiming_uniform_(layer.weight, a=math.sqrt(5), generator=generator)
            if layer.bias is not None:
                bound = 1 / math.sqrt(layer.in_features) if layer.in_features else 0.0
                torch.nn.init.uniform_(layer.bias, -bound, bound, generator=generator)
