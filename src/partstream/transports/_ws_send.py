"""The WebSocket connection's state and its send side.

``_SendSide`` is the base of :class:`~partstream.transports.websocket.WebSocketConnection`:
it holds every slot of the connection (set by the connection's ``__init__``),
the error a closed connection raises, and the writes. Every frame written
(messages, pings, pongs, close) goes through one lock, so frames never
interleave; backpressure comes from the socket. A failed write stops the
sending but not the reader (``_on_write_failed``); a write cancelled half-way
loses the framing, so the connection is dropped (``_lost``).
"""

from __future__ import annotations

from typing import Final

import anyio
import anyio.abc

from ..errors import (
    ClosedByPeerError,
    ClosedByYouError,
    ConnectionBrokenError,
    ConnectionClosed,
    InvalidArgumentError,
)
from ._ws_batches import _Batches
from ._ws_frames import CLOSE_ABNORMAL, Message, State
from ._ws_protocol import ClientProtocol

_TRANSPORT_ERRORS: Final = (
    anyio.BrokenResourceError,
    anyio.ClosedResourceError,
    anyio.EndOfStream,
    OSError,
)


class _SendSide:
    """The connection's state and what writes to the socket."""

    __slots__ = (
        "_batch",
        "_channel",
        "_close_timeout",
        "_closed_by_you",
        "_first_error",
        "_index",
        "_inflight",
        "_keepalive_scope",
        "_max_batches",
        "_ping_interval",
        "_ping_timeout",
        "_pings",
        "_proto",
        "_read_scope",
        "_read_size",
        "_reader_done",
        "_response_headers",
        "_send_lock",
        "_stream",
        "_subprotocol",
        "_tg",
        "_trailing",
        "_transport_lost",
        "_write_failed",
    )

    _stream: anyio.abc.ByteStream
    _subprotocol: str | None
    _response_headers: list[tuple[str, str]]
    _trailing: bytes
    _proto: ClientProtocol
    _close_timeout: float
    _ping_interval: float | None
    _ping_timeout: float | None
    _max_batches: int
    _read_size: int
    _send_lock: anyio.Lock
    _channel: _Batches
    _batch: list[Message]
    _index: int
    _inflight: list[Message] | None
    _first_error: BaseException | None
    _closed_by_you: bool
    _transport_lost: bool
    _write_failed: bool
    _pings: dict[bytes, anyio.Event]
    _reader_done: anyio.Event
    _read_scope: anyio.CancelScope
    _keepalive_scope: anyio.CancelScope
    _tg: anyio.abc.TaskGroup | None

    def _closed_error(self) -> ConnectionClosed:
        proto = self._proto
        code = proto.close_code
        reason = proto.close_reason or ""
        if code is None:
            # Still closing: the code this side sent, until the peer's arrives.
            code, reason = proto.close_sent or (CLOSE_ABNORMAL, "")
        if self._closed_by_you:
            return ClosedByYouError(
                f"the WebSocket connection was closed by you (code {code})",
                code=code,
                reason=reason,
            )
        if proto.failure is not None or proto.close_received is None:
            return ConnectionBrokenError(
                f"the WebSocket connection is broken (code {code}{', ' if reason else ''}{reason})",
                code=code,
                reason=reason,
            )
        return ClosedByPeerError(
            f"the WebSocket connection was closed by the peer (code {code}"
            f"{', ' if reason else ''}{reason})",
            code=code,
            reason=reason,
        )

    async def _abort(self) -> None:
        self._transport_lost = True
        await anyio.aclose_forcefully(self._stream)

    # -- sending ----------------------------------------------------------------------

    async def send_text(self, text: str) -> None:
        """Send a text message. Raises ClosedByYouError/ClosedByPeerError once closed."""
        if not isinstance(text, str):
            raise InvalidArgumentError("send_text() takes a str", argument="text")
        async with self._send_lock:
            self._check_open()
            # Framed under the lock: with permessage-deflate's context takeover the
            # compressor's state must follow the order of the frames on the wire.
            await self._write(self._proto.send_text(text), fatal=True)

    async def send_bytes(self, data: bytes | bytearray | memoryview) -> None:
        """Send a binary message. Raises ClosedByYouError/ClosedByPeerError once closed."""
        if not isinstance(data, bytes | bytearray | memoryview):
            raise InvalidArgumentError("send_bytes() takes bytes", argument="data")
        async with self._send_lock:
            self._check_open()
            await self._write(self._proto.send_bytes(data), fatal=True)

    async def send(self, message: Message) -> None:
        """Send a ``str`` as a text message or ``bytes`` as a binary one."""
        if isinstance(message, str):
            await self.send_text(message)
        else:
            await self.send_bytes(message)

    async def _send_control(self, frame: bytes) -> None:
        async with self._send_lock:
            self._check_open()
            await self._write(frame, fatal=True)

    def _check_open(self) -> None:
        if self._proto.state is not State.OPEN or self._transport_lost or self._write_failed:
            raise self._closed_error()

    async def _write(self, frame: bytes, *, fatal: bool) -> None:
        """Write a frame (the send lock is held). Backpressure comes from the socket."""
        try:
            await self._stream.send(frame)
        except _TRANSPORT_ERRORS as exc:
            self._on_write_failed()
            if fatal:
                raise self._closed_error() from exc
        except BaseException:
            # Cancelled mid-write: part of a frame may be on the wire, the framing is lost.
            with anyio.CancelScope(shield=True):
                await self._lost(None)
            raise

    def _on_write_failed(self) -> None:
        """A write failed: the peer reset or closed TCP, nothing more can be sent.

        The bytes the peer sent before its reset may still wait in the socket
        (Linux hands them out before reporting the reset), so the reader keeps
        going and delivers every message completed before the end, then 1006.
        It gets ``close_timeout`` to reach that end.
        """
        if self._write_failed:
            return
        self._write_failed = True
        scope = self._read_scope
        scope.deadline = min(scope.deadline, anyio.current_time() + self._close_timeout)

    async def _lost(self, exc: BaseException | None) -> None:
        proto = self._proto
        if proto.state is not State.CLOSED:
            proto.receive_eof()
        if self._first_error is None and not self._closed_by_you and proto.close_received is None:
            error = ConnectionBrokenError(
                "the WebSocket connection was lost while sending", code=CLOSE_ABNORMAL
            )
            error.__cause__ = exc
            self._first_error = error
        await self._abort()
