"""Latency from the server writing an event to the consumer receiving its part (issue 8, item 6).

The separate-process server writes one event every ``interval`` seconds (a low
rate), each carrying ``time.time_ns()`` taken just before the write. The
consumer takes ``time.time_ns()`` as each part arrives (the same machine, the
same clock); the difference is the latency, through sockets, decoding and every
pipeline hop. Reported: p50 and p99 in microseconds for partstream and its
peer, measured one after the other in the same run. Lower is better; the ratio
is peer / partstream (above 1: partstream is faster).
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

import anyio

from ._clients import CLIENTS, PEERS, client_label, http_client
from ._common import Row, check_size, percentile, result, row
from ._servers import ServerProcess

_STAMP = re.compile(r"t=(\d+);")

_PARAMS: dict[str, dict[str, Any]] = {
    "smoke": {"count": 10, "interval": 0.005},
    "full": {"count": 400, "interval": 0.01},
}


def _stamp(part: Any) -> int | None:
    if isinstance(part, str | bytes):
        text = part if isinstance(part, str) else part.decode("utf-8", "replace")
    elif isinstance(part, dict):
        text = json.dumps(part)
    else:
        delta = getattr(part, "delta", None)
        if not isinstance(delta, str):
            return None
        text = delta
    match = _STAMP.search(text)
    return int(match.group(1)) if match else None


async def _latencies(protocol: str, client: str, url: str) -> list[float]:
    opener = CLIENTS[(protocol, client)][0]
    out: list[float] = []
    async with http_client() as http, opener(url, http) as stream:
        async for part in stream:
            now = time.time_ns()
            sent = _stamp(part)
            if sent is not None:
                out.append((now - sent) / 1000)  # microseconds
    return out


def run(size: str) -> dict[str, Any]:
    sz = check_size(size)
    p = _PARAMS[sz]
    got: dict[tuple[str, str, str], list[float]] = {}
    with ServerProcess() as server:
        for (protocol, client), (_, backends) in CLIENTS.items():
            for backend in backends:
                url = (
                    server.sse_url("tick", count=p["count"], interval=p["interval"])
                    if protocol == "sse"
                    else server.ws_url("tick", count=p["count"], interval=p["interval"])
                )
                values = anyio.run(_latencies, protocol, client, url, backend=backend)
                if len(values) != p["count"]:
                    raise AssertionError(
                        f"{protocol} {client}: {len(values)} stamped parts of {p['count']}"
                    )
                got[(protocol, client, backend)] = values

    rows: list[Row] = []
    for (protocol, client, backend), values in got.items():
        if client != "partstream":
            continue
        peer = PEERS[protocol]
        theirs = got.get((protocol, peer, backend))
        for q in (50, 99):
            rows.append(
                row(
                    variant=f"{protocol}: {client_label(protocol, client)}, "
                    f"1 event / {p['interval'] * 1000:g} ms",
                    backend=backend,
                    metric=f"p{q} latency us",
                    value=percentile(values, q),
                    peer=peer,
                    peer_value=percentile(theirs, q) if theirs else None,
                    higher_is_better=False,
                )
            )
    notes = [
        f"{protocol} {client} [{backend}]: {len(v)} events, p50 {percentile(v, 50):.0f} us, "
        f"p99 {percentile(v, 99):.0f} us, max {max(v):.0f} us"
        for (protocol, client, backend), v in got.items()
    ]
    return result("latency", sz, rows, notes=notes)


if __name__ == "__main__":
    import sys

    print(json.dumps(run(sys.argv[1] if len(sys.argv) > 1 else "full"), indent=2))
