"""The WebSocket connection's reader actor and its keepalive.

``_ReaderSide`` (a base of
:class:`~partstream.transports.websocket.WebSocketConnection`) runs in the
connection's task group: the reader turns each socket read into one batch of
whole messages and puts it in the bounded channel (waiting there, and so not
reading the socket, while the consumer is behind: TCP flow control pushes back);
it answers pings and close frames through the send lock, and records how the
connection ended for ``receive()`` to raise. The keepalive task pings every
``ping_interval`` and fails the connection with 1011 when no pong comes in time.
"""

from __future__ import annotations

import os

import anyio

from .. import errors
from ..errors import ConnectionBrokenError, ConnectionClosed, InvalidArgumentError
from ._ws_frames import CLOSE_ABNORMAL, CLOSE_INTERNAL_ERROR, State
from ._ws_send import _TRANSPORT_ERRORS, _SendSide


class _ReaderSide(_SendSide):
    """What the connection's own tasks do: read, answer, keep alive."""

    __slots__ = ()

    # -- the reader actor -------------------------------------------------------------

    async def _reader(self) -> None:
        proto = self._proto
        with self._read_scope as scope:
            try:
                await self._read_loop()
            except _TRANSPORT_ERRORS as exc:
                if proto.state is not State.CLOSED:
                    proto.receive_eof()
                    self._first_error = ConnectionBrokenError(
                        f"the WebSocket connection was lost: {exc!r}",
                        code=CLOSE_ABNORMAL,
                    )
                    self._first_error.__cause__ = exc
            except Exception as exc:  # a bug of ours must not crash the task group
                proto.receive_eof()
                self._first_error = ConnectionBrokenError(
                    f"the WebSocket reader failed: {exc!r}", code=CLOSE_ABNORMAL
                )
                self._first_error.__cause__ = exc
        if scope.cancelled_caught and proto.state is not State.CLOSED:
            # close_timeout ran out after a failed write, before the end of the stream.
            proto.receive_eof()
            if self._first_error is None:
                self._first_error = ConnectionBrokenError(
                    "the WebSocket connection was lost while sending", code=CLOSE_ABNORMAL
                )
        # The end, whatever the cause: tell the consumer, then finish the close.
        try:
            if self._first_error is None and proto.failure is not None:
                self._first_error = proto.failure
            self._channel.close_writer()
            for waiter in self._pings.values():
                waiter.set()
            with anyio.CancelScope(shield=True):
                await self._finish_close()
        finally:
            self._reader_done.set()

    async def _read_loop(self) -> None:
        proto = self._proto
        stream = self._stream
        channel = self._channel
        read_size = self._read_size
        data = self._trailing
        self._trailing = b""
        while True:
            if data:
                messages = proto.receive_data(data)
                if proto.pongs:
                    self._on_pongs()
                owed = proto.data_to_send()
                if owed:
                    await self._send_owed(owed)
                if messages and not self._closed_by_you:
                    try:
                        # No checkpoint when there is room: the socket read below yields.
                        if not channel.put_nowait(messages):
                            # Cancelled while waiting: receive() still gets it at the end.
                            self._inflight = messages
                            await channel.put(messages)
                            self._inflight = None
                    except anyio.BrokenResourceError:
                        # aclose() stopped delivery; keep reading for the close frame.
                        self._inflight = None
            if proto.state is State.CLOSED:
                return
            try:
                data = await stream.receive(read_size)
            except anyio.EndOfStream:
                # RFC 6455 section 7.1.5: closed without a close frame means 1006.
                proto.receive_eof()
                if proto.close_sent is None or not self._closed_by_you:
                    self._first_error = ConnectionBrokenError(
                        "the WebSocket connection ended without a close frame",
                        code=CLOSE_ABNORMAL,
                    )
                return

    async def _send_owed(self, owed: bytes) -> None:
        async with self._send_lock:
            if not self._write_failed:
                await self._write(owed, fatal=False)

    async def _finish_close(self) -> None:
        """RFC 6455 section 7.1.1: after the close frames, wait for the server to close TCP."""
        if not self._transport_lost:
            with anyio.move_on_after(self._close_timeout):
                try:
                    while True:
                        await self._stream.receive(65536)
                except _TRANSPORT_ERRORS:
                    pass
        with anyio.CancelScope(shield=True):
            self._transport_lost = True
            await anyio.aclose_forcefully(self._stream)

    def _on_pongs(self) -> None:
        pongs = self._proto.pongs
        for payload in pongs:
            if payload in self._pings:
                # A pong answers its ping and every ping sent before it.
                for key in list(self._pings):
                    self._pings.pop(key).set()
                    if key == payload:
                        break
        pongs.clear()

    # -- keepalive --------------------------------------------------------------------

    async def _keepalive(self) -> None:
        interval = self._ping_interval
        assert interval is not None
        with self._keepalive_scope:
            while True:
                await anyio.sleep(interval)
                payload = os.urandom(4)
                waiter = anyio.Event()
                self._pings[payload] = waiter
                try:
                    await self._send_control(self._proto.send_ping(payload))
                except ConnectionClosed:
                    return
                with anyio.move_on_after(self._ping_timeout):
                    await waiter.wait()
                if self._pings.pop(payload, None) is None:
                    continue  # the pong came
                if self._proto.state is not State.OPEN:
                    return
                await self._fail_locally(
                    CLOSE_INTERNAL_ERROR,
                    "keepalive ping timeout",
                    errors.TimeoutError(
                        f"no pong within ping_timeout={self._ping_timeout} seconds"
                    ),
                )
                return

    async def _fail_locally(self, code: int, reason: str, cause: BaseException) -> None:
        """Fail the connection for a reason found on this side (RFC 6455 section 7.1.7)."""
        with anyio.CancelScope(shield=True):
            with anyio.move_on_after(self._close_timeout):
                async with self._send_lock:
                    if self._proto.state is not State.OPEN:
                        return
                    frame = self._proto.abort(code, reason)
                    error = ConnectionBrokenError(
                        f"the WebSocket connection failed: {reason} (code {code})",
                        code=code,
                        reason=reason,
                    )
                    error.__cause__ = cause
                    self._first_error = error
                    await self._write(frame, fatal=False)
            self._read_scope.cancel()

    async def ping(self, payload: bytes | None = None) -> None:
        """Send a ping and wait for its pong (no timeout of its own)."""
        if payload is None:
            payload = os.urandom(4)
        payload = bytes(payload)
        if payload in self._pings:
            raise InvalidArgumentError(
                "a ping with this payload is already waiting for its pong", argument="payload"
            )
        frame = self._proto.send_ping(payload)
        waiter = anyio.Event()
        self._pings[payload] = waiter
        try:
            await self._send_control(frame)
            await waiter.wait()
        finally:
            unanswered = self._pings.pop(payload, None) is not None
        if unanswered:
            raise self._closed_error()
