"""Which audio file ``/audio`` may serve, and as what.

Only files that are audio by every test: inside the audio root, no dot-named part on the way
(dotfiles, ``.git``), not the review store or its journal, an extension of ``AUDIO_TYPES``, and a
file libsndfile opens as that very format with at least one frame. The response's type comes from
this table, never from a guess, so an ``.html`` or ``.js`` planted next to the audio is never
served from the review origin (where it would pass ``script-src 'self'``).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from pathlib import Path

# extension -> (libsndfile major formats it must decode as, the Content-Type sent)
AUDIO_TYPES: dict[str, tuple[frozenset[str], str]] = {
    ".wav": (frozenset({"WAV", "WAVEX", "RF64"}), "audio/wav"),
    ".flac": (frozenset({"FLAC"}), "audio/flac"),
    ".ogg": (frozenset({"OGG"}), "audio/ogg"),
    ".oga": (frozenset({"OGG"}), "audio/ogg"),
    ".opus": (frozenset({"OGG"}), "audio/ogg"),
    ".mp3": (frozenset({"MP3", "MPEG"}), "audio/mpeg"),
}
STORE_SUFFIXES = ("", "-wal", "-shm", "-journal")


def audio_root_problem(root: str | Path | None) -> str | None:
    """Why ``--audio-root`` cannot be the folder audio is served from ('--audio-root X: no such
    folder ...'), or None (none given, or a folder). ``liner review build`` keeps it in the store
    and ``serve`` uses it: a missing one made every item's audio a silent 404."""
    if root is None or Path(root).is_dir():
        return None
    what = "not a folder" if Path(root).exists() else "no such folder"
    return f"--audio-root {root}: {what} (audio paths must resolve inside it)"


@lru_cache(maxsize=4096)
def _decodes_as(path: str, mtime_ns: int, size: int, formats: frozenset[str]) -> bool:
    """libsndfile opens the file as one of ``formats`` and finds frames (cached per file version)."""
    import soundfile as sf

    try:
        info = sf.info(path)
    except Exception:  # noqa: BLE001 - libsndfile raises several types; any of them means "not audio"
        return False
    return info.format in formats and info.frames > 0 and info.samplerate > 0


def _existing(root: Path, audio_path: str) -> Path | None:
    """The resolved file ``audio_path`` names under ``root``, as given or in the other Unicode
    normalisation form (macOS writes names in NFD, most Linux tools in NFC), else None."""
    for form in dict.fromkeys((audio_path, unicodedata.normalize("NFC", audio_path),
                               unicodedata.normalize("NFD", audio_path))):
        try:
            return (root / form).resolve(strict=True)
        except (OSError, RuntimeError):
            continue
    return None


def servable_audio(root: Path, audio_path: str, store: Path | None = None) -> tuple[Path, str] | None:
    """(file, content type) when ``audio_path`` (relative to ``root``) may be served, else None."""
    if not isinstance(audio_path, str) or not audio_path or "\x00" in audio_path:
        return None
    if any(part.startswith(".") for part in Path(audio_path).parts if part not in ("/",)):
        return None  # dotfiles and dot-folders; '..' too (a resolved path is checked below as well)
    root = root.resolve()
    full = _existing(root, audio_path)
    if full is None:
        return None
    if not full.is_relative_to(root) or not full.is_file():
        return None
    if any(part.startswith(".") for part in full.relative_to(root).parts):
        return None  # a symlink that lands on a dotfile
    if store is not None:
        s = store.resolve()
        if any(full == s.with_name(s.name + suffix) for suffix in STORE_SUFFIXES):
            return None
    kind = AUDIO_TYPES.get(full.suffix.lower())
    if kind is None:
        return None
    st = full.stat()
    if not _decodes_as(str(full), st.st_mtime_ns, st.st_size, kind[0]):
        return None
    return full, kind[1]
