"""Whether a music item's own metadata says it has no vocals (an instrumental): the words that say so.

Why: a track's ``language`` is the language of its lyrics. Without lyrics or a catalog tag the
only text is the editor's description, and language id on it names the language the description
is written in; for an instrumental that is a lyrics language the track does not have (the right
tag is ``zxx``, ISO 639-2 "no linguistic content"). The audio tools cannot tell: their
``speech_ratio`` separates talk from music, and sung vocals are music to it (0.0 on a song).

Pure function over the item's text fields and string (or list-of-string) extra columns such as
``tags``; lyrics are never read (an item with lyrics has vocals). A description that names vocals
anywhere ("vocals", "sung", "rap", "harmonies", ...) is never called instrumental, whatever else
it says ("instrumental break" in a song's description).
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel

from linernotes.tools.text.plain import plain

# Words that say the whole recording has no vocals. A solo instrument's "piece"/"solo"/étude names an
# instrumental composition ("an ambient piano piece"); "wordless" vocals carry no language either.
_INSTRUMENTS = r"piano|guitar|cello|violin|viola|organ|harp|harpsichord|synth|synthesizer|string|strings|flute|sax"
NO_VOCALS = re.compile(
    r"\b(?:instrumentals?|no vocals?|without vocals?|vocal-?free|no lyrics|without lyrics|wordless"
    rf"|(?:{_INSTRUMENTS}) (?:piece|solo|etude|étude|nocturne|sonata|prelude)s?"
    rf"|solo (?:{_INSTRUMENTS}))\b", re.IGNORECASE)
# Words that say there are vocals: any one of them, and the item is not called instrumental.
VOCALS = re.compile(
    r"\b(?:vocals?|vocalists?|sings?|singing|singers?|sung|songwriters?|lyrics?|lyrical|raps?|rapping|rappers?"
    r"|verses?|chorus|choir|harmon(?:y|ies)|voices?|a cappella|acapella|spoken)\b", re.IGNORECASE)
# "no vocals" and "without lyrics" name vocals to deny them: they must not count as a vocals cue
_DENIED = re.compile(r"\b(?:no|without|vocal-?free|wordless)\s+(?:vocals?|lyrics)\b|\bvocal-?free\b", re.IGNORECASE)
# the item fields read (lyrics excluded: they are vocals)
FIELDS = ("title", "album", "description")


class NoVocalsCue(BaseModel):
    """``text``, found in ``field`` (an item field or an extra column's name), says the item has no vocals
    (the words as read through ``tools.text.plain``: without invisible characters, plain letters)."""

    field: str
    text: str


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [v for v in value if isinstance(v, str)]
    return []


def no_vocals_cue(fields: dict[str, str], extra: dict[str, Any] | None = None) -> NoVocalsCue | None:
    """The first words of ``fields`` (an item's text fields; only title, album and description
    are read) or of ``extra``'s string or list-of-string values that say the recording has no
    vocals; None when none does, when ``fields`` hold lyrics, or when any of those texts names
    vocals. Read through ``plain``, as every word-list tool: "vo\u00adcals" hid the vocals cue and
    called a song instrumental (language zxx), "ｉｎｓｔｒｕｍｅｎｔａｌ" hid the cue itself."""
    if fields.get("lyrics"):
        return None
    texts = [(name, plain(fields[name])) for name in FIELDS if fields.get(name)]
    texts += [(str(k), plain(s)) for k, v in (extra or {}).items() for s in _strings(v)]
    if any(VOCALS.search(_DENIED.sub(" ", text)) for _, text in texts):
        return None
    for name, text in texts:
        m = NO_VOCALS.search(text)
        if m:
            return NoVocalsCue(field=name, text=m.group(0))
    return None
