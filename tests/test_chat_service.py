"""examples/chat_service.py end to end: hypercorn, the emulator, real clients (asyncio and trio).

The reference's own client in Node (``DefaultChatTransport.sendMessages`` +
``readUIMessageStream``, ``reconnectToStream``) against the service: the answer
equals what the reference makes of the emulator's parts for the same prompt;
reconnecting mid-answer gets the whole message; stop ends it (and cancels a
background run upstream); 204 when nothing is active; 503 at the cap; 400 at a
body limit; an upstream 429 at open becomes the transport's error. httpx covers
the rest: limits while reading, the page and its build hint, the realtime
client secret, the Redis store.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests._chat_stack import ChatStack, chat_stack, comparable, expected_message
from tests.reference.node import arun_driver, require_tool
from tests.resumable._chat_app import streamed

from partstream.emulator import Faults
from partstream.ui import ChatRequestLimits

pytestmark = pytest.mark.anyio


def _body(stack: ChatStack, chat_id: str, text: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": chat_id,
        "messages": [stack.user(text)],
        "trigger": "submit-message",
        "messageId": None,
        **extra,
    }


def _frames(text: str) -> list[dict[str, Any]]:
    return [json.loads(frame[6:]) for frame in text.split("\n\n") if frame.startswith("data: {")]


# -- the reference's client in Node -----------------------------------------------------------


def _send(stack: ChatStack, chat_id: str, text: str, body: Any = None, **more: Any) -> Any:
    return {"kind": "send", "chatId": chat_id, "messages": [stack.user(text)], "body": body, **more}


async def test_the_reference_client_against_the_service(anyio_backend: str) -> None:
    require_tool(shutil.which("node"), "node")
    limits = ChatRequestLimits(max_body_bytes=32 * 1024)
    async with chat_stack(max_streams=2, limits=limits) as stack:
        slow = {"chunks": 3}
        ops = [
            _send(stack, "plain", "Tell me about SSE", {"search": True}),
            _send(
                stack,
                "again",
                "Reconnect me",
                after={
                    **slow,
                    "ops": [
                        {"kind": "reconnect", "chatId": "again"},
                    ],
                },
            ),
            _send(
                stack,
                "halt",
                "Stop me",
                {"background": True},
                after={
                    **slow,
                    "ops": [
                        {"kind": "fetch", "method": "POST", "path": "/api/chat/halt/stop"},
                    ],
                },
            ),
            {"kind": "reconnect", "chatId": "nobody"},
            # Two answers at once fill the cap of two: the third is refused.
            _send(
                stack,
                "one",
                "First",
                after={
                    **slow,
                    "ops": [
                        _send(
                            stack,
                            "two",
                            "Second",
                            after={
                                **slow,
                                "ops": [
                                    _send(stack, "three", "Third"),
                                ],
                            },
                        ),
                    ],
                },
            ),
            _send(stack, "big", "x" * 40_000),
        ]
        results = (await arun_driver("ui_service.mjs", {"base": stack.url, "ops": ops}))["results"]
        plain, again, halt, nobody, one, big = results

        # The answer is what the reference makes of the emulator's parts for the prompt.
        assert plain["errors"] == []
        want = await expected_message(stack, [stack.user("Tell me about SSE")], {"search": True})
        assert comparable(plain["message"]) == comparable(want)
        kinds = [p["type"] for p in plain["message"]["parts"]]
        assert {"reasoning", "text", "tool-google_search", "source-url"} <= set(kinds)

        # Reconnecting mid-answer gives the whole message, from its start.
        (resumed,) = again["after"]
        assert resumed["errors"] == again["errors"] == []
        assert resumed["message"] == again["message"]
        assert resumed["chunks"] == again["chunks"]
        full = await expected_message(stack, [stack.user("Reconnect me")], {})
        assert comparable(again["message"]) == comparable(full)

        # Stop: the answer ends with abort, the background run is cancelled upstream.
        (stopped,) = halt["after"]
        assert json.loads(stopped["text"]) == {"stopped": True}
        assert halt["chunks"][-1] == {"type": "abort"}
        assert halt["errors"] == []
        assert len(stack.cancels()) == 1

        assert nobody == {"none": True}

        (two,) = one["after"]
        (three,) = two["after"]
        assert one["errors"] == two["errors"] == []
        assert three["error"]["statusCode"] == 503
        assert "Too many chat streams" in three["error"]["message"]

        assert big["error"]["statusCode"] == 400
        assert "max_body_bytes" in big["error"]["message"]

        # An upstream 429 at open: the transport's error, with the service's text.
        stack.emulator.app.faults = Faults(status=429, target="create", times=1)
        (limited,) = (
            await arun_driver(
                "ui_service.mjs",
                {"base": stack.url, "ops": [_send(stack, "limited", "Anyone there?")]},
            )
        )["results"]
    assert limited["error"]["statusCode"] == 429
    assert limited["error"]["message"] == "The model provider is rate limited; try again later."


# -- httpx: bounds, the page, realtime, Redis ------------------------------------------------


async def test_bounds_while_reading_and_bad_options(anyio_backend: str) -> None:
    limits = ChatRequestLimits(max_body_bytes=4096, max_messages=3)
    async with chat_stack(limits=limits) as stack, httpx.AsyncClient(base_url=stack.url) as client:
        announced = await client.post("/api/chat", content=b" " * 5000)  # Content-Length: 5000

        async def endless() -> Any:  # no Content-Length: refused once 4096 bytes went by
            for _ in range(5):
                yield b" " * 1024

        chunked = await client.post("/api/chat", content=endless())
        many = await client.post(
            "/api/chat",
            json={
                **_body(stack, "c", "hi"),
                "messages": [stack.user("a", f"u{i}") for i in range(4)],
            },
        )
        model = await client.post("/api/chat", json=_body(stack, "c", "hi", model="../etc"))
        flag = await client.post("/api/chat", json=_body(stack, "c", "hi", background="yes"))
        bad_id = await client.post("/api/chat/bad%7Bid%7D/stop")
        stop = await client.post("/api/chat/idle/stop")
    assert announced.status_code == chunked.status_code == 400
    assert "max_body_bytes" in announced.text
    assert "max_body_bytes" in chunked.text
    assert many.status_code == 400
    assert "max_messages" in many.text
    assert model.status_code == 400
    assert "Gemini model id" in model.text
    assert flag.status_code == 400
    assert "'background' must be true or false" in flag.text
    assert bad_id.status_code == 400
    assert stop.json() == {"stopped": False}


async def test_the_answer_goes_on_without_the_browser(anyio_backend: str) -> None:
    async with chat_stack() as stack, httpx.AsyncClient(base_url=stack.url) as client:
        async with streamed(
            client, "POST", "/api/chat", json_body=_body(stack, "c1", "Keep going")
        ) as post:
            assert post.status == 200
            await post.until(b'"text-delta"')
        # The POST's connection is gone; the reload reads the answer from its start.
        resumed = await client.get("/api/chat/c1/stream")
        after = await client.get("/api/chat/c1/stream")
        start = _frames(resumed.text)[0]
        named = await client.get(f"/api/chat/c1/stream?message={start['messageId']}")
    chunks = _frames(resumed.text)
    assert resumed.status_code == 200
    assert chunks[0]["type"] == "start"
    assert chunks[-1] == {"type": "finish", "finishReason": "stop"}
    assert "".join(c["delta"] for c in chunks if c["type"] == "text-delta").startswith(
        "You asked: Keep going."
    )
    assert after.status_code == 204  # ended: nothing active
    assert _frames(named.text) == chunks  # asked for by its message id: replayed whole


async def test_the_page_its_assets_and_the_build_hint(anyio_backend: str, tmp_path: Path) -> None:
    (tmp_path / "chat.js").write_text("console.log('chat')")
    async with chat_stack(web_dist=tmp_path) as stack, httpx.AsyncClient(base_url=stack.url) as c:
        page = await c.get("/")
        script = await c.get("/assets/chat.js")
        unknown = await c.get("/assets/secret.txt")
        missing = await c.get("/realtime")  # realtime.js was not built
    assert page.status_code == 200
    assert '<script type="module" src="/assets/chat.js">' in page.text
    assert 'name="viewport"' in page.text
    assert script.text == "console.log('chat')"
    assert unknown.status_code == 404
    assert missing.status_code == 503
    assert "python3 tasks.py web" in missing.text


async def test_realtime_client_secrets_for_browsers(anyio_backend: str) -> None:
    async with chat_stack() as stack, httpx.AsyncClient(base_url=stack.url) as client:
        minted = await client.post("/api/realtime/token", json={"sessionConfig": {}})
        stack.emulator.app.gateway_api_key = "rotated"  # the service's key is now wrong
        refused = await client.post("/api/realtime/token", json={})
    setup = minted.json()
    assert minted.status_code == 200
    assert minted.headers["cache-control"] == "no-store"
    assert setup["url"] == stack.emulator.realtime_url("openai/gpt-realtime")
    assert setup["token"] in stack.emulator.app.client_secrets
    assert refused.status_code == 401
    assert refused.text == "The AI Gateway refused the realtime session."
    assert stack.emulator.gateway_api_key not in refused.text


async def test_redis_url_logs_the_answers_in_redis(anyio_backend: str, redis_url: str) -> None:
    async with (
        chat_stack(redis_url=redis_url) as stack,
        httpx.AsyncClient(base_url=stack.url) as client,
    ):
        answer = await client.post("/api/chat", json=_body(stack, "redis-chat", "Via Redis"))
    chunks = _frames(answer.text)
    assert chunks[-1]["type"] == "finish"
    import coredis

    async with coredis.Redis.from_url(redis_url) as redis:
        keys = [key async for key in redis.scan_iter(match="*redis-chat*")]
    assert keys  # the run's records and log live in Redis


def test_the_page_is_built_from_the_reference_pins() -> None:
    # The page bundles the same `ai` (and its Gateway provider, zod) the Node tests
    # compare with; @ai-sdk/react is the release built against that `ai`.
    root = Path(__file__).resolve().parents[1]
    page = json.loads((root / "examples/web/package.json").read_text())["dependencies"]
    reference = json.loads((root / "tests/reference/package.json").read_text())["dependencies"]
    for name in ("ai", "@ai-sdk/gateway", "zod"):
        assert page[name] == reference[name], name
    assert all(version[0].isdigit() for version in page.values()), page  # exact pins
    react = root / "examples/web/node_modules/@ai-sdk/react/package.json"
    if react.exists():  # installed (python3 tasks.py web): its own `ai` is ours
        assert json.loads(react.read_text())["dependencies"]["ai"] == page["ai"]
