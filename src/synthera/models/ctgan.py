"""CTGAN: the conditional tabular GAN of Xu et al. 2019 ("Modeling Tabular Data using
Conditional GAN", NeurIPS), on our mode-specific encoding.

Faithful to the paper and its reference implementation:
- mode-specific normalisation of numeric columns (the shared TableEncoder);
- a conditional generator trained by sampling: each row is conditioned on one discrete
  column and category (log-frequency), the discriminator sees real rows of that category,
  and a cross-entropy term makes the generator honour the condition;
- a residual generator (Linear-BatchNorm-ReLU blocks whose input is concatenated to their
  output), tanh for scalars and Gumbel-softmax (tau 0.2) for one-hot blocks;
- a PacGAN discriminator (pac 10) with LeakyReLU(0.2) and Dropout(0.5), trained with the
  WGAN-GP loss (gradient penalty 10);
- Adam (lr 2e-4, betas (0.5, 0.9), weight decay 1e-6), batch 500, 300 epochs.

Differences that change speed, not the maths:
- the whole encoded table and the sampling tables live on the device and batches are
  index gathers (see `neural.sampler`); the Gumbel-softmax of all blocks is a handful of
  tensor operations (`OutputLayout.block_softmax`);
- the discriminator step generates fakes without a generator graph, scores real and fake
  rows in one forward pass, and computes the gradient penalty's input gradients as an
  explicit chain of products instead of a double backward (`input_gradient_norms`), so
  one backward pass serves loss and penalty; the generator step does not compute
  gradients for the discriminator's weights. The reference computes and then discards
  all of these.

One difference changes the arithmetic: with `precision="auto"` (the default), matrix
products run in bfloat16 where the device multiplies bfloat16 natively (recent CPUs and
GPUs; `neural.precision`), as mixed-precision training does; weights, optimiser and
every other operation stay float32. `precision="float32"` is the reference's arithmetic.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd
import torch
from torch import nn

from synthera.errors import ParameterError
from synthera.models.conditions import BUDGET_FACTOR, MAX_BUDGET, MIN_BATCH, MIN_BUDGET
from synthera.models.neural import params as check
from synthera.models.neural.conditioning import category_index
from synthera.models.neural.device import check_device_name
from synthera.models.neural.precision import check_precision, linear, matmul, matmul_dtype
from synthera.models.neural.randomness import (
    dropout_mask,
    init_linear_layers,
    seeded_dropout,
    torch_generator,
)
from synthera.models.neural.sampler import ConditionalSampler
from synthera.models.neural.synthesizer import SAMPLE_CHUNK, NeuralSynthesizer
from synthera.models.neural.training import EpochCallback, LossTotals, adam, run_epochs

if TYPE_CHECKING:
    from synthera.privacy.dp_sgd import DpSgdPlan


class Residual(nn.Module):
    """Linear → BatchNorm → ReLU, with the input concatenated to the output (which
    keeps the input's dtype: with bfloat16 products the concatenation is built in
    bfloat16 once, instead of in float32 and then rounded for every later layer)."""

    def __init__(self, inputs: int, outputs: int) -> None:
        super().__init__()
        self.fc = nn.Linear(inputs, outputs)
        self.bn = nn.BatchNorm1d(outputs)

    def forward(
        self,
        x: torch.Tensor,
        batch_statistics: bool = False,
        compute_dtype: torch.dtype | None = None,
    ) -> torch.Tensor:
        h = linear(self.fc, x, compute_dtype)
        if batch_statistics and not self.training:
            # Normalise with this batch's statistics (as in training) without touching
            # the running averages: sampling never changes the model.
            bn = self.bn
            h = nn.functional.batch_norm(h, None, None, bn.weight, bn.bias, True, 0.0, bn.eps)
        else:
            h = self.bn(h)
        return torch.cat([torch.relu(h).to(x.dtype), x], dim=1)


class Generator(nn.Module):
    """`compute_dtype`: the dtype of the layers' matrix products (None: float32; see
    `neural.precision`). It is not part of the saved weights."""

    def __init__(
        self,
        inputs: int,
        hidden: Sequence[int],
        outputs: int,
        compute_dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        blocks = []
        width = inputs
        for size in hidden:
            blocks.append(Residual(width, size))
            width += size
        self.blocks = nn.ModuleList(blocks)
        self.out = nn.Linear(width, outputs)
        self.compute_dtype = compute_dtype

    def forward(self, x: torch.Tensor, batch_statistics: bool = False) -> torch.Tensor:
        if self.compute_dtype is not None:
            x = x.to(self.compute_dtype)  # every layer's input is a slice of the last
        for block in self.blocks:
            x = block(x, batch_statistics, self.compute_dtype)
        return linear(self.out, x, self.compute_dtype)


class Discriminator(nn.Module):
    """Scores packs of `pac` rows: Linear → LeakyReLU(0.2) → Dropout(0.5) per layer.

    Dropout draws its masks from the generator passed to `forward` (seeded runs).
    `compute_dtype` as for the generator (None for DP-SGD: Opacus hooks the layers)."""

    slope = 0.2  # of the leaky ReLU for negative inputs

    def __init__(
        self,
        inputs: int,
        hidden: Sequence[int],
        pac: int,
        dropout: float = 0.5,
        compute_dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        self.pac = pac
        self.dropout = dropout
        widths = [inputs * pac, *hidden]
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in itertools.pairwise(widths))
        self.out = nn.Linear(widths[-1], 1)
        self.compute_dtype = compute_dtype

    def hidden_layers(self) -> list[nn.Linear]:
        return [cast(nn.Linear, layer) for layer in self.hidden]

    def forward(self, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        h = x.reshape(-1, self.pac * x.shape[1])
        for layer in self.hidden_layers():
            h = linear(layer, h, self.compute_dtype)
            h = seeded_dropout(nn.functional.leaky_relu(h, self.slope), self.dropout, generator)
        # One output unit: a dot product, faster in float32 than a bfloat16 kernel call.
        return self.out(h)

    def input_gradient_norms(self, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """Per pack, the norm of the score's gradient with respect to the pack's inputs,
        differentiable with respect to the weights (for WGAN-GP's penalty).

        The network is piecewise linear: with each unit's slope (1 or 0.2) and dropout
        factor (0 or 1 / (1 - p)) fixed by one forward pass, the input gradient is the product
        W₁ᵀ·D₁·W₂ᵀ·D₂·w₃, computed here as a short chain of matrix products. That is the
        same value and weight gradient as autograd's double backward (the slopes are
        constant almost everywhere), in a fraction of its operations."""
        h = x.reshape(-1, self.pac * x.shape[1])
        factors = []
        layers = self.hidden_layers()
        with torch.no_grad():
            for layer in layers:
                pre = linear(layer, h, self.compute_dtype)
                slope = torch.where(pre > 0, 1.0, self.slope)
                factors.append(slope * dropout_mask(pre.shape, self.dropout, pre, generator))
                h = pre * factors[-1]
        gradient = self.out.weight * factors[-1]  # (packs, last hidden width)
        for i in range(len(layers) - 1, 0, -1):
            gradient = matmul(gradient, layers[i].weight, self.compute_dtype)
            gradient = gradient * factors[i - 1]
        gradient = matmul(gradient, layers[0].weight, self.compute_dtype)
        return gradient.norm(2, dim=1)


class CTGAN(NeuralSynthesizer):
    name = "ctgan"
    description = "Conditional tabular GAN (Xu et al. 2019): PacGAN, WGAN-GP, training-by-sampling"
    supports_privacy = True  # DP-SGD through Opacus (`_train_private`)

    def __init__(
        self,
        epochs: int = 300,
        batch_size: int = 500,
        embedding_dim: int = 128,
        generator_dim: Sequence[int] = (256, 256),
        discriminator_dim: Sequence[int] = (256, 256),
        generator_lr: float = 2e-4,
        generator_decay: float = 1e-6,
        discriminator_lr: float = 2e-4,
        discriminator_decay: float = 1e-6,
        betas: Sequence[float] = (0.5, 0.9),
        discriminator_steps: int = 1,
        pac: int = 10,
        log_frequency: bool = True,
        gumbel_tau: float = 0.2,
        gradient_penalty: float = 10.0,
        max_components: int = 10,
        device: str = "auto",
        precision: str = "auto",
        early_stop_patience: int | None = None,
        validation_every: int = 5,
        validation_fraction: float = 0.1,
        collapse_check_rows: int = 10_000,
        dp_preprocessing_share: float = 0.2,
    ) -> None:
        """Defaults are the paper's. `max_components`: mixture modes per numeric column.
        `device`: "auto" (a CUDA GPU when present), "cpu" or "cuda[:N]".
        `precision`: of the networks' matrix products; "auto" multiplies in bfloat16
        where the device does so natively (see `neural.precision`), "float32" never.
        `early_stop_patience`: None trains all `epochs`; a number N holds out
        `validation_fraction` of the rows (at most 5,000), scores the generator's
        marginal fidelity against them every `validation_every` epochs (see
        `neural.fidelity`) and stops after N scores without improvement, keeping the
        best generator. `collapse_check_rows`: sample size of the mode-collapse check
        after fitting (0 = off). `dp_preprocessing_share`: in a private fit
        (`privacy=`), the share of ε and δ spent on the encoder's summaries (the rest
        trains; see `models.ctgan_private` for how training differs)."""
        self.epochs = check.positive_int("epochs", epochs)
        self.batch_size = check.positive_int("batch_size", batch_size)
        self.embedding_dim = check.positive_int("embedding_dim", embedding_dim)
        self.generator_dim = check.layer_sizes("generator_dim", generator_dim)
        self.discriminator_dim = check.layer_sizes("discriminator_dim", discriminator_dim)
        self.generator_lr = check.positive_float("generator_lr", generator_lr)
        self.generator_decay = check.non_negative_float("generator_decay", generator_decay)
        self.discriminator_lr = check.positive_float("discriminator_lr", discriminator_lr)
        self.discriminator_decay = check.non_negative_float(
            "discriminator_decay", discriminator_decay
        )
        self.betas = check.adam_betas("betas", betas)
        self.discriminator_steps = check.positive_int("discriminator_steps", discriminator_steps)
        self.pac = check.positive_int("pac", pac)
        if self.batch_size % self.pac:
            raise ParameterError(f"batch_size ({batch_size}) must be a multiple of pac ({pac})")
        self.log_frequency = bool(log_frequency)
        self.gumbel_tau = check.positive_float("gumbel_tau", gumbel_tau)
        self.gradient_penalty = check.non_negative_float("gradient_penalty", gradient_penalty)
        self.max_components = check.positive_int("max_components", max_components)
        self.device = check_device_name(device)
        self.precision = check_precision(precision)
        self.early_stop_patience = check.optional_positive_int(
            "early_stop_patience", early_stop_patience
        )
        self.validation_every = check.positive_int("validation_every", validation_every)
        self.validation_fraction = check.fraction("validation_fraction", validation_fraction)
        if isinstance(collapse_check_rows, bool) or not isinstance(collapse_check_rows, int):
            raise ParameterError("collapse_check_rows must be a whole number ≥ 0")
        self.collapse_check_rows = max(collapse_check_rows, 0)
        self.dp_preprocessing_share = check.fraction(
            "dp_preprocessing_share", dp_preprocessing_share
        )

    generator_: Generator
    _sampler: ConditionalSampler

    # ---- networks ----------------------------------------------------------------------

    def _runtime_ready(self) -> None:
        counts = torch.as_tensor(self.category_counts_, device=self._device)
        self._sampler = ConditionalSampler(self._layout, counts, log_frequency=self.log_frequency)

    def _build_networks(self) -> None:
        inputs = self.embedding_dim + self._layout.n_categories
        self.generator_ = Generator(
            inputs, self.generator_dim, self._layout.width, self._compute_dtype()
        ).to(self._device)

    def _compute_dtype(self) -> torch.dtype | None:
        return matmul_dtype(self.precision, self._device)

    def _generating_network(self) -> torch.nn.Module:
        return self.generator_

    def _private_steps(self, n_rows: int) -> int:
        return self.epochs * max(n_rows // self.batch_size, 1) * self.discriminator_steps

    def _train_private(
        self,
        data: torch.Tensor,
        generator: torch.Generator,
        callbacks: list[EpochCallback],
        plan: DpSgdPlan,
    ) -> tuple[dict[str, np.ndarray], int, str]:
        from synthera.models.ctgan_private import PrivateGanTraining

        training = PrivateGanTraining(self, data, generator, plan)
        history = run_epochs(self.epochs, training.run_epoch, callbacks)
        return history, training.steps_taken, "the discriminator (the only network that reads rows)"

    def _train(
        self, data: torch.Tensor, generator: torch.Generator, callbacks: list[EpochCallback]
    ) -> dict[str, np.ndarray]:
        counts = self._layout.discrete_counts(data)
        sampler = ConditionalSampler(
            self._layout, counts, log_frequency=self.log_frequency, data=data
        )
        training = _GanTraining(self, data, sampler, generator)
        return run_epochs(self.epochs, training.run_epoch, callbacks)

    # ---- generation --------------------------------------------------------------------

    def _generate(
        self, n: int, generator: torch.Generator, category: int | None = None
    ) -> torch.Tensor:
        """Like the reference, batch normalisation uses each generated batch's own
        statistics, as in training (running averages lag behind a GAN's generator).
        Batches hold at least `batch_size` rows (a short one is padded, then cut)."""
        self.generator_.eval()
        chunks = []
        with torch.no_grad():
            for start in range(0, n, SAMPLE_CHUNK):
                wanted = min(SAMPLE_CHUNK, n - start)
                size = max(wanted, self.batch_size)
                noise = torch.randn(
                    (size, self.embedding_dim), device=self._device, generator=generator
                )
                if category is None:
                    cond = self._sampler.generation_conditions(size, generator)
                else:
                    cond = self._sampler.fixed_conditions(size, category)
                logits = self.generator_(torch.cat([noise, cond], dim=1), batch_statistics=True)
                rows = self._layout.activate(logits, self.gumbel_tau, generator)
                chunks.append(rows[:wanted])
        if not chunks:
            return torch.zeros((0, self._layout.width), device=self._device)
        return torch.cat(chunks)

    def _sample_conditional(
        self, n: int, wanted: Mapping[str, Any], rng: np.random.Generator
    ) -> pd.DataFrame | None:
        """One discrete condition: generate with its conditional vector set, then keep the
        rows that came out with that category (the vector makes it likely, not certain).
        Anything else, or a condition the generator does not honour within the rejection
        sampler's budget: None, and the base class samples by rejection (which names the
        condition in its error if that fails too)."""
        if len(wanted) != 1:
            return None
        ((column, value),) = wanted.items()
        category = category_index(self.encoder_, self._layout, column, value)
        if category is None:
            return None
        block = self._layout.discrete[int(self._layout.category_block[category])]
        code = category - block.cond_offset
        generator = torch_generator(rng, self._device)
        budget = int(min(MAX_BUDGET, max(MIN_BUDGET, BUDGET_FACTOR * n)))
        kept: list[torch.Tensor] = []
        have = drawn = 0
        while have < n and drawn < budget:
            size = min(budget - drawn, max(MIN_BATCH, int(1.1 * (n - have))))
            rows = self._generate(size, generator, category)
            drawn += size
            match = rows[:, block.start : block.start + block.width].argmax(dim=1) == code
            kept.append(rows[match])
            have += int(match.sum())  # one sync per batch, not per step
        if have < n:  # the generator ignores this condition: rejection sampling may not
            return None
        return self._decode(torch.cat(kept)[:n], rng)


class _GanTraining:
    """One fit's training state: networks, optimisers, sampler, and the two steps."""

    def __init__(
        self,
        model: CTGAN,
        data: torch.Tensor,
        sampler: ConditionalSampler,
        generator: torch.Generator,
    ) -> None:
        self.model = model
        self.data = data
        self.sampler = sampler
        self.rng = generator
        self.layout = model._layout
        self.device = model._device
        self.batch = model.batch_size
        self.pac = model.pac
        self.generator = model.generator_
        self.discriminator = Discriminator(
            self.layout.width + self.layout.n_categories,
            model.discriminator_dim,
            model.pac,
            compute_dtype=model._compute_dtype(),
        ).to(self.device)
        init_linear_layers(self.discriminator, generator)
        self.optimizer_g = adam(
            self.generator.parameters(),
            lr=model.generator_lr,
            betas=model.betas,
            weight_decay=model.generator_decay,
        )
        self.optimizer_d = adam(
            self.discriminator.parameters(),
            lr=model.discriminator_lr,
            betas=model.betas,
            weight_decay=model.discriminator_decay,
        )
        self.steps_per_epoch = max(data.shape[0] // self.batch, 1)

    def run_epoch(self, totals: LossTotals) -> None:
        self.generator.train()
        for _ in range(self.steps_per_epoch):
            for _ in range(self.model.discriminator_steps):
                loss_d, penalty = self.discriminator_step()
            loss_g = self.generator_step()
            totals.add(loss_g=loss_g, loss_d=loss_d, penalty=penalty)

    def _fake(self, n: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """(activated fake rows, raw logits, conditional vectors, their categories)."""
        noise = torch.randn((n, self.model.embedding_dim), device=self.device, generator=self.rng)
        cond, categories = self.sampler.training_conditions(n, self.rng)
        logits = self.generator(torch.cat([noise, cond], dim=1))
        fake = self.layout.activate(logits, self.model.gumbel_tau, self.rng)
        return fake, logits, cond, categories

    def discriminator_step(self) -> tuple[torch.Tensor, torch.Tensor]:
        n = self.batch
        with torch.no_grad():  # the discriminator's loss treats fakes as constants
            fake, _, cond, categories = self._fake(n)
            # Real rows are drawn for a shuffled copy of the conditions, as in the paper's
            # code, so real and fake packs do not line up condition by condition.
            shuffle = torch.randperm(n, device=self.device, generator=self.rng)
            rows = self.sampler.rows_for(categories.index_select(0, shuffle), self.rng)
            real = torch.cat([self.data.index_select(0, rows), cond.index_select(0, shuffle)], 1)
            fake = torch.cat([fake, cond], dim=1)
            # One mixing weight per pack (WGAN-GP on packed inputs).
            alpha = torch.rand((n // self.pac, 1), device=self.device, generator=self.rng)
            alpha = alpha.repeat_interleave(self.pac, dim=0)
            mixed = torch.lerp(fake, real, alpha)  # alpha * real + (1 - alpha) * fake
        # Real and fake packs in one pass.
        score_real, score_fake = self.discriminator(torch.cat([real, fake]), self.rng).split(
            n // self.pac
        )
        norms = self.discriminator.input_gradient_norms(mixed, self.rng)
        penalty = self.model.gradient_penalty * ((norms - 1.0) ** 2).mean()
        loss_d = score_fake.mean() - score_real.mean()
        self.optimizer_d.zero_grad(set_to_none=True)
        (loss_d + penalty).backward()
        self.optimizer_d.step()
        return loss_d.detach(), penalty.detach()

    def generator_step(self) -> torch.Tensor:
        fake, logits, cond, categories = self._fake(self.batch)
        self.discriminator.requires_grad_(False)  # its weight gradients would be discarded
        score = self.discriminator(torch.cat([fake, cond], dim=1), self.rng)
        self.discriminator.requires_grad_(True)
        loss_g = -score.mean() + self.layout.conditional_cross_entropy(logits, categories)
        self.optimizer_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.optimizer_g.step()
        return loss_g.detach()
