"""The marginal-based DP generator (AIM) on census at several ε, on the CPU.

    .venv/bin/python -m benchmarks.dp_marginal [--epsilons 0.5,1,3,10] [--rounds N]
        [--iterations 1000] [--seed 0]

Fits `aim` on a seeded, stratified 80 % of census with `privacy={"epsilon": ε}` (δ =
1/(10 n), the default 10 % preprocessing share: category sets, bounds and missing levels
all paid from the budget, nothing declared), samples as many rows as the training split,
and scores them with the issue-7 harness (`benchmarks.harness.score`: column shapes, pair
trends, and `synthera.evaluate`'s detection and TSTR ROC-AUC) beside holdout-vs-train, the
same figures as `benchmarks.dp_census` reports for DP-CTGAN/TVAE. Writes
benchmarks/results/dp_marginal.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import time
from pathlib import Path
from typing import Any

import pandas as pd

from benchmarks.harness import score
from benchmarks.tables import TABLES
from synthera import __version__
from synthera.io import split_holdout
from synthera.models.registry import get_synthesizer
from synthera.schema import Schema

RESULTS = Path(__file__).parent / "results"


def fit_and_score(
    epsilon: float,
    params: dict[str, Any],
    train: pd.DataFrame,
    holdout: pd.DataFrame,
    schema: Schema,
    seed: int,
) -> dict[str, Any]:
    model = get_synthesizer("aim", **params)
    rounds: list[int] = []
    started = time.perf_counter()
    model.fit(
        train,
        schema,
        seed=seed,
        privacy={"epsilon": epsilon},
        progress=lambda stage, done, *_: rounds.append(done) if stage == "aim" else None,
    )
    fit_s = time.perf_counter() - started
    started = time.perf_counter()
    synthetic = model.sample(len(train), seed=seed)
    sample_s = time.perf_counter() - started
    figures = score(train, synthetic, holdout, schema, schema.target or "")
    ledger = model.privacy_
    assert ledger is not None
    cliques = model.model_.cliques  # type: ignore[attr-defined]
    row = {
        "epsilon": epsilon,
        "fit_s": round(fit_s, 1),
        "sample_s": round(sample_s, 1),
        "selection_rounds": max(rounds, default=0),
        "largest_clique": max((len(c) for c in cliques), default=0),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "privacy": ledger.to_dict(),
        **figures,
    }
    print(
        f"ε={epsilon:<4g}: fit {fit_s:7.1f}s ({row['selection_rounds']} rounds)  "
        f"sample {sample_s:5.1f}s  shapes {figures['column_shapes']['value']:.3f}  "
        f"trends {figures['pair_trends']['value']:.3f}  "
        f"TSTR {figures.get('tstr_roc_auc', {}).get('value', float('nan')):.3f}  "
        f"detection {figures.get('detection_auc', {}).get('value', float('nan')):.3f}  "
        f"{ledger.summary()}"
    )
    for part in ledger.parts:
        print(f"         {part.name}: ε={part.epsilon:.4f} δ={part.delta:.2g}  {part.mechanism}")
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epsilons", default="0.5,1,3,10")
    parser.add_argument("--rounds", type=int, default=None, help="AIM rounds (default 16/column)")
    parser.add_argument("--iterations", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS / "dp_marginal.json")
    args = parser.parse_args()
    table = TABLES["census"]
    df = table.read()
    train, holdout = split_holdout(df, fraction=0.2, seed=args.seed, stratify=table.target)
    schema = Schema.infer(df, target=table.target, sensitive=table.sensitive)
    print(f"census: {len(train):,} training rows, {len(holdout):,} holdout rows")
    params: dict[str, Any] = {"rounds": args.rounds, "iterations": args.iterations}
    epsilons = [float(e) for e in args.epsilons.split(",") if e.strip()]
    rows: list[dict[str, Any]] = []
    for epsilon in epsilons:  # written after each fit: a long run keeps what it finished
        rows.append(fit_and_score(epsilon, params, train, holdout, schema, args.seed))
        write(args, params, rows)
    print(f"written to {args.out}")


def write(args: argparse.Namespace, params: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    result = {
        "synthera_version": __version__,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "load_average": os.getloadavg(),
        "command": f"python -m benchmarks.dp_marginal --epsilons {args.epsilons} "
        f"--iterations {args.iterations}" + (f" --rounds {args.rounds}" if args.rounds else ""),
        "params": params,
        "seed": args.seed,
        "rows": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
