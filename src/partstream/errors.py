"""The one exception tree of partstream.

Every error the library raises on purpose is a :class:`PartstreamError`.
Exceptions of the libraries underneath (httpx, h11, wsproto, json, ssl, OS
socket errors) are translated where they cross into partstream and kept as
``__cause__``; they never reach the caller bare, and neither does an
``ExceptionGroup`` of internal tasks::

    PartstreamError
    ├── InvalidArgumentError            a call was made with a bad argument (a ValueError too)
    │   ├── NoSuchProviderReferenceError   no file reference for this provider
    │   └── UnsupportedFunctionalityError  the provider cannot express this input
    ├── LimitExceededError              a configured bound was hit; names the limit and its option
    ├── APICallError                    an HTTP API answered with an error status
    ├── InvalidResponseDataError        a peer sent data that does not parse or fit the schema
    ├── TimeoutError                    an operation ran past its deadline (builtin one too)
    │   └── PollingTimeoutError            polling a background run gave up; the run goes on
    ├── StreamResumeError               resuming an SSE stream gave up (``__cause__``: last cause)
    ├── TransportError                  the network failed under us (connect refused, reset, TLS)
    │   └── ConnectError                   could not establish the connection
    ├── ProtocolError                   the peer broke the wire protocol (SSE, HTTP/1.1, RFC 6455)
    ├── WebSocketHandshakeError         the server refused or botched the opening handshake
    └── ConnectionClosed                a WebSocket is closed; ``code``/``reason`` as reported
        ├── ClosedByYouError               you closed it (or are closing it), then used it
        └── ClosedByPeerError              the peer closed it, cleanly or not
            └── ConnectionBrokenError         it ended without a close handshake (1006) or
                                              after a protocol violation (1002, 1007, 1009, 1011)

Keep the three ways a connection ends apart: *closed by you* (ClosedByYouError),
*broken by the peer* (ClosedByPeerError, ConnectionBrokenError) and *protocol
violation* (ProtocolError; the WebSocket is then closed with the RFC 6455 code
and later use raises ConnectionBrokenError carrying that code).

The Gateway error classes (``GatewayError`` and subclasses) live at the bottom
of this file and follow the AI SDK's names.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from typing import Any, Final

__all__ = [
    "APICallError",
    "ClosedByPeerError",
    "ClosedByYouError",
    "ConnectError",
    "ConnectionBrokenError",
    "ConnectionClosed",
    "GatewayAuthenticationError",
    "GatewayError",
    "GatewayFailedDependencyError",
    "GatewayForbiddenError",
    "GatewayInternalServerError",
    "GatewayInvalidRequestError",
    "GatewayModelNotFoundError",
    "GatewayNotFoundError",
    "GatewayRateLimitError",
    "GatewayResponseError",
    "GatewayTimeoutError",
    "InvalidArgumentError",
    "InvalidResponseDataError",
    "LimitExceededError",
    "NoSuchProviderReferenceError",
    "PartstreamError",
    "PollingTimeoutError",
    "ProtocolError",
    "StreamResumeError",
    "TimeoutError",
    "TransportError",
    "UnsupportedFunctionalityError",
    "WebSocketHandshakeError",
    "is_retryable_status",
    "truncate_body",
]

#: How much of a response body an error keeps (bytes of UTF-8 text).
MAX_ERROR_BODY: Final = 4096


def truncate_body(body: bytes | str | None, limit: int = MAX_ERROR_BODY) -> str | None:
    """A bounded, printable excerpt of a response body for an error message."""
    if body is None:
        return None
    text = body[: limit + 1].decode("utf-8", "replace") if isinstance(body, bytes) else body
    if len(text) > limit:
        return text[:limit] + f"... [truncated at {limit} characters]"
    return text


class PartstreamError(Exception):
    """Base class of every error partstream raises on purpose."""


class InvalidArgumentError(PartstreamError, ValueError):
    """A function was called with an argument it cannot accept."""

    def __init__(self, message: str, *, argument: str | None = None) -> None:
        super().__init__(message)
        self.argument = argument


class NoSuchProviderReferenceError(InvalidArgumentError):
    """A provider reference (uploaded file) has no entry for the provider in use."""

    def __init__(self, *, provider: str, reference: Mapping[str, str]) -> None:
        available = ", ".join(reference)
        super().__init__(
            f"No provider reference found for provider '{provider}'. "
            f"Available providers: {available}",
            argument="reference",
        )
        self.provider = provider
        self.reference = dict(reference)


class UnsupportedFunctionalityError(InvalidArgumentError):
    """The input uses something the provider cannot express (AI SDK name and wording)."""

    def __init__(self, functionality: str, *, message: str | None = None) -> None:
        super().__init__(message or f"'{functionality}' functionality not supported.")
        self.functionality = functionality


class LimitExceededError(PartstreamError):
    """A bounded buffer or counter reached its limit.

    The message names the limit, its value and the option that raises it.
    """

    def __init__(self, *, limit: str, value: int, option: str, detail: str = "") -> None:
        extra = f" ({detail})" if detail else ""
        super().__init__(f"{limit} exceeded the limit of {value}{extra}; raise it with {option}=")
        self.limit = limit
        self.value = value
        self.option = option


class APICallError(PartstreamError):
    """An HTTP API answered with a status that is not a success.

    The message is the server's own (Google's ``error.message``), as in the AI SDK;
    ``status_code`` and ``url`` say where it came from. ``response_body`` is a
    bounded excerpt of the response body; ``is_retryable`` follows the AI SDK rule
    (408, 409, 429 and 5xx can be retried); ``retry_after`` is the server's
    ``Retry-After`` in seconds when it sent one.
    """

    def __init__(
        self,
        message: str,
        *,
        url: str,
        status_code: int | None = None,
        response_headers: Mapping[str, str] | None = None,
        response_body: str | None = None,
        retry_after: float | None = None,
        is_retryable: bool | None = None,
        data: Any = None,
    ) -> None:
        super().__init__(message)
        self.url = url
        self.status_code = status_code
        self.response_headers = dict(response_headers or {})
        self.response_body = truncate_body(response_body)
        self.retry_after = retry_after
        self.is_retryable = (
            is_retryable
            if is_retryable is not None
            else status_code is not None and is_retryable_status(status_code)
        )
        self.data = data

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r}, status_code={self.status_code!r})"


def is_retryable_status(status: int) -> bool:
    """The AI SDK's retry rule: request timeout, conflict, rate limit, server errors."""
    return status in (408, 409, 429) or status >= 500


class InvalidResponseDataError(PartstreamError):
    """A peer sent data that is not valid JSON or does not have the expected shape."""

    def __init__(self, message: str, *, data: Any = None) -> None:
        super().__init__(message)
        self.data = data


class TimeoutError(PartstreamError, builtins.TimeoutError):
    """An operation (polling, a close handshake, a keepalive pong) ran past its deadline."""


class PollingTimeoutError(TimeoutError):
    """Polling a background interaction ran out of time before it finished.

    The run is left alone on the server (as the AI SDK does: it cancels only when
    the caller aborts): fetch it later (``GET .../interactions/{interaction_id}``),
    stream it with ``model.resume(...)`` or cancel it. ``timeout_ms`` is the limit
    that passed.
    """

    def __init__(self, message: str, *, interaction_id: str, timeout_ms: float) -> None:
        super().__init__(message)
        self.interaction_id = interaction_id
        self.timeout_ms = timeout_ms


class StreamResumeError(PartstreamError):
    """Resuming a dropped SSE stream gave up; ``__cause__`` is the last failure."""

    def __init__(self, message: str, *, attempts: int, last_event_id: str | None) -> None:
        super().__init__(message)
        self.attempts = attempts
        self.last_event_id = last_event_id


class TransportError(PartstreamError):
    """The network failed under an operation (reset, refused, TLS failure, EOF)."""


class ConnectError(TransportError):
    """The connection could not be established."""


class ProtocolError(PartstreamError):
    """The peer violated the wire protocol.

    For WebSockets ``close_code`` is the RFC 6455 code the connection was failed with.
    """

    def __init__(self, message: str, *, close_code: int | None = None) -> None:
        super().__init__(message)
        self.close_code = close_code


class WebSocketHandshakeError(PartstreamError):
    """The WebSocket opening handshake failed.

    A refusal (401, 403, ...) carries ``status_code``, ``headers`` and a bounded ``body``.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        headers: Mapping[str, str] | None = None,
        body: bytes | str | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.headers = dict(headers or {})
        self.body = truncate_body(body)


class ConnectionClosed(PartstreamError):
    """A WebSocket connection is closed. ``code``/``reason`` are what was reported."""

    def __init__(self, message: str, *, code: int, reason: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason


class ClosedByYouError(ConnectionClosed):
    """The connection was closed by this side, then used."""


class ClosedByPeerError(ConnectionClosed):
    """The peer closed the connection."""


class ConnectionBrokenError(ClosedByPeerError):
    """The connection ended abnormally (1006) or was failed for a protocol violation."""


# --- AI Gateway errors (names as in @ai-sdk/gateway) -------------------------------------


class GatewayError(PartstreamError):
    """Base of the AI Gateway errors.

    ``status_code`` is the HTTP status (each class has the reference's default),
    ``error_type`` the Gateway's ``error.type``, ``generation_id`` the Gateway's
    generation id when it sent one (the message then ends with ``[<id>]``, as in
    the AI SDK) and ``is_retryable`` follows the AI SDK rule (408, 409, 429, 5xx).
    """

    error_type: str = "gateway_error"
    default_status_code: int = 500

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        cause: BaseException | None = None,
        generation_id: str | None = None,
        is_retryable: bool | None = None,
    ) -> None:
        super().__init__(f"{message} [{generation_id}]" if generation_id else message)
        self.status_code = status_code if status_code is not None else self.default_status_code
        self.generation_id = generation_id
        self.is_retryable = (
            is_retryable if is_retryable is not None else is_retryable_status(self.status_code)
        )
        if cause is not None:
            self.__cause__ = cause


class GatewayAuthenticationError(GatewayError):
    """Missing or rejected Gateway credentials."""

    error_type = "authentication_error"
    default_status_code = 401


class GatewayInvalidRequestError(GatewayError):
    """The Gateway rejected the request as malformed."""

    error_type = "invalid_request_error"
    default_status_code = 400


class GatewayRateLimitError(GatewayError):
    """The Gateway rate limit was hit."""

    error_type = "rate_limit_exceeded"
    default_status_code = 429


class GatewayModelNotFoundError(GatewayError):
    """The requested model is not available on the Gateway."""

    error_type = "model_not_found"
    default_status_code = 404

    def __init__(self, message: str, *, model_id: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.model_id = model_id


class GatewayInternalServerError(GatewayError):
    """The Gateway failed internally."""

    error_type = "internal_server_error"
    default_status_code = 500


class GatewayFailedDependencyError(GatewayError):
    """A dependency the request relies on is not available on the credentials or provider used."""

    error_type = "failed_dependency"
    default_status_code = 424


class GatewayResponseError(GatewayError):
    """The Gateway answered with something that is not a valid response or error.

    ``response`` is the (bounded) body that did not fit; ``validation_error`` says why.
    """

    error_type = "response_error"
    default_status_code = 502

    def __init__(
        self,
        message: str,
        *,
        response: Any = None,
        validation_error: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.response = response
        self.validation_error = validation_error


class GatewayForbiddenError(GatewayError):
    """The request was refused by policy (such as a routing rule), not for bad credentials."""

    error_type = "forbidden"
    default_status_code = 403

    def __init__(self, message: str, *, rule_id: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.rule_id = rule_id


class GatewayNotFoundError(GatewayError):
    """A Gateway resource (not a model) does not exist or is not visible to the caller."""

    error_type = "not_found"
    default_status_code = 404


class GatewayTimeoutError(GatewayError):
    """The request to the Gateway timed out on this side before an answer came."""

    error_type = "timeout_error"
    default_status_code = 408
