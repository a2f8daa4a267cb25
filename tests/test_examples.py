"""examples/stream_service.py end to end: emulator and service on hypercorn, real clients."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any

import anyio
import attrs
import httpx
import pytest
from examples.stream_service import create_app

from partstream import parts
from partstream.codecs.gateway import get_gateway_realtime_protocols
from partstream.emulator import Emulator, Script, run_emulator, serve_asgi
from partstream.transports.sse import SSEDecoder
from partstream.transports.websocket import WebSocketConnection, connect_websocket

pytestmark = pytest.mark.anyio


@attrs.frozen
class Stack:
    emulator: Emulator
    url: str


@pytest.fixture
async def stack() -> AsyncIterator[Stack]:
    async with run_emulator(script=Script(deltas=5)) as emulator:
        app = create_app(
            google_api_key=emulator.api_key,
            google_base_url=emulator.interactions_base_url,
            gateway_api_key=emulator.gateway_api_key,
            gateway_base_url=emulator.gateway_base_url,
        )
        async with serve_asgi(app) as served:
            yield Stack(emulator=emulator, url=served.url)


async def read_sse(client: httpx.AsyncClient, url: str, body: Any) -> list[str]:
    decoder = SSEDecoder()
    data: list[str] = []
    async with client.stream("POST", url, json=body) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        async for chunk in response.aiter_bytes():
            data.extend(event.data for event in decoder.feed(chunk))
    return data


async def test_chat_re_streams_the_parts_as_sse(stack: Stack) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        data = await read_sse(client, f"{stack.url}/chat", {"prompt": "Tell me about SSE"})
    assert data[-1] == "[DONE]"
    decoded = [parts.from_dict(json.loads(d)) for d in data[:-1]]
    assert isinstance(decoded[0], parts.StreamStart)
    assert isinstance(decoded[-1], parts.Finish)
    assert decoded[-1].finish_reason.unified == "stop"
    text = "".join(p.delta for p in decoded if isinstance(p, parts.TextDelta))
    assert text.startswith("You asked: Tell me about SSE.")
    assert len([p for p in decoded if isinstance(p, parts.TextDelta)]) == 5


async def test_chat_runs_background_interactions_too(stack: Stack) -> None:
    stack.emulator.app.script = Script(deltas=3, background_interval=0.005)
    async with httpx.AsyncClient(timeout=10) as client:
        data = await read_sse(client, f"{stack.url}/chat", {"prompt": "bg", "background": True})
    assert json.loads(data[-2])["type"] == "finish"
    posted = stack.emulator.app.requests_to("POST", "/v1beta/interactions")
    assert posted[-1].body["background"] is True


async def test_chat_rejects_a_bad_body(stack: Stack) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.post(f"{stack.url}/chat", content=b"nope")
        assert response.status_code == 400
        assert (await client.get(f"{stack.url}/")).text.startswith("<!doctype html>")


async def test_upstream_errors_reach_the_browser_in_band(stack: Stack) -> None:
    stack.emulator.app.faults = None
    async with httpx.AsyncClient(timeout=10) as client:
        stack.emulator.app.api_key = "another-key"  # the service's key is now wrong
        data = await read_sse(client, f"{stack.url}/chat", {"prompt": "x"})
    assert data[-1] == "[DONE]"
    errors = [json.loads(d) for d in data[:-1] if json.loads(d)["type"] == "error"]
    assert len(errors) == 1, data
    assert "API key not valid" in json.dumps(errors[0])
    assert "finish" not in [json.loads(d)["type"] for d in data[:-1]]


async def test_a_browser_that_leaves_cancels_the_background_run(stack: Stack) -> None:
    stack.emulator.app.script = Script(background_interval=5)
    port = int(stack.url.rsplit(":", 1)[1])
    body = json.dumps({"prompt": "slow", "background": True}).encode()
    request = (
        b"POST /chat HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    # A raw socket plays the browser, so that leaving is just closing the connection.
    received = b""
    async with await anyio.connect_tcp("127.0.0.1", port) as sock:
        await sock.send(request)
        with anyio.fail_after(10):
            while b'"response-metadata"' not in received:
                received += await sock.receive()
    match = re.search(rb'"type": "response-metadata", "id": "([^"]+)"', received)
    assert match is not None, received
    interaction_id = match.group(1).decode()
    with anyio.fail_after(10):
        while not stack.emulator.app.requests_to(
            "POST", f"/v1beta/interactions/{interaction_id}/cancel"
        ):
            await anyio.sleep(0.02)
    assert stack.emulator.app.interactions[interaction_id].status() == "cancelled"


async def relay_recv(ws: WebSocketConnection) -> dict[str, Any]:
    with anyio.fail_after(10):
        message = await ws.receive()
    assert isinstance(message, str)
    value = json.loads(message)
    assert isinstance(value, dict)
    return value


async def test_realtime_relay_carries_a_session_both_ways(stack: Stack) -> None:
    url = "ws" + stack.url.removeprefix("http") + "/realtime?model=openai/gpt-realtime"
    async with connect_websocket(url) as ws:
        assert (await relay_recv(ws))["type"] == "session-created"
        await ws.send_text(
            json.dumps({"type": "session-update", "config": {"outputModalities": ["text"]}})
        )
        assert (await relay_recv(ws))["type"] == "session-updated"
        await ws.send_text("not json")
        assert (await relay_recv(ws))["code"] == "relay"
        await ws.send_text(
            json.dumps(
                {
                    "type": "conversation-item-create",
                    "item": {"type": "text-message", "role": "user", "text": "relay me"},
                }
            )
        )
        await ws.send_text(json.dumps({"type": "response-create"}))
        events: list[dict[str, Any]] = []
        while not events or events[-1]["type"] != "response-done":
            events.append(await relay_recv(ws))
    done = next(e for e in events if e["type"] == "text-done")
    assert done["text"].startswith('You said "relay me".')
    # The Gateway session was the service's, authenticated with its key.
    session = stack.emulator.app.sessions[-1]
    assert session.model == "openai/gpt-realtime"


async def test_realtime_relay_reports_an_upstream_refusal(stack: Stack) -> None:
    stack.emulator.app.gateway_api_key = "rotated"
    url = "ws" + stack.url.removeprefix("http") + "/realtime"
    async with connect_websocket(url) as ws:
        error = await relay_recv(ws)
        assert error["type"] == "error"
        assert error["code"] == "upstream"
        with anyio.fail_after(10):
            while not ws.closed:
                try:
                    await ws.receive()
                except Exception:
                    break
    assert ws.close_code == 1011


async def test_the_emulator_also_accepts_the_relay_protocol_directly(stack: Stack) -> None:
    # The same client events work straight against the emulated Gateway (no relay).
    protocols = get_gateway_realtime_protocols(stack.emulator.gateway_api_key)
    async with connect_websocket(
        stack.emulator.realtime_url("openai/gpt-realtime"), subprotocols=protocols
    ) as ws:
        assert (await relay_recv(ws))["type"] == "session-created"
