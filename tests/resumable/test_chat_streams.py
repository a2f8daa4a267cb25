"""ChatStreams: answers produced in the service's task group, served from the log.

Real servers on loopback (hypercorn, httpx clients; the emulator for the model
cases), both stores, asyncio and trio: the POST streams exactly the converter's
chunks; a browser that leaves does not stop the answer and a reader that comes
later replays it whole; stop, replace and shutdown end the log as documented
(a background run cancelled upstream); errors at open are HTTP statuses; the
caps answer 503; and a background run's stored state continues the answer from
any point with ``model.resume`` + ``UIMessageStreamConverter.restore`` (the
takeover of issue 14, in one process).
"""

from __future__ import annotations

import json
from typing import Any

import anyio
import pytest
from tests.resumable._chat_app import Source, expected_bytes, frames, serving, streamed, text_parts
from tests.resumable.conftest import Stores

from partstream.emulator import Faults, Script, run_emulator
from partstream.errors import InvalidArgumentError, InvalidResponseDataError
from partstream.providers.google import create_google
from partstream.resumable import ChatStreams, MemoryStore, RedisStore, ResumableStore
from partstream.ui import UI_MESSAGE_STREAM_HEADERS, UIMessageStreamConverter, encode_chunk

pytestmark = pytest.mark.anyio

PARTS = text_parts(["Hello", ", ", "world", "!"])
BATCHES = [PARTS[:3], PARTS[3:5], PARTS[5:7], PARTS[7:]]


def chat_streams(store: ResumableStore, **options: Any) -> ChatStreams:
    options.setdefault("cleanup_timeout", 5.0)
    return ChatStreams(store, generate_message_id=lambda: "m1", **options)


async def test_the_post_streams_the_converters_chunks_from_the_log(store: ResumableStore) -> None:
    async with chat_streams(store) as chats, serving(chats) as (app, client):
        source = Source(BATCHES)
        app.sources["c1"] = [source]
        response = await client.post("/chat/c1")
        run = await store.find_run("c1")
    assert response.status_code == 200
    for key, value in UI_MESSAGE_STREAM_HEADERS.items():
        assert response.headers[key] == value
    assert response.content == expected_bytes(BATCHES, "m1")
    assert source.exited.is_set()
    assert source.exit_error is None
    assert run is not None
    assert run.end is not None
    assert (run.end.kind, run.message_id, run.state) == ("finish", "m1", None)


async def test_a_browser_that_leaves_does_not_stop_the_answer(store: ResumableStore) -> None:
    async with chat_streams(store) as chats, serving(chats) as (app, client):
        source = Source(BATCHES, gate_after=2)
        app.sources["c1"] = [source]
        async with streamed(client, "POST", "/chat/c1") as first:
            await first.until(b'"delta":", "')
        # The browser is gone (its connection closed); the answer waits at the gate.
        await source.reached_gate.wait()
        async with streamed(client, "GET", "/chat/c1/stream") as body:
            await body.until(b'"delta":", "')
            source.gate.set()
            whole = await body.rest()
        with anyio.fail_after(5):
            while chats.producing:
                await anyio.sleep(0.005)
        after = await client.get("/chat/c1/stream")
    # The reload replays the answer from its start, then follows it to the end.
    assert whole == expected_bytes(BATCHES, "m1")
    assert source.exit_error is None  # left normally, never cancelled
    assert after.status_code == 204
    assert after.content == b""


async def test_readers_replay_from_the_start_while_it_runs(store: ResumableStore) -> None:
    async with chat_streams(store) as chats, serving(chats) as (app, client):
        source = Source(BATCHES, gate_after=3)
        app.sources["c1"] = [source]
        async with anyio.create_task_group() as tg:
            bodies: list[bytes] = []

            async def post() -> None:
                bodies.append((await client.post("/chat/c1")).content)

            tg.start_soon(post)
            await source.reached_gate.wait()
            async with streamed(client, "GET", "/chat/c1/stream") as body:
                await body.until(b'"delta":", "')
                source.gate.set()
                bodies.append(await body.rest())
    assert bodies == [expected_bytes(BATCHES, "m1")] * 2


async def test_resume_answers_204_without_an_active_run(store: ResumableStore) -> None:
    async with chat_streams(store) as chats, serving(chats) as (_, client):
        response = await client.get("/chat/nobody/stream")
    assert response.status_code == 204
    assert response.content == b""
    assert "content-length" not in response.headers


async def test_stop_ends_the_log_with_abort(store: ResumableStore) -> None:
    async with chat_streams(store) as chats, serving(chats) as (app, client):
        source = Source(BATCHES, gate_after=2)
        app.sources["c1"] = [source]
        async with streamed(client, "POST", "/chat/c1") as body:
            await body.until(b'"delta":", "')
            stopped = await client.post("/chat/c1/stop")
            rest = await body.rest()
        again = await client.post("/chat/c1/stop")
        run = await store.find_run("c1")
    assert stopped.json() == {"stopped": True}
    assert again.json() == {"stopped": False}
    assert rest.endswith(b'data: {"type":"abort"}\n\ndata: [DONE]\n\n')
    assert isinstance(source.exit_error, anyio.get_cancelled_exc_class())
    assert run is not None
    assert run.end is not None
    assert run.end.kind == "abort"


async def test_a_new_message_replaces_the_running_answer(store: ResumableStore) -> None:
    async with chat_streams(store) as chats, serving(chats) as (app, client):
        first, second = Source(BATCHES, gate_after=2), Source(BATCHES)
        app.sources["c1"] = [first, second]
        async with streamed(client, "POST", "/chat/c1") as body:
            await body.until(b'"delta":", "')
            new = await client.post("/chat/c1")
            rest = await body.rest()
    assert rest.endswith(b'data: {"type":"abort"}\n\ndata: [DONE]\n\n')
    assert isinstance(first.exit_error, anyio.get_cancelled_exc_class())
    assert new.content == expected_bytes(BATCHES, "m1")


async def test_an_error_after_the_start_goes_in_band(store: ResumableStore) -> None:
    async with chat_streams(store) as chats, serving(chats) as (app, client):
        broken = Source(BATCHES[:2], fail_after=InvalidResponseDataError("bad event"))
        app.sources["c1"] = [broken]
        response = await client.post("/chat/c1")
    chunks = frames(response.content)
    assert chunks[-1] == {"type": "error", "errorText": "An error occurred."}
    assert chunks[0] == {"type": "start", "messageId": "m1"}
    assert response.content.endswith(b"data: [DONE]\n\n")


async def test_the_caps_answer_503(store: ResumableStore) -> None:
    async with (
        chat_streams(store, max_streams=1, max_readers=1) as chats,
        serving(chats) as (app, client),
    ):
        busy = Source(BATCHES, gate_after=1)
        app.sources["a"] = [busy]
        app.sources["b"] = [Source(BATCHES), Source(BATCHES)]
        async with streamed(client, "POST", "/chat/a") as body:
            await body.until(b'"type":"start"')
            refused = await client.post("/chat/b")
            reader = await client.get("/chat/a/stream")  # the POST holds the one reader slot
            busy.gate.set()
            await body.rest()
        with anyio.fail_after(5):
            while chats.producing:
                await anyio.sleep(0.005)
        served = await client.post("/chat/b")
    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "1"
    assert reader.status_code == 503
    assert "Too many chat streams" in reader.text
    assert served.content == expected_bytes(BATCHES, "m1")


async def test_shutdown_ends_what_still_runs(store: ResumableStore) -> None:
    source = Source(BATCHES, gate_after=1)
    async with chat_streams(store) as chats:
        async with serving(chats) as (app, client):
            app.sources["c1"] = [source]
            async with streamed(client, "POST", "/chat/c1") as post:
                await post.until(b'"type":"start"')
                await source.reached_gate.wait()
        # The browser left; the answer waits at its gate when the service shuts down.
        assert chats.producing == 1
    run = await store.find_run("c1")
    assert run is not None
    assert run.end is not None
    assert run.end.kind == "error"
    chunks = [json.loads(c) async for c in store.read("c1")]
    assert chunks[-1] == {"type": "error", "errorText": "The server is restarting; ask again."}
    assert isinstance(source.exit_error, anyio.get_cancelled_exc_class())


async def test_keep_alive_comments_while_the_answer_is_quiet(anyio_backend: str) -> None:
    async with (
        chat_streams(MemoryStore(), keep_alive=0.05) as chats,
        serving(chats) as (app, client),
    ):
        source = Source(BATCHES, gate_after=1)
        app.sources["c1"] = [source]
        async with streamed(client, "POST", "/chat/c1") as body:
            await body.until(b": keep-alive\n\n")
            source.gate.set()
            got = await body.rest()
    assert got.startswith(b": stream-open\n\n")  # as the reference's keepAliveMs does
    comments = got.removeprefix(b": stream-open\n\n").replace(b": keep-alive\n\n", b"")
    assert comments == expected_bytes(BATCHES, "m1")


async def test_arguments_and_lifespan_are_checked(anyio_backend: str) -> None:
    with pytest.raises(InvalidArgumentError, match="max_streams"):
        ChatStreams(MemoryStore(), max_streams=0)
    with pytest.raises(InvalidArgumentError, match="keep_alive"):
        ChatStreams(MemoryStore(), keep_alive=0)
    chats = ChatStreams(MemoryStore())
    with pytest.raises(RuntimeError, match="lifespan"):
        await chats.start("c1", Source(BATCHES))
    async with chats:
        with pytest.raises(InvalidArgumentError, match="chat_id"):
            await chats.resume("bad{id}")


# -- with the emulator: errors at open, background runs ------------------------------------


async def test_an_upstream_429_at_open_is_an_http_429(store: ResumableStore) -> None:
    async with run_emulator(faults=Faults(status=429)) as emulator:
        model = create_google(
            api_key=emulator.api_key, base_url=emulator.interactions_base_url
        ).interactions("gemini-2.5-flash")
        async with chat_streams(store) as chats, serving(chats) as (app, client):
            app.sources["c1"] = [model.stream("hello")]
            response = await client.post("/chat/c1")
            resumed = await client.get("/chat/c1/stream")
        logged = [json.loads(c) async for c in store.read("c1")]
    assert response.status_code == 429
    assert response.text == "The model provider is rate limited; try again later."
    assert resumed.status_code == 204  # the run ended (with the error) at once
    assert logged == [
        {"type": "start", "messageId": "m1"},
        {"type": "error", "errorText": "An error occurred."},
    ]


async def test_stop_cancels_a_background_run_upstream(store: ResumableStore) -> None:
    async with run_emulator(script=Script(deltas=50, background_interval=0.02)) as emulator:
        model = create_google(
            api_key=emulator.api_key, base_url=emulator.interactions_base_url
        ).interactions("gemini-2.5-flash")
        background = {"google": {"background": True}}
        async with chat_streams(store) as chats, serving(chats) as (app, client):
            app.sources["c1"] = [model.stream("a long answer", provider_options=background)]
            async with streamed(client, "POST", "/chat/c1") as body:
                await body.until(b'"type":"text-delta"')
                stopped = await client.post("/chat/c1/stop")
                rest = await body.rest()
        run = await store.find_run("c1")
        assert run is not None
        assert run.interaction_id is not None
        cancels = emulator.app.requests_to(
            "POST", f"/v1beta/interactions/{run.interaction_id}/cancel"
        )
    assert stopped.json() == {"stopped": True}
    assert rest.endswith(b'data: {"type":"abort"}\n\ndata: [DONE]\n\n')
    assert len(cancels) == 1  # stop returned after the cancel: exactly one
    assert run.end is not None
    assert run.end.kind == "abort"


async def test_a_background_runs_state_continues_it_from_any_point(anyio_backend: str) -> None:
    # What a takeover does (issue 14), here in one process: from every state document
    # the producer stored, model.resume(cursor) + converter.restore(ui) give exactly
    # the rest of the log.
    store = MemoryStore(flush_interval=0)
    async with run_emulator(script=Script(deltas=6, background_interval=0.01)) as emulator:
        model = create_google(
            api_key=emulator.api_key, base_url=emulator.interactions_base_url
        ).interactions("gemini-2.5-flash")
        background = {"google": {"background": True}}
        states: dict[int, dict[str, Any]] = {}
        async with chat_streams(store) as chats, serving(chats) as (app, client):
            app.sources["c1"] = [model.stream("continue me", provider_options=background)]
            async with anyio.create_task_group() as tg:

                async def watch() -> None:
                    while True:
                        run = await store.find_run("c1")
                        if run is not None and run.state is not None:
                            states.setdefault(run.state_offset, run.state)
                        await anyio.sleep(0.001)

                tg.start_soon(watch)
                body = (await client.post("/chat/c1")).content
                tg.cancel_scope.cancel()
        log = [c async for c in store.read("c1")]
        assert b"data: " + b"\n\ndata: ".join(log) + b"\n\ndata: [DONE]\n\n" == body
        middle = [offset for offset in states if 0 < offset < len(log) - 2]
        assert len(middle) >= 3, sorted(states)
        for offset, state in states.items():
            assert set(state) == {"cursor", "ui"}
            conv = UIMessageStreamConverter()
            conv.restore(state["ui"])
            rest = []
            async with model.resume(state["cursor"]) as resumed:
                async for batch in resumed.batches():
                    rest += conv.feed(batch)
            rest += conv.finish()
            assert log[:offset] + [encode_chunk(c) for c in rest] == log, offset


async def test_two_chats_run_side_by_side(store: ResumableStore) -> None:
    async with chat_streams(store) as chats, serving(chats) as (app, client):
        one, two = Source(BATCHES, gate_after=2), Source(BATCHES, gate_after=2)
        app.sources.update({"one": [one], "two": [two]})
        bodies: dict[str, bytes] = {}
        async with anyio.create_task_group() as tg:

            async def post(chat: str) -> None:
                bodies[chat] = (await client.post(f"/chat/{chat}")).content

            tg.start_soon(post, "one")
            tg.start_soon(post, "two")
            await one.reached_gate.wait()
            await two.reached_gate.wait()
            assert chats.producing == 2
            two.gate.set()
            one.gate.set()
    assert bodies == {"one": expected_bytes(BATCHES, "m1"), "two": expected_bytes(BATCHES, "m1")}


# -- two workers on one store (issue 14 continues from here) --------------------------------


async def test_another_worker_serves_and_stops_the_answer(stores: Stores) -> None:
    # Worker A produces; worker B (another ChatStreams on another client of the same
    # store) replays it live and stops it: A's producer ends the log with abort.
    store_a = await stores.open()
    store_b = await stores.peer(store_a)
    async with (
        chat_streams(store_a) as chats_a,
        chat_streams(store_b) as chats_b,
        serving(chats_a) as (app_a, client_a),
        serving(chats_b) as (_, client_b),
    ):
        source = Source(BATCHES, gate_after=2)
        app_a.sources["c1"] = [source]
        async with streamed(client_a, "POST", "/chat/c1") as post:
            await post.until(b'"delta":", "')
            async with streamed(client_b, "GET", "/chat/c1/stream") as reader:
                await reader.until(b'"delta":", "')
                stopped = await client_b.post("/chat/c1/stop")
                on_b = await reader.rest()
            on_a = await post.rest()
        with anyio.fail_after(5):
            await source.exited.wait()
    assert stopped.json() == {"stopped": True}
    assert on_a == on_b  # one log, served by either worker
    assert on_a.endswith(b'data: {"type":"abort"}\n\ndata: [DONE]\n\n')
    assert isinstance(source.exit_error, anyio.get_cancelled_exc_class())
    assert chats_a.producing == 0


async def test_a_shutdown_hands_a_background_run_off_on_a_shared_store(
    redis_url: str, anyio_backend: str
) -> None:
    # On a shared store a shutting-down worker leaves its background run going
    # upstream (no cancel) and its log open with the lease released and the cursor
    # stored: what another worker takes over (issue 14).
    store = RedisStore(redis_url, key_prefix=f"handoff-{anyio_backend}", flush_interval=0.002)
    async with run_emulator(script=Script(deltas=40, background_interval=0.02)) as emulator:
        model = create_google(
            api_key=emulator.api_key, base_url=emulator.interactions_base_url
        ).interactions("gemini-2.5-flash")
        background = {"google": {"background": True}}
        async with store:
            async with chat_streams(store) as chats, serving(chats) as (app, client):
                app.sources["c1"] = [model.stream("hand me off", provider_options=background)]
                async with streamed(client, "POST", "/chat/c1") as post:
                    await post.until(b'"type":"text-delta"')
            run = await store.find_run("c1")
            assert run is not None
            interaction = run.interaction_id
            assert interaction is not None
            cancels = emulator.app.requests_to("POST", f"/v1beta/interactions/{interaction}/cancel")
            assert cancels == []
            assert run.active
            assert run.orphaned  # nobody holds the lease: ready for a takeover
            assert run.state is not None
            assert run.state["cursor"]["interactionId"] == interaction
            assert emulator.app.interactions[interaction].status() != "cancelled"
