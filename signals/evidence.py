"""The evidence a declared signal's spec asks for (``evidence:``), from the tools' results for the
item and the record decided so far. Pure functions: no LLM, no I/O but the retriever's indexes.

Per kind of evidence, what lands in ``SignalValue.evidence`` (JSON):
- ``shortlist``: ``[{id, label, score}]`` the best vocabulary entries for the item's text, by the
  hybrid retriever the genre taxonomy uses (``tools.retrieval.shortlist``), scores in [0, 1];
- ``exemplars``: ``[{text, genres}]`` the most similar labeled catalog items (the run's index);
- ``audio``: the audio features (``tools.audio.features``: tempo BPM, loudness LUFS, onset rate
  /s, speech ratio, spectral centroid Hz, ...) or ``{"error": kind}``;
- ``lexicon``: ``[{term, clause_id, severity}]`` policy-lexicon hits in the item's text;
- ``signals``: the record's built-in values (genres, moods, valence, language, explicit); declared
  signals are asked in one call, so they do not see each other's values.
"""

from __future__ import annotations

from typing import Any

from linernotes.signals.spec import SignalSpec

AUDIO_KEYS = ("duration_s", "tempo_bpm", "tempo_confidence", "beat_regularity", "key", "mode", "loudness_lufs",
              "loudness_range_lu", "rms_dbfs", "spectral_centroid_hz", "onset_rate", "speech_ratio")
SHORTLIST_K = 8


_TAXONOMIES: dict[tuple[str, str], Any] = {}


def vocabulary_taxonomy(spec: SignalSpec) -> Any:
    """The spec's vocabulary as a taxonomy the retriever can index (a pack as loaded; labels as
    flat entries, keyed by the spec's content hash so each definition gets its own index).

    Declared labels are entries by position ('0', '1', ...; ``shortlist_for`` maps them back): a
    taxonomy id is stored accent-folded (``canonical_id``), so 'Grün' came back from the shortlist
    as 'Grun', a value outside the spec, and 'Café' beside 'Cafe' made one duplicate id that failed
    every item of the run."""
    from linernotes.tools.retrieval.taxonomy import Taxonomy, TaxonomyEntry, load_taxonomy

    if spec.taxonomy is not None:
        return load_taxonomy(spec.taxonomy)
    key = (spec.name, spec.content_hash)
    if key not in _TAXONOMIES:
        entries = [TaxonomyEntry(id=str(n), label=label) for n, (_, label) in enumerate(spec.vocabulary)]
        _TAXONOMIES[key] = Taxonomy(id=f"signal-{spec.name}", version=spec.content_hash or "0", kind="signal",
                                    entries=entries, digest=spec.content_hash or spec.name)
    return _TAXONOMIES[key]


def shortlist_for(spec: SignalSpec, text: str, k: int = SHORTLIST_K) -> list[dict[str, Any]]:
    """The top-k vocabulary entries for ``text`` (score > 0 first; padded to k by order), by the
    spec's own ids."""
    from linernotes.tools.retrieval.shortlist import shortlist

    tax = vocabulary_taxonomy(spec)
    ids = spec.ids
    own = (lambda i: i) if spec.taxonomy is not None else (lambda i: ids[int(i)])
    return [{"id": own(c.id), "label": c.label, "score": round(float(c.score), 4)}
            for c in shortlist(text, tax, min(k, len(tax.entries)), None)]


def record_values(enrichment: Any) -> dict[str, Any]:
    """The built-in record fields another signal may read (``evidence: [signals]``)."""
    if enrichment is None:
        return {}
    return {"genres": list(enrichment.genres), "moods": list(enrichment.moods), "valence": enrichment.valence,
            "language": enrichment.language, "explicit": enrichment.explicit.value}


def gather(spec: SignalSpec, text: str, ev: Any, enrichment: Any, decided: dict[str, Any]) -> dict[str, Any]:
    """The spec's evidence for one item (``ev``: the graph's Evidence; ``decided``: values of the
    declared signals already decided for this item, by name)."""
    out: dict[str, Any] = {}
    for kind in spec.evidence:
        if kind == "shortlist":
            out["shortlist"] = shortlist_for(spec, text) if text.strip() else []
        elif kind == "exemplars":
            out["exemplars"] = [{"text": x.text[:200], "genres": list(x.genres)} for x in ev.exemplars[:3]]
        elif kind == "audio":
            if ev.audio is not None:
                feats = ev.audio.model_dump(mode="json")
                out["audio"] = {k: feats.get(k) for k in AUDIO_KEYS if feats.get(k) is not None}
            elif ev.audio_error:
                out["audio"] = {"error": ev.audio_error.get("kind", "audio")}
        elif kind == "lexicon":
            out["lexicon"] = [{"term": h.term, "clause_id": h.clause_id, "severity": h.severity}
                              for h in ev.policy_hits[:10]]
        elif kind == "signals":
            out["signals"] = {**record_values(enrichment), **decided}
    return out
