"""Background streams under faults: drops, empty bodies, cancellation, early exits.

The server is a real HTTP server on 127.0.0.1 holding one background interaction
(:class:`~tests.conformance._replay.BackgroundInteraction`) whose stream attempts
are scripted: send ``n`` events then drop the connection, send nothing, hold the
connection open. Each test asserts the exact request sequence and that the parts
equal those of an undisturbed run: nothing lost, nothing repeated.
"""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from tests.conformance._replay import (
    BackgroundInteraction,
    JsonReply,
    SSEReply,
    run_server,
    sse_frame,
)
from tests.providers._google_support import (
    AGENT,
    BACKGROUND,
    FAST_RESUME,
    INTERACTION_ID,
    PROMPT,
    drain,
    event_log,
    kinds,
    provider_for,
    texts,
)

from partstream import errors
from partstream.providers.google import DEFAULT_RESUME_POLICY, InteractionsModel
from partstream.transports.sse import ResumePolicy

pytestmark = pytest.mark.anyio

POST = "POST /v1beta/interactions"
STREAM = f"GET /v1beta/interactions/{INTERACTION_ID}?stream=true"
CANCEL = f"POST /v1beta/interactions/{INTERACTION_ID}/cancel"


def resumed(event_id: str) -> str:
    return f"{STREAM}&last_event_id={event_id}"


def model_for(server: Any, resume: ResumePolicy = FAST_RESUME) -> InteractionsModel:
    return provider_for(server).interactions(agent=AGENT, resume=resume)


async def undisturbed() -> list[dict[str, Any]]:
    """The parts of the run when nothing goes wrong (the baseline every test compares to)."""
    run = BackgroundInteraction(INTERACTION_ID, events=event_log())
    async with run_server() as server:
        run.install(server)
        async with model_for(server).stream(PROMPT, provider_options=BACKGROUND) as stream:
            return await drain(stream)


async def test_an_undisturbed_background_stream() -> None:
    run = BackgroundInteraction(INTERACTION_ID, events=event_log())
    async with run_server() as server:
        run.install(server)
        async with model_for(server).stream(PROMPT, provider_options=BACKGROUND) as stream:
            assert stream.interaction_id == INTERACTION_ID
            got = await drain(stream)
            assert stream.complete
    assert server.summaries() == [POST, STREAM]
    assert server.requests[0].json()["background"] is True
    assert "stream" not in server.requests[0].json()
    assert server.requests[1].headers["accept"] == "text/event-stream"
    assert kinds(got) == [
        "stream-start",
        "response-metadata",
        "reasoning-start",
        "reasoning-delta",
        "reasoning-delta",
        "reasoning-end",
        "text-start",
        *["text-delta"] * 5,
        "text-end",
        "tool-input-start",
        "tool-input-delta",
        "tool-input-delta",
        "tool-input-end",
        "tool-call",
        "finish",
    ]
    assert texts(got) == "Backpressure is flow control."
    assert got[-1]["finishReason"] == {"unified": "tool-calls", "raw": "completed"}
    assert run.cancelled == 0


@pytest.mark.parametrize("drops", [[3], [1, 4], [7, 1, 1], [16]])
async def test_drops_resume_from_the_last_event_id(drops: list[int]) -> None:
    baseline = await undisturbed()
    run = BackgroundInteraction(
        INTERACTION_ID, events=event_log(), stream_plan=[("drop", n) for n in drops]
    )
    async with run_server() as server:
        run.install(server)
        async with model_for(server).stream(PROMPT, provider_options=BACKGROUND) as stream:
            got = await drain(stream)
    assert got == baseline
    expected = [POST, STREAM]
    delivered = 0
    for n in drops:
        delivered += n
        expected.append(resumed(f"evt-{delivered}"))
    assert server.summaries() == expected
    assert run.cancelled == 0


async def test_empty_attempts_count_and_end_with_a_clear_error() -> None:
    run = BackgroundInteraction(
        INTERACTION_ID, events=event_log(), stream_plan=[("drop", 2)] + [("empty",)] * 5
    )
    async with run_server() as server:
        run.install(server)
        got: list[dict[str, Any]] = []
        with pytest.raises(errors.StreamResumeError) as caught:
            async with model_for(server).stream(PROMPT, provider_options=BACKGROUND) as stream:
                async for part in stream:
                    got.append(part.to_dict())
    assert "SSE stream closed without producing any events" in str(caught.value)
    # A productive attempt resets the count; then three empty attempts give up.
    assert server.summaries() == [POST, STREAM] + [resumed("evt-2")] * 3
    assert kinds(got) == ["stream-start", "response-metadata"]
    # The stream ended with an error (not abandoned): the run is left for a resume.
    assert run.cancelled == 0


async def test_an_empty_attempt_then_success_loses_nothing() -> None:
    baseline = await undisturbed()
    run = BackgroundInteraction(
        INTERACTION_ID,
        events=event_log(),
        stream_plan=[("drop", 5), ("empty",), ("empty",), ("all",)],
    )
    async with run_server() as server:
        run.install(server)
        async with model_for(server).stream(PROMPT, provider_options=BACKGROUND) as stream:
            got = await drain(stream)
    assert got == baseline
    assert server.summaries() == [POST, STREAM] + [resumed("evt-5")] * 3


def test_the_default_resume_policy_is_the_references() -> None:
    # 3 attempts, 500 ms x attempt, the JSON event id in the last_event_id query parameter.
    policy = DEFAULT_RESUME_POLICY
    assert (policy.max_attempts, policy.id_in, policy.query_param) == (3, "query", "last_event_id")
    assert [policy.delay(n) for n in (0, 1, 2)] == [0.0, 0.5, 1.0]


async def test_cancellation_mid_stream_cancels_the_run_once() -> None:
    run = BackgroundInteraction(INTERACTION_ID, events=event_log(), stream_plan=[("hold", 9)])
    async with run_server() as server:
        run.install(server)
        got: list[dict[str, Any]] = []
        with anyio.move_on_after(10) as deadline:
            async with anyio.create_task_group() as tg:

                async def consume() -> None:
                    async with model_for(server).stream(PROMPT, provider_options=BACKGROUND) as s:
                        async for part in s:
                            got.append(part.to_dict())

                tg.start_soon(consume)
                while texts(got) != "Back":
                    await anyio.sleep(0.005)
                await anyio.sleep(0.05)  # the stream is now waiting on the held connection
                tg.cancel_scope.cancel()
        assert not deadline.cancelled_caught
    assert server.summaries() == [POST, STREAM, CANCEL]
    assert run.cancelled == 1
    cancel = server.requests[2]
    assert cancel.json() == {}
    assert cancel.headers["x-goog-api-key"] == "test-secret-key-123"
    assert "api-revision" not in cancel.headers
    assert cancel.headers["content-type"] == "application/json"


async def test_a_timeout_around_the_stream_cancels_the_run_once() -> None:
    run = BackgroundInteraction(INTERACTION_ID, events=event_log(), stream_plan=[("hold", 3)])
    async with run_server() as server:
        run.install(server)
        with anyio.move_on_after(0.5) as scope:
            async with model_for(server).stream(PROMPT, provider_options=BACKGROUND) as stream:
                await drain(stream)
        assert scope.cancelled_caught
    assert server.summaries() == [POST, STREAM, CANCEL]


async def test_leaving_early_cancels_the_run_once() -> None:
    run = BackgroundInteraction(INTERACTION_ID, events=event_log())
    async with run_server() as server:
        run.install(server)
        async with model_for(server).stream(PROMPT, provider_options=BACKGROUND) as stream:
            async for part in stream:
                if part.type == "reasoning-start":
                    break
        await stream.aclose()  # a second close does nothing more
    assert server.summaries() == [POST, STREAM, CANCEL]
    assert run.cancelled == 1


async def test_leaving_after_completion_does_not_cancel() -> None:
    run = BackgroundInteraction(INTERACTION_ID, events=event_log())
    async with run_server() as server:
        run.install(server)
        async with model_for(server).stream(PROMPT, provider_options=BACKGROUND) as stream:
            async for part in stream:
                if part.type == "finish":
                    break  # before the end of the stream, but after the completed event
    assert server.summaries() == [POST, STREAM]
    assert run.cancelled == 0


async def test_a_detached_stream_is_not_cancelled() -> None:
    run = BackgroundInteraction(INTERACTION_ID, events=event_log())
    async with run_server() as server:
        run.install(server)
        async with model_for(server).stream(PROMPT, provider_options=BACKGROUND) as stream:
            async for part in stream:
                if part.type == "text-start":
                    cursor = stream.detach()
                    break
    assert cursor is not None
    assert cursor.interaction_id == INTERACTION_ID
    assert server.summaries() == [POST, STREAM]


async def test_cancellation_mid_backoff_cancels_the_run_once() -> None:
    run = BackgroundInteraction(INTERACTION_ID, events=event_log(), stream_plan=[("empty",)])
    slow = ResumePolicy(max_attempts=3, base_delay=30, id_in="query")
    async with run_server() as server:
        run.install(server)
        with anyio.move_on_after(0.5) as scope:
            async with model_for(server, slow).stream(PROMPT, provider_options=BACKGROUND) as s:
                await drain(s)
        assert scope.cancelled_caught
    assert server.summaries() == [POST, STREAM, CANCEL]
    assert run.cancelled == 1


async def test_an_error_event_ends_the_stream_without_cancel() -> None:
    error = {"event_type": "error", "event_id": "evt-err", "error": {"message": "agent crashed"}}
    events = [*event_log()[:4], error]
    run = BackgroundInteraction(INTERACTION_ID, events=events, stream_plan=[("hold", 5)])
    async with run_server() as server:
        run.install(server)
        with anyio.fail_after(5):
            async with model_for(server).stream(PROMPT, provider_options=BACKGROUND) as stream:
                got = await drain(stream)
    assert [p for p in got if p["type"] == "error"] == [
        {"type": "error", "error": {"message": "agent crashed", "type": "error", "data": error}}
    ]
    assert got[-1]["finishReason"] == {"unified": "error", "raw": "failed"}
    # Every start part has its end, even though the step never stopped.
    assert kinds(got).count("reasoning-start") == kinds(got).count("reasoning-end") == 1
    assert server.summaries() == [POST, STREAM]


async def test_a_terminal_post_is_synthesised_without_any_get() -> None:
    body = {
        "id": INTERACTION_ID,
        "status": "completed",
        "model": AGENT,
        "steps": [{"type": "model_output", "content": [{"type": "text", "text": "Done."}]}],
    }
    async with run_server() as server:
        server.add("POST", "/interactions", JsonReply(body))
        async with model_for(server).stream(PROMPT, provider_options=BACKGROUND) as stream:
            got = await drain(stream)
            assert stream.cursor is None  # a finished run has nothing to resume
    assert kinds(got) == [
        "stream-start",
        "response-metadata",
        "text-start",
        "text-delta",
        "text-end",
        "finish",
    ]
    assert texts(got) == "Done."
    assert server.summaries() == [POST]


async def test_a_background_post_without_id_fails_on_entry() -> None:
    async with run_server() as server:
        server.add("POST", "/interactions", JsonReply({"status": "in_progress"}))
        with pytest.raises(
            errors.InvalidResponseDataError, match="did not include an interaction id"
        ):
            async with model_for(server).stream(PROMPT, provider_options=BACKGROUND):
                pass
    assert server.summaries() == [POST]


async def test_a_plain_stream_left_early_sends_no_cancel() -> None:
    events = [sse_frame(e) for e in event_log()[:9]]
    async with run_server() as server:
        server.add("POST", "/interactions", SSEReply(events, hold_open=True))
        model = provider_for(server).interactions("gemini-2.5-flash")
        async with model.stream(PROMPT) as stream:
            async for part in stream:
                if part.type == "text-start":
                    break
    assert server.summaries() == [POST]


async def test_a_non_retryable_status_on_the_stream_is_raised_at_once() -> None:
    run = BackgroundInteraction(INTERACTION_ID, events=event_log())
    async with run_server() as server:
        server.add("POST", "/interactions", run.on_create)
        server.add(
            "GET",
            f"/interactions/{INTERACTION_ID}",
            JsonReply(
                {"error": {"code": 403, "message": "Denied.", "status": "PERMISSION_DENIED"}}, 403
            ),
        )
        with pytest.raises(errors.APICallError, match=r"^Denied\.") as caught:
            async with model_for(server).stream(PROMPT, provider_options=BACKGROUND) as stream:
                await drain(stream)
    assert caught.value.status_code == 403
    assert server.summaries() == [POST, STREAM]
