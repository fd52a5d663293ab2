"""Word-list tools other than the policy lexicon read through the same Unicode disguises: invisible
characters (category Cf, Hangul fillers) inside a word and compatibility forms of letters (fullwidth,
mathematical, circled, ligatures). Before, "I h\\u00adate this" had no lexical valence, fullwidth
French was identified as Cantonese, and clause retrieval read "threat\\u00adening" as two unknown
words. Each disguised text must give what its plain spelling gives; prose that hides nothing reads
as before."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linernotes.tools.policy.clauses import relevant_clauses
from linernotes.tools.policy.clauses import tokens as clause_tokens
from linernotes.tools.policy.lookup import lookup
from linernotes.tools.policy.pack import load_policy_pack
from linernotes.tools.retrieval.taxonomy_index import tokens as taxonomy_tokens
from linernotes.tools.text.language import detect_language
from linernotes.tools.text.negation import mark_negation
from linernotes.tools.text.valence import afinn_terms, lexical_valence

PACK = load_policy_pack("content-policy")
# every invisible kind the brief names: soft hyphen, ZWSP, ZWNJ, ZWJ, word joiner, BOM, the bidi
# embeddings/overrides (U+202A-202E) and isolates (U+2066-2069), and a Hangul filler (not Cf)
INVISIBLES = ["\u00ad", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u202a", "\u202b", "\u202c", "\u202d",
              "\u202e", "\u2066", "\u2067", "\u2068", "\u2069", "\u3164"]


def _fullwidth(text: str) -> str:
    return "".join(chr(0xFF21 + ord(c) - ord("A")) if c.isupper() else chr(0xFF41 + ord(c) - ord("a"))
                   if c.islower() else c for c in text)


def _math_bold(text: str) -> str:
    return "".join(chr(0x1D41A + ord(c) - ord("a")) if c.islower() else c for c in text)


def _circled(text: str) -> str:
    return "".join(chr(0x24D0 + ord(c) - ord("a")) if c.islower() else c for c in text)


def _inside_words(text: str, junk: str) -> str:
    """``junk`` after the first letter of every word of three letters or more."""
    return " ".join(w[0] + junk + w[1:] if len(w) > 2 else w for w in text.split(" "))


SENTENCE = "I hate this awful song, it is not good and the singer is a terrible liar"
DISGUISES = ([pytest.param(_inside_words(SENTENCE, ch), id=f"U+{ord(ch):04X}") for ch in INVISIBLES]
             + [pytest.param(_fullwidth(SENTENCE), id="fullwidth"), pytest.param(_math_bold(SENTENCE), id="math-bold"),
                pytest.param(_circled(SENTENCE), id="circled")])


@pytest.mark.parametrize("disguised", DISGUISES)
def test_lexical_valence_sees_through_disguises(disguised: str) -> None:
    assert lexical_valence(SENTENCE) is not None and lexical_valence(SENTENCE) < 0
    assert lexical_valence(disguised) == lexical_valence(SENTENCE)
    assert afinn_terms(disguised) == afinn_terms(SENTENCE)


@pytest.mark.parametrize("disguised", DISGUISES)
def test_negation_marking_and_clause_words_see_through_disguises(disguised: str) -> None:
    """The fusion's text features (negation-marked tokens) and the clause search's words."""
    assert mark_negation(disguised) == mark_negation(SENTENCE)
    assert clause_tokens(disguised) == clause_tokens(SENTENCE)


def test_clause_retrieval_finds_the_same_clauses() -> None:
    clean = "he keeps threatening to kill the neighbours and burn their house"
    for disguised in (_inside_words(clean, "\u00ad"), _inside_words(clean, "\u200b\u2060"), _fullwidth(clean)):
        got = relevant_clauses(disguised, PACK, 3)
        assert [c.id for c in got] == [c.id for c in relevant_clauses(clean, PACK, 3)] and got


@pytest.mark.parametrize("make", [lambda t: _inside_words(t, "\u00ad"), lambda t: _inside_words(t, "\u200b"),
                                  _fullwidth, lambda t: _inside_words(t, "\u202e")],
                         ids=["soft-hyphen", "zwsp", "fullwidth", "bidi-override"])
def test_language_id_sees_through_disguises(make) -> None:
    french = "Ceci est une chanson triste sur la pluie qui tombe sans fin sur la ville endormie"
    assert detect_language(french)[0] == "fr"
    assert detect_language(make(french)) == detect_language(french)  # the same text to the model


def test_taxonomy_lexical_tokens_see_through_disguises() -> None:
    assert taxonomy_tokens("dark tech\u00adno and deep ho\u200buse") == ["dark", "techno", "and", "deep", "house"]
    assert taxonomy_tokens(_fullwidth("Drum & Bass")) == taxonomy_tokens("Drum & Bass") == ["drum", "and", "bass"]
    # a decomposed accent is one word with its letter, as the precomposed spelling is
    assert taxonomy_tokens("man\u0303ana") == taxonomy_tokens("ma\u00f1ana") == ["ma\u00f1ana"]


@pytest.mark.parametrize("ch", INVISIBLES[6:15], ids=lambda c: f"U+{ord(c):04X}")
def test_policy_lexicon_spans_map_back_over_bidi_controls(ch: str) -> None:
    """The lexicon shares the invisibles' definition (``skeleton`` uses ``plain.is_invisible``): a bidi
    control inside the word is flagged and its span is the exact original slice."""
    text = f"well fu{ch}ck that and sh{ch}it"
    hits = lookup({"lyrics": text}, PACK).hits
    assert sorted(h.term for h in hits) == ["fuck", "shit"]
    for h in hits:
        assert text[h.span.start:h.span.end] == h.span.text and ch in h.span.text


def test_plain_keeps_clean_text_and_non_letter_forms() -> None:
    from linernotes.tools.text.plain import plain

    for text in ("plain ASCII stays the same object", "Caf\u00e9 M\u00fcller, na\u00efve \u2014 d\u00e9j\u00e0 vu",
                 "\u0420\u043e\u043a \u043c\u0443\u0437\u044b\u043a\u0430", "\u97f3\u697d\u3068\u96e8",
                 "wait\u2026 9 \u00bd weeks\u2122 \u201cquoted\u201d", "non\u00a0breaking"):
        assert plain(text) == text
    assert plain("\ufb01ne \u24d5\u24e4\u24d2\u24da \uff26\uff35\uff23\uff2b") == "fine fuck FUCK"
    assert plain("\uff76\uff80\uff76\uff85") == "\u30ab\u30bf\u30ab\u30ca"  # halfwidth katakana


@settings(max_examples=60, deadline=None)
@given(junk=st.lists(st.sampled_from(INVISIBLES), min_size=1, max_size=3),
       where=st.lists(st.integers(min_value=1, max_value=60), min_size=1, max_size=6))
def test_property_invisibles_anywhere_change_no_tool(junk: list[str], where: list[int]) -> None:
    """Invisible characters at random places inside the text: the tools' answers do not move."""
    text = list(SENTENCE)
    for n, at in enumerate(sorted(set(where), reverse=True)):
        text.insert(min(at, len(text)), junk[n % len(junk)])
    disguised = "".join(text)
    assert lexical_valence(disguised) == lexical_valence(SENTENCE)
    assert afinn_terms(disguised) == afinn_terms(SENTENCE)
    assert mark_negation(disguised) == mark_negation(SENTENCE)
    assert clause_tokens(disguised) == clause_tokens(SENTENCE)


def test_tagged_records_of_disguised_and_plain_lyrics_agree(tmp_path, liner_in_process) -> None:
    """End to end, ``liner tag --llm never`` with the shipped fusion: a record of the disguised text
    carries the plain text's valence, language, explicit flag and policy flags with their
    confidences (the fusion's TF-IDF, embedding and lexicon features read through ``plain`` too);
    only the quoted span holds the original characters."""
    import json

    clean = "Lyrics: fuck this town, I hate it and every awful night in it"
    texts = {"clean": clean, "shy": clean.replace("fuck", "f\u00aduck").replace("hate", "h\u200bate"),
             "wide": _fullwidth(clean), "bidi": _inside_words(clean, "\u2066")}
    catalog = tmp_path / "cat.jsonl"
    catalog.write_text("".join(json.dumps({"id": k, "type": "track", "title": "T", "artist": "A", "description": v})
                               + "\n" for k, v in texts.items()), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    r = liner_in_process(["tag", str(catalog), "-o", str(out), "--llm", "never", "--no-progress"])
    assert r.returncode == 0, r.stderr
    seen = {}
    for line in out.read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        e = rec["enrichment"]
        for flag in e["policy_flags"]:
            for span in flag["spans"]:
                assert texts[rec["id"]][span["start"]:span["end"]] == span["text"]
        seen[rec["id"]] = (e["valence"], e["language"], e["explicit"]["value"],
                           sorted((f["clause_id"], f["severity"], f["source"], f["confidence"]) for f in e["policy_flags"]))
    assert seen["clean"][2] is True and seen["clean"][3]
    for name in ("shy", "wide", "bidi"):
        assert seen[name] == seen["clean"], name


@pytest.mark.parametrize(("fields", "cue"), [
    ({"description": "An instru\u00admental piano track for rainy days"}, "instrumental"),
    ({"description": _fullwidth("An instrumental piano track")}, "instrumental"),
    ({"title": "Night \u2066Instrumental\u2069 Mix"}, "Instrumental"),
    ({"description": "Instrumental break, then vo\u00adcals by her"}, None),  # the vocals cue seen
    ({"description": "Instrumental intro, then " + _math_bold("sung") + " by her"}, None),
])
def test_no_vocals_cue_sees_through_disguises(fields, cue) -> None:
    """The instrumental cue (language ``zxx`` for a track whose words say it has no vocals) is a word
    list too: a hidden vocals cue called a song instrumental, a hidden cue left it a lyrics language."""
    from linernotes.tools.text.vocals import no_vocals_cue

    found = no_vocals_cue(fields)
    assert (found.text if found else None) == cue
