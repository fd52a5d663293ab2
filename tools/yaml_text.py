"""YAML packs (taxonomies, policy packs) as data, with a user's typo named by file and line."""

from __future__ import annotations

from typing import Any

import yaml

# libyaml is ~10x faster than the pure-Python loader on packs of thousands of entries
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_pack_yaml(text: str, origin: str) -> Any:
    """``yaml.load`` with the safe (C when available) loader. Raises ``ValueError`` as
    ``ORIGIN:LINE: not valid YAML (reason)`` (the parser's line, when it gives one): a user pack's
    typo is a user error, not a traceback."""
    try:
        return yaml.load(text, Loader=YAML_LOADER)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise ValueError(f"{origin}{where}: not valid YAML ({getattr(e, 'problem', None) or e})") from None
