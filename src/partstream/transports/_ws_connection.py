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

Where the pieces live: this module has the public surface (``connect_websocket``,
receiving, the closing handshake ``aclose``); ``_ws_open`` the TCP/TLS stream and
the opening handshake; ``_ws_reader`` the reader actor and the keepalive;
``_ws_send`` the connection's state and the send side; ``_ws_batches`` the
channel between them; ``_ws_protocol`` the sans-IO frames.
"""

from __future__ import annotations

import math
import ssl
from collections.abc import AsyncIterator, Sequence
from types import TracebackType
from typing import Final, Literal, final

import anyio
import anyio.abc

from ..errors import (
    ClosedByPeerError,
    ClosedByYouError,
    ConnectionClosed,
    InvalidArgumentError,
)
from ..pipeline import DEFAULT_MAX_BATCHES
from ._ws_batches import _Batches
from ._ws_deflate import DeflateOffer, DeflateParameters
from ._ws_frames import CLOSE_NORMAL, Message, State, check_close_code
from ._ws_handshake import Accepted, ClientHandshake, HeadersLike
from ._ws_open import _open_transport, _run_handshake
from ._ws_protocol import ClientProtocol
from ._ws_reader import _ReaderSide
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
    compression: Literal["deflate"] | DeflateOffer | None = None,
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

    * ``compression``: ``"deflate"`` offers permessage-deflate (RFC 7692) with the
      defaults of :class:`DeflateOffer`, or pass a ``DeflateOffer`` to choose its
      parameters; None (the default) offers nothing. A server may decline: then
      ``ws.compression`` is None and messages go uncompressed. Compressed
      messages are inflated within ``max_message_size`` (a bigger one fails the
      connection with 1009); an answer that breaks RFC 7692 raises
      WebSocketHandshakeError with ``close_code`` 1002 (or 1010).

    While the consumer is stalled, pongs are not read either: a keepalive
    ``ping_timeout`` shorter than the stall fails the connection with 1011.
    """
    parsed = parse_websocket_url(url)
    offer = DeflateOffer() if compression == "deflate" else compression
    handshake = ClientHandshake(
        parsed, subprotocols=subprotocols, headers=headers, compression=offer
    )
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


@final
class WebSocketConnection(_ReaderSide):
    """An open WebSocket client connection. Get one from :func:`connect_websocket`.

    Receive with ``await receive()`` (one message), ``await receive_batch()`` (all
    messages of one socket read, the fastest way), ``async for message in ws``
    or ``async for batch in ws.batches()``. Messages are ``str`` (text) or
    ``bytes`` (binary). ``async for`` ends quietly when the peer closes with
    1000, 1001 or no status, or after ``aclose()``; other ends raise.
    """

    __slots__ = ()

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
        self._proto = ClientProtocol(max_message_size=max_message_size, deflate=accepted.deflate)
        self._close_timeout = close_timeout
        self._ping_interval = ping_interval
        self._ping_timeout = ping_timeout
        self._max_batches = max_batches
        self._read_size = read_size
        self._send_lock = anyio.Lock()
        self._channel = _Batches(max_batches)
        self._batch = []
        self._index = 0
        self._inflight = None
        self._first_error = None
        self._closed_by_you = False
        self._transport_lost = False
        # Set when a write failed: nothing more is sent, but the reader keeps reading
        # what the peer sent before the failure (bounded by close_timeout).
        self._write_failed = False
        self._pings = {}
        self._reader_done = anyio.Event()
        # Shielded: when the caller's block is cancelled, the reader keeps going so that
        # aclose() can still finish the closing handshake; _exit() cancels it at the end.
        self._read_scope = anyio.CancelScope(shield=True)
        self._keepalive_scope = anyio.CancelScope()
        self._tg = None

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
    def compression(self) -> DeflateParameters | None:
        """The permessage-deflate agreement, or None when messages are not compressed."""
        return self._proto.deflate

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
