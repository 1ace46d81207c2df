"""What CTGAN and TVAE share: encoding, devices, the training frame, decoding, the
mode-collapse check and the saved state. A subclass builds and trains its networks and
generates encoded rows; everything around that lives here.

A private fit (`privacy=` on `fit`) runs the same frame with the two parts that read the
rows swapped for private ones: the encoder is built from one DP release of column
summaries (`privacy.preprocessing`, its share of the budget set by
`dp_preprocessing_share`), and the subclass trains with DP-SGD (`_train_private`, through
`privacy.dp_sgd`) on the rest. Early stopping is refused there: scoring held-out real rows
again and again would spend budget that nothing accounts for.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import torch
from threadpoolctl import threadpool_limits

from synthera.errors import ModelFileError, ParameterError
from synthera.models.base import Synthesizer
from synthera.models.neural.collapse import collapse_warnings
from synthera.models.neural.device import resolve_device
from synthera.models.neural.fidelity import EncodedFidelity
from synthera.models.neural.layout import OutputLayout
from synthera.models.neural.randomness import init_linear_layers, torch_generator
from synthera.models.neural.training import (
    EarlyStopping,
    EpochCallback,
    ReportProgress,
    snapshot_module,
)
from synthera.models.neural.weights import arrays_into_module, module_to_arrays
from synthera.privacy.ledger import PrivacyLedger
from synthera.privacy.spec import PrivacySpec
from synthera.progress import ProgressCallback, report
from synthera.schema import Schema
from synthera.seeding import derive_seed
from synthera.transforms import OneHotCategorical, TableEncoder

if TYPE_CHECKING:
    from synthera.privacy.dp_sgd import DpSgdPlan
    from synthera.privacy.preprocessing import PrivateSummaries

MAX_VALIDATION_ROWS = 5_000
MIN_VALIDATION_SAMPLE = 2_000  # generated rows scored against the validation slice
SAMPLE_CHUNK = 10_000  # rows generated per forward pass when sampling


class NeuralSynthesizer(Synthesizer):
    """Base of the PyTorch generators. Subclasses set, in `__init__`, at least: `epochs`,
    `max_components`, `device`, `early_stop_patience`, `validation_every`,
    `validation_fraction`, `collapse_check_rows`, `dp_preprocessing_share`."""

    epochs: int
    batch_size: int
    dp_preprocessing_share: float  # of a private fit's ε and δ, for the encoder's summaries
    max_components: int
    device: str
    early_stop_patience: int | None
    validation_every: int
    validation_fraction: float
    collapse_check_rows: int

    encoder_: TableEncoder
    category_counts_: np.ndarray  # training rows per category (conditional-vector order)
    loss_history_: dict[str, np.ndarray]  # one entry per epoch trained
    epochs_trained_: int
    best_validation_score_: float | None  # the early-stopping score kept, if enabled
    fit_warnings_: list[str]  # e.g. mode collapse; the CLI prints them after `fit`

    _layout: OutputLayout
    _device: torch.device
    _release: PrivateSummaries  # a private fit's DP release, for `_train_private`

    # ---- what a subclass provides ----------------------------------------------------

    @abstractmethod
    def _build_networks(self) -> None:
        """Create the networks (untrained) for `self._layout` on `self._device`."""

    @abstractmethod
    def _generating_network(self) -> torch.nn.Module:
        """The network that sampling needs: saved, loaded and snapshotted."""

    @abstractmethod
    def _train(
        self, data: torch.Tensor, generator: torch.Generator, callbacks: list[EpochCallback]
    ) -> dict[str, np.ndarray]:
        """Train on encoded rows (on the device); return the per-epoch loss history."""

    @abstractmethod
    def _generate(
        self, n: int, generator: torch.Generator, category: int | None = None
    ) -> torch.Tensor:
        """n encoded rows (on the device) that the encoder can decode; `category` (a
        conditional-vector index) is for models that condition natively."""

    def _runtime_ready(self) -> None:
        """Called once the layout and category counts are known (fit and load)."""

    def _private_steps(self, n_rows: int) -> int:
        """How many noisy optimiser steps a private fit of `n_rows` rows takes."""
        raise NotImplementedError(f"{self.name} does not train privately")

    def _train_private(
        self,
        data: torch.Tensor,
        generator: torch.Generator,
        callbacks: list[EpochCallback],
        plan: DpSgdPlan,
    ) -> tuple[dict[str, np.ndarray], int, str]:
        """Train with DP-SGD as `plan` says; return the loss history, the number of noisy
        steps taken and what they trained (in words, for the ledger)."""
        raise NotImplementedError(f"{self.name} does not train privately")

    # ---- fitting ---------------------------------------------------------------------

    def _fit(
        self,
        df: pd.DataFrame,
        schema: Schema,
        rng: np.random.Generator,
        progress: ProgressCallback | None,
    ) -> None:
        self._device = resolve_device(self.device)
        report(progress, "encode", 0, 1)
        encoder = TableEncoder(
            schema, style="mode_specific", max_components=self.max_components, dtype=np.float32
        )
        # The mixture fits multiply small matrices: BLAS threads only wait on each other
        # there (3x slower on 2 busy cores), so the encoding runs single-threaded.
        with threadpool_limits(limits=1):
            encoded = encoder.fit_transform(df, seed=derive_seed(rng))
        report(progress, "encode", 1, 1)
        self._layout = OutputLayout(encoder.spans, self._device)
        if self._layout.width == 0:
            raise ParameterError(
                f"{self.name} needs at least one modelled column (numeric, categorical, "
                "boolean or datetime); this table has only id or text columns"
            )
        generator = torch_generator(rng, self._device)
        data = torch.as_tensor(self._layout.to_model_order(encoded), device=self._device)
        del encoded
        self.encoder_ = encoder
        self.category_counts_ = self._layout.discrete_counts(data).cpu().numpy()
        self._runtime_ready()
        self._build_networks()
        init_linear_layers(self._generating_network(), generator)

        train, validation = self._split_validation(data, generator)
        callbacks: list[EpochCallback] = [ReportProgress(progress, self.epochs)]
        stopper = None
        if validation is not None:
            stopper = self._early_stopping(validation, generator)
            callbacks.append(stopper)
        self.loss_history_ = self._train(train, generator, callbacks)
        self._finish_training()
        self.best_validation_score_ = None
        if stopper is not None:
            stopper.finish()
            self.best_validation_score_ = float(stopper.best_score)
        self._generating_network().eval()
        self.fit_warnings_ = self._check_collapse(generator, progress)

    def _fit_private(
        self,
        df: pd.DataFrame,
        schema: Schema,
        rng: np.random.Generator,
        progress: ProgressCallback | None,
        spec: PrivacySpec,
    ) -> PrivacyLedger:
        # Opacus and the DP mechanisms load only when a private fit needs them.
        from synthera.privacy.dp_sgd import plan_dp_sgd, training_part
        from synthera.privacy.encoding import private_encoder
        from synthera.privacy.preprocessing import private_summaries

        if self.early_stop_patience is not None:
            raise ParameterError(
                "early stopping scores held-out real rows outside the privacy budget; "
                "set early_stop_patience=None for a private fit"
            )
        n = len(df)
        delta = spec.resolved_delta(n)
        share = self.dp_preprocessing_share
        # Plan the training first: an impossible budget fails before any work.
        plan = plan_dp_sgd(
            epsilon=(1.0 - share) * spec.epsilon,
            delta=(1.0 - share) * delta,
            n_rows=n,
            batch_size=self.batch_size,
            steps=self._private_steps(n),
            max_grad_norm=spec.max_grad_norm,
            accountant=spec.accountant,
        )
        self._device = resolve_device(self.device)
        report(progress, "encode", 0, 1)
        summaries = private_summaries(
            df,
            schema,
            epsilon=share * spec.epsilon,
            delta=share * delta,
            max_components=self.max_components,
            rng=rng,
        )
        self._release = summaries
        encoder = private_encoder(df, schema, summaries, max_components=self.max_components)
        encoded = encoder.transform(df, seed=derive_seed(rng))
        report(progress, "encode", 1, 1)
        self._layout = OutputLayout(encoder.spans, self._device)
        generator = torch_generator(rng, self._device)
        data = torch.as_tensor(self._layout.to_model_order(encoded), device=self._device)
        del encoded
        self.encoder_ = encoder
        self.category_counts_ = self._released_counts(encoder)
        self._runtime_ready()
        self._build_networks()
        init_linear_layers(self._generating_network(), generator)
        callbacks: list[EpochCallback] = [ReportProgress(progress, self.epochs)]
        self.loss_history_, steps, what = self._train_private(data, generator, callbacks, plan)
        self._finish_training()
        self.best_validation_score_ = None
        self._generating_network().eval()
        self.fit_warnings_ = [*summaries.notes, *self._check_collapse(generator, progress)]
        return PrivacyLedger(
            epsilon_target=spec.epsilon,
            delta_target=delta,
            accountant=spec.accountant,
            parts=(summaries.part, training_part(plan, steps, what)),
            public=summaries.public,
        )

    def _released_counts(self, encoder: TableEncoder) -> np.ndarray:
        """Rows per category in conditional-vector order, from the private release."""
        counts = []
        for block in self._layout.discrete:
            column = encoder.encoders[block.column]
            if isinstance(column, OneHotCategorical):  # always, for a discrete block
                counts.append(np.asarray(column.codec.counts))
        return np.concatenate(counts).astype(np.int64) if counts else np.zeros(0, np.int64)

    def _finish_training(self) -> None:
        self.epochs_trained_ = len(next(iter(self.loss_history_.values()), []))
        if not all(np.isfinite(values).all() for values in self.loss_history_.values()):
            raise ParameterError(
                f"{self.name} training diverged (a loss became infinite or NaN); "
                "try lower learning rates or a larger batch_size"
            )

    def _split_validation(
        self, data: torch.Tensor, generator: torch.Generator
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """With early stopping, hold out a slice of the rows to score the model on."""
        if self.early_stop_patience is None:
            return data, None
        n = data.shape[0]
        held = min(MAX_VALIDATION_ROWS, round(self.validation_fraction * n))
        if held < 1 or held >= n:
            raise ParameterError(
                f"early stopping needs a validation slice: {n} rows are too few for "
                f"validation_fraction={self.validation_fraction}"
            )
        order = torch.randperm(n, device=self._device, generator=generator)
        return data[order[held:]], data[order[:held]]

    def _early_stopping(
        self, validation: torch.Tensor, generator: torch.Generator
    ) -> EarlyStopping:
        fidelity = EncodedFidelity(self._layout, validation)
        n_scored = max(validation.shape[0], MIN_VALIDATION_SAMPLE)
        network = self._generating_network()

        def score() -> float:
            value = fidelity.score(self._generate(n_scored, generator))
            network.train()  # back to training mode after generating
            return value

        return EarlyStopping(
            score,
            lambda: snapshot_module(network),
            network.load_state_dict,
            every=self.validation_every,
            patience=self.early_stop_patience or 1,
        )

    def _check_collapse(
        self, generator: torch.Generator, progress: ProgressCallback | None
    ) -> list[str]:
        if self.collapse_check_rows == 0 or not self._layout.discrete:
            return []
        report(progress, "check", 0, 1)
        rows = self._generate(self.collapse_check_rows, generator)
        generated = self._layout.discrete_counts(rows).cpu().numpy()
        report(progress, "check", 1, 1)
        return collapse_warnings(self.encoder_, self._layout, self.category_counts_, generated)

    # ---- sampling --------------------------------------------------------------------

    def _sample(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        rows = self._generate(n, torch_generator(rng, self._device))
        return self._decode(rows, rng)

    def _decode(self, rows: torch.Tensor, rng: np.random.Generator) -> pd.DataFrame:
        rows = self._layout.to_encoder_order(rows)
        return self.encoder_.inverse_transform(rows.cpu().numpy(), seed=derive_seed(rng))

    # ---- state -----------------------------------------------------------------------

    def _get_state(self) -> dict[str, Any]:
        return {
            "encoder": self.encoder_.get_state(),
            "category_counts": self.category_counts_,
            "network": module_to_arrays(self._generating_network()),
            "loss_history": dict(self.loss_history_),
            "epochs_trained": self.epochs_trained_,
            "best_validation_score": self.best_validation_score_,
            "fit_warnings": list(self.fit_warnings_),
        }

    def _set_state(self, state: Mapping[str, Any], schema: Schema) -> None:
        encoder = TableEncoder.from_state(schema, state["encoder"])
        self._device = resolve_device(self.device, strict=False)
        self._layout = OutputLayout(encoder.spans, self._device)
        counts = np.asarray(state["category_counts"], dtype=np.int64)
        if counts.shape != (self._layout.n_categories,):
            raise ModelFileError(
                f"category counts have shape {counts.shape}, "
                f"expected ({self._layout.n_categories},)"
            )
        self.encoder_ = encoder
        self.category_counts_ = counts
        self._runtime_ready()
        self._build_networks()
        arrays_into_module(self._generating_network(), state["network"], self.name)
        self._generating_network().eval()
        self.loss_history_ = {
            str(k): np.asarray(v, dtype=np.float64) for k, v in state["loss_history"].items()
        }
        self.epochs_trained_ = int(state["epochs_trained"])
        score = state.get("best_validation_score")
        self.best_validation_score_ = None if score is None else float(score)
        self.fit_warnings_ = [str(w) for w in state.get("fit_warnings", [])]
