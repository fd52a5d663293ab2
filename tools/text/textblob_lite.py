"""TextBlob's English sentiment analyzer (``textblob.en.sentiment``) without importing the
``textblob`` package: its ``__init__`` imports ``textblob.blob``, which imports ``nltk``, whose
own ``__init__`` pulls in scipy.stats, scikit-learn and pandas (~1.7 s of CPU per process), none
of which the sentiment analyzer uses. The analyzer lives in two files that import only the
standard library (``textblob/_text.py`` and ``textblob/en/__init__.py``); they are run here from
the installed package's own files, unchanged, so the lexicon, negations, modifiers and tokenizer
are TextBlob's by construction (``tests/tools/test_text_valence.py`` checks the scores equal the
package import's on the gold texts).

Errors: none raised; if the files are not laid out as expected (another textblob), the package
is imported the ordinary way.
"""

from __future__ import annotations

import builtins
import importlib.util
import types
from pathlib import Path
from typing import Any

_TEXT = "textblob._text"


def english_sentiment() -> Any:
    """``textblob.en.sentiment``: a callable ``(text) -> (polarity, subjectivity)`` whose result
    also has ``.assessments``. Loads the lexicon lazily, as TextBlob does."""
    try:
        return _from_files()
    except Exception:  # noqa: BLE001 (any other layout: the ordinary import, which is always right)
        from textblob.en import sentiment

        return sentiment


def _from_files() -> Any:
    spec = importlib.util.find_spec("textblob")  # finds the folder; does not run its __init__
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("textblob is not installed")
    root = Path(next(iter(spec.submodule_search_locations)))
    text_spec = importlib.util.spec_from_file_location(f"{__name__}._text", root / "_text.py")
    if text_spec is None or text_spec.loader is None:
        raise ImportError(f"{root}: no _text.py")
    text = importlib.util.module_from_spec(text_spec)
    text_spec.loader.exec_module(text)

    def _import(name: str, globals_: Any = None, locals_: Any = None, fromlist: Any = (), level: int = 0) -> Any:
        # en/__init__.py's only package import is "from textblob._text import ..."
        if name == _TEXT and level == 0:
            return text
        return builtins.__import__(name, globals_, locals_, fromlist, level)

    en_file = root / "en" / "__init__.py"
    en = types.ModuleType(f"{__name__}._en")
    en.__file__ = str(en_file)
    en.__dict__["__builtins__"] = {**vars(builtins), "__import__": _import}
    exec(compile(en_file.read_text(encoding="utf-8"), str(en_file), "exec"), en.__dict__)  # noqa: S102
    return en.sentiment
