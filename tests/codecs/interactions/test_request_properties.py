"""Hypothesis properties of the request builder."""

from __future__ import annotations

import base64
import itertools
import json
import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from partstream import errors, parts
from partstream.codecs.interactions import (
    InteractionsTarget,
    convert_to_interactions_input,
    prepare_request,
)
from partstream.codecs.interactions._javascript_json import (
    js_number,
    js_stringify,
    secure_json_parse,
)

TEXT = st.text(max_size=12)
IDS = st.sampled_from(["v1_a", "v1_b", "other"])
MEDIA_TYPES = st.sampled_from(
    [
        "image/png",
        "image",
        "image/*",
        "audio/wav",
        "video/mp4",
        "video",
        "application/pdf",
        "application",
        "text/plain",
        "text",
        "unknown/blob",
        "",
    ]
)
JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT
)
JSON = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)
PART_OPTIONS = st.none() | st.fixed_dictionaries(
    {}, optional={"interactionId": IDS, "signature": TEXT}
).map(lambda google: {"google": google})

FILE_DATA = st.one_of(
    st.binary(max_size=24).map(lambda b: {"type": "data", "data": b}),
    st.binary(max_size=24).map(lambda b: {"type": "data", "data": base64.b64encode(b).decode()}),
    st.binary(max_size=24),
    st.sampled_from(["https://example.com/a.png", "gs://bucket/v.mp4"]).map(
        lambda u: {"type": "url", "url": u}
    ),
    st.dictionaries(st.sampled_from(["google", "openai"]), TEXT, max_size=2).map(
        lambda r: {"type": "reference", "reference": r}
    ),
    TEXT.map(lambda t: {"type": "text", "text": t}),
)


def _with_options(part: dict[str, Any], options: dict[str, Any] | None) -> dict[str, Any]:
    return part if options is None else {**part, "providerOptions": options}


TEXT_PART = st.builds(
    lambda t, o: _with_options({"type": "text", "text": t}, o), TEXT, PART_OPTIONS
)
FILE_PART = st.builds(
    lambda m, d, o: _with_options({"type": "file", "mediaType": m, "data": d}, o),
    MEDIA_TYPES,
    FILE_DATA,
    PART_OPTIONS,
)
REASONING_PART = st.builds(
    lambda t, o: _with_options({"type": "reasoning", "text": t}, o), TEXT, PART_OPTIONS
)
CALL_IDS = st.sampled_from(["c1", "c2", "c3"])
TOOL_CALL_PART = st.builds(
    lambda i, n, inp, o: _with_options(
        {"type": "tool-call", "toolCallId": i, "toolName": n, "input": inp}, o
    ),
    CALL_IDS,
    TEXT,
    JSON | JSON.map(json.dumps) | TEXT,
    PART_OPTIONS,
)
CONTENT_ITEM = st.one_of(
    TEXT.map(lambda t: {"type": "text", "text": t}),
    st.builds(lambda m, d: {"type": "file", "mediaType": m, "data": d}, MEDIA_TYPES, FILE_DATA),
    st.just({"type": "custom"}),
)
OUTPUT = st.one_of(
    st.builds(lambda k, v: {"type": k, "value": v}, st.sampled_from(["text", "error-text"]), TEXT),
    st.builds(lambda k, v: {"type": k, "value": v}, st.sampled_from(["json", "error-json"]), JSON),
    st.builds(
        lambda r: {"type": "execution-denied", **({} if r is None else {"reason": r})},
        st.none() | TEXT,
    ),
    st.lists(CONTENT_ITEM, max_size=3).map(lambda v: {"type": "content", "value": v}),
)
TOOL_RESULT_PART = st.builds(
    lambda i, n, out, o: _with_options(
        {"type": "tool-result", "toolCallId": i, "toolName": n, "output": out}, o
    ),
    CALL_IDS,
    TEXT,
    OUTPUT,
    PART_OPTIONS,
)
MESSAGE = st.one_of(
    TEXT.map(lambda t: {"role": "system", "content": t}),
    st.lists(TEXT_PART | FILE_PART, max_size=4).map(lambda c: {"role": "user", "content": c}),
    st.lists(
        TEXT_PART
        | FILE_PART
        | REASONING_PART
        | TOOL_CALL_PART
        | TOOL_RESULT_PART
        | st.just({"type": "custom", "kind": "x.y"}),
        max_size=4,
    ).map(lambda c: {"role": "assistant", "content": c}),
    st.lists(
        TOOL_RESULT_PART | st.just({"type": "tool-approval-response", "approvalId": "a"}),
        max_size=3,
    ).map(lambda c: {"role": "tool", "content": c}),
)
PROMPTS = st.lists(MESSAGE, max_size=5)
GOOGLE_OPTIONS = st.fixed_dictionaries(
    {},
    optional={
        "previousInteractionId": IDS,
        "store": st.booleans(),
        "mediaResolution": st.sampled_from(["low", "high"]),
        "background": st.booleans(),
        "thinkingLevel": st.sampled_from(["low", "high"]),
        "imageConfig": st.just({"aspectRatio": "1:1"}),
        "responseFormat": st.just([{"type": "image"}]),
        "environment": st.just("remote"),
        "systemInstruction": TEXT,
    },
)
TARGETS = st.sampled_from(
    [InteractionsTarget("gemini-2.5-flash"), InteractionsTarget(agent="deep-research")]
)


def _check_body(body: dict[str, Any]) -> None:
    json.dumps(body, allow_nan=False)  # plain, finite JSON
    assert ("model" in body) != ("agent" in body)
    assert all(value is not None for value in body.values())
    for step in body["input"]:
        kind = step["type"]
        assert kind in ("user_input", "model_output", "thought", "function_call")
        if kind in ("user_input", "model_output"):
            assert step["content"], "content steps are never empty"
        if kind == "user_input":
            kinds = [block["type"] for block in step["content"]]
            # Adjacent text blocks of a user turn are always merged.
            assert all(a != "text" or b != "text" for a, b in itertools.pairwise(kinds))
        if kind == "function_call":
            assert isinstance(step["arguments"], dict) or step["arguments"] is not None


@settings(max_examples=150)
@given(
    target=TARGETS,
    prompt=PROMPTS,
    options=GOOGLE_OPTIONS,
    stream=st.booleans(),
    temperature=st.none() | st.floats(0, 2),
)
def test_valid_shaped_prompts_give_json_bodies_or_partstream_errors(
    target: InteractionsTarget,
    prompt: list[dict[str, Any]],
    options: dict[str, Any],
    stream: bool,
    temperature: float | None,
) -> None:
    try:
        request = prepare_request(
            target,
            prompt=prompt,
            stream=stream,
            temperature=temperature,
            provider_options={"google": options},
        )
    except errors.PartstreamError:
        return
    _check_body(request.body)
    assert request.body.get("stream") is (True if stream and not request.background else None)
    for warning in request.warnings:
        if isinstance(warning, parts.OtherWarning):
            assert warning.message.startswith("google.interactions: ")


def _merged_model(items: list[tuple[bool, str]]) -> list[dict[str, Any]]:
    """Expected user content: runs of texts joined by a blank line, images kept in place."""
    out: list[dict[str, Any]] = []
    for is_text, group in itertools.groupby(items, key=lambda item: item[0]):
        values = [value for _, value in group]
        if is_text:
            out.append({"type": "text", "text": "\n\n".join(values)})
        else:
            out.extend({"type": "image", "uri": uri, "mime_type": "image/png"} for uri in values)
    return out


@given(
    st.lists(
        st.tuples(st.booleans(), TEXT).map(lambda t: (True, t[1]) if t[0] else (False, t[1])),
        min_size=1,
        max_size=8,
    ),
    st.data(),
)
def test_user_text_runs_merge_with_a_blank_line(
    items: list[tuple[bool, str]], data: st.DataObject
) -> None:
    content = []
    for is_text, value in items:
        if is_text:
            as_file = data.draw(st.booleans())
            content.append(
                {"type": "file", "mediaType": "text/plain", "data": {"type": "text", "text": value}}
                if as_file
                else {"type": "text", "text": value}
            )
        else:
            content.append(
                {"type": "file", "mediaType": "image/png", "data": {"type": "url", "url": value}}
            )
    converted = convert_to_interactions_input([{"role": "user", "content": content}])
    assert converted.input == [{"type": "user_input", "content": _merged_model(items)}]
    assert converted.warnings == []


@given(st.binary(max_size=64), st.sampled_from(["image/png", "audio/wav", "application/pdf"]))
def test_inline_bytes_round_trip_through_base64(data: bytes, media_type: str) -> None:
    prompt = [
        {"role": "user", "content": [{"type": "file", "mediaType": media_type, "data": data}]}
    ]
    (step,) = convert_to_interactions_input(prompt).input
    (block,) = step["content"]
    assert base64.b64decode(block["data"], validate=True) == data
    assert block["mime_type"] == media_type


@given(PROMPTS, IDS)
def test_compaction_drops_exactly_the_linked_assistant_turns(
    prompt: list[dict[str, Any]], interaction_id: str
) -> None:
    def linked(message: dict[str, Any]) -> bool:
        return message["role"] == "assistant" and any(
            (p.get("providerOptions") or {}).get("google", {}).get("interactionId")
            == interaction_id
            for p in message["content"]
        )

    try:
        full = convert_to_interactions_input(prompt)
    except errors.PartstreamError:
        return
    # The oracle, in prompt order: drop linked assistant turns, then later results of
    # their tool calls (a tool message left empty goes too).
    dropped: set[str] = set()
    kept = []
    for message in prompt:
        if linked(message):
            dropped.update(p["toolCallId"] for p in message["content"] if p["type"] == "tool-call")
            continue
        if message["role"] == "tool":
            content = [
                p
                for p in message["content"]
                if p["type"] != "tool-result" or p["toolCallId"] not in dropped
            ]
            if not content:
                continue
            message = {**message, "content": content}
        kept.append(message)
    compacted = convert_to_interactions_input(prompt, previous_interaction_id=interaction_id)
    assert compacted == convert_to_interactions_input(kept)
    # With store: false nothing is dropped; a warning says why.
    incoherent = convert_to_interactions_input(
        prompt, previous_interaction_id=interaction_id, store=False
    )
    assert incoherent.input == full.input
    assert len(incoherent.warnings) == len(full.warnings) + 1


ANYTHING = st.recursive(
    JSON_SCALARS | st.binary(max_size=8) | st.floats(),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                ["role", "content", "type", "text", "data", "mediaType", "google", "url", "output"]
            )
            | TEXT,
            inner,
            max_size=4,
        )
    ),
    max_leaves=12,
)


@settings(max_examples=200)
@given(prompt=ANYTHING, options=ANYTHING, tools=ANYTHING, tool_choice=ANYTHING, fmt=ANYTHING)
def test_arbitrary_input_raises_only_partstream_errors(
    prompt: Any, options: Any, tools: Any, tool_choice: Any, fmt: Any
) -> None:
    try:
        request = prepare_request(
            InteractionsTarget("m"),
            prompt=prompt,
            provider_options=options,
            tools=tools,
            tool_choice=tool_choice,
            response_format=fmt,
        )
    except errors.PartstreamError:
        return
    json.dumps(request.body, allow_nan=False)


@given(JSON)
def test_js_stringify_is_json(value: Any) -> None:
    text = js_stringify(value)
    assert json.loads(text, parse_int=float) == value
    assert "\n" not in text.replace("\\n", "")


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_js_number_round_trips(value: float) -> None:
    text = js_number(value)
    assert float(text) == value
    assert text == text.strip()
    if value.is_integer() and abs(value) < 1e21:
        assert "." not in text
        assert "e" not in text


@given(
    st.recursive(
        JSON_SCALARS,
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(st.text("abcxyz", max_size=5), inner, max_size=3)
        ),
        max_leaves=8,
    )
)
def test_secure_json_parse_agrees_with_json_loads(value: Any) -> None:
    text = json.dumps(value)
    parsed = secure_json_parse(text)
    assert parsed == value
    if isinstance(value, float) and math.isfinite(value):
        assert isinstance(parsed, float)


PART_TYPES = st.sampled_from(
    ["text", "file", "reasoning", "tool-call", "tool-result", "custom", "tool-approval-response"]
)
FIELDS = st.sampled_from(
    ["text", "mediaType", "data", "toolCallId", "toolName", "input", "output", "providerOptions"]
)
JUNK_PART = st.builds(
    lambda kind, fields: {"type": kind, **fields},
    PART_TYPES,
    st.dictionaries(FIELDS, ANYTHING | FILE_DATA | OUTPUT | PART_OPTIONS, max_size=5),
)
JUNK_MESSAGE = st.builds(
    lambda role, content: {"role": role, "content": content},
    st.sampled_from(["user", "assistant", "tool"]),
    st.lists(JUNK_PART, max_size=4),
)


@settings(max_examples=200)
@given(st.lists(JUNK_MESSAGE, max_size=4), st.none() | IDS, st.none() | st.booleans())
def test_message_shaped_junk_raises_only_partstream_errors(
    prompt: list[dict[str, Any]], previous_interaction_id: str | None, store: bool | None
) -> None:
    try:
        converted = convert_to_interactions_input(
            prompt, previous_interaction_id=previous_interaction_id, store=store
        )
    except errors.PartstreamError:
        return
    js_stringify(converted.input)  # plain JSON all the way down
