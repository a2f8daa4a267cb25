"""The Interactions wire format: event decoding, its batch fast paths, response validation."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from partstream.codecs.interactions import (
    INTERACTION_STATUSES,
    TERMINAL_STATUSES,
    Parsed,
    ParseFailure,
    decode_event,
    is_terminal_status,
    parse_event,
    parse_response,
    validate_event,
    validate_response,
)
from partstream.codecs.interactions._api import (
    BUILTIN_TOOL_CALL_TYPES,
    BUILTIN_TOOL_RESULT_TYPES,
    _event_item,
    _json_values,
    _step_deltas,
    _type_validation_error,
    error_to_json,
)
from partstream.errors import InvalidResponseDataError

NOT_AN_EVENT = "expected an object with a string event_type"


def type_error(value: Any) -> dict[str, str]:
    return {
        "name": "AI_TypeValidationError",
        "message": f"Type validation failed: Value: {value}.\nError message: {NOT_AN_EVENT}",
    }


# -- events -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [str, bytes])
def test_a_valid_event_is_its_own_raw_value(kind: type) -> None:
    text = '{"event_type":"step.delta","index":0}'
    data = text if kind is str else text.encode()
    value = decode_event(data)
    assert value == {"event_type": "step.delta", "index": 0}
    parsed = parse_event(data)
    assert isinstance(parsed, Parsed)
    assert parsed.value is parsed.raw
    assert parsed.value == value


@pytest.mark.parametrize("done", ["[DONE]", b"[DONE]"])
def test_the_done_sentinel_is_skipped(done: str | bytes) -> None:
    assert decode_event(done) is None
    assert parse_event(done) is None


@pytest.mark.parametrize(
    ("data", "text"),
    [("{", "{"), (b'{"a":', '{"a":'), (b"\xff{", "\ufffd{"), ("[DONE", "[DONE"), ("", "")],
)
def test_text_that_is_not_json_is_a_json_parse_error(data: str | bytes, text: str) -> None:
    result = decode_event(data)
    assert isinstance(result, ParseFailure)
    assert result.raw is None
    assert result.error["name"] == "AI_JSONParseError"
    assert result.error["message"].startswith(
        f"JSON parsing failed: Text: {text}.\nError message: "
    )
    assert parse_event(data) == result


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("[1]", "[1]"),
        ("5", "5"),
        ('{"event_type":5}', '{"event_type":5}'),
        ('{"type":"x"}', '{"type":"x"}'),
        ("null", "null"),
    ],
)
def test_json_that_is_not_an_event_is_a_type_validation_error(text: str, shown: str) -> None:
    value = json.loads(text)
    for result in (decode_event(text), decode_event(text.encode()), validate_event(value)):
        assert result == ParseFailure(error=type_error(shown), raw=value)
    assert validate_event({"event_type": "x"}) == Parsed(
        value={"event_type": "x"}, raw={"event_type": "x"}
    )


@pytest.mark.parametrize(
    "text",
    [
        '{"event_type":"x","__proto__":{}}',
        '{"event_type":"x","a":[{"b":{"__proto__":1}}]}',
        '{"event_type":"x","constructor":{"prototype":{}}}',
        '{"event_type":"x","a":[[{"constructor":{"prototype":1}}]]}',
    ],
)
def test_prototype_keys_are_refused_like_secure_json_parse(text: str) -> None:
    for data in (text, text.encode()):
        result = decode_event(data)
        assert isinstance(result, ParseFailure)
        assert result.raw is None
        assert result.error == {
            "name": "AI_JSONParseError",
            "message": f"JSON parsing failed: Text: {text}.\n"
            "Error message: Object contains forbidden prototype property",
        }


@pytest.mark.parametrize(
    "text",
    [
        '{"event_type":"x","protocol":"proto"}',
        '{"event_type":"x","constructor":{"name":"prototype"}}',
        '{"event_type":"x","constructor":"prototype"}',
        '{"event_type":"x","a":["__proto__"]}',
    ],
)
def test_the_word_proto_alone_is_fine(text: str) -> None:
    assert decode_event(text) == json.loads(text)
    assert decode_event(text.encode()) == json.loads(text)


def test_error_json() -> None:
    assert error_to_json(ValueError("boom")) == {"name": "ValueError", "message": "boom"}
    assert error_to_json({"name": "x"}) == {"name": "x"}
    unrenderable = object()
    shown = _type_validation_error(unrenderable, "why")["message"]
    assert shown == f"Type validation failed: Value: {unrenderable!r}.\nError message: why"


_PAYLOADS = st.sampled_from(
    [
        '{"event_type":"step.delta","index":0,"delta":{"type":"text","text":"a"}}',
        '{"event_type":"step.delta","index":1,"delta":{"type":"text","text":"b"},"event_id":"e"}',
        '{"event_type":"step.delta","index":0,"delta":null}',
        '{"event_type":"step.start","index":0,"step":{"type":"model_output"}}',
        '{"event_type":"x","__proto__":{}}',
        '{"event_type":"x","note":"proto"}',
        '{"event_type":5}',
        "[1]",
        "{",
        "[DONE]",
        '{"event_type":"step.delta","delta":{"type":"text","text":"c","extra":1}}',
    ]
)


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


@given(st.lists(_PAYLOADS, max_size=6))
def test_the_batch_decoders_agree_with_decode_event(payloads: list[str]) -> None:
    values = _json_values(payloads)
    unsafe = any("proto" in p for p in payloads)
    if values is not None:
        assert not unsafe
        assert [_event_item(v) for v in values] == [decode_event(p) for p in payloads]
    else:
        assert unsafe or not all(_is_json(p) for p in payloads)
    structs = _step_deltas(payloads)
    if structs is not None:
        for payload, struct in zip(payloads, structs, strict=True):
            event = json.loads(payload)
            assert type(event) is dict  # the struct decodes objects only
            assert set(event) <= {"event_type", "index", "delta", "event_id"}
            assert (struct.event_type, struct.index, struct.event_id) == (
                event.get("event_type"),
                event.get("index"),
                event.get("event_id"),
            )
            delta = event.get("delta")
            if delta is None:
                assert struct.delta is None
            else:
                assert (struct.delta.type, struct.delta.text) == (
                    delta.get("type"),
                    delta.get("text"),
                )


def test_the_batch_decoders_give_up_on_what_they_cannot_decide() -> None:
    good = '{"event_type":"step.delta","index":0,"delta":{"type":"text","text":"a"}}'
    assert _json_values([good, "{"]) is None  # one bad payload: each is decided alone
    assert _json_values([good, '{"event_type":"x","y":"proto"}']) is None
    assert _json_values([good]) == [json.loads(good)]
    assert _json_values([]) == []
    assert _step_deltas([good, '{"event_type":"x","other":1}']) is None  # an unknown field
    assert _step_deltas([good, "{"]) is None
    (struct,) = _step_deltas([good]) or []
    assert (struct.event_type, struct.index, struct.delta.text) == ("step.delta", 0, "a")


# -- response bodies ----------------------------------------------------------------------


def test_the_status_sets() -> None:
    assert {
        "in_progress",
        "requires_action",
        "completed",
        "failed",
        "cancelled",
        "incomplete",
    } == INTERACTION_STATUSES
    assert {"completed", "failed", "cancelled", "incomplete"} == TERMINAL_STATUSES
    for status in INTERACTION_STATUSES:
        assert is_terminal_status(status) is (status in TERMINAL_STATUSES)
        assert validate_response({"status": status}) == {"status": status}
    assert is_terminal_status(None) is False
    assert is_terminal_status(["completed"]) is False


def test_the_built_in_tool_step_types() -> None:
    tools = ["google_search", "code_execution", "url_context", "file_search", "google_maps"]
    tools.append("mcp_server_tool")
    assert {f"{t}_call" for t in tools} == BUILTIN_TOOL_CALL_TYPES
    assert {f"{t}_result" for t in tools} == BUILTIN_TOOL_RESULT_TYPES


def test_a_valid_body_is_returned_as_is() -> None:
    body = {
        "status": "completed",
        "id": "v1_x",
        "created": "2026-01-01T00:00:00Z",
        "updated": None,
        "model": "m",
        "agent": None,
        "service_tier": "standard",
        "previous_interaction_id": "v1_p",
        "steps": [{"type": "model_output"}, {"type": "future_step", "x": 1}],
        "usage": {
            "total_input_tokens": 1,
            "total_output_tokens": 2.0,
            "total_thought_tokens": None,
            "total_cached_tokens": 0,
            "total_tool_use_tokens": 3,
            "total_tokens": 6,
            "input_tokens_by_modality": [{"modality": "text", "tokens": 1}, {}],
            "output_tokens_by_modality": None,
            "cached_tokens_by_modality": [],
            "tool_use_tokens_by_modality": [{"modality": None, "tokens": None}],
            "grounding_tool_count": [{"type": "google_search", "count": 2}, {}],
        },
        "response_modalities": ["text"],
        "unknown": {"kept": True},
    }
    assert validate_response(body) is body
    assert parse_response(json.dumps(body)) == body
    assert parse_response(json.dumps(body).encode()) == body


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ([], "expected an object"),
        ({}, "status must be one of cancelled, completed, failed, in_progress, incomplete,"),
        ({"status": "done"}, "status must be one of"),
        ({"status": ["completed"]}, "status must be one of"),
        *(
            ({"status": "completed", key: 5}, f"{key} must be a string")
            for key in (
                "id",
                "created",
                "updated",
                "model",
                "agent",
                "service_tier",
                "previous_interaction_id",
            )
        ),
        ({"status": "completed", "steps": {}}, "steps must be an array"),
        ({"status": "completed", "steps": ["x"]}, "steps[] must be objects with a string type"),
        ({"status": "completed", "steps": [{"type": 1}]}, "steps[] must be objects"),
        ({"status": "completed", "usage": []}, "usage must be an object"),
        *(
            ({"status": "completed", "usage": {key: "1"}}, f"usage.{key} must be a number")
            for key in (
                "total_input_tokens",
                "total_output_tokens",
                "total_thought_tokens",
                "total_cached_tokens",
                "total_tool_use_tokens",
                "total_tokens",
            )
        ),
        ({"status": "completed", "usage": {"total_tokens": True}}, "usage.total_tokens must be"),
        (
            {"status": "completed", "usage": {"total_tokens": float("nan")}},
            "usage.total_tokens must be a number",
        ),
        *(
            ({"status": "completed", "usage": {key: {}}}, f"usage.{key} must be an array")
            for key in (
                "input_tokens_by_modality",
                "output_tokens_by_modality",
                "cached_tokens_by_modality",
                "tool_use_tokens_by_modality",
            )
        ),
        (
            {"status": "completed", "usage": {"output_tokens_by_modality": [1]}},
            "usage.output_tokens_by_modality[] must be objects",
        ),
        (
            {"status": "completed", "usage": {"input_tokens_by_modality": [{"modality": 1}]}},
            "usage.input_tokens_by_modality[].modality must be a string",
        ),
        (
            {"status": "completed", "usage": {"cached_tokens_by_modality": [{"tokens": "1"}]}},
            "usage.cached_tokens_by_modality[].tokens must be a number",
        ),
        (
            {"status": "completed", "usage": {"grounding_tool_count": {}}},
            "usage.grounding_tool_count must be an array",
        ),
        (
            {"status": "completed", "usage": {"grounding_tool_count": [1]}},
            "usage.grounding_tool_count[] must be objects",
        ),
        (
            {"status": "completed", "usage": {"grounding_tool_count": [{"type": 1}]}},
            "usage.grounding_tool_count[].type must be a string",
        ),
        (
            {"status": "completed", "usage": {"grounding_tool_count": [{"count": "2"}]}},
            "usage.grounding_tool_count[].count must be a number",
        ),
        ({"status": "completed", "response_modalities": "text"}, "response_modalities must be"),
        ({"status": "completed", "response_modalities": [1]}, "response_modalities must be"),
        (  # a valid usage does not end the checks
            {"status": "completed", "usage": {"total_tokens": 1}, "response_modalities": [1]},
            "response_modalities must be",
        ),
    ],
)
def test_each_invalid_body_names_its_problem(body: Any, problem: str) -> None:
    with pytest.raises(InvalidResponseDataError) as info:
        validate_response(body)
    assert str(info.value).startswith("Type validation failed: Value: ")
    assert f".\nError message: {problem}" in str(info.value)
    assert info.value.data is body


def test_a_body_that_is_not_json_is_an_invalid_response() -> None:
    with pytest.raises(InvalidResponseDataError, match="invalid JSON"):
        parse_response(b"{")
