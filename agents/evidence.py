"""The text tools' evidence for an item or one passage of it, and the tools' results as one
``Evidence``: shared by the tools node, the policy field's passage reading (``decisions``) and
``liner fit`` (which runs the text tools alone over thousands of gold items)."""

from __future__ import annotations

from typing import Any

from linernotes.agents.state import ClauseRef, Evidence, Exemplar
from linernotes.schema import Item
from linernotes.tools.audio.errors import AudioError
from linernotes.tools.policy.clauses import relevant_clauses
from linernotes.tools.policy.lookup import lookup
from linernotes.tools.policy.pack import PolicyPack
from linernotes.tools.text.language import guess_language
from linernotes.tools.text.valence import afinn_valence, lexical_valence


def text_tools(item: Item, policy: PolicyPack) -> dict[str, Any]:
    """The tools that read the item's prose: policy lexicon and clause retrieval, lexical valence
    (TextBlob, AFINN), language id. Pure and fast (~1-2 ms), so ``liner fit`` also runs them
    alone over thousands of gold items."""
    prose = " \n".join(item.text_fields().values())
    return {"policy": lookup(item.text_fields(), policy), "clauses": relevant_clauses(prose, policy, 3),
            "valence": lexical_valence(prose), "afinn": afinn_valence(prose), "language": guess_language(prose)}


def passage_evidence(text: str, policy: PolicyPack) -> Evidence:
    """The policy tools' evidence for one passage of a long text (lexicon hits, clause retrieval),
    as ``text_tools`` computes it for a whole item: what the policy combiner reads of a passage."""
    return collect({"policy": lookup({"description": text}, policy), "clauses": relevant_clauses(text, policy, 3)},
                   "", policy)


def collect(results: dict[str, Any], taxonomy_id: str, policy: PolicyPack) -> Evidence:
    """The tools' results as one Evidence (an audio failure is kept as evidence, not raised)."""
    ev = Evidence(genre_taxonomy=taxonomy_id)
    for name, res in results.items():
        if isinstance(res, AudioError):
            ev.audio_error = {"kind": res.kind, "message": str(res)}
        elif isinstance(res, BaseException):
            raise res
        elif name == "shortlist":
            ev.genres = res
        elif name == "moods":
            ev.moods = res
        elif name == "policy":
            ev.policy_hits, ev.policy_hits_total = res.hits, res.total
        elif name == "valence":
            ev.lexical_valence = res
        elif name == "afinn":
            ev.afinn_valence = res
        elif name == "language":
            ev.language_guess = res
        elif name == "no_vocals":
            ev.no_vocals = res
        elif name == "audio":
            ev.audio = res
        elif name == "exemplars":
            ev.exemplars = [Exemplar.model_validate(x, from_attributes=True) for x in res]
        elif name == "exemplar_index_size":
            ev.exemplar_index_size = res
    index = policy.clause_index()
    cited = {h.clause_id for h in ev.policy_hits} | {c.id for c in results.get("clauses", [])}
    ev.clauses = [ClauseRef(id=c.id, policy_id=p.id, severity=c.severity, text=c.text)
                  for cid, (p, c) in index.items() if cid in cited]
    return ev
