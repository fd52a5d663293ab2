"""A label cell as a list of labels: gold files and exemplar sources write multilabel columns as
lists (JSONL, Parquet) or as text (CSV/TSV cells such as ``techno, house`` or ``["techno", "house"]``)."""

from __future__ import annotations

import json
import math
import re
from typing import Any

# Separators a spreadsheet cell uses between labels. Space is not one: genre and mood labels have
# several words ("drum and bass", "hip hop"), so a space-separated cell stays one label.
SEPARATORS = re.compile(r"\s*[,;|]\s*")


def label_text(raw: Any) -> str:
    """A one-label cell as text: a whole float is its integer ('3', not '3.0': pandas reads a CSV
    column of numbers with a blank cell as floats), anything else ``str``."""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw)


def label_list(value: Any) -> list[str]:
    """The labels in one cell, in order, stripped, blanks dropped (duplicates kept: callers dedupe
    after mapping labels to ids).

    - None, NaN, blank text: ``[]``.
    - A list, tuple or array: its items as text.
    - Text: a JSON array (``'["techno", "house"]'``) is read as one; other text is split on ``,``,
      ``;`` and ``|`` (``'techno, house'`` -> ``['techno', 'house']``); text without a separator is
      one label.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                parsed = json.loads(text)
            except ValueError:
                parsed = None
            if isinstance(parsed, list):
                return label_list(parsed)
        return [p for p in SEPARATORS.split(text) if p]
    if isinstance(value, dict):
        raise ValueError(f"a label cell must be text or a list, got an object: {value!r:.80}")
    try:
        items = list(value)
    except TypeError:
        items = [value]
    return [s for s in (label_text(v).strip() for v in items if v is not None) if s]
