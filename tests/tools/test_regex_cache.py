"""The on-disk cache of compiled regex code (``tools.regex_cache``): a miss builds and writes the
file, a hit reads it without re's parser, a corrupt file is rebuilt, another pattern (another
policy pack) gets another file, the user's cache dir is respected, and the policy lookup finds the
same hits whether its trie came from the file or from ``re.compile``."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from linernotes.tools.regex_cache import cache_file, compile_cached

PATTERN = r"(?<![^\W_])(?:f[u*#](?:ck()|dge())|s[h*]it()|d[a@4]mn())(?![^\W_])"
TEXTS = ["Fuck this", "fudge and damn", "sh*t happens", "shitake", "d@mn, F#CK!", "", "no match here"]


@pytest.fixture()
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LINER_BUILD_CACHE_DIR", str(tmp_path / "build"))
    return tmp_path / "build"


def _parser_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fault injection: re's parser raises, so only a pattern read from its file can come back."""
    def refuse(*_a: object, **_k: object) -> None:
        raise AssertionError("re's parser was called: the cache file was not used")

    monkeypatch.setattr(re._parser, "parse", refuse)


def _same_behaviour(a: re.Pattern[str], b: re.Pattern[str]) -> None:
    assert (a.pattern, a.flags, a.groups, a.groupindex) == (b.pattern, b.flags, b.groups, b.groupindex)
    for text in TEXTS:
        assert [(m.span(), m.lastindex) for m in a.finditer(text)] == [(m.span(), m.lastindex) for m in b.finditer(text)]


def test_miss_writes_the_file_and_a_hit_reads_it(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = cache_file(PATTERN, re.IGNORECASE)
    assert path is not None and path.is_relative_to(cache_dir) and not path.exists()
    first = compile_cached(PATTERN, re.IGNORECASE)
    assert path.exists()
    _same_behaviour(first, re.compile(PATTERN, re.IGNORECASE))
    _parser_unavailable(monkeypatch)
    _same_behaviour(compile_cached(PATTERN, re.IGNORECASE), first)


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty", "code word flipped", "header flags"])
def test_a_corrupt_file_is_rebuilt(cache_dir: Path, monkeypatch: pytest.MonkeyPatch, damage: str) -> None:
    compile_cached(PATTERN, re.IGNORECASE)
    path = cache_file(PATTERN, re.IGNORECASE)
    assert path is not None
    raw = path.read_bytes()
    if damage == "truncated":
        path.write_bytes(raw[: len(raw) // 2])
    elif damage == "garbage":
        path.write_bytes(b"\x93NUMPY not really" + raw[20:])
    elif damage == "empty":
        path.write_bytes(b"")
    else:
        data = np.load(path, allow_pickle=False)
        data[-5 if damage == "code word flipped" else 1] ^= 0x40
        np.save(path, data, allow_pickle=False)
    _same_behaviour(compile_cached(PATTERN, re.IGNORECASE), re.compile(PATTERN, re.IGNORECASE))
    _parser_unavailable(monkeypatch)  # the bad file was replaced by a good one
    _same_behaviour(compile_cached(PATTERN, re.IGNORECASE), re.compile(PATTERN, re.IGNORECASE))


def test_another_pattern_or_flags_is_another_file(cache_dir: Path) -> None:
    keys = {cache_file(PATTERN, re.IGNORECASE), cache_file(PATTERN, 0), cache_file(PATTERN + "x", re.IGNORECASE)}
    assert len(keys) == 3
    compile_cached(PATTERN, 0)
    assert not re.compile(PATTERN).search("FUCK")  # flags kept apart: the case-sensitive one is case-sensitive
    assert not compile_cached(PATTERN, 0).search("FUCK")
    assert compile_cached(PATTERN, re.IGNORECASE).search("FUCK")


def test_the_users_cache_dir_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LINER_BUILD_CACHE_DIR", raising=False)
    monkeypatch.delenv("LINER_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    compile_cached(PATTERN, re.IGNORECASE)
    path = cache_file(PATTERN, re.IGNORECASE)
    assert path is not None and path.is_relative_to(tmp_path / "xdg" / "linernotes") and path.exists()


def test_an_unwritable_cache_dir_still_compiles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("LINER_BUILD_CACHE_DIR", str(blocker))
    _same_behaviour(compile_cached(PATTERN, re.IGNORECASE), re.compile(PATTERN, re.IGNORECASE))


def test_named_groups_are_compiled_but_not_cached(cache_dir: Path) -> None:
    named = r"(?P<word>d[a@]mn)"
    assert compile_cached(named).groupindex == {"word": 1}
    path = cache_file(named)
    assert path is not None and not path.exists()


def test_policy_lookup_hits_are_the_same_from_the_file(cache_dir: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The shipped pack and a copy with one more allowed phrase: the trie read back from its file
    finds what a trie built by ``re.compile`` finds, and the two packs' tries are two files."""
    from importlib import resources

    from linernotes.tools.policy import lookup as lookup_mod
    from linernotes.tools.policy.pack import load_policy_pack

    text = resources.files("linernotes.packs").joinpath("policy", "content-policy.yaml").read_text(encoding="utf-8")
    head, allowed = text.split("\nallow:\n", 1)
    other = tmp_path / "other.yaml"
    other.write_text(f"{head}\nallow:\n- this sh1t is d4mn good\n{allowed}", encoding="utf-8")
    texts = {"t": "What the f*ck, this sh1t is d4mn good", "d": "Moby Dick and a f u c k i n g  mess",
             "l": "kill yourself, you b!tch; a bonk on the head", "x": "perfectly clean prose about rain"}
    found = []
    packs = (load_policy_pack("content-policy"), load_policy_pack(str(other)))
    for pack in packs:
        runs = []
        for compiler in (re.compile, compile_cached, compile_cached):  # plain, then a miss, then a hit
            monkeypatch.setattr(lookup_mod, "_MATCHERS", {})
            monkeypatch.setattr(lookup_mod, "compile_cached", compiler)
            runs.append(lookup_mod.lookup(texts, pack))
        assert runs[0] == runs[1] == runs[2]
        found.append(runs[0])
    assert found[0].hits and found[0] != found[1]  # the allowed phrase hides two hits in the copy
    # the per-letter tries of unambiguous terms ("bonk" is context-only) are cached too, one file
    # per letter for both packs: they hold no allowed phrase
    tries = {cache_file(lookup_mod._matcher(pack).pattern.pattern, re.IGNORECASE) for pack in packs}
    assert len(tries) == 2 and tries <= set((cache_dir / "regex").glob("*.npy"))
