"""The parts -> UI chunks converter: verbs, options, snapshots, as a pipeline stage.

Chunk-for-chunk agreement with the reference is in ``test_reference_stream.py``;
these tests pin the behaviours the reference comparison cannot see (the verbs'
states, snapshots, the pipeline) and the safety of error texts.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.ui._strategies import part_sequences

from partstream import parts as p
from partstream.errors import APICallError, InvalidArgumentError
from partstream.pipeline import Emit, open_stream
from partstream.ui import (
    DEFAULT_ERROR_TEXT,
    AbortChunk,
    ErrorChunk,
    StartChunk,
    StreamEvent,
    ToolSpec,
    UIMessage,
    UIMessageChunk,
    UIMessageStreamConverter,
    encode_sse,
    get_error_message,
    tools_from_call_options,
)

FINISH = p.Finish(usage=p.Usage(), finish_reason=p.FinishReason(unified="stop", raw="completed"))
TEXT: list[p.Part] = [
    p.StreamStart(),
    p.TextStart(id="t"),
    p.TextDelta(id="t", delta="Hello"),
    p.TextEnd(id="t"),
    FINISH,
]


def _types(chunks: list[UIMessageChunk]) -> list[str]:
    return [chunk.to_dict()["type"] for chunk in chunks]


def _run(conv: UIMessageStreamConverter, parts: list[p.Part]) -> list[UIMessageChunk]:
    return conv.start() + conv.feed(parts) + conv.finish()


def test_a_text_answer() -> None:
    chunks = _run(UIMessageStreamConverter(), TEXT)
    assert [c.to_dict() for c in chunks] == [
        {"type": "start"},
        {"type": "start-step"},
        {"type": "text-start", "id": "t"},
        {"type": "text-delta", "id": "t", "delta": "Hello"},
        {"type": "text-end", "id": "t"},
        {"type": "finish-step"},
        {"type": "finish", "finishReason": "stop"},
    ]


def test_verbs_follow_the_stream_states() -> None:
    conv = UIMessageStreamConverter()
    with pytest.raises(InvalidArgumentError, match=r"start\(\) before feed"):
        conv.feed(TEXT)
    with pytest.raises(InvalidArgumentError, match=r"start\(\) before finish"):
        conv.finish()
    conv.start()
    with pytest.raises(InvalidArgumentError, match="already"):
        conv.start()
    assert conv.finish() == [ErrorChunk(DEFAULT_ERROR_TEXT)]  # nothing came: an error
    assert conv.closed
    assert conv.feed(TEXT) == []
    assert conv.finish() == []
    assert conv.abort() == []
    with pytest.raises(InvalidArgumentError, match="not a stream part"):
        other = UIMessageStreamConverter()
        other.start()
        other.feed([p.Text(text="content, not a stream part")])  # type: ignore[list-item]


def test_abort_and_fail_close_the_stream() -> None:
    conv = UIMessageStreamConverter()
    assert conv.abort("stopped by the user") == [StartChunk(), AbortChunk("stopped by the user")]
    assert conv.closed
    assert conv.fail(RuntimeError("x")) == []
    conv = UIMessageStreamConverter()
    conv.start()
    conv.feed(TEXT[:3])
    assert conv.fail(RuntimeError("boom")) == [ErrorChunk(DEFAULT_ERROR_TEXT)]
    assert conv.feed(TEXT[3:]) == []


@given(st.text(), st.sampled_from([RuntimeError, ValueError, OSError]))
def test_the_default_error_text_never_shows_the_error(message: str, kind: type[Exception]) -> None:
    secret = f"sk-live-{message}"
    for error in (kind(secret), {"message": secret}, secret):
        conv = UIMessageStreamConverter()
        conv.start()
        chunks = conv.feed([p.Error(error=error)]) + conv.fail(error)
        assert all(secret not in json.dumps(c.to_dict()) for c in chunks)
    api = APICallError("upstream said: key sk-live-1 is bad", url="https://x", status_code=401)
    conv = UIMessageStreamConverter()
    conv.start()
    assert conv.fail(api) == [ErrorChunk("An error occurred.")]


def test_on_error_gets_the_error_and_redacts_tool_errors() -> None:
    seen: list[object] = []

    def on_error(error: object) -> str:
        seen.append(error)
        return "sorry"

    conv = UIMessageStreamConverter(on_error=on_error, tools={})
    conv.start()
    out = conv.feed([p.Error(error={"message": "x"}), p.ToolCall("c", "missing", "{}")])
    assert [c.to_dict().get("errorText") for c in out if "errorText" in c.to_dict()] == [
        "sorry"
    ] * 2
    assert seen[0] == {"message": "x"}
    assert "AI_NoSuchToolError" in get_error_message(seen[1])
    # Without redaction the UI shows the text the model got.
    conv = UIMessageStreamConverter(on_error=on_error, redact_tool_errors=False, tools={})
    conv.start()
    (chunk,) = [
        c for c in conv.feed([p.ToolCall("c", "missing", "{}")]) if "errorText" in c.to_dict()
    ]
    assert chunk.to_dict()["errorText"] == (
        "AI_NoSuchToolError: Model tried to call unavailable tool 'missing'. Available tools: ."
    )


def test_message_ids_continue_the_last_assistant_message() -> None:
    history = [UIMessage("u1", "user", ()), UIMessage("a1", "assistant", ())]
    conv = UIMessageStreamConverter(original_messages=history, generate_message_id=lambda: "new")
    assert conv.start() == [StartChunk(message_id="a1")]
    assert conv.message_id == "a1"
    conv = UIMessageStreamConverter(
        original_messages=[{"id": "u1", "role": "user"}], generate_message_id=lambda: "new"
    )
    assert conv.start() == [StartChunk(message_id="new")]
    assert UIMessageStreamConverter().start() == [StartChunk()]  # the client picks the id


def test_a_fallback_message_id_gives_way_to_the_converters_own() -> None:
    # start(message_id=...) names the message only where the converter would not.
    assert UIMessageStreamConverter().start(message_id="m9") == [StartChunk(message_id="m9")]
    history = [UIMessage("u1", "user", ()), UIMessage("a1", "assistant", ())]
    continuing = UIMessageStreamConverter(original_messages=history)
    assert continuing.start(message_id="m9") == [StartChunk(message_id="a1")]
    generating = UIMessageStreamConverter(generate_message_id=lambda: "g1")
    assert generating.start(message_id="m9") == [StartChunk(message_id="g1")]
    assert generating.message_id == "g1"


def test_message_metadata_from_start_and_finish() -> None:
    def metadata(source: StreamEvent | p.Part) -> Any:
        if isinstance(source, StreamEvent) and source.type in ("start", "finish"):
            return {"at": source.type, "reason": source.finish_reason}
        return None

    chunks = _run(UIMessageStreamConverter(message_metadata=metadata), TEXT)
    dicts = [c.to_dict() for c in chunks]
    assert dicts[0] == {"type": "start", "messageMetadata": {"at": "start", "reason": None}}
    assert dicts[-1] == {
        "type": "finish",
        "finishReason": "stop",
        "messageMetadata": {"at": "finish", "reason": "stop"},
    }
    assert "message-metadata" not in _types(chunks)


def test_tools_from_call_options() -> None:
    tools = tools_from_call_options(
        [
            {"type": "function", "name": "getWeather", "inputSchema": {"type": "object"}},
            {"type": "provider", "id": "google.google_search", "name": "google_search", "args": {}},
        ]
    )
    assert tools == {"getWeather": ToolSpec("function"), "google_search": ToolSpec("provider")}
    with pytest.raises(InvalidArgumentError, match="no name"):
        tools_from_call_options([{"type": "function"}])
    validated = ToolSpec(validate=lambda value: {**value, "unit": "C"})
    conv = UIMessageStreamConverter(tools={"w": validated})
    conv.start()
    out = conv.feed([p.ToolCall("c", "w", '{"city":"Oslo"}'), p.ToolApprovalRequest("a", "c")])
    assert [c.to_dict() for c in out][1:] == [
        {
            "type": "tool-input-available",
            "toolCallId": "c",
            "toolName": "w",
            "input": {"city": "Oslo", "unit": "C"},
        },
        # The input before the tool changed it goes with the approval request.
        {
            "type": "tool-approval-request",
            "approvalId": "a",
            "toolCallId": "c",
            "inputSchemaInput": {"city": "Oslo"},
        },
    ]


def _counter(start: int = 0) -> Callable[[], str]:
    counter = itertools.count(start)
    return lambda: f"gen-{next(counter)}"


def _options(generate_id: Callable[[], str]) -> dict[str, Any]:
    return {
        "tools": {"getWeather": ToolSpec(), "google_search": ToolSpec(kind="dynamic")},
        "send_sources": True,
        "generate_id": generate_id,
        "generate_message_id": lambda: "m1",
    }


@given(part_sequences(), st.data())
def test_snapshot_restore_continues_exactly(parts: list[p.Part], data: st.DataObject) -> None:
    calls = itertools.count()

    def generate_id() -> str:
        return f"gen-{next(calls)}"

    whole = UIMessageStreamConverter(**_options(generate_id))
    expected = whole.start() + whole.feed(parts) + whole.finish()
    cut = data.draw(st.integers(0, len(parts)), label="cut")
    calls = itertools.count()
    first = UIMessageStreamConverter(**_options(generate_id))
    got = first.start() + first.feed(parts[:cut])
    snapshot = json.loads(json.dumps(first.snapshot()))  # it is plain JSON
    # The restored converter continues with the caller's id generator where it was.
    second = UIMessageStreamConverter(**_options(generate_id))
    second.restore(snapshot)
    got += second.feed(parts[cut:]) + second.finish()
    assert got == expected
    assert second.message_id == "m1"


@given(part_sequences(), st.booleans(), st.integers(1, 8))
def test_feed_sse_is_encode_sse_of_feed(parts: list[p.Part], metadata: bool, batch: int) -> None:
    def options() -> dict[str, Any]:
        meta = (lambda source: {"seen": type(source).__name__}) if metadata else None
        return {**_options(_counter()), "message_metadata": meta}

    slow, fast = UIMessageStreamConverter(**options()), UIMessageStreamConverter(**options())
    expected = encode_sse(slow.start())
    got = encode_sse(fast.start())
    for i in range(0, len(parts), batch):
        expected += encode_sse(slow.feed(parts[i : i + batch]))
        got += fast.feed_sse(parts[i : i + batch])
    assert got == expected
    assert fast.snapshot() == slow.snapshot()


def test_restore_refuses_what_is_not_a_snapshot() -> None:
    conv = UIMessageStreamConverter()
    snapshot = conv.snapshot()
    with pytest.raises(InvalidArgumentError, match="version"):
        UIMessageStreamConverter().restore({**snapshot, "version": 99})
    with pytest.raises(InvalidArgumentError, match="not a UIMessageStreamConverter snapshot"):
        UIMessageStreamConverter().restore({"version": 1, "phase": "open"})
    started = UIMessageStreamConverter()
    started.start()
    with pytest.raises(InvalidArgumentError, match="not started"):
        started.restore(snapshot)


@pytest.mark.anyio
async def test_a_pipeline_stage(anyio_backend: str) -> None:
    async def source(emit: Emit[p.Part]) -> None:
        await emit(TEXT[:2])
        await emit(TEXT[2:])

    async with open_stream(source, UIMessageStreamConverter()) as stream:
        chunks = [chunk async for chunk in stream]
    assert chunks == _run(UIMessageStreamConverter(), TEXT)
