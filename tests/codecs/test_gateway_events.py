"""The identity realtime codec: typed events that give back exactly the JSON they came from."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from partstream.codecs import gateway as g
from partstream.errors import InvalidArgumentError, InvalidResponseDataError

SERVER_TYPES = [
    "session-created",
    "session-updated",
    "speech-started",
    "speech-stopped",
    "audio-committed",
    "conversation-item-added",
    "input-transcription-completed",
    "response-created",
    "response-done",
    "output-item-added",
    "output-item-done",
    "content-part-added",
    "content-part-done",
    "audio-delta",
    "audio-done",
    "audio-transcript-delta",
    "audio-transcript-done",
    "text-delta",
    "text-done",
    "function-call-arguments-delta",
    "function-call-arguments-done",
    "error",
    "custom",
]
CLIENT_TYPES = [
    "session-update",
    "input-audio-append",
    "input-audio-commit",
    "input-audio-clear",
    "conversation-item-create",
    "conversation-item-truncate",
    "response-create",
    "response-cancel",
]
KEYS = [
    "responseId",
    "itemId",
    "callId",
    "delta",
    "name",
    "arguments",
    "message",
    "code",
    "rawType",
    "raw",
    "status",
    "sessionId",
    "transcript",
    "text",
    "item",
    "previousItemId",
    "config",
    "audio",
    "contentIndex",
    "audioEndMs",
    "options",
    "other",
]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
field_values = st.one_of(st.text(max_size=12), json_values)


def _objects(types: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(
        lambda t, fields: {**fields, "type": t},
        st.one_of(st.sampled_from(types), st.text(max_size=12)),
        st.dictionaries(st.sampled_from(KEYS), field_values, max_size=8),
    )


# --- the reference's identity tests ------------------------------------------------------


def test_server_events_pass_through_unchanged() -> None:
    data = {"type": "response-created", "responseId": "resp_1", "raw": {}}
    event = g.parse_server_event(data)
    assert isinstance(event, g.ResponseCreated)
    assert event.response_id == "resp_1"
    assert event.raw == {}
    assert event.to_dict() == data


def test_client_events_pass_through_unchanged() -> None:
    assert g.serialize_client_event({"type": "response-create"}) == {"type": "response-create"}
    assert g.serialize_client_event(g.ResponseCreate()) == {"type": "response-create"}


def test_session_config_passes_through_unchanged() -> None:
    config = {"instructions": "be concise", "voice": "alloy"}
    assert g.build_session_config(config) == config


def test_session_update_keeps_gateway_provider_options() -> None:
    event = {
        "type": "session-update",
        "config": {
            "instructions": "be concise",
            "providerOptions": {"gateway": {"tags": ["demo"], "user": "user-1"}},
        },
    }
    assert g.serialize_client_event(event) == event
    typed = g.client_event_from_dict(event)
    assert isinstance(typed, g.SessionUpdate)
    assert typed.to_dict() == event


# --- typing ---------------------------------------------------------------------------------


def test_every_server_type_has_a_class() -> None:
    classes = {cls.type for cls in g.ServerEvent.__args__ if cls is not g.UnknownServerEvent}
    assert classes == set(SERVER_TYPES)


def test_every_client_type_has_a_class() -> None:
    classes = {cls.type for cls in g.ClientEvent.__args__ if cls is not g.UnknownClientEvent}
    assert classes == set(CLIENT_TYPES)


def test_function_call_done_is_typed() -> None:
    data = {
        "type": "function-call-arguments-done",
        "responseId": "r",
        "itemId": "i",
        "callId": "c",
        "name": "weather",
        "arguments": '{"city":"Paris"}',
        "raw": {"type": "response.function_call_arguments.done"},
    }
    event = g.server_event_from_dict(data)
    assert event == g.FunctionCallArgumentsDone(
        response_id="r",
        item_id="i",
        call_id="c",
        name="weather",
        arguments='{"city":"Paris"}',
        raw={"type": "response.function_call_arguments.done"},
    )


def test_error_events_are_events() -> None:
    event = g.decode_server_message('{"type":"error","message":"bad","code":"rate_limited"}')
    assert isinstance(event, g.ErrorEvent)
    assert (event.message, event.code) == ("bad", "rate_limited")


def test_unknown_type_passes_through_losslessly() -> None:
    data = {"type": "future-thing", "x": [1, 2, {"y": None}]}
    event = g.server_event_from_dict(data)
    assert isinstance(event, g.UnknownServerEvent)
    assert event.type == "future-thing"
    assert event.to_dict() == data


def test_a_known_type_that_does_not_fit_is_unknown_not_a_crash() -> None:
    data = {"type": "audio-delta", "responseId": 1, "itemId": "i", "delta": "x"}
    event = g.server_event_from_dict(data)
    assert isinstance(event, g.UnknownServerEvent)
    assert event.type == "audio-delta"
    assert event.to_dict() == data


def test_extra_keys_and_explicit_nulls_survive() -> None:
    data = {"type": "text-done", "responseId": "r", "itemId": "i", "text": None, "new": 1}
    event = g.server_event_from_dict(data)
    assert isinstance(event, g.TextDone)
    assert event.text is None
    assert event.extra == {"new": 1, "text": None}
    assert event.to_dict() == data


def test_typed_client_events_serialize_to_the_wire_shape() -> None:
    assert g.InputAudioAppend(audio="AAA=").to_dict() == {
        "type": "input-audio-append",
        "audio": "AAA=",
    }
    assert g.ConversationItemTruncate(
        item_id="i", content_index=0, audio_end_ms=1200
    ).to_dict() == {
        "type": "conversation-item-truncate",
        "itemId": "i",
        "contentIndex": 0,
        "audioEndMs": 1200,
    }
    create = g.ConversationItemCreate(item=g.FunctionCallOutput(call_id="c", output='"ok"'))
    assert create.to_dict() == {
        "type": "conversation-item-create",
        "item": {"type": "function-call-output", "callId": "c", "output": '"ok"'},
    }
    text = g.ConversationItemCreate(item=g.TextMessage(text="hi")).to_dict()
    assert text["item"] == {"type": "text-message", "text": "hi", "role": "user"}


def test_encode_client_event_is_compact_json() -> None:
    text = g.encode_client_event({"type": "response-create", "options": {"modalities": ["text"]}})
    assert text == '{"type":"response-create","options":{"modalities":["text"]}}'
    assert json.loads(g.encode_client_event(g.SessionUpdate(config={"voice": "é"}))) == {
        "type": "session-update",
        "config": {"voice": "é"},
    }


@pytest.mark.parametrize(
    "event", [{"no": "type"}, {"type": 1}, object(), {"type": "x", "v": float("nan")}]
)
def test_bad_client_events_are_invalid_arguments(event: Any) -> None:
    with pytest.raises(InvalidArgumentError):
        g.encode_client_event(event)


@pytest.mark.parametrize(
    "message",
    [
        b"not json",
        "[1, 2]",
        '"text"',
        "{}",
        '{"type": 3}',
        b'{"type":"x"\xff}',
        "NaN",
        "{" * 100000,
    ],
)
def test_malformed_messages_raise_invalid_response_data(message: str | bytes) -> None:
    with pytest.raises(InvalidResponseDataError):
        g.decode_server_message(message)


def test_big_integers_decode_the_same_with_or_without_orjson() -> None:
    event = g.decode_server_message(
        '{"type":"custom","rawType":"x","raw":123456789012345678901234}'
    )
    assert isinstance(event, g.CustomEvent)
    assert event.raw == 123456789012345678901234


def test_binary_messages_are_utf8_json() -> None:
    event = g.decode_server_message(
        '{"type":"text-delta","responseId":"r","itemId":"i","delta":"é"}'.encode()
    )
    assert isinstance(event, g.TextDelta)
    assert event.delta == "é"


# --- properties ---------------------------------------------------------------------------


@given(data=_objects(SERVER_TYPES))
def test_server_round_trip_is_the_identity(data: dict[str, Any]) -> None:
    event = g.server_event_from_dict(data)
    assert event.type == data["type"]
    assert event.to_dict() == data
    again = g.decode_server_message(json.dumps(data))
    assert again == event


@given(data=_objects(CLIENT_TYPES))
def test_client_round_trip_is_the_identity(data: dict[str, Any]) -> None:
    event = g.client_event_from_dict(data)
    assert event.type == data["type"]
    assert event.to_dict() == data
    assert json.loads(g.encode_client_event(event)) == json.loads(g.encode_client_event(data))


@given(message=st.one_of(st.binary(max_size=60), st.text(max_size=60), json_values.map(json.dumps)))
def test_decoding_arbitrary_messages_raises_only_partstream_errors(message: str | bytes) -> None:
    try:
        event = g.decode_server_message(message)
    except InvalidResponseDataError:
        return
    assert isinstance(event.to_dict(), dict)


@given(data=_objects(SERVER_TYPES))
def test_the_fast_decoders_agree_with_the_generic_one(data: dict[str, Any]) -> None:
    from partstream.codecs import _gateway_schema as schema
    from partstream.codecs import _gateway_server_events as impl

    cls = impl._SERVER_BY_TYPE.get(data["type"])
    if cls is None:
        return
    fast = impl._FAST_SERVER[data["type"]](data)
    generic = schema._decode(cls, data)
    assert fast == generic
    if fast is not None:
        assert fast.extra == generic.extra  # type: ignore[union-attr]


def test_the_fast_path_takes_the_common_shape() -> None:
    from partstream.codecs import _gateway_server_events as impl

    data = {
        "type": "audio-delta",
        "responseId": "r",
        "itemId": "i",
        "delta": "AAAA",
        "raw": {"a": 1},
    }
    event = impl._FAST_SERVER["audio-delta"](data)
    assert event == g.AudioDelta(response_id="r", item_id="i", delta="AAAA", raw={"a": 1})


# --- the flat-object scanner (big audio deltas) ---------------------------------------------

plain_strings = st.text(
    alphabet=st.characters(blacklist_characters='"\\', blacklist_categories=["Cs"]), max_size=20
)


@given(data=st.dictionaries(plain_strings, plain_strings, min_size=1, max_size=6))
def test_the_scanner_reads_compact_flat_objects_like_json(data: dict[str, str]) -> None:
    from partstream.codecs import _gateway_codec as impl

    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    if "\\" in text:
        return  # json.dumps escaped a control character: not this shape
    assert impl._scan_flat_strings(text) == json.loads(text)


@given(text=st.text(alphabet='{}":,ab\\ 1[]\x01', max_size=30))
def test_the_scanner_never_disagrees_with_a_json_parser(text: str) -> None:
    from partstream.codecs import _gateway_codec as impl

    scanned = impl._scan_flat_strings(text)
    if scanned is None:
        return
    assert scanned == json.loads(text, strict=False)


def test_big_messages_of_other_shapes_take_the_full_parser() -> None:
    delta = "A" * 5000
    nested = {
        "type": "audio-delta",
        "responseId": "r",
        "itemId": "i",
        "delta": delta,
        "raw": {"n": 1},
    }
    spaced = '{"type": "audio-delta", "responseId": "r", "itemId": "i", "delta": "' + delta + '"}'
    escaped = {"type": "text-delta", "responseId": "r", "itemId": "i", "delta": 'q"uote' + delta}
    for text in (json.dumps(nested, separators=(",", ":")), spaced, json.dumps(escaped)):
        event = g.decode_server_message(text)
        assert event.to_dict() == json.loads(text)
    flat = json.dumps(
        {"type": "audio-delta", "responseId": "r", "itemId": "i", "delta": delta},
        separators=(",", ":"),
    )
    assert g.decode_server_message(flat) == g.AudioDelta(response_id="r", item_id="i", delta=delta)
    control = flat[:-2] + '\x01"}'  # a raw control character: accepted on every path
    assert g.decode_server_message(control) == g.decode_server_message(control.encode())
