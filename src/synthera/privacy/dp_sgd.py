"""DP-SGD through Opacus: plan the noise, wrap a network and its optimiser, sample
batches, and account for what training spent.

- **Plan before work.** `plan_dp_sgd` asks Opacus' accountant (PRV or RDP) for the noise
  multiplier that meets the training budget for the planned steps and sampling rate, and
  refuses budgets that no reasonable noise can meet (multiplier above
  MAX_NOISE_MULTIPLIER: the gradients would be pure noise) with one line saying what to
  change.
- **Poisson sampling.** Each step takes every row independently with probability q
  (`poisson_rows`), the sampling that the accountants' amplification analysis assumes.
  Losses are sums over rows, and the optimiser divides the noisy sum of clipped
  per-row gradients by the *expected* batch size, so nothing depends on how many rows
  a step happened to draw.
- **Per-sample clipping and noise** come from Opacus: `GradSampleModule` computes
  per-row gradients with its hooks (only layers Opacus supports: `validate` refuses
  batch norm and the like), `DPOptimizer` clips each to `max_grad_norm`, adds
  N(0, (σ·max_grad_norm)²) and steps.
- **Accounting.** `training_part` recomputes ε with a fresh accountant of the same kind
  from the steps actually taken, so the ledger states what Opacus computes for exactly
  this (σ, q, steps).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch
from opacus import GradSampleModule
from opacus.accountants import create_accountant
from opacus.accountants.utils import get_noise_multiplier
from opacus.optimizers import DPOptimizer
from opacus.validators import ModuleValidator

from synthera.errors import ParameterError
from synthera.privacy.ledger import BudgetPart

MAX_NOISE_MULTIPLIER = 50.0
EPSILON_TOLERANCE = 0.01  # how far below its share of ε the training may land


@dataclass(frozen=True)
class DpSgdPlan:
    """The noise, sampling and length of one private training run."""

    epsilon: float  # the training's share of the budget
    delta: float
    noise_multiplier: float
    sample_rate: float
    steps: int
    max_grad_norm: float
    expected_batch_size: float
    accountant: str


def training_epsilon(
    accountant: str, noise_multiplier: float, sample_rate: float, steps: int, delta: float
) -> float:
    """ε that Opacus' `accountant` ("prv" or "rdp") computes for these settings."""
    if steps == 0:
        return 0.0
    counter = create_accountant(mechanism=accountant)
    counter.history = [(noise_multiplier, sample_rate, steps)]
    # RDP notes when the optimal order is the largest alpha; PRV takes log(0) at q = 1.
    with warnings.catch_warnings(), np.errstate(divide="ignore"):
        warnings.simplefilter("ignore", UserWarning)
        return float(counter.get_epsilon(delta=delta))


def plan_dp_sgd(
    *,
    epsilon: float,
    delta: float,
    n_rows: int,
    batch_size: int,
    steps: int,
    max_grad_norm: float,
    accountant: str,
) -> DpSgdPlan:
    """The noise multiplier that meets (epsilon, delta) for `steps` Poisson-sampled steps
    of expected size `batch_size`; ParameterError when no reasonable noise can."""
    sample_rate = min(1.0, batch_size / n_rows)
    floor = training_epsilon(accountant, MAX_NOISE_MULTIPLIER, sample_rate, steps, delta)
    if floor > epsilon:
        raise ParameterError(
            f"a training budget of epsilon={epsilon:.3g} is too small for {steps:,} steps at "
            f"sampling rate {sample_rate:.3g} (even noise multiplier {MAX_NOISE_MULTIPLIER:g} "
            f"spends {floor:.3g}); use fewer epochs, a smaller batch_size or a larger epsilon"
        )
    with warnings.catch_warnings(), np.errstate(divide="ignore"):
        warnings.simplefilter("ignore", UserWarning)
        sigma = get_noise_multiplier(
            target_epsilon=epsilon,
            target_delta=delta,
            sample_rate=sample_rate,
            steps=steps,
            accountant=accountant,
            epsilon_tolerance=EPSILON_TOLERANCE,
        )
    return DpSgdPlan(
        epsilon=epsilon,
        delta=delta,
        noise_multiplier=float(sigma),
        sample_rate=sample_rate,
        steps=steps,
        max_grad_norm=max_grad_norm,
        expected_batch_size=sample_rate * n_rows,
        accountant=accountant,
    )


def private_module(module: torch.nn.Module, *, fixed_buffers: bool = False) -> GradSampleModule:
    """`module` with per-sample gradient hooks; losses must be sums over rows.
    `fixed_buffers`: let trainable layers hold buffers (Opacus refuses them, for batch
    norm's running statistics read the rows); the caller vouches that no row changes
    them, e.g. the fixed connection masks of a masked layer."""
    errors = ModuleValidator.validate(module, strict=False)
    if errors:
        raise ParameterError(f"this network cannot train under DP-SGD: {errors[0]}")
    return GradSampleModule(
        module, batch_first=True, loss_reduction="sum", strict=not fixed_buffers
    )


def private_optimizer(
    optimizer: torch.optim.Optimizer, plan: DpSgdPlan, generator: torch.Generator
) -> DPOptimizer:
    """Clip per-sample gradients, add the planned noise (drawn from `generator`) and
    average over the expected batch size."""
    return DPOptimizer(
        optimizer,
        noise_multiplier=plan.noise_multiplier,
        max_grad_norm=plan.max_grad_norm,
        expected_batch_size=plan.expected_batch_size,
        loss_reduction="mean",
        generator=generator,
    )


def poisson_rows(
    n_rows: int, sample_rate: float, generator: torch.Generator, device: torch.device
) -> torch.Tensor:
    """Indices of the rows that one step takes: each with probability `sample_rate`."""
    taken = torch.rand(n_rows, device=device, generator=generator) < sample_rate
    return taken.nonzero().squeeze(1)


@contextmanager
def hooks_off(module: GradSampleModule, *, freeze: bool = True) -> Iterator[None]:
    """Use a private network without recording per-sample gradients, for inputs that
    hold no real row. `freeze`: no weight gradients either (e.g. CTGAN's generator
    step, where the discriminator only passes gradients through). Run the backward pass
    inside the block too: the hooks fire there."""
    module.disable_hooks()
    if freeze:
        module.requires_grad_(False)
    try:
        yield
    finally:
        if freeze:
            module.requires_grad_(True)
        module.enable_hooks()


@contextmanager
def quiet_hooks() -> Iterator[None]:
    """Silence PyTorch's note that a full backward hook fires on inputs that need no
    gradient (the real rows): expected under Opacus."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Full backward hook is firing")
        yield


def training_part(plan: DpSgdPlan, steps_taken: int, what: str) -> BudgetPart:
    """The ledger entry for a training run that took `steps_taken` noisy steps."""
    epsilon = training_epsilon(
        plan.accountant, plan.noise_multiplier, plan.sample_rate, steps_taken, plan.delta
    )
    return BudgetPart(
        name="training",
        epsilon=epsilon,
        delta=plan.delta,
        mechanism=(
            f"DP-SGD with Opacus on {what}: Poisson sampling at rate {plan.sample_rate:.4g}, "
            f"{steps_taken:,} steps, per-sample clipping at {plan.max_grad_norm:g}, noise "
            f"multiplier {plan.noise_multiplier:.4g} ({plan.accountant.upper()} accountant)"
        ),
    )
