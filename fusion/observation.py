"""What fusion may look at for one item: the item as the tagger saw it, the tools' evidence and
the LLM's draft (None when the LLM was not consulted). Nothing else: gold never enters here.

Built the same way at tag time (from the graph state) and at fit time (from a run's tagger input
and output records), so a combiner sees identical features in both places.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from linernotes.schema import Item
from linernotes.vocabulary import DRAFT_KEYS


@dataclass(frozen=True)
class Observation:
    item: Item
    evidence: dict[str, Any]
    draft: dict[str, Any] | None

    @functools.cached_property
    def prose(self) -> str:
        """The free text the text tools read (same join as the graph's tools node). Joined once
        per observation: a combiner reads it ~4 times per item (a cached_property writes the
        instance's __dict__, which a frozen dataclass allows)."""
        return " \n".join(self.item.text_fields().values())

    @property
    def index_size(self) -> int | None:
        """How many labeled items the exemplar index the item was tagged against holds (tag-time
        evidence, ``Evidence.exemplar_index_size``); None: not recorded (no index, or a record
        made before it was)."""
        size = self.evidence.get("exemplar_index_size")
        return int(size) if isinstance(size, int | float) and not isinstance(size, bool) and size >= 0 else None

    @property
    def has_draft(self) -> bool:
        return self.draft is not None

    def without_draft(self) -> Observation:
        return Observation(item=self.item, evidence=self.evidence, draft=None)

    def for_field(self, field: str) -> Observation:
        """This observation as one field's combiner may see it: without the draft when the LLM
        was not asked about ``field`` (the cascade asks only for undecided fields; a draft's other
        attributes are defaults, not answers)."""
        keys = DRAFT_KEYS.get(field, ())
        if self.draft is None or not keys or keys[0] in self.draft:
            return self
        return self.without_draft()


def observation(item: Item, evidence: Any, draft: Any) -> Observation:
    """From the graph's objects (pydantic) or a record's JSON (dicts)."""
    ev = evidence.model_dump(mode="json", exclude_none=True) if hasattr(evidence, "model_dump") else dict(evidence or {})
    if hasattr(draft, "answer"):
        dr = draft.answer()  # the answered attributes, as the record's draft carries them
    else:
        dr = draft.model_dump(mode="json") if hasattr(draft, "model_dump") else (dict(draft) if draft else None)
    return Observation(item=item, evidence=ev, draft=dr)
