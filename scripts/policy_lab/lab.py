"""Policy-combiner experiments on cached fit inputs (load.py). Usage: python scripts/policy_lab/lab.py SEED NAME [VARIANT-JSON],
VARIANT keys: C, dw (dense-block weight), cw (class_weight), knn (+knn_unsafe), embz, two_stage (+C2). One variant = the
shipped nested cross-fit recipe (outer 5 x inner 5, threshold + calibrators tuned on inner OOF,
the false-flag budget checked per negatives source as evals.fit does) with a pluggable fit.
Prints figures on the seed's 300-item sample, the whole 983-prompt pool and false flags per
negative source; keeps every fold's raw probabilities, so retune.py can try other tuning rules
(budget, calibration, threshold grid) without refitting."""

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
from linernotes.fusion.estimators import Isotonic, Standardizer, Tfidf, _logit, calibrator
from linernotes.fusion.features import embed, policy_dense
from linernotes.fusion.fitting import (
    CHAR_TFIDF,
    MAX_FALSE_FLAGS,
    NONE_THRESHOLDS,
    checked_sources,
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
        self.sources = [None] * self.n_prompts + list(self.neg_sources)  # the false-flag budget's sources, as evals.fit
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
    if V.get("two_stage"):
        return two_stage(d, V)
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
        return sparse.hstack(X + [V.get("dw", 1.0) * scaler.transform(dense)]).tocsr()  # dw: the dense weight

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


def two_stage(d, V):
    """P(flagged) from a binary logistic regression (C), the category among unsafe training items
    from a multinomial one (C2), on the shipped design row; P(none) = 1 - P(flagged), P(c) =
    P(flagged) P(c | unsafe), in the order of sorted(set(labels))."""
    classes = sorted(set(d.labels))
    k = classes.index("none")

    def design(model, items, train=False):
        terms = d.terms(items)[2] if train else d.terms_of(model["tf"], items)
        return sparse.hstack([terms, d.emb[items], model["scaler"].transform(d.dense[items])]).tocsr()

    def fit(items):
        model = {"tf": d.terms(items), "scaler": Standardizer.fit(d.dense[items])}
        X, y = design(model, items, True), d.y[items]
        model["flag"] = LogisticRegression(C=V.get("C", 4.0), max_iter=3000).fit(X, y != "none")
        model["category"] = LogisticRegression(C=V.get("C2", 4.0), max_iter=3000).fit(X[y != "none"], y[y != "none"])
        model["clf"] = type("Classes", (), {"classes_": classes})
        return model

    def predict(model, items):
        X = design(model, items)
        flag = model["flag"].predict_proba(X)[:, list(model["flag"].classes_).index(True)]
        out = np.zeros((len(items), len(classes)))
        out[:, k] = 1 - flag
        for j, c in enumerate(model["category"].classes_):
            out[:, classes.index(c)] = flag * model["category"].predict_proba(X)[:, j]
        return out

    return fit, predict


def fit_calibrator(scores, outcomes, weights, method="auto", seed=0):
    """A P(right) map of one answer type: "auto" as the product (isotonic or Platt by CV Brier,
    fusion.estimators.calibrator), or "isotonic" / "platt" forced."""
    if not len(scores):
        return Isotonic()
    if method == "auto":
        return calibrator(scores, outcomes, seed=seed, weights=weights)[0]
    if method == "isotonic" or len(np.unique(outcomes)) < 2:
        return Isotonic.fit(scores, outcomes, weights)
    if method == "platt":  # as calibrator's Platt: a logistic in the score's log-odds, stored as a table
        lr = LogisticRegression(C=1e4, max_iter=1000).fit(_logit(scores)[:, None], outcomes, sample_weight=weights)
        grid = np.linspace(0, 1, 101)
        return Isotonic(x=grid.tolist(), y=lr.predict_proba(_logit(grid)[:, None])[:, 1].tolist())
    raise ValueError(f"calibration {method!r}")


def cv_ece(best, right, none, weight, scored, method, seed, folds=5):
    """ECE over the ``scored`` pairs of the two answer-type calibrators of ``method``, each pair
    calibrated by maps fitted on the other folds."""
    from sklearn.model_selection import KFold

    conf = np.zeros(len(best))
    for tr, te in KFold(folds, shuffle=True, random_state=seed).split(best):
        for side in (none, ~none):
            a, b = tr[side[tr]], te[side[te]]
            if len(b):
                conf[b] = fit_calibrator(best[a], right[a], weight[a], method, seed)(best[b])
    return plugin_ece(conf[scored], right[scored])


def tune(d, items, P, classes, budget=MAX_FALSE_FLAGS, method="auto", grid=NONE_THRESHOLDS, seed=0):
    """fit_single_label's tune on inner out-of-fold probabilities P (rows aligned with items):
    the P(none) threshold of ``grid`` with the most right unsafe answers within ``budget`` false
    flags on every negatives source (the specs, as evals.fit passes them), then the two
    calibrators, clean and unsafe weighed equally. Returns (threshold, flag calibrator, none
    calibrator, inner score (within budget, right unsafe answers))."""
    y = d.y[items]
    clean = y == "none"
    checked = checked_sources(clean, [d.sources[i] for i in items])
    rows = []
    for t in grid:
        lab = np.asarray(classes)[choose_label(P, classes, "none", t)]
        flagged = lab != "none"
        rows.append((float(t), int(np.sum((lab == y) & ~clean)), max(float(flagged[js].mean()) for js in checked)))
    bt = pick_none_threshold(rows, budget)
    row = next(r for r in rows if r[0] == bt)
    pick = choose_label(P, classes, "none", bt)
    best = P[np.arange(len(P)), pick]
    lab = np.asarray(classes)[pick]
    right = (lab == y).astype(float)
    none = lab == "none"
    weight = np.where(clean, (~clean).sum() / max(1, clean.sum()), 1.0)
    if method == "cv_ece":  # the method whose 5-fold CV ECE on the unsafe items is lowest
        method = min(("isotonic", "platt"), key=lambda m: cv_ece(best, right, none, weight, ~clean, m, seed))
    cal_flag = fit_calibrator(best[~none], right[~none], weight[~none], method, seed)
    cal_none = fit_calibrator(best[none], right[none], weight[none], method, seed)
    return bt, cal_flag, cal_none, (row[2] <= budget, row[1])


def probabilities(d, V, inner_k=5):
    """The nested cross-fit's raw probabilities: per outer fold, its training items' inner
    out-of-fold probabilities and the outer model's on its test items. Returns (classes, folds)."""
    fit, predict = make_fit(d, V)
    folds = []
    classes = sorted(set(d.labels))
    for train, test in plan_folds(d.n, d.groups, 5, d.seed, d.y).folds:
        inner = np.zeros((d.n, len(classes)))
        for a, b in subplan(train, d.groups, inner_k, d.seed, d.y).folds:
            m = fit(a)
            assert list(m["clf"].classes_) == classes
            inner[b] = predict(m, b)
        folds.append({"train": train, "test": test, "inner": inner[train], "outer": predict(fit(train), test)})
        d._tf.clear()
    return classes, folds


def answers(d, classes, folds, budget=MAX_FALSE_FLAGS, method="auto", grid=NONE_THRESHOLDS):
    """Tune each outer fold on its inner probabilities, answer its test items. Returns (labels,
    confidences, thresholds, inner scores)."""
    lab = np.empty(d.n, dtype=object)
    conf = np.zeros(d.n)
    ts, scores = [], []
    for f in folds:
        bt, cal_flag, cal_none, score = tune(d, f["train"], f["inner"], classes, budget, method, grid, d.seed)
        P = f["outer"]
        pick = choose_label(P, classes, "none", bt)
        lab[f["test"]] = np.asarray(classes)[pick]
        p = P[np.arange(len(P)), pick]
        conf[f["test"]] = np.where(lab[f["test"]] == "none", cal_none(p), cal_flag(p))
        ts.append(bt)
        scores.append(score)
    return lab, conf, ts, scores


def run(seed, V, inner_k=5):
    d = Data(seed)
    t0 = time.process_time()
    classes, folds = probabilities(d, V, inner_k)
    lab, conf, ts, scores = answers(d, classes, folds)
    return d, lab, conf, classes, folds, ts, time.process_time() - t0, scores


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
    d, lab, conf, classes, folds, ts, sec, scores = run(seed, V)
    f = figures(d, lab, conf)
    print(json.dumps({"variant": name, "seed": seed, "V": V, "thresholds": ts, "inner": [list(map(int, x)) for x in scores], "cpu_s": round(sec), **f}))
    Path(CACHE + f"/oof_{name}_s{seed}.pkl").write_bytes(
        pickle.dumps(
            dict(scores=scores, lab=lab, conf=conf, classes=classes, folds=folds, V=V, y=d.y, sample=d.sample,
                 n0=d.n_prompts, ids=d.ids)
        )
    )
