"""The example relay (examples/realtime_relay.py): browser-facing endpoint -> Gateway upstream.

Three real servers on 127.0.0.1: a scripted Gateway (the peer), the relay (hypercorn,
pointed at the peer) and a client (partstream itself, playing the browser).
"""

from __future__ import annotations

from typing import Any

import anyio
import httpx
import pytest
from examples.realtime_relay import RealtimeRelay, token_list_policy
from tests.providers import _gateway_peer as peer

from partstream import errors
from partstream.codecs import gateway as g
from partstream.providers.gateway import create_gateway

pytestmark = pytest.mark.anyio

BROWSER_TOKEN = "browser-session-token"


def _relay(gateway_base: str) -> RealtimeRelay:
    upstream = create_gateway(api_key=peer.VALID_TOKEN, base_url=f"{gateway_base}/v4/ai")
    return RealtimeRelay(upstream, token_list_policy(frozenset({BROWSER_TOKEN})))


def _browser(relay_base: str, token: str = BROWSER_TOKEN) -> Any:
    # The relay serves /realtime; a browser client gets the URL from the app.
    model = create_gateway(api_key=token, base_url=f"{relay_base}/v4/ai").realtime(
        "openai/gpt-realtime"
    )
    url = relay_base.replace("http", "ws") + "/realtime?ai-model-id=openai%2Fgpt-realtime"
    return model.connect(url=url, session_config={"voice": "alloy"})


async def test_events_pass_through_verbatim_both_ways() -> None:
    async def gateway(conn: peer.Conn) -> None:
        relay_update = await conn.recv()
        browser_update = await conn.recv()
        await conn.send(
            {"type": "session-updated", "raw": {"relay": relay_update, "browser": browser_update}}
        )
        await conn.recv_until("response-create")
        await conn.send(
            {"type": "text-delta", "responseId": "r", "itemId": "i", "delta": "hé", "future": [1]}
        )
        await conn.send({"type": "error", "message": "upstream warning"})
        await conn.close(4005, "gateway says bye")

    gateway_app = peer.Peer(script=gateway)
    async with peer.serve(gateway_app) as gateway_base, peer.serve(_relay(gateway_base)) as relay:
        async with _browser(relay) as session:
            await session.send_text_message("hello")
            events = []
            with pytest.raises(errors.ClosedByPeerError) as info:
                async for event in session:
                    events.append(event)
        with anyio.fail_after(5):
            await gateway_app.done.wait()
    assert info.value.code == 4005  # the Gateway's close reaches the browser
    assert info.value.reason == "gateway says bye"
    assert isinstance(events[0], g.SessionUpdated)
    raw = events[0].raw
    # The relay's own session-update carries the end user; the browser's is passed as is.
    assert raw["relay"] == {
        "type": "session-update",
        "config": {"providerOptions": {"gateway": {"user": "user-0"}}},
    }
    assert raw["browser"] == {"type": "session-update", "config": {"voice": "alloy"}}
    assert events[1].to_dict() == {
        "type": "text-delta",
        "responseId": "r",
        "itemId": "i",
        "delta": "hé",
        "future": [1],
    }
    assert events[2] == g.ErrorEvent(message="upstream warning")
    (conn,) = gateway_app.conns
    assert conn.handshake.token == peer.VALID_TOKEN  # the long-lived key stays on the server
    assert [e["type"] for e in conn.received][2:] == ["conversation-item-create", "response-create"]


async def test_an_unknown_browser_token_is_refused_before_any_upstream_connection() -> None:
    gateway_app = peer.Peer()
    async with peer.serve(gateway_app) as gateway_base, peer.serve(_relay(gateway_base)) as relay:
        with pytest.raises(errors.WebSocketHandshakeError) as info:
            async with _browser(relay, token="stolen"):
                pass
    assert info.value.status_code == 401
    assert "does not know this token" in str(info.value)
    assert gateway_app.handshakes == []


async def test_an_upstream_refusal_is_a_502_for_the_browser() -> None:
    gateway_app = peer.Peer(valid_tokens=frozenset({"another-key"}))
    async with peer.serve(gateway_app) as gateway_base, peer.serve(_relay(gateway_base)) as relay:
        with pytest.raises(errors.WebSocketHandshakeError) as info:
            async with _browser(relay):
                pass
    assert info.value.status_code == 502
    assert peer.VALID_TOKEN not in str(info.value)


async def test_the_browser_leaving_closes_the_upstream_session() -> None:
    async def gateway(conn: peer.Conn) -> None:
        await conn.drain()

    gateway_app = peer.Peer(script=gateway)
    async with peer.serve(gateway_app) as gateway_base, peer.serve(_relay(gateway_base)) as relay:
        async with _browser(relay) as session:
            await session.request_response()
        with anyio.fail_after(5):
            await gateway_app.done.wait()  # the upstream connection ended
    assert [e["type"] for e in gateway_app.conns[0].received] == [
        "session-update",
        "session-update",
        "response-create",
    ]


async def test_the_token_endpoint_mints_a_client_secret() -> None:
    def mint(request: peer.HttpRequest) -> tuple[int, Any]:
        assert request.headers["authorization"] == f"Bearer {peer.VALID_TOKEN}"
        return 200, {"token": "vcst_short", "expiresAt": 1_800_000_000}

    gateway_app = peer.Peer(http=mint)
    async with (
        peer.serve(gateway_app) as gateway_base,
        peer.serve(_relay(gateway_base)) as relay,
        httpx.AsyncClient() as client,
    ):
        response = await client.post(f"{relay}/realtime/token?ai-model-id=openai%2Fgpt-realtime")
        missing = await client.get(f"{relay}/nowhere")
    assert response.status_code == 200
    body = response.json()
    assert body["token"] == "vcst_short"
    assert body["expiresAt"] == 1_800_000_000
    assert body["url"].endswith("/v4/ai/realtime-model?ai-model-id=openai%2Fgpt-realtime")
    assert gateway_app.requests[0].json() == {"model": "openai/gpt-realtime", "expiresIn": 60}
    assert missing.status_code == 404
