"""The RFC 6455 vocabulary shared by the WebSocket protocol and the connection (sans-IO).

The message type, the close codes the client uses, the connection ``State``,
the check of a close code and reason this side wants to send, and two
frame-level helpers of the parser: whether an incomplete UTF-8 sequence can
still become valid, and how many bytes complete a frame.
"""

from __future__ import annotations

import codecs
import enum
from typing import Final, final

from ..errors import InvalidArgumentError, LimitExceededError, ProtocolError

__all__ = [
    "CLOSE_ABNORMAL",
    "CLOSE_INTERNAL_ERROR",
    "CLOSE_INVALID_DATA",
    "CLOSE_MESSAGE_TOO_BIG",
    "CLOSE_NORMAL",
    "CLOSE_NO_STATUS",
    "CLOSE_PROTOCOL_ERROR",
    "Message",
    "State",
    "check_close_code",
]

Message = str | bytes
"""A WebSocket message: ``str`` for a text message, ``bytes`` for a binary one."""

# RFC 6455 section 7.4.1 status codes used by the client itself.
CLOSE_NORMAL: Final = 1000
CLOSE_PROTOCOL_ERROR: Final = 1002
CLOSE_NO_STATUS: Final = 1005
CLOSE_ABNORMAL: Final = 1006
CLOSE_INVALID_DATA: Final = 1007
CLOSE_MESSAGE_TOO_BIG: Final = 1009
CLOSE_INTERNAL_ERROR: Final = 1011


_MAX_CLOSE_REASON: Final = 123

# Data opcodes (RFC 6455 section 5.2).
_CONT: Final = 0x0
_TEXT: Final = 0x1
_BINARY: Final = 0x2

#: A data frame up to this size is parsed whole once all of it has arrived;
#: a larger one is streamed chunk by chunk as it arrives.
_WHOLE_FRAME_LIMIT: Final = 256 * 1024


def _close_code_is_valid(code: int) -> bool:
    """Codes a close frame may carry on the wire (RFC 6455 section 7.4, IANA registry).

    1004 is reserved, 1005/1006/1015 are local-only, 1016-2999 are unassigned.
    """
    return 1000 <= code <= 1003 or 1007 <= code <= 1014 or 3000 <= code <= 4999


def check_close_code(code: int, reason: str) -> bytes:
    """Validate a close code and reason this side wants to send; return the encoded reason."""
    if type(code) is not int or not _close_code_is_valid(code):
        raise InvalidArgumentError(
            f"close code {code!r} cannot be sent: use 1000-1003, 1007-1014 or 3000-4999",
            argument="code",
        )
    encoded = reason.encode("utf-8")
    # RFC 6455 section 5.5: a control frame payload is at most 125 bytes, 2 of them the code.
    if len(encoded) > _MAX_CLOSE_REASON:
        raise InvalidArgumentError(
            f"a close reason is at most {_MAX_CLOSE_REASON} bytes of UTF-8, got {len(encoded)}",
            argument="reason",
        )
    return encoded


def _utf8_prefix_is_valid(pending: bytes) -> bool:
    """Whether ``pending`` (an incomplete sequence, 1-3 bytes) can still become valid UTF-8.

    CPython's incremental decoder already rejects most impossible prefixes at
    once but holds back ``ED A0``-``ED BF`` (UTF-16 surrogates, invalid in
    UTF-8 per RFC 3629) until the next byte; this check fails them early.
    """
    first = pending[0]
    if len(pending) < 2:
        return 0xC2 <= first <= 0xF4
    second = pending[1]
    if first == 0xE0:
        ok = 0xA0 <= second <= 0xBF
    elif first == 0xED:
        ok = 0x80 <= second <= 0x9F
    elif first == 0xF0:
        ok = 0x90 <= second <= 0xBF
    elif first == 0xF4:
        ok = 0x80 <= second <= 0x8F
    else:
        ok = 0xC2 <= first <= 0xF3 and 0x80 <= second <= 0xBF
    return ok and all(0x80 <= b <= 0xBF for b in pending[2:])


def _bytes_to_complete(pending: bytes | memoryview, data: bytes) -> int | None:
    """How many bytes of ``data`` complete the frame that starts ``pending``.

    None when even ``pending + data`` does not hold the whole frame header.
    """
    head = bytes(pending[:10]) if len(pending) >= 10 else b"".join((pending, data[:10]))
    if len(head) < 2:
        return None
    length = head[1] & 0x7F
    size = 2
    if length == 126:
        size = 4
    elif length == 127:
        size = 10
    if len(head) < size:
        return None
    if size > 2:
        length = int.from_bytes(head[2:size], "big")
    return max(size + length - len(pending), 0)


_utf_8_decode: Final = codecs.utf_8_decode


class State(enum.Enum):
    """Where the connection stands after the opening handshake (RFC 6455 section 7)."""

    OPEN = "open"
    #: This side sent a close frame and waits for the peer's.
    CLOSING = "closing"
    #: Both close frames were exchanged, or the connection was failed or lost.
    CLOSED = "closed"


_Decoder = codecs.IncrementalDecoder


@final
class _Fail(Exception):
    """Internal: the peer broke RFC 6455; carries the close code and the messages before it."""

    def __init__(
        self, code: int, reason: str, error: ProtocolError | LimitExceededError | None = None
    ) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.error: ProtocolError | LimitExceededError = error or ProtocolError(
            f"WebSocket protocol violation by the peer: {reason} (closing with {code})",
            close_code=code,
        )
