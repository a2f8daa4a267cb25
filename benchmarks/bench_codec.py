"""Interactions codec throughput: JSON decoders, and decode + stream transform.

Workloads, built in memory (no sockets: the end-to-end figure is ``bench_stream``):

* ``fixture``: the recorded SSE event JSON lines of the conformance fixtures
  (every event type, ~100-700 bytes);
* ``text deltas``: one interaction of N ``step.delta`` text events, the shape of
  the issue's 200k-event stream benchmark.

Rows:

* ``json: <backend>``: events/s of each installed JSON decoder (msgspec, orjson,
  the standard library) against ``json.loads``: why :mod:`partstream.codecs.json`
  picks the one it picks;
* ``decode_event + transform``: events/s of the whole codec (JSON decode,
  validation, transform in 64-event batches, parts built) against ``json.loads``
  alone: the codec's cost above bare parsing (a ratio below 1 is expected; the
  closer to 1, the less the transform adds);
* ``... one by one``: the same with one ``feed`` call per event, with the plain
  dicts of :func:`decode_event` and through the wrapper API (``Parsed`` objects
  from :func:`parse_event`), for comparison.

Run: ``.venv/bin/python -m benchmarks.bench_codec [smoke|full]``.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from partstream.codecs import json as pjson
from partstream.codecs.interactions import InteractionsStreamTransform, decode_event, parse_event

from ._common import Row, check_size, median, result, row

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT.parent / "shared" / "conformance" / "interactions" / "fixtures"

_PARAMS: dict[str, dict[str, int]] = {
    "smoke": {"events": 5_000, "rounds": 1},
    "full": {"events": 200_000, "rounds": 5},
}
BATCH = 64


def fixture_lines() -> list[str]:
    lines: list[str] = []
    if FIXTURES.is_dir():
        for path in sorted(FIXTURES.glob("*.chunks.txt")):
            lines.extend(line for line in path.read_text("utf-8").splitlines() if line.strip())
    return lines


def text_delta_lines(events: int) -> list[str]:
    lines = [
        json.dumps({"event_type": "interaction.created", "interaction": {"id": "v1_bench"}}),
        json.dumps({"event_type": "step.start", "index": 0, "step": {"type": "model_output"}}),
    ]
    lines += [
        json.dumps(
            {
                "event_type": "step.delta",
                "event_id": f"evt_{i}",
                "index": 0,
                "delta": {"type": "text", "text": f"token {i} of the answer "},
            }
        )
        for i in range(events)
    ]
    lines += [
        json.dumps({"event_type": "step.stop", "index": 0}),
        json.dumps(
            {
                "event_type": "interaction.completed",
                "interaction": {"id": "v1_bench", "status": "completed"},
            }
        ),
    ]
    return lines


def _decode_all(decode: Callable[[Any], Any]) -> Callable[[list[str]], int]:
    def run(lines: list[str]) -> int:
        for line in lines:
            decode(line)
        return len(lines)

    return run


def codec_batched(lines: list[str]) -> int:
    transform = InteractionsStreamTransform(generate_id=lambda: "id")
    n = len(transform.start())
    for i in range(0, len(lines), BATCH):
        n += len(transform.feed([decode_event(line) for line in lines[i : i + BATCH]]))
    return n + len(transform.finish())


def codec_dicts_one_by_one(lines: list[str]) -> int:
    transform = InteractionsStreamTransform(generate_id=lambda: "id")
    n = len(transform.start())
    for line in lines:
        n += len(transform.feed(decode_event(line)))
    return n + len(transform.finish())


def codec_one_by_one(lines: list[str]) -> int:
    transform = InteractionsStreamTransform(generate_id=lambda: "id")
    n = len(transform.start())
    for line in lines:
        n += len(transform.feed(parse_event(line)))
    return n + len(transform.finish())


def _seconds(fn: Callable[[list[str]], int], lines: list[str]) -> float:
    start = time.perf_counter()
    fn(lines)
    return time.perf_counter() - start


def _compare(
    ours: Callable[[list[str]], int],
    peer: Callable[[list[str]], int],
    lines: list[str],
    rounds: int,
) -> tuple[float, float]:
    a: list[float] = []
    b: list[float] = []
    for _ in range(rounds):
        a.append(_seconds(ours, lines))
        b.append(_seconds(peer, lines))
    return median(a), median(b)


def run(size: str) -> dict[str, Any]:
    s = check_size(size)
    params = _PARAMS[s]
    rounds = params["rounds"]
    rows: list[Row] = []
    notes = [f"JSON decoder in use: {pjson.BACKEND}"]
    stdlib = _decode_all(json.loads)

    workloads = {"text deltas": text_delta_lines(params["events"])}
    fixtures = fixture_lines()
    if fixtures:
        repeat = max(1, params["events"] // len(fixtures))
        workloads["fixture"] = fixtures * repeat
    else:
        notes.append("conformance fixtures absent: fixture workload skipped")

    for workload, lines in workloads.items():
        count = len(lines)
        for name, decode, _errors in pjson._backends():
            ours, peer = _compare(_decode_all(decode), stdlib, lines, rounds)
            rows.append(
                row(
                    variant=f"{workload}: json {name}",
                    backend="-",
                    metric="events/s",
                    value=count / ours,
                    peer="json.loads",
                    peer_value=count / peer,
                )
            )
        for variant, fn in (
            ("decode_event + transform", codec_batched),
            ("decode_event + transform, one by one", codec_dicts_one_by_one),
            ("parse_event + transform, one by one", codec_one_by_one),
        ):
            ours, peer = _compare(fn, stdlib, lines, rounds)
            rows.append(
                row(
                    variant=f"{workload}: {variant}",
                    backend="-",
                    metric="events/s",
                    value=count / ours,
                    peer="json.loads",
                    peer_value=count / peer,
                )
            )
            notes.append(
                f"{workload}, {variant}: {ours / count * 1e6:.2f} µs/event "
                f"(json.loads alone {peer / count * 1e6:.2f} µs/event)"
            )
    return result("codec", s, rows, notes=notes)


def main(argv: list[str]) -> None:
    out = run(argv[0] if argv else "smoke")
    for r in out["rows"]:
        ratio = r.get("ratio")
        print(
            f"{r['variant']:48s} {r['value']:12,.0f} {r['metric']}   "
            f"{r['peer']} {r['peer_value']:12,.0f}   ratio {ratio:.2f}"
        )
    for note in out["notes"]:
        print("  " + note)


if __name__ == "__main__":
    main(sys.argv[1:])
