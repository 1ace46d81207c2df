"""TVAE: the tabular variational autoencoder of Xu et al. 2019, on our mode-specific
encoding.

As in the paper and its reference implementation: an encoder and a decoder of ReLU
layers (128, 128) around a 128-dimensional Gaussian latent; the reconstruction loss is,
per encoded column, a Gaussian log-likelihood with a learned standard deviation for the
tanh scalars (sigma clamped to [0.01, 1]) and a cross-entropy for the one-hot blocks,
weighted by `loss_factor` 2, plus the KL divergence; Adam (lr 1e-3) with weight decay
`l2scale` 1e-5, batch 500, 300 epochs. Sampling decodes standard-normal noise and draws
each scalar from N(tanh(output), sigma).

Two departures, both measured on census (benchmarks/RESULTS.md):

- Each one-hot block (a category, a numeric column's mode, a missing flag) is *drawn*
  from the decoder's softmax (`discrete_decoding="sample"`, Gumbel-max), which is the
  model's own p(x | z); the reference takes the block's argmax ("argmax"). The argmax of
  a decoder that is not yet sharp — always the case under DP-SGD, where the posterior
  all but collapses (KL < 0.5 nats a row) and the decoder barely reads z — is the
  column's mode on every row: DP TVAE at ε = 1 generated one class of every categorical
  column. The draw keeps the decoder's calibrated shares.
- The decoder's output biases start at each block's log-shares (`neural.priors`: read
  off the training rows, or in a private fit off the release, free of budget), so that
  a decoder that learns little beyond its biases still draws the right marginals.

Batches are slices of one on-device permutation of the training rows per epoch (the
reference's DataLoader shuffles the same way, on the host).

Private fits (`privacy=`): encoder and decoder both read real rows, so the whole VAE
trains with DP-SGD (Opacus; Poisson-sampled batches, per-row clipping and noise, see
`privacy.dp_sgd`). The decoder's learned sigmas are a bare parameter that the loss uses
outside any layer, where Opacus computes no per-row gradient; during private training
they live in a bias-free Linear(1, width) fed a column of ones (`_PrivateVae`), whose
per-row gradients Opacus does compute, and are copied back into the decoder afterwards.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

from synthera.errors import ParameterError
from synthera.models.neural import params as check
from synthera.models.neural.device import check_device_name
from synthera.models.neural.layout import OutputLayout
from synthera.models.neural.priors import (
    observed_log_shares,
    released_log_shares,
    released_missing_shares,
    start_at_shares,
)
from synthera.models.neural.randomness import gumbel_noise, init_linear_layers
from synthera.models.neural.synthesizer import SAMPLE_CHUNK, NeuralSynthesizer
from synthera.models.neural.training import EpochCallback, LossTotals, adam, run_epochs

if TYPE_CHECKING:
    from synthera.privacy.dp_sgd import DpSgdPlan

SIGMA_RANGE = (0.01, 1.0)
DECODINGS = ("sample", "argmax")  # how a one-hot block becomes one entry when sampling


def _relu_stack(inputs: int, hidden: Sequence[int]) -> tuple[nn.Sequential, int]:
    layers: list[nn.Module] = []
    width = inputs
    for size in hidden:
        layers += [nn.Linear(width, size), nn.ReLU()]
        width = size
    return nn.Sequential(*layers), width


class Encoder(nn.Module):
    def __init__(self, inputs: int, hidden: Sequence[int], embedding: int) -> None:
        super().__init__()
        self.seq, width = _relu_stack(inputs, hidden)
        self.mean = nn.Linear(width, embedding)
        self.log_variance = nn.Linear(width, embedding)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.seq(x)
        return self.mean(features), self.log_variance(features)


class Decoder(nn.Module):
    """Latent → raw outputs, plus one learned sigma per encoded column (only the tanh
    scalars' sigmas are used, as in the reference)."""

    def __init__(self, embedding: int, hidden: Sequence[int], outputs: int) -> None:
        super().__init__()
        seq, width = _relu_stack(embedding, hidden)
        self.seq = nn.Sequential(*seq, nn.Linear(width, outputs))
        self.sigma = nn.Parameter(torch.full((outputs,), 0.1))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.seq(z)


class TVAE(NeuralSynthesizer):
    name = "tvae"
    description = "Tabular variational autoencoder (Xu et al. 2019) on mode-specific encoding"
    supports_privacy = True  # DP-SGD through Opacus (`_train_private`)

    def __init__(
        self,
        epochs: int = 300,
        batch_size: int = 500,
        embedding_dim: int = 128,
        compress_dims: Sequence[int] = (128, 128),
        decompress_dims: Sequence[int] = (128, 128),
        learning_rate: float = 1e-3,
        l2scale: float = 1e-5,
        loss_factor: float = 2.0,
        max_components: int = 10,
        device: str = "auto",
        early_stop_patience: int | None = None,
        validation_every: int = 5,
        validation_fraction: float = 0.1,
        collapse_check_rows: int = 10_000,
        dp_preprocessing_share: float = 0.2,
        discrete_decoding: str = "sample",
    ) -> None:
        """Defaults are the paper's, but for `discrete_decoding` ("sample": draw each
        one-hot block from the decoder's softmax; "argmax": the reference's choice, see
        the module notes). `compress_dims` / `decompress_dims`: hidden layers of
        the encoder / decoder. `device`, `early_stop_patience`, `validation_every`,
        `validation_fraction`, `collapse_check_rows` and `dp_preprocessing_share` work as
        for CTGAN."""
        self.epochs = check.positive_int("epochs", epochs)
        self.batch_size = check.positive_int("batch_size", batch_size)
        self.embedding_dim = check.positive_int("embedding_dim", embedding_dim)
        self.compress_dims = check.layer_sizes("compress_dims", compress_dims)
        self.decompress_dims = check.layer_sizes("decompress_dims", decompress_dims)
        self.learning_rate = check.positive_float("learning_rate", learning_rate)
        self.l2scale = check.non_negative_float("l2scale", l2scale)
        self.loss_factor = check.positive_float("loss_factor", loss_factor)
        self.max_components = check.positive_int("max_components", max_components)
        self.device = check_device_name(device)
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
        if discrete_decoding not in DECODINGS:
            raise ParameterError(
                f"discrete_decoding must be one of {', '.join(DECODINGS)}, "
                f"not {discrete_decoding!r}"
            )
        self.discrete_decoding = discrete_decoding

    decoder_: Decoder

    def _build_networks(self) -> None:
        self.decoder_ = Decoder(self.embedding_dim, self.decompress_dims, self._layout.width).to(
            self._device
        )

    def _generating_network(self) -> torch.nn.Module:
        return self.decoder_

    def _start_at_marginals(self, log_shares: torch.Tensor) -> None:
        output = self.decoder_.seq[-1]
        assert isinstance(output, nn.Linear)
        start_at_shares(output, self._layout, log_shares)

    def _train(
        self, data: torch.Tensor, generator: torch.Generator, callbacks: list[EpochCallback]
    ) -> dict[str, np.ndarray]:
        encoder = Encoder(self._layout.width, self.compress_dims, self.embedding_dim).to(
            self._device
        )
        init_linear_layers(encoder, generator)
        self._start_at_marginals(observed_log_shares(self._layout, data))
        optimizer = adam(
            [*encoder.parameters(), *self.decoder_.parameters()],
            lr=self.learning_rate,
            weight_decay=self.l2scale,
        )
        n = data.shape[0]

        def run_epoch(totals: LossTotals) -> None:
            self.decoder_.train()
            order = torch.randperm(n, device=self._device, generator=generator)
            for batch in order.split(self.batch_size):
                real = data[batch]
                mean, log_variance = encoder(real)
                noise = torch.randn(mean.shape, device=self._device, generator=generator)
                latent = mean + noise * torch.exp(0.5 * log_variance)
                reconstruction = reconstruction_loss(
                    self._layout, self.decoder_(latent), real, self.decoder_.sigma
                )
                kl = -0.5 * torch.sum(1 + log_variance - mean**2 - log_variance.exp())
                reconstruction = reconstruction * self.loss_factor / real.shape[0]
                kl = kl / real.shape[0]
                loss = reconstruction + kl
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                self.decoder_.sigma.data.clamp_(*SIGMA_RANGE)
                totals.add(loss=loss, reconstruction=reconstruction, kl=kl)

        return run_epochs(self.epochs, run_epoch, callbacks)

    def _private_steps(self, n_rows: int) -> int:
        return self.epochs * max(n_rows // self.batch_size, 1)

    def _train_private(
        self,
        data: torch.Tensor,
        generator: torch.Generator,
        callbacks: list[EpochCallback],
        plan: DpSgdPlan,
    ) -> tuple[dict[str, np.ndarray], int, str]:
        from synthera.privacy.dp_sgd import (
            poisson_rows,
            private_module,
            private_optimizer,
            quiet_hooks,
        )

        encoder = Encoder(self._layout.width, self.compress_dims, self.embedding_dim).to(
            self._device
        )
        init_linear_layers(encoder, generator)
        missing = released_missing_shares(self._release, data.shape[0])
        self._start_at_marginals(released_log_shares(self.encoder_, self._layout, missing))
        vae = _PrivateVae(encoder, self.decoder_, self._layout, self.loss_factor)
        network = private_module(vae)
        optimizer = private_optimizer(
            adam(
                [p for p in vae.parameters() if p.requires_grad],
                lr=self.learning_rate,
                weight_decay=self.l2scale,
            ),
            plan,
            generator,
        )
        n, steps_per_epoch = data.shape[0], max(data.shape[0] // self.batch_size, 1)
        steps_taken = 0

        def run_epoch(totals: LossTotals) -> None:
            nonlocal steps_taken
            vae.train()
            for _ in range(steps_per_epoch):
                real = data[poisson_rows(n, plan.sample_rate, generator, self._device)]
                noise = torch.randn(
                    (real.shape[0], self.embedding_dim), device=self._device, generator=generator
                )
                reconstruction, kl = network(real, noise)
                loss = self.loss_factor * reconstruction + kl  # sums over rows
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                steps_taken += 1
                vae.sigma.weight.data.clamp_(*SIGMA_RANGE)
                scale = 1.0 / plan.expected_batch_size
                totals.add(loss=loss * scale, reconstruction=reconstruction * scale, kl=kl * scale)

        with quiet_hooks():
            history = run_epochs(self.epochs, run_epoch, callbacks)
        vae.release_sigma()
        return history, steps_taken, "the encoder and the decoder"

    def _generate(
        self, n: int, generator: torch.Generator, category: int | None = None
    ) -> torch.Tensor:
        self.decoder_.eval()
        scalars = self._layout.tanh
        sigma = self.decoder_.sigma.detach()[scalars]
        chunks = []
        with torch.no_grad():
            for start in range(0, n, SAMPLE_CHUNK):
                size = min(SAMPLE_CHUNK, n - start)
                latent = torch.randn(
                    (size, self.embedding_dim), device=self._device, generator=generator
                )
                rows = self.decoder_(latent)
                noise = torch.randn((size, sigma.numel()), device=self._device, generator=generator)
                rows[:, scalars] = torch.tanh(rows[:, scalars]) + noise * sigma
                if self.discrete_decoding == "sample":
                    # Gumbel-max: each block's argmax (taken on decoding) is then a draw
                    # from the block's softmax.
                    blocks = rows[:, scalars.stop :]
                    blocks += gumbel_noise(blocks.shape, blocks, generator)
                chunks.append(rows)
        if not chunks:
            return torch.zeros((0, self._layout.width), device=self._device)
        return torch.cat(chunks)


class _PrivateVae(nn.Module):
    """Encoder, decoder and the decoder's sigmas as one network for Opacus. `forward`
    returns the reconstruction loss and the KL divergence, each summed over rows (no
    mean over the drawn batch: its size is random under Poisson sampling)."""

    def __init__(
        self, encoder: Encoder, decoder: Decoder, layout: OutputLayout, loss_factor: float
    ) -> None:
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder
        self.layout = layout
        decoder.sigma.requires_grad_(False)  # trained through `self.sigma` meanwhile
        self.sigma = nn.Linear(1, decoder.sigma.numel(), bias=False).to(decoder.sigma.device)
        with torch.no_grad():
            self.sigma.weight.copy_(decoder.sigma[:, None])

    def forward(self, real: torch.Tensor, noise: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mean, log_variance = self.encoder(real)
        output = self.decoder(mean + noise * torch.exp(0.5 * log_variance))
        sigma = self.sigma(real.new_ones((real.shape[0], 1)))  # (rows, width): one per row
        scale = sigma[:, self.layout.tanh]
        error = real[:, self.layout.tanh] - torch.tanh(output[:, self.layout.tanh])
        gaussian = (error**2 / (2 * scale**2)).sum() + torch.log(scale).sum()
        reconstruction = gaussian + self.layout.softmax_cross_entropy_sum(output, real)
        kl = -0.5 * torch.sum(1 + log_variance - mean**2 - log_variance.exp())
        return reconstruction, kl

    def release_sigma(self) -> None:
        """Hand the trained sigmas back to the decoder."""
        with torch.no_grad():
            self.decoder.sigma.copy_(self.sigma.weight[:, 0])
        self.decoder.sigma.requires_grad_(True)


def reconstruction_loss(
    layout: OutputLayout, output: torch.Tensor, real: torch.Tensor, sigma: torch.Tensor
) -> torch.Tensor:
    """Summed over the batch: Gaussian negative log-likelihood (up to a constant) of each
    tanh scalar with its learned sigma, and cross-entropy of each one-hot block."""
    scale = sigma[layout.tanh]
    error = real[:, layout.tanh] - torch.tanh(output[:, layout.tanh])
    gaussian = (error**2 / (2 * scale**2)).sum() + torch.log(scale).sum() * real.shape[0]
    return gaussian + layout.softmax_cross_entropy_sum(output, real)
