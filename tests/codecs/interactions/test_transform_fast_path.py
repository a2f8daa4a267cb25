"""``InteractionsStreamTransform.feed_data``: the fast path gives exactly ``feed``'s parts.

``feed_data(payloads)`` promises the parts of ``feed([decode_event(p) for p in
payloads])``. It has two fast paths (msgspec structs of the text-delta fields,
and plain dicts when a batch does not fit the struct) and falls back to ``feed``
for anything else. Each is compared here with the general path, item by item, on
generated streams and on payloads built to sit on every edge of the fast path's
test: odd types, duplicate keys, extra keys, numbers out of range, forbidden
keys, broken JSON, ``[DONE]``.
"""

from __future__ import annotations

import json
import pickle
import weakref
from collections.abc import Callable
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from partstream import parts
from partstream.codecs.interactions import InteractionsStreamTransform, _api, decode_event
from partstream.testing import InteractionsStream, chunkings, interactions_streams
from partstream.transports.sse import ServerSentEvent, SSEDecoder, encode_event


def _counter() -> Callable[[], str]:
    n = iter(range(1, 1 << 30))
    return lambda: f"id-{next(n)}"


def _transform(raw: bool = False) -> InteractionsStreamTransform:
    return InteractionsStreamTransform(
        warnings=[], generate_id=_counter(), include_raw_chunks=raw, service_tier="flex"
    )


def general(payloads: list[str], *, raw: bool = False) -> list[Any]:
    """The reference: one decode_event and one feed per payload."""
    t = _transform(raw)
    out = t.start()
    for payload in payloads:
        out += t.feed(decode_event(payload))
    return out + t.finish()


def batched(payloads: list[str], sizes: list[list[str]], how: str, *, raw: bool = False) -> Any:
    t = _transform(raw)
    feed = t.feed_data if how == "feed_data" else t._feed_values
    out = t.start()
    for batch in sizes:
        out += feed(batch)
    return out + t.finish()


def _batches(payloads: list[str], cuts: list[int]) -> list[list[str]]:
    out: list[list[str]] = []
    pos = 0
    for size in cuts:
        out.append(payloads[pos : pos + size])
        pos += size
    out.append(payloads[pos:])
    return out


# -- payloads on the edges of the text-delta test ------------------------------------------

_HEAD = [
    {"event_type": "interaction.created", "interaction": {"id": "v1_x", "model": "m"}},
    {"event_type": "step.start", "index": 0, "step": {"type": "model_output"}},
    {"event_type": "step.delta", "index": 0, "delta": {"type": "text", "text": "a"}},
    {
        "event_type": "step.start",
        "index": 1,
        "step": {"type": "model_output", "content": [{"type": "text"}]},
    },
    {"event_type": "step.start", "index": 2, "step": {"type": "thought"}},
    {"event_type": "step.start", "index": 3, "step": {"type": "model_output"}},  # pending
]
_TAIL = [
    {"event_type": "step.stop", "index": 0},
    {"event_type": "step.stop", "index": 1},
    {"event_type": "interaction.completed", "interaction": {"id": "v1_x", "status": "completed"}},
]

_odd = st.sampled_from([None, True, 1, 1.5, -0.0, "", "x", [], {}, {"__proto__": 1}, [1]])
_event_types = st.sampled_from(["step.delta"] * 6 + ["step.stop", "step.start", "error"]) | _odd
_indexes = st.sampled_from([0, 0, 0, 1, 2, 3, 0.0, 1.0, -1, 2**70]) | _odd
_delta_types = st.sampled_from(["text"] * 6 + ["thought_summary", "text_annotation"]) | _odd
_texts = st.text(max_size=8) | _odd
_extra_values = st.sampled_from(
    ["1e999", "-1e400", "1e-999", "123456789012345678901234567890", '"\\u00e9"', "[[[]]]", "null"]
)


_fitting_values = st.sampled_from(["1e-999", "123456789012345678901234567890", "[[[]]]", "null"])


@st.composite
def delta_payloads(draw: st.DrawFn, misfits: bool = True) -> str:
    """The JSON text of one step.delta-like event, with odd values, keys and layout.

    Mostly the keys the struct knows (so its path runs); with ``misfits``, now and
    then an extra key, an odd layout or a cut that sends the batch elsewhere.
    """
    delta: list[tuple[str, str]] = []
    if draw(st.integers(0, 6)):
        delta.append(("type", json.dumps(draw(_delta_types))))
    if draw(st.integers(0, 5)):
        delta.append(("text", json.dumps(draw(_texts))))
    if misfits and not draw(st.integers(0, 12)):
        delta.append((draw(st.sampled_from(["annotations", "content", "x", "__proto__"])), "{}"))
    if not draw(st.integers(0, 8)):
        delta.append(("text", json.dumps(draw(_texts))))  # a duplicate key: the last wins
    delta = draw(st.permutations(delta))
    fields: list[tuple[str, str]] = [
        ("event_type", json.dumps(draw(_event_types))),
        ("index", json.dumps(draw(_indexes))),
    ]
    if draw(st.integers(0, 8)):
        sep = draw(st.sampled_from([",", ", ", " ,\t"]))
        fields.append(("delta", "{" + sep.join(f'"{k}":{v}' for k, v in delta) + "}"))
    else:
        fields.append(("delta", json.dumps(draw(_odd if misfits else st.none()))))
    if not draw(st.integers(0, 4)):
        fields.append(("event_id", json.dumps(draw(st.sampled_from(["e1", "", 7])))))
    if not draw(st.integers(0, 6)):
        key = draw(st.sampled_from(["index", "event_type", "event_id"]))
        # A duplicate key, maybe with a number out of range (a misfit: it fails to decode).
        fields.append((key, draw(_extra_values if misfits else _fitting_values)))
    if misfits and not draw(st.integers(0, 12)):
        key = draw(st.sampled_from(["foo", "constructor", "__proto__"]))
        fields.append((key, draw(_extra_values | st.just('{"prototype":1}'))))
    fields = draw(st.permutations(fields))
    text = "{" + ",".join(f'"{k}":{v}' for k, v in fields) + "}"
    if misfits and not draw(st.integers(0, 12)):
        cut = draw(st.integers(0, len(text)))
        text = text[:cut] + draw(st.sampled_from(["", "}", " ", "x", "\x00"])) + text[cut + 1 :]
    return text


_HEAD_PAYLOADS = [json.dumps(e) for e in _HEAD]
_TAIL_PAYLOADS = [json.dumps(e) for e in _TAIL]
_other_payloads = st.sampled_from(["[DONE]", "", "{}", "[]", "1", '"step.delta"', "{"]) | (
    st.sampled_from(_HEAD_PAYLOADS + _TAIL_PAYLOADS)
)


@settings(max_examples=300)
@given(st.lists(delta_payloads(misfits=False), max_size=12))
def test_feed_data_struct_path_gives_feeds_parts(body: list[str]) -> None:
    # Batches the struct fits: every decision of the struct's text-delta test is
    # compared with the general path's.
    assert all(_api._step_deltas([p]) is not None for p in body)
    payloads = _HEAD_PAYLOADS + body + _TAIL_PAYLOADS
    batches = [_HEAD_PAYLOADS, body, _TAIL_PAYLOADS]
    assert batched(payloads, batches, "feed_data") == general(payloads)
    assert batched(payloads, batches, "dicts") == general(payloads)


@settings(max_examples=200)
@given(st.lists(delta_payloads() | _other_payloads, max_size=24), st.data())
def test_feed_data_gives_feeds_parts_on_edge_payloads(body: list[str], data: Any) -> None:
    payloads = _HEAD_PAYLOADS + body + _TAIL_PAYLOADS
    expected = general(payloads)
    cuts = data.draw(st.lists(st.integers(0, 8), max_size=6))
    batches = [_HEAD_PAYLOADS, *_batches(body, cuts), _TAIL_PAYLOADS]
    assert batched(payloads, batches, "feed_data") == expected
    assert batched(payloads, batches, "dicts") == expected


_EDGES = [
    '{"event_type":"step.delta","index":0,"delta":{"type":"text","text":"ok"}}',
    '{"index":0,"delta":{"text":"ok","type":"text"},"event_type":"step.delta"}',
    '{"event_type":"step.delta","index":1,"delta":{"type":"text","text":"ok"}}',
    '{"event_type":"step.delta","index":true,"delta":{"type":"text","text":"ok"}}',
    '{"event_type":"step.delta","index":0.0,"delta":{"type":"text","text":"ok"}}',
    '{"event_type":"step.delta","index":"0","delta":{"type":"text","text":"ok"}}',
    '{"event_type":"step.delta","index":2,"delta":{"type":"text","text":"ok"}}',
    '{"event_type":"step.delta","index":3,"delta":{"type":"text","text":"ok"}}',
    '{"event_type":"step.delta","delta":{"type":"text","text":"ok"}}',
    '{"event_type":"step.delta","index":0,"delta":{"type":"thought_summary","text":"ok"}}',
    '{"event_type":"step.delta","index":0,"delta":{"type":"text_annotation","text":"ok"}}',
    '{"event_type":"step.delta","index":0,"delta":{"type":"text","text":""}}',
    '{"event_type":"step.delta","index":0,"delta":{"type":"text","text":1}}',
    '{"event_type":"step.delta","index":0,"delta":{"type":"text","text":null}}',
    '{"event_type":"step.delta","index":0,"delta":{"type":"text"}}',
    '{"event_type":"step.delta","index":0,"delta":{"text":"ok"}}',
    '{"event_type":"step.delta","index":0,"delta":null}',
    '{"event_type":"step.delta","index":0,"delta":{"type":"text","text":"a","text":"b"}}',
    '{"event_type":"step.delta","index":0,"index":5,"delta":{"type":"text","text":"ok"}}',
    '{"event_type":"step.delta","index":0,"delta":{"type":"text","text":"ok"},"event_id":1e999}',
    '{"event_type":"step.stop","index":0,"delta":{"type":"text","text":"ok"}}',
    '{"event_type":1,"index":0,"delta":{"type":"text","text":"ok"}}',
    '{"event_type":"step.delta","index":0,"delta":{"type":"text","text":"ok"},"event_id":"e"}',
    # A type that is not a string (once a crash: a list cannot be looked up in a set).
    '{"event_type":"step.delta","index":0,"delta":{"type":["text"],"text":"ok"}}',
    '{"event_type":"step.delta","index":3,"delta":{"type":{},"text":"ok"}}',
]


def _d(index: str) -> str:
    return f'{{"event_type":"step.delta","index":{index},"delta":{{"type":"text","text":"t"}}}}'


_EDGE_BATCHES = [
    # The same index again after the general path changed the blocks.
    [_d("0"), '{"event_type":"step.stop","index":0}', _d("0")],
    [_d("0"), '{"event_type":"step.start","index":0,"step":{}}', _d("0")],
    [_d("1"), '{"event_type":"step.start","index":1,"step":{"type":"thought"}}', _d("1")],
    [_d("3"), _d("3"), '{"event_type":"step.delta","index":3,"delta":{"type":"text"}}', _d("3")],
    # Values equal to the last index but not integers, and other indexes between.
    [_d("1"), _d("true"), _d("1.0"), _d("1"), _d("0"), _d("1")],
    [_d("0"), _d("false"), _d("0.0"), _d("-0.0"), _d("0")],
    [_d("0"), _d("2"), _d("0"), _d("7"), _d("0")],
]


@pytest.mark.parametrize("batch", _EDGE_BATCHES)
def test_edge_batches(batch: list[str]) -> None:
    payloads = [*_HEAD_PAYLOADS, *batch, *_TAIL_PAYLOADS]
    batches = [_HEAD_PAYLOADS, batch, _TAIL_PAYLOADS]
    assert _api._step_deltas([p for p in batch if '"step"' not in p]) is not None
    assert batched(payloads, batches, "feed_data") == general(payloads)
    assert batched(payloads, batches, "dicts") == general(payloads)


@pytest.mark.parametrize("payload", _EDGES)
def test_each_edge_payload_alone(payload: str) -> None:
    payloads = [*_HEAD_PAYLOADS, payload, *_TAIL_PAYLOADS]
    batches = [_HEAD_PAYLOADS, [payload], _TAIL_PAYLOADS]
    assert batched(payloads, batches, "feed_data") == general(payloads)
    assert batched(payloads, batches, "dicts") == general(payloads)


@given(interactions_streams(), st.data(), st.booleans())
def test_feed_data_gives_feeds_parts_on_generated_streams(
    stream: InteractionsStream, data: Any, raw: bool
) -> None:
    payloads = [json.dumps(e, separators=(",", ":")) for e in stream.events]
    expected = general(payloads, raw=raw)
    cuts = data.draw(st.lists(st.integers(0, 8), max_size=6))
    batches = _batches(payloads, cuts)
    assert batched(payloads, batches, "feed_data", raw=raw) == expected
    if not raw:  # (raw chunks never take the dict path)
        assert batched(payloads, batches, "dicts") == expected


@given(st.lists(st.text(max_size=12), max_size=12), st.data())
def test_feed_data_on_arbitrary_text(payloads: list[str], data: Any) -> None:
    payloads = [json.dumps(e) for e in _HEAD] + payloads
    batches = _batches(payloads, data.draw(st.lists(st.integers(0, 5), max_size=4)))
    assert batched(payloads, batches, "feed_data") == general(payloads)


def test_a_text_delta_batch_takes_the_struct_path_and_makes_real_parts() -> None:
    payloads = [json.dumps(e) for e in _HEAD] + [
        json.dumps({"event_type": "step.delta", "index": 0, "delta": {"type": "text", "text": t}})
        for t in ("b", "c\u00e9")
    ]
    structs = _api._step_deltas(payloads[-2:])
    assert structs is not None
    assert [s.delta.text for s in structs] == ["b", "c\u00e9"]
    t = _transform()
    t.start()
    t.feed_data(payloads[:-2])
    out = t.feed_data(payloads[-2:])
    assert out == [parts.TextDelta("v1_x:0", "b"), parts.TextDelta("v1_x:0", "c\u00e9")]
    for part in out:
        assert type(part) is parts.TextDelta
        assert part.provider_metadata is None
        assert repr(part) == repr(parts.TextDelta(part.id, part.delta))
        assert hash(part) == hash(parts.TextDelta(part.id, part.delta))
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            part.delta = "changed"  # type: ignore[misc]
        assert weakref.ref(part)() is part
        assert pickle.loads(pickle.dumps(part)) == part
        assert attrs.evolve(part, delta="x") == parts.TextDelta(part.id, "x")
        assert parts.from_dict(part.to_dict()) == part


def test_layout_twins_on_this_interpreter() -> None:
    twin = parts._layout_twin(parts.TextDelta)
    assert twin is not None  # CPython allows __class__ assignment between same layouts
    made = object.__new__(twin)
    made.id, made.delta, made.provider_metadata = "i", "d", {"google": {}}
    made.__class__ = parts.TextDelta
    assert made == parts.TextDelta(id="i", delta="d", provider_metadata={"google": {}})
    with pytest.raises(TypeError, match="hooks"):
        parts._layout_twin(parts.StreamStart)
    # Every part keeps its weak reference slot (in the shared base).
    for cls in (parts.TextStart, parts.Finish, parts.ToolCall):
        assert "__weakref__" not in cls.__slots__
        assert hasattr(parts._Shape, "__weakref__")
    weakref.ref(parts.TextStart(id="x"))


def test_batches_the_struct_does_not_fit_take_the_dict_path() -> None:
    # Unknown keys, JSON that is not an object, broken JSON: no structs for the batch.
    for payload in ('{"event_type":"step.start","index":0,"step":{}}', "[]", "{", "[DONE]"):
        assert _api._step_deltas([payload]) is None
    # ...and forbidden keys or broken JSON keep the batch off the dict path too.
    assert _api._json_values(['{"event_type":"x","__proto__":{}}']) is None
    assert _api._json_values(["{"]) is None
    assert _api._json_values(['{"event_type":"x"}']) == [{"event_type": "x"}]


def test_field_setters_refuse_classes_whose_init_does_more() -> None:
    with pytest.raises(TypeError, match="hooks"):
        parts._field_setters(parts.StreamStart)  # its warnings field has a converter

    @attrs.frozen
    class WithPostInit:
        x: int = 0

        def __attrs_post_init__(self) -> None:
            pass

    with pytest.raises(TypeError, match="not a plain slotted attrs class"):
        parts._field_setters(WithPostInit)
    set_id, set_delta, set_metadata = parts._field_setters(parts.TextDelta)
    made = object.__new__(parts.TextDelta)
    set_id(made, "i")
    set_delta(made, "d")
    set_metadata(made, {"google": {}})
    assert made == parts.TextDelta(id="i", delta="d", provider_metadata={"google": {}})


@given(st.text(max_size=20), st.data())
def test_sse_data_through_feed_data_matches_the_event_path(text: str, data: Any) -> None:
    # The provider's plain-stream wiring: SSEDecoder.feed_data -> feed_data, any chunking.
    events = [
        *_HEAD,
        {"event_type": "step.delta", "index": 0, "delta": {"type": "text", "text": text}},
    ]
    body = b"".join(encode_event(ServerSentEvent(data=json.dumps(e))) for e in events + _TAIL)
    decoder = SSEDecoder()
    t = _transform()
    got = t.start()
    for chunk in data.draw(chunkings(body)):
        got += t.feed_data(decoder.feed_data(chunk))
    got += t.finish()
    assert got == general([json.dumps(e) for e in events + _TAIL])


_WITHOUT_MSGSPEC = """
import json, sys
sys.modules["msgspec"] = None  # an environment without msgspec (and without orjson)
sys.modules["orjson"] = None
from partstream.codecs import json as pjson
from partstream.codecs.interactions import InteractionsStreamTransform, _api, decode_event
assert pjson.BACKEND == "json", pjson.BACKEND
assert _api._decode_step_delta is None
payloads = json.loads(sys.stdin.read())
def run(feed):
    t = InteractionsStreamTransform(generate_id=lambda: "id")
    return [p.to_dict() for p in t.start() + feed(t) + t.finish()]
fast = run(lambda t: t.feed_data(payloads[:3]) + t.feed_data(payloads[3:]))
slow = run(lambda t: [p for x in payloads for p in t.feed(decode_event(x))])
print(json.dumps({"same": fast == slow, "parts": fast}))
"""


def test_without_msgspec_feed_data_takes_the_stdlib_path_to_the_same_parts() -> None:
    import subprocess
    import sys
    from pathlib import Path

    # (1e999: the standard library reads Infinity where msgspec refuses the number.)
    edges = [e for e in _EDGES if "1e999" not in e]
    payloads = [*_HEAD_PAYLOADS, *edges, _d("0"), "[DONE]", "{", *_TAIL_PAYLOADS]
    root = Path(__file__).resolve().parents[3]
    done = subprocess.run(
        [sys.executable, "-c", _WITHOUT_MSGSPEC],
        input=json.dumps(payloads),
        capture_output=True,
        text=True,
        cwd=root,
        env={"PYTHONPATH": str(root / "src"), "PATH": ""},
        timeout=60,
        check=True,
    )
    result = json.loads(done.stdout)
    assert result["same"] is True
    t = InteractionsStreamTransform(generate_id=lambda: "id")
    here = [p.to_dict() for p in t.start() + t.feed_data(payloads) + t.finish()]

    def without_parser_messages(out: list[dict[str, Any]]) -> list[Any]:
        # A JSON parse error quotes its parser's own message.
        return [p["error"]["name"] if p["type"] == "error" else p for p in out]

    # The msgspec paths here, the stdlib one there: the same parts.
    assert without_parser_messages(result["parts"]) == without_parser_messages(here)
