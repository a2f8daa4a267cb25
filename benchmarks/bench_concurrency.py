"""Many concurrent streams in one process (issue 8, item 5).

1, 10, 100 and 1000 concurrent streams (SSE and WebSocket) from the
separate-process blaster, every stream in one task of one event loop. The
server holds every response body until all the streams of the level are open,
and notes that moment; the level is timed from it to the end of the last
stream, so connection set-up (reported in the notes) is not counted:
aggregate parts/s = all parts received / that time. RSS per stream is the peak
RSS during the level minus the RSS before it, over the number of streams
(psutil, sampled from a thread). Every level moves the same number of events
in total (400k in "full"), so a stream at 1000 carries 400 events.

Target: aggregate throughput at 1000 streams >= 80 % of the single-stream
aggregate. The peers (httpx-sse + json.loads, websockets) run the same levels in
the same run for comparison. Figures are medians of several rounds.
"""

from __future__ import annotations

import gc
import itertools
import os
import threading
import time
from typing import Any

import anyio

from ._clients import CLIENTS, PEERS, client_label, http_client
from ._common import Row, check_size, median, result, row
from ._servers import ServerProcess

MIB = 2**20
#: ``BENCH_GC=off`` turns the cyclic garbage collector off during each level: a
#: diagnostic (how much of the drop at 1000 streams is GC over the read-ahead).
NO_GC = os.environ.get("BENCH_GC", "").lower() == "off"

_PARAMS: dict[str, dict[str, Any]] = {
    "smoke": {"levels": (1, 3), "total": 150, "min_per_stream": 50, "rounds": 1},
    "full": {"levels": (1, 10, 100, 1000), "total": 400_000, "min_per_stream": 400, "rounds": 3},
}


class _PeakRSS(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True)
        import psutil

        self._process = psutil.Process()
        self._stop_event = threading.Event()
        self.before = float(self._process.memory_info().rss)
        self.peak = self.before

    def run(self) -> None:
        while not self._stop_event.wait(0.02):
            self.peak = max(self.peak, float(self._process.memory_info().rss))

    def stop(self) -> float:
        """Peak growth in bytes."""
        self._stop_event.set()
        self.join()
        self.peak = max(self.peak, float(self._process.memory_info().rss))
        return self.peak - self.before


async def _level(protocol: str, client: str, url: str, streams: int) -> dict[str, float]:
    """Open ``streams`` streams at once and drain them all; wall-clock times."""
    opener = CLIENTS[(protocol, client)][0]
    counts: list[int] = []
    async with http_client(streams + 10) as http:
        gc.collect()
        if NO_GC:
            gc.disable()
        sampler = _PeakRSS()
        sampler.start()
        t0 = time.time()
        cpu0 = time.process_time()

        async def one() -> None:
            n = 0
            async with opener(url, http) as stream:
                async for _ in stream:
                    n += 1
            counts.append(n)

        async with anyio.create_task_group() as tg:
            for _ in range(streams):
                tg.start_soon(one)
        t_end = time.time()
        cpu = time.process_time() - cpu0
        gc.enable()
        growth = sampler.stop()
    if len(counts) != streams or min(counts) < 1:
        raise AssertionError(f"{client}: {len(counts)} of {streams} streams completed")
    return {
        "t0": t0,
        "t_end": t_end,
        "cpu": cpu,
        "rss_per_stream": growth / streams,
        "parts": sum(counts),
    }


_groups = itertools.count(1)


def _measure(
    server: ServerProcess, protocol: str, client: str, backend: str, streams: int, per_stream: int
) -> dict[str, float]:
    group = f"conc{next(_groups)}"
    if protocol == "sse":
        url = server.sse_url("blast", events=per_stream, group=group, streams=streams)
    else:
        url = server.ws_url("blast", messages=per_stream, size=150, group=group, streams=streams)
    m = anyio.run(_level, protocol, client, url, streams, backend=backend)
    # The server held every body until all the streams were open: time from then.
    released = float(server.stats(group)["released"])
    return {
        "parts_per_s": m["parts"] / (m["t_end"] - released),
        # CPU seconds include set-up, so compare this one between levels with care
        "parts_per_cpu_s": m["parts"] / m["cpu"],
        "setup_s": released - m["t0"],
        "rss_per_stream": m["rss_per_stream"],
    }


def run(size: str) -> dict[str, Any]:
    sz = check_size(size)
    p = _PARAMS[sz]
    levels: tuple[int, ...] = p["levels"]
    # (protocol, client, backend, streams) -> list of per-round measurements
    got: dict[tuple[str, str, str, int], list[dict[str, float]]] = {}
    with ServerProcess() as server:
        for _ in range(p["rounds"]):
            for (protocol, client), (_, backends) in CLIENTS.items():
                for backend in backends:
                    for streams in levels:
                        per_stream = max(p["total"] // streams, p["min_per_stream"])
                        m = _measure(server, protocol, client, backend, streams, per_stream)
                        got.setdefault((protocol, client, backend, streams), []).append(m)

    def med(key: tuple[str, str, str, int], field: str) -> float | None:
        runs = got.get(key)
        return median([r[field] for r in runs]) if runs else None

    rows: list[Row] = []
    notes: list[str] = []
    top = levels[-1]
    for (protocol, client), (_, backends) in CLIENTS.items():
        if client != "partstream":
            continue
        peer = PEERS[protocol]
        for backend in backends:
            label = f"{protocol}: {client_label(protocol, client)}"
            for streams in levels:
                ours = med((protocol, client, backend, streams), "parts_per_s")
                assert ours is not None
                rows.append(
                    row(
                        variant=f"{label}, {streams} streams",
                        backend=backend,
                        metric="aggregate parts/s",
                        value=ours,
                        peer=peer,
                        peer_value=med((protocol, peer, backend, streams), "parts_per_s"),
                    )
                )
            single = med((protocol, client, backend, 1), "parts_per_s")
            at_top = med((protocol, client, backend, top), "parts_per_s")
            peer_single = med((protocol, peer, backend, 1), "parts_per_s")
            peer_top = med((protocol, peer, backend, top), "parts_per_s")
            assert single is not None
            assert at_top is not None
            rows.append(
                row(
                    variant=f"{label}, {top} vs 1 streams",
                    backend=backend,
                    metric="% of 1-stream aggregate",
                    value=100.0 * at_top / single,
                    peer=peer,
                    peer_value=(
                        100.0 * peer_top / peer_single if peer_top and peer_single else None
                    ),
                    target=">= 80 %",
                    min_value=80.0,
                )
            )
            rss = med((protocol, client, backend, top), "rss_per_stream")
            peer_rss = med((protocol, peer, backend, top), "rss_per_stream")
            assert rss is not None
            rows.append(
                row(
                    variant=f"{label}, {top} streams",
                    backend=backend,
                    metric="RSS per stream KiB",
                    value=rss / 1024,
                    peer=peer,
                    peer_value=peer_rss / 1024 if peer_rss is not None else None,
                    higher_is_better=False,
                )
            )
    for (protocol, client, backend, streams), runs in sorted(got.items()):
        notes.append(
            f"{protocol} {client} [{backend}] x{streams}: set-up "
            f"{median([r['setup_s'] for r in runs]):.2f} s, "
            f"{median([r['parts_per_s'] for r in runs]):,.0f} parts/s, "
            f"{median([r['parts_per_cpu_s'] for r in runs]):,.0f} parts/CPU-s (with set-up), "
            f"RSS/stream {median([r['rss_per_stream'] for r in runs]) / 1024:,.0f} KiB"
        )
    if NO_GC:
        notes.append("BENCH_GC=off: cyclic GC disabled during every level (diagnostic run)")
    return result("concurrency", sz, rows, notes=notes)


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(sys.argv[1] if len(sys.argv) > 1 else "full"), indent=2))
