"""``detect_media_type`` against provider-utils' ``detectMediaType``, in one Node run.

Two checks. The tables: the signatures of the pinned provider-utils source
(``src/detect-media-type.ts``, read as text) are ours, entry for entry and in
order. The answers: a corpus of inputs goes through ``media_types.mjs`` with
every top-level segment (none, each table's, and some without a table), and
each answer must be ours; a thrown ``atob`` error must be our
:class:`~partstream.errors.InvalidArgumentError`. The corpus: every signature
(wildcards filled with several bytes, then exact, with a tail, cut short at
every length, each fixed byte changed), ID3 tags of many sizes up to past the
128 KiB limit, the raw inputs but the large ones as base64 too (standard,
base64url, unpadded, with whitespace, spoiled in and past the decoded prefix, or
at either side of the end of an ID3 scan), empty input, and hypothesis' random
bytes, random base64-ish text and signature-prefixed data.
"""

from __future__ import annotations

import base64
import json
import random
import re
from collections.abc import Iterator
from typing import Any, Final

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.reference.node import NODE_MODULES, PACKAGE_JSON, ensure_installed, run_driver

from partstream.codecs._media_types import (
    ID3_SCAN_BYTES,
    MAX_ID3_TAG_BYTES,
    Signature,
    detect_media_type,
    signatures_for,
)
from partstream.errors import InvalidArgumentError

SOURCE: Final = NODE_MODULES / "@ai-sdk" / "provider-utils" / "src" / "detect-media-type.ts"
#: None: every table; then each table's segment; then segments without one.
TOP_LEVELS: Final = [None, "image", "audio", "video", "application"]
NO_TABLE: Final = ["text", "", "IMAGE", "image/png", "__proto__", "toString", "hasOwnProperty"]
ATOB_ERROR: Final = "!InvalidCharacterError"
PINNED: Final = json.loads(PACKAGE_JSON.read_text())["dependencies"]["@ai-sdk/provider-utils"]

Input = dict[str, str]  # {"bytes": base64 of raw bytes} or {"text": passed as is}


def _reference_tables() -> dict[str, list[Signature]]:
    """The signature arrays of the TypeScript source, by their constant's name."""
    source = SOURCE.read_text()
    entry = re.compile(r"mediaType:\s*'([^']+)'(?:\s+as const)?,\s*bytesPrefix:\s*\[([^\]]*)\]")
    tables: dict[str, list[Signature]] = {}
    for match in re.finditer(
        r"const (\w+MediaTypeSignatures\w*) = \[(.*?)\n\] as const;", source, re.S
    ):
        name, body = match.groups()
        tables[name] = []
        for media_type, prefix in entry.findall(body):
            numbers = re.sub(r"//[^\n]*", "", prefix).replace("\n", " ").split(",")
            tables[name].append(
                (
                    media_type,
                    tuple(
                        None if n.strip() == "null" else int(n, 16) for n in numbers if n.strip()
                    ),
                )
            )
    return tables


def test_the_tables_are_provider_utils_own() -> None:
    ensure_installed()
    tables = _reference_tables()
    image = tables.pop("imageMediaTypeSignatures")
    document = tables.pop("documentMediaTypeSignatures")
    audio_without_mp4 = tables.pop("audioMediaTypeSignaturesWithoutMp4")
    video = tables.pop("videoMediaTypeSignatures")
    # audioMediaTypeSignatures spreads the one without MP4, then adds MP4.
    audio = audio_without_mp4 + tables.pop("audioMediaTypeSignatures")
    assert tables == {}, f"tables we do not know: {sorted(tables)}"
    assert list(signatures_for("image")) == image
    assert list(signatures_for("application")) == document
    assert list(signatures_for("audio")) == audio
    assert list(signatures_for("video")) == video
    assert list(signatures_for(None)) == image + document + audio_without_mp4 + video
    assert len(image) == 10  # the parse found them all
    assert len(audio) == 16


# --- the corpus ---------------------------------------------------------------------------


def _all_signatures() -> list[Signature]:
    seen: dict[Signature, None] = {}
    for top_level in TOP_LEVELS:
        seen.update(dict.fromkeys(signatures_for(top_level)))
    return list(seen)


def _id3(size: int, *, mask: int = 0) -> bytes:
    return b"ID3\x04\x00\x00" + bytes(((size >> s) & 0x7F) | mask for s in (21, 14, 7, 0))


def _signature_bytes(rng: random.Random) -> Iterator[bytes]:
    for _, prefix in _all_signatures():
        for fill in (0x00, 0x20, 0xFF, rng.randrange(256)):
            head = bytes(fill if b is None else b for b in prefix)
            yield head
            yield head + bytes(rng.randrange(256) for _ in range(rng.randrange(1, 20)))
            yield from (head[:cut] for cut in range(len(head)))
        # Each fixed byte changed (the wildcards filled with "A").
        filled = bytes(0x41 if b is None else b for b in prefix)
        for i, b in enumerate(prefix):
            if b is not None:
                yield filled[:i] + bytes([b ^ 0x01]) + filled[i + 1 :] + bytes(8)


def _id3_bytes(rng: random.Random) -> Iterator[tuple[bytes, bool]]:
    """(tagged input, whether its base64 spellings go too: not for the large ones)."""
    frames = [b"\xff\xfb\x90\x00", b"\x00\x00\x00\x1cftypavif", b"\xff\xf1\x50\x80", b"fLaC"]
    frames += [b"RIFF\x00\x00\x00\x00WAVE", b"GIF89a", b""]
    for size in (0, 1, 5, 127, 128, 1000, 16383, 16384):
        for frame in frames:
            yield _id3(size) + bytes(size) + frame, size <= 1000
            yield _id3(size) + bytes(size) + frame[:-1], False
        yield _id3(size, mask=0x80) + bytes(size) + frames[0], True
    # Around the limit: the largest body skipped, then 1, 2, 10 and 11 bytes more
    # (a 12-byte signature fits only at the limit, a 2-byte one up to 10 past it).
    limit = MAX_ID3_TAG_BYTES - 10
    pattern = bytes(rng.randrange(256) for _ in range(64))
    for size in (limit - 2, limit, limit + 1, limit + 2, limit + 10, limit + 11):
        body = pattern * (size // 64) + bytes(size % 64)
        for frame in frames[:2]:
            yield _id3(size) + body + frame, False
    yield _id3(2**28 - 1) + frames[0], True  # the tag is longer than the data
    yield _id3(5)[:10], True  # "ID3" and a size, no more: 10 bytes is no tag
    yield _id3(0) + b"\x89PNG", True  # an image after a tag counts too


def _texts(raw: bytes, rng: random.Random) -> Iterator[str]:
    """Base64 spellings of ``raw``: valid ones, and spoiled in and past the prefix."""
    standard = base64.b64encode(raw).decode()
    yield standard
    yield base64.urlsafe_b64encode(raw).decode().rstrip("=")
    if len(standard) > 4:
        spaced = list(standard)
        for _ in range(3):
            spaced.insert(rng.randrange(len(spaced)), rng.choice("\t\n\f\r "))
        yield "".join(spaced)
        at = rng.randrange(len(standard))
        yield standard[:at] + rng.choice(["!", ".", "\v", "\u00a0", "é", "😀", "="]) + standard[at:]
        yield standard[:24] + "!" + standard[24:]
        yield standard.rstrip("=") + "A"


def _corpus(rng: random.Random) -> list[Input]:
    inputs: list[Input] = []

    def add(raw: bytes, *, every_spelling: bool = True) -> None:
        inputs.append({"bytes": base64.b64encode(raw).decode()})
        if every_spelling:
            inputs.extend({"text": t} for t in _texts(raw, rng))

    for raw in _signature_bytes(rng):
        add(raw)
    for raw, every_spelling in _id3_bytes(rng):
        add(raw, every_spelling=every_spelling)
    add(b"")
    # A tagged input longer than the scan, spoiled at the last character the scan
    # decodes (4 per 3 bytes, whole groups) and at the first one it does not.
    window = -(-ID3_SCAN_BYTES // 3) * 4
    tagged = base64.b64encode(_id3(16) + bytes(ID3_SCAN_BYTES)).decode()
    inputs += [{"text": tagged[:at] + "!" + tagged[at + 1 :]} for at in (window - 1, window)]
    inputs += [{"text": t} for t in ("", " ", "=", "==", "A", "AA=", "AA==", "A===", "AB=C", "-_8")]
    return inputs


_SIGNATURES: Final = _all_signatures()


@st.composite
def _signed(draw: st.DrawFn) -> bytes:
    _, prefix = draw(st.sampled_from(_SIGNATURES))
    head = bytes(draw(st.integers(0, 255)) if b is None else b for b in prefix)
    return head[: draw(st.integers(len(head) - 2, len(head)))] + draw(st.binary(max_size=16))


def _generated() -> list[Input]:
    inputs: list[Input] = []

    @settings(max_examples=300, deadline=None, database=None)
    @given(
        st.binary(max_size=40) | _signed(),
        st.text(alphabet="ABSUQzRw/9j+_-=\t\n \v!", max_size=40),
    )
    def collect(raw: bytes, text: str) -> None:
        inputs.append({"bytes": base64.b64encode(raw).decode()})
        inputs.append({"text": base64.b64encode(raw).decode()})
        inputs.append({"text": text})

    collect()
    return inputs


def _ours(item: Input, top_level: str | None) -> str:
    data: Any = base64.b64decode(item["bytes"]) if "bytes" in item else item["text"]
    try:
        return detect_media_type(data, top_level) or ""
    except InvalidArgumentError:
        return ATOB_ERROR


def test_every_answer_is_detect_media_types() -> None:
    inputs = _corpus(random.Random(12)) + _generated()
    top_levels = TOP_LEVELS + NO_TABLE
    out = run_driver("media_types.mjs", {"inputs": inputs, "topLevels": top_levels})
    assert out["version"] == PINNED
    mismatches = []
    answers: set[str] = set()
    for item, theirs in zip(inputs, out["results"], strict=True):
        ours = [_ours(item, top_level) for top_level in top_levels]
        answers.update(theirs)
        if ours != theirs:
            mismatches.append((item if len(str(item)) < 200 else str(item)[:200], ours, theirs))
    assert not mismatches, f"{len(mismatches)} of {len(inputs)} differ, e.g. {mismatches[:5]}"
    # The corpus reaches every type, "no match" and the atob error.
    every = {media_type for media_type, _ in _SIGNATURES}
    assert every - {"video/quicktime"} <= answers  # quicktime: video/mp4 always matches first
    assert {"", ATOB_ERROR} <= answers
    assert len(inputs) > 2000
