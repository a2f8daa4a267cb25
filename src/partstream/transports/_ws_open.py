"""Opening a WebSocket: the TCP/TLS stream and the opening handshake (RFC 6455 4.1).

Both translate their failures at the boundary: a timeout becomes
:class:`~partstream.errors.TimeoutError` (naming the timeout to raise), a refused
or failed connection :class:`~partstream.errors.ConnectError`, a failure during
the upgrade :class:`~partstream.errors.WebSocketHandshakeError`.
"""

from __future__ import annotations

import functools
import ssl

import anyio
import anyio.abc

from .. import errors
from ..errors import ConnectError, WebSocketHandshakeError
from ._ws_deflate_codec import _serializer
from ._ws_handshake import Accepted, ClientHandshake
from ._ws_url import WebSocketURL


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
                try:
                    accepted = handshake.receive_data(data)
                except WebSocketHandshakeError as exc:
                    if exc.close_code is not None:
                        await _send_failure_close(stream, exc.close_code)
                    raise
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


async def _send_failure_close(stream: anyio.abc.ByteStream, code: int) -> None:
    """RFC 6455 section 7.1.7: tell the server why the 101 answer was refused (best effort)."""
    frame = bytes(_serializer(None).close(code, "extension negotiation failed"))
    with anyio.move_on_after(1.0, shield=True):
        try:
            await stream.send(frame)
        except (OSError, anyio.BrokenResourceError, anyio.ClosedResourceError):
            pass
