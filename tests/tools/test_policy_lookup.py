"""Policy lookup: obfuscated spellings found, ordinary words left alone, spans exact."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linernotes.tools.policy.lookup import lookup
from linernotes.tools.policy.obfuscation import LOOKALIKES, canonical_term
from linernotes.tools.policy.pack import load_policy_pack

PACK = load_policy_pack("content-policy")


def hits(text: str) -> list[tuple[str, str]]:
    """(canonical term, exact matched text) for every hit in a one-field item."""
    return [(h.term, h.span.text) for h in lookup({"lyrics": text}, PACK).hits]


@pytest.mark.parametrize(("text", "term", "matched"), [
    ("oh FUCK", "fuck", "FUCK"),
    ("oh f4ck", "fack", "f4ck"),  # 4 reads as a: the lexicon's own "fack" spelling
    ("this is sh1t", "shit", "sh1t"),
    ("the @ss", "ass", "@ss"),
    ("total $hit", "shit", "$hit"),
    ("fuuuuuck it", "fuck", "fuuuuuck"),
    ("f.u.c.k that", "fuck", "f.u.c.k"),
    ("f-u-c-k that", "fuck", "f-u-c-k"),
    ("f u c k that", "fuck", "f u c k"),
    ("f*ck that", "fuck", "f*ck"),
    ("f**k that", "fuck", "f**k"),
    ("F*** all of them", "fuck", "F***"),
    ("sh*t happens", "shit", "sh*t"),
    ("what an a**hole", "asshole", "a**hole"),
    ("you b!tch", "bitch", "b!tch"),
    ("shiiiiit man", "shit", "shiiiiit"),
])
def test_obfuscated_spellings_are_found_with_their_exact_text(text: str, term: str, matched: str) -> None:
    found = hits(text)
    assert (term, matched) in found
    h = lookup({"lyrics": text}, PACK).hits[0]
    assert text[h.span.start:h.span.end] == h.span.text


@pytest.mark.parametrize("text", [
    "Scunthorpe United", "a classic track", "we assess the mix", "title track", "cocktail hour",
    "Penistone road", "the assassin's passage", "a grasshopper", "Dickens and Cockburn", "shiitake risotto",
    "Sussex", "therapist", "the assessor", "butterscotch",
])
def test_no_hits_inside_ordinary_words(text: str) -> None:
    assert hits(text) == []


def test_a_doubled_letter_is_not_read_as_stretching() -> None:
    # "fuuck" could be a typo of anything; stretching needs 3+ copies so "assess" never reads "asses"
    assert hits("fuuck") == []
    assert hits("fuuuck") == [("fuck", "fuuuck")]


def test_context_only_words_need_an_unambiguous_neighbour() -> None:
    assert hits("this song doesn't suck") == []
    assert hits("69 minutes of ambient") == []
    assert hits("in God we trust") == []
    both = hits("suck it, you stupid bitch")
    assert ("suck", "suck") in both and ("bitch", "bitch") in both


def test_ordinary_severity_zero_word_is_not_in_the_lexicon() -> None:
    assert hits("a gay rights anthem") == []


def test_hits_carry_clause_severity_and_field() -> None:
    report = lookup({"title": "Clean Title", "lyrics": "I will kill you, motherfucker"}, PACK)
    clauses = {h.clause_id: h for h in report.hits}
    assert set(clauses) == {"violence.threat", "profanity.general"}
    assert clauses["violence.threat"].policy_id == "harmful-content"
    assert clauses["profanity.general"].policy_id == "explicit-language"
    assert clauses["profanity.general"].severity == 4
    assert all(h.span.field == "lyrics" for h in report.hits)
    assert report.max_severity == 4


@pytest.mark.parametrize(("text", "clause"), [
    ("I want to kill myself", "self-harm"),
    ("she talked about self-harm", "self-harm"),
    ("smoking weed and getting high", "drugs.reference"),
    ("a line of cocaine", "drugs.reference"),
    ("I know where you live", "violence.threat"),
])
def test_harmful_content_phrases(text: str, clause: str) -> None:
    assert clause in {h.clause_id for h in lookup({"t": text}, PACK).hits}


# Session 23 phrases (curated.yaml): urging self-harm, a pipe bomb's making, exterminationist
# phrases, school-attack threats. Written as a catalog would carry them.
@pytest.mark.parametrize(("text", "clause"), [
    ("Nobody cares. Go kill yourself.", "self-harm"),
    ("slit your wrists, loser", "self-harm"),
    ("We walk you through how to build a pipe bomb", "illegal.malicious-use"),
    ("assemble a pipe-bomb in the shed", "illegal.malicious-use"),
    ("they are filthy vermin, every one of them", "hate.identity"),
    ("gas all the jews", "hate.identity"),
    ("I'm going to shoot up a school on Friday", "violence.threat"),
])
def test_session_23_harm_phrases(text: str, clause: str) -> None:
    assert clause in {h.clause_id for h in lookup({"t": text}, PACK).hits}


# QA session 23's misses of those phrases, and other spellings of the same harm (session 24)
@pytest.mark.parametrize(("text", "clause"), [
    ("just unalive yourself", "self-harm"),
    ("Go unalive yourself, nobody would notice", "self-harm"),
    ("some days I want to unalive myself", "self-harm"),
    ("assemble a pipebomb", "illegal.malicious-use"),
    ("how to build a pipebomb at home", "illegal.malicious-use"),
    ("step by step: making pipe-bombs from hardware store parts", "illegal.malicious-use"),
    ("Assembling a pipe-bomb in ten minutes", "illegal.malicious-use"),
    ("we make pipe bombs in the garage", "illegal.malicious-use"),
])
def test_session_23_missed_harm_phrases(text: str, clause: str) -> None:
    assert clause in {h.clause_id for h in lookup({"t": text}, PACK).hits}


@pytest.mark.parametrize("text", [
    "Unalive, the debut EP", "The word unalive and how platforms shape speech",
    "Pipe-bomb scare closes the station", "A pipebomb was found near the stadium, police said",
])
def test_unalive_and_pipebomb_alone_are_not_flagged(text: str) -> None:
    assert lookup({"t": text}, PACK).hits == []


# Everyday readings of words near those phrases; QA session 23 found the first version of the list
# flagging these (42 of 44 such texts), so the list keeps phrases with no such reading only.
@pytest.mark.parametrize("text", [
    "A true-crime episode about the pipe bomb found at the park in 1996",
    "Police found homemade explosives in the garage",
    "Prisoners were held in subhuman conditions",
    "Rats are vermin, the exterminator explains",
    "We are going to shoot the video in Lisbon",
    "White Power Cord Blues", "We test a phone charger with a white power adapter",
    "Go Back Where You Came From, the SBS documentary series",
    "How to make a bomb burrito", "How to build a bomb shelter in your basement",
    "Ministers vowed to cut deeper into public spending", "Don't cut yourself on the mandoline",
    "Read the fine print of your end your life insurance policy", "Fasting does not mean you starve yourself",
    "Out now on KYS Records", "I Will Murder the Dancefloor", "In 1965 Dow agreed to make napalm",
    "A history podcast on how the rallies staged the Sieg Heil salute",
    "Why would a child bring a gun to school? Pediatricians on safe storage",
])
def test_session_23_phrases_leave_the_ordinary_readings_alone(text: str) -> None:
    assert lookup({"t": text}, PACK).hits == []


def test_longest_term_wins() -> None:
    assert hits("you motherfucker") == [("motherfucker", "motherfucker")]


# --- property: spans are exact slices, and an injected obfuscated term is always found -------------

# a term that opens a context-only phrase ("pussy" in "pussy cat") may rightly lose to that phrase
_PHRASE_HEADS = {t.term.split()[0] for t in PACK.lexicon if t.context_only and " " in t.term}
_TERMS = sorted(t.term for t in PACK.lexicon
                if t.term.isalpha() and len(t.term) >= 3 and not t.context_only and t.term not in _PHRASE_HEADS)


def _runs(word: str) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    for ch in word:
        if out and out[-1][0] == ch:
            out[-1] = (ch, out[-1][1] + 1)
        else:
            out.append((ch, 1))
    return out


@st.composite
def obfuscated(draw: st.DrawFn) -> tuple[str, str]:
    """(term, a spelling of it a writer might use): case, leetspeak, stretching, punctuation, masks."""
    term = draw(st.sampled_from(_TERMS))

    def glyph(ch: str, maskable: bool) -> str:
        options = [ch, ch.upper(), *LOOKALIKES.get(ch, "")] + (["*", "#"] if maskable else [])
        return draw(st.sampled_from(options))

    if draw(st.booleans()):  # letters spaced out: "f u c k", "f.u.c.k"
        seps = st.sampled_from([" ", ".", "-", "_", " . ", "*", "/"])
        return term, "".join(glyph(ch, False) + (draw(seps) if i < len(term) - 1 else "") for i, ch in enumerate(term))
    parts = []
    for i, (ch, n) in enumerate(_runs(term)):
        count = draw(st.sampled_from([1, 3, 4, 6])) if n == 1 else n + draw(st.integers(0, 3))
        run = "".join(glyph(ch, i > 0) for _ in range(count))
        sep = draw(st.sampled_from(["", "", "", ".", "-", "_", "~"])) if i > 0 else ""
        parts.append(sep + run)
    return term, "".join(parts)


_filler = st.text(alphabet=st.sampled_from(list("abcdefghijklmnopqrstuvwxyz ABCXYZ.,!?'-\n0123456789é")),
                  max_size=40)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(before=_filler, injected=obfuscated(), after=_filler)
def test_property_spans_are_exact_and_injected_terms_found(before: str, injected: tuple[str, str],
                                                           after: str) -> None:
    _term, spelling = injected
    text = f"{before} {spelling} {after}"
    start, end = len(before) + 1, len(before) + 1 + len(spelling)
    report = lookup({"description": text}, PACK)
    for h in report.hits:
        assert h.span.field == "description"
        assert 0 <= h.span.start < h.span.end <= len(text)
        assert text[h.span.start:h.span.end] == h.span.text
    assert any(h.span.start < end and h.span.end > start for h in report.hits), (spelling, text)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=300))
def test_property_spans_are_exact_on_arbitrary_unicode(text: str) -> None:
    for h in lookup({"lyrics": text}, PACK).hits:
        assert text[h.span.start:h.span.end] == h.span.text


def test_every_lexicon_term_is_canonical_and_finds_itself() -> None:
    for t in PACK.lexicon:
        assert canonical_term(t.term) == t.term
        if not t.context_only:
            assert lookup({"t": f"x {t.term} y"}, PACK).hits, t.term


@pytest.mark.parametrize("text", ["Moby Dick (audiobook)", "Homo Sapiens Extraterrestrials", "Philip K. Dick",
                                  "Joey Negro Live And Direct", "a great tit in the garden",
                                  # music styles (QA session 22: hate.identity at severity 3, explicit.sexual)
                                  "Honky-tonk country waltz", "Honky Tonk Heart", "Saturday night honky tonks",
                                  "Laid-back reggae with offbeat skank guitar", "a ska skank at 150 bpm"])
def test_allowed_phrases_hide_the_term_inside(text: str) -> None:
    assert hits(text) == []


@pytest.mark.parametrize("text", [
    # idioms holding a threat phrase (QA session 23: "I will stab you in the back" flagged a threat)
    "I will stab you in the back", "she stabbed you in the back and smiled", "We'll shoot you an email",
    "I'll shoot you a text when the episode drops", "shoot you a DM", "It won't kill you to smile",
    "it wouldn't kill you to call your mother",
    # typographic apostrophes read as the ASCII one (phones and word processors write them)
    "It won\u2019t kill you to smile", "it wouldn\u02bct kill you to call"])
def test_idioms_holding_a_threat_phrase_are_not_threats(text: str) -> None:
    assert hits(text) == []


@pytest.mark.parametrize(("text", "term"), [
    ("I will stab you", "stab you"), ("I'm going to shoot you", "shoot you"), ("this won't kill you", "kill you"),
    ("you\u2019re dead", "youre dead"), ("f\u2019ck you", "fck you")])
def test_the_threats_and_terms_beside_those_idioms_stay(text: str, term: str) -> None:
    assert term in [t for t, _ in hits(text)]


def test_allowed_phrase_does_not_hide_the_same_word_elsewhere() -> None:
    assert hits("Moby Dick, you dick") == [("dick", "dick")]
    assert [t for t, _ in hits("a honky tonk song for you, dirty honky and you skank")] == ["honky", "skank"]


def test_the_unambiguous_tries_are_built_ahead_and_read_from_the_build_cache(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``prepare`` builds every letter's trie of unambiguous terms (a context-only hit reads
    them); a later process reads them from the build cache instead of running re's parser on
    them again (1.5 s of CPU per process for the 26 letters when each was compiled)."""
    from linernotes.tools.policy import lookup as module

    monkeypatch.setenv("LINER_BUILD_CACHE_DIR", str(tmp_path / "build"))
    monkeypatch.setattr(module, "_MATCHERS", {})
    module.prepare(PACK)
    letters = {e.term[0] for e in module._matcher(PACK).ranked if not e.context_only}
    first = module._matcher(PACK).strict
    assert letters <= set(first)
    expected = hits("suck it, you stupid bitch")

    parse = re._parser.parse

    def no_large_parse(pattern: object, *args: object, **kwargs: object) -> object:
        # fault injection: a trie (thousands of characters) may not go through re's parser again
        assert not (isinstance(pattern, str) and len(pattern) > 1000), "a trie was parsed again"
        return parse(pattern, *args, **kwargs)

    monkeypatch.setattr(re._parser, "parse", no_large_parse)
    monkeypatch.setattr(module, "_MATCHERS", {})  # as a new process: nothing built in memory
    module.prepare(PACK)
    again = module._matcher(PACK).strict
    for letter in letters:
        a, b = first[letter][0], again[letter][0]
        assert (a.pattern, a.flags, a.groups) == (b.pattern, b.flags, b.groups)
        assert first[letter][1] == again[letter][1]
    assert hits("suck it, you stupid bitch") == expected


# Apostrophe look-alikes (UTS #39 confusables of "'"): a left quote from autocorrect, a prime, an
# acute accent from a European keyboard, a backtick, the modifier letters; U+2019 / U+02BC were
# read as the ASCII one (1f8e90e), these were not: "it won`t kill you" flagged a threat and
# "you‘re dead" / "f´ck you" were no hit (review session 24)
APOSTROPHE_LIKES = ["\u2018", "\u201b", "\u2032", "\u2035", "\u00b4", "`", "\uff40", "\u02b9", "\u02bb", "\u02bd",
                    "\u02c8", "\u02ca", "\u02cb", "\u0384", "\u1fbd", "\u1fbf", "\uff07", "\u2019", "\u02bc"]


@pytest.mark.parametrize("apostrophe", APOSTROPHE_LIKES)
def test_apostrophe_look_alikes_read_as_the_ascii_one_inside_terms(apostrophe: str) -> None:
    assert hits(f"It won{apostrophe}t kill you to smile") == []  # the allow phrase
    text = f"you{apostrophe}re dead, f{apostrophe}ck you"
    found = [(h.term, h.span.text) for h in lookup({"lyrics": text}, PACK).hits]
    # the terms, each span the original slice (the look-alike kept)
    assert ("youre dead", f"you{apostrophe}re dead") in found and ("fck you", f"f{apostrophe}ck you") in found


def test_an_allowed_phrase_is_never_read_through_masks() -> None:
    """A writer masks a rude word, never an allowed phrase: 'skank.***' ('skanks' with its last
    letter masked) was read as the allow phrase 'skanking' masked and hidden (review session 24:
    hypothesis drew it for the property test below), as was the 'D**k' of 'Moby D**k'."""
    assert [span for _, span in hits("you skank.*** ok")] == ["skank.***"]
    assert [span for _, span in hits("you skank.**** ok")] == ["skank.****"]  # past the phrase's match
    assert [span for _, span in hits("you $kank.*** ok")] == ["$kank.***"]  # a look-alike first
    assert [span for _, span in hits("Moby D**k")] == ["D**k"]
    assert hits("offbeat skanking guitar") == [] and hits("Moby Dick, or the Whale") == []  # unmasked: allowed
    assert hits("skank-ing to the offbeat") == []  # inserted punctuation is no mask
