"""Quick tuning runs of the default generator with the quick scorer (not the benchmark).

    THREADS=1 OMP_NUM_THREADS=1 .venv/bin/python research/issue7_autoregressive/run_model.py \\
        online_shoppers "dict(max_tokens=64)"
"""
import os, sys, time
sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
import torch
torch.set_num_threads(int(os.environ.get("THREADS", "2")))
from benchmarks.tables import TABLES
from synthera import Schema, split_holdout
from synthera.models.registry import get_synthesizer
import score
name = sys.argv[1] if len(sys.argv) > 1 else "census"
kw = eval(sys.argv[2]) if len(sys.argv) > 2 else {}
t = TABLES[name]; df = t.read()
train, hold = split_holdout(df, fraction=0.2, seed=0, stratify=t.target)
schema = Schema.infer(train, target=t.target)
def prog(stage, done, total, metrics):
    if stage == "train": print(stage, done, {k: round(v, 4) for k, v in metrics.items()}, f"{time.perf_counter()-t0:.1f}s", flush=True)
t0 = time.perf_counter(); m = get_synthesizer("autoregressive", **kw).fit(train, schema, seed=0, progress=prog); tf = time.perf_counter() - t0
t0 = time.perf_counter(); syn = m.sample(len(train), seed=1); ts = time.perf_counter() - t0
print(f"{name} fit {tf:.1f}s sample {ts:.1f}s epochs {m.epochs_trained_} vocab {m.network_.vocab}")
print("shapes", round(score.shapes(train, syn, schema), 4), "trends", round(score.trends(train, syn, schema), 4))
print("detect", round(score.detection(hold, syn, schema), 3), "tstr", round(score.tstr(syn, hold, schema, t.target), 4), "trtr", round(score.tstr(train, hold, schema, t.target), 4))
print("dcr", round(score.dcr_share(train, hold, syn, schema), 3))
