"""Where an audio path really points, and whether the tool may open it.

Symlinks are resolved before the root check so a link inside the root cannot smuggle in a file
outside it. With a root, a relative path is taken relative to the root (the root is a sandbox).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from linernotes.tools.audio.errors import AudioMissing, AudioOutsideRoot, AudioUnreadable


def resolve_audio_path(path: str | Path, allowed_root: str | Path | None = None, name: str | None = None) -> Path:
    """The real path of a regular file, or a typed error naming the file (as ``name``, default
    ``str(path)``) and the reason."""
    name = str(path) if name is None else name
    p = Path(path).expanduser()
    try:
        if allowed_root is not None:
            root = Path(allowed_root).expanduser().resolve()
            full = (p if p.is_absolute() else root / p).resolve()
            if not full.is_relative_to(root):
                # relative to the root, never the absolute folders: the message reaches the
                # service's HTTP clients, who must not learn the server's file layout
                raise AudioOutsideRoot(name, f"resolves outside the allowed root, to {os.path.relpath(full, root)} "
                                             "from it (--audio-root sets the root; default: the catalog's folder)")
            p = full
        else:
            p = p.resolve()
    except RuntimeError:  # Path.resolve() on a symlink loop (Python < 3.13)
        raise AudioUnreadable(name, "symlink loop") from None
    try:
        st = p.stat()
    except FileNotFoundError:
        raise AudioMissing(name, "no such file") from None
    except OSError as e:  # permission denied on a parent folder, symlink loop, ...
        raise AudioUnreadable(name, e.strerror or str(e)) from None
    if not stat.S_ISREG(st.st_mode):
        what = "a directory" if stat.S_ISDIR(st.st_mode) else "not a regular file (fifo, device or socket)"
        raise AudioUnreadable(name, f"is {what}")
    return p
