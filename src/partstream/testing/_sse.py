"""Hypothesis strategies for server-sent events: events, their bytes, chunkings.

For fuzzing your own SSE consumers::

    from hypothesis import given
    from partstream.testing import chunked_sse_streams

    @given(chunked_sse_streams())
    def test_my_parser(stream):
        assert my_parse(stream.chunks) == stream.events

``sse_events()`` draws lists of :class:`ServerSentEvent` exactly as a decoder
returns them; ``sse_streams()`` draws such a list with one of its many valid
encodings (any mix of CR, LF and CRLF line ends, comments, unknown fields,
fields in any order inside an event, an optional byte order mark, blank lines
between events, ``field:value`` with or without the optional space);
``chunkings(data)`` draws a split of bytes into chunks at arbitrary offsets
(biased towards the inside of CRLF pairs, the bytes after a line end and the
inside of multi-byte characters), and
``chunked_sse_streams()`` combines the two.
"""

from __future__ import annotations

import itertools
from typing import Final, final

import attrs
from hypothesis import strategies as st

from ..transports._sse_decoder import ServerSentEvent

__all__ = [
    "SSEStream",
    "chunked_sse_streams",
    "chunkings",
    "sse_events",
    "sse_streams",
]

_BOM: Final = "\ufeff"
# Text that can sit on one line: no CR or LF, no lone surrogates (not UTF-8).
_LINE_ALPHABET: Final = st.characters(exclude_categories=["Cs"], exclude_characters="\r\n")
_ID_ALPHABET: Final = st.characters(exclude_categories=["Cs"], exclude_characters="\r\n\0")
_UNKNOWN_FIELDS: Final = ("Data", "ID", "x-field", "events", "retry-after", "")


@final
@attrs.frozen
class SSEStream:
    """Events and the bytes that encode them; ``chunks`` joined are ``data``."""

    events: list[ServerSentEvent]
    data: bytes
    chunks: list[bytes] = attrs.field(factory=list)


def _event_types() -> st.SearchStrategy[str]:
    return st.sampled_from(["message", "step.delta", "error", "update"]) | st.text(
        _LINE_ALPHABET, min_size=1, max_size=12
    )


def _data() -> st.SearchStrategy[str]:
    line = st.text(_LINE_ALPHABET, max_size=24)
    return st.lists(line, min_size=1, max_size=3).map("\n".join)


@st.composite
def sse_events(draw: st.DrawFn, *, min_size: int = 0, max_size: int = 8) -> list[ServerSentEvent]:
    """A list of events as a decoder returns them (``id`` persists until changed)."""
    count = draw(st.integers(min_value=min_size, max_value=max_size))
    events: list[ServerSentEvent] = []
    last_id: str | None = None
    for _ in range(count):
        # The ID carries over unless this event sets or clears it.
        change = draw(st.sampled_from(["keep", "keep", "set", "clear"]))
        if change == "set":
            last_id = draw(st.text(_ID_ALPHABET, min_size=1, max_size=10))
        elif change == "clear":
            last_id = None
        retry = draw(st.none() | st.integers(min_value=0, max_value=2**40))
        events.append(
            ServerSentEvent(event=draw(_event_types()), data=draw(_data()), id=last_id, retry=retry)
        )
    return events


def _field_line(draw: st.DrawFn, name: str, value: str) -> str:
    """``name: value`` in one of its spellings (the optional space, no colon)."""
    if value == "" and draw(st.booleans()):
        return draw(st.sampled_from([name, f"{name}:"]))
    if not value.startswith(" ") and draw(st.booleans()):
        return f"{name}:{value}"
    return f"{name}: {value}"


def _noise(draw: st.DrawFn) -> str:
    """A line every decoder must ignore: a comment or an unknown field."""
    if draw(st.booleans()):
        return ":" + draw(st.text(_LINE_ALPHABET, max_size=10))
    name = draw(st.sampled_from(_UNKNOWN_FIELDS))
    if name == "":
        return ":" + draw(st.text(_LINE_ALPHABET, max_size=4))
    return f"{name}: " + draw(st.text(_LINE_ALPHABET, max_size=6))


@st.composite
def sse_streams(
    draw: st.DrawFn,
    events: st.SearchStrategy[list[ServerSentEvent]] | None = None,
) -> SSEStream:
    """Events drawn from ``events`` (default ``sse_events()``) and a valid encoding."""
    evs = draw(events if events is not None else sse_events())
    lines: list[str] = []
    if draw(st.booleans()):
        lines.extend("" for _ in range(draw(st.integers(0, 2))))  # leading blank lines
    current_id: str | None = None
    for ev in evs:
        meta: list[str] = []
        if ev.event != "message" or draw(st.booleans()):
            meta.append(_field_line(draw, "event", ev.event))
        if ev.id != current_id or (ev.id is not None and draw(st.booleans())):
            meta.append(_field_line(draw, "id", ev.id or ""))
            current_id = ev.id
        if ev.retry is not None:
            meta.append(_field_line(draw, "retry", str(ev.retry)))
        meta.extend(_noise(draw) for _ in range(draw(st.integers(0, 2))))
        block = [_field_line(draw, "data", value) for value in ev.data.split("\n")]
        # Non-data lines may sit anywhere in the block; data lines keep their order.
        for line in draw(st.permutations(meta)):
            block.insert(draw(st.integers(0, len(block))), line)
        lines.extend(block)
        lines.extend("" for _ in range(draw(st.integers(1, 3))))  # the blank line(s)
    text = _BOM if draw(st.booleans()) else ""
    previous_cr = False
    for line in lines:
        options = ["\n", "\r", "\r\n"]
        if previous_cr and line == "":
            options.remove("\n")  # CR then LF would be one line end, not two
        end = draw(st.sampled_from(options))
        text += line + end
        previous_cr = end == "\r"
    return SSEStream(events=evs, data=text.encode("utf-8"), chunks=[text.encode("utf-8")])


def _tricky_offsets(data: bytes) -> list[int]:
    """Offsets where a split is most likely to matter: just after a CR or an LF (inside
    a CRLF pair, between a line end and the next), and inside a multi-byte character."""
    return [
        i
        for i in range(1, len(data))
        if data[i - 1] in b"\r\n" or 0x80 <= data[i] <= 0xBF or data[i] in b"\r\n"
    ]


@st.composite
def chunkings(draw: st.DrawFn, data: bytes, *, max_chunks: int = 32) -> list[bytes]:
    """``data`` split at arbitrary offsets (empty chunks included) into at most ``max_chunks``.

    Half of the cuts, on average, fall where splits are tricky: right after a CR or
    an LF and inside multi-byte UTF-8 characters (uniform offsets rarely hit them).
    """
    if not data:
        return [data] if draw(st.booleans()) else []
    offsets = st.integers(min_value=0, max_value=len(data))
    tricky = _tricky_offsets(data)
    if tricky:
        offsets = offsets | st.sampled_from(tricky)
    cuts = draw(st.lists(offsets, max_size=max(0, max_chunks - 1)))
    points = [0, *sorted(cuts), len(data)]
    return [data[a:b] for a, b in itertools.pairwise(points)]


@st.composite
def chunked_sse_streams(
    draw: st.DrawFn,
    events: st.SearchStrategy[list[ServerSentEvent]] | None = None,
    *,
    max_chunks: int = 32,
) -> SSEStream:
    """``sse_streams()`` with ``chunks`` set to an arbitrary chunking of ``data``."""
    stream = draw(sse_streams(events))
    chunks = draw(chunkings(stream.data, max_chunks=max_chunks))
    return attrs.evolve(stream, chunks=chunks)
