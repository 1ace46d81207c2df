"""Quick scorer in the issue-7 harness style (prototype only)."""
import numpy as np, pandas as pd
from scipy.stats import ks_2samp
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import cross_val_predict
from synthera.schema import ColumnKind

def _cat(s): return s.astype(str).fillna("NA")
def shapes(real, syn, schema):
    out = []
    for c in schema.columns:
        if c.kind in (ColumnKind.NUMERIC, ColumnKind.INTEGER):
            a, b = real[c.name].dropna().astype(float), syn[c.name].dropna().astype(float)
            out.append(1 - ks_2samp(a, b).statistic)
        elif c.kind in (ColumnKind.CATEGORICAL, ColumnKind.BOOLEAN):
            p = _cat(real[c.name]).value_counts(normalize=True); q = _cat(syn[c.name]).value_counts(normalize=True)
            out.append(1 - 0.5 * p.subtract(q, fill_value=0).abs().sum())
    return float(np.mean(out))
def _binned(real, syn, schema):
    R, S = {}, {}
    for c in schema.columns:
        if c.kind in (ColumnKind.NUMERIC, ColumnKind.INTEGER):
            qs = np.unique(np.nanquantile(real[c.name].astype(float), np.linspace(0, 1, 11)))
            R[c.name] = np.searchsorted(qs[1:-1], real[c.name].astype(float)).astype(str)
            S[c.name] = np.searchsorted(qs[1:-1], syn[c.name].astype(float)).astype(str)
        elif c.kind in (ColumnKind.CATEGORICAL, ColumnKind.BOOLEAN):
            R[c.name] = _cat(real[c.name]).to_numpy(); S[c.name] = _cat(syn[c.name]).to_numpy()
    return pd.DataFrame(R), pd.DataFrame(S)
def trends(real, syn, schema):
    num = [c.name for c in schema.columns if c.kind in (ColumnKind.NUMERIC, ColumnKind.INTEGER)]
    R, S = _binned(real, syn, schema); cols = list(R.columns); out = []
    for i in range(len(cols)):
        for j in range(i+1, len(cols)):
            a, b = cols[i], cols[j]
            if a in num and b in num:
                ra = real[[a, b]].astype(float).corr().iloc[0, 1]; sa = syn[[a, b]].astype(float).corr().iloc[0, 1]
                out.append(1 - abs(np.nan_to_num(ra) - np.nan_to_num(sa)) / 2)
            else:
                p = pd.crosstab(R[a], R[b], normalize=True).stack(); q = pd.crosstab(S[a], S[b], normalize=True).stack()
                out.append(1 - 0.5 * p.subtract(q, fill_value=0).abs().sum())
    return float(np.mean(out))
def _features(df, schema, cats):
    out = {}
    for c in schema.columns:
        if c.kind in (ColumnKind.NUMERIC, ColumnKind.INTEGER): out[c.name] = df[c.name].astype(float)
        elif c.kind in (ColumnKind.CATEGORICAL, ColumnKind.BOOLEAN):
            out[c.name] = pd.Categorical(_cat(df[c.name]), categories=cats[c.name]).codes
    return pd.DataFrame(out)
def detection(holdout, syn, schema, seed=0):
    n = min(len(holdout), len(syn)); h = holdout.sample(n, random_state=seed); s = syn.sample(n, random_state=seed)
    cats = {c.name: sorted(set(_cat(holdout[c.name])) | set(_cat(syn[c.name]))) for c in schema.columns if c.kind in (ColumnKind.CATEGORICAL, ColumnKind.BOOLEAN)}
    X = pd.concat([_features(h, schema, cats), _features(s, schema, cats)], ignore_index=True); y = np.r_[np.zeros(n), np.ones(n)]
    catmask = [c in cats for c in X.columns]
    p = cross_val_predict(HistGradientBoostingClassifier(categorical_features=catmask, random_state=seed), X, y, cv=3, method="predict_proba")[:, 1]
    return roc_auc_score(y, p)
def tstr(train, holdout, schema, target, seed=0):
    cats = {c.name: sorted(set(_cat(train[c.name])) | set(_cat(holdout[c.name]))) for c in schema.columns if c.kind in (ColumnKind.CATEGORICAL, ColumnKind.BOOLEAN)}
    Xtr = _features(train, schema, cats).drop(columns=[target]); Xte = _features(holdout, schema, cats).drop(columns=[target])
    ytr = _cat(train[target]); yte = _cat(holdout[target]); pos = sorted(set(yte))[-1]
    catmask = [c in cats for c in Xtr.columns]
    m = HistGradientBoostingClassifier(categorical_features=catmask, random_state=seed).fit(Xtr, ytr == pos)
    return roc_auc_score(yte == pos, m.predict_proba(Xte)[:, 1])
def dcr_share(train, holdout, syn, schema, seed=0, n=3000):
    from sklearn.neighbors import NearestNeighbors
    cats = {c.name: sorted(set(_cat(train[c.name]))) for c in schema.columns if c.kind in (ColumnKind.CATEGORICAL, ColumnKind.BOOLEAN)}
    def feat(df):
        f = _features(df, schema, cats); out = []
        for c in f.columns:
            if c in cats: out.append(pd.get_dummies(f[c].astype(str)).reindex(columns=[str(i) for i in range(-1, len(cats[c]))], fill_value=0).to_numpy(float))
            else:
                x = f[c].to_numpy(float); lo, hi = np.nanmin(train[c].astype(float)), np.nanmax(train[c].astype(float)); x = (x - lo) / (hi - lo + 1e-12)
                out.append(np.nan_to_num(x, nan=-1)[:, None])
        return np.hstack(out)
    m = min(len(train), len(holdout)); tr = train.sample(m, random_state=seed); ho = holdout.sample(m, random_state=seed)
    sy = syn.sample(min(n, len(syn)), random_state=seed)
    dt = NearestNeighbors(n_neighbors=1).fit(feat(tr)).kneighbors(feat(sy))[0][:, 0]
    dh = NearestNeighbors(n_neighbors=1).fit(feat(ho)).kneighbors(feat(sy))[0][:, 0]
    return float(np.mean(dt < dh) + 0.5 * np.mean(dt == dh))
