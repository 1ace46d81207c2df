"""Synthera: private synthetic tabular data.

The public API is kept small: read and write tables, infer a schema, build a synthesizer.
Names are imported on first use, so `import synthera` (and the CLI) start fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_PUBLIC = {
    "ColumnKind": "synthera.schema",
    "ColumnSpec": "synthera.schema",
    "GeneratorInfo": "synthera.report.generator",
    "Schema": "synthera.schema",
    "Synthesizer": "synthera.models.base",
    "SyntheraError": "synthera.errors",
    "available_synthesizers": "synthera.models.registry",
    "compare": "synthera.evaluation",
    "evaluate": "synthera.evaluation",
    "get_synthesizer": "synthera.models.registry",
    "read_table": "synthera.io",
    "split_holdout": "synthera.io",
    "write_table": "synthera.io",
}

__all__ = [
    "ColumnKind",
    "ColumnSpec",
    "GeneratorInfo",
    "Schema",
    "SyntheraError",
    "Synthesizer",
    "__version__",
    "available_synthesizers",
    "compare",
    "evaluate",
    "get_synthesizer",
    "read_table",
    "split_holdout",
    "write_table",
]

if TYPE_CHECKING:
    from synthera.errors import SyntheraError
    from synthera.evaluation import compare, evaluate
    from synthera.io import read_table, split_holdout, write_table
    from synthera.models.base import Synthesizer
    from synthera.models.registry import available_synthesizers, get_synthesizer
    from synthera.report.generator import GeneratorInfo
    from synthera.schema import ColumnKind, ColumnSpec, Schema


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'synthera' has no attribute {name!r}")
