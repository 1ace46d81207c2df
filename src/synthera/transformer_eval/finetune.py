"""Fine-tuning a sequence classifier on row texts: a plain, seeded PyTorch loop.

AdamW with linear warm-up and decay; class weights so a rare target class counts as much
as a common one; a validation slice of the *training* table (never the holdout) checked a
few times per epoch, keeping the best weights and stopping when it stops improving.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch
from sklearn.model_selection import train_test_split

from synthera.errors import ParameterError
from synthera.progress import ProgressCallback, report


@dataclass(frozen=True)
class FinetuneSettings:
    """How one fine-tune runs; the defaults suit a small BERT on a CPU."""

    epochs: int = 2
    batch_size: int = 16
    learning_rate: float = 5e-5
    weight_decay: float = 0.01
    warmup_fraction: float = 0.1
    max_length: int = 128  # tokens per row text; longer texts are cut
    validation_fraction: float = 0.1
    max_validation_rows: int = 500
    evaluations_per_epoch: int = 2
    patience: int = 2  # validation checks in a row without improvement before stopping
    class_weights: bool = True
    max_steps: int | None = None  # a hard cap on optimiser steps (quick checks)

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size", "max_length", "evaluations_per_epoch", "patience"):
            if int(getattr(self, name)) < 1:
                raise ParameterError(f"{name} must be at least 1, not {getattr(self, name)}")
        if not 0 < self.learning_rate < 1:
            raise ParameterError(f"learning_rate must be in (0, 1), not {self.learning_rate}")
        if not 0 <= self.validation_fraction < 1:
            raise ParameterError(
                f"validation_fraction must be in [0, 1), not {self.validation_fraction}"
            )
        if self.max_steps is not None and self.max_steps < 1:
            raise ParameterError(f"max_steps must be at least 1, not {self.max_steps}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class TrainingHistory:
    """What one fine-tune did: losses per step, validation checks, where it stopped."""

    train_rows: int
    validation_rows: int
    steps: int = 0
    epochs_run: float = 0.0
    train_loss: list[float] = field(default_factory=list)  # one per optimiser step
    validation_loss: list[tuple[int, float]] = field(default_factory=list)  # (step, loss)
    best_step: int | None = None
    stopped_early: bool = False
    seconds: float = 0.0
    class_weights: list[float] | None = None  # the loss's weights, when it had any

    def to_dict(self) -> dict[str, Any]:
        return {
            "train_rows": self.train_rows,
            "validation_rows": self.validation_rows,
            "steps": self.steps,
            "epochs_run": round(self.epochs_run, 3),
            "train_loss": [round(v, 5) for v in self.train_loss],
            "validation_loss": [[s, round(v, 5)] for s, v in self.validation_loss],
            "best_step": self.best_step,
            "stopped_early": self.stopped_early,
            "seconds": round(self.seconds, 3),
            "class_weights": self.class_weights,
        }


def validation_split(
    labels: np.ndarray, settings: FinetuneSettings, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Row positions for training and for the validation slice (stratified where it can be).

    Tables too small to spare a slice (fewer than 20 rows) train on everything and skip
    early stopping.
    """
    n = len(labels)
    positions = np.arange(n)
    wanted = min(settings.max_validation_rows, round(settings.validation_fraction * n))
    if n < 20 or wanted < 2:
        return positions, positions[:0]
    counts = np.unique(labels, return_counts=True)[1]
    stratify = labels if counts.min() >= 2 and wanted >= len(counts) else None
    train, validation = train_test_split(
        positions, test_size=wanted, random_state=seed, stratify=stratify
    )
    return np.sort(train), np.sort(validation)


def balanced_weights(labels: np.ndarray, n_classes: int) -> np.ndarray:
    """n / (k · count) per class present (scikit-learn's "balanced"); 1 for absent ones."""
    counts = np.bincount(labels, minlength=n_classes).astype(float)
    present = counts > 0
    weights = np.ones(n_classes)
    weights[present] = len(labels) / (present.sum() * counts[present])
    return weights


def undo_class_weights(proba: np.ndarray, weights: Sequence[float] | None) -> np.ndarray:
    """Probabilities for the training table's own class mix.

    A loss that weighs class c by w_c is minimised by q(c|x) ∝ w_c · p(c|x), so the
    weighted model over-predicts rare classes; dividing by w_c and renormalising gives back
    p(c|x). Ranking within a class barely moves (binary ROC-AUC not at all), but accuracy
    and F1 then compare fairly with an unweighted baseline.
    """
    if weights is None or proba.size == 0:
        return proba
    corrected = proba / np.asarray(weights, dtype=float)
    return corrected / corrected.sum(axis=1, keepdims=True)


def _batches(count: int, size: int, order: np.ndarray | None = None) -> list[np.ndarray]:
    positions = np.arange(count) if order is None else order
    return [positions[i : i + size] for i in range(0, count, size)]


def _encode(tokenizer: Any, texts: Sequence[str], max_length: int, device: torch.device) -> Any:
    encoded = tokenizer(
        list(texts), padding=True, truncation=True, max_length=max_length, return_tensors="pt"
    )
    return {k: v.to(device) for k, v in encoded.items()}


def _warmup_then_decay(total: int, warmup: int) -> Any:
    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return max(0.0, (total - step) / max(1, total - warmup))

    return factor


class _FineTune:
    """One fine-tune's state: model, optimiser, schedule, weights and the best snapshot."""

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        n_classes: int,
        labels: np.ndarray,
        settings: FinetuneSettings,
        device: torch.device,
        total_steps: int,
    ) -> None:
        self.model, self.tokenizer, self.settings, self.device = model, tokenizer, settings, device
        weights = balanced_weights(labels, n_classes) if settings.class_weights else None
        self.loss = torch.nn.CrossEntropyLoss(
            weight=None if weights is None else torch.tensor(weights, dtype=torch.float32)
        ).to(device)
        no_decay = ("bias", "LayerNorm.weight", "layer_norm.weight", "norm.weight")
        decay: list[torch.nn.Parameter] = []
        plain: list[torch.nn.Parameter] = []
        for name, parameter in model.named_parameters():
            if parameter.requires_grad:
                (plain if name.endswith(no_decay) else decay).append(parameter)
        self.optimizer = torch.optim.AdamW(
            [
                {"params": decay, "weight_decay": settings.weight_decay},
                {"params": plain, "weight_decay": 0.0},
            ],
            lr=settings.learning_rate,
        )
        warmup = max(1, math.ceil(settings.warmup_fraction * total_steps))
        self.schedule = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, _warmup_then_decay(total_steps, warmup)
        )
        self.best_loss = math.inf
        self.best_state: dict[str, torch.Tensor] | None = None

    def step(self, texts: Sequence[str], labels: np.ndarray) -> float:
        self.model.train()
        inputs = _encode(self.tokenizer, texts, self.settings.max_length, self.device)
        logits = self.model(**inputs).logits
        loss = self.loss(logits, torch.as_tensor(labels, device=self.device))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
        self.optimizer.step()
        self.schedule.step()
        self.optimizer.zero_grad(set_to_none=True)
        return float(loss.detach())

    @torch.no_grad()
    def validation_loss(self, texts: Sequence[str], labels: np.ndarray) -> float:
        self.model.eval()
        total = 0.0
        weight = 0.0
        for batch in _batches(len(texts), self.settings.batch_size * 2):
            inputs = _encode(
                self.tokenizer, [texts[i] for i in batch], self.settings.max_length, self.device
            )
            target = torch.as_tensor(labels[batch], device=self.device)
            logits = self.model(**inputs).logits
            # The weighted mean of CrossEntropyLoss divides by the batch's summed weights.
            per_row = torch.nn.functional.cross_entropy(
                logits, target, weight=self.loss.weight, reduction="sum"
            )
            w = self.loss.weight[target].sum() if self.loss.weight is not None else len(batch)
            total += float(per_row)
            weight += float(w)
        return total / max(weight, 1e-12)

    def remember_if_best(self, loss: float) -> bool:
        if loss < self.best_loss - 1e-4:
            self.best_loss = loss
            self.best_state = {
                k: v.detach().to("cpu", copy=True) for k, v in self.model.state_dict().items()
            }
            return True
        return False

    def restore_best(self) -> None:
        if self.best_state is not None:
            self.model.load_state_dict(self.best_state)


def fine_tune(
    model: Any,
    tokenizer: Any,
    texts: Sequence[str],
    labels: np.ndarray,
    n_classes: int,
    *,
    settings: FinetuneSettings,
    seed: int,
    device: torch.device,
    progress: ProgressCallback | None = None,
    stage: str = "fine-tune",
) -> TrainingHistory:
    """Fine-tune `model` in place on (`texts`, integer `labels`) and say how it went.

    The same seed on the same hardware gives the same weights: the validation slice, the
    batch order and dropout all draw from `seed`.
    """
    labels = np.asarray(labels, dtype=np.int64)
    train, validation = validation_split(labels, settings, seed)
    history = TrainingHistory(train_rows=len(train), validation_rows=len(validation))
    steps_per_epoch = math.ceil(len(train) / settings.batch_size)
    total = steps_per_epoch * settings.epochs
    if settings.max_steps is not None:
        total = min(total, settings.max_steps)
    checks = {
        min(steps_per_epoch, round(steps_per_epoch * (i + 1) / settings.evaluations_per_epoch))
        for i in range(settings.evaluations_per_epoch)
    }
    model.to(device)
    run = _FineTune(model, tokenizer, n_classes, labels[train], settings, device, total)
    if run.loss.weight is not None:
        history.class_weights = [float(w) for w in run.loss.weight.cpu()]
    validation_texts = [texts[i] for i in validation]
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    waited = 0
    cuda = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=cuda):
        torch.manual_seed(seed)  # dropout
        for epoch in range(settings.epochs):
            order = train[rng.permutation(len(train))]
            for in_epoch, batch in enumerate(_batches(len(order), settings.batch_size, order), 1):
                loss = run.step([texts[i] for i in batch], labels[batch])
                history.train_loss.append(loss)
                history.steps += 1
                history.epochs_run = epoch + in_epoch / steps_per_epoch
                metrics = {"loss": loss}
                if len(validation) and (in_epoch in checks or history.steps == total):
                    checked = run.validation_loss(validation_texts, labels[validation])
                    history.validation_loss.append((history.steps, checked))
                    metrics["validation_loss"] = checked
                    if run.remember_if_best(checked):
                        history.best_step, waited = history.steps, 0
                    else:
                        waited += 1
                report(progress, stage, history.steps, total, metrics)
                if waited >= settings.patience:
                    history.stopped_early = history.steps < total
                    break
                if history.steps >= total:
                    break
            if waited >= settings.patience or history.steps >= total:
                break
    run.restore_best()
    model.eval()
    history.seconds = time.perf_counter() - started
    return history


@torch.no_grad()
def predict_proba(
    model: Any,
    tokenizer: Any,
    texts: Sequence[str],
    *,
    max_length: int,
    batch_size: int,
    device: torch.device,
) -> np.ndarray:
    """Class probabilities, one row per text; columns in label order."""
    model.to(device)
    model.eval()
    # Texts of similar length share a batch, so little time goes on padding.
    order = np.argsort([len(t) for t in texts], kind="stable")
    out: np.ndarray | None = None
    for batch in _batches(len(texts), batch_size, order):
        inputs = _encode(tokenizer, [texts[i] for i in batch], max_length, device)
        proba = torch.softmax(model(**inputs).logits.float(), dim=-1).cpu().numpy()
        if out is None:
            out = np.zeros((len(texts), proba.shape[1]))
        out[batch] = proba
    return out if out is not None else np.zeros((0, 0))
