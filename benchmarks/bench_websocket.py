"""WebSocket receive throughput: ``connect_websocket`` vs the ``websockets`` client.

The server is a separate process (``benchmarks._servers``): it does the opening
handshake, then writes N pre-built, unmasked JSON text frames (Gateway realtime
``text-delta`` events of 150 B or 32 KiB) in 256 KiB slices and closes with
1000. The client receives every message; the figure is messages per second
from ``connect`` to the end of the closing handshake, the median of several
rounds, ours and the peer's alternating in the same run.

Each round of each client runs in a fresh Python process (one warm-up
connection, then the measured one). Clients that shared a process left each
other a heap in a different state: glibc trims and regrows its heap around
256 KiB socket reads and 32 KiB strings, and whichever client ran second
could pay 8-12 page faults per 32 KiB message for the first one's pattern,
which moved the 32 KiB ratio between 1.0x and 2.9x from run to run. The rows
"client CPU" give the CPU time (user + system) of the client process per
message over the measured connection: on a busy 2-core machine the
throughput ratio is compressed whenever the server process or another job
shares the client's core, while CPU per message is not.

Peers: on asyncio the ``websockets`` asyncio client, on trio the ``websockets``
trio client (both with compression off, ``max_size`` 16 MiB like ours). Both
sides consume message by message (``async for message in ws``); a second row
shows partstream's batch API (``receive_batch``), the way the Gateway session
consumes it.

Targets (issue 5): >= 1.0x on 150 B, >= 1.2x on 32 KiB.

Compressed receive (issue 15): 32 KiB realtime ``response-done`` events (an
assistant message and a function call's JSON arguments, varied, about 3.7x
compressible), compressed by the blaster with permessage-deflate and context
takeover (pre-built: one zlib stream over the whole sequence, which a fixed
sequence allows; ``benchmarks._deflate_frames``). Ours with
``compression="deflate"`` against the ``websockets`` client with its default
compression, same blaster, same run; CPU row as above.

Run alone: ``python -m benchmarks.bench_websocket [smoke|full]``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio

from partstream.transports.websocket import connect_websocket

from ._common import BACKENDS, Row, check_size, median, result, row
from ._servers import ServerProcess

MAX_SIZE = 16 * 1024 * 1024
ROOT = Path(__file__).resolve().parent.parent

_PARAMS: dict[str, dict[int, dict[str, int]]] = {
    "smoke": {150: {"messages": 2_000, "rounds": 1}, 32768: {"messages": 100, "rounds": 1}},
    "full": {150: {"messages": 100_000, "rounds": 7}, 32768: {"messages": 8_000, "rounds": 7}},
}
#: Compressed 32 KiB events: the blaster compresses the whole sequence once (seconds).
_DEFLATE_PARAMS: dict[str, dict[str, int]] = {
    "smoke": {"messages": 50, "rounds": 1},
    "full": {"messages": 2_000, "rounds": 7},
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


async def partstream_deflate(url: str, expected: int) -> float:
    """Messages/s through ``async for message in ws`` with permessage-deflate."""
    count = 0
    start = time.perf_counter()
    async with connect_websocket(
        url, max_message_size=MAX_SIZE, ping_interval=None, compression="deflate"
    ) as ws:
        if ws.compression is None:
            raise AssertionError("the blaster did not negotiate permessage-deflate")
        async for message in ws:
            if message:
                count += 1
    elapsed = time.perf_counter() - start
    _check(count, expected, "partstream (deflate)")
    return count / elapsed


async def websockets_deflate(url: str, expected: int) -> float:
    """The websockets client (asyncio or trio) with its default compression="deflate"."""
    import sniffio

    if sniffio.current_async_library() == "trio":
        from websockets.trio.client import connect as trio_connect

        connect: Any = trio_connect
    else:
        from websockets.asyncio.client import connect as asyncio_connect

        connect = asyncio_connect
    count = 0
    start = time.perf_counter()
    async with connect(url, max_size=MAX_SIZE, compression="deflate", ping_interval=None) as ws:
        if not ws.protocol.extensions:
            raise AssertionError("the blaster did not negotiate permessage-deflate")
        async for message in ws:
            if message:
                count += 1
    elapsed = time.perf_counter() - start
    _check(count, expected, "websockets (deflate)")
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


def _client(backend: str, name: str) -> Client:
    if name == "ours":
        return partstream_messages
    if name == "ours_batches":
        return partstream_batches
    if name == "ours_deflate":
        return partstream_deflate
    if name == "peer_deflate":
        return websockets_deflate
    return websockets_asyncio if backend == "asyncio" else websockets_trio


def measure_one(backend: str, name: str, url: str, messages: int) -> dict[str, float]:
    """In this process: a warm-up connection, then messages/s and CPU µs per message."""
    fn = _client(backend, name)
    anyio.run(fn, url, messages, backend=backend)  # imports, caches, the heap's shape
    cpu = time.process_time()
    rate = anyio.run(fn, url, messages, backend=backend)
    cpu = time.process_time() - cpu
    return {"rate": rate, "cpu_us": cpu / messages * 1e6}


def _in_subprocess(backend: str, name: str, url: str, messages: int) -> dict[str, float]:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.bench_websocket",
            "--one",
            backend,
            name,
            url,
            f"{messages}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{name} on {backend} failed:\n{done.stderr[-2000:]}")
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


CLIENTS = ("ours", "ours_batches", "peer")


def measure(
    port: int,
    backend: str,
    size: int,
    messages: int,
    rounds: int,
    clients: tuple[str, ...] = CLIENTS,
    query: str = "",
) -> dict[str, dict[str, float]]:
    """Median messages/s and CPU µs/message of each client on ``backend`` for one size."""
    url = f"ws://127.0.0.1:{port}/ws/blast/messages={messages}/size={size}{query}"
    samples: dict[str, dict[str, list[float]]] = {
        name: {"rate": [], "cpu_us": []} for name in clients
    }
    for _ in range(rounds):
        for name in clients:
            figures = _in_subprocess(backend, name, url, messages)
            for key, values in samples[name].items():
                values.append(figures[key])
    return {
        name: {key: median(values) for key, values in figures.items()}
        for name, figures in samples.items()
    }


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
                peer = medians["peer"]
                for variant, key in (("async for", "ours"), ("receive_batch", "ours_batches")):
                    rows.append(
                        row(
                            variant=f"{_label(msg_size)} JSON text, {variant}",
                            backend=backend,
                            metric="messages/s",
                            value=medians[key]["rate"],
                            peer=peer_name,
                            peer_value=peer["rate"],
                            target=f">= {min_ratio}x",
                            min_ratio=min_ratio,
                        )
                    )
                rows.append(
                    row(
                        variant=f"{_label(msg_size)} JSON text, async for (client CPU)",
                        backend=backend,
                        metric="CPU µs/message",
                        value=medians["ours"]["cpu_us"],
                        peer=peer_name,
                        peer_value=peer["cpu_us"],
                        higher_is_better=False,
                    )
                )
            rows += _deflate_rows(server.port, backend, sz)
    notes.append(
        "server: separate process writing pre-built frames (benchmarks._servers, blast mode); "
        "medians of alternating rounds; each round of each client in a fresh process "
        "(one warm-up connection, then the measured one)"
    )
    return result("websocket", sz, rows, notes=notes)


def _deflate_rows(port: int, backend: str, size: str) -> list[Row]:
    p = _DEFLATE_PARAMS[size]
    medians = measure(
        port,
        backend,
        32768,
        p["messages"],
        p["rounds"],
        clients=("ours_deflate", "peer_deflate"),
        query="/deflate=1",
    )
    ours, peer = medians["ours_deflate"], medians["peer_deflate"]
    peer_name = f"websockets {backend} client, deflate"
    variant = "32 KiB realtime JSON, permessage-deflate, async for"
    return [
        row(
            variant=variant,
            backend=backend,
            metric="messages/s",
            value=ours["rate"],
            peer=peer_name,
            peer_value=peer["rate"],
        ),
        row(
            variant=f"{variant} (client CPU)",
            backend=backend,
            metric="CPU µs/message",
            value=ours["cpu_us"],
            peer=peer_name,
            peer_value=peer["cpu_us"],
            higher_is_better=False,
        ),
    ]


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--one":
        backend, name, url, count = sys.argv[2:6]
        print(json.dumps(measure_one(backend, name, url, int(count))))
    else:
        print(json.dumps(run(sys.argv[1] if len(sys.argv) > 1 else "full"), indent=2))
