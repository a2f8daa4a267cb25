"""Server-side helpers: reading the auth contract from an ASGI WebSocket scope."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from partstream.codecs.gateway import get_gateway_realtime_protocols
from partstream.codecs.gateway_server import (
    RealtimeHandshake,
    RealtimeRejection,
    accept_realtime,
    offered_subprotocols_header,
    read_realtime_handshake,
    reject_realtime,
)
from partstream.errors import InvalidArgumentError

pytestmark = pytest.mark.anyio


def _scope(protocols: list[str] | None, *, raw: bool = True, **extra: Any) -> dict[str, Any]:
    headers: list[tuple[bytes, bytes]] = [(b"host", b"127.0.0.1")]
    scope: dict[str, Any] = {"type": "websocket", "headers": headers, **extra}
    if protocols is not None:
        if raw:
            headers.append((b"Sec-WebSocket-Protocol", ", ".join(protocols).encode()))
        scope["subprotocols"] = protocols
    return scope


def test_reads_token_team_and_the_marker_to_echo() -> None:
    result = read_realtime_handshake(_scope(get_gateway_realtime_protocols("tok.en", "team/x")))
    assert result == RealtimeHandshake(
        token="tok.en", team_id_or_slug="team/x", subprotocol="ai-gateway-realtime.v1"
    )
    assert "tok.en" not in repr(result)
    assert result.accept_message() == {
        "type": "websocket.accept",
        "subprotocol": "ai-gateway-realtime.v1",
    }


def test_reads_from_scope_subprotocols_when_headers_lack_them() -> None:
    result = read_realtime_handshake(_scope(get_gateway_realtime_protocols("t"), raw=False))
    assert isinstance(result, RealtimeHandshake)
    assert result.token == "t"


def test_several_header_lines_are_joined() -> None:
    scope = {
        "type": "websocket",
        "headers": [
            (b"sec-websocket-protocol", b"ai-gateway-realtime.v1"),
            (b"sec-websocket-protocol", b"ai-gateway-auth.abc"),
        ],
    }
    assert offered_subprotocols_header(scope) == "ai-gateway-realtime.v1,ai-gateway-auth.abc"
    result = read_realtime_handshake(scope)
    assert isinstance(result, RealtimeHandshake)
    assert result.token == "abc"


def test_no_marker_means_nothing_is_echoed() -> None:
    result = read_realtime_handshake(_scope(["ai-gateway-auth.abc"]))
    assert isinstance(result, RealtimeHandshake)
    assert result.subprotocol is None
    assert result.accept_message(headers=[(b"x", b"y")]) == {
        "type": "websocket.accept",
        "subprotocol": None,
        "headers": [(b"x", b"y")],
    }


@pytest.mark.parametrize(
    "protocols",
    [None, [], ["ai-gateway-realtime.v1"], ["ai-gateway-auth.", "ai-gateway-realtime.v1"]],
)
def test_missing_token_is_a_401_rejection(protocols: list[str] | None) -> None:
    result = read_realtime_handshake(_scope(protocols))
    assert isinstance(result, RealtimeRejection)
    assert result.status_code == 401
    body = json.loads(result.body())
    assert body["error"]["type"] == "authentication_error"
    assert "ai-gateway-auth." in body["error"]["message"]


def test_a_non_websocket_scope_is_a_programming_error() -> None:
    with pytest.raises(InvalidArgumentError):
        read_realtime_handshake({"type": "http", "headers": []})


async def test_reject_uses_the_http_response_extension_when_offered() -> None:
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    rejection = RealtimeRejection(status_code=401, message="no")
    await reject_realtime(_scope([], extensions={"websocket.http.response": {}}), send, rejection)
    assert [m["type"] for m in sent] == [
        "websocket.http.response.start",
        "websocket.http.response.body",
    ]
    assert sent[0]["status"] == 401
    assert json.loads(sent[1]["body"]) == {
        "error": {"message": "no", "type": "authentication_error"}
    }
    sent.clear()
    await reject_realtime(_scope([]), send, rejection)
    assert [m["type"] for m in sent] == ["websocket.close"]


async def test_accept_sends_the_accept_message() -> None:
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    handshake = RealtimeHandshake(
        token="t", team_id_or_slug=None, subprotocol="ai-gateway-realtime.v1"
    )
    await accept_realtime(send, handshake)
    assert sent == [{"type": "websocket.accept", "subprotocol": "ai-gateway-realtime.v1"}]


@given(
    token=st.text(alphabet="abcXYZ019._-~", min_size=1, max_size=50),
    team=st.one_of(st.none(), st.text(min_size=1, max_size=30)),
)
def test_client_and_server_sides_agree(token: str, team: str | None) -> None:
    result = read_realtime_handshake(_scope(get_gateway_realtime_protocols(token, team)))
    assert result == RealtimeHandshake(
        token=token, team_id_or_slug=team, subprotocol="ai-gateway-realtime.v1"
    )


@given(header=st.binary(max_size=200))
def test_arbitrary_headers_never_raise(header: bytes) -> None:
    scope = {"type": "websocket", "headers": [(b"sec-websocket-protocol", header)]}
    result = read_realtime_handshake(scope)
    assert isinstance(result, RealtimeHandshake | RealtimeRejection)


def _with_headers(protocols: list[str] | None, *headers: tuple[bytes, bytes]) -> dict[str, Any]:
    scope = _scope(protocols)
    scope["headers"].extend(headers)
    return scope


def test_reads_the_server_side_bearer_header_and_team_header() -> None:
    # The AI SDK's getServerWebSocketConfig: header auth, no subprotocol.
    scope = _with_headers(
        None, (b"Authorization", b"Bearer key.1"), (b"x-vercel-ai-gateway-team", b"my-team")
    )
    assert read_realtime_handshake(scope) == RealtimeHandshake(
        token="key.1", team_id_or_slug="my-team", subprotocol=None
    )
    # The subprotocol wins when both are offered.
    both = _with_headers(
        get_gateway_realtime_protocols("sub", "t1"),
        (b"authorization", b"Bearer hdr"),
        (b"x-vercel-ai-gateway-team", b"t2"),
    )
    assert read_realtime_handshake(both) == RealtimeHandshake(
        token="sub", team_id_or_slug="t1", subprotocol="ai-gateway-realtime.v1"
    )


@pytest.mark.parametrize("value", [b"Basic abc", b"Bearer ", b"Bearer", b"token"])
def test_an_authorization_header_without_a_bearer_token_is_refused(value: bytes) -> None:
    result = read_realtime_handshake(_with_headers(None, (b"authorization", value)))
    assert isinstance(result, RealtimeRejection)
    assert result.status_code == 401
