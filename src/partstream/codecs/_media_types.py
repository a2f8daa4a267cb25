"""Media types of file bytes: provider-utils' ``detectMediaType`` and helpers (sans-IO).

The tables and the algorithm follow ``@ai-sdk/provider-utils`` 5.0.81
(``detect-media-type.ts``, ``resolve-full-media-type.ts``), entry for entry and
in order; ``tests/reference/test_reference_media_types.py`` compares both with it in
Node. This module replaced two copies: the UI prompt's image table (already
5.0.81's) and the Interactions input's older tables, which took "GIF" for
GIF87a/GIF89a and "BM" for a BMP (whose bytes 6 to 9 are zero), fixed the
AVIF/HEIC box size at 0x20, had no AAC ADTS signatures, and read invalid base64
as "no match" (where ``atob`` throws) after dropping any Unicode whitespace, or,
after an ID3 tag, failed with an ``IndexError``.

* A media type is a full ``type/subtype`` or only its top-level segment
  (``image``, ``image/*``, ``image/``): :func:`is_full_media_type`,
  :func:`top_level_media_type`.
* :func:`detect_media_type` sniffs the magic numbers at the start of raw bytes
  or base64 text: the first 18 bytes, or, after an ID3v2 tag (an MP3's), the
  bytes right after the tag, up to a 128 KiB tag. Signatures are tried in table
  order and the first match wins; with a top-level segment only that segment's
  table is used (the ``application`` table is PDF only; ``audio`` ends with MP4,
  which the all-tables search calls ``video/mp4``).
* :func:`resolve_full_media_type` completes a top-level-only media type of
  inline bytes from them (the Interactions input conversion does).

Callers: the Interactions input conversion (``codecs/interactions/_input_blocks.py``,
``resolveFullMediaType``) and the UI prompt conversion (``ui/_model_prompt.py``,
``convertToLanguageModelPrompt``'s ``detectMediaType({topLevelType: 'image'})``).
"""

from __future__ import annotations

from typing import Final

from partstream.errors import InvalidArgumentError, UnsupportedFunctionalityError

from ._base64 import base64_to_bytes

__all__ = [
    "ID3_SCAN_BYTES",
    "MAX_ID3_TAG_BYTES",
    "SNIFF_BYTES",
    "Signature",
    "detect_media_type",
    "is_full_media_type",
    "resolve_full_media_type",
    "signatures_for",
    "top_level_media_type",
]

#: ``(media type, byte prefix)``; ``None`` in the prefix matches any byte.
Signature = tuple[str, tuple[int | None, ...]]

_ANY: Final = None
_IMAGE: Final[tuple[Signature, ...]] = (
    ("image/gif", (0x47, 0x49, 0x46, 0x38, 0x37, 0x61)),  # GIF87a
    ("image/gif", (0x47, 0x49, 0x46, 0x38, 0x39, 0x61)),  # GIF89a
    ("image/png", (0x89, 0x50, 0x4E, 0x47)),
    ("image/jpeg", (0xFF, 0xD8)),
    # "RIFF", the file size, "WEBP"
    ("image/webp", (0x52, 0x49, 0x46, 0x46, _ANY, _ANY, _ANY, _ANY, 0x57, 0x45, 0x42, 0x50)),
    # "BM", the file size, then the two reserved 16-bit fields, zero
    ("image/bmp", (0x42, 0x4D, _ANY, _ANY, _ANY, _ANY, 0x00, 0x00, 0x00, 0x00)),
    ("image/tiff", (0x49, 0x49, 0x2A, 0x00)),  # little-endian
    ("image/tiff", (0x4D, 0x4D, 0x00, 0x2A)),  # big-endian
    # ISO BMFF: a box size (any low byte), "ftyp", the brand
    ("image/avif", (0x00, 0x00, 0x00, _ANY, 0x66, 0x74, 0x79, 0x70, 0x61, 0x76, 0x69, 0x66)),
    ("image/heic", (0x00, 0x00, 0x00, _ANY, 0x66, 0x74, 0x79, 0x70, 0x68, 0x65, 0x69, 0x63)),
)
_DOCUMENT: Final[tuple[Signature, ...]] = (("application/pdf", (0x25, 0x50, 0x44, 0x46)),)
_AUDIO_WITHOUT_MP4: Final[tuple[Signature, ...]] = (
    ("audio/aac", (0xFF, 0xF0)),  # MPEG-4 ADTS with CRC
    ("audio/aac", (0xFF, 0xF1)),  # MPEG-4 ADTS without CRC
    ("audio/aac", (0xFF, 0xF8)),  # MPEG-2 ADTS with CRC
    ("audio/aac", (0xFF, 0xF9)),  # MPEG-2 ADTS without CRC
    ("audio/mpeg", (0xFF, 0xFB)),
    ("audio/mpeg", (0xFF, 0xFA)),
    ("audio/mpeg", (0xFF, 0xF3)),
    ("audio/mpeg", (0xFF, 0xF2)),
    ("audio/mpeg", (0xFF, 0xE3)),
    ("audio/mpeg", (0xFF, 0xE2)),
    # "RIFF", the file size, "WAVE"
    ("audio/wav", (0x52, 0x49, 0x46, 0x46, _ANY, _ANY, _ANY, _ANY, 0x57, 0x41, 0x56, 0x45)),
    ("audio/ogg", (0x4F, 0x67, 0x67, 0x53)),
    ("audio/flac", (0x66, 0x4C, 0x61, 0x43)),
    ("audio/aac", (0x40, 0x15, 0x00, 0x00)),
    ("audio/webm", (0x1A, 0x45, 0xDF, 0xA3)),
)
_MP4: Final = (0x00, 0x00, 0x00, _ANY, 0x66, 0x74, 0x79, 0x70)  # a box size, "ftyp"
_AUDIO: Final[tuple[Signature, ...]] = (*_AUDIO_WITHOUT_MP4, ("audio/mp4", _MP4))
_VIDEO: Final[tuple[Signature, ...]] = (
    ("video/mp4", _MP4),
    ("video/webm", (0x1A, 0x45, 0xDF, 0xA3)),  # EBML
    ("video/quicktime", (0x00, 0x00, 0x00, 0x14, 0x66, 0x74, 0x79, 0x70, 0x71, 0x74)),  # ftypqt
    ("video/x-msvideo", (0x52, 0x49, 0x46, 0x46)),  # RIFF (AVI)
)
# Without a top-level segment: every table, MP4 as video (ftyp alone cannot tell).
_ALL: Final[tuple[Signature, ...]] = (*_IMAGE, *_DOCUMENT, *_AUDIO_WITHOUT_MP4, *_VIDEO)
_BY_TOP_LEVEL: Final[dict[str, tuple[Signature, ...]]] = {
    "image": _IMAGE,
    "audio": _AUDIO,
    "video": _VIDEO,
    "application": _DOCUMENT,
}

#: Bytes looked at when there is no ID3 tag.
SNIFF_BYTES: Final = 18
_MAX_SIGNATURE_BYTES: Final = max(len(prefix) for _, prefix in _ALL + _AUDIO)
#: The largest ID3v2 tag (10-byte header and body) skipped to reach the audio frame.
MAX_ID3_TAG_BYTES: Final = 128 * 1024
#: Bytes decoded when an ID3 tag is present: the tag plus room for a signature.
ID3_SCAN_BYTES: Final = MAX_ID3_TAG_BYTES + _MAX_SIGNATURE_BYTES


def top_level_media_type(media_type: str) -> str:
    """``getTopLevelMediaType``: the segment before ``/`` (the whole string without one)."""
    return media_type.partition("/")[0]


def is_full_media_type(media_type: str) -> bool:
    """``isFullMediaType``: ``type/subtype`` with a subtype that is neither empty nor ``*``."""
    _, slash, subtype = media_type.partition("/")
    return bool(slash) and subtype not in ("", "*")


def signatures_for(top_level: str | None) -> tuple[Signature, ...]:
    """The signatures tried for ``top_level`` (every table for ``None``; none if unknown)."""
    if top_level is None:
        return _ALL
    return _BY_TOP_LEVEL.get(top_level, ())


def _decode_prefix(data: str | bytes | bytearray | memoryview, max_bytes: int) -> bytes:
    """The first ``max_bytes`` bytes, whether ``data`` is raw or base64 text."""
    if not isinstance(data, str):
        return bytes(data[:max_bytes])
    # 4 characters carry 3 bytes: decode whole groups, then trim to the raw path's length.
    decoded = base64_to_bytes(data[: -(-max_bytes // 3) * 4])
    if decoded is None:
        # The reference's atob throws (InvalidCharacterError).
        raise InvalidArgumentError(
            "file data is neither bytes nor valid base64 text", argument="data"
        )
    return decoded[:max_bytes]


def detect_media_type(
    data: str | bytes | bytearray | memoryview, top_level: str | None = None
) -> str | None:
    """``detectMediaType``: the media type the bytes (or base64 text) start with, or ``None``.

    Raises :class:`~partstream.errors.InvalidArgumentError` when the base64 text
    it decodes is invalid (where the reference's ``atob`` throws).
    """
    signatures = signatures_for(top_level)
    if top_level is not None and not signatures:
        return None  # an unsupported segment: the data is not even decoded
    head = _decode_prefix(data, SNIFF_BYTES)
    if len(head) > 10 and head[0] == 0x49 and head[1] == 0x44 and head[2] == 0x33:
        # "ID3": a 10-byte header whose last 4 bytes are the tag body's 28-bit
        # "synchsafe" size (7 bits a byte); the frame follows the tag.
        head = _decode_prefix(data, ID3_SCAN_BYTES)
        size = (
            ((head[6] & 0x7F) << 21)
            | ((head[7] & 0x7F) << 14)
            | ((head[8] & 0x7F) << 7)
            | (head[9] & 0x7F)
        )
        head = head[size + 10 :]
    length = len(head)
    for media_type, prefix in signatures:
        if length >= len(prefix) and all(
            byte is None or head[i] == byte for i, byte in enumerate(prefix)
        ):
            return media_type
    return None


def resolve_full_media_type(media_type: str, data: str | bytes | None) -> str:
    """``resolveFullMediaType``: ``media_type`` if full, else sniffed from inline ``data``.

    ``data`` is ``None`` when the file is not inline (a URL, a reference). Raises
    :class:`~partstream.errors.UnsupportedFunctionalityError` when neither gives
    a full media type.
    """
    if is_full_media_type(media_type):
        return media_type
    if data is not None:
        detected = detect_media_type(data, top_level_media_type(media_type))
        if detected is not None:
            return detected
        raise UnsupportedFunctionalityError(
            f'file of media type "{media_type}" must specify subtype '
            "since it could not be auto-detected"
        )
    raise UnsupportedFunctionalityError(
        f'file of media type "{media_type}" must specify subtype '
        "since it is not passed as inline bytes"
    )
