"""AutoregressiveSynthesizer: the default generator.

Each row is a sequence of column tokens (see `tokens`); the network (see `network`) learns
p(column j | columns before it) for every j at once by cross-entropy, and sampling draws
the columns one after another. Training is short and self-limiting: the learning rate
halves whenever the validation loss (on a held-out slice of the training rows) stops
improving, training stops after a few epochs without improvement, and the weights that
scored best are kept — so the model stops before it memorises rows.

The target column (if the schema names one) comes first: rows conditioned on it (for
class rebalancing) are then drawn exactly, with no rejection.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd
import torch

from synthera.errors import ModelFileError, ParameterError
from synthera.models.autoregressive.calibration import calibrate_output_bias
from synthera.models.autoregressive.network import AutoregressiveNetwork
from synthera.models.autoregressive.tokens import TableTokenizer
from synthera.models.base import Synthesizer
from synthera.models.neural import params as check
from synthera.models.neural.device import check_device_name, resolve_device
from synthera.models.neural.randomness import torch_generator
from synthera.models.neural.training import LossTotals, snapshot_module
from synthera.models.neural.weights import arrays_into_module, module_to_arrays
from synthera.privacy.ledger import PrivacyLedger
from synthera.privacy.spec import PrivacySpec
from synthera.progress import ProgressCallback, report
from synthera.schema import Schema
from synthera.seeding import derive_seed

MAX_VALIDATION_ROWS = 20_000
MIN_VALIDATION_ROWS = 20  # below this, no early stopping: all max_epochs are trained
MIN_TOKENS, MAX_TOKENS = 8, 256  # the range of the scaled numeric vocabulary
SAMPLE_CHUNK = 20_000  # rows generated per pass when sampling
EVALUATION_CHUNK = 8_192


@contextmanager
def torch_threads(count: int) -> Iterator[None]:
    """Run torch's CPU kernels on `count` threads, then restore the previous setting."""
    previous = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


class AutoregressiveSynthesizer(Synthesizer):
    name = "autoregressive"
    description = "Autoregressive network over tokenised columns (default): fast and faithful"
    supports_privacy = True  # DP-SGD through Opacus, see `autoregressive.private`

    def __init__(
        self,
        max_tokens: int | None = None,
        hidden: Sequence[int] = (256, 256),
        max_embedding: int = 32,
        batch_size: int | None = None,
        learning_rate: float = 3e-3,
        weight_decay: float = 0.0,
        dropout: float = 0.0,
        max_epochs: int = 100,
        early_stop_patience: int = 3,
        validation_fraction: float = 0.1,
        max_fit_seconds: float | None = None,
        target_first: bool = True,
        calibrate_marginals: bool = True,
        threads: int | None = None,
        device: str = "auto",
        dp_preprocessing_share: float = 0.2,
    ) -> None:
        """`max_tokens`: most tokens per numeric column (values, or spikes + quantile
        bins); None scales it with the table, about one token per 128 rows, from 8 to
        256 (more bins than the rows can fill make the model learn noise: on the shared
        tables, detection AUC fell by 0.05–0.07 with the scaled vocabulary, and on tables
        of a few hundred rows by 0.08–0.37 going from 32 tokens to 8).
        `batch_size`: None scales it with the table (64 to 4,096 rows).
        `max_epochs`: an upper bound; early stopping usually ends training sooner.
        `max_fit_seconds`: stop training after this long (the best weights so far are
        kept). `target_first`: model the schema's target column first.
        `calibrate_marginals`: after training, fit the output biases so each column's
        mean prediction on the training rows equals its frequency (a private fit: its
        own samples' marginals equal the released counts; see `calibration`).
        `threads`: CPU
        threads for torch; None uses one per 1,024 rows of a batch (small matrices gain
        nothing from more, and on a busy machine waiting threads made epochs 10x slower).
        `dp_preprocessing_share`: in a private fit, the share of ε and δ spent on the
        release that builds the tokenizer (the rest trains). A private fit trains exactly
        `max_epochs` epochs, 15 when left at the default 100 (see `private`)."""
        self.max_tokens = (
            None if max_tokens is None else check.positive_int("max_tokens", max_tokens)
        )
        if self.max_tokens is not None and self.max_tokens < 2:
            raise ParameterError("max_tokens must be at least 2")
        self.hidden = check.layer_sizes("hidden", hidden)
        if not self.hidden:
            raise ParameterError("hidden needs at least one layer width, e.g. [256, 256]")
        self.max_embedding = check.positive_int("max_embedding", max_embedding)
        self.batch_size = (
            None if batch_size is None else check.positive_int("batch_size", batch_size)
        )
        self.learning_rate = check.positive_float("learning_rate", learning_rate)
        self.weight_decay = check.non_negative_float("weight_decay", weight_decay)
        self.dropout = check.non_negative_float("dropout", dropout)
        if self.dropout >= 1:
            raise ParameterError(f"dropout must be below 1, not {dropout}")
        self.max_epochs = check.positive_int("max_epochs", max_epochs)
        self.early_stop_patience = check.positive_int("early_stop_patience", early_stop_patience)
        self.validation_fraction = check.fraction("validation_fraction", validation_fraction)
        self.max_fit_seconds = (
            None
            if max_fit_seconds is None
            else check.positive_float("max_fit_seconds", max_fit_seconds)
        )
        self.target_first = bool(target_first)
        self.calibrate_marginals = bool(calibrate_marginals)
        self.threads = None if threads is None else check.positive_int("threads", threads)
        self.device = check_device_name(device)
        self.dp_preprocessing_share = check.fraction(
            "dp_preprocessing_share", dp_preprocessing_share
        )

    tokenizer_: TableTokenizer
    order_: list[int]  # tokenizer column index of each network position
    network_: AutoregressiveNetwork
    loss_history_: dict[str, np.ndarray]
    epochs_trained_: int
    best_validation_loss_: float | None
    fit_warnings_: list[str]  # notes of a private fit's release, printed by the CLI
    _device: torch.device

    # ---- fitting ----------------------------------------------------------------------

    def _fit(
        self,
        df: pd.DataFrame,
        schema: Schema,
        rng: np.random.Generator,
        progress: ProgressCallback | None,
    ) -> None:
        self.fit_warnings_ = []
        with torch_threads(self._threads(self._batch_size(len(df)))):
            self._fit_tokens(df, schema, rng, progress)

    def _fit_private(
        self,
        df: pd.DataFrame,
        schema: Schema,
        rng: np.random.Generator,
        progress: ProgressCallback | None,
        spec: PrivacySpec,
    ) -> PrivacyLedger:
        # Opacus and the DP mechanisms load only when a private fit needs them.
        from synthera.models.autoregressive.private import fit_private

        with torch_threads(self._threads(self._batch_size(len(df)))):
            return fit_private(self, df, schema, rng, progress, spec)

    def _max_tokens(self, n: int) -> int:
        if self.max_tokens is not None:
            return self.max_tokens
        return int(np.clip(2 ** round(math.log2(max(n, 1) / 128)), MIN_TOKENS, MAX_TOKENS))

    def _threads(self, batch: int) -> int:
        if self.threads is not None:
            return self.threads
        return int(np.clip(batch // 1024, 1, os.cpu_count() or 1))

    def _fit_tokens(
        self,
        df: pd.DataFrame,
        schema: Schema,
        rng: np.random.Generator,
        progress: ProgressCallback | None,
    ) -> None:
        self._device = resolve_device(self.device)
        report(progress, "encode", 0, 1)
        tokenizer = TableTokenizer(schema, max_tokens=self._max_tokens(len(df))).fit(df, rng)
        if not tokenizer.columns:
            raise ParameterError(
                f"{self.name} needs at least one modelled column (numeric, categorical, "
                "boolean or datetime); this table has only id or text columns"
            )
        order = self._column_order(tokenizer, schema)
        tokens = tokenizer.encode(df)[:, order]
        report(progress, "encode", 1, 1)
        self.tokenizer_, self.order_ = tokenizer, order
        generator = torch_generator(rng, torch.device("cpu"))  # splits, batches, weights
        train, validation = self._split(tokens, generator)
        self.network_ = self._build_network(torch.device("cpu"))
        self.network_.initialise(
            generator,
            [np.bincount(train[:, j], minlength=v) for j, v in enumerate(self.network_.vocab)],
        )
        self.network_.to(self._device)
        train_tokens = torch.as_tensor(train, device=self._device)
        self._train(
            train_tokens,
            None if validation is None else torch.as_tensor(validation, device=self._device),
            generator,
            torch_generator(rng, self._device),  # dropout masks, drawn where the network is
            progress,
        )
        if self.calibrate_marginals:
            report(progress, "calibrate marginals", 0, 1)
            with torch_threads(self._threads(self._batch_size(len(train)))):
                calibrate_output_bias(self.network_, train_tokens.long())
            report(progress, "calibrate marginals", 1, 1)
        self.network_.eval()

    def _column_order(self, tokenizer: TableTokenizer, schema: Schema) -> list[int]:
        columns = tokenizer.columns
        order = list(range(len(columns)))
        if self.target_first and schema.target in columns:
            first = columns.index(schema.target)
            order = [first, *(j for j in order if j != first)]
        return order

    def _build_network(self, device: torch.device) -> AutoregressiveNetwork:
        vocab = [self.tokenizer_.vocab_size(self.tokenizer_.columns[j]) for j in self.order_]
        network = AutoregressiveNetwork(vocab, self.hidden, self.max_embedding, self.dropout)
        return network.to(device)

    def _split(
        self, tokens: np.ndarray, generator: torch.Generator
    ) -> tuple[np.ndarray, np.ndarray | None]:
        n = tokens.shape[0]
        held = min(MAX_VALIDATION_ROWS, round(self.validation_fraction * n))
        if held < MIN_VALIDATION_ROWS or held >= n:
            return tokens, None
        order = torch.randperm(n, generator=generator).numpy()
        return tokens[order[held:]], tokens[order[:held]]

    def _batch_size(self, n: int) -> int:
        if self.batch_size is not None:
            return min(self.batch_size, n)
        return int(np.clip(2 ** round(math.log2(max(n, 1) / 64)), 64, 4096))

    def _train(
        self,
        train: torch.Tensor,
        validation: torch.Tensor | None,
        generator: torch.Generator,
        dropout_generator: torch.Generator,
        progress: ProgressCallback | None,
    ) -> None:
        network = self.network_
        optimizer = torch.optim.AdamW(
            network.parameters(), lr=self.learning_rate, weight_decay=self.weight_decay
        )
        # Halve the rate as soon as an epoch does not improve: the late, small steps
        # are what bring the validation loss down (a constant rate stalls above it).
        scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
            optimizer, factor=0.5, patience=0, threshold=1e-4, threshold_mode="abs"
        )
        n = train.shape[0]
        batch = self._batch_size(n)
        steps = max(n // batch, 1)
        history: dict[str, list[float]] = {"train": [], "validation": []}
        best, best_state, misses = math.inf, snapshot_module(network), 0
        started = time.perf_counter()
        for epoch in range(1, self.max_epochs + 1):
            network.train()
            totals = LossTotals()
            permutation = torch.randperm(n, generator=generator).to(train.device)
            for step in range(steps):
                rows = train[permutation[step * batch : (step + 1) * batch]].long()
                loss = network.negative_log_likelihood(rows, dropout_generator).mean()
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                totals.add(train=loss)
            losses = totals.means()
            if validation is not None:
                losses["validation"] = self._validation_loss(validation)
            for name, value in losses.items():
                history[name].append(value)
            report(progress, "train", epoch, self.max_epochs, losses)
            if not math.isfinite(losses["train"]):
                raise ParameterError(
                    f"{self.name} training diverged (the loss became infinite or NaN); "
                    "try a lower learning_rate"
                )
            score = losses.get("validation", losses["train"])
            if score < best - 1e-4:
                best, best_state, misses = score, snapshot_module(network), 0
            else:
                misses += 1
            scheduler.step(score)
            out_of_time = (
                self.max_fit_seconds is not None
                and time.perf_counter() - started > self.max_fit_seconds
            )
            if (validation is not None and misses >= self.early_stop_patience) or out_of_time:
                break
        network.load_state_dict(best_state)
        self.loss_history_ = {k: np.asarray(v) for k, v in history.items() if v}
        self.epochs_trained_ = len(history["train"])
        self.best_validation_loss_ = None if validation is None else float(best)

    @torch.no_grad()
    def _validation_loss(self, validation: torch.Tensor) -> float:
        self.network_.eval()
        total = torch.zeros((), device=validation.device)
        for start in range(0, validation.shape[0], EVALUATION_CHUNK):
            rows = validation[start : start + EVALUATION_CHUNK].long()
            total += self.network_.negative_log_likelihood(rows).sum()
        return float(total) / validation.shape[0]

    # ---- sampling ---------------------------------------------------------------------

    def _sample(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        return self._generate(n, {}, rng)

    def _generate(self, n: int, fixed: Mapping[int, int], rng: np.random.Generator) -> pd.DataFrame:
        """n rows; `fixed` maps network positions to tokens."""
        generator = torch_generator(rng, self._device)
        chunks = []
        with torch_threads(self._threads(self._batch_size(self.n_training_rows_))):
            for start in range(0, n, SAMPLE_CHUNK):
                size = min(SAMPLE_CHUNK, n - start)
                given = {
                    j: torch.full((size,), token, dtype=torch.long, device=self._device)
                    for j, token in fixed.items()
                }
                chunks.append(self.network_.sample(size, generator, given).cpu().numpy())
        tokens = np.concatenate(chunks) if chunks else np.zeros((0, len(self.order_)), np.int64)
        in_tokenizer_order = np.empty_like(tokens)
        in_tokenizer_order[:, self.order_] = tokens
        return self.tokenizer_.decode(in_tokenizer_order, np.random.default_rng(derive_seed(rng)))

    def _sample_conditional(
        self, n: int, wanted: Mapping[str, Any], rng: np.random.Generator
    ) -> pd.DataFrame | None:
        """Exact when the conditioned columns are the first ones the network models (the
        target, by default) and every value has its own token; otherwise None, and the
        base class samples by rejection."""
        columns = self.tokenizer_.columns
        fixed: dict[int, int] = {}
        for column, value in wanted.items():
            if column not in columns:
                return None
            position = self.order_.index(columns.index(column))
            token = self.tokenizer_.exact_token(column, value)
            if token is None:
                return None
            fixed[position] = token
        if sorted(fixed) != list(range(len(fixed))):
            return None
        return self._generate(n, fixed, rng)

    # ---- state ------------------------------------------------------------------------

    def _get_state(self) -> dict[str, Any]:
        return {
            "tokenizer": self.tokenizer_.get_state(),
            "order": np.asarray(self.order_, dtype=np.int64),
            "network": module_to_arrays(self.network_),
            "loss_history": dict(self.loss_history_),
            "epochs_trained": self.epochs_trained_,
            "best_validation_loss": self.best_validation_loss_,
        }

    def _set_state(self, state: Mapping[str, Any], schema: Schema) -> None:
        self._device = resolve_device(self.device, strict=False)
        self.tokenizer_ = TableTokenizer.from_state(schema, state["tokenizer"])
        order = [int(j) for j in np.asarray(state["order"]).ravel()]
        if sorted(order) != list(range(len(self.tokenizer_.columns))):
            raise ModelFileError("the column order does not match the tokenizer's columns")
        self.order_ = order
        self.network_ = self._build_network(self._device)
        arrays_into_module(self.network_, state["network"], self.name)
        self.network_.eval()
        self.loss_history_ = {
            str(k): np.asarray(v, dtype=np.float64) for k, v in state["loss_history"].items()
        }
        self.epochs_trained_ = int(state["epochs_trained"])
        loss = state.get("best_validation_loss")
        self.best_validation_loss_ = None if loss is None else float(loss)
