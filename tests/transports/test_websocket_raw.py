"""The WebSocket client against a raw-socket server on 127.0.0.1 (fault injection).

The server runs in the test's own event loop (asyncio or trio) and writes the
exact bytes each test wants: fragmented and huge messages, malformed frames,
abrupt closes, bad handshakes, missing pongs.
"""

from __future__ import annotations

import socket
import struct
from typing import Any

import anyio
import pytest
from tests.transports._ws_peers import (
    RawPeer,
    binary,
    close,
    cont,
    frame,
    ping,
    pong,
    raw_server,
    text,
)

from partstream import errors
from partstream.errors import (
    ClosedByPeerError,
    ClosedByYouError,
    ConnectError,
    ConnectionBrokenError,
    InvalidArgumentError,
    LimitExceededError,
    ProtocolError,
    WebSocketHandshakeError,
)
from partstream.transports.websocket import (
    WebSocketConnection,
    WebSocketConnector,
    connect_websocket,
)

pytestmark = pytest.mark.anyio


def connect(port: int, path: str = "/", **kwargs: Any) -> WebSocketConnector:
    """connect_websocket to the raw server, with test-friendly defaults."""
    kwargs.setdefault("close_timeout", 2.0)
    kwargs.setdefault("ping_interval", None)
    return connect_websocket(url(port, path), **kwargs)


def url(port: int, path: str = "/") -> str:
    return f"ws://127.0.0.1:{port}{path}"


async def drain(ws: WebSocketConnection) -> list[str | bytes]:
    return [message async for message in ws]


# -- opening handshake ------------------------------------------------------------------


async def test_request_path_query_headers_and_subprotocol() -> None:
    seen: dict[str, Any] = {}

    async def handler(peer: RawPeer) -> None:
        await peer.handshake(subprotocol="v2")
        seen["target"] = peer.target
        seen["headers"] = peer.headers
        seen["close"] = await peer.read_until_close()
        await peer.send(close(1000))

    async with (
        raw_server(handler) as port,
        connect(
            port,
            "/realtime-model?ai-model-id=openai/gpt-realtime&x=%2F",
            subprotocols=["v1", "v2"],
            headers={"Authorization": "Bearer t", "X-Trace": "abc"},
        ) as ws,
    ):
        assert ws.subprotocol == "v2"
        assert not ws.closed
    assert seen["target"] == "/realtime-model?ai-model-id=openai/gpt-realtime&x=%2F"
    headers = seen["headers"]
    assert headers["host"] == f"127.0.0.1:{port}"
    assert headers["sec-websocket-protocol"] == "v1, v2"
    assert headers["authorization"] == "Bearer t"
    assert headers["x-trace"] == "abc"
    assert headers["upgrade"].lower() == "websocket"
    assert headers["sec-websocket-version"] == "13"
    assert seen["close"] == (1000, "")
    assert ws.close_code == 1000


async def test_frames_in_the_same_write_as_the_101_are_delivered() -> None:
    async def handler(peer: RawPeer) -> None:
        await peer.handshake(trailing=text("one") + binary(b"two") + close(1000, "bye"))
        await peer.read_until_close()

    async with (
        raw_server(handler) as port,
        connect(
            port,
        ) as ws,
    ):
        assert await drain(ws) == ["one", b"two"]
        assert (ws.close_code, ws.close_reason) == (1000, "bye")


async def test_refusal_reads_status_headers_and_body() -> None:
    async def handler(peer: RawPeer) -> None:
        await peer.read_request()
        body = b'{"error":{"message":"invalid token","type":"authentication_error"}}'
        await peer.send(
            b"HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
        )
        await peer.read_eof()

    async with raw_server(handler) as port:
        with pytest.raises(WebSocketHandshakeError) as info:
            async with connect(
                port,
            ):
                pytest.fail("connected")
    err = info.value
    assert err.status_code == 401
    assert err.headers["content-type"] == "application/json"
    assert err.body is not None
    assert "invalid token" in err.body


async def test_refusal_with_a_huge_body_is_bounded() -> None:
    async def handler(peer: RawPeer) -> None:
        await peer.read_request()
        await peer.send(b"HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"x" * 8192
        for _ in range(100):  # 800 kB: the client stops reading after its bound
            await peer.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))

    async with raw_server(handler) as port:
        with pytest.raises(WebSocketHandshakeError) as info:
            async with connect(
                port,
            ):
                pytest.fail("connected")
    assert info.value.status_code == 403
    assert info.value.body is not None
    assert len(info.value.body) < 4200


@pytest.mark.parametrize(
    ("offered", "chosen"),
    [(["v1"], "ai-gateway-auth.s3cret"), ([], "v1"), (["v1", "v2"], "v1, v2")],
)
async def test_server_choosing_an_unoffered_subprotocol_fails(
    offered: list[str], chosen: str
) -> None:
    async def handler(peer: RawPeer) -> None:
        await peer.handshake(subprotocol=chosen)
        await peer.read_eof()

    async with raw_server(handler) as port:
        with pytest.raises(WebSocketHandshakeError, match="not offered") as info:
            async with connect(
                port,
                subprotocols=offered,
            ):
                pytest.fail("connected")
    assert "s3cret" not in str(info.value)


async def test_server_choosing_no_subprotocol_is_allowed() -> None:
    async def handler(peer: RawPeer) -> None:
        await peer.handshake()
        await peer.send(close(1000))
        await peer.read_until_close()

    async with (
        raw_server(handler) as port,
        connect(port, subprotocols=["v1"]) as ws,
    ):
        assert ws.subprotocol is None
        assert await drain(ws) == []


@pytest.mark.parametrize(
    "response",
    [
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n",
        b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n\r\n",
        b"garbage\r\n\r\n",
        b"HTTP/1.1 101 Switching Protocols\r\n",  # then EOF
    ],
)
async def test_bad_handshake_responses(response: bytes) -> None:
    async def handler(peer: RawPeer) -> None:
        await peer.read_request()
        await peer.send(response)

    async with raw_server(handler) as port:
        with pytest.raises(WebSocketHandshakeError):
            async with connect(
                port,
            ):
                pytest.fail("connected")


async def test_handshake_timeout() -> None:
    async def handler(peer: RawPeer) -> None:
        await peer.read_request()
        await peer.read_eof()

    async with raw_server(handler) as port:
        with pytest.raises(errors.TimeoutError, match="open_timeout"):
            async with connect(
                port,
                open_timeout=0.2,
            ):
                pytest.fail("connected")


async def test_connection_refused() -> None:
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port = listener.extra(anyio.abc.SocketAttribute.local_port)
    await listener.aclose()
    with pytest.raises(ConnectError):
        async with connect(
            port,
        ):
            pytest.fail("connected")


async def test_bad_arguments_fail_before_connecting() -> None:
    with pytest.raises(InvalidArgumentError):
        connect_websocket("ws://127.0.0.1:1/", subprotocols=["bad token"])
    with pytest.raises(InvalidArgumentError):
        connect_websocket("ws://127.0.0.1:1/", max_message_size=0)
    with pytest.raises(InvalidArgumentError):
        connect_websocket("ws://127.0.0.1:1/", close_timeout=float("inf"))
    with pytest.raises(InvalidArgumentError):
        connect_websocket("ws://127.0.0.1:1/", ping_interval=-1)
    import ssl

    with pytest.raises(InvalidArgumentError, match="wss"):
        connect_websocket("ws://127.0.0.1:1/", ssl_context=ssl.create_default_context())


async def test_ipv6_loopback() -> None:
    async def handler(peer: RawPeer) -> None:
        await peer.handshake()
        await peer.send(text(peer.headers["host"]) + close(1000))
        await peer.read_until_close()

    try:
        server = raw_server(handler, host="::1")
        port = await server.__aenter__()
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    try:
        async with connect_websocket(
            f"ws://[::1]:{port}/v6",
        ) as ws:
            assert await drain(ws) == [f"[::1]:{port}"]
    finally:
        await server.__aexit__(None, None, None)


# -- messages -----------------------------------------------------------------------------


async def test_fragmented_huge_and_interleaved_messages() -> None:
    audio = bytes(range(256)) * 13_300  # 3.4 MB, like a realtime audio event
    pongs: list[bytes] = []

    async def handler(peer: RawPeer) -> None:
        await peer.handshake()
        await peer.send(
            text("hel", fin=False)
            + ping(b"mid-message")
            + cont(b"lo ", fin=False)
            + cont("wörld".encode())
        )
        await peer.send(binary(audio[:1_000_000], fin=False) + cont(audio[1_000_000:]))
        await peer.send(frame(0x1, ("é" * 200_000).encode()))  # one 400 kB text frame
        _, opcode, payload = await peer.read_frame()
        assert opcode == 0xA
        pongs.append(payload)
        await peer.send(close(1000, "done"))
        await peer.read_until_close()

    async with (
        raw_server(handler) as port,
        connect(
            port,
        ) as ws,
    ):
        assert await ws.receive() == "hello wörld"
        assert await ws.receive() == audio
        assert await ws.receive() == "é" * 200_000
        with pytest.raises(ClosedByPeerError) as info:
            await ws.receive()
        assert type(info.value) is ClosedByPeerError
        assert (info.value.code, info.value.reason) == (1000, "done")
    assert pongs == [b"mid-message"]


async def test_receive_batch_and_batches() -> None:
    async def handler(peer: RawPeer) -> None:
        await peer.handshake()
        await peer.send(b"".join(text(str(i)) for i in range(100)))
        await anyio.sleep(0.05)
        await peer.send(b"".join(text(str(i)) for i in range(100, 150)) + close(1001))
        await peer.read_until_close()

    async with (
        raw_server(handler) as port,
        connect(
            port,
        ) as ws,
    ):
        first = await ws.receive()
        rest = await ws.receive_batch()
        later = [m async for batch in ws.batches() for m in batch]
        assert [first, *rest, *later] == [str(i) for i in range(150)]
        assert rest  # the remainder of the first read's batch
        assert ws.close_code == 1001


async def test_peer_close_reported_exactly_and_sends_fail_with_our_error() -> None:
    got: dict[str, Any] = {}

    async def handler(peer: RawPeer) -> None:
        await peer.handshake()
        await peer.send(close(4003, "policy: quota ✓"))
        got["reply"] = await peer.read_until_close()

    async with (
        raw_server(handler) as port,
        connect(
            port,
        ) as ws,
    ):
        with pytest.raises(ClosedByPeerError) as info:
            async for _ in ws:
                pass
        assert (info.value.code, info.value.reason) == (4003, "policy: quota ✓")
        assert type(info.value) is ClosedByPeerError
        for attempt in (ws.send_text("x"), ws.send_bytes(b"x"), ws.ping()):
            with pytest.raises(ClosedByPeerError) as sent:
                await attempt
            assert sent.value.code == 4003
        assert ws.closed
        assert (ws.close_code, ws.close_reason) == (4003, "policy: quota ✓")
    assert got["reply"] == (4003, "")  # RFC 6455 5.5.1: the code is echoed


async def test_abrupt_close_is_1006_never_1000() -> None:
    async def handler(peer: RawPeer) -> None:
        await peer.handshake()
        await peer.send(text("a") + text("b") + text("partial", fin=False))
        await peer.stream.aclose()

    async with (
        raw_server(handler) as port,
        connect(
            port,
        ) as ws,
    ):
        assert await ws.receive() == "a"
        assert await ws.receive() == "b"
        with pytest.raises(ConnectionBrokenError) as info:
            await ws.receive()
        assert info.value.code == 1006
        with pytest.raises(ConnectionBrokenError):
            async for _ in ws:
                pass
        with pytest.raises(ConnectionBrokenError) as sent:
            await ws.send_text("x")
        assert sent.value.code == 1006
        assert ws.close_code == 1006
    assert ws.close_code == 1006


async def test_messages_before_a_reset_survive_a_failed_pong() -> None:
    """A pong that cannot be sent (the peer reset TCP) must not drop data already received.

    The reader is held on a full channel (max_batches=1) while the server writes a
    fragmented message with pings between the fragments, then resets the connection
    (SO_LINGER 0). Tiny reads (read_size=3) make the first ping complete, and its pong
    fail, long before the message's last fragment is parsed. Every message sent before
    the reset must still arrive, then 1006.
    """
    big = b"\x00" * 4096
    reset = anyio.Event()

    async def handler(peer: RawPeer) -> None:
        await peer.handshake()
        await peer.read_frame()  # "go": the 101 was read alone, the reader reads the rest
        await peer.send(
            text("a")
            + text("b")
            + binary(b"", fin=False)
            + ping(b"hb")
            + cont(b"", fin=False)
            + ping(b"hb")
            + cont(big)
        )
        sock = peer.stream.extra(anyio.abc.SocketAttribute.raw_socket)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        await peer.stream.aclose()  # RST, no close frame
        reset.set()

    async with raw_server(handler) as port, connect(port, max_batches=1, read_size=3) as ws:
        await ws.send_text("go")
        # Nothing is received yet: the reader holds ["b"] while ["a"] fills the channel.
        with anyio.fail_after(5):
            await reset.wait()
        await anyio.sleep(0.05)  # let the RST land before the reader reads the ping
        got: list[str | bytes] = []
        with pytest.raises(ConnectionBrokenError) as info:
            async for message in ws:
                got.append(message)
        assert got == ["a", "b", big]
        assert info.value.code == 1006
        assert ws.close_code == 1006
        with pytest.raises(ConnectionBrokenError):
            await ws.send_text("x")


async def test_after_a_failed_write_the_reader_ends_within_close_timeout() -> None:
    """A write fails but the peer keeps the connection open: the end still comes, as 1006."""
    release = anyio.Event()

    async def handler(peer: RawPeer) -> None:
        await peer.handshake()
        await peer.send(text("before"))
        await release.wait()  # never closes before the client gives up

    async with raw_server(handler) as port:
        try:
            with anyio.fail_after(5):
                async with connect(port, close_timeout=0.3) as ws:
                    assert await ws.receive() == "before"
                    # Fault injection: this side can no longer write (EPIPE), reads stay open.
                    sock = ws._stream.extra(anyio.abc.SocketAttribute.raw_socket)
                    sock.shutdown(socket.SHUT_WR)
                    # asyncio's transport reports a write error on a later call, trio at once.
                    with pytest.raises(ConnectionBrokenError) as sent:
                        for _ in range(100):
                            await ws.send_text("x")
                            await anyio.sleep(0.01)
                    assert sent.value.code == 1006
                    assert ws.closed
                    with pytest.raises(ConnectionBrokenError) as info:
                        await ws.receive()
                    assert info.value.code == 1006
                    assert ws.close_code == 1006
        finally:
            release.set()


@pytest.mark.parametrize(
    ("data", "code", "error"),
    [
        (frame(0x1, b"x", rsv=4), 1002, ProtocolError),
        (frame(0x1, b"x", mask=b"abcd"), 1002, ProtocolError),
        (frame(0x5, b""), 1002, ProtocolError),
        (cont(b"orphan"), 1002, ProtocolError),
        (frame(0x9, b"x" * 126), 1002, ProtocolError),
        (close(1005), 1002, ProtocolError),
        (frame(0x1, b"\xed\xa0\x80"), 1007, ProtocolError),
        (text("ok", fin=False) + cont(b"\xc0"), 1007, ProtocolError),
        (binary(b"x" * 2000), 1009, LimitExceededError),
        (text("x" * 600, fin=False) + cont(b"x" * 600), 1009, LimitExceededError),
    ],
)
async def test_peer_violations_close_with_the_rfc_code(
    data: bytes, code: int, error: type[Exception]
) -> None:
    got: dict[str, Any] = {}

    async def handler(peer: RawPeer) -> None:
        await peer.handshake()
        await peer.send(text("before") + data + text("never"))
        got["close"] = await peer.read_until_close()
        await peer.send(close(code))

    async with (
        raw_server(handler) as port,
        connect(port, max_message_size=1024) as ws,
    ):
        assert await ws.receive() == "before"
        with pytest.raises(error) as info:
            await ws.receive()
        if isinstance(info.value, ProtocolError):
            assert info.value.close_code == code
        else:
            assert isinstance(info.value, LimitExceededError)
            assert info.value.option == "max_message_size"
        # After the violation: ConnectionBrokenError carrying the code.
        with pytest.raises(ConnectionBrokenError) as later:
            await ws.receive()
        assert later.value.code == code
        with pytest.raises(ConnectionBrokenError):
            await ws.send_text("x")
        assert ws.close_code == code
    assert got["close"][0] == code


# -- pings and keepalive ----------------------------------------------------------------


async def test_server_pings_are_answered_with_the_same_payload() -> None:
    payloads = [b"", b"a", bytes(range(125))]
    got: list[bytes] = []

    async def handler(peer: RawPeer) -> None:
        await peer.handshake()
        for payload in payloads:
            await peer.send(ping(payload))
            _, opcode, data = await peer.read_frame()
            assert opcode == 0xA
            got.append(data)
        await peer.send(close(1000))
        await peer.read_until_close()

    async with (
        raw_server(handler) as port,
        connect(
            port,
        ) as ws,
    ):
        assert await drain(ws) == []
    assert got == payloads


async def test_keepalive_pings_and_survives_with_pongs() -> None:
    pings: list[bytes] = []

    async def handler(peer: RawPeer) -> None:
        await peer.handshake()
        while True:
            _, opcode, payload = await peer.read_frame()
            if opcode == 0x9:
                pings.append(payload)
                await peer.send(pong(payload))
            elif opcode == 0x8:
                await peer.send(close(1000))
                return

    async with (
        raw_server(handler) as port,
        connect(port, ping_interval=0.05, ping_timeout=5.0, close_timeout=2.0) as ws,
    ):
        await anyio.sleep(0.4)
        assert not ws.closed
        await ws.ping(b"manual")
    assert len(pings) >= 3
    assert b"manual" in pings
    assert ws.close_code == 1000


async def test_keepalive_without_pong_fails_with_1011() -> None:
    got: dict[str, Any] = {}

    async def handler(peer: RawPeer) -> None:
        await peer.handshake()
        await peer.send(text("hello"))
        _, opcode, _ = await peer.read_frame()
        got["first"] = opcode
        got["close"] = await peer.read_until_close()  # never ponged
        await peer.send(close(1011))

    async with (
        raw_server(handler) as port,
        connect(port, ping_interval=0.05, ping_timeout=0.2, close_timeout=2.0) as ws,
    ):
        assert await ws.receive() == "hello"
        with pytest.raises(ConnectionBrokenError) as info:
            await ws.receive()
        assert info.value.code == 1011
        assert isinstance(info.value.__cause__, errors.TimeoutError)
        with pytest.raises(ConnectionBrokenError):
            await ws.send_text("x")
    assert got["first"] == 0x9
    assert got["close"][0] == 1011
    assert ws.close_code == 1011


# -- closing from this side ----------------------------------------------------------------


async def test_aclose_runs_the_closing_handshake() -> None:
    got: dict[str, Any] = {}

    async def handler(peer: RawPeer) -> None:
        await peer.handshake()
        await peer.send(text("unread"))
        got["close"] = await peer.read_until_close()
        await peer.send(close(1000, "ok then"))

    async with (
        raw_server(handler) as port,
        connect(
            port,
        ) as ws,
    ):
        await ws.aclose(4000, "client done")
        assert ws.closed
        assert (ws.close_code, ws.close_reason) == (1000, "ok then")
        with pytest.raises(ClosedByYouError) as info:
            await ws.receive()
        assert info.value.code == 1000
        with pytest.raises(ClosedByYouError):
            await ws.send_text("x")
        assert await drain(ws) == []  # async for ends quietly after our own close
        await ws.aclose()  # idempotent
    assert got["close"] == (4000, "client done")


async def test_aclose_is_bounded_when_the_peer_never_answers() -> None:
    async def handler(peer: RawPeer) -> None:
        await peer.handshake()
        await peer.read_eof()  # reads the close frame, never answers it

    async with raw_server(handler) as port:
        with anyio.fail_after(5):
            async with connect(port, close_timeout=0.3, ping_interval=None) as ws:
                pass
    assert ws.close_code == 1006


async def test_leaving_the_block_by_exception_closes_cleanly() -> None:
    got: dict[str, Any] = {}

    async def handler(peer: RawPeer) -> None:
        await peer.handshake()
        got["close"] = await peer.read_until_close()
        await peer.send(close(1000))

    async with raw_server(handler) as port:
        with pytest.raises(KeyError):
            async with connect(
                port,
            ):
                raise KeyError("boom")
    assert got["close"] == (1000, "")


async def test_cancelled_block_still_closes_within_close_timeout() -> None:
    got: dict[str, Any] = {}

    async def handler(peer: RawPeer) -> None:
        await peer.handshake()
        got["close"] = await peer.read_until_close()
        await peer.send(close(1000))

    async with raw_server(handler) as port:
        with anyio.move_on_after(0.2):
            async with connect(
                port,
            ) as ws:
                await ws.receive()  # blocks until cancelled
    assert got["close"] == (1000, "")


async def test_close_arguments_are_checked() -> None:
    async def handler(peer: RawPeer) -> None:
        await peer.handshake()
        await peer.read_until_close()
        await peer.send(close(1000))

    async with (
        raw_server(handler) as port,
        connect(
            port,
        ) as ws,
    ):
        with pytest.raises(InvalidArgumentError):
            await ws.aclose(1006)
        with pytest.raises(InvalidArgumentError):
            await ws.aclose(1000, "r" * 124)
        with pytest.raises(InvalidArgumentError):
            await ws.send_text(b"bytes")  # type: ignore[arg-type]
        assert not ws.closed


# -- sending: one lock, backpressure ---------------------------------------------------------


async def test_concurrent_sends_and_pings_never_interleave() -> None:
    received: list[tuple[int, bytes]] = []

    async def handler(peer: RawPeer) -> None:
        await peer.handshake()
        while True:
            fin, opcode, payload = await peer.read_frame()
            assert fin
            if opcode == 0x9:
                await peer.send(pong(payload))
            elif opcode == 0x8:
                await peer.send(close(1000))
                return
            else:
                received.append((opcode, payload))

    messages = [(i % 2, bytes([i]) * (50_000 + i * 1000)) for i in range(40)]
    async with (
        raw_server(handler) as port,
        connect(port, ping_interval=0.001, close_timeout=5.0) as ws,
        anyio.create_task_group() as tg,
    ):
        for is_text, payload in messages:
            if is_text:
                tg.start_soon(ws.send_text, payload.hex())
            else:
                tg.start_soon(ws.send_bytes, payload)
    expected = sorted(
        (0x1, p.hex().encode()) if t else (0x2, p) for t, p in messages
    )  # order between tasks is free; each frame must be whole
    assert sorted(received) == expected


async def test_stalled_consumer_stops_socket_reads() -> None:
    progress = {"sent": 0}
    unit = text("x" * 1000)
    total = 20_000  # 20 MB if nothing pushed back

    async def handler(peer: RawPeer) -> None:
        await peer.handshake()
        for _ in range(total // 10):
            await peer.send(unit * 10)
            progress["sent"] += 10
        await peer.send(close(1000))
        await peer.read_until_close()

    async with (
        raw_server(handler) as port,
        connect(port, max_batches=2, read_size=16384) as ws,
    ):
        assert await ws.receive() == "x" * 1000
        # Stall: once the channel and the socket buffers are full, TCP flow control
        # holds the server back. Wait until its progress stops changing.
        last, stable = -1, 0
        with anyio.fail_after(10):
            while stable < 3:
                await anyio.sleep(0.1)
                stable = stable + 1 if progress["sent"] == last else 0
                last = progress["sent"]
        assert last < total
        count = 1 + len(await drain(ws))
    assert count == total


async def test_concurrent_and_cancelled_receives_lose_nothing() -> None:
    """Several tasks waiting in receive() at once, one of them cancelled while waiting.

    Every message reaches exactly one receiver, none is lost to the cancelled one,
    and every receiver ends when the peer closes (max_batches=1: the reader waits
    on the channel often).
    """
    total = 300
    go = anyio.Event()

    async def handler(peer: RawPeer) -> None:
        await peer.handshake()
        await go.wait()
        for i in range(total):
            await peer.send(text(str(i)))
            if i % 50 == 0:
                await anyio.sleep(0.01)
        await peer.send(close(1000))
        await peer.read_until_close()

    got: list[str | bytes] = []

    async def consume(ws: WebSocketConnection) -> None:
        got.extend(await drain(ws))

    doomed = anyio.CancelScope()

    async def cancelled_receive(ws: WebSocketConnection) -> None:
        with doomed:
            got.append(await ws.receive())

    async with raw_server(handler) as port, connect(port, max_batches=1) as ws:
        with anyio.fail_after(10):
            async with anyio.create_task_group() as tg:
                tg.start_soon(consume, ws)
                tg.start_soon(consume, ws)
                tg.start_soon(cancelled_receive, ws)
                await anyio.sleep(0.05)  # all three wait on an empty channel
                doomed.cancel()
                await anyio.sleep(0.01)
                assert doomed.cancelled_caught
                go.set()
    assert sorted(got, key=int) == [str(i) for i in range(total)]
    assert len(got) == total


async def test_sends_block_when_the_peer_does_not_read() -> None:
    async def handler(peer: RawPeer) -> None:
        await peer.handshake()
        await anyio.sleep(30)  # never reads

    async with (
        raw_server(handler, grace=0) as port,
        connect(port, close_timeout=0.3, ping_interval=None) as ws,
    ):
        sent = 0
        with anyio.move_on_after(0.5):
            while True:
                await ws.send_bytes(b"x" * 65536)
                sent += 1
        # Kernel buffers absorb some megabytes at most; then send() waits.
        assert sent < 2000
        # A send cancelled mid-frame leaves the framing unknown: the connection is broken.
        with pytest.raises(ConnectionBrokenError):
            await ws.send_text("after")


async def test_peer_close_during_sends_raises_closed_by_peer() -> None:
    async def handler(peer: RawPeer) -> None:
        await peer.handshake()
        await peer.read_frame()
        await peer.send(close(1001, "going away"))
        await peer.read_until_close()

    async with (
        raw_server(handler) as port,
        connect(
            port,
        ) as ws,
    ):
        await ws.send_text("first")
        with pytest.raises(ClosedByPeerError) as info:
            for _ in range(1000):
                await ws.send_text("more")
                await anyio.sleep(0.005)
        assert info.value.code == 1001
        assert await drain(ws) == []  # 1001 ends async for quietly


async def test_close_frame_carries_code_and_reason_for_many_codes() -> None:
    codes = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4999]
    for code in codes:

        async def handler(peer: RawPeer, code: int = code) -> None:
            await peer.handshake()
            await peer.send(close(code, f"r{code}"))
            await peer.read_until_close()

        async with (
            raw_server(handler) as port,
            connect(
                port,
            ) as ws,
        ):
            with pytest.raises(ClosedByPeerError) as info:
                await ws.receive()
            assert (info.value.code, info.value.reason) == (code, f"r{code}")
            assert type(info.value) is ClosedByPeerError


def test_struct_helper_sanity() -> None:
    assert close(1000) == b"\x88\x02" + struct.pack("!H", 1000)
