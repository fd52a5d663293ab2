"""Print the fusion's cross-fitted figures next to the evidence-only baselines, from the run
records ``liner fit`` writes (FUSION_DIR/cv/<spec>.json), plus valence per source with a paired
bootstrap CI of record minus the lexical tool (mean of the per-source Pearson r).

    python scripts/fusion_figures.py fusion/default/cv/*.json [--resamples 2000]
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from linernotes.evals.record import RunRecord

HEADLINE = {"genres": ("micro_f1", "ece"), "valence": ("pearson", "mae", "ece"),
            "policy": ("accuracy", "flag_recall", "ece")}


def _mean_source_r(rows: dict[str, np.ndarray], col: int) -> float:
    return float(np.mean([np.corrcoef(a[:, col], a[:, 1])[0, 1] for a in rows.values()]))


def valence_by_source(rec: RunRecord, resamples: int, seed: int = 0) -> list[str]:
    """Per source: Pearson of the record and of the lexical tool; then the mean over sources with
    a paired bootstrap (items resampled within each source) of record minus lexical."""
    rows: dict[str, list[tuple[float, float, float]]] = {}
    for it in rec.items:
        if it.prediction is None or it.gold.get("valence") is None:
            continue
        lex = it.prediction.get("evidence", {}).get("lexical_valence") or 0.0
        rows.setdefault(it.group or "-", []).append((it.prediction["valence"], it.gold["valence"], lex))
    arrays = {g: np.array(v) for g, v in sorted(rows.items())}
    out = [f"| {g} | {len(a)} | {np.corrcoef(a[:, 0], a[:, 1])[0, 1]:.3f} | {np.corrcoef(a[:, 2], a[:, 1])[0, 1]:.3f} |"
           for g, a in arrays.items()]
    rng = np.random.default_rng(seed)
    diffs = []
    for _ in range(resamples):
        boot = {g: a[rng.integers(0, len(a), len(a))] for g, a in arrays.items()}
        diffs.append(_mean_source_r(boot, 0) - _mean_source_r(boot, 2))
    lo, hi = np.percentile(diffs, [2.5, 97.5])
    rec_r, lex_r = _mean_source_r(arrays, 0), _mean_source_r(arrays, 2)
    out.append(f"| mean of sources | {sum(len(a) for a in arrays.values())} | {rec_r:.3f} | {lex_r:.3f} |")
    out.append(f"\nrecord − lexical, mean-of-sources Pearson: {rec_r - lex_r:+.3f} [{lo:+.3f}, {hi:+.3f}] "
               f"(95% paired bootstrap, items resampled within source, {resamples} resamples)")
    return ["| source | n | record r | lexical r |", "|---|---|---|---|", *out]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("records", nargs="+")
    ap.add_argument("--resamples", type=int, default=2000)
    args = ap.parse_args(argv)
    for path in args.records:
        rec = RunRecord.load(path)
        print(f"\n## {rec.spec} ({path}; {len(rec.items)} items)\n")
        print("| metric | record [95% CI] |\n|---|---|")
        for task in rec.tasks:
            for m in HEADLINE.get(task["name"], ()):
                v = rec.metrics.get(f"{task['name']}.{m}")
                if v is not None and v.value is not None:
                    ci = f" [{v.ci_low:.3f}, {v.ci_high:.3f}]" if v.ci_low is not None else ""
                    print(f"| {task['name']}.{m} | {v.value:.3f}{ci} |")
        print("\n| metric | baseline | baseline value | record − baseline [95% paired CI] |\n|---|---|---|---|")
        for c in rec.extras.get("baselines", {}).get("comparison", []):
            print(f"| {c['metric']} | {c['baseline']} | {c['baseline_value']:.3f} | {c['diff']:+.3f} "
                  f"[{c['ci_low']:+.3f}, {c['ci_high']:+.3f}] |")
        if any(t["name"] == "valence" for t in rec.tasks):
            print()
            print("\n".join(valence_by_source(rec, args.resamples)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
