"""A real HTTP/1.1 server on 127.0.0.1 that replays scripted responses and records requests.

It runs inside the test's own event loop (anyio TCP listener + h11), so it works on
asyncio and trio alike. Routes are keyed by ``(method, path)`` (the query string is
not part of the key, as in the conformance README); each route holds a queue of
replies served in order, optionally repeating the last one. A reply can also be a
function of the request, which is how the stateful background-interaction fake
(:class:`BackgroundInteraction`) and the fault injection work.

Faults a reply can inject: close the connection after ``drop_after`` SSE frames
(an incomplete chunked body, exactly what a dropped connection looks like to the
client), hold the connection open after the frames (``hold_open``), an empty body,
a pause before each frame.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import anyio
import anyio.abc
import attrs
import h11

__all__ = [
    "BackgroundInteraction",
    "JsonReply",
    "LoopbackServer",
    "Reply",
    "Request",
    "Route",
    "SSEReply",
    "run_server",
    "sse_frame",
]

#: Path prefix of the fake API: requests look like the real ``/v1beta/interactions``.
API_PREFIX = "/v1beta"


@attrs.frozen
class Request:
    """One request as the server received it."""

    method: str
    target: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names; repeated headers joined with ", "
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    def summary(self) -> str:
        """``METHOD path?query`` (for exact request-sequence assertions)."""
        return f"{self.method} {self.target}"


@attrs.frozen
class JsonReply:
    """A complete JSON (or raw bytes) response."""

    body: Any = None
    status: int = 200
    headers: Sequence[tuple[str, str]] = ()
    raw: bytes | None = None  # sent as is instead of ``body`` when set


@attrs.frozen
class SSEReply:
    """A ``text/event-stream`` response, one chunk per frame, with optional faults."""

    frames: Sequence[bytes] = ()
    status: int = 200
    headers: Sequence[tuple[str, str]] = ()
    drop_after: int | None = None  # close the connection after this many frames
    hold_open: bool = False  # keep the connection open after the frames
    delay: float = 0.0  # pause before each frame


Reply = JsonReply | SSEReply
Responder = Reply | Callable[[Request], Reply]


def sse_frame(data: Any) -> bytes:
    """One ``data:`` frame for a JSON value (or a pre-serialised string)."""
    text = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    return b"".join(b"data: " + line.encode() + b"\n" for line in text.split("\n")) + b"\n"


@attrs.define
class Route:
    """Replies for one ``(method, path)``, served in order; ``repeat`` keeps the last one."""

    replies: list[Responder]
    repeat: bool = False
    served: int = 0

    def next(self) -> Responder | None:
        if self.served < len(self.replies):
            reply = self.replies[self.served]
            self.served += 1
            return reply
        if self.repeat and self.replies:
            return self.replies[-1]
        return None


def _not_found(method: str, path: str) -> JsonReply:
    message = f"no scripted response for {method} {path}"
    return JsonReply(
        {"error": {"code": 404, "message": message, "status": "NOT_FOUND"}}, status=404
    )


@attrs.define
class LoopbackServer:
    """The running server: its base URL and every request received, in order."""

    routes: dict[tuple[str, str], Route]
    port: int = 0
    requests: list[Request] = attrs.field(factory=list)
    connections: int = 0

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return self.origin + API_PREFIX

    def add(self, method: str, path: str, *replies: Responder, repeat: bool = False) -> None:
        """Script replies for ``method path`` (``path`` relative to the API prefix)."""
        key = (method, API_PREFIX + path)
        route = self.routes.setdefault(key, Route([], repeat=repeat))
        route.replies.extend(replies)
        route.repeat = route.repeat or repeat

    def summaries(self) -> list[str]:
        return [r.summary() for r in self.requests]

    # -- serving ------------------------------------------------------------------------

    async def _handle(self, stream: anyio.abc.SocketStream) -> None:
        self.connections += 1
        conn = h11.Connection(h11.SERVER)
        try:
            async with stream:
                while True:
                    request = await self._read_request(conn, stream)
                    if request is None:
                        return
                    self.requests.append(request)
                    route = self.routes.get((request.method, request.path))
                    responder = route.next() if route is not None else None
                    if responder is None:
                        reply: Reply = _not_found(request.method, request.path)
                    elif callable(responder):
                        reply = responder(request)
                    else:
                        reply = responder
                    keep_going = await self._send(conn, stream, reply)
                    if not keep_going or conn.our_state is not h11.DONE:
                        return
                    try:
                        conn.start_next_cycle()
                    except h11.LocalProtocolError:
                        return
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, h11.ProtocolError):
            return

    async def _read_request(
        self, conn: h11.Connection, stream: anyio.abc.SocketStream
    ) -> Request | None:
        head: h11.Request | None = None
        body = bytearray()
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                try:
                    data = await stream.receive(65536)
                except (anyio.EndOfStream, anyio.BrokenResourceError):
                    data = b""
                conn.receive_data(data)
                continue
            if isinstance(event, h11.Request):
                head = event
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage):
                break
            else:  # ConnectionClosed or PAUSED: no further request on this connection
                return None
        assert head is not None
        target = head.target.decode()
        split = urlsplit(target)
        headers: dict[str, str] = {}
        for name, value in head.headers:
            key = name.decode().lower()
            text = value.decode()
            headers[key] = f"{headers[key]}, {text}" if key in headers else text
        return Request(
            method=head.method.decode(),
            target=target,
            path=split.path,
            query=dict(parse_qsl(split.query, keep_blank_values=True)),
            headers=headers,
            body=bytes(body),
        )

    async def _send(
        self, conn: h11.Connection, stream: anyio.abc.SocketStream, reply: Reply
    ) -> bool:
        if isinstance(reply, JsonReply):
            payload = (
                reply.raw
                if reply.raw is not None
                else (b"" if reply.body is None else json.dumps(reply.body).encode())
            )
            headers = [("content-type", "application/json"), *reply.headers]
            headers.append(("content-length", str(len(payload))))
            out = conn.send(h11.Response(status_code=reply.status, headers=headers))
            out += conn.send(h11.Data(data=payload)) if payload else b""
            out += conn.send(h11.EndOfMessage())
            await stream.send(out)
            return True
        headers = [("content-type", "text/event-stream"), ("cache-control", "no-cache")]
        headers += reply.headers
        await stream.send(conn.send(h11.Response(status_code=reply.status, headers=headers)))
        for sent, frame in enumerate(reply.frames):
            if reply.drop_after is not None and sent >= reply.drop_after:
                return False  # drop: close without finishing the chunked body
            if reply.delay:
                await anyio.sleep(reply.delay)
            await stream.send(conn.send(h11.Data(data=frame)))
        if reply.drop_after is not None and reply.drop_after <= len(reply.frames):
            return False
        if reply.hold_open:
            # Keep the response open until the client goes away (or the server stops).
            while True:
                try:
                    await stream.receive()
                except (anyio.EndOfStream, anyio.BrokenResourceError):
                    return False
        await stream.send(conn.send(h11.EndOfMessage()))
        return True


@asynccontextmanager
async def run_server(
    routes: Mapping[tuple[str, str], Route] | None = None,
) -> AsyncIterator[LoopbackServer]:
    """Serve on ``127.0.0.1`` (an ephemeral port) for the duration of the block."""
    server = LoopbackServer(routes=dict(routes or {}))
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
    async with listener, anyio.create_task_group() as tg:
        server.port = listener.extra(anyio.abc.SocketAttribute.local_port)
        tg.start_soon(listener.serve, server._handle)
        try:
            yield server
        finally:
            tg.cancel_scope.cancel()


# ----------------------------------------------------------------------------------------
# A stateful background interaction: POST creates it, GET streams or polls it, cancel.


@attrs.define
class BackgroundInteraction:
    """The server side of one background interaction, holding its event log.

    ``events`` are the interaction's SSE events (JSON dicts, each with an ``event_id``).
    A ``GET .../{id}?stream=true`` streams them from the start, or from after
    ``last_event_id``. ``stream_plan`` scripts each successive stream attempt:
    ``("all",)`` sends everything that remains; ``("drop", n)`` sends ``n`` events
    and drops the connection; ``("hold", n)`` sends ``n`` events and keeps the
    connection open; ``("empty",)`` ends the body at once with no events.
    ``poll_statuses`` scripts successive plain ``GET .../{id}`` answers (the last one
    repeats). ``sent`` records how many events each stream attempt sent.
    """

    interaction_id: str
    events: list[dict[str, Any]] = attrs.field(factory=list)
    stream_plan: list[tuple[Any, ...]] = attrs.field(factory=list)
    poll_statuses: list[str] = attrs.field(factory=lambda: ["completed"])
    initial_status: str = "in_progress"
    final_body: dict[str, Any] | None = None
    cancelled: int = 0
    stream_attempts: int = 0
    polls: int = 0
    sent: list[int] = attrs.field(factory=list)

    def install(self, server: LoopbackServer) -> None:
        path = f"/interactions/{self.interaction_id}"
        server.add("POST", "/interactions", self.on_create, repeat=True)
        server.add("GET", path, self.on_get, repeat=True)
        server.add("POST", path + "/cancel", self.on_cancel, repeat=True)

    def on_create(self, request: Request) -> Reply:
        return JsonReply({"id": self.interaction_id, "status": self.initial_status})

    def on_cancel(self, request: Request) -> Reply:
        self.cancelled += 1
        return JsonReply({"id": self.interaction_id, "status": "cancelled"})

    def on_get(self, request: Request) -> Reply:
        if request.query.get("stream") == "true":
            return self._stream(request)
        index = min(self.polls, len(self.poll_statuses) - 1)
        self.polls += 1
        status = self.poll_statuses[index]
        body: dict[str, Any] = {"id": self.interaction_id, "status": status}
        if status == "completed" and self.final_body is not None:
            body = {**self.final_body, "id": self.interaction_id, "status": status}
        return JsonReply(body)

    def _stream(self, request: Request) -> Reply:
        attempt = self.stream_attempts
        self.stream_attempts += 1
        plan = self.stream_plan[attempt] if attempt < len(self.stream_plan) else ("all",)
        start = 0
        last = request.query.get("last_event_id")
        if last is not None:
            ids = [e.get("event_id") for e in self.events]
            start = ids.index(last) + 1 if last in ids else len(self.events)
        remaining = [sse_frame(e) for e in self.events[start:]]
        kind = plan[0]
        self.sent.append(
            len(remaining)
            if kind == "all"
            else 0
            if kind == "empty"
            else min(len(remaining), plan[1])
        )
        if kind == "all":
            return SSEReply(remaining)
        if kind == "drop":
            return SSEReply(remaining[: plan[1]], drop_after=plan[1])
        if kind == "hold":
            return SSEReply(remaining[: plan[1]], hold_open=True)
        if kind == "empty":
            return SSEReply([])
        raise AssertionError(f"unknown stream plan {plan!r}")
