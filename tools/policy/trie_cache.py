"""The lexicon trie's regex source, kept in the build cache: emitting it (every spelling of
~2,700 terms through ``obfuscation.term_tokens``, merged by ``trie.trie_regex``) costs ~0.2 s of
CPU in every process that looks a text up.

Key (``disk_cache``'s ``policy-trie`` folder): the terms in rank order, the source bytes of the
two modules that turn terms into the pattern (``obfuscation.py``, ``trie.py``) and the Python
version (``re.escape``), so an edited spelling rule or pack never reads an old pattern. The file
carries the sha256 of its JSON. A miss, a damaged file, an unwritable folder or modules without
their source files: emitted as before, silently.
"""

from __future__ import annotations

import hashlib
import sys
from functools import lru_cache
from pathlib import Path

from linernotes.tools.disk_cache import cached_json
from linernotes.tools.policy import obfuscation, trie
from linernotes.tools.policy.obfuscation import term_tokens
from linernotes.tools.policy.trie import trie_regex

_FORMAT = 1


def term_trie(terms: list[str]) -> tuple[str, list[int]]:
    """``trie_regex`` over every spelling of every term, a term's rank being its position in
    ``terms``: (regex source, the rank behind each capture group)."""
    def emit() -> list:
        body, ranks = trie_regex([(form, rank) for rank, term in enumerate(terms) for form in term_tokens(term)])
        return [body, ranks]

    try:
        key = [_FORMAT, sys.version, _code_digest(), terms]
    except OSError:  # the emitting modules have no source files: nothing to key on
        body, ranks = emit()
        return body, ranks
    body, ranks = cached_json("policy-trie", key, emit, valid=lambda data: (
        isinstance(data, list) and len(data) == 2 and isinstance(data[0], str)
        and all(isinstance(r, int) and 0 <= r < len(terms) for r in data[1])))
    return body, ranks


@lru_cache(maxsize=1)
def _code_digest() -> str:
    """sha256 of the emitting modules' source files. Raises OSError when one has none."""
    h = hashlib.sha256()
    for module in (obfuscation, trie):
        h.update(Path(module.__file__ or "").read_bytes())
    return h.hexdigest()
