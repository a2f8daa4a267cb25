"""Shared pieces of the Google provider tests: an event log, a provider on a server."""

from __future__ import annotations

from typing import Any, Final

from tests.conformance._replay import LoopbackServer

from partstream import parts
from partstream.providers.google import GoogleProvider, InteractionStream, create_google
from partstream.transports.sse import ResumePolicy

API_KEY: Final = "test-secret-key-123"
INTERACTION_ID: Final = "v1_bg-run"
AGENT: Final = "deep-research-pro-preview-12-2025"
PROMPT: Final = "Research backpressure."
BACKGROUND: Final = {"google": {"background": True}}
#: Fast reconnects for tests: the delays' shape, not their size, is under test.
FAST_RESUME: Final = ResumePolicy(max_attempts=3, base_delay=0.01, id_in="query")


def event_log(interaction_id: str = INTERACTION_ID) -> list[dict[str, Any]]:
    """A background agent run: thinking, streamed text, a function call, completion."""
    events: list[dict[str, Any]] = [
        {
            "event_type": "interaction.created",
            "interaction": {"id": interaction_id, "status": "in_progress", "model": AGENT},
        },
        {"event_type": "interaction.status_update", "status": "in_progress"},
        {"event_type": "step.start", "index": 0, "step": {"type": "thought"}},
        {
            "event_type": "step.delta",
            "index": 0,
            "delta": {"type": "thought_summary", "content": {"type": "text", "text": "Plan: "}},
        },
        {
            "event_type": "step.delta",
            "index": 0,
            "delta": {"type": "thought_summary", "content": {"type": "text", "text": "read."}},
        },
        {
            "event_type": "step.delta",
            "index": 0,
            "delta": {"type": "thought_signature", "signature": "sig-1"},
        },
        {"event_type": "step.stop", "index": 0},
        {"event_type": "step.start", "index": 1, "step": {"type": "model_output"}},
    ]
    for word in ["Back", "pressure ", "is ", "flow ", "control."]:
        events.append(
            {"event_type": "step.delta", "index": 1, "delta": {"type": "text", "text": word}}
        )
    events += [
        {"event_type": "step.stop", "index": 1},
        {
            "event_type": "step.start",
            "index": 2,
            "step": {"type": "function_call", "id": "call-1", "name": "lookup"},
        },
        {
            "event_type": "step.delta",
            "index": 2,
            "delta": {"type": "arguments_delta", "arguments": '{"q": "TCP'},
        },
        {
            "event_type": "step.delta",
            "index": 2,
            "delta": {"type": "arguments_delta", "arguments": ' windows"}'},
        },
        {"event_type": "step.stop", "index": 2},
        {
            "event_type": "interaction.completed",
            "interaction": {
                "id": interaction_id,
                "status": "completed",
                "usage": {"total_input_tokens": 5, "total_output_tokens": 9, "total_tokens": 14},
            },
        },
    ]
    for n, event in enumerate(events, start=1):
        event["event_id"] = f"evt-{n}"
    return events


def provider_for(server: LoopbackServer, **kwargs: Any) -> GoogleProvider:
    kwargs.setdefault("api_key", API_KEY)
    kwargs.setdefault("generate_id", lambda: "gen-id")
    return create_google(base_url=server.base_url, **kwargs)


async def drain(stream: InteractionStream) -> list[dict[str, Any]]:
    return [part.to_dict() async for part in stream]


def texts(items: list[dict[str, Any]]) -> str:
    return "".join(p["delta"] for p in items if p["type"] == "text-delta")


def kinds(items: list[dict[str, Any]]) -> list[str]:
    return [p["type"] for p in items]


def as_parts(items: list[dict[str, Any]]) -> list[parts.Part | parts.Content]:
    return [parts.from_dict(p) for p in items]
