"""Lexicon evasion with Unicode (issue 12, item 11): invisible characters inside a word, look-alike
letters of another script, compatibility forms (fullwidth, mathematical, circled), stacked accents.
Each is flagged, and the evidence span is an exact slice of the original field text."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linernotes.tools.policy.lookup import lookup
from linernotes.tools.policy.pack import load_policy_pack
from linernotes.tools.policy.skeleton import fold, original_span

PACK = load_policy_pack("content-policy")


def _hits(text: str) -> list[tuple[str, str, int, int]]:
    report = lookup({"lyrics": text}, PACK)
    for h in report.hits:
        assert text[h.span.start:h.span.end] == h.span.text, "span text is the original slice"
    return [(h.term, h.span.text, h.span.start, h.span.end) for h in report.hits]


def _math_bold(word: str) -> str:
    return "".join(chr(0x1D41A + ord(c) - ord("a")) for c in word)


def _fullwidth(word: str) -> str:
    return "".join(chr(0xFF41 + ord(c) - ord("a")) for c in word)


@pytest.mark.parametrize(("text", "term", "matched"), [
    # the reported kinds
    ("oh fu\u00adck it", "fuck", "fu\u00adck"),  # soft hyphen
    ("oh sh\u200bit man", "shit", "sh\u200bit"),  # zero-width space
    ("oh fu\u0441k it", "fuck", "fu\u0441k"),  # Cyrillic es
    (f"oh {_fullwidth('fuck')} it", "fuck", _fullwidth("fuck")),
    (f"oh {_math_bold('shit')} man", "shit", _math_bold("shit")),
    # more of the same kind
    ("oh f\u200du\u2060c\ufeffk it", "fuck", "f\u200du\u2060c\ufeffk"),  # ZWJ, word joiner, BOM
    ("you b\u0456t\u0441h", "bitch", "b\u0456t\u0441h"),  # Ukrainian i + Cyrillic es
    ("the \u0430\u0455\u0455 of it", "ass", "\u0430\u0455\u0455"),  # all-Cyrillic word in English text
    ("oh \u0455\u04bb\u0456t", "shit", "\u0455\u04bb\u0456t"),  # Cyrillic dze, shha, i
    ("oh sh\u0399t", "shit", "sh\u0399t"),  # Greek capital iota for I
    ("oh fu\u0301\u0308ck it", "fuck", "fu\u0301\u0308ck"),  # stacked combining accents (NFD)
    ("oh f\u00fcck it", "fuck", "f\u00fcck"),  # precomposed accent (NFC)
    ("oh \u24d5\u24e4\u24d2\u24da it", "fuck", "\u24d5\u24e4\u24d2\u24da"),  # circled letters
    (f"oh {_math_bold('f')}u\u00ad\u0441k it", "fuck", f"{_math_bold('f')}u\u00ad\u0441k"),  # all at once
])
def test_disguised_terms_are_flagged_with_the_original_characters(text: str, term: str, matched: str) -> None:
    found = _hits(text)
    assert (term, matched) in [(t, m) for t, m, _, _ in found], found


def test_span_offsets_point_into_the_original_text() -> None:
    text = "intro \u00e9\u0301 line: s\u00adh\u200bi\u0074 and more"
    (hit,) = _hits(text)
    assert hit[0] == "shit"
    assert hit[2] == text.index("s\u00ad") and hit[3] == text.index(" and more")


@pytest.mark.parametrize("text", [
    "Я помню чудное мгновенье: передо мной явилась ты. Рак, сок, хер, сука-сосна, рас, вес, сор.",
    "Η καρδιά μου χτυπά για σένα κάθε νύχτα. Καλή τύχη, ΑΣΣΟΣ, ΤΟΣΟ.",
    "La canción de la noche: corazón, pasión y esperanza en Málaga; ¡qué fácil!",
    "Ça c'est la vie, où est le garçon ? Déjà vu à Noël, l'hôtel, la fête.",
    "Glück, Müller, Straße, Fuß, schön, Kuß, Ärger über Öl.",
    "Tôi yêu em, cảm ơn, xin chào các bạn, phở bò, Hà Nội.",
    "Şarkı söylemek güzel, ıslak ağaç, kuş, İstanbul.",
    "東京の夜、ネオンが光る。ギターとドラム。",
    "Assessment of the classic Scunthorpe Shitake ｃｌａｓｓｉｃ café",
])
def test_clean_text_in_several_languages_has_no_hits(text: str) -> None:
    assert _hits(text) == []


def test_russian_text_keeps_its_own_letters() -> None:
    """Cyrillic words are not read as Latin in Cyrillic text (хуй is not a Latin look-alike word,
    but 'сосок' would read 'cocok'): only a mixed-script word is folded there."""
    copy, _ = fold("рак и сосок")
    assert copy == "рак и сосок"
    copy, _ = fold("рак и fu\u0441k")
    assert copy.endswith("fuck")


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.characters(codec="utf-8"), max_size=200))
def test_fold_origin_maps_every_copy_character_back(text: str) -> None:
    copy, origin = fold(text)
    if origin is None:
        assert len(copy) == len(text)
        return
    assert len(origin) == len(copy) and origin == sorted(origin)
    for i in range(len(copy)):
        a, b = original_span(text, origin, i, i + 1)
        assert 0 <= a < b <= len(text)


@settings(max_examples=150, deadline=None)
@given(word=st.sampled_from(["fuck", "shit", "bitch", "asshole"]),
       junk=st.lists(st.sampled_from(["\u00ad", "\u200b", "\u200c", "\u200d", "\u2060", "\u0301"]), min_size=1,
                     max_size=3),
       at=st.integers(1, 3), form=st.sampled_from(["NFC", "NFD", "NFKC", "NFKD", "fullwidth", "bold"]))
def test_property_injected_invisibles_and_forms_are_found(word: str, junk: list[str], at: int, form: str) -> None:
    w = {"fullwidth": _fullwidth, "bold": _math_bold}.get(form, lambda s: s)(word)
    w = w[:at] + "".join(junk) + w[at:]
    if form in ("NFC", "NFD", "NFKC", "NFKD"):
        w = unicodedata.normalize(form, w)
    text = f"well {w} then"
    found = _hits(text)
    assert any(t == word and m.strip() == w for t, m, _, _ in found), (text, found)
