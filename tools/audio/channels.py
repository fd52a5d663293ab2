"""Which loudspeaker each channel of a file feeds, and its ITU-R BS.1770-4 loudness weight.

How the order is known, in this order of precedence:
1. A WAV file in ``WAVE_FORMAT_EXTENSIBLE`` carries ``dwChannelMask`` in its ``fmt `` chunk
   (Microsoft, "Multiple channel audio data and WAVE files", KSAUDIO_SPEAKER_*): the channels are
   stored in the order of the mask's set bits. It is read from the header here because libsndfile
   (and so ``soundfile``) does not expose it.
2. Otherwise the container's default order for the channel count: for Ogg (Vorbis and Opus) the
   Vorbis I specification, section 4.3.9 (e.g. 5.1 is L C R Ls Rs LFE); for everything else
   (WAV without a mask, FLAC, MP3, AIFF, ...) the SMPTE / WAV order that the FLAC format also
   prescribes (RFC 9639, section 9.1.3): 1 mono; 2 L R; 3 L R C; 4 L R Ls Rs; 5 L R C Ls Rs;
   6 L R C LFE Ls Rs; 7 L R C LFE Cs Ls Rs; 8 L R C LFE Ls Rs Lss Rss.
3. Beyond 8 channels without a mask the layout is unknown: every channel is weighted 1.0.

Weights (BS.1770-4, section 2 and table 4): 1.0 for front channels (L, R, C and any other channel
that is not a surround), 1.41 (+1.5 dB) for the surround channels (Ls, Rs: azimuth 60-120 degrees,
elevation under 30), and the LFE channel is excluded (weight 0). In a 7.1 layout the side pair is
the surround pair and the back pair (around 150 degrees) weighs 1.0; in 5.1 the "back" mask bits
are the 5.1 surrounds (ITU-R BS.775 places them at 110 degrees), so they weigh 1.41.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

FRONT, SURROUND, LFE = 1.0, 1.41, 0.0

# dwChannelMask bits in order (SPEAKER_FRONT_LEFT = 0x1, ...), with short names
MASK_SPEAKERS = ("FL", "FR", "FC", "LFE", "BL", "BR", "FLC", "FRC", "BC", "SL", "SR",
                 "TC", "TFL", "TFC", "TFR", "TBL", "TBC", "TBR")
DEFAULT_LAYOUTS = {  # SMPTE / WAV / FLAC default order per channel count, as mask names
    1: ("FC",), 2: ("FL", "FR"), 3: ("FL", "FR", "FC"), 4: ("FL", "FR", "BL", "BR"),
    5: ("FL", "FR", "FC", "BL", "BR"), 6: ("FL", "FR", "FC", "LFE", "BL", "BR"),
    7: ("FL", "FR", "FC", "LFE", "BC", "SL", "SR"), 8: ("FL", "FR", "FC", "LFE", "BL", "BR", "SL", "SR"),
}
_VORBIS = {  # Vorbis I spec 4.3.9 (also Opus mapping family 1)
    1: ("FC",), 2: ("FL", "FR"), 3: ("FL", "FC", "FR"), 4: ("FL", "FR", "BL", "BR"),
    5: ("FL", "FC", "FR", "BL", "BR"), 6: ("FL", "FC", "FR", "BL", "BR", "LFE"),
    7: ("FL", "FC", "FR", "SL", "SR", "BC", "LFE"), 8: ("FL", "FC", "FR", "SL", "SR", "BL", "BR", "LFE"),
}
_HEADER_BYTES = 1 << 16  # the fmt chunk precedes the data chunk, near the start


def wav_channel_mask(path: Path) -> int | None:
    """``dwChannelMask`` of a WAVE_FORMAT_EXTENSIBLE file (RIFF, RF64 or BW64), else None."""
    try:
        with open(path, "rb") as f:
            head = f.read(_HEADER_BYTES)
    except OSError:
        return None
    if len(head) < 12 or head[:4] not in (b"RIFF", b"RF64", b"BW64") or head[8:12] != b"WAVE":
        return None
    pos = 12
    while pos + 8 <= len(head):
        cid, size = head[pos:pos + 4], struct.unpack_from("<I", head, pos + 4)[0]
        if cid == b"fmt ":
            body = head[pos + 8:pos + 8 + size]
            if len(body) >= 24 and struct.unpack_from("<H", body, 0)[0] == 0xFFFE:
                mask = struct.unpack_from("<I", body, 20)[0]
                return mask or None  # 0 means "no particular assignment"
            return None
        pos += 8 + size + (size & 1)  # chunks are word-aligned
    return None


def channel_layout(path: Path, n_channels: int, container: str) -> tuple[str, ...] | None:
    """Speaker name of each channel (``MASK_SPEAKERS`` names), or None when it cannot be known.

    ``container`` is libsndfile's major format name (``soundfile.SoundFile.format``: "WAV",
    "WAVEX", "FLAC", "OGG", "MPEG", ...).
    """
    mask = wav_channel_mask(path) if container in ("WAV", "WAVEX", "RF64", "W64") else None
    if mask is not None:
        named = tuple(name for bit, name in enumerate(MASK_SPEAKERS) if mask >> bit & 1)
        if len(named) >= n_channels:
            return named[:n_channels]
        # fewer mask bits than channels: the extra channels have no position (the spec's rule)
        return named + ("",) * (n_channels - len(named))
    table = _VORBIS if container == "OGG" else DEFAULT_LAYOUTS
    return table.get(n_channels)


def bs1770_weights(layout: tuple[str, ...] | None, n_channels: int) -> np.ndarray:
    """BS.1770-4 weight of each channel (float64, shape (n_channels,)); 1.0 each when unknown."""
    if layout is None:
        return np.ones(n_channels)
    has_sides = "SL" in layout or "SR" in layout
    surround = {"SL", "SR"} if has_sides else {"BL", "BR"}
    return np.array([LFE if s == "LFE" else SURROUND if s in surround else FRONT for s in layout])
