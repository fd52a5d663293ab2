"""py3langid's identifier, loaded from a decompressed copy of its model kept in the user's cache.

py3langid ships its model as ``model.npz.xz`` (4.5 MB); each process LZMA-decompresses it
(68 MB, ~0.4 s of CPU) before the first guess. The decompressed ``.npz`` is written once to
``disk_cache``'s ``langid`` folder, named by the sha256 of the shipped file and the py3langid
version, and read back with ``allow_pickle=False`` (~0.07 s); the arrays are turned into the
identifier exactly as ``LanguageIdentifier.from_model_file`` does.

Errors: none raised. A miss, a truncated or corrupt copy (zip CRC), an unwritable cache folder,
or a py3langid laid out otherwise all fall back silently to ``from_model_file``; a miss or a bad
copy writes a good one.
"""

from __future__ import annotations

import contextlib
import lzma
import shutil
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

from linernotes.llm.cache import file_digest
from linernotes.tools.disk_cache import cache_file, write_atomic


def load_identifier() -> Any:
    """``LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)``, from the cached copy
    when there is a good one."""
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    shipped = Path(MODEL_DIR) / MODEL_FILE
    try:
        copy = cache_file("langid", [version("py3langid"), file_digest(shipped)], ".npz")
    except Exception:  # noqa: BLE001 (no metadata, an unreadable model: the library's own way)
        return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    with contextlib.suppress(Exception):  # a miss or a bad copy: (re)write it below
        return _from_npz(copy, LanguageIdentifier)
    try:
        write_atomic(copy, lambda fh: _decompress(shipped, fh))
        return _from_npz(copy, LanguageIdentifier)
    except Exception:  # noqa: BLE001 (caching is only a saving: the library's own way)
        return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def _decompress(shipped: Path, fh: Any) -> None:
    with lzma.open(shipped) as src:
        shutil.copyfileobj(src, fh, length=1 << 20)


def _from_npz(path: Path, identifier: Any) -> Any:
    """What ``py3langid.modelio.load_model`` and ``from_model_file`` do after decompressing."""
    from py3langid.modelio import _to_array

    with np.load(path, allow_pickle=False) as data:
        ptc, pc, classes = data["ptc"], data["pc"], data["classes"].tolist()
        nextmove, row, output = _to_array(data["nextmove"]), _to_array(data["nextmove_row"]), data["out_feat"].tolist()
    return identifier(np.asarray(ptc), np.asarray(pc), classes, nextmove, output, norm_probs=True, tk_row=row)
