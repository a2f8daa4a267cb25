"""WebSocket receive throughput: ``connect_websocket`` vs the ``websockets`` client.

The server is a separate process (``benchmarks._servers``): it does the opening
handshake, then writes N pre-built, unmasked JSON text frames (Gateway realtime
``text-delta`` events of 150 B or 32 KiB) in 256 KiB slices and closes with
1000. The client receives every message; the figure is messages per second
from ``connect`` to the end of the closing handshake, the median of several
rounds, ours and the peer's alternating in the same run.

Peers: on asyncio the ``websockets`` asyncio client, on trio the ``websockets``
trio client (both with compression off, ``max_size`` 16 MiB like ours). Both
sides consume message by message (``async for message in ws``); a second row
shows partstream's batch API (``receive_batch``), the way the Gateway session
consumes it.

Targets (issue 5): >= 1.0x on 150 B, >= 1.2x on 32 KiB.

Run alone: ``python -m benchmarks.bench_websocket [smoke|full]``.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio

from partstream.transports.websocket import connect_websocket

from ._common import BACKENDS, Row, check_size, median, result, row
from ._servers import ServerProcess

MAX_SIZE = 16 * 1024 * 1024

_PARAMS: dict[str, dict[int, dict[str, int]]] = {
    "smoke": {150: {"messages": 2_000, "rounds": 1}, 32768: {"messages": 100, "rounds": 1}},
    "full": {150: {"messages": 100_000, "rounds": 7}, 32768: {"messages": 4_000, "rounds": 7}},
}

Client = Callable[[str, int], Awaitable[float]]


async def partstream_messages(url: str, expected: int) -> float:
    """Messages/s through ``async for message in ws``."""
    count = 0
    start = time.perf_counter()
    async with connect_websocket(url, max_message_size=MAX_SIZE, ping_interval=None) as ws:
        async for message in ws:
            if message:
                count += 1
    elapsed = time.perf_counter() - start
    _check(count, expected, "partstream")
    return count / elapsed


async def partstream_batches(url: str, expected: int) -> float:
    """Messages/s through ``async for batch in ws.batches()``."""
    count = 0
    start = time.perf_counter()
    async with connect_websocket(url, max_message_size=MAX_SIZE, ping_interval=None) as ws:
        async for batch in ws.batches():
            count += len(batch)
    elapsed = time.perf_counter() - start
    _check(count, expected, "partstream (batches)")
    return count / elapsed


async def websockets_asyncio(url: str, expected: int) -> float:
    from websockets.asyncio.client import connect

    count = 0
    start = time.perf_counter()
    async with connect(url, max_size=MAX_SIZE, compression=None, ping_interval=None) as ws:
        async for message in ws:
            if message:
                count += 1
    elapsed = time.perf_counter() - start
    _check(count, expected, "websockets asyncio")
    return count / elapsed


async def websockets_trio(url: str, expected: int) -> float:
    from websockets.trio.client import connect

    count = 0
    start = time.perf_counter()
    async with connect(url, max_size=MAX_SIZE, compression=None, ping_interval=None) as ws:
        async for message in ws:
            if message:
                count += 1
    elapsed = time.perf_counter() - start
    _check(count, expected, "websockets trio")
    return count / elapsed


def _check(count: int, expected: int, who: str) -> None:
    if count != expected:
        raise AssertionError(f"{who} received {count} of {expected} messages")


def _label(size: int) -> str:
    return f"{size} B" if size < 1024 else f"{size // 1024} KiB"


def measure(port: int, backend: str, size: int, messages: int, rounds: int) -> dict[str, float]:
    """Median messages/s of each client on ``backend`` for one message size."""
    url = f"ws://127.0.0.1:{port}/ws/blast/messages={messages}/size={size}"
    peer: Client = websockets_asyncio if backend == "asyncio" else websockets_trio
    clients: dict[str, Client] = {
        "ours": partstream_messages,
        "ours_batches": partstream_batches,
        "peer": peer,
    }
    samples: dict[str, list[float]] = {name: [] for name in clients}
    # A warm-up round per client: first connections pay for imports and caches.
    for fn in clients.values():
        anyio.run(fn, url, messages, backend=backend)
    for _ in range(rounds):
        for name, fn in clients.items():
            samples[name].append(anyio.run(fn, url, messages, backend=backend))
    return {name: median(values) for name, values in samples.items()}


def run(size: str) -> dict[str, Any]:
    sz = check_size(size)
    rows: list[Row] = []
    notes: list[str] = []
    with ServerProcess() as server:
        for backend in BACKENDS:
            peer_name = f"websockets {backend} client"
            for msg_size, p in _PARAMS[sz].items():
                medians = measure(server.port, backend, msg_size, p["messages"], p["rounds"])
                min_ratio = 1.0 if msg_size < 1024 else 1.2
                for variant, key in (("async for", "ours"), ("receive_batch", "ours_batches")):
                    rows.append(
                        row(
                            variant=f"{_label(msg_size)} JSON text, {variant}",
                            backend=backend,
                            metric="messages/s",
                            value=medians[key],
                            peer=peer_name,
                            peer_value=medians["peer"],
                            target=f">= {min_ratio}x",
                            min_ratio=min_ratio,
                        )
                    )
    notes.append(
        "server: separate process writing pre-built frames (benchmarks._servers, blast mode); "
        "medians of alternating rounds after one warm-up round per client"
    )
    return result("websocket", sz, rows, notes=notes)


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(sys.argv[1] if len(sys.argv) > 1 else "full"), indent=2))
