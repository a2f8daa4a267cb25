"""Generate-side outputs: steps → content, usage, finish reasons, synthesised streams."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from partstream import parts
from partstream.codecs.interactions import (
    InteractionsStreamTransform,
    convert_usage,
    finish_reason,
    generate_outputs,
    is_terminal_status,
    output_tokens_by_modality,
    parse_outputs,
    parse_response,
    synthesize_stream,
    validate_response,
)
from partstream.codecs.interactions._url import url_href
from partstream.errors import InvalidResponseDataError
from partstream.testing import json_values


def ids() -> Any:
    n = iter(range(1, 100))
    return lambda: f"gen-{next(n)}"


def dicts(content: tuple[Any, ...]) -> list[dict[str, Any]]:
    return [c.to_dict() for c in content]


def test_every_step_kind() -> None:
    steps = [
        {"type": "user_input", "content": [{"type": "text", "text": "hi"}]},
        {
            "type": "thought",
            "summary": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}],
        },
        {
            "type": "model_output",
            "content": [
                {
                    "type": "text",
                    "text": "t",
                    "annotations": [{"type": "file_citation", "file_name": "r.pdf"}],
                },
                {"type": "image", "uri": "https://x.example/a b.png"},
                {"type": "audio", "data": "AAAA"},
            ],
        },
        {"type": "google_maps_call", "id": "", "arguments": {"q": "cafe"}},
        {
            "type": "google_maps_result",
            "call_id": "m",
            "result": [{"places": [{"url": "https://maps.example/1", "name": "One"}]}],
        },
        {"type": "mcp_server_tool_result", "name": "srv_tool", "call_id": "z", "result": "ok"},
        {"type": "something_new"},
        "junk",
    ]
    outputs = parse_outputs(steps, generate_id=ids())
    assert outputs.has_function_call is False
    assert dicts(outputs.content) == [
        {"type": "reasoning", "text": "a\nb"},
        {"type": "text", "text": "t"},
        {
            "type": "source",
            "sourceType": "document",
            "id": "gen-1",
            "mediaType": "application/pdf",
            "title": "r.pdf",
            "filename": "r.pdf",
        },
        {
            "type": "file",
            "mediaType": "image/png",
            "data": {"type": "url", "url": "https://x.example/a%20b.png"},
        },
        {
            "type": "tool-call",
            "toolCallId": "gen-2",
            "toolName": "google_maps",
            "input": '{"q":"cafe"}',
            "providerExecuted": True,
        },
        {
            "type": "tool-result",
            "toolCallId": "m",
            "toolName": "google_maps",
            "result": [{"places": [{"url": "https://maps.example/1", "name": "One"}]}],
        },
        {
            "type": "source",
            "sourceType": "url",
            "id": "gen-3",
            "url": "https://maps.example/1",
            "title": "One",
        },
        {"type": "tool-result", "toolCallId": "z", "toolName": "srv_tool", "result": "ok"},
    ]
    assert parse_outputs(None, generate_id=ids()).to_dict() == {
        "content": [],
        "hasFunctionCall": False,
    }


def test_an_invalid_file_url_fails_like_the_reference() -> None:
    with pytest.raises(InvalidResponseDataError, match="Invalid URL"):
        parse_outputs(
            [{"type": "model_output", "content": [{"type": "video", "uri": "nope"}]}],
            generate_id=ids(),
        )


def test_a_function_call_missing_its_id_and_name() -> None:
    outputs = parse_outputs([{"type": "function_call", "arguments": None}], generate_id=ids())
    assert outputs.has_function_call is True
    assert dicts(outputs.content) == [
        {"type": "tool-call", "toolCallId": "gen-1", "toolName": "unknown", "input": "{}"}
    ]


BODY: dict[str, Any] = {
    "id": "v1_x",
    "status": "completed",
    "created": "2026-05-15T18:51:57Z",
    "model": "gemini-2.5-flash",
    "steps": [
        {"type": "thought", "signature": "sig", "summary": [{"type": "text", "text": "hm"}]},
        {"type": "model_output", "content": [{"type": "text", "text": "answer"}]},
        {"type": "url_context_call", "id": "u1", "arguments": {"urls": ["https://a"]}},
        {
            "type": "url_context_result",
            "call_id": "u1",
            "result": [{"url": "https://a", "status": "success"}],
        },
        {
            "type": "model_output",
            "content": [{"type": "video", "data": "AAAA"}, {"type": "text", "text": ""}],
        },
    ],
    "usage": {
        "total_input_tokens": 10,
        "total_cached_tokens": 4,
        "total_output_tokens": 5,
        "output_tokens_by_modality": [
            {"modality": "text", "tokens": 5},
            {"modality": None, "tokens": 1},
        ],
    },
}


def test_generate_outputs() -> None:
    out = generate_outputs(BODY, generate_id=ids(), header_service_tier="priority")
    assert out.interaction_id == "v1_x"
    assert out.model_id == "gemini-2.5-flash"
    assert out.timestamp is not None
    assert parts.format_timestamp(out.timestamp) == "2026-05-15T18:51:57.000Z"
    assert out.finish_reason == parts.FinishReason(unified="stop", raw="completed")
    assert out.usage.to_dict() == {
        "inputTokens": {"total": 10, "noCache": 6, "cacheRead": 4},
        "outputTokens": {"total": 5, "text": 5},
        "raw": BODY["usage"],
    }
    assert out.provider_metadata == {
        "google": {
            "interactionId": "v1_x",
            "serviceTier": "priority",
            "outputTokensByModality": {"text": 5},
        }
    }
    assert [c.type for c in out.content] == [
        "reasoning",
        "text",
        "tool-call",
        "tool-result",
        "source",
        "file",
        "text",
    ]
    stateless = generate_outputs({**BODY, "id": "", "service_tier": "flex"}, generate_id=ids())
    assert stateless.interaction_id is None
    assert stateless.provider_metadata == {
        "google": {"serviceTier": "flex", "outputTokensByModality": {"text": 5}}
    }


def test_synthesised_stream() -> None:
    body = {**BODY, "service_tier": "standard"}
    out = [
        p.to_dict()
        for p in synthesize_stream(
            body,
            warnings=[parts.UnsupportedWarning(feature="x")],
            generate_id=ids(),
            include_raw_chunks=True,
            header_service_tier="priority",
        )
    ]
    meta = {"google": {"interactionId": "v1_x"}}
    assert out == [
        {"type": "stream-start", "warnings": [{"type": "unsupported", "feature": "x"}]},
        {
            "type": "response-metadata",
            "id": "v1_x",
            "timestamp": "2026-05-15T18:51:57.000Z",
            "modelId": "gemini-2.5-flash",
        },
        {"type": "raw", "rawValue": body},
        {"type": "reasoning-start", "id": "v1_x:0"},
        {"type": "reasoning-delta", "id": "v1_x:0", "delta": "hm"},
        {
            "type": "reasoning-end",
            "id": "v1_x:0",
            "providerMetadata": {"google": {"signature": "sig", "interactionId": "v1_x"}},
        },
        {"type": "text-start", "id": "v1_x:1"},
        {"type": "text-delta", "id": "v1_x:1", "delta": "answer"},
        {"type": "text-end", "id": "v1_x:1", "providerMetadata": meta},
        {
            "type": "tool-input-start",
            "id": "u1",
            "toolName": "url_context",
            "providerExecuted": True,
        },
        {"type": "tool-input-delta", "id": "u1", "delta": '{"urls":["https://a"]}'},
        {"type": "tool-input-end", "id": "u1"},
        {
            "type": "tool-call",
            "toolCallId": "u1",
            "toolName": "url_context",
            "input": '{"urls":["https://a"]}',
            "providerExecuted": True,
        },
        {
            "type": "tool-result",
            "toolCallId": "u1",
            "toolName": "url_context",
            "result": [{"url": "https://a", "status": "success"}],
        },
        {"type": "source", "sourceType": "url", "id": "gen-1", "url": "https://a"},
        {
            "type": "file",
            "mediaType": "video/mp4",
            "data": {"type": "data", "data": "AAAA"},
            "providerMetadata": meta,
        },
        {"type": "text-start", "id": "v1_x:2"},
        {"type": "text-end", "id": "v1_x:2", "providerMetadata": meta},
        {
            "type": "finish",
            "finishReason": {"unified": "stop", "raw": "completed"},
            "usage": convert_usage(BODY["usage"]).to_dict(),
            # No outputTokensByModality on a synthesised stream, as in the reference.
            "providerMetadata": {"google": {"interactionId": "v1_x", "serviceTier": "standard"}},
        },
    ]
    anonymous = synthesize_stream(
        {"status": "failed", "steps": [BODY["steps"][1]]}, generate_id=ids()
    )
    assert [p.to_dict().get("id") for p in anonymous][2:5] == ["agent:0"] * 3
    assert anonymous[-1].to_dict()["finishReason"] == {"unified": "error", "raw": "failed"}


@given(
    st.sampled_from(
        ["completed", "requires_action", "failed", "cancelled", "incomplete", "in_progress"]
    )
)
def test_synthesised_and_streamed_finish_reasons_agree(status: str) -> None:
    call = {"type": "function_call", "id": "c", "name": "f"}
    body = {"id": "v1_y", "status": status, "steps": [call]}
    synthesised = synthesize_stream(body)[-1]
    t = InteractionsStreamTransform()
    t.feed(
        [
            {"event_type": "step.start", "index": 0, "step": call},
            {"event_type": "step.stop", "index": 0},
            {
                "event_type": "interaction.completed",
                "interaction": {"id": "v1_y", "status": status},
            },
        ]
    )
    assert t.finish()[-1] == synthesised


def test_usage_conversion() -> None:
    assert convert_usage(None) == parts.Usage()
    assert convert_usage({"total_thought_tokens": 3}).to_dict() == {
        "inputTokens": {},
        "outputTokens": {"total": 3, "reasoning": 3},
        "raw": {"total_thought_tokens": 3},
    }
    assert convert_usage({"total_input_tokens": 5.0, "total_output_tokens": "9"}).to_dict() == {
        "inputTokens": {"total": 5, "noCache": 5},
        "outputTokens": {},
        "raw": {"total_input_tokens": 5.0, "total_output_tokens": "9"},
    }
    assert output_tokens_by_modality({"output_tokens_by_modality": []}) is None
    assert output_tokens_by_modality(
        {"output_tokens_by_modality": [{"modality": "video", "tokens": 7}, 3]}
    ) == {"video": 7}
    assert output_tokens_by_modality(None) is None


def test_finish_reason_keeps_only_string_statuses() -> None:
    assert finish_reason("completed", has_function_call=True) == parts.FinishReason(
        unified="tool-calls", raw="completed"
    )
    assert finish_reason(None, has_function_call=False) == parts.FinishReason(unified="other")
    assert finish_reason(["x"], has_function_call=True) == parts.FinishReason(unified="other")


def test_response_validation() -> None:
    assert parse_response(json.dumps(BODY)) == BODY
    assert validate_response({"status": "in_progress"}) == {"status": "in_progress"}
    for bad, reason in [
        ([], "expected an object"),
        ({"status": "done"}, "status must be one of"),
        ({"status": ["completed"]}, "status must be one of"),
        ({"status": "completed", "id": 5}, "id must be a string"),
        (
            {"status": "completed", "steps": [{"content": []}]},
            "steps[] must be objects with a string type",
        ),
        (
            {"status": "completed", "usage": {"total_tokens": "1"}},
            "usage.total_tokens must be a number",
        ),
        (
            {"status": "completed", "usage": {"output_tokens_by_modality": [{"tokens": True}]}},
            "tokens must be a number",
        ),
        ({"status": "completed", "response_modalities": ["text", 1]}, "response_modalities"),
    ]:
        with pytest.raises(InvalidResponseDataError, match="Type validation failed") as info:
            validate_response(bad)
        assert reason in str(info.value)
        assert info.value.data == bad
    with pytest.raises(InvalidResponseDataError, match="invalid JSON"):
        parse_response(b"{")
    assert is_terminal_status("cancelled")
    assert not is_terminal_status("in_progress")
    assert not is_terminal_status({"x": 1})


@given(json_values(8))
def test_generate_outputs_never_raise_on_arbitrary_steps(steps: Any) -> None:
    body = {"status": "completed", "steps": steps if isinstance(steps, list) else [steps]}
    try:
        out = generate_outputs(body, generate_id=ids())
    except InvalidResponseDataError:
        return  # only an invalid file URL may fail the call
    for part in out.content:
        assert parts.from_dict(part.to_dict()) == part
    stream = synthesize_stream(body, generate_id=ids())
    assert json.loads(json.dumps([p.to_dict() for p in stream])) == [p.to_dict() for p in stream]


# href values recorded from Node.js's `new URL(text).href` (null: it throws).
NODE_HREFS: dict[str, str | None] = {
    "https://example.test/clip.mp4": "https://example.test/clip.mp4",
    "HTTPS://Example.TEST": "https://example.test/",
    "https://example.com:443/a/./b/../c?x=1 2#f g": "https://example.com/a/c?x=1%202#f%20g",
    "http://a.com:80": "http://a.com/",
    "http://a.com:8080/": "http://a.com:8080/",
    "gs://bucket/path/report.pdf": "gs://bucket/path/report.pdf",
    "GS://Bucket/Path": "gs://Bucket/Path",
    "data:image/png;base64,AAAA": "data:image/png;base64,AAAA",
    "mailto:Foo@Bar.com": "mailto:Foo@Bar.com",
    "https://a.com/a b/ü?q=ü&'x'#ü": "https://a.com/a%20b/%C3%BC?q=%C3%BC&%27x%27#%C3%BC",
    "  https://a.com/x  ": "https://a.com/x",
    "https:\\\\a.com\\b\\c": "https://a.com/b/c",
    "https:a.com/x": "https://a.com/x",
    "not a url": None,
    "/relative/path": None,
    "https://": None,
    "http://exa mple.com": None,
    "https://a.com:99999/": None,
    "https://user:pa ss@a.com/": "https://user:pa%20ss@a.com/",
    "https://a.com/%2e%2E/x": "https://a.com/x",
    "https://a.com/a/..": "https://a.com/",
    "https://[::1]:443/x": "https://[::1]/x",
    "https://münchen.de/": "https://xn--mnchen-3ya.de/",
    "file:///tmp/x": "file:///tmp/x",
    "http://a.com/{}|^`": "http://a.com/%7B%7D|^%60",
    'https://a.com?x="<>': "https://a.com/?x=%22%3C%3E",
    "foo://Host:12/x/../y": "foo://Host:12/y",
    "https://a.com#": "https://a.com/#",
    "https://a.com?": "https://a.com/?",
    "http://0x7f.1/": "http://127.0.0.1/",
    # A USVString: lone surrogates are U+FFFD, a pair of surrogates one character.
    "https://h/\ud800?\udc00#\ud83d": "https://h/%EF%BF%BD?%EF%BF%BD#%EF%BF%BD",
    "https://h/\ud83d\ude00": "https://h/%F0%9F%98%80",
    # Edges each checked in Node: a special file path, the characters just past the
    # stripped C0-or-space range, IPv4 parts that are not numbers or are too many or
    # too big, a CR inside, a second "?" in the query.
    "file:///a\\b": "file:///a/b",
    "http://h/!": "http://h/!",
    "!http://h/": None,
    '"http://h/"': None,
    "http://-1/": "http://-1/",
    "http://1.+1/": "http://1.+1/",
    "http://1./": "http://0.0.0.1/",
    "http://a.1/": None,
    "http://1.2.3.4.0/": None,
    "http://1.2.256.4/": None,
    "http://h/a\rb": "http://h/ab",
    "http://h/a?b?c": "http://h/a?b?c",
    "gs://h/a?b?c#d?e": "gs://h/a?b?c#d?e",
}


@pytest.mark.parametrize(("text", "href"), NODE_HREFS.items())
def test_url_href_matches_javascript(text: str, href: str | None) -> None:
    assert url_href(text) == href
