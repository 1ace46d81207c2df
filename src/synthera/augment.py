"""Class rebalancing and data augmentation with any fitted synthesizer.

- `rebalanced_sample(model, n, column)`: n synthetic rows whose classes in `column` come
  in a chosen mix (uniform by default), with exact counts per class.
- `augment(real, model, rows=N)` or `augment(real, model, balance=column)`: the real
  rows plus synthetic ones: N unconditional rows, or exactly the rows each class of
  `column` lacks to match the largest class. An optional marker column says which rows
  are synthetic.

Both draw the rows of each class with the model's conditional sampling (CTGAN's
conditional vector where it has one, rejection sampling otherwise), so a class the
model cannot produce fails with an error that names it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from synthera.errors import ColumnNotFoundError, ParameterError
from synthera.models.base import Synthesizer
from synthera.models.conditions import condition_key
from synthera.schema import ColumnKind
from synthera.seeding import Seed, make_rng

BALANCED_KINDS = (ColumnKind.CATEGORICAL, ColumnKind.BOOLEAN)


def model_classes(model: Synthesizer, column: str) -> list[Any]:
    """The classes of a categorical or boolean column that `model` learned (the levels
    its encoder kept, most frequent first; folded rare values and missing excluded)."""
    _check_class_column(model, column)
    encoder = getattr(model, "encoder_", None)
    column_encoder = getattr(encoder, "encoders", {}).get(column) if encoder else None
    codec = getattr(column_encoder, "codec", None)
    if codec is None:
        raise ParameterError(
            f"{model.name} does not expose the classes of {column!r}; give the ratios explicitly"
        )
    return list(codec.levels)


def _check_class_column(model: Synthesizer, column: str) -> None:
    schema = model.schema_
    if column not in schema:
        raise ColumnNotFoundError(f"the model has no column {column!r}")
    kind = schema[column].kind
    if kind not in BALANCED_KINDS:
        raise ParameterError(
            f"can only rebalance categorical or boolean columns; {column!r} is {kind.value}"
        )


def class_counts(n: int, ratios: Mapping[Any, float]) -> dict[Any, int]:
    """Split n rows by `ratios` (any non-negative weights) into whole counts that add up
    to n exactly: floors first, then one more row to the largest remainders."""
    weights = np.array([float(w) for w in ratios.values()])
    if weights.size == 0 or (weights < 0).any() or not np.isfinite(weights).all():
        raise ParameterError("ratios must be non-negative numbers, at least one of them")
    if weights.sum() <= 0:
        raise ParameterError("ratios must not all be zero")
    exact = n * weights / weights.sum()
    counts = np.floor(exact).astype(np.int64)
    remainder = n - int(counts.sum())
    order = np.argsort(-(exact - counts), kind="stable")
    counts[order[:remainder]] += 1
    return dict(zip(ratios, counts.tolist(), strict=True))


def _match_ratio_keys(
    classes: list[Any], ratios: Mapping[Any, float], column: str
) -> dict[Any, float]:
    """Ratios keyed by the model's own class labels ('1', 1 and 1.0 are one class)."""
    by_key = {key: label for key, label in zip(_keys(classes), classes, strict=True)}
    matched: dict[Any, float] = {}
    for value, weight in ratios.items():
        key = _keys([value])[0]
        if key not in by_key:
            shown = ", ".join(repr(c) for c in classes[:10])
            raise ParameterError(
                f"ratio given for {value!r}, which is not a class of {column!r} ({shown})"
            )
        matched[by_key[key]] = weight
    return matched


def _keys(values: list[Any]) -> list[Any]:
    return condition_key(pd.Series(values, dtype=object)).tolist()


def rebalanced_sample(
    model: Synthesizer,
    n: int,
    column: str,
    ratios: Mapping[Any, float] | None = None,
    seed: Seed = None,
) -> pd.DataFrame:
    """n synthetic rows whose `column` classes follow `ratios` exactly (whole counts
    adding up to n); without ratios, every class the model learned gets an equal share.
    Rows come shuffled, classes mixed."""
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
        raise ParameterError(f"the number of rows must be a whole number ≥ 0, not {n!r}")
    _check_class_column(model, column)
    rng = make_rng(seed)
    if ratios is None:
        ratios = dict.fromkeys(model_classes(model, column), 1.0)
    else:
        try:
            classes = model_classes(model, column)
        except ParameterError:
            classes = list(ratios)  # a model that hides its classes: trust the labels given
        ratios = _match_ratio_keys(classes, ratios, column)
    counts = class_counts(int(n), ratios)
    return _sample_classes(model, column, counts, rng)


def _sample_classes(
    model: Synthesizer, column: str, counts: Mapping[Any, int], rng: np.random.Generator
) -> pd.DataFrame:
    pieces = [
        model.sample(count, conditions={column: label}, seed=rng)
        for label, count in counts.items()
        if count > 0
    ]
    if not pieces:
        return model.sample(0, seed=rng)
    rows = pd.concat(pieces, ignore_index=True)
    return rows.iloc[rng.permutation(len(rows))].reset_index(drop=True)


def augment(
    real: pd.DataFrame,
    model: Synthesizer,
    rows: int | None = None,
    balance: str | None = None,
    mark_column: str | None = None,
    seed: Seed = None,
) -> pd.DataFrame:
    """The real rows followed by synthetic ones: `rows` unconditional rows, or (with
    `balance=column`) exactly the rows each class of `column` lacks to equal the largest
    class in `real`. `mark_column` adds a boolean column, True on synthetic rows.
    `real` itself is never modified."""
    if (rows is None) == (balance is None):
        raise ParameterError("give either a number of rows or a column to balance, not both")
    if mark_column is not None and mark_column in real.columns:
        raise ParameterError(f"the table already has a column {mark_column!r}; choose another")
    missing = [name for name in model.schema_.names if name not in real.columns]
    if missing:
        raise ColumnNotFoundError(
            f"the table lacks column {missing[0]!r}, which the model generates"
        )
    rng = make_rng(seed)
    if rows is not None:
        if isinstance(rows, bool) or not isinstance(rows, int | np.integer) or rows < 0:
            raise ParameterError(f"the number of rows must be a whole number ≥ 0, not {rows!r}")
        synthetic = model.sample(int(rows), seed=rng)
    else:
        assert balance is not None
        synthetic = _sample_classes(model, balance, _shortfalls(real, model, balance), rng)
    synthetic = _like(synthetic, real)
    original = real.copy()
    if mark_column is not None:
        original[mark_column] = False
        synthetic[mark_column] = True
    return pd.concat([original, synthetic], ignore_index=True)


def _shortfalls(real: pd.DataFrame, model: Synthesizer, column: str) -> dict[Any, int]:
    """Rows each class of `column` needs to match the largest class in `real`."""
    _check_class_column(model, column)
    present = real[column].dropna()
    if present.empty:
        raise ParameterError(f"column {column!r} has no values to balance")
    keys = condition_key(present)
    counts = keys.value_counts(sort=False)
    labels = present.groupby(keys, sort=False).first()  # one real label per class
    largest = int(counts.max())
    return {labels[key]: largest - int(count) for key, count in counts.items()}


def _like(synthetic: pd.DataFrame, real: pd.DataFrame) -> pd.DataFrame:
    """Synthetic rows with the real table's columns (extra real columns stay empty) and,
    where the values allow it, the real columns' dtypes, so the concatenation keeps them."""
    synthetic = synthetic.reindex(columns=real.columns)
    for name in real.columns:
        if synthetic[name].dtype != real[name].dtype:
            # e.g. missing values in a column that had none: keep the wider dtype
            with contextlib.suppress(TypeError, ValueError):
                synthetic[name] = synthetic[name].astype(real[name].dtype)
    return synthetic
