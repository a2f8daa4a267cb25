"""The core classes of :mod:`partstream.errors` (whose docstring draws the tree).

Import them from :mod:`partstream.errors`.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from typing import Any, Final

__all__ = [
    "APICallError",
    "ActiveRunError",
    "ClosedByPeerError",
    "ClosedByYouError",
    "ConnectError",
    "ConnectionBrokenError",
    "ConnectionClosed",
    "InvalidArgumentError",
    "InvalidResponseDataError",
    "LeaseHeldError",
    "LeaseLostError",
    "LimitExceededError",
    "LogGoneError",
    "LogTrimmedError",
    "MissingDependencyError",
    "NoActiveRunError",
    "NoSuchProviderReferenceError",
    "PartstreamError",
    "PollingTimeoutError",
    "ProducerGoneError",
    "ProtocolError",
    "ResumableError",
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


class MissingDependencyError(PartstreamError, ImportError):
    """A feature needs an optional dependency that is not installed; ``extra`` installs it."""

    def __init__(self, feature: str, *, package: str, extra: str) -> None:
        super().__init__(f"{feature} needs {package}: pip install 'partstream[{extra}]'")
        self.package = package
        self.extra = extra


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


class LogTrimmedError(LimitExceededError):
    """A reader asked for chunks the capped log no longer holds.

    ``offset`` is the reader's offset, ``start`` the first offset the log still
    holds; ``option`` names the store option whose limit trimmed it.
    """

    def __init__(self, *, value: int, option: str, offset: int, start: int, unit: str) -> None:
        super().__init__(
            limit="resumable log",
            value=value,
            option=option,
            detail=f"{unit}; offset {offset} was trimmed, the log now starts at {start}",
        )
        self.offset = offset
        self.start = start


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


class ResumableError(PartstreamError):
    """Base of the errors of the shared logs of :mod:`partstream.resumable`.

    ``chat_id`` and ``run_id`` name the run concerned when there is one.
    """

    def __init__(self, message: str, *, chat_id: str | None = None, run_id: str | None = None):
        super().__init__(message)
        self.chat_id = chat_id
        self.run_id = run_id


class LeaseLostError(ResumableError):
    """The lease this writer held expired or was taken by another worker (fencing).

    Nothing was written by the refused call; a worker that gets this must stop producing.
    """


class LeaseHeldError(ResumableError):
    """A live worker holds the run's lease, so it cannot be taken over now.

    ``owner`` names the holder as it registered itself.
    """

    def __init__(
        self,
        message: str,
        *,
        chat_id: str | None = None,
        run_id: str | None = None,
        owner: str | None = None,
    ):
        super().__init__(message, chat_id=chat_id, run_id=run_id)
        self.owner = owner


class ActiveRunError(ResumableError):
    """The chat already has an active run; ``lease_alive`` says whether its producer lives."""

    def __init__(
        self,
        message: str,
        *,
        chat_id: str | None = None,
        run_id: str | None = None,
        lease_alive: bool = True,
    ):
        super().__init__(message, chat_id=chat_id, run_id=run_id)
        self.lease_alive = lease_alive


class NoActiveRunError(ResumableError):
    """There is no run to read or take over (none began, it ended, or it expired)."""


class LogGoneError(ResumableError):
    """The log vanished under a reader or writer, or lost entries it had.

    Its keys expired (``ttl``), or the Redis server lost its data (a restart without
    persistence).
    """


class ProducerGoneError(ResumableError):
    """A reader waited ``orphan_timeout`` seconds on a run whose lease nobody holds.

    The producer died and no worker took the run over. ``offset`` is where the
    reader stood, so it can read on from there after a takeover.
    """

    def __init__(self, message: str, *, chat_id: str, run_id: str, offset: int):
        super().__init__(message, chat_id=chat_id, run_id=run_id)
        self.offset = offset


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
    A 101 answer the client refused after the upgrade (a permessage-deflate answer
    that breaks RFC 7692) carries ``close_code``: the RFC 6455 code the client
    failed the connection with (1002, or 1010 for an agreement it cannot use).
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        headers: Mapping[str, str] | None = None,
        body: bytes | str | None = None,
        close_code: int | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.headers = dict(headers or {})
        self.body = truncate_body(body)
        self.close_code = close_code


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


for _name in __all__:
    _obj = globals()[_name]
    if isinstance(_obj, type):
        _obj.__module__ = "partstream.errors"
