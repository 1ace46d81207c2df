"""Fit and sample every shared table with one model; print and record kinds and timings.

    .venv/bin/python -m benchmarks.fit_all_tables [--model gaussian_copula] [--tables census,...]
        [--param epochs=5 --param device=cpu ...]

Writes benchmarks/results/fit_all_tables_<model>.json. Figures are wall-clock seconds on
whatever machine runs it; the machine is named in the output.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks.tables import TABLES
from synthera import __version__
from synthera.cli import load_params
from synthera.models.registry import get_synthesizer
from synthera.schema import Schema

RESULTS = Path(__file__).parent / "results"


def run(
    model: str, names: list[str], seed: int, params: dict[str, Any] | None = None
) -> dict[str, object]:
    params = params or {}
    rows = []
    for name in names:
        table = TABLES[name]
        if not table.path.is_file():
            print(f"{name}: {table.path} not found, skipped")
            continue
        started = time.perf_counter()
        df = table.read()
        read_s = time.perf_counter() - started
        schema = Schema.infer(df, target=table.target, sensitive=table.sensitive)
        synthesizer = get_synthesizer(model, **params)
        started = time.perf_counter()
        synthesizer.fit(df, schema, seed=seed)
        fit_s = time.perf_counter() - started
        started = time.perf_counter()
        synthetic = synthesizer.sample(len(df), seed=seed)
        sample_s = time.perf_counter() - started
        assert list(synthetic.columns) == schema.names and len(synthetic) == len(df)
        kinds = Counter(c.kind.value for c in schema.columns)
        row = {
            "table": name,
            "rows": len(df),
            "columns": len(df.columns),
            "kinds": dict(sorted(kinds.items())),
            "read_s": round(read_s, 2),
            "fit_s": round(fit_s, 2),
            "sample_s": round(sample_s, 2),
            "notes": list(schema.notes),
            "fit_warnings": list(getattr(synthesizer, "fit_warnings_", [])),
        }
        rows.append(row)
        print(
            f"{name:>20}: {len(df):>7,} × {len(df.columns):>2}  read {read_s:5.1f}s  "
            f"fit {fit_s:6.1f}s  sample {sample_s:5.1f}s  kinds {row['kinds']}"
        )
    return {
        "model": model,
        "seed": seed,
        "synthera_version": __version__,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "command": f"python -m benchmarks.fit_all_tables --model {model}"
        + "".join(f" --param {k}={json.dumps(v)}" for k, v in params.items()),
        "params": params,
        "tables": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="gaussian_copula")
    parser.add_argument("--tables", default=",".join(TABLES))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--param", action="append", default=[], help="model parameter key=value (repeatable)"
    )
    args = parser.parse_args()
    params = load_params(None, args.param)
    result = run(args.model, args.tables.split(","), args.seed, params)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"fit_all_tables_{args.model}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"recorded in {out}")


if __name__ == "__main__":
    main()
