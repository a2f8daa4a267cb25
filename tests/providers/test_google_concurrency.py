"""The Google provider with many streams in flight: memory per stream, shared connections.

A plain stream reads ahead as text (the events' SSE data) and makes parts a
slice at a time right before delivering them; a delivered part is not kept by
the stream. With a thousand streams in one process that is the difference
between the garbage collector walking every read-ahead part and walking none.

An open provider (``async with create_google(...) as google``) shares one httpx
connection pool between its calls in the event loop that opened it; a provider
that is not open, or a call from another event loop, uses a client per call; a
client the caller gave is used as is and never closed.
"""

from __future__ import annotations

import gc
import weakref
from typing import Any

import anyio
import httpx
import pytest
import sniffio
from tests.conformance._replay import JsonReply, LoopbackServer, SSEReply, run_server, sse_frame
from tests.providers._google_support import PROMPT, drain, provider_for, texts

from partstream import parts
from partstream.providers._google_plain import _SLICE
from partstream.providers.google import GoogleProvider

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
        1 for o in gc.get_objects() if type(o) is parts.TextDelta and o.delta.startswith(marker)
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


# -- shared connections ------------------------------------------------------------------

EVENTS: list[dict[str, Any]] = [
    {"event_type": "interaction.created", "interaction": {"id": "v1_p", "model": "m"}},
    {"event_type": "step.start", "index": 0, "step": {"type": "model_output"}},
    {"event_type": "step.delta", "index": 0, "delta": {"type": "text", "text": "pooled"}},
    {"event_type": "step.stop", "index": 0},
    {"event_type": "interaction.completed", "interaction": {"id": "v1_p", "status": "completed"}},
]
COMPLETED: dict[str, Any] = {
    "id": "v1_g",
    "status": "completed",
    "steps": [{"type": "model_output", "content": [{"type": "text", "text": "Hi!"}]}],
}


def _serve_streams(server: LoopbackServer) -> None:
    server.add("POST", "/interactions", SSEReply([sse_frame(e) for e in EVENTS]), repeat=True)


async def _one_stream(google: GoogleProvider) -> str:
    async with google.interactions("gemini-2.5-flash").stream(PROMPT) as stream:
        return texts(await drain(stream))


def _closed(client: httpx.AsyncClient) -> bool:
    return client.is_closed


def _shared_client(google: GoogleProvider) -> httpx.AsyncClient:
    client = google._config.shared.get()
    assert client is not None
    return client


async def test_an_open_provider_shares_one_connection_between_its_calls() -> None:
    async with run_server() as server:
        stream = SSEReply([sse_frame(e) for e in EVENTS])
        server.add("POST", "/interactions", stream, JsonReply(COMPLETED), stream, stream)
        async with provider_for(server) as google:
            client = _shared_client(google)
            assert await _one_stream(google) == "pooled"
            result = await google.interactions("gemini-2.5-flash").generate(PROMPT)
            assert result.text == "Hi!"
            assert await _one_stream(google) == "pooled"
            assert server.connections == 1  # every call reused the one connection
            assert not _closed(client)
        assert _closed(client)  # leaving the block closed the pool
        # A closed provider still works, with a client per call again.
        assert await _one_stream(google) == "pooled"
        assert server.connections == 2
        assert google._config.shared.get() is None


async def test_a_provider_that_is_not_open_uses_a_client_per_call() -> None:
    async with run_server() as server:
        _serve_streams(server)
        google = provider_for(server)
        assert await _one_stream(google) == "pooled"
        assert await _one_stream(google) == "pooled"
        assert server.connections == 2
        await google.aclose()  # nothing to close: fine


async def test_concurrent_streams_are_not_bounded_by_the_pool_and_reuse_it() -> None:
    # More streams at once than httpx's default pool allows (100): none may wait for
    # another to end. Each holds its connection open after its first text part.
    count = 110
    started = 0
    all_started = anyio.Event()
    async with run_server() as server:
        frames = [sse_frame(e) for e in EVENTS[:3]]
        server.add("POST", "/interactions", SSEReply(frames, hold_open=True), repeat=True)
        async with provider_for(server) as google:

            async def held() -> None:
                nonlocal started
                async with google.interactions("gemini-2.5-flash").stream(PROMPT) as stream:
                    async for part in stream:
                        if type(part) is parts.TextDelta:
                            break
                    started += 1
                    if started == count:
                        all_started.set()
                    await all_started.wait()

            with anyio.fail_after(20):
                async with anyio.create_task_group() as tg:
                    for _ in range(count):
                        tg.start_soon(held)
            assert server.connections == count
            # Streams left early closed their connections; complete ones return theirs.
            server.routes.clear()
            _serve_streams(server)
            async with anyio.create_task_group() as tg:
                for _ in range(10):
                    tg.start_soon(_one_stream, google)
            first_wave = server.connections
            async with anyio.create_task_group() as tg:
                for _ in range(10):
                    tg.start_soon(_one_stream, google)
            assert server.connections == first_wave  # the second wave reused them all
            assert first_wave - count <= 10


async def test_a_callers_client_is_used_and_never_closed() -> None:
    async with run_server() as server, httpx.AsyncClient() as mine:
        _serve_streams(server)
        async with provider_for(server, http_client=mine) as google:
            assert google._config.shared.get() is None  # nothing of ours was opened
            assert await _one_stream(google) == "pooled"
        assert not _closed(mine)
        await google.aclose()
        assert not _closed(mine)
        assert await _one_stream(google) == "pooled"  # still usable, still the caller's


async def test_entering_twice_at_once_is_refused_and_closing_is_idempotent() -> None:
    async with run_server() as server:
        _serve_streams(server)
        google = provider_for(server)
        async with google:
            with pytest.raises(RuntimeError, match="open already"):
                await google.__aenter__()
        await google.aclose()
        async with google:  # a closed provider can be opened again
            assert await _one_stream(google) == "pooled"


async def test_another_event_loop_gets_a_client_of_its_own() -> None:
    backend = sniffio.current_async_library()
    async with run_server() as server:
        _serve_streams(server)
        async with provider_for(server) as google:
            assert await _one_stream(google) == "pooled"
            assert server.connections == 1

            def elsewhere() -> tuple[str, str]:
                async def use() -> tuple[str, str]:
                    # The shared pool belongs to the other loop: not handed out here.
                    assert google._config.shared.get() is None
                    text = await _one_stream(google)
                    try:
                        await google.aclose()
                    except RuntimeError as exc:
                        return text, str(exc)
                    return text, "closed"

                return anyio.run(use, backend=backend)

            text, closing = await anyio.to_thread.run_sync(elsewhere)
            assert text == "pooled"
            assert "event loop that opened it" in closing
            assert server.connections == 2  # the other loop's own, per-call client
            assert await _one_stream(google) == "pooled"  # ours is still open and shared
            assert server.connections == 2
