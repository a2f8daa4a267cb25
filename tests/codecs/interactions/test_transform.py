"""InteractionsStreamTransform: behaviour event by event."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from partstream import open_stream, parts
from partstream.codecs.interactions import (
    InteractionsStreamTransform,
    Parsed,
    ParseFailure,
    decode_event,
    parse_event,
)
from partstream.errors import InvalidArgumentError
from partstream.pipeline import Emit

IID = "v1_abc"


def created(iid: str = IID, **extra: Any) -> dict[str, Any]:
    return {"event_type": "interaction.created", "interaction": {"id": iid, **extra}}


def start(index: float, step: dict[str, Any]) -> dict[str, Any]:
    return {"event_type": "step.start", "index": index, "step": step}


def delta(index: int, **payload: Any) -> dict[str, Any]:
    return {"event_type": "step.delta", "index": index, "delta": payload}


def stop(index: int) -> dict[str, Any]:
    return {"event_type": "step.stop", "index": index}


def completed(iid: str = IID, **extra: Any) -> dict[str, Any]:
    return {"event_type": "interaction.completed", "interaction": {"id": iid, **extra}}


def run(events: list[Any], **options: Any) -> list[dict[str, Any]]:
    options.setdefault("generate_id", lambda: "sid")
    t = InteractionsStreamTransform(**options)
    out = t.start()
    for event in events:
        out += t.feed(event)
    return [p.to_dict() for p in out + t.finish()]


def of_type(out: list[dict[str, Any]], *types: str) -> list[dict[str, Any]]:
    return [p for p in out if p["type"] in types]


def test_the_design_example() -> None:
    event = created(model="gemini-2.5-flash")
    t = InteractionsStreamTransform(warnings=[], generate_id=lambda: "id", include_raw_chunks=False)
    out = t.start() + t.feed(Parsed(value=event, raw=event)) + t.finish()
    assert [p.to_dict() for p in out] == [
        {"type": "stream-start", "warnings": []},
        {"type": "response-metadata", "id": IID, "modelId": "gemini-2.5-flash"},
        {
            "type": "finish",
            # No interaction.completed: the stream was cut off (AI SDK 4.0.103).
            "finishReason": {"unified": "interrupted"},
            "usage": {"inputTokens": {}, "outputTokens": {}},
            "providerMetadata": {"google": {"interactionId": IID}},
        },
    ]


def test_a_text_stream_end_to_end() -> None:
    usage = {"total_input_tokens": 7, "total_output_tokens": 3, "total_thought_tokens": 2}
    out = run(
        [
            created(created="2026-05-15T18:51:57Z"),
            start(0, {"type": "model_output"}),
            delta(0, type="text", text="Hel"),
            delta(0, type="text", text=""),
            delta(0, type="text", text="lo"),
            stop(0),
            completed(status="completed", usage=usage, service_tier="standard"),
        ],
        warnings=[parts.OtherWarning(message="w")],
    )
    assert out == [
        {"type": "stream-start", "warnings": [{"type": "other", "message": "w"}]},
        {"type": "response-metadata", "id": IID, "timestamp": "2026-05-15T18:51:57.000Z"},
        {"type": "text-start", "id": f"{IID}:0"},
        {"type": "text-delta", "id": f"{IID}:0", "delta": "Hel"},
        {"type": "text-delta", "id": f"{IID}:0", "delta": "lo"},
        {
            "type": "text-end",
            "id": f"{IID}:0",
            "providerMetadata": {"google": {"interactionId": IID}},
        },
        {
            "type": "finish",
            "finishReason": {"unified": "stop", "raw": "completed"},
            "usage": {
                "inputTokens": {"total": 7, "noCache": 7},
                "outputTokens": {"total": 5, "text": 3, "reasoning": 2},
                "raw": usage,
            },
            "providerMetadata": {"google": {"interactionId": IID, "serviceTier": "standard"}},
        },
    ]


def test_feed_takes_one_item_or_a_batch_of_any_item_kind() -> None:
    events = [
        created(),
        start(0, {"type": "model_output"}),
        delta(0, type="text", text="x"),
        stop(0),
    ]
    single = run(events)
    t = InteractionsStreamTransform(generate_id=lambda: "sid")
    mixed = [events[0], Parsed(value=events[1], raw=events[1]), None, events[2], events[3]]
    batched = t.start() + t.feed(mixed) + t.finish()
    assert [p.to_dict() for p in batched] == single
    with pytest.raises(InvalidArgumentError):
        t.feed("data: {}")


def test_a_parse_failure_is_an_error_part_and_fails_the_stream() -> None:
    failure = parse_event("{not json")
    assert isinstance(failure, ParseFailure)
    out = run([created(), failure], include_raw_chunks=True)
    assert out[1:4] == [
        {"type": "raw", "rawValue": created()},
        {"type": "response-metadata", "id": IID},
        {"type": "raw"},
    ]
    error = out[4]
    assert error["type"] == "error"
    assert error["error"]["name"] == "AI_JSONParseError"
    assert error["error"]["message"].startswith("JSON parsing failed: Text: {not json.\n")
    assert out[-1]["finishReason"] == {"unified": "error", "raw": "failed"}


def test_an_exception_in_a_parse_failure_becomes_name_and_message() -> None:
    out = run([ParseFailure(error=ValueError("boom"), raw={"x": 1})])
    assert of_type(out, "error") == [
        {"type": "error", "error": {"name": "ValueError", "message": "boom"}}
    ]


def test_valid_json_that_is_not_an_event_is_a_validation_failure() -> None:
    out = run([decode_event("[1, 2]"), Parsed(value={"no": "type"}, raw={"no": "type"})])
    errors = of_type(out, "error")
    assert [e["error"]["name"] for e in errors] == ["AI_TypeValidationError"] * 2
    assert "Value: [1,2]." in errors[0]["error"]["message"]
    assert decode_event("[DONE]") is None
    assert parse_event(b"[DONE]") is None


def test_error_events() -> None:
    out = run(
        [
            {"event_type": "error", "error": {"code": "x", "message": "overloaded"}},
            {"event_type": "error"},
        ]
    )
    # A provider stream error (AI SDK 4.0.52): message, event type, code, the event.
    assert of_type(out, "error") == [
        {
            "type": "error",
            "error": {
                "message": "overloaded",
                "type": "error",
                "code": "x",
                "data": {"event_type": "error", "error": {"code": "x", "message": "overloaded"}},
            },
        },
        {
            "type": "error",
            "error": {
                "message": "Unknown interaction error",
                "type": "error",
                "data": {"event_type": "error"},
            },
        },
    ]
    assert out[-1]["finishReason"] == {"unified": "error", "raw": "failed"}


@pytest.mark.parametrize(
    ("header", "body", "expected"),
    [("priority", None, "priority"), ("priority", "standard", "standard"), (None, None, None)],
)
def test_service_tier_body_wins_over_header(
    header: str | None, body: str | None, expected: str | None
) -> None:
    interaction: dict[str, Any] = {"status": "completed"}
    if body is not None:
        interaction["service_tier"] = body
    out = run([created(), completed(**interaction)], service_tier=header)
    assert out[-1]["providerMetadata"]["google"].get("serviceTier") == expected


def test_the_header_tier_may_arrive_after_the_transform_was_built() -> None:
    t = InteractionsStreamTransform(service_tier="flex")
    t.header_service_tier = "priority"
    assert t.header_service_tier == "priority"
    assert t.finish()[-1].to_dict()["providerMetadata"] == {"google": {"serviceTier": "priority"}}
    t = InteractionsStreamTransform()
    t.feed(completed(service_tier="standard"))
    t.header_service_tier = "priority"  # the body still wins
    assert t.finish()[-1].to_dict()["providerMetadata"]["google"]["serviceTier"] == "standard"


def test_an_empty_interaction_id_is_no_id() -> None:
    out = run(
        [
            created(""),
            start(0, {"type": "model_output"}),
            delta(0, type="text", text="x"),
            stop(0),
            completed("", status="completed"),
        ]
    )
    assert out[1] == {"type": "response-metadata"}
    assert [p["id"] for p in of_type(out, "text-start", "text-end")] == ["interaction:0"] * 2
    assert "providerMetadata" not in of_type(out, "text-end")[0]
    assert out[-1]["providerMetadata"] == {"google": {}}


def test_interaction_complete_is_accepted_like_completed() -> None:
    old = {"event_type": "interaction.complete", "interaction": {"id": IID, "status": "completed"}}
    assert run([created(), old]) == run([created(), completed(status="completed")])


def test_status_updates_and_function_calls_decide_the_finish_reason() -> None:
    calls = [start(0, {"type": "function_call", "id": "c", "name": "f"}), stop(0)]
    assert run([*calls, completed(status="completed")])[-1]["finishReason"]["unified"] == (
        "tool-calls"
    )
    requires = {"event_type": "interaction.requires_action"}
    assert run([requires])[-1]["finishReason"] == {
        "unified": "tool-calls",
        "raw": "requires_action",
    }
    update = {"event_type": "interaction.status_update", "status": "incomplete"}
    assert run([update])[-1]["finishReason"] == {"unified": "length", "raw": "incomplete"}
    # Still in progress when the stream ended, with no completion event: cut off.
    assert run([{"event_type": "interaction.in_progress"}])[-1]["finishReason"] == {
        "unified": "interrupted"
    }
    assert run([])[-1]["finishReason"] == {"unified": "interrupted"}
    # A completion event that says in_progress is not an interruption.
    assert run([completed(status="in_progress")])[-1]["finishReason"] == {
        "unified": "other",
        "raw": "in_progress",
    }
    # Neither is a stream that failed, nor one whose last status was final.
    assert run([{"event_type": "error"}])[-1]["finishReason"]["unified"] == "error"
    assert run([update])[-1]["finishReason"]["unified"] == "length"


def test_annotations_promote_a_pending_block_and_sources_are_deduplicated() -> None:
    citation = {"type": "url_citation", "url": "https://a.example", "title": "A"}
    out = run(
        [
            created(),
            start(0, {"type": "model_output"}),
            delta(0, type="text_annotation_delta", annotations=[citation, citation]),
            delta(0, type="text", text="t"),
            delta(0, type="text_annotation", annotations=[citation]),
            stop(0),
            start(1, {"type": "google_search_result", "call_id": "c1"}),
            delta(
                1,
                type="google_search_result",
                result=[{"url": "https://a.example"}, {"url": "https://b.example", "title": "B"}],
            ),
            stop(1),
        ]
    )
    assert [p["type"] for p in out[2:5]] == ["text-start", "source", "text-delta"]
    assert of_type(out, "source") == [
        {
            "type": "source",
            "sourceType": "url",
            "id": "sid",
            "url": "https://a.example",
            "title": "A",
        },
        {
            "type": "source",
            "sourceType": "url",
            "id": "sid",
            "url": "https://b.example",
            "title": "B",
        },
    ]
    assert of_type(out, "tool-result") == [
        {
            "type": "tool-result",
            "toolCallId": "c1",
            "toolName": "google_search",
            "result": [{"url": "https://a.example"}, {"url": "https://b.example", "title": "B"}],
        }
    ]


def test_a_text_content_hint_opens_the_block_at_once() -> None:
    hint = {
        "type": "model_output",
        "content": [
            {
                "type": "text",
                "text": "ignored",
                "annotations": [{"type": "url_citation", "url": "https://u"}],
            }
        ],
    }
    out = run([created(), start(0, hint), stop(0)])
    assert [p["type"] for p in out[2:5]] == ["text-start", "source", "text-end"]


def test_images_are_emitted_inline_or_at_stop() -> None:
    out = run(
        [
            created(),
            start(0, {"type": "model_output"}),
            delta(0, type="text", text="look:"),
            delta(0, type="image", data="AAAA", mime_type="image/jpeg"),
            delta(0, type="text", text="!"),
            stop(0),
            start(
                1,
                {
                    "type": "model_output",
                    "content": [{"type": "image", "uri": "HTTPS://Img.Example"}],
                },
            ),
            stop(1),
            start(2, {"type": "model_output", "content": [{"type": "image"}]}),
            delta(2, type="image", data="BBBB"),
            stop(2),
            start(3, {"type": "model_output"}),
            delta(3, type="video"),
            stop(3),
        ]
    )
    meta = {"google": {"interactionId": IID}}
    assert [p["type"] for p in out[2:7]] == [
        "text-start",
        "text-delta",
        "file",
        "text-delta",
        "text-end",
    ]
    assert of_type(out, "file") == [
        {
            "type": "file",
            "mediaType": "image/jpeg",
            "data": {"type": "data", "data": "AAAA"},
            "providerMetadata": meta,
        },
        # new URL(...).href: scheme and host lower-cased, empty path is "/".
        {
            "type": "file",
            "mediaType": "image/png",
            "data": {"type": "url", "url": "https://img.example/"},
            "providerMetadata": meta,
        },
        {
            "type": "file",
            "mediaType": "image/png",
            "data": {"type": "data", "data": "BBBB"},
            "providerMetadata": meta,
        },
    ]


def test_an_invalid_media_url_is_an_error_part_and_the_stream_goes_on() -> None:
    out = run(
        [
            created(),
            start(0, {"type": "model_output"}),
            delta(0, type="video", uri="not a url"),
            delta(0, type="text", text="after"),
            stop(0),
        ]
    )
    assert [p["type"] for p in out[2:]] == [
        "error",
        "text-start",
        "text-delta",
        "text-end",
        "finish",
    ]
    assert out[2]["error"]["name"] == "InvalidResponseDataError"


def test_thoughts_become_reasoning_with_the_signature() -> None:
    out = run(
        [
            created(),
            start(
                0,
                {
                    "type": "thought",
                    "signature": "s0",
                    "summary": [{"type": "text", "text": "a"}, {"type": "image"}],
                },
            ),
            delta(0, type="thought_summary", content={"type": "text", "text": "b"}),
            delta(0, type="thought_signature", signature="s1"),
            stop(0),
        ]
    )
    assert out[2:6] == [
        {"type": "reasoning-start", "id": f"{IID}:0"},
        {"type": "reasoning-delta", "id": f"{IID}:0", "delta": "a"},
        {"type": "reasoning-delta", "id": f"{IID}:0", "delta": "b"},
        {
            "type": "reasoning-end",
            "id": f"{IID}:0",
            "providerMetadata": {"google": {"signature": "s1", "interactionId": IID}},
        },
    ]


def test_function_call_arguments_accumulate_and_the_id_may_arrive_late() -> None:
    out = run(
        [
            created(),
            start(0, {"type": "function_call", "id": "", "name": "get"}),
            delta(0, type="arguments_delta", arguments='{"a":'),
            delta(0, type="arguments_delta", arguments="1}", id="call_9", signature="sig"),
            stop(0),
            start(1, {"type": "function_call", "id": "call_2"}),
            stop(1),
        ]
    )
    assert out[2:7] == [
        {"type": "tool-input-start", "id": f"{IID}:0", "toolName": "get"},
        {"type": "tool-input-delta", "id": f"{IID}:0", "delta": '{"a":'},
        {"type": "tool-input-delta", "id": f"{IID}:0", "delta": "1}"},
        {"type": "tool-input-end", "id": "call_9"},
        {
            "type": "tool-call",
            "toolCallId": "call_9",
            "toolName": "get",
            "input": '{"a":1}',
            "providerMetadata": {"google": {"signature": "sig", "interactionId": IID}},
        },
    ]
    assert of_type(out, "tool-call")[1]["input"] == "{}"
    assert of_type(out, "tool-call")[1]["toolName"] == "unknown"


def test_builtin_calls_are_provider_executed_and_mcp_names_come_from_the_step() -> None:
    out = run(
        [
            created(),
            start(
                0, {"type": "mcp_server_tool_call", "id": "m1", "arguments": {"b": 1.0, "a": [2]}}
            ),
            delta(0, type="mcp_server_tool_call", name="lookup"),
            stop(0),
            start(1, {"type": "code_execution_result", "call_id": "m1"}),
            stop(1),
        ]
    )
    assert of_type(out, "tool-call", "tool-result") == [
        {
            "type": "tool-call",
            "toolCallId": "m1",
            "toolName": "lookup",
            # JSON.stringify: 1.0 is written as 1.
            "input": '{"b":1,"a":[2]}',
            "providerExecuted": True,
        },
        {"type": "tool-result", "toolCallId": "m1", "toolName": "code_execution", "result": None},
    ]


def test_step_events_without_a_numeric_index_are_validation_failures() -> None:
    out = run([created(), {"event_type": "step.start", "step": {"type": "thought"}}, stop(7)])
    assert [p["type"] for p in out[2:]] == ["error", "finish"]
    assert out[2]["error"]["name"] == "AI_TypeValidationError"
    assert "numeric index" in out[2]["error"]["message"]
    assert out[-1]["finishReason"]["raw"] == "failed"


def test_block_ids_print_the_index_as_javascript_does() -> None:
    events = [created(), *(start(i, {"type": "thought"}) for i in (1.0, 2.5, 10**22))]
    ids = [p["id"] for p in of_type(run(events), "reasoning-start")]
    assert ids == [f"{IID}:1", f"{IID}:2.5", f"{IID}:1e+22"]


def test_blocks_left_open_are_closed_before_finish() -> None:
    out = run(
        [
            created(),
            start(0, {"type": "model_output"}),
            delta(0, type="text", text="cut"),
            start(1, {"type": "thought", "signature": "s"}),
            start(2, {"type": "function_call", "id": "c", "name": "f"}),
            start(2, {"type": "model_output"}),
        ]
    )
    assert [p["type"] for p in out[2:]] == [
        "text-start",
        "text-delta",
        "reasoning-start",
        "tool-input-start",
        "tool-input-end",  # index 2 reopened: the first block is ended
        "text-end",
        "reasoning-end",
        "finish",
    ]
    assert out[-2]["providerMetadata"] == {"google": {"signature": "s", "interactionId": IID}}


def test_what_the_transform_has_seen() -> None:
    t = InteractionsStreamTransform()
    assert (t.interaction_id, t.status) == (None, None)
    t.feed([created(""), {"event_type": "interaction.status_update", "status": "in_progress"}])
    assert (t.interaction_id, t.status) == (None, "in_progress")
    t.feed(completed("v1_late", status="completed"))
    assert (t.interaction_id, t.status) == ("v1_late", "completed")


def test_unparseable_timestamps_and_odd_field_types_are_ignored() -> None:
    out = run(
        [
            created(created="yesterday", model=5),
            {"event_type": "interaction.completed", "interaction": "x"},
        ]
    )
    assert out[1] == {"type": "response-metadata", "id": IID}
    out = run([created(created="2026-01-02T03:04:05.678+01:00")])
    assert out[1]["timestamp"] == "2026-01-02T02:04:05.678Z"
    assert isinstance(parts.from_dict(out[1]).timestamp, dt.datetime)  # type: ignore[union-attr]


pytestmark = pytest.mark.anyio


async def test_the_transform_is_a_pipeline_stage() -> None:
    events = [
        created(),
        start(0, {"type": "model_output"}),
        *[delta(0, type="text", text=str(i)) for i in range(50)],
        stop(0),
        completed(status="completed"),
    ]
    lines = [json.dumps(e) for e in events]

    async def source(emit: Emit[Any]) -> None:
        for i in range(0, len(lines), 7):
            await emit([decode_event(line) for line in lines[i : i + 7]])

    got = []
    async with open_stream(
        source, InteractionsStreamTransform(generate_id=lambda: "sid")
    ) as stream:
        async for part in stream:
            got.append(part.to_dict())
    assert got == run(events)
