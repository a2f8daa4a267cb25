"""(c) UI messages -> model messages -> the model's prompt, against the reference in Node.

The reference side validates the messages (``validateUIMessages``), converts them
(``convertToModelMessages``) and hands them to ``streamText`` over a mock model,
whose ``doStream`` receives the LanguageModelV4 prompt (``ui_prompt.mjs``). Ours:
``validate_ui_messages(strict=False)``, :func:`convert_to_model_messages` and
:func:`to_prompt`. Both must agree on the model messages, the prompt, and on which
inputs are refused.

Conversations come from the reference itself (the assistant messages its client
builds from its own UI streams of the matrix, with the results of the
application's tools added as ``addToolOutput`` does, user files around them),
from hand-written ones for the tool states and approvals, and from hypothesis.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.ui._matrix import MATRIX
from tests.ui._reference import renumber, run_prompt

from partstream.errors import InvalidArgumentError, LimitExceededError
from partstream.testing import ui_messages
from partstream.ui import UIMessage, convert_to_model_messages, to_prompt, validate_ui_messages

PNG = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUg=="
USER = {
    "id": "u1",
    "role": "user",
    "parts": [
        {"type": "text", "text": "What is the weather?"},
        {"type": "file", "mediaType": "image/png", "url": PNG, "filename": "p.png"},
        {"type": "file", "mediaType": "application/pdf", "url": "https://example.com/doc.pdf"},
        {"type": "data-context", "data": {"x": 1}},
    ],
}
FOLLOW_UP = {"id": "u2", "role": "user", "parts": [{"type": "text", "text": "Thanks!"}]}


def _add_tool_outputs(message: dict[str, Any]) -> dict[str, Any]:
    """``Chat.addToolOutput`` for every tool call the application has to answer."""
    parts = []
    for i, part in enumerate(message["parts"]):
        tool = part["type"].startswith("tool-") or part["type"] == "dynamic-tool"
        if tool and part.get("state") == "input-available" and not part.get("providerExecuted"):
            part = {k: v for k, v in part.items() if k not in ("approval", "output", "errorText")}
            if i % 3 == 2:
                part.update(state="output-error", errorText="the tool failed")
            else:
                part.update(state="output-available", output={"temperature": 21.5, "unit": "C"})
        parts.append(part)
    return {**message, "parts": parts}


def _tool(kind: str, state: str, **extra: Any) -> dict[str, Any]:
    return {"type": kind, "toolCallId": f"{kind}-{state}", "state": state, **extra}


HAND_WRITTEN: list[list[dict[str, Any]]] = [
    [
        USER,
        {
            "id": "a1",
            "role": "assistant",
            "parts": [
                {"type": "step-start"},
                {
                    "type": "reasoning",
                    "text": "hm",
                    "providerMetadata": {"google": {"signature": "s"}},
                },
                _tool("tool-search", "output-available", input={"q": 1}, output="plain text"),
                _tool(
                    "tool-search",
                    "output-error",
                    input={"q": 2},
                    errorText="boom",
                    callProviderMetadata={"google": {"x": 1}},
                ),
                _tool(
                    "tool-search",
                    "output-denied",
                    input={},
                    approval={"id": "ap1", "approved": False},
                ),
                _tool(
                    "tool-search",
                    "approval-responded",
                    input={},
                    approval={"id": "ap2", "approved": False, "reason": "no"},
                ),
                _tool(
                    "tool-search",
                    "output-available",
                    input={},
                    output=None,
                    approval={"id": "ap3", "approved": True, "reason": "ok", "isAutomatic": True},
                ),
                {"type": "step-start"},
                _tool(
                    "tool-google_search",
                    "output-available",
                    input={"queries": ["q"]},
                    output=[{"url": "u"}],
                    providerExecuted=True,
                    resultProviderMetadata={"google": {"r": 1}},
                ),
                _tool(
                    "tool-google_search", "output-error", errorText="quota", providerExecuted=True
                ),
                _tool(
                    "dynamic-tool",
                    "output-available",
                    toolName="gone",
                    input={},
                    output={"a": 1},
                    dynamic=False,
                ),
                _tool(
                    "dynamic-tool", "output-error", toolName="dyn", rawInput="{bad", errorText="x"
                ),
                {"type": "step-start"},
                {"type": "text", "text": ""},
                {"type": "text", "text": "", "providerMetadata": {"google": {"s": 1}}},
                {"type": "text", "text": "It is sunny."},
                {"type": "custom", "kind": "google.thing"},
                {"type": "reasoning-file", "mediaType": "image/png", "url": PNG},
                {"type": "file", "mediaType": "image/png", "url": "https://example.com/x.png"},
                {"type": "source-url", "sourceId": "s", "url": "https://a.example"},
                {"type": "data-x", "data": 1},
                {
                    "type": "steering-message",
                    "id": "st",
                    "parts": [{"type": "text", "text": "shorter"}],
                },
                {"type": "text", "text": "Short."},
            ],
        },
        FOLLOW_UP,
    ],
    # An approval request a later user message supersedes, and one still pending.
    [
        USER,
        {
            "id": "a1",
            "role": "assistant",
            "parts": [_tool("tool-x", "approval-requested", input={}, approval={"id": "p1"})],
        },
        FOLLOW_UP,
        {
            "id": "a2",
            "role": "assistant",
            "parts": [_tool("tool-x", "approval-requested", input={}, approval={"id": "p2"})],
        },
    ],
    # A tool call without its result: the reference refuses the prompt.
    [
        USER,
        {"id": "a1", "role": "assistant", "parts": [_tool("tool-x", "input-available", input={})]},
    ],
    # A provider-executed tool waiting for approval, then answered.
    [
        USER,
        {
            "id": "a1",
            "role": "assistant",
            "parts": [
                _tool(
                    "tool-google_search",
                    "approval-responded",
                    input={},
                    providerExecuted=True,
                    approval={"id": "p1", "approved": True},
                )
            ],
        },
    ],
    [{"id": "s", "role": "system", "parts": [{"type": "text", "text": "be brief"}]}, USER],
    [
        {
            "id": "u",
            "role": "user",
            "parts": [
                {"type": "file", "mediaType": "image", "url": "data:image/png;base64,/9j/4AAQ"}
            ],
        }
    ],
    [
        {
            "id": "u",
            "role": "user",
            "parts": [{"type": "file", "mediaType": "text/plain", "url": "data:,hello"}],
        }
    ],
    [
        {
            "id": "u",
            "role": "user",
            "parts": [{"type": "file", "mediaType": "image/png", "url": "/relative.png"}],
        }
    ],
]


def _ours(case: dict[str, Any]) -> dict[str, Any]:
    options = case.get("options") or {}
    try:
        messages = validate_ui_messages(case["messages"], strict=False)
        model_messages = convert_to_model_messages(
            messages, ignore_incomplete_tool_calls=options.get("ignoreIncompleteToolCalls", False)
        )
    except (InvalidArgumentError, LimitExceededError) as exc:
        return {"modelError": str(exc)}
    try:
        prompt = to_prompt(
            messages,
            system=options.get("system"),
            allow_system_messages=options.get("allowSystemInMessages", False),
            ignore_incomplete_tool_calls=options.get("ignoreIncompleteToolCalls", False),
        )
    except InvalidArgumentError as exc:
        return {"modelMessages": model_messages, "promptError": str(exc)}
    return {"modelMessages": model_messages, "prompt": prompt}


def _compare(cases: list[dict[str, Any]]) -> dict[str, int]:
    counts = {"prompts": 0, "refused": 0}
    for case, theirs in zip(cases, run_prompt(cases), strict=True):
        ours = _ours(case)
        detail = json.dumps(case)[:3000]
        assert ("modelError" in ours) == ("modelError" in theirs), (detail, ours, theirs)
        if "modelError" in ours:
            counts["refused"] += 1
            continue
        assert renumber(ours["modelMessages"]) == renumber(theirs["modelMessages"]), detail
        assert ("promptError" in ours) == ("promptError" in theirs), (detail, ours, theirs)
        if "prompt" in ours:
            assert renumber(ours["prompt"]) == renumber(theirs["prompt"]), detail
            counts["prompts"] += 1
        else:
            counts["refused"] += 1
    return counts


def test_conversations_the_reference_built(client_matrix: dict[str, list[dict[str, Any]]]) -> None:
    cases: list[dict[str, Any]] = []
    for (name, case), read in zip(MATRIX, client_matrix["theirs"], strict=True):
        message = read["message"]
        if message is None or read["errors"] or case.get("throwAfter"):
            continue
        answered = _add_tool_outputs({**message, "id": message["id"] or "a1"})
        cases.append({"messages": [USER, answered, FOLLOW_UP]})
        cases.append({"messages": [USER, answered], "options": {"system": "You are terse."}})
        if ":options" in name:
            cases.append(
                {"messages": [USER, message], "options": {"ignoreIncompleteToolCalls": True}}
            )
    counts = _compare(cases)
    assert counts["prompts"] > 300


def test_hand_written_conversations() -> None:
    options: list[dict[str, Any]] = [
        {},
        {"allowSystemInMessages": True, "system": "sys"},
        {"ignoreIncompleteToolCalls": True},
    ]
    counts = _compare([{"messages": m, "options": o} for m in HAND_WRITTEN for o in options])
    assert counts["prompts"] >= 8
    assert counts["refused"] >= 6


def test_generated_conversations() -> None:
    cases: list[dict[str, Any]] = []
    roles = ("user", "assistant", "assistant")

    @settings(max_examples=150, deadline=None, database=None)
    @given(
        st.lists(ui_messages(roles=roles) | ui_messages(), min_size=1, max_size=4),
        st.fixed_dictionaries(
            {},
            optional={
                "ignoreIncompleteToolCalls": st.booleans(),
                "system": st.text(max_size=5),
                "allowSystemInMessages": st.booleans(),
            },
        ),
    )
    def collect(messages: list[UIMessage], options: dict[str, Any]) -> None:
        cases.append({"messages": [m.to_dict() for m in messages], "options": options})

    collect()
    counts = _compare(cases)
    assert counts["prompts"] > 50
