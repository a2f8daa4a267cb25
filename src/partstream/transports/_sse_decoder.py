"""Incremental, sans-IO parser of the WHATWG ``text/event-stream`` format.

The rules followed are those of the HTML standard, "9.2.6 Interpreting an event
stream" (https://html.spec.whatwg.org/multipage/server-sent-events.html). Each
rule is cited beside the code that follows it.

How it stays fast and linear:

* no per-byte Python loop: line ends are normalised to LF with ``bytes.replace``
  (only when a CR is present), event boundaries (a blank line, i.e. ``LF LF``)
  are found with ``bytes.rfind`` on the *new* chunk only;
* the bytes of an event that has not ended yet are kept as a list of chunks and
  joined once, when its blank line arrives, so an 8 MiB event fed in 1 KiB
  chunks costs one join and one decode, not 8192 of them;
* every complete region (one or more whole events) is decoded from UTF-8 once
  and split into events with ``str.split``; an event that is a single
  ``data: ...`` line (the common shape) takes a fast path;
* ``feed_data`` returns only the events' data strings (what a JSON stream
  reads), skipping the event objects altogether.

``_work`` counts the bytes handled by the C-level operations (scans, copies,
decodes); the test suite uses it to check linearity structurally.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import repeat
from operator import attrgetter
from typing import Final, final

import attrs

from ..errors import InvalidArgumentError, LimitExceededError

__all__ = [
    "DEFAULT_MAX_EVENT_SIZE",
    "SSEDecoder",
    "ServerSentEvent",
    "encode_event",
    "encode_events",
]

#: Default bound on one event's size (its lines, in bytes): room for base64 images.
DEFAULT_MAX_EVENT_SIZE: Final = 32 * 2**20

_BOM: Final = b"\xef\xbb\xbf"
#: Retry values are clamped to this many milliseconds (Python refuses to parse
#: integers of more than 4300 digits, and no reconnection waits longer anyway).
_MAX_RETRY: Final = 2**63 - 1


@final
@attrs.frozen(weakref_slot=False)
class ServerSentEvent:
    """One dispatched event.

    ``event`` is the event type (``"message"`` unless an ``event:`` field set it),
    ``data`` the ``data:`` lines joined with LF, ``id`` the last event ID at the
    time of dispatch (``None`` when none was set, or after an empty ``id:``
    reset it) and ``retry`` the reconnection time in milliseconds that this
    event's own block set, or ``None``.
    """

    event: str = "message"
    data: str = ""
    id: str | None = None
    retry: int | None = None


# attrs' frozen __init__ goes through object.__setattr__ once per field, which is
# slow for the many events a decoder builds. The fast path builds the instance as
# a plain slotted object with the same layout, then gives it its real class (the
# "__class__ assignment" of two layout-compatible heap types). The import-time
# check below falls back to the descriptors if an interpreter refuses that.
_new = object.__new__
_set_event = ServerSentEvent.__dict__["event"].__set__
_set_data = ServerSentEvent.__dict__["data"].__set__
_set_id = ServerSentEvent.__dict__["id"].__set__
_set_retry = ServerSentEvent.__dict__["retry"].__set__


def _event(event: str, data: str, id: str | None, retry: int | None) -> ServerSentEvent:
    ev: ServerSentEvent = _new(ServerSentEvent)
    _set_event(ev, event)
    _set_data(ev, data)
    _set_id(ev, id)
    _set_retry(ev, retry)
    return ev


class _Message:
    """Builds ``ServerSentEvent("message", data, id, None)``: see above."""

    __slots__ = ("data", "event", "id", "retry")

    def __init__(self, data: str, id: str | None) -> None:
        self.event = "message"
        self.data = data
        self.id = id
        self.retry = None
        self.__class__ = ServerSentEvent  # type: ignore[assignment]


class _MessageNoId:
    """Builds ``ServerSentEvent("message", data, None, None)``: see above."""

    __slots__ = ("data", "event", "id", "retry")

    def __init__(self, data: str) -> None:
        self.event = "message"
        self.data = data
        self.id = None
        self.retry = None
        self.__class__ = ServerSentEvent  # type: ignore[assignment]


_DATA: Final = attrgetter("data")


def _message_slow(data: str, id: str | None = None) -> ServerSentEvent:
    return _event("message", data, id, None)


def _class_assignment_works() -> bool:
    try:
        probe: object = _Message("x", "1")
        probe_no_id: object = _MessageNoId("y")
        return probe == ServerSentEvent("message", "x", "1", None) and probe_no_id == (
            ServerSentEvent("message", "y", None, None)
        )
    except TypeError:  # pragma: no cover (an interpreter without __class__ assignment)
        return False


_FAST: Final = _class_assignment_works()
_message: Callable[[str, str | None], ServerSentEvent] = (
    _Message if _FAST else _message_slow  # type: ignore[assignment]
)
_message_no_id: Callable[[str], ServerSentEvent] = (
    _MessageNoId if _FAST else _message_slow  # type: ignore[assignment]
)


@final
class SSEDecoder:
    """Turn the bytes of a ``text/event-stream`` body into :class:`ServerSentEvent`.

    ``feed(data)`` returns the events completed by ``data``; any chunking of the
    same bytes gives the same events. ``end()`` marks the end of the body: an
    event without its closing blank line is dropped, as the standard says. The
    decoder can then parse another body (a reconnection); ``last_event_id`` and
    ``retry`` carry over, as they do for an ``EventSource``.

    ``max_event_size`` bounds the bytes of one event block (all of its lines,
    comments included, with line ends counted as one byte each); a larger
    event raises :class:`~partstream.errors.LimitExceededError`. The events
    completed before the oversized one are returned first; the error is raised
    by the next ``feed``/``end`` call (and by every call after it: a decoder
    that hit its limit stays failed).

    The body is decoded as UTF-8 with replacement characters, whatever charset
    the response declared (the standard's rule).
    """

    __slots__ = (
        "_bom",
        "_buf",
        "_cr",
        "_error",
        "_last_id",
        "_max",
        "_nl",
        "_retry",
        "_size",
        "_special",
        "_work",
    )

    def __init__(
        self,
        *,
        max_event_size: int = DEFAULT_MAX_EVENT_SIZE,
        last_event_id: str | None = None,
    ) -> None:
        if isinstance(max_event_size, bool) or not isinstance(max_event_size, int):
            raise InvalidArgumentError("max_event_size must be an int", argument="max_event_size")
        if max_event_size < 1:
            raise InvalidArgumentError("max_event_size must be >= 1", argument="max_event_size")
        self._max = max_event_size
        # Bytes of a possible UTF-8 BOM seen so far; None once the start is decided.
        self._bom: bytes | None = b""
        # The current event block, not yet ended: chunks with line ends normalised to LF.
        self._buf: list[bytes] = []
        self._size = 0
        self._nl = False  # the buffered bytes end with LF
        self._cr = False  # the previous chunk ended with CR
        self._last_id: str | None = last_event_id or None
        self._retry: int | None = None
        self._error: LimitExceededError | None = None
        self._special = True  # _error, _bom or _cr needs a look (see _prelude)
        self._work = 0

    @property
    def last_event_id(self) -> str | None:
        """The last event ID buffer: set by ``id:`` fields, ``None`` when empty."""
        return self._last_id

    @property
    def retry(self) -> int | None:
        """The latest reconnection time (ms) a ``retry:`` field set, or ``None``."""
        return self._retry

    def feed(self, data: bytes) -> list[ServerSentEvent]:
        """Parse ``data``; return the events it completed, in order."""
        return self._feed(data, False)  # type: ignore[return-value]

    def feed_data(self, data: bytes) -> list[str]:
        """Parse ``data``; return the ``data`` of each event it completed, in order.

        The same as ``[event.data for event in decoder.feed(data)]`` (the event type,
        id and retry are tracked as by :meth:`feed`, not returned), without building
        the events: for consumers that only read the data, such as JSON streams.
        """
        return self._feed(data, True)  # type: ignore[return-value]

    def _feed(self, data: bytes, only_data: bool) -> list[ServerSentEvent] | list[str]:
        if self._special:
            data = self._prelude(data)
        if not data:
            return []
        if b"\r" in data:
            # "Lines must be separated by either a U+000D CARRIAGE RETURN U+000A LINE
            # FEED (CRLF) character pair, a single U+000A LINE FEED (LF) character,
            # or a single U+000D CARRIAGE RETURN (CR) character."
            if data[-1] == 13:
                self._cr = self._special = True  # an LF that follows belongs to it
            data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        buf = self._buf
        if buf:
            end = data.rfind(b"\n\n")
            if end < 0:
                if not (self._nl and data[0] == 10):
                    return self._hold(data)
                end = -1  # the blank line straddles the previous chunk and this one
            region: bytes | memoryview = b"".join((*buf, memoryview(data)[: end + 2]))
            buf.clear()
        else:
            if data[0] == 10:
                # Blank lines between events: a dispatch with an empty data buffer
                # does nothing.
                data = data.lstrip(b"\n")
                if not data:
                    return []
            end = data.rfind(b"\n\n")
            if end < 0:
                return self._hold(data)
            region = data if end + 2 == len(data) else memoryview(data)[: end + 2]
        self._work += len(data) + len(region)
        if region[:6] == b"data: " and len(region) <= self._max:
            # Fast path: every event is one "data: ..." line, so the region reads
            # "data: A\n\ndata: B\n\n...". Split on the separators; if no piece holds
            # another LF, that is what it was (one find on the joined pieces is far
            # cheaper than counting LFs). The decode is the standard's (see _region).
            if len(region) > 2048 and type(region) is bytes:
                region = memoryview(region)  # decode in place instead of copying first
            values = str(region[6:-2], "utf-8", "replace")
            parts = values.split("\n\ndata: ")
            events: list[ServerSentEvent] | list[str]
            if len(parts) == 1 and "\n" not in values:
                events = parts if only_data else [_message(values, self._last_id)]
            elif len(parts) > 1 and "\n" not in "".join(parts):
                if only_data:
                    events = parts
                elif self._last_id is None:
                    events = list(map(_message_no_id, parts))
                else:
                    events = list(map(_message, parts, repeat(self._last_id, len(parts))))
            else:
                events = self._dispatch("data: " + values + "\n\n")
                if only_data:
                    events = list(map(_DATA, events))
        else:
            events = self._region(region)
            if only_data:
                events = list(map(_DATA, events))
        # What follows the last blank line never starts with LF (that LF would make a
        # later blank line), so it is the start of the next event as it stands.
        rest = data[end + 2 :]
        if rest and self._error is None:
            buf.append(rest)
            self._size = len(rest)
            self._nl = rest[-1] == 10
            if self._size > self._max:
                self._fail()
            return events
        self._size = 0
        self._nl = False
        if self._error is not None and not events:
            raise self._error
        return events

    def end(self) -> list[ServerSentEvent]:
        """The body ended: drop an unfinished event, get ready for another body."""
        if self._error is not None:
            raise self._error
        # "Once the end of the file is reached, any pending data must be discarded.
        # (If the file ends in the middle of an event, before the final empty line,
        # the incomplete event is not dispatched.)"
        self._buf.clear()
        self._size = 0
        self._nl = False
        self._cr = False
        self._bom = b""
        self._special = True
        return []

    # -- internals -----------------------------------------------------------------------

    def _prelude(self, data: bytes) -> bytes:
        """The rare states: failed, at the start (BOM?), after a chunk ending in CR."""
        if self._error is not None:
            raise self._error
        if self._bom is not None:
            # UTF-8 decode drops one leading byte order mark, even one split across
            # chunks.
            seen = self._bom + data if self._bom else data
            if len(seen) < 3 and _BOM.startswith(seen):
                self._bom = seen
                return b""
            self._bom = None
            data = seen[3:] if seen.startswith(_BOM) else seen
        if self._cr and data:
            # A CR LF pair split across two chunks is one line end.
            self._cr = False
            if data[0] == 10:
                data = data[1:]
        self._special = self._cr  # the BOM is decided by now
        return data

    def _hold(self, data: bytes) -> list[ServerSentEvent]:
        """Keep ``data``: it has no blank line, so the current event goes on."""
        self._work += len(data)
        self._size += len(data)
        if self._size > self._max:
            raise self._fail()
        self._buf.append(data)
        self._nl = data[-1] == 10
        return []

    def _fail(self) -> LimitExceededError:
        self._buf.clear()
        self._size = 0
        self._special = True
        self._error = LimitExceededError(
            limit="SSE event size",
            value=self._max,
            option="max_event_size",
            detail="bytes in one event",
        )
        return self._error

    def _region(self, region: bytes | memoryview) -> list[ServerSentEvent]:
        """Dispatch the whole events in ``region`` (it ends with a blank line)."""
        if len(region) > self._max:
            # Rare: some event in here may be too big. Keep the ones before it.
            blocks = bytes(region).split(b"\n\n")
            self._work += len(region)
            for i, block in enumerate(blocks):
                if len(block.lstrip(b"\n")) + 1 > self._max:
                    region = b"\n\n".join(blocks[:i]) + b"\n\n"
                    self._fail()
                    break
        # The stream is decoded as UTF-8 with replacement, whatever the charset. A
        # region starts and ends on a line end (an ASCII byte), so decoding region by
        # region gives the same characters as decoding the whole stream at once.
        return self._dispatch(str(region, "utf-8", "replace"))

    def _dispatch(self, text: str) -> list[ServerSentEvent]:
        out: list[ServerSentEvent] = []
        append = out.append
        last_id = self._last_id
        for block in text.split("\n\n"):
            if block[:6] == "data: " and "\n" not in block:
                append(_message(block[6:], last_id))  # a block that is one data line
                continue
            if not block:
                continue
            data: list[str] | None = None
            event_type = ""
            retry: int | None = None
            for line in block.split("\n"):
                # A blank line can only lead the block here (events were split on
                # blank lines); with an empty data buffer it dispatches nothing.
                if not line or line[0] == ":":
                    continue  # "If the line starts with a U+003A COLON character (:)
                    # Ignore the line."
                # "collect the characters on the line before the first U+003A COLON
                # character (:)... the field name"; a line without a colon is a field
                # name with the empty string as value.
                name, _, value = line.partition(":")
                if value[:1] == " ":
                    value = value[1:]  # "If value starts with a U+0020 SPACE, remove it"
                if name == "data":
                    # "Append the field value to the data buffer, then append a single
                    # U+000A LINE FEED (LF) character to the data buffer."
                    if data is None:
                        data = [value]
                    else:
                        data.append(value)
                elif name == "event":
                    event_type = value
                elif name == "id":
                    # "If the field value does not contain U+0000 NULL, then set the
                    # last event ID buffer to the field value. Otherwise, ignore it."
                    if "\0" not in value:
                        last_id = value or None
                elif name == "retry" and value.isascii() and value.isdigit():
                    # "If the field value consists of only ASCII digits, then interpret
                    # the field value as an integer in base ten" (else ignore it).
                    retry = int(value) if len(value) < 19 else _clamp_retry(value)
                    self._retry = retry
                # "Otherwise: the field is ignored."
            # "If the data buffer is an empty string, set the data buffer and the event
            # type buffer to the empty string and return" (nothing is dispatched).
            if data is not None:
                append(
                    _event(
                        event_type or "message",  # empty type buffer -> "message"
                        data[0] if len(data) == 1 else "\n".join(data),
                        last_id,
                        retry,
                    )
                )
        self._last_id = last_id
        return out


def _clamp_retry(digits: str) -> int:
    digits = digits.lstrip("0")
    if len(digits) > 19:
        return _MAX_RETRY
    return min(int(digits or "0"), _MAX_RETRY)


def _check_line_value(value: str, what: str, *, allow_lf: bool) -> None:
    if "\r" in value or (not allow_lf and "\n" in value):
        raise InvalidArgumentError(f"an SSE {what} cannot contain a line end", argument=what)


def encode_event(event: ServerSentEvent, *, reset_id: bool = False) -> bytes:
    """The ``text/event-stream`` bytes of one event (ending with its blank line).

    Writes ``event:`` unless the type is ``"message"``, ``id:`` when ``event.id``
    is set (an empty ``id`` line when ``reset_id`` asks to clear the last event
    ID), ``retry:`` when set, and one ``data:`` line per line of ``data``.
    Values that cannot be represented (a CR anywhere, an LF in a type or id, a
    NUL in an id) raise :class:`~partstream.errors.InvalidArgumentError`.
    """
    lines: list[str] = []
    if event.event != "message":
        _check_line_value(event.event, "event", allow_lf=False)
        lines.append(f"event: {event.event}")
    if event.id is not None:
        _check_line_value(event.id, "id", allow_lf=False)
        if "\0" in event.id:
            raise InvalidArgumentError("an SSE id cannot contain NUL", argument="id")
        lines.append(f"id: {event.id}")
    elif reset_id:
        lines.append("id")
    if event.retry is not None:
        if event.retry < 0:
            raise InvalidArgumentError("an SSE retry must be >= 0", argument="retry")
        lines.append(f"retry: {event.retry}")
    _check_line_value(event.data, "data", allow_lf=True)
    lines.extend(f"data: {line}" for line in event.data.split("\n"))
    lines.append("\n")
    return "\n".join(lines).encode("utf-8")


def encode_events(events: list[ServerSentEvent], *, last_event_id: str | None = None) -> bytes:
    """The bytes of a sequence of events; decoding them gives ``events`` back.

    ``id`` lines are written only where the last event ID changes (an empty
    ``id`` line where it goes back to ``None``); ``last_event_id`` is the ID in
    force before the first event.
    """
    out: list[bytes] = []
    current = last_event_id or None
    for ev in events:
        if ev.id == current:
            ev = attrs.evolve(ev, id=None)
            out.append(encode_event(ev))
        else:
            out.append(encode_event(ev, reset_id=ev.id is None))
            current = ev.id
    return b"".join(out)
