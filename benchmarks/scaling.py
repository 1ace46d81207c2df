"""How fit time and peak memory grow with rows and columns (issue 7, part 4).

Census rows are resampled (with replacement, seeded) to 10k, 100k and 1M rows; for the
wide case its columns are repeated, each copy from its own row resampling, up to 50
columns. Each fit runs in its own process (its peak memory is its own) with a fixed
number of epochs, so that time per epoch is comparable across sizes; 100,000 rows are
sampled after each fit.

    .venv/bin/python -m benchmarks.scaling [--sizes 10000x15,100000x15,1000000x15,1000000x50]
        [--model autoregressive] [--epochs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.tables import TABLES
from synthera.schema import Schema

HERE = Path(__file__).resolve().parent
WORK = HERE / "work" / "scaling"
OUT = HERE / "results" / "scaling.json"
SAMPLE_ROWS = 100_000


def widened(base: pd.DataFrame, rows: int, columns: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    parts, have, copy = [], 0, 0
    while have < columns:
        take = base.iloc[rng.integers(0, len(base), rows)].reset_index(drop=True)
        take = take.iloc[:, : columns - have]
        if copy:
            take.columns = [f"{name}_{copy}" for name in take.columns]
        parts.append(take)
        have += take.shape[1]
        copy += 1
    return pd.concat(parts, axis=1)


def prepare(rows: int, columns: int) -> Path:
    work = WORK / f"{rows}x{columns}"
    if not (work / "schema.json").is_file():
        work.mkdir(parents=True, exist_ok=True)
        table = TABLES["census"]
        df = widened(table.read(), rows, columns)
        Schema.infer(df, target=table.target).save(work / "schema.json")
        df.to_parquet(work / "train.parquet")
    return work


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000x15,100000x15,1000000x15,1000000x50")
    parser.add_argument("--model", default="autoregressive")
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    results = json.loads(OUT.read_text()) if OUT.is_file() else {}
    for size in args.sizes.split(","):
        rows, columns = (int(x) for x in size.split("x"))
        work = prepare(rows, columns)
        out = work / args.model
        command = [
            sys.executable, "-m", "benchmarks.fit_ours", "--model", args.model,
            "--work", str(work), "--out", str(out), "--rows", str(SAMPLE_ROWS),
            "--param", f"max_epochs={args.epochs}",
        ]  # fmt: skip
        load = os.getloadavg()[0]
        subprocess.run(command, check=True, cwd=HERE.parent)
        meta = json.loads((out / "meta.json").read_text())
        meta.update(rows=rows, columns=columns, load_before=load, epochs=args.epochs)
        meta["seconds_per_epoch"] = meta["fit_seconds"] / max(meta["epochs_trained"] or 1, 1)
        results[f"{args.model} {size}"] = meta
        print(
            f"{size}: fit {meta['fit_seconds']:.1f} s ({meta['seconds_per_epoch']:.1f} s/epoch), "
            f"sample {SAMPLE_ROWS:,} rows {meta['sample_seconds']:.1f} s, "
            f"peak {meta['peak_memory_mb']:.0f} MB (load {load:.1f})",
            flush=True,
        )
        OUT.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
