"""Fit one Synthera model on a prepared split and sample; run in its own process so that
its peak memory is its own.

    python -m benchmarks.fit_ours --model autoregressive --work benchmarks/work/census \\
        --out benchmarks/work/census/autoregressive [--param k=v ...]
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

import pandas as pd

from synthera.cli import load_params
from synthera.models.registry import get_synthesizer
from synthera.schema import Schema


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--work", type=Path, required=True, help="holds train.parquet, schema")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--param", action="append", default=[])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rows", type=int, help="rows to sample (default: as many as trained)")
    args = parser.parse_args()
    train = pd.read_parquet(args.work / "train.parquet")
    schema = Schema.load(args.work / "schema.json")
    model = get_synthesizer(args.model, **load_params(None, args.param))
    started = time.perf_counter()
    cpu_started = cpu_seconds()
    model.fit(train, schema, seed=args.seed)
    cpu_fit = cpu_seconds() - cpu_started
    fitted = time.perf_counter()
    synthetic = model.sample(args.rows or len(train), seed=args.seed + 1)
    sampled = time.perf_counter()
    args.out.mkdir(parents=True, exist_ok=True)
    synthetic.to_parquet(args.out / "synthetic.parquet")
    meta = {
        "fit_seconds": fitted - started,
        "fit_cpu_seconds": cpu_fit,  # all threads: close to an idle core's wall time
        "sample_seconds": sampled - fitted,
        "peak_memory_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "params": {k: repr(v) for k, v in model.get_params().items()},
        "epochs_trained": getattr(model, "epochs_trained_", None),
    }
    (args.out / "meta.json").write_text(json.dumps(meta, indent=2))


if __name__ == "__main__":
    main()
