"""The emulator as the loopback peer of partstream's own providers (both backends)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest

from partstream import errors, parts
from partstream.emulator import Emulator, Faults, Script, run_emulator
from partstream.providers.gateway import create_gateway
from partstream.providers.google import InteractionsModel, create_google
from partstream.transports.sse import ResumePolicy

pytestmark = pytest.mark.anyio

BACKGROUND = {"google": {"background": True}}
WEATHER = {
    "type": "function",
    "name": "getWeather",
    "description": "the weather",
    "inputSchema": {
        "type": "object",
        "properties": {"location": {"type": "string"}},
        "required": ["location"],
    },
}


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    async with run_emulator(script=Script(deltas=5, background_interval=0.005)) as emu:
        yield emu


def model_of(emulator: Emulator, **kwargs: Any) -> InteractionsModel:
    google = create_google(api_key=emulator.api_key, base_url=emulator.interactions_base_url)
    return google.interactions("gemini-2.5-flash", **kwargs)


async def collect(model: InteractionsModel, prompt: str, **options: Any) -> list[parts.Part]:
    async with model.stream(prompt, **options) as stream:
        return [part async for part in stream]


def text(items: list[parts.Part]) -> str:
    return "".join(p.delta for p in items if isinstance(p, parts.TextDelta))


def kinds(items: list[parts.Part]) -> list[str]:
    return [str(p.to_dict()["type"]) for p in items]


async def test_stream_and_generate_agree(emulator: Emulator) -> None:
    model = model_of(emulator)
    streamed = await collect(model, "Agree?")
    result = await model.generate("Agree?")
    assert text(streamed) == result.text
    assert text(streamed).startswith("You asked: Agree?")
    finish = streamed[-1]
    assert isinstance(finish, parts.Finish)
    assert finish.finish_reason.unified == "stop"
    assert finish.usage == result.usage
    assert kinds(streamed)[:3] == ["stream-start", "response-metadata", "reasoning-start"]


async def test_function_tools_give_a_tool_call(emulator: Emulator) -> None:
    items = await collect(model_of(emulator), "Weather in Paris?", tools=[WEATHER])
    calls = [p for p in items if isinstance(p, parts.ToolCall)]
    assert len(calls) == 1
    assert calls[0].tool_name == "getWeather"
    assert json.loads(calls[0].input) == {"location": "Weather in Paris?"}
    finish = items[-1]
    assert isinstance(finish, parts.Finish)
    assert finish.finish_reason.unified == "tool-calls"


async def test_google_search_gives_sources(emulator: Emulator) -> None:
    search = {"type": "provider", "id": "google.google_search", "name": "google_search", "args": {}}
    items = await collect(model_of(emulator), "news", tools=[search])
    sources = [p for p in items if isinstance(p, parts.UrlSource)]
    assert [s.url.split("?")[0] for s in sources] == [
        "https://search.emulator.invalid/result/1",
        "https://search.emulator.invalid/result/2",
    ]


async def test_background_stream_survives_drops_by_resuming(emulator: Emulator) -> None:
    model = model_of(emulator, resume=ResumePolicy(base_delay=0.01))
    reference = await collect(model, "resilient", provider_options=BACKGROUND)
    emulator.app.faults = Faults(drop_after=4, target="get", times=2)
    faulted = await collect(model, "resilient", provider_options=BACKGROUND)
    gets = [r for r in emulator.app.requests if r.method == "GET"]
    assert len(gets) >= 3  # the first stream, then two reconnections
    assert kinds(faulted) == kinds(reference)
    assert text(faulted) == text(reference)


async def test_status_fault_is_an_api_call_error(emulator: Emulator) -> None:
    emulator.app.faults = Faults(status=503, target="create")
    with pytest.raises(errors.APICallError) as info:
        await collect(model_of(emulator), "x")
    assert info.value.status_code == 503
    assert info.value.is_retryable


async def test_malformed_event_becomes_an_error_part_not_a_crash(emulator: Emulator) -> None:
    emulator.app.faults = Faults(malformed_after=3, target="create")
    items = await collect(model_of(emulator), "x")
    assert any(isinstance(p, parts.Error) for p in items)
    assert isinstance(items[-1], parts.Finish)


async def test_leaving_a_background_stream_early_cancels_it(emulator: Emulator) -> None:
    emulator.app.script = Script(background_interval=5)
    model = model_of(emulator)
    async with model.stream("slow", provider_options=BACKGROUND) as stream:
        async for part in stream:
            if isinstance(part, parts.ResponseMetadata):
                break
        interaction_id = stream.interaction_id
    assert interaction_id is not None
    assert emulator.app.interactions[interaction_id].status() == "cancelled"
    assert emulator.app.requests_to("POST", f"/v1beta/interactions/{interaction_id}/cancel")


async def test_realtime_session_and_close_fault(emulator: Emulator) -> None:
    gateway = create_gateway(api_key=emulator.gateway_api_key, base_url=emulator.gateway_base_url)
    model = gateway.realtime("openai/gpt-realtime")
    async with model.connect(session_config={"outputModalities": ["text"]}) as session:
        await session.send_text_message("hello")
        seen: list[dict[str, Any]] = []
        with anyio.fail_after(10):
            async for event in session:
                seen.append(event.to_dict())
                if seen[-1]["type"] == "response-done":
                    break
    done = next(e for e in seen if e["type"] == "text-done")
    assert done["text"].startswith('You said "hello".')
    minted = await model.mint_client_secret(expires_after_seconds=30)
    assert minted.token.startswith("vcst_")

    emulator.app.faults = Faults(close_code=4003, close_after=2, target="realtime")
    with pytest.raises(errors.ClosedByPeerError) as info:
        async with model.connect(session_config={}) as session:
            with anyio.fail_after(10):
                async for _ in session:
                    pass
    assert info.value.code == 4003
