"""Parts -> UI message stream SSE bytes: ``partstream.ui`` against hand-written Python and Node.

The workload is one chat answer as the Google Interactions transform produces it:
``stream-start``, ``response-metadata``, a reasoning block, a text block of N
deltas (short tokens, as a model streams them; every 50th with non-ASCII text),
a tool call and its result, ``finish``. Three converters turn it into the bytes
of the UI message stream (``data: <json>\\n\\n`` frames, ``data: [DONE]``), all in
memory (the HTTP side is ``tests/ui/test_asgi.py``'s business):

* ``partstream.ui``: :class:`UIMessageStreamConverter` fed 64-part batches (a
  network read's worth) with ``feed_sse`` (what the ASGI response does);
* ``json.dumps by hand``: the same conversion as a user writes it without the
  library: a dict per part, ``json.dumps(..., ensure_ascii=False,
  separators=(",", ":"))``, ``.encode()``;
* ``ai (Node)``: the reference in the same run, ``streamText`` over a mock model
  that replays the same parts, ``toUIMessageStream()`` through
  ``createUIMessageStreamResponse`` until its last byte (``tests/reference/
  ui_bench.mjs``; the clock covers only the conversion, not Node's start).

All three must give the same bytes (checked each run). The rows report SSE bytes
per second, median of the rounds; targets: >= 3x the hand-written Python, >= 1x
Node. Run: ``.venv/bin/python -m benchmarks.bench_ui [smoke|full]``.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from typing import Any

from partstream import parts as p
from partstream.ui import ToolSpec, UIMessageStreamConverter, encode_sse

from ._common import Row, check_size, median, result, row

_PARAMS: dict[str, dict[str, int]] = {
    "smoke": {"deltas": 2_000, "rounds": 1},
    "full": {"deltas": 100_000, "rounds": 3},
}
BATCH = 64
TOOLS = {"getWeather": ToolSpec()}


def workload(deltas: int) -> list[p.Part]:
    rid = "v1_ChdVbXNIYXVEUkVacmpxdHNQb3JQeXlBRRIXVW1zSGF1RFJFWnJqcXRzUG9yUHl5QUU"
    google = {"google": {"interactionId": rid}}
    out: list[p.Part] = [
        p.StreamStart(),
        p.ResponseMetadata(id=rid, model_id="gemini-2.5-flash"),
        p.ReasoningStart(id=f"{rid}:0"),
        p.ReasoningDelta(id=f"{rid}:0", delta="Thinking about the question."),
        p.ReasoningEnd(id=f"{rid}:0", provider_metadata={"google": {"signature": "c2ln"}}),
        p.TextStart(id=f"{rid}:1"),
    ]
    out += [
        p.TextDelta(id=f"{rid}:1", delta=f" tokén {i}," if i % 50 == 0 else f" token {i},")
        for i in range(deltas)
    ]
    out += [
        p.TextEnd(id=f"{rid}:1", provider_metadata=google),
        p.ToolInputStart(id="call-1", tool_name="getWeather"),
        p.ToolInputDelta(id="call-1", delta='{"city":"Oslo"}'),
        p.ToolInputEnd(id="call-1"),
        p.ToolCall(tool_call_id="call-1", tool_name="getWeather", input='{"city":"Oslo"}'),
        p.Finish(
            usage=p.Usage(),
            finish_reason=p.FinishReason(unified="tool-calls", raw="requires_action"),
            provider_metadata=google,
        ),
    ]
    return out


def convert_partstream(parts: list[p.Part]) -> bytes:
    conv = UIMessageStreamConverter(tools=TOOLS)
    out = [encode_sse(conv.start())]
    for i in range(0, len(parts), BATCH):
        out.append(conv.feed_sse(parts[i : i + BATCH]))
    out.append(encode_sse(conv.finish(), done=True))
    return b"".join(out)


def convert_by_hand(parts: list[p.Part]) -> bytes:
    """The conversion for this workload's part types, written with json.dumps."""

    def frame(chunk: dict[str, Any]) -> bytes:
        return (
            "data: " + json.dumps(chunk, ensure_ascii=False, separators=(",", ":")) + "\n\n"
        ).encode()

    out = [frame({"type": "start"})]
    started = False
    finish_reason = "other"
    for part in parts:
        if isinstance(part, p.StreamStart):
            continue
        if not started:
            out.append(frame({"type": "start-step"}))
            started = True
        chunk: dict[str, Any] | None = None
        if isinstance(part, p.TextDelta | p.ReasoningDelta):
            chunk = {"type": part.type, "id": part.id, "delta": part.delta}
        elif isinstance(part, p.TextStart | p.TextEnd | p.ReasoningStart | p.ReasoningEnd):
            chunk = {"type": part.type, "id": part.id}
        elif isinstance(part, p.ToolInputStart):
            chunk = {"type": "tool-input-start", "toolCallId": part.id, "toolName": part.tool_name}
        elif isinstance(part, p.ToolInputDelta):
            chunk = {
                "type": "tool-input-delta",
                "toolCallId": part.id,
                "inputTextDelta": part.delta,
            }
        elif isinstance(part, p.ToolCall):
            chunk = {
                "type": "tool-input-available",
                "toolCallId": part.tool_call_id,
                "toolName": part.tool_name,
                "input": json.loads(part.input),
            }
        elif isinstance(part, p.Finish):
            finish_reason = part.finish_reason.unified
        if chunk is not None:
            pm = getattr(part, "provider_metadata", None)
            if pm is not None and not isinstance(part, p.ToolCall | p.ToolInputStart):
                chunk["providerMetadata"] = pm
            out.append(frame(chunk))
    out.append(frame({"type": "finish-step"}))
    out.append(frame({"type": "finish", "finishReason": finish_reason}))
    out.append(b"data: [DONE]\n\n")
    return b"".join(out)


def _time(fn: Callable[[list[p.Part]], bytes], parts: list[p.Part]) -> tuple[float, bytes]:
    start = time.perf_counter()
    body = fn(parts)
    return time.perf_counter() - start, body


def _node(parts: list[p.Part], rounds: int) -> tuple[list[float], str] | None:
    if shutil.which("node") is None or shutil.which("npm") is None:
        return None
    from tests.reference.node import run_driver

    payload = {"parts": [part.to_dict() for part in parts], "rounds": rounds, "keepBody": True}
    out = run_driver("ui_bench.mjs", payload, timeout=600)
    return [float(s) for s in out["seconds"]], str(out["sse"])


def run(size: str) -> dict[str, Any]:
    s = check_size(size)
    params = _PARAMS[s]
    rounds = params["rounds"]
    parts = workload(params["deltas"])
    ours: list[float] = []
    hand: list[float] = []
    body = b""
    for _ in range(rounds):
        seconds, body = _time(convert_partstream, parts)
        ours.append(seconds)
        seconds, by_hand = _time(convert_by_hand, parts)
        hand.append(seconds)
        if by_hand != body:
            raise AssertionError("the hand-written conversion does not give partstream's bytes")
    size_bytes = len(body)
    ours_rate = size_bytes / median(ours)
    per_part = 1e6 / len(parts)
    notes = [
        f"{len(parts)} parts, {size_bytes} SSE bytes; partstream {median(ours) * per_part:.2f}"
        f" µs/part, json.dumps by hand {median(hand) * per_part:.2f} µs/part"
    ]
    rows: list[Row] = [
        row(
            variant="parts -> UI SSE bytes",
            backend="-",
            metric="bytes/s",
            value=ours_rate,
            peer="json.dumps by hand",
            peer_value=size_bytes / median(hand),
            target=">= 3x",
            min_ratio=3.0,
        )
    ]
    node = _node(parts, rounds)
    if node is None:
        notes.append("node/npm not found: the Node reference row is left out")
    else:
        node_seconds, sse = node
        if sse.encode("utf-8") != body:
            raise AssertionError("the reference's bytes differ from partstream's")
        rows.append(
            row(
                variant="parts -> UI SSE bytes",
                backend="-",
                metric="bytes/s",
                value=ours_rate,
                peer="ai (Node) streamText + toUIMessageStream",
                peer_value=size_bytes / median(node_seconds),
                target=">= 1x",
                min_ratio=1.0,
            )
        )
        notes.append(f"ai (Node): {median(node_seconds) * per_part:.2f} µs/part")
    return result("ui", s, rows, notes=notes)


def main(argv: list[str]) -> None:
    out = run(argv[0] if argv else "smoke")
    for r in out["rows"]:
        print(
            f"{r['variant']:28s} {r['value']:14,.0f} {r['metric']}   vs {r['peer']}: "
            f"{r['peer_value']:14,.0f}   ratio {r['ratio']:.2f} (target {r['target']})"
        )
    for note in out["notes"]:
        print("  " + note)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
