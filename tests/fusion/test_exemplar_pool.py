"""Extra multilabel training rows from the exemplar index (``evals.exemplar_pool``): each pool item
is tagged against an index held out the way the eval holds out its sample (rounds of
pseudo-samples), so it never finds itself, a track of its own album (album held out) or an
evaluated item."""

from __future__ import annotations

from linernotes.config import TagConfig
from linernotes.evals.exemplar_pool import MIN_INDEX, exclusion_keys, pool_results
from linernotes.evals.gold import GoldSet, exemplar_items, load_gold, norm_key, tagger_id
from linernotes.evals.spec import load_spec, resolve_data


def _sets(name: str, shared_data, n: int = 240, sample: int = 60):
    spec = load_spec(name)
    full = load_gold(spec, resolve_data(spec, shared_data / "gold" / "bandcamp-tracks.dev.jsonl"))
    small = GoldSet(spec=full.spec, data_path=full.data_path, fingerprint="test", items=full.items[:n])
    picked = GoldSet(spec=full.spec, data_path=full.data_path, fingerprint="test", items=small.items[::n // sample])
    return spec, small, picked


def test_pool_items_never_find_themselves_their_album_or_an_evaluated_item(shared_data):
    spec, full, sample = _sets("bandcamp-genres-album", shared_data)
    pool = pool_results(spec, full, sample, TagConfig())
    evaluated_ids = {g.id for g in sample.items}
    # every item the sample does not hold, a sampled track's album-mates included (their rows are
    # tagged with their own album held out; a fit's folds keep them with the sampled track)
    assert set(pool) <= {g.id for g in full.items} - evaluated_ids and len(pool) > 20
    assert set(pool) - {g.id for g in exemplar_items(spec, full, sample)}
    album_of = {tagger_id(g.id): norm_key(g.inputs.get("album")) for g in full.items}
    evaluated = {tagger_id(g.id) for g in sample.items}
    found = 0
    for gid, results in pool.items():
        assert len(results) == 1
        ev = results[0].prediction["evidence"]
        assert results[0].prediction["draft"] is None and ev["genres"], gid
        hits = [e["id"] for e in ev.get("exemplars") or []]
        found += len(hits)
        assert tagger_id(gid) not in hits
        assert not evaluated & set(hits)
        assert all(album_of[h] != album_of[tagger_id(gid)] for h in hits if album_of[h] is not None)
    assert found > 2 * len(pool)  # the index answered: neighbours were found, from other albums


def test_each_pool_size_is_its_own_row_against_a_smaller_index(shared_data):
    from linernotes.evals.gold import exemplar_records

    spec, full, sample = _sets("bandcamp-genres", shared_data)
    sizes = (1.0, 0.25)
    pool = pool_results(spec, full, sample, TagConfig(), sizes=sizes, seed=3)
    assert pool and all(len(rows) == len(sizes) for rows in pool.values())
    # the smaller index is a subset of the fold's: its neighbours are fewer and never closer
    held = {g.id for g in sample.items}
    n_records = len(exemplar_records(spec, [g for g in full.items if g.id not in held]))
    closer = 0
    for rows in pool.values():
        best = [max((e["score"] for e in r.prediction["evidence"].get("exemplars") or []), default=0.0)
                for r in rows]
        assert best[1] <= best[0] + 1e-9
        closer += best[1] < best[0] - 1e-9
        # each row's evidence names the size of the index it was tagged against (fusion calibrates by it)
        big, small = (r.prediction["evidence"]["exemplar_index_size"] for r in rows)
        assert small == max(MIN_INDEX, round(0.25 * big)) and big > small
    assert closer > len(pool) // 4 and n_records > 40
    # seeded: the same subsets again
    again = pool_results(spec, full, sample, TagConfig(), sizes=sizes, seed=3)
    assert {k: [r.prediction for r in v] for k, v in again.items()} == {k: [r.prediction for r in v]
                                                                         for k, v in pool.items()}


def test_random_split_holds_out_each_item_alone_and_without_exemplars_there_is_no_pool(shared_data):
    spec, full, sample = _sets("bandcamp-genres", shared_data)
    keys = exclusion_keys(spec, full.items[:5])
    assert keys == [f"i:{g.id}" for g in full.items[:5]]
    album = load_spec("bandcamp-genres-album")
    assert exclusion_keys(album, full.items[:1]) == [f"k:{norm_key(full.items[0].inputs['album'])}"]
    assert pool_results(load_spec("vader-valence"), full, sample, TagConfig()) == {}


def test_a_tiny_fraction_still_tags_against_a_catalog_of_min_index_records(shared_data):
    from linernotes.evals.exemplar_pool import MIN_INDEX

    spec, full, sample = _sets("bandcamp-genres", shared_data)
    pool = pool_results(spec, full, sample, TagConfig(), sizes=(1e-9,), seed=3)
    # 1e-9 of a fold's index is 0 records: the floor keeps MIN_INDEX (>= 3), so every item still
    # gets its three few-shot neighbours
    assert pool and MIN_INDEX >= 3
    assert all(len(rows[0].prediction["evidence"].get("exemplars") or []) == 3 for rows in pool.values())


def test_rounds_hold_out_every_key_their_pseudo_sample_touches_as_the_eval_does():
    import numpy as np

    from linernotes.evals.exemplar_pool import pool_rounds

    # album sizes as skewed as a catalog's: one compilation of 40 tracks, many small releases
    keys = np.array(["k:comp"] * 40 + [f"k:ep{i // 3}" for i in range(60)] + [f"i:single{i}" for i in range(20)])
    rounds = list(pool_rounds(keys, 12, np.random.default_rng(0)))
    tested = np.concatenate([t for t, _ in rounds])
    assert sorted(tested.tolist()) == list(range(len(keys)))  # each row in exactly one pseudo-sample
    for test, index in rounds:
        assert len(test) <= 12
        touched = set(keys[test])
        assert not touched & set(keys[index])  # no index row shares a key with the pseudo-sample
        assert set(index) == {i for i in range(len(keys)) if keys[i] not in touched}  # and every other row is in it
    # a uniform draw of tracks reaches the compilation in (nearly) every round, so its 40 tracks are
    # missing from (nearly) every index, as from the eval's album-held-out index
    assert sum("k:comp" in set(keys[t]) for t, _ in rounds) >= len(rounds) - 1
