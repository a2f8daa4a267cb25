"""The matrix of part sequences compared with the reference (see test_reference_stream.py)."""

from __future__ import annotations

from typing import Any

from tests.conformance._harness import load_cases
from tests.ui._reference import make_case

__all__ = ["CORNERS", "MATRIX", "VARIANTS", "conformance_streams"]

FINISH = {
    "type": "finish",
    "finishReason": {"unified": "stop", "raw": "completed"},
    "usage": {"inputTokens": {"total": 1}, "outputTokens": {"total": 2}},
}
TOOL_FINISH = {**FINISH, "finishReason": {"unified": "tool-calls", "raw": "requires_action"}}
PM = {"google": {"signature": "sig", "1": [1.5, 2**60]}}


def conformance_streams() -> list[tuple[str, list[dict[str, Any]]]]:
    streams = []
    for case in load_cases():
        out = case.reference_output or {}
        if isinstance(out.get("parts"), list):
            streams.append((case.slug, out["parts"]))
        # The sources cases return source parts: they make a stream of their own.
        results = out.get("results") or ([out["result"]] if "result" in out else [])
        for i, result in enumerate(results):
            if isinstance(result, list) and result and result[0].get("type") == "source":
                streams.append(
                    (
                        f"{case.slug}#{i}",
                        [{"type": "stream-start", "warnings": []}, *result, FINISH],
                    )
                )
    return streams


def _tool_names(parts: list[dict[str, Any]]) -> list[str]:
    return sorted({str(x["toolName"]) for x in parts if "toolName" in x})


VARIANTS: list[tuple[str, Any]] = [
    ("default", lambda parts: {}),
    ("tools", lambda parts: {"tools": {n: {} for n in _tool_names(parts)}}),
    (
        "dynamic-tools",
        lambda parts: {
            "tools": {
                n: {"kind": "dynamic", "title": "T", "metadata": {"m": 1}}
                for n in _tool_names(parts)
            }
        },
    ),
    (
        "options",
        lambda parts: {
            "options": {
                "sendReasoning": False,
                "sendSources": True,
                "onError": "constant",
                "messageMetadata": "events",
                "messageId": "msg-1",
            }
        },
    ),
    (
        "no-start-finish",
        lambda parts: {
            "options": {
                "sendStart": False,
                "sendFinish": False,
                "onError": "constant",
                "redactToolErrors": False,
            }
        },
    ),
    (
        "continuation",
        lambda parts: {
            "options": {
                "messageId": "ignored",
                "originalMessages": [
                    {"id": "u1", "role": "user", "parts": [{"type": "text", "text": "hi"}]},
                    {"id": "a1", "role": "assistant", "parts": []},
                ],
            }
        },
    ),
    ("throws", lambda parts: {"throw_after": True, "options": {"messageMetadata": "events"}}),
    (
        "tool-choice-none",
        lambda parts: {"tool_choice": "none", "tools": {n: {} for n in _tool_names(parts)}},
    ),
    ("tool-choice-required", lambda parts: {"tool_choice": "required"}),
    ("tool-choice-tool", lambda parts: {"tool_choice": {"type": "tool", "toolName": "getWeather"}}),
]


def _text(i: str, *deltas: str, pm: Any = None) -> list[dict[str, Any]]:
    extra = {"providerMetadata": pm} if pm is not None else {}
    return [
        {"type": "text-start", "id": i},
        *({"type": "text-delta", "id": i, "delta": d} for d in deltas),
        {"type": "text-end", "id": i, **extra},
    ]


CORNERS: dict[str, list[dict[str, Any]]] = {
    "empty": [],
    "only-stream-start": [{"type": "stream-start", "warnings": []}],
    "no-finish": [*_text("a", "x")],
    "finish-first": [FINISH, *_text("a", "x")],
    "error-then-finish": [{"type": "error", "error": {"message": "x"}}, FINISH],
    "finish-then-error": [FINISH, {"type": "error", "error": "boom"}],
    "repeated-text-ids": [*_text("0", "a"), *_text("0", "b"), *_text("0", "c"), FINISH],
    "repeated-reasoning-ids": [
        {"type": "reasoning-start", "id": "r"},
        {"type": "reasoning-delta", "id": "r", "delta": ""},
        {"type": "reasoning-end", "id": "r"},
        {"type": "reasoning-start", "id": "r"},
        {"type": "reasoning-end", "id": "r"},
        FINISH,
    ],
    "never-started": [
        {"type": "text-delta", "id": "x", "delta": "orphan"},
        {"type": "text-end", "id": "x"},
        {"type": "reasoning-delta", "id": "y", "delta": "r"},
        {"type": "reasoning-end", "id": "y"},
        FINISH,
    ],
    "empty-deltas": [
        {"type": "text-start", "id": "a"},
        {"type": "text-delta", "id": "a", "delta": ""},
        {"type": "text-delta", "id": "a", "delta": "", "providerMetadata": PM},
        {"type": "text-delta", "id": "a", "delta": "x"},
        {"type": "text-end", "id": "a"},
        FINISH,
    ],
    "sticky-metadata": [
        {"type": "text-start", "id": "a"},
        {"type": "text-delta", "id": "a", "delta": "x", "providerMetadata": PM},
        {"type": "text-delta", "id": "a", "delta": "y"},
        {"type": "text-end", "id": "a"},
        {"type": "text-start", "id": "b"},
        {"type": "text-delta", "id": "b", "delta": "z", "providerMetadata": PM},
        {"type": "text-delta", "id": "b", "delta": "w"},
        {"type": "text-end", "id": "b"},
        FINISH,
    ],
    "escapes": [
        *_text("a", "</script><script>alert(1)</script>", "é€😀\u2028\x00\x1f\x7f", "\ud800"),
        FINISH,
    ],
    "tools": [
        {"type": "tool-input-start", "id": "c1", "toolName": "getWeather", "title": "ignored"},
        {"type": "tool-input-delta", "id": "c1", "delta": '{"city":'},
        {"type": "tool-input-delta", "id": "c1", "delta": ""},
        {"type": "tool-input-end", "id": "c1"},
        {
            "type": "tool-call",
            "toolCallId": "c1",
            "toolName": "getWeather",
            "input": '{"city":"Oslo","n":1.0}',
        },
        {"type": "tool-call", "toolCallId": "c2", "toolName": "getWeather", "input": "   "},
        {"type": "tool-call", "toolCallId": "c3", "toolName": "getWeather", "input": "{bad json"},
        {"type": "tool-call", "toolCallId": "c4", "toolName": "nope", "input": '{"a":1}'},
        {
            "type": "tool-call",
            "toolCallId": "c5",
            "toolName": "getWeather",
            "input": '{"__proto__":{}}',
        },
        {"type": "tool-approval-request", "approvalId": "ap1", "toolCallId": "c1"},
        {"type": "tool-approval-request", "approvalId": "ap2", "toolCallId": "unknown"},
        TOOL_FINISH,
    ],
    "provider-tools": [
        {
            "type": "tool-input-start",
            "id": "s1",
            "toolName": "google_search",
            "providerExecuted": True,
        },
        {
            "type": "tool-call",
            "toolCallId": "s1",
            "toolName": "google_search",
            "input": '{"queries":["q"]}',
            "providerExecuted": True,
        },
        {
            "type": "tool-result",
            "toolCallId": "s1",
            "toolName": "google_search",
            "result": [{"url": "u"}],
        },
        {
            "type": "tool-call",
            "toolCallId": "s2",
            "toolName": "code_execution",
            "input": "",
            "providerExecuted": True,
            "dynamic": True,
        },
        {
            "type": "tool-result",
            "toolCallId": "s2",
            "toolName": "code_execution",
            "result": {"code": 500},
            "isError": True,
        },
        {
            "type": "tool-result",
            "toolCallId": "s3",
            "toolName": "x",
            "result": "plain failure",
            "isError": True,
            "dynamic": True,
        },
        {
            "type": "tool-result",
            "toolCallId": "s4",
            "toolName": "x",
            "result": None,
            "preliminary": True,
        },
        {
            "type": "tool-call",
            "toolCallId": "s5",
            "toolName": "dyn",
            "input": "[",
            "providerExecuted": True,
            "dynamic": True,
        },
        FINISH,
    ],
    "files-sources-custom": [
        {
            "type": "file",
            "mediaType": "image/png",
            "data": {"type": "data", "data": "iVBORw0KGgo="},
            "providerMetadata": PM,
        },
        {
            "type": "file",
            "mediaType": "video/mp4",
            "data": {"type": "url", "url": "https://example.test/v.mp4"},
        },
        {
            "type": "reasoning-file",
            "mediaType": "image/png",
            "data": {"type": "data", "data": "AA=="},
        },
        {
            "type": "source",
            "sourceType": "url",
            "id": "s1",
            "url": "https://a.example",
            "title": "A",
        },
        {"type": "source", "sourceType": "url", "id": "s2", "url": "https://b.example"},
        {
            "type": "source",
            "sourceType": "document",
            "id": "d1",
            "mediaType": "application/pdf",
            "title": "Doc",
            "filename": "d.pdf",
        },
        {"type": "custom", "kind": "google.thing", "providerMetadata": PM},
        {"type": "raw", "rawValue": {"a": 1}},
        {
            "type": "response-metadata",
            "id": "r",
            "modelId": "m",
            "timestamp": "2026-01-01T00:00:00.000Z",
        },
        FINISH,
    ],
}


def _matrix() -> list[tuple[str, dict[str, Any]]]:
    cases: list[tuple[str, dict[str, Any]]] = []
    for slug, parts in conformance_streams():
        for name, variant in VARIANTS:
            cases.append((f"{slug}:{name}", make_case(parts, **variant(parts))))
    for slug, parts in CORNERS.items():
        for name, variant in VARIANTS:
            cases.append((f"corner-{slug}:{name}", make_case(parts, **variant(parts))))
    return cases


MATRIX = _matrix()
