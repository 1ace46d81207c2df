"""A classifier trained on the real table with differential privacy: an MLP under DP-SGD.

`PrivateClassifier(target).fit(df, privacy={"epsilon": 1.0})` plans its inputs privately
(see `classifier_features`: preprocessing takes `preprocessing_share` of ε and half of δ,
columns declared in the schema cost nothing) and trains with Opacus'
`make_private_with_epsilon` on the rest: Poisson sampling, per-sample clipping at the
spec's `max_grad_norm`, Gaussian noise calibrated by the spec's accountant for the planned
epochs. The ledger (`privacy_`) records every part; basic composition adds them up.
Without `privacy` the same network is trained the same way (same plan rules on exact
values, same epochs and optimiser) with plain mini-batches: the baseline that shows what
privacy costs.

Only `nn.Linear` and ReLU layers, which Opacus' per-sample hooks support; no batch norm.
A fitted classifier is a model directory (`model.json` + `weights.safetensors`, no pickle).
"""

from __future__ import annotations

import contextlib
import time
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import numpy as np
import pandas as pd
import torch
from sklearn.metrics import accuracy_score, roc_auc_score
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from synthera import __version__
from synthera.errors import ColumnNotFoundError, ModelFileError, NotFittedError, ParameterError
from synthera.io import split_holdout
from synthera.metrics.columns import is_numeric
from synthera.models.neural import params as check
from synthera.models.neural.randomness import init_linear_layers, torch_generator
from synthera.models.neural.weights import arrays_into_module, module_to_arrays
from synthera.models.persistence import read_model_dir, write_model_dir
from synthera.privacy.classifier_features import FeaturePlan, plan_features
from synthera.privacy.ledger import BudgetPart, PrivacyLedger
from synthera.privacy.spec import PrivacySpec
from synthera.progress import ProgressCallback, report
from synthera.schema import Schema
from synthera.seeding import Seed, make_rng

MODEL_NAME = "private_classifier"
CPU = torch.device("cpu")


def build_network(inputs: int, hidden: Sequence[int], outputs: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    width = inputs
    for size in hidden:
        layers += [nn.Linear(width, size), nn.ReLU()]
        width = size
    return nn.Sequential(*layers, nn.Linear(width, outputs))


@dataclass(frozen=True)
class DPTraining:
    """What DP-SGD ran: enough to recompute ε with Opacus' accountant."""

    noise_multiplier: float
    sample_rate: float
    steps: int
    epsilon: float
    delta: float
    accountant: str


class PrivateClassifier:
    """An MLP classifier of `target`; `fit(..., privacy=...)` trains it under DP-SGD."""

    name = MODEL_NAME

    def __init__(
        self,
        target: str,
        hidden: Sequence[int] = (64, 64),
        epochs: int = 20,
        batch_size: int = 512,
        learning_rate: float = 2e-3,
        preprocessing_share: float = 0.2,
    ) -> None:
        """`batch_size` is the expected batch under Poisson sampling. `preprocessing_share`:
        the part of ε spent on bounds and category sets (when any column needs them)."""
        if not isinstance(target, str) or not target:
            raise ParameterError("the classifier needs a target column name")
        self.target = target
        self.hidden = check.layer_sizes("hidden", hidden)
        self.epochs = check.positive_int("epochs", epochs)
        self.batch_size = check.positive_int("batch_size", batch_size)
        self.learning_rate = check.positive_float("learning_rate", learning_rate)
        self.preprocessing_share = check.fraction("preprocessing_share", preprocessing_share)

    def get_params(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "hidden": list(self.hidden),
            "epochs": self.epochs,
            "batch_size": self.batch_size,
            "learning_rate": self.learning_rate,
            "preprocessing_share": self.preprocessing_share,
        }

    # ---- fitting ----------------------------------------------------------------------

    plan_: FeaturePlan
    schema_: Schema
    network_: nn.Sequential
    privacy_: PrivacyLedger | None
    training_: DPTraining | None
    notes_: list[str]

    @property
    def is_fitted(self) -> bool:
        return hasattr(self, "network_")

    def fit(
        self,
        df: pd.DataFrame,
        schema: Schema | None = None,
        *,
        privacy: PrivacySpec | Mapping[str, Any] | None = None,
        seed: Seed = None,
        progress: ProgressCallback | None = None,
    ) -> Self:
        spec = PrivacySpec.coerce(privacy)
        schema = schema if schema is not None else Schema.infer(df, target=self.target)
        schema.validate(df)
        if self.target not in schema:
            raise ColumnNotFoundError(
                f"target column {self.target!r} does not exist (columns: "
                f"{', '.join(schema.names[:8])})"
            )
        if is_numeric(schema[self.target]) or self.target not in schema.modelled:
            raise ParameterError(
                f"the target {self.target!r} is {schema[self.target].kind.value}: the private "
                "classifier predicts classes (declare the column categorical in the schema)"
            )
        if len(df) < 2:
            raise ParameterError("cannot train a classifier on fewer than two rows")
        rng = make_rng(seed)
        delta = spec.resolved_delta(len(df)) if spec is not None else 0.0
        share = self.preprocessing_share if spec is not None else 0.0
        planned = plan_features(
            df,
            schema,
            self.target,
            epsilon=None if spec is None else spec.epsilon * share,
            delta=delta / 2,
            rng=rng,
        )
        spent_before = sum(p.epsilon for p in planned.parts)
        delta_before = sum(p.delta for p in planned.parts)
        plan = planned.plan
        codes = plan.class_codes(df[self.target])
        known = codes >= 0
        x = torch.from_numpy(plan.transform(df[known], schema))
        y = torch.from_numpy(codes[known].astype(np.int64))
        if len(y) < 2:
            raise ParameterError(f"fewer than two rows have a known class of {self.target!r}")
        network = build_network(plan.width, self.hidden, len(plan.classes))
        init_linear_layers(network, torch_generator(rng, CPU))
        self.notes_ = list(planned.notes)
        self.training_ = None
        self.privacy_ = None
        if spec is None:
            self._train(network, x, y, None, rng, progress)
        else:
            training = self._train(
                network,
                x,
                y,
                (spec, spec.epsilon - spent_before, delta - delta_before),
                rng,
                progress,
            )
            assert training is not None
            self.training_ = training
            part = BudgetPart(
                "training",
                training.epsilon,
                training.delta,
                f"DP-SGD (Opacus): Poisson sampling rate {training.sample_rate:.4g}, "
                f"{training.steps} steps, noise multiplier {training.noise_multiplier:.4g}, "
                f"clipping norm {spec.max_grad_norm:g}",
            )
            ledger = PrivacyLedger(
                spec.epsilon, delta, spec.accountant, (*planned.parts, part), planned.public
            )
            ledger.check_within_target()
            self.privacy_ = ledger
        self.plan_, self.schema_, self.network_ = plan, schema, network.eval()
        return self

    def _train(
        self,
        network: nn.Sequential,
        x: torch.Tensor,
        y: torch.Tensor,
        budget: tuple[PrivacySpec, float, float] | None,
        rng: np.random.Generator,
        progress: ProgressCallback | None,
    ) -> DPTraining | None:
        """Adam on cross-entropy for `epochs`; with `budget` (spec, ε, δ left) under DP-SGD."""
        loader = DataLoader(
            TensorDataset(x, y),
            batch_size=self.batch_size,
            shuffle=True,
            generator=torch_generator(rng, CPU),
        )
        optimizer: torch.optim.Optimizer = torch.optim.Adam(
            network.parameters(), lr=self.learning_rate
        )
        criterion = nn.CrossEntropyLoss()
        model: nn.Module = network
        engine = None
        stage = "train classifier" + (" (DP-SGD)" if budget else "")
        if budget is not None:
            model, optimizer, loader, engine = _make_private(
                network, optimizer, loader, budget, self.epochs, rng
            )
        model.train()
        with quiet_opacus():
            for epoch in range(self.epochs):
                total, count = 0.0, 0
                for xb, yb in loader:
                    optimizer.zero_grad(set_to_none=True)
                    loss = criterion(model(xb), yb)
                    loss.backward()
                    optimizer.step()
                    total += float(loss.detach()) * len(yb)
                    count += len(yb)
                report(progress, stage, epoch + 1, self.epochs, {"loss": total / max(count, 1)})
            if engine is None or budget is None:
                return None
            spec, _, delta = budget
            history = engine.accountant.history  # [(noise multiplier, sample rate, steps)]
            epsilon = float(engine.get_epsilon(delta))
        model.to_standard_module()  # type: ignore[operator]  # drop Opacus' hooks
        return DPTraining(
            float(history[0][0]),
            float(history[0][1]),
            int(sum(entry[2] for entry in history)),
            epsilon,
            delta,
            spec.accountant,
        )

    # ---- predicting -------------------------------------------------------------------

    def _check_fitted(self) -> None:
        if not self.is_fitted:
            raise NotFittedError("the classifier is not trained yet: call fit() first")

    def _matrix(self, df: pd.DataFrame) -> torch.Tensor:
        missing = [c.name for c in self.plan_.columns if c.name not in df.columns]
        if missing:
            raise ColumnNotFoundError(
                f"the table lacks the column{'s' if len(missing) > 1 else ''} "
                f"{', '.join(map(repr, missing[:8]))} the classifier needs"
            )
        return torch.from_numpy(self.plan_.transform(df, self.schema_))

    def predict_proba(self, df: pd.DataFrame) -> pd.DataFrame:
        """One column of probabilities per class (named by the class)."""
        self._check_fitted()
        with torch.no_grad():
            proba = torch.softmax(self.network_(self._matrix(df)), dim=1).numpy()
        return pd.DataFrame(proba.astype(float), columns=list(self.plan_.classes), index=df.index)

    def predict(self, df: pd.DataFrame) -> pd.Series:
        proba = self.predict_proba(df)
        classes = np.array(self.plan_.classes, dtype=object)
        return pd.Series(classes[proba.to_numpy().argmax(axis=1)], index=df.index, name=self.target)

    def score(self, df: pd.DataFrame) -> dict[str, float | None]:
        """ROC-AUC (one-vs-rest macro for several classes) and accuracy on `df`'s rows whose
        class the classifier knows; `rows` counts them."""
        self._check_fitted()
        if self.target not in df.columns:
            raise ColumnNotFoundError(f"the table has no target column {self.target!r}")
        codes = self.plan_.class_codes(df[self.target])
        known = codes >= 0
        if not known.any():
            return {"roc_auc": None, "accuracy": None, "rows": 0.0}
        proba = self.predict_proba(df[known]).to_numpy()
        truth = codes[known]
        accuracy = float(accuracy_score(truth, proba.argmax(axis=1)))
        auc: float | None = None
        present = np.unique(truth)
        if len(present) == len(self.plan_.classes) == 2:
            auc = float(roc_auc_score(truth, proba[:, 1]))
        elif len(present) == len(self.plan_.classes) > 2:
            auc = float(roc_auc_score(truth, proba, multi_class="ovr", average="macro"))
        return {"roc_auc": auc, "accuracy": accuracy, "rows": float(known.sum())}

    def losses(self, df: pd.DataFrame) -> np.ndarray:
        """Per-row cross-entropy of the true class (inf where the class is unknown): what a
        loss-threshold membership attack reads."""
        proba = self.predict_proba(df).to_numpy()
        codes = self.plan_.class_codes(df[self.target])
        out = np.full(len(df), np.inf)
        known = codes >= 0
        picked = proba[np.flatnonzero(known), codes[known]]
        out[known] = -np.log(np.clip(picked, 1e-12, 1.0))
        return out

    # ---- files ------------------------------------------------------------------------

    def save(self, directory: str | Path, *, extra: Mapping[str, Any] | None = None) -> Path:
        """`model.json` (plan, schema, ledger, `extra` facts) + `weights.safetensors`."""
        self._check_fitted()
        header = {
            "synthera_version": __version__,
            "model": MODEL_NAME,
            "params": self.get_params(),
            "schema": self.schema_.to_dict(),
            "plan": self.plan_.to_dict(),
            "privacy": None if self.privacy_ is None else self.privacy_.to_dict(),
            "notes": list(self.notes_),
            **dict(extra or {}),
        }
        return write_model_dir(directory, header, {"network": module_to_arrays(self.network_)})

    @classmethod
    def load(cls, directory: str | Path) -> PrivateClassifier:
        header, state = read_model_dir(directory)
        if header.get("model") != MODEL_NAME:
            raise ModelFileError(
                f"{directory} holds a {header.get('model')!r} model, not a private classifier"
            )
        try:
            model = cls(**header["params"])
            model.schema_ = Schema.from_dict(header["schema"])
            model.plan_ = FeaturePlan.from_dict(header["plan"])
            network = build_network(model.plan_.width, model.hidden, len(model.plan_.classes))
            arrays_into_module(network, state["network"], "classifier")
            privacy = header.get("privacy")
            model.privacy_ = None if privacy is None else PrivacyLedger.from_dict(privacy)
            model.notes_ = [str(n) for n in header.get("notes", [])]
            model.training_ = None
        except (KeyError, TypeError, ValueError, ParameterError) as exc:
            raise ModelFileError(f"{directory} holds an unreadable classifier: {exc}") from None
        model.network_ = network.eval()
        return model


@contextlib.contextmanager
def quiet_opacus() -> Iterator[None]:
    """Silence three Opacus warnings that say nothing about this use: secure_mode is off
    (our noise is seeded on purpose, for reproducible runs), the RDP order search hit its
    largest order (the PRV accountant only uses it to bound its domain), and a full
    backward hook fires although the inputs need no gradient (they never do here)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Secure RNG turned off")
        warnings.filterwarnings("ignore", message="Optimal order is the largest alpha")
        warnings.filterwarnings("ignore", message="Full backward hook is firing")
        yield


def _make_private(
    network: nn.Module,
    optimizer: torch.optim.Optimizer,
    loader: DataLoader[tuple[torch.Tensor, ...]],
    budget: tuple[PrivacySpec, float, float],
    epochs: int,
    rng: np.random.Generator,
) -> tuple[nn.Module, Any, DataLoader[tuple[torch.Tensor, ...]], Any]:
    """Opacus' `make_private_with_epsilon`, with its "budget too low" turned into one line."""
    from opacus import PrivacyEngine

    spec, epsilon, delta = budget
    try:
        with quiet_opacus():
            engine = PrivacyEngine(accountant=spec.accountant)
            model, dp_optimizer, dp_loader = engine.make_private_with_epsilon(
                module=network,
                optimizer=optimizer,
                data_loader=loader,
                target_epsilon=epsilon,
                target_delta=delta,
                epochs=epochs,
                max_grad_norm=spec.max_grad_norm,
                noise_generator=torch_generator(rng, CPU),
            )
    except ValueError as exc:
        raise ParameterError(
            f"ε={spec.epsilon:g} is too small to train {epochs} epochs on this table "
            f"({exc}); raise epsilon, or train fewer epochs with a larger batch"
        ) from None
    return model, dp_optimizer, dp_loader, engine


@dataclass
class PrivateTraining:
    """A private classifier and its non-private twin, both scored on the same holdout."""

    private: PrivateClassifier
    baseline: PrivateClassifier
    scores: dict[str, dict[str, float | None]]  # "private" / "non_private" -> metrics
    train_rows: int
    holdout_rows: int
    seconds: dict[str, float]

    def summary(self) -> dict[str, Any]:
        ledger = self.private.privacy_
        return {
            "target": self.private.target,
            "classes": list(self.private.plan_.classes),
            "train_rows": self.train_rows,
            "holdout_rows": self.holdout_rows,
            "scores": self.scores,
            "seconds": self.seconds,
            "privacy": None if ledger is None else ledger.to_dict(),
            "notes": list(self.private.notes_),
        }


def train_with_baseline(
    df: pd.DataFrame,
    target: str,
    *,
    privacy: PrivacySpec | Mapping[str, Any],
    schema: Schema | None = None,
    holdout: float = 0.2,
    seed: Seed = None,
    progress: ProgressCallback | None = None,
    **params: Any,
) -> PrivateTraining:
    """Hold out `holdout` of the rows (seeded, stratified on the target), train the
    classifier with and without privacy on the rest, and score both on the holdout.

    The ε covers the training rows; the holdout rows are only scored, and their scores
    are not private."""
    if target not in df.columns:
        shown = ", ".join(map(str, df.columns[:8]))
        raise ColumnNotFoundError(f"target column {target!r} does not exist (columns: {shown})")
    rng = make_rng(seed)
    schema = schema if schema is not None else Schema.infer(df, target=target)
    train, test = split_holdout(
        df, fraction=holdout, seed=int(rng.integers(2**31 - 1)), stratify=target
    )
    seconds: dict[str, float] = {}
    models: dict[str, PrivateClassifier] = {}
    for key, spec in (("private", privacy), ("non_private", None)):
        started = time.perf_counter()
        models[key] = PrivateClassifier(target, **params).fit(
            train, schema, privacy=spec, seed=rng, progress=progress
        )
        seconds[key] = round(time.perf_counter() - started, 3)
    return PrivateTraining(
        models["private"],
        models["non_private"],
        {key: model.score(test) for key, model in models.items()},
        len(train),
        len(test),
        seconds,
    )
