"""Features per field kind, computed only from an ``Observation`` (tag-time information).

- multilabel: one row per candidate label (the shortlist, the exemplars' labels and the LLM's
  picks) describing the evidence for that label;
- scalar: dense lexicon/LLM features for the item, plus its text embedding and TF-IDF terms
  (the text model's input);
- single label: which policy clauses the lexicon, clause retrieval and the LLM point at, plus the
  same text representation.

Every dense feature is named (``*_FEATURES``) so a model card can list them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from linernotes.fusion.observation import Observation
from linernotes.tools.retrieval.exemplars import STRUCTURED_FIELDS
from linernotes.vocabulary import VALENCE_SCALE

NEIGHBOURS = 40  # the shortlist's exemplar vote is over this many neighbours (FusionWeights.neighbours)

CANDIDATE_FEATURES = [
    "fused_score", "lexical", "semantic", "vote_share", "vote_count", "inherited", "rank_inverse",
    "in_shortlist", "fewshot_share", "fewshot_weighted_share", "fewshot_majority", "fewshot_best_similarity",
    "llm_picked", "llm_first", "has_draft", "label_prior",
    # the same artist / label among the labeled neighbours: tags are set per release by the artist
    # or label, so a neighbour of the same artist says more than an equally similar stranger
    "artist_share", "artist_match", "label_share", "label_match",
    # the same album: a neighbour from the item's own release is present when the catalog holds
    # other tracks of the album (random split) and absent for a new release (album held out), so
    # these tell the two regimes apart at tag time; 0 for an item without an album
    "album_share", "album_match",
    # how close the neighbours are at all, and how many labels their weighted majority gives
    "neighbour_best_similarity", "neighbour_mean_similarity", "majority_labels",
    # the candidate's place among the item's own candidates (with its album held out, a release's
    # genres are told apart by how they rank against each other more than by absolute shares):
    # rank by the 40-neighbour vote and by the few-shot share (/10, 0 = first), gap to the item's
    # best, whether the 40-neighbour vote is a majority and how many candidates' are (/5)
    "vote_rank", "vote_gap", "vote_majority", "vote_majority_labels", "fewshot_rank", "fewshot_gap",
    # the two neighbour views agreeing, and the vote weighted by how close / how related the
    # neighbours are
    "vote_x_fewshot", "vote_x_best_similarity", "vote_x_label_share", "vote_x_artist_share",
    # release year, (year - 2010) / 10 clipped to [-3, 3], 0 when unknown: labels' tagging habits
    # drift over the years (an item-level term: it moves how many candidates pass)
    "year",
]

NEIGHBOUR_FIELDS = STRUCTURED_FIELDS  # what exemplar records keep apart from their text


def _lines(text: str) -> set[str]:
    return {line.strip().casefold() for line in text.split("\n") if line.strip()}


def _same(wanted: dict[str, str], exemplar: dict[str, Any]) -> dict[str, bool]:
    """Per field of ``wanted`` (the item's artist / label / album, casefolded and stripped; "" when
    it has none), whether a neighbour exemplar has that value.

    An exemplar that carries its structured ``fields`` is compared field with field: a neighbour
    whose title or artist merely equals the item's album (a self-titled release, a single named
    after its album) is not "same album". An evidence entry without ``fields`` (an index or a
    record written before they were kept) falls back to the old rule, the value equal to any line
    of its text, so older indexes and records still give these features."""
    theirs = exemplar.get("fields")
    if isinstance(theirs, dict):
        return {f: bool(v) and str(theirs.get(f) or "").strip().casefold() == v for f, v in wanted.items()}
    lines = _lines(str(exemplar.get("text") or ""))
    return {f: bool(v) and v in lines for f, v in wanted.items()}


def _share(weights: Sequence[float], matches: Sequence[bool], carries: Sequence[bool]) -> float:
    """Similarity-weighted share of the matching neighbours that carry a label (0 without any)."""
    total = sum(w for w, m in zip(weights, matches, strict=True) if m)
    hit = sum(w for w, m, c in zip(weights, matches, carries, strict=True) if m and c)
    return hit / total if total > 0 else 0.0


def candidate_pool(obs: Observation) -> list[str]:
    """Shortlist ids in order, then exemplar labels, then LLM picks not seen yet."""
    obs = obs.for_field("genres")
    ev, draft = obs.evidence, obs.draft or {}
    pool = [c["id"] for c in ev.get("genres") or [] if c.get("score", 0) > 0]
    for ex in ev.get("exemplars") or []:
        pool += list(ex.get("genres") or [])
    pool += list(draft.get("genres") or [])
    return list(dict.fromkeys(pool))


def candidate_rows(obs: Observation, prior: dict[str, float]) -> tuple[list[str], np.ndarray]:
    """(candidate ids, matrix of shape (n, len(CANDIDATE_FEATURES))). ``prior``: each label's share
    of the exemplar index records (0 for labels it never uses)."""
    obs = obs.for_field("genres")
    ev, draft = obs.evidence, obs.draft or {}
    shortlist = {c["id"]: (rank, c) for rank, c in enumerate(ev.get("genres") or []) if c.get("score", 0) > 0}
    exemplars = ev.get("exemplars") or []
    picked = list(dict.fromkeys(draft.get("genres") or []))
    sim_total = sum(float(ex.get("score", 0.0)) for ex in exemplars)
    ids = candidate_pool(obs)
    sims = [float(ex.get("score", 0.0)) for ex in exemplars]
    fields = obs.item.text_fields()
    # which neighbours share the item's artist / label / album
    wanted = {f: (fields.get(f) or "").strip().casefold() for f in NEIGHBOUR_FIELDS}
    matches = [_same(wanted, ex) for ex in exemplars]
    same = {f: [m[f] for m in matches] for f in NEIGHBOUR_FIELDS}
    majority = sum(1 for gid in ids if sim_total > 0 and sum(
        s for s, ex in zip(sims, exemplars, strict=True) if gid in (ex.get("genres") or [])) / sim_total >= 0.5)
    rows = np.zeros((len(ids), len(CANDIDATE_FEATURES)), dtype=np.float64)
    for i, gid in enumerate(ids):
        rank, cand = shortlist.get(gid, (None, {}))
        carrying = [float(ex.get("score", 0.0)) for ex in exemplars if gid in (ex.get("genres") or [])]
        carries = [gid in (ex.get("genres") or []) for ex in exemplars]
        rows[i] = [
            cand.get("score", 0.0), cand.get("lexical", 0.0), cand.get("semantic", 0.0), cand.get("vote", 0.0),
            min(1.0, cand.get("votes", 0) / NEIGHBOURS), float(bool(cand.get("inherited"))),
            1.0 / (1.0 + rank) if rank is not None else 0.0, float(rank is not None),
            len(carrying) / len(exemplars) if exemplars else 0.0,
            sum(carrying) / sim_total if sim_total > 0 else 0.0,
            # the majority of the most similar labeled items: a step a linear model cannot draw itself
            float(sim_total > 0 and sum(carrying) / sim_total >= 0.5), max(carrying, default=0.0),
            float(gid in picked), float(bool(picked) and picked[0] == gid), float(obs.has_draft),
            prior.get(gid, 0.0),
            _share(sims, same["artist"], carries), float(any(same["artist"])),
            _share(sims, same["label"], carries), float(any(same["label"])),
            _share(sims, same["album"], carries), float(any(same["album"])),
            max(sims, default=0.0), float(np.mean(sims)) if sims else 0.0, float(majority),
            *[0.0] * len(RELATIVE_FEATURES),
        ]
    if len(ids):
        _relative(rows, obs)
    return ids, rows


RELATIVE_FEATURES = CANDIDATE_FEATURES[CANDIDATE_FEATURES.index("vote_rank"):]


def _relative(rows: np.ndarray, obs: Observation) -> None:
    """Fill the ``RELATIVE_FEATURES`` columns of one item's candidate rows in place: they compare
    a candidate with the item's other candidates, so they need the whole block."""
    col = {f: CANDIDATE_FEATURES.index(f) for f in CANDIDATE_FEATURES}
    vote, few = rows[:, col["vote_share"]], rows[:, col["fewshot_weighted_share"]]
    year = obs.item.year
    rows[:, col["vote_rank"]] = _ranks(vote) / 10.0
    rows[:, col["vote_gap"]] = vote - vote.max()
    rows[:, col["vote_majority"]] = (vote >= 0.5).astype(float)
    rows[:, col["vote_majority_labels"]] = float((vote >= 0.5).sum()) / 5.0
    rows[:, col["fewshot_rank"]] = _ranks(few) / 10.0
    rows[:, col["fewshot_gap"]] = few - few.max()
    rows[:, col["vote_x_fewshot"]] = vote * few
    rows[:, col["vote_x_best_similarity"]] = vote * rows[:, col["fewshot_best_similarity"]]
    rows[:, col["vote_x_label_share"]] = vote * rows[:, col["label_share"]]
    rows[:, col["vote_x_artist_share"]] = vote * rows[:, col["artist_share"]]
    rows[:, col["year"]] = float(np.clip((year - 2010) / 10.0, -3.0, 3.0)) if year else 0.0


def _ranks(x: np.ndarray) -> np.ndarray:
    """0 for the largest value, ties in candidate order (stable)."""
    out = np.empty(len(x))
    out[np.argsort(-x, kind="stable")] = np.arange(len(x))
    return out


SCALAR_FEATURES = [
    "textblob", "textblob_found", "afinn_mean", "afinn_sum_norm", "afinn_count_norm", "afinn_found",
    "llm_level", "has_draft", "log_words",
]


# Two lexicon features grow with the square root of the word count (a sum, a count over sqrt(n))
# and one with its log. The valence gold the combiners are fitted on has at most 146 words per
# text (VADER dev, 14,221 texts; 99.9% have 60 or fewer); far beyond, the regression extrapolated
# a long review of mixed words to +0.93..1.0 at a "calibrated" 0.88-0.90 (QA, session 17: random
# mixed-sentiment words from 16,000 words; +1.0 from 5,000 with the session-16 artifact). A longer
# text is scored with its own lexicon density at this length, so those three features stay in
# the range the fit saw; texts up to it keep exactly the features they were fitted with.
LONGEST_FITTED_WORDS = 150


def token_count(text: str) -> int:
    """Whitespace tokens, at least 1: the length the log-length features read (``log_words`` of
    the scalar and policy combiners). Unlike ``word_count`` it counts emoji and punctuation, so a
    fitted domain's upper end is checked on it: padding of non-words moves the feature as far as
    words do (a 34-word request plus 400 '-' was 'none' at a calibrated 0.98, flagged without)."""
    return max(1, len(text.split()))


def word_count(text: str) -> int:
    """Whitespace tokens with a letter or digit: what the combiners' fitted domains count at their
    lower end (the policy combiner's upper end counts ``token_count``). Emoji and punctuation
    alone are not words: no gold item is made of them, and every text feature is zero there. A token that is all letters and digits (``str.isalnum``, most words) is counted
    without looking at its characters one by one."""
    return sum(1 for token in text.split() if token.isalnum() or any(ch.isalnum() for ch in token))


def scalar_dense(obs: Observation) -> np.ndarray:
    """Lexicon and LLM features for a valence-like scalar, shape (len(SCALAR_FEATURES),)."""
    from linernotes.tools.text.valence import afinn_terms

    obs = obs.for_field("valence")
    text = obs.prose
    tb = obs.evidence.get("lexical_valence")
    terms = afinn_terms(text)
    n = token_count(text)
    level = VALENCE_SCALE.get(str((obs.draft or {}).get("valence")), 0.0) if obs.has_draft else 0.0
    if n <= LONGEST_FITTED_WORDS:
        sum_norm, count_norm, log_words = sum(terms) / 5.0 / math.sqrt(n), len(terms) / math.sqrt(n), math.log(n)
    else:  # the same lexicon density, as if the text had the longest fitted length (see the constant)
        scale = math.sqrt(LONGEST_FITTED_WORDS) / n
        sum_norm, count_norm = sum(terms) / 5.0 * scale, len(terms) * scale
        log_words = math.log(LONGEST_FITTED_WORDS)
    return np.array([
        tb or 0.0, float(tb is not None),
        (sum(terms) / len(terms) / 5.0) if terms else 0.0, sum_norm,
        count_norm, float(bool(terms)), level, float(obs.has_draft), log_words,
    ])


def policy_dense_names(clauses: Sequence[str]) -> list[str]:
    names = []
    for c in clauses:
        names += [f"lexicon:{c}", f"retrieved:{c}", f"llm:{c}"]
    return [*names, "lexicon_any", "llm_explicit", "has_draft", "log_words"]


def policy_dense(obs: Observation, clauses: Sequence[str]) -> np.ndarray:
    """Per clause: lexicon severity/4 of its strongest hit, retrieved by clause search, cited by
    the LLM; then any lexicon hit, the LLM's explicit flag, whether it was consulted, text length."""
    obs = obs.for_field("policy")
    ev, draft = obs.evidence, obs.draft or {}
    hit_sev: dict[str, float] = {}
    for h in ev.get("policy_hits") or []:
        cid = h.get("clause_id")
        hit_sev[cid] = max(hit_sev.get(cid, 0.0), float(h.get("severity", 0)) / 4.0)
    retrieved = {c.get("id") for c in ev.get("clauses") or []}
    cited = set(draft.get("policy_clauses") or [])
    out: list[float] = []
    for c in clauses:
        out += [hit_sev.get(c, 0.0), float(c in retrieved), float(c in cited)]
    out += [float(bool(hit_sev)), float(bool(draft.get("explicit"))), float(obs.has_draft),
            math.log(token_count(obs.prose))]
    return np.array(out)


@lru_cache(maxsize=1)
def _embedder():
    from linernotes.tools.retrieval.embedding import load_embedder

    return load_embedder("wordllama")


EMBED_DIM = 256  # embed()'s columns: WordLlama l2_supercat at its full 256 dimensions (tools.retrieval.embedding)


def check_design(what: str, names: Sequence[str], scaler: Any, model: Any, text_columns: int,
                 embedding: int = EMBED_DIM) -> None:
    """Raise ValueError when a fitted model's sizes do not fit its design row: ``scaler`` (a
    ``Standardizer``) must have one column per dense feature name, every row of ``model.coef``
    (a ``Linear``) ``text_columns + embedding + len(names)`` (``design_row``'s layout; 0 and 0
    for a model over dense columns alone). A damaged or hand-edited artifact is refused at load
    instead of failing every item at tag time."""
    n = len(names)
    if len(scaler.mean) != n or len(scaler.scale) != n:
        raise ValueError(f"{what}: the scaler has {len(scaler.mean)}/{len(scaler.scale)} columns for {n} features")
    width = text_columns + embedding + n
    if not model.coef or any(len(row) != width for row in model.coef):
        raise ValueError(f"{what}: coefficient rows of {sorted({len(r) for r in model.coef})} columns, the design "
                         f"row has {width} ({text_columns} text + {embedding} embedding + {n} features)")


def embed(texts: list[str]) -> np.ndarray:
    """WordLlama (256-d, unit rows): the embedder the retriever already loads. Treat as read-only
    (one text's row is cached: the valence and policy combiners embed the same prose)."""
    if len(texts) == 1:
        return _embed_one(texts[0])
    return _embedder().encode(texts)


@lru_cache(maxsize=64)
def _embed_one(text: str) -> np.ndarray:
    # the genre/mood shortlists embedded this same prose already (taxonomy_index.query_vector: the
    # same cached embedder, the same one-text encode), so the row is theirs: one encode per item
    # instead of two (~0.5 ms of CPU); a view of a read-only array is read-only
    from linernotes.tools.retrieval.taxonomy_index import query_vector

    return query_vector(_embedder(), text)[None, :]


def stack_rows(rows: Sequence[Any]):
    """One-row CSR matrices of one width (``design_row``'s) as one CSR matrix, row after row: the
    same entries in the same order, so ``Linear.decision`` sums each row as it sums the row alone
    (``_csr_times_dense``: one row at a time, its entries in order). One row is returned as it is;
    ``scipy.sparse.vstack`` would cost ~0.5 ms a batch of 16 (a micro-batch's combiners, issue 16)."""
    from scipy import sparse

    if len(rows) == 1:
        return rows[0]
    nnz = np.array([r.indptr[1] for r in rows])
    indptr = np.concatenate([[0], np.cumsum(nnz)]).astype(np.int64)
    return sparse.csr_matrix((np.concatenate([r.data for r in rows]), np.concatenate([r.indices for r in rows]),
                             indptr), shape=(len(rows), rows[0].shape[1]))


def design_row(text_rows: Sequence[Any], embedding: np.ndarray, dense: np.ndarray):
    """``scipy.sparse.hstack([*text_rows, embedding, dense]).tocsr()`` for one item (each part one
    row; ``text_rows``: the TF-IDF rows, e.g. word terms then character n-grams), built directly:
    the same entries (zeros dropped, float64), the same column order, so the same products
    (hstack's COO round trip cost ~0.8 ms per call, twice per item). A TF-IDF row that is already
    a canonical CSR matrix is read as it is (wrapping it in another ``csr_matrix`` shared its
    arrays and cost ~25 us), and the result is built as ``estimators._csr_row`` builds a TF-IDF
    row (the constructor's attributes without its checks, where a probe found them the same)."""
    from scipy import sparse

    from linernotes.fusion.estimators import _csr_row

    parts = [r if type(r) is sparse.csr_matrix and r.has_canonical_format else sparse.csr_matrix(r)
             for r in text_rows]
    if any(p.shape[0] != 1 for p in parts) or embedding.shape[0] != 1 or dense.shape[0] != 1:
        return sparse.hstack([*text_rows, embedding, dense]).tocsr()
    data, indices, offset = [], [], 0
    for p in parts:
        p.sum_duplicates()  # canonical (sorted, unique) column indices, as hstack's output has
        data.append(p.data.astype(np.float64, copy=False))
        indices.append(p.indices.astype(np.int64) + offset)
        offset += p.shape[1]
    emb, den = np.asarray(embedding[0], dtype=np.float64), np.asarray(dense[0], dtype=np.float64)
    e_nz, d_nz = np.flatnonzero(emb), np.flatnonzero(den)
    data += [emb[e_nz], den[d_nz]]
    indices += [e_nz + offset, d_nz + offset + emb.shape[0]]
    width = offset + emb.shape[0] + den.shape[0]
    values = np.concatenate(data)
    index_dtype = np.int32 if width < 2**31 and len(values) < 2**31 else np.int64
    return _csr_row(values, np.concatenate(indices).astype(index_dtype),
                    np.array([0, len(values)], dtype=index_dtype), width)
