"""Private CTGAN, TVAE, autoregressive on census at a target ε, on the CPU: ε, times, quality.

    .venv/bin/python -m benchmarks.dp_census [--epsilon 1] [--epochs 10]
        [--models ctgan,tvae,autoregressive] [--baseline] [--seed 0] [--threads 2]

Fits each model on a seeded, stratified 80 % of census with `privacy={"epsilon": ...}`
(δ = 1/(10 n), PRV accountant, the default 20 % preprocessing share), samples as many
rows, and scores them with the issue-7 harness (`benchmarks.harness.score`: column
shapes, pair trends, and `synthera.evaluate`'s detection and TSTR) beside holdout-vs-train.
`--baseline` also fits each model without privacy at the same epochs. Writes
benchmarks/results/dp_census.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path
from typing import Any

import torch

from benchmarks.harness import score
from benchmarks.tables import TABLES
from synthera import __version__
from synthera.io import split_holdout
from synthera.models.registry import get_synthesizer
from synthera.schema import Schema

RESULTS = Path(__file__).parent / "results"


def fit_and_score(
    name: str,
    epochs: int,
    epsilon: float | None,
    train: Any,
    holdout: Any,
    schema: Schema,
    seed: int,
) -> dict[str, Any]:
    # The autoregressive model names its (fixed, under DP) training length max_epochs.
    length = "max_epochs" if name == "autoregressive" else "epochs"
    model = get_synthesizer(name, **{length: epochs}, device="cpu")
    privacy = None if epsilon is None else {"epsilon": epsilon}
    started = time.perf_counter()
    model.fit(train, schema, seed=seed, privacy=privacy)
    fit_s = time.perf_counter() - started
    started = time.perf_counter()
    synthetic = model.sample(len(train), seed=seed)
    sample_s = time.perf_counter() - started
    figures = score(train, synthetic, holdout, schema, schema.target or "")
    ledger = model.privacy_
    row = {
        "model": name,
        "epochs": epochs,
        "private": ledger is not None,
        "fit_s": round(fit_s, 1),
        "sample_s": round(sample_s, 1),
        "privacy": None if ledger is None else ledger.to_dict(),
        "fit_warnings": list(getattr(model, "fit_warnings_", [])),
        **figures,
    }
    spent = "no privacy" if ledger is None else ledger.summary()
    shown = "  ".join(
        f"{key} {_figure(figures, key)}" for key in ("column_shapes", "pair_trends", "tstr_roc_auc")
    )
    print(
        f"{name:>6} {'DP' if ledger else '  '}: fit {fit_s:7.1f}s  sample {sample_s:5.1f}s  "
        f"{shown}  {spent}"
    )
    if ledger is not None:
        for part in ledger.parts:
            print(
                f"         {part.name}: ε={part.epsilon:.4f} δ={part.delta:.2g}  {part.mechanism}"
            )
    for note in row["fit_warnings"]:
        print(f"         note: {note}")
    return row


def _figure(figures: dict[str, Any], key: str) -> str:
    value = figures.get(key, {}).get("value")
    return "n/a" if value is None else f"{value:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epsilon", type=float, default=1.0)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--models", default="ctgan,tvae")
    parser.add_argument("--baseline", action="store_true", help="also fit without privacy")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=RESULTS / "dp_census.json")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    table = TABLES["census"]
    df = table.read()
    train, holdout = split_holdout(df, fraction=0.2, seed=args.seed, stratify=table.target)
    schema = Schema.infer(df, target=table.target, sensitive=table.sensitive)
    print(f"census: {len(train):,} training rows, {len(holdout):,} holdout rows")
    rows = []
    for name in [m.strip() for m in args.models.split(",") if m.strip()]:
        rows.append(
            fit_and_score(name, args.epochs, args.epsilon, train, holdout, schema, args.seed)
        )
        if args.baseline:
            rows.append(fit_and_score(name, args.epochs, None, train, holdout, schema, args.seed))
    result = {
        "synthera_version": __version__,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, torch threads "
        f"{args.threads}, Python {platform.python_version()}",
        "load_average": os.getloadavg(),
        "command": "python -m benchmarks.dp_census "
        f"--epsilon {args.epsilon:g} --epochs {args.epochs} --models {args.models}"
        + (" --baseline" if args.baseline else ""),
        "seed": args.seed,
        "rows": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
