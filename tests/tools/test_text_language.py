"""Language identification: known sentences, and no guess on text too short to judge."""

from __future__ import annotations

from pathlib import Path

import pytest

from linernotes.tools.text.language import detect_language, guess_language


@pytest.mark.parametrize(("text", "code"), [
    ("This is an English sentence about the new album.", "en"),
    ("Ceci est une chanson française sur l'amour et la mer.", "fr"),
    ("Das ist ein deutsches Lied über die Liebe und den Sommer.", "de"),
    ("Esta es una canción española sobre el amor y la noche.", "es"),
    ("東京の夜に歌う静かな歌です。", "ja"),
])
def test_known_sentences(text: str, code: str) -> None:
    found = detect_language(text)
    assert found is not None
    assert found[0] == code
    assert 0.5 < found[1] <= 1.0
    assert guess_language(text) == code


@pytest.mark.parametrize("text", ["", "   ", "hi", "Intro", "1999 (2024)", "!!! ???"])
def test_short_or_letterless_text_gets_no_guess(text: str) -> None:
    assert detect_language(text) is None
    assert guess_language(text) is None


def test_a_guess_below_the_confidence_floor_is_withheld() -> None:
    text = "This is an English sentence about the new album."
    assert guess_language(text, min_confidence=1.01) is None


SAMPLES = ["This is an English sentence about the new album.", "Ceci est une chanson française sur l'amour.",
           "Das ist ein deutsches Lied über die Liebe.", "東京の夜に歌う静かな歌です。", "x" * 40, "¿Qué tal, amigo mío?"]


def _copies(cache: Path) -> list[Path]:
    return sorted((cache / "langid").glob("*.npz"))


def test_model_copy_miss_hit_and_corrupt_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The decompressed model is written on a miss, read on a hit (no LZMA), rebuilt when the copy
    is corrupt, and every way gives py3langid's own answers."""
    import lzma

    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    from linernotes.tools.text.langid_model import load_identifier

    monkeypatch.setenv("LINER_BUILD_CACHE_DIR", str(tmp_path / "build"))
    reference = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    expected = [reference.classify(t) for t in SAMPLES]
    assert [load_identifier().classify(t) for t in SAMPLES] == expected  # miss
    (copy,) = _copies(tmp_path / "build")

    def lzma_unavailable(*_a: object, **_k: object) -> None:  # fault injection: only the copy can serve
        raise AssertionError("the shipped model was decompressed again")

    with monkeypatch.context() as m:
        m.setattr(lzma, "open", lzma_unavailable)
        assert [load_identifier().classify(t) for t in SAMPLES] == expected  # hit
    raw = copy.read_bytes()
    for damaged in (raw[: len(raw) // 3], raw[:1000] + bytes(200) + raw[1200:], b""):
        copy.write_bytes(damaged)
        assert [load_identifier().classify(t) for t in SAMPLES] == expected  # rebuilt
        assert copy.read_bytes() == raw


def test_model_copy_is_keyed_by_the_shipped_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another model file (another py3langid release) is another copy, never the old one."""
    import lzma

    import py3langid.langid as langid

    from linernotes.tools.text.langid_model import load_identifier

    monkeypatch.setenv("LINER_BUILD_CACHE_DIR", str(tmp_path / "build"))
    load_identifier()
    other = tmp_path / "model" / "data"
    other.mkdir(parents=True)
    with lzma.open(langid.MODEL_DIR / langid.MODEL_FILE) as src:  # the same model, other bytes
        (other / "model.npz.xz").write_bytes(lzma.compress(src.read(), preset=0))
    monkeypatch.setattr(langid, "MODEL_DIR", tmp_path / "model")
    assert load_identifier().classify(SAMPLES[0])[0] == "en"
    assert len(_copies(tmp_path / "build")) == 2


def test_model_copy_in_the_users_cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from linernotes.tools.text.langid_model import load_identifier

    monkeypatch.delenv("LINER_BUILD_CACHE_DIR", raising=False)
    monkeypatch.delenv("LINER_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert load_identifier().classify(SAMPLES[0])[0] == "en"
    assert len(_copies(tmp_path / "xdg" / "linernotes")) == 1
