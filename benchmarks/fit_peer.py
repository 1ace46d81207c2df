"""Fit one peer (SDV 2.0 or mostlyai-engine) on a prepared split and sample.

Runs in the peers' own virtualenv (benchmarks/.venv-peers), never in Synthera's: these
packages are business-source licensed (SDV) or heavy, and only serve as comparisons.
Imports nothing from Synthera. Each model runs with its own defaults.

    benchmarks/.venv-peers/bin/python benchmarks/fit_peer.py --model sdv_ctgan \\
        --work benchmarks/work/census --out benchmarks/work/census/sdv_ctgan
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd

PEERS = ("sdv_gaussian_copula", "sdv_ctgan", "sdv_tvae", "mostlyai")


def build(name: str, train: pd.DataFrame, seed: int, workspace: Path) -> Any:
    if name == "mostlyai":
        from mostlyai.engine import TabularARGN

        return TabularARGN(random_state=seed, workspace_dir=workspace, verbose=0)
    import numpy as np
    import torch
    from sdv.metadata import Metadata
    from sdv.single_table import CTGANSynthesizer, GaussianCopulaSynthesizer, TVAESynthesizer

    np.random.seed(seed)  # SDV takes no seed argument; it draws from these
    torch.manual_seed(seed)
    # SDV 2.0 dropped `detect_from_dataframe`; a one-table dict is its documented route.
    metadata = Metadata.detect_from_dataframes({"table": train}, infer_keys=None)
    cls = {
        "sdv_gaussian_copula": GaussianCopulaSynthesizer,
        "sdv_ctgan": CTGANSynthesizer,
        "sdv_tvae": TVAESynthesizer,
    }[name]
    return cls(metadata)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True, choices=PEERS)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    train = pd.read_parquet(args.work / "train.parquet")
    with tempfile.TemporaryDirectory() as workspace:
        model = build(args.model, train, args.seed, Path(workspace))
        started = time.perf_counter()
        cpu_started = cpu_seconds()
        if args.model == "mostlyai":
            model.fit(train)
        else:  # SDV 2.0 takes and returns {table name: frame}, even for one table
            model.fit({"table": train})
        cpu_fit = cpu_seconds() - cpu_started
        fitted = time.perf_counter()
        if args.model == "mostlyai":
            synthetic = model.sample(n_samples=len(train))
        else:
            synthetic = model.sample(num_rows=len(train))
            if isinstance(synthetic, dict):
                synthetic = synthetic["table"]
        sampled = time.perf_counter()
    args.out.mkdir(parents=True, exist_ok=True)
    synthetic.to_parquet(args.out / "synthetic.parquet")
    meta = {
        "fit_seconds": fitted - started,
        "fit_cpu_seconds": cpu_fit,  # all threads: close to an idle core's wall time
        "sample_seconds": sampled - fitted,
        "peak_memory_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    (args.out / "meta.json").write_text(json.dumps(meta, indent=2))


if __name__ == "__main__":
    main()
