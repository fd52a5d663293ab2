"""More training rows for a multilabel combiner: the exemplar index's own items, each tagged
(tools only) against an index that does not hold it.

An eval's sample is the only LLM-tagged data a fit has, but its exemplar index holds thousands of
other labeled items (the gold items NOT evaluated). Those can train the per-candidate combiner
too, if each gets the evidence a tagger would have produced for it: its items are split into
``k`` folds by the spec's exclusion rule (``exemplars.exclude``: each item alone for ``sample``,
its group for ``groups``, its shared field value, e.g. the album, for ``field``), and each fold's
items are tagged against an index of the other folds' records, built in a temporary folder. So an
item never finds itself, nor (album held out) a track of its own album, exactly as the sample's
items never find theirs. The index each pool item sees is ``(k - 1) / k`` of the sample's.

Only the tools the combiner reads run (genre shortlist with its neighbour votes, the three
few-shot exemplars): about 10 ms per item. No LLM draft: such rows only train a combiner fitted
without drafts (``evals.fit.MIN_DRAFTS``).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from linernotes.config import TagConfig
from linernotes.evals.gold import (
    GoldItem,
    GoldSet,
    exemplar_items,
    exemplar_records,
    norm_key,
    tagger_id,
    to_tagger_item,
)
from linernotes.evals.record import ItemResult
from linernotes.evals.spec import GoldSpec

POOL_FOLDS = 10  # each pool item sees 90% of the index (5 folds: 80%, a visibly thinner vote)


def exclusion_keys(spec: GoldSpec, items: list[GoldItem]) -> list[str]:
    """What an item is held out with (``exemplars.exclude``): itself, its group or its field value;
    an item without a group / value stands alone."""
    rule = spec.exemplars
    out = []
    for g in items:
        key = None
        if rule is not None and rule.exclude == "field" and rule.field:
            key = norm_key(g.inputs.get(rule.field))
        elif rule is not None and rule.exclude == "groups":
            key = g.group
        out.append(f"k:{key}" if key is not None else f"i:{g.id}")
    return out


def pool_results(spec: GoldSpec, full: GoldSet, sample: GoldSet, config: TagConfig, k: int = POOL_FOLDS,
                 work: Path | None = None) -> dict[str, ItemResult]:
    """The exemplar items of ``sample`` (``evals.gold.exemplar_items``) by gold id, each with the
    evidence (``prediction.evidence``; ``draft`` None) it gets from an index without its fold.
    Empty when the spec has no exemplars or fewer than ``2 * k`` of them. ``work``: where the
    temporary indexes go (default: the system's temporary folder)."""
    from sklearn.model_selection import GroupKFold

    from linernotes.agents.content import item_text
    from linernotes.agents.nodes.run_tools import collect
    from linernotes.agents.runtime import DEFAULT_GENRES
    from linernotes.tools.policy.pack import load_policy_pack
    from linernotes.tools.retrieval.exemplars import build_exemplar_index
    from linernotes.tools.retrieval.shortlist import shortlist
    from linernotes.tools.retrieval.taxonomy import load_taxonomy

    if spec.exemplars is None:
        return {}
    items = exemplar_items(spec, full, sample)
    records = exemplar_records(spec, items)  # the sample's own index: only items that can vote
    by_tagger_id = {tagger_id(g.id): g for g in items}
    kept = [by_tagger_id[r.id] for r in records]
    keys = exclusion_keys(spec, kept)
    if len(records) < 2 * k or len(set(keys)) < k:
        return {}
    taxonomy = load_taxonomy(spec_taxonomy(spec, config))
    pack = load_policy_pack(config.policy_pack)
    codes = np.unique(np.asarray(keys), return_inverse=True)[1]
    out: dict[str, ItemResult] = {}
    if work is not None:
        work.mkdir(parents=True, exist_ok=True)
    for train, test in GroupKFold(n_splits=k).split(np.arange(len(records)), groups=codes):
        with tempfile.TemporaryDirectory(dir=work) as folder:
            index = build_exemplar_index([records[i] for i in train], folder)
            for i in test:
                g = kept[i]
                item = to_tagger_item(spec, g)
                text = item_text(item)
                found = {"shortlist": shortlist(text, taxonomy, config.shortlist_k, DEFAULT_GENRES.get(item.type),
                                                index),
                         "exemplars": index.search(text, 3)}
                ev = collect(found, taxonomy.id, pack)
                out[g.id] = ItemResult(id=g.id, group=g.group, inputs=g.inputs, gold=g.gold,
                                       prediction={"evidence": ev.model_dump(mode="json", exclude_none=True),
                                                   "draft": None})
    return out


def spec_taxonomy(spec: GoldSpec, config: TagConfig) -> str:
    """The genre taxonomy of the spec's exemplar task (the config's when the task names none)."""
    task = next((t for t in spec.tasks if spec.exemplars is not None and t.name == spec.exemplars.task), None)
    return (task.taxonomy if task is not None and task.taxonomy else None) or config.genre_taxonomy
