"""A scriptable Gateway peer for the tests: a real hypercorn ASGI server on 127.0.0.1.

The WebSocket endpoint uses partstream's own server-side helpers
(``partstream.codecs.gateway_server``) to read the auth subprotocols, so the
client and the server sides of the contract meet over a real socket. Each test
gives a ``script(conn)`` coroutine that plays the Gateway; HTTP requests (the
client-secret mint) go to ``http(request) -> (status, body)``.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from functools import partial
from typing import Any

import anyio
import attrs

from partstream.codecs.gateway_server import (
    RealtimeHandshake,
    RealtimeRejection,
    read_realtime_handshake,
    reject_realtime,
)

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

VALID_TOKEN = "vck_test-token"


class PeerClosed(Exception):
    """The client went away."""


@attrs.define
class HttpRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@attrs.define
class Conn:
    """The server side of one accepted realtime connection."""

    handshake: RealtimeHandshake
    scope: dict[str, Any]
    _receive: Receive
    _send: Send
    received: list[dict[str, Any]] = attrs.field(factory=list)
    client_close_code: int | None = None

    async def recv(self) -> dict[str, Any]:
        """The next client event (JSON), or PeerClosed."""
        message = await self._receive()
        if message["type"] == "websocket.disconnect":
            self.client_close_code = message.get("code")
            raise PeerClosed
        text = message.get("text")
        if text is None:
            text = message["bytes"].decode()
        event: dict[str, Any] = json.loads(text)
        self.received.append(event)
        return event

    async def recv_until(self, kind: str) -> dict[str, Any]:
        while True:
            event = await self.recv()
            if event.get("type") == kind:
                return event

    async def send(self, event: dict[str, Any]) -> None:
        await self._send({"type": "websocket.send", "text": json.dumps(event)})

    async def send_raw(self, text: str | None = None, data: bytes | None = None) -> None:
        await self._send({"type": "websocket.send", "text": text, "bytes": data})

    async def close(self, code: int = 1000, reason: str = "") -> None:
        await self._send({"type": "websocket.close", "code": code, "reason": reason})

    async def drain(self) -> None:
        """Read until the client closes."""
        try:
            while True:
                await self.recv()
        except PeerClosed:
            return


Script = Callable[[Conn], Awaitable[None]]


@attrs.define
class Peer:
    """The ASGI app: a realtime WebSocket endpoint and a client-secret endpoint."""

    script: Script | None = None
    http: Callable[[HttpRequest], tuple[int, Any]] | None = None
    http_delay: float = 0.0
    valid_tokens: frozenset[str] = frozenset({VALID_TOKEN})
    conns: list[Conn] = attrs.field(factory=list)
    requests: list[HttpRequest] = attrs.field(factory=list)
    handshakes: list[RealtimeHandshake | RealtimeRejection] = attrs.field(factory=list)
    done: anyio.Event = attrs.field(factory=anyio.Event)
    errors: list[BaseException] = attrs.field(factory=list)

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] == "http":
            await self._http(scope, receive, send)
            return
        await self._websocket(scope, receive, send)

    async def _http(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        request = HttpRequest(
            method=scope["method"],
            path=scope["path"],
            headers={k.decode().lower(): v.decode() for k, v in scope["headers"]},
            body=body,
        )
        self.requests.append(request)
        if self.http_delay:
            await anyio.sleep(self.http_delay)
        status, payload = self.http(request) if self.http else (404, {"error": "none"})
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": data})

    async def _websocket(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        handshake = read_realtime_handshake(scope)
        self.handshakes.append(handshake)
        await receive()  # websocket.connect
        if isinstance(handshake, RealtimeHandshake) and handshake.token not in self.valid_tokens:
            handshake = RealtimeRejection(
                status_code=401, message="AI Gateway authentication failed: invalid token"
            )
        if isinstance(handshake, RealtimeRejection):
            await reject_realtime(scope, send, handshake)
            return
        await send(handshake.accept_message())
        conn = Conn(handshake=handshake, scope=scope, receive=receive, send=send)
        self.conns.append(conn)
        try:
            if self.script is not None:
                await self.script(conn)
        except PeerClosed:
            pass
        except Exception as exc:  # surfaced by the tests
            self.errors.append(exc)
            raise
        finally:
            self.done.set()


def _on_trio() -> bool:
    trio: Any = sys.modules.get("trio")
    if trio is None:
        return False
    try:
        trio.lowlevel.current_task()
    except RuntimeError:
        return False
    return True


@asynccontextmanager
async def serve(app: Any) -> AsyncIterator[str]:
    """Serve ``app`` with hypercorn on 127.0.0.1:<free port>; yields ``http://127.0.0.1:PORT``."""
    from hypercorn.config import Config
    from hypercorn.utils import wrap_app

    config = Config()
    config.bind = ["127.0.0.1:0"]
    config.graceful_timeout = 0.5
    config.accesslog = None
    logger = logging.getLogger("tests.gateway_peer")
    logger.setLevel("CRITICAL")
    config.errorlog = logger
    sockets = config.create_sockets()
    for sock in sockets.insecure_sockets:
        sock.listen(config.backlog)
    port = int(sockets.insecure_sockets[0].getsockname()[1])
    worker_serve: Any
    if _on_trio():
        from hypercorn.trio.run import worker_serve
    else:
        from hypercorn.asyncio.run import worker_serve
    shutdown = anyio.Event()
    wrapped = wrap_app(app, config.wsgi_max_body_size, "asgi")
    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(
                partial(
                    worker_serve, wrapped, config, sockets=sockets, shutdown_trigger=shutdown.wait
                )
            )
            try:
                yield f"http://127.0.0.1:{port}"
            finally:
                shutdown.set()
    finally:
        for sock in sockets.insecure_sockets:
            sock.close()


@attrs.define
class ThreadPeer:
    """A ``websockets`` server in a thread of its own (so it serves asyncio and trio tests).

    hypercorn does not tell an ASGI app the client's close code (it reports 1006 for
    every close the client starts), so the tests that check the code the client
    closes with use this peer. It accepts the Gateway contract (the marker is echoed
    when offered, the token must be valid) and records what it saw.
    """

    url: str = ""
    close_codes: list[int | None] = attrs.field(factory=list)
    received: list[str] = attrs.field(factory=list)


@contextmanager
def thread_peer(valid_tokens: frozenset[str] = frozenset({VALID_TOKEN})) -> Iterator[ThreadPeer]:
    import asyncio
    import threading

    from websockets.asyncio.server import ServerConnection
    from websockets.asyncio.server import serve as ws_serve
    from websockets.http11 import Request, Response

    from partstream.codecs.gateway import (
        GATEWAY_REALTIME_SUBPROTOCOL,
        get_gateway_realtime_auth_token,
    )

    result = ThreadPeer()
    ready = threading.Event()
    loop = asyncio.new_event_loop()
    stop: asyncio.Future[None] = loop.create_future()

    def process_request(conn: ServerConnection, request: Request) -> Response | None:
        token = get_gateway_realtime_auth_token(request.headers.get("Sec-WebSocket-Protocol"))
        if token not in valid_tokens:
            return conn.respond(401, "invalid token\n")
        return None

    def select(conn: ServerConnection, offered: Any) -> Any:
        return GATEWAY_REALTIME_SUBPROTOCOL if GATEWAY_REALTIME_SUBPROTOCOL in offered else None

    async def handler(conn: ServerConnection) -> None:
        try:
            async for message in conn:
                result.received.append(message if isinstance(message, str) else message.decode())
        except Exception:
            pass
        result.close_codes.append(conn.close_code)

    async def main() -> None:
        async with ws_serve(
            handler,
            "127.0.0.1",
            0,
            process_request=process_request,
            select_subprotocol=select,
        ) as server:
            port = next(iter(server.sockets)).getsockname()[1]
            result.url = f"http://127.0.0.1:{port}"
            ready.set()
            await stop

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    ready.wait(5)
    try:
        yield result
    finally:
        loop.call_soon_threadsafe(stop.set_result, None)
        thread.join(5)
        loop.close()
