"""The benchmark (`make bench`): shared tables × generators, side by side, one command.

For each table: a seeded 80/20 split stratified on the target; every model fitted with its
defaults in its own process (so its time and peak memory are its own) under a time limit;
as many rows sampled as the training split; the headline figures of `benchmarks.harness`
beside the holdout-vs-train reference. Peers (SDV 2.0, mostlyai-engine) run from their
own virtualenv, `benchmarks/.venv-peers` (see `make bench-peers`), never from ours.

    .venv/bin/python -m benchmarks.run [--quick] [--tables census,bank_marketing]
        [--models autoregressive,gaussian_copula,sdv_ctgan,mostlyai] [--time-limit 3600]
        [--rescore]   # recompute the figures of stored synthetic tables, no fits

Each (table, model) lands in benchmarks/results/bench/<table>__<model>.json; the tables
in RESULTS.md between the `bench:start` / `bench:end` markers are rebuilt from all of
those files, so runs can be split over several invocations.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd

from benchmarks import harness
from benchmarks.tables import TABLES
from synthera import __version__
from synthera.io import split_holdout
from synthera.models.registry import available_synthesizers, synthesizer_class
from synthera.schema import Schema

HERE = Path(__file__).resolve().parent
WORK = HERE / "work"
RESULTS = HERE / "results" / "bench"
PEER_PYTHON = HERE / ".venv-peers" / "bin" / "python"
PEERS = ("sdv_gaussian_copula", "sdv_ctgan", "sdv_tvae", "mostlyai")
QUICK = {"tables": ["census"], "models": ["autoregressive", "gaussian_copula"]}
TABLE_ORDER = ("census", "online_shoppers", "creditcard_default", "bank_marketing", "diabetes130")


def our_models() -> list[str]:
    """Registered models that train without a privacy budget (the private-only ones are
    compared in the privacy benchmarks)."""
    names = []
    for info in available_synthesizers():
        if info.available and not synthesizer_class(info.name).requires_privacy:
            names.append(info.name)
    return names


def prepare(name: str) -> tuple[Path, Schema]:
    table = TABLES[name]
    work = WORK / name
    if not (work / "schema.json").is_file():
        work.mkdir(parents=True, exist_ok=True)
        df = table.read()
        train, holdout = split_holdout(df, fraction=0.2, seed=0, stratify=table.target)
        schema = Schema.infer(train, target=table.target, sensitive=table.sensitive)
        train.to_parquet(work / "train.parquet")
        holdout.to_parquet(work / "holdout.parquet")
        schema.save(work / "schema.json")
    return work, Schema.load(work / "schema.json")


def fit(model: str, work: Path, time_limit: float) -> dict[str, Any]:
    out = work / model
    if model in PEERS:
        if not PEER_PYTHON.is_file():
            return {"error": "peers' virtualenv missing: run `make bench-peers`"}
        command = [str(PEER_PYTHON), str(HERE / "fit_peer.py"), "--model", model]
    else:
        command = [sys.executable, "-m", "benchmarks.fit_ours", "--model", model]
    command += ["--work", str(work), "--out", str(out)]
    (out / "meta.json").unlink(missing_ok=True)
    started = time.perf_counter()
    try:
        done = subprocess.run(
            command,
            check=False,
            cwd=HERE.parent,
            capture_output=True,
            text=True,
            timeout=time_limit,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"no result within the time limit of {time_limit:.0f} s"}
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1][:300]}
    meta = json.loads((out / "meta.json").read_text())
    meta["wall_seconds"] = time.perf_counter() - started
    return meta


def run_one(table_name: str, model: str, time_limit: float) -> dict[str, Any]:
    work, _ = prepare(table_name)
    load = os.getloadavg()[0]
    record: dict[str, Any] = {"table": table_name, "model": model, "load_before": load}
    record.update(fit(model, work, time_limit))
    if "error" not in record:
        score_into(record, table_name, model)
    record["machine"] = machine()
    return record


def score_into(record: dict[str, Any], table_name: str, model: str) -> None:
    """Score the synthetic table a fit left in the work folder; figures go into `record`."""
    table = TABLES[table_name]
    work, schema = prepare(table_name)
    train = pd.read_parquet(work / "train.parquet")
    holdout = pd.read_parquet(work / "holdout.parquet")
    synthetic = pd.read_parquet(work / model / "synthetic.parquet")
    synthetic = synthetic[schema.names]  # peers may reorder columns
    record["metrics"] = harness.score(
        train, synthetic, holdout, schema, table.target, table.sensitive
    )
    record["rows"] = {"train": len(train), "holdout": len(holdout), "columns": len(schema.columns)}


def rescore(table_name: str, model: str) -> dict[str, Any] | None:
    """The stored record with its figures recomputed by the current harness (after a
    change to the harness; the fit is not repeated). None when there is nothing to score."""
    path = RESULTS / f"{table_name}__{model}.json"
    synthetic = WORK / table_name / model / "synthetic.parquet"
    if not path.is_file() or not synthetic.is_file():
        return None
    record = json.loads(path.read_text())
    if "metrics" not in record:
        return None
    score_into(record, table_name, model)
    return record


def machine() -> dict[str, Any]:
    import torch

    return {
        "platform": platform.platform(),
        "processor": platform.machine(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "synthera": __version__,
        "torch": torch.__version__,
        "pandas": pd.__version__,
    }


# ---- RESULTS.md ------------------------------------------------------------------------


def _cell(metrics: dict[str, Any], name: str, key: str = "value", digits: int = 3) -> str:
    value = metrics.get(name, {}).get(key)
    return "—" if value is None else f"{value:.{digits}f}"


def _cpu(record: dict[str, Any]) -> str:
    cpu = record.get("fit_cpu_seconds")
    return "—" if cpu is None else f"{cpu:.0f}"


HEADLINE = ("column_shapes", "pair_trends", "detection_auc", "tstr_boosting_auc", "tstr_roc_auc")


def _ratio(record: dict[str, Any], ctgan: dict[str, Any] | None) -> str:
    """Fit CPU time over SDV CTGAN's (CPU time: wall time on this shared machine depends
    on what else runs)."""
    if ctgan is None or record is ctgan:
        return "—"
    ours, theirs = record.get("fit_cpu_seconds"), ctgan.get("fit_cpu_seconds")
    if ours is None or theirs is None:
        ours, theirs = record["fit_seconds"], ctgan["fit_seconds"]
    return f"{ours / theirs:.3f}"


def markdown() -> str:
    records = [json.loads(p.read_text()) for p in sorted(RESULTS.glob("*.json"))]
    lines = []
    for table_name in TABLE_ORDER:
        rows = [r for r in records if r["table"] == table_name]
        if not rows:
            continue
        done = [r for r in rows if "metrics" in r]
        first = done[0] if done else None
        size = ""
        if first:
            size = f" ({first['rows']['train']:,} train rows × {first['rows']['columns']})"
        lines += [
            f"### {table_name}{size}",
            "",
            "| model | fit s (CPU s) | sample s | peak MB | shapes | trends | detection AUC | "
            "TSTR AUC, boosting | TSTR AUC, 3 models | DCR share | exact copies | "
            "fit CPU ÷ SDV CTGAN's |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        if first:
            m = first["metrics"]
            lines.append(
                "| holdout vs train (the limit; TSTR: train-real) | — | — | — | "
                + " | ".join(_cell(m, name, "reference") for name in HEADLINE)
                + f" | {_cell(m, 'dcr_share', 'reference')} | "
                f"{_cell(m, 'exact_copies', 'reference', 4)} | — |"
            )
        ctgan = next((r for r in done if r["model"] == "sdv_ctgan"), None)
        for r in sorted(rows, key=lambda r: r.get("fit_seconds", 1e12)):
            if "metrics" not in r:
                lines.append(f"| {r['model']} | {r['error']} ||||||||||||")
                continue
            m = r["metrics"]
            lines.append(
                f"| {r['model']} | {r['fit_seconds']:.1f} ({_cpu(r)}) | "
                f"{r['sample_seconds']:.1f} | {r['peak_memory_mb']:.0f} | "
                + " | ".join(_cell(m, name) for name in HEADLINE)
                + f" | {_cell(m, 'dcr_share')} | {_cell(m, 'exact_copies', digits=4)} | "
                f"{_ratio(r, ctgan)} |"
            )
        loads = ", ".join(f"{r['load_before']:.1f}" for r in rows)
        lines += ["", f"Load average before each fit: {loads}.", ""]
    return "\n".join(lines)


def update_results_md() -> None:
    path = HERE / "RESULTS.md"
    text = path.read_text()
    start, end = "<!-- bench:start -->", "<!-- bench:end -->"
    block = f"{start}\n{markdown()}\n{end}"
    if start in text:
        before, rest = text.split(start, 1)
        text = before + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip() + "\n\n## The benchmark (issue 7)\n\n" + block + "\n"
    path.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="census, two models: a smoke run")
    parser.add_argument("--tables", help="comma-separated (default: all shared tables)")
    parser.add_argument("--models", help="comma-separated (default: ours and the peers)")
    parser.add_argument("--time-limit", type=float, default=4 * 3600, help="seconds per fit")
    parser.add_argument(
        "--rescore", action="store_true", help="score the stored synthetic tables again, no fits"
    )
    args = parser.parse_args()
    tables = (
        args.tables.split(",")
        if args.tables
        else (QUICK["tables"] if args.quick else list(TABLE_ORDER))
    )
    models = (
        args.models.split(",")
        if args.models
        else (QUICK["models"] if args.quick else [*our_models(), *PEERS])
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    for table_name in tables:
        if not TABLES[table_name].path.is_file():
            print(f"{table_name}: {TABLES[table_name].path} not found, skipped")
            continue
        for model in models:
            print(f"{table_name} × {model} ...", flush=True)
            if args.rescore:
                rescored = rescore(table_name, model)
                if rescored is None:
                    continue
                record = rescored
            else:
                record = run_one(table_name, model, args.time_limit)
            (RESULTS / f"{table_name}__{model}.json").write_text(json.dumps(record, indent=2))
            summary = record.get("error") or {
                k: round(v["value"], 4)
                for k, v in record["metrics"].items()
                if isinstance(v, dict) and v.get("value") is not None
            }
            print(f"  fit {record.get('fit_seconds', float('nan')):.1f} s: {summary}", flush=True)
    update_results_md()
    print(f"RESULTS.md updated from {RESULTS}")


if __name__ == "__main__":
    main()
