"""Values made fit for JSON: NaN and infinities become null, NumPy and pandas values plain."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd


def json_safe(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(v) for v in value]
    if isinstance(value, np.ndarray):
        return [json_safe(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, bool | int | str):
        return value
    if value is pd.NaT or (not isinstance(value, type) and _is_missing(value)):
        return None
    if isinstance(value, dt.datetime | dt.date | pd.Timestamp):
        return value.isoformat()
    return str(value)


def _is_missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def table_preview(df: pd.DataFrame, rows: int) -> dict[str, Any]:
    """The first `rows` rows as {"columns": [...], "rows": [[...], ...], "n_rows": N}."""
    head = df.head(rows)
    return {
        "columns": [str(c) for c in head.columns],
        "rows": [json_safe(list(r)) for r in head.itertuples(index=False, name=None)],
        "n_rows": len(df),
    }
