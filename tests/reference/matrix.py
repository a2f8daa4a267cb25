"""The differential matrix: every case runs through the AI SDK (Node) and partstream.

A case is plain JSON in the AI SDK's own spelling (LanguageModelV4 call options,
camelCase provider options, Gateway settings), so the Node driver passes it as is
and :func:`partstream_call_options` translates it for partstream. Each case's
requests carry its name in the ``x-differential-case`` header, which is how the
shared emulator of the reference run tells them apart (the realtime cases use a
model id of their own: a browser WebSocket sends no custom header).

Faults and pacing ride the emulator's per-request knobs (``x-emulator-fault`` /
``x-emulator-script`` headers), identical on both sides, so no case depends on
emulator state another case could change.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Literal

import attrs
from tests.call_options import BODY_OPTION_NAMES

from partstream.emulator import FAULT_HEADER, SCRIPT_HEADER

__all__ = ["CASE_HEADER", "CASES", "Case", "partstream_call_options"]

CASE_HEADER: Final = "x-differential-case"

Kind = Literal["stream", "generate", "mint", "realtime"]


@attrs.frozen(kw_only=True)
class Case:
    """One row of the matrix (what it exercises is in :attr:`covers`)."""

    name: str
    kind: Kind
    covers: str
    model: str | dict[str, str] = "gemini-2.5-flash"
    options: dict[str, Any] = attrs.field(factory=dict)
    script: str | None = None  # x-emulator-script knobs
    fault: str | None = None  # x-emulator-fault knobs
    cancel_after_parts: int | None = None
    # Gateway cases
    model_id: str | None = None
    team_id_or_slug: str | None = None
    provider_headers: dict[str, str] | None = None
    api_key: str | None = None
    expires_after_seconds: int | None = None
    token: str | None = None  # a token of the case's own (nothing is minted)
    server: bool = False  # connect with the long-lived credential (nothing is minted)
    session_config: dict[str, Any] | None = None
    events: list[dict[str, Any]] = attrs.field(factory=list)
    until: str | None = None

    @property
    def headers(self) -> dict[str, str]:
        headers = {CASE_HEADER: self.name}
        if self.script is not None:
            headers[SCRIPT_HEADER] = self.script
        if self.fault is not None:
            headers[FAULT_HEADER] = self.fault
        return headers

    def to_driver(self) -> dict[str, Any]:
        """The case as the Node driver reads it."""
        out: dict[str, Any] = {"name": self.name, "kind": self.kind}
        if self.kind in ("stream", "generate"):
            out["model"] = self.model
            out["options"] = {**self.options, "headers": self.headers}
            if self.cancel_after_parts is not None:
                out["cancelAfterParts"] = self.cancel_after_parts
            return out
        out["modelId"] = self.model_id
        out["providerHeaders"] = {**(self.provider_headers or {}), **self.headers}
        for key, value in (
            ("teamIdOrSlug", self.team_id_or_slug),
            ("apiKey", self.api_key),
            ("expiresAfterSeconds", self.expires_after_seconds),
            ("token", self.token),
            ("server", self.server or None),
            ("sessionConfig", self.session_config),
            ("until", self.until),
        ):
            if value is not None:
                out[key] = value
        if self.events:
            out["events"] = self.events
        return out


# AI SDK call option -> partstream keyword (the rest of the options are the same JSON).
_OPTION_NAMES: Final = {
    **BODY_OPTION_NAMES,
    "includeRawChunks": "include_raw_chunks",
    "headers": "headers",
}


def partstream_call_options(case: Case) -> tuple[Any, dict[str, Any]]:
    """``(prompt, keyword options)`` for ``model.generate`` / ``model.stream``."""
    options = {**case.options, "headers": case.headers}
    prompt = options.pop("prompt")
    unknown = set(options) - set(_OPTION_NAMES)
    assert not unknown, f"{case.name}: no partstream spelling for {sorted(unknown)}"
    return prompt, {_OPTION_NAMES[key]: value for key, value in options.items()}


def _user(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": [{"type": "text", "text": text}]}]


_WEATHER_TOOL: Final = {
    "type": "function",
    "name": "get_weather",
    "description": "The weather in a city.",
    "inputSchema": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
        "additionalProperties": False,
    },
}
_SEARCH_TOOL: Final = {
    "type": "provider",
    "id": "google.google_search",
    "name": "google_search",
    "args": {},
}
_TOOL_TURN: Final = [
    *_user("What is the weather in Paris?"),
    {
        "role": "assistant",
        "content": [
            {
                "type": "tool-call",
                "toolCallId": "call-1",
                "toolName": "get_weather",
                "input": {"city": "Paris"},
            }
        ],
    },
    {
        "role": "tool",
        "content": [
            {
                "type": "tool-result",
                "toolCallId": "call-1",
                "toolName": "get_weather",
                "output": {"type": "json", "value": {"forecast": "sunny", "celsius": 21}},
            }
        ],
    },
]


def _video_turn(processing: Any) -> list[dict[str, Any]]:
    return [
        {
            "role": "user",
            "content": [
                {
                    "type": "file",
                    "mediaType": "video/mp4",
                    "data": {"type": "url", "url": "gs://bucket/clip.mp4"},
                    "providerOptions": {"google": {"processing": processing}},
                },
                {"type": "text", "text": "What happens in this clip?"},
            ],
        }
    ]


_PROCESSING_HISTORY: Final = [
    *_video_turn("agentic"),
    {
        "role": "assistant",
        "content": [
            {
                "type": "custom",
                "kind": "google.processing_call",
                "providerOptions": {"google": {"processingId": "p-1", "signature": "c2ln"}},
            },
            {
                "type": "custom",
                "kind": "google.processing_result",
                "providerOptions": {"google": {"processingCallId": "p-1"}},
            },
            {"type": "custom", "kind": "acme.unknown", "providerOptions": {}},
            {"type": "text", "text": "A cat jumps."},
        ],
    },
    *_user("And then?"),
]
_ALL_SETTINGS: Final = {
    "maxOutputTokens": 256,
    "temperature": 0.4,
    "topP": 0.9,
    "topK": 40,
    "presencePenalty": 0.1,
    "frequencyPenalty": 0.2,
    "stopSequences": ["STOP"],
    "seed": 7,
    "providerOptions": {"google": {"thinkingLevel": "low", "thinkingSummaries": "auto"}},
}
_AGENT: Final = {"agent": "deep-research-pro-preview-12-2025"}
_BACKGROUND: Final = {"google": {"background": True}}
_FAST_BACKGROUND: Final = "background-interval=0.01"


def _one(name: str, kind: Kind, covers: str, **fields: Any) -> list[Case]:
    return [Case(name=name, kind=kind, covers=covers, **fields)]


def _both(name: str, covers: str, **fields: Any) -> list[Case]:
    return [
        Case(name=f"{name}-{kind}", kind=kind, covers=covers, **fields)
        for kind in ("stream", "generate")
    ]


def _google_cases() -> list[Case]:
    cases: list[Case] = []
    cases += _both("text", "a user message", options={"prompt": _user("Say hi.")})
    cases += _both(
        "system-prompt",
        "a system message before the user message",
        options={
            "prompt": [{"role": "system", "content": "Be brief."}, *_user("Say hi.")],
        },
    )
    cases += _both(
        "function-tools",
        "a function tool the model calls (requires_action, tool-call parts)",
        options={"prompt": _user("Weather in Paris?"), "tools": [_WEATHER_TOOL]},
    )
    cases += _both(
        "tool-choice-none",
        "tools with toolChoice none (4.0.111: every tool and tool_choice omitted)",
        options={
            "prompt": _user("Weather in Paris?"),
            "tools": [_WEATHER_TOOL, _SEARCH_TOOL],
            "toolChoice": {"type": "none"},
        },
    )
    cases += _both(
        "tool-results",
        "an assistant tool call and its result sent back (function_result input)",
        options={"prompt": _TOOL_TURN, "tools": [_WEATHER_TOOL]},
    )
    cases += _both(
        "google-search",
        "the google_search provider tool: url citations become source parts",
        options={"prompt": _user("Who wrote Dune?"), "tools": [_SEARCH_TOOL]},
    )
    cases += _both(
        "json-response-format",
        "responseFormat json with a schema (response_format entry, JSON text)",
        options={
            "prompt": _user("A city, as JSON."),
            "responseFormat": {
                "type": "json",
                "schema": {
                    "type": "object",
                    "properties": {"city": {"type": "string"}},
                    "required": ["city"],
                },
            },
        },
    )
    cases += _both(
        "generation-settings",
        "every generation setting (generation_config; penalty warnings)",
        options={"prompt": _user("Say hi."), **_ALL_SETTINGS},
    )
    cases += _both(
        "reasoning-level",
        "top-level reasoning on a Gemini 3 model (4.0.121: mapped to thinking_level)",
        model="gemini-3-flash-preview",
        options={"prompt": _user("Say hi."), "reasoning": "xhigh"},
    )
    cases += _one(
        "reasoning-unsupported-generate",
        "generate",
        "top-level reasoning on a model without thinking levels (a warning)",
        options={"prompt": _user("Say hi."), "reasoning": "high"},
    )
    cases += _both(
        "service-tier-store",
        "serviceTier and store: false (no interaction id)",
        options={
            "prompt": _user("Say hi."),
            "providerOptions": {"google": {"serviceTier": "flex", "store": False}},
        },
    )
    cases += _both(
        "labels",
        "providerOptions.google.labels (4.0.114: passed into the body)",
        options={
            "prompt": _user("Say hi."),
            "providerOptions": {"google": {"labels": {"safety_identifier": "user-42"}}},
        },
    )
    cases += _one(
        "raw-chunks-stream",
        "stream",
        "includeRawChunks: a raw part before each event's parts",
        options={"prompt": _user("Say hi."), "includeRawChunks": True},
    )
    cases += _both(
        "agent-background",
        "an agent with background: true (generate polls, stream reads the GET stream)",
        model=_AGENT,
        script=_FAST_BACKGROUND,
        options={"prompt": _user("Research otters."), "providerOptions": _BACKGROUND},
    )
    cases += _both(
        "model-background",
        "a plain model with background: true (4.0.95: generate polls to completion)",
        script=_FAST_BACKGROUND,
        options={"prompt": _user("Say hi."), "providerOptions": _BACKGROUND},
    )
    cases += _one(
        "polling-timeout-generate",
        "generate",
        "polling runs out of time: the timeout error, the run is not cancelled",
        model=_AGENT,
        script="background-interval=5",
        options={
            "prompt": _user("Research otters."),
            "providerOptions": {"google": {"background": True, "pollingTimeoutMs": 1}},
        },
    )
    cases += _one(
        "background-cancel-stream",
        "stream",
        "the consumer stops reading a background stream: the run is cancelled",
        model=_AGENT,
        script="background-interval=0.05",
        cancel_after_parts=3,
        options={"prompt": _user("Research otters."), "providerOptions": _BACKGROUND},
    )
    for name, covers, fault in (
        (
            "resume-two-drops-stream",
            "a background stream dropped twice resumes with last_event_id",
            "drop-after=6",
        ),
        (
            "resume-many-drops-stream",
            "a background stream dropped after every 3 events (each attempt progresses)",
            "drop-after=3",
        ),
    ):
        cases += _one(
            name,
            "stream",
            covers,
            model=_AGENT,
            script=_FAST_BACKGROUND,
            fault=fault,
            options={"prompt": _user("Research otters."), "providerOptions": _BACKGROUND},
        )
    cases += _both(
        "agentic-video",
        "a video input with agentic processing (4.0.63: processing steps as custom parts)",
        options={"prompt": _video_turn("agentic")},
    )
    cases += _one(
        "video-processing-static-generate",
        "generate",
        "a video input with a static processing configuration (4.0.81: durations)",
        options={
            "prompt": _video_turn({"type": "static", "startOffset": 1.5, "endOffset": 10, "fps": 2})
        },
    )
    cases += _one(
        "processing-history-generate",
        "generate",
        "processing custom parts sent back in the prompt become processing steps",
        options={"prompt": _PROCESSING_HISTORY},
    )
    for name, covers, fault in (
        (
            "error-event-stream",
            "an in-stream error event (4.0.52: a provider stream error part)",
            "error-after=8",
        ),
        (
            "ended-early-stream",
            "the body ends cleanly mid-answer (4.0.103: finish reason interrupted)",
            "close-code=1000;close-after=8",
        ),
        (
            "malformed-event-stream",
            "an event that is not JSON: an error part, the stream goes on",
            "malformed-after=4",
        ),
    ):
        cases += _one(name, "stream", covers, fault=fault, options={"prompt": _user("Say hi.")})
    for status in (429, 503):
        cases += _both(
            f"http-{status}",
            f"HTTP {status} answering the opening request",
            fault=f"status={status}",
            options={"prompt": _user("Say hi.")},
        )
    cases += _both(
        "broken-body",
        "the body of a 2xx answer breaks off (connection dropped mid-body)",
        fault="drop-after=4",
        options={"prompt": _user("Say hi.")},
    )
    return cases


_GATEWAY_SESSION: Final = {"instructions": "Be brief.", "outputModalities": ["text"]}
#: A realtime text turn: session config, a user text item, a response, until it is done.
_TEXT_TURN: Final[dict[str, Any]] = {
    "session_config": _GATEWAY_SESSION,
    "events": [
        {
            "type": "conversation-item-create",
            "item": {"type": "text-message", "role": "user", "text": "Say hi."},
        },
        {"type": "response-create"},
    ],
    "until": "response-done",
}


def _gateway_cases() -> list[Case]:
    return [
        Case(
            name="mint-client-secret",
            kind="mint",
            covers="doCreateClientSecret: the mint request (URL, headers, body) and result",
            model_id="openai/gpt-realtime-mint",
            team_id_or_slug="my-team",
            provider_headers={"x-custom": "yes"},
            expires_after_seconds=30,
        ),
        Case(
            name="mint-default-ttl",
            kind="mint",
            covers="minting without expiresAfterSeconds and without a team",
            model_id="openai/gpt-realtime-mint-default",
        ),
        Case(
            name="mint-refused",
            kind="mint",
            covers="minting with a key the Gateway refuses (authentication error)",
            model_id="openai/gpt-realtime-mint-refused",
            api_key="not-the-key",
        ),
        Case(
            name="realtime-text-turn",
            kind="realtime",
            covers="mint + connect with the minted secret (URL, subprotocols), a text turn",
            model_id="openai/gpt-realtime-text-turn",
            team_id_or_slug="my-team",
            expires_after_seconds=60,
            **_TEXT_TURN,
        ),
        Case(
            name="realtime-server-credential",
            kind="realtime",
            covers="connect with the long-lived credential (server side), a text turn",
            model_id="openai/gpt-realtime-server",
            team_id_or_slug="my-team",
            server=True,
            **_TEXT_TURN,
        ),
        Case(
            name="realtime-invalid-token",
            kind="realtime",
            covers="a token that cannot be a WebSocket subprotocol: refused before connecting",
            model_id="openai/gpt-realtime-invalid-token",
            token="not a token",
            session_config=_GATEWAY_SESSION,
            until="response-done",
        ),
    ]


CASES: Final[tuple[Case, ...]] = (*_google_cases(), *_gateway_cases())
CASES_BY_NAME: Final[Mapping[str, Case]] = {case.name: case for case in CASES}
assert len(CASES_BY_NAME) == len(CASES), "case names must be unique"
