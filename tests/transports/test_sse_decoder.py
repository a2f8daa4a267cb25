"""SSEDecoder: every WHATWG event-stream rule, chunking invariance, limits, linearity.

The oracle is ``reference_parse``: the standard's algorithm ("9.2.6
Interpreting an event stream") written out line by line, as slowly and
literally as possible, on the whole body at once. The decoder must agree with
it on arbitrary bytes under arbitrary chunkings.
"""

from __future__ import annotations

import itertools
import pickle
import re

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from partstream.errors import InvalidArgumentError, LimitExceededError, PartstreamError
from partstream.testing import SSEStream, chunked_sse_streams, chunkings, sse_events
from partstream.transports.sse import (
    DEFAULT_MAX_EVENT_SIZE,
    ServerSentEvent,
    SSEDecoder,
    encode_event,
    encode_events,
)

E = ServerSentEvent


def reference_parse(body: bytes) -> list[ServerSentEvent]:
    """The standard's algorithm, literally, for a complete body."""
    text = body.decode("utf-8", "replace")  # "decoded using the UTF-8 decode algorithm"
    if text.startswith("\ufeff"):  # UTF-8 decode strips one leading BOM
        text = text[1:]
    lines = re.split("\r\n|\r|\n", text)
    lines.pop()  # the text after the last line end is not a line (stream ended mid-line)
    events: list[ServerSentEvent] = []
    data = ""
    event_type = ""
    last_id = ""
    retry: int | None = None
    for line in lines:
        if line == "":
            if data == "":
                data = event_type = ""
                retry = None
                continue
            if data.endswith("\n"):
                data = data[:-1]
            events.append(E(event_type or "message", data, last_id or None, retry))
            data = event_type = ""
            retry = None
            continue
        if line.startswith(":"):
            continue
        if ":" in line:
            name, value = line.split(":", 1)
            if value.startswith(" "):
                value = value[1:]
        else:
            name, value = line, ""
        if name == "event":
            event_type = value
        elif name == "data":
            data += value + "\n"
        elif name == "id":
            if "\0" not in value:
                last_id = value
        elif name == "retry" and value and all(c in "0123456789" for c in value):
            retry = min(int(value), 2**63 - 1)
    return events


def decode_chunks(
    chunks: list[bytes], max_event_size: int = DEFAULT_MAX_EVENT_SIZE
) -> tuple[list[ServerSentEvent], type[BaseException] | None]:
    """Events of ``chunks`` and the error class raised (if any) after them."""
    decoder = SSEDecoder(max_event_size=max_event_size)
    out: list[ServerSentEvent] = []
    try:
        for chunk in chunks:
            out += decoder.feed(chunk)
        out += decoder.end()
    except PartstreamError as exc:
        return out, type(exc)
    return out, None


def decode(*chunks: bytes) -> list[ServerSentEvent]:
    events, error = decode_chunks(list(chunks))
    assert error is None
    return events


def bytewise(body: bytes) -> list[ServerSentEvent]:
    return decode(*(body[i : i + 1] for i in range(len(body))))


# -- every rule of the standard, one test each -------------------------------------------


def test_bom_is_dropped_once_even_when_split() -> None:
    body = b"\xef\xbb\xbfdata: a\n\n"
    assert decode(body) == [E(data="a")]
    assert bytewise(body) == [E(data="a")]
    assert decode(b"\xef", b"\xbb", b"\xbfdata: a\n\n") == [E(data="a")]
    # A second BOM is a character of the field name "\ufeffdata": an unknown field.
    assert decode(b"\xef\xbb\xbf\xef\xbb\xbfdata: a\n\n") == []
    # A BOM later in the stream is not special.
    assert decode(b"data: a\n\n\xef\xbb\xbfdata: b\n\n") == [E(data="a")]


def test_partial_bom_followed_by_other_bytes_is_kept() -> None:
    assert decode(b"\xef\xbb", b"x\n\ndata: a\n\n") == [E(data="a")]
    assert decode(b"\xef", b"data: a\n\n") == []  # "\ufffddata" is an unknown field


@pytest.mark.parametrize("eol", [b"\n", b"\r", b"\r\n"])
def test_each_line_end(eol: bytes) -> None:
    body = b"event: e" + eol + b"data: a" + eol + b"data: b" + eol + eol
    assert decode(body) == [E(event="e", data="a\nb")]
    assert bytewise(body) == [E(event="e", data="a\nb")]


def test_crlf_split_across_feeds_is_one_line_end() -> None:
    assert decode(b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n") == [E(data="a\nb")]
    # CR then LF in separate feeds, then a lone CR as the blank line.
    assert decode(b"data: a\r", b"\n", b"\r") == [E(data="a")]


def test_cr_cr_is_two_line_ends() -> None:
    assert decode(b"data: a\r\r") == [E(data="a")]
    assert decode(b"data: a\r", b"\r") == [E(data="a")]
    assert decode(b"data: a\n\r\n") == [E(data="a")]


def test_comments_are_ignored() -> None:
    assert decode(b": hello\ndata: a\n:\n: data: b\n\n") == [E(data="a")]
    assert decode(b": only a comment\n\n") == []


def test_field_without_colon_has_empty_value() -> None:
    assert decode(b"data\n\n") == [E(data="")]
    assert decode(b"data\ndata\n\n") == [E(data="\n")]
    assert decode(b"event\ndata: a\n\n") == [E(data="a")]  # empty type -> message
    assert decode(b"id: 1\ndata: a\n\nid\ndata: b\n\n") == [E(data="a", id="1"), E(data="b")]


def test_only_one_leading_space_is_stripped() -> None:
    assert decode(b"data:a\n\n") == [E(data="a")]
    assert decode(b"data: a\n\n") == [E(data="a")]
    assert decode(b"data:  a \n\n") == [E(data=" a ")]
    assert decode(b"data:\ta\n\n") == [E(data="\ta")]
    assert decode(b"event:  x\ndata\n\n") == [E(event=" x", data="")]


def test_value_keeps_later_colons() -> None:
    assert decode(b"data: a: b:c\n\n") == [E(data="a: b:c")]
    assert decode(b'data: {"k":"v"}\n\n') == [E(data='{"k":"v"}')]


def test_data_lines_are_joined_with_lf() -> None:
    assert decode(b"data: a\ndata:\ndata: c\n\n") == [E(data="a\n\nc")]
    assert decode(b"data: \n\n") == [E(data="")]


def test_event_type_defaults_to_message_and_resets_after_dispatch() -> None:
    assert decode(b"event: x\ndata: a\n\ndata: b\n\n") == [E(event="x", data="a"), E(data="b")]
    assert decode(b"event: x\nevent: y\ndata: a\n\n") == [E(event="y", data="a")]


def test_block_without_data_dispatches_nothing() -> None:
    assert decode(b"event: x\n\ndata: a\n\n") == [E(data="a")]  # the type does not leak
    assert decode(b"event: x\nid: 3\nretry: 5\n\n") == []


def test_id_with_nul_is_ignored() -> None:
    assert decode(b"id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\n") == [
        E(data="a", id="1"),
        E(data="b", id="1"),
    ]


def test_last_event_id_persists_and_empty_id_resets_it() -> None:
    body = b"id: 7\ndata: a\n\ndata: b\n\nid:\ndata: c\n\nid: 8\n\ndata: d\n\n"
    assert decode(body) == [
        E(data="a", id="7"),
        E(data="b", id="7"),
        E(data="c", id=None),
        E(data="d", id="8"),  # set by a block that dispatched nothing
    ]
    decoder = SSEDecoder(last_event_id="seed")
    assert decoder.feed(b"data: x\n\n") == [E(data="x", id="seed")]
    assert decoder.last_event_id == "seed"


def test_id_field_after_data_in_same_block_applies_to_it() -> None:
    assert decode(b"data: a\nid: 9\n\n") == [E(data="a", id="9")]


def test_retry_only_when_all_ascii_digits() -> None:
    assert decode(b"retry: 1500\ndata: a\n\n") == [E(data="a", retry=1500)]
    for bad in (b"1a", b"-1", b" 1", b"", b"1.5", b"+1", "\u0661\u0662".encode()):
        decoder = SSEDecoder()
        assert decoder.feed(b"retry: " + bad + b"\ndata: a\n\n") == [E(data="a")], bad
        assert decoder.retry is None
    # retry persists on the decoder (the reconnection time); events carry their own block's.
    decoder = SSEDecoder()
    assert decoder.feed(b"retry: 10\n\ndata: a\n\n") == [E(data="a")]
    assert decoder.retry == 10
    huge = b"9" * 5000  # more digits than Python parses: clamped, not an error
    assert decode(b"retry: " + huge + b"\ndata: a\n\n") == [E(data="a", retry=2**63 - 1)]
    assert decode(b"retry: 000042\ndata: a\n\n") == [E(data="a", retry=42)]


def test_unknown_fields_and_wrong_case_are_ignored() -> None:
    assert decode(b"foo: bar\nData: x\nEVENT: y\ndata: a\n\n") == [E(data="a")]


def test_unterminated_event_at_end_is_dropped() -> None:
    assert decode(b"data: a\n\ndata: b\n") == [E(data="a")]
    assert decode(b"data: a\n\ndata: b") == [E(data="a")]


def test_end_resets_for_a_new_body_and_keeps_the_last_id() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"id: 1\ndata: a\n\ndata: half") == [E(data="a", id="1")]
    assert decoder.end() == []
    # The half event is gone; a new body may start with a BOM; the id carries over.
    assert decoder.feed(b"\xef\xbb\xbfdata: b\n\n") == [E(data="b", id="1")]


def test_utf8_with_replacement_whatever_the_split() -> None:
    body = "data: h\u00e9llo \u20ac \U0001f600\n\n".encode()
    expected = [E(data="h\u00e9llo \u20ac \U0001f600")]
    assert bytewise(body) == expected
    assert decode(b"data: \xff\xfe x\n\n") == [E(data="\ufffd\ufffd x")]
    assert decode(b"data: \xe2\x82\n\n") == [E(data="\ufffd")]  # truncated sequence
    assert decode(b"data: \xe2\x82", b"\xac\n\n") == [E(data="\u20ac")]
    assert decode(b"da\xffta: x\n\n") == []  # the field name is not "data"


def test_blank_lines_between_events_and_at_start() -> None:
    assert decode(b"\n\n\r\n\rdata: a\n\n\n\n\ndata: b\r\n\r\n\r\n") == [
        E(data="a"),
        E(data="b"),
    ]


def test_fast_path_and_general_path_agree_within_one_region() -> None:
    body = b"data: a\n\nevent: x\ndata: b\n\ndata: c\n\n: comment\ndata: d\n\ndata:e\n\n"
    expected = [E(data="a"), E(event="x", data="b"), E(data="c"), E(data="d"), E(data="e")]
    assert decode(body) == expected
    assert bytewise(body) == expected
    assert reference_parse(body) == expected


# -- the size limit ----------------------------------------------------------------------


def test_max_event_size_is_validated() -> None:
    for bad in (0, -1, 1.5, True):
        with pytest.raises(InvalidArgumentError):
            SSEDecoder(max_event_size=bad)  # type: ignore[arg-type]
    assert DEFAULT_MAX_EVENT_SIZE == 32 * 2**20


def test_event_over_the_limit_raises_naming_the_option() -> None:
    decoder = SSEDecoder(max_event_size=100)
    assert decoder.feed(b"data: ok\n\n") == [E(data="ok")]
    with pytest.raises(LimitExceededError) as info:
        for _ in range(10):
            decoder.feed(b"data: " + b"x" * 30)
    assert info.value.option == "max_event_size"
    assert info.value.value == 100
    assert "max_event_size=" in str(info.value)
    with pytest.raises(LimitExceededError):  # a failed decoder stays failed
        decoder.feed(b"\n\n")


def test_events_before_an_oversized_one_in_the_same_chunk_come_first() -> None:
    decoder = SSEDecoder(max_event_size=50)
    body = b"data: a\n\ndata: " + b"y" * 100 + b"\n\ndata: c\n\n"
    assert decoder.feed(body) == [E(data="a")]
    with pytest.raises(LimitExceededError):
        decoder.end()


def test_limit_counts_lines_not_blank_lines_between_events() -> None:
    # 9 bytes of lines + its LF = 10: exactly at the limit passes, one more fails.
    assert decode_chunks([b"data: 123\n\n"], max_event_size=10) == ([E(data="123")], None)
    assert decode_chunks([b"data: 1234\n\n"], max_event_size=10) == ([], LimitExceededError)
    # Keep-alive blank lines between events never accumulate.
    many = [b"\n"] * 50 + [b"data: 1\n\n"]
    assert decode_chunks(many, max_event_size=10) == ([E(data="1")], None)


# -- properties ----------------------------------------------------------------------------

_tokens = st.sampled_from(
    [
        b"data",
        b"data:",
        b"data: ",
        b"event: ",
        b"id: ",
        b"id",
        b"retry: ",
        b"retry: 12",
        b":",
        b" ",
        b"\n",
        b"\r",
        b"\r\n",
        b"\n\n",
        b"\x00",
        b"\xef\xbb\xbf",
        b"\xe2\x82\xac",
        b"\xe2\x82",
        b"\xff",
        b"7",
        b"x",
    ]
)
sse_like_bytes = st.lists(_tokens | st.binary(max_size=3), max_size=40).map(b"".join)


@given(st.data())
def test_any_chunking_matches_the_reference(data: st.DataObject) -> None:
    body = data.draw(sse_like_bytes)
    chunks = data.draw(chunkings(body))
    expected = reference_parse(body)
    assert decode_chunks(chunks) == (expected, None)
    assert decode_chunks([body]) == (expected, None)


@given(st.binary(max_size=300), st.data())
def test_arbitrary_bytes_only_ever_raise_partstream_errors(
    body: bytes, data: st.DataObject
) -> None:
    chunks = data.draw(chunkings(body))
    limit = data.draw(st.integers(min_value=1, max_value=64))
    # Same events and the same error (if any) for the whole body and for the chunks.
    whole = decode_chunks([body], max_event_size=limit)
    assert decode_chunks(chunks, max_event_size=limit) == whole
    if whole[1] is None:
        assert whole[0] == reference_parse(body)


@given(st.data())
def test_limit_errors_do_not_depend_on_chunking(data: st.DataObject) -> None:
    body = data.draw(sse_like_bytes)
    limit = data.draw(st.integers(min_value=1, max_value=30))
    chunks = data.draw(chunkings(body))
    assert decode_chunks(chunks, max_event_size=limit) == decode_chunks(
        [body], max_event_size=limit
    )


def decode_data_chunks(
    chunks: list[bytes], max_event_size: int = DEFAULT_MAX_EVENT_SIZE
) -> tuple[list[str], str | None, type[BaseException] | None]:
    """``feed_data`` results of ``chunks``, the last event id, the error class (if any)."""
    decoder = SSEDecoder(max_event_size=max_event_size)
    out: list[str] = []
    try:
        for chunk in chunks:
            out += decoder.feed_data(chunk)
        decoder.end()
    except PartstreamError as exc:
        return out, decoder.last_event_id, type(exc)
    return out, decoder.last_event_id, None


@given(st.data())
def test_feed_data_is_the_data_of_feed(data: st.DataObject) -> None:
    # Arbitrary SSE-like bytes (both the one-data-line fast path and the general
    # path), arbitrary chunkings and limits: the same data, ids and errors as feed.
    body = data.draw(sse_like_bytes | chunked_sse_streams().map(lambda s: s.data))
    chunks = data.draw(chunkings(body))
    limit = data.draw(st.sampled_from([DEFAULT_MAX_EVENT_SIZE, 1, 5, 30]))
    decoder = SSEDecoder(max_event_size=limit)
    events: list[ServerSentEvent] = []
    error: type[BaseException] | None = None
    try:
        for chunk in chunks:
            events += decoder.feed(chunk)
        decoder.end()
    except PartstreamError as exc:
        error = type(exc)
    expected = ([e.data for e in events], decoder.last_event_id, error)
    assert decode_data_chunks(chunks, max_event_size=limit) == expected


def test_feed_data_fast_path_returns_each_events_data() -> None:
    body = b"".join(b'data: {"n": %d}\n\n' % i for i in range(50))
    decoder = SSEDecoder()
    assert decoder.feed_data(body[:-1]) == [f'{{"n": {i}}}' for i in range(49)]
    assert decoder.feed_data(body[-1:]) == ['{"n": 49}']
    assert decoder.feed_data(b"id: 7\ndata: a\ndata: b\n\nevent: x\ndata: c\n\n") == ["a\nb", "c"]
    assert decoder.last_event_id == "7"


@given(chunked_sse_streams())
def test_generated_encodings_decode_to_their_events(stream: SSEStream) -> None:
    assert b"".join(stream.chunks) == stream.data
    assert decode_chunks(stream.chunks) == (stream.events, None)
    assert reference_parse(stream.data) == stream.events


@given(sse_events(), st.data())
def test_encode_events_round_trip(events: list[ServerSentEvent], data: st.DataObject) -> None:
    body = encode_events(events)
    assert decode_chunks(data.draw(chunkings(body))) == (events, None)


def test_encode_event_rejects_what_cannot_be_written() -> None:
    for bad in (E(data="a\rb"), E(event="a\nb"), E(id="a\nb"), E(id="a\0b"), E(retry=-1)):
        with pytest.raises(InvalidArgumentError):
            encode_event(bad)
    assert encode_event(E(event="x", data="a\nb", id="1", retry=5)) == (
        b"event: x\nid: 1\nretry: 5\ndata: a\ndata: b\n\n"
    )
    assert encode_event(E(data=" a"), reset_id=True) == b"id\ndata:  a\n\n"


# -- linear time, checked structurally -----------------------------------------------------


def _work_for(size: int, chunk: int, *, lines: bool) -> int:
    if lines:
        row = b"data: " + b"A" * 70 + b"\n"
        body = row * (size // len(row)) + b"\n"
    else:
        body = b"data: " + b"A" * size + b"\n\n"
    decoder = SSEDecoder(max_event_size=4 * size)
    events = [ev for i in range(0, len(body), chunk) for ev in decoder.feed(body[i : i + chunk])]
    assert len(events) == 1
    assert len(events[0].data) >= 0.9 * size - 100
    return decoder._work


@pytest.mark.parametrize("lines", [False, True])
def test_a_big_event_fed_in_small_chunks_costs_linear_work(lines: bool) -> None:
    # `_work` counts the bytes that scans, copies, joins and decodes touch. A
    # quadratic decoder (re-scanning or re-joining its buffer per chunk) would do
    # size**2 / chunk work: for 4 MiB in 1 KiB chunks that is ~8 GiB, not ~16 MiB.
    small = _work_for(256 * 1024, 1024, lines=lines)
    big = _work_for(4 * 2**20, 1024, lines=lines)
    assert big <= 4 * (4 * 2**20) + 4096
    assert big / small < 16 * 1.1  # 16x the bytes, about 16x the work


def test_many_small_chunks_of_many_events_cost_linear_work() -> None:
    body = b"".join(b"data: %d\n\n" % i for i in range(20_000))
    decoder = SSEDecoder()
    count = 0
    for size in itertools.cycle([1, 7, 64, 3]):
        if not body:
            break
        count += len(decoder.feed(body[:size]))
        body = body[size:]
    assert count == 20_000
    assert decoder._work <= 4 * sum(len(b"data: %d\n\n" % i) for i in range(20_000))


@pytest.mark.parametrize("offset", [1, 6, 1000])
def test_8_mib_event_in_1_kib_chunks_is_one_event(offset: int) -> None:
    payload = b"B" * (8 * 2**20)
    body = b"data: " + payload + b"\n\n"
    decoder = SSEDecoder()
    events: list[ServerSentEvent] = []
    events += decoder.feed(body[:offset])
    for i in range(offset, len(body), 1024):
        events += decoder.feed(body[i : i + 1024])
    assert len(events) == 1
    assert len(events[0].data) == len(payload)
    assert decoder._work <= 4 * len(body)


def test_decoded_events_are_real_frozen_server_sent_events() -> None:
    # The fast paths build events without attrs' __init__: they must be the same thing.
    events = decode(b"data: a\n\nid: 7\ndata: b\n\nevent: x\ndata: c\n\n")
    built = [E(data="a"), E(data="b", id="7"), E(event="x", data="c", id="7")]
    assert events == built
    for ev, ref in zip(events, built, strict=True):
        assert type(ev) is ServerSentEvent
        assert hash(ev) == hash(ref)
        assert repr(ev) == repr(ref)
        assert pickle.loads(pickle.dumps(ev)) == ref
        assert attrs.asdict(ev) == attrs.asdict(ref)
        assert attrs.evolve(ev, data="z") == attrs.evolve(ref, data="z")
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            ev.data = "changed"  # type: ignore[misc]
