"""Small ASGI helpers (no framework) and the per-connection fault schedule."""

from __future__ import annotations

import json
import random
from collections.abc import Awaitable, Callable, MutableMapping
from enum import Enum
from typing import Any, Final
from urllib.parse import parse_qsl

from ._script_and_faults import Faults

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

#: Largest request body the emulator reads (a 413 beyond it).
MAX_REQUEST_BODY: Final = 16 << 20

#: Google API error statuses by HTTP code (google.rpc.Code names).
GOOGLE_STATUS: Final = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "ABORTED",
    413: "INVALID_ARGUMENT",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "NOT_IMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}

#: Gateway error types by HTTP code (the AI Gateway's error body `type`).
GATEWAY_ERROR_TYPE: Final = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "forbidden",
    404: "model_not_found",
    429: "rate_limit_exceeded",
    500: "internal_server_error",
    502: "internal_server_error",
    503: "internal_server_error",
}


class BodyTooLargeError(Exception):
    """The request body is over MAX_REQUEST_BODY."""


class ClientGoneError(Exception):
    """The client disconnected before the request body was read."""


def header(scope: Scope, name: str) -> str | None:
    """The first value of a request header (latin-1), or None."""
    wanted = name.lower().encode("latin-1")
    for key, value in scope.get("headers", ()):
        if bytes(key).lower() == wanted:
            return bytes(value).decode("latin-1")
    return None


def headers_dict(scope: Scope) -> dict[str, str]:
    return {
        bytes(k).decode("latin-1").lower(): bytes(v).decode("latin-1")
        for k, v in scope.get("headers", ())
    }


def query_params(scope: Scope) -> dict[str, str]:
    raw = bytes(scope.get("query_string", b"")).decode("latin-1")
    return dict(parse_qsl(raw, keep_blank_values=True))


async def read_body(receive: Receive, limit: int = MAX_REQUEST_BODY) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGoneError
        body = bytes(message.get("body", b""))
        size += len(body)
        if size > limit:
            raise BodyTooLargeError
        chunks.append(body)
        if not message.get("more_body", False):
            return b"".join(chunks)


def dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


async def send_json(
    send: Send,
    status: int,
    value: Any,
    extra_headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    body = dumps(value)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json; charset=UTF-8"),
                (b"content-length", str(len(body)).encode()),
                *(extra_headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body, "more_body": False})


def google_error(code: int, message: str) -> dict[str, Any]:
    """Google's error body: {"error": {"code", "message", "status"}}."""
    return {
        "error": {
            "code": code,
            "message": message,
            "status": GOOGLE_STATUS.get(code, "UNKNOWN"),
        }
    }


def gateway_error(code: int, message: str) -> dict[str, Any]:
    """The AI Gateway's error body: {"error": {"message", "type"}}."""
    return {
        "error": {
            "message": message,
            "type": GATEWAY_ERROR_TYPE.get(code, "internal_server_error"),
        }
    }


class Action(Enum):
    SEND = "send"
    DROP = "drop"
    STALL = "stall"
    MALFORMED = "malformed"
    CLOSE = "close"


class FaultSchedule:
    """Decides, before each server event of one connection, what to do."""

    def __init__(self, faults: Faults | None, rng: random.Random) -> None:
        self.faults = faults
        self._rng = rng
        self.sent = 0
        self._stalled = False
        self._malformed = False

    def next_action(self) -> Action:
        f = self.faults
        if f is None:
            return Action.SEND
        if f.drop_after is not None and self.sent >= f.drop_after:
            return Action.DROP
        if f.drop_probability > 0 and self._rng.random() < f.drop_probability:
            return Action.DROP
        if f.close_code is not None and self.sent >= f.close_after:
            return Action.CLOSE
        if f.stall_after is not None and not self._stalled and self.sent >= f.stall_after:
            self._stalled = True
            return Action.STALL
        if f.malformed_after is not None and not self._malformed and self.sent >= f.malformed_after:
            self._malformed = True
            return Action.MALFORMED
        return Action.SEND
