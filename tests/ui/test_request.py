"""useChat request bodies: validation, limits while reading (sans-IO)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given

from partstream.errors import InvalidArgumentError, LimitExceededError
from partstream.testing import chat_request_bodies, json_values
from partstream.ui import (
    ChatRequest,
    ChatRequestLimits,
    ChatRequestReader,
    UIMessage,
    parse_chat_request,
)

USER = {"id": "u1", "role": "user", "parts": [{"type": "text", "text": "hi"}]}


def _body(**extra: Any) -> dict[str, Any]:
    return {"id": "chat-1", "messages": [USER], "trigger": "submit-message", **extra}


@given(chat_request_bodies())
def test_the_transport_body_is_read_back(body: dict[str, Any]) -> None:
    request = parse_chat_request(json.dumps(body).encode())
    assert request.id == body["id"]
    # (validation drops "__proto__" keys of records, as zod's z.record does)
    assert request.messages == tuple(UIMessage.from_dict(m) for m in body["messages"])
    assert request.trigger == body["trigger"]
    assert request.message_id == body.get("messageId")
    assert request.body == {
        k: v for k, v in body.items() if k not in ("id", "messages", "trigger", "messageId")
    }


def test_extra_body_keys_and_unknown_message_keys() -> None:
    body = _body(model="gemini-2.5-flash", background=True, messageId="m1")
    body["messages"] = [{**USER, "createdAt": "2026-01-01"}]  # a key this version ignores
    request = parse_chat_request(json.dumps(body))
    assert request == ChatRequest(
        id="chat-1",
        messages=(UIMessage("u1", "user", request.messages[0].parts),),
        trigger="submit-message",
        message_id="m1",
        body={"model": "gemini-2.5-flash", "background": True},
    )
    with pytest.raises(InvalidArgumentError, match="unknown key 'createdAt'"):
        parse_chat_request(json.dumps(body), strict=True)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{", "not JSON"),
        (b"[]", "must be a JSON object"),
        (b'{"messages": []}', "chat 'id'"),
        (json.dumps(_body(trigger="resume")).encode(), "trigger must be"),
        (json.dumps(_body(messageId=3)).encode(), "messageId must be a string"),
        (json.dumps(_body(messages=[])).encode(), "must not be empty"),
        (
            json.dumps(_body(messages=[{"id": "x", "role": "user", "parts": []}])).encode(),
            "at least one part",
        ),
    ],
)
def test_bad_bodies_say_why(body: bytes, message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        parse_chat_request(body)


@given(json_values(12))
def test_any_json_is_a_request_or_an_invalid_argument(value: Any) -> None:
    for body in (value, {"id": "c", "messages": value}, {"id": "c", "messages": [value]}):
        try:
            parse_chat_request(json.dumps(body))
        except (InvalidArgumentError, LimitExceededError):
            pass


def test_message_count_limit_is_checked_before_validation() -> None:
    limits = ChatRequestLimits(max_messages=10)
    junk = _body(messages=[{"not": "a message"}] * 50_000)
    with pytest.raises(
        LimitExceededError, match=r"chat message count .*10.*50000.*max_messages="
    ) as info:
        parse_chat_request(json.dumps(junk), limits=limits)
    assert info.value.option == "max_messages"


def test_data_url_and_part_limits() -> None:
    big = "data:image/png;base64," + "A" * 2000
    file_part = {"type": "file", "mediaType": "image/png", "url": big}
    body = _body(messages=[{**USER, "parts": [file_part]}])
    with pytest.raises(LimitExceededError, match="max_data_url_bytes=") as info:
        parse_chat_request(json.dumps(body), limits=ChatRequestLimits(max_data_url_bytes=1000))
    assert "messages[0].parts[0]" in str(info.value)
    larger = ChatRequestLimits(max_data_url_bytes=5000)
    allowed = parse_chat_request(json.dumps(body), limits=larger)
    assert allowed.messages[0].parts[0].to_dict()["url"] == big
    steering = {"type": "steering-message", "id": "s", "parts": [file_part]}
    body = _body(messages=[USER, {"id": "a", "role": "assistant", "parts": [steering]}])
    with pytest.raises(LimitExceededError, match="max_data_url_bytes="):
        parse_chat_request(json.dumps(body), limits=ChatRequestLimits(max_data_url_bytes=1000))
    many = _body(messages=[{**USER, "parts": [{"type": "text", "text": "x"}] * 30}])
    with pytest.raises(LimitExceededError, match="max_parts="):
        parse_chat_request(json.dumps(many), limits=ChatRequestLimits(max_parts=20))


def test_the_reader_stops_at_the_body_limit() -> None:
    reader = ChatRequestReader(limits=ChatRequestLimits(max_body_bytes=1000))
    reader.check_length("999")
    with pytest.raises(LimitExceededError, match="max_body_bytes="):
        reader.check_length(str(512 * 1024 * 1024))
    with pytest.raises(InvalidArgumentError, match="Content-Length"):
        reader.check_length("lots")
    fed = 0
    with pytest.raises(LimitExceededError, match=r"body size in bytes exceeded the limit of 1000"):
        for _ in range(512 * 1024):  # 512 MiB in 1 KiB pieces: it stops at the second
            reader.feed(b"x" * 1024)
            fed += 1
    assert fed == 0
    ok = ChatRequestReader()
    data = json.dumps(_body()).encode()
    for i in range(0, len(data), 7):
        ok.feed(data[i : i + 7])
    assert ok.finish().id == "chat-1"
    with pytest.raises(LimitExceededError, match="max_body_bytes="):
        parse_chat_request(b" " * 2000, limits=ChatRequestLimits(max_body_bytes=1000))


def test_limits_must_be_positive() -> None:
    with pytest.raises(InvalidArgumentError, match="max_messages must be a positive integer"):
        ChatRequestLimits(max_messages=0)
