"""Shared logs of UI streams (``partstream.resumable``): what logging costs the producer,
and fan-out, against the Python port of vercel/resumable-stream on the same Redis.

A real ``redis-server`` is started on loopback for the run (no persistence).

Rows:

* ``producer CPU overhead``: the producer's CPU per part (``time.process_time``
  of the whole process: the writer's flusher and lease tasks included, the Redis
  server not) while it serves a stream directly, with and without logging it.
  *Direct*: per network read, decode the SSE events (``SSEDecoder``), JSON, the
  Interactions transform, encode each part as JSON once and frame it as SSE (a
  stand-in for the UI converter, which lands separately). *Logged*: the same, plus
  ``writer.append(texts)`` of the encoded chunks per read. Reads of 1 and of 8
  events. Target: <= 15 % (issue 14; judged end to end later, with the UI layer).
* ``1 reader`` / ``N readers``: chunk deliveries per second from the first chunk
  produced until every reader has the last one, one producer and 1 or N (100 in
  the full run) concurrent resuming readers in the same process, against
  ``resumable-stream`` (asyncio and redis-py only: its rows have no trio peer).
  Target: >= 2x the port.

Run: ``.venv/bin/python -m benchmarks resumable --size full``.
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import anyio.lowlevel

from partstream.codecs.interactions import InteractionsStreamTransform, decode_event
from partstream.resumable import MemoryStore, RedisStore, ResumableStore, encode_chunk
from partstream.transports.sse import SSEDecoder

from ._common import BACKENDS, Row, check_size, median, result, row
from .bench_codec import text_delta_lines

_PARAMS: dict[str, dict[str, int]] = {
    "smoke": {"events": 400, "rounds": 1, "chunks": 200, "readers": 10, "fan_rounds": 1},
    "full": {"events": 40_000, "rounds": 5, "chunks": 2_000, "readers": 100, "fan_rounds": 3},
}
READS = (1, 8)


def sse_reads(events: int, per_read: int) -> list[bytes]:
    frames = [f"data: {line}\n\n".encode() for line in text_delta_lines(events)]
    return [b"".join(frames[i : i + per_read]) for i in range(0, len(frames), per_read)]


def _ui_chunks() -> Callable[[list[Any]], list[bytes]]:
    """Parts to chunk JSON texts, once each (what the UI layer hands both ways)."""

    def convert(parts: list[Any]) -> list[bytes]:
        return [encode_chunk(p.to_dict()) for p in parts]

    return convert


async def produce(reads: list[bytes], store: ResumableStore | None, chat: str) -> tuple[float, int]:
    """Serve ``reads`` directly (and log them when ``store`` is given): (CPU s, parts)."""
    decoder = SSEDecoder()
    transform = InteractionsStreamTransform(generate_id=lambda: "id")
    convert = _ui_chunks()
    sent: list[bytes] = []
    parts = 0

    async def serve(append: Callable[[list[bytes]], Awaitable[int]] | None) -> None:
        nonlocal parts
        texts = convert(transform.start())
        for data in reads:
            events = decoder.feed(data)
            texts += convert(transform.feed([decode_event(e.data) for e in events]))
            sent.extend(b"data: " + t + b"\n\n" for t in texts)  # the direct response
            parts += len(texts)
            if append is not None:
                await append(texts)
            await anyio.lowlevel.checkpoint()  # the response write
            texts = []
        texts = convert(transform.finish())
        sent.extend(b"data: " + t + b"\n\n" for t in texts)
        parts += len(texts)
        if append is not None:
            await append(texts)

    start = time.process_time()
    if store is None:
        await serve(None)
    else:
        async with store.produce(chat, message_id="m1") as writer:
            await serve(writer.append)
    return time.process_time() - start, parts


async def overhead_round(
    backend_store: str, url: str | None, events: int, per_read: int
) -> tuple[float, float, int]:
    reads = sse_reads(events, per_read)
    direct, parts = await produce(reads, None, "")
    store: ResumableStore
    if backend_store == "memory":
        store = MemoryStore(max_chunks=10 * events, max_bytes=1 << 30)
    else:
        assert url is not None
        store = RedisStore(url, key_prefix=f"b{uuid.uuid4().hex[:10]}", max_bytes=1 << 30)
    async with store:
        logged, logged_parts = await produce(reads, store, "chat")
    assert logged_parts == parts
    return direct, logged, parts


# -- fan-out -----------------------------------------------------------------------------


def chunk_texts(count: int) -> list[str]:
    return [
        encode_chunk({"type": "text-delta", "id": "0", "delta": f"token {i} "}).decode()
        for i in range(count)
    ]


async def ours_fanout(url: str, texts: list[str], readers: int) -> float:
    """Chunk deliveries/s: one producer appending one chunk per read, ``readers`` following."""
    expected = len(texts)
    done = 0
    async with RedisStore(url, key_prefix=f"b{uuid.uuid4().hex[:10]}") as store:

        async def read() -> None:
            nonlocal done
            count = 0
            async for _ in store.read("chat", orphan_timeout=60):
                count += 1
            assert count == expected, (count, expected)
            done += 1

        async with (
            store.produce("chat", message_id="m1") as writer,
            anyio.create_task_group() as tg,
        ):
            for _ in range(readers):
                tg.start_soon(read)
            await anyio.sleep(0.3)  # every reader is blocked on the live log
            start = time.perf_counter()
            for text in texts:
                await writer.append([text])
                await anyio.lowlevel.checkpoint()
            await writer.end()
        elapsed = time.perf_counter() - start
    assert done == readers
    return expected * readers / elapsed


async def port_fanout(url: str, texts: list[str], readers: int) -> float:
    """The same through ``resumable-stream``: its producer publishes each chunk per reader."""
    from resumable_stream import (
        CreateResumableStreamContextOptions,
        RedisPublisher,
        RedisSubscriber,
        create_resumable_stream_context,
    )

    publisher, subscriber = RedisPublisher(url), RedisSubscriber(url)
    await publisher.connect()
    await subscriber.connect()
    options = CreateResumableStreamContextOptions(
        key_prefix=f"b{uuid.uuid4().hex[:10]}", publisher=publisher, subscriber=subscriber
    )
    context = create_resumable_stream_context(options)
    expected = "".join(texts)
    go = anyio.Event()
    start = 0.0
    done = 0

    async def source() -> Any:
        await go.wait()
        for text in texts:
            yield text

    async def read() -> None:
        nonlocal done
        stream = await context.resume_existing_stream("chat")
        got = []
        async for message in stream:
            got.append(message)
        assert "".join(got) == expected
        done += 1

    try:
        own = await context.resumable_stream("chat", source)
        async with anyio.create_task_group() as tg:
            for _ in range(readers):
                tg.start_soon(read)
            await anyio.sleep(0.3)  # every reader has asked to resume
            start = time.perf_counter()
            go.set()
            async for _ in own:  # the producing worker's own client
                pass
        elapsed = time.perf_counter() - start
    finally:
        await subscriber.close()
        await publisher.close()
    assert done == readers
    return len(texts) * readers / elapsed


# -- the run -----------------------------------------------------------------------------


def _overhead_rows(url: str | None, p: dict[str, int]) -> list[Row]:
    rows: list[Row] = []
    kinds = ("memory", "redis") if url else ("memory",)
    for backend in BACKENDS:
        for kind in kinds:
            for per_read in READS:
                ratios: list[float] = []
                per_part: list[float] = []
                direct_us: list[float] = []
                for _ in range(p["rounds"]):
                    direct, logged, parts = anyio.run(
                        overhead_round, kind, url, p["events"], per_read, backend=backend
                    )
                    ratios.append(100.0 * (logged - direct) / direct)
                    per_part.append(1e6 * (logged - direct) / parts)
                    direct_us.append(1e6 * direct / parts)
                variant = f"{kind}, reads of {per_read} event{'s' if per_read > 1 else ''}"
                rows.append(
                    row(
                        variant=variant,
                        backend=backend,
                        metric="producer CPU overhead %",
                        value=max(median(ratios), 0.0),
                        target="<= 15 %",
                        max_value=15.0,
                        higher_is_better=False,
                    )
                )
                rows.append(
                    row(
                        variant=f"{variant}: logging (direct {median(direct_us):.1f} us/part)",
                        backend=backend,
                        metric="producer CPU us/part",
                        value=max(median(per_part), 0.0),
                        higher_is_better=False,
                    )
                )
    return rows


def _fanout_rows(url: str, p: dict[str, int]) -> list[Row]:
    rows: list[Row] = []
    texts = chunk_texts(p["chunks"])
    for readers in (1, p["readers"]):
        for backend in BACKENDS:
            ours: list[float] = []
            peers: list[float] = []
            for _ in range(p["fan_rounds"]):  # alternately, so both see the same machine
                ours.append(anyio.run(ours_fanout, url, texts, readers, backend=backend))
                if backend == "asyncio":
                    peers.append(anyio.run(port_fanout, url, texts, readers))
            peer = median(peers) if peers else None
            rows.append(
                row(
                    variant=f"{readers} reader{'s' if readers > 1 else ''}, "
                    f"{len(texts)} chunks, 1 per append",
                    backend=backend,
                    metric="deliveries/s",
                    value=median(ours),
                    peer="resumable-stream (port)" if peer else "",
                    peer_value=peer,
                    target=">= 2x" if peer else "",
                    min_ratio=2.0 if peer else None,
                )
            )
    return rows


def run(size: str) -> dict[str, Any]:
    from tests._redis_server import REDIS_SERVER, RedisServer

    sz = check_size(size)
    p = _PARAMS[sz]
    notes = [
        "CPU: time.process_time of the producer's process (flusher and lease tasks "
        "included, redis-server not); the direct baseline has no UI converter yet.",
    ]
    if REDIS_SERVER is None:
        notes.append("redis-server is not installed: Redis rows skipped (.ci/run installs it)")
        return result("resumable", sz, _overhead_rows(None, p), notes=notes)
    with RedisServer() as server:
        rows = _overhead_rows(server.url, p)
        rows += _fanout_rows(server.url, p)
    if any(math.isnan(r.get("value", 0.0)) for r in rows):
        notes.append("some rounds measured nothing")
    return result("resumable", sz, rows, notes=notes)


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(sys.argv[1] if len(sys.argv) > 1 else "full"), indent=2))
