"""The emulated Interactions API over real HTTP (hypercorn on 127.0.0.1, httpx client)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from tests.emulator._client import headers, read_stream, text_of, without_ids

from partstream.emulator import (
    MALFORMED_SSE_FRAME,
    Emulator,
    EmulatorApp,
    Faults,
    Script,
    run_emulator,
)
from partstream.emulator._interactions import ERROR_EVENT

pytestmark = pytest.mark.anyio

FIXTURES = (
    Path(__file__).resolve().parents[2].parent
    / "shared"
    / "conformance"
    / "interactions"
    / "fixtures"
)


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    async with run_emulator() as emu:
        yield emu


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as c:
        yield c


def create_url(emulator: Emulator) -> str:
    return f"{emulator.interactions_base_url}/interactions"


async def post_stream(
    client: httpx.AsyncClient, emulator: Emulator, prompt: str = "Hello!", **extra: str
) -> Any:
    return await read_stream(
        client,
        "POST",
        create_url(emulator),
        json_body={"model": "gemini-2.5-flash", "input": prompt, "stream": True},
        request_headers=headers(emulator, **extra),
    )


async def test_streaming_post_sends_data_only_sse_frames_with_unique_event_ids(
    emulator: Emulator, client: httpx.AsyncClient
) -> None:
    result = await post_stream(client, emulator, "Explain backpressure.")
    assert result.status == 200
    assert result.error is None
    frames = result.raw.split(b"\n\n")
    assert frames[-1] == b""
    assert all(f.startswith(b"data: {") and b"\n" not in f for f in frames[:-1])
    events = result.events
    assert events[0]["event_type"] == "interaction.created"
    assert events[0]["interaction"]["status"] == "in_progress"
    assert events[-1]["event_type"] == "interaction.completed"
    assert events[-1]["interaction"]["status"] == "completed"
    ids = [e["event_id"] for e in events]
    assert len(set(ids)) == len(ids)
    assert "Explain backpressure." in text_of(events)
    recorded = emulator.app.requests_to("POST", "/v1beta/interactions")[-1]
    assert recorded.headers["api-revision"] == "2026-05-20"
    assert recorded.body["stream"] is True


@pytest.mark.skipif(not FIXTURES.is_dir(), reason="../shared/conformance is not present")
async def test_event_shapes_cover_the_recorded_api_fixtures(
    emulator: Emulator, client: httpx.AsyncClient
) -> None:
    def shapes(events: list[dict[str, Any]]) -> dict[tuple[str, str], set[str]]:
        out: dict[tuple[str, str], set[str]] = {}
        for e in events:
            sub = e.get("step") or e.get("delta") or e.get("interaction") or {}
            key = (e["event_type"], str(sub.get("type", "")))
            out.setdefault(key, set()).update(e)
            out.setdefault((*key[:1], key[1] + "/inner"), set()).update(sub)
        return out

    for name, tools in (
        ("basic", []),
        (
            "tool-call-step1",
            [
                {
                    "type": "function",
                    "name": "getWeather",
                    "parameters": {
                        "type": "object",
                        "properties": {"location": {"type": "string"}},
                        "required": ["location"],
                    },
                }
            ],
        ),
    ):
        recorded = [
            json.loads(line)
            for line in (FIXTURES / f"{name}.chunks.txt").read_text().splitlines()
            if line.strip()
        ]
        result = await read_stream(
            client,
            "POST",
            create_url(emulator),
            json_body={
                "model": "gemini-2.5-flash",
                "input": "How are you?",
                "tools": tools,
                "stream": True,
            },
            request_headers=headers(emulator),
        )
        ours = shapes(result.events)
        for key, keys in shapes(recorded).items():
            assert key in ours, f"{name}: the emulator never sends {key}"
            assert keys <= ours[key], f"{name}: {key} lacks {keys - ours[key]}"
        assert [e["event_type"] for e in result.events][:3] == [e["event_type"] for e in recorded][
            :3
        ]


async def test_plain_post_answers_the_same_text_as_a_stream(
    emulator: Emulator, client: httpx.AsyncClient
) -> None:
    streamed = await post_stream(client, emulator, "Same prompt")
    response = await client.post(
        create_url(emulator),
        json={"model": "gemini-2.5-flash", "input": "Same prompt"},
        headers=headers(emulator),
    )
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "completed"
    assert body["model"] == "gemini-2.5-flash"
    assert [s["type"] for s in body["steps"]] == ["thought", "model_output"]
    assert body["steps"][1]["content"][0]["text"] == text_of(streamed.events)
    assert body["usage"] == streamed.events[-1]["interaction"]["usage"]
    fetched = await client.get(f"{create_url(emulator)}/{body['id']}", headers=headers(emulator))
    assert fetched.json()["steps"][0] == {
        "type": "user_input",
        "content": [{"type": "text", "text": "Same prompt"}],
    }
    assert fetched.json()["steps"][1:] == body["steps"]


async def test_store_false_is_stateless(emulator: Emulator, client: httpx.AsyncClient) -> None:
    body = {"model": "m", "input": "x", "store": False}
    plain = await client.post(create_url(emulator), json=body, headers=headers(emulator))
    assert plain.status_code == 200
    assert "id" not in plain.json()
    streamed = await read_stream(
        client,
        "POST",
        create_url(emulator),
        json_body={**body, "stream": True},
        request_headers=headers(emulator),
    )
    assert streamed.events[0]["interaction"]["id"] == ""
    assert streamed.events[-1]["interaction"]["status"] == "completed"
    assert emulator.app.interactions == {}


async def test_an_agent_run_names_the_agent(emulator: Emulator, client: httpx.AsyncClient) -> None:
    response = await client.post(
        create_url(emulator),
        json={"agent": "deep-research-pro-preview-12-2025", "input": "x", "background": True},
        headers=headers(emulator, **{"x-emulator-script": "background-interval=0"}),
    )
    body = response.json()
    assert body["agent"] == "deep-research-pro-preview-12-2025"
    assert "model" not in body
    assert body["status"] == "completed"


async def poll_until_terminal(
    client: httpx.AsyncClient, emulator: Emulator, interaction_id: str
) -> dict[str, Any]:
    with anyio.fail_after(10):
        while True:
            response = await client.get(
                f"{create_url(emulator)}/{interaction_id}", headers=headers(emulator)
            )
            body = response.json()
            if body["status"] != "in_progress":
                return dict(body)
            await anyio.sleep(0.01)


async def test_background_run_progresses_without_a_listener(
    emulator: Emulator, client: httpx.AsyncClient
) -> None:
    knobs = {"x-emulator-script": "background-interval=0.01"}
    response = await client.post(
        create_url(emulator),
        json={"model": "m", "input": "long task", "background": True},
        headers=headers(emulator, **knobs),
    )
    assert response.status_code == 200
    started = response.json()
    assert started["status"] == "in_progress"
    assert "steps" not in started
    final = await poll_until_terminal(client, emulator, started["id"])
    assert final["status"] == "completed"
    assert final["usage"]["total_tokens"] > 0
    assert [s["type"] for s in final["steps"]] == ["user_input", "thought", "model_output"]


async def test_background_stream_resumes_after_any_event_id(
    emulator: Emulator, client: httpx.AsyncClient
) -> None:
    response = await client.post(
        create_url(emulator),
        json={"model": "m", "input": "resume me", "background": True},
        headers=headers(emulator, **{"x-emulator-script": "background-interval=0.005"}),
    )
    interaction_id = response.json()["id"]
    url = f"{create_url(emulator)}/{interaction_id}?stream=true"
    # Joined while in progress: it replays what happened, then continues live to the end.
    full = await read_stream(client, "GET", url, request_headers=headers(emulator))
    assert full.error is None
    assert full.events[0]["event_type"] == "interaction.created"
    assert full.events[-1]["interaction"]["status"] == "completed"
    for k in (0, 3, len(full.events) - 2, len(full.events) - 1):
        rest = await read_stream(
            client,
            "GET",
            f"{url}&last_event_id={full.events[k]['event_id']}",
            request_headers=headers(emulator),
        )
        assert rest.events == full.events[k + 1 :]


async def test_a_dropped_stream_resumes_where_it_broke(
    emulator: Emulator, client: httpx.AsyncClient
) -> None:
    reference = await post_stream(client, emulator, "drop and resume")
    dropped = await post_stream(
        client, emulator, "drop and resume", **{"x-emulator-fault": "drop-after=5"}
    )
    assert isinstance(dropped.error, httpx.RemoteProtocolError)
    assert len(dropped.events) == 5
    interaction_id = dropped.events[0]["interaction"]["id"]
    rest = await read_stream(
        client,
        "GET",
        f"{create_url(emulator)}/{interaction_id}?stream=true&last_event_id={dropped.events[-1]['event_id']}",
        request_headers=headers(emulator),
    )
    assert rest.error is None
    assert without_ids(dropped.events + rest.events) == without_ids(reference.events)


async def test_cancel_ends_a_background_run_and_its_live_stream(
    emulator: Emulator, client: httpx.AsyncClient
) -> None:
    response = await client.post(
        create_url(emulator),
        json={"model": "m", "input": "slow", "background": True},
        headers=headers(emulator, **{"x-emulator-script": "background-interval=30"}),
    )
    interaction_id = response.json()["id"]
    url = f"{create_url(emulator)}/{interaction_id}"
    streamed: list[Any] = []

    async def listen() -> None:
        streamed.append(
            await read_stream(
                client, "GET", f"{url}?stream=true", request_headers=headers(emulator)
            )
        )

    async with anyio.create_task_group() as tg:
        tg.start_soon(listen)
        with anyio.fail_after(5):
            while not emulator.app.requests_to("GET", f"/v1beta/interactions/{interaction_id}"):
                await anyio.sleep(0.01)
        cancelled = await client.post(f"{url}/cancel", json={}, headers=headers(emulator))
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    events = streamed[0].events
    assert events[0]["event_type"] == "interaction.created"
    assert events[-2] == {
        **events[-2],
        "event_type": "interaction.status_update",
        "status": "cancelled",
    }
    assert events[-1]["event_type"] == "interaction.completed"
    assert events[-1]["interaction"]["status"] == "cancelled"
    assert (await client.get(url, headers=headers(emulator))).json()["status"] == "cancelled"
    again = await client.post(f"{url}/cancel", json={}, headers=headers(emulator))
    assert again.status_code == 400
    assert again.json()["error"]["status"] == "INVALID_ARGUMENT"


async def test_delete_forgets_an_interaction(emulator: Emulator, client: httpx.AsyncClient) -> None:
    created = await client.post(
        create_url(emulator), json={"model": "m", "input": "x"}, headers=headers(emulator)
    )
    url = f"{create_url(emulator)}/{created.json()['id']}"
    assert (await client.delete(url, headers=headers(emulator))).status_code == 200
    assert (await client.get(url, headers=headers(emulator))).status_code == 404


async def test_previous_interaction_id_must_exist_and_is_echoed(
    emulator: Emulator, client: httpx.AsyncClient
) -> None:
    first = await client.post(
        create_url(emulator), json={"model": "m", "input": "one"}, headers=headers(emulator)
    )
    previous = first.json()["id"]
    second = await client.post(
        create_url(emulator),
        json={"model": "m", "input": "two", "previous_interaction_id": previous},
        headers=headers(emulator),
    )
    assert second.json()["previous_interaction_id"] == previous
    missing = await client.post(
        create_url(emulator),
        json={"model": "m", "input": "two", "previous_interaction_id": "v1_nope"},
        headers=headers(emulator),
    )
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("request_headers", "code", "status"),
    [
        ({}, 403, "PERMISSION_DENIED"),
        ({"x-goog-api-key": "wrong"}, 400, "INVALID_ARGUMENT"),
    ],
)
async def test_api_key_is_checked(
    emulator: Emulator,
    client: httpx.AsyncClient,
    request_headers: dict[str, str],
    code: int,
    status: str,
) -> None:
    response = await client.post(
        create_url(emulator), json={"model": "m", "input": "x"}, headers=request_headers
    )
    assert response.status_code == code
    error = response.json()["error"]
    assert error["code"] == code
    assert error["status"] == status
    assert error["message"]


async def test_api_key_in_the_query_is_accepted(
    emulator: Emulator, client: httpx.AsyncClient
) -> None:
    response = await client.post(
        f"{create_url(emulator)}?key={emulator.api_key}", json={"model": "m", "input": "x"}
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"input": "x"}, 400),
        ({"model": "m", "agent": "a", "input": "x"}, 400),
        ({"model": "m"}, 400),
        ({"model": "m", "input": "x", "stream": True, "background": True}, 400),
        ({"model": "m", "input": "x", "background": True, "store": False}, 400),
        ({"model": "m", "input": "x", "tools": [{"type": "function"}]}, 400),
        ({"model": "m", "input": "x", "tools": "nope"}, 400),
        (["not", "an", "object"], 400),
    ],
)
async def test_bad_bodies_get_google_errors(
    emulator: Emulator, client: httpx.AsyncClient, body: Any, code: int
) -> None:
    response = await client.post(create_url(emulator), json=body, headers=headers(emulator))
    assert response.status_code == code
    assert response.json()["error"]["status"] == "INVALID_ARGUMENT"


async def test_routing_errors(emulator: Emulator, client: httpx.AsyncClient) -> None:
    h = headers(emulator)
    not_json = await client.post(create_url(emulator), content=b"{", headers=h)
    assert not_json.status_code == 400
    assert (await client.get(f"{create_url(emulator)}/v1_missing", headers=h)).json()["error"][
        "status"
    ] == "NOT_FOUND"
    assert (await client.get(f"{emulator.url}/v1beta/models", headers=h)).status_code == 404
    assert (await client.put(create_url(emulator), headers=h)).status_code == 405
    assert (await client.get(f"{emulator.url}/healthz")).json()["emulator"] == "partstream"
    created = await client.post(create_url(emulator), json={"model": "m", "input": "x"}, headers=h)
    bad_cursor = await client.get(
        f"{create_url(emulator)}/{created.json()['id']}?stream=true&last_event_id=zz.1", headers=h
    )
    assert bad_cursor.status_code == 400
    too_big = await client.post(
        create_url(emulator), content=b" " * (16 * 1024 * 1024 + 1), headers=h
    )
    assert too_big.status_code == 413


async def test_script_knobs_set_the_number_and_size_of_deltas(
    emulator: Emulator, client: httpx.AsyncClient
) -> None:
    result = await post_stream(
        client,
        emulator,
        "sizes",
        **{"x-emulator-script": "deltas=20; delta-chars=5; interval=0.001"},
    )
    texts = [
        e["delta"]["text"] for e in result.events if (e.get("delta") or {}).get("type") == "text"
    ]
    assert [len(t) for t in texts] == [5] * 20
    bad = await post_stream(client, emulator, "x", **{"x-emulator-script": "deltas=0"})
    assert bad.status == 400


async def test_instance_script_applies_to_every_request(client: httpx.AsyncClient) -> None:
    async with run_emulator(script=Script(deltas=3, thought_summary=False)) as emulator:
        result = await post_stream(client, emulator)
    kinds = [(e.get("delta") or {}).get("type") for e in result.events]
    assert kinds.count("text") == 3
    assert "thought_summary" not in kinds


# --- faults ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "status"), [(429, "RESOURCE_EXHAUSTED"), (503, "UNAVAILABLE"), (500, "INTERNAL")]
)
async def test_status_fault_answers_a_google_error(
    emulator: Emulator, client: httpx.AsyncClient, code: int, status: str
) -> None:
    result = await post_stream(client, emulator, **{"x-emulator-fault": f"status={code}"})
    assert result.status == code
    assert json.loads(result.raw)["error"] == {
        "code": code,
        "message": f"emulated fault: HTTP {code}",
        "status": status,
    }


async def test_error_fault_sends_an_error_event_and_ends_the_stream(
    emulator: Emulator, client: httpx.AsyncClient
) -> None:
    result = await post_stream(client, emulator, **{"x-emulator-fault": "error-after=3"})
    assert result.error is None  # a clean end, after the error event
    assert [e["event_type"] for e in result.events] == [
        "interaction.created",
        "interaction.status_update",
        "step.start",
        "error",
    ]
    assert result.events[-1] == ERROR_EVENT


async def test_random_drops_repeat_with_the_seed(
    emulator: Emulator, client: httpx.AsyncClient
) -> None:
    counts = []
    for seed in (7, 7, 8, 8):
        result = await post_stream(
            client,
            emulator,
            **{
                "x-emulator-fault": f"drop-probability=0.3; seed={seed}",
                "x-emulator-script": "deltas=40",
            },
        )
        assert isinstance(result.error, httpx.RemoteProtocolError)
        counts.append(len(result.events))
    assert counts[0] == counts[1]
    assert counts[2] == counts[3]
    always = await post_stream(client, emulator, **{"x-emulator-fault": "drop-probability=1"})
    assert always.events == []
    assert always.error is not None


async def test_stall_pauses_then_continues(emulator: Emulator, client: httpx.AsyncClient) -> None:
    reference = await post_stream(client, emulator, "stall")
    stalled = await post_stream(
        client, emulator, "stall", **{"x-emulator-fault": "stall-after=2; stall-seconds=0.05"}
    )
    assert stalled.error is None
    assert without_ids(stalled.events) == without_ids(reference.events)


async def test_stall_forever_holds_the_connection_open(
    emulator: Emulator, client: httpx.AsyncClient
) -> None:
    result = await read_stream(
        client,
        "POST",
        create_url(emulator),
        json_body={"model": "m", "input": "x", "stream": True},
        request_headers=headers(emulator, **{"x-emulator-fault": "stall-after=2"}),
        timeout=1.0,
    )
    assert isinstance(result.error, httpx.ReadTimeout)
    assert len(result.events) == 2


async def test_malformed_event_is_sent_once_among_good_ones(
    emulator: Emulator, client: httpx.AsyncClient
) -> None:
    reference = await post_stream(client, emulator, "bad")
    result = await post_stream(client, emulator, "bad", **{"x-emulator-fault": "malformed-after=3"})
    assert result.error is None
    assert result.raw.count(MALFORMED_SSE_FRAME) == 1
    assert "malformed" in result.events[3]
    assert without_ids(result.events[:3] + result.events[4:]) == without_ids(reference.events)


async def test_close_fault_ends_an_sse_stream_cleanly_but_early(
    emulator: Emulator, client: httpx.AsyncClient
) -> None:
    result = await post_stream(
        client, emulator, **{"x-emulator-fault": "close-code=1000; close-after=4"}
    )
    assert result.error is None
    assert len(result.events) == 4
    assert result.events[-1]["event_type"] != "interaction.completed"


async def test_json_answers_take_faults_too(emulator: Emulator, client: httpx.AsyncClient) -> None:
    body = {"model": "m", "input": "x"}
    with pytest.raises(httpx.RemoteProtocolError):
        await client.post(
            create_url(emulator),
            json=body,
            headers=headers(emulator, **{"x-emulator-fault": "drop-after=0"}),
        )
    malformed = await client.post(
        create_url(emulator),
        json=body,
        headers=headers(emulator, **{"x-emulator-fault": "malformed-after=0"}),
    )
    assert malformed.status_code == 200
    with pytest.raises(ValueError):
        malformed.json()
    stalled = await client.post(
        create_url(emulator),
        json=body,
        headers=headers(emulator, **{"x-emulator-fault": "stall-after=0; stall-seconds=0.01"}),
    )
    assert stalled.json()["status"] == "completed"


async def test_instance_faults_honour_target_and_times(client: httpx.AsyncClient) -> None:
    app = EmulatorApp(faults=Faults(drop_after=2, target="create", times=1))
    async with run_emulator(app=app) as emulator:
        first = await post_stream(client, emulator)
        assert len(first.events) == 2
        assert first.error is not None
        interaction_id = first.events[0]["interaction"]["id"]
        second = await post_stream(client, emulator)
        assert second.error is None
        url = f"{create_url(emulator)}/{interaction_id}?stream=true"
        app.faults = Faults(status=503, target="get")
        assert (await client.get(url, headers=headers(emulator))).status_code == 503
        assert (await post_stream(client, emulator)).error is None
        app.faults = None
        whole = await read_stream(client, "GET", url, request_headers=headers(emulator))
        assert whole.events[-1]["event_type"] == "interaction.completed"


async def test_instance_faults_can_target_streams_and_cancels(client: httpx.AsyncClient) -> None:
    app = EmulatorApp(faults=Faults(status=429, target="stream"))
    async with run_emulator(app=app) as emulator:
        h = headers(emulator)
        assert (await post_stream(client, emulator)).status == 429
        plain = await client.post(
            create_url(emulator), json={"model": "m", "input": "x"}, headers=h
        )
        assert plain.status_code == 200
        background = await client.post(
            create_url(emulator),
            json={"model": "m", "input": "x", "background": True},
            headers=headers(emulator, **{"x-emulator-script": "background-interval=30"}),
        )
        url = f"{create_url(emulator)}/{background.json()['id']}"
        assert (await client.get(f"{url}?stream=true", headers=h)).status_code == 429
        assert (await client.get(url, headers=h)).status_code == 200
        app.faults = Faults(status=500, target="cancel")
        assert (await client.post(f"{url}/cancel", json={}, headers=h)).status_code == 500
        assert app.interactions[background.json()["id"]].status() == "in_progress"


async def test_a_bad_fault_knob_is_a_400(emulator: Emulator, client: httpx.AsyncClient) -> None:
    response = await client.post(
        create_url(emulator),
        json={"model": "m", "input": "x"},
        headers=headers(emulator, **{"x-emulator-fault": "explode=1"}),
    )
    assert response.status_code == 400
    assert "unknown knob" in response.json()["error"]["message"]


async def test_shutdown_ends_open_streams(client: httpx.AsyncClient) -> None:
    results: list[Any] = []
    async with run_emulator() as emulator:

        async def listen() -> None:
            results.append(
                await post_stream(client, emulator, **{"x-emulator-fault": "stall-after=1"})
            )

        async with anyio.create_task_group() as tg:
            tg.start_soon(listen)
            with anyio.fail_after(5):
                while not emulator.app.requests:
                    await anyio.sleep(0.01)
            await anyio.sleep(0.05)
            emulator.app.close_connections()
    assert len(results[0].events) == 1
    assert results[0].error is not None


async def test_an_error_in_the_block_propagates_as_itself_and_the_server_stops() -> None:
    class Boom(Exception):
        pass

    port = 0
    with pytest.raises(Boom):
        async with run_emulator() as emulator:
            port = emulator.port
            async with httpx.AsyncClient() as c:
                assert (await c.get(f"{emulator.url}/healthz")).status_code == 200
            raise Boom
    async with httpx.AsyncClient() as c:
        with pytest.raises(httpx.ConnectError):
            await c.get(f"http://127.0.0.1:{port}/healthz")


async def test_cancelling_the_block_stops_the_server_cleanly() -> None:
    with anyio.move_on_after(0.2) as scope:
        async with run_emulator() as emulator:
            async with httpx.AsyncClient() as c:
                task_result = await read_stream(
                    c,
                    "POST",
                    create_url(emulator),
                    json_body={"model": "m", "input": "x", "stream": True},
                    request_headers=headers(emulator, **{"x-emulator-fault": "stall-after=1"}),
                )
            raise AssertionError(f"not cancelled: {task_result}")
    assert scope.cancelled_caught


def test_the_emulator_refuses_non_loopback_hosts() -> None:
    async def main() -> None:
        async with run_emulator(host="0.0.0.0"):
            pass

    with pytest.raises(ValueError, match="loopback"):
        anyio.run(main)
