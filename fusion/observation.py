"""What fusion may look at for one item: the item as the tagger saw it, the tools' evidence and
the LLM's draft (None when the LLM was not consulted). Nothing else: gold never enters here.

Built the same way at tag time (from the graph state) and at fit time (from a run's tagger input
and output records), so a combiner sees identical features in both places.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from linernotes.schema import Item


@dataclass(frozen=True)
class Observation:
    item: Item
    evidence: dict[str, Any]
    draft: dict[str, Any] | None

    @property
    def prose(self) -> str:
        """The free text the text tools read (same join as the graph's tools node)."""
        return " \n".join(self.item.text_fields().values())

    @property
    def has_draft(self) -> bool:
        return self.draft is not None

    def without_draft(self) -> Observation:
        return Observation(item=self.item, evidence=self.evidence, draft=None)


def observation(item: Item, evidence: Any, draft: Any) -> Observation:
    """From the graph's objects (pydantic) or a record's JSON (dicts)."""
    ev = evidence.model_dump(mode="json", exclude_none=True) if hasattr(evidence, "model_dump") else dict(evidence or {})
    dr = draft.model_dump(mode="json") if hasattr(draft, "model_dump") else (dict(draft) if draft else None)
    return Observation(item=item, evidence=ev, draft=dr)
