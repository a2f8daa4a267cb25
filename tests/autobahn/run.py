"""Autobahn|Testsuite client cases against partstream's WebSocket client, without Docker.

The fuzzing server is kosoku (PyPI ``kosoku``: a Rust runner that drives
Autobahn's own Python case files through PyO3) in a process of its own on
127.0.0.1; this process is the client under test, an echo client as Autobahn's
client drivers are: ``/getCaseCount``, then for each case ``/runCase?case=N``
(echo every message back until the server closes), then ``/updateReports``.
Every connection offers permessage-deflate (``compression="deflate"``), so the
12.* and 13.* cases run compressed. One adjustment: kosoku reads an offer's
``acceptNoContextTakeover`` from a ``client_no_context_takeover`` parameter in
it, where Autobahn takes it as always true (``PerMessageDeflateOffer.parse``), so
the cases whose server asks the client for no context takeover (13.2.*, 13.5.*,
13.6.*) would be UNIMPLEMENTED for any client offering the plain default; for
those the client adds that parameter to its offer (the wire then carries what
the cases check: a client compressing without context takeover).

``python3 tasks.py autobahn [--backend asyncio|trio|both] [--cases 1.*,12.1.*]``
(= ``.venv/bin/python -m tests.autobahn.run ...``) prints the verdict counts
(OK / NON-STRICT / INFORMATIONAL / UNIMPLEMENTED / FAILED) per backend and writes
Autobahn's report (``index.json``, ``index.html``, one file per case) under
``tests/autobahn/reports/<backend>/`` (git-ignored). It exits 1 when a case
FAILED or could not be run.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import fnmatch
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import anyio

from partstream.errors import PartstreamError
from partstream.transports.websocket import DeflateOffer, connect_websocket

ROOT = Path(__file__).resolve().parents[2]
REPORTS = Path(__file__).resolve().parent / "reports"
VERDICTS = ("OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED", "FAILED")
#: Autobahn's 9.* cases send messages of up to 16 MiB (plus framing slack).
MAX_MESSAGE = 32 * 1024 * 1024
#: Cases whose server accepts only an offer with client_no_context_takeover (see above).
HINTED = ("13.2.*", "13.5.*", "13.6.*")

# -- the server side: kosoku, in its own process ---------------------------------------------


def _selected(cases: list[str] | None) -> list[str]:
    """The case ids kosoku serves for this selection, in its order (checked after the run)."""
    import kosoku.cases

    every: list[str] = list(kosoku.cases.CASES)
    if not cases:
        return every
    return [c for c in every if any(fnmatch.fnmatchcase(c, pattern) for pattern in cases)]


async def _serve(cases: list[str] | None, outdir: Path | None) -> None:
    from kosoku import FailureError, run_fuzzingserver
    from kosoku._report import write_reports

    async with run_fuzzingserver(cases, host="127.0.0.1", port=0) as server:
        print(f"LISTENING {server.port} {json.dumps(_selected(cases))}", flush=True)
        try:
            results = await server.get_result()
        except FailureError as failure:
            results = failure.results
    if outdir is not None:
        write_reports(results, str(outdir))
    summary: list[dict[str, Any]] = [
        {
            "case": r.case_id,
            "behavior": r.behavior.value,
            "close": r.behavior_close.value,
            "passed": r.passed,
            "result": r.result,
        }
        for r in results
    ]
    print("RESULTS " + json.dumps(summary), flush=True)


# -- the client side: partstream ----------------------------------------------------------------


async def _echo(url: str, offer: DeflateOffer) -> None:
    try:
        async with connect_websocket(
            url,
            compression=offer,
            max_message_size=MAX_MESSAGE,
            ping_interval=None,
            close_timeout=5.0,
        ) as ws:
            async for message in ws:
                await ws.send(message)
    except PartstreamError:
        pass  # cases that break the protocol end this way; the server judges what we did


async def _case_count(base: str) -> int:
    async with connect_websocket(f"{base}/getCaseCount", ping_interval=None) as ws:
        count = int(await ws.receive())
    return count


async def run_client(base: str, agent: str, ids: list[str]) -> float:
    """Run every case the server offers; return the seconds it took."""
    start = time.perf_counter()
    count = await _case_count(base)
    if count != len(ids):
        raise RuntimeError(f"the server has {count} cases, the client expected {len(ids)}")
    plain, hinted = DeflateOffer(), DeflateOffer(client_no_context_takeover=True)
    for case, case_id in enumerate(ids, 1):
        offer = hinted if any(fnmatch.fnmatchcase(case_id, p) for p in HINTED) else plain
        await _echo(f"{base}/runCase?case={case}&agent={agent}", offer)
    async with connect_websocket(f"{base}/updateReports?agent={agent}", ping_interval=None):
        pass
    return time.perf_counter() - start


def run_backend(backend: str, cases: list[str] | None, *, report: bool = True) -> dict[str, Any]:
    """Start kosoku, run the cases with the client on ``backend``, return the tallies."""
    outdir = REPORTS / backend
    command = [sys.executable, "-m", "tests.autobahn.run", "--serve", str(outdir) if report else ""]
    if cases:
        command += ["--cases", ",".join(cases)]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    with subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True) as server:
        assert server.stdout is not None
        line = server.stdout.readline().split(" ", 2)
        if len(line) != 3 or line[0] != "LISTENING":
            server.kill()
            raise RuntimeError(f"the kosoku fuzzing server did not start: {line!r}")
        base = f"ws://127.0.0.1:{line[1]}"
        ids: list[str] = json.loads(line[2])
        seconds = anyio.run(run_client, base, f"partstream-{backend}", ids, backend=backend)
        results: list[dict[str, Any]] = []
        for out in server.stdout:
            if out.startswith("RESULTS "):
                results = json.loads(out[len("RESULTS ") :])
        server.wait(60)
    if [r["case"] for r in results] != ids:
        raise RuntimeError("the server ran other cases than the client expected (order or ids)")
    counts = collections.Counter(r["behavior"] for r in results)
    close_counts = collections.Counter(r["close"] for r in results)
    return {
        "backend": backend,
        "cases": len(results),
        "seconds": round(seconds, 1),
        "counts": {verdict: counts.get(verdict, 0) for verdict in VERDICTS},
        "other": {k: v for k, v in counts.items() if k not in VERDICTS},
        "close": dict(close_counts),
        "not_passed": [r for r in results if not r["passed"]],
        "report": str(outdir / "index.html") if report else None,
    }


def _print(tally: dict[str, Any]) -> None:
    counts = " / ".join(f"{k} {v}" for k, v in tally["counts"].items())
    print(f"{tally['backend']}: {tally['cases']} cases in {tally['seconds']} s: {counts}")
    if tally["other"]:
        print(f"  other verdicts: {tally['other']}")
    print(f"  closing handshake: {tally['close']}")
    for r in tally["not_passed"]:
        print(f"  NOT PASSED {r['case']}: {r['behavior']} / {r['close']}: {r['result']}")
    if tally["report"]:
        print(f"  report: {tally['report']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tasks.py autobahn", description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=["asyncio", "trio", "both"], default="both")
    parser.add_argument("--cases", help="comma-separated case ids or globs (default: all)")
    parser.add_argument("--json", help="also write the tallies to this file")
    parser.add_argument("--serve", help=argparse.SUPPRESS)  # internal: the kosoku process
    args = parser.parse_args(argv)
    cases = args.cases.split(",") if args.cases else None
    if args.serve is not None:
        asyncio.run(_serve(cases, Path(args.serve) if args.serve else None))
        return 0
    backends = ["asyncio", "trio"] if args.backend == "both" else [args.backend]
    tallies = [run_backend(backend, cases) for backend in backends]
    for tally in tallies:
        _print(tally)
    if args.json:
        Path(args.json).write_text(json.dumps(tallies, indent=2) + "\n")
    ok = all(t["cases"] and not t["counts"]["FAILED"] and not t["other"] for t in tallies)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
