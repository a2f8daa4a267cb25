"""Realtime receive throughput: a Gateway session vs the ``websockets`` client + ``json.loads``.

The server is a separate process (``python -m benchmarks.bench_realtime --serve``):
it accepts the WebSocket upgrade the way the Gateway does (echoing the
``ai-gateway-realtime.v1`` marker), then writes N pre-built, unmasked frames of
normalized ``audio-delta`` events (about 150 B or 32 KiB of JSON each, base64
audio in ``delta``) in 256 KiB slices and closes with 1000.

* partstream: ``create_gateway(...).realtime(...).connect(url=...)`` (which sends
  its ``session-update`` first), then ``async for event in session`` (typed
  events: JSON decoded and typed per message).
* peer: the ``websockets`` client (asyncio client on asyncio, trio client on
  trio; compression off, ``max_size`` 16 MiB like ours), offering the same
  subprotocols, sending the same ``session-update``, then
  ``async for message in ws: json.loads(message)``.

The figure is events per second from connect to the end of the closing
handshake; the median of several rounds, ours and the peer's alternating in
the same run against the same server process.

Targets (issue 6): >= 1.0x on 150 B, >= 1.2x on 32 KiB.

Run alone: ``python -m benchmarks.bench_realtime [smoke|full]``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import socket
import struct
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio

from partstream.codecs.gateway import (
    GATEWAY_REALTIME_SUBPROTOCOL,
    AudioDelta,
    get_gateway_realtime_protocols,
)
from partstream.providers.gateway import create_gateway

from ._common import BACKENDS, Row, check_size, median, result, row
from ._servers import ServerProcess

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "vck_benchmark-token"
MAX_SIZE = 16 * 1024 * 1024
CHUNK = 256 * 1024
_WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455 section 1.3
_SESSION_UPDATE = json.dumps({"type": "session-update", "config": {}}, separators=(",", ":"))

_PARAMS: dict[str, dict[int, dict[str, int]]] = {
    "smoke": {150: {"messages": 2_000, "rounds": 1}, 32768: {"messages": 100, "rounds": 1}},
    "full": {150: {"messages": 100_000, "rounds": 7}, 32768: {"messages": 4_000, "rounds": 7}},
}


# -- the server process -------------------------------------------------------------------


def audio_delta(size: int) -> bytes:
    """A normalized ``audio-delta`` event of about ``size`` bytes of JSON."""
    base = {"type": "audio-delta", "responseId": "resp_1", "itemId": "item_1", "delta": ""}
    overhead = len(json.dumps(base, separators=(",", ":")))
    raw_len = max(3, (size - overhead) * 3 // 4)
    audio = base64.b64encode(bytes(i % 251 for i in range(raw_len))).decode()
    return json.dumps({**base, "delta": audio}, separators=(",", ":")).encode()


def _frame(payload: bytes, opcode: int = 0x1) -> bytes:
    """One unmasked, final server frame (RFC 6455 5.2: servers never mask)."""
    n = len(payload)
    if n < 126:
        header = struct.pack("!BB", 0x80 | opcode, n)
    elif n < 1 << 16:
        header = struct.pack("!BBH", 0x80 | opcode, 126, n)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 127, n)
    return header + payload


async def _read_frames(reader: asyncio.StreamReader, closed: asyncio.Event) -> None:
    """Read client frames until the close frame (their payloads are ignored)."""
    try:
        while True:
            b0, b1 = await reader.readexactly(2)
            n = b1 & 0x7F
            if n == 126:
                (n,) = struct.unpack("!H", await reader.readexactly(2))
            elif n == 127:
                (n,) = struct.unpack("!Q", await reader.readexactly(8))
            await reader.readexactly(n + (4 if b1 & 0x80 else 0))
            if b0 & 0x0F == 0x8:
                break
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    closed.set()


async def _handle(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, bodies: dict[tuple[int, int], bytes]
) -> None:
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        target = head.split(" ", 2)[1]
        headers = {
            k.strip().lower(): v.strip()
            for k, _, v in (line.partition(":") for line in head.split("\r\n")[1:] if line)
        }
        params = dict(p.partition("=")[::2] for p in target.partition("?")[2].split("&") if p)
        messages, size = int(params.get("messages", "1000")), int(params.get("size", "150"))
        key = headers.get("sec-websocket-key", "").encode()
        accept = base64.b64encode(hashlib.sha1(key + _WS_GUID).digest())
        offered = [p.strip() for p in headers.get("sec-websocket-protocol", "").split(",")]
        response = (
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n"
        )
        if GATEWAY_REALTIME_SUBPROTOCOL in offered:
            response += (
                b"Sec-WebSocket-Protocol: " + GATEWAY_REALTIME_SUBPROTOCOL.encode() + b"\r\n"
            )
        writer.write(response + b"\r\n")
        body = bodies.get((messages, size))
        if body is None:
            bodies.clear()
            body = bodies[(messages, size)] = _frame(audio_delta(size)) * messages
        closed = asyncio.Event()
        reading = asyncio.ensure_future(_read_frames(reader, closed))
        view = memoryview(body)
        for i in range(0, len(view), CHUNK):
            writer.write(view[i : i + CHUNK])
            await writer.drain()
        writer.write(_frame(struct.pack("!H", 1000), opcode=0x8))
        await writer.drain()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(closed.wait(), 10)
        reading.cancel()
        with contextlib.suppress(BaseException):
            await reading
    except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        pass
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()


async def _serve() -> None:
    bodies: dict[tuple[int, int], bytes] = {}
    server = await asyncio.start_server(
        lambda r, w: _handle(r, w, bodies), "127.0.0.1", 0, backlog=128
    )
    print(f"LISTENING {server.sockets[0].getsockname()[1]}", flush=True)
    stdin_closed = asyncio.Event()
    asyncio.get_running_loop().add_reader(sys.stdin.fileno(), stdin_closed.set)
    async with server:
        await stdin_closed.wait()


# -- the clients -----------------------------------------------------------------------------

Client = Callable[[str, int], Awaitable[float]]


async def partstream_session(url: str, expected: int) -> float:
    """Events/s through ``async for event in session`` (typed events)."""
    model = create_gateway(api_key=TOKEN, base_url="http://127.0.0.1/v4/ai").realtime(
        "openai/gpt-realtime"
    )
    count = 0
    start = time.perf_counter()
    async with model.connect(url=url, max_message_size=MAX_SIZE, ping_interval=None) as session:
        async for event in session:
            if type(event) is AudioDelta:
                count += 1
    elapsed = time.perf_counter() - start
    _check(count, expected, "partstream session")
    return count / elapsed


async def _websockets_client(connect: Any, url: str, expected: int, who: str) -> float:
    """Events/s through a ``websockets`` client plus ``json.loads`` per message."""
    from websockets.typing import Subprotocol

    protocols = [Subprotocol(p) for p in get_gateway_realtime_protocols(TOKEN)]
    count = 0
    start = time.perf_counter()
    async with connect(
        url, subprotocols=protocols, max_size=MAX_SIZE, compression=None, ping_interval=None
    ) as ws:
        await ws.send(_SESSION_UPDATE)
        async for message in ws:
            if json.loads(message)["type"] == "audio-delta":
                count += 1
    elapsed = time.perf_counter() - start
    _check(count, expected, who)
    return count / elapsed


async def websockets_asyncio(url: str, expected: int) -> float:
    from websockets.asyncio.client import connect

    return await _websockets_client(connect, url, expected, "websockets asyncio")


async def websockets_trio(url: str, expected: int) -> float:
    from websockets.trio.client import connect

    return await _websockets_client(connect, url, expected, "websockets trio")


def _check(count: int, expected: int, who: str) -> None:
    if count != expected:
        raise AssertionError(f"{who} received {count} of {expected} audio-delta events")


def _label(size: int) -> str:
    return f"{size} B" if size < 1024 else f"{size // 1024} KiB"


def measure(port: int, backend: str, size: int, messages: int, rounds: int) -> dict[str, float]:
    """Median events/s of each client on ``backend`` for one event size."""
    url = f"ws://127.0.0.1:{port}/realtime-model?ai-model-id=bench&messages={messages}&size={size}"
    peer: Client = websockets_asyncio if backend == "asyncio" else websockets_trio
    clients: dict[str, Client] = {"ours": partstream_session, "peer": peer}
    samples: dict[str, list[float]] = {name: [] for name in clients}
    for fn in clients.values():  # warm-up: imports, caches, the server's pre-built body
        anyio.run(fn, url, messages, backend=backend)
    for _ in range(rounds):
        for name, fn in clients.items():
            samples[name].append(anyio.run(fn, url, messages, backend=backend))
    return {name: median(values) for name, values in samples.items()}


def run(size: str) -> dict[str, Any]:
    sz = check_size(size)
    rows: list[Row] = []
    with ServerProcess(("benchmarks.bench_realtime", "--serve")) as server:
        for backend in BACKENDS:
            peer_name = f"websockets {backend} client + json.loads"
            for event_size, p in _PARAMS[sz].items():
                medians = measure(server.port, backend, event_size, p["messages"], p["rounds"])
                min_ratio = 1.0 if event_size < 1024 else 1.2
                rows.append(
                    row(
                        variant=f"{_label(event_size)} audio-delta, async for event in session",
                        backend=backend,
                        metric="events/s",
                        value=medians["ours"],
                        peer=peer_name,
                        peer_value=medians["peer"],
                        target=f">= {min_ratio}x",
                        min_ratio=min_ratio,
                    )
                )
    notes = [
        "server: a separate process writing pre-built audio-delta frames after the handshake "
        "(benchmarks/bench_realtime.py --serve); medians of alternating rounds after one "
        "warm-up round per client; both clients send one session-update first"
    ]
    return result("realtime", sz, rows, notes=notes)


if __name__ == "__main__":
    if sys.argv[1:] == ["--serve"]:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_serve())
    else:
        print(json.dumps(run(sys.argv[1] if len(sys.argv) > 1 else "full"), indent=2))
