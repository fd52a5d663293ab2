"""Synthetic catalogs for tests and benchmarks: plausible, varied, deterministic rows, streamed to
disk so a 1M-row file never sits in memory."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

WORDS = ["night", "drive", "city", "lights", "ocean", "echo", "fire", "silver", "dream", "storm", "river",
         "dance", "heart", "machine", "summer", "ghost", "gold", "shadow", "signal", "garden"]
ARTISTS = ["Nova Lines", "The Quiet Hours", "DJ Meridian", "Aster", "Low Tide Club", "Kessler", "Marrow"]
GENRE_HINTS = ["techno", "house", "ambient", "jazz", "folk", "rock", "pop", "hip hop", "classical"]


def synthetic_rows(n: int, start: int = 0) -> Iterator[dict[str, Any]]:
    for i in range(start, start + n):
        w = [WORDS[(i * k + k) % len(WORDS)] for k in (1, 3, 7)]
        kind = "episode" if i % 10 == 9 else "track"
        row: dict[str, Any] = {"id": f"syn-{i:07d}", "type": kind, "title": f"{w[0].title()} {w[1].title()}",
                               "artist": ARTISTS[i % len(ARTISTS)], "year": 1970 + i % 55,
                               "description": f"A {GENRE_HINTS[i % len(GENRE_HINTS)]} piece about {w[2]} and {w[0]}."}
        if kind == "track":
            row["album"] = f"{w[2].title()} Sessions"
        yield row


def write_catalog(path: Path, n: int, extra_lines: list[str] | None = None) -> Path:
    """Write ``n`` synthetic rows as JSONL (plus raw ``extra_lines`` at the end, e.g. a bad row)."""
    with open(path, "w", encoding="utf-8") as fh:
        for row in synthetic_rows(n):
            fh.write(json.dumps(row) + "\n")
        for line in extra_lines or []:
            fh.write(line + "\n")
    return path
