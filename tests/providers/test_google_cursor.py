"""The portable cursor: stop a background stream anywhere, continue it anywhere else.

The invariant under test: the parts delivered before the cursor was taken, followed
by the parts of ``model.resume(cursor)``, are exactly the parts of an undisturbed
run. Nothing lost, nothing repeated, including across processes.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import typing
from collections import deque
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

from partstream import errors, parts
from partstream.codecs.interactions import InteractionsStreamTransform
from partstream.providers import _google_cursor as google_cursor
from partstream.providers.google import InteractionCursor

pytestmark = pytest.mark.anyio

REPO = Path(__file__).resolve().parents[2]
CHILD = Path(__file__).with_name("_google_cursor_child.py")
STREAM = f"GET /v1beta/interactions/{INTERACTION_ID}?stream=true"
POST = "POST /v1beta/interactions"


async def baseline_parts(
    raw: bool = False, events: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    run = BackgroundInteraction(INTERACTION_ID, events=events or event_log())
    async with run_server() as server:
        run.install(server)
        model = provider_for(server).interactions(agent=AGENT, resume=FAST_RESUME)
        async with model.stream(PROMPT, provider_options=BACKGROUND, include_raw_chunks=raw) as s:
            return await drain(s)


def event_ends(events: list[dict[str, Any]], raw: bool = False) -> list[int]:
    """The position (parts since the stream's start) after each event's parts."""
    t = InteractionsStreamTransform(generate_id=lambda: "gen-id", include_raw_chunks=raw)
    position = len(t.start())
    ends = []
    for event in events:
        position += len(t.feed(event))
        ends.append(position)
    return ends


def admissible_event_ids(events: list[dict[str, Any]], k: int, raw: bool = False) -> set[Any]:
    """The ids a cursor taken after ``k`` parts may name: the last delivered event with
    an id, give or take the part-less events the stream may or may not have read yet."""
    ends = event_ends(events, raw)
    # The last event all of whose parts were delivered, if the stream read ahead.
    newest = max((i for i, end in enumerate(ends) if end <= k), default=-1)
    oldest = -1
    if k > 1:
        # The k-th part came from an event (or from the end): it and all before it were read.
        source = next((i for i, end in enumerate(ends) if end >= k), len(ends))
        oldest = source if source < len(ends) and ends[source] == k else source - 1
    ids = [e.get("event_id") for e in events]

    def named(last: int) -> Any:
        return next((ids[i] for i in range(last, -1, -1) if ids[i] is not None), None)

    return {named(i) for i in range(oldest, newest + 1)}


def resume_request(cursor: InteractionCursor) -> list[str]:
    """The requests ``model.resume(cursor)`` must send."""
    if cursor.complete:
        return []  # past the terminal event: the restored transform finishes alone
    if cursor.last_event_id is None:
        return [STREAM]
    return [f"{STREAM}&last_event_id={cursor.last_event_id}"]


@pytest.mark.parametrize("raw", [False, True])
async def test_resume_at_every_position_loses_and_repeats_nothing(raw: bool) -> None:
    events = event_log()
    baseline = await baseline_parts(raw)
    total = len(baseline)
    ends = event_ends(events, raw)
    for k in range(total + 1):
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
            assert cursor.last_event_id in admissible_event_ids(events, k, raw), k
            if cursor.last_event_id is not None:
                i = [e["event_id"] for e in events].index(cursor.last_event_id)
                assert cursor.skip == k - ends[i]  # parts after the cursor's event
            assert cursor.complete == (cursor.last_event_id == events[-1]["event_id"])
            # The cursor travels as JSON.
            assert json.loads(cursor.to_json())["v"] == 2
            async with model.resume(cursor.to_json()) as resumed:
                rest = await drain(resumed)
        assert first + rest == [_with_warning(p) for p in baseline], k
        # (Left before its first event, the first stream may not have sent its GET yet.)
        firsts = [[POST, STREAM]] if k > 1 else [[POST], [POST, STREAM]]
        assert server.summaries() in [f + resume_request(cursor) for f in firsts], k
        if cursor.last_event_id is not None and not cursor.complete:
            # Only the events after the cursor's were sent again.
            i = [e["event_id"] for e in events].index(cursor.last_event_id)
            assert run.sent[-1] == len(events) - i - 1
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
                    assert cursor.skip == 0
                    assert cursor.state["interaction_id"] == INTERACTION_ID
                if part.type == "reasoning-start":  # evt-3's only part
                    assert cursor.last_event_id == "evt-3"
                    assert cursor.skip == 0
                    assert cursor.state["blocks"] == [
                        [0, {"kind": "reasoning", "id": f"{INTERACTION_ID}:0", "signature": None}]
                    ]
                if part.type == "text-start":  # evt-9 gives text-start and a delta
                    assert (cursor.last_event_id, cursor.skip) == ("evt-8", 1)
                    assert cursor.state["blocks"] == [
                        [1, {"kind": "pending", "id": f"{INTERACTION_ID}:1"}]
                    ]
                if part.to_dict().get("delta") == '{"q": "TCP':
                    assert cursor.last_event_id == "evt-16"
                    assert cursor.state["blocks"][0][1]["arguments"] == '{"q": "TCP'
                if part.type == "finish":
                    assert cursor.last_event_id == "evt-19"  # interaction.completed
                    assert cursor.complete
                    assert cursor.skip == 1
                    assert cursor.state["status"] == "completed"
            stream.detach()
    assert "finish" in seen


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
        assert cursor.last_event_id == "evt-4"
        async with model.resume(cursor.to_dict()) as second:
            again = second.cursor  # before any part: the cursor it was resumed from
            assert again == cursor
            for _ in range(6):
                got.append((await second.__anext__()).to_dict())
            again = second.detach()
        assert again is not None
        assert again.parts == 10
        assert (again.last_event_id, again.skip) == ("evt-11", 0)
        async with model.resume(again) as third:
            got += await drain(third)
    assert got == baseline
    assert server.summaries() == [
        POST,
        STREAM,
        f"{STREAM}&last_event_id=evt-4",
        f"{STREAM}&last_event_id=evt-11",
    ]


async def test_events_without_an_id_resume_from_the_last_event_with_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    events = event_log()
    for n in (2, 4, 5, 9, 10):  # evt-3, evt-5, evt-6, evt-10, evt-11 lose their ids
        del events[n]["event_id"]
    baseline = await baseline_parts(events=events)
    for max_pending in (1024, 1):  # also when the cursor's transform stops following
        monkeypatch.setattr(google_cursor, "_MAX_PENDING", max_pending)
        for k in range(len(baseline) + 1):
            run = BackgroundInteraction(INTERACTION_ID, events=[dict(e) for e in events])
            async with run_server() as server:
                run.install(server)
                model = provider_for(server).interactions(agent=AGENT)
                first: list[dict[str, Any]] = []
                async with model.stream(PROMPT, provider_options=BACKGROUND) as stream:
                    while len(first) < k:
                        first.append((await stream.__anext__()).to_dict())
                    cursor = stream.detach()
                assert cursor is not None
                if max_pending > 1:
                    assert cursor.last_event_id in admissible_event_ids(events, k), k
                async with model.resume(cursor) as resumed:
                    rest = await drain(resumed)
            assert first + rest == baseline, (max_pending, k)


def test_the_cursor_transform_stops_following_past_max_pending(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(google_cursor, "_MAX_PENDING", 1)
    follower = google_cursor._Follower(InteractionsStreamTransform())
    created = {"event_type": "interaction.created", "interaction": {"id": "v1_a"}}
    status = {"event_type": "interaction.status_update", "status": "in_progress"}
    log: deque[tuple[int, str | None, Any]] = deque([(2, "e1", created)])
    follower.advance(log, 2)
    assert (follower.event_id, follower.end) == ("e1", 2)
    log.extend([(2, None, status), (2, None, status)])  # two without an id: one too many
    follower.advance(log, 2)
    frozen = follower.snapshot()
    log.append((2, "e4", {**status, "status": "completed"}))
    follower.advance(log, 2)
    assert not log  # still drained
    # Stays at e1: exact (the rest is skipped by count), only older.
    assert (follower.event_id, follower.end) == ("e1", 2)
    assert follower.snapshot() == frozen
    assert frozen["interaction_id"] == "v1_a"


async def test_a_cursor_the_server_cannot_continue_fails_cleanly() -> None:
    run = BackgroundInteraction(INTERACTION_ID, events=event_log())
    async with run_server() as server:
        run.install(server)
        model = provider_for(server).interactions(agent=AGENT, resume=FAST_RESUME)
        async with model.stream(PROMPT, provider_options=BACKGROUND) as stream:
            for _ in range(7):
                await stream.__anext__()
            cursor = stream.detach()
        assert cursor is not None
        assert (cursor.last_event_id, cursor.skip) == ("evt-8", 1)
        # More parts said delivered than the rest of the log has.
        data = cursor.to_dict()
        data["parts"] += 500
        data["skip"] += 500
        with pytest.raises(errors.StreamResumeError, match="fewer than the 507"):
            async with model.resume(data) as resumed:
                await drain(resumed)
        # An event id the server does not know: it sends nothing, the resume gives up.
        for event in run.events:
            event["event_id"] = "other-" + event["event_id"]
        with pytest.raises(errors.StreamResumeError, match="without producing any events"):
            async with model.resume(cursor) as resumed:
                await drain(resumed)


async def test_leaving_a_resumed_stream_early_cancels_the_run() -> None:
    run = BackgroundInteraction(INTERACTION_ID, events=event_log())
    async with run_server() as server:
        run.install(server)
        model = provider_for(server).interactions(agent=AGENT)
        async with model.stream(PROMPT, provider_options=BACKGROUND) as stream:
            for _ in range(3):
                await stream.__anext__()
            cursor = stream.detach()
        assert cursor is not None
        assert cursor.last_event_id == "evt-3"
        async with model.resume(cursor) as resumed:
            part = await resumed.__anext__()
            assert part.type == "reasoning-delta"
    assert server.summaries() == [
        POST,
        STREAM,
        f"{STREAM}&last_event_id=evt-3",
        f"POST /v1beta/interactions/{INTERACTION_ID}/cancel",
    ]


async def test_a_cursor_past_the_terminal_event_sends_nothing() -> None:
    run = BackgroundInteraction(INTERACTION_ID, events=event_log())
    async with run_server() as server:
        run.install(server)
        model = provider_for(server).interactions(agent=AGENT)
        async with model.stream(PROMPT, provider_options=BACKGROUND) as stream:
            got = [p.to_dict() async for p in stream]
            cursor = stream.cursor
        assert cursor is not None
        assert cursor.complete
        assert cursor.skip == 1  # the finish part
        data = cursor.to_dict()
        data["parts"] -= 1
        data["skip"] -= 1
        async with model.resume(data) as resumed:
            rest = await drain(resumed)
    assert rest == got[-1:]
    assert rest[0]["type"] == "finish"
    assert server.summaries() == [POST, STREAM]  # no request, no cancel
    assert run.cancelled == 0


def _cursor_data(**changes: Any) -> dict[str, Any]:
    state = InteractionsStreamTransform().snapshot()
    data = {"v": 2, "interactionId": "x", "parts": 3, "skip": 1, "lastEventId": "e", "state": state}
    return {**data, **changes}


@pytest.mark.parametrize(
    "data",
    [
        None,
        {},
        {"version": 1, "interactionId": "x", "parts": 0},  # the replay cursors of old
        _cursor_data(v=1),
        _cursor_data(interactionId=""),
        _cursor_data(parts=-1),
        _cursor_data(parts=True),
        _cursor_data(skip=4),
        _cursor_data(lastEventId=3),
        _cursor_data(lastEventId=None),  # then every part counts as after no event
        _cursor_data(complete="yes"),
        _cursor_data(state=None),
        _cursor_data(state={**_cursor_data()["state"], "blocks": [[0, {"kind": "?"}]]}),
        _cursor_data(state={**_cursor_data()["state"], "warnings": [{"type": "nope"}]}),
    ],
)
def test_bad_cursors_are_refused(data: Any) -> None:
    with pytest.raises(errors.InvalidArgumentError, match="cursor"):
        InteractionCursor.from_dict(data)
    with pytest.raises(errors.InvalidArgumentError, match="cursor"):
        InteractionCursor.from_json(json.dumps(data) if data is not None else "{")


def test_cursor_round_trips() -> None:
    transform = InteractionsStreamTransform(
        warnings=[parts.OtherWarning(message="m")], include_raw_chunks=True, service_tier="flex"
    )
    transform.feed({"event_type": "step.start", "index": 0, "step": {"type": "thought"}})
    cursor = InteractionCursor(
        interaction_id="v1_x",
        state=transform.snapshot(),
        last_event_id="evt-9",
        skip=2,
        parts=12,
        complete=True,
    )
    assert InteractionCursor.from_json(cursor.to_json()) == cursor
    assert InteractionCursor.from_dict(cursor.to_dict()) == cursor
    assert json.loads(cursor.to_json())["interactionId"] == "v1_x"
    assert cursor.warnings == (parts.OtherWarning(message="m"),)
    assert cursor.include_raw_chunks
    assert cursor.state["header_service_tier"] == "flex"
    # Pickles name the public module (the class lives in a private one).
    assert InteractionCursor.__module__ == "partstream.providers.google"
    assert b"partstream.providers.google" in pickle.dumps(cursor)
    assert pickle.loads(pickle.dumps(cursor)) == cursor
    assert typing.get_type_hints(InteractionCursor)["state"] == dict[str, Any]


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
            sent_first = run.sent[0]

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
    cursor = InteractionCursor.from_json(cursor_json)
    # Mid-event: evt-9 gave text-start (delivered) and its first delta (not).
    assert (cursor.last_event_id, cursor.skip) == ("evt-8", 1)
    assert server.summaries() == [POST, STREAM, f"{STREAM}&last_event_id=evt-8"]
    # The second process downloaded only the events after evt-8.
    assert (sent_first, run.sent[1]) == (14, len(event_log()) - 8)
    assert run.cancelled == 0
