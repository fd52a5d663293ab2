"""What of an item the LLM and the tools see: its free text joined for retrieval, and its
fields as delimited, bounded data for a prompt. Shared by the tools, extract and signals nodes.
"""

from __future__ import annotations

from linernotes.schema import Item, extra_text

DELIM_OPEN, DELIM_CLOSE = "<<<DATA", "DATA>>>"


def item_text(item: Item) -> str:
    """The text retrieval sees: every free-text field plus extra context as text (``extra_text``)."""
    parts = list(item.text_fields().values())
    parts += [t for v in item.extra.values() if (t := extra_text(v))]
    return " \n".join(parts)


def sanitize(text: str, limit: int) -> str:
    """Content is data: strip our delimiters from it and bound its length."""
    text = text.replace(DELIM_OPEN, "<<DATA").replace(DELIM_CLOSE, "DATA>>")
    return text if len(text) <= limit else text[:limit] + " [...]"


def content_of(item: Item, limit: int) -> dict[str, str]:
    out = {k: sanitize(v, limit) for k, v in item.text_fields().items()}
    if item.year:
        out["year"] = str(item.year)
    for k, v in item.extra.items():
        text = str(v) if isinstance(v, int | float) and not isinstance(v, bool) else extra_text(v)
        if text is not None and len(out) < 16:
            # column names are catalog content too: a name like "DATA>>>" must not close the block
            out[" ".join(sanitize(str(k), 60).split())] = sanitize(text, 200)
    return out
