"""HTTP pieces of the UI backend: error responses, a plain text response, request reading.

:class:`TextResponse` and :class:`~partstream.ui.UIMessageStreamResponse` are ASGI
applications (``await response(scope, receive, send)``). When Starlette is
installed they are also Starlette ``Response`` objects, so a Starlette or FastAPI
endpoint can return them as they are.

:func:`default_error_response` maps an error raised while the model stream opens
to the HTTP answer the browser gets (``useChat`` shows a non-2xx response's text
as the error):

========================================  ======  ====================================
error                                     status  text
========================================  ======  ====================================
InvalidArgumentError / LimitExceededError  400     its message (the request is at fault)
  of the request (:func:`read_chat_request`)
APICallError with upstream 429             429     rate limited (``Retry-After`` kept)
APICallError with upstream 503             503     unavailable (``Retry-After`` kept)
APICallError, any other status             502     the model provider failed
partstream TimeoutError                    504     the model provider timed out
TransportError (connect, reset, TLS)       502     could not reach the model provider
InvalidArgumentError from the model call   400     its message
anything else                              500     "An error occurred."
========================================  ======  ====================================

The texts never carry the upstream's body, URL or headers: they are the
server's, not the browser's, business (and may echo credentials).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import TYPE_CHECKING, Any, Final, final

import attrs

from ..errors import (
    APICallError,
    InvalidArgumentError,
    LimitExceededError,
    TimeoutError,
    TransportError,
)
from ._request import DEFAULT_CHAT_REQUEST_LIMITS, ChatRequest, ChatRequestLimits, ChatRequestReader

__all__ = [
    "ASGIReceive",
    "ASGISend",
    "ErrorResponse",
    "ResponseBase",
    "TextResponse",
    "default_error_response",
    "read_chat_request",
]

logger = logging.getLogger("partstream.ui")

ASGIMessage = MutableMapping[str, Any]
ASGIReceive = Callable[[], Awaitable[ASGIMessage]]
ASGISend = Callable[[ASGIMessage], Awaitable[None]]
#: The longest error message of a 400 answer (longer ones are cut).
MAX_ERROR_TEXT: Final = 500

if TYPE_CHECKING:
    from starlette.responses import Response as ResponseBase
else:
    try:  # Starlette/FastAPI endpoints return Response objects as they are.
        from starlette.responses import Response as ResponseBase
    except ImportError:  # pragma: no cover - depends on the environment
        ResponseBase = object


@final
@attrs.frozen
class ErrorResponse:
    """An HTTP error answer: status, a short plain text, extra headers."""

    status: int
    text: str
    headers: tuple[tuple[str, str], ...] = ()


def _short(text: str) -> str:
    return text if len(text) <= MAX_ERROR_TEXT else text[:MAX_ERROR_TEXT] + "..."


def _retry_after(exc: APICallError) -> tuple[tuple[str, str], ...]:
    if exc.retry_after is not None and math.isfinite(exc.retry_after):
        return (("retry-after", str(max(0, math.ceil(exc.retry_after)))),)
    for key, value in exc.response_headers.items():
        if key.lower() == "retry-after":
            return (("retry-after", value),)
    return ()


def default_error_response(exc: BaseException) -> ErrorResponse:
    """The HTTP answer for an error raised before the stream started (see the table)."""
    if isinstance(exc, InvalidArgumentError | LimitExceededError):
        return ErrorResponse(400, _short(str(exc)))
    if isinstance(exc, APICallError):
        if exc.status_code == 429:
            return ErrorResponse(
                429, "The model provider is rate limited; try again later.", _retry_after(exc)
            )
        if exc.status_code == 503:
            return ErrorResponse(
                503, "The model provider is unavailable; try again later.", _retry_after(exc)
            )
        return ErrorResponse(502, "The model provider returned an error.")
    if isinstance(exc, TimeoutError):
        return ErrorResponse(504, "The model provider did not answer in time.")
    if isinstance(exc, TransportError):
        return ErrorResponse(502, "Could not reach the model provider.")
    return ErrorResponse(500, "An error occurred.")


def _header_list(headers: Mapping[str, str] | None) -> list[tuple[bytes, bytes]]:
    return [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]


@final
class TextResponse(ResponseBase):
    """A plain text ASGI response (``text/plain; charset=utf-8``)."""

    def __init__(
        self, text: str, status_code: int = 200, headers: Mapping[str, str] | None = None
    ) -> None:
        self.status_code = status_code
        self.body = text.encode("utf-8")
        self.background = None
        raw = [(k, v) for k, v in _header_list(headers) if k not in (b"content-type",)]
        self.raw_headers = [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", str(len(self.body)).encode()),
            *[(k, v) for k, v in raw if k != b"content-length"],
        ]

    @classmethod
    def for_error(cls, error: ErrorResponse) -> TextResponse:
        return cls(error.text, error.status, dict(error.headers))

    async def __call__(self, scope: Any, receive: ASGIReceive, send: ASGISend) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        await send({"type": "http.response.body", "body": self.body, "more_body": False})


async def read_chat_request(
    request: Any,
    *,
    scope: Mapping[str, Any] | None = None,
    limits: ChatRequestLimits = DEFAULT_CHAT_REQUEST_LIMITS,
    strict: bool = False,
) -> ChatRequest:
    """Read and validate a ``useChat`` request, stopping as soon as a limit is passed.

    ``request`` is an ASGI ``receive`` callable (pass the ``scope`` too, for its
    headers) or anything with ``.stream()`` (an async iterator of body bytes) and
    ``.headers`` (a Starlette ``Request``). A ``Content-Length`` above
    ``limits.max_body_bytes`` is refused before the body is read. Raises
    :class:`~partstream.errors.LimitExceededError` or
    :class:`~partstream.errors.InvalidArgumentError`: answer them with
    ``TextResponse.for_error(default_error_response(exc))`` (a 400).
    """
    reader = ChatRequestReader(limits=limits, strict=strict)
    stream = getattr(request, "stream", None)
    if callable(stream):
        headers = getattr(request, "headers", None)
        if headers is not None:
            reader.check_length(headers.get("content-length"))
        pieces = stream()
        try:
            async for piece in pieces:
                reader.feed(piece)  # raises once the body passes the limit
        finally:
            aclose = getattr(pieces, "aclose", None)
            if aclose is not None:  # a body left unread: close its generator now
                await aclose()
        return reader.finish()
    for key, value in (scope or {}).get("headers", ()):
        if key.lower() == b"content-length":
            reader.check_length(value.decode("latin-1"))
    while True:
        message = await request()
        kind = message.get("type")
        if kind == "http.disconnect":
            raise InvalidArgumentError("the client went away before the request was read")
        if kind == "http.request":
            reader.feed(message.get("body", b""))
            if not message.get("more_body", False):
                return reader.finish()
