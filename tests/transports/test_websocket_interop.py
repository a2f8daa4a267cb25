"""Interop: the WebSocket client against real servers on 127.0.0.1, on both backends.

Peers:

* the ``websockets`` asyncio server and the ``websockets`` trio server
  (``websockets.trio``), each in a thread with its own event loop, so both serve
  the asyncio and the trio client;
* a hypercorn ASGI WebSocket app, served in the test's own event loop (hypercorn's
  asyncio worker under asyncio, its trio worker under trio);
* TLS: the ``websockets`` asyncio server with a certificate from a ``trustme`` CA.
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any
from urllib.parse import parse_qs

import anyio
import pytest
import trio
import trustme
from tests.transports._ws_peers import threaded_asyncio, threaded_trio
from websockets.asyncio.server import ServerConnection as AsyncioConnection
from websockets.asyncio.server import serve as asyncio_serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.trio.server import ServerConnection as TrioConnection
from websockets.trio.server import serve as trio_serve

from partstream.errors import (
    ClosedByPeerError,
    ConnectError,
    LimitExceededError,
    WebSocketHandshakeError,
)
from partstream.transports.websocket import connect_websocket

pytestmark = pytest.mark.anyio

SUPPORTED = ("chat", "ai-gateway-realtime.v1")
AUDIO = bytes(range(256)) * 13_300  # 3.4 MB, the size of large realtime audio events
MAX_SIZE = 16 * 1024 * 1024

#: What the thread servers saw at the end of each connection: id -> (close code, reason).
OBSERVED: dict[str, tuple[int | None, str | None]] = {}

# -- the websockets handler (asyncio and trio flavours) --------------------------------------

WsConnection = AsyncioConnection | TrioConnection


def _select(connection: Any, offered: Any) -> Any:
    for protocol in offered:
        if protocol in SUPPORTED:
            return protocol
    return None


def _refuse(connection: Any, request: Request) -> Response | None:
    if request.path.startswith("/refuse"):
        response: Response = connection.respond(401, "token rejected by the test server\n")
        return response
    return None


async def _drain(ws: WsConnection) -> None:
    while True:
        await ws.recv()


async def _handle(ws: WsConnection, wait_pong: Callable[[Any], Awaitable[None]]) -> None:
    path = ws.request.path if ws.request is not None else "/"
    route, _, query = path.partition("?")
    params = {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}
    try:
        if route == "/echo":
            while True:
                await ws.send(await ws.recv())
        elif route == "/info":
            headers = (
                {k.lower(): v for k, v in ws.request.headers.raw_items()} if ws.request else {}
            )
            await ws.send(
                json.dumps({"path": path, "subprotocol": ws.subprotocol, "headers": headers})
            )
            await _drain(ws)
        elif route == "/close":
            code, reason = int(params["code"]), params.get("reason", "")
            if isinstance(ws, TrioConnection):
                await ws.aclose(code, reason)
            else:
                await ws.close(code, reason)
        elif route == "/fragmented":
            await ws.send(["frag", "mén", "ted"])
            await ws.send([b"\x00", b"", b"\x01\x02"])
            await _drain(ws)
        elif route == "/ping":
            await wait_pong(await ws.ping(b"server-ping"))
            await ws.send("pong seen")
            await _drain(ws)
        elif route == "/big":
            await ws.send(b"x" * int(params["n"]))
            await _drain(ws)
        else:
            await _drain(ws)
    except ConnectionClosed:
        pass
    finally:
        if "id" in params:
            OBSERVED[params["id"]] = (ws.close_code, ws.close_reason)


async def _asyncio_pong(waiter: Any) -> None:
    await waiter


async def _trio_pong(event: Any) -> None:
    await event.wait()


async def asyncio_handler(ws: AsyncioConnection) -> None:
    await _handle(ws, _asyncio_pong)


async def trio_handler(ws: TrioConnection) -> None:
    await _handle(ws, _trio_pong)


_SERVER_OPTIONS: dict[str, Any] = {
    "select_subprotocol": _select,
    "process_request": _refuse,
    "max_size": MAX_SIZE,
    "ping_interval": None,
    "compression": None,
}


@pytest.fixture(scope="module")
def websockets_asyncio_port() -> Iterator[int]:
    async def start() -> tuple[int, Any]:
        server = await asyncio_serve(asyncio_handler, "127.0.0.1", 0, **_SERVER_OPTIONS)
        return int(next(iter(server.sockets)).getsockname()[1]), server

    with threaded_asyncio(start) as port:
        yield port


@pytest.fixture(scope="module")
def websockets_trio_port() -> Iterator[int]:
    async def serve(task_status: trio.TaskStatus[int]) -> None:
        async with trio.open_nursery() as nursery:
            server = await nursery.start(
                partial(trio_serve, trio_handler, 0, host="127.0.0.1", **_SERVER_OPTIONS)
            )
            task_status.started(int(server.listeners[0].socket.getsockname()[1]))

    with threaded_trio(serve) as port:
        yield port


# -- hypercorn, in the test's own event loop ----------------------------------------------


async def asgi_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "websocket":
        return
    assert (await receive())["type"] == "websocket.connect"
    path: str = scope["path"]
    params = {
        k: v[0] for k, v in parse_qs(scope["query_string"].decode(), keep_blank_values=True).items()
    }
    if path == "/deny":
        await send(
            {
                "type": "websocket.http.response.start",
                "status": 403,
                "headers": [(b"content-type", b"text/plain"), (b"x-denied-by", b"asgi")],
            }
        )
        await send({"type": "websocket.http.response.body", "body": b"forbidden: no token"})
        return
    offered = [p for p in scope.get("subprotocols", []) if p in SUPPORTED]
    await send(
        {
            "type": "websocket.accept",
            "subprotocol": offered[0] if offered else None,
            "headers": [(b"x-served-by", b"hypercorn")],
        }
    )
    if path == "/close":
        await send(
            {"type": "websocket.close", "code": int(params["code"]), "reason": params["reason"]}
        )
        return
    if path == "/info":
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        info = {
            "path": path + ("?" + scope["query_string"].decode() if scope["query_string"] else ""),
            "subprotocol": offered[0] if offered else None,
            "headers": headers,
        }
        await send({"type": "websocket.send", "text": json.dumps(info)})
    if path == "/big":
        await send({"type": "websocket.send", "bytes": b"x" * int(params["n"])})
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            return
        if path == "/echo":
            reply: dict[str, Any] = {"type": "websocket.send"}
            if message.get("text") is not None:
                reply["text"] = message["text"]
            else:
                reply["bytes"] = message.get("bytes") or b""
            await send(reply)


@asynccontextmanager
async def hypercorn_port() -> AsyncIterator[int]:
    from hypercorn.config import Config
    from hypercorn.utils import wrap_app

    config = Config()
    config.bind = ["127.0.0.1:0"]
    config.graceful_timeout = 0.5
    config.accesslog = None
    config.websocket_max_message_size = MAX_SIZE
    logger = logging.getLogger("tests.websocket_interop")
    logger.setLevel("CRITICAL")
    config.errorlog = logger
    sockets = config.create_sockets()
    for sock in sockets.insecure_sockets:
        sock.listen(config.backlog)
    port = int(sockets.insecure_sockets[0].getsockname()[1])
    worker_serve: Any
    try:
        trio.lowlevel.current_trio_token()
        from hypercorn.trio.run import worker_serve
    except RuntimeError:
        from hypercorn.asyncio.run import worker_serve
    shutdown = anyio.Event()
    app: Any = asgi_app
    wrapped = wrap_app(app, config.wsgi_max_body_size, "asgi")
    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(
                partial(
                    worker_serve, wrapped, config, sockets=sockets, shutdown_trigger=shutdown.wait
                )
            )
            try:
                yield port
            finally:
                shutdown.set()
    finally:
        for sock in sockets.insecure_sockets:
            sock.close()


# -- which peer ------------------------------------------------------------------------------

PEERS = ["websockets-asyncio", "websockets-trio", "hypercorn"]


@asynccontextmanager
async def peer_port(name: str, request: pytest.FixtureRequest) -> AsyncIterator[int]:
    if name == "hypercorn":
        async with hypercorn_port() as port:
            yield port
    else:
        fixture = (
            "websockets_asyncio_port" if name == "websockets-asyncio" else "websockets_trio_port"
        )
        yield int(request.getfixturevalue(fixture))


async def observed(key: str) -> tuple[int | None, str | None]:
    """What the thread server recorded for connection ``key`` (it may lag a little)."""
    with anyio.fail_after(5):
        while key not in OBSERVED:
            await anyio.sleep(0.01)
    return OBSERVED.pop(key)


def opts(**kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("close_timeout", 3.0)
    kwargs.setdefault("ping_interval", None)
    return kwargs


# -- tests --------------------------------------------------------------------------------------


@pytest.mark.parametrize("peer", PEERS)
async def test_echo_round_trips(peer: str, request: pytest.FixtureRequest) -> None:
    messages: list[str | bytes] = [
        "hello",
        "",
        "ünïcødé ✓ 🎧",
        b"",
        b"\x00\xff" * 100,
        "x" * 70_000,
        AUDIO,
        "é" * 500_000,
    ]
    async with (
        peer_port(peer, request) as port,
        connect_websocket(f"ws://127.0.0.1:{port}/echo", **opts()) as ws,
    ):
        for message in messages:
            await ws.send(message)
        got = [await ws.receive() for _ in messages]
        assert got == messages
        assert not ws.closed
    assert ws.closed


@pytest.mark.parametrize("peer", PEERS)
async def test_path_query_subprotocol_and_headers_reach_the_server(
    peer: str, request: pytest.FixtureRequest
) -> None:
    async with peer_port(peer, request) as port:
        url = f"ws://127.0.0.1:{port}/info?ai-model-id=openai/gpt-realtime&a=1"
        async with connect_websocket(
            url,
            subprotocols=["ai-gateway-realtime.v1", "ai-gateway-auth.token-123"],
            headers={"Authorization": "Bearer abc", "Origin": "http://127.0.0.1"},
            **opts(),
        ) as ws:
            info = json.loads(await ws.receive())
            assert ws.subprotocol == "ai-gateway-realtime.v1"
    assert info["path"] == "/info?ai-model-id=openai/gpt-realtime&a=1"
    assert info["subprotocol"] == "ai-gateway-realtime.v1"
    headers = info["headers"]
    assert headers["sec-websocket-protocol"] == "ai-gateway-realtime.v1, ai-gateway-auth.token-123"
    assert headers["authorization"] == "Bearer abc"
    assert headers["origin"] == "http://127.0.0.1"
    assert headers["host"] == f"127.0.0.1:{port}"


@pytest.mark.parametrize("peer", PEERS)
@pytest.mark.parametrize(
    ("code", "reason"), [(1000, "done"), (1011, "upstream failed"), (4001, "")]
)
async def test_server_close_code_and_reason_reported_exactly(
    peer: str, code: int, reason: str, request: pytest.FixtureRequest
) -> None:
    async with peer_port(peer, request) as port:
        url = f"ws://127.0.0.1:{port}/close?code={code}&reason={reason.replace(' ', '+')}"
        async with connect_websocket(url, **opts()) as ws:
            with pytest.raises(ClosedByPeerError) as info:
                await ws.receive()
            assert type(info.value) is ClosedByPeerError
            assert (info.value.code, info.value.reason) == (code, reason)
            assert (ws.close_code, ws.close_reason) == (code, reason)


@pytest.mark.parametrize("peer", ["websockets-asyncio", "websockets-trio"])
async def test_client_close_code_reaches_the_server(
    peer: str, request: pytest.FixtureRequest
) -> None:
    key = uuid.uuid4().hex
    async with (
        peer_port(peer, request) as port,
        connect_websocket(f"ws://127.0.0.1:{port}/echo?id={key}", **opts()) as ws,
    ):
        await ws.send_text("x")
        assert await ws.receive() == "x"
        with anyio.fail_after(3):
            await ws.aclose(4000, "client is done")
        assert (ws.close_code, ws.close_reason) == (4000, "client is done")  # echoed back
    assert await observed(key) == (4000, "client is done")


@pytest.mark.parametrize("peer", PEERS)
async def test_leaving_the_block_closes_with_1000(
    peer: str, request: pytest.FixtureRequest
) -> None:
    key = uuid.uuid4().hex
    async with peer_port(peer, request) as port:
        with anyio.fail_after(3):
            async with connect_websocket(f"ws://127.0.0.1:{port}/echo?id={key}", **opts()) as ws:
                await ws.send_text("x")
                # Wait for the echo: the websockets 17.4 trio server drops the TCP connection
                # without its close frame when a close arrives while it is echoing (seen with
                # a bare socket client too); the client then rightly reports 1006.
                assert await ws.receive() == "x"
        assert ws.close_code == 1000
    if peer != "hypercorn":  # hypercorn does not tell the app the client's code
        assert await observed(key) == (1000, "")


@pytest.mark.parametrize("peer", ["websockets-asyncio", "websockets-trio"])
async def test_fragmented_messages_from_the_server(
    peer: str, request: pytest.FixtureRequest
) -> None:
    async with (
        peer_port(peer, request) as port,
        connect_websocket(f"ws://127.0.0.1:{port}/fragmented", **opts()) as ws,
    ):
        assert await ws.receive() == "fragménted"
        assert await ws.receive() == b"\x00\x01\x02"


@pytest.mark.parametrize("peer", ["websockets-asyncio", "websockets-trio"])
async def test_server_ping_gets_our_pong(peer: str, request: pytest.FixtureRequest) -> None:
    async with (
        peer_port(peer, request) as port,
        connect_websocket(f"ws://127.0.0.1:{port}/ping", **opts()) as ws,
    ):
        with anyio.fail_after(3):
            assert await ws.receive() == "pong seen"


@pytest.mark.parametrize("peer", PEERS)
async def test_keepalive_against_a_real_server(peer: str, request: pytest.FixtureRequest) -> None:
    async with (
        peer_port(peer, request) as port,
        connect_websocket(
            f"ws://127.0.0.1:{port}/echo", **opts(ping_interval=0.05, ping_timeout=2.0)
        ) as ws,
    ):
        await anyio.sleep(0.3)
        with anyio.fail_after(3):
            await ws.ping(b"explicit")
        await ws.send_text("still open")
        assert await ws.receive() == "still open"


@pytest.mark.parametrize("peer", PEERS)
async def test_message_over_the_limit_closes_with_1009(
    peer: str, request: pytest.FixtureRequest
) -> None:
    key = uuid.uuid4().hex
    async with peer_port(peer, request) as port:
        url = f"ws://127.0.0.1:{port}/big?n=200000&id={key}"
        async with connect_websocket(url, **opts(max_message_size=100_000)) as ws:
            with pytest.raises(LimitExceededError) as info:
                await ws.receive()
            assert info.value.option == "max_message_size"
            assert ws.close_code == 1009
    if peer != "hypercorn":
        assert (await observed(key))[0] == 1009


async def test_websockets_refusal_reads_clearly(websockets_asyncio_port: int) -> None:
    url = f"ws://127.0.0.1:{websockets_asyncio_port}/refuse"
    with pytest.raises(WebSocketHandshakeError) as info:
        async with connect_websocket(url, **opts()):
            pytest.fail("connected")
    assert info.value.status_code == 401
    assert info.value.body == "token rejected by the test server\n"


async def test_hypercorn_denial_response_reads_clearly() -> None:
    async with hypercorn_port() as port:
        with pytest.raises(WebSocketHandshakeError) as info:
            async with connect_websocket(f"ws://127.0.0.1:{port}/deny", **opts()):
                pytest.fail("connected")
    assert info.value.status_code == 403
    assert info.value.headers["x-denied-by"] == "asgi"
    assert info.value.body == "forbidden: no token"


async def test_hypercorn_accept_headers_are_exposed() -> None:
    async with (
        hypercorn_port() as port,
        connect_websocket(f"ws://127.0.0.1:{port}/echo", **opts()) as ws,
    ):
        assert ("x-served-by", "hypercorn") in ws.response_headers


# -- TLS ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tls_ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def tls_server(tls_ca: trustme.CA) -> Iterator[tuple[int, list[str | None]]]:
    """The websockets asyncio server over TLS; records the SNI names clients sent."""
    cert = tls_ca.issue_cert("localhost", "127.0.0.1", "::1")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    sni: list[str | None] = []
    context.sni_callback = lambda sock, name, ctx: sni.append(name)

    async def start() -> tuple[int, Any]:
        server = await asyncio_serve(
            asyncio_handler, "127.0.0.1", 0, ssl=context, **_SERVER_OPTIONS
        )
        return int(next(iter(server.sockets)).getsockname()[1]), server

    with threaded_asyncio(start) as port:
        yield port, sni


def client_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


async def test_wss_with_a_test_ca(
    tls_ca: trustme.CA, tls_server: tuple[int, list[str | None]]
) -> None:
    port, _ = tls_server
    async with connect_websocket(
        f"wss://127.0.0.1:{port}/echo", ssl_context=client_context(tls_ca), **opts()
    ) as ws:
        await ws.send_text("over tls")
        assert await ws.receive() == "over tls"
        await ws.send_bytes(AUDIO)
        assert await ws.receive() == AUDIO
    assert ws.close_code == 1000


async def test_wss_sends_sni_and_checks_the_host_name(
    tls_ca: trustme.CA, tls_server: tuple[int, list[str | None]]
) -> None:
    port, sni = tls_server
    before = len(sni)
    async with connect_websocket(
        f"wss://localhost:{port}/info", ssl_context=client_context(tls_ca), **opts()
    ) as ws:
        info = json.loads(await ws.receive())
    assert info["headers"]["host"] == f"localhost:{port}"
    assert "localhost" in sni[before:]


async def test_wss_verifies_certificates_by_default(
    tls_server: tuple[int, list[str | None]],
) -> None:
    port, _ = tls_server
    # The system trust store does not know the test CA: the handshake must fail.
    with pytest.raises(ConnectError) as info:
        async with connect_websocket(f"wss://127.0.0.1:{port}/echo", **opts()):
            pytest.fail("connected without verifying the certificate")
    assert isinstance(info.value.__cause__, ssl.SSLError | OSError)


async def test_wss_rejects_a_certificate_for_another_host(
    tls_server: tuple[int, list[str | None]],
) -> None:
    port, _ = tls_server
    other = trustme.CA()
    context = ssl.create_default_context()
    other.configure_trust(context)  # trusts a CA that did not sign the server's certificate
    with pytest.raises(ConnectError):
        async with connect_websocket(f"wss://127.0.0.1:{port}/echo", ssl_context=context, **opts()):
            pytest.fail("connected")


def test_websockets_trio_is_available() -> None:
    import websockets.trio

    assert asyncio is not None
    assert websockets.trio is not None
