"""UI messages and their parts: JSON round trips and the reference's validation rules."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given

from partstream.errors import InvalidArgumentError
from partstream.testing import json_values, ui_message_parts, ui_messages
from partstream.ui import (
    DataUIPart,
    DynamicToolUIPart,
    TextUIPart,
    ToolApproval,
    ToolUIPart,
    UIMessage,
    UIMessagePart,
    ui_message_part_from_dict,
    validate_ui_messages,
)


@given(ui_messages())
def test_message_round_trip(message: UIMessage) -> None:
    data = json.loads(json.dumps(message.to_dict()))
    assert UIMessage.from_dict(data) == message
    assert validate_ui_messages([data]) == [message]


@given(ui_message_parts())
def test_part_round_trip(part: UIMessagePart) -> None:
    assert ui_message_part_from_dict(part.to_dict()) == part


def _tool(**extra: Any) -> dict[str, Any]:
    return {"type": "tool-search", "toolCallId": "c1", **extra}


@pytest.mark.parametrize(
    ("part", "message"),
    [
        (_tool(state="input-available"), "missing required key 'input'"),
        (_tool(state="input-available", input=1, output=2), "must not be set in state"),
        (_tool(state="output-available", input=1), "missing required key 'output'"),
        (_tool(state="output-error", input=1), "missing required key 'errorText'"),
        (_tool(state="approval-requested", input=1), "missing required key 'approval'"),
        (
            _tool(state="approval-requested", input=1, approval={"id": "a", "approved": True}),
            "no 'approved'",
        ),
        (
            _tool(state="output-denied", input=1, approval={"id": "a", "approved": True}),
            "expected false",
        ),
        (_tool(state="done", input=1), "expected one of"),
        (
            {"type": "dynamic-tool", "toolCallId": "c", "state": "input-available", "input": 1},
            "toolName",
        ),
        ({"type": "nope"}, "Invalid UI message part type"),
        ({"type": "text"}, "missing required key 'text'"),
        ({"type": "text", "text": "x", "state": "over"}, "expected one of"),
        ({"type": "file", "url": "x"}, "mediaType"),
    ],
)
def test_invalid_parts_are_refused_with_the_reason(part: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        ui_message_part_from_dict(part, strict=False)


def test_unknown_keys_strict_and_lenient() -> None:
    data = {"id": "1", "role": "user", "parts": [{"type": "text", "text": "hi", "x": 1}], "y": 2}
    with pytest.raises(InvalidArgumentError, match="unknown key"):
        UIMessage.from_dict(data)
    with pytest.raises(InvalidArgumentError, match="unknown key"):
        validate_ui_messages([data])
    expected = UIMessage("1", "user", (TextUIPart("hi"),))
    assert UIMessage.from_dict(data, strict=False) == expected
    assert validate_ui_messages([data], strict=False) == [expected]


def test_message_rules() -> None:
    with pytest.raises(InvalidArgumentError, match="Messages array must not be empty"):
        validate_ui_messages([])
    with pytest.raises(InvalidArgumentError, match="at least one part"):
        validate_ui_messages([{"id": "1", "role": "user", "parts": []}])
    # An assistant message may be empty (it is about to stream).
    assert validate_ui_messages([{"id": "1", "role": "assistant", "parts": []}])[0].parts == ()
    with pytest.raises(InvalidArgumentError, match="expected one of"):
        validate_ui_messages([{"id": "1", "role": "tool", "parts": [{"type": "step-start"}]}])
    with pytest.raises(InvalidArgumentError, match=r"messages\[1\]"):
        validate_ui_messages([{"id": "1", "role": "user", "parts": [{"type": "step-start"}]}, 3])


def test_tool_parts_keep_required_nulls_and_their_order() -> None:
    part = ToolUIPart("tool-search", "c1", "output-available", input=None, output=None)
    assert part.to_dict() == {
        "type": "tool-search",
        "toolCallId": "c1",
        "state": "output-available",
        "input": None,
        "output": None,
    }
    assert part.tool_name == "search"
    streaming = ToolUIPart("tool-search", "c1", "input-streaming")
    assert "input" not in streaming.to_dict()
    dynamic = DynamicToolUIPart(
        "lookup",
        "c2",
        "output-denied",
        input={},
        approval=ToolApproval("a", approved=False, reason="no"),
        dynamic=False,
    )
    assert list(dynamic.to_dict()) == [
        "type",
        "toolName",
        "toolCallId",
        "state",
        "input",
        "approval",
        "dynamic",
    ]
    assert DynamicToolUIPart.from_dict(dynamic.to_dict()) == dynamic
    with pytest.raises(InvalidArgumentError, match='must start with "tool-"'):
        ToolUIPart("search", "c", "input-available")


def test_data_parts() -> None:
    part = DataUIPart("data-weather", {"t": 1}, id="w")
    assert part.to_dict() == {"type": "data-weather", "data": {"t": 1}, "id": "w"}
    assert ui_message_part_from_dict({"type": "data-x", "data": None}) == DataUIPart("data-x", None)
    with pytest.raises(InvalidArgumentError, match="missing required key 'data'"):
        ui_message_part_from_dict({"type": "data-x"})


@given(json_values(20))
def test_bad_messages_are_an_invalid_argument_error_never_a_crash(value: Any) -> None:
    candidates = [
        value,
        [value],
        [{"id": "1", "role": "user", "parts": value}],
        [{"id": "1", "role": "user", "parts": [value]}],
        [
            {
                "id": "1",
                "role": "user",
                "parts": [{"type": "tool-x", "toolCallId": "c", "state": value}],
            }
        ],
    ]
    for data in candidates:
        for strict in (True, False):
            try:
                validate_ui_messages(data, strict=strict)
            except InvalidArgumentError:
                pass
