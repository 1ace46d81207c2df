"""CTGAN trained with DP-SGD: what changes, and why.

Only the discriminator reads real rows, so only its updates are private (Opacus:
per-sample clipping and Gaussian noise, `privacy.dp_sgd`). The generator learns from the
discriminator's outputs alone, so it is post-processing and trains as usual (with batch
norm, which never sees a real row). Three parts of the paper's recipe cannot stay:

- **No gradient penalty: a logistic (non-saturating) GAN loss instead of WGAN-GP.** The
  penalty differentiates the discriminator's input gradients (double backward), which
  Opacus' per-sample hooks cannot follow. A penalty on generated rows only would touch no
  real row, but its gradient would have to bypass the DP optimiser, which only applies
  clipped per-sample gradients; weight clipping (the original WGAN) is known to train
  poorly and its clip value interacts with DP noise. The logistic loss needs no Lipschitz
  constraint, and its per-row gradient is bounded by the network's own gradient (the
  sigmoid factor is at most 1), so per-sample clipping throws away less signal. This is
  also what private CTGAN variants in the literature (e.g. SmartNoise's DP-CTGAN) use.
- **No PacGAN (pac = 1).** Packing Poisson-sampled rows puts every row in one pack, but
  adding or removing one row shifts every later row into a different pack, so clipping
  per pack would not bound one row's influence. Under DP each row is its own clipped
  sample.
- **Per-sample gradients for real rows only.** The discriminator's loss on generated
  rows depends on no real row, so its gradient is added after clipping and noise (an
  Opacus step hook); clipping fakes too would only waste signal and time.
- **Real rows by Poisson sampling, conditions from the rows themselves.** Training-by-
  sampling picks real rows by category, which is not the sampling the accountant
  analyses. Here each step takes every row with probability q; each real row is
  conditioned on one of its own discrete columns (chosen uniformly), and the generator's
  conditions follow the same law from the *released* category counts (plain frequency,
  not log-frequency: otherwise the discriminator could tell real from fake by the
  conditions alone).
"""

from __future__ import annotations

import torch
from torch.nn import functional

from synthera.models.ctgan import CTGAN, Discriminator
from synthera.models.neural.randomness import init_linear_layers
from synthera.models.neural.sampler import ConditionalSampler
from synthera.models.neural.training import LossTotals, adam
from synthera.privacy.dp_sgd import (
    DpSgdPlan,
    hooks_off,
    poisson_rows,
    private_module,
    private_optimizer,
    quiet_hooks,
)


class PrivateGanTraining:
    """One private fit's training state: networks, optimisers and the two steps."""

    def __init__(
        self, model: CTGAN, data: torch.Tensor, generator: torch.Generator, plan: DpSgdPlan
    ) -> None:
        self.model = model
        self.data = data
        self.rng = generator
        self.plan = plan
        self.layout = model._layout
        self.device = model._device
        self.batch = model.batch_size
        self.generator = model.generator_
        counts = torch.as_tensor(model.category_counts_, device=self.device)
        self.sampler = ConditionalSampler(self.layout, counts, log_frequency=False)
        discriminator = Discriminator(
            self.layout.width + self.layout.n_categories, model.discriminator_dim, pac=1
        ).to(self.device)
        init_linear_layers(discriminator, generator)
        self.discriminator = private_module(discriminator)
        self.optimizer_d = private_optimizer(
            adam(
                discriminator.parameters(),
                lr=model.discriminator_lr,
                betas=model.betas,
                weight_decay=model.discriminator_decay,
            ),
            plan,
            generator,
        )
        self.parameters_d = list(discriminator.parameters())
        self._fake_gradient: tuple[torch.Tensor, ...] = ()
        self.optimizer_d.attach_step_hook(self._add_fake_gradient)
        self.optimizer_g = adam(
            self.generator.parameters(),
            lr=model.generator_lr,
            betas=model.betas,
            weight_decay=model.generator_decay,
        )
        # Each row's category in every discrete column (conditional-vector indices).
        self.row_categories = (
            torch.cat(
                [g.view(data).argmax(dim=-1) + g.cond_offsets for g in self.layout.discrete_groups],
                dim=1,
            )
            if self.layout.discrete
            else None
        )
        self.steps_per_epoch = max(data.shape[0] // self.batch, 1)
        self.steps_taken = 0

    def run_epoch(self, totals: LossTotals) -> None:
        self.generator.train()
        for _ in range(self.steps_per_epoch):
            for _ in range(self.model.discriminator_steps):
                loss_d = self.discriminator_step()
            loss_g = self.generator_step()
            totals.add(loss_g=loss_g, loss_d=loss_d)

    def _fake(self, n: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """(activated fake rows, raw logits, conditional vectors, their categories)."""
        noise = torch.randn((n, self.model.embedding_dim), device=self.device, generator=self.rng)
        cond, categories = self.sampler.training_conditions(n, self.rng)
        logits = self.generator(torch.cat([noise, cond], dim=1))
        fake = self.layout.activate(logits, self.model.gumbel_tau, self.rng)
        return fake, logits, cond, categories

    def _real(self) -> torch.Tensor:
        """A Poisson sample of real rows, each with a condition on one of its own columns."""
        rows = poisson_rows(self.data.shape[0], self.plan.sample_rate, self.rng, self.device)
        real = self.data[rows]
        if self.row_categories is None:
            return real
        blocks = torch.randint(
            self.row_categories.shape[1], (rows.shape[0],), device=self.device, generator=self.rng
        )
        cond = self.sampler.one_hot(self.row_categories[rows, blocks])
        return torch.cat([real, cond], dim=1)

    def discriminator_step(self) -> torch.Tensor:
        real = self._real()
        with torch.no_grad():  # the discriminator's loss treats fakes as constants
            fake, _, cond, _ = self._fake(self.batch)
            fake = torch.cat([fake, cond], dim=1)
        self.optimizer_d.zero_grad(set_to_none=True)
        # The fake rows' gradient reads no real row (fakes come from the generator, itself
        # trained on private outputs only), so it needs no clipping or noise: computed
        # with the hooks off, added after the noise (`_add_fake_gradient`). Only real
        # rows pay for per-sample gradients.
        with hooks_off(self.discriminator, freeze=False), quiet_hooks():
            loss_fake = functional.softplus(self.discriminator(fake, self.rng)).sum()
            self._fake_gradient = torch.autograd.grad(loss_fake, self.parameters_d)
        # Sums over rows: the optimiser divides by the expected batch, not the drawn one.
        loss_real = functional.softplus(-self.discriminator(real, self.rng)).sum()
        with quiet_hooks():
            loss_real.backward()
        self.optimizer_d.step()
        self.steps_taken += 1
        return (loss_real.detach() + loss_fake.detach()) / self.plan.expected_batch_size

    def _add_fake_gradient(self, _: object) -> None:
        """Runs inside the DP optimiser's step, after clipping, noise and averaging."""
        scale = 1.0 / self.batch
        for parameter, gradient in zip(self.parameters_d, self._fake_gradient, strict=True):
            assert parameter.grad is not None
            parameter.grad.add_(gradient, alpha=scale)

    def generator_step(self) -> torch.Tensor:
        fake, logits, cond, categories = self._fake(self.batch)
        # Gradients flow through the discriminator, not into it (hooks off until the
        # backward pass is over).
        with hooks_off(self.discriminator):
            score = self.discriminator(torch.cat([fake, cond], dim=1), self.rng)
            loss_g = functional.softplus(-score).mean() + self.layout.conditional_cross_entropy(
                logits, categories
            )
            self.optimizer_g.zero_grad(set_to_none=True)
            loss_g.backward()
        self.optimizer_g.step()
        return loss_g.detach()
