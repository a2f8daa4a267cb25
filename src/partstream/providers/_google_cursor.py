"""The portable cursor of a background stream, and what keeps it exact.

A background stream counts the parts its consumer has received. A second
transform follows the consumer (:class:`_Follower`): each event is fed to it once
all of the event's parts were delivered, so its state is the first transform's
state at the consumer's position. :class:`InteractionCursor` carries that state
(a transform snapshot) as of the last delivered event with an ``event_id``, that
id, and how many parts of the events after it were delivered already.
:class:`_Tracker` is the producing side: the transform as a pipeline stage that
logs the position after every event's parts (and drops, after a resume, the
parts the cursor says were delivered).

No ``from __future__ import annotations`` here: the cursor carries the public
module's name (``partstream.providers.google``), and its field annotations must
not need this module's namespace to resolve.
"""

import copy
import json
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, Self, final

import attrs

from .. import errors, parts
from ..codecs import interactions as codec

__all__ = ["InteractionCursor"]

_TERMINAL_EVENTS: Final = frozenset({"interaction.completed", "interaction.complete", "error"})
_CURSOR_VERSION: Final = 2
#: Events without an ``event_id`` the cursor's transform holds back at most (see _Follower).
_MAX_PENDING: Final = 1024


_Warnings = tuple[parts.Warning, ...]


@final
@attrs.frozen(kw_only=True)
class InteractionCursor:
    """Where a background stream's consumer is: enough to continue it anywhere.

    ``state`` is the stream transform's state (a JSON-ready
    :meth:`~partstream.codecs.interactions.InteractionsStreamTransform.snapshot`,
    which also holds the call warnings, ``include_raw_chunks`` and the POST's
    ``x-gemini-service-tier`` header) right after ``last_event_id``, the last event
    with an ``event_id`` whose parts were all delivered (``None``: no such event yet,
    and ``state`` is the initial state). ``skip`` counts the parts delivered after
    that event (of events without an id, or of the event the consumer was in the
    middle of); ``parts`` counts all parts delivered since the stream's start.
    ``complete`` says the terminal event was delivered: the server has nothing
    left to send. Serialise with :meth:`to_json` / :meth:`to_dict` (format
    ``"v": 2``); rebuild with the ``from_`` class methods.
    """

    interaction_id: str
    state: dict[str, Any]
    last_event_id: str | None = None
    skip: int = 0
    parts: int = 0
    complete: bool = False

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "v": _CURSOR_VERSION,
            "interactionId": self.interaction_id,
            "parts": self.parts,
            "skip": self.skip,
            "state": copy.deepcopy(self.state),
        }
        if self.last_event_id is not None:
            out["lastEventId"] = self.last_event_id
        if self.complete:
            out["complete"] = True
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        def bad(why: str) -> errors.InvalidArgumentError:
            return errors.InvalidArgumentError(
                f"not an interaction cursor: {why}", argument="cursor"
            )

        if not isinstance(data, Mapping):
            raise bad(f"expected an object, got {type(data).__name__}")
        if "version" in data:
            # Version 1 cursors replayed the stream from its start; none were kept.
            raise bad(f"unsupported version {data.get('version')!r} (take a new cursor)")
        if data.get("v") != _CURSOR_VERSION:
            raise bad(f"unsupported version {data.get('v')!r}")
        interaction_id = data.get("interactionId")
        if not isinstance(interaction_id, str) or not interaction_id:
            raise bad("interactionId must be a non-empty string")
        counts = []
        for key in ("parts", "skip"):
            value = data.get(key)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise bad(f"{key} must be an integer >= 0")
            counts.append(value)
        count, skip = counts
        last = data.get("lastEventId")
        if last is not None and (not isinstance(last, str) or not last):
            raise bad("lastEventId must be a non-empty string")
        complete = data.get("complete", False)
        if not isinstance(complete, bool):
            raise bad("complete must be a boolean")
        if skip > count:
            raise bad("skip must not exceed parts")
        if last is None and (skip != count or complete):
            raise bad("without lastEventId, skip must equal parts and complete be false")
        state = data.get("state")
        try:
            codec.InteractionsStreamTransform.restore(state)  # type: ignore[arg-type]
        except errors.InvalidArgumentError as exc:
            raise bad(f"state: {exc}") from None
        assert isinstance(state, Mapping)
        return cls(
            interaction_id=interaction_id,
            state=copy.deepcopy(dict(state)),
            last_event_id=last,
            skip=skip,
            parts=count,
            complete=complete,
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> Self:
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise errors.InvalidArgumentError(
                f"not an interaction cursor: invalid JSON ({exc})", argument="cursor"
            ) from None
        return cls.from_dict(data)

    @property
    def warnings(self) -> _Warnings:
        """The call warnings (on the ``stream-start`` part)."""
        first = self._transform().start()[0]
        assert isinstance(first, parts.StreamStart)
        return first.warnings

    @property
    def include_raw_chunks(self) -> bool:
        return self.state.get("include_raw_chunks") is True

    def _transform(
        self, generate_id: Callable[[], str] = codec.default_generate_id
    ) -> codec.InteractionsStreamTransform:
        try:
            return codec.InteractionsStreamTransform.restore(self.state, generate_id=generate_id)
        except errors.InvalidArgumentError as exc:
            raise errors.InvalidArgumentError(
                f"not an interaction cursor: state: {exc}", argument="cursor"
            ) from None


# Pickles and reprs name the module users import it from (it stays where it is).
InteractionCursor.__module__ = "partstream.providers.google"


# Items are what ``codec.decode_event`` gives: the event dict, a ParseFailure, or None.


def _event_id(item: object) -> str | None:
    # The Interactions API's resume cursor is the JSON ``event_id`` (not the SSE id).
    if type(item) is dict:
        event_id = item.get("event_id")
        if type(event_id) is str and event_id:
            return event_id
    return None


def _event_type(item: object) -> object:
    return item.get("event_type") if type(item) is dict else None


class _Tracker:
    """The transform as a pipeline stage, fed one event at a time to track positions.

    Positions count parts since the start of the interaction's stream; the first
    part this stage produces is at ``origin`` (0 for a new stream, whose ``start``
    gives the ``stream-start`` part; after a resumed event otherwise). ``log`` gets
    ``(position after the event's parts, event_id or None, item)`` for every event,
    for the consumer side (:class:`_Follower`). Parts before position ``skip_to``
    (delivered before the cursor was taken) are produced but not passed on.
    """

    __slots__ = ("_skip_to", "_started", "log", "produced", "transform")

    def __init__(
        self, transform: Any, *, origin: int = 0, skip_to: int = 0, started: bool = False
    ) -> None:
        self.transform = transform
        self._skip_to = skip_to
        self._started = started
        self.produced = origin
        self.log: deque[tuple[int, str | None, Any]] = deque()

    def _keep(self, got: Sequence[parts.Part], out: list[parts.Part]) -> None:
        start = self.produced
        self.produced = start + len(got)
        skip = self._skip_to
        if start >= skip:
            out.extend(got)
        elif self.produced > skip:
            out.extend(got[skip - start :])

    def start(self) -> list[parts.Part]:
        out: list[parts.Part] = []
        if not self._started:
            self._keep(self.transform.start(), out)
        return out

    def feed(self, batch: list[Any]) -> list[parts.Part]:
        out: list[parts.Part] = []
        transform = self.transform
        log = self.log
        for item in batch:
            self._keep(transform.feed(item), out)
            log.append((self.produced, _event_id(item), item))
        return out

    def finish(self) -> list[parts.Part]:
        out: list[parts.Part] = []
        self._keep(self.transform.finish(), out)
        if self.produced < self._skip_to:
            raise errors.StreamResumeError(
                f"the interaction's stream has {self.produced} parts, fewer than the "
                f"{self._skip_to} the cursor says were delivered",
                attempts=0,
                last_event_id=None,
            )
        return out


class _Follower:
    """The consumer side of the cursor: a second transform that follows the consumer.

    An event is fed to it once all of the event's parts were delivered, up to the
    last such event with an ``event_id`` (the resume point: the API resumes after an
    id); events without an id wait in ``pending`` until one with an id is delivered.
    Its snapshot is then the stream's state at ``event_id``, and ``end`` the position
    after that event's parts. Its parts are dropped (so it names its sources with
    a constant: the caller's ``generate_id`` is not called twice). Should more than
    ``_MAX_PENDING`` events without an id pile up, it stops following: the cursor
    stays at the last event with an id, which is still exact, only older.
    """

    __slots__ = ("_pending", "_state", "_transform", "complete", "end", "event_id")

    def __init__(
        self,
        transform: codec.InteractionsStreamTransform,
        *,
        event_id: str | None = None,
        end: int = 0,
        complete: bool = False,
    ) -> None:
        self._transform: codec.InteractionsStreamTransform | None = transform
        self._state: dict[str, Any] | None = None
        self._pending: list[Any] = []
        self.event_id = event_id
        self.end = end
        self.complete = complete

    def advance(self, log: deque[tuple[int, str | None, Any]], position: int) -> None:
        if not log or log[0][0] > position:
            return
        pending = self._pending
        transform = self._transform
        upto = 0  # pending[:upto] ends with the last delivered event with an id
        last: tuple[int, str, Any] | None = None
        while log and log[0][0] <= position:
            end, event_id, item = log.popleft()
            if transform is not None:
                pending.append(item)
                if event_id is not None:
                    upto, last = len(pending), (end, event_id, item)
        if transform is None:
            return
        if last is not None:
            # One feed for the lot: the transform's batch path.
            transform.feed(pending[:upto] if upto < len(pending) else pending)
            del pending[:upto]
            self.end, self.event_id, item = last
            self.complete = _event_type(item) in _TERMINAL_EVENTS
        if len(pending) > _MAX_PENDING:
            self._state = transform.snapshot()
            self._transform = None
            pending.clear()

    def snapshot(self) -> dict[str, Any]:
        if self._transform is not None:
            return self._transform.snapshot()
        assert self._state is not None
        return copy.deepcopy(self._state)


def _constant_id() -> str:
    return ""
