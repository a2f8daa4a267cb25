"""The Google provider's surface: configuration, headers, secrecy of the key, errors."""

from __future__ import annotations

import logging
import socket
from typing import Any

import httpx
import pytest
from tests.conformance._replay import JsonReply, SSEReply, run_server, sse_frame
from tests.providers._google_support import API_KEY, PROMPT, drain, provider_for

from partstream import errors, parts
from partstream.providers.google import (
    API_KEY_ENV,
    API_REVISION,
    DEFAULT_BASE_URL,
    create_google,
)
from partstream.providers.google import __all__ as google_all

pytestmark = pytest.mark.anyio

COMPLETED: dict[str, Any] = {
    "id": "v1_done",
    "status": "completed",
    "model": "gemini-2.5-flash",
    "created": "2026-05-15T18:51:55Z",
    "steps": [{"type": "model_output", "content": [{"type": "text", "text": "Hi!"}]}],
    "usage": {"total_input_tokens": 3, "total_output_tokens": 2, "total_tokens": 5},
}


def test_public_names() -> None:
    assert google_all == sorted(google_all)
    assert DEFAULT_BASE_URL == "https://generativelanguage.googleapis.com/v1beta"
    assert API_REVISION == "2026-05-20"


def test_the_key_never_shows_in_a_repr() -> None:
    provider = create_google(api_key=API_KEY)
    model = provider.interactions("gemini-2.5-flash")
    agent = provider.interactions(agent="deep-research")
    for text in (repr(provider), str(provider), repr(model), repr(agent), f"{provider!r}"):
        assert API_KEY not in text
    assert "api_key=<set>" in repr(provider)
    assert model.model_id == "gemini-2.5-flash"
    assert model.agent is None
    assert agent.agent == "deep-research"
    assert provider.interactions(managed_agent="mine").agent == "mine"


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"model_id": "a", "agent": "b"}, {"agent": "a", "managed_agent": "b"}, {"model_id": ""}],
)
def test_interactions_needs_exactly_one_name(kwargs: dict[str, Any]) -> None:
    with pytest.raises(errors.InvalidArgumentError):
        create_google(api_key=API_KEY).interactions(**kwargs)


def test_bad_settings_are_refused() -> None:
    with pytest.raises(errors.InvalidArgumentError, match="max_response_size"):
        create_google(api_key=API_KEY, max_response_size=0)
    with pytest.raises(errors.InvalidArgumentError, match="cancel_timeout"):
        create_google(api_key=API_KEY, cancel_timeout=-1)
    for revision in ("", "2026-05-20\r\nx-evil: 1", 20260520):
        with pytest.raises(errors.InvalidArgumentError, match="api_revision") as info:
            create_google(api_key=API_KEY, api_revision=revision)  # type: ignore[arg-type]
        assert info.value.argument == "api_revision"


async def test_generate_sends_the_documented_request_and_returns_the_result() -> None:
    async with run_server() as server:
        server.add("POST", "/interactions", JsonReply(COMPLETED, headers=[("x-extra", "1")]))
        provider = create_google(
            api_key=API_KEY,
            base_url=server.base_url + "/",  # a trailing slash is dropped
            headers={"x-provider": "p", "x-gone": "p"},
        )
        result = await provider.interactions("gemini-2.5-flash").generate(
            PROMPT,
            temperature=0.5,
            headers={"x-call": "c", "x-gone": None, "x-provider": "override"},
        )
    [request] = server.requests
    assert request.method == "POST"
    assert request.path == "/v1beta/interactions"
    # No Api-Revision unless the provider pins one (as the AI SDK, which sends none).
    assert "api-revision" not in request.headers
    assert request.headers["x-goog-api-key"] == API_KEY
    assert request.headers["content-type"] == "application/json"
    assert request.headers["x-call"] == "c"
    assert request.headers["x-provider"] == "override"
    assert "x-gone" not in request.headers
    assert request.json() == {
        "model": "gemini-2.5-flash",
        "input": [{"type": "user_input", "content": [{"type": "text", "text": PROMPT}]}],
        "generation_config": {"temperature": 0.5},
    }
    assert result.text == "Hi!"
    assert result.finish_reason == parts.FinishReason(unified="stop", raw="completed")
    assert result.usage.input_tokens.total == 3
    assert result.provider_metadata == {"google": {"interactionId": "v1_done"}}
    assert result.request.body == request.json()
    assert result.response.id == "v1_done"
    assert result.response.model_id == "gemini-2.5-flash"
    assert result.response.headers["x-extra"] == "1"
    assert result.response.body == COMPLETED
    shape = result.to_dict()
    assert shape["response"]["timestamp"] == "2026-05-15T18:51:55.000Z"
    assert shape["content"] == [
        {
            "type": "text",
            "text": "Hi!",
            "providerMetadata": {"google": {"interactionId": "v1_done"}},
        }
    ]


async def test_the_key_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(API_KEY_ENV, "from-env-key")
    async with run_server() as server:
        server.add("POST", "/interactions", JsonReply(COMPLETED))
        provider = create_google(base_url=server.base_url)
        assert "from-env-key" not in repr(provider)
        await provider.interactions("gemini-2.5-flash").generate(PROMPT)
    assert server.requests[0].headers["x-goog-api-key"] == "from-env-key"


async def test_a_missing_key_fails_before_any_request(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(API_KEY_ENV, raising=False)
    async with run_server() as server:
        model = create_google(base_url=server.base_url).interactions("gemini-2.5-flash")
        with pytest.raises(errors.InvalidArgumentError, match=API_KEY_ENV):
            await model.generate(PROMPT)
        with pytest.raises(errors.InvalidArgumentError, match=API_KEY_ENV):
            model.stream(PROMPT)
    assert server.requests == []


async def test_google_error_bodies_become_api_call_errors_without_the_key() -> None:
    message = f"API key not valid: {API_KEY}. Please pass a valid API key."
    body = {"error": {"code": 400, "message": message, "status": "INVALID_ARGUMENT"}}
    async with run_server() as server:
        server.add("POST", "/interactions", JsonReply(body, status=400), repeat=True)
        model = provider_for(server).interactions("gemini-2.5-flash")
        with pytest.raises(errors.APICallError) as caught:
            await model.generate(PROMPT)
        with pytest.raises(errors.APICallError) as streamed:
            async with model.stream(PROMPT) as stream:
                await drain(stream)
    for exc in (caught.value, streamed.value):
        assert exc.status_code == 400
        assert not exc.is_retryable
        assert str(exc).startswith("API key not valid: ***. Please pass a valid API key.")
        assert API_KEY not in str(exc)
        assert API_KEY not in repr(exc.args)
    assert caught.value.response_body is not None
    assert API_KEY not in caught.value.response_body
    assert caught.value.data["error"]["status"] == "INVALID_ARGUMENT"


async def test_a_stream_error_keeps_googles_message() -> None:
    body = {
        "error": {"code": 429, "message": "Resource exhausted.", "status": "RESOURCE_EXHAUSTED"}
    }
    async with run_server() as server:
        server.add("POST", "/interactions", JsonReply(body, status=429))
        model = provider_for(server).interactions("gemini-2.5-flash")
        with pytest.raises(errors.APICallError, match=r"^Resource exhausted\.") as caught:
            async with model.stream(PROMPT) as stream:
                await drain(stream)
    assert caught.value.status_code == 429
    assert caught.value.is_retryable


async def test_error_bodies_that_are_not_google_errors_use_the_status_text() -> None:
    async with run_server() as server:
        server.add("POST", "/interactions", JsonReply(raw=b"<html>oops</html>", status=503))
        with pytest.raises(errors.APICallError, match="Service Unavailable") as caught:
            await provider_for(server).interactions("gemini-2.5-flash").generate(PROMPT)
    assert caught.value.response_body == "<html>oops</html>"
    assert caught.value.is_retryable


@pytest.mark.parametrize(
    "reply",
    [
        JsonReply(raw=b"{not json"),
        JsonReply(["not", "an", "object"]),
        JsonReply({"id": "v1", "status": "exploded"}),
    ],
)
async def test_invalid_success_bodies_are_invalid_response_data(reply: JsonReply) -> None:
    async with run_server() as server:
        server.add("POST", "/interactions", reply)
        with pytest.raises(errors.InvalidResponseDataError):
            await provider_for(server).interactions("gemini-2.5-flash").generate(PROMPT)


async def test_response_bodies_are_bounded() -> None:
    big = {**COMPLETED, "padding": "x" * 10_000}
    async with run_server() as server:
        server.add("POST", "/interactions", JsonReply(big))
        provider = provider_for(server, max_response_size=4096)
        with pytest.raises(errors.LimitExceededError, match="max_response_size") as caught:
            await provider.interactions("gemini-2.5-flash").generate(PROMPT)
    assert caught.value.value == 4096


async def test_a_refused_connection_is_a_connect_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    model = create_google(api_key=API_KEY, base_url=f"http://127.0.0.1:{port}/v1beta")
    with pytest.raises(errors.ConnectError):
        await model.interactions("gemini-2.5-flash").generate(PROMPT)
    with pytest.raises(errors.ConnectError):
        async with model.interactions("gemini-2.5-flash").stream(PROMPT) as stream:
            await drain(stream)


async def test_a_callers_client_is_used_and_left_open() -> None:
    seen: list[str] = []

    async def hook(request: httpx.Request) -> None:
        seen.append(request.url.path)

    async with run_server() as server, httpx.AsyncClient(event_hooks={"request": [hook]}) as client:
        server.add("POST", "/interactions", JsonReply(COMPLETED), repeat=True)
        model = provider_for(server, http_client=client).interactions("gemini-2.5-flash")
        await model.generate(PROMPT)
        await model.generate(PROMPT)
        assert not client.is_closed
    assert seen == ["/v1beta/interactions", "/v1beta/interactions"]


async def test_logs_never_carry_the_key(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with run_server() as server:
        server.add("POST", "/interactions", JsonReply(COMPLETED))
        server.add(
            "POST",
            "/interactions",
            SSEReply(
                [sse_frame({"event_type": "interaction.created", "interaction": {"id": "x"}})]
            ),
        )
        model = provider_for(server).interactions("gemini-2.5-flash")
        await model.generate(PROMPT)
        async with model.stream(PROMPT) as stream:
            await drain(stream)
    assert caplog.records  # httpx/httpcore did log the exchanges
    assert API_KEY not in caplog.text


async def test_stream_exposes_request_and_response_headers() -> None:
    events = [
        {"event_type": "interaction.created", "interaction": {"id": "v1_s", "model": "m"}},
        {"event_type": "step.start", "index": 0, "step": {"type": "model_output"}},
        {"event_type": "step.delta", "index": 0, "delta": {"type": "text", "text": "yo"}},
        {"event_type": "step.stop", "index": 0},
        {
            "event_type": "interaction.completed",
            "interaction": {"id": "v1_s", "status": "completed"},
        },
    ]
    async with run_server() as server:
        server.add(
            "POST",
            "/interactions",
            SSEReply([sse_frame(e) for e in events], headers=[("x-gemini-service-tier", "flex")]),
        )
        async with provider_for(server).interactions("gemini-2.5-flash").stream(PROMPT) as stream:
            got = await drain(stream)
            assert stream.cursor is None  # only background streams have one
    assert stream.request_body is not None
    assert stream.request_body["stream"] is True
    assert stream.response_headers is not None
    assert stream.response_headers["x-gemini-service-tier"] == "flex"
    # The header's tier reaches the finish part when the body states none.
    assert got[-1]["providerMetadata"] == {
        "google": {"interactionId": "v1_s", "serviceTier": "flex"}
    }
    [request] = server.requests
    assert "accept" not in request.headers or request.headers["accept"] == "*/*"
    assert "cache-control" not in request.headers


def test_path_segments_are_encoded_like_encode_uri_component() -> None:
    # The reference builds follow-up URLs with encodeURIComponent(interactionId).
    from partstream.providers._google_http import ApiConfig

    config = ApiConfig(
        base_url="http://127.0.0.1/v1beta", api_key=None, headers={}, http_client=None
    )
    assert config.url("interactions", "v1_a/b c!*'()~é", "cancel") == (
        "http://127.0.0.1/v1beta/interactions/v1_a%2Fb%20c!*'()~%C3%A9/cancel"
    )


def test_the_provider_name_setting() -> None:
    # The AI SDK's `name` setting: the model's provider is `<name>.interactions`.
    default = create_google(api_key=API_KEY).interactions("gemini-2.5-flash")
    assert default.provider == "google.generative-ai.interactions"
    named = create_google(api_key=API_KEY, name="my-google").interactions("gemini-2.5-flash")
    assert named.provider == "my-google.interactions"
    with pytest.raises(errors.InvalidArgumentError, match="name"):
        create_google(api_key=API_KEY, name="")
