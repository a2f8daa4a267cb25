"""The emulated Gateway realtime endpoint through partstream's own WebSocket client."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpx
import pytest

from partstream.codecs.gateway import get_gateway_realtime_protocols
from partstream.emulator import MALFORMED_WS_MESSAGE, Emulator, EmulatorApp, Faults, run_emulator
from partstream.errors import ClosedByPeerError, ConnectionClosed, WebSocketHandshakeError
from partstream.transports.websocket import WebSocketConnection, connect_websocket

pytestmark = pytest.mark.anyio

MODEL = "openai/gpt-realtime"
TOOL = {
    "type": "function",
    "name": "lookup",
    "description": "look something up",
    "parameters": {
        "type": "object",
        "properties": {"query": {"type": "string"}},
        "required": ["query"],
    },
}


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    async with run_emulator() as emu:
        yield emu


def protocols(emulator: Emulator, token: str | None = None, team: str | None = None) -> list[str]:
    return get_gateway_realtime_protocols(token or emulator.gateway_api_key, team)


async def recv(ws: WebSocketConnection) -> dict[str, Any]:
    with anyio.fail_after(5):
        message = await ws.receive()
    assert isinstance(message, str)
    value = json.loads(message)
    assert isinstance(value, dict)
    return value


async def send(ws: WebSocketConnection, event: dict[str, Any]) -> None:
    await ws.send_text(json.dumps(event))


async def until(ws: WebSocketConnection, kind: str) -> list[dict[str, Any]]:
    events = []
    while True:
        event = await recv(ws)
        events.append(event)
        if event["type"] == kind:
            return events


async def test_session_created_then_updated(emulator: Emulator) -> None:
    async with connect_websocket(
        emulator.realtime_url(MODEL), subprotocols=protocols(emulator, team="my team")
    ) as ws:
        assert ws.subprotocol == "ai-gateway-realtime.v1"
        created = await recv(ws)
        assert created["type"] == "session-created"
        assert created["sessionId"]
        assert created["raw"]["session"] == {
            "id": created["sessionId"],
            "model": MODEL,
            "team": "my team",
        }
        await send(
            ws,
            {
                "type": "session-update",
                "config": {"instructions": "be brief", "outputModalities": ["text"]},
            },
        )
        updated = await recv(ws)
        assert updated["type"] == "session-updated"
        assert updated["raw"]["session"]["instructions"] == "be brief"


async def test_text_response_answers_the_last_user_message(emulator: Emulator) -> None:
    async with connect_websocket(
        emulator.realtime_url(MODEL), subprotocols=protocols(emulator)
    ) as ws:
        await recv(ws)
        await send(ws, {"type": "session-update", "config": {"outputModalities": ["text"]}})
        await recv(ws)
        item = {"type": "text-message", "role": "user", "text": "What is backpressure?"}
        await send(ws, {"type": "conversation-item-create", "item": item})
        added = await recv(ws)
        assert added["type"] == "conversation-item-added"
        assert added["item"] == item
        await send(ws, {"type": "response-create"})
        events = await until(ws, "response-done")
    kinds = [e["type"] for e in events]
    assert kinds[:3] == ["response-created", "output-item-added", "content-part-added"]
    assert kinds[-4:] == ["text-done", "content-part-done", "output-item-done", "response-done"]
    deltas = [e["delta"] for e in events if e["type"] == "text-delta"]
    assert len(deltas) == 6
    done = next(e for e in events if e["type"] == "text-done")
    assert done["text"] == "".join(deltas)
    assert "What is backpressure?" in done["text"]
    response_id = events[0]["responseId"]
    assert all(e["responseId"] == response_id for e in events)
    assert events[-1]["status"] == "completed"


async def test_audio_response_by_default_with_a_transcript(emulator: Emulator) -> None:
    async with connect_websocket(
        emulator.realtime_url(MODEL), subprotocols=protocols(emulator)
    ) as ws:
        await recv(ws)
        await send(
            ws,
            {
                "type": "conversation-item-create",
                "item": {"type": "text-message", "role": "user", "text": "hi"},
            },
        )
        await recv(ws)
        await send(ws, {"type": "response-create"})
        events = await until(ws, "response-done")
    audio = [base64.b64decode(e["delta"]) for e in events if e["type"] == "audio-delta"]
    assert [len(a) for a in audio] == [960] * 4
    assert len(set(audio)) > 1  # a tone, not silence repeated
    transcript = next(e for e in events if e["type"] == "audio-transcript-done")["transcript"]
    assert transcript == "".join(
        e["delta"] for e in events if e["type"] == "audio-transcript-delta"
    )
    assert "audio-done" in [e["type"] for e in events]


async def test_tools_in_the_session_give_a_function_call_then_an_answer(emulator: Emulator) -> None:
    async with connect_websocket(
        emulator.realtime_url(MODEL), subprotocols=protocols(emulator)
    ) as ws:
        await recv(ws)
        await send(
            ws,
            {"type": "session-update", "config": {"tools": [TOOL], "outputModalities": ["text"]}},
        )
        await recv(ws)
        await send(
            ws,
            {
                "type": "conversation-item-create",
                "item": {"type": "text-message", "role": "user", "text": "find cats"},
            },
        )
        await recv(ws)
        await send(ws, {"type": "response-create"})
        events = await until(ws, "response-done")
        done = next(e for e in events if e["type"] == "function-call-arguments-done")
        assert done["name"] == "lookup"
        assert json.loads(done["arguments"]) == {"query": "find cats"}
        pieces = [e["delta"] for e in events if e["type"] == "function-call-arguments-delta"]
        assert "".join(pieces) == done["arguments"]
        output = {
            "type": "function-call-output",
            "callId": done["callId"],
            "name": "lookup",
            "output": "42 cats",
        }
        await send(ws, {"type": "conversation-item-create", "item": output})
        await recv(ws)
        await send(ws, {"type": "response-create"})
        answer = await until(ws, "response-done")
    text = next(e for e in answer if e["type"] == "text-done")["text"]
    assert "lookup tool returned 42 cats" in text


async def test_audio_input_append_commit_clear(emulator: Emulator) -> None:
    chunk = base64.b64encode(b"\x01\x00" * 100).decode()
    async with connect_websocket(
        emulator.realtime_url(MODEL), subprotocols=protocols(emulator)
    ) as ws:
        await recv(ws)
        await send(
            ws, {"type": "session-update", "config": {"inputAudioTranscription": {"model": "x"}}}
        )
        await recv(ws)
        await send(ws, {"type": "input-audio-append", "audio": chunk})
        await send(ws, {"type": "input-audio-append", "audio": chunk})
        await send(ws, {"type": "input-audio-commit"})
        committed = await recv(ws)
        assert committed["type"] == "audio-committed"
        added = await recv(ws)
        assert added == {**added, "type": "conversation-item-added", "itemId": committed["itemId"]}
        transcribed = await recv(ws)
        assert transcribed["type"] == "input-transcription-completed"
        assert transcribed["transcript"] == "[400 bytes of audio]"
        await send(ws, {"type": "input-audio-append", "audio": chunk})
        await send(ws, {"type": "input-audio-clear"})
        cleared = await recv(ws)
        assert cleared["type"] == "custom"
        assert cleared["rawType"] == "input_audio_buffer.cleared"
        await send(ws, {"type": "input-audio-commit"})
        assert (await recv(ws))["code"] == "input_audio_buffer_commit_empty"
        await send(
            ws,
            {
                "type": "conversation-item-truncate",
                "itemId": committed["itemId"],
                "contentIndex": 0,
                "audioEndMs": 10,
            },
        )
        assert (await recv(ws))["rawType"] == "conversation.item.truncated"


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ("not json", "invalid_json"),
        ("[1, 2]", "invalid_event"),
        ('{"type": "dance"}', "unknown_event_type"),
        ('{"type": "session-update"}', "invalid_event"),
        ('{"type": "session-update", "config": {"tools": [1]}}', "invalid_event"),
        ('{"type": "input-audio-append", "audio": "***"}', "invalid_audio"),
        ('{"type": "input-audio-append", "audio": 5}', "invalid_audio"),
        ('{"type": "conversation-item-create", "item": {"type": "video"}}', "invalid_item"),
        ('{"type": "conversation-item-create", "item": {"type": "text-message"}}', "invalid_item"),
        (
            '{"type": "conversation-item-create", "item": {"type": "function-call-output"}}',
            "invalid_item",
        ),
        ('{"type": "conversation-item-truncate", "itemId": "nope"}', "item_not_found"),
        ('{"type": "response-create", "options": 3}', "invalid_event"),
        ('{"type": "response-cancel"}', "response_cancel_not_active"),
    ],
)
async def test_bad_client_events_get_error_events_and_the_session_stays(
    emulator: Emulator, message: str, code: str
) -> None:
    async with connect_websocket(
        emulator.realtime_url(MODEL), subprotocols=protocols(emulator)
    ) as ws:
        await recv(ws)
        await ws.send_text(message)
        error = await recv(ws)
        assert error["type"] == "error"
        assert error["code"] == code
        assert error["message"]
        await send(ws, {"type": "session-update", "config": {}})
        assert (await recv(ws))["type"] == "session-updated"


async def test_binary_messages_get_an_error_event(emulator: Emulator) -> None:
    async with connect_websocket(
        emulator.realtime_url(MODEL), subprotocols=protocols(emulator)
    ) as ws:
        await recv(ws)
        await ws.send_bytes(b"\x00\x01")
        assert (await recv(ws))["code"] == "invalid_event"


async def test_response_cancel_stops_a_paced_response(emulator: Emulator) -> None:
    url = emulator.realtime_url(MODEL) + "&emulator-script=interval%3D0.05%3Bdeltas%3D200"
    async with connect_websocket(url, subprotocols=protocols(emulator)) as ws:
        await recv(ws)
        await send(ws, {"type": "session-update", "config": {"outputModalities": ["text"]}})
        await recv(ws)
        await send(ws, {"type": "response-create"})
        await until(ws, "text-delta")
        await send(ws, {"type": "response-create"})
        busy = await until(ws, "error")
        assert busy[-1]["code"] == "conversation_already_has_active_response"
        await send(ws, {"type": "response-cancel"})
        events = await until(ws, "response-done")
    assert events[-1]["status"] == "cancelled"
    assert len([e for e in events if e["type"] == "text-delta"]) < 199


@pytest.mark.parametrize(
    ("subprotocols", "query", "status"),
    [
        (["ai-gateway-realtime.v1"], f"ai-model-id={MODEL}", 401),
        (["ai-gateway-realtime.v1", "ai-gateway-auth.wrong"], f"ai-model-id={MODEL}", 401),
        (None, "", 400),
        (None, f"ai-model-id={MODEL}&emulator-fault=status%3D503", 503),
        (None, f"ai-model-id={MODEL}&emulator-fault=bogus%3D1", 400),
    ],
)
async def test_handshake_refusals(
    emulator: Emulator, subprotocols: list[str] | None, query: str, status: int
) -> None:
    url = f"ws://127.0.0.1:{emulator.port}/v4/ai/realtime-model?{query}"
    with pytest.raises(WebSocketHandshakeError) as info:
        async with connect_websocket(url, subprotocols=subprotocols or protocols(emulator)):
            pass
    assert str(status) in str(info.value)


async def test_client_secret_is_minted_and_single_use(emulator: Emulator) -> None:
    async with httpx.AsyncClient() as client:
        url = f"{emulator.url}/v1/realtime/client-secrets"
        auth = {"authorization": f"Bearer {emulator.gateway_api_key}"}
        minted = await client.post(url, json={"model": MODEL, "expiresIn": 120}, headers=auth)
        assert minted.status_code == 200
        token = minted.json()["token"]
        assert token.startswith("vcst_")
        assert isinstance(minted.json()["expiresAt"], int)
        assert (await client.post(url, json={"model": MODEL})).status_code == 401
        assert (
            await client.post(url, json={"model": MODEL}, headers={"authorization": "Bearer x"})
        ).json()["error"]["type"] == "authentication_error"
        assert (await client.post(url, json={}, headers=auth)).json()["error"][
            "type"
        ] == "invalid_request_error"
        assert (
            await client.post(url, json={"model": MODEL, "expiresIn": 0}, headers=auth)
        ).status_code == 400
        assert (await client.get(url, headers=auth)).status_code == 405
        fault = await client.post(
            url, json={"model": MODEL}, headers={**auth, "x-emulator-fault": "status=429"}
        )
        assert fault.status_code == 429
        assert fault.json()["error"]["type"] == "rate_limit_exceeded"
    async with connect_websocket(
        emulator.realtime_url(MODEL), subprotocols=protocols(emulator, token)
    ) as ws:
        assert (await recv(ws))["type"] == "session-created"
    with pytest.raises(WebSocketHandshakeError):
        async with connect_websocket(
            emulator.realtime_url(MODEL), subprotocols=protocols(emulator, token)
        ):
            pass


# --- faults ----------------------------------------------------------------------------------


async def collect_until_closed(ws: WebSocketConnection) -> tuple[list[str], ConnectionClosed]:
    messages: list[str] = []
    with anyio.fail_after(5):
        while True:
            try:
                message = await ws.receive()
            except ConnectionClosed as exc:
                return messages, exc
            assert isinstance(message, str)
            messages.append(message)


async def talk(ws: WebSocketConnection) -> None:
    await send(ws, {"type": "session-update", "config": {"outputModalities": ["text"]}})
    await send(ws, {"type": "response-create"})


@pytest.mark.parametrize("code", [1000, 1011, 4001])
async def test_close_fault_closes_with_the_chosen_code(emulator: Emulator, code: int) -> None:
    url = f"{emulator.realtime_url(MODEL)}&emulator-fault=close-code%3D{code}%3Bclose-after%3D3"
    async with connect_websocket(url, subprotocols=protocols(emulator)) as ws:
        await talk(ws)
        messages, closed = await collect_until_closed(ws)
    assert len(messages) == 3
    assert isinstance(closed, ClosedByPeerError)
    assert closed.code == code


async def test_drop_fault_ends_the_session_with_1011(emulator: Emulator) -> None:
    url = f"{emulator.realtime_url(MODEL)}&emulator-fault=drop-after%3D2"
    async with connect_websocket(url, subprotocols=protocols(emulator)) as ws:
        await talk(ws)
        messages, closed = await collect_until_closed(ws)
    assert len(messages) == 2
    assert closed.code == 1011


async def test_malformed_fault_sends_one_non_json_message(emulator: Emulator) -> None:
    url = f"{emulator.realtime_url(MODEL)}&emulator-fault=malformed-after%3D1"
    async with connect_websocket(url, subprotocols=protocols(emulator)) as ws:
        assert (await recv(ws))["type"] == "session-created"
        await talk(ws)
        with anyio.fail_after(5):
            assert await ws.receive() == MALFORMED_WS_MESSAGE
        assert (await recv(ws))["type"] == "session-updated"


async def test_stall_fault_delays_then_resumes(emulator: Emulator) -> None:
    url = f"{emulator.realtime_url(MODEL)}&emulator-fault=stall-after%3D1%3Bstall-seconds%3D0.05"
    async with connect_websocket(url, subprotocols=protocols(emulator)) as ws:
        await recv(ws)
        await talk(ws)
        events = await until(ws, "response-done")
    assert events[0]["type"] == "session-updated"


async def test_instance_faults_target_realtime_sessions(emulator: Emulator) -> None:
    emulator.app.faults = Faults(close_code=4002, close_after=0, target="realtime", times=1)
    async with connect_websocket(
        emulator.realtime_url(MODEL), subprotocols=protocols(emulator)
    ) as ws:
        messages, closed = await collect_until_closed(ws)
    assert messages == []
    assert closed.code == 4002
    async with connect_websocket(
        emulator.realtime_url(MODEL), subprotocols=protocols(emulator)
    ) as ws:
        assert (await recv(ws))["type"] == "session-created"


async def test_random_drop_is_seeded(emulator: Emulator) -> None:
    counts = []
    for _ in range(2):
        url = f"{emulator.realtime_url(MODEL)}&emulator-fault=drop-probability%3D0.2%3Bseed%3D3"
        async with connect_websocket(url, subprotocols=protocols(emulator)) as ws:
            await talk(ws)
            messages, closed = await collect_until_closed(ws)
        assert closed.code == 1011
        counts.append(len(messages))
    assert counts[0] == counts[1]


async def test_any_gateway_key_when_the_emulator_accepts_any() -> None:
    async with (
        run_emulator(app=EmulatorApp(gateway_api_key=None)) as emulator,
        connect_websocket(
            emulator.realtime_url(MODEL), subprotocols=protocols(emulator, "whatever")
        ) as ws,
    ):
        assert (await recv(ws))["type"] == "session-created"
