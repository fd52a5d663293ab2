"""Policy-combiner experiments on cached fit inputs (load.py). Usage: python scripts/policy_lab/lab.py SEED NAME [VARIANT-JSON],
VARIANT keys: C, cw (class_weight), knn (+knn_unsafe), embz. One variant = the shipped
nested cross-fit recipe (outer 5 x inner 5, threshold + calibrators tuned on inner OOF) with
a pluggable fit. Prints figures on the seed's 300-item sample, the whole 983-prompt pool and
false flags per negative source."""

import hashlib
import json
import os
import pickle
import sys
import time
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression

from linernotes.evals.metrics.calibration import plugin_ece
from linernotes.fusion.crossfit import plan_folds, subplan
from linernotes.fusion.estimators import Isotonic, Standardizer, Tfidf, calibrator
from linernotes.fusion.features import embed, policy_dense
from linernotes.fusion.fitting import (
    CHAR_TFIDF,
    MAX_FALSE_FLAGS,
    MIN_SOURCE_ITEMS,
    NONE_THRESHOLDS,
    pick_none_threshold,
)
from linernotes.fusion.singlelabel import choose as choose_label

CACHE = os.environ.get("POLICY_LAB", "/tmp/policy_lab")  # cached inputs and out-of-fold results
os.makedirs(CACHE, exist_ok=True)


class Data:
    def __init__(self, seed):
        d = pickle.loads(Path(CACHE + f"/data_s{seed}.pkl").read_bytes())
        self.__dict__.update(d)
        self.seed = seed
        self.texts = [o.prose for o in self.obs]
        self.y = np.asarray(self.labels)
        self.n = len(self.y)
        try:
            self.emb = np.load(CACHE + f"/emb_s{seed}.npy")
        except FileNotFoundError:
            self.emb = embed(self.texts)
            np.save(CACHE + f"/emb_s{seed}.npy", self.emb)
        self.dense = np.vstack([policy_dense(o, self.clauses) for o in self.obs])
        self._tf = {}

    def terms(self, items):
        key = hashlib.md5(np.asarray(items).tobytes()).hexdigest()
        if key not in self._tf:
            texts = [self.texts[i] for i in items]
            w, Xw = Tfidf.fit(texts)
            c, Xc = Tfidf.fit(texts, **CHAR_TFIDF)
            self._tf[key] = (w, c, sparse.hstack([Xw, Xc]).tocsr())
        return self._tf[key]

    def terms_of(self, tf, items):
        texts = [self.texts[i] for i in items]
        return sparse.hstack([tf[0].transform(texts), tf[1].transform(texts)]).tocsr()


def knn_vote(d, sims, idx_labels, classes, k, exclude_self=None):
    """sims: (m, p) similarities to p index items; returns (m, len(classes)+1): similarity-weighted
    label share among the top k neighbours, and the best similarity."""
    m = sims.shape[0]
    if exclude_self is not None:
        sims = sims.copy()
        sims[np.arange(m), exclude_self] = -np.inf
    top = np.argpartition(-sims, k, axis=1)[:, :k]
    w = np.take_along_axis(sims, top, 1)
    w = np.clip(w, 0, None)
    lab = idx_labels[top]
    out = np.zeros((m, len(classes) + 1))
    {c: j for j, c in enumerate(classes)}
    for j, c in enumerate(classes):
        out[:, j] = (w * (lab == c)).sum(1) / np.maximum(w.sum(1), 1e-9)
    out[:, -1] = np.take_along_axis(sims, top, 1).max(1)
    return out


def make_fit(d, V):
    classes = sorted(set(d.labels))
    if V.get("knn_unsafe"):
        classes = [c for c in classes if c != "none"]

    def vote(train, items, loo):
        idx = np.asarray(train)
        if V.get("knn_unsafe"):
            idx = idx[d.y[idx] != "none"]
        sims = d.emb[items] @ d.emb[idx].T
        if loo:  # a training row never counts itself (the tag-time index does not hold the item)
            pos = {int(i): j for j, i in enumerate(idx)}
            for r, i in enumerate(items):
                if int(i) in pos:
                    sims[r, pos[int(i)]] = -np.inf
        return knn_vote(d, sims, d.y[idx], classes, V["knn"])

    def feats(model, items, train_items=None):
        tf, scaler, _extra = model["tf"], model["scaler"], model.get("extra")
        E = d.emb[items] if model.get("escale") is None else model["escale"].transform(d.emb[items])
        X = [d.terms_of(tf, items) if train_items is None else d.terms(train_items)[2], E]
        dense = d.dense[items]
        if V.get("knn"):
            dense = np.hstack([dense, vote(model["train"], items, train_items is not None)])
        return sparse.hstack(X + [scaler.transform(dense)]).tocsr()

    def fit(items):
        model = {"tf": d.terms(items), "train": items}
        dense = d.dense[items]
        if V.get("knn"):
            dense = np.hstack([dense, vote(items, items, True)])
        model["scaler"] = Standardizer.fit(dense)
        model["escale"] = Standardizer.fit(d.emb[items]) if V.get("embz") else None
        X = feats(model, items, train_items=items)
        clf = LogisticRegression(C=V.get("C", 4.0), max_iter=3000, class_weight=V.get("cw"))
        clf.fit(X, d.y[items])
        model["clf"] = clf
        return model

    def predict(model, items):
        return model["clf"].predict_proba(feats(model, items))

    return fit, predict


def tune(d, items, probs, classes_of, none_label="none", seed=0):
    y, groups = d.y, d.groups
    clean = np.array([y[i] == none_label for i in items])
    sources = {}
    for j, i in enumerate(items):
        if clean[j]:
            sources.setdefault(str(groups[i]), []).append(j)
    checked = [np.array(js) for js in sources.values() if len(js) >= MIN_SOURCE_ITEMS] or (
        [np.flatnonzero(clean)] if clean.any() else []
    )

    def labels_at(t):
        return [classes_of[int(choose_label(p, list(classes_of), none_label, t)[0])] for p in probs]

    rows = []
    for t in NONE_THRESHOLDS:
        labs = labels_at(t)
        flagged = np.array([lb != none_label for lb in labs])
        right = sum(lb == y[i] for i, lb, c in zip(items, labs, clean, strict=False) if not c)
        rows.append((float(t), right, max((float(flagged[js].mean()) for js in checked), default=0.0)))
    bt = pick_none_threshold(rows)
    picks = [int(choose_label(p, list(classes_of), none_label, bt)[0]) for p in probs]
    best = np.array([p[j] for p, j in zip(probs, picks, strict=False)])
    labs = [classes_of[j] for j in picks]
    right = np.array([float(lb == y[i]) for i, lb in zip(items, labs, strict=False)])
    none = np.array([lb == none_label for lb in labs])
    nc, nu = int(clean.sum()), int((~clean).sum())
    weight = np.where(clean, nu / nc if nc and nu else 1.0, 1.0)

    def f(m):
        return calibrator(best[m], right[m], seed=seed, weights=weight[m])[0] if m.any() else Isotonic()

    row = next(r for r in rows if r[0] == bt)
    return bt, f(~none), f(none), (row[2] <= MAX_FALSE_FLAGS, row[1])


def run(seed, V, inner_k=5):
    d = Data(seed)
    fit, predict = make_fit(d, V)
    plan = plan_folds(d.n, d.groups, 5, seed, d.y)
    lab = np.empty(d.n, dtype=object)
    conf = np.zeros(d.n)
    P = [None] * d.n
    ts = []
    scores = []
    t0 = time.time()
    for train, test in plan.folds:
        inner = subplan(train, d.groups, inner_k, seed, d.y)
        oof = {}
        for a, b in inner.folds:
            m = fit(a)
            classes = np.asarray(m["clf"].classes_)
            for i, p in zip(b, predict(m, b), strict=False):
                oof[int(i)] = p
        bt, cf, cn, score = tune(d, train, [oof[int(i)] for i in train], classes, seed=seed)
        scores.append(score)
        m = fit(train)
        classes = np.asarray(m["clf"].classes_)
        pr = predict(m, test)
        for i, p in zip(test, pr, strict=False):
            j = int(choose_label(p, list(classes), "none", bt)[0])
            lb = classes[j]
            lab[i] = lb
            P[i] = p
            conf[i] = float((cn if lb == "none" else cf)(np.array([p[j]]))[0])
        ts.append(bt)
    return d, lab, conf, np.array(P), list(classes), ts, time.time() - t0, scores


def figures(d, lab, conf):
    n0 = d.n_prompts
    s = np.array(d.sample + [False] * (d.n - n0))
    allp = np.arange(d.n) < n0
    right = lab == d.y
    out = {
        "acc": right[s].mean(),
        "flag_recall": (lab[s] != "none").mean(),
        "ece": plugin_ece(conf[s], right[s].astype(float)),
        "pool_acc": right[allp].mean(),
        "pool_flag": (lab[allp] != "none").mean(),
        "pool_ece": plugin_ece(conf[allp], right[allp].astype(float)),
    }
    for src in dict.fromkeys(d.neg_sources):
        idx = [n0 + j for j, x in enumerate(d.neg_sources) if x == src]
        out["ff." + src] = (lab[idx] != "none").mean()
    # auto-accept on the sample: per answer type thresholds as in evals.fit._answer_thresholds
    from linernotes.evals.fit import _answer_thresholds

    nt, ft, met = _answer_thresholds(list(conf), list(right), list(lab != "none"))
    acc_s = [
        conf[i] >= (ft if lab[i] != "none" else (nt if nt is not None else 0.0)) for i in np.flatnonzero(s)
    ]
    out["auto_share"] = float(np.mean(acc_s))
    return {k: round(float(v), 4) for k, v in out.items()}


if __name__ == "__main__":
    seed = int(sys.argv[1])
    name = sys.argv[2]
    V = json.loads(sys.argv[3]) if len(sys.argv) > 3 else {}
    d, lab, conf, P, classes, ts, sec, scores = run(seed, V)
    f = figures(d, lab, conf)
    print(json.dumps({"variant": name, "seed": seed, "V": V, "thresholds": ts, "inner": [list(map(int, x)) for x in scores], "sec": round(sec), **f}))
    Path(CACHE + f"/oof_{name}_s{seed}.pkl").write_bytes(
        pickle.dumps(
            dict(scores=scores, lab=lab, conf=conf, P=P, classes=classes, y=d.y, sample=d.sample, n0=d.n_prompts, ids=d.ids)
        )
    )
