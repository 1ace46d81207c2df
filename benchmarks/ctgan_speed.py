"""Our CTGAN against the reference `ctgan` package: fit time and quality, side by side.

    .venv/bin/python -m benchmarks.ctgan_speed --epochs 10 --tables census,creditcard_default

For each table the real rows are split 80/20 (seeded, stratified on the target); both
sides fit the same 80 % with the same hyper-parameters (the paper's defaults: batch 500,
pac 10, (256, 256) networks, Adam 2e-4) and the same epochs, each in its own subprocess,
one after the other: ours in this virtualenv, the reference in `benchmarks/.venv-peers`
(the package is business-source licensed, so it lives only there). Create that once:

    python3 -m venv benchmarks/.venv-peers
    benchmarks/.venv-peers/bin/pip install torch==2.13.0   # the CPU build, first
    benchmarks/.venv-peers/bin/pip install ctgan

Each worker times `fit` (preprocessing included; the preprocessing alone is timed too,
to give the training time per epoch) and then samples as many rows as it trained on.
This script then scores both samples with the same small scorer:
column shapes (mean of 1-KS for numeric columns, 1-TVD for categorical ones), pair trends
(1-|Δ correlation|/2 for numeric pairs, 1-TVD of contingency tables otherwise, numerics
binned on real quantiles) and train-on-synthetic / test-on-real ROC-AUC with a gradient
boosting classifier on the 20 % holdout (next to train-on-real, the ceiling).

Writes benchmarks/results/ctgan_speed.json. The worker side of this file imports nothing
from Synthera at module level, so the reference worker runs without it installed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).parent / "results"
PEERS_PYTHON = Path(__file__).parent / ".venv-peers" / "bin" / "python"
PAPER_DEFAULTS: dict[str, Any] = {
    "batch_size": 500,
    "embedding_dim": 128,
    "generator_dim": [256, 256],
    "discriminator_dim": [256, 256],
    "generator_lr": 2e-4,
    "generator_decay": 1e-6,
    "discriminator_lr": 2e-4,
    "discriminator_decay": 1e-6,
    "discriminator_steps": 1,
    "log_frequency": True,
    "pac": 10,
}
PAIR_BINS = 10


# ---- workers (run in a subprocess, one per side) ---------------------------------------


def worker(spec_path: Path) -> None:
    """Fit one side on the training CSV, sample, write the rows and the timings."""
    import pandas as pd
    import torch

    spec = json.loads(spec_path.read_text())
    if spec["threads"]:
        torch.set_num_threads(spec["threads"])
    if spec["side"] == "ours":
        from synthera.io import read_table
        from synthera.models.ctgan import CTGAN
        from synthera.schema import Schema

        train = read_table(spec["train_csv"])
        schema = Schema.from_dict(spec["schema"])
        params = {**PAPER_DEFAULTS, "epochs": spec["epochs"], "device": "cpu"}
        model = CTGAN(**params, precision=spec["precision"], collapse_check_rows=0)
        marks: dict[str, float] = {}

        def progress(stage: str, done: int, total: int | None, metrics: Any) -> None:
            if stage == "encode" and done == total:
                marks["encoded"] = time.perf_counter()

        started = time.perf_counter()
        model.fit(train, schema, seed=spec["seed"], progress=progress)
        fit_s = time.perf_counter() - started
        prep_s = marks["encoded"] - started
        started = time.perf_counter()
        synthetic = model.sample(len(train), seed=spec["seed"])
        sample_s = time.perf_counter() - started
        version = _our_version()
        products = str(model.generator_.compute_dtype or torch.float32).removeprefix("torch.")
    else:
        import ctgan  # only in benchmarks/.venv-peers
        import ctgan.data_transformer
        import numpy as np

        torch.manual_seed(spec["seed"])
        np.random.seed(spec["seed"])  # the reference draws its batches from NumPy's global RNG
        train = pd.read_csv(spec["train_csv"])
        # Its preprocessing alone, timed on the side (the fit below repeats it).
        started = time.perf_counter()
        transformer = ctgan.data_transformer.DataTransformer()
        transformer.fit(train, spec["discrete_columns"])
        transformer.transform(train)
        prep_s = time.perf_counter() - started
        reference = ctgan.CTGAN(**PAPER_DEFAULTS, epochs=spec["epochs"], cuda=False)
        started = time.perf_counter()
        reference.fit(train, spec["discrete_columns"])
        fit_s = time.perf_counter() - started
        started = time.perf_counter()
        synthetic = reference.sample(len(train))
        sample_s = time.perf_counter() - started
        version = _package_version("ctgan")
        products = "float32"
    synthetic.to_csv(spec["synthetic_csv"], index=False)
    result = {
        "fit_s": round(fit_s, 2),
        "preprocess_s": round(prep_s, 2),
        "train_s_per_epoch": round((fit_s - prep_s) / spec["epochs"], 3),
        "sample_s": round(sample_s, 2),
        "version": version,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "matrix_products": products,
    }
    Path(spec["result_json"]).write_text(json.dumps(result))


def _package_version(name: str) -> str:
    from importlib.metadata import version

    return version(name)


def _our_version() -> str:
    from synthera import __version__

    return __version__


# ---- the scorer (runs here, the same for both sides) --------------------------------------


def score(real: Any, synthetic: Any, holdout: Any, schema: Any, seed: int) -> dict[str, float]:
    """Column shapes, pair trends and TSTR ROC-AUC of `synthetic` against `real`."""
    from synthera.schema import ColumnKind

    numeric_kinds = (ColumnKind.NUMERIC, ColumnKind.INTEGER)
    modelled = [c for c in schema.columns if c.kind not in (ColumnKind.ID, ColumnKind.TEXT)]
    numeric = [c.name for c in modelled if c.kind in numeric_kinds]
    categorical = [c.name for c in modelled if c.kind not in numeric_kinds]
    synthetic = _align(synthetic, real, numeric, categorical)
    return {
        "column_shapes": round(_column_shapes(real, synthetic, numeric, categorical), 4),
        "pair_trends": round(_pair_trends(real, synthetic, numeric, categorical), 4),
        **_tstr(real, synthetic, holdout, schema.target, numeric, categorical, seed),
    }


def _align(synthetic: Any, real: Any, numeric: list[str], categorical: list[str]) -> Any:
    """The reference writes its own dtypes; read both sides' values the same way."""
    import pandas as pd

    out = synthetic[real.columns].copy()
    for name in numeric:
        out[name] = pd.to_numeric(out[name], errors="coerce")
    for name in categorical:
        out[name] = _labels(out[name])
    return out


def _labels(series: Any) -> Any:
    """Categorical values as text, missing as its own label (so 1 and '1' agree)."""
    import pandas as pd

    def text(value: Any) -> str:
        if pd.isna(value):
            return "<missing>"
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)

    return series.astype(object).map(text)


def _column_shapes(real: Any, synthetic: Any, numeric: list[str], categorical: list[str]) -> float:
    from scipy.stats import ks_2samp

    scores = []
    for name in numeric:
        a, b = real[name].dropna(), synthetic[name].dropna()
        scores.append(1.0 - float(ks_2samp(a, b).statistic) if len(a) and len(b) else 0.0)
    for name in categorical:
        p = _labels(real[name]).value_counts(normalize=True)
        q = synthetic[name].value_counts(normalize=True)
        scores.append(1.0 - 0.5 * float(p.sub(q, fill_value=0).abs().sum()))
    return sum(scores) / len(scores)


def _binned(frame: Any, reference: Any, name: str, numeric: list[str]) -> Any:
    """Numeric columns cut on the real column's quantiles; categorical ones as labels."""
    import numpy as np
    import pandas as pd

    if name not in numeric:
        return _labels(frame[name])
    edges = np.unique(np.nanquantile(reference[name], np.linspace(0, 1, PAIR_BINS + 1)))
    codes = np.searchsorted(edges[1:-1], frame[name].to_numpy(dtype=float), side="right")
    return pd.Series(np.where(frame[name].isna(), -1, codes), index=frame.index)


def _pair_trends(real: Any, synthetic: Any, numeric: list[str], categorical: list[str]) -> float:
    import itertools

    import pandas as pd

    names = numeric + categorical
    real_corr = real[numeric].corr()
    synthetic_corr = synthetic[numeric].corr()
    binned_real = {n: _binned(real, real, n, numeric) for n in names}
    binned_synthetic = {n: _binned(synthetic, real, n, numeric) for n in names}
    scores = []
    for a, b in itertools.combinations(names, 2):
        if a in numeric and b in numeric:
            delta = real_corr.loc[a, b] - synthetic_corr.loc[a, b]
            scores.append(1.0 - abs(float(0.0 if pd.isna(delta) else delta)) / 2.0)
            continue
        p = pd.crosstab(binned_real[a], binned_real[b], normalize=True).stack()
        q = pd.crosstab(binned_synthetic[a], binned_synthetic[b], normalize=True).stack()
        scores.append(1.0 - 0.5 * float(p.sub(q, fill_value=0).abs().sum()))
    return sum(scores) / len(scores)


def _tstr(
    real: Any,
    synthetic: Any,
    holdout: Any,
    target: str,
    numeric: list[str],
    categorical: list[str],
    seed: int,
) -> dict[str, float]:
    import pandas as pd
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score

    features = [n for n in numeric + categorical if n != target]
    positive = _labels(real[target]).value_counts().idxmin()  # the minority class

    def design(frame: Any) -> tuple[Any, Any]:
        x = frame[features].copy()
        for name in features:
            if name in categorical:
                values = _labels(frame[name])
                levels = sorted(set(_labels(real[name])))
                x[name] = pd.Categorical(values, categories=levels)
            else:
                x[name] = pd.to_numeric(x[name], errors="coerce")
        return x, (_labels(frame[target]) == positive).astype(int)

    x_test, y_test = design(holdout)

    def auc(train: Any) -> float:
        x, y = design(train)
        if y.nunique() < 2:
            return 0.5  # the generator produced one class only
        model = HistGradientBoostingClassifier(categorical_features="from_dtype", random_state=seed)
        model.fit(x, y)
        return float(roc_auc_score(y_test, model.predict_proba(x_test)[:, 1]))

    return {"tstr_auc": round(auc(synthetic), 4), "trtr_auc": round(auc(real), 4)}


# ---- the driver ----------------------------------------------------------------------------


def run_side(side: str, python: Path, spec: dict[str, Any], work: Path) -> dict[str, Any]:
    spec = {**spec, "side": side}
    spec["synthetic_csv"] = str(work / f"{side}.csv")
    spec["result_json"] = str(work / f"{side}.json")
    spec_path = work / f"{side}-spec.json"
    spec_path.write_text(json.dumps(spec))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if spec["threads"]:  # every thread pool of the worker, not only torch's
        for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
            env[name] = str(spec["threads"])
    command = [str(python), str(Path(__file__).resolve()), "--worker", str(spec_path)]
    started = time.perf_counter()
    subprocess.run(command, check=True, env=env, cwd=ROOT)
    result = json.loads(Path(spec["result_json"]).read_text())
    result["process_s"] = round(time.perf_counter() - started, 2)
    result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    return result


def benchmark_table(
    name: str,
    epochs: int,
    seed: int,
    threads: int | None,
    peers: Path,
    sides: list[str],
    precision: str,
) -> dict[str, Any]:
    import pandas as pd

    from benchmarks.tables import TABLES
    from synthera.io import split_holdout, write_table
    from synthera.schema import ColumnKind, Schema

    table = TABLES[name]
    real = table.read()
    train, holdout = split_holdout(real, fraction=0.2, seed=seed, stratify=table.target)
    schema = Schema.infer(train, target=table.target, sensitive=list(table.sensitive))
    discrete = list(schema.of_kind(ColumnKind.CATEGORICAL, ColumnKind.BOOLEAN))
    # The reference takes plain numbers: datetimes are not in these two tables.
    row: dict[str, Any] = {
        "table": name,
        "train_rows": len(train),
        "holdout_rows": len(holdout),
        "columns": len(real.columns),
        "discrete_columns": discrete,
        "epochs": epochs,
    }
    with tempfile.TemporaryDirectory(prefix="ctgan-speed-") as tmp:
        work = Path(tmp)
        train_csv = write_table(train, work / "train.csv")
        spec = {
            "train_csv": str(train_csv),
            "schema": schema.to_dict(),
            "discrete_columns": discrete,
            "epochs": epochs,
            "seed": seed,
            "threads": threads,
            "precision": precision,
        }
        for side in sides:
            python = Path(sys.executable) if side == "ours" else peers
            print(f"{name}: fitting {side} ({epochs} epochs)...", flush=True)
            result = run_side(side, python, spec, work)
            synthetic = pd.read_csv(work / f"{side}.csv")
            result.update(score(train, synthetic, holdout, schema, seed))
            row[side] = result
            print(f"{name}: {side}: {result}", flush=True)
    if "ours" in row and "reference" in row:
        row["fit_time_ratio"] = round(row["ours"]["fit_s"] / row["reference"]["fit_s"], 3)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--tables", default="census,creditcard_default")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None, help="threads per side (all pools)")
    parser.add_argument("--sides", default="ours,reference")
    parser.add_argument(
        "--precision", default="auto", help="ours: auto (bfloat16 where native) or float32"
    )
    parser.add_argument("--peers-python", type=Path, default=PEERS_PYTHON)
    parser.add_argument("--out", type=Path, default=RESULTS / "ctgan_speed.json")
    args = parser.parse_args()
    if args.worker is not None:
        worker(args.worker)
        return
    sides = args.sides.split(",")
    if "reference" in sides and not args.peers_python.is_file():
        sys.exit(f"{args.peers_python} not found: create the peers virtualenv (see --help)")
    started = time.perf_counter()
    rows = [
        benchmark_table(
            name, args.epochs, args.seed, args.threads, args.peers_python, sides, args.precision
        )
        for name in args.tables.split(",")
    ]
    command = " ".join(["python -m benchmarks.ctgan_speed", *sys.argv[1:]])
    result = {
        "benchmark": "ctgan_speed",
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "command": command,
        "total_s": round(time.perf_counter() - started, 1),
        "tables": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"recorded in {args.out}")


if __name__ == "__main__":
    main()
