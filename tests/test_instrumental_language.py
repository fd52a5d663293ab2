"""A track whose own words say it has no vocals gets language ``zxx`` (no linguistic content), never
the language of its description; spoken items (episodes, chapters) always keep a spoken language.

The packs, the tools and the shipped fusion artifact are real; ``--llm always`` uses the recording
test double of ``test_cascade`` (it answers the first enum value: language "en").
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from linernotes.agents.graph import build_graph
from linernotes.agents.runtime import build_runtime
from linernotes.config import TagConfig
from linernotes.schema import Item
from linernotes.tools.text.vocals import no_vocals_cue

from .test_cascade import RecordingLLM

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "catalog.jsonl"


def _record(item: Item, mode: str = "never") -> Any:
    rt = build_runtime(TagConfig(llm_mode=mode), llm=RecordingLLM())
    return asyncio.run(build_graph(rt).ainvoke({"item": item}))["enrichment"]


def _example(item_id: str) -> Item:
    rows = [json.loads(line) for line in EXAMPLE.read_text().splitlines() if line.strip()]
    row = next(r for r in rows if r["id"] == item_id)
    return Item.model_validate({k: v for k, v in row.items() if k != "audio_path"})


PIANO = _example("trk-002")  # "Melancholic ambient piano piece, ...": no lyrics, no catalog language
TAGGED = Item(id="t-tags", title="Night Drive", description="Warm analog pads for late-night highway cruising.",
              extra={"tags": ["synthwave", "instrumental"]})
TITLED = Item(id="t-title", title="Block Party (Instrumental)",
              description="Upbeat hip hop beat with a funky bass line, made for the summer.")
EPISODE = Item(id="e-instr", type="episode", title="Why Instrumental Music Helps You Focus",
               description="We talk about instrumental music, focus and how to build a study playlist.")
SONG = Item(id="t-song", title="Campfire Song",
            description="Acoustic folk ballad with banjo and harmonies and a long instrumental break.")


@pytest.mark.parametrize("item", [PIANO, TAGGED, TITLED], ids=lambda i: i.id)
def test_a_track_its_own_words_call_instrumental_has_no_lyrics_language(item: Item) -> None:
    e = _record(item)
    assert e.language == "zxx", "an instrumental has no linguistic content; its description's language is no lyrics'"
    assert e.evidence["no_vocals"]["text"].lower() in " ".join(
        [item.title or "", item.description or "", *item.extra.get("tags", [])]).lower(), \
        "the record quotes the words that made it zxx"
    assert e.confidence.language >= 0.5 and not any("language" in r for r in e.review.reasons)


def test_the_llm_cannot_give_an_instrumental_a_language() -> None:
    e = _record(PIANO, "always")
    assert e.draft["language"] == "en", "the test double answers a language"
    assert e.language == "zxx"


def test_a_podcast_episode_always_has_a_spoken_language() -> None:
    e = _record(EPISODE)
    assert e.language == "en" and "no_vocals" not in e.evidence


def test_a_track_with_vocals_keeps_its_language() -> None:
    """Harmonies are vocals, whatever the description says about a break; lyrics are vocals."""
    assert _record(SONG).language == "en"
    with_lyrics = TITLED.model_copy(update={"lyrics": "Hands up, everybody jump, dancing till the sun comes out"})
    e = _record(with_lyrics)
    assert e.language == "en" and "no_vocals" not in e.evidence


def test_a_track_with_no_text_stays_undetermined() -> None:
    e = _record(Item(id="t-bare", title="Drift"))
    assert e.language == "und" and "no_vocals" not in e.evidence
    assert not any("language" in r for r in e.review.reasons), "an abstention is not a review reason"


def test_the_catalog_tag_stands() -> None:
    """The catalog's own tag is the catalog's word: a cue does not overrule it."""
    assert _record(TAGGED.model_copy(update={"language": "sv"})).language == "sv"


@pytest.mark.parametrize("fields, extra, cue", [
    ({"description": "A song with no vocals at all."}, None, "no vocals"),
    ({"description": "Solo piano, recorded at home."}, None, "Solo piano"),
    ({"title": "Rain", "description": "Wordless ambient drones."}, None, "Wordless"),
    ({"title": "Rain"}, {"tags": "ambient, instrumental"}, "instrumental"),
    ({"description": "Soul singer with an instrumental break."}, None, None),
    ({"description": "Instrumental hip hop with rapped verses."}, None, None),
    ({"description": "An instrumental.", "lyrics": "la la la"}, None, None),
    ({"description": "Dreamy synthwave for late nights."}, None, None),
    ({"description": "Instrumentals only, no vocals."}, None, "Instrumentals"),
])
def test_no_vocals_cue(fields: dict[str, str], extra: dict[str, Any] | None, cue: str | None) -> None:
    found = no_vocals_cue(fields, extra)
    assert (found.text if found else None) == cue
