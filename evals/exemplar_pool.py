"""More training rows for a multilabel combiner: the exemplar index's own items, each tagged
(tools only) against an index that does not hold it.

An eval's sample is the only LLM-tagged data a fit has, but its exemplar index holds thousands of
other labeled items (the gold items NOT evaluated). Those can train the per-candidate combiner
too, if each gets the evidence a tagger would have produced for it: in rounds, a pseudo-sample of
them (as many as the eval's sample) is held out the way the eval holds out its sample
(``exemplars.exclude``: each item alone for ``sample``, every item of a touched group for
``groups``, of a touched field value, e.g. the album, for ``field``) and tagged against an index of
the rest, built in a temporary folder. So an item never finds itself, nor (album held out) a
track of its own album, and its index is depleted the way the sample's is.

Only the tools the combiner reads run (genre shortlist with its neighbour votes, the three
few-shot exemplars): about 10 ms per item. No LLM draft: such rows only train a combiner fitted
without drafts (``evals.fit.MIN_DRAFTS``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from linernotes.config import TagConfig
from linernotes.evals.gold import (
    GoldItem,
    GoldSet,
    exemplar_records,
    norm_key,
    tagger_id,
    to_tagger_item,
)
from linernotes.evals.record import ItemResult
from linernotes.evals.spec import GoldSpec

# The fewest records a subsampled pool index holds, whatever the fraction asked (--pool-size
# 1e-9 would otherwise tag against a one-item "catalog"): the few-shot step shows 3 neighbours.
MIN_INDEX = 10
# At least this many rounds: a pseudo-sample is at most a tenth of the pool, so a pool barely
# bigger than the sample (a small gold set) still leaves each round an index to vote from. On the
# dev split (3,353 pool items at --limit 300) the cap is 335, above the sample's 300.
MIN_ROUNDS = 10
# the name of a pool round's temporary index folder, then the fitting process's id
INDEX_PREFIX = "pool-index-"


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


def pool_results(spec: GoldSpec, full: GoldSet, sample: GoldSet, config: TagConfig, work: Path | None = None,
                 sizes: tuple[float, ...] = (1.0,), seed: int = 0, round_size: int | None = None
                 ) -> dict[str, list[ItemResult]]:
    """The gold items ``sample`` does not hold, by gold id, each with the
    evidence (``prediction.evidence``; ``draft`` None) it gets from an index built the way the
    eval builds the sample's: one result per entry of ``sizes``, the index being that fraction of
    the round's (a seeded random subset; 1.0 = all of it). Empty when the spec has no exemplars or
    fewer than ``2 * MIN_INDEX`` of them. ``work``: where the temporary indexes go (default: the
    system's temporary folder).

    Rounds: the pool items in a seeded random order, cut into pseudo-samples of ``round_size``
    (default: the sample's size; at most a ``MIN_ROUNDS``-th of the pool); each round's index is
    every pool item that shares no exclusion key with one of its pseudo-sample's
    (``exclusion_keys``), exactly as ``gold.exemplar_items`` leaves the sample's index. Why not
    folds of albums: the eval holds out every album the sample touches, and a uniform sample of
    tracks touches the big releases (compilations, label volumes) first, so at ``--limit 300`` on
    the dev split the album-held-out index keeps 1,279 of the 3,353 other tracks, from releases of
    6.9 tracks on average where a dev track's release has 19.4 (seed 0). Folds of whole albums kept
    the big releases in every index, and the calibration fitted on such rows was overconfident on
    the sample (album held out: ECE 0.066 / 0.070 at seeds 0 / 1, +0.047 both, session 12).

    Why several sizes: the evidence of a neighbour vote depends on how many labeled items the
    index holds (with its album held out, a track of a catalog of 400 labeled tracks rarely meets
    the same artist's other releases; of 1,300, often), and a combiner trained at one size was
    miscalibrated at another (album held out, ECE 0.02 at the fitted size, 0.14-0.16 at three others)."""
    from linernotes.tools.retrieval.exemplars import build_exemplar_index

    if spec.exemplars is None:
        return {}
    # every item the sample does not hold, not only the sample's exemplar items: with the album held
    # out those are the tracks of releases the sample does not touch, so no row would show the
    # combiner a track of a release the sample touched. The held-out rule still holds for each pool
    # item (its round's index leaves out its album), and a fit's folds keep a sampled track and its
    # album's pool rows together.
    if work is not None:
        clear_stale_indexes(work)
    held = {g.id for g in sample.items}
    items = [g for g in full.items if g.id not in held]
    records = exemplar_records(spec, items)  # only items that can vote
    by_tagger_id = {tagger_id(g.id): g for g in items}
    kept = [by_tagger_id[r.id] for r in records]
    keys = np.asarray(exclusion_keys(spec, kept))
    m = max(1, min(round_size or len(sample.items), len(records) // MIN_ROUNDS))
    if len(records) < 2 * MIN_INDEX:
        return {}
    tag = Tagger(spec, config)
    rng = np.random.default_rng(seed)
    out: dict[str, list[ItemResult]] = {}
    if work is not None:
        work.mkdir(parents=True, exist_ok=True)
    for test, train in pool_rounds(keys, m, rng):
        if len(train) < MIN_INDEX:  # a pseudo-sample that touches nearly every release: nothing to vote
            continue
        for size in sizes:
            n = min(len(train), max(MIN_INDEX, round(size * len(train))))
            part = train if n >= len(train) else np.sort(rng.choice(train, n, replace=False))
            with tempfile.TemporaryDirectory(prefix=f"{INDEX_PREFIX}{os.getpid()}-", dir=work) as folder:
                index = build_exemplar_index([records[i] for i in part], folder)
                for i in test:
                    out.setdefault(kept[i].id, []).append(tag(kept[i], index))
    return out


def clear_stale_indexes(work: Path) -> list[Path]:
    """Remove the temporary pool indexes a killed fit left in ``work`` (``INDEX_PREFIX<pid>-...``
    folders whose process is gone; a live one, another fit's, is kept) and return them. A kill -9
    skips TemporaryDirectory's cleanup, so each killed fit left an index (MBs at the dev split's
    size) under FUSION_DIR/runs/ that no rerun removed."""
    gone = []
    for folder in work.glob(f"{INDEX_PREFIX}*"):
        pid = folder.name[len(INDEX_PREFIX):].partition("-")[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)
            gone.append(folder)
    return gone


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: alive
        return True
    return True


def pool_rounds(keys: np.ndarray, size: int, rng: np.random.Generator
                ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """``(pseudo-sample, index)`` row positions per round: every position of ``keys`` (exclusion
    keys, ``exclusion_keys``) in exactly one pseudo-sample of at most ``size``, in ``rng``'s order;
    the index is every position whose key no pseudo-sample row has (``gold.exemplar_items``' rule)."""
    order = rng.permutation(len(keys))
    for start in range(0, len(order), size):
        test = np.sort(order[start:start + size])
        yield test, np.flatnonzero(~np.isin(keys, keys[test]))


class Tagger:
    """Tags a gold item the way the graph's tools do for a multilabel combiner (genre shortlist with
    its neighbour votes, the three few-shot exemplars) against a given exemplar index: an
    ``ItemResult`` whose prediction holds the evidence and no draft."""

    def __init__(self, spec: GoldSpec, config: TagConfig) -> None:
        from linernotes.tools.policy.pack import load_policy_pack
        from linernotes.tools.retrieval.taxonomy import load_taxonomy

        self.spec, self.config = spec, config
        self.taxonomy = load_taxonomy(spec_taxonomy(spec, config))
        self.pack = load_policy_pack(config.policy_pack)

    def __call__(self, g: GoldItem, index: Any) -> ItemResult:
        from linernotes.agents.content import item_text
        from linernotes.agents.evidence import collect
        from linernotes.agents.runtime import DEFAULT_GENRES
        from linernotes.tools.retrieval.shortlist import shortlist

        item = to_tagger_item(self.spec, g)
        text = item_text(item)
        found = {"shortlist": shortlist(text, self.taxonomy, self.config.shortlist_k, DEFAULT_GENRES.get(item.type),
                                        index),
                 "exemplars": index.search(text, 3), "exemplar_index_size": len(index)}
        ev = collect(found, self.taxonomy.id, self.pack)
        return ItemResult(id=g.id, group=g.group, inputs=g.inputs, gold=g.gold,
                          prediction={"evidence": ev.model_dump(mode="json", exclude_none=True), "draft": None})


def spec_taxonomy(spec: GoldSpec, config: TagConfig) -> str:
    """The genre taxonomy of the spec's exemplar task (the config's when the task names none)."""
    task = next((t for t in spec.tasks if spec.exemplars is not None and t.name == spec.exemplars.task), None)
    return (task.taxonomy if task is not None and task.taxonomy else None) or config.genre_taxonomy
