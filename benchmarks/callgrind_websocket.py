"""Instructions per received WebSocket message, counted by callgrind on the client process.

Wall-clock ratios on a shared 2-core machine move with whatever else runs;
instruction counts do not. The blaster (``benchmarks._servers``) runs in its own
process; the client, ``connect_websocket`` consuming with ``async for``, runs
under ``valgrind --tool=callgrind`` twice, for N and for N/10 messages, and the
difference divided by the difference in messages cancels start-up, imports and
the handshake::

    python -m benchmarks.callgrind_websocket [--backend asyncio|trio] [--rows plain,events,...]

Rows: ``150`` and ``32768`` are the blaster's plain ``text-delta`` frames (the
uncompressed hot path, as in ``bench_websocket``; the client does not offer
compression); ``events`` are 32 KiB realtime ``response-done`` events sent
uncompressed and ``events-deflate`` the same events compressed (the client offers
permessage-deflate, the blaster answers it); ``websockets-events-deflate`` is the
``websockets`` client on those compressed events. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from typing import Any

import anyio

from ._servers import ROOT, ServerProcess

#: (URL query of the blaster, client, messages for the long run).
ROWS: dict[str, tuple[str, str, int]] = {
    "150": ("size=150", "ours", 20_000),
    "32768": ("size=32768", "ours", 1_000),
    "events": ("size=32768/deflate=0", "ours", 1_000),
    "events-deflate": ("size=32768/deflate=1", "ours-deflate", 1_000),
    "websockets-events-deflate": ("size=32768/deflate=1", "websockets-deflate", 1_000),
}


async def _consume(url: str, expected: int, client: str) -> None:
    count = 0
    if client.startswith("websockets"):  # compression="deflate" is its default
        if _on_trio():
            from websockets.trio.client import connect as trio_connect

            async with trio_connect(url, max_size=2**24, ping_interval=None) as tws:
                async for _ in tws:
                    count += 1
        else:
            from websockets.asyncio.client import connect

            async with connect(url, max_size=2**24, ping_interval=None) as aws:
                async for _ in aws:
                    count += 1
    else:
        from partstream.transports.websocket import connect_websocket

        # No compression argument at all on the plain rows, so the same harness can
        # count a checkout from before permessage-deflate (PYTHONPATH=<that>/src).
        options: dict[str, Any] = {"compression": "deflate"} if client == "ours-deflate" else {}
        async with connect_websocket(url, ping_interval=None, **options) as ws:
            async for _ in ws:
                count += 1
    if count != expected:
        raise AssertionError(f"received {count} of {expected} messages")


def _on_trio() -> bool:
    import sniffio

    return sniffio.current_async_library() == "trio"


def _instructions(url: str, messages: int, client: str, backend: str) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={os.path.join(tmp, 'out')}",
                sys.executable,
                "-m",
                "benchmarks.callgrind_websocket",
                "--one",
                url,
                str(messages),
                client,
                backend,
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=1800,
            check=False,
        )
    if done.returncode != 0:
        raise RuntimeError(f"callgrind run failed:\n{done.stderr[-3000:]}")
    match = re.search(r"Collected : (\d+)", done.stderr)
    if match is None:
        raise RuntimeError(f"no instruction count in callgrind's output:\n{done.stderr[-2000:]}")
    return int(match.group(1))


def measure(rows: list[str], backend: str, scale: float = 1.0) -> dict[str, Any]:
    figures: dict[str, Any] = {"backend": backend, "rows": {}}
    with ServerProcess() as server:
        for name in rows:
            query, client, long_run = ROWS[name]
            long_run = int(long_run * scale)
            short_run = long_run // 10
            counts = {}
            for n in (short_run, long_run):
                url = f"{server.base('ws')}/ws/blast/messages={n}/{query}"
                counts[n] = _instructions(url, n, client, backend)
            per_message = (counts[long_run] - counts[short_run]) / (long_run - short_run)
            figures["rows"][name] = {
                "instructions_per_message": round(per_message),
                "messages": [short_run, long_run],
                "totals": [counts[short_run], counts[long_run]],
            }
    return figures


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] == "--one":
        url, messages, client, backend = args[1:5]
        anyio.run(_consume, url, int(messages), client, backend=backend)
        return 0
    parser = argparse.ArgumentParser(prog="python -m benchmarks.callgrind_websocket")
    parser.add_argument("--backend", choices=["asyncio", "trio"], default="asyncio")
    parser.add_argument("--rows", default="150,32768", help=f"comma-separated, of {list(ROWS)}")
    parser.add_argument("--scale", type=float, default=1.0, help="more messages, less noise")
    parsed = parser.parse_args(args)
    print(json.dumps(measure(parsed.rows.split(","), parsed.backend, parsed.scale), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
