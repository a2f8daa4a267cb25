"""permessage-deflate (RFC 7692), sans-IO: the offer, the negotiation, compressed frames.

The server side is ``tests.transports._ws_deflate_peer``: a deflating encoder with
the settings a server may use (context takeover or not, window bits, frames cut
anywhere, BFINAL blocks, uncompressed messages between compressed ones).
"""

from __future__ import annotations

import random
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.transports._ws_deflate_peer import ServerDeflater, ServerInflater, bomb
from tests.transports._ws_peers import binary, cont, frame, ping, text
from wsproto.connection import Connection, ConnectionType
from wsproto.events import CloseConnection

from partstream.errors import (
    InvalidArgumentError,
    LimitExceededError,
    ProtocolError,
    WebSocketHandshakeError,
)
from partstream.transports._ws_frames import State
from partstream.transports._ws_protocol import ClientProtocol
from partstream.transports.websocket import DeflateOffer, DeflateParameters

BIG = 1 << 30

# -- the offer ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offer", "header"),
    [
        (DeflateOffer(), "permessage-deflate; client_max_window_bits"),
        (
            DeflateOffer(server_no_context_takeover=True, client_no_context_takeover=True),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
            "client_max_window_bits",
        ),
        (
            DeflateOffer(server_max_window_bits=8, client_max_window_bits=12),
            "permessage-deflate; server_max_window_bits=8; client_max_window_bits=12",
        ),
    ],
)
def test_offer_header(offer: DeflateOffer, header: str) -> None:
    assert offer.header_value() == header


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"server_max_window_bits": 7}, "server_max_window_bits"),
        ({"server_max_window_bits": 16}, "server_max_window_bits"),
        ({"client_max_window_bits": 8}, "client_max_window_bits"),  # zlib cannot deflate with 8
        ({"client_max_window_bits": True}, "client_max_window_bits"),
        ({"server_no_context_takeover": 1}, "server_no_context_takeover"),
        ({"level": 10}, "level"),
        ({"mem_level": 0}, "mem_level"),
    ],
)
def test_offer_checks_its_arguments(kwargs: dict[str, object], argument: str) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        DeflateOffer(**kwargs)  # type: ignore[arg-type]
    assert info.value.argument == argument


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"server_max_window_bits": 16}, "server_max_window_bits"),
        ({"client_max_window_bits": 8}, "client_max_window_bits"),
        ({"client_no_context_takeover": None}, "client_no_context_takeover"),
        ({"level": -1}, "level"),
    ],
)
def test_parameters_are_checked_too(kwargs: dict[str, object], argument: str) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        DeflateParameters(**kwargs)  # type: ignore[arg-type]
    assert info.value.argument == argument


# -- the negotiation (RFC 7692 section 7.1) ---------------------------------------------------

P = DeflateParameters

ACCEPTED: list[tuple[DeflateOffer, str, DeflateParameters]] = [
    (DeflateOffer(), "permessage-deflate", P()),
    (DeflateOffer(), "permessage-deflate ;  server_no_context_takeover ", P(True)),
    # 7.1.1.2: the server may ask for client_no_context_takeover unasked.
    (DeflateOffer(), "permessage-deflate; client_no_context_takeover", P(False, True)),
    # 7.1.2.1: the server may limit its own window unasked.
    (DeflateOffer(), "permessage-deflate; server_max_window_bits=8", P(server_max_window_bits=8)),
    # 7.1.2.2: offered without a value, any window from 9 to 15 for the client.
    (DeflateOffer(), "permessage-deflate; client_max_window_bits=9", P(client_max_window_bits=9)),
    (
        DeflateOffer(),
        'permessage-deflate; client_max_window_bits="10"',
        P(client_max_window_bits=10),
    ),
    (
        DeflateOffer(client_max_window_bits=12),
        "permessage-deflate",
        P(client_max_window_bits=12),  # our own limit holds without an answer
    ),
    (
        DeflateOffer(client_max_window_bits=12),
        "permessage-deflate; client_max_window_bits=11",
        P(client_max_window_bits=11),
    ),
    (
        DeflateOffer(server_max_window_bits=10),
        "permessage-deflate; server_max_window_bits=10",
        P(server_max_window_bits=10),
    ),
    (
        DeflateOffer(server_max_window_bits=10),
        "permessage-deflate; server_max_window_bits=9",
        P(server_max_window_bits=9),
    ),
    (
        DeflateOffer(server_no_context_takeover=True),
        "permessage-deflate; server_no_context_takeover",
        P(True),
    ),
    # 7.1.1.2: our client_no_context_takeover hint binds us whatever the answer.
    (DeflateOffer(client_no_context_takeover=True), "permessage-deflate", P(False, True)),
    (
        DeflateOffer(level=1, mem_level=9),
        "permessage-deflate",
        P(level=1, mem_level=9),
    ),
]


@pytest.mark.parametrize(("offer", "answer", "agreed"), ACCEPTED)
def test_negotiation_accepts(offer: DeflateOffer, answer: str, agreed: DeflateParameters) -> None:
    assert offer.negotiate([answer]) == agreed


def test_no_answer_means_no_compression() -> None:
    assert DeflateOffer().negotiate([]) is None


REFUSED: list[tuple[DeflateOffer, list[str], int, str]] = [
    (DeflateOffer(), ["permessage-deflate", "permessage-deflate"], 1002, "more than once"),
    (DeflateOffer(), ["permessage-deflate; x_unknown=1"], 1002, "not a permessage-deflate"),
    (DeflateOffer(), ["permessage-deflate; server_no_context_takeover=1"], 1002, "no value"),
    (DeflateOffer(), ["permessage-deflate; client_no_context_takeover=x"], 1002, "no value"),
    (DeflateOffer(), ["permessage-deflate; server_max_window_bits"], 1002, "needs a value"),
    (DeflateOffer(), ["permessage-deflate; server_max_window_bits=7"], 1002, "needs a value"),
    (DeflateOffer(), ["permessage-deflate; server_max_window_bits=16"], 1002, "needs a value"),
    (DeflateOffer(), ["permessage-deflate; server_max_window_bits=010"], 1002, "needs a value"),
    (DeflateOffer(), ["permessage-deflate; client_max_window_bits"], 1002, "needs a value"),
    (
        DeflateOffer(),
        ["permessage-deflate; server_no_context_takeover; server_no_context_takeover"],
        1002,
        "repeated",
    ),
    (DeflateOffer(), ["permessage-deflate; ;"], 1002, "syntax"),
    (DeflateOffer(), ["permessage-deflate; a b"], 1002, "syntax"),
    (DeflateOffer(), ['permessage-deflate; client_max_window_bits="1'], 1002, "syntax"),
    (
        DeflateOffer(server_no_context_takeover=True),
        ["permessage-deflate"],
        1002,
        "offered but not accepted",
    ),
    (
        DeflateOffer(server_max_window_bits=10),
        ["permessage-deflate"],
        1002,
        "offered but not accepted",
    ),
    (
        DeflateOffer(server_max_window_bits=10),
        ["permessage-deflate; server_max_window_bits=11"],
        1002,
        "larger than offered",
    ),
    (
        DeflateOffer(client_max_window_bits=10),
        ["permessage-deflate; client_max_window_bits=11"],
        1002,
        "larger than offered",
    ),
    # A valid answer this client cannot carry out (zlib has no 256-byte deflate window).
    (DeflateOffer(), ["permessage-deflate; client_max_window_bits=8"], 1010, "not supported"),
]


@pytest.mark.parametrize(("offer", "answers", "code", "words"), REFUSED)
def test_negotiation_refuses_with_the_close_code(
    offer: DeflateOffer, answers: list[str], code: int, words: str
) -> None:
    with pytest.raises(WebSocketHandshakeError) as info:
        offer.negotiate(answers)
    assert info.value.close_code == code
    assert words in str(info.value)
    assert f"closing with {code}" in str(info.value)


_PARAM_NAMES = st.sampled_from(
    [
        "server_no_context_takeover",
        "client_no_context_takeover",
        "server_max_window_bits",
        "client_max_window_bits",
        "x",
        "",
    ]
)
_PARAM_VALUES = st.one_of(
    st.none(), st.sampled_from(["8", "9", "15", "16", "0", '"12"', '"', "a b"]), st.text(max_size=4)
)


@given(st.lists(st.tuples(_PARAM_NAMES, _PARAM_VALUES), max_size=5), st.booleans())
def test_any_answer_is_accepted_or_refused_cleanly(
    params: list[tuple[str, str | None]], offered_limits: bool
) -> None:
    answer = "; ".join(["permessage-deflate", *(n if v is None else f"{n}={v}" for n, v in params)])
    offer = (
        DeflateOffer(server_max_window_bits=12, client_max_window_bits=12)
        if offered_limits
        else DeflateOffer()
    )
    try:
        agreed = offer.negotiate([answer])
    except WebSocketHandshakeError as exc:
        code = exc.close_code
        agreed = None
    else:
        code = None
    if agreed is None:
        assert code in (1002, 1010)
        return
    assert 8 <= agreed.server_max_window_bits <= 15
    assert 9 <= agreed.client_max_window_bits <= 15
    if offered_limits:
        assert agreed.server_max_window_bits <= 12
        assert agreed.client_max_window_bits <= 12


# -- receiving compressed frames ------------------------------------------------------------------


def _proto(params: DeflateParameters | None = None, max_size: int = BIG) -> ClientProtocol:
    return ClientProtocol(max_message_size=max_size, deflate=params or DeflateParameters())


def feed(proto: ClientProtocol, *chunks: bytes) -> list[str | bytes]:
    out: list[str | bytes] = []
    for chunk in chunks:
        out += proto.receive_data(chunk)
    return out


def _failure_code(proto: ClientProtocol) -> int | None:
    """The code of the close frame the client sent, read back by wsproto's server side."""
    server = Connection(ConnectionType.SERVER)
    server.receive_data(proto.data_to_send())
    (event,) = list(server.events())
    assert isinstance(event, CloseConnection)
    return event.code


def test_compressed_text_and_binary_with_context_takeover() -> None:
    server = ServerDeflater()
    p = _proto()
    messages: list[str | bytes] = ["héllo " * 50, "héllo " * 50, b"\x00" * 1000, "", b""]
    data = b"".join(server.message(m) for m in messages)
    assert len(data) < 400  # the repeats cost a few bytes each: the window carried over
    assert feed(p, data) == messages
    assert p.state is State.OPEN


def test_uncompressed_messages_between_compressed_ones() -> None:
    server = ServerDeflater()
    p = _proto()
    data = (
        server.message("one " * 20)
        + text("plain")
        + server.message("one " * 20)
        + binary(b"raw", fin=False)
        + cont(b"!")
    )
    assert feed(p, data) == ["one " * 20, "plain", "one " * 20, b"raw!"]


def test_fragmented_compressed_message_with_controls_between() -> None:
    server = ServerDeflater()
    p = _proto()
    payload = server.message("fragménted " * 40, cuts=[3, 10])
    # Put a ping between the first and second frame.
    first_len = 2 + 3
    data = payload[:first_len] + ping(b"p") + payload[first_len:]
    assert feed(p, data) == ["fragménted " * 40]
    assert _client_opcodes(p.data_to_send()) == [0xA]  # the pong, uncompressed


def _client_opcodes(data: bytes) -> list[int]:
    return [opcode for _, opcode, _ in ServerInflater().frames(data)]


@pytest.mark.parametrize("no_context_takeover", [False, True])
def test_server_no_context_takeover_and_small_windows(no_context_takeover: bool) -> None:
    server = ServerDeflater(window_bits=9, no_context_takeover=no_context_takeover)
    p = _proto(DeflateParameters(no_context_takeover, False, 9, 15))
    messages = [f"message {i} " * 200 for i in range(5)]
    assert feed(p, b"".join(server.message(m) for m in messages)) == messages


def test_window_bits_8_is_inflated() -> None:
    # zlib compresses raw 8-bit windows as 9-bit ones; the client inflates them with 9.
    server = ServerDeflater(window_bits=8)
    p = _proto(DeflateParameters(server_max_window_bits=8))
    assert feed(p, server.message("abc" * 1000)) == ["abc" * 1000]


@pytest.mark.parametrize("no_context_takeover", [False, True])
def test_final_blocks_end_a_stream_and_the_window_carries_on(no_context_takeover: bool) -> None:
    server = ServerDeflater(no_context_takeover=no_context_takeover)
    p = _proto(DeflateParameters(server_no_context_takeover=no_context_takeover))
    messages = ["first message " * 30, "first message " * 30, "x", "first message " * 30]
    data = b"".join(server.message(m, final_block=i % 2 == 0) for i, m in enumerate(messages))
    assert feed(p, data) == messages


def test_large_compressed_frame_is_streamed() -> None:
    data = random.Random(7).randbytes(1 << 20)  # incompressible: a frame > 256 KiB
    server = ServerDeflater()
    frames = server.message(data)
    assert len(frames) > 256 * 1024
    p = _proto()
    got = feed(p, *[frames[i : i + 65536] for i in range(0, len(frames), 65536)])
    assert got == [data]


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("RSV1 on a ping", frame(0x9, b"", rsv=4), 1002),
        ("RSV1 on a close", frame(0x8, b"\x03\xe8", rsv=4), 1002),
        (
            "RSV1 on a continuation",
            frame(0x1, b"\x02\x00", fin=False, rsv=4) + frame(0x0, b"", rsv=4),
            1002,
        ),
        ("RSV2 with deflate", frame(0x1, b"x", rsv=2), 1002),
        ("RSV1+RSV3 with deflate", frame(0x1, b"x", rsv=5), 1002),
        ("masked compressed", frame(0x1, b"\x02\x00", rsv=4, mask=b"abcd"), 1002),
        ("compressed reserved opcode", frame(0x3, b"\x02\x00", rsv=4), 1002),
        ("not DEFLATE data", frame(0x1, b"\xff\xff\xff\xff", rsv=4), 1002),
        (
            "new compressed message inside a fragmented one",
            text("a", fin=False) + ServerDeflater().message("b"),
            1002,
        ),
    ],
)
def test_compressed_violations_fail_with_the_rfc_code(name: str, data: bytes, code: int) -> None:
    p = _proto()
    assert feed(p, text("first") + data + text("never")) == ["first"]
    assert p.state is State.CLOSED
    assert isinstance(p.failure, ProtocolError)
    assert p.failure.close_code == code
    assert _failure_code(p) == code


def test_rsv1_without_the_extension_fails_with_1002() -> None:
    p = ClientProtocol(max_message_size=BIG)
    assert feed(p, text("first") + ServerDeflater().message("hi")) == ["first"]
    assert isinstance(p.failure, ProtocolError)
    assert p.close_code == 1002
    assert "reserved bit" in str(p.failure)


def test_invalid_utf8_in_a_compressed_text_message() -> None:
    server = ServerDeflater()
    raw = server.compress(b"valid then \xed\xa0\x80 a surrogate")
    p = _proto()
    assert feed(p, frame(0x1, raw, rsv=4)) == []
    assert isinstance(p.failure, ProtocolError)
    assert p.close_code == 1007


def test_decompression_bomb_stops_at_max_message_size() -> None:
    """1 GiB of zeros compressed to about 1 MiB: inflating stops just past the limit."""
    payload = bomb()
    assert len(payload) < 1_100_000  # 1 GiB of plaintext
    limit = 1 << 20
    p = _proto(max_size=limit)
    frames = frame(0x2, payload, rsv=4)
    assert feed(p, *[frames[i : i + 256 * 1024] for i in range(0, len(frames), 256 * 1024)]) == []
    assert isinstance(p.failure, LimitExceededError)
    assert p.failure.option == "max_message_size"
    assert p.close_code == 1009
    assert _failure_code(p) == 1009
    inflater = p._inflater
    assert inflater is not None
    # The inflater's own accounting: never more than limit + 1 bytes produced, from a
    # fraction of the compressed input.
    assert inflater.peak <= limit + 1
    assert inflater.consumed < len(payload)


def test_bomb_in_fragments_is_counted_across_frames() -> None:
    z = zlib.compressobj(9, zlib.DEFLATED, -15)
    piece = z.compress(bytes(600_000)) + z.flush(zlib.Z_SYNC_FLUSH)
    p = _proto(max_size=1_000_000)
    data = frame(0x1, piece, fin=False, rsv=4) + frame(0x0, piece, fin=False)
    assert feed(p, data) == []
    assert isinstance(p.failure, LimitExceededError)
    inflater = p._inflater
    assert inflater is not None
    assert inflater.peak <= 1_000_001


def test_message_exactly_at_the_limit_is_accepted() -> None:
    server = ServerDeflater()
    p = _proto(max_size=5000)
    assert feed(p, server.message(b"a" * 5000)) == [b"a" * 5000]
    assert feed(p, server.message(b"a" * 5001)) == []
    assert p.close_code == 1009


# -- sending -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        DeflateParameters(),
        DeflateParameters(client_no_context_takeover=True, client_max_window_bits=9),
        DeflateParameters(level=0),
    ],
)
def test_sent_messages_are_compressed_and_controls_are_not(params: DeflateParameters) -> None:
    p = _proto(params)
    server = ServerInflater(
        window_bits=params.client_max_window_bits,
        no_context_takeover=params.client_no_context_takeover,
    )
    varied = " ".join(str(i * 7919 % 1000) for i in range(300))
    messages: list[str | bytes] = [varied, varied, b"\x01" * 300, "", b""]
    wire = (
        b"".join(p.send_text(m) if isinstance(m, str) else p.send_bytes(m) for m in messages)
        + p.send_ping(b"k")
        + p.send_close(1000)
    )
    frames = server.frames(wire)
    assert all(first & 0x40 for first, opcode, _ in frames if opcode < 8)
    assert not any(first & 0x40 for first, opcode, _ in frames if opcode >= 8)
    assert server.messages(wire) == messages
    if not params.client_no_context_takeover and params.level:
        assert len(frames[1][2]) < len(frames[0][2]) // 4  # the second one refers to the first


def test_no_compression_means_plain_frames() -> None:
    p = ClientProtocol(max_message_size=BIG)
    frames = ServerInflater().frames(p.send_text("hello"))
    assert [(first & 0x70, payload) for first, _, payload in frames] == [(0, b"hello")]


# -- properties ----------------------------------------------------------------------------------

_messages = st.lists(
    st.one_of(
        st.text(st.characters(exclude_categories=["Cs"]), max_size=300),
        st.binary(max_size=300),
        st.sampled_from(["json " * 200, b"\x00" * 3000]),
    ),
    max_size=8,
)


@given(
    _messages,
    st.booleans(),
    st.integers(8, 15),
    st.data(),
)
@settings(max_examples=80)
def test_any_messages_any_fragmentation_any_settings_arrive_exactly(
    messages: list[str | bytes],
    no_context_takeover: bool,
    window_bits: int,
    data: st.DataObject,
) -> None:
    server = ServerDeflater(window_bits=window_bits, no_context_takeover=no_context_takeover)
    p = _proto(DeflateParameters(no_context_takeover, False, window_bits, 15))
    wire = b""
    for message in messages:
        wire += server.message(
            message,
            cuts=data.draw(st.lists(st.integers(1, 400), max_size=3)),
            compressed=data.draw(st.integers(0, 3)) > 0,
            final_block=data.draw(st.booleans()),
        )
        if data.draw(st.booleans()):
            wire += ping(b"between")
    cuts = sorted(data.draw(st.lists(st.integers(0, len(wire)), max_size=6)))
    chunks = [wire[a:b] for a, b in zip([0, *cuts], [*cuts, len(wire)], strict=True)]
    assert feed(p, *chunks) == messages
    assert p.state is State.OPEN


@given(_messages, st.booleans(), st.integers(9, 15), st.integers(0, 9))
@settings(max_examples=50)
def test_what_the_client_sends_inflates_to_what_it_was_given(
    messages: list[str | bytes], no_context_takeover: bool, window_bits: int, level: int
) -> None:
    params = DeflateParameters(False, no_context_takeover, 15, window_bits, level)
    p = _proto(params)
    server = ServerInflater(window_bits=window_bits, no_context_takeover=no_context_takeover)
    wire = b"".join(p.send_text(m) if isinstance(m, str) else p.send_bytes(m) for m in messages)
    assert server.messages(wire) == messages
