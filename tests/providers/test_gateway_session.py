"""Realtime sessions against a real hypercorn WebSocket endpoint on 127.0.0.1 (both backends)."""

from __future__ import annotations

import base64
import json
from typing import Any

import anyio
import pytest
from tests.providers import _gateway_peer as peer

from partstream import errors
from partstream.codecs import gateway as g
from partstream.providers.gateway import GatewayRealtimeModel, create_gateway

pytestmark = pytest.mark.anyio

TOKEN = peer.VALID_TOKEN
CONFIG = {
    "instructions": "be brief",
    "voice": "alloy",
    "providerOptions": {"gateway": {"tags": ["t"]}},
}


def _model(base: str, **kwargs: Any) -> GatewayRealtimeModel:
    return create_gateway(api_key=TOKEN, base_url=f"{base}/v4/ai", **kwargs).realtime(
        "openai/gpt-realtime"
    )


def _response(rid: str, *events: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"type": "response-created", "responseId": rid, "raw": {}},
        *events,
        {"type": "response-done", "responseId": rid, "status": "completed", "raw": {}},
    ]


def _fc_done(rid: str, call_id: str, name: str, arguments: str) -> dict[str, Any]:
    return {
        "type": "function-call-arguments-done",
        "responseId": rid,
        "itemId": f"item_{call_id}",
        "callId": call_id,
        "name": name,
        "arguments": arguments,
    }


async def _settle(app: peer.Peer) -> None:
    """Wait until the peer's script has finished (it ends when the client closes)."""
    with anyio.fail_after(5):
        await app.done.wait()
    assert not app.errors


# --- the conversation ---------------------------------------------------------------------


async def test_session_update_first_then_events_both_ways() -> None:
    async def script(conn: peer.Conn) -> None:
        await conn.send({"type": "session-created", "sessionId": "sess_1", "raw": {"id": "x"}})
        update = await conn.recv()
        assert update == {"type": "session-update", "config": CONFIG}
        await conn.send({"type": "session-updated", "raw": {}})
        await conn.recv_until("response-create")
        delta = {"type": "text-delta", "responseId": "r1", "itemId": "i1"}
        audio = base64.b64encode(b"\x00\x01" * 50).decode()
        for event in _response(
            "r1",
            {**delta, "delta": "Hel"},
            {**delta, "delta": "lo"},
            {"type": "audio-delta", "responseId": "r1", "itemId": "i1", "delta": audio},
            {"type": "text-done", "responseId": "r1", "itemId": "i1", "text": "Hello"},
            {"type": "brand-new-event", "x": 1},
        ):
            await conn.send(event)
        await conn.drain()

    app = peer.Peer(script=script)
    async with peer.serve(app) as base:
        async with _model(base).connect(session_config=CONFIG) as session:
            assert session.subprotocol == g.GATEWAY_REALTIME_SUBPROTOCOL
            await session.send_text_message("hi there")
            events = []
            async for event in session:
                events.append(event)
                if isinstance(event, g.ResponseDone):
                    break
        await _settle(app)
    assert [e.type for e in events] == [
        "session-created",
        "session-updated",
        "response-created",
        "text-delta",
        "text-delta",
        "audio-delta",
        "text-done",
        "brand-new-event",
        "response-done",
    ]
    assert events[0] == g.SessionCreated(session_id="sess_1", raw={"id": "x"})
    assert "".join(e.delta for e in events if isinstance(e, g.TextDelta)) == "Hello"
    assert isinstance(events[7], g.UnknownServerEvent)
    (conn,) = app.conns
    assert [e["type"] for e in conn.received] == [
        "session-update",
        "conversation-item-create",
        "response-create",
    ]
    assert conn.received[1]["item"] == {"type": "text-message", "role": "user", "text": "hi there"}
    assert conn.handshake.token == TOKEN


async def test_every_helper_sends_the_normalized_event() -> None:
    async def script(conn: peer.Conn) -> None:
        await conn.drain()

    app = peer.Peer(script=script)
    async with peer.serve(app) as base:
        async with _model(base).connect() as session:
            await session.append_audio(b"\x01\x02\x03")
            await session.append_audio("AAAA")
            await session.commit_audio()
            await session.clear_audio()
            await session.request_response()
            await session.request_response(modalities=["text"])
            await session.cancel_response()
            await session.update_session({"voice": "verse"})
            await session.send(
                g.ConversationItemTruncate(item_id="i", content_index=0, audio_end_ms=5)
            )
            await session.send({"type": "custom-client-thing", "n": 1})
        await _settle(app)
    assert app.conns[0].received == [
        {"type": "session-update", "config": {}},
        {"type": "input-audio-append", "audio": "AQID"},
        {"type": "input-audio-append", "audio": "AAAA"},
        {"type": "input-audio-commit"},
        {"type": "input-audio-clear"},
        {"type": "response-create"},
        {"type": "response-create", "options": {"modalities": ["text"]}},
        {"type": "response-cancel"},
        {"type": "session-update", "config": {"voice": "verse"}},
        {"type": "conversation-item-truncate", "itemId": "i", "contentIndex": 0, "audioEndMs": 5},
        {"type": "custom-client-thing", "n": 1},
    ]


async def test_team_scope_and_headers_reach_the_server() -> None:
    async def script(conn: peer.Conn) -> None:
        await conn.drain()

    app = peer.Peer(script=script)
    async with peer.serve(app) as base:
        model = _model(base, team_id_or_slug="team/with/slashes", headers={"X-Trace": "abc"})
        async with model.connect():
            pass
        await _settle(app)
    conn = app.conns[0]
    assert conn.handshake.team_id_or_slug == "team/with/slashes"
    headers = {k.decode().lower(): v.decode() for k, v in conn.scope["headers"]}
    assert headers["x-trace"] == "abc"
    assert "authorization" not in headers  # the credential rides the subprotocol only
    assert conn.scope["query_string"] == b"ai-model-id=openai%2Fgpt-realtime"
    assert conn.scope["path"] == "/v4/ai/realtime-model"


async def test_an_explicit_token_is_used_instead_of_the_credential() -> None:
    async def script(conn: peer.Conn) -> None:
        await conn.drain()

    app = peer.Peer(script=script, valid_tokens=frozenset({"vcst_minted"}))
    async with peer.serve(app) as base:
        model = create_gateway(base_url=f"{base}/v4/ai").realtime("m")  # no credential at all
        async with model.connect(token="vcst_minted"):
            pass
        await _settle(app)
    assert app.conns[0].handshake.token == "vcst_minted"


# --- tool turns -------------------------------------------------------------------------


async def test_one_response_after_every_tool_output_of_the_turn() -> None:
    outputs_seen = anyio.Event()

    async def script(conn: peer.Conn) -> None:
        await conn.recv_until("response-create")
        for event in _response(
            "r1",
            _fc_done("r1", "c1", "weather", '{"city":"Paris"}'),
            _fc_done("r1", "c2", "time", "{}"),
        ):
            await conn.send(event)
        # Both outputs, then exactly one response-create.
        first = await conn.recv()
        second = await conn.recv()
        third = await conn.recv()
        assert [first["item"]["callId"], second["item"]["callId"]] == ["c1", "c2"]
        assert third == {"type": "response-create"}
        outputs_seen.set()
        for event in _response(
            "r2", {"type": "text-done", "responseId": "r2", "itemId": "i", "text": "ok"}
        ):
            await conn.send(event)
        await conn.drain()

    app = peer.Peer(script=script)
    async with peer.serve(app) as base:
        async with _model(base).connect() as session:
            await session.request_response()
            done = 0
            async for event in session:
                if isinstance(event, g.FunctionCallArgumentsDone) and event.call_id == "c1":
                    # Submitted before the response is done: no response-create yet.
                    await session.add_tool_output("c1", {"temp": 21})
                    assert session.pending_tool_calls == frozenset()  # c2 not seen yet
                elif isinstance(event, g.ResponseDone):
                    done += 1
                    if done == 1:
                        assert session.pending_tool_calls == frozenset({"c2"})
                        await session.add_tool_output("c2", "noon")
                    else:
                        break
            with anyio.fail_after(5):
                await outputs_seen.wait()
        await _settle(app)
    received = app.conns[0].received
    assert [e["type"] for e in received] == [
        "session-update",
        "response-create",
        "conversation-item-create",
        "conversation-item-create",
        "response-create",
    ]
    assert received[2]["item"] == {
        "type": "function-call-output",
        "callId": "c1",
        "name": "weather",
        "output": '{"temp":21}',
    }
    assert received[3]["item"]["output"] == '"noon"'


async def test_outputs_before_response_done_request_at_response_done() -> None:
    async def script(conn: peer.Conn) -> None:
        await conn.recv_until("response-create")
        await conn.send(_fc_done("r1", "c1", "f", "{}"))
        await conn.send(_fc_done("r1", "bad", "f", "{not json"))  # never executed, not counted
        item = await conn.recv()
        assert item["item"]["callId"] == "c1"
        await conn.send({"type": "response-done", "responseId": "r1", "status": "completed"})
        assert await conn.recv() == {"type": "response-create"}
        await conn.close(1000)

    app = peer.Peer(script=script)
    async with peer.serve(app) as base:
        async with _model(base).connect() as session:
            await session.request_response()
            seen = []
            async for event in session:
                seen.append(event.type)
                if isinstance(event, g.FunctionCallArgumentsDone) and event.call_id == "c1":
                    await session.add_tool_output("c1", None)
            assert session.close_code == 1000
        await _settle(app)
    assert seen == ["function-call-arguments-done", "function-call-arguments-done", "response-done"]
    assert app.conns[0].received[2]["item"]["output"] == "null"


async def test_a_response_without_tool_calls_requests_nothing() -> None:
    async def script(conn: peer.Conn) -> None:
        await conn.recv_until("session-update")
        for event in _response("r1"):
            await conn.send(event)
        await conn.close(1000)

    app = peer.Peer(script=script)
    async with peer.serve(app) as base:
        async with _model(base).connect() as session:
            types = [e.type async for e in session]
        await _settle(app)
    assert types == ["response-created", "response-done"]
    assert [e["type"] for e in app.conns[0].received] == ["session-update"]


# --- errors and endings -----------------------------------------------------------------


async def test_error_events_are_events_and_the_session_goes_on() -> None:
    async def script(conn: peer.Conn) -> None:
        await conn.send({"type": "error", "message": "bad audio", "code": "invalid_audio"})
        await conn.send({"type": "session-updated"})
        await conn.close(1000)

    app = peer.Peer(script=script)
    async with peer.serve(app) as base:
        async with _model(base).connect() as session:
            events = [e async for e in session]
        await _settle(app)
    assert events == [g.ErrorEvent(message="bad audio", code="invalid_audio"), g.SessionUpdated()]


async def test_a_malformed_message_raises_but_the_session_stays_usable() -> None:
    async def script(conn: peer.Conn) -> None:
        await conn.send_raw(text='{"type": "text-delta", "delta": ')
        await conn.send_raw(data=json.dumps({"type": "session-updated"}).encode())
        await conn.close(1000)

    app = peer.Peer(script=script)
    async with peer.serve(app) as base:
        async with _model(base).connect() as session:
            with pytest.raises(errors.InvalidResponseDataError):
                await session.receive()
            assert await session.receive() == g.SessionUpdated()
            with pytest.raises(errors.ClosedByPeerError) as info:
                await session.receive()
            assert info.value.code == 1000
        await _settle(app)


@pytest.mark.parametrize(("code", "reason"), [(1011, "upstream failed"), (4001, "bye"), (1008, "")])
async def test_a_server_close_with_another_code_raises_after_the_events(
    code: int, reason: str
) -> None:
    async def script(conn: peer.Conn) -> None:
        await conn.send({"type": "session-updated"})
        await conn.close(code, reason)

    app = peer.Peer(script=script)
    async with peer.serve(app) as base:
        async with _model(base).connect() as session:
            events = []
            with pytest.raises(errors.ClosedByPeerError) as info:
                async for event in session:
                    events.append(event)
            assert session.close_code == code
        await _settle(app)
    assert events == [g.SessionUpdated()]
    assert (info.value.code, info.value.reason) == (code, reason)
    assert not isinstance(info.value, errors.ClosedByYouError)


@pytest.mark.parametrize("code", [1000, 1001])
async def test_a_normal_server_close_ends_iteration(code: int) -> None:
    async def script(conn: peer.Conn) -> None:
        await conn.send({"type": "session-updated"})
        await conn.close(code)

    app = peer.Peer(script=script)
    async with peer.serve(app) as base:
        async with _model(base).connect() as session:
            assert [e async for e in session] == [g.SessionUpdated()]
            assert session.close_code == code
            with pytest.raises(errors.ConnectionClosed):
                await session.send({"type": "response-create"})
        await _settle(app)


async def test_a_bad_credential_is_a_readable_handshake_error() -> None:
    app = peer.Peer()
    async with peer.serve(app) as base:
        model = create_gateway(api_key="vck_wrong-key", base_url=f"{base}/v4/ai").realtime("m")
        with pytest.raises(errors.WebSocketHandshakeError) as info:
            async with model.connect():
                pass
    exc = info.value
    assert exc.status_code == 401
    message = str(exc)
    assert "HTTP 401" in message
    assert "invalid token" in message  # the Gateway's own message, from the JSON body
    assert "AI_GATEWAY_API_KEY" in message
    assert "vck_wrong-key" not in message
    assert app.conns == []


async def test_no_credential_fails_before_connecting() -> None:
    app = peer.Peer()
    async with peer.serve(app) as base:
        model = create_gateway(base_url=f"{base}/v4/ai").realtime("m")
        with pytest.raises(errors.GatewayAuthenticationError):
            async with model.connect():
                pass
    assert app.handshakes == []


async def test_an_unsendable_token_fails_before_connecting() -> None:
    app = peer.Peer()
    async with peer.serve(app) as base:
        model = create_gateway(base_url=f"{base}/v4/ai").realtime("m")
        with pytest.raises(errors.InvalidArgumentError) as info:
            async with model.connect(token="secret with spaces"):
                pass
    assert "secret with spaces" not in str(info.value)
    assert app.handshakes == []


async def test_a_server_that_echoes_the_auth_entry_is_refused_without_quoting_it() -> None:
    class EchoingPeer(peer.Peer):
        async def _websocket(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
            await receive()
            await send({"type": "websocket.accept", "subprotocol": f"ai-gateway-auth.{TOKEN}"})
            self.done.set()
            while (await receive())["type"] != "websocket.disconnect":
                pass

    app = EchoingPeer()
    async with peer.serve(app) as base:
        with pytest.raises(errors.ProtocolError) as info:
            async with _model(base).connect():
                pass
    assert TOKEN not in str(info.value)
    assert info.value.close_code == 1002


async def test_a_server_that_selects_no_subprotocol_is_accepted() -> None:
    class QuietPeer(peer.Peer):
        async def _websocket(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
            await receive()
            await send({"type": "websocket.accept"})
            await send({"type": "websocket.send", "text": '{"type":"session-updated"}'})
            await send({"type": "websocket.close", "code": 1000})

    async with peer.serve(QuietPeer()) as base, _model(base).connect() as session:
        assert session.subprotocol is None
        assert [e async for e in session] == [g.SessionUpdated()]


async def test_leaving_the_block_closes_with_1000_even_on_errors_and_cancellation() -> None:
    # hypercorn reports 1006 for every client close, so a websockets server checks the code.
    with peer.thread_peer() as server:
        model = _model(server.url)
        async with model.connect() as session:
            await session.send({"type": "response-create"})
        with pytest.raises(RuntimeError, match="boom"):
            async with model.connect():
                raise RuntimeError("boom")
        with anyio.move_on_after(0.3) as scope:
            async with model.connect() as session:
                await session.receive()  # nothing comes: cancelled while waiting
        assert scope.cancelled_caught
        with anyio.fail_after(5):
            while len(server.close_codes) < 3:
                await anyio.sleep(0.01)
    assert server.close_codes == [1000, 1000, 1000]
    assert json.loads(server.received[0]) == {"type": "session-update", "config": {}}
    assert json.loads(server.received[1]) == {"type": "response-create"}


async def test_a_consumer_that_stops_reading_stops_the_server() -> None:
    """Backpressure: a stalled consumer bounds what the server manages to send."""
    total = 500
    chunk = {"type": "audio-delta", "responseId": "r", "itemId": "i", "delta": "A" * 65536}
    sent = 0

    async def script(conn: peer.Conn) -> None:
        nonlocal sent
        for _ in range(total):
            await conn.send(chunk)
            sent += 1
        await conn.drain()

    app = peer.Peer(script=script)
    async with peer.serve(app) as base:
        async with _model(base).connect(max_batches=2) as session:
            first = await session.receive()
            assert isinstance(first, g.AudioDelta)
            await anyio.sleep(0.5)  # stall
            stalled_at = sent
            assert stalled_at < total // 2, f"the server sent {stalled_at} of {total} 64 KiB events"
            received = 1
            async for event in session:
                assert isinstance(event, g.AudioDelta)
                received += 1
                if received == total:
                    break
        await _settle(app)
    assert sent == total


async def test_tool_call_bookkeeping_is_bounded() -> None:
    async def script(conn: peer.Conn) -> None:
        await conn.recv_until("session-update")
        for i in range(4):
            await conn.send(_fc_done("r1", f"c{i}", "f", "{}"))
        await conn.drain()

    app = peer.Peer(script=script)
    async with peer.serve(app) as base:
        with pytest.raises(errors.InvalidArgumentError):
            async with _model(base).connect(max_tool_calls=0):
                pass
        async with _model(base).connect(max_tool_calls=3) as session:
            for _ in range(3):
                assert isinstance(await session.receive(), g.FunctionCallArgumentsDone)
            with pytest.raises(errors.LimitExceededError) as info:
                await session.receive()
            assert info.value.option == "max_tool_calls"
        await _settle(app)


async def test_receive_after_aclose_is_closed_by_you() -> None:
    async def script(conn: peer.Conn) -> None:
        await conn.drain()

    app = peer.Peer(script=script)
    async with peer.serve(app) as base:
        async with _model(base).connect() as session:
            await session.aclose()
            assert session.closed
            assert [e async for e in session] == []
            with pytest.raises(errors.ClosedByYouError):
                await session.receive()
            with pytest.raises(errors.ClosedByYouError):
                await session.send({"type": "response-create"})
        await _settle(app)
