"""SSESource against a raw-socket HTTP/1.1 server on 127.0.0.1 that injects faults.

The server answers the n-th connection with the n-th scripted :class:`Reply`:
any status and headers, the body framed by ``Connection: close`` (EOF ends the
body), ``Transfer-Encoding: chunked`` or ``Content-Length``, optionally cut
after a given number of body bytes or stalled. Every test runs on asyncio and
trio.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any, Literal

import anyio
import anyio.abc
import attrs
import pytest

from partstream.pipeline import open_stream
from partstream.transports.sse import ResumePolicy, ServerSentEvent, SSESource

pytestmark = pytest.mark.anyio

Framing = Literal["close", "chunked", "length"]


@attrs.define
class Reply:
    """What the server sends on one connection."""

    body: bytes = b""
    status: int = 200
    headers: Sequence[tuple[str, str]] = (("Content-Type", "text/event-stream"),)
    framing: Framing = "close"
    cut_at: int | None = None  # close the connection after this many body bytes
    stall: bool = False  # keep the connection open (silent) after the bytes sent


@attrs.define
class Request:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes


_REASONS = {200: "OK", 204: "No Content", 401: "Unauthorized", 429: "Too Many Requests"}


class RawSSEServer:
    """A fault-injecting HTTP/1.1 server on 127.0.0.1 (one reply per connection)."""

    def __init__(self, replies: Sequence[Reply]) -> None:
        self.replies = list(replies)
        self.requests: list[Request] = []
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/stream"

    async def _handle(self, stream: anyio.abc.SocketStream) -> None:
        async with stream:
            try:
                await self._serve(stream)
            except (anyio.BrokenResourceError, anyio.ClosedResourceError, anyio.EndOfStream):
                pass  # the client went away first
            except OSError:
                pass

    async def _serve(self, stream: anyio.abc.SocketStream) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            data += await stream.receive()
            assert len(data) < 65536
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        while len(body) < length:
            body += await stream.receive()
        index = len(self.requests)
        self.requests.append(Request(method, target, headers, body))
        reply = self.replies[min(index, len(self.replies) - 1)]
        payload = reply.body if reply.cut_at is None else reply.body[: reply.cut_at]
        out = [f"HTTP/1.1 {reply.status} {_REASONS.get(reply.status, 'Status')}"]
        out += [f"{k}: {v}" for k, v in reply.headers]
        if reply.framing == "chunked":
            out.append("Transfer-Encoding: chunked")
        elif reply.framing == "length":
            out.append(f"Content-Length: {len(reply.body)}")
        out.append("Connection: close")
        await stream.send(("\r\n".join(out) + "\r\n\r\n").encode("latin-1"))
        if reply.framing == "chunked":
            if payload:
                await stream.send(b"%x\r\n%s\r\n" % (len(payload), payload))
            if reply.cut_at is None:
                await stream.send(b"0\r\n\r\n")
        elif payload:
            await stream.send(payload)
        if reply.stall:
            await anyio.sleep_forever()


@asynccontextmanager
async def serve(replies: Sequence[Reply]) -> AsyncIterator[RawSSEServer]:
    server = RawSSEServer(replies)
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
    server.port = listener.extra(anyio.abc.SocketAttribute.local_port)
    async with listener, anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, server._handle)
        try:
            yield server
        finally:
            tg.cancel_scope.cancel()


class Sleeps:
    """An injected ``sleep`` that records the delays and does not wait."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        await anyio.lowlevel.checkpoint()


def frame(payload: dict[str, object]) -> bytes:
    return b"data: " + json.dumps(payload).encode() + b"\n\n"


def interactions_source(
    url: str, sleeps: Sleeps, *, policy: ResumePolicy | None = None
) -> SSESource[dict[str, object]]:
    def terminal(item: dict[str, object]) -> bool:
        return item.get("event_type") in ("interaction.completed", "error")

    def event_id(item: dict[str, object]) -> str | None:
        value = item.get("event_id")
        return value if isinstance(value, str) and value else None

    return SSESource(
        None,
        "GET",
        url,
        decode=lambda ev: json.loads(ev.data),
        event_id=event_id,
        is_terminal=terminal,
        resume=policy or ResumePolicy(id_in="query"),
        sleep=sleeps,
    )


async def collect(source: SSESource[Any]) -> list[Any]:
    async with open_stream(source) as stream:
        got = [item async for item in stream]
    return got


async def test_smoke_plain_events() -> None:
    body = b"data: a\n\nid: 1\ndata: b\n\n"
    async with serve([Reply(body)]) as server:
        source = SSESource(None, "GET", server.url)
        got = await collect(source)
    assert got == [ServerSentEvent(data="a"), ServerSentEvent(data="b", id="1")]
    assert source.attempts == 1
    assert source.last_event_id == "1"
    req = server.requests[0]
    assert req.headers["accept"] == "text/event-stream"
    assert req.headers["cache-control"] == "no-store"


async def test_smoke_resume_by_query() -> None:
    events = [{"event_id": f"e{i}", "event_type": "step.delta", "i": i} for i in range(3)]
    events.append({"event_id": "e3", "event_type": "interaction.completed"})
    body = b"".join(frame(e) for e in events)
    cut = len(frame(events[0])) + 5
    rest = b"".join(frame(e) for e in events[1:])
    sleeps = Sleeps()
    async with serve([Reply(body, cut_at=cut), Reply(frame(events[0]) + rest)]) as server:
        source = interactions_source(server.url, sleeps)
        got = await collect(source)
    assert got == events
    assert source.attempts == 2
    assert sleeps.delays == [0.0]
    assert "last_event_id=e0" in server.requests[1].target
