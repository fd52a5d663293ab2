"""Confusion of a lab.py variant's cross-fitted answers, on the seed's 300-item sample and all 983
prompts, per source. Usage: python scripts/policy_lab/confusion.py VARIANT SEED"""

import collections
import os
import pickle
import sys
from pathlib import Path

import numpy as np

CACHE = os.environ.get("POLICY_LAB", "/tmp/policy_lab")  # cached inputs and out-of-fold results
os.makedirs(CACHE, exist_ok=True)

name, seed = sys.argv[1], sys.argv[2]
o = pickle.loads(Path(CACHE + f"/oof_{name}_s{seed}.pkl").read_bytes())
lab, y, n0 = o["lab"], o["y"], o["n0"]
for scope, mask in (("sample", np.array(o["sample"])), ("pool", np.ones(n0, bool))):
    yy, ll = y[:n0][mask], lab[:n0][mask]
    src = np.array(["rtp" if i.startswith("rtp") else "dna" for i in np.array(o["ids"][:n0])[mask]])
    print(f"== {scope} n={mask.sum()} acc={np.mean(yy == ll):.3f}")
    for s in ("dna", "rtp"):
        m = src == s
        print(
            f"  {s}: n={m.sum()} acc={np.mean(yy[m] == ll[m]):.3f} none={np.mean(ll[m] == 'none'):.3f} other-source-label={np.mean([(lb != 'none') and (lb in set(yy[src != s])) for lb in ll[m]]):.3f}"
        )
    labels = sorted(set(yy))
    short = {lb: lb[:6] for lb in labels}
    short["none"] = "none"
    cols = labels + ["none"]
    print("gold\\pred".ljust(14) + " ".join(short[c].rjust(6) for c in cols))
    for g in labels:
        c = collections.Counter(ll[yy == g])
        print(
            g[:13].ljust(14) + " ".join(str(c.get(p, 0)).rjust(6) for p in cols),
            f" acc={c.get(g, 0) / max(1, (yy == g).sum()):.2f}",
        )
