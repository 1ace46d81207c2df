"""Table rows written as short texts a language model can read: `age: 39; workclass: State-gov`.

The target column is always left out (the model must predict it, not read it). Which
columns appear, in which order, and how each `column: value` pair is written are options.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from synthera.errors import ColumnNotFoundError, ParameterError


@dataclass(frozen=True)
class TextFormat:
    """How one row becomes one text.

    `template` writes one column (`{column}` and `{value}` are filled in), `separator`
    joins the columns, `columns` picks and orders them (None: every column but the target,
    in table order) and `missing` stands for an empty cell.
    """

    template: str = "{column}: {value}"
    separator: str = "; "
    columns: tuple[str, ...] | None = None
    missing: str = "unknown"
    digits: int = 6  # significant digits of a non-whole number

    def __post_init__(self) -> None:
        if "{value}" not in self.template:
            raise ParameterError(f"text template {self.template!r} must contain {{value}}")
        try:
            self.template.format(column="c", value="v")
        except (KeyError, IndexError, ValueError):
            raise ParameterError(
                f"text template {self.template!r} may only use {{column}} and {{value}}"
            ) from None
        if self.digits < 1:
            raise ParameterError(f"text digits must be at least 1, not {self.digits}")

    def chosen_columns(self, table: pd.DataFrame, target: str) -> list[str]:
        """The columns written, in order; the target never among them."""
        present = [str(c) for c in table.columns]
        if self.columns is None:
            chosen = [c for c in present if c != target]
        elif target in self.columns:
            raise ParameterError(f"the text columns may not include the target {target!r}")
        else:
            chosen = list(self.columns)
        missing = [c for c in chosen if c not in present]
        if missing:
            raise ColumnNotFoundError(f"text column(s) not in the table: {', '.join(missing)}")
        if not chosen:
            raise ParameterError(f"no column besides the target {target!r} to write as text")
        return chosen

    def value(self, cell: Any) -> str:
        if cell is None or cell is pd.NA or cell is pd.NaT:
            return self.missing
        if isinstance(cell, float):
            if math.isnan(cell):
                return self.missing
            # 39.0 reads as "39": a CSV reader's floats should not change the text.
            return str(int(cell)) if cell.is_integer() else f"{cell:.{self.digits}g}"
        if hasattr(cell, "item"):  # NumPy scalars
            return self.value(cell.item())
        return str(cell)


DEFAULT_FORMAT = TextFormat()


def rows_as_text(
    table: pd.DataFrame, target: str, text_format: TextFormat = DEFAULT_FORMAT
) -> list[str]:
    """One text per row of `table`, the `target` column left out."""
    columns = text_format.chosen_columns(table, target)
    pieces: list[Sequence[str]] = [
        [
            text_format.template.format(column=column, value=text_format.value(cell))
            for cell in table[column].astype(object).tolist()
        ]
        for column in columns
    ]
    return [text_format.separator.join(parts) for parts in zip(*pieces, strict=True)]
