"""What a pack's YAML parses to is kept in the build cache as JSON (``tools.yaml_text``): a miss
parses and writes, a hit reads without parsing, a damaged file is rebuilt, another text is
another file, data JSON cannot give back exactly is not cached, and a typo is still named by
line every time."""

from __future__ import annotations

import datetime
from importlib import resources
from pathlib import Path

import pytest
import yaml

from linernotes.tools import yaml_text
from linernotes.tools.yaml_text import load_pack_yaml

TEXT = "id: demo\nversion: 1.0.0\nterms:\n  - {term: rain, score: 0.5}\n  - {term: sun, score: -1}\nnote: ünïcode\n"


@pytest.fixture()
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LINER_BUILD_CACHE_DIR", str(tmp_path / "build"))
    return tmp_path / "build" / "yaml"


def _files(cache_dir: Path) -> list[Path]:
    return sorted(cache_dir.glob("*.json"))


def _yaml_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fault injection: the YAML parser raises, so only the cache file can answer."""
    def refuse(*_a: object, **_k: object) -> None:
        raise AssertionError("the YAML was parsed again")

    monkeypatch.setattr(yaml_text.yaml, "load", refuse)


def test_miss_writes_and_hit_reads_without_parsing(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = yaml.safe_load(TEXT)
    assert load_pack_yaml(TEXT, "demo.yaml") == expected
    assert len(_files(cache_dir)) == 1
    _yaml_unavailable(monkeypatch)
    got = load_pack_yaml(TEXT, "demo.yaml")
    assert got == expected and list(got) == list(expected)  # key order kept


@pytest.mark.parametrize("damage", ["one byte", "truncated", "empty", "not json"])
def test_a_damaged_file_is_rebuilt(cache_dir: Path, monkeypatch: pytest.MonkeyPatch, damage: str) -> None:
    expected = yaml.safe_load(TEXT)
    load_pack_yaml(TEXT, "demo.yaml")
    (path,) = _files(cache_dir)
    raw = path.read_bytes()
    path.write_bytes({"one byte": raw.replace(b"rain", b"ruin"), "truncated": raw[: len(raw) // 2], "empty": b"",
                      "not json": raw.split(b"\n", 1)[0] + b"\n{nope"}[damage])
    assert load_pack_yaml(TEXT, "demo.yaml") == expected
    _yaml_unavailable(monkeypatch)  # the damaged file was replaced by a good one
    assert load_pack_yaml(TEXT, "demo.yaml") == expected


def test_another_text_is_another_file(cache_dir: Path) -> None:
    assert load_pack_yaml(TEXT, "a.yaml")["terms"][0]["term"] == "rain"
    assert load_pack_yaml(TEXT.replace("rain", "snow"), "a.yaml")["terms"][0]["term"] == "snow"
    assert len(_files(cache_dir)) == 2


@pytest.mark.parametrize("text", ["released: 2024-01-31\n", "1: one\n2: two\n", "x: .nan\n"])
def test_data_json_cannot_give_back_is_not_cached(cache_dir: Path, text: str) -> None:
    first, second = load_pack_yaml(text, "d.yaml"), load_pack_yaml(text, "d.yaml")
    assert repr(first) == repr(second) == repr(yaml.safe_load(text))
    assert not _files(cache_dir)
    assert isinstance(load_pack_yaml("released: 2024-01-31\n", "d.yaml")["released"], datetime.date)


def test_a_typo_is_named_by_line_every_time(cache_dir: Path) -> None:
    messages = set()
    for _ in range(2):
        with pytest.raises(ValueError, match=r"^bad\.yaml:4: not valid YAML \(") as e:
            load_pack_yaml("id: x\nterms:\n  - [unclosed\n", "bad.yaml")
        messages.add(str(e.value))
    assert len(messages) == 1 and not _files(cache_dir)


def test_shipped_packs_read_back_equal(cache_dir: Path) -> None:
    packs = resources.files("linernotes.packs")
    for name in ("policy/content-policy.yaml", "music-genres.yaml", "moods.yaml", "podcast-categories.yaml"):
        text = packs.joinpath(name).read_text(encoding="utf-8")
        parsed = yaml.load(text, Loader=yaml_text.YAML_LOADER)
        assert load_pack_yaml(text, name) == parsed  # miss
        assert load_pack_yaml(text, name) == parsed  # hit
    assert len(_files(cache_dir)) == 4
