"""Checks of an LLM draft against the item itself: language tags, exact quotes and spans, and
which problems are worth a re-ask. Shared by the verify and route nodes.
"""

from __future__ import annotations

import re

from linernotes.schema import EvidenceSpan, Item

BCP47 = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


def find_span(item: Item, quote: str) -> EvidenceSpan | None:
    """The first exact occurrence of ``quote`` in a text field, or None."""
    if not quote:
        return None
    for name, text in item.text_fields().items():
        start = text.find(quote)
        if start >= 0:
            return EvidenceSpan(field=name, start=start, end=start + len(quote), text=quote)
    return None


def span_is_valid(item: Item, span: EvidenceSpan) -> bool:
    text = item.text_fields().get(span.field)
    return text is not None and 0 <= span.start <= span.end <= len(text) and text[span.start:span.end] == span.text


def needs_reask(problem: str) -> bool:
    """Wrong ids and enum values are re-asked. An unproven quote is not: the lexicon is the
    authority on explicit language, and re-asking a small model for a quote it invented yields
    another invention (measured: 95-99% of such drafts still failed after the re-ask). The quote
    is still rejected — route drops it and names the conflict."""
    return not problem.startswith("explicit_quote")
