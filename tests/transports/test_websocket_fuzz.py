"""Hypothesis drives a raw server: frame sequences, valid and invalid, over a real socket.

Each example is a script: whole messages (some fragmented, with pings and pongs
between the fragments), written in arbitrary slices, then one ending: a close
frame, an abrupt TCP close, or one RFC 6455 violation. The client must deliver
exactly the messages sent before the ending, then end the way the ending
demands (peer close with its code and reason, 1006, or a failure with the RFC
code that the server receives in the client's close frame).
"""

from __future__ import annotations

import itertools
from typing import Any

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.transports._ws_peers import RawPeer, binary, close, cont, frame, ping, pong, raw_server

from partstream.errors import (
    ClosedByPeerError,
    ConnectionBrokenError,
    LimitExceededError,
    ProtocolError,
)
from partstream.transports.websocket import connect_websocket

pytestmark = pytest.mark.anyio

MAX = 4096  # max_message_size for these runs, so that "too big" is cheap to produce

POISONS: list[tuple[bytes, int]] = [
    (frame(0x1, b"x", rsv=4), 1002),
    (frame(0x2, b"x", mask=b"\x01\x02\x03\x04"), 1002),
    (frame(0x3, b""), 1002),
    (frame(0xB, b""), 1002),
    (frame(0x9, b"", fin=False), 1002),
    (frame(0xA, b"p" * 126), 1002),
    (cont(b"orphan"), 1002),
    (frame(0x1, b"a", fin=False) + frame(0x1, b"b"), 1002),
    (frame(0x1, b"x", length_bytes=2), 1002),
    (frame(0x8, b"\x03"), 1002),
    (close(1004), 1002),
    (close(2500), 1002),
    (frame(0x8, b"\x03\xe8\xc3"), 1007),
    (frame(0x1, b"\xff"), 1007),
    (frame(0x1, b"ok\xed\xa0", fin=False) + cont(b"\x80"), 1007),
    (frame(0x1, b"\xe2\x82", fin=False) + ping() + cont(b"\x28"), 1007),
    (binary(b"z" * (MAX + 1)), 1009),
    (frame(0x1, b"z" * MAX, fin=False) + cont(b"z"), 1009),
]


def _short(value: str | bytes) -> str:
    """A repr that stays short for the 4 KiB payloads (hypothesis prints every example)."""
    if len(value) <= 40:
        return repr(value)
    return f"<{type(value).__name__} of {len(value)}: {value[:16]!r}...{value[-8:]!r}>"


class Script:
    """What the raw server writes, and what the client must make of it.

    A plain class, not a dataclass: hypothesis prints dataclasses field by field
    and would skip the short ``__repr__``.
    """

    def __init__(
        self,
        *,
        writes: list[bytes],
        messages: list[str | bytes],
        ending: str,
        code: int,
        reason: str,
        expected: int,
    ) -> None:
        self.writes = writes
        self.messages = messages
        self.ending = ending  # "close", "abrupt" or "poison"
        self.code = code
        self.reason = reason
        self.expected = expected  # the close code a poison must cause

    def __repr__(self) -> str:
        writes = ", ".join(_short(w) for w in self.writes)
        messages = ", ".join(_short(m) for m in self.messages)
        return (
            f"Script(writes=[{writes}], messages=[{messages}], ending={self.ending!r}, "
            f"code={self.code}, reason={self.reason!r}, expected={self.expected})"
        )


@st.composite
def scripts(draw: st.DrawFn) -> Script:
    data = b""
    messages: list[str | bytes] = []
    for _ in range(draw(st.integers(0, 5))):
        is_text = draw(st.booleans())
        value: str | bytes = (
            draw(st.text(max_size=200)) if is_text else draw(st.binary(max_size=200))
        )
        if draw(st.integers(0, 9)) == 0:
            value = "é" * 2000 if is_text else b"\x00" * 4096  # at the size limit
        messages.append(value)
        raw = value.encode() if isinstance(value, str) else value
        cuts = sorted(draw(st.lists(st.integers(0, len(raw)), max_size=3)))
        pieces = [raw[a:b] for a, b in itertools.pairwise([0, *cuts, len(raw)])]
        for i, piece in enumerate(pieces):
            opcode = (0x1 if is_text else 0x2) if i == 0 else 0x0
            data += frame(opcode, piece, fin=i == len(pieces) - 1)
            if draw(st.integers(0, 3)) == 0:
                data += draw(st.sampled_from([ping(b"hb"), pong(b"unsolicited"), ping()]))
    ending = draw(st.sampled_from(["close", "abrupt", "poison"]))
    code, reason, expected = 1000, "", 0
    if ending == "close":
        code = draw(st.sampled_from([1000, 1001, 1005, 1011, 1012, 3000, 4999]))
        reason = "" if code == 1005 else draw(st.text(max_size=30))
        data += close(None if code == 1005 else code, reason)
    elif ending == "poison":
        poison, expected = draw(st.sampled_from(POISONS))
        data += poison + binary(b"after the poison")
    cut_points = sorted(draw(st.lists(st.integers(0, len(data)), max_size=6)))
    writes = [data[a:b] for a, b in itertools.pairwise([0, *cut_points, len(data)])]
    return Script(
        writes=[w for w in writes if w],
        messages=messages,
        ending=ending,
        code=code,
        reason=reason,
        expected=expected,
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(script=scripts())
async def test_frame_sequences_from_a_raw_server(script: Script) -> None:
    seen: dict[str, Any] = {}

    async def handler(peer: RawPeer) -> None:
        await peer.handshake()
        for chunk in script.writes:
            await peer.send(chunk)
        if script.ending == "abrupt":
            return  # TCP close without a close frame
        seen["close"] = await peer.read_until_close()

    got: list[str | bytes] = []
    error: BaseException | None = None
    with anyio.fail_after(10):
        async with (
            raw_server(handler) as port,
            connect_websocket(
                f"ws://127.0.0.1:{port}/",
                max_message_size=MAX,
                close_timeout=2.0,
                ping_interval=None,
            ) as ws,
        ):
            try:
                async for message in ws:
                    got.append(message)
            except (ClosedByPeerError, ProtocolError, LimitExceededError) as exc:
                error = exc

    assert got == script.messages
    ending = script.ending
    if ending == "close":
        code, reason = script.code, script.reason
        assert (ws.close_code, ws.close_reason) == (code, reason)
        if code in (1000, 1001, 1005):
            assert error is None  # async for ends quietly
        else:
            assert type(error) is ClosedByPeerError
            assert (error.code, error.reason) == (code, reason)
        assert seen["close"][0] == (None if code == 1005 else code)  # echoed
    elif ending == "abrupt":
        assert isinstance(error, ConnectionBrokenError)
        assert error.code == 1006
        assert ws.close_code == 1006
    else:
        expected = script.expected
        if expected == 1009:
            assert isinstance(error, LimitExceededError)
        else:
            assert isinstance(error, ProtocolError)
            assert error.close_code == expected
        assert ws.close_code == expected
        assert seen["close"][0] == expected
