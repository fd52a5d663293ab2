"""bm25s sets its own logger to DEBUG at import; with a root handler installed (Beam's
DirectRunner installs one, as does a user's ``logging.basicConfig``) every index built printed
'DEBUG:bm25s:Building index from tokens' on stderr (QA, session 13: four lines per
``liner tag --runner beam``)."""

from __future__ import annotations

import logging


def test_building_a_bm25_index_logs_nothing_below_warning(caplog):
    import bm25s

    import linernotes.tools.retrieval.taxonomy_index  # noqa: F401 (its import quiets bm25s)

    caplog.set_level(logging.DEBUG)
    bm25s.BM25().index(bm25s.tokenize(["dark techno", "calm piano"], show_progress=False), show_progress=False)
    assert [r.getMessage() for r in caplog.records if r.name.startswith("bm25s") and r.levelno < logging.WARNING] == []
