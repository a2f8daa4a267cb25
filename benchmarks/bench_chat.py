"""A chat answer over HTTP: ChatStreams (logged, served from the log) against a direct response.

One answer of many text deltas goes through a real hypercorn server to an httpx
client, in one process, three ways: ``UIMessageStreamResponse`` (the peer: the
converter's bytes straight to the browser, nothing logged), and ``ChatStreams``
over a ``MemoryStore`` and over a ``RedisStore`` (the producer runs in the
service's task group, each chunk encoded once into the log, the POST reads the
log back). The rows are deltas per second and CPU per delta of this process
(server, producer and client; redis-server not). They answer whether the POST
should bypass the log for its own client: it should not while the logged path
keeps up with the direct one.
"""

from __future__ import annotations

import math
import resource
import time
from typing import Any

import anyio

from ._common import BACKENDS, check_size, median, result, row

_PARAMS = {"smoke": {"deltas": 2000, "rounds": 1}, "full": {"deltas": 20000, "rounds": 5}}
_BATCH = 50


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _direct(deltas: int) -> tuple[float, float]:
    from tests.resumable._chat_app import Source, text_parts

    from partstream.emulator import serve_asgi
    from partstream.ui import UIMessageStreamResponse

    parts = text_parts([f"word{i} " for i in range(deltas)])
    batches = [parts[i : i + _BATCH] for i in range(0, len(parts), _BATCH)]

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                await send({"type": message["type"] + ".complete"})
                if message["type"] == "lifespan.shutdown":
                    return
        await UIMessageStreamResponse(Source(batches))(scope, receive, send)

    import httpx

    async with serve_asgi(app) as served, httpx.AsyncClient(base_url=served.url) as client:
        wall, cpu = time.perf_counter(), _cpu()
        response = await client.post("/chat", timeout=120)
        assert response.content.endswith(b"data: [DONE]\n\n")
        return time.perf_counter() - wall, _cpu() - cpu


async def _logged(deltas: int, redis_url: str | None) -> tuple[float, float]:
    import httpx
    from tests.resumable._chat_app import ChatApp, Source, text_parts

    from partstream.emulator import serve_asgi
    from partstream.resumable import ChatStreams, MemoryStore, RedisStore, ResumableStore

    parts = text_parts([f"word{i} " for i in range(deltas)])
    batches = [parts[i : i + _BATCH] for i in range(0, len(parts), _BATCH)]
    store: ResumableStore = (
        RedisStore(redis_url, key_prefix=f"bench{time.monotonic_ns()}")
        if redis_url
        else MemoryStore()
    )
    async with store, ChatStreams(store) as chats:
        app = ChatApp(chats)
        app.sources["c"] = [Source(batches)]
        async with serve_asgi(app) as served, httpx.AsyncClient(base_url=served.url) as client:
            wall, cpu = time.perf_counter(), _cpu()
            response = await client.post("/chat/c", timeout=120)
            assert response.content.endswith(b"data: [DONE]\n\n")
            return time.perf_counter() - wall, _cpu() - cpu


def _measure(backend: str, deltas: int, rounds: int, redis_url: str | None) -> dict[str, Any]:
    out: dict[str, list[tuple[float, float]]] = {"direct": [], "memory": [], "redis": []}
    for _ in range(rounds):
        out["direct"].append(anyio.run(_direct, deltas, backend=backend))
        out["memory"].append(anyio.run(_logged, deltas, None, backend=backend))
        if redis_url is not None:
            out["redis"].append(anyio.run(_logged, deltas, redis_url, backend=backend))
    return {
        name: (median([deltas / w for w, _ in got]), median([c / deltas * 1e6 for _, c in got]))
        for name, got in out.items()
        if got
    }


def run(size: str) -> dict[str, Any]:
    from tests._redis_server import REDIS_SERVER, RedisServer

    sz = check_size(size)
    p = _PARAMS[sz]
    notes = [
        f"one answer of {p['deltas']} text deltas in batches of {_BATCH}, POSTed through "
        "hypercorn to httpx; CPU: this process (server, producer, client), redis-server not",
    ]
    rows = []
    server = RedisServer() if REDIS_SERVER is not None else None
    if server is None:
        notes.append("redis-server is not installed: Redis rows skipped (.ci/run installs it)")
    try:
        url = server.__enter__().url if server is not None else None
        for backend in BACKENDS:
            got = _measure(backend, p["deltas"], p["rounds"], url)
            direct_rate, direct_cpu = got["direct"]
            for name in ("memory", "redis"):
                if name not in got:
                    continue
                rate, cpu = got[name]
                variant = f"ChatStreams+{'MemoryStore' if name == 'memory' else 'RedisStore'}"
                rows.append(
                    row(
                        variant=variant,
                        backend=backend,
                        metric="deltas/s",
                        value=rate,
                        peer="UIMessageStreamResponse",
                        peer_value=direct_rate,
                        target="informational",
                    )
                )
                rows.append(
                    row(
                        variant=variant,
                        backend=backend,
                        metric="CPU us/delta",
                        value=cpu,
                        peer="UIMessageStreamResponse",
                        peer_value=direct_cpu,
                        higher_is_better=False,
                        target="informational",
                    )
                )
    finally:
        if server is not None:
            server.__exit__(None, None, None)
    if any(math.isnan(r.get("value", 0.0)) for r in rows):
        notes.append("some rounds measured nothing")
    return result("chat", sz, rows, notes=notes)


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(sys.argv[1] if len(sys.argv) > 1 else "full"), indent=2))
