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
import re
from typing import Any, NamedTuple

import yaml

from linernotes.tools.disk_cache import cached_json

# libyaml is ~10x faster than the pure-Python loader on packs of thousands of entries
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_FORMAT = 2  # 2: a text with an unquoted number holding "_" is refused (underscore_number), never cached

# Nodes that aliases may add over the document's own before a YAML text is refused. Each alias
# re-reads its anchor's whole subtree wherever the data is walked (line maps, duplicate-key checks,
# validation, the JSON cache), so nested aliases grow exponentially: 8 levels of 9 ("billion
# laughs", a few hundred bytes) are 43 million nodes, minutes of CPU and gigabytes. A legitimate
# reuse (``<<: *defaults`` in a few places) adds tens of nodes.
MAX_ALIAS_NODES = 100_000
# An anchor (``&name`` after a space, a line start or a flow indicator); "R&B" and "drum & bass" are
# not. Without one a text has no alias, so the shipped packs skip the composing below.
_ANCHOR = re.compile(r"(?:^|[\s\[{,:-])&[^\s,\[\]{}]", re.MULTILINE)


class AliasExpansion(NamedTuple):
    """Where a YAML text's aliases first appear (1-based line) and how many nodes they add."""

    line: int
    added: int

    def reason(self) -> str:
        return (f"YAML aliases (*name) here expand to {self.added:,} more nodes (at most {MAX_ALIAS_NODES:,}): "
                "nested aliases grow exponentially; write the values out")


def _composed(text: str, root: yaml.Node | None) -> yaml.Node | None:
    """``root`` when the caller composed ``text`` already, else ``text`` composed (None for text
    that is not YAML, which its loader names, or holds no node)."""
    if root is not None:
        return root
    try:
        return yaml.compose(text, Loader=YAML_LOADER)
    except yaml.YAMLError:
        return None


def alias_expansion(text: str, limit: int = MAX_ALIAS_NODES, root: yaml.Node | None = None) -> AliasExpansion | None:
    """Non-None when ``text``'s aliases add more than ``limit`` nodes to its data (``line``: the
    first alias's). Counts without expanding: each distinct node once, memoised by identity.
    ``root``: ``text`` already composed (the caller's own ``yaml.compose``), so it is not parsed
    again. None for text that is not YAML (its loader names that) or has no anchor."""
    if not _ANCHOR.search(text):
        return None
    root = _composed(text, root)
    if root is None:
        return None
    sizes: dict[int, int] = {}  # id(node) -> nodes under it, expanded

    def size(node: yaml.Node) -> int:
        if id(node) in sizes:
            return sizes[id(node)]
        sizes[id(node)] = 1  # a recursive alias (an anchor inside itself) counts once
        children = ([n for kv in node.value for n in kv] if isinstance(node, yaml.MappingNode)
                    else node.value if isinstance(node, yaml.SequenceNode) else [])
        sizes[id(node)] = 1 + sum(size(c) for c in children)
        return sizes[id(node)]

    added = size(root) - len(sizes)
    return AliasExpansion(first_alias_line(text) or 1, added) if added > limit else None


def first_alias_line(text: str) -> int | None:
    """The 1-based line of ``text``'s first YAML alias (``*name``), None without one or when the
    text is not YAML (its loader names that)."""
    try:
        return next((tok.start_mark.line + 1 for tok in yaml.scan(text, Loader=yaml.SafeLoader)
                     if isinstance(tok, yaml.AliasToken)), None)
    except yaml.YAMLError:
        return None


# A digit beside '_': the only texts whose plain scalars YAML 1.1 (PyYAML) may read as a number
# with '_' in it; the shipped packs have none, so they are never composed for this check.
_DIGIT_UNDERSCORE = re.compile(r"[0-9]_|_[0-9]")
_NUMBER_TAGS = frozenset({"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"})


def underscore_number(text: str, root: yaml.Node | None = None) -> tuple[int, str] | None:
    """``(line, value)`` of the first unquoted value that PyYAML reads as a number although it has
    ``_`` in it (``threshold: 0.2_5`` is 0.25 and ``limit: 1_000`` 1000 in YAML 1.1; YAML 1.2,
    JSON and a spreadsheet read neither as that number), else None. ``root``: ``text`` already
    composed. None for text that is not YAML (its loader names that)."""
    if not _DIGIT_UNDERSCORE.search(text):
        return None
    root = _composed(text, root)
    stack, seen = [root] if root is not None else [], set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            if not node.style and node.tag in _NUMBER_TAGS and "_" in node.value:  # plain: None, or "" (libyaml)
                return node.start_mark.line + 1, node.value
        elif isinstance(node, yaml.MappingNode):
            stack.extend(n for kv in reversed(node.value) for n in reversed(kv))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(reversed(node.value))
    return None


def underscore_reason(value: str) -> str:
    """Why an ``underscore_number`` value is refused, for after ``ORIGIN:LINE: ``."""
    return (f"{value!r} is read by YAML as a number with '_' dropped; '_' is not allowed in a number: write it "
            "without '_' (or quote it if it is text)")


def load_pack_yaml(text: str, origin: str) -> Any:
    """``yaml.load`` with the safe (C when available) loader. Raises ``ValueError`` as
    ``ORIGIN:LINE: not valid YAML (reason)`` (the parser's line, when it gives one): a user pack's
    typo is a user error, not a traceback; so are aliases that expand past ``MAX_ALIAS_NODES``.
    Only a text that parsed is ever cached, so a typo is reported the same way every time."""
    return cached_json("yaml", [_FORMAT, yaml.__version__, YAML_LOADER.__name__,
                                hashlib.sha256(text.encode("utf-8")).hexdigest()], lambda: _parse(text, origin))


def _parse(text: str, origin: str) -> Any:
    if (bomb := alias_expansion(text)) is not None:
        raise ValueError(f"{origin}:{bomb.line}: not valid YAML ({bomb.reason()})")
    if (odd := underscore_number(text)) is not None:  # severity: 1_0 was 10
        raise ValueError(f"{origin}:{odd[0]}: not valid YAML ({underscore_reason(odd[1])})")
    try:
        return yaml.load(text, Loader=YAML_LOADER)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise ValueError(f"{origin}{where}: not valid YAML ({getattr(e, 'problem', None) or e})") from None
