"""Nested selection across lab.py variants, as fit_single_label chooses among its Cs: per outer
fold, the variant whose inner out-of-fold score (within the false-flag budget, then right answers
on unsafe items) is best, and that variant's answers on the fold's test items; ties go to the
variant named first. Usage: python scripts/policy_lab/nested_pick.py SEED VARIANT [VARIANT ...]
(each already run by lab.py at that seed). Prints the picks and the figures of the picked answers."""

import json
import os
import pickle
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from lab import CACHE, Data, figures  # noqa: E402

from linernotes.fusion.crossfit import plan_folds  # noqa: E402

seed, names = int(sys.argv[1]), sys.argv[2:]
runs = {n: pickle.loads(Path(CACHE + f"/oof_{n}_s{seed}.pkl").read_bytes()) for n in names}
d = Data(seed)
plan = plan_folds(d.n, d.groups, 5, seed, d.y)
lab = np.empty(d.n, dtype=object)
conf = np.zeros(d.n)
picks = []
for f, (_, test) in enumerate(plan.folds):
    best = max(names, key=lambda n, f=f: (tuple(runs[n]["scores"][f]), -names.index(n)))
    picks.append(best)
    lab[test], conf[test] = runs[best]["lab"][test], runs[best]["conf"][test]
print(json.dumps({"select": names, "seed": seed, "picks": picks, **figures(d, lab, conf)}))
