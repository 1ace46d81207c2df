"""The autoregressive model under differential privacy: what changes, and why.

A private fit (`privacy=` on `fit`) swaps the two parts that read the rows:

- **The tokenizer learns only from one DP release** (`privacy.preprocessing`, its share of
  ε and δ set by `dp_preprocessing_share`). Categorical and boolean columns get one token
  per released level (`privacy.encoding.released_codec`: a level nobody else shares is
  never released, and rows with an unreleased value encode as the most frequent level).
  Numeric and integer columns get one token per released segment: the release cuts each
  column's noisy range into segments of about equal noisy mass on a public quarter-octave
  grid, which plays the part of the quantile bins; a zero-width segment (the zero bin,
  e.g. the zeros of a capital-gain column) becomes a spike token. A column gets a
  missing token only when the release found its missing values; otherwise they encode
  as its heaviest token. Datetime columns are numbers on their released time axis
  (segments of whole calendar months, `privacy.time_axis`), decoded at the released
  resolution. Id columns come back as random UUIDs, text as missing.
- **Training is DP-SGD through Opacus** (`privacy.dp_sgd`): Poisson sampling at rate
  q = batch / n, the loss a sum of per-row negative log-likelihoods, per-row gradients
  clipped and noised, the optimiser dividing by the expected batch. `MaskedLinear` gets
  its own per-sample gradient rule (below). There is no validation slice and no early
  stopping (scoring held-out rows after every epoch would spend budget nothing accounts
  for) and no choice of "best" weights: the run is `max_epochs` long, and a
  `max_epochs` left at the non-private default (100) becomes PRIVATE_DEFAULT_EPOCHS,
  since each extra epoch costs noise. The output biases start at the released counts.

The ledger holds the release and the training (ε of exactly the steps taken).
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import torch
from opacus.grad_sample import register_grad_sampler

from synthera.errors import ParameterError
from synthera.models.autoregressive.calibration import calibrate_to_counts
from synthera.models.autoregressive.network import AutoregressiveNetwork, MaskedLinear
from synthera.models.autoregressive.tokens import NumericTokens, TableTokenizer
from synthera.models.neural.device import resolve_device
from synthera.models.neural.randomness import torch_generator
from synthera.models.neural.training import LossTotals
from synthera.privacy.dp_sgd import (
    DpSgdPlan,
    plan_dp_sgd,
    poisson_rows,
    private_module,
    private_optimizer,
    quiet_hooks,
    training_part,
)
from synthera.privacy.encoding import released_codec, released_converter
from synthera.privacy.ledger import PrivacyLedger
from synthera.privacy.preprocessing import (
    CategorySummary,
    NumericSummary,
    PrivateSummaries,
    private_summaries,
)
from synthera.privacy.spec import PrivacySpec
from synthera.progress import ProgressCallback, report
from synthera.schema import ColumnKind, ColumnSpec, Schema
from synthera.transforms.categories import CategoryCodec
from synthera.transforms.ids import IdEncoder
from synthera.transforms.options import FitOptions
from synthera.transforms.text import TextEncoder

if TYPE_CHECKING:
    from synthera.models.autoregressive.model import AutoregressiveSynthesizer

DEFAULT_MAX_EPOCHS = 100  # AutoregressiveSynthesizer's default, an upper bound there
PRIVATE_DEFAULT_EPOCHS = 15  # what that default means under DP: every epoch adds noise
PRIVATE_MAX_NUMERIC_TOKENS = 32  # segments per numeric column asked of the release


@register_grad_sampler(MaskedLinear)
def masked_linear_grad_sample(
    layer: MaskedLinear, activations: list[torch.Tensor], backprops: torch.Tensor
) -> dict[torch.nn.Parameter, torch.Tensor]:
    """Per-row gradients of a masked linear layer: those of `nn.Linear` (outer product of
    the output's gradient and the input) times the mask, so masked weights get exactly
    zero and take no part in the clipping norm."""
    inputs = activations[0].to(backprops.dtype)
    gradients = {}
    if layer.weight.requires_grad:
        outer = torch.einsum("n...i,n...j->nij", backprops, inputs)
        gradients[layer.weight] = outer * layer.mask
    if layer.bias.requires_grad:
        gradients[layer.bias] = torch.einsum("n...k->nk", backprops)
    return gradients


# ---- the tokenizer, from the release alone ---------------------------------------------------


def released_numeric_tokens(
    spec: ColumnSpec, summary: NumericSummary
) -> tuple[NumericTokens, np.ndarray]:
    """A numeric column's tokens (one per released segment, spikes for zero-width ones)
    and each token's released mass (for the output prior)."""
    segments = np.asarray(summary.segment_edges, dtype=np.float64)
    masses = np.asarray(summary.segment_masses, dtype=np.float64)
    integer = spec.kind is ColumnKind.INTEGER
    zero_width = segments[1:] == segments[:-1]
    spikes = np.unique(segments[:-1][zero_width])
    edges = np.unique(segments)
    if integer:  # whole-number edges: each bin holds the integers [low, high)
        edges = np.unique(np.ceil(edges))
    empty = np.empty(0)
    if edges.size < 2:  # a single released value
        tokens = NumericTokens(
            exact=edges[:1], spikes=empty, edges=empty, has_missing=summary.has_missing,
            integer=integer,
        )  # fmt: skip
    else:
        tokens = NumericTokens(
            exact=empty,
            spikes=spikes,
            edges=edges,
            has_missing=summary.has_missing,
            integer=integer,
        )
    # Each segment's mass goes to the token of its middle (its spike when zero-width).
    middles = np.where(zero_width, segments[:-1], 0.5 * (segments[:-1] + segments[1:]))
    counts = np.bincount(tokens.encode(middles), weights=masses, minlength=tokens.vocab)
    if tokens.has_missing:  # the released noisy count (its mean share where none is)
        released = summary.missing_count
        counts[tokens.n_values] = counts[: tokens.n_values].mean() if released is None else released
    tokens.fill = int(np.argmax(counts[: tokens.n_values]))
    return tokens, counts


def private_tokenizer(
    df: pd.DataFrame, schema: Schema, summaries: PrivateSummaries, *, max_tokens: int
) -> tuple[TableTokenizer, dict[str, np.ndarray]]:
    """A fitted tokenizer and every modelled column's released token counts; `df` is read
    for storage types only (text columns)."""
    categories: dict[str, CategoryCodec] = {}
    numbers: dict[str, tuple[object, NumericTokens]] = {}
    others: dict[str, IdEncoder | TextEncoder] = {}
    counts: dict[str, np.ndarray] = {}
    for spec in schema.columns:
        summary = summaries.columns.get(spec.name)
        if isinstance(summary, CategorySummary):
            codec = released_codec(spec, summary)
            categories[spec.name] = codec
            counts[spec.name] = np.asarray(codec.counts, dtype=np.float64)
        elif isinstance(summary, NumericSummary):
            tokens, counts[spec.name] = released_numeric_tokens(spec, summary)
            numbers[spec.name] = (released_converter(spec, summary), tokens)
        elif spec.kind is ColumnKind.ID:
            others[spec.name] = IdEncoder(spec.name, mode="uuid", dtype="str")
        else:  # text: only the storage type is kept (TextEncoder.fit draws nothing)
            others[spec.name] = TextEncoder.fit(
                df[spec.name], spec, FitOptions(), np.random.default_rng(0)
            )
    tokenizer = TableTokenizer.assemble(
        schema, max_tokens=max_tokens, categories=categories, numbers=numbers, others=others
    )
    return tokenizer, counts


# ---- the fit ---------------------------------------------------------------------------------


def private_epochs(model: AutoregressiveSynthesizer) -> int:
    if model.max_epochs == DEFAULT_MAX_EPOCHS:
        return PRIVATE_DEFAULT_EPOCHS
    return model.max_epochs


def fit_private(
    model: AutoregressiveSynthesizer,
    df: pd.DataFrame,
    schema: Schema,
    rng: np.random.Generator,
    progress: ProgressCallback | None,
    spec: PrivacySpec,
) -> PrivacyLedger:
    """Fit `model` under `spec`; returns what the fit spent."""
    n = len(df)
    delta = spec.resolved_delta(n)
    share = model.dp_preprocessing_share
    batch = model._batch_size(n)
    epochs = private_epochs(model)
    steps_per_epoch = max(n // batch, 1)
    # Plan the training first: an impossible budget fails before any work.
    plan = plan_dp_sgd(
        epsilon=(1.0 - share) * spec.epsilon,
        delta=(1.0 - share) * delta,
        n_rows=n,
        batch_size=batch,
        steps=epochs * steps_per_epoch,
        max_grad_norm=spec.max_grad_norm,
        accountant=spec.accountant,
    )
    model._device = resolve_device(model.device)
    report(progress, "encode", 0, 1)
    max_tokens = model._max_tokens(n)
    summaries = private_summaries(
        df,
        schema,
        epsilon=share * spec.epsilon,
        delta=share * delta,
        max_components=min(max_tokens, PRIVATE_MAX_NUMERIC_TOKENS),
        rng=rng,
    )
    tokenizer, counts = private_tokenizer(df, schema, summaries, max_tokens=max_tokens)
    order = model._column_order(tokenizer, schema)
    tokens = tokenizer.encode(df)[:, order]
    report(progress, "encode", 1, 1)
    model.tokenizer_, model.order_ = tokenizer, order
    network = model._build_network(torch.device("cpu"))
    network.initialise(
        torch_generator(rng, torch.device("cpu")),
        [counts[tokenizer.columns[j]] for j in order],
    )
    network.to(model._device)
    generator = torch_generator(rng, model._device)  # batches, noise, dropout
    history, steps = _train(
        model, network, torch.as_tensor(tokens), plan, epochs, generator, progress
    )
    if model.calibrate_marginals:  # towards the released counts: post-processing
        released = [torch.as_tensor(counts[tokenizer.columns[j]]) for j in order]
        calibrate_to_counts(network, released, generator)
    network.eval()
    model.network_ = network
    model.loss_history_ = {"train": np.asarray(history)}
    model.epochs_trained_ = len(history)
    model.best_validation_loss_ = None
    model.fit_warnings_ = list(summaries.notes)
    what = f"the {len(order)}-column autoregressive network ({steps_per_epoch} steps per epoch)"
    return PrivacyLedger(
        epsilon_target=spec.epsilon,
        delta_target=delta,
        accountant=spec.accountant,
        parts=(summaries.part, training_part(plan, steps, what)),
        public=summaries.public,
    )


def _train(
    model: AutoregressiveSynthesizer,
    network: AutoregressiveNetwork,
    tokens: torch.Tensor,
    plan: DpSgdPlan,
    epochs: int,
    generator: torch.Generator,
    progress: ProgressCallback | None,
) -> tuple[list[float], int]:
    """DP-SGD for `epochs` epochs (fewer if `max_fit_seconds` runs out); returns the mean
    training loss per row of each epoch and the number of noisy steps taken."""
    data = tokens.to(model._device).long()
    n = data.shape[0]
    steps_per_epoch = max(n // model._batch_size(n), 1)
    # The only buffers of trainable layers are MaskedLinear's masks, fixed by the
    # column count. The hooks sit on the layers: the network is used as is.
    private = private_module(network, fixed_buffers=True)
    optimizer = private_optimizer(
        torch.optim.AdamW(
            network.parameters(), lr=model.learning_rate, weight_decay=model.weight_decay
        ),
        plan,
        generator,
    )
    history: list[float] = []
    steps = 0
    started = time.perf_counter()
    try:
        for epoch in range(1, epochs + 1):
            network.train()
            totals = LossTotals()
            for _ in range(steps_per_epoch):
                rows = data[poisson_rows(n, plan.sample_rate, generator, model._device)]
                # A sum over rows: the optimiser divides by the expected batch size.
                loss = network.negative_log_likelihood(rows, generator).sum()
                optimizer.zero_grad(set_to_none=True)
                with quiet_hooks():
                    loss.backward()
                optimizer.step()
                steps += 1
                totals.add(train=loss / plan.expected_batch_size)
            losses = totals.means()
            history.append(losses["train"])
            report(progress, "train", epoch, epochs, losses)
            if not math.isfinite(losses["train"]):
                raise ParameterError(
                    f"{model.name} training diverged (the loss became infinite or NaN); "
                    "try a lower learning_rate"
                )
            if (
                model.max_fit_seconds is not None
                and time.perf_counter() - started > model.max_fit_seconds
            ):
                break
    finally:
        private.to_standard_module()  # drops the hooks and per-sample gradients
    return history, steps
