"""The sans-IO parts of the WebSocket client: URL, handshake checks, the frame protocol."""

from __future__ import annotations

import base64
import codecs
import hashlib
import itertools
import struct

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from tests.transports._ws_peers import WS_GUID, binary, close, cont, frame, ping, pong, text
from wsproto.connection import Connection, ConnectionType
from wsproto.events import BytesMessage, CloseConnection, TextMessage

from partstream.errors import (
    InvalidArgumentError,
    LimitExceededError,
    PartstreamError,
    ProtocolError,
    WebSocketHandshakeError,
)
from partstream.transports import websocket
from partstream.transports._ws_frames import State
from partstream.transports._ws_handshake import ClientHandshake
from partstream.transports._ws_protocol import ClientProtocol
from partstream.transports.websocket import parse_websocket_url, validate_subprotocols

BIG = 1 << 30

# -- URLs --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "secure", "host", "port", "resource", "host_header"),
    [
        ("ws://example.com", False, "example.com", 80, "/", "example.com"),
        ("wss://example.com/", True, "example.com", 443, "/", "example.com"),
        ("ws://example.com:8080/a/b?x=1&y=2", False, "example.com", 8080, "/a/b?x=1&y=2",
         "example.com:8080"),
        ("wss://gw.example/realtime-model?ai-model-id=openai/gpt-realtime", True, "gw.example",
         443, "/realtime-model?ai-model-id=openai/gpt-realtime", "gw.example"),
        ("ws://[::1]:9000/p", False, "::1", 9000, "/p", "[::1]:9000"),
        ("wss://[::1]/p", True, "::1", 443, "/p", "[::1]"),
        ("ws://127.0.0.1:80/", False, "127.0.0.1", 80, "/", "127.0.0.1"),
        ("WS://EXAMPLE.com/Path", False, "example.com", 80, "/Path", "example.com"),
        ("ws://example.com/a b?q=ü", False, "example.com", 80, "/a%20b?q=%C3%BC", "example.com"),
        ("ws://bücher.example/", False, "xn--bcher-kva.example", 80, "/", "xn--bcher-kva.example"),
        ("ws://example.com/?", False, "example.com", 80, "/?", "example.com"),
    ],
)  # fmt: skip
def test_url_parsing(
    url: str, secure: bool, host: str, port: int, resource: str, host_header: str
) -> None:
    parsed = parse_websocket_url(url)
    assert parsed.secure is secure
    assert parsed.host == host
    assert parsed.port == port
    assert parsed.resource == resource
    assert parsed.host_header == host_header


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/",
        "example.com",
        "ws://",
        "ws://example.com/#frag",
        "ws://example.com:99999/",
        "ws://example.com:0/",
        "ws://example.com:abc/",
    ],
)
def test_bad_urls(url: str) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        parse_websocket_url(url)
    assert info.value.argument == "url"


def test_url_credentials_rejected_without_echo() -> None:
    with pytest.raises(InvalidArgumentError) as info:
        parse_websocket_url("wss://user:s3cr3t-t0ken@example.com/")
    assert "s3cr3t-t0ken" not in str(info.value)


# -- subprotocols and headers ------------------------------------------------------------

_TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
tokens = st.text(alphabet=_TCHARS, min_size=1, max_size=40)


@given(st.lists(tokens, max_size=8))
def test_valid_tokens_are_accepted(protocols: list[str]) -> None:
    assert validate_subprotocols(protocols) == protocols


@given(
    secret=st.text(alphabet=_TCHARS, min_size=12, max_size=40),
    bad=st.characters(
        exclude_characters=_TCHARS, exclude_categories=["Cs"]
    ),  # anything outside tchar: space, comma, quote, non-ASCII, controls...
    position=st.integers(min_value=0, max_value=40),
    index=st.integers(min_value=0, max_value=3),
)
def test_invalid_token_error_never_echoes_the_value(
    secret: str, bad: str, position: int, index: int
) -> None:
    value = secret[:position] + bad + secret[position:]
    protocols = ["ai-gateway-realtime.v1"] * index + [value]
    with pytest.raises(InvalidArgumentError) as info:
        validate_subprotocols(protocols)
    message = str(info.value)
    assert f"subprotocols[{index}]" in message
    assert secret[:12] not in message
    assert value not in message
    assert info.value.argument == "subprotocols"


def test_empty_and_non_str_subprotocols() -> None:
    with pytest.raises(InvalidArgumentError, match=r"subprotocols\[0\].*empty"):
        validate_subprotocols([""])
    with pytest.raises(InvalidArgumentError, match="single string"):
        validate_subprotocols("v1")
    with pytest.raises(InvalidArgumentError, match=r"subprotocols\[1\] must be a str"):
        validate_subprotocols(["v1", b"v2"])  # type: ignore[list-item]


def test_subprotocol_header_stays_under_8_kib() -> None:
    # ", ".join: n tokens of length L give n*L + 2*(n-1) bytes.
    just_under = ["a" * 8191]
    assert validate_subprotocols(just_under) == just_under
    with pytest.raises(InvalidArgumentError, match="8192"):
        validate_subprotocols(["a" * 8192])
    with pytest.raises(InvalidArgumentError, match="8192"):
        validate_subprotocols(["a" * 4095, "b" * 4095])  # 8192 with the separator


def _handshake(**kwargs: object) -> ClientHandshake:
    return ClientHandshake(parse_websocket_url("ws://127.0.0.1:1/x?y=1"), **kwargs)  # type: ignore[arg-type]


def test_request_carries_path_query_subprotocols_and_headers() -> None:
    hs = _handshake(subprotocols=["v1", "ai-gateway-auth.tok"], headers={"Authorization": "B x"})
    head = hs.request.decode("latin-1")
    assert head.startswith("GET /x?y=1 HTTP/1.1\r\n")
    lower = head.lower()
    assert "host: 127.0.0.1:1\r\n" in lower
    assert "sec-websocket-protocol: v1, ai-gateway-auth.tok\r\n" in lower
    assert "Authorization: B x\r\n" in head
    assert "user-agent: partstream" in lower
    assert "sec-websocket-version: 13\r\n" in lower


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-WebSocket-Protocol": "x"},
        {"Host": "evil"},
        {"Upgrade": "h2c"},
        {"sec-websocket-key": "AAAA"},
        [("Bad Name", "x")],
        [("X", "a", "b")],
    ],
)
def test_reserved_or_malformed_headers_rejected(headers: object) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        _handshake(headers=headers)
    assert info.value.argument == "headers"


@pytest.mark.parametrize("bad", ["tok\r\nX-Injected: 1", "tok\nx", "tok\x00", "tok\x7f"])
def test_bad_header_value_rejected_without_echo(bad: str) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        _handshake(headers={"Authorization": f"Bearer sk-secret-{bad}"})
    assert "sk-secret" not in str(info.value)
    assert info.value.__cause__ is None


def _response(*lines: str, body: bytes = b"") -> bytes:
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def _accept_for(hs: ClientHandshake) -> str:
    key = next(
        line.split(":", 1)[1].strip()
        for line in hs.request.decode().split("\r\n")
        if line.lower().startswith("sec-websocket-key")
    )
    return base64.b64encode(hashlib.sha1(key.encode() + WS_GUID).digest()).decode()


def _accepting(hs: ClientHandshake, *extra: str) -> bytes:
    return _response(
        "HTTP/1.1 101 Switching Protocols",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Accept: {_accept_for(hs)}",
        *extra,
    )


@pytest.mark.parametrize("cut", [1, 20, 100, -8, 0])
def test_handshake_accepts_and_keeps_trailing_frames(cut: int) -> None:
    hs = _handshake(subprotocols=["v1", "v2"])
    data = _accepting(hs, "Sec-WebSocket-Protocol: v2", "X-Extra: 1") + text("early")
    cut = cut % len(data) if cut else len(data)
    result = hs.receive_data(data[:cut]) or hs.receive_data(data[cut:])
    assert result is not None
    assert result.subprotocol == "v2"
    assert ("x-extra", "1") in result.headers
    assert result.trailing_data == text("early")


@pytest.mark.parametrize(
    ("offered", "extra", "match"),
    [
        (["v1"], ["Sec-WebSocket-Protocol: ai-gateway-auth.s3cret"], "not offered"),
        ([], ["Sec-WebSocket-Protocol: v1"], "not offered"),
        (["v1"], ["Sec-WebSocket-Extensions: permessage-deflate"], "extension"),
    ],
)
def test_handshake_bad_101_fails_without_echoing_subprotocols(
    offered: list[str], extra: list[str], match: str
) -> None:
    hs = _handshake(subprotocols=offered)
    with pytest.raises(WebSocketHandshakeError, match=match) as info:
        hs.receive_data(_accepting(hs, *extra))
    assert "s3cret" not in str(info.value)


def test_handshake_bad_accept_key() -> None:
    hs = _handshake()
    data = _response(
        "HTTP/1.1 101 Switching Protocols",
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    )
    with pytest.raises(WebSocketHandshakeError, match="accept"):
        hs.receive_data(data)


def test_handshake_refusal_has_status_headers_and_bounded_body() -> None:
    hs = _handshake()
    body = b"unauthorized: " + b"x" * 10_000
    data = _response(
        "HTTP/1.1 401 Unauthorized", f"Content-Length: {len(body)}", "WWW-Authenticate: Bearer"
    )
    assert hs.receive_data(data) is None
    with pytest.raises(WebSocketHandshakeError) as info:
        hs.receive_data(body)
    err = info.value
    assert err.status_code == 401
    assert err.headers["www-authenticate"] == "Bearer"
    assert err.body is not None
    assert err.body.startswith("unauthorized: xxx")
    assert len(err.body) < 4200


def test_handshake_refusal_without_body_and_at_eof() -> None:
    hs = _handshake()
    with pytest.raises(WebSocketHandshakeError) as info:
        hs.receive_data(_response("HTTP/1.1 403 Forbidden", "Content-Length: 0"))
    assert info.value.status_code == 403
    hs = _handshake()
    hs.receive_data(_response("HTTP/1.1 500 Oops", "Connection: close") + b"partial")
    with pytest.raises(WebSocketHandshakeError) as info:
        hs.receive_eof()
    assert info.value.status_code == 500
    assert info.value.body == "partial"
    with pytest.raises(WebSocketHandshakeError, match="closed the connection"):
        _handshake().receive_eof()


def test_handshake_head_is_bounded() -> None:
    hs = _handshake()
    with pytest.raises(WebSocketHandshakeError, match="exceeds"):
        for _ in range(100):
            hs.receive_data(b"X-Long: " + b"a" * 1000 + b"\r\n")


@given(st.binary(max_size=300))
def test_handshake_never_raises_anything_else(data: bytes) -> None:
    hs = _handshake(subprotocols=["v1"])
    try:
        hs.receive_data(data)
        hs.receive_eof()
    except WebSocketHandshakeError:
        pass


# -- the frame protocol ------------------------------------------------------------------


def _state(proto: ClientProtocol) -> State:
    return proto.state  # (a call, so type checkers do not keep a narrowed state)


def _failure(proto: ClientProtocol) -> object:
    return proto.failure


def feed(proto: ClientProtocol, *chunks: bytes) -> list[str | bytes]:
    out: list[str | bytes] = []
    for chunk in chunks:
        out += proto.receive_data(chunk)
    return out


def test_messages_text_and_binary() -> None:
    p = ClientProtocol(max_message_size=BIG)
    assert feed(p, text("héllo") + binary(b"\x00\xff") + text("")) == ["héllo", b"\x00\xff", ""]
    assert p.state is State.OPEN
    assert p.data_to_send() == b""


def test_fragmented_message_with_interleaved_controls() -> None:
    p = ClientProtocol(max_message_size=BIG)
    data = (
        text("frag", fin=False)
        + ping(b"p1")
        + cont(b"men", fin=False)
        + pong(b"k")
        + cont("tée".encode())
        + binary(b"a", fin=False)
        + cont(b"b")
    )
    assert feed(p, data) == ["fragmentée", b"ab"]
    assert p.pongs == [b"k"]
    owed = p.data_to_send()
    server = Connection(ConnectionType.SERVER)
    server.receive_data(owed)
    events = list(server.events())
    assert [(type(e).__name__, e.payload) for e in events] == [("Pong", b"p1")]  # type: ignore[attr-defined]


def test_pong_payload_up_to_125_bytes() -> None:
    p = ClientProtocol(max_message_size=BIG)
    feed(p, ping(b"x" * 125))
    (event,) = _server_events(p.data_to_send())
    assert type(event).__name__ == "Pong"
    assert event.payload == b"x" * 125  # type: ignore[attr-defined]


def _client_frames(data: bytes) -> list[tuple[int, bytes]]:
    """Parse masked client frames by hand: [(opcode, unmasked payload)]."""
    out = []
    while data:
        assert data[1] & 0x80, "client frames are masked"
        n = data[1] & 0x7F
        pos = 2
        if n == 126:
            n, pos = struct.unpack("!H", data[2:4])[0], 4
        elif n == 127:
            n, pos = struct.unpack("!Q", data[2:10])[0], 10
        mask, raw = data[pos : pos + 4], data[pos + 4 : pos + 4 + n]
        out.append((data[0] & 0x0F, bytes(b ^ mask[i % 4] for i, b in enumerate(raw))))
        data = data[pos + 4 + n :]
    return out


def _server_events(data: bytes) -> list[object]:
    server = Connection(ConnectionType.SERVER)
    server.receive_data(data)
    return list(server.events())


def test_owed_frames_are_masked_and_parse_as_client_frames() -> None:
    p = ClientProtocol(max_message_size=BIG)
    feed(p, ping(b"abc"))
    owed = p.data_to_send()
    assert owed[1] & 0x80  # masked (RFC 6455 5.3)
    # wsproto's server parser turns our PONG into a Pong event with the same payload.
    (event,) = _server_events(owed)
    assert type(event).__name__ == "Pong"
    assert event.payload == b"abc"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("payload", "code", "reason"),
    [
        (b"", 1005, ""),
        (struct.pack("!H", 1000), 1000, ""),
        (struct.pack("!H", 1001) + b"going away", 1001, "going away"),
        (struct.pack("!H", 1011) + "ünïcode".encode(), 1011, "ünïcode"),
        (struct.pack("!H", 1012), 1012, ""),
        (struct.pack("!H", 1014), 1014, ""),
        (struct.pack("!H", 3000), 3000, ""),
        (struct.pack("!H", 4999) + b"app", 4999, "app"),
    ],
)
def test_peer_close_is_reported_exactly_and_echoed(payload: bytes, code: int, reason: str) -> None:
    p = ClientProtocol(max_message_size=BIG)
    assert feed(p, text("before") + frame(0x8, payload) + text("after")) == ["before"]
    assert p.state is State.CLOSED
    assert p.close_received == (code, reason)
    assert (p.close_code, p.close_reason) == (code, reason)
    assert p.failure is None
    # RFC 6455 5.5.1: echo the status code; an empty close is answered with an empty one.
    ((opcode, reply),) = _client_frames(p.data_to_send())
    assert opcode == 0x8
    assert reply == (b"" if code == 1005 else struct.pack("!H", code))
    assert feed(p, text("later")) == []


def test_close_reply_after_our_close_is_not_sent_twice() -> None:
    p = ClientProtocol(max_message_size=BIG)
    sent = p.send_close(4000, "bye")
    assert sent
    assert p.state is State.CLOSING
    assert p.send_close() == b""
    assert feed(p, text("late") + close(4000, "bye")) == ["late"]
    assert _state(p) is State.CLOSED
    assert p.data_to_send() == b""
    assert p.close_code == 4000


def test_eof_without_close_is_1006() -> None:
    p = ClientProtocol(max_message_size=BIG)
    feed(p, text("a", fin=False))
    p.receive_eof()
    assert p.state is State.CLOSED
    assert p.close_code == 1006
    assert p.close_reason == ""


VIOLATIONS: list[tuple[str, bytes, int]] = [
    ("rsv1", frame(0x1, b"x", rsv=4), 1002),
    ("rsv2", frame(0x1, b"x", rsv=2), 1002),
    ("rsv3 on control", frame(0x9, b"", rsv=1), 1002),
    ("masked", frame(0x1, b"x", mask=b"abcd"), 1002),
    *[(f"opcode {op:#x}", frame(op, b""), 1002) for op in (3, 4, 5, 6, 7, 0xB, 0xC, 0xF)],
    ("fragmented ping", frame(0x9, b"", fin=False), 1002),
    ("long ping", frame(0x9, b"x" * 126), 1002),
    ("long close", frame(0x8, struct.pack("!H", 1000) + b"x" * 124), 1002),
    ("orphan continuation", cont(b"x"), 1002),
    ("text inside fragmented", text("a", fin=False) + text("b"), 1002),
    ("binary inside fragmented", binary(b"a", fin=False) + binary(b"b"), 1002),
    ("non-minimal 16-bit length", frame(0x1, b"x", length_bytes=2), 1002),
    ("non-minimal 64-bit length", frame(0x2, b"x" * 300, length_bytes=8), 1002),
    ("64-bit length MSB", b"\x82\x7f" + struct.pack("!Q", 1 << 63), 1002),
    ("1-byte close", frame(0x8, b"\x03"), 1002),
    *[
        (f"close code {c}", close(c), 1002)
        for c in (0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535)
    ],
    ("close reason not UTF-8", frame(0x8, struct.pack("!H", 1000) + b"\xff"), 1007),
    ("text not UTF-8", frame(0x1, b"ok\xc0\xaf"), 1007),
    ("surrogate in text", frame(0x1, b"\xed\xa0\x80"), 1007),
    ("above U+10FFFF", frame(0x1, b"\xf4\x90\x80\x80"), 1007),
    ("truncated at message end", frame(0x1, b"ok\xe2\x82"), 1007),
    ("fragmented invalid", text("ok", fin=False) + cont(b"\xff"), 1007),
]


@pytest.mark.parametrize(("name", "data", "code"), VIOLATIONS, ids=[v[0] for v in VIOLATIONS])
def test_violations_fail_with_the_rfc_code(name: str, data: bytes, code: int) -> None:
    p = ClientProtocol(max_message_size=BIG)
    assert feed(p, text("first") + data + text("never")) == ["first"]
    assert p.state is State.CLOSED
    assert isinstance(p.failure, ProtocolError)
    assert p.failure.close_code == code
    assert p.close_code == code
    assert p.close_received is None
    (event,) = _server_events(p.data_to_send())
    assert isinstance(event, CloseConnection)
    assert event.code == code
    assert feed(p, text("more")) == []
    assert p.data_to_send() == b""


def test_violation_while_closing_sends_no_second_close() -> None:
    p = ClientProtocol(max_message_size=BIG)
    p.send_close()
    feed(p, frame(0x3, b""))
    assert p.failure is not None
    assert p.close_code == 1002
    assert p.data_to_send() == b""


@pytest.mark.parametrize(
    ("first", "second", "fails_on_first"),
    [
        (b"ab\xed", b"\xa0\x80", False),  # ED alone may still become U+D000-U+D7FF
        (b"ab\xed\xa0", b"\x80", True),  # ED A0: a surrogate, never valid (fail fast)
        (b"c\xed\xbf", b"\xbf", True),
        (b"\xf0\x9f\x98", b"\x00", False),  # a valid 3-byte prefix of a 4-byte sequence
        (b"\xf4\x90", b"\x80\x80", True),  # above U+10FFFF
        (b"\xe0\x80", b"\x80", True),  # overlong
        (b"\xf0\x80", b"\x80\x80", True),  # overlong
        (b"ok\xff", b"", True),
        (b"ok\xc0", b"\xaf", True),
    ],
)
def test_invalid_utf8_split_across_frames_fails_fast(
    first: bytes, second: bytes, fails_on_first: bool
) -> None:
    p = ClientProtocol(max_message_size=BIG)
    assert feed(p, frame(0x1, first, fin=False)) == []
    assert (p.failure is not None) is fails_on_first
    feed(p, cont(second))
    assert isinstance(p.failure, ProtocolError)
    assert p.close_code == 1007


def test_surrogate_prefix_fails_before_the_next_frame() -> None:
    p = ClientProtocol(max_message_size=BIG)
    feed(p, frame(0x1, b"x\xed\xa0", fin=False))
    assert p.close_code == 1007


def test_message_too_big_fails_on_the_frame_header() -> None:
    p = ClientProtocol(max_message_size=1000)
    assert feed(p, text("a" * 1000)) == ["a" * 1000]
    # Only the header of a 1001-byte frame: no payload needed to fail.
    header = frame(0x2, b"x" * 1001)[:4]
    assert feed(p, header) == []
    assert isinstance(p.failure, LimitExceededError)
    assert p.failure.option == "max_message_size"
    assert p.failure.value == 1000
    assert p.close_code == 1009
    (event,) = _server_events(p.data_to_send())
    assert isinstance(event, CloseConnection)
    assert event.code == 1009


def test_message_too_big_counts_fragments() -> None:
    p = ClientProtocol(max_message_size=10)
    assert feed(p, text("12345", fin=False), cont(b"12345", fin=False)) == []
    assert p.failure is None
    feed(p, cont(b"1"))
    assert isinstance(_failure(p), LimitExceededError)
    assert p.close_code == 1009


def test_large_frame_is_streamed_in_chunks() -> None:
    payload = ("ü" * 300_000).encode()  # 600 kB, beyond the whole-frame limit
    data = frame(0x1, payload) + binary(b"tail")
    p = ClientProtocol(max_message_size=BIG)
    out: list[str | bytes] = []
    for i in range(0, len(data), 4093):  # odd chunk size: splits the 2-byte characters
        out += p.receive_data(data[i : i + 4093])
        assert len(p._buffer) <= 4093 + 14  # nothing accumulates beyond one read
    assert out == ["ü" * 300_000, b"tail"]


def test_frame_trickling_in_is_joined_once() -> None:
    """A whole-parsed frame (<= 256 KiB) arriving in many small reads is copied once.

    The start of the frame is kept as it came and later reads are only collected
    until the frame is complete (re-joining at every read would copy the frame
    once per read: quadratic in the number of reads).
    """
    payload = bytes(range(256)) * 800  # 200 KiB: parsed whole, not streamed
    data = binary(payload) + text("next")
    p = ClientProtocol(max_message_size=BIG)
    assert p.receive_data(data[:1]) == []  # not even a whole header yet
    assert p.receive_data(data[1:1000]) == []
    start = p._buffer
    out: list[str | bytes] = []
    for i in range(1000, len(data), 997):
        out += p.receive_data(data[i : i + 997])
        if not out:
            assert p._buffer is start  # kept, never re-copied
    assert out == [payload, "next"]
    assert not p._buffer
    assert not p._more


def test_send_side_frames_round_trip_through_a_server_parser() -> None:
    p = ClientProtocol(max_message_size=BIG)
    data = p.send_text("héllo") + p.send_bytes(b"\x00" * 70_000) + p.send_ping(b"pp")
    events = _server_events(data + p.send_close(4001, "done"))
    assert isinstance(events[0], TextMessage)
    assert events[0].data == "héllo"
    assert isinstance(events[1], BytesMessage)
    assert events[1].data == b"\x00" * 70_000
    assert type(events[2]).__name__ == "Ping"
    assert isinstance(events[3], CloseConnection)
    assert (events[3].code, events[3].reason) == (4001, "done")


@pytest.mark.parametrize(
    ("code", "reason"), [(1005, ""), (1006, ""), (999, ""), (5000, ""), (1000, "x" * 124)]
)
def test_send_close_validates(code: int, reason: str) -> None:
    with pytest.raises(InvalidArgumentError):
        ClientProtocol(max_message_size=BIG).send_close(code, reason)


def test_ping_payload_limit() -> None:
    p = ClientProtocol(max_message_size=BIG)
    assert p.send_ping(b"x" * 125)
    with pytest.raises(InvalidArgumentError):
        p.send_ping(b"x" * 126)


# -- hypothesis: chunking invariance, agreement with wsproto, never a crash --------------


@st.composite
def valid_streams(draw: st.DrawFn) -> tuple[bytes, list[str | bytes]]:
    """Frames of valid messages (some fragmented, with pings and pongs between)."""
    data = b""
    messages: list[str | bytes] = []
    for _ in range(draw(st.integers(0, 6))):
        is_text = draw(st.booleans())
        value: str | bytes = (
            draw(st.text(max_size=300)) if is_text else draw(st.binary(max_size=300))
        )
        messages.append(value)
        raw = value.encode("utf-8", "surrogatepass") if isinstance(value, str) else value
        cuts = sorted(draw(st.lists(st.integers(0, len(raw)), max_size=3)))
        pieces = [raw[a:b] for a, b in itertools.pairwise([0, *cuts, len(raw)])]
        for i, piece in enumerate(pieces):
            opcode = (0x1 if is_text else 0x2) if i == 0 else 0x0
            data += frame(opcode, piece, fin=i == len(pieces) - 1)
            if draw(st.booleans()):
                data += draw(st.sampled_from([ping(b"hb"), pong(b"x" * 125), ping()]))
        if draw(st.booleans()):
            big = draw(st.integers(126, 70_000))
            messages.append(b"z" * big)
            data += binary(b"z" * big)
    return data, messages


def _no_surrogates(messages: list[str | bytes]) -> bool:
    return all(
        not isinstance(m, str) or not any("\ud800" <= c <= "\udfff" for c in m) for m in messages
    )


def _split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({min(c, len(data)) for c in cuts})
    return [data[a:b] for a, b in itertools.pairwise([0, *points, len(data)])]


def _wsproto_messages(chunks: list[bytes]) -> tuple[list[str | bytes], int | None]:
    conn = Connection(ConnectionType.CLIENT)
    out: list[str | bytes] = []
    parts: list[str | bytes] = []
    code: int | None = None
    for chunk in chunks:
        conn.receive_data(chunk)
        for event in conn.events():
            if isinstance(event, TextMessage | BytesMessage):
                parts.append(event.data if isinstance(event.data, str) else bytes(event.data))
                if event.message_finished:
                    out.append(
                        "".join(parts)  # type: ignore[arg-type]
                        if isinstance(event, TextMessage)
                        else b"".join(parts)  # type: ignore[arg-type]
                    )
                    parts = []
            elif isinstance(event, CloseConnection):
                return out, int(event.code)
    return out, code


@given(valid_streams(), st.lists(st.integers(0, 80_000), max_size=12))
@settings(max_examples=60)
def test_chunking_invariance_and_agreement_with_wsproto(
    stream: tuple[bytes, list[str | bytes]], cuts: list[int]
) -> None:
    data, messages = stream
    assume(_no_surrogates(messages))
    chunks = _split(data + close(1000, "end"), cuts)
    p = ClientProtocol(max_message_size=BIG)
    got = feed(p, *chunks)
    assert got == messages
    assert p.close_received == (1000, "end")
    assert p.failure is None
    reference, code = _wsproto_messages(chunks)
    assert reference == messages
    assert code == 1000


@given(st.binary(max_size=400), st.lists(st.integers(0, 400), max_size=6))
@example(b"\x81\x02\xed\xa0", [])
@example(b"\x88\x02\x03\xf6", [1])  # close 1014: accepted (IANA-registered), wsproto refuses
@settings(max_examples=300)
def test_arbitrary_bytes_never_raise_and_agree_with_wsproto(data: bytes, cuts: list[int]) -> None:
    chunks = _split(data, cuts)
    p = ClientProtocol(max_message_size=BIG)
    got = feed(p, *chunks)
    assert all(isinstance(m, str | bytes) for m in got)
    if p.failure is not None:
        assert isinstance(p.failure, PartstreamError)
        assert p.close_code in (1002, 1007, 1009)
        assert p.state is State.CLOSED
    reference, _ = _wsproto_messages(chunks)
    # Both parsers deliver the same messages up to where one of them stopped.
    shorter = min(len(got), len(reference))
    assert got[:shorter] == reference[:shorter]
    if p.failure is None and p.close_received is None:
        assert got == reference


def _extendable(prefix: bytes) -> bool:
    """Reference: can ``prefix`` be completed to valid UTF-8 (brute force, RFC 3629)?"""
    reps = [b"", *(bytes([b]) for b in (0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF))]
    for tail in itertools.product(reps, repeat=3):
        try:
            (prefix + b"".join(tail)).decode("utf-8")
        except UnicodeDecodeError:
            continue
        return True
    return False


@given(
    st.lists(st.sampled_from([b"a", b"\xc3\xa9", b"\xed", b"\xa0", b"\x80", b"\xf0", b"\x9f",
                              b"\x98", b"\xf4", b"\x90", b"\xe0", b"\xc0", b"\xff", b"\xe2\x82"]),
             min_size=1, max_size=10),
    st.lists(st.integers(0, 20), max_size=5),
)  # fmt: skip
@settings(max_examples=300)
def test_utf8_fails_on_the_first_frame_that_cannot_be_valid(
    atoms: list[bytes], cuts: list[int]
) -> None:
    raw = b"".join(atoms)
    pieces = _split(raw, cuts)
    p = ClientProtocol(max_message_size=BIG)
    seen = b""
    for i, piece in enumerate(pieces):
        last = i == len(pieces) - 1
        feed(p, frame(0x1 if i == 0 else 0x0, piece, fin=last))
        seen += piece
        if last:
            break
        if not _extendable(seen):
            # Fail fast: the frame that made the text impossible failed the connection.
            assert p.close_code == 1007
            return
        assert p.failure is None
    try:
        expected: str | None = raw.decode("utf-8")
    except UnicodeDecodeError:
        expected = None
    if expected is None:
        assert p.close_code == 1007
    else:
        assert p.failure is None


def test_public_module_reexports() -> None:
    assert websocket.connect_websocket.__module__ == "partstream.transports._ws_connection"
    assert sorted(websocket.__all__) == websocket.__all__
    assert codecs.lookup("utf-8")  # the decoder the protocol relies on
