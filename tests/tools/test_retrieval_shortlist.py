"""Shortlist behaviour: lexical, embedding and exemplar evidence, fused into scores in [0, 1]."""

from __future__ import annotations

import numpy as np
import pytest

from linernotes.tools.retrieval.exemplars import GenreVote
from linernotes.tools.retrieval.shortlist import FusionWeights, Signals, fuse, shortlist
from linernotes.tools.retrieval.taxonomy import load_taxonomy
from linernotes.tools.retrieval.taxonomy_index import taxonomy_index


@pytest.fixture(scope="module")
def genres():
    return load_taxonomy("music-genres")


class FixedVotes:
    """An exemplar source that always votes the same way (the real one is tested separately)."""

    def __init__(self, votes: list[GenreVote]) -> None:
        self._votes = votes
        self.asked: list[tuple[str, int]] = []

    def votes(self, text: str, k: int = 10) -> list[GenreVote]:
        self.asked.append((text, k))
        return self._votes


def test_genre_named_in_text_ranks_first_with_reason(genres):
    out = shortlist("Strictly Rhythm: Deep House Classics", genres, 5)
    assert out[0].id == "deep-house"
    assert "name in text: 'deep house'" in out[0].why
    assert all(0.0 <= c.score <= 1.0 for c in out)
    assert [c.score for c in out] == sorted((c.score for c in out), reverse=True)


def test_alias_spelling_is_matched(genres):
    out = shortlist("liquid dnb rollers vol 3", genres, 5, mode="lexical")
    assert out[0].id == "drum-and-bass"
    assert "'dnb'" in out[0].why


def test_partial_name_scores_below_whole_name(genres):
    ids = {c.id: c.score for c in shortlist("detroit", genres, 10, mode="lexical")}
    whole = {c.id: c.score for c in shortlist("detroit techno", genres, 10, mode="lexical")}
    assert 0 < ids["detroit-techno"] < whole["detroit-techno"]


def test_ancestors_inherit_a_discounted_score(genres):
    out = {c.id: c for c in shortlist("goa trance", genres, 10, mode="lexical")}
    assert out["psytrance"].score < out["goa-trance"].score
    assert "parent of goa-trance" in out["psytrance"].why
    flat = {c.id for c in shortlist("goa trance", genres, 10, mode="lexical",
                                    weights=FusionWeights(ancestor_decay=0.0))}
    assert "psytrance" not in flat


def test_padding_with_defaults_when_nothing_matches(genres):
    out = shortlist("zzqx", genres, 4, defaults=["techno", "house", "not-a-genre"], mode="lexical")
    assert [c.id for c in out[:2]] == ["techno", "house"]
    assert len(out) == 4 and all(c.score == 0.0 and c.why == "default" for c in out)


def test_embedding_finds_entries_from_descriptions(genres):
    out = shortlist("tracks made for dancing in clubs", genres, 5, mode="embedding")
    assert "dance" in [c.id for c in out]
    # the reasons cite only what embedding mode measured: no lexical match, a description similarity
    assert all("in text" not in c.why and c.lexical == 0 for c in out), [c.why for c in out]
    assert any(c.why.startswith("similar to its description") for c in out), [c.why for c in out]


def test_embedding_mode_never_claims_a_name_match(genres):
    """A text that does name a genre: hybrid mode says so; embedding mode must not (it did not look)."""
    text = "Strictly Rhythm: Deep House Classics"
    assert "name in text: 'deep house'" in shortlist(text, genres, 5)[0].why
    out = shortlist(text, genres, 5, mode="embedding")
    assert all("in text" not in c.why and c.lexical == 0 for c in out), [c.why for c in out]


def test_moods_from_aliases_and_descriptions():
    moods = load_taxonomy("moods")
    assert shortlist("a melancholic night", moods, 3)[0].id == "sad"  # alias
    assert shortlist("heavy distorted guitars and screaming protest", moods, 3, mode="embedding")[0].id == "angry"


def test_exemplar_votes_bring_in_genres_the_text_never_names(genres):
    text = "Untitled 4 / Someone / Some Records"
    plain = [c.id for c in shortlist(text, genres, 10)]
    source = FixedVotes([GenreVote(id="psytrance", score=0.8, count=4, of=5),
                         GenreVote(id="unknown-id", score=0.5, count=2, of=5)])
    w = FusionWeights(exemplars=0.9, embedding=0.3, neighbours=7)
    voted = shortlist(text, genres, 10, exemplars=source, weights=w)
    assert "psytrance" not in plain
    assert voted[0].id == "psytrance" and "4/5 similar items" in voted[0].why
    assert voted[0].score == pytest.approx(1 - (1 - 0.9 * 0.8) * (1 - 0.3 * _emb(genres, text, "psytrance")), abs=2e-3)
    assert source.asked == [(text, 7)]
    assert "unknown-id" not in [c.id for c in voted]


def _emb(tax, text, gid):
    index = taxonomy_index(tax)
    return float(index.semantic(text)[index.row_of[gid]])


def test_exemplars_are_ignored_outside_hybrid_mode(genres):
    source = FixedVotes([GenreVote(id="psytrance", score=1.0, count=5, of=5)])
    out = shortlist("zzqx", genres, 3, exemplars=source, mode="lexical")
    assert source.asked == [] and all(c.score == 0 for c in out)


def test_fusion_is_a_noisy_or_and_stays_in_unit_interval():
    parent = np.array([-1, 0, 1])
    sig = Signals(lexical=np.array([0.0, 1.0, 0.0]), embedding=np.array([0.0, 1.0, 0.5]),
                  exemplars=np.array([0.0, 1.0, 1.0]))
    w = FusionWeights(lexical=0.8, embedding=0.3, exemplars=0.9, ancestor_decay=0.5)
    final, direct, source = fuse(sig, parent, w)
    assert direct[1] == pytest.approx(1 - 0.2 * 0.7 * 0.1)
    assert direct[2] == pytest.approx(1 - 0.85 * 0.1)
    assert final[0] == pytest.approx(0.5 * direct[1]) and source[0] == 1  # child beats grandchild*0.25
    assert np.all((final >= 0) & (final <= 1))


@pytest.mark.slow
def test_exemplars_carry_recall_on_a_small_bandcamp_split(shared_data, tmp_path, genres):
    """Real data: 400 labeled tracks as exemplars, 60 others as queries (fixed seed)."""
    import json
    import random

    from linernotes.tools.retrieval.exemplar_sources import exemplar_text, records_from_rows
    from linernotes.tools.retrieval.exemplars import build_exemplar_index
    from linernotes.tools.retrieval.taxonomy import slugify

    lines = (shared_data / "gold" / "bandcamp-tracks.dev.jsonl").read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines if line.strip()]
    random.Random(7).shuffle(rows)
    index = build_exemplar_index(records_from_rows(rows[:400]), tmp_path / "ix")

    def recall(use_exemplars: bool) -> float:
        total = 0.0
        for row in rows[400:460]:
            gold = {slugify(g) for g in row["gold_genres"]}
            got = {c.id for c in shortlist(exemplar_text(row), genres, 10, exemplars=index if use_exemplars else None)}
            total += len(gold & got) / len(gold)
        return total / 60

    with_ex, without = recall(True), recall(False)
    assert with_ex > 0.8 and with_ex > without + 0.5


def test_top_k_is_the_stable_full_sort_prefix_including_ties():
    """``top_k`` (partition, then a stable sort of the rows at or above the k-th score) gives the
    rows the full stable argsort gave, in its order, on tie-heavy, negative, zero and NaN scores."""
    from linernotes.tools.retrieval.shortlist import top_k

    rng = np.random.default_rng(0)
    for t in range(3000):
        n, k = int(rng.integers(0, 80)), int(rng.integers(0, 15))
        scores = [rng.random(n), rng.integers(-2, 4, n) / 3, np.round(rng.random(n), 1) - 0.3,
                  rng.integers(0, 3, n) * 0.5][t % 4].astype([np.float32, np.float64][t % 2])
        if n and t % 5 == 0:
            scores[rng.integers(0, n)] = np.nan
        full = [int(i) for i in np.argsort(-scores, kind="stable")[:k] if scores[i] > 0]
        assert top_k(scores, k) == full, (scores, k)


def test_median_has_the_bits_of_np_median(genres):
    """``taxonomy_index.median`` equals ``float(np.median(x))`` bit for bit (sign of zero and NaN
    included), on random arrays and on the real similarity rows of the genre and mood packs."""
    from linernotes.tools.retrieval.embedding import similarities
    from linernotes.tools.retrieval.taxonomy_index import median, query_vector

    def same(x: np.ndarray) -> bool:
        a, b = float(np.median(x)), median(x)
        return np.float64(a).tobytes() == np.float64(b).tobytes() or (np.isnan(a) and np.isnan(b))

    rng = np.random.default_rng(1)
    for t in range(3000):
        x = rng.standard_normal(int(rng.integers(1, 120))).astype([np.float32, np.float64][t % 2])
        if t % 3 == 0:
            x = np.round(x, 1)
        if t % 7 == 0:
            x[rng.integers(0, len(x))] = np.nan
        if t % 11 == 0:
            x[:] = -0.0
        assert same(x), x
    index = taxonomy_index(genres)
    for text in ("deep house", "a sad song about rain", "progressive trance", "ambient drone for sleep", "punk"):
        assert same(similarities(index.vectors, query_vector(index.embedder, text)))


def test_round4_is_pythons_round_on_float32_values():
    """``shortlist.round4`` equals ``round(float(v), 4)`` bit for bit on float32 values: 400,000
    random bit patterns of either sign, every exact multiple of 0.00005 up to 1 (the ties) and
    values next to them; float64 arrays go through ``round`` itself."""
    from linernotes.tools.retrieval.shortlist import round4

    rng = np.random.default_rng(3)
    ties = (np.arange(0, 20001) * np.float32(0.00005)).astype(np.float32)
    values = np.concatenate([rng.integers(0, 2**32, 400_000, dtype=np.uint64).astype(np.uint32).view(np.float32),
                             ties, np.nextafter(ties, np.float32(2)), np.nextafter(ties, np.float32(-2)), -ties])
    values = values[np.isfinite(values)]
    want = np.array([round(v, 4) for v in values.astype(np.float64).tolist()])
    assert np.array(round4(values)).tobytes() == want.tobytes()
    doubles = rng.random(1000)
    assert round4(doubles) == [round(v, 4) for v in doubles.tolist()]


def _inherit_by_sorted_scatter(scores, parent_row, decay):
    """The level-by-level scatter ``_inherit`` replaced: live rows sorted by score, the last write wins."""
    best = np.zeros_like(scores)
    source = np.full(len(scores), -1, dtype=np.int64)
    frontier, frontier_src = scores, np.arange(len(scores))
    while True:
        live = np.flatnonzero((parent_row >= 0) & (frontier > 0))
        if not len(live):
            return best, source
        live = live[np.argsort(frontier[live], kind="stable")]
        up = np.zeros_like(scores)
        up_src = np.full(len(scores), -1, dtype=np.int64)
        up[parent_row[live]] = frontier[live] * decay
        up_src[parent_row[live]] = frontier_src[live]
        better = up > best
        best[better], source[better] = up[better], up_src[better]
        frontier, frontier_src = up, up_src


def test_inherit_equals_the_sorted_scatter(genres):
    """The same lifted scores (float bits) and sources on the genre and podcast trees: real
    shortlist scores and tie-heavy ones (few distinct values, half zeros), where the winner among
    tied children must be the last in row order, as the sorted scatter's last write was."""
    from linernotes.tools.retrieval.shortlist import _inherit

    rng = np.random.default_rng(4)
    levels = np.array([0, 0.1, 0.2, 0.25, 0.49, 0.5, 0.7, 1.0], dtype=np.float32)
    for tax in (genres, load_taxonomy("podcast-categories")):
        index = taxonomy_index(tax)
        cases = [fuse(Signals(lexical=index.lexical(t)[0], embedding=index.semantic(t),
                              exemplars=np.zeros(len(index.ids), np.float32)), index.parent_row)[1]
                 for t in ("deep house", "progressive trance", "a sad song about rain", "punk rock and jazz", "")]
        for _ in range(300):
            s = rng.choice(levels, size=len(index.ids))
            s[rng.random(len(s)) < 0.5] = 0
            cases.append(s.astype(np.float32))
        for scores in cases:
            for decay in (0.7, 0.5):
                got, want = _inherit(scores, index.parent_row, decay), _inherit_by_sorted_scatter(
                    scores, index.parent_row, decay)
                assert got[0].tobytes() == want[0].tobytes() and np.array_equal(got[1], want[1])


def test_signals_hold_what_they_are_given_without_validating_it():
    """``signals`` builds two ``Signals`` per item from values it computed itself: they are held
    as given (as a pydantic model each dict was copied key by key: 3.3-5.0 us a build against 0.6-1.0), and
    each instance has empty dicts of its own."""
    arr = np.zeros(3, dtype=np.float32)
    why = {1: "name in text: 'techno'"}
    sig = Signals(lexical=arr, embedding=arr, exemplars=arr, lexical_why=why)
    assert sig.lexical is arr and sig.lexical_why is why
    a, b = Signals(lexical=arr, embedding=arr, exemplars=arr), Signals(lexical=arr, embedding=arr, exemplars=arr)
    assert a.exemplar_why == {} and a.exemplar_why is not b.exemplar_why
