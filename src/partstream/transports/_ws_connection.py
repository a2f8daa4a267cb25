"""The WebSocket client actor: anyio TCP/TLS, the wsproto handshake, a reader task.

Shape (the partstream pipeline style)::

    socket ──reader task──▶ ClientProtocol.receive_data ──▶ bounded channel of batches ──▶ receive()
                 │                 │ pongs, close reply                                   async for
                 │                 ▼
    keepalive ───┴──────▶ one send lock ◀──────────── send_text / send_bytes / aclose

The reader turns each socket read into one batch of whole messages and puts it
in a channel that holds at most ``max_batches`` batches; when the consumer
stalls, the reader waits on the channel and stops reading the socket, so TCP
flow control pushes back on the server. Every frame written (messages, pings,
pongs, close) goes through one lock, so frames never interleave.

How a connection ends decides what ``receive()`` and ``send_*()`` raise:

* the peer closed it: ClosedByPeerError with the peer's code and reason;
* this side closed it (``aclose``): ClosedByYouError;
* the peer broke RFC 6455: first ProtocolError (or LimitExceededError for
  ``max_message_size``), after that ConnectionBrokenError with the close code
  this side failed the connection with (1002, 1007, 1009);
* it ended without a close frame: ConnectionBrokenError with code 1006, after
  every message completed before the end (also when a write failed first: the
  reader keeps reading, for at most ``close_timeout``, what the peer sent
  before it reset the connection);
* no pong within ``ping_timeout``: ConnectionBrokenError with code 1011.
"""

from __future__ import annotations

import functools
import math
import os
import ssl
from collections import deque
from collections.abc import AsyncIterator, Sequence
from types import TracebackType
from typing import Final, final

import anyio
import anyio.abc

from .. import errors
from ..errors import (
    ClosedByPeerError,
    ClosedByYouError,
    ConnectError,
    ConnectionBrokenError,
    ConnectionClosed,
    InvalidArgumentError,
    WebSocketHandshakeError,
)
from ..pipeline import DEFAULT_MAX_BATCHES
from ._ws_handshake import Accepted, ClientHandshake, HeadersLike
from ._ws_protocol import (
    CLOSE_ABNORMAL,
    CLOSE_INTERNAL_ERROR,
    CLOSE_NORMAL,
    ClientProtocol,
    Message,
    State,
    check_close_code,
)
from ._ws_url import WebSocketURL, parse_websocket_url

__all__ = [
    "DEFAULT_CLOSE_TIMEOUT",
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_MAX_MESSAGE_SIZE",
    "DEFAULT_OPEN_TIMEOUT",
    "DEFAULT_PING_INTERVAL",
    "DEFAULT_PING_TIMEOUT",
    "DEFAULT_READ_SIZE",
    "WebSocketConnection",
    "WebSocketConnector",
    "connect_websocket",
]

#: Largest message accepted, in bytes. Realtime audio events of 3.4 MB exist.
DEFAULT_MAX_MESSAGE_SIZE: Final = 16 * 1024 * 1024
DEFAULT_CONNECT_TIMEOUT: Final = 10.0
DEFAULT_OPEN_TIMEOUT: Final = 10.0
DEFAULT_CLOSE_TIMEOUT: Final = 10.0
DEFAULT_PING_INTERVAL: Final = 20.0
DEFAULT_PING_TIMEOUT: Final = 20.0
#: Bytes asked of the socket per read (one read becomes one batch).
DEFAULT_READ_SIZE: Final = 256 * 1024

# Codes after which ``async for`` ends quietly instead of raising (RFC 6455 7.4.1).
_OK_CODES: Final = frozenset({1000, 1001, 1005})
_TRANSPORT_ERRORS: Final = (
    anyio.BrokenResourceError,
    anyio.ClosedResourceError,
    anyio.EndOfStream,
    OSError,
)


def _check_timeout(value: float | None, name: str, *, allow_none: bool = True) -> float | None:
    if value is None:
        if allow_none:
            return None
        raise InvalidArgumentError(f"{name} must be a number of seconds", argument=name)
    given: object = value
    if isinstance(given, bool) or not isinstance(given, int | float):
        raise InvalidArgumentError(f"{name} must be a number of seconds", argument=name)
    if not math.isfinite(value) or value <= 0:
        raise InvalidArgumentError(f"{name} must be finite and > 0, got {value!r}", argument=name)
    return float(value)


def _check_positive_int(value: int, name: str) -> int:
    given: object = value
    if isinstance(given, bool) or not isinstance(given, int) or given < 1:
        raise InvalidArgumentError(f"{name} must be an int >= 1, got {value!r}", argument=name)
    return value


def connect_websocket(
    url: str,
    *,
    subprotocols: Sequence[str] = (),
    headers: HeadersLike | None = None,
    ssl_context: ssl.SSLContext | None = None,
    connect_timeout: float | None = DEFAULT_CONNECT_TIMEOUT,
    open_timeout: float | None = DEFAULT_OPEN_TIMEOUT,
    close_timeout: float = DEFAULT_CLOSE_TIMEOUT,
    max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
    ping_interval: float | None = DEFAULT_PING_INTERVAL,
    ping_timeout: float | None = DEFAULT_PING_TIMEOUT,
    max_batches: int = DEFAULT_MAX_BATCHES,
    read_size: int = DEFAULT_READ_SIZE,
) -> WebSocketConnector:
    """Open a WebSocket client connection (RFC 6455); use with ``async with``.

    ``async with connect_websocket("wss://host/path?q=1", subprotocols=["v1"]) as ws:``
    then ``await ws.send_text(...)``, ``await ws.receive()`` or ``async for message in ws``.

    Arguments are checked at once, before any connection is made (so a bad
    subprotocol or header never reaches the network).

    * ``subprotocols``: offered in ``Sec-WebSocket-Protocol``; RFC 7230 tokens,
      together under 8 KiB. ``ws.subprotocol`` is the one the server chose.
    * ``headers``: extra request headers (``Authorization``, ``Origin``, ...).
    * ``ssl_context``: for ``wss://``; default: certificate verification with the
      system trust store.
    * ``connect_timeout`` (TCP + TLS), ``open_timeout`` (the HTTP upgrade),
      ``close_timeout`` (each closing handshake step): seconds; ``None``
      disables the first two. Expiry raises :class:`partstream.errors.TimeoutError`.
    * ``max_message_size``: largest message accepted (bytes); a bigger one fails
      the connection with 1009 and raises LimitExceededError.
    * ``ping_interval``/``ping_timeout``: keepalive pings; no pong in time fails
      the connection with 1011. ``ping_interval=None`` turns keepalive off.
    * ``max_batches``: depth of the receive channel, in batches (one batch per
      socket read of at most ``read_size`` bytes). A consumer that stops reading
      stops the socket reads once the channel is full, so at most about
      ``max_batches * read_size`` bytes of messages wait in memory (plus one
      message being reassembled, up to ``max_message_size``).

    While the consumer is stalled, pongs are not read either: a keepalive
    ``ping_timeout`` shorter than the stall fails the connection with 1011.
    """
    parsed = parse_websocket_url(url)
    handshake = ClientHandshake(parsed, subprotocols=subprotocols, headers=headers)
    if ssl_context is not None and not isinstance(ssl_context, ssl.SSLContext):
        raise InvalidArgumentError("ssl_context must be an ssl.SSLContext", argument="ssl_context")
    if ssl_context is not None and not parsed.secure:
        raise InvalidArgumentError(
            "ssl_context was given for a ws:// URL; use wss:// for TLS", argument="ssl_context"
        )
    return WebSocketConnector(
        parsed,
        handshake,
        ssl_context=ssl_context,
        connect_timeout=_check_timeout(connect_timeout, "connect_timeout"),
        open_timeout=_check_timeout(open_timeout, "open_timeout"),
        close_timeout=_check_timeout(close_timeout, "close_timeout", allow_none=False) or 0.0,
        max_message_size=_check_positive_int(max_message_size, "max_message_size"),
        ping_interval=_check_timeout(ping_interval, "ping_interval"),
        ping_timeout=_check_timeout(ping_timeout, "ping_timeout"),
        max_batches=_check_positive_int(max_batches, "max_batches"),
        read_size=_check_positive_int(read_size, "read_size"),
    )


@final
class WebSocketConnector:
    """What :func:`connect_websocket` returns: enter it to connect, leave it to close."""

    __slots__ = (
        "_close_timeout",
        "_connect_timeout",
        "_connection",
        "_handshake",
        "_max_batches",
        "_max_message_size",
        "_open_timeout",
        "_ping_interval",
        "_ping_timeout",
        "_read_size",
        "_ssl_context",
        "_url",
    )

    def __init__(
        self,
        url: WebSocketURL,
        handshake: ClientHandshake,
        *,
        ssl_context: ssl.SSLContext | None,
        connect_timeout: float | None,
        open_timeout: float | None,
        close_timeout: float,
        max_message_size: int,
        ping_interval: float | None,
        ping_timeout: float | None,
        max_batches: int,
        read_size: int,
    ) -> None:
        self._url = url
        self._handshake = handshake
        self._ssl_context = ssl_context
        self._connect_timeout = connect_timeout
        self._open_timeout = open_timeout
        self._close_timeout = close_timeout
        self._max_message_size = max_message_size
        self._ping_interval = ping_interval
        self._ping_timeout = ping_timeout
        self._max_batches = max_batches
        self._read_size = read_size
        self._connection: WebSocketConnection | None = None

    async def __aenter__(self) -> WebSocketConnection:
        if self._connection is not None:
            raise RuntimeError("connect_websocket(...) can be entered only once")
        stream = await _open_transport(self._url, self._ssl_context, self._connect_timeout)
        try:
            accepted = await _run_handshake(stream, self._handshake, self._open_timeout)
            connection = WebSocketConnection(
                stream,
                accepted,
                close_timeout=self._close_timeout,
                max_message_size=self._max_message_size,
                ping_interval=self._ping_interval,
                ping_timeout=self._ping_timeout,
                max_batches=self._max_batches,
                read_size=self._read_size,
            )
            await connection._start()
        except BaseException:
            with anyio.CancelScope(shield=True):
                await anyio.aclose_forcefully(stream)
            raise
        self._connection = connection
        return connection

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        connection = self._connection
        if connection is not None:
            await connection._exit()
        return False


@functools.cache
def _default_ssl_context() -> ssl.SSLContext:
    # The system trust store, hostname checks on, HTTP/1.1 for the upgrade. Built once:
    # loading the trust store takes tens of milliseconds, and a context is safe to share.
    ssl_context = ssl.create_default_context()
    ssl_context.set_alpn_protocols(["http/1.1"])
    return ssl_context


async def _open_transport(
    url: WebSocketURL, ssl_context: ssl.SSLContext | None, timeout: float | None
) -> anyio.abc.ByteStream:
    where = f"{url.host_header}"
    try:
        with anyio.fail_after(timeout):
            if not url.secure:
                return await anyio.connect_tcp(url.host, url.port)
            if ssl_context is None:
                ssl_context = _default_ssl_context()
            # tls_standard_compatible=False: the close handshake, not TLS close_notify,
            # marks the end of a WebSocket; many servers skip close_notify.
            return await anyio.connect_tcp(
                url.host,
                url.port,
                ssl_context=ssl_context,
                tls_hostname=url.host,
                tls_standard_compatible=False,
            )
    except TimeoutError:
        raise errors.TimeoutError(
            f"connecting to {where} took longer than connect_timeout={timeout}"
        ) from None
    except (OSError, anyio.BrokenResourceError) as exc:
        raise ConnectError(f"could not connect to {where}: {exc}") from exc


async def _run_handshake(
    stream: anyio.abc.ByteStream, handshake: ClientHandshake, timeout: float | None
) -> Accepted:
    try:
        with anyio.fail_after(timeout):
            await stream.send(handshake.request)
            while True:
                try:
                    data = await stream.receive(65536)
                except anyio.EndOfStream:
                    handshake.receive_eof()
                    raise AssertionError("unreachable") from None
                accepted = handshake.receive_data(data)
                if accepted is not None:
                    return accepted
    except TimeoutError:
        raise errors.TimeoutError(
            f"the WebSocket opening handshake took longer than open_timeout={timeout}"
        ) from None
    except (OSError, anyio.BrokenResourceError, anyio.ClosedResourceError) as exc:
        raise WebSocketHandshakeError(
            f"the connection failed during the opening handshake: {exc!r}"
        ) from exc


@final
class _Batches:
    """The bounded channel of message batches from the reader task to ``receive()``.

    What an anyio memory object stream pair does here, without its per-wait
    bookkeeping (a generic receiver object and a task-info lookup on every
    wait, a checkpoint on every call), which cost about a tenth of the
    receive path on asyncio. ``put`` waits while ``max_batches`` batches wait;
    ``get`` waits for a batch. ``close_writer()`` ends the stream after the
    queued batches (``get`` then raises EndOfStream); ``close_reader()`` drops
    them (``put`` raises BrokenResourceError, ``get`` ClosedResourceError).
    A call that finds what it needs returns without a checkpoint.
    """

    __slots__ = ("_getters", "_items", "_max", "_putters", "reader_closed", "writer_closed")

    def __init__(self, max_batches: int) -> None:
        self._items: deque[list[Message]] = deque()
        self._max = max_batches
        # One event per side, shared by every task waiting on that side.
        self._getters: anyio.Event | None = None
        self._putters: anyio.Event | None = None
        self.reader_closed = False
        self.writer_closed = False

    def put_nowait(self, batch: list[Message]) -> bool:
        """Queue ``batch`` if there is room; False when the channel is full."""
        if self.reader_closed or self.writer_closed:
            raise anyio.BrokenResourceError
        if len(self._items) >= self._max:
            return False
        self._items.append(batch)
        getters = self._getters
        if getters is not None:
            self._getters = None
            getters.set()
        return True

    async def put(self, batch: list[Message]) -> None:
        while not self.put_nowait(batch):
            putters = self._putters
            if putters is None:
                putters = self._putters = anyio.Event()
            await putters.wait()

    def get_nowait(self) -> list[Message] | None:
        """The next batch, or None when none is queued (raises at the end)."""
        if self.reader_closed:
            raise anyio.ClosedResourceError
        items = self._items
        if items:
            batch = items.popleft()
            putters = self._putters
            if putters is not None:
                self._putters = None
                putters.set()
            return batch
        if self.writer_closed:
            raise anyio.EndOfStream
        return None

    async def get(self) -> list[Message]:
        while (batch := self.get_nowait()) is None:
            getters = self._getters
            if getters is None:
                getters = self._getters = anyio.Event()
            await getters.wait()
        return batch

    def close_writer(self) -> None:
        self.writer_closed = True
        self._wake()

    def close_reader(self) -> None:
        self.reader_closed = True
        self._items.clear()
        self._wake()

    def _wake(self) -> None:
        for event in (self._getters, self._putters):
            if event is not None:
                event.set()
        self._getters = self._putters = None


@final
class WebSocketConnection:
    """An open WebSocket client connection. Get one from :func:`connect_websocket`.

    Receive with ``await receive()`` (one message), ``await receive_batch()`` (all
    messages of one socket read, the fastest way), ``async for message in ws``
    or ``async for batch in ws.batches()``. Messages are ``str`` (text) or
    ``bytes`` (binary). ``async for`` ends quietly when the peer closes with
    1000, 1001 or no status, or after ``aclose()``; other ends raise.
    """

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

    def __init__(
        self,
        stream: anyio.abc.ByteStream,
        accepted: Accepted,
        *,
        close_timeout: float,
        max_message_size: int,
        ping_interval: float | None,
        ping_timeout: float | None,
        max_batches: int,
        read_size: int,
    ) -> None:
        self._stream = stream
        self._subprotocol = accepted.subprotocol
        self._response_headers = accepted.headers
        self._trailing = accepted.trailing_data
        self._proto = ClientProtocol(max_message_size=max_message_size)
        self._close_timeout = close_timeout
        self._ping_interval = ping_interval
        self._ping_timeout = ping_timeout
        self._max_batches = max_batches
        self._read_size = read_size
        self._send_lock = anyio.Lock()
        self._channel = _Batches(max_batches)
        self._batch: list[Message] = []
        self._index = 0
        self._inflight: list[Message] | None = None
        self._first_error: BaseException | None = None
        self._closed_by_you = False
        self._transport_lost = False
        # Set when a write failed: nothing more is sent, but the reader keeps reading
        # what the peer sent before the failure (bounded by close_timeout).
        self._write_failed = False
        self._pings: dict[bytes, anyio.Event] = {}
        self._reader_done = anyio.Event()
        # Shielded: when the caller's block is cancelled, the reader keeps going so that
        # aclose() can still finish the closing handshake; _exit() cancels it at the end.
        self._read_scope = anyio.CancelScope(shield=True)
        self._keepalive_scope = anyio.CancelScope()
        self._tg: anyio.abc.TaskGroup | None = None

    # -- public state -----------------------------------------------------------------

    @property
    def subprotocol(self) -> str | None:
        """The subprotocol the server chose, or None."""
        return self._subprotocol

    @property
    def response_headers(self) -> list[tuple[str, str]]:
        """Headers of the server's 101 response (without the handshake's own)."""
        return list(self._response_headers)

    @property
    def close_code(self) -> int | None:
        """RFC 6455 close code once closed: the peer's, the one this side failed with, or 1006."""
        return self._proto.close_code

    @property
    def close_reason(self) -> str | None:
        """The close reason that goes with ``close_code``."""
        return self._proto.close_reason

    @property
    def closed(self) -> bool:
        """True once the connection is closed or closing (nothing more can be sent)."""
        return self._proto.state is not State.OPEN or self._write_failed

    # -- lifecycle --------------------------------------------------------------------

    async def _start(self) -> None:
        tg = anyio.create_task_group()
        await tg.__aenter__()
        self._tg = tg
        tg.start_soon(self._reader)
        if self._ping_interval is not None:
            tg.start_soon(self._keepalive)

    async def _exit(self) -> None:
        try:
            await self.aclose()
        finally:
            tg = self._tg
            if tg is not None:
                self._tg = None
                self._read_scope.cancel()
                tg.cancel_scope.cancel()
                try:
                    await tg.__aexit__(None, None, None)
                finally:
                    self._channel.close_writer()
                    self._channel.close_reader()
                    if not self._transport_lost:
                        with anyio.CancelScope(shield=True):
                            await self._abort()

    async def aclose(self, code: int = CLOSE_NORMAL, reason: str = "") -> None:
        """Close the connection: the closing handshake, bounded by ``close_timeout``.

        Idempotent; survives cancellation (shielded). Messages not received yet
        are dropped; later ``receive()``/``send_*()`` raise ClosedByYouError.
        """
        check_close_code(code, reason)
        with anyio.CancelScope(shield=True):
            with anyio.move_on_after(self._close_timeout):
                async with self._send_lock:
                    proto = self._proto
                    if self._write_failed and not self._transport_lost:
                        # No close frame can be sent: drop the link (the reader ends with 1006).
                        await self._abort()
                    if proto.state is State.OPEN and not self._transport_lost:
                        self._closed_by_you = True
                        frame = proto.send_close(code, reason)
                        # Stop delivering: a reader blocked on a full channel moves on.
                        self._channel.close_reader()
                        await self._write(frame, fatal=False)
                await self._reader_done.wait()
            if not self._reader_done.is_set():
                # RFC 6455 section 7.1.1: no close frame or TCP close in time; drop the TCP link.
                await self._abort()
                with anyio.move_on_after(self._close_timeout):
                    await self._reader_done.wait()
            self._keepalive_scope.cancel()
            self._channel.close_reader()

    async def _abort(self) -> None:
        self._transport_lost = True
        await anyio.aclose_forcefully(self._stream)

    # -- receiving --------------------------------------------------------------------

    async def receive(self) -> Message:
        """The next message (``str`` or ``bytes``); at the end a ConnectionClosed subclass."""
        index = self._index
        batch = self._batch
        if index < len(batch):
            self._index = index + 1
            return batch[index]
        batch = await self._next_batch()
        self._batch = batch
        self._index = 1
        return batch[0]

    async def receive_batch(self) -> list[Message]:
        """Every message not yet received from the next socket read (never empty)."""
        if self._index < len(self._batch):
            rest = self._batch[self._index :]
        else:
            rest = await self._next_batch()
        self._batch = []
        self._index = 0
        return rest

    async def batches(self) -> AsyncIterator[list[Message]]:
        """Iterate batches of messages; ends like ``async for`` does."""
        while True:
            try:
                batch = await self.receive_batch()
            except ConnectionClosed as exc:
                if self._ends_quietly(exc):
                    return
                raise
            yield batch

    def __aiter__(self) -> WebSocketConnection:
        return self

    async def __anext__(self) -> Message:
        try:
            return await self.receive()
        except ConnectionClosed as exc:
            if self._ends_quietly(exc):
                raise StopAsyncIteration from None
            raise

    @staticmethod
    def _ends_quietly(exc: ConnectionClosed) -> bool:
        if isinstance(exc, ClosedByYouError):
            return True
        return type(exc) is ClosedByPeerError and exc.code in _OK_CODES

    async def _next_batch(self) -> list[Message]:
        if self._closed_by_you:
            raise self._closed_error()
        try:
            # A batch that is already there costs no trip through the event loop
            # (like the messages of a batch, which receive() hands out at once).
            return self._channel.get_nowait() or await self._channel.get()
        except anyio.EndOfStream:
            inflight = self._inflight
            if inflight:
                self._inflight = None
                return inflight
            first = self._first_error
            if first is not None:
                self._first_error = None
                raise first from first.__cause__
            raise self._closed_error() from None
        except anyio.ClosedResourceError:
            raise self._closed_error() from None

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

    # -- sending ----------------------------------------------------------------------

    async def send_text(self, text: str) -> None:
        """Send a text message. Raises ClosedByYouError/ClosedByPeerError once closed."""
        if not isinstance(text, str):
            raise InvalidArgumentError("send_text() takes a str", argument="text")
        await self._send_control(self._proto.send_text(text))

    async def send_bytes(self, data: bytes | bytearray | memoryview) -> None:
        """Send a binary message. Raises ClosedByYouError/ClosedByPeerError once closed."""
        if not isinstance(data, bytes | bytearray | memoryview):
            raise InvalidArgumentError("send_bytes() takes bytes", argument="data")
        await self._send_control(self._proto.send_bytes(data))

    async def send(self, message: Message) -> None:
        """Send a ``str`` as a text message or ``bytes`` as a binary one."""
        if isinstance(message, str):
            await self.send_text(message)
        else:
            await self.send_bytes(message)

    async def _send_control(self, frame: bytes) -> None:
        async with self._send_lock:
            if self._proto.state is not State.OPEN or self._transport_lost or self._write_failed:
                raise self._closed_error()
            await self._write(frame, fatal=True)

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
