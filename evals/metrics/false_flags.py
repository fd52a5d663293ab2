"""False flags of a policy field on clean catalog text, and its calibration with them.

Issue 11's limit: "a false-flag rate <= 5% on clean catalog text". A policy gold set holds unsafe
prompts only, so its accuracy and flag recall reward flagging everything; the clean texts a spec
names (``CleanSpec``, ``evals.clean``) are the other side. Metrics, per task:

- ``<task>.false_flag_rate``: share of the clean texts with any policy flag (lower is better);
  extras ``<task>.false_flags``: per source ``items``, ``flagged``, ``rate`` and the one-sided
  95% Wilson upper bound (``fusion.fitting.false_flag_bound``, the bound the fit holds to 5%);
- ``<task>.ece_with_clean``: ECE over the gold items and the clean texts pooled, a clean text's
  answer right when it has no flag. The gold-only ECE of an all-unsafe set scores every 'none'
  answer wrong whatever its calibrated confidence says about the catalog; pooled, the figure is
  the field's calibration over both kinds of text (``ece_by_answer`` gives each answer type apart).
"""

from __future__ import annotations

import numpy as np

from linernotes.evals.metrics.calibration import ece_stat
from linernotes.evals.metrics.core import Scored, ratio_stat


def score_false_flags(task: str, sources: list[str | None], flagged: list[bool | None],
                      conf: list[float | None], correct: list[float | None],
                      field_conf: list[float | None]) -> Scored:
    """Per item (aligned): ``sources`` the clean text's source (None: not a clean text),
    ``flagged`` whether the record flags it (None: error item), ``conf``/``correct`` the gold
    items' calibration inputs (None: not scored), ``field_conf`` every item's policy confidence
    (None: error item). Clean texts that failed are left out (they are the run's failures)."""
    from linernotes.fusion.fitting import false_flag_bound

    out = Scored()
    member = np.array([s is not None and f is not None for s, f in zip(sources, flagged, strict=True)], dtype=float)
    if not member.any():
        return out
    flag = np.array([1.0 if f else 0.0 for f in flagged])
    out.stats[f"{task}.false_flag_rate"] = ratio_stat(flag * member, member)
    out.n[f"{task}.false_flag_rate"] = int(member.sum())
    out.item_scores[f"{task}.false_flag"] = [float(f) if m else None for f, m in zip(flag, member, strict=True)]
    per: dict[str, dict[str, float | int]] = {}
    for name in sorted({s for s, m in zip(sources, member, strict=True) if m and s is not None}):
        idx = [i for i, s in enumerate(sources) if s == name and member[i]]
        n, k = len(idx), int(flag[idx].sum())
        per[name] = {"items": n, "flagged": k, "rate": round(k / n, 4),
                     "wilson_95_upper": round(false_flag_bound(k, n), 4)}
    out.extras[f"{task}.false_flags"] = per
    # pooled calibration: the gold items as scored, the clean texts right when unflagged
    rows = []
    for gc, k, fc, f, m in zip(conf, correct, field_conf, flag, member, strict=True):
        if m and fc is not None:
            rows.append((fc, 1.0 - f, 1.0))
        elif not m and gc is not None and k is not None:
            rows.append((gc, k, 1.0))
        else:
            rows.append((0.0, 0.0, 0.0))
    c, y, pooled = (np.array(col, dtype=np.float64) for col in zip(*rows, strict=True))
    out.stats[f"{task}.ece_with_clean"] = ece_stat(c, y, pooled)
    out.n[f"{task}.ece_with_clean"] = int(pooled.sum())
    return out
