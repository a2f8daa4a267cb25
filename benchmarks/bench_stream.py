"""End-to-end stream throughput: ``model.stream()`` vs httpx-sse vs the parse floor.

One Interactions SSE stream of ``events`` ``step.delta`` text events (plus the
created/start/stop/completed frame around them), pre-built once and written in
large slices by a server in a SEPARATE process (:mod:`benchmarks._servers`, on
127.0.0.1), read three ways in the same run, rounds interleaved:

* **partstream**: ``create_google(base_url=...).interactions(...).stream(prompt)``
  iterated part by part (``async for part in stream``), and by batches
  (``stream.batches()``): HTTP, SSE decoding, JSON, the Interactions transform,
  the pipeline's task hops; a part per event;
* **httpx-sse**: ``aconnect_sse`` + ``aiter_sse()`` + ``json.loads`` per event (what
  a user would write by hand, without any transform);
* **parse floor**: the same httpx response read with ``aiter_raw()``, split on blank
  lines, the ``data: `` prefix dropped and each event decoded with the fastest JSON
  decoder installed (msgspec, else orjson, else the standard library).

Figures are medians of ``rounds``; rates are items per second (parts for
partstream, events for the others; the stream has one part per event). Targets
(issue 4): partstream >= 2.5x httpx-sse and >= 0.5x the parse floor.

Run: ``.venv/bin/python -m benchmarks.bench_stream [smoke|full]``.
"""

from __future__ import annotations

import gc
import json
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import httpx
from httpx_sse import aconnect_sse

from partstream.providers.google import create_google

from ._common import BACKENDS, Row, check_size, median, result, row
from ._servers import ServerProcess

_PARAMS: dict[str, dict[str, int]] = {
    "smoke": {"events": 20_000, "rounds": 1},
    "full": {"events": 200_000, "rounds": 5},
}

BODY = {"model": "gemini-2.5-flash", "input": "hi", "stream": True}


def _fastest_loads() -> tuple[str, Callable[[bytes], Any]]:
    try:
        import msgspec.json

        return "msgspec", msgspec.json.Decoder().decode
    except ImportError:  # pragma: no cover - depends on the environment
        pass
    try:
        import orjson

        return "orjson", orjson.loads
    except ImportError:  # pragma: no cover
        return "json", json.loads


FLOOR_DECODER, _FLOOR_LOADS = _fastest_loads()


def _client() -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=httpx.Timeout(60.0))


async def run_partstream(base_url: str) -> int:
    async with _client() as client:
        provider = create_google(api_key="bench-key", base_url=base_url, http_client=client)
        model = provider.interactions("gemini-2.5-flash")
        count = 0
        async with model.stream("hi") as stream:
            async for _part in stream:
                count += 1
    return count


async def run_partstream_batches(base_url: str) -> int:
    async with _client() as client:
        provider = create_google(api_key="bench-key", base_url=base_url, http_client=client)
        model = provider.interactions("gemini-2.5-flash")
        count = 0
        async with model.stream("hi") as stream:
            async for batch in stream.batches():
                count += len(batch)
    return count


async def run_httpx_sse(base_url: str) -> int:
    count = 0
    url = base_url + "/interactions"
    async with _client() as client, aconnect_sse(client, "POST", url, json=BODY) as source:
        async for event in source.aiter_sse():
            json.loads(event.data)
            count += 1
    return count


async def run_floor(base_url: str) -> int:
    loads = _FLOOR_LOADS
    count = 0
    url = base_url + "/interactions"
    async with _client() as client, client.stream("POST", url, json=BODY) as response:
        rest = b""
        async for chunk in response.aiter_raw():
            frames = (rest + chunk).split(b"\n\n")
            rest = frames.pop()
            for frame in frames:
                loads(frame[6:])  # drop "data: "
            count += len(frames)
    return count


async def _seconds(fn: Callable[[str], Awaitable[int]], base_url: str) -> tuple[float, int]:
    gc.collect()
    start = time.perf_counter()
    got = await fn(base_url)
    return time.perf_counter() - start, got


def _measure(backend: str, base_url: str, rounds: int) -> dict[str, tuple[float, int]]:
    runners: dict[str, Callable[[str], Awaitable[int]]] = {
        "partstream": run_partstream,
        "partstream-batches": run_partstream_batches,
        "httpx-sse": run_httpx_sse,
        "floor": run_floor,
    }
    times: dict[str, list[float]] = {name: [] for name in runners}
    counts: dict[str, int] = {}

    async def main() -> None:
        for fn in runners.values():  # warm up: imports, connections, caches
            await fn(base_url)
        for _ in range(rounds):
            for name, fn in runners.items():
                seconds, got = await _seconds(fn, base_url)
                times[name].append(seconds)
                counts[name] = got

    anyio.run(main, backend=backend)
    return {name: (median(times[name]), counts[name]) for name in runners}


def run(size: str) -> dict[str, Any]:
    s = check_size(size)
    params = _PARAMS[s]
    events = params["events"]
    rows: list[Row] = []
    notes: list[str] = [
        f"{events} step.delta events from a separate server process; medians of "
        f"{params['rounds']} interleaved rounds; parse floor decoder: {FLOOR_DECODER}",
    ]
    with ServerProcess() as server:
        base_url = server.sse_url("blast", events=events)
        for backend in BACKENDS:
            got = _measure(backend, base_url, params["rounds"])
            peer_s, peer_n = got["httpx-sse"]
            floor_s, floor_n = got["floor"]
            for name, variant in (
                ("partstream", "model.stream(), async for part"),
                ("partstream-batches", "model.stream(), async for batch in .batches()"),
            ):
                ours_s, ours_n = got[name]
                ours = ours_n / ours_s
                rows.append(
                    row(
                        variant=variant,
                        backend=backend,
                        metric="parts/s",
                        value=ours,
                        peer="httpx-sse + json.loads",
                        peer_value=peer_n / peer_s,
                        target=">= 2.5x httpx-sse",
                        min_ratio=2.5,
                    )
                )
                rows.append(
                    row(
                        variant=variant,
                        backend=backend,
                        metric="parts/s",
                        value=ours,
                        peer=f"parse floor (split + {FLOOR_DECODER})",
                        peer_value=floor_n / floor_s,
                        target=">= 0.5x parse floor",
                        min_ratio=0.5,
                    )
                )
                notes.append(f"{backend}: {variant}: {ours_n} parts in {ours_s:.3f}s")
            notes.append(
                f"{backend}: httpx-sse {peer_n} events in {peer_s:.3f}s, "
                f"floor {floor_n} events in {floor_s:.3f}s"
            )
    return result("stream", s, rows, notes=notes)


def _print(res: dict[str, Any]) -> None:
    for r in res["rows"]:
        print(
            f"{r['backend']:<8} {r['variant']:<46} partstream {r['value']:>10,.0f}   "
            f"{r['peer']:<28} {r['peer_value']:>10,.0f}   ratio {r['ratio']:.2f}x   "
            f"target {r['target']}: {'met' if r['met'] else 'NOT met'}"
        )
    for note in res["notes"]:
        print("note:", note)


if __name__ == "__main__":
    _print(run(sys.argv[1] if len(sys.argv) > 1 else "full"))
