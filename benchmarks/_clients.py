"""Stream clients for the benchmarks: partstream and the peers users would pick.

Each ``open_*`` is an async context manager yielding an async iterable of
parts/messages for one stream from a :mod:`benchmarks._servers` URL. Read it to
the end (or leave the block) — the clients close what they opened.

SSE: partstream is ``model.stream()`` of ``partstream.providers.google`` when that
module is importable, else the SSE actor on its own (httpx bytes -> ``SSEDecoder``
-> JSON, as pipeline stages); the peer is httpx-sse + ``json.loads``.
WebSocket: partstream's ``connect_websocket``; the peer is the ``websockets``
client (its asyncio or trio flavour).
"""

from __future__ import annotations

import functools
import json
import ssl
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import anyio
import httpx

from partstream.pipeline import Emit, open_stream
from partstream.transports.sse import ServerSentEvent, SSEDecoder

REQUEST_BODY = {"model": "gemini-2.5-flash", "input": "hi", "stream": True}
MODEL_ID = "gemini-2.5-flash"


def google_available() -> bool:
    try:
        from partstream.providers.google import create_google  # noqa: F401
    except Exception:
        return False
    return True


def sse_variant() -> str:
    return "model.stream()" if google_available() else "SSE actor (httpx+SSEDecoder+json)"


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    # Loading the trust store costs tens of ms per client; every URL here is plain http.
    return ssl.create_default_context()


def http_client(connections: int = 100) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    return httpx.AsyncClient(
        limits=limits, timeout=httpx.Timeout(60.0, pool=None), verify=_ssl_context()
    )


class _SSEStage:
    """bytes -> ServerSentEvent (the SSE actor's decode step)."""

    def __init__(self) -> None:
        self._decoder = SSEDecoder()

    def start(self) -> list[ServerSentEvent]:
        return []

    def feed(self, batch: list[bytes]) -> list[ServerSentEvent]:
        feed = self._decoder.feed
        if len(batch) == 1:
            return feed(batch[0])
        out: list[ServerSentEvent] = []
        for chunk in batch:
            out += feed(chunk)
        return out

    def finish(self) -> list[ServerSentEvent]:
        return self._decoder.end()


class _JSONStage:
    def start(self) -> list[Any]:
        return []

    def feed(self, batch: list[ServerSentEvent]) -> list[Any]:
        loads = json.loads
        return [loads(e.data) for e in batch]

    def finish(self) -> list[Any]:
        return []


@asynccontextmanager
async def open_sse_actor(url: str, http: httpx.AsyncClient) -> AsyncIterator[AsyncIterable[Any]]:
    """httpx bytes -> SSEDecoder -> json.loads, as partstream pipeline stages."""
    async with http.stream("POST", url + "/interactions", json=REQUEST_BODY) as response:

        async def source(emit: Emit[bytes]) -> None:
            async for chunk in response.aiter_raw():
                await emit([chunk])

        async with open_stream(source, _SSEStage(), _JSONStage()) as stream:
            yield stream


@asynccontextmanager
async def open_sse_model(url: str, http: httpx.AsyncClient) -> AsyncIterator[AsyncIterable[Any]]:
    """``create_google(...).interactions(...).stream(...)``: SSE -> stream parts."""
    from partstream.providers.google import create_google

    model = create_google(api_key="benchmark", base_url=url, http_client=http).interactions(
        MODEL_ID
    )
    async with model.stream("hi") as stream:
        yield stream


def open_sse_partstream(
    url: str, http: httpx.AsyncClient
) -> AbstractAsyncContextManager[AsyncIterable[Any]]:
    return open_sse_model(url, http) if google_available() else open_sse_actor(url, http)


@asynccontextmanager
async def open_sse_httpx_sse(
    url: str, http: httpx.AsyncClient
) -> AsyncIterator[AsyncIterable[Any]]:
    """The peer: httpx-sse's ``aiter_sse()`` + ``json.loads`` per event."""
    from httpx_sse import aconnect_sse

    async with aconnect_sse(http, "POST", url + "/interactions", json=REQUEST_BODY) as source:
        events = source.aiter_sse()

        async def decoded() -> AsyncGenerator[Any, None]:
            loads = json.loads
            async for event in events:
                yield loads(event.data)

        parts = decoded()
        try:
            yield parts
        finally:
            await parts.aclose()
            await events.aclose()


@asynccontextmanager
async def open_ws_partstream(
    url: str, http: httpx.AsyncClient | None = None
) -> AsyncIterator[AsyncIterable[Any]]:
    from partstream.transports.websocket import connect_websocket

    # Keepalive off: a stalled consumer is not a dead peer (the memory benchmark).
    async with connect_websocket(url, ping_interval=None) as ws:
        yield ws


@asynccontextmanager
async def open_ws_websockets(
    url: str, http: httpx.AsyncClient | None = None
) -> AsyncIterator[AsyncIterable[Any]]:
    """The peer: the ``websockets`` asyncio or trio client (its default queue bounds)."""
    import sniffio

    if sniffio.current_async_library() == "trio":
        from websockets.trio.client import connect as trio_connect

        async with trio_connect(
            url, ping_interval=None, max_size=2**24, close_timeout=2, compression=None
        ) as trio_ws:
            yield trio_ws
    else:
        from websockets.asyncio.client import connect

        async with connect(
            url, ping_interval=None, max_size=2**24, close_timeout=2, compression=None
        ) as ws:
            yield ws


Opener = Callable[[str, httpx.AsyncClient], AbstractAsyncContextManager[AsyncIterable[Any]]]

#: (protocol, client) -> (opener, backends it runs on)
CLIENTS: dict[tuple[str, str], tuple[Opener, tuple[str, ...]]] = {
    ("sse", "partstream"): (open_sse_partstream, ("asyncio", "trio")),
    ("sse", "httpx-sse"): (open_sse_httpx_sse, ("asyncio", "trio")),
    ("websocket", "partstream"): (open_ws_partstream, ("asyncio", "trio")),
    ("websocket", "websockets"): (open_ws_websockets, ("asyncio", "trio")),
}

PEERS = {"sse": "httpx-sse", "websocket": "websockets"}


def client_label(protocol: str, client: str) -> str:
    if protocol == "sse" and client == "partstream":
        return sse_variant()
    if protocol == "websocket" and client == "partstream":
        return "connect_websocket"
    return client


async def drain(parts: AsyncIterable[Any]) -> int:
    n = 0
    async for _ in parts:
        n += 1
    return n


async def checkpoint() -> None:
    await anyio.lowlevel.checkpoint()
