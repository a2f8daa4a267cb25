"""``detect_media_type`` and its helpers (``codecs/_media_types.py``).

The tables are compared with provider-utils' own, and every answer with its
``detectMediaType``, in ``tests/reference/test_reference_media_types.py``; here: the rules
one by one (each entry the older copy had wrong among them), and properties.
"""

from __future__ import annotations

import base64
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from partstream import errors
from partstream.codecs._base64 import base64_to_bytes, encode_base64, forgiving_base64_decode
from partstream.codecs._media_types import (
    ID3_SCAN_BYTES,
    MAX_ID3_TAG_BYTES,
    Signature,
    detect_media_type,
    is_full_media_type,
    resolve_full_media_type,
    signatures_for,
    top_level_media_type,
)

TOP_LEVELS = (None, "image", "audio", "video", "application")
ALL_TOP_LEVELS = (*TOP_LEVELS, "text", "", "IMAGE", "__proto__", "toString")


def id3(size: int, *, flags: int = 0) -> bytes:
    """An ID3v2.4 header announcing a tag body of ``size`` bytes (synchsafe, 7 bits a byte)."""
    synchsafe = bytes((size >> shift) & 0x7F for shift in (21, 14, 7, 0))
    return b"ID3\x04\x00" + bytes([flags]) + synchsafe


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.mark.parametrize(
    ("data", "top_level", "expected"),
    [
        # GIF: the 6-byte GIF87a / GIF89a headers, not "GIF" alone.
        (b"GIF87a\x01\x00", "image", "image/gif"),
        (b"GIF89a", None, "image/gif"),
        (b"GIF8", "image", None),
        (b"GIF88a" + bytes(10), "image", None),
        # BMP: "BM", 4 bytes of file size, then 4 reserved zero bytes.
        (b"BM\x36\x00\x0c\x00\x00\x00\x00\x00", "image", "image/bmp"),
        (b"BM\x36\x00\x0c\x00\x00\x00\x00", "image", None),
        (b"BM\x36\x00\x0c\x00\x00\x00\x01\x00", None, None),
        # AVIF/HEIC: any box size, not only 0x20.
        (b"\x00\x00\x00\x1cftypavif", "image", "image/avif"),
        (b"\x00\x00\x00\x20ftypheic", "image", "image/heic"),
        (b"\x00\x00\x00\xffftypheic", None, "image/heic"),
        (b"\x00\x00\x01\x1cftypavif", "image", None),
        # AAC ADTS, before the MP3 frame signatures.
        (b"\xff\xf1\x50\x80", "audio", "audio/aac"),
        (b"\xff\xf9", None, "audio/aac"),
        (b"\xff\xfb\x90", "audio", "audio/mpeg"),
        (b"\xff\xf1", "image", None),
        # MP4: audio/mp4 with "audio", video/mp4 with "video" and with no segment.
        (b"\x00\x00\x00\x18ftypmp42", "audio", "audio/mp4"),
        (b"\x00\x00\x00\x18ftypmp42", "video", "video/mp4"),
        (b"\x00\x00\x00\x18ftypmp42", None, "video/mp4"),
        (b"\x00\x00\x00\x14ftypqt  ", "video", "video/mp4"),  # table order: mp4 first
        # RIFF: WEBP is an image, WAVE audio, anything else AVI with "video".
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", None, "audio/wav"),
        (b"RIFF\x10\x00\x00\x00AVI LIST", None, "video/x-msvideo"),
        (b"RIFF\x10\x00\x00\x00AVI LIST", "image", None),
        (b"%PDF-1.7", "application", "application/pdf"),
        (b"%PDF-1.7", "text", None),
        (b"", None, None),
        ("", "image", None),
    ],
)
def test_rules(data: bytes | str, top_level: str | None, expected: str | None) -> None:
    assert detect_media_type(data, top_level) == expected
    if isinstance(data, bytes):
        assert detect_media_type(b64(data), top_level) == expected


def test_an_id3_tag_is_skipped_up_to_the_limit() -> None:
    assert ID3_SCAN_BYTES == MAX_ID3_TAG_BYTES + 12  # the tag and the longest signature
    frame = b"\xff\xfb\x90\x00"
    for size in (0, 5, 1000, MAX_ID3_TAG_BYTES - 10):
        data = id3(size) + bytes(size) + frame
        assert detect_media_type(data, "audio") == "audio/mpeg", size
        assert detect_media_type(b64(data), "audio") == "audio/mpeg", size
    # A 12-byte signature right after the largest tag still fits the scan.
    avif = b"\x00\x00\x00\x1cftypavif"
    body = MAX_ID3_TAG_BYTES - 10
    assert detect_media_type(id3(body) + bytes(body) + avif, "image") == "image/avif"
    # One byte further and it no longer does; a 2-byte one does up to 10 bytes further.
    assert detect_media_type(id3(body + 1) + bytes(body + 1) + avif, "image") is None
    assert detect_media_type(id3(body + 10) + bytes(body + 10) + frame, "audio") == "audio/mpeg"
    assert detect_media_type(id3(body + 11) + bytes(body + 11) + frame, "audio") is None
    # The size's high bits are masked off (synchsafe), and a tag longer than the data
    # leaves nothing to match.
    assert detect_media_type(b"ID3\x04\x00\x00\x80\x80\x80\x85" + bytes(5) + frame) == "audio/mpeg"
    assert detect_media_type(id3(2**28 - 1) + frame, "audio") is None
    # A tag is only looked for in more than 10 bytes: "ID3" + 7 bytes is no tag.
    assert detect_media_type(b"ID3\x04\x00\x00\x00\x00\x00\x00", "audio") is None
    # What follows the tag is looked up in the segment's table, images included.
    assert detect_media_type(id3(2) + b"\x00\x00\x89PNG", "image") == "image/png"


def test_invalid_base64_raises_where_atob_throws() -> None:
    for bad in ("!!!!", "A", "AAAAA", "AB=C", "A===", "AB\vCD", "é" * 4, "AB\u00a0C"):
        with pytest.raises(errors.InvalidArgumentError):
            detect_media_type(bad, "image")
    # Only the first 24 characters are decoded (32 bytes' worth is not needed) ...
    assert detect_media_type(b64(b"GIF89a" + bytes(18)) + "!!!!", "image") == "image/gif"
    # ... unless an ID3 tag makes the scan longer.
    tagged = b64(id3(100) + bytes(100) + b"\xff\xfb")
    assert detect_media_type(tagged, "audio") == "audio/mpeg"
    with pytest.raises(errors.InvalidArgumentError):
        detect_media_type(tagged[:60] + "!" + tagged[61:], "audio")
    # An unsupported segment decodes nothing, so it never raises.
    assert detect_media_type("!!!!", "text") is None
    # base64url letters, ASCII whitespace and missing padding are all fine.
    jpeg = b"\xff\xd8\xff\xe0\xfe\xff"
    assert detect_media_type(base64.urlsafe_b64encode(jpeg).decode(), None) == "image/jpeg"
    assert detect_media_type(" /9j/\t4P7\n/\f\r", None) == "image/jpeg"
    assert detect_media_type("/9j", None) == "image/jpeg"


def test_base64_helpers() -> None:
    assert forgiving_base64_decode("YQ") == forgiving_base64_decode("YQ==") == b"a"
    assert forgiving_base64_decode("YR==") == b"a"  # leftover bits are discarded
    assert forgiving_base64_decode("YQ=") is None
    assert forgiving_base64_decode("Y-8") is None
    assert base64_to_bytes("-_8") == b"\xfb\xff"
    assert encode_base64(b"\x00\xff") == "AP8=" == encode_base64(bytearray(b"\x00\xff"))
    assert encode_base64("as is") == "as is"


def test_media_type_helpers() -> None:
    for media_type, top, full in (
        ("image/png", "image", True),
        ("image/*", "image", False),
        ("image/", "image", False),
        ("image", "image", False),
        ("", "", False),
        ("/", "", False),
        ("/x", "", True),
    ):
        assert top_level_media_type(media_type) == top
        assert is_full_media_type(media_type) is full
    assert resolve_full_media_type("image/x-custom", b"nope") == "image/x-custom"
    assert resolve_full_media_type("image/*", b"GIF87a") == "image/gif"
    with pytest.raises(errors.UnsupportedFunctionalityError, match="could not be auto-detected"):
        resolve_full_media_type("image", b"GIF8")
    with pytest.raises(errors.UnsupportedFunctionalityError, match="not passed as inline"):
        resolve_full_media_type("image", None)


# --- properties -------------------------------------------------------------------------


def _types(top_level: str | None) -> set[str | None]:
    return {media_type for media_type, _ in signatures_for(top_level)} | {None}


def _matches(data: bytes, prefix: tuple[int | None, ...]) -> bool:
    return len(data) >= len(prefix) and all(b is None or data[i] == b for i, b in enumerate(prefix))


@given(st.binary(max_size=64), st.sampled_from(ALL_TOP_LEVELS))
def test_any_bytes_give_one_of_the_tables_types(data: bytes, top_level: str | None) -> None:
    found = detect_media_type(data, top_level)
    assert found in _types(top_level)
    # The representation does not matter: raw, base64, base64url, unpadded.
    encoded = b64(data)
    assert detect_media_type(encoded, top_level) == found
    assert detect_media_type(base64.urlsafe_b64encode(data).decode().rstrip("="), top_level) == (
        found
    )
    assert detect_media_type(memoryview(data), top_level) == found


@given(st.text(alphabet="AZaz09+/=-_ \t\n\v!é", max_size=40), st.sampled_from(ALL_TOP_LEVELS))
def test_any_text_gives_a_type_or_the_base64_error(text: str, top_level: str | None) -> None:
    error: errors.InvalidArgumentError | None = None
    found = None
    try:
        found = detect_media_type(text, top_level)
    except errors.InvalidArgumentError as exc:
        error = exc
    # The first 24 characters are decoded, where there is a table to look in (this
    # alphabet cannot spell "ID3", which would make the scan longer).
    refused = top_level in TOP_LEVELS and base64_to_bytes(text[:24]) is None
    assert (error is not None) == refused
    assert error is None or type(error) is errors.InvalidArgumentError
    assert found in _types(top_level)


@st.composite
def _signed(draw: st.DrawFn) -> tuple[str | None, Signature, bytes, bytes]:
    """(top level, the signature, an ID3 tag or nothing, the signed bytes after it)."""
    top_level = draw(st.sampled_from(TOP_LEVELS))
    media_type, prefix = draw(st.sampled_from(signatures_for(top_level)))
    head = bytes(draw(st.integers(0, 255)) if b is None else b for b in prefix)
    tail = draw(st.binary(max_size=24))
    size = draw(st.none() | st.integers(0, 300))
    tag = b"" if size is None else id3(size) + draw(st.binary(min_size=size, max_size=size))
    return top_level, (media_type, prefix), tag, head + tail


@given(_signed())
def test_a_signature_prefixed_input_is_detected(
    case: tuple[str | None, Signature, bytes, bytes],
) -> None:
    top_level, (media_type, prefix), tag, stripped = case
    found = detect_media_type(tag + stripped, top_level)
    assert found is not None
    assert detect_media_type(b64(tag + stripped), top_level) == found
    # The first signature of the table that matches wins: this one unless an earlier
    # one also matches (RIFF....WAVE is audio/wav before video/x-msvideo).
    table = signatures_for(top_level)
    first = next(t for t, p in table if _matches(stripped, p))
    assert found == first
    if first != media_type:
        position = table.index((media_type, prefix))
        assert any(_matches(stripped, p) for _, p in table[:position])


def test_a_signature_cut_short_is_not_detected_as_itself() -> None:
    rng = random.Random(7)
    for top_level in TOP_LEVELS:
        table = signatures_for(top_level)
        for media_type, prefix in table:
            head = bytes(rng.randrange(256) if b is None else b for b in prefix)
            found = detect_media_type(head[:-1], top_level)
            # A shorter signature that the cut still matches may answer instead.
            shorter = [t for t, p in table if _matches(head[:-1], p)]
            assert found == (shorter[0] if shorter else None), (media_type, prefix)
