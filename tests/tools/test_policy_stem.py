"""The clause search's stemmer (``tools.policy.snowball_en``, NLTK's English Snowball copied so
nltk need not be imported): the same stem as ``nltk``'s ``SnowballStemmer("english")`` for every
word of the gold texts and of the shipped policy pack, and the clause search no longer imports
nltk (whose import pulls in scipy.stats, scikit-learn and pandas: ~1.7 s)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from importlib import resources
from pathlib import Path

from linernotes.tools.policy.snowball_en import EnglishStemmer

_WORD = re.compile(r"[^\W\d_]+")
EDGES = ["", "a", "ab", "y", "yy", "'s", "s'", "dying", "skies", "news", "generously", "communication",
         "commun", "arsenal", "succeeded", "innings", "ééé", "naïve", "fiancées", "Running", "HOPING", "yay",
         "sayings", "eyes", "bye", "enjoyed", "emergency", "organization", "university", "paste", "added"]


def _vocabulary(shared_data: Path) -> list[str]:
    words: set[str] = set()
    for name in ("vader-multirater.dev.jsonl", "policy-prompts.dev.jsonl", "bandcamp-tracks.dev.jsonl"):
        for line in (shared_data / "gold" / name).read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            for key in ("text", "artist", "track", "album", "labelname", "tags"):
                if isinstance(row.get(key), str):
                    words.update(_WORD.findall(row[key].lower()))
    for pack in ("content-policy.yaml", "curated.yaml"):
        text = resources.files("linernotes.packs").joinpath("policy", pack).read_text(encoding="utf-8")
        words.update(_WORD.findall(text.lower()))
    return sorted(words)


def test_stems_are_nltks_on_the_gold_and_pack_vocabulary(shared_data: Path) -> None:
    from nltk.stem.snowball import SnowballStemmer

    reference, ours = SnowballStemmer("english"), EnglishStemmer()
    words = _vocabulary(shared_data)
    assert len(words) > 20_000
    words += EDGES + [w.upper() for w in words[:3000]] + [w.title() for w in words[-3000:]]
    differ = [(w, reference.stem(w), ours.stem(w)) for w in words if reference.stem(w) != ours.stem(w)]
    assert not differ, differ[:20]


def test_clause_search_does_not_import_nltk() -> None:
    code = ("import sys; from linernotes.tools.policy.clauses import relevant_clauses;"
            "from linernotes.tools.policy.pack import load_policy_pack;"
            "found = relevant_clauses('he threatened them with a knife', load_policy_pack('content-policy'), 3);"
            "print(found[0].id, 'nltk' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True)
    assert out.stdout.split() == ["violence.threat", "False"]
