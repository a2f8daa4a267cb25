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
    ├── MissingDependencyError          an optional dependency is not installed (an ImportError too)
    ├── LimitExceededError              a configured bound was hit; names the limit and its option
    │   └── LogTrimmedError                a reader's offset fell off a capped resumable log
    ├── APICallError                    an HTTP API answered with an error status
    ├── InvalidResponseDataError        a peer sent data that does not parse or fit the schema
    ├── TimeoutError                    an operation ran past its deadline (builtin one too)
    │   └── PollingTimeoutError            polling a background run gave up; the run goes on
    ├── StreamResumeError               resuming an SSE stream gave up (``__cause__``: last cause)
    ├── TransportError                  the network failed under us (connect refused, reset, TLS)
    │   └── ConnectError                   could not establish the connection
    ├── ResumableError                  a shared log (partstream.resumable) refused an operation
    │   ├── LeaseLostError                 your lease expired or was taken over: writes refused
    │   ├── LeaseHeldError                 a live worker holds the run's lease: takeover refused
    │   ├── ActiveRunError                 the chat already has an active run: a new one refused
    │   ├── NoActiveRunError               the chat (or run) has no run to read or take over
    │   ├── LogGoneError                   the log vanished or lost entries (expired, data lost)
    │   └── ProducerGoneError              a reader waited on a run whose producer is gone
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

The Gateway error classes (``GatewayError`` and subclasses) follow the AI SDK's
names; they live in ``_errors_gateway.py`` and are re-exported here.
"""

from __future__ import annotations

from ._errors_base import MAX_ERROR_BODY as MAX_ERROR_BODY
from ._errors_base import (
    ActiveRunError as ActiveRunError,
)
from ._errors_base import (
    APICallError as APICallError,
)
from ._errors_base import (
    ClosedByPeerError as ClosedByPeerError,
)
from ._errors_base import (
    ClosedByYouError as ClosedByYouError,
)
from ._errors_base import (
    ConnectError as ConnectError,
)
from ._errors_base import (
    ConnectionBrokenError as ConnectionBrokenError,
)
from ._errors_base import (
    ConnectionClosed as ConnectionClosed,
)
from ._errors_base import (
    InvalidArgumentError as InvalidArgumentError,
)
from ._errors_base import (
    InvalidResponseDataError as InvalidResponseDataError,
)
from ._errors_base import (
    LeaseHeldError as LeaseHeldError,
)
from ._errors_base import (
    LeaseLostError as LeaseLostError,
)
from ._errors_base import (
    LimitExceededError as LimitExceededError,
)
from ._errors_base import (
    LogGoneError as LogGoneError,
)
from ._errors_base import (
    LogTrimmedError as LogTrimmedError,
)
from ._errors_base import (
    MissingDependencyError as MissingDependencyError,
)
from ._errors_base import (
    NoActiveRunError as NoActiveRunError,
)
from ._errors_base import (
    NoSuchProviderReferenceError as NoSuchProviderReferenceError,
)
from ._errors_base import (
    PartstreamError as PartstreamError,
)
from ._errors_base import (
    PollingTimeoutError as PollingTimeoutError,
)
from ._errors_base import (
    ProducerGoneError as ProducerGoneError,
)
from ._errors_base import (
    ProtocolError as ProtocolError,
)
from ._errors_base import (
    ResumableError as ResumableError,
)
from ._errors_base import (
    StreamResumeError as StreamResumeError,
)
from ._errors_base import (
    TimeoutError as TimeoutError,
)
from ._errors_base import (
    TransportError as TransportError,
)
from ._errors_base import (
    UnsupportedFunctionalityError as UnsupportedFunctionalityError,
)
from ._errors_base import (
    WebSocketHandshakeError as WebSocketHandshakeError,
)
from ._errors_base import (
    is_retryable_status as is_retryable_status,
)
from ._errors_base import (
    truncate_body as truncate_body,
)
from ._errors_gateway import (
    GatewayAuthenticationError as GatewayAuthenticationError,
)
from ._errors_gateway import (
    GatewayError as GatewayError,
)
from ._errors_gateway import (
    GatewayFailedDependencyError as GatewayFailedDependencyError,
)
from ._errors_gateway import (
    GatewayForbiddenError as GatewayForbiddenError,
)
from ._errors_gateway import (
    GatewayInternalServerError as GatewayInternalServerError,
)
from ._errors_gateway import (
    GatewayInvalidRequestError as GatewayInvalidRequestError,
)
from ._errors_gateway import (
    GatewayModelNotFoundError as GatewayModelNotFoundError,
)
from ._errors_gateway import (
    GatewayNotFoundError as GatewayNotFoundError,
)
from ._errors_gateway import (
    GatewayRateLimitError as GatewayRateLimitError,
)
from ._errors_gateway import (
    GatewayResponseError as GatewayResponseError,
)
from ._errors_gateway import (
    GatewayTimeoutError as GatewayTimeoutError,
)

__all__ = [
    "APICallError",
    "ActiveRunError",
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
