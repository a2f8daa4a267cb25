"""Client memory under a stalled consumer (issue 8, item 4).

The server (a separate process) pushes an endless stream, up to 1 GiB, over SSE
and over WebSocket, while the consumer reads one part per second. Each client
runs in its own process (so one's heap does not blur another's) and samples its
own RSS with psutil from a thread: the baseline is taken after imports and
client set-up, before connecting. Reported per client:

* RSS growth: peak RSS minus the baseline. Target: <= 32 MiB.
* drift after warm-up: last RSS minus RSS at a quarter of the run. Target: flat
  (<= 4 MiB).
* bytes the server managed to push: bounded (socket buffers plus the client's
  bounded channels) instead of 1 GiB, which is backpressure at work.

The peers (httpx-sse, websockets) run the same way, side by side, for context.
"Full" runs every client for a bounded 60 s; "smoke" for about 0.5 s,
partstream on asyncio only.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import threading
import time
from typing import Any

import anyio

from ._clients import CLIENTS, PEERS, client_label, http_client
from ._common import Row, check_size, result, row
from ._servers import ROOT, ServerProcess

MIB = 2**20
LIMIT = 2**30  # the server offers 1 GiB
CLOSE_GRACE = 10.0

_PARAMS: dict[str, dict[str, float]] = {
    "smoke": {"duration": 0.5, "interval": 0.05, "period": 0.05},
    "full": {"duration": 60.0, "interval": 1.0, "period": 0.5},
}


# -- the client process -----------------------------------------------------------------


class _Sampler(threading.Thread):
    def __init__(self, period: float) -> None:
        super().__init__(daemon=True)
        import psutil

        self._process = psutil.Process()
        self._period = period
        self._stop_event = threading.Event()
        self.start_time = time.monotonic()
        self.samples: list[list[float]] = [[0.0, self.rss()]]

    def rss(self) -> float:
        return float(self._process.memory_info().rss) / MIB

    def run(self) -> None:
        while not self._stop_event.wait(self._period):
            self.samples.append([time.monotonic() - self.start_time, self.rss()])

    @property
    def stopped(self) -> bool:
        return self._stop_event.is_set()

    def stop(self) -> None:
        self._stop_event.set()
        self.join()
        self.samples.append([time.monotonic() - self.start_time, self.rss()])


async def _consume(
    protocol: str, client: str, url: str, duration: float, interval: float, period: float
) -> Any:
    opener = CLIENTS[(protocol, client)][0]
    async with http_client() as http:
        gc.collect()
        sampler = _Sampler(period)
        sampler.start()
        parts = 0
        deadline = time.monotonic() + duration
        # A client whose closing handshake hangs (seen with websockets' trio client after a
        # stall) is cut off: the closing handshake is not the subject here.
        with anyio.move_on_after(duration + CLOSE_GRACE) as scope:
            async with opener(url, http) as stream:
                async for _ in stream:
                    parts += 1
                    if time.monotonic() >= deadline:
                        break
                    await anyio.sleep(interval)
                sampler.stop()
        if not sampler.stopped:
            sampler.stop()
    return {"samples": sampler.samples, "parts": parts, "close_cut": scope.cancelled_caught}


def client_main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("protocol")
    parser.add_argument("client")
    parser.add_argument("url")
    parser.add_argument("duration", type=float)
    parser.add_argument("interval", type=float)
    parser.add_argument("period", type=float)
    parser.add_argument("backend")
    a = parser.parse_args(argv)
    out = anyio.run(
        _consume,
        a.protocol,
        a.client,
        a.url,
        a.duration,
        a.interval,
        a.period,
        backend=a.backend,
    )
    print("RESULT " + json.dumps(out), flush=True)


# -- the parent -------------------------------------------------------------------------


def _spawn(args: list[str]) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT), str(ROOT / "src"), *filter(None, [env.get("PYTHONPATH")])]
    )
    env["PYTHONWARNINGS"] = "ignore"
    return subprocess.Popen(
        [sys.executable, "-m", "benchmarks.bench_memory", "--client", *args],
        stdout=subprocess.PIPE,
        cwd=ROOT,
        env=env,
    )


def _summary(samples: list[list[float]], duration: float) -> dict[str, float]:
    baseline = samples[0][1]
    warm = next((s[1] for s in samples if s[0] >= duration / 4), samples[-1][1])
    return {
        "baseline": baseline,
        "growth": max(s[1] for s in samples) - baseline,
        "drift": samples[-1][1] - warm,
    }


def run(size: str) -> dict[str, Any]:
    sz = check_size(size)
    p = _PARAMS[sz]
    duration, interval = p["duration"], p["interval"]
    jobs: dict[tuple[str, str, str], subprocess.Popen[bytes]] = {}
    outcomes: dict[tuple[str, str, str], dict[str, Any]] = {}
    with ServerProcess() as server:
        for (protocol, client), (_, backends) in CLIENTS.items():
            if sz == "smoke" and client != "partstream":
                continue  # smoke: partstream on asyncio only, to stay quick
            for backend in backends[:1] if sz == "smoke" else backends:
                tag = f"mem-{protocol}-{client}-{backend}"
                url = (
                    server.sse_url("push", limit=LIMIT, tag=tag)
                    if protocol == "sse"
                    else server.ws_url("push", limit=LIMIT, tag=tag, size=150)
                )
                jobs[(protocol, client, backend)] = _spawn(
                    [protocol, client, url, str(duration), str(interval), str(p["period"]), backend]
                )
        try:
            for key, proc in jobs.items():
                stdout, _ = proc.communicate(timeout=duration + CLOSE_GRACE + 60)
                lines = [x for x in stdout.decode().splitlines() if x.startswith("RESULT ")]
                if proc.returncode != 0 or not lines:
                    raise RuntimeError(f"memory client {key} failed (exit {proc.returncode})")
                outcome: dict[str, Any] = json.loads(lines[-1][len("RESULT ") :])
                tag = f"mem-{key[0]}-{key[1]}-{key[2]}"
                outcome["pushed"] = server.stats(tag).get("pushed", 0)
                outcomes[key] = outcome
        finally:
            for proc in jobs.values():
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()

    rows: list[Row] = []
    series: dict[str, list[list[float]]] = {}
    notes: list[str] = []
    for (protocol, client, backend), outcome in outcomes.items():
        series[f"{protocol} {client_label(protocol, client)} [{backend}]"] = outcome["samples"]
    for (protocol, client, backend), outcome in outcomes.items():
        if client != "partstream":
            continue
        ours = _summary(outcome["samples"], duration)
        peer_name = PEERS[protocol]
        peer_outcome = outcomes.get((protocol, peer_name, backend)) or outcomes.get(
            (protocol, peer_name, "asyncio")
        )
        theirs = _summary(peer_outcome["samples"], duration) if peer_outcome else None
        variant = f"{protocol}: {client_label(protocol, client)}"
        rows.append(
            row(
                variant=variant,
                backend=backend,
                metric="RSS growth MiB",
                value=ours["growth"],
                peer=peer_name,
                peer_value=theirs["growth"] if theirs else None,
                target="<= 32 MiB",
                max_value=32.0,
                higher_is_better=False,
            )
        )
        rows.append(
            row(
                variant=variant,
                backend=backend,
                metric="RSS drift after warm-up MiB",
                value=ours["drift"],
                peer=peer_name,
                peer_value=theirs["drift"] if theirs else None,
                target="flat (<= 4 MiB)",
                max_value=4.0,
                higher_is_better=False,
            )
        )
        rows.append(
            row(
                variant=variant,
                backend=backend,
                metric="server pushed MiB (of 1024)",
                value=outcome["pushed"] / MIB,
                peer=peer_name,
                peer_value=peer_outcome["pushed"] / MIB if peer_outcome else None,
                target="bounded",
                max_value=64.0,
                higher_is_better=False,
            )
        )
    for (protocol, client, backend), outcome in outcomes.items():
        s = _summary(outcome["samples"], duration)
        notes.append(
            f"{protocol} {client} [{backend}]: baseline {s['baseline']:.1f} MiB, "
            f"growth {s['growth']:.1f} MiB, drift {s['drift']:.1f} MiB, "
            f"server pushed {outcome['pushed'] / MIB:.1f} MiB, consumer read "
            f"{outcome['parts']} parts in {duration:g} s"
            + (f"; its close hung, cut after {CLOSE_GRACE:g} s" if outcome.get("close_cut") else "")
        )
    return result("memory", sz, rows, series=series, notes=notes)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--client":
        client_main(sys.argv[2:])
    else:
        print(json.dumps(run(sys.argv[1] if len(sys.argv) > 1 else "full"), indent=2))
