"""A bare ASGI app over ChatStreams, scripted sources and SSE helpers for its tests."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import anyio
import anyio.abc
import h11
import httpx

from partstream import parts as p
from partstream.emulator import serve_asgi
from partstream.resumable import ChatStreams
from partstream.ui import UIMessageStreamConverter, encode_sse

FINISH = p.Finish(usage=p.Usage(), finish_reason=p.FinishReason(unified="stop", raw="completed"))


def text_parts(pieces: Sequence[str]) -> list[p.Part]:
    return [
        p.StreamStart(),
        p.ResponseMetadata(id="r1"),
        p.TextStart(id="t"),
        *[p.TextDelta(id="t", delta=piece) for piece in pieces],
        p.TextEnd(id="t"),
        FINISH,
    ]


class Source:
    """Parts in batches, as a PartStream gives them; it can wait at a gate.

    ``gate_after`` batches were handed out, it waits for ``gate`` to be set.
    ``exit_error`` is the exception its block was left with (a cancellation when
    it was stopped).
    """

    def __init__(
        self,
        batches: Sequence[list[p.Part]],
        *,
        gate_after: int | None = None,
        fail_on_enter: BaseException | None = None,
        fail_after: BaseException | None = None,
    ) -> None:
        self.planned = list(batches)
        self.gate_after = gate_after
        self.gate = anyio.Event()
        self.reached_gate = anyio.Event()
        self.fail_on_enter = fail_on_enter
        self.fail_after = fail_after
        self.entered = False
        self.exited = anyio.Event()
        self.exit_error: BaseException | None = None
        self.handed_out = 0

    async def __aenter__(self) -> Source:
        self.entered = True
        if self.fail_on_enter is not None:
            self.exited.set()
            raise self.fail_on_enter
        return self

    async def __aexit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        self.exit_error = exc
        self.exited.set()

    async def _batches(self) -> AsyncIterator[list[p.Part]]:
        for index, batch in enumerate(self.planned):
            if index == self.gate_after:
                self.reached_gate.set()
                await self.gate.wait()
            await anyio.lowlevel.checkpoint()
            self.handed_out += 1
            yield batch
        if self.fail_after is not None:
            raise self.fail_after

    def batches(self) -> AsyncIterator[list[p.Part]]:
        return self._batches()


def expected_bytes(batches: Sequence[list[p.Part]], message_id: str) -> bytes:
    """What the answer is on the wire: the converter's chunks, then ``[DONE]``."""
    conv = UIMessageStreamConverter()
    chunks = conv.start(message_id=message_id)
    for batch in batches:
        chunks += conv.feed(batch)
    return encode_sse(chunks + conv.finish(), done=True)


def frames(body: bytes | str) -> list[dict[str, Any]]:
    """The JSON chunks of a UI message stream body (``[DONE]`` and comments left out)."""
    text = body.decode() if isinstance(body, bytes) else body
    return [
        json.loads(frame[6:])
        for frame in text.split("\n\n")
        if frame.startswith("data: ") and frame != "data: [DONE]"
    ]


class ChatApp:
    """``POST /chat/{id}`` (the next source of ``sources[id]``), ``GET /chat/{id}/stream``,
    ``POST /chat/{id}/stop``."""

    def __init__(self, chats: ChatStreams) -> None:
        self.chats = chats
        self.sources: dict[str, list[Any]] = {}

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                await send({"type": message["type"] + ".complete"})
                if message["type"] == "lifespan.shutdown":
                    return
        _, chat_id, *rest = scope["path"].strip("/").split("/")
        if scope["method"] == "POST" and not rest:
            response: Any = await self.chats.start(chat_id, self.sources[chat_id].pop(0))
        elif rest == ["stream"]:
            response = await self.chats.resume(chat_id)
        else:
            stopped = await self.chats.stop(chat_id)
            body = json.dumps({"stopped": stopped}).encode()
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": body})
            return
        await response(scope, receive, send)


@asynccontextmanager
async def serving(chats: ChatStreams) -> AsyncIterator[tuple[ChatApp, httpx.AsyncClient]]:
    app = ChatApp(chats)
    async with serve_asgi(app) as served, httpx.AsyncClient(base_url=served.url) as client:
        yield app, client


class Body:
    """A streamed response read piece by piece over a raw socket (h11, no generators left
    open): ``await body.until(marker)``, ``await body.rest()``; ``status``, ``headers``."""

    def __init__(self, stream: anyio.abc.SocketStream) -> None:
        self._stream = stream
        self._conn = h11.Connection(h11.CLIENT)
        self.status = 0
        self.headers: dict[str, str] = {}
        self.read = b""
        self.ended = False

    async def _next_event(self) -> Any:
        while True:
            event = self._conn.next_event()
            if event is not h11.NEED_DATA:
                return event
            self._conn.receive_data(await self._stream.receive(65536))

    async def _head(self) -> None:
        event = await self._next_event()
        assert isinstance(event, h11.Response), event
        self.status = event.status_code
        self.headers = {k.decode(): v.decode() for k, v in event.headers}

    async def _more(self) -> bool:
        event = await self._next_event()
        if isinstance(event, h11.Data):
            self.read += bytes(event.data)
            return True
        assert isinstance(event, h11.EndOfMessage), event
        self.ended = True
        return False

    async def until(self, marker: bytes) -> bytes:
        """Read until ``marker`` went by; everything read so far."""
        with anyio.fail_after(10):
            while marker not in self.read:
                if self.ended or not await self._more():
                    raise AssertionError(f"{marker!r} never came: {self.read!r}")
        return self.read

    async def rest(self) -> bytes:
        """Read to the end; everything read."""
        with anyio.fail_after(10):
            while not self.ended and await self._more():
                pass
        return self.read


@asynccontextmanager
async def streamed(
    client: httpx.AsyncClient, method: str, url: str, *, json_body: Any = None
) -> AsyncIterator[Body]:
    """Send ``method url`` (with ``json_body``) on a connection of its own; leaving the
    block closes it (the browser goes away)."""
    base = httpx.URL(str(client.base_url))
    assert base.host is not None
    assert base.port is not None
    data = b"" if json_body is None else json.dumps(json_body).encode()
    async with await anyio.connect_tcp(base.host, base.port) as stream:
        body = Body(stream)
        headers = [("host", base.host), ("content-length", str(len(data)))]
        if json_body is not None:
            headers.append(("content-type", "application/json"))
        request = h11.Request(method=method, target=url, headers=headers)
        head = body._conn.send(request)
        rest = body._conn.send(h11.Data(data=data)) if data else b""
        await stream.send(head + (rest or b"") + body._conn.send(h11.EndOfMessage()))
        await body._head()
        yield body
