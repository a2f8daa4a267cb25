"""A realtime session with permessage-deflate, against the hypercorn Gateway peer (both backends).

Compression is off by default (the measurement is in BENCHMARKS.md); with
``compression="deflate"`` the session offers it, hypercorn (wsproto) accepts, and
audio flows compressed both ways.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest
from tests.providers import _gateway_peer as peer
from tests.providers.test_gateway_session import CONFIG, TOKEN, _settle

from partstream.codecs import gateway as g
from partstream.providers.gateway import create_gateway
from partstream.transports.websocket import DeflateParameters

pytestmark = pytest.mark.anyio

AUDIO = base64.b64encode(bytes(range(256)) * 40).decode()


@pytest.mark.parametrize("compression", [None, "deflate"])
async def test_audio_both_ways_with_and_without_compression(compression: str | None) -> None:
    async def script(conn: peer.Conn) -> None:
        await conn.recv_until("session-update")
        got = await conn.recv_until("input-audio-append")
        assert got["audio"] == AUDIO
        for _ in range(3):
            await conn.send(
                {"type": "audio-delta", "responseId": "r", "itemId": "i", "delta": AUDIO}
            )
        await conn.send({"type": "response-done", "responseId": "r", "status": "completed"})
        await conn.drain()

    app = peer.Peer(script=script)
    async with peer.serve(app) as base:
        model = create_gateway(api_key=TOKEN, base_url=f"{base}/v4/ai").realtime("m")
        options: dict[str, Any] = {} if compression is None else {"compression": compression}
        async with model.connect(session_config=CONFIG, **options) as session:
            ws = session._ws
            if compression is None:
                assert ws.compression is None  # off by default
            else:
                assert ws.compression == DeflateParameters()
            await session.send({"type": "input-audio-append", "audio": AUDIO})
            deltas = []
            async for event in session:
                if isinstance(event, g.ResponseDone):
                    break
                assert isinstance(event, g.AudioDelta)
                deltas.append(event.delta)
        await _settle(app)
    assert deltas == [AUDIO] * 3
    inflater = ws._proto._inflater
    assert (inflater is not None and inflater.peak > len(AUDIO)) is (compression is not None)
