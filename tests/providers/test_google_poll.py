"""``generate`` on background agent runs: polling, its limit, and cancel on the way out.

Every test runs against a real loopback server holding the interaction's state and
asserts the exact request sequence the server saw.
"""

from __future__ import annotations

import anyio
import anyio.lowlevel
import pytest
from tests.conformance._replay import BackgroundInteraction, JsonReply, run_server
from tests.providers._google_support import AGENT, API_KEY, INTERACTION_ID, PROMPT, provider_for

from partstream import errors
from partstream.providers.google import PollingPolicy

pytestmark = pytest.mark.anyio

GET = f"GET /v1beta/interactions/{INTERACTION_ID}"
POST = "POST /v1beta/interactions"
CANCEL = f"POST /v1beta/interactions/{INTERACTION_ID}/cancel"

BACKGROUND = {"google": {"background": True}}

FINAL = {
    "model": AGENT,
    "steps": [{"type": "model_output", "content": [{"type": "text", "text": "Report."}]}],
    "usage": {"total_input_tokens": 4, "total_output_tokens": 1, "total_tokens": 5},
}


class FakeTime:
    """An injectable clock and sleep: sleeping advances the clock at once."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await anyio.lowlevel.checkpoint()

    def policy(self, **kwargs: float) -> PollingPolicy:
        return PollingPolicy(clock=self.clock, sleep=self.sleep, **kwargs)


async def test_polls_with_doubling_delays_until_terminal() -> None:
    fake = FakeTime()
    run = BackgroundInteraction(
        INTERACTION_ID, poll_statuses=["in_progress"] * 6 + ["completed"], final_body=FINAL
    )
    async with run_server() as server:
        run.install(server)
        model = provider_for(server).interactions(agent=AGENT, polling=fake.policy())
        result = await model.generate(PROMPT, provider_options={"google": {"background": True}})
    assert server.summaries() == [POST] + [GET] * 7
    assert fake.sleeps == [1, 2, 4, 8, 10, 10, 10]  # 1 s doubling, capped at 10 s
    assert result.text == "Report."
    assert result.finish_reason.raw == "completed"
    assert result.response.id == INTERACTION_ID
    assert run.cancelled == 0
    # The polled GETs carry the same headers as the POST; no Api-Revision by default.
    assert {r.headers["x-goog-api-key"] for r in server.requests} == {API_KEY}
    assert not any("api-revision" in r.headers for r in server.requests)


async def test_a_pinned_api_revision_rides_every_request() -> None:
    run = BackgroundInteraction(INTERACTION_ID, poll_statuses=["in_progress"])
    async with run_server() as server:
        run.install(server)
        provider = provider_for(server, api_revision="2026-05-20")
        model = provider.interactions(agent=AGENT, polling=PollingPolicy(initial_delay=0.01))
        with anyio.move_on_after(0.2):
            await model.generate(PROMPT)  # cancelled while polling: POST, GETs, cancel
    assert server.summaries()[-1] == CANCEL
    assert {r.headers.get("api-revision") for r in server.requests} == {"2026-05-20"}


async def test_a_model_id_without_background_is_never_polled() -> None:
    async with run_server() as server:
        server.add("POST", "/interactions", JsonReply({"id": "v1_m", "status": "in_progress"}))
        result = await provider_for(server).interactions("gemini-2.5-flash").generate(PROMPT)
    assert server.summaries() == [POST]
    assert result.finish_reason.unified == "other"


async def test_a_model_id_with_background_is_polled_to_completion() -> None:
    # AI SDK 4.0.95: `background: true` calls of plain models are polled too.
    fake = FakeTime()
    run = BackgroundInteraction(
        INTERACTION_ID, poll_statuses=["in_progress", "completed"], final_body=FINAL
    )
    async with run_server() as server:
        run.install(server)
        model = provider_for(server).interactions("gemini-2.5-flash", polling=fake.policy())
        result = await model.generate(PROMPT, provider_options=BACKGROUND)
    assert server.summaries() == [POST, GET, GET]
    assert result.text == "Report."
    assert result.finish_reason.unified == "stop"


async def test_a_terminal_post_is_not_polled() -> None:
    run = BackgroundInteraction(INTERACTION_ID, initial_status="completed")
    async with run_server() as server:
        run.install(server)
        model = provider_for(server).interactions(agent=AGENT, polling=FakeTime().policy())
        await model.generate(PROMPT)
    assert server.summaries() == [POST]


async def test_a_post_without_id_fails_before_any_poll() -> None:
    async with run_server() as server:
        server.add("POST", "/interactions", JsonReply({"status": "in_progress"}))
        model = provider_for(server).interactions(agent=AGENT, polling=FakeTime().policy())
        with pytest.raises(errors.InvalidResponseDataError, match="without an id"):
            await model.generate(PROMPT)
    assert server.summaries() == [POST]


@pytest.mark.parametrize("limit_ms", [2500, 30_000])
async def test_never_terminal_times_out_and_leaves_the_run_alone(limit_ms: int) -> None:
    fake = FakeTime()
    run = BackgroundInteraction(INTERACTION_ID, poll_statuses=["in_progress"])
    async with run_server() as server:
        run.install(server)
        model = provider_for(server).interactions(agent=AGENT, polling=fake.policy())
        with pytest.raises(errors.PollingTimeoutError) as caught:
            await model.generate(
                PROMPT, provider_options={"google": {"pollingTimeoutMs": limit_ms}}
            )
    # The reference's message, and the id to fetch, resume or cancel the run with.
    assert str(caught.value) == (
        f"google.interactions: timed out polling interaction {INTERACTION_ID} after {limit_ms}ms."
    )
    assert caught.value.interaction_id == INTERACTION_ID
    assert caught.value.timeout_ms == limit_ms
    assert isinstance(caught.value, errors.TimeoutError)
    # Sleeps never run past the deadline, and they add up to it exactly.
    assert sum(fake.sleeps) == pytest.approx(limit_ms / 1000)
    assert all(s > 0 for s in fake.sleeps)
    # No cancel: the reference cancels only when the caller aborts.
    assert server.summaries() == [POST] + [GET] * len(fake.sleeps)
    assert run.cancelled == 0


async def test_the_default_limit_is_thirty_minutes() -> None:
    fake = FakeTime()
    run = BackgroundInteraction(INTERACTION_ID, poll_statuses=["in_progress"])
    async with run_server() as server:
        run.install(server)
        model = provider_for(server).interactions(agent=AGENT, polling=fake.policy())
        with pytest.raises(errors.PollingTimeoutError, match=r"after 1800000ms\.$"):
            await model.generate(PROMPT)
    assert fake.now == pytest.approx(1800.0)
    assert run.cancelled == 0


async def test_cancellation_mid_backoff_cancels_the_run_once() -> None:
    run = BackgroundInteraction(INTERACTION_ID, poll_statuses=["in_progress"])
    async with run_server() as server:
        run.install(server)
        # Real sleeps: the first poll after 10 ms, then a 20 ms backoff we interrupt.
        policy = PollingPolicy(initial_delay=0.01, max_delay=60)
        model = provider_for(server).interactions(agent=AGENT, polling=policy)
        with anyio.move_on_after(5) as outer:
            async with anyio.create_task_group() as tg:

                async def call() -> None:
                    await model.generate(PROMPT)

                tg.start_soon(call)
                while run.polls < 3:  # in the 40 ms backoff after the third GET
                    await anyio.sleep(0.005)
                tg.cancel_scope.cancel()
        assert not outer.cancelled_caught
    assert server.summaries() == [POST, GET, GET, GET, CANCEL]
    assert run.cancelled == 1


async def test_cancellation_during_the_post_sends_no_cancel() -> None:
    run = BackgroundInteraction(INTERACTION_ID)
    async with run_server() as server:
        run.install(server)
        model = provider_for(server).interactions(agent=AGENT, polling=FakeTime().policy())
        with anyio.CancelScope() as scope:
            scope.cancel()
            await model.generate(PROMPT)
    assert server.summaries() == []  # nothing was dispatched, so there is nothing to cancel
    assert run.cancelled == 0


async def test_a_failed_poll_is_raised_without_cancel() -> None:
    fake = FakeTime()
    async with run_server() as server:
        server.add(
            "POST", "/interactions", JsonReply({"id": INTERACTION_ID, "status": "in_progress"})
        )
        server.add(
            "GET",
            f"/interactions/{INTERACTION_ID}",
            JsonReply(
                {"error": {"code": 404, "message": "Not found.", "status": "NOT_FOUND"}}, 404
            ),
        )
        model = provider_for(server).interactions(agent=AGENT, polling=fake.policy())
        with pytest.raises(errors.APICallError, match=r"^Not found\."):
            await model.generate(PROMPT)
    assert server.summaries() == [POST, GET]


def test_polling_policy_validates() -> None:
    with pytest.raises(errors.InvalidArgumentError, match="initial_delay"):
        PollingPolicy(initial_delay=-1)
    with pytest.raises(errors.InvalidArgumentError, match="timeout"):
        PollingPolicy(timeout=float("inf"))
