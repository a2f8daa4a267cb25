"""Generate-side output edges: values of the wrong JSON type, skipped entries, one vector each."""

from __future__ import annotations

from typing import Any

from partstream import parts
from partstream.codecs.interactions import parse_outputs
from partstream.codecs.interactions._outputs import builtin_tool_name, parse_created


def ids() -> Any:
    n = iter(range(1, 100))
    return lambda: f"gen-{next(n)}"


def content(steps: Any) -> list[dict[str, Any]]:
    return [c.to_dict() for c in parse_outputs(steps, generate_id=ids()).content]


def test_bad_steps_and_blocks_are_skipped_not_the_end_of_the_list() -> None:
    steps = [
        "junk",
        {"type": ["not", "a", "string"]},
        {"type": {"a": 1}},
        {"type": "model_output", "content": 5},
        {"type": "model_output", "content": "text"},
        {"type": "model_output", "content": ["junk", {"type": "text", "text": "a"}]},
        {"type": "model_output", "content": [{"type": "text", "text": 5}, {"type": "text"}]},
    ]
    assert content(steps) == [
        {"type": "text", "text": "a"},
        {"type": "text", "text": ""},
        {"type": "text", "text": ""},
    ]


def test_thought_summaries_keep_only_text_items() -> None:
    summary = [
        "junk",
        {"type": "text", "text": "a"},
        {"type": "image"},
        {"type": "text", "text": 5},
    ]
    steps = [{"type": "thought", "summary": summary, "signature": 5}, {"type": "thought"}]
    assert content(steps) == [{"type": "reasoning", "text": "a"}, {"type": "reasoning", "text": ""}]


def test_file_blocks_need_non_empty_string_data_or_uri() -> None:
    blocks = [
        {"type": "image", "data": "", "uri": "https://h/a.png"},  # empty data: the uri
        {"type": "image", "data": 5, "uri": 7},  # neither is a string: no file
        {"type": "video", "uri": ""},
        {"type": "image", "data": "AAAA", "mime_type": 3},  # a bad mime type: the default
    ]
    assert content([{"type": "model_output", "content": blocks}]) == [
        {
            "type": "file",
            "mediaType": "image/png",
            "data": {"type": "url", "url": "https://h/a.png"},
        },
        {"type": "file", "mediaType": "image/png", "data": {"type": "data", "data": "AAAA"}},
    ]


def test_builtin_tool_steps_name_and_input() -> None:
    steps = [
        {"type": "mcp_server_tool_call", "id": "c1", "name": "lookup", "arguments": {"q": 1}},
        {"type": "mcp_server_tool_call", "id": "c2", "name": 5},
        {"type": "mcp_server_tool_result", "call_id": "c1", "name": "lookup", "result": [1]},
        {"type": "code_execution_call", "id": "c3"},
    ]
    got = parse_outputs(steps, generate_id=ids()).content
    assert got == (
        parts.ToolCall(
            tool_call_id="c1", tool_name="lookup", input='{"q":1}', provider_executed=True
        ),
        parts.ToolCall(
            tool_call_id="c2", tool_name="mcp_server_tool", input="{}", provider_executed=True
        ),
        parts.ToolResult(tool_call_id="c1", tool_name="lookup", result=[1]),
        parts.ToolCall(
            tool_call_id="c3", tool_name="code_execution", input="{}", provider_executed=True
        ),
    )
    assert builtin_tool_name("google_search_result", None) == "google_search"


def test_created_timestamps_that_do_not_parse_are_absent() -> None:
    assert parse_created("not a time") is None
    assert parse_created(5) is None
    created = parse_created("2026-01-02T03:04:05Z")
    assert created is not None
    assert created.year == 2026
