"""The epoch loop shared by the neural models, extended by callbacks (as in skorch).

Losses are summed on the device during an epoch and read once at its end, so no step
waits for the device. After each epoch the callbacks see the epoch's mean losses; any
of them can ask to stop (early stopping).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

import numpy as np
import torch

from synthera.progress import ProgressCallback, report


class LossTotals:
    """Per-epoch sums of named losses, kept on the device until `means` is called."""

    def __init__(self) -> None:
        self._sums: dict[str, torch.Tensor] = {}
        self._steps = 0

    def add(self, **losses: torch.Tensor) -> None:
        for name, loss in losses.items():
            value = loss.detach()
            self._sums[name] = self._sums[name] + value if name in self._sums else value
        self._steps += 1

    def means(self) -> dict[str, float]:
        """One device-to-host copy for all losses."""
        if not self._sums:
            return {}
        values = torch.stack(list(self._sums.values())).double().cpu().tolist()
        steps = max(self._steps, 1)
        return {name: value / steps for name, value in zip(self._sums, values, strict=True)}


class EpochCallback(Protocol):
    def on_epoch_end(self, epoch: int, losses: Mapping[str, float]) -> bool:
        """Called after epoch number `epoch` (1-based); return True to stop training."""
        ...


class ReportProgress:
    """Forward each epoch's losses to the progress callback (stage "train")."""

    def __init__(self, progress: ProgressCallback | None, epochs: int) -> None:
        self.progress = progress
        self.epochs = epochs

    def on_epoch_end(self, epoch: int, losses: Mapping[str, float]) -> bool:
        report(self.progress, "train", epoch, self.epochs, losses)
        return False


class EarlyStopping:
    """Every `every` epochs, score the model (higher is better); stop after `patience`
    scores in a row that do not beat the best by `min_delta`, and (with `finish`) put
    back the weights that scored best."""

    def __init__(
        self,
        score: Callable[[], float],
        snapshot: Callable[[], Any],
        restore: Callable[[Any], None],
        *,
        every: int,
        patience: int,
        min_delta: float = 1e-4,
    ) -> None:
        self._score = score
        self._snapshot = snapshot
        self._restore = restore
        self.every = every
        self.patience = patience
        self.min_delta = min_delta
        self.best_score = -np.inf
        self.best_epoch = 0
        self.scores: list[tuple[int, float]] = []
        self._best_state: Any = None
        self._misses = 0

    def on_epoch_end(self, epoch: int, losses: Mapping[str, float]) -> bool:
        if epoch % self.every:
            return False
        score = self._score()
        self.scores.append((epoch, score))
        if score > self.best_score + self.min_delta:
            self.best_score, self.best_epoch = score, epoch
            self._best_state = self._snapshot()
            self._misses = 0
            return False
        self._misses += 1
        return self._misses >= self.patience

    def finish(self) -> None:
        if self._best_state is not None:
            self._restore(self._best_state)


def run_epochs(
    epochs: int,
    train_epoch: Callable[[LossTotals], None],
    callbacks: list[EpochCallback],
) -> dict[str, np.ndarray]:
    """Run up to `epochs` epochs; return the history of each loss (one entry per epoch)."""
    history: dict[str, list[float]] = {}
    for epoch in range(1, epochs + 1):
        totals = LossTotals()
        train_epoch(totals)
        losses = totals.means()
        for name, value in losses.items():
            history.setdefault(name, []).append(value)
        stop = False
        for callback in callbacks:
            stop = callback.on_epoch_end(epoch, losses) or stop
        if stop:
            break
    return {name: np.asarray(values, dtype=np.float64) for name, values in history.items()}


def snapshot_module(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    """A copy of the module's weights, on its own device (for early stopping)."""
    return {name: tensor.detach().clone() for name, tensor in module.state_dict().items()}


def adam(
    parameters: Iterable[torch.nn.Parameter],
    *,
    lr: float,
    betas: tuple[float, float] = (0.9, 0.999),
    weight_decay: float = 0.0,
) -> torch.optim.Adam:
    """Adam, as the paper uses it, in PyTorch's fused form (one kernel for all weights:
    several times faster per step on the CPU than the default loop, same update rule)."""
    return torch.optim.Adam(
        list(parameters), lr=lr, betas=betas, weight_decay=weight_decay, fused=True
    )
