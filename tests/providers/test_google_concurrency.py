"""The Google provider with many streams in flight: what a stream keeps alive.

A plain stream reads ahead as text (the events' SSE data) and makes parts a
slice at a time right before delivering them; a delivered part is not kept by
the stream. With a thousand streams in one process that is the difference
between the garbage collector walking every read-ahead part and walking none.
"""

from __future__ import annotations

import gc
import weakref
from typing import Any

import pytest
from tests.conformance._replay import SSEReply, run_server, sse_frame
from tests.providers._google_support import PROMPT, provider_for

from partstream import parts
from partstream.providers._google_stream import _SLICE

pytestmark = pytest.mark.anyio

DELTAS = 5 * _SLICE


def _one_read_body(marker: str) -> bytes:
    """A whole stream in one frame (so in one read): head, many text deltas, tail."""
    events: list[dict[str, Any]] = [
        {"event_type": "interaction.created", "interaction": {"id": "v1_c", "model": "m"}},
        {"event_type": "step.start", "index": 0, "step": {"type": "model_output"}},
    ]
    events += [
        {"event_type": "step.delta", "index": 0, "delta": {"type": "text", "text": f"{marker}{i} "}}
        for i in range(DELTAS)
    ]
    events += [
        {"event_type": "step.stop", "index": 0},
        {
            "event_type": "interaction.completed",
            "interaction": {"id": "v1_c", "status": "completed"},
        },
    ]
    return b"".join(sse_frame(e) for e in events)


def _live_deltas(marker: str) -> int:
    """Text-delta parts of this test that exist right now (made and not yet freed)."""
    return sum(
        1
        for o in gc.get_objects()
        if type(o) is parts.TextDelta and o.delta.startswith(marker)
    )


async def test_parts_are_made_a_slice_at_a_time_and_not_kept_once_delivered() -> None:
    marker = "lazy-marker-"
    async with run_server() as server:
        server.add("POST", "/interactions", SSEReply([_one_read_body(marker)]))
        model = provider_for(server).interactions("gemini-2.5-flash")
        delivered: list[weakref.ref[parts.Part]] = []
        made_at_first: int | None = None
        async with model.stream(PROMPT) as stream:
            async for part in stream:
                if type(part) is parts.TextDelta:
                    if made_at_first is None:
                        # The whole body was read at once, yet only a slice became parts.
                        made_at_first = _live_deltas(marker)
                    delivered.append(weakref.ref(part))
            del part
            # Still inside the block: the stream holds none of the delivered parts.
            alive = [ref for ref in delivered if ref() is not None]
    assert len(delivered) == DELTAS
    assert made_at_first is not None
    assert 1 <= made_at_first <= _SLICE
    assert alive == []


async def test_batches_are_slices_and_the_text_is_whole() -> None:
    marker = "batch-marker-"
    async with run_server() as server:
        server.add("POST", "/interactions", SSEReply([_one_read_body(marker)]))
        model = provider_for(server).interactions("gemini-2.5-flash")
        sizes: list[int] = []
        text: list[str] = []
        async with model.stream(PROMPT) as stream:
            async for batch in stream.batches():
                sizes.append(len(batch))
                text += [p.delta for p in batch if type(p) is parts.TextDelta]
    assert max(sizes) <= _SLICE
    assert "".join(text) == "".join(f"{marker}{i} " for i in range(DELTAS))
