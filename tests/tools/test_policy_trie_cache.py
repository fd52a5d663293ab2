"""The lexicon trie's emitted regex source in the build cache (``tools.policy.trie_cache``): a miss
emits and writes, a hit reads without emitting, a damaged file is rebuilt, other terms or an edited
spelling rule is another file, and lookups find the same hits either way."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from linernotes.tools.policy import lookup as lookup_mod
from linernotes.tools.policy import obfuscation, trie_cache
from linernotes.tools.policy.obfuscation import term_tokens
from linernotes.tools.policy.pack import load_policy_pack
from linernotes.tools.policy.trie import trie_regex

TERMS = ["moby dick", "fuck", "fucker", "feck", "shit", "69", "kill yourself", "ass"]


@pytest.fixture()
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LINER_BUILD_CACHE_DIR", str(tmp_path / "build"))
    return tmp_path / "build" / "policy-trie"


def _emitted(terms: list[str]) -> tuple[str, list[int]]:
    return trie_regex([(form, rank) for rank, term in enumerate(terms) for form in term_tokens(term)])


def _emitter_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fault injection: emitting raises, so only the cache file can answer."""
    def refuse(*_a: object, **_k: object) -> None:
        raise AssertionError("the trie was emitted again")

    monkeypatch.setattr(trie_cache, "trie_regex", refuse)


def test_miss_writes_and_hit_reads_without_emitting(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = _emitted(TERMS)
    assert trie_cache.term_trie(TERMS) == expected
    assert len(list(cache_dir.glob("*.json"))) == 1
    _emitter_unavailable(monkeypatch)
    assert trie_cache.term_trie(TERMS) == expected


@pytest.mark.parametrize("damage", ["one byte", "truncated", "empty", "rank out of range"])
def test_a_damaged_file_is_rebuilt(cache_dir: Path, monkeypatch: pytest.MonkeyPatch, damage: str) -> None:
    from linernotes.tools.disk_cache import write_json

    expected = _emitted(TERMS)
    trie_cache.term_trie(TERMS)
    (path,) = cache_dir.glob("*.json")
    raw = path.read_bytes()
    if damage == "rank out of range":  # a well-formed file that cannot be this trie's
        write_json(path, [expected[0], [*expected[1][:-1], len(TERMS)]])
    else:
        path.write_bytes({"one byte": raw.replace(b"()", b"(|)", 1), "truncated": raw[: len(raw) // 2],
                          "empty": b""}[damage])
    assert trie_cache.term_trie(TERMS) == expected
    _emitter_unavailable(monkeypatch)  # the bad file was replaced by a good one
    assert trie_cache.term_trie(TERMS) == expected


def test_other_terms_or_an_edited_rule_is_another_file(cache_dir: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    trie_cache.term_trie(TERMS)
    assert trie_cache.term_trie(list(reversed(TERMS))) == _emitted(list(reversed(TERMS)))
    assert len(list(cache_dir.glob("*.json"))) == 2
    edited = tmp_path / "obfuscation.py"  # the spelling rules' file, edited (a comment is enough)
    shutil.copy(obfuscation.__file__, edited)
    edited.write_text(edited.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    monkeypatch.setattr(obfuscation, "__file__", str(edited))
    trie_cache._code_digest.cache_clear()
    try:
        trie_cache.term_trie(TERMS)
        assert len(list(cache_dir.glob("*.json"))) == 3
    finally:
        monkeypatch.undo()
        trie_cache._code_digest.cache_clear()


def test_lookup_hits_are_the_same_from_the_file(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pack = load_policy_pack("content-policy")
    texts = {"t": "What the f*ck, this sh1t is d4mn good", "d": "Moby Dick and a f u c k i n g  mess",
             "l": "kill yourself, you b!tch; a bonk on the head", "x": "perfectly clean prose about rain"}
    runs = []
    for _ in range(2):  # a miss, then a hit
        monkeypatch.setattr(lookup_mod, "_MATCHERS", {})
        runs.append(lookup_mod.lookup(texts, pack))
    assert runs[0] == runs[1] and runs[0].hits
    assert len(list(cache_dir.glob("*.json"))) == 1
