"""permessage-deflate against real servers on 127.0.0.1, on both backends.

* the ``websockets`` asyncio and trio servers (threads of their own), with
  compression off, at their defaults, without context takeover either way, and
  with small windows;
* hypercorn (wsproto's permessage-deflate), in the test's own event loop;
* raw socket servers for the faults: RSV1 without the extension, a decompression
  bomb, answers that break RFC 7692, a compressed control frame, and a server that
  echoes the request into its answer (no credential may reach an error).
"""

from __future__ import annotations

import random
import struct
from collections.abc import Iterator
from functools import partial
from typing import Any

import anyio
import pytest
import trio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.transports._ws_deflate_peer import ServerDeflater, bomb
from tests.transports._ws_peers import (
    RawPeer,
    frame,
    ping,
    raw_server,
    threaded_asyncio,
    threaded_trio,
)
from tests.transports._ws_peers import text as text_frame
from tests.transports.test_websocket_interop import hypercorn_port
from websockets.asyncio.server import ServerConnection as AsyncioConnection
from websockets.asyncio.server import serve as asyncio_serve
from websockets.exceptions import ConnectionClosed
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory
from websockets.trio.server import ServerConnection as TrioConnection
from websockets.trio.server import serve as trio_serve

from partstream.errors import LimitExceededError, ProtocolError, WebSocketHandshakeError
from partstream.transports.websocket import DeflateOffer, DeflateParameters, connect_websocket

pytestmark = pytest.mark.anyio

MAX_SIZE = 16 * 1024 * 1024

#: Server variants: the websockets extension settings, and what the client then agrees on.
VARIANTS: dict[str, tuple[dict[str, Any] | None, DeflateParameters | None]] = {
    "off": (None, None),
    "default": ({}, DeflateParameters()),
    "no-context-takeover": (
        {"server_no_context_takeover": True, "client_no_context_takeover": True},
        DeflateParameters(server_no_context_takeover=True, client_no_context_takeover=True),
    ),
    "small-windows": (
        {"server_max_window_bits": 10, "client_max_window_bits": 9},
        DeflateParameters(server_max_window_bits=10, client_max_window_bits=9),
    ),
}


async def _handle(ws: AsyncioConnection | TrioConnection) -> None:
    path = ws.request.path if ws.request is not None else "/"
    try:
        if path == "/extensions":
            await ws.send(repr(ws.protocol.extensions))
        pieces = int(path.partition("/fragments=")[2] or 1)
        while True:
            message = await ws.recv()
            if pieces == 1 or not message:
                await ws.send(message)
            else:
                # A fragmented echo: RSV1 only on the first frame of the message.
                step = max(1, len(message) // pieces + 1)
                await ws.send([message[i : i + step] for i in range(0, len(message), step)])
    except ConnectionClosed:
        pass


def _options(variant: str) -> dict[str, Any]:
    deflate, _ = VARIANTS[variant]
    options: dict[str, Any] = {"max_size": MAX_SIZE, "ping_interval": None, "compression": None}
    if deflate is not None:
        options["extensions"] = [ServerPerMessageDeflateFactory(**deflate)]
    return options


@pytest.fixture(scope="module")
def asyncio_ports() -> Iterator[dict[str, int]]:
    ports: dict[str, int] = {}

    async def start() -> tuple[int, Any]:
        servers = {v: await asyncio_serve(_handle, "127.0.0.1", 0, **_options(v)) for v in VARIANTS}
        ports.update({v: int(next(iter(s.sockets)).getsockname()[1]) for v, s in servers.items()})
        return 0, _Servers(list(servers.values()))

    with threaded_asyncio(start):
        yield ports


@pytest.fixture(scope="module")
def trio_ports() -> Iterator[dict[str, int]]:
    ports: dict[str, int] = {}

    async def serve(task_status: trio.TaskStatus[int]) -> None:
        async with trio.open_nursery() as nursery:
            for variant in VARIANTS:
                server = await nursery.start(
                    partial(trio_serve, _handle, 0, host="127.0.0.1", **_options(variant))
                )
                ports[variant] = int(server.listeners[0].socket.getsockname()[1])
            task_status.started(0)

    with threaded_trio(serve):
        yield ports


class _Servers:
    """Several asyncio servers behind the one ``close()``/``wait_closed()`` the helper calls."""

    def __init__(self, servers: list[Any]) -> None:
        self._servers = servers

    def close(self) -> None:
        for server in self._servers:
            server.close()

    async def wait_closed(self) -> None:
        for server in self._servers:
            await server.wait_closed()


def _port(flavour: str, variant: str, request: pytest.FixtureRequest) -> int:
    ports = request.getfixturevalue("asyncio_ports" if flavour == "asyncio" else "trio_ports")
    return int(ports[variant])


_RNG = random.Random(5)
MESSAGES: list[str | bytes] = [
    "hello",
    "",
    b"",
    '{"type":"text-delta","delta":"ünïcødé ✓"}' * 40,
    '{"type":"text-delta","delta":"ünïcødé ✓"}' * 40,  # a repeat: context takeover pays
    b"\x00" * 300_000,  # compresses to a small frame that inflates past 256 KiB
    _RNG.randbytes(400_000),  # incompressible: a compressed frame streamed in chunks
    "é" * 200_000,
]


@pytest.mark.parametrize("flavour", ["asyncio", "trio"])
@pytest.mark.parametrize("variant", list(VARIANTS))
async def test_websockets_servers_echo_compressed_messages(
    flavour: str, variant: str, request: pytest.FixtureRequest
) -> None:
    port = _port(flavour, variant, request)
    async with connect_websocket(
        f"ws://127.0.0.1:{port}/extensions", compression="deflate", ping_interval=None
    ) as ws:
        extensions = await ws.receive()
        assert ws.compression == VARIANTS[variant][1]
        assert ("PerMessageDeflate" in str(extensions)) is (ws.compression is not None)
        for message in MESSAGES:
            await ws.send(message)
        got = [await ws.receive() for _ in MESSAGES]
        assert got == MESSAGES
        inflater = ws._proto._inflater
        if ws.compression is None:
            assert inflater is None
        else:
            assert inflater is not None
            assert inflater.peak >= 400_000  # the server did compress what it sent
    assert ws.close_code == 1000


@pytest.mark.parametrize("flavour", ["asyncio", "trio"])
async def test_offer_with_our_own_limits(flavour: str, request: pytest.FixtureRequest) -> None:
    port = _port(flavour, "default", request)
    offer = DeflateOffer(
        server_no_context_takeover=True,
        server_max_window_bits=11,
        client_max_window_bits=10,
        client_no_context_takeover=True,
        level=1,
    )
    async with connect_websocket(
        f"ws://127.0.0.1:{port}/", compression=offer, ping_interval=None
    ) as ws:
        assert ws.compression == DeflateParameters(True, True, 11, 10, level=1)
        for message in MESSAGES:
            await ws.send(message)
        assert [await ws.receive() for _ in MESSAGES] == MESSAGES


@pytest.mark.parametrize("flavour", ["asyncio", "trio"])
async def test_without_an_offer_nothing_is_compressed(
    flavour: str, request: pytest.FixtureRequest
) -> None:
    port = _port(flavour, "default", request)
    async with connect_websocket(f"ws://127.0.0.1:{port}/extensions", ping_interval=None) as ws:
        assert await ws.receive() == "[]"
        assert ws.compression is None


async def test_hypercorn_negotiates_deflate() -> None:
    async with (
        hypercorn_port() as port,
        connect_websocket(
            f"ws://127.0.0.1:{port}/echo", compression="deflate", ping_interval=None
        ) as ws,
    ):
        assert ws.compression is not None
        for message in MESSAGES[:6]:
            await ws.send(message)
        assert [await ws.receive() for _ in MESSAGES[:6]] == MESSAGES[:6]


_message = st.one_of(
    st.text(st.characters(exclude_categories=["Cs"]), max_size=200),
    st.binary(max_size=200),
    st.sampled_from(['{"type":"audio-delta","delta":"AAAA"}' * 50, b"\x07" * 70_000]),
)


@given(
    st.lists(_message, min_size=1, max_size=10),
    st.sampled_from(list(VARIANTS)),
    st.integers(1, 6),
)
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_any_messages_round_trip_through_websockets(
    asyncio_ports: dict[str, int], messages: list[str | bytes], variant: str, pieces: int
) -> None:
    """Any messages, any server setting, echoed in 1 to 6 fragments: exactly what was sent."""

    async def run() -> list[str | bytes]:
        url = f"ws://127.0.0.1:{asyncio_ports[variant]}/fragments={pieces}"
        async with connect_websocket(url, compression="deflate", ping_interval=None) as ws:
            for message in messages:
                await ws.send(message)
            got = [await ws.receive() for _ in messages]
        return got

    # Hypothesis runs the examples itself: once on each backend, inside each example.
    for backend in ("asyncio", "trio"):
        assert anyio.run(run, backend=backend) == messages


# -- raw servers for faults -----------------------------------------------------------------------


async def _accept(peer: RawPeer, extensions: str | None = "permessage-deflate") -> None:
    extra = b"" if extensions is None else f"Sec-WebSocket-Extensions: {extensions}\r\n".encode()
    await peer.handshake(extra_headers=extra)


async def test_rsv1_without_negotiation_fails_with_1002() -> None:
    seen: list[int | None] = []

    async def handler(peer: RawPeer) -> None:
        await _accept(peer, None)  # declines the offer
        await peer.send(text_frame("plain") + ServerDeflater().message("compressed?"))
        seen.append((await peer.read_until_close())[0])

    async with raw_server(handler) as port:
        async with connect_websocket(
            f"ws://127.0.0.1:{port}/", compression="deflate", ping_interval=None
        ) as ws:
            assert ws.compression is None
            assert await ws.receive() == "plain"
            with pytest.raises(ProtocolError) as info:
                await ws.receive()
        assert info.value.close_code == 1002
    assert seen == [1002]


async def test_compressed_control_frame_fails_with_1002() -> None:
    seen: list[int | None] = []

    async def handler(peer: RawPeer) -> None:
        await _accept(peer)
        await peer.send(ServerDeflater().message("ok") + frame(0x9, b"\x02\x00", rsv=4))
        seen.append((await peer.read_until_close())[0])

    async with (
        raw_server(handler) as port,
        connect_websocket(
            f"ws://127.0.0.1:{port}/", compression="deflate", ping_interval=None
        ) as ws,
    ):
        assert await ws.receive() == "ok"
        with pytest.raises(ProtocolError) as info:
            await ws.receive()
        assert "control frame" in str(info.value)
    assert seen == [1002]


async def test_decompression_bomb_closes_with_1009_within_the_limit() -> None:
    """1 GiB of zeros in about 1 MiB on the wire; the client stops at max_message_size."""
    seen: list[int | None] = []
    payload = bomb()
    limit = 4 * 1024 * 1024

    async def handler(peer: RawPeer) -> None:
        await _accept(peer)
        await peer.send(frame(0x2, payload, rsv=4))
        seen.append((await peer.read_until_close())[0])

    async with (
        raw_server(handler) as port,
        connect_websocket(
            f"ws://127.0.0.1:{port}/",
            compression="deflate",
            max_message_size=limit,
            ping_interval=None,
        ) as ws,
    ):
        with pytest.raises(LimitExceededError) as info:
            await ws.receive()
        assert info.value.option == "max_message_size"
        assert "max_message_size" in str(info.value)
        assert ws.close_code == 1009
        inflater = ws._proto._inflater
        assert inflater is not None
        # The inflater's own accounting: it produced at most limit + 1 bytes (not
        # 1 GiB) from a small part of the compressed input.
        assert inflater.peak <= limit + 1
        assert inflater.consumed < len(payload)
    assert seen == [1009]


BAD_ANSWERS = [
    ("permessage-deflate; server_max_window_bits=16", 1002),
    ("permessage-deflate; client_max_window_bits", 1002),
    ("permessage-deflate; nonsense", 1002),
    ("permessage-deflate, permessage-deflate", 1002),
    ("x-webkit-deflate-frame", 1002),  # an extension that was never offered
    ("permessage-deflate; client_max_window_bits=8", 1010),
]


@pytest.mark.parametrize(("answer", "code"), BAD_ANSWERS)
async def test_bad_extension_answer_fails_the_connection(answer: str, code: int) -> None:
    seen: list[int | None] = []

    async def handler(peer: RawPeer) -> None:
        await _accept(peer, answer)
        seen.append((await peer.read_until_close())[0])
        assert await peer.read_eof() == b""

    async with raw_server(handler) as port:
        with pytest.raises(WebSocketHandshakeError) as info:
            async with connect_websocket(
                f"ws://127.0.0.1:{port}/", compression="deflate", ping_interval=None
            ):
                pytest.fail("connected")
        assert info.value.close_code == code
    assert seen == [code]


async def test_extension_answer_when_nothing_was_offered() -> None:
    async def handler(peer: RawPeer) -> None:
        await _accept(peer)
        await peer.read_until_close()

    async with raw_server(handler) as port:
        with pytest.raises(WebSocketHandshakeError) as info:
            async with connect_websocket(f"ws://127.0.0.1:{port}/", ping_interval=None):
                pytest.fail("connected")
    assert info.value.close_code == 1002


SECRET = "ai-gateway-auth.sk-live-0123456789abcdef"


@pytest.mark.parametrize(
    "template",
    ["{secret}", "permessage-deflate; {secret}", "permessage-deflate; {secret}=1"],
)
async def test_an_echoed_credential_never_reaches_the_error(template: str) -> None:
    async def handler(peer: RawPeer) -> None:
        headers = await peer.read_request()
        echoed = headers["sec-websocket-protocol"].split(", ")[1]
        response = (
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: " + peer.accept_value() + b"\r\n"
            b"Sec-WebSocket-Protocol: ai-gateway-realtime.v1\r\n"
            b"Sec-WebSocket-Extensions: " + template.format(secret=echoed).encode() + b"\r\n\r\n"
        )
        await peer.send(response)
        await peer.read_eof()

    async with raw_server(handler) as port:
        with pytest.raises(WebSocketHandshakeError) as info:
            async with connect_websocket(
                f"ws://127.0.0.1:{port}/",
                subprotocols=["ai-gateway-realtime.v1", SECRET],
                compression="deflate",
                ping_interval=None,
            ):
                pytest.fail("connected")
    error: BaseException | None = info.value
    while error is not None:
        assert "sk-live" not in str(error)
        assert "sk-live" not in repr(error)
        error = error.__cause__ or error.__context__


async def test_server_compresses_pings_are_answered_plain() -> None:
    """Control frames are never compressed (RFC 7692 section 6.1): our pong neither."""
    got: list[tuple[int, int, bytes]] = []

    async def handler(peer: RawPeer) -> None:
        await _accept(peer)
        await peer.send(ping(b"p") + ServerDeflater().message("x" * 500))
        got.append(await _read_raw(peer))  # the pong
        got.append(await _read_raw(peer))  # the echo, compressed
        await peer.send(frame(0x8, struct.pack("!H", 1000)))
        await peer.read_until_close()

    async with (
        raw_server(handler) as port,
        connect_websocket(
            f"ws://127.0.0.1:{port}/", compression="deflate", ping_interval=None
        ) as ws,
    ):
        await ws.send(await ws.receive())
        with anyio.fail_after(5):
            async for _ in ws:
                pass
    (pong_first, pong_opcode, pong_payload), (msg_first, msg_opcode, _) = got
    assert (pong_opcode, pong_first & 0x70, pong_payload) == (0xA, 0, b"p")
    assert (msg_opcode, msg_first & 0x70) == (0x1, 0x40)


async def _read_raw(peer: RawPeer) -> tuple[int, int, bytes]:
    first = peer.buffer[:1]
    while not first:
        await peer._fill()
        first = peer.buffer[:1]
    fin, opcode, payload = await peer.read_frame()
    assert fin
    return first[0], opcode, payload
