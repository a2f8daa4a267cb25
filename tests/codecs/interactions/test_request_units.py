"""Request building: the behaviours of the reference not pinned by a conformance case."""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest

from partstream import errors, parts
from partstream.codecs.interactions import (
    InteractionsProviderOptions,
    InteractionsTarget,
    convert_to_interactions_input,
    parse_interactions_provider_options,
    prepare_interactions_tools,
    prepare_request,
)
from partstream.codecs.interactions._javascript_json import (
    js_number,
    js_stringify,
    secure_json_parse,
)
from partstream.codecs.interactions._media import detect_media_type

MODEL = InteractionsTarget("gemini-2.5-flash")
AGENT = InteractionsTarget(agent="deep-research-pro-preview-12-2025")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
HELLO = [{"role": "user", "content": [{"type": "text", "text": "Hello"}]}]


def google(**options: Any) -> dict[str, Any]:
    return {"google": options}


def messages(request_warnings: list[parts.Warning]) -> list[str]:
    return [w.message for w in request_warnings if isinstance(w, parts.OtherWarning)]


# --- targets and the body skeleton ---------------------------------------------------


def test_plain_string_prompt_is_one_user_message() -> None:
    request = prepare_request(MODEL, prompt="Hi there")
    assert request.body == {
        "model": "gemini-2.5-flash",
        "input": [{"type": "user_input", "content": [{"type": "text", "text": "Hi there"}]}],
    }
    assert request.warnings == []
    assert request.provider_options is None
    assert not request.is_agent
    assert not request.background


def test_managed_agent_is_sent_as_agent() -> None:
    target = InteractionsTarget(managed_agent="agents/my-agent")
    request = prepare_request(target, prompt="x", temperature=0.5)
    assert request.body["agent"] == "agents/my-agent"
    assert "model" not in request.body
    assert "generation_config" not in request.body
    assert request.is_agent
    assert target.name == "agents/my-agent"


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"model_id": "m", "agent": "a"}, {"agent": "a", "managed_agent": "b"}, {"model_id": 3}],
)
def test_target_needs_exactly_one_name(kwargs: dict[str, Any]) -> None:
    with pytest.raises(errors.InvalidArgumentError):
        InteractionsTarget(**kwargs)


def test_stream_flag_only_without_background() -> None:
    assert prepare_request(MODEL, prompt="x", stream=True).body["stream"] is True
    assert "stream" not in prepare_request(MODEL, prompt="x").body
    background = prepare_request(
        AGENT, prompt="x", stream=True, provider_options=google(background=True)
    )
    assert "stream" not in background.body
    assert background.body["background"] is True
    assert background.background
    assert background.stream


def test_background_false_is_sent_and_not_background() -> None:
    request = prepare_request(AGENT, prompt="x", provider_options=google(background=False))
    assert request.body["background"] is False
    assert not request.background


def test_generation_config_order_and_pruning() -> None:
    request = prepare_request(
        MODEL,
        prompt="x",
        max_output_tokens=100,
        temperature=0.2,
        top_p=0.9,
        top_k=40,
        seed=7,
        stop_sequences=["END"],
        provider_options=google(thinkingLevel="low", thinkingSummaries="none"),
        tools=[{"type": "function", "name": "f", "inputSchema": {"type": "object"}}],
        tool_choice={"type": "tool", "toolName": "f"},
    )
    config = request.body["generation_config"]
    assert list(config) == [
        "temperature",
        "top_p",
        "top_k",
        "seed",
        "stop_sequences",
        "max_output_tokens",
        "thinking_level",
        "thinking_summaries",
        "tool_choice",
    ]
    assert config["tool_choice"] == {"allowed_tools": {"mode": "validated", "tools": ["f"]}}
    assert "generation_config" not in prepare_request(MODEL, prompt="x", stop_sequences=[]).body


def test_penalties_warn_on_models() -> None:
    request = prepare_request(MODEL, prompt="x", frequency_penalty=0.1, presence_penalty=0.2)
    assert [w.to_dict() for w in request.warnings] == [
        {"type": "unsupported", "feature": "frequencyPenalty"},
        {"type": "unsupported", "feature": "presencePenalty"},
    ]
    assert "generation_config" not in request.body


def test_agent_drops_generation_fields_with_one_warning() -> None:
    one = prepare_request(AGENT, prompt="x", seed=1)
    assert messages(one.warnings) == [
        "google.interactions: seed is not supported when an agent is set; use "
        "providerOptions.google.agentConfig instead. Dropped from the request body."
    ]
    many = prepare_request(
        AGENT,
        prompt="x",
        presence_penalty=1.0,
        max_output_tokens=5,
        provider_options=google(imageConfig={"aspectRatio": "1:1"}),
    )
    assert messages(many.warnings) == [
        "google.interactions: presencePenalty, maxOutputTokens, imageConfig are not supported "
        "when an agent is set; use providerOptions.google.agentConfig instead. Dropped from "
        "the request body."
    ]
    assert "response_format" not in many.body
    # An empty stop-sequence list is not a setting, so nothing is dropped.
    assert prepare_request(AGENT, prompt="x", stop_sequences=[]).warnings == []


def test_agent_config_ignored_on_models() -> None:
    request = prepare_request(
        MODEL, prompt="x", provider_options=google(agentConfig={"type": "dynamic", "x": 1})
    )
    assert "agent_config" not in request.body
    agent = prepare_request(
        AGENT, prompt="x", provider_options=google(agentConfig={"type": "dynamic", "x": 1})
    )
    assert agent.body["agent_config"] == {"type": "dynamic"}


def test_environment_only_for_agents() -> None:
    env: dict[str, Any] = {"type": "remote", "sources": [], "network": None}
    request = prepare_request(MODEL, prompt="x", provider_options=google(environment=env))
    assert "environment" not in request.body
    assert messages(request.warnings) == [
        "google.interactions: environment is only supported when an agent is set; environment "
        "will be omitted from the request body."
    ]
    agent = prepare_request(AGENT, prompt="x", provider_options=google(environment=env))
    assert agent.body["environment"] == {"type": "remote"}


# --- response_format -----------------------------------------------------------------


def test_response_format_sources_in_order() -> None:
    request = prepare_request(
        MODEL,
        prompt="x",
        response_format={"type": "json", "schema": {"type": "object"}},
        provider_options=google(
            responseFormat=[
                {"type": "text", "mimeType": "text/plain", "schema": None},
                {"type": "image", "aspectRatio": "16:9", "imageSize": "2K"},
                {"type": "audio", "mimeType": "audio/wav", "extra": True},
            ]
        ),
    )
    assert request.body["response_format"] == [
        {"type": "text", "mime_type": "application/json", "schema": {"type": "object"}},
        {"type": "text", "mime_type": "text/plain"},
        {"type": "image", "aspect_ratio": "16:9", "image_size": "2K"},
        {"type": "audio", "mime_type": "audio/wav"},
    ]
    assert request.warnings == []


def test_image_config_fallback_adds_an_image_entry_and_warns() -> None:
    request = prepare_request(
        MODEL, prompt="x", provider_options=google(imageConfig={"aspectRatio": "4:3"})
    )
    assert request.body["response_format"] == [
        {"type": "image", "mime_type": "image/png", "aspect_ratio": "4:3"}
    ]
    assert messages(request.warnings) == [
        "google.interactions: providerOptions.google.imageConfig is deprecated. Use "
        'providerOptions.google.responseFormat with a { type: "image", ... } entry instead.'
    ]


def test_image_config_ignored_when_response_format_has_an_image() -> None:
    request = prepare_request(
        MODEL,
        prompt="x",
        provider_options=google(
            imageConfig={"imageSize": "4K"}, responseFormat=[{"type": "image", "imageSize": "1K"}]
        ),
    )
    assert request.body["response_format"] == [{"type": "image", "image_size": "1K"}]
    assert messages(request.warnings) == [
        "google.interactions: providerOptions.google.imageConfig is deprecated and was ignored "
        "because providerOptions.google.responseFormat already supplies an image entry. Use "
        "responseFormat exclusively."
    ]


# --- system instruction ----------------------------------------------------------------


def test_system_instruction_option_is_a_fallback() -> None:
    only_option = prepare_request(
        MODEL, prompt="x", provider_options=google(systemInstruction="Be brief.")
    )
    assert only_option.body["system_instruction"] == "Be brief."
    both = prepare_request(
        MODEL,
        prompt=[{"role": "system", "content": "A"}, {"role": "system", "content": "B"}, *HELLO],
        provider_options=google(systemInstruction="Be brief."),
    )
    assert both.body["system_instruction"] == "A\n\nB"
    assert messages(both.warnings) == [
        "google.interactions: both AI SDK system message and providerOptions.google."
        "systemInstruction were set; using the AI SDK system message."
    ]


# --- provider options validation -------------------------------------------------------


def test_provider_options_parse_to_snake_case() -> None:
    parsed = parse_interactions_provider_options(
        google(
            previousInteractionId="v1_x",
            store=True,
            pollingTimeoutMs=1000.0,
            responseModalities=["text", "image"],
            unknownKey=object(),
            serviceTier=None,
        )
    )
    assert parsed == InteractionsProviderOptions(
        previous_interaction_id="v1_x",
        store=True,
        polling_timeout_ms=1000,
        response_modalities=("text", "image"),
    )
    assert parse_interactions_provider_options(None) is None
    assert parse_interactions_provider_options({"openai": {"x": 1}}) is None
    assert parse_interactions_provider_options({"google": None}) is None


@pytest.mark.parametrize(
    ("options", "where"),
    [
        ({"thinkingLevel": "max"}, "thinkingLevel"),
        ({"store": "yes"}, "store"),
        ({"pollingTimeoutMs": 0}, "pollingTimeoutMs"),
        ({"pollingTimeoutMs": 1.5}, "pollingTimeoutMs"),
        ({"pollingTimeoutMs": True}, "pollingTimeoutMs"),
        ({"background": 1}, "background"),
        ({"agentConfig": {"type": "other"}}, "agentConfig.type"),
        ({"agentConfig": {"type": "deep-research", "visualization": "on"}}, "visualization"),
        ({"responseFormat": [{"type": "image", "aspectRatio": "2:1"}]}, "responseFormat[0]"),
        ({"responseFormat": {"type": "text"}}, "responseFormat"),
        ({"responseModalities": ["smell"]}, "responseModalities[0]"),
        ({"environment": {"sources": []}}, "environment.type"),
        ({"environment": {"type": "remote", "network": "open"}}, "environment.network"),
        (
            {"environment": {"type": "remote", "sources": [{"type": "inline", "content": "x"}]}},
            "environment.sources[0].target",
        ),
        (
            {"environment": {"type": "remote", "network": {"allowlist": [{"domain": 1}]}}},
            "allowlist[0].domain",
        ),
        ({"mediaResolution": "max"}, "mediaResolution"),
        ({"serviceTier": "gold"}, "serviceTier"),
    ],
)
def test_invalid_provider_options_are_rejected(options: dict[str, Any], where: str) -> None:
    with pytest.raises(errors.InvalidArgumentError) as info:
        prepare_request(MODEL, prompt="x", provider_options={"google": options})
    assert str(info.value).startswith("invalid google provider options: ")
    assert where in str(info.value)
    assert info.value.argument == "providerOptions"


def test_provider_options_must_be_objects() -> None:
    with pytest.raises(errors.InvalidArgumentError, match="invalid google provider options"):
        parse_interactions_provider_options({"google": ["x"]})
    with pytest.raises(errors.InvalidArgumentError, match="provider_options must be a mapping"):
        parse_interactions_provider_options("google")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"temperature": "hot"},
        {"temperature": float("nan")},
        {"max_output_tokens": 1.5},
        {"seed": True},
        {"stop_sequences": "END"},
        {"response_format": {"type": "xml"}},
        {"tools": "f"},
        {"tools": [{"type": "function"}]},
        {"tools": [{"type": "function", "name": "f"}], "tool_choice": {"type": "any"}},
    ],
)
def test_invalid_call_options_are_rejected(kwargs: dict[str, Any]) -> None:
    with pytest.raises(errors.InvalidArgumentError):
        prepare_request(MODEL, prompt="x", **kwargs)


# --- tools ---------------------------------------------------------------------------


def test_tool_choice_dropped_without_function_tools() -> None:
    prepared = prepare_interactions_tools(
        [{"type": "provider", "id": "google.url_context", "name": "u", "args": {}}],
        {"type": "required"},
    )
    assert prepared.tools == [{"type": "url_context"}]
    assert prepared.tool_choice is None


def test_unsupported_tool_types_warn() -> None:
    prepared = prepare_interactions_tools([{"type": "dynamic", "name": "x"}])
    assert prepared.tools is None
    assert [w.to_dict() for w in prepared.warnings] == [
        {
            "type": "unsupported",
            "feature": "tool of type dynamic",
            "details": "Only function tools and google.* provider-defined tools are supported "
            "by google.interactions; tool dropped.",
        }
    ]


def test_provider_tool_defaults() -> None:
    prepared = prepare_interactions_tools(
        [
            {"type": "provider", "id": "google.retrieval", "name": "r", "args": {}},
            {
                "type": "provider",
                "id": "google.computer_use",
                "name": "c",
                "args": {"excludedPredefinedFunctions": ["open"]},
            },
            {
                "type": "provider",
                "id": "google.google_search",
                "name": "s",
                "args": {"searchTypes": {}},
            },
        ]
    )
    assert prepared.tools == [
        {"type": "retrieval", "retrieval_types": ["vertex_ai_search"]},
        {"type": "computer_use", "environment": "browser", "excludedPredefinedFunctions": ["open"]},
        {"type": "google_search"},
    ]


# --- prompt conversion ---------------------------------------------------------------


def convert(prompt: list[dict[str, Any]], **kwargs: Any) -> list[dict[str, Any]]:
    return convert_to_interactions_input(prompt, **kwargs).input


def user_file(media_type: str, data: Any) -> list[dict[str, Any]]:
    return [{"role": "user", "content": [{"type": "file", "mediaType": media_type, "data": data}]}]


def test_top_level_media_type_is_completed_from_the_bytes() -> None:
    (step,) = convert(user_file("image", {"type": "data", "data": PNG}))
    assert step["content"] == [
        {"type": "image", "data": base64.b64encode(PNG).decode(), "mime_type": "image/png"}
    ]
    # Bare bytes and a base64 string work as data too.
    assert convert(user_file("image/*", PNG)) == convert(
        user_file("image", base64.b64encode(PNG).decode())
    )


def test_undetectable_top_level_media_type_raises() -> None:
    with pytest.raises(errors.UnsupportedFunctionalityError) as info:
        convert(user_file("image", {"type": "data", "data": b"nope"}))
    assert str(info.value) == (
        '\'file of media type "image" must specify subtype since it could not be '
        "auto-detected' functionality not supported."
    )


def test_media_resolution_only_on_images_and_videos() -> None:
    prompt = [
        {
            "role": "user",
            "content": [
                {"type": "file", "mediaType": m, "data": {"type": "url", "url": f"gs://b/{i}"}}
                for i, m in enumerate(["image/png", "video/mp4", "audio/wav", "application/pdf"])
            ],
        }
    ]
    (step,) = convert(prompt, media_resolution="low")
    assert [block.get("resolution") for block in step["content"]] == ["low", "low", None, None]
    with pytest.raises(errors.InvalidArgumentError):
        convert(prompt, media_resolution="huge")


def test_text_document_parts_become_document_blocks() -> None:
    (step,) = convert(user_file("text/csv", {"type": "data", "data": "YSxi"}))
    assert step["content"] == [{"type": "document", "data": "YSxi", "mime_type": "text/csv"}]


def test_user_steps_skip_unknown_parts_and_empty_messages() -> None:
    prompt: list[dict[str, Any]] = [
        {"role": "user", "content": [{"type": "custom", "kind": "x.y"}]},
        {"role": "user", "content": []},
        *HELLO,
    ]
    converted = convert_to_interactions_input(prompt)
    assert converted.input == [
        {"type": "user_input", "content": [{"type": "text", "text": "Hello"}]}
    ]
    assert converted.warnings == []


def test_assistant_parts_fan_out_in_order() -> None:
    prompt = [
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "a"},
                {"type": "text", "text": "b"},
                {"type": "reasoning", "text": "thinking"},
                {
                    "type": "file",
                    "mediaType": "image/png",
                    "data": {"type": "data", "data": "AQID"},
                },
                {"type": "tool-call", "toolCallId": "c1", "toolName": "t", "input": None},
                {"type": "reasoning-file", "mediaType": "image/png", "data": "AQID"},
                {"type": "text", "text": "c"},
            ],
        }
    ]
    converted = convert_to_interactions_input(prompt)
    assert converted.input == [
        # Assistant text is not merged (only user turns are).
        {
            "type": "model_output",
            "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}],
        },
        {"type": "thought", "summary": [{"type": "text", "text": "thinking"}]},
        {
            "type": "model_output",
            "content": [{"type": "image", "data": "AQID", "mime_type": "image/png"}],
        },
        {"type": "function_call", "id": "c1", "name": "t", "arguments": {}},
        {"type": "model_output", "content": [{"type": "text", "text": "c"}]},
    ]
    assert messages(converted.warnings) == [
        'google.interactions: unsupported assistant content part type "reasoning-file"; part '
        "dropped."
    ]


@pytest.mark.parametrize(
    ("text", "arguments"),
    [
        ("[1, 2]", {"value": [1, 2]}),
        ("3", {"value": 3}),
        ("null", {"value": None}),
        ("{not json", {"value": "{not json"}),
        ("NaN", {"value": "NaN"}),
        ('{"constructor": {"prototype": {}}}', {"value": '{"constructor": {"prototype": {}}}'}),
        ('{"a": [{"__proto__": 1}]}', {"value": '{"a": [{"__proto__": 1}]}'}),
        ('{"constructor": {"name": "x"}}', {"constructor": {"name": "x"}}),
    ],
)
def test_stringified_tool_call_input(text: str, arguments: Any) -> None:
    prompt = [
        {
            "role": "assistant",
            "content": [{"type": "tool-call", "toolCallId": "c", "toolName": "t", "input": text}],
        }
    ]
    (step,) = convert(prompt)
    assert step["arguments"] == arguments


def tool_result(output: dict[str, Any], **extra: Any) -> list[dict[str, Any]]:
    part = {"type": "tool-result", "toolCallId": "c", "toolName": "t", "output": output, **extra}
    return [{"role": "tool", "content": [part]}]


def test_tool_result_outputs() -> None:
    def result_of(output: dict[str, Any]) -> dict[str, Any]:
        (step,) = convert(tool_result(output))
        block: dict[str, Any] = step["content"][0]
        return block

    assert result_of({"type": "execution-denied"}) == {
        "type": "function_result",
        "call_id": "c",
        "name": "t",
        "is_error": True,
        "result": "Tool execution denied by user.",
    }
    assert result_of({"type": "execution-denied", "reason": "no"})["result"] == "no"
    error_json = result_of({"type": "error-json", "value": {"b": 1.0, "2": [1e21, None]}})
    assert error_json["is_error"] is True
    assert error_json["result"] == '{"2":[1e+21,null],"b":1}'
    with pytest.raises(errors.InvalidArgumentError):
        result_of({"type": "mystery"})


def test_tool_result_signature_and_other_parts() -> None:
    prompt = tool_result(
        {"type": "text", "value": "ok"}, providerOptions={"google": {"signature": "s1"}}
    )
    prompt[0]["content"].append(
        {"type": "tool-approval-response", "approvalId": "a", "approved": True}
    )
    converted = convert_to_interactions_input(prompt)
    assert converted.input[0]["content"] == [
        {"type": "function_result", "call_id": "c", "name": "t", "signature": "s1", "result": "ok"}
    ]
    assert messages(converted.warnings) == [
        'google.interactions: unsupported tool message part type "tool-approval-response"; part '
        "dropped."
    ]


def test_tool_result_content_parts() -> None:
    value = [
        {"type": "file", "mediaType": "image", "data": {"type": "data", "data": PNG}},
        {"type": "file", "mediaType": "image/png", "data": {"type": "text", "text": "x"}},
        {"type": "file", "mediaType": "image", "data": {"type": "url", "url": "https://e/x.png"}},
        {
            "type": "file",
            "mediaType": "image/gif",
            "data": {"type": "reference", "reference": {"google": "files/1"}},
        },
        {"type": "custom"},
    ]
    converted = convert_to_interactions_input(tool_result({"type": "content", "value": value}))
    assert converted.input[0]["content"][0]["result"] == [
        {"type": "image", "data": base64.b64encode(PNG).decode(), "mime_type": "image/png"},
        {"type": "image", "uri": "https://e/x.png"},
        {"type": "image", "uri": "files/1", "mime_type": "image/gif"},
    ]
    assert messages(converted.warnings) == [
        'google.interactions: tool-result image part with `data.type === "text"` is not '
        "representable as an image; part dropped.",
        'google.interactions: tool-result content part type "custom" is not supported; part '
        "dropped.",
    ]
    with pytest.raises(errors.NoSuchProviderReferenceError):
        convert(
            tool_result(
                {
                    "type": "content",
                    "value": [
                        {
                            "type": "file",
                            "mediaType": "image/png",
                            "data": {"type": "reference", "reference": {}},
                        }
                    ],
                }
            )
        )


def test_compaction_keeps_tool_results_of_other_calls() -> None:
    tag = {"google": {"interactionId": "v1_a"}}
    prompt = [
        {
            "role": "assistant",
            "content": [
                {
                    "type": "tool-call",
                    "toolCallId": "old",
                    "toolName": "t",
                    "input": {},
                    "providerOptions": tag,
                }
            ],
        },
        {
            "role": "tool",
            "content": [
                {
                    "type": "tool-result",
                    "toolCallId": "old",
                    "toolName": "t",
                    "output": {"type": "text", "value": "1"},
                },
                {
                    "type": "tool-result",
                    "toolCallId": "new",
                    "toolName": "t",
                    "output": {"type": "text", "value": "2"},
                },
            ],
        },
    ]
    steps = convert(prompt, previous_interaction_id="v1_a")
    assert steps == [
        {
            "type": "user_input",
            "content": [{"type": "function_result", "call_id": "new", "name": "t", "result": "2"}],
        }
    ]
    assert len(convert(prompt, previous_interaction_id="v1_b")) == 2


@pytest.mark.parametrize(
    "prompt",
    [
        42,
        [1],
        [{"role": "robot", "content": []}],
        [{"role": "system", "content": ["x"]}],
        [{"role": "user", "content": [{"text": "no type"}]}],
        [{"role": "user", "content": [{"type": "text", "text": 1}]}],
        [{"role": "user", "content": [{"type": "file", "mediaType": "image/png", "data": 5}]}],
        [
            {
                "role": "user",
                "content": [{"type": "file", "mediaType": "image/png", "data": {"type": "blob"}}],
            }
        ],
        [{"role": "user", "content": [{"type": "file", "data": {"type": "data", "data": "AA=="}}]}],
        [
            {
                "role": "tool",
                "content": [{"type": "tool-result", "toolCallId": "c", "toolName": "t"}],
            }
        ],
    ],
)
def test_malformed_prompts_raise_invalid_argument(prompt: Any) -> None:
    with pytest.raises(errors.InvalidArgumentError):
        convert_to_interactions_input(prompt)


# --- JavaScript-compatible JSON and media sniffing --------------------------------------

# Outputs of Node's String(x) / JSON.stringify for the same inputs.
JS_NUMBERS = [
    (1e21, "1e+21"),
    (1e-7, "1e-7"),
    (123e-20, "1.23e-18"),
    (0.000001, "0.000001"),
    (1.5, "1.5"),
    (100.0, "100"),
    (-0.0, "0"),
    (5e-324, "5e-324"),
    (1.7976931348623157e308, "1.7976931348623157e+308"),
    (1.2345678901234568e20, "123456789012345680000"),
    (0.1 + 0.2, "0.30000000000000004"),
    (-1e-7, "-1e-7"),
    (1e20, "100000000000000000000"),
    (123456.789e3, "123456789"),
]


@pytest.mark.parametrize(("value", "text"), JS_NUMBERS)
def test_js_number(value: float, text: str) -> None:
    assert js_number(value) == text


def test_js_stringify_matches_node() -> None:
    value = {
        "b": 1,
        "2": 2,
        "1": 3,
        "01": 4,
        "4294967295": 5,
        "4294967294": 6,
        "s": "\x1f\u2028\ud800é",
    }
    assert js_stringify(value) == (
        '{"1":3,"2":2,"4294967294":6,"b":1,"01":4,"4294967295":5,"s":"\\u001f\u2028\\ud800é"}'
    )
    assert js_stringify([float("inf"), 2**60, True, None]) == "[null,1152921504606847000,true,null]"
    with pytest.raises(errors.InvalidArgumentError):
        js_stringify({1: "x"})
    with pytest.raises(errors.InvalidArgumentError):
        js_stringify({"x": object()})


def test_secure_json_parse() -> None:
    assert secure_json_parse('{"a": [1, 2.5, "x"]}') == {"a": [1, 2.5, "x"]}
    assert secure_json_parse("12345678901234567890") == 12345678901234567000.0
    for bad in ("Infinity", '{"__proto__": {}}', "[1,", "[" * 100_000):
        with pytest.raises(ValueError):
            secure_json_parse(bad)


@pytest.mark.parametrize(
    ("data", "top_level", "expected"),
    [
        (PNG, "image", "image/png"),
        (base64.b64encode(PNG).decode(), "image", "image/png"),
        (base64.urlsafe_b64encode(b"\xff\xd8\xff\xe0" + bytes(20)).decode(), None, "image/jpeg"),
        (b"%PDF-1.7", "application", "application/pdf"),
        (
            b"ID3\x04\x00\x00\x00\x00\x00\x05" + bytes(5) + b"\xff\xfb\x90" + bytes(10),
            "audio",
            "audio/mpeg",
        ),
        (b"\x00\x00\x00\x18ftypmp42", "video", "video/mp4"),
        (b"\x00\x00\x00\x18ftypmp42", "audio", "audio/mp4"),
        (b"hello", "text", None),
        ("!!!!", "image", None),
        ("A", "image", None),
    ],
)
def test_detect_media_type(data: str | bytes, top_level: str | None, expected: str | None) -> None:
    assert detect_media_type(data, top_level) == expected


def test_bare_url_and_data_url_strings() -> None:
    assert convert(user_file("image/png", "https://e.com/a.png"))[0]["content"] == [
        {"type": "image", "uri": "https://e.com/a.png", "mime_type": "image/png"}
    ]
    assert convert(user_file("video/mp4", "gs://b/v.mp4"))[0]["content"][0]["uri"] == "gs://b/v.mp4"
    encoded = base64.b64encode(PNG).decode()
    assert convert(user_file("image", f"data:image/png;base64,{encoded}"))[0]["content"] == [
        {"type": "image", "data": encoded, "mime_type": "image/png"}
    ]
    assert convert(user_file("text/plain", "data:,a%20b"))[0]["content"] == [
        {"type": "document", "data": "YSBi", "mime_type": "text/plain"}
    ]
    with pytest.raises(errors.InvalidArgumentError, match="data URL"):
        convert(user_file("text/plain", "data:nocomma"))


@pytest.mark.parametrize(
    ("kwargs", "where"),
    [
        ({"tools": [{"type": "function", "name": "f", "inputSchema": {"x": b"1"}}]}, "tools[0]"),
        ({"response_format": {"type": "json", "schema": {"max": float("inf")}}}, "response_format"),
        (
            {
                "prompt": [
                    {
                        "role": "assistant",
                        "content": [
                            {
                                "type": "tool-call",
                                "toolCallId": "c",
                                "toolName": "t",
                                "input": {1: 2},
                            }
                        ],
                    }
                ]
            },
            "prompt[0].content[0].input",
        ),
    ],
)
def test_values_that_are_not_json_are_rejected(kwargs: dict[str, Any], where: str) -> None:
    kwargs.setdefault("prompt", "x")
    with pytest.raises(errors.InvalidArgumentError, match=re.escape(where)):
        prepare_request(MODEL, **kwargs)


def test_snake_case_option_names_are_refused_with_the_right_spelling() -> None:
    with pytest.raises(errors.InvalidArgumentError, match="previousInteractionId"):
        parse_interactions_provider_options(google(previous_interaction_id="v1_x"))
