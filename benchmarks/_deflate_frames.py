"""Realistic realtime JSON events and their permessage-deflate frames, built ahead of time.

The blaster (``benchmarks._servers``) sends these when a WebSocket URL has
``deflate=1`` and the client offered permessage-deflate: it answers the plain
``permessage-deflate`` (context takeover both ways, 15-bit windows), then writes
frames compressed in order by one zlib stream, as a server with context
takeover would. With takeover each frame depends on the ones before it, which is
fine for a blaster: the sequence is fixed, so it is compressed once and sent whole.

The events are Gateway realtime ``response-done`` events of about ``size`` bytes
of JSON: an assistant message whose text is sentences drawn (seeded, so runs are
repeatable) from an English vocabulary, and a function call whose arguments are
a JSON list of records. A pool of distinct events repeats in a cycle of more
than twice the 32 KiB window, so no message is a copy of one the compressor
still sees.
"""

from __future__ import annotations

import json
import random
import struct
import zlib
from typing import Any

_WORDS = (
    "the",
    "a",
    "an",
    "of",
    "to",
    "in",
    "and",
    "for",
    "on",
    "with",
    "as",
    "by",
    "at",
    "from",
    "that",
    "this",
    "it",
    "is",
    "are",
    "was",
    "be",
    "can",
    "will",
    "audio",
    "model",
    "stream",
    "session",
    "voice",
    "response",
    "request",
    "tool",
    "call",
    "result",
    "weather",
    "city",
    "forecast",
    "temperature",
    "rain",
    "wind",
    "morning",
    "evening",
    "today",
    "tomorrow",
    "user",
    "assistant",
    "reply",
    "question",
    "answer",
    "search",
    "document",
    "summary",
    "section",
    "chapter",
    "report",
    "table",
    "figure",
    "value",
    "order",
    "customer",
    "account",
    "invoice",
    "payment",
    "delivery",
    "status",
    "update",
    "shipped",
    "pending",
    "total",
    "price",
    "product",
    "item",
    "quantity",
    "address",
    "street",
    "number",
    "email",
    "message",
    "thread",
    "channel",
    "time",
    "minute",
    "hour",
    "second",
    "network",
    "latency",
    "buffer",
    "chunk",
    "frame",
    "packet",
    "server",
    "client",
    "browser",
    "please",
    "thanks",
    "sure",
    "here",
    "there",
    "which",
    "what",
    "when",
    "where",
    "how",
    "why",
    "because",
    "however",
    "although",
    "first",
    "next",
    "then",
    "finally",
    "also",
    "only",
    "more",
    "most",
    "less",
    "very",
    "quite",
    "really",
    "about",
    "around",
    "over",
)


def _pool_size(messages: int, size: int) -> int:
    return min(messages, max(48, 2 * 32768 // max(size, 1) + 1))


_TAIL = b"\x00\x00\xff\xff"


def _sentence(rng: random.Random) -> str:
    words = rng.choices(_WORDS, k=rng.randint(6, 18))
    return " ".join(words).capitalize() + rng.choice((".", ".", ".", "?", "!"))


def realtime_event(size: int, seq: int) -> bytes:
    """A ``response-done`` event of about ``size`` bytes (JSON, UTF-8), varied by ``seq``."""
    rng = random.Random(seq)
    records: list[dict[str, Any]] = []
    text: list[str] = []
    event: dict[str, Any] = {
        "type": "response-done",
        "responseId": f"resp_{seq:06d}",
        "response": {
            "id": f"resp_{seq:06d}",
            "status": "completed",
            "output": [
                {
                    "type": "message",
                    "id": f"item_{seq:06d}_0",
                    "role": "assistant",
                    "content": [{"type": "text", "text": ""}],
                },
                {
                    "type": "function_call",
                    "id": f"item_{seq:06d}_1",
                    "callId": f"call_{rng.getrandbits(48):012x}",
                    "name": "search_orders",
                    "arguments": "",
                },
            ],
            "usage": {"inputTokens": rng.randint(200, 4000), "outputTokens": 0},
        },
    }
    body = json.dumps(event, separators=(",", ":"))
    budget = max(0, size - len(body))
    text_budget = budget // 2
    while sum(len(s) + 1 for s in text) < text_budget:
        text.append(_sentence(rng))
    arguments = ""
    while len(json.dumps(arguments)) < budget - text_budget:
        records.append(
            {
                "orderId": f"ord_{rng.getrandbits(32):08x}",
                "status": rng.choice(("shipped", "pending", "delivered", "cancelled")),
                "total": round(rng.uniform(3, 900), 2),
                "items": rng.randint(1, 9),
                "note": _sentence(rng),
            }
        )
        arguments = json.dumps({"results": records}, separators=(",", ":"))
    output = event["response"]["output"]
    output[0]["content"][0]["text"] = " ".join(text)
    output[1]["arguments"] = arguments
    event["response"]["usage"]["outputTokens"] = len(text) * 12
    return json.dumps(event, separators=(",", ":")).encode()


def _frame(payload: bytes, first_byte: int) -> bytes:
    n = len(payload)
    if n < 126:
        return struct.pack("!BB", first_byte, n) + payload
    if n < 1 << 16:
        return struct.pack("!BBH", first_byte, 126, n) + payload
    return struct.pack("!BBQ", first_byte, 127, n) + payload


def deflate_body(messages: int, size: int, level: int = 6) -> tuple[bytes, int]:
    """The frames of ``messages`` compressed text events; and their uncompressed bytes."""
    pool = [realtime_event(size, seq) for seq in range(_pool_size(messages, size))]
    z = zlib.compressobj(level, zlib.DEFLATED, -15)
    frames: list[bytes] = []
    plain = 0
    for i in range(messages):
        event = pool[i % len(pool)]
        plain += len(event)
        data = z.compress(event) + z.flush(zlib.Z_SYNC_FLUSH)
        # RFC 7692 section 7.2.1: drop the sync flush tail; RSV1 marks the message (0xC1).
        frames.append(_frame(data[:-4] if data.endswith(_TAIL) else data, 0xC1))
    return b"".join(frames), plain


def plain_body(messages: int, size: int) -> bytes:
    """The same events uncompressed (0x81 text frames), for a like-for-like baseline."""
    pool = [realtime_event(size, seq) for seq in range(_pool_size(messages, size))]
    return b"".join(_frame(pool[i % len(pool)], 0x81) for i in range(messages))
