"""The portable cursor: stop a background stream anywhere, continue it anywhere else.

The invariant under test: the parts delivered before the cursor was taken, followed
by the parts of ``model.resume(cursor)``, are exactly the parts of an undisturbed
run. Nothing lost, nothing repeated, including across processes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest
from anyio.abc import Process
from anyio.streams.buffered import BufferedByteReceiveStream
from tests.conformance._replay import BackgroundInteraction, run_server
from tests.providers._google_support import (
    AGENT,
    BACKGROUND,
    FAST_RESUME,
    INTERACTION_ID,
    PROMPT,
    drain,
    event_log,
    provider_for,
)

from partstream import errors
from partstream.providers.google import InteractionCursor

pytestmark = pytest.mark.anyio

REPO = Path(__file__).resolve().parents[2]
CHILD = Path(__file__).with_name("_google_cursor_child.py")
STREAM = f"GET /v1beta/interactions/{INTERACTION_ID}?stream=true"
POST = "POST /v1beta/interactions"


async def baseline_parts(raw: bool = False) -> list[dict[str, Any]]:
    run = BackgroundInteraction(INTERACTION_ID, events=event_log())
    async with run_server() as server:
        run.install(server)
        model = provider_for(server).interactions(agent=AGENT, resume=FAST_RESUME)
        async with model.stream(PROMPT, provider_options=BACKGROUND, include_raw_chunks=raw) as s:
            return await drain(s)


@pytest.mark.parametrize("raw", [False, True])
async def test_resume_at_every_position_loses_and_repeats_nothing(raw: bool) -> None:
    baseline = await baseline_parts(raw)
    total = len(baseline)
    for k in [0, 1, 2, 3, 5, 8, 11, 14, total - 2, total - 1, total]:
        run = BackgroundInteraction(INTERACTION_ID, events=event_log())
        async with run_server() as server:
            run.install(server)
            model = provider_for(server).interactions(agent=AGENT, resume=FAST_RESUME)
            first: list[dict[str, Any]] = []
            async with model.stream(
                PROMPT,
                provider_options=BACKGROUND,
                include_raw_chunks=raw,
                temperature=0.3,  # a warning, which the cursor must carry
            ) as stream:
                while len(first) < k:
                    first.append((await stream.__anext__()).to_dict())
                cursor = stream.detach()
            assert cursor is not None
            assert cursor.parts == k
            # The cursor travels as JSON.
            async with model.resume(cursor.to_json()) as resumed:
                rest = await drain(resumed)
        assert first + rest == [_with_warning(p) for p in baseline], k
        # (Left before its first event, the first stream may not have sent its GET yet.)
        allowed = [[POST, STREAM, STREAM]] if k > 1 else [[POST, STREAM], [POST, STREAM, STREAM]]
        assert server.summaries() in allowed
        assert run.cancelled == 0


def _with_warning(part: dict[str, Any]) -> dict[str, Any]:
    if part["type"] != "stream-start":
        return part
    message = (
        "google.interactions: temperature is not supported when an agent is set; use "
        "providerOptions.google.agentConfig instead. Dropped from the request body."
    )
    return {"type": "stream-start", "warnings": [{"type": "other", "message": message}]}


async def test_the_cursor_names_the_last_fully_delivered_event() -> None:
    run = BackgroundInteraction(INTERACTION_ID, events=event_log())
    async with run_server() as server:
        run.install(server)
        model = provider_for(server).interactions(agent=AGENT)
        async with model.stream(PROMPT, provider_options=BACKGROUND) as stream:
            seen = []
            async for part in stream:
                seen.append(part.type)
                cursor = stream.cursor
                assert cursor is not None
                if part.type == "response-metadata":  # all of evt-1's parts
                    # evt-2 (a status update) has no parts: once the transform has seen
                    # it, it is fully delivered too.
                    assert cursor.last_event_id in ("evt-1", "evt-2")
                if part.type == "reasoning-start":  # evt-3's only part
                    assert cursor.last_event_id == "evt-3"
                if part.type == "finish":
                    assert cursor.last_event_id == "evt-19"  # interaction.completed
            stream.detach()


async def test_a_resumed_stream_has_a_cursor_too() -> None:
    baseline = await baseline_parts()
    run = BackgroundInteraction(INTERACTION_ID, events=event_log())
    async with run_server() as server:
        run.install(server)
        model = provider_for(server).interactions(agent=AGENT)
        got: list[dict[str, Any]] = []
        async with model.stream(PROMPT, provider_options=BACKGROUND) as stream:
            for _ in range(4):
                got.append((await stream.__anext__()).to_dict())
            cursor = stream.detach()
        assert cursor is not None
        async with model.resume(cursor.to_dict()) as second:
            for _ in range(6):
                got.append((await second.__anext__()).to_dict())
            again = second.detach()
        assert again is not None
        assert again.parts == 10
        async with model.resume(again) as third:
            got += await drain(third)
    assert got == baseline


async def test_a_resume_whose_log_differs_is_refused() -> None:
    run = BackgroundInteraction(INTERACTION_ID, events=event_log())
    async with run_server() as server:
        run.install(server)
        model = provider_for(server).interactions(agent=AGENT)
        async with model.stream(PROMPT, provider_options=BACKGROUND) as stream:
            for _ in range(7):
                await stream.__anext__()
            cursor = stream.detach()
        assert cursor is not None
        assert cursor.last_event_id in ("evt-7", "evt-8")  # evt-8 has no parts
        for event in run.events:
            event["event_id"] = "other-" + event["event_id"]
        with pytest.raises(errors.StreamResumeError, match="does not match the cursor"):
            async with model.resume(cursor) as resumed:
                await drain(resumed)
        shorter = InteractionCursor(interaction_id=INTERACTION_ID, parts=500)
        with pytest.raises(errors.StreamResumeError, match="fewer than the 500"):
            async with model.resume(shorter) as resumed:
                await drain(resumed)


async def test_leaving_a_resumed_stream_early_cancels_the_run() -> None:
    run = BackgroundInteraction(INTERACTION_ID, events=event_log())
    async with run_server() as server:
        run.install(server)
        model = provider_for(server).interactions(agent=AGENT)
        cursor = InteractionCursor(interaction_id=INTERACTION_ID, parts=3, last_event_id="evt-3")
        async with model.resume(cursor) as resumed:
            part = await resumed.__anext__()
            assert part.type == "reasoning-delta"
    assert server.summaries() == [STREAM, f"POST /v1beta/interactions/{INTERACTION_ID}/cancel"]


@pytest.mark.parametrize(
    "data",
    [
        None,
        {},
        {"version": 2, "interactionId": "x", "parts": 0},
        {"version": 1, "interactionId": "", "parts": 0},
        {"version": 1, "interactionId": "x", "parts": -1},
        {"version": 1, "interactionId": "x", "parts": True},
        {"version": 1, "interactionId": "x", "parts": 0, "lastEventId": 3},
        {"version": 1, "interactionId": "x", "parts": 0, "warnings": [{"type": "nope"}]},
    ],
)
def test_bad_cursors_are_refused(data: Any) -> None:
    with pytest.raises(errors.InvalidArgumentError, match="cursor"):
        InteractionCursor.from_dict(data)
    with pytest.raises(errors.InvalidArgumentError, match="cursor"):
        InteractionCursor.from_json(json.dumps(data) if data is not None else "{")


def test_cursor_round_trips() -> None:
    cursor = InteractionCursor(
        interaction_id="v1_x",
        last_event_id="evt-9",
        parts=12,
        include_raw_chunks=True,
        service_tier="flex",
        warnings=({"type": "other", "message": "m"},),
    )
    assert InteractionCursor.from_json(cursor.to_json()) == cursor
    assert InteractionCursor.from_dict(cursor.to_dict()) == cursor
    assert json.loads(cursor.to_json())["interactionId"] == "v1_x"


# ---------------------------------------------------------------------------------------
# Across processes: the first half in one process, killed; the rest in another.


async def _spawn(*args: str) -> Process:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    return await anyio.open_process(
        [sys.executable, str(CHILD), *args], stdout=subprocess.PIPE, env=env, cwd=REPO
    )


class _Lines:
    """JSON lines from a child's stdout (``None`` at the end)."""

    def __init__(self, process: Process) -> None:
        assert process.stdout is not None
        self._reader = BufferedByteReceiveStream(process.stdout)

    async def next(self) -> Any:
        try:
            return json.loads(await self._reader.receive_until(b"\n", 1 << 20))
        except (anyio.EndOfStream, anyio.IncompleteRead):
            return None


@pytest.mark.parametrize("k", [7])  # mid-event: text-start delivered, its first delta not
async def test_a_cursor_continues_in_another_process(anyio_backend: str, k: int) -> None:
    baseline = await baseline_parts()
    run = BackgroundInteraction(
        INTERACTION_ID, events=event_log(), stream_plan=[("hold", 14), ("all",)]
    )
    async with run_server() as server:
        run.install(server)
        first: list[dict[str, Any]] = []
        cursor_json = None
        with anyio.fail_after(30):
            process = await _spawn("first", server.base_url, anyio_backend, str(k))
            try:
                lines = _Lines(process)
                while (message := await lines.next()) is not None:
                    if "part" in message:
                        first.append(message["part"])
                    if "cursor" in message:
                        cursor_json = message["cursor"]
                        break
            finally:
                process.kill()  # SIGKILL: no cleanup runs, no cancel is sent
                await process.wait()
            assert cursor_json is not None
            assert server.summaries() == [POST, STREAM]

            rest: list[dict[str, Any]] = []
            done = False
            second = await _spawn("second", server.base_url, anyio_backend, cursor_json)
            lines = _Lines(second)
            while (message := await lines.next()) is not None:
                if "part" in message:
                    rest.append(message["part"])
                done = done or message.get("done", False)
            assert await second.wait() == 0
    assert done
    assert len(first) == k
    assert first + rest == baseline
    assert server.summaries() == [POST, STREAM, STREAM]
    assert run.cancelled == 0
