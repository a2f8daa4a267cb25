"""The transform's portable state: ``snapshot()`` / ``restore(state)``.

The property behind the portable cursor: for any event sequence and any cut point,
the parts of the prefix followed by the parts of a transform restored from the
snapshot taken there (after a JSON round trip) and fed the rest are exactly the
parts of one undisturbed transform.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from partstream import parts
from partstream.codecs.interactions import InteractionsStreamTransform
from partstream.errors import InvalidArgumentError
from partstream.testing import (
    InteractionsStream,
    interactions_feeds,
    interactions_streams,
    json_values,
)

WARNING = parts.OtherWarning(message="a call warning")


def _counter() -> Callable[[], str]:
    n = iter(range(1, 1 << 30))
    return lambda: f"id-{next(n)}"


def _new(generate_id: Callable[[], str], raw: bool) -> InteractionsStreamTransform:
    return InteractionsStreamTransform(
        warnings=[WARNING], generate_id=generate_id, include_raw_chunks=raw, service_tier="flex"
    )


def _feed(t: InteractionsStreamTransform, items: list[Any], batched: bool) -> list[Any]:
    if batched:
        return t.feed(list(items))
    out: list[Any] = []
    for item in items:
        out += t.feed(item)
    return out


def _split_run(
    items: list[Any], cut: int, *, raw: bool, batched: bool
) -> tuple[list[Any], list[Any], dict[str, Any]]:
    """(the whole run's parts, prefix + restored rest, the snapshot as JSON data)."""
    whole_t = _new(_counter(), raw)
    whole = whole_t.start() + _feed(whole_t, items, batched) + whole_t.finish()

    ids = _counter()  # the resumed side keeps numbering where the first half stopped
    first = _new(ids, raw)
    prefix = first.start() + _feed(first, items[:cut], batched)
    state = json.loads(json.dumps(first.snapshot()))
    second = InteractionsStreamTransform.restore(state, generate_id=ids)
    rest = _feed(second, items[cut:], batched) + second.finish()
    return whole, prefix + rest, state


@given(interactions_streams(), st.data(), st.booleans(), st.booleans())
def test_restoring_a_snapshot_continues_any_stream_exactly(
    stream: InteractionsStream, data: st.DataObject, raw: bool, batched: bool
) -> None:
    cut = data.draw(st.integers(0, len(stream.events)))
    whole, joined, _ = _split_run(stream.events, cut, raw=raw, batched=batched)
    assert joined == whole


@given(interactions_feeds(), st.data(), st.booleans())
def test_restoring_continues_any_feed_exactly(
    items: list[Any], data: st.DataObject, raw: bool
) -> None:
    # Malformed events, parse failures and None included.
    cut = data.draw(st.integers(0, len(items)))
    whole, joined, _ = _split_run(items, cut, raw=raw, batched=False)
    assert joined == whole


@given(interactions_streams(), st.data())
def test_a_snapshot_is_json_and_restores_to_itself(
    stream: InteractionsStream, data: st.DataObject
) -> None:
    cut = data.draw(st.integers(0, len(stream.events)))
    t = _new(_counter(), False)
    t.start()
    for event in stream.events[:cut]:
        t.feed(event)
    state = t.snapshot()
    text = json.dumps(state, allow_nan=False)
    again = InteractionsStreamTransform.restore(json.loads(text))
    assert again.snapshot() == json.loads(text)
    assert again.interaction_id == t.interaction_id
    assert again.status == t.status
    assert again.header_service_tier == "flex"
    assert again.start() == t.start()  # the call warnings travel too


def test_a_snapshot_is_a_copy() -> None:
    t = _new(_counter(), False)
    completed = {
        "event_type": "interaction.completed",
        "interaction": {"id": "v1_a", "status": "completed", "usage": {"total_tokens": 3}},
    }
    t.feed(completed)
    state = t.snapshot()
    completed["interaction"]["usage"]["total_tokens"] = 99  # type: ignore[index]
    assert state["usage"] == {"total_tokens": 3}


def test_the_open_blocks_are_in_the_snapshot() -> None:
    t = _new(lambda: "g", False)
    t.feed(
        [
            {"event_type": "interaction.created", "interaction": {"id": "v1_a"}},
            {"event_type": "step.start", "index": 0, "step": {"type": "model_output"}},
            {
                "event_type": "step.start",
                "index": 2,
                "step": {"type": "function_call", "id": "c1", "name": "f"},
            },
            {
                "event_type": "step.delta",
                "index": 2,
                "delta": {"type": "arguments_delta", "arguments": '{"a":'},
            },
            {
                "event_type": "step.delta",
                "index": 2,
                "delta": {"type": "arguments_delta", "arguments": " 1}"},
            },
        ]
    )
    state = t.snapshot()
    assert state["interaction_id"] == "v1_a"
    assert state["has_function_call"] is True
    assert state["blocks"] == [
        [0, {"kind": "pending", "id": "v1_a:0"}],
        [
            2,
            {
                "kind": "function_call",
                "id": "v1_a:2",
                "tool_call_id": "c1",
                "tool_name": "f",
                "signature": None,
                "arguments": '{"a": 1}',
            },
        ],
    ]
    second = InteractionsStreamTransform.restore(state)
    out = second.feed({"event_type": "step.stop", "index": 2})
    assert [p.to_dict() for p in out] == [
        {"type": "tool-input-end", "id": "c1"},
        {
            "type": "tool-call",
            "toolCallId": "c1",
            "toolName": "f",
            "input": '{"a": 1}',
            "providerMetadata": {"google": {"interactionId": "v1_a"}},
        },
    ]
    second.feed({"event_type": "interaction.completed", "interaction": {"status": "completed"}})
    (*_, finish) = second.finish()
    assert isinstance(finish, parts.Finish)
    assert finish.finish_reason.unified == "tool-calls"  # the function call before the cut


def _valid_state() -> dict[str, Any]:
    t = _new(lambda: "g", False)
    t.feed({"event_type": "step.start", "index": 0, "step": {"type": "thought"}})
    return t.snapshot()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"v": 2}, "unsupported version"),
        ({"warnings": {}}, "warnings must be a list"),
        ({"warnings": [{"type": "nope"}]}, "warnings"),
        ({"include_raw_chunks": 1}, "include_raw_chunks"),
        ({"status": 3}, "status"),
        ({"blocks": [[0]]}, "pair"),
        ({"blocks": [[True, {"kind": "text", "id": "x"}]]}, "finite number"),
        ({"blocks": [[0, {"kind": "text", "id": "x"}]] * 2}, "twice"),
        ({"blocks": [[0, {"kind": "wat", "id": "x"}]]}, "unknown block kind"),
        ({"blocks": [[0, {"kind": "function_call", "id": "x"}]]}, "tool_call_id"),
        ({"source_keys": [1]}, "source_keys"),
    ],
)
def test_what_is_not_a_snapshot_is_refused(change: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        InteractionsStreamTransform.restore({**_valid_state(), **change})


@given(
    json_values(6)
    | st.fixed_dictionaries(
        {"v": st.just(1)},
        optional={
            key: json_values(4)
            for key in [
                "warnings",
                "include_raw_chunks",
                "header_service_tier",
                "body_service_tier",
                "interaction_id",
                "status",
                "usage",
                "has_function_call",
                "blocks",
                "source_keys",
            ]
        },
    )
)
def test_arbitrary_state_only_raises_invalid_argument(data: Any) -> None:
    _try_restore(data)


_KINDS = ["text", "pending", "reasoning", "function_call", "image", "builtin_call"]
_KINDS += ["builtin_result", "unknown", "other"]
_BLOCK_FIELDS = ["signature", "tool_call_id", "tool_name", "arguments", "data"]
_BLOCK_FIELDS += ["mime_type", "uri", "block_type", "call_id", "result"]


@given(
    st.lists(
        st.tuples(
            st.integers(0, 2) | json_values(1),
            st.fixed_dictionaries(
                {"kind": st.sampled_from(_KINDS), "id": st.text(max_size=3) | json_values(1)},
                optional={key: st.text(max_size=3) | json_values(2) for key in _BLOCK_FIELDS},
            ),
        ).map(list),
        max_size=3,
    )
)
def test_arbitrary_blocks_only_raise_invalid_argument(blocks: list[Any]) -> None:
    _try_restore({**_valid_state(), "blocks": blocks})


def _try_restore(data: Any) -> None:
    try:
        t = InteractionsStreamTransform.restore(data)
    except InvalidArgumentError:
        return
    for index in range(3):
        for kind in ["text", "image", "thought_summary", "arguments_delta", "google_search_call"]:
            t.feed({"event_type": "step.delta", "index": index, "delta": {"type": kind}})
        t.feed({"event_type": "step.stop", "index": index})
    t.finish()
