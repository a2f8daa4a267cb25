"""Tool preparation edges: each provider tool's arguments, tool_choice errors, argument names."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from partstream.codecs.interactions import prepare_interactions_tools
from partstream.errors import InvalidArgumentError

FUNCTION = {"type": "function", "name": "f", "inputSchema": {"type": "object"}}


def provider(tool_id: str, args: Any = None, **extra: Any) -> dict[str, Any]:
    tool = {"type": "provider", "id": tool_id, "name": tool_id.split(".")[-1], **extra}
    if args is not None:
        tool["args"] = args
    return tool


def test_every_provider_tool_passes_its_arguments_under_the_api_names() -> None:
    prepared = prepare_interactions_tools(
        [
            provider(
                "google.file_search",
                {"fileSearchStoreNames": ["s"], "topK": 3, "metadataFilter": "a=1", "x": 1},
            ),
            provider(
                "google.google_maps", {"latitude": 1.5, "longitude": -2, "enableWidget": True}
            ),
            provider(
                "google.mcp_server",
                {"name": "m", "url": "https://m", "headers": {"h": "v"}, "allowedTools": ["t"]},
            ),
            provider("google.computer_use", {"environment": "desktop"}),
            provider(
                "google.retrieval",
                {"retrievalTypes": ["custom"], "vertexAiSearchConfig": {"datastore": "d"}},
            ),
            provider("google.google_search", {"searchTypes": {"webSearch": {}, "imageSearch": {}}}),
            provider("google.code_execution", {}),
        ]
    )
    assert prepared.tools == [
        {
            "type": "file_search",
            "file_search_store_names": ["s"],
            "top_k": 3,
            "metadata_filter": "a=1",
        },
        {"type": "google_maps", "latitude": 1.5, "longitude": -2, "enable_widget": True},
        {
            "type": "mcp_server",
            "name": "m",
            "url": "https://m",
            "headers": {"h": "v"},
            "allowed_tools": ["t"],
        },
        {"type": "computer_use", "environment": "desktop"},
        {
            "type": "retrieval",
            "retrieval_types": ["custom"],
            "vertex_ai_search_config": {"datastore": "d"},
        },
        {"type": "google_search", "search_types": ["web_search", "image_search"]},
        {"type": "code_execution"},
    ]
    assert prepared.warnings == []


def test_provider_tools_without_args_or_with_args_of_the_wrong_type_use_defaults() -> None:
    for args in (None, "junk", [1]):
        prepared = prepare_interactions_tools(
            [provider("google.computer_use", args), provider("google.file_search", args)]
        )
        assert prepared.tools == [
            {"type": "computer_use", "environment": "browser"},
            {"type": "file_search"},
        ]
    # Absent values (None) are dropped, not sent as null.
    prepared = prepare_interactions_tools(
        [provider("google.google_maps", {"latitude": None, "longitude": 0})]
    )
    assert prepared.tools == [{"type": "google_maps", "longitude": 0}]


def test_unknown_provider_tools_warn_and_are_dropped() -> None:
    prepared = prepare_interactions_tools([provider("openai.web_search", {}), FUNCTION])
    assert prepared.tools == [
        {"type": "function", "name": "f", "description": "", "parameters": {"type": "object"}}
    ]
    assert [w.to_dict() for w in prepared.warnings] == [
        {
            "type": "unsupported",
            "feature": "provider-defined tool openai.web_search",
            "details": "provider-defined tool openai.web_search is not supported by "
            "google.interactions; tool dropped.",
        }
    ]


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ({"type": "auto"}, "auto"),
        ({"type": "required"}, "any"),
        (
            {"type": "tool", "toolName": "f"},
            {"allowed_tools": {"mode": "validated", "tools": ["f"]}},
        ),
    ],
)
def test_tool_choices(choice: dict[str, Any], expected: Any) -> None:
    assert prepare_interactions_tools([FUNCTION], choice).tool_choice == expected


def test_tool_choice_none_sends_no_tools_at_all() -> None:
    # Since @ai-sdk/google 4.0.111: every tool and the tool choice are left out.
    prepared = prepare_interactions_tools([FUNCTION], {"type": "none"})
    assert (prepared.tools, prepared.tool_choice) == (None, None)


@pytest.mark.parametrize(
    "choice",
    [
        "auto",
        ["auto"],
        {"type": "tool"},
        {"type": "tool", "toolName": 3},
        {"type": "bogus", "toolName": "f"},
        {},
    ],
)
def test_bad_tool_choices_name_the_argument(choice: Any) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        prepare_interactions_tools([FUNCTION], choice)
    assert info.value.argument == "toolChoice"


def _tools() -> Iterator[dict[str, Any]]:
    yield FUNCTION


@pytest.mark.parametrize("tools", ["f", {"type": "function"}, _tools(), 3])
def test_tools_must_be_a_list_or_tuple(tools: Any) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        prepare_interactions_tools(tools)
    assert info.value.argument == "tools"


@pytest.mark.parametrize("tools", [["junk"], [{"type": "function", "name": 3}], [FUNCTION, None]])
def test_bad_tools_name_the_argument(tools: Any) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        prepare_interactions_tools(tools)
    assert info.value.argument == "tools"


def test_a_tuple_of_tools_and_an_empty_list() -> None:
    assert prepare_interactions_tools((FUNCTION,)).tools == [
        {"type": "function", "name": "f", "description": "", "parameters": {"type": "object"}}
    ]
    empty = prepare_interactions_tools([], {"type": "auto"})
    assert (empty.tools, empty.tool_choice, empty.warnings) == (None, None, [])
