"""A JSON / JSON-lines table's values exactly as written, where ``datasets`` changed them.

``datasets`` (5.x) reads a column whose rows hold values of more than one JSON type (``"id": 1`` in
one row, ``"id": "007"`` in another) as its ``Json`` feature: each value is stored as text and read
back with ``ujson.loads``, so any string that is itself JSON text came back as another value:
``"007"`` became the integer 7 (and then one id with a row's ``7``), ``"1e5"`` the float 100000.0
(refused as a float id), ``"true"`` true. A column of integers and floats is read as floats, so an
integer id ``7`` became ``7.0``. These helpers name such columns and read the file's own values
for them with Python's ``json``, so a reader can put them back.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

# the id column's feature types whose values are the file's own (text, integers)
_EXACT_ID_TYPES = ("string", "large_string", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
                   "uint64")


def holds_json_feature(feature: Any) -> bool:
    """True when ``feature`` (a ``datasets`` feature) is or holds a ``Json`` feature (a list of
    mixed values is a ``List(Json())``)."""
    from datasets import Json

    if isinstance(feature, Json):
        return True
    if isinstance(feature, dict):
        return any(holds_json_feature(f) for f in feature.values())
    inner = getattr(feature, "feature", None)
    return inner is not None and holds_json_feature(inner)


def changed_columns(features: Any, id_column: str) -> list[str]:
    """The top-level columns of a ``datasets`` JSON table whose values may not be the file's: every
    column holding a ``Json`` feature, and ``id_column`` unless its values are text or integers
    (a float column: an integer id there reads as a float). Empty for a table read as written."""
    from datasets import Value

    out = [name for name, f in features.items() if holds_json_feature(f)]
    idf = features.get(id_column)
    if (idf is not None and id_column not in out
            and not (isinstance(idf, Value) and idf.dtype in _EXACT_ID_TYPES)):
        out.append(id_column)
    return out


def raw_rows(path: Path, encoding: str = "utf-8-sig") -> list[tuple[str, Any]]:
    """``(where, value)`` for each row of the JSON file at ``path`` (``.gz`` too), in the order
    ``datasets`` reads them: a document holding an array is its elements (``where`` is ``row N``),
    one holding an object is that object (``row 1``), anything else is read as JSON lines, blank
    lines skipped (``where`` is the line number). Raises ``ValueError`` for a line that is not
    JSON (``datasets`` read the file, so that is not expected) and ``OSError`` as ``open`` does."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rt", encoding=encoding) as f:
        text = f.read()
    try:
        doc = json.loads(text)
    except json.JSONDecodeError:
        doc = None
    else:
        if isinstance(doc, list):
            return [(f"row {n}", row) for n, row in enumerate(doc, start=1)]
        if isinstance(doc, dict):
            return [("row 1", doc)]
    rows = []
    for n, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                rows.append((str(n), json.loads(line)))
            except json.JSONDecodeError as e:
                raise ValueError(f"line {n}: not JSON ({e.msg})") from None
    return rows


def place(path: Path, where: str) -> str:
    """``path:7`` for a line, ``path: row 7`` for an element of an array."""
    return f"{path}: {where}" if where.startswith("row ") else f"{path}:{where}"
