"""Typed audio failures: each names the file and what is wrong with it."""

from __future__ import annotations


class AudioError(Exception):
    kind = "audio.error"

    def __init__(self, path: str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class AudioMissing(AudioError):
    kind = "audio.missing"


class AudioOutsideRoot(AudioError):
    kind = "audio.outside_root"


class AudioUnreadable(AudioError):
    kind = "audio.unreadable"


class AudioCorrupt(AudioError):
    kind = "audio.corrupt"


class AudioEmpty(AudioError):
    kind = "audio.empty"


class AudioSilent(AudioError):
    kind = "audio.silent"


class AudioTooLong(AudioError):
    kind = "audio.too_long"
