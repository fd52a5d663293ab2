"""Evidence-only baselines: what the tools the graph already ran would have answered alone.

Each baseline turns one item's stored ``prediction.evidence`` (the tool outputs shown to the
model) into a prediction of the same shape as the record's (``genres`` / ``valence`` /
``policy_flags``), so the record's own metric code scores it on the same items and a paired
bootstrap gives record minus baseline. Nothing here reads ``route.py`` or the LLM's draft, so the
baselines keep working when confidences or fusion change. An error item (no prediction, no
evidence) gets no baseline prediction either and is scored as empty, exactly like the record.

- ``exemplar_vote`` (multilabel): similarity-weighted vote share of each genre over the evidence
  exemplars, share = sum(similarity of exemplars carrying it) / sum(similarity of all); genres
  with share >= 0.5 (a weighted majority of the neighbours).
- ``shortlist_top1`` / ``shortlist_top3``: the first k ids of the genre shortlist.
- ``label_prior``: the 3 most frequent gold genres among the spec's exemplar items (the gold
  items NOT evaluated, ``evals.gold.exemplar_items``) sharing the item's ``label`` input; what a
  user with an already-labeled catalog would pick for a new release of the label.
- ``lexical`` (valence): the lexical-valence tool's score alone (neutral 0 when it gave none).
- ``lexicon`` (policy): the policy lexicon's hits alone as flags, mapped to a category through
  the spec's ``clause_map`` by the same rule as the record's flags (``predicted_category``).
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from typing import Any

from linernotes.evals.spec import TaskSpec

VOTE_SHARE = 0.5
PRIOR_K = 3

# baselines per task kind, in report order
KINDS = {"multilabel": ("exemplar_vote", "shortlist_top1", "shortlist_top3", "label_prior"),
         "valence": ("lexical",), "policy": ("lexicon",)}


def predicted_category(pred: dict[str, Any] | None, task: TaskSpec) -> tuple[str, bool]:
    """(category, flagged): the fused classifier's flag when the record has one (it is the
    record's category), else the most severe flag whose clause maps to a gold category (ties by
    clause id); an unmapped flag still counts as flagged (``unmapped:<clause>``); none -> the
    task's ``none_label``."""
    flags = (pred or {}).get("policy_flags") or []
    ordered = sorted(flags, key=lambda f: (f.get("source") not in ("fusion", "lexicon+fusion"),
                                           -int(f.get("severity", 0)), f.get("clause_id", "")))
    for f in ordered:
        if f.get("clause_id") in task.clause_map:
            return task.clause_map[f["clause_id"]], True
    if ordered:
        return f"unmapped:{ordered[0].get('clause_id')}", True
    return task.none_label, False


def exemplar_vote(evidence: dict[str, Any], min_share: float = VOTE_SHARE) -> list[str]:
    """Genres with similarity-weighted vote share >= ``min_share``, by share then id."""
    weights: dict[str, float] = {}
    total = 0.0
    for ex in evidence.get("exemplars") or []:
        w = max(0.0, float(ex.get("score") or 0.0))
        total += w
        for g in dict.fromkeys(ex.get("genres") or []):
            weights[g] = weights.get(g, 0.0) + w
    if total <= 0:
        return []
    return sorted((g for g, w in weights.items() if w / total >= min_share - 1e-12), key=lambda g: (-weights[g], g))


def shortlist_top(evidence: dict[str, Any], k: int) -> list[str]:
    return [c["id"] for c in (evidence.get("genres") or [])[:k] if c.get("id")]


def lexicon_flags(evidence: dict[str, Any]) -> list[dict[str, Any]]:
    """One flag per clause the lexicon hit, at the clause's highest hit severity."""
    flags: dict[str, dict[str, Any]] = {}
    for h in evidence.get("policy_hits") or []:
        cid = h.get("clause_id")
        if not cid:
            continue
        sev = int(h.get("severity") or 0)
        if cid not in flags or flags[cid]["severity"] < sev:
            flags[cid] = {"clause_id": cid, "policy_id": h.get("policy_id"), "severity": sev, "source": "lexicon"}
    return list(flags.values())


def label_prior_table(rows: list[tuple[str | None, list[str]]], k: int = PRIOR_K) -> dict[str, list[str]]:
    """``rows``: (label, gold genre ids) of the exemplar items -> label: its k most frequent
    genres (ties by id, so the table does not depend on row order)."""
    counts: dict[str, Counter[str]] = {}
    for label, genres in rows:
        if label is None or not genres:
            continue
        counts.setdefault(str(label), Counter()).update(list(dict.fromkeys(genres)))
    return {lab: [g for g, _ in sorted(c.items(), key=lambda gc: (-gc[1], gc[0]))[:k]] for lab, c in counts.items()}


@lru_cache(maxsize=8)
def _prior_from_data(spec_name: str, spec_digest: str, data_path: str, limit: int | None, seed: int,
                     gold_fingerprint: str, sample_ids: tuple[str, ...]) -> tuple[dict[str, list[str]] | None, str]:
    from linernotes.evals.gold import exemplar_items, load_gold
    from linernotes.evals.spec import SpecError, load_spec, resolve_data

    try:
        spec = load_spec(spec_name)
    except SpecError as e:
        return None, f"spec not loadable here ({str(e).splitlines()[0]})"
    if spec.digest() != spec_digest or spec.exemplars is None:
        return None, "the spec here is not the one the run used (digest differs)"
    data = None
    for cand in (data_path, None):
        try:
            data = resolve_data(spec, cand)
            sample = load_gold(spec, data, limit, seed)
        except (SpecError, OSError):
            continue
        if sample.fingerprint == gold_fingerprint and tuple(sorted(i.id for i in sample.items)) == sample_ids:
            break
        data = None
    if data is None:
        return None, "the run's gold data is not available here (or differs), so the exemplar items are unknown"
    full = load_gold(spec, data)
    task = spec.exemplars.task
    rows = [(it.inputs.get("label"), list(it.gold.get(task) or [])) for it in exemplar_items(spec, full, sample)]
    return label_prior_table(rows), ""


def label_prior_for(record: Any) -> tuple[dict[str, list[str]] | None, str]:
    """The label-prior table of a run whose spec has exemplars, rebuilt from its gold data and
    checked against the record's spec digest, sample and gold fingerprint; (None, reason)
    when that is not possible."""
    if record.exemplars is None:
        return None, "the spec gives no exemplar items"
    ids = tuple(sorted(it.id for it in record.items))
    return _prior_from_data(record.spec, record.spec_digest, record.data_path, record.limit, record.seed,
                            record.gold_fingerprint, ids)


def baseline_predictions(task: TaskSpec, items: list[Any], label_prior: dict[str, list[str]] | None
                         ) -> tuple[dict[str, list[dict[str, Any] | None]], dict[str, str]]:
    """{baseline name: one prediction per item (None for error items)} and {name: why skipped}.
    A baseline whose tool left no evidence on any scored item is skipped, not scored as zero."""
    evid = [None if it.prediction is None else (it.prediction.get("evidence") or {}) for it in items]
    scored = [e for e, it in zip(evid, items, strict=True) if e is not None and it.gold.get(task.name) is not None]
    out: dict[str, list[dict[str, Any] | None]] = {}
    skipped: dict[str, str] = {}

    def each(fn):
        return [None if e is None else fn(e, it) for e, it in zip(evid, items, strict=True)]

    if task.kind == "multilabel":
        if any(e.get("exemplars") for e in scored):
            out["exemplar_vote"] = each(lambda e, it: {"genres": exemplar_vote(e)})
        else:
            skipped["exemplar_vote"] = "no exemplar evidence on any item (run without an exemplar index)"
        if any(e.get("genres") for e in scored):
            out["shortlist_top1"] = each(lambda e, it: {"genres": shortlist_top(e, 1)})
            out["shortlist_top3"] = each(lambda e, it: {"genres": shortlist_top(e, 3)})
        else:
            skipped["shortlist_top1"] = skipped["shortlist_top3"] = "no genre shortlist on any item"
        if label_prior is not None:
            out["label_prior"] = each(lambda e, it: {"genres": list(label_prior.get(str(it.inputs.get("label")), []))})
    elif task.kind == "valence":
        if any(e.get("lexical_valence") is not None for e in scored):
            out["lexical"] = each(lambda e, it: {"valence": float(e.get("lexical_valence") or 0.0)})
        else:
            skipped["lexical"] = "the lexical-valence tool gave no score on any item"
    else:
        out["lexicon"] = each(lambda e, it: {"policy_flags": lexicon_flags(e)})
    return out, skipped
