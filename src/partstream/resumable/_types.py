"""The values the stores trade in: leases, run records, log ends, slices, chunk encoding.

A *chunk* is one UI message chunk as JSON: a JSON-ready mapping, or its
already-encoded JSON text (``str`` or UTF-8 ``bytes``) on one line. The log
keeps the encoded text and gives readers the same bytes back, so a server can
frame them as ``data: <json>`` without decoding them again.

A *state document* is an opaque JSON-ready mapping the producer stores with the
chunks it follows (the orchestration keeps the ``InteractionCursor`` dict and
the UI converter's ``snapshot()`` in it); the store never looks inside.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Final, Literal, TypeAlias, final

import attrs

from ..codecs.json import loads as _loads
from ..errors import InvalidArgumentError, InvalidResponseDataError, LimitExceededError

__all__ = [
    "DEFAULT_LEASE_TTL",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_CHUNKS",
    "DEFAULT_ORPHAN_TIMEOUT",
    "DEFAULT_TTL",
    "AppendResult",
    "Chunk",
    "EndKind",
    "Lease",
    "LogEnd",
    "LogSlice",
    "RunInfo",
    "RunStatus",
    "check_chat_id",
    "check_int",
    "check_text",
    "decode_state",
    "encode_batch",
    "encode_chunk",
    "encode_chunks",
    "encode_state",
]

#: Seconds a chat's keys live after their last write (refreshed while a producer runs).
DEFAULT_TTL: Final = 3600.0
#: Seconds a producer's lease lives unless renewed (it renews every third of it).
DEFAULT_LEASE_TTL: Final = 10.0
#: Chunks a log keeps; older ones are trimmed (a reader behind them gets LogTrimmedError).
DEFAULT_MAX_CHUNKS: Final = 50_000
#: Bytes of chunk JSON a log keeps; older chunks are trimmed past it.
DEFAULT_MAX_BYTES: Final = 8 * 1024 * 1024
#: Seconds a reader waits on a run whose lease nobody holds before ProducerGoneError.
DEFAULT_ORPHAN_TIMEOUT: Final = 30.0
#: Longest chat id (characters) and end reason (characters) accepted.
MAX_ID_LENGTH: Final = 256
MAX_REASON_LENGTH: Final = 1000

Chunk: TypeAlias = Mapping[str, Any] | str | bytes
"""A UI chunk: a JSON-ready mapping or its JSON text on one line."""

EndKind: TypeAlias = Literal["finish", "error", "abort"]
"""How a log ended: the message finished, failed, or was stopped (or replaced)."""

RunStatus: TypeAlias = Literal["active", "ended"]

END_KINDS: Final[frozenset[str]] = frozenset(("finish", "error", "abort"))

try:
    import msgspec.json

    _encode = msgspec.json.Encoder().encode
    _ENCODE_ERRORS: tuple[type[BaseException], ...] = (TypeError, ValueError, OverflowError)
except ImportError:  # pragma: no cover - msgspec is a dependency; the fallback keeps working
    _stdlib = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)

    def _encode(value: Any) -> bytes:
        return _stdlib.encode(value).encode("utf-8")

    _ENCODE_ERRORS = (TypeError, ValueError, OverflowError)


_LINE_BREAK_ERROR: Final = "a chunk's JSON text must be one non-empty line (no CR or LF)"


def encode_chunk(chunk: Chunk) -> bytes:
    """One chunk as the UTF-8 JSON text the log keeps (one line, never empty)."""
    if type(chunk) is bytes:
        text = chunk
    elif isinstance(chunk, str):
        text = chunk.encode("utf-8")
    elif isinstance(chunk, Mapping):
        try:
            return _encode(chunk)  # compact JSON escapes every line break
        except _ENCODE_ERRORS as exc:
            raise InvalidArgumentError(
                f"a chunk must be JSON-ready: {exc}", argument="chunks"
            ) from exc
    elif isinstance(chunk, bytes | bytearray | memoryview):
        text = bytes(chunk)
    else:
        raise InvalidArgumentError(
            f"a chunk is a mapping or its JSON text, not {type(chunk).__name__}",
            argument="chunks",
        )
    # The log separates the chunks of an entry with LF, and an SSE data line ends at CR or LF.
    if not text or b"\n" in text or b"\r" in text:
        raise InvalidArgumentError(_LINE_BREAK_ERROR, argument="chunks")
    return text


def encode_chunks(chunks: Sequence[Chunk] | Chunk) -> list[bytes]:
    """Every chunk as one line of UTF-8 JSON text; ``encode_batch`` without the caps."""
    return encode_batch(chunks, max_chunks=2**62, max_bytes=2**62)[0]


def encode_batch(
    chunks: Sequence[Chunk] | Chunk, *, max_chunks: int, max_bytes: int
) -> tuple[list[bytes], int]:
    """The chunks of one append, encoded, and their size; a batch no log could hold is refused.

    The hot path: text already encoded is checked for line breaks all at once.
    """
    if type(chunks) is not list and isinstance(chunks, str | bytes | Mapping):
        raise InvalidArgumentError(
            "chunks is a sequence of chunks; wrap a single chunk in a list", argument="chunks"
        )
    data = [c if type(c) is bytes else encode_chunk(c) for c in chunks]
    joined = b"".join(data)
    if b"\n" in joined or b"\r" in joined or not all(data):
        raise InvalidArgumentError(_LINE_BREAK_ERROR, argument="chunks")
    size = len(joined)
    if len(data) > max_chunks:
        raise LimitExceededError(
            limit="chunks in one append", value=max_chunks, option="max_chunks"
        )
    if size > max_bytes:
        raise LimitExceededError(
            limit="bytes in one append", value=max_bytes, option="max_bytes", detail=f"{size}"
        )
    return data, size


def encode_state(state: Mapping[str, Any]) -> bytes:
    """A state document as compact JSON."""
    if not isinstance(state, Mapping):
        raise InvalidArgumentError(
            f"a state document is a mapping, not {type(state).__name__}", argument="state"
        )
    try:
        return _encode(state)
    except _ENCODE_ERRORS as exc:
        raise InvalidArgumentError(
            f"a state document must be JSON-ready: {exc}", argument="state"
        ) from exc


def decode_state(data: bytes | str | None) -> dict[str, Any] | None:
    if data is None or data in (b"", ""):
        return None
    value = _loads(data)
    if not isinstance(value, dict):
        raise InvalidResponseDataError("a stored state document is not a JSON object")
    return value


def check_text(name: str, value: object) -> str:
    """A non-empty string argument."""
    if not isinstance(value, str) or not value:
        raise InvalidArgumentError(f"{name} must be a non-empty string", argument=name)
    return value


def check_int(name: str, value: object, minimum: int) -> int:
    """An int argument (not a bool) of at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidArgumentError(f"{name} must be an int >= {minimum}", argument=name)
    return value


def check_chat_id(chat_id: str) -> str:
    """Chat ids become part of keys (a Redis Cluster hash tag), so they are kept plain."""
    check_text("chat_id", chat_id)
    if len(chat_id) > MAX_ID_LENGTH:
        raise InvalidArgumentError(
            f"chat_id is longer than {MAX_ID_LENGTH} characters", argument="chat_id"
        )
    if "{" in chat_id or "}" in chat_id or not chat_id.isprintable():
        raise InvalidArgumentError(
            "chat_id must be printable and hold no '{' or '}'", argument="chat_id"
        )
    return chat_id


def check_reason(reason: str | None) -> str | None:
    if reason is None:
        return None
    if not isinstance(reason, str):
        raise InvalidArgumentError("reason must be a string", argument="reason")
    return reason[:MAX_REASON_LENGTH]


@final
@attrs.frozen(slots=True)
class LogEnd:
    """The end marker of a log: how it ended, why (a short safe text) and at which offset."""

    kind: EndKind
    offset: int
    reason: str | None = None


@final
@attrs.frozen(slots=True)
class Lease:
    """A producer's claim on a chat's run, fenced by ``token``.

    ``token`` grows with every lease taken for the chat; the store refuses any
    write whose token is not the current holder's (:class:`~partstream.errors.LeaseLostError`).
    """

    chat_id: str
    run_id: str
    token: int
    owner: str
    ttl: float


@final
@attrs.frozen(slots=True)
class RunInfo:
    """What a store knows about a chat's latest run.

    ``offset`` is the number of chunks logged (the next chunk's offset) and
    ``start`` the first offset the capped log still holds. ``state`` is the last
    state document stored, valid right after chunk ``state_offset`` (equal to
    ``offset`` when every append carried its state). ``lease_alive`` says a live
    producer holds the lease; ``owner``/``token`` name the latest holder.
    """

    chat_id: str
    run_id: str
    message_id: str
    log_key: str
    status: RunStatus
    offset: int
    start: int
    token: int
    owner: str
    lease_alive: bool
    stop_requested: bool
    interaction_id: str | None = None
    state: dict[str, Any] | None = None
    state_offset: int = 0
    end: LogEnd | None = None

    @property
    def active(self) -> bool:
        return self.status == "active"

    @property
    def orphaned(self) -> bool:
        """Active, but nobody holds its lease: its producer died (or let go)."""
        return self.status == "active" and not self.lease_alive


@final
@attrs.frozen(slots=True)
class AppendResult:
    """The log after an append: its length and the first offset it still holds."""

    offset: int
    start: int


@final
@attrs.frozen(slots=True)
class LogSlice:
    """What one read of a log gave: chunks from the asked offset, maybe its end.

    ``offset`` is the offset after the chunks. When nothing arrived within the
    wait, ``chunks`` is empty and ``producer_alive`` says whether a live lease
    holder is still at work (None when the read did not need to look).
    """

    chunks: list[bytes]
    offset: int
    end: LogEnd | None = None
    producer_alive: bool | None = None
