"""Time a full evaluation of census: ≈39k train, ≈10k holdout, ≈39k synthetic rows.

    .venv/bin/python -m benchmarks.evaluation_speed [--table census] [--seed 0] [--repeat 1]

The synthetic table comes from the Gaussian copula fitted on the training split (80/20,
seed 0, stratified on the target). Records benchmarks/results/evaluation_speed_<table>.json;
the figure is wall-clock seconds on the machine named in it. The machine's load average
is recorded too: another process competing for the cores slows everything down.
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

from benchmarks.tables import TABLES
from synthera import __version__
from synthera.evaluation import evaluate
from synthera.io import split_holdout
from synthera.models.registry import get_synthesizer
from synthera.schema import Schema

RESULTS = Path(__file__).parent / "results"
BUDGET_SECONDS = 60.0


def run(name: str, seed: int, repeat: int) -> dict[str, object]:
    table = TABLES[name]
    df = table.read()
    train, holdout = split_holdout(df, fraction=0.2, seed=seed, stratify=table.target)
    schema = Schema.infer(train, target=table.target, sensitive=table.sensitive)
    synthesizer = get_synthesizer("gaussian_copula").fit(train, schema, seed=seed)
    synthetic = synthesizer.sample(len(train), seed=seed)
    runs: list[dict[str, Any]] = []
    report = None
    for _ in range(repeat):
        load_before = os.getloadavg()[0]
        started = time.perf_counter()
        report = evaluate(train, synthetic, holdout=holdout, schema=schema, seed=seed)
        seconds = time.perf_counter() - started
        runs.append(
            {
                "seconds": round(seconds, 2),
                "load_average_before": round(load_before, 2),
                "timings": report.timings,
            }
        )
        print(f"{name}: evaluated in {seconds:.1f} s  {report.timings}  (load {load_before:.1f})")
    assert report is not None
    best = min(float(r["seconds"]) for r in runs)
    return {
        "table": name,
        "rows": {"train": len(train), "holdout": len(holdout), "synthetic": len(synthetic)},
        "columns": len(schema.columns),
        "seed": seed,
        "seconds_best": best,
        "budget_seconds": BUDGET_SECONDS,
        "within_budget": best <= BUDGET_SECONDS,
        "runs": runs,
        "peak_memory_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "scorecard": {s.family: s.status for s in report.scorecard},
        "sampling": report.sampling,
        "synthera_version": __version__,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "command": f"python -m benchmarks.evaluation_speed --table {name} --repeat {repeat}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--table", default="census", choices=sorted(TABLES))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    if not TABLES[args.table].path.is_file():
        raise SystemExit(f"{TABLES[args.table].path} not found")
    result = run(args.table, args.seed, args.repeat)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"evaluation_speed_{args.table}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"best {result['seconds_best']} s (budget {BUDGET_SECONDS:.0f} s); recorded in {out}")


if __name__ == "__main__":
    main()
