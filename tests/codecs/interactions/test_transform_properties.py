"""Hypothesis properties of the Interactions stream transform."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from partstream import parts
from partstream.codecs.interactions import (
    InteractionsStreamTransform,
    Parsed,
    ParseFailure,
    decode_event,
    parse_event,
)
from partstream.errors import PartstreamError
from partstream.testing import (
    InteractionsStream,
    interactions_feeds,
    interactions_streams,
    json_values,
)

_PAIRS = {
    "text-start": ("text", 1),
    "text-end": ("text", -1),
    "reasoning-start": ("reasoning", 1),
    "reasoning-end": ("reasoning", -1),
    "tool-input-start": ("tool-input", 1),
    "tool-input-end": ("tool-input", -1),
}


def _counter() -> Any:
    n = iter(range(1, 1 << 30))
    return lambda: f"id-{next(n)}"


def run(items: list[Any], *, raw: bool = False, batches: list[int] | None = None) -> list[Any]:
    """Feed ``items`` one by one, or in batches of the given sizes (then the rest)."""
    t = InteractionsStreamTransform(
        warnings=[], generate_id=_counter(), include_raw_chunks=raw, service_tier="flex"
    )
    out = t.start()
    if batches is None:
        for item in items:
            out += t.feed(item)
    else:
        pos = 0
        for size in batches:
            out += t.feed(items[pos : pos + size])
            pos += size
        out += t.feed(items[pos:])
    return out + t.finish()


def assert_well_formed(out: list[Any]) -> None:
    """start first, finish last, every start ended, everything serialisable."""
    assert isinstance(out[0], parts.StreamStart)
    assert isinstance(out[-1], parts.Finish)
    assert sum(isinstance(p, parts.Finish | parts.StreamStart) for p in out) == 2
    # Text and reasoning blocks pair up by id: never an end without a start.
    open_ids: Counter[tuple[str, str]] = Counter()
    tool_inputs = 0
    for part in out:
        kind = _PAIRS.get(part.type)
        if kind is None:
            continue
        if kind[0] == "tool-input":
            # The reference lets a delta rename the call id between start and end,
            # so tool inputs pair by count.
            tool_inputs += kind[1]
            assert tool_inputs >= 0
            continue
        key = (kind[0], part.id)
        open_ids[key] += kind[1]
        assert open_ids[key] in (0, 1), f"{part.type} {part.id} out of order"
    assert tool_inputs == 0
    assert all(v == 0 for v in open_ids.values()), open_ids
    for part in out:
        data = part.to_dict()
        assert json.loads(json.dumps(data)) == data
        assert parts.from_dict(data) == part


def _by_block(out: list[Any], part_type: str) -> dict[str, str]:
    texts: dict[str, str] = {}
    for part in out:
        if part.type == part_type:
            texts[part.id] = texts.get(part.id, "") + part.delta
    return texts


@given(interactions_streams())
def test_well_formed_streams_say_what_the_events_say(stream: InteractionsStream) -> None:
    out = run(stream.events)
    assert_well_formed(out)
    prefix = stream.interaction_id or "interaction"
    # Concatenated text deltas equal the step's text (a block appears once it has text).
    expected_texts = {f"{prefix}:{i}": t for i, t in stream.texts.items() if t}
    assert _by_block(out, "text-delta") == expected_texts
    expected_reasoning = {f"{prefix}:{i}": t for i, t in stream.reasonings.items()}
    got_reasoning = _by_block(out, "reasoning-delta")
    assert {k: v for k, v in got_reasoning.items() if v} == {
        k: v for k, v in expected_reasoning.items() if v
    }
    calls = [p for p in out if isinstance(p, parts.ToolCall) and not p.provider_executed]
    assert sorted(c.input for c in calls) == sorted(
        a if a else "{}" for a in stream.arguments.values()
    )
    finish = out[-1]
    assert finish.provider_metadata["google"].get("interactionId") == (
        stream.interaction_id or None
    )
    assert finish.finish_reason.raw is not None or stream.final_status is None
    if stream.final_status is not None:
        assert finish.finish_reason.raw == stream.final_status
    # Sources are never repeated.
    keys = [
        (p.to_dict().get("url"), p.to_dict().get("filename")) for p in out if p.type == "source"
    ]
    assert len(keys) == len(set(keys))


@given(interactions_streams(), st.lists(st.integers(0, 6), max_size=6), st.booleans())
def test_batching_does_not_change_the_parts(
    stream: InteractionsStream, batches: list[int], raw: bool
) -> None:
    one_by_one = run(stream.events, raw=raw)
    assert run(stream.events, raw=raw, batches=batches) == one_by_one
    wrapped = [Parsed(value=e, raw=e) for e in stream.events]
    assert run(wrapped, raw=raw) == one_by_one
    if raw:
        assert [p.raw_value for p in one_by_one if isinstance(p, parts.Raw)] == stream.events


@given(interactions_streams())
def test_decoding_the_data_lines_gives_the_same_parts(stream: InteractionsStream) -> None:
    lines = [json.dumps(e) for e in stream.events]
    assert run([decode_event(line) for line in lines]) == run(stream.events)
    assert run([parse_event(line) for line in lines]) == run(stream.events)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(interactions_feeds(), st.booleans())
def test_arbitrary_feeds_give_well_formed_streams(items: list[Any], raw: bool) -> None:
    try:
        out = run(items, raw=raw)
    except PartstreamError:  # pragma: no cover - the transform raises nothing for these
        raise AssertionError("the transform raised for a valid feed item") from None
    assert_well_formed(out)
    failures = sum(isinstance(i, ParseFailure) for i in items)
    assert sum(isinstance(p, parts.Error) for p in out) >= failures
    if failures:
        assert out[-1].finish_reason.unified in (
            "error",
            "other",
            "stop",
            "tool-calls",
            "length",
            "interrupted",
        )


@given(st.text(max_size=40) | json_values(6).map(json.dumps))
def test_decode_event_never_raises(data: str) -> None:
    result = decode_event(data)
    encoded = decode_event(data.encode("utf-8", "surrogatepass"))
    assert type(result) is type(encoded) or data == "[DONE]"
    if isinstance(result, dict):
        assert isinstance(result["event_type"], str)
        assert result == json.loads(data)
    elif result is not None:
        assert isinstance(result, ParseFailure)
        assert result.error["name"] in ("AI_JSONParseError", "AI_TypeValidationError")
