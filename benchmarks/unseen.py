"""Does the default model generalise? Its defaults, untouched, on tables it was never tuned on.

    .venv/bin/python -m benchmarks.unseen [--models autoregressive,gaussian_copula]

The tables ship with packages we already install, so this runs offline anywhere: the raw
Palmer penguins (344 rows: dates, ids, free text, missing values; the demo table), and
scikit-learn's breast cancer (569 × 31, all numeric), wine (178 × 14, three classes) and
digits (1,797 × 65: 64 integer pixel columns, ten classes). Each gets a seeded 80/20
split stratified on its target, a fit with default parameters, as many synthetic rows as
training rows, and the figures of `benchmarks.harness` beside holdout-vs-train. Writes
benchmarks/results/unseen.json.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
from sklearn import datasets

from benchmarks.harness import score
from synthera.datasets import load_demo_table
from synthera.io import split_holdout
from synthera.models.registry import get_synthesizer
from synthera.schema import Schema

RESULTS = Path(__file__).parent / "results"
HEADLINE = ("column_shapes", "pair_trends", "detection_auc", "tstr_boosting_auc")


def _sklearn(load: Callable[..., Any], classes: bool = True) -> tuple[pd.DataFrame, str]:
    bunch = load(as_frame=True)
    frame = bunch.frame.copy()
    if classes:  # the class as a label, so that it is modelled as a category
        frame["target"] = [f"class {v}" for v in frame["target"]]
    return frame, "target"


def tables() -> dict[str, tuple[pd.DataFrame, str]]:
    demo = load_demo_table()
    return {
        "penguins": (demo.frame, demo.target),
        "breast_cancer": _sklearn(datasets.load_breast_cancer),
        "wine": _sklearn(datasets.load_wine),
        "digits": _sklearn(datasets.load_digits),
    }


def run(name: str, df: pd.DataFrame, target: str, model: str, seed: int) -> dict[str, Any]:
    train, holdout = split_holdout(df, fraction=0.2, seed=seed, stratify=target)
    schema = Schema.infer(train, target=target)
    synthesizer = get_synthesizer(model)
    started = time.perf_counter()
    synthesizer.fit(train, schema, seed=seed)
    fitted = time.perf_counter()
    synthetic = synthesizer.sample(len(train), seed=seed + 1)
    figures = score(train, synthetic, holdout, schema, target)
    return {
        "table": name,
        "model": model,
        "rows": len(df),
        "columns": df.shape[1],
        "fit_seconds": fitted - started,
        "metrics": figures,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default="autoregressive,gaussian_copula")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS / "unseen.json")
    args = parser.parse_args()
    records = []
    for name, (df, target) in tables().items():
        for model in args.models.split(","):
            record = run(name, df, target, model, args.seed)
            records.append(record)
            cells = " / ".join(
                f"{record['metrics'][k]['value']:.3f} (ref {record['metrics'][k]['reference']:.3f})"
                for k in HEADLINE
                if k in record["metrics"]
            )
            print(f"{name} × {model}: {cells}; fit {record['fit_seconds']:.1f} s", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(records, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
