"""Stream parts: AI SDK JSON shape, round trips, and the recorded reference shapes."""

from __future__ import annotations

import datetime as dt
import json
import pickle
import typing
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given

from partstream import parts
from partstream.errors import InvalidArgumentError
from partstream.testing._parts import parts as any_part

CASES = (
    Path(__file__).resolve().parents[1].parent / "shared" / "conformance" / "interactions" / "cases"
)


def test_text_delta_contract() -> None:
    assert parts.TextDelta(id="0", delta="hi").to_dict() == {
        "type": "text-delta",
        "id": "0",
        "delta": "hi",
    }
    assert parts.from_dict({"type": "text-delta", "id": "0", "delta": "hi"}) == parts.TextDelta(
        id="0", delta="hi"
    )


def test_absent_values_are_omitted_and_keys_are_camel_case() -> None:
    call = parts.ToolCall(tool_call_id="c1", tool_name="f", input="{}", provider_executed=True)
    assert call.to_dict() == {
        "type": "tool-call",
        "toolCallId": "c1",
        "toolName": "f",
        "input": "{}",
        "providerExecuted": True,
    }
    usage = parts.Usage(parts.InputTokens(total=3, no_cache=3), parts.OutputTokens(total=1))
    finish = parts.Finish(usage=usage, finish_reason=parts.FinishReason("stop", "completed"))
    assert finish.to_dict() == {
        "type": "finish",
        "usage": {"inputTokens": {"total": 3, "noCache": 3}, "outputTokens": {"total": 1}},
        "finishReason": {"unified": "stop", "raw": "completed"},
    }


def test_sources_carry_their_source_type() -> None:
    url = parts.UrlSource(id="s", url="https://a.example")
    doc = parts.DocumentSource(id="d", media_type="application/pdf", title="T")
    assert url.to_dict()["sourceType"] == "url"
    assert doc.to_dict()["sourceType"] == "document"
    assert parts.from_dict(doc.to_dict()) == doc


def test_timestamps_use_the_javascript_iso_form() -> None:
    meta = parts.ResponseMetadata(
        id="r", timestamp=dt.datetime(2026, 5, 15, 18, 51, 55, 123456, tzinfo=dt.UTC)
    )
    assert meta.to_dict()["timestamp"] == "2026-05-15T18:51:55.123Z"
    back = parts.from_dict({"type": "response-metadata", "timestamp": "2026-05-15T18:51:55.000Z"})
    assert isinstance(back, parts.ResponseMetadata)
    assert back.timestamp == dt.datetime(2026, 5, 15, 18, 51, 55, tzinfo=dt.UTC)


def test_parts_are_frozen() -> None:
    delta = parts.TextDelta(id="0", delta="a")
    with pytest.raises(AttributeError):
        delta.delta = "b"  # type: ignore[misc]


def test_public_classes_name_the_public_module() -> None:
    # The bodies live in private modules; pickles, reprs and type hints name this one.
    classes = [v for v in (getattr(parts, n) for n in parts.__all__) if isinstance(v, type)]
    assert len(classes) > 30
    for cls in classes:
        assert cls.__module__ == "partstream.parts", cls
        assert typing.get_type_hints(cls)  # resolvable where the class says it lives
    delta = parts.TextDelta(id="0", delta="a", provider_metadata={"google": {"x": 1}})
    assert b"partstream.parts" in pickle.dumps(delta)
    assert pickle.loads(pickle.dumps(delta)) == delta
    finish = parts.from_dict(
        {"type": "finish", "usage": {"inputTokens": {"total": 3}}, "finishReason": {"unified": "x"}}
    )
    assert pickle.loads(pickle.dumps(finish)) == finish
    assert repr(parts.TextDelta) == "<class 'partstream.parts.TextDelta'>"


@pytest.mark.parametrize(
    "bad",
    [
        {"type": "no-such-part"},
        {"type": "source", "sourceType": "video", "id": "x"},
        {"type": "text-delta", "id": "0"},
        {"type": "stream-start", "warnings": [{"type": "nope"}]},
        {"type": "file", "mediaType": "a/b", "data": {"type": "carrier-pigeon"}},
        {"type": "response-metadata", "timestamp": "yesterday"},
        {},
    ],
)
def test_from_dict_rejects_bad_input_with_our_error(bad: dict[str, Any]) -> None:
    with pytest.raises(InvalidArgumentError):
        parts.from_dict(bad)


def test_content_from_dict_rejects_stream_only_parts() -> None:
    assert parts.content_from_dict({"type": "text", "text": "x"}) == parts.Text(text="x")
    with pytest.raises(InvalidArgumentError):
        parts.content_from_dict({"type": "text-delta", "id": "0", "delta": "x"})


@given(any_part())
def test_round_trip(part: parts.Part | parts.Content) -> None:
    data = part.to_dict()
    assert parts.from_dict(data) == part
    # The JSON shape survives serialisation unchanged.
    assert json.loads(json.dumps(data)) == data


def _reference_shapes() -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    for path in sorted(CASES.glob("*.json")):
        output = json.loads(path.read_text()).get("reference_output") or {}
        found.extend((path.name, part) for part in output.get("parts") or [])
        result = output.get("result")
        if isinstance(result, dict):
            found.extend((path.name, c) for c in result.get("content") or [])
            found.extend((path.name, w) for w in result.get("warnings") or [])
        elif isinstance(result, list):
            found.extend(
                (path.name, c) for c in result if isinstance(c, dict) and c.get("type") == "source"
            )
    return found


@pytest.mark.skipif(not CASES.is_dir(), reason="../shared/conformance is absent")
def test_every_recorded_reference_shape_round_trips_exactly() -> None:
    shapes = _reference_shapes()
    assert len(shapes) > 300
    kinds = set()
    for name, data in shapes:
        if data["type"] in {"unsupported", "compatibility", "deprecated", "other"}:
            obj: Any = parts.warning_from_dict(data)
        else:
            obj = parts.from_dict(data)
        kinds.add(data["type"])
        assert obj.to_dict() == data, name
    assert {"finish", "tool-call", "source", "file", "raw", "response-metadata"} <= kinds
