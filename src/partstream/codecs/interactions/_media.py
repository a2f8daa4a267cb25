"""Media-type and base64 helpers for file parts (sans-IO).

Behaviour follows the AI SDK's provider-utils helpers: a media type is either a
full ``type/subtype`` or only its top-level segment (``image``, ``image/*``); a
top-level-only type on inline bytes is completed by sniffing the bytes' magic
numbers, per top-level segment.
"""

from __future__ import annotations

import base64
import binascii
from typing import Final

from partstream.errors import UnsupportedFunctionalityError

__all__ = [
    "detect_media_type",
    "encode_base64",
    "is_full_media_type",
    "resolve_full_media_type",
    "top_level_media_type",
]

_Signature = tuple[str, tuple[int | None, ...]]

# Magic-number tables, grouped by top-level segment. ``None`` matches any byte.
_IMAGE: Final[tuple[_Signature, ...]] = (
    ("image/gif", (0x47, 0x49, 0x46)),
    ("image/png", (0x89, 0x50, 0x4E, 0x47)),
    ("image/jpeg", (0xFF, 0xD8)),
    ("image/webp", (0x52, 0x49, 0x46, 0x46, None, None, None, None, 0x57, 0x45, 0x42, 0x50)),
    ("image/bmp", (0x42, 0x4D)),
    ("image/tiff", (0x49, 0x49, 0x2A, 0x00)),
    ("image/tiff", (0x4D, 0x4D, 0x00, 0x2A)),
    ("image/avif", (0, 0, 0, 0x20, 0x66, 0x74, 0x79, 0x70, 0x61, 0x76, 0x69, 0x66)),
    ("image/heic", (0, 0, 0, 0x20, 0x66, 0x74, 0x79, 0x70, 0x68, 0x65, 0x69, 0x63)),
)
_DOCUMENT: Final[tuple[_Signature, ...]] = (("application/pdf", (0x25, 0x50, 0x44, 0x46)),)
_AUDIO_NO_MP4: Final[tuple[_Signature, ...]] = (
    ("audio/mpeg", (0xFF, 0xFB)),
    ("audio/mpeg", (0xFF, 0xFA)),
    ("audio/mpeg", (0xFF, 0xF3)),
    ("audio/mpeg", (0xFF, 0xF2)),
    ("audio/mpeg", (0xFF, 0xE3)),
    ("audio/mpeg", (0xFF, 0xE2)),
    ("audio/wav", (0x52, 0x49, 0x46, 0x46, None, None, None, None, 0x57, 0x41, 0x56, 0x45)),
    ("audio/ogg", (0x4F, 0x67, 0x67, 0x53)),
    ("audio/flac", (0x66, 0x4C, 0x61, 0x43)),
    ("audio/aac", (0x40, 0x15, 0x00, 0x00)),
    ("audio/webm", (0x1A, 0x45, 0xDF, 0xA3)),
)
_AUDIO: Final = (*_AUDIO_NO_MP4, ("audio/mp4", (0, 0, 0, None, 0x66, 0x74, 0x79, 0x70)))
_VIDEO: Final[tuple[_Signature, ...]] = (
    ("video/mp4", (0, 0, 0, None, 0x66, 0x74, 0x79, 0x70)),
    ("video/webm", (0x1A, 0x45, 0xDF, 0xA3)),
    ("video/quicktime", (0, 0, 0, 0x14, 0x66, 0x74, 0x79, 0x70, 0x71, 0x74)),
    ("video/x-msvideo", (0x52, 0x49, 0x46, 0x46)),
)
_BY_TOP_LEVEL: Final[dict[str, tuple[_Signature, ...]]] = {
    "image": _IMAGE,
    "audio": _AUDIO,
    "video": _VIDEO,
    "application": _DOCUMENT,
}
_ALL: Final = (*_IMAGE, *_DOCUMENT, *_AUDIO_NO_MP4, *_VIDEO)

_SNIFF_BYTES: Final = 18
_MAX_SIGNATURE_BYTES: Final = 12
# An ID3v2 tag in front of an MP3 frame is skipped, up to this size.
_MAX_ID3_TAG_BYTES: Final = 128 * 1024


def top_level_media_type(media_type: str) -> str:
    """The segment before ``/`` (the whole string when there is no ``/``)."""
    return media_type.partition("/")[0]


def is_full_media_type(media_type: str) -> bool:
    """True for ``type/subtype`` with a non-empty subtype that is not ``*``."""
    _, slash, subtype = media_type.partition("/")
    return bool(slash) and subtype not in ("", "*")


def encode_base64(data: str | bytes | bytearray | memoryview) -> str:
    """Bytes become standard base64 with padding; a string is taken as base64 already."""
    if isinstance(data, str):
        return data
    return base64.b64encode(bytes(data)).decode("ascii")


def _decode_prefix(data: str | bytes | bytearray | memoryview, max_bytes: int) -> bytes:
    if not isinstance(data, str):
        return bytes(data[:max_bytes])
    # base64: 4 characters carry 3 bytes; decode whole groups only, then trim.
    chunk = data[: -(-max_bytes // 3) * 4].replace("-", "+").replace("_", "/")
    chunk = "".join(chunk.split())
    if len(chunk) % 4 == 1:
        return b""
    try:
        return base64.b64decode(chunk + "=" * (-len(chunk) % 4), validate=True)[:max_bytes]
    except (binascii.Error, ValueError):
        return b""


def _matches(data: bytes, signatures: tuple[_Signature, ...]) -> str | None:
    for media_type, prefix in signatures:
        if len(data) >= len(prefix) and all(
            b is None or data[i] == b for i, b in enumerate(prefix)
        ):
            return media_type
    return None


def detect_media_type(
    data: str | bytes | bytearray | memoryview, top_level: str | None = None
) -> str | None:
    """Sniff a full media type from bytes (or base64 text); ``None`` when unknown."""
    if top_level is None:
        signatures: tuple[_Signature, ...] = _ALL
    else:
        found = _BY_TOP_LEVEL.get(top_level)
        if found is None:
            return None
        signatures = found
    head = _decode_prefix(data, _SNIFF_BYTES)
    if len(head) > 10 and head[:3] == b"ID3":
        # ID3v2 header: 10 bytes, then a 28-bit "synchsafe" size of the tag body.
        head = _decode_prefix(data, _MAX_ID3_TAG_BYTES + _MAX_SIGNATURE_BYTES)
        size = (
            ((head[6] & 0x7F) << 21)
            | ((head[7] & 0x7F) << 14)
            | ((head[8] & 0x7F) << 7)
            | (head[9] & 0x7F)
        )
        head = head[size + 10 :]
    return _matches(head, signatures)


def resolve_full_media_type(media_type: str, data: str | bytes | None) -> str:
    """A full ``type/subtype``: given, or sniffed from inline ``data``; else an error."""
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
