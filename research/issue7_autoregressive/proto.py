"""Prototype: autoregressive generator over discretised columns (MADE-style masked MLP)."""
from __future__ import annotations
import math, time
import numpy as np, pandas as pd, torch
from torch import nn
import torch.nn.functional as F
from synthera.schema import Schema, ColumnKind
from synthera.transforms.categories import CategoryCodec
from synthera.transforms.converters import fit_converter
from synthera.transforms.ids import IdEncoder
from synthera.transforms.text import TextEncoder

class NumericBinner:
    def __init__(self, max_bins=256):
        self.max_bins = max_bins
    def fit(self, v):
        obs = v[~np.isnan(v)]
        self.has_missing = bool(np.isnan(v).any())
        uniq, counts = np.unique(obs, return_counts=True)
        if len(uniq) <= self.max_bins:
            self.exact = uniq; self.spikes = np.array([]); self.edges = np.array([])
        else:
            self.exact = np.array([])
            share = counts / len(obs)
            spike_mask = share >= 1.0 / self.max_bins
            order = np.argsort(-share[spike_mask])[: self.max_bins // 2]
            self.spikes = np.sort(uniq[spike_mask][order])
            rest = obs[~np.isin(obs, self.spikes)]
            nb = self.max_bins - len(self.spikes)
            self.edges = np.unique(np.quantile(rest, np.linspace(0, 1, nb + 1)))
        self.n_value_tokens = len(self.exact) + len(self.spikes) + max(len(self.edges) - 1, 0)
        self.vocab = self.n_value_tokens + int(self.has_missing)
        return self
    def encode(self, v):
        codes = np.zeros(len(v), dtype=np.int64)
        miss = np.isnan(v)
        if len(self.exact):
            codes[~miss] = np.searchsorted(self.exact, v[~miss])
        else:
            vv = v[~miss]
            sp = np.searchsorted(self.spikes, vv)
            sp_c = np.minimum(sp, len(self.spikes) - 1) if len(self.spikes) else sp
            is_spike = (len(self.spikes) > 0) & (self.spikes[sp_c] == vv) if len(self.spikes) else np.zeros(len(vv), bool)
            nb = len(self.edges) - 1
            b = np.clip(np.searchsorted(self.edges, vv, side="right") - 1, 0, nb - 1)
            codes[~miss] = np.where(is_spike, sp_c, len(self.spikes) + b)
        codes[miss] = self.n_value_tokens
        return codes
    def decode(self, codes, rng):
        out = np.full(len(codes), np.nan)
        miss = codes >= self.n_value_tokens
        c = np.minimum(codes, self.n_value_tokens - 1)
        if len(self.exact):
            out = self.exact[c].astype(float)
        else:
            ns = len(self.spikes)
            is_spike = c < ns
            b = np.maximum(c - ns, 0)
            lo, hi = self.edges[b], self.edges[b + 1]
            u = rng.random(len(c))
            out = np.where(is_spike, self.spikes[np.minimum(c, max(ns - 1, 0))] if ns else 0.0, lo + u * (hi - lo))
        return out, miss

class DiscreteTable:
    def __init__(self, schema, max_bins=256):
        self.schema = schema; self.max_bins = max_bins
    def fit(self, df):
        self.parts = {}
        for spec in self.schema.columns:
            s = df[spec.name]
            if spec.kind in (ColumnKind.CATEGORICAL, ColumnKind.BOOLEAN):
                self.parts[spec.name] = ("cat", CategoryCodec.fit(s, spec, rare_threshold=self.schema.rare_threshold_for(spec.name)))
            elif spec.kind in (ColumnKind.NUMERIC, ColumnKind.INTEGER, ColumnKind.DATETIME):
                conv = fit_converter(s, spec)
                self.parts[spec.name] = ("num", (conv, NumericBinner(self.max_bins).fit(conv.to_float(s))))
        self.modelled = list(self.parts)
        self.vocab = [p[1].n_codes if p[0] == "cat" else p[1][1].vocab for p in self.parts.values()]
        return self
    def encode(self, df):
        cols = []
        for name, (t, obj) in self.parts.items():
            if t == "cat": cols.append(obj.encode(df[name]))
            else: conv, b = obj; cols.append(b.encode(conv.to_float(df[name])))
        return np.stack(cols, 1)
    def decode(self, codes, rng):
        out = {}
        for j, (name, (t, obj)) in enumerate(self.parts.items()):
            if t == "cat": out[name] = obj.decode(codes[:, j]).reset_index(drop=True)
            else:
                conv, b = obj; v, miss = b.decode(codes[:, j], rng); out[name] = conv.from_float(v, miss).reset_index(drop=True)
        return pd.DataFrame(out)

class MaskedLinear(nn.Linear):
    def __init__(self, i, o, mask):
        super().__init__(i, o); self.register_buffer("mask", mask.float())
    def forward(self, x): return F.linear(x, self.weight * self.mask, self.bias)

class ARNet(nn.Module):
    def __init__(self, vocab, emb_dim=None, hidden=(256, 256), dropout=0.0, seed=0):
        super().__init__()
        d = len(vocab); self.vocab = vocab
        g = np.random.default_rng(seed)
        dims = [emb_dim or max(4, min(32, int(round(1.6 * v ** 0.56)))) for v in vocab]
        self.emb = nn.ModuleList(nn.Embedding(v, k) for v, k in zip(vocab, dims))
        in_deg = np.concatenate([np.full(k, j) for j, k in enumerate(dims)])  # column j: degree j (0-based)
        layers = []; prev_deg = in_deg
        for h in hidden:
            deg = g.integers(0, max(d - 1, 1), h) if d > 1 else np.zeros(h, int)
            mask = torch.from_numpy((deg[:, None] >= prev_deg[None, :]))
            layers.append(MaskedLinear(len(prev_deg), h, mask)); prev_deg = deg
        self.hidden = nn.ModuleList(layers)
        out_deg = np.concatenate([np.full(v, j) for j, v in enumerate(vocab)])
        self.out = MaskedLinear(len(prev_deg), len(out_deg), torch.from_numpy(out_deg[:, None] > prev_deg[None, :]))
        self.skip = MaskedLinear(len(in_deg), len(out_deg), torch.from_numpy(out_deg[:, None] > in_deg[None, :]))
        self.drop = nn.Dropout(dropout)
        self.offsets = np.concatenate([[0], np.cumsum(vocab)])
    def forward(self, x):
        z = torch.cat([e(x[:, j]) for j, e in enumerate(self.emb)], 1)
        h = z
        for lyr in self.hidden: h = self.drop(F.relu(lyr(h)))
        return self.out(h) + self.skip(z)
    def loss(self, x):
        logits = self(x); total = 0.0
        for j in range(len(self.vocab)):
            total = total + F.cross_entropy(logits[:, self.offsets[j]:self.offsets[j+1]], x[:, j])
        return total

def fit_ar(df, schema, epochs=30, batch=512, lr=2e-3, hidden=(256,256), max_bins=256, seed=0, dropout=0.0, wd=0.0, patience=4, verbose=True):
    torch.manual_seed(seed)
    enc = DiscreteTable(schema, max_bins).fit(df)
    X = torch.from_numpy(enc.encode(df))
    g = torch.Generator().manual_seed(seed)
    perm = torch.randperm(len(X), generator=g); nval = max(len(X)//10, 1)
    val, tr = X[perm[:nval]], X[perm[nval:]]
    net = ARNet(enc.vocab, hidden=hidden, dropout=dropout, seed=seed)
    with torch.no_grad():  # start every output block at its empirical marginal
        for j, v in enumerate(enc.vocab):
            freq = torch.bincount(tr[:, j], minlength=v).float() / len(tr)
            net.out.bias[net.offsets[j]:net.offsets[j+1]] = torch.log(freq + 1e-6)
            net.skip.bias.zero_()
    opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=wd)
    best, best_state, bad = math.inf, None, 0
    t0 = time.time()
    for ep in range(epochs):
        net.train(); idx = torch.randperm(len(tr), generator=g); tot = 0.0
        for k in range(0, len(tr), batch):
            xb = tr[idx[k:k+batch]]; opt.zero_grad(); l = net.loss(xb); l.backward(); opt.step(); tot += l.item()*len(xb)
        net.eval()
        with torch.no_grad(): vl = sum(net.loss(val[k:k+4096]).item()*len(val[k:k+4096]) for k in range(0, len(val), 4096))/len(val)
        if verbose: print(f"ep {ep} train {tot/len(tr):.4f} val {vl:.4f} t {time.time()-t0:.1f}s", flush=True)
        if vl < best - 1e-4: best, bad = vl, 0; best_state = {k: v.clone() for k, v in net.state_dict().items()}
        else:
            bad += 1
            if bad >= patience: break
    net.load_state_dict(best_state)
    return enc, net

@torch.no_grad()
def sample_ar(enc, net, n, seed=0, temperature=1.0, chunk=8192):
    net.eval(); g = torch.Generator().manual_seed(seed); rng = np.random.default_rng(seed)
    outs = []
    W_out = net.out.weight * net.out.mask; W_skip = net.skip.weight * net.skip.mask
    b = net.out.bias + net.skip.bias
    for s in range(0, n, chunk):
        m = min(chunk, n - s); x = torch.zeros(m, len(net.vocab), dtype=torch.long)
        for j in range(len(net.vocab)):
            z = torch.cat([e(x[:, i]) for i, e in enumerate(net.emb)], 1)
            h = z
            for lyr in net.hidden: h = F.relu(lyr(h))
            lo, hi = net.offsets[j], net.offsets[j + 1]
            logits = (h @ W_out[lo:hi].T + z @ W_skip[lo:hi].T + b[lo:hi]) / temperature
            x[:, j] = torch.multinomial(F.softmax(logits, 1), 1, generator=g).squeeze(1)
        outs.append(x.numpy())
    return enc.decode(np.concatenate(outs), rng)
