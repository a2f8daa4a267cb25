"""The httpx side of the SSE source: its defaults, its errors, closing a response.

:func:`translate_httpx_error` is where httpx (and socket) failures become
:mod:`partstream.errors` (the original stays the ``__cause__``); ``_close``
finishes a streaming response under cancellation, bounded in time.
"""

from __future__ import annotations

import functools
import ssl
from collections.abc import AsyncIterator
from typing import Final

import anyio
import httpx

from ..errors import (
    APICallError,
    ConnectError,
    InvalidArgumentError,
    InvalidResponseDataError,
    PartstreamError,
    TimeoutError,
    TransportError,
)

__all__ = ["DEFAULT_TIMEOUT", "translate_httpx_error"]

#: Timeouts of the client an SSESource creates when it is given none: connect,
#: write and pool 30 s; a read may wait 5 minutes (agents idle between events).
DEFAULT_TIMEOUT: Final = httpx.Timeout(30.0, read=300.0)
#: Seconds the response/client close may take at exit, even under cancellation.
_CLOSE_TIMEOUT: Final = 5.0


@functools.cache
def _default_ssl_context() -> ssl.SSLContext:
    # httpx builds a verifying SSL context (tens of milliseconds: the trust store is
    # loaded) for every client made without one; an SSLContext is safe to share.
    return httpx.create_ssl_context()


def translate_httpx_error(exc: Exception, *, url: str) -> PartstreamError:
    """The partstream error for an httpx (or socket) failure; keep ``exc`` as the cause."""
    if isinstance(exc, httpx.TimeoutException):
        kind = type(exc).__name__
        return TimeoutError(f"SSE request to {url} timed out ({kind}): {exc}")
    if isinstance(exc, httpx.UnsupportedProtocol):
        return InvalidArgumentError(f"cannot request {url}: {exc}", argument="url")
    if isinstance(exc, httpx.ConnectError):
        return ConnectError(f"could not connect to {url}: {exc}")
    if isinstance(exc, httpx.DecodingError):
        return InvalidResponseDataError(f"could not decode the SSE response from {url}: {exc}")
    if isinstance(exc, httpx.InvalidURL):
        return InvalidArgumentError(f"invalid URL {url!r}: {exc}", argument="url")
    reason = str(exc) or type(exc).__name__
    return TransportError(f"SSE connection to {url} failed: {reason}")


def _is_retryable(exc: Exception) -> bool:
    if isinstance(exc, APICallError):
        return exc.is_retryable
    return isinstance(exc, TransportError | TimeoutError)


async def _close(response: httpx.Response, chunks: AsyncIterator[bytes]) -> None:
    """Close the response and finish its chunk iterator, even under cancellation.

    httpx's body iterators are nested async generators. One abandoned half-way
    is finalised by the event loop later (trio warns with a ResourceWarning), and
    closing the outer one leaves the inner ones suspended. So: close the
    response first, then pull from the iterator once more; the read fails at
    the bottom and the failure finishes every generator on its way up.
    """
    if response.is_closed and getattr(chunks, "ag_frame", True) is None:
        return  # read to the end: httpx closed the response and every generator finished
    with anyio.move_on_after(_CLOSE_TIMEOUT, shield=True):
        await response.aclose()
        try:
            async for _ in chunks:
                pass
        except Exception:
            pass  # the expected outcome: reading a closed response fails
