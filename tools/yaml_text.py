"""YAML packs (taxonomies, policy packs) as data, with a user's typo named by file and line.

The shipped packs take ~0.2-0.4 s of CPU each to parse even with libyaml (the policy pack is
13,000 lines), in every process; their data is JSON-able, and JSON loads ~50x faster. So what a
pack's text parses to is kept in the build cache (``disk_cache``'s ``yaml`` folder) as JSON,
named by the sha256 of the text (and the loader), with the sha256 of the JSON on its first line.
A text whose data JSON would not give back exactly (dates, non-string keys, NaN) is not cached.
A miss, a damaged file or an unwritable folder: parsed as before, silently.
"""

from __future__ import annotations

import hashlib
from typing import Any

import yaml

from linernotes.tools.disk_cache import cached_json

# libyaml is ~10x faster than the pure-Python loader on packs of thousands of entries
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_FORMAT = 1


def load_pack_yaml(text: str, origin: str) -> Any:
    """``yaml.load`` with the safe (C when available) loader. Raises ``ValueError`` as
    ``ORIGIN:LINE: not valid YAML (reason)`` (the parser's line, when it gives one): a user pack's
    typo is a user error, not a traceback. Only a text that parsed is ever cached, so a typo is
    reported the same way every time."""
    return cached_json("yaml", [_FORMAT, yaml.__version__, YAML_LOADER.__name__,
                                hashlib.sha256(text.encode("utf-8")).hexdigest()], lambda: _parse(text, origin))


def _parse(text: str, origin: str) -> Any:
    try:
        return yaml.load(text, Loader=YAML_LOADER)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise ValueError(f"{origin}{where}: not valid YAML ({getattr(e, 'problem', None) or e})") from None
