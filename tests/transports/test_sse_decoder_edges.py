"""SSEDecoder edges, each a named vector: CR across reads, sizes exactly at the limit,
the encoder's exact bytes and the arguments its errors name.

``test_sse_decoder.py`` has the rules and the properties against the reference
parser; these pin the cases its generators reach too rarely to rely on.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given

from partstream.errors import InvalidArgumentError, LimitExceededError
from partstream.testing import SSEStream, chunked_sse_streams
from partstream.testing._sse import _tricky_offsets
from partstream.transports import _sse_decoder
from partstream.transports.sse import ServerSentEvent, SSEDecoder, encode_event, encode_events

E = ServerSentEvent


def feeds(decoder: SSEDecoder, *chunks: bytes) -> list[list[ServerSentEvent]]:
    """What each feed returned, one list per chunk."""
    return [decoder.feed(chunk) for chunk in chunks]


# -- CR at the end of a read ------------------------------------------------------------


def test_a_cr_carried_across_reads_swallows_one_lf_only() -> None:
    # "x\r" "\n" is one line end; the next "\n" is the blank line that dispatches.
    assert feeds(SSEDecoder(), b"data: x\r", b"\n", b"\n") == [[], [], [E(data="x")]]
    assert feeds(SSEDecoder(), b"data: x\r", b"\n", b"\r") == [[], [], [E(data="x")]]
    # A CR, then a read that is not an LF: the CR stood alone, nothing is swallowed.
    assert feeds(SSEDecoder(), b"data: x\r", b"\rdata: y\n\n") == [[], [E(data="x"), E(data="y")]]
    assert feeds(SSEDecoder(), b"data: x\r", b"data: y\r\n\r\n") == [[], [E(data="x\ny")]]


def test_a_cr_at_the_end_of_a_read_with_events_before_it() -> None:
    decoder = SSEDecoder()
    assert feeds(decoder, b"data: a\n\ndata: b\r", b"\n", b"\n") == [
        [E(data="a")],
        [],
        [E(data="b")],
    ]
    # An empty read between the CR and its LF changes nothing.
    assert feeds(decoder, b"data: c\r", b"", b"\n\n") == [[], [], [E(data="c")]]


def test_a_cr_inside_a_read_leaves_the_next_reads_lf_alone() -> None:
    # Only a CR that *ends* a read can pair with an LF in the next one.
    assert feeds(SSEDecoder(), b"data: a\r\n", b"\n") == [[], [E(data="a")]]
    assert feeds(SSEDecoder(), b"data: a\r\ndata: b\n", b"\n") == [[], [E(data="a\nb")]]


def test_a_byte_order_mark_after_a_cr_is_not_stripped_again() -> None:
    # Only the first bytes of a body can be its BOM: later ones are text (here, part
    # of an unknown field name), even right after a read that ended in CR.
    decoder = SSEDecoder()
    assert feeds(decoder, b"data: a\r", b"\xef\xbb\xbfdata: b\n\n") == [[], [E(data="a")]]
    decoder = SSEDecoder()
    assert feeds(decoder, b"data: a\r", b"\xef", b"\xbb\xbfdata: b\n\n") == [[], [], [E(data="a")]]


def test_leading_blank_lines_are_not_part_of_an_event() -> None:
    # Stripped LFs only: the first character of the next line stays (an unknown field).
    assert SSEDecoder().feed(b"\nXdata: a\n\n") == []
    decoder = SSEDecoder(max_event_size=11)
    assert decoder.feed(b"\ndata: 12345") == []  # 11 bytes held, the LF not counted
    with pytest.raises(LimitExceededError):  # its LF makes 12
        decoder.feed(b"\n\n")


def test_one_line_events_in_one_read_carry_the_last_event_id() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"id: 7\n\n") == []
    assert decoder.feed(b"data: a\n\ndata: b\n\n") == [E(data="a", id="7"), E(data="b", id="7")]
    assert decoder.feed(b"data: c\n\n") == [E(data="c", id="7")]


def test_feed_data_of_a_multi_line_event_in_the_one_line_fast_path() -> None:
    # A region that starts like the one-line fast path but holds a multi-line event.
    decoder = SSEDecoder()
    assert decoder.feed_data(b"data: a\ndata: b\n\ndata: c\n\n") == ["a\nb", "c"]
    assert decoder.feed_data(b"data: d\nid: 9\n\n") == ["d"]
    assert decoder.last_event_id == "9"


def test_feed_data_keeps_the_same_cr_state() -> None:
    decoder = SSEDecoder()
    assert [decoder.feed_data(c) for c in (b"data: x\r", b"\n", b"\n")] == [[], [], ["x"]]


# -- sizes exactly at the limit -----------------------------------------------------------


def test_an_unfinished_event_of_exactly_the_limit_is_held_without_error() -> None:
    decoder = SSEDecoder(max_event_size=10)
    assert decoder.feed(b"data: 1234") == []  # 10 bytes held: at the limit, not over
    assert decoder.end() == []  # dropped at the end, as the standard says
    decoder = SSEDecoder(max_event_size=10)
    assert decoder.feed(b"data: 123") == []
    assert decoder.feed(b"4") == []  # 10 bytes held across two reads
    with pytest.raises(LimitExceededError):
        decoder.feed(b"5")


def test_the_rest_of_a_read_after_an_event_may_be_exactly_the_limit() -> None:
    decoder = SSEDecoder(max_event_size=10)
    assert decoder.feed(b"data: a\n\ndata: 1234") == [E(data="a")]
    with pytest.raises(LimitExceededError):
        decoder.feed(b"5")
    decoder = SSEDecoder(max_event_size=10)
    assert decoder.feed(b"data: a\n\ndata: 123\n") == [E(data="a")]  # 9 + LF = 10
    assert decoder.feed(b"\n") == [E(data="123")]
    decoder = SSEDecoder(max_event_size=10)
    assert decoder.feed(b"data: a\n\ndata: 12345") == [E(data="a")]  # the error comes next
    with pytest.raises(LimitExceededError):
        decoder.end()


@pytest.mark.parametrize("split", range(11))
def test_an_event_of_exactly_the_limit_passes_whatever_the_split(split: int) -> None:
    body = b"data: 123\n\n"  # 9 bytes of line + its LF = 10
    decoder = SSEDecoder(max_event_size=10)
    assert decoder.feed(body[:split]) + decoder.feed(body[split:]) == [E(data="123")]
    decoder = SSEDecoder(max_event_size=9)
    with pytest.raises(LimitExceededError):
        decoder.feed(body[:split])
        decoder.feed(body[split:])
        decoder.end()


def test_the_size_count_restarts_after_each_event_and_each_body() -> None:
    decoder = SSEDecoder(max_event_size=10)
    assert decoder.feed(b"data: 12") == []
    assert decoder.feed(b"3\n\n") == [E(data="123")]
    assert decoder.feed(b"data: 1234") == []  # a fresh count: 10 bytes
    with pytest.raises(LimitExceededError):
        decoder.feed(b"5")
    decoder = SSEDecoder(max_event_size=10)
    assert decoder.feed(b"data: 12") == []
    assert decoder.end() == []
    assert decoder.feed(b"data: 1234") == []  # the next body counts from zero
    with pytest.raises(LimitExceededError):
        decoder.feed(b"5")


def test_an_oversized_event_alone_in_a_read_raises_at_once() -> None:
    decoder = SSEDecoder(max_event_size=10)
    with pytest.raises(LimitExceededError):
        decoder.feed(b"data: 1234\n\n")  # no event before it: nothing to hand out first
    decoder = SSEDecoder(max_event_size=10)
    with pytest.raises(LimitExceededError):
        decoder.feed(b"XXdata: 12\n\n")  # 10 bytes of line + its LF: the X's count


def test_a_region_over_the_limit_keeps_the_events_before_the_big_one() -> None:
    # One read holds a small event, an event exactly at the limit and one over it.
    decoder = SSEDecoder(max_event_size=10)
    body = b"data: a\n\ndata: 123\n\ndata: 1234\n\ndata: b\n\n"
    assert decoder.feed(body) == [E(data="a"), E(data="123")]
    with pytest.raises(LimitExceededError) as info:
        decoder.feed(b"data: c\n\n")
    assert (info.value.option, info.value.value, info.value.limit) == (
        "max_event_size",
        10,
        "SSE event size",
    )
    # The first oversized event ends the region, even when a later one is too big too.
    decoder = SSEDecoder(max_event_size=10)
    body = b"data: a\n\ndata: 12345\n\ndata: b\n\ndata: 67890\n\n"
    assert decoder.feed(body) == [E(data="a")]
    # Blank lines leading a block do not count: only its lines and their line ends.
    decoder = SSEDecoder(max_event_size=10)
    assert decoder.feed(b"data: 1\n\n\n\n\ndata: 123\n\ndata: 1234\n\n") == [
        E(data="1"),
        E(data="123"),
    ]


# -- the encoder ------------------------------------------------------------------------------


def test_encode_events_writes_ids_only_where_they_change_from_last_event_id() -> None:
    events = [E(data="a", id="7"), E(data="b", id="7"), E(data="c"), E(data="d", id="8")]
    assert encode_events(events, last_event_id="7") == (
        b"data: a\n\ndata: b\n\nid\ndata: c\n\nid: 8\ndata: d\n\n"
    )
    assert encode_events(events) == (
        b"id: 7\ndata: a\n\ndata: b\n\nid\ndata: c\n\nid: 8\ndata: d\n\n"
    )
    # An empty last_event_id is no id at all: an event without an id needs no reset.
    assert encode_events([E(data="x")], last_event_id="") == b"data: x\n\n"
    assert encode_events([]) == b""


def test_encode_event_exact_bytes() -> None:
    assert encode_event(E(data="")) == b"data: \n\n"
    assert encode_event(E(event="message", data="a")) == b"data: a\n\n"
    assert encode_event(E(data="a", retry=0)) == b"retry: 0\ndata: a\n\n"
    assert encode_event(E(data="a\n\nb")) == b"data: a\ndata: \ndata: b\n\n"
    assert encode_event(E(data="a", id="1"), reset_id=True) == b"id: 1\ndata: a\n\n"


@pytest.mark.parametrize(
    ("event", "argument"),
    [
        (E(event="a\rb"), "event"),
        (E(event="a\nb"), "event"),
        (E(id="a\rb"), "id"),
        (E(id="a\nb"), "id"),
        (E(id="a\0b"), "id"),
        (E(data="a\rb"), "data"),
        (E(retry=-1), "retry"),
    ],
)
def test_encode_event_errors_name_their_argument(event: ServerSentEvent, argument: str) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        encode_event(event)
    assert info.value.argument == argument


@pytest.mark.parametrize("bad", [0, -5, 2.0, False, None])
def test_max_event_size_errors_name_the_option(bad: object) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        SSEDecoder(max_event_size=bad)  # type: ignore[arg-type]
    assert info.value.argument == "max_event_size"


@pytest.mark.parametrize(
    ("digits", "retry"),
    [
        ("9" * 18, 10**18 - 1),
        ("9" * 19, 2**63 - 1),  # 19 digits can pass the 63-bit bound: clamped
        ("9223372036854775807", 2**63 - 1),
        ("9223372036854775808", 2**63 - 1),
        ("0" * 30 + "42", 42),  # leading zeros do not make a value big
        ("0" * 5 + "1" + "0" * 18, 10**18),
        ("0" * 30, 0),
        ("1" + "0" * 19, 2**63 - 1),
    ],
)
def test_retry_values_near_the_63_bit_bound(digits: str, retry: int) -> None:
    decoder = SSEDecoder()
    assert decoder.feed(f"retry: {digits}\ndata: a\n\n".encode()) == [E(data="a", retry=retry)]
    assert decoder.retry == retry


def test_the_fast_event_constructors_are_in_use_and_the_fallback_agrees() -> None:
    # On CPython the decoder builds events without attrs' __init__ (``__class__``
    # assignment, probed at import); elsewhere it falls back to plain construction.
    assert _sse_decoder._FAST is True
    fast: list[object] = [_sse_decoder._message, _sse_decoder._message_no_id]
    assert fast == [_sse_decoder._Message, _sse_decoder._MessageNoId]
    assert _sse_decoder._message_slow("x", "1") == E(data="x", id="1")
    assert _sse_decoder._message_slow("y") == E(data="y")
    assert type(_sse_decoder._message_slow("y")) is ServerSentEvent
    assert ServerSentEvent() == ServerSentEvent("message", "", None, None)


def test_an_empty_last_event_id_is_none() -> None:
    decoder = SSEDecoder(last_event_id="")
    assert decoder.last_event_id is None
    assert decoder.feed(b"data: a\n\n") == [E(data="a")]


# -- generated streams with the limit set exactly at their largest event -----------------


def largest_block(body: bytes) -> int:
    """The size ``max_event_size`` counts for the largest event block of ``body``."""
    text = re.sub(rb"\r\n?", b"\n", body.removeprefix(b"\xef\xbb\xbf"))
    blocks = [b.lstrip(b"\n") for b in text.split(b"\n\n")[:-1]]
    return max((len(b) + 1 for b in blocks if b), default=0)


@given(chunked_sse_streams())
def test_a_limit_equal_to_the_largest_event_passes_one_less_fails(stream: SSEStream) -> None:
    size = largest_block(stream.data)
    decoder = SSEDecoder(max_event_size=max(size, 1))
    events = [ev for chunk in stream.chunks for ev in decoder.feed(chunk)] + decoder.end()
    assert events == stream.events
    if size > 1:
        decoder = SSEDecoder(max_event_size=size - 1)
        with pytest.raises(LimitExceededError):
            for chunk in stream.chunks:
                decoder.feed(chunk)
            decoder.end()


def test_chunkings_favour_the_tricky_offsets() -> None:
    body = b"da\r\n\xe2\x82\xac\n"
    # After the CR (inside CRLF), after the LF, before the CR; inside the euro sign.
    assert _tricky_offsets(body) == [2, 3, 4, 5, 6, 7]
    assert _tricky_offsets(b"data") == []
