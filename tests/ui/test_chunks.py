"""UI message chunks: JSON shapes, strict validation, the wire encoding (pure Python)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.reference.node import NODE_MODULES, ensure_installed

from partstream.codecs.interactions._javascript_json import js_stringify
from partstream.errors import InvalidArgumentError
from partstream.testing import json_values, ui_message_chunks
from partstream.ui import (
    DONE_FRAME,
    UI_MESSAGE_STREAM_HEADERS,
    DataChunk,
    ErrorChunk,
    FinishChunk,
    StartChunk,
    TextDeltaChunk,
    ToolInputAvailableChunk,
    ToolInputErrorChunk,
    ToolOutputAvailableChunk,
    UIMessageChunk,
    chunk_from_dict,
    encode_chunk,
    encode_sse,
    sse_frame,
)
from partstream.ui._chunks import CHUNK_CLASSES

CHUNKS_TS = NODE_MODULES / "ai" / "src" / "ui-message-stream" / "ui-message-chunks.ts"


@given(ui_message_chunks())
def test_to_dict_from_dict_round_trip(chunk: UIMessageChunk) -> None:
    data = chunk.to_dict()
    assert chunk_from_dict(data) == chunk
    assert chunk_from_dict(json.loads(json.dumps(data))) == chunk
    assert type(chunk).from_dict(data) == chunk


@given(ui_message_chunks())
def test_encoding_is_json_stringify_of_to_dict(chunk: UIMessageChunk) -> None:
    # js_stringify is JSON.stringify (checked against Node in tests/codecs); the fast
    # encoder must give the same bytes, key order included.
    expected = js_stringify(chunk.to_dict()).encode("utf-8")
    assert encode_chunk(chunk) == expected
    assert sse_frame(chunk) == b"data: " + expected + b"\n\n"


@given(st.lists(ui_message_chunks(), max_size=5), st.booleans())
def test_encode_sse_concatenates_frames(chunks: list[UIMessageChunk], done: bool) -> None:
    body = encode_sse(chunks, done=done)
    assert body == b"".join(map(sse_frame, chunks)) + (DONE_FRAME if done else b"")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1.0, "1"),
        (1e21, "1e+21"),
        (1e-7, "1e-7"),
        (2**60, "1152921504606847000"),
        ({"2": 1, "b": 2, "1": 3}, '{"1":3,"2":1,"b":2}'),
        ("</script>\u2028é\x7f", '"</script>\u2028é\x7f"'),
        ("\x00\x1f\ud800", '"\\u0000\\u001f\\ud800"'),
    ],
)
def test_json_stringify_corners(value: Any, text: str) -> None:
    # Numbers, integer-like keys and escapes as JSON.stringify writes them.
    chunk = ToolOutputAvailableChunk("c", value)
    assert encode_chunk(chunk) == (
        '{"type":"tool-output-available","toolCallId":"c","output":' + text + "}"
    ).encode("utf-8")


def test_reference_key_order_and_nulls() -> None:
    assert list(StartChunk(message_metadata={"a": 1}, message_id="m").to_dict()) == [
        "type",
        "messageMetadata",
        "messageId",
    ]
    # input/output/data are always written (null when None), as the reference does.
    assert ToolInputAvailableChunk("c", "t", None).to_dict() == {
        "type": "tool-input-available",
        "toolCallId": "c",
        "toolName": "t",
        "input": None,
    }
    assert encode_chunk(DataChunk("data-x", None)) == b'{"type":"data-x","data":null}'
    error = ToolInputErrorChunk("c", "t", {}, error_text="bad", title="T", dynamic=True)
    assert list(error.to_dict()) == [
        "type",
        "toolCallId",
        "toolName",
        "input",
        "dynamic",
        "errorText",
        "title",
    ]


def test_strict_and_lenient_validation() -> None:
    data = {"type": "text-delta", "id": "a", "delta": "x", "extra": 1}
    with pytest.raises(InvalidArgumentError, match=r"unknown key 'extra'.*strict=False"):
        chunk_from_dict(data)
    assert chunk_from_dict(data, strict=False) == TextDeltaChunk("a", "x")
    with pytest.raises(InvalidArgumentError, match=r"chunk\(text-delta\).delta: expected a string"):
        chunk_from_dict({"type": "text-delta", "id": "a", "delta": 1})
    with pytest.raises(InvalidArgumentError, match="missing required key 'errorText'"):
        chunk_from_dict({"type": "error"}, strict=False)
    with pytest.raises(InvalidArgumentError, match="null is not allowed"):
        chunk_from_dict({"type": "text-start", "id": "a", "providerMetadata": None})
    with pytest.raises(InvalidArgumentError, match="unknown UI message chunk type"):
        chunk_from_dict({"type": "nope"})
    with pytest.raises(InvalidArgumentError, match='must start with "data-"'):
        DataChunk("x", 1)
    with pytest.raises(InvalidArgumentError, match="expected one of"):
        chunk_from_dict({"type": "finish", "finishReason": "done"})
    with pytest.raises(InvalidArgumentError, match="expected a ErrorChunk"):
        ErrorChunk.from_dict({"type": "abort"})
    # z.optional(z.unknown()) takes null as absent; a required unknown keeps it.
    assert chunk_from_dict({"type": "finish", "messageMetadata": None}) == FinishChunk()
    assert chunk_from_dict({"type": "message-metadata", "messageMetadata": None}).to_dict() == {
        "type": "message-metadata",
        "messageMetadata": None,
    }


@given(json_values())
def test_provider_metadata_must_be_a_record_of_records(value: Any) -> None:
    data = {"type": "text-start", "id": "a", "providerMetadata": value}
    ok = isinstance(value, dict) and all(isinstance(v, dict) for v in value.values())
    if ok:
        assert chunk_from_dict(data).to_dict()["providerMetadata"] == {
            k: {kk: vv for kk, vv in v.items() if kk != "__proto__"}
            for k, v in value.items()
            if k != "__proto__"
        }
    else:
        with pytest.raises(InvalidArgumentError, match="providerMetadata"):
            chunk_from_dict(data)


def _reference_schema() -> dict[str, tuple[set[str], set[str]]]:
    """Per chunk type in ``uiMessageChunkSchema``: (all keys, required keys), from the source."""
    source = CHUNKS_TS.read_text("utf-8")
    body = source[source.index("export const uiMessageChunkSchema") : source.index("export type")]
    blocks = re.split(r"\n      z\.looseObject\(\{\n", body)[1:]
    schema: dict[str, tuple[set[str], set[str]]] = {}
    for block in blocks:
        keys: set[str] = set()
        required: set[str] = set()
        kind = None
        for match in re.finditer(r"^        (\w+): (.*)$", block, re.M):
            key, rest = match.groups()
            if key == "type":
                literal = re.match(r"z\.literal\('([^']+)'\)", rest)
                kind = literal.group(1) if literal else "data-*"
                continue
            keys.add(key)
            if not rest.startswith("z.optional("):
                required.add(key)
        assert kind is not None
        schema[kind] = (keys, required)
    return schema


def test_classes_mirror_the_reference_schema() -> None:
    ensure_installed()  # the reference's own source is the schema (skips without node)
    reference = _reference_schema()
    ours: dict[str, tuple[set[str], set[str]]] = {}
    for cls in CHUNK_CLASSES:
        name = "data-*" if cls is DataChunk else str(getattr(cls, "type"))  # noqa: B009
        known = {key for key in cls._known if key != "type"}
        ours[name] = (known, {key for key in cls._required if key != "type"})
    assert ours == reference
    assert UI_MESSAGE_STREAM_HEADERS == {
        "content-type": "text/event-stream",
        "cache-control": "no-cache",
        "connection": "keep-alive",
        "x-vercel-ai-ui-message-stream": "v1",
        "x-accel-buffering": "no",
    }


def test_every_public_class_is_final_and_every_chunk_class_exported() -> None:
    import inspect

    import partstream.ui as ui

    for cls in CHUNK_CLASSES:
        assert getattr(ui, cls.__name__) is cls
    for name in ui.__all__:
        obj = getattr(ui, name)
        if inspect.isclass(obj):
            assert getattr(obj, "__final__", False), f"ui.{name} is not @final"


@given(
    json_values(20),
    st.sampled_from(sorted(str(vars(c)["type"]) for c in CHUNK_CLASSES if c is not DataChunk)),
)
def test_bad_input_is_an_invalid_argument_error_never_a_crash(value: Any, kind: str) -> None:
    for data in (
        value,
        {"type": kind, "id": value, "delta": value, "toolCallId": "c", "input": value},
    ):
        for strict in (True, False):
            try:
                chunk_from_dict(data, strict=strict)
            except InvalidArgumentError:
                pass
