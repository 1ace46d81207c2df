import sys, time, numpy as np, pandas as pd
sys.path.insert(0, "/work/main"); sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
import torch; torch.set_num_threads(2)
from benchmarks.tables import TABLES
from synthera import Schema, split_holdout
from proto import fit_ar, sample_ar
import score
name = sys.argv[1] if len(sys.argv) > 1 else "census"
kw = eval(sys.argv[2]) if len(sys.argv) > 2 else {}
t = TABLES[name]; df = t.read()
train, hold = split_holdout(df, fraction=0.2, seed=0, stratify=t.target)
schema = Schema.infer(train, target=t.target)
t0 = time.time(); enc, net = fit_ar(train, schema, **kw); tf = time.time() - t0
t0 = time.time(); syn = sample_ar(enc, net, len(train), seed=1); ts = time.time() - t0
print(f"{name} fit {tf:.1f}s sample {ts:.1f}s vocab {enc.vocab}")
print("shapes", round(score.shapes(train, syn, schema), 4), "trends", round(score.trends(train, syn, schema), 4))
print("detect", round(score.detection(hold, syn, schema), 3), "tstr", round(score.tstr(syn, hold, schema, t.target), 4), "trtr", round(score.tstr(train, hold, schema, t.target), 4))
print("dcr", round(score.dcr_share(train, hold, syn, schema), 3))
from scipy.stats import ks_2samp
for c in schema.columns:
    if c.kind.value in ("numeric", "integer"):
        print(f"  {c.name:18s} 1-KS {1-ks_2samp(train[c.name].dropna().astype(float), syn[c.name].dropna().astype(float)).statistic:.4f}")
    elif c.kind.value in ("categorical","boolean"):
        p = train[c.name].astype(str).value_counts(normalize=True); q = syn[c.name].astype(str).value_counts(normalize=True)
        print(f"  {c.name:18s} 1-TVD {1-0.5*p.subtract(q, fill_value=0).abs().sum():.4f}")
