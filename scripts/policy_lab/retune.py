"""Re-tune a lab.py run's cached probabilities with another tuning rule, without refitting:
the false-flag budget per negatives source, the calibration method (auto / isotonic / platt /
cv_ece: the one of isotonic and Platt with the lower 5-fold CV ECE on the unsafe items) and
the P(none) threshold grid step. Usage: python scripts/policy_lab/retune.py SEED NAME [BUDGET
[METHOD [STEP]]] (NAME already run by lab.py at SEED). Prints the same figures as lab.py."""

import json
import os
import pickle
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from lab import CACHE, Data, answers, figures  # noqa: E402

from linernotes.fusion.fitting import MAX_FALSE_FLAGS, NONE_THRESHOLDS  # noqa: E402

seed, name = int(sys.argv[1]), sys.argv[2]
budget = float(sys.argv[3]) if len(sys.argv) > 3 else MAX_FALSE_FLAGS
method = sys.argv[4] if len(sys.argv) > 4 else "auto"
grid = tuple(np.round(np.arange(float(sys.argv[5]), 0.96, float(sys.argv[5])), 3)) if len(sys.argv) > 5 else NONE_THRESHOLDS
run = pickle.loads(Path(CACHE + f"/oof_{name}_s{seed}.pkl").read_bytes())
d = Data(seed)
lab, conf, ts, scores = answers(d, run["classes"], run["folds"], budget, method, grid)
print(json.dumps({"variant": name, "seed": seed, "budget": budget, "calibration": method, "thresholds": ts,
                  **figures(d, lab, conf)}))
