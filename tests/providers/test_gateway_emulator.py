"""The Gateway realtime model against partstream's emulator (a real hypercorn server)."""

from __future__ import annotations

import anyio
import pytest

from partstream import errors
from partstream.codecs import gateway as g
from partstream.emulator import run_emulator
from partstream.providers.gateway import create_gateway

pytestmark = pytest.mark.anyio

TOOL = {
    "type": "function",
    "name": "get_weather",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
}


async def test_a_text_turn_then_a_tool_turn_with_the_emulator() -> None:
    async with run_emulator() as emulator:
        model = create_gateway(
            api_key=emulator.gateway_api_key, base_url=emulator.gateway_base_url
        ).realtime("openai/gpt-realtime")
        config = {"outputModalities": ["text"], "tools": [TOOL]}
        with anyio.fail_after(20):
            async with model.connect(session_config=config) as session:
                await session.send_text_message("weather in Paris?")
                calls: list[g.FunctionCallArgumentsDone] = []
                text = ""
                responses = 0
                async for event in session:
                    assert not isinstance(event, g.ErrorEvent | g.UnknownServerEvent), event
                    if isinstance(event, g.FunctionCallArgumentsDone):
                        calls.append(event)
                        await session.add_tool_output(event.call_id, {"temp_c": 21})
                    elif isinstance(event, g.TextDelta):
                        text += event.delta
                    elif isinstance(event, g.ResponseDone):
                        responses += 1
                        if responses == 2:
                            break
    assert [c.name for c in calls] == ["get_weather"]
    assert text  # the follow-up response, requested once the tool output was in


async def test_minted_client_secrets_open_emulator_sessions() -> None:
    async with run_emulator() as emulator:
        provider = create_gateway(
            api_key=emulator.gateway_api_key, base_url=emulator.gateway_base_url
        )
        model = provider.realtime("openai/gpt-realtime")
        secret = await model.mint_client_secret(expires_after_seconds=60)
        assert secret.token != emulator.gateway_api_key
        browser = create_gateway(base_url=emulator.gateway_base_url).realtime("openai/gpt-realtime")
        with anyio.fail_after(20):
            async with browser.connect(token=secret.token, url=secret.url) as session:
                first = await session.receive()
        assert isinstance(first, g.SessionCreated | g.SessionUpdated)
        with pytest.raises(errors.WebSocketHandshakeError) as info:
            async with browser.connect(token="vck_not-a-key"):
                pass
        assert info.value.status_code == 401
