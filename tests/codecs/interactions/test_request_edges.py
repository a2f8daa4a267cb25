"""Request building edges: the target, each call option's argument, options that reach the body."""

from __future__ import annotations

from typing import Any

import pytest

from partstream import parts
from partstream.codecs.interactions import InteractionsTarget, prepare_request
from partstream.errors import InvalidArgumentError

MODEL = InteractionsTarget("gemini-2.5-flash")
AGENT = InteractionsTarget(agent="deep-research-pro-preview-12-2025")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


def google(**options: Any) -> dict[str, Any]:
    return {"google": options}


def test_the_target_takes_agents_by_keyword_only() -> None:
    with pytest.raises(TypeError):
        InteractionsTarget("m", "a")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        InteractionsTarget(None, "a")  # type: ignore[call-arg]
    for kwargs in ({}, {"model_id": "m", "agent": "a"}, {"agent": "a", "managed_agent": "b"}):
        with pytest.raises(InvalidArgumentError) as info:
            InteractionsTarget(**kwargs)
        assert info.value.argument == "model"
    with pytest.raises(InvalidArgumentError) as info:
        prepare_request("gemini-2.5-flash", prompt="x")  # type: ignore[arg-type]
    assert info.value.argument == "model"


@pytest.mark.parametrize(
    ("name", "bad"),
    [
        ("max_output_tokens", 1.5),
        ("seed", "1"),
        ("temperature", "hot"),
        ("top_p", "x"),
        ("top_k", float("inf")),
        ("presence_penalty", True),
        ("frequency_penalty", [1]),
        ("stop_sequences", "END"),
        ("response_format", {"type": "xml"}),
        ("tools", "f"),
        ("tools", ""),
    ],
)
def test_each_bad_call_option_names_itself(name: str, bad: Any) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        prepare_request(MODEL, prompt="x", **{name: bad})
    assert info.value.argument == name


def test_the_request_exposes_the_options_it_was_built_with() -> None:
    plain = prepare_request(MODEL, prompt="x")
    assert (plain.polling_timeout_ms, plain.store, plain.previous_interaction_id) == (
        None,
        None,
        None,
    )
    assert plain.background is False
    options = google(
        pollingTimeoutMs=5000, store=False, previousInteractionId="v1_p", background=True
    )
    built = prepare_request(MODEL, prompt="x", stream=True, provider_options=options)
    assert (built.polling_timeout_ms, built.store, built.previous_interaction_id) == (
        5000,
        False,
        "v1_p",
    )
    assert built.background is True
    assert "stream" not in built.body  # a background call is read by GET later
    assert prepare_request(MODEL, prompt="x", stream=True).body["stream"] is True


def test_provider_response_format_entries_reach_the_body() -> None:
    options = google(
        responseFormat=[
            {"type": "text", "mimeType": "text/x", "schema": {"type": "string"}},
            {"type": "image", "mimeType": "image/jpeg", "aspectRatio": "1:1", "imageSize": "2K"},
            {"type": "audio", "mimeType": "audio/wav"},
        ]
    )
    body = prepare_request(MODEL, prompt="x", provider_options=options).body
    assert body["response_format"] == [
        {"type": "text", "mime_type": "text/x", "schema": {"type": "string"}},
        {"type": "image", "mime_type": "image/jpeg", "aspect_ratio": "1:1", "image_size": "2K"},
        {"type": "audio", "mime_type": "audio/wav"},
    ]
    fallback = google(imageConfig={"aspectRatio": "4:3", "imageSize": "4K"})
    body = prepare_request(MODEL, prompt="x", provider_options=fallback).body
    assert body["response_format"] == [
        {"type": "image", "mime_type": "image/png", "aspect_ratio": "4:3", "image_size": "4K"}
    ]


def test_media_resolution_reaches_the_input_images() -> None:
    prompt = [
        {
            "role": "user",
            "content": [
                {"type": "file", "mediaType": "image/png", "data": {"type": "data", "data": PNG}}
            ],
        }
    ]
    body = prepare_request(
        MODEL, prompt=prompt, provider_options=google(mediaResolution="high")
    ).body
    (step,) = body["input"]
    assert step["content"][0]["resolution"] == "high"


def test_tool_warnings_reach_the_call_warnings() -> None:
    prepared = prepare_request(MODEL, prompt="x", tools=[{"type": "dynamic", "name": "d"}])
    assert [w.to_dict()["feature"] for w in prepared.warnings] == ["tool of type dynamic"]
    assert "tools" not in prepare_request(MODEL, prompt="x", tools=[]).body


def test_an_agent_lists_every_generation_option_it_drops() -> None:
    prepared = prepare_request(
        AGENT,
        prompt="x",
        stop_sequences=["END"],
        provider_options=google(thinkingSummaries="auto"),
    )
    (warning,) = prepared.warnings
    assert isinstance(warning, parts.OtherWarning)
    assert warning.message.startswith(
        "google.interactions: stopSequences, thinkingSummaries are not supported when an agent"
    )


def test_an_agent_environment_with_a_network_allowlist() -> None:
    environment = {
        "type": "remote",
        "network": {"allowlist": [{"domain": "a.com", "transform": [{"h": "v"}]}]},
    }
    body = prepare_request(AGENT, prompt="x", provider_options=google(environment=environment)).body
    assert body["environment"] == environment


def test_values_that_are_not_json_are_named_by_their_path_in_the_body() -> None:
    tools = [{"type": "function", "name": "f", "inputSchema": {"minimum": float("nan")}}]
    with pytest.raises(
        InvalidArgumentError, match=r"^request body\.tools\[0\]\.parameters\.minimum "
    ):
        prepare_request(MODEL, prompt="x", tools=tools)


def test_an_agent_does_not_warn_about_provider_default_reasoning() -> None:
    assert prepare_request(AGENT, prompt="x", reasoning="provider-default").warnings == []
