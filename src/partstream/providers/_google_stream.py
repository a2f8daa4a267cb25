"""Streaming an interaction: the SSE pipeline, background runs, the portable cursor.

Three shapes, one surface (:class:`InteractionStream`):

* a plain call: ``POST {base}/interactions`` with ``stream: true``, its SSE body
  through the Interactions transform;
* a background call (``providerOptions.google.background``): ``POST`` without
  ``stream``; an already terminal answer is turned into a synthesised stream, any
  other one is read from ``GET {base}/interactions/{id}?stream=true``, resuming
  with ``&last_event_id=`` after a drop (the SSE transport's resume policy);
* :meth:`InteractionsModel.resume` of an :class:`InteractionCursor`.

**The cursor.** A background stream counts the parts its consumer has received.
A second transform follows the consumer: each event is fed to it once all of the
event's parts were delivered, so its state is the first transform's state at the
consumer's position. :attr:`InteractionStream.cursor` carries that state (a
:meth:`~partstream.codecs.interactions.InteractionsStreamTransform.snapshot`) as of
the last delivered event with an ``event_id``, that id, and how many parts of the
events after it were delivered already. :meth:`InteractionsModel.resume` restores
the transform from the state, asks for the events after that id (``GET
...?stream=true&last_event_id=<id>``) and drops the parts that were delivered:
nothing lost, nothing repeated, and nothing downloaded twice but the event the
consumer was in the middle of. A cursor taken after the terminal event needs no
request at all: the restored transform finishes the stream.

**Cancel.** Leaving a background stream's block before the run finished (a
``break``, an exception, a cancellation or a timeout around it) sends ``POST
{base}/interactions/{id}/cancel`` once, shielded and bounded in time, from the
pipeline's cleanup. A stream that ended (normally or with an error) or saw the
terminal event never cancels, and neither does one that was :meth:`detached
<InteractionStream.detach>` to be resumed elsewhere.
"""

from __future__ import annotations

import copy
import json
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import AsyncExitStack
from operator import length_hint
from types import TracebackType
from typing import Any, Final, final

import attrs
import httpx

from .. import errors, parts
from ..codecs import interactions as codec
from ..pipeline import Emit, PartStream, open_stream
from ..transports.sse import ResumePolicy, ServerSentEvent, SSESource
from ._google_http import ApiConfig, failure_message, google_error_data, send_json
from ._google_poll import Canceller, is_terminal_status

__all__ = ["InteractionCursor", "InteractionStream", "StreamPlan"]

_TERMINAL_EVENTS: Final = frozenset({"interaction.completed", "interaction.complete", "error"})
_CURSOR_VERSION: Final = 2
#: Events without an ``event_id`` the cursor's transform holds back at most (see _Follower).
_MAX_PENDING: Final = 1024
#: SSE events a plain stream's consumer turns into parts per ``feed_data`` call.
_SLICE: Final = 64


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
    def from_dict(cls, data: Mapping[str, Any]) -> InteractionCursor:
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
    def from_json(cls, text: str | bytes) -> InteractionCursor:
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


@final
@attrs.frozen(kw_only=True)
class StreamPlan:
    """Everything :class:`InteractionStream` needs to run (built by the model)."""

    config: ApiConfig
    generate_id: Callable[[], str]
    resume_policy: ResumePolicy
    headers: dict[str, str]
    body: dict[str, Any] | None
    warnings: tuple[parts.Warning, ...]
    background: bool
    include_raw_chunks: bool
    cursor: InteractionCursor | None = None


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


def _decode(event: ServerSentEvent) -> Any:
    return codec.decode_event(event.data)


#: Interactions resume: 3 attempts, 500 ms x attempt, the last JSON ``event_id`` in
#: the ``last_event_id`` query parameter (the reference's streamGoogleInteractionEvents).
DEFAULT_RESUME_POLICY: Final = ResumePolicy(
    max_attempts=3, base_delay=0.5, id_in="query", query_param="last_event_id"
)


def _google_error(exc: errors.APICallError, config: ApiConfig) -> errors.APICallError:
    """The same failure with Google's own message (when the body is a Google error),
    and the API key scrubbed from message and body."""
    body = config.scrub(exc.response_body) if exc.response_body is not None else None
    try:
        parsed = json.loads(body or "")
    except ValueError:
        parsed = None
    status = exc.status_code or 0
    message, data = config.scrub(failure_message(parsed, status)), google_error_data(parsed)
    return errors.APICallError(
        message,
        url=exc.url,
        status_code=exc.status_code,
        response_headers=exc.response_headers,
        response_body=body,
        retry_after=exc.retry_after,
        is_retryable=exc.is_retryable,
        data=data,
    )


def _with_google_errors(source: SSESource[Any], config: ApiConfig) -> Callable[[Emit[Any]], Any]:
    async def run(emit: Emit[Any]) -> None:
        try:
            await source(emit)
        except errors.APICallError as exc:
            raise _google_error(exc, config) from exc.__cause__
        except errors.StreamResumeError as exc:
            cause = exc.__cause__
            if isinstance(cause, errors.APICallError):
                cause = _google_error(cause, config)
            better = errors.StreamResumeError(
                config.scrub(str(exc)), attempts=exc.attempts, last_event_id=exc.last_event_id
            )
            raise better from cause

    return run


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


def _as_batch(data: list[str]) -> list[str]:
    return data


class _PlainParts:
    """A plain stream's parts, made on the consumer's side of its one-actor pipeline.

    The source task only reads: each read's SSE ``data`` strings go through the
    channel as one batch. The consumer turns them into parts ``_SLICE`` events at a
    time with the transform's ``feed_data`` (one C-level JSON loop per slice; text
    deltas become parts inline), right before delivering them. So what a stream
    reads ahead is text, which the garbage collector never walks, and a part lives
    only from its slice's decoding to its delivery: with a thousand streams in
    flight, a thousand read-aheads of part objects made every collection walk them
    all. ``stream-start`` comes first (before any network data), ``finish`` after
    a clean end; a failure of the source arrives after the parts of every event
    read before it, as from a stage.
    """

    __slots__ = ("_data", "_ended", "_next_batch", "_pos", "_started", "transform")

    def __init__(
        self,
        transform: codec.InteractionsStreamTransform,
        next_batch: Callable[[], Awaitable[list[str] | None]],
    ) -> None:
        self.transform = transform
        self._next_batch = next_batch
        self._data: list[str] = []
        self._pos = 0
        self._started = False
        self._ended = False

    async def next(self) -> list[parts.Part] | None:
        """The next non-empty batch of parts, or None after ``finish``."""
        transform = self.transform
        while True:
            data, pos = self._data, self._pos
            if pos < len(data):
                end = pos + _SLICE
                self._pos = end
                try:
                    got = transform.feed_data(
                        data if pos == 0 and end >= len(data) else data[pos:end]
                    )
                except BaseException:
                    self._ended, self._data = True, []  # as a failed stage: the end
                    raise
                if got:
                    return got
                continue
            if not self._started:
                self._started = True
                got = transform.start()
            elif self._ended:
                return None
            else:
                self._data, self._pos = [], 0
                batch = await self._next_batch()
                if batch is not None:
                    self._data = batch
                    continue
                self._ended = True
                got = transform.finish()
            if got:
                return got


@final
class InteractionStream:
    """The parts of one interaction: ``async with`` it, then ``async for`` over it.

    After entering: :attr:`request_body` is what was POSTed (``None`` for a resume),
    :attr:`interaction_id` is known for background streams (for plain ones once
    the ``interaction.created`` event went by: see :attr:`response_headers` for the
    headers), and :attr:`cursor` gives a portable position for background streams.
    """

    __slots__ = (
        "_base",
        "_batch_len",
        "_canceller",
        "_complete",
        "_detached",
        "_entered",
        "_exit",
        "_follower",
        "_items",
        "_next",
        "_pipeline",
        "_plain",
        "_plan",
        "_service_tier",
        "_tracker",
        "interaction_id",
        "request_body",
        "response_headers",
        "warnings",
    )

    def __init__(self, plan: StreamPlan) -> None:
        self._plan = plan
        self.request_body: dict[str, Any] | None = plan.body
        self.response_headers: dict[str, str] | None = None
        self.warnings: tuple[parts.Warning, ...] = plan.warnings
        self.interaction_id: str | None = (
            plan.cursor.interaction_id if plan.cursor is not None else None
        )
        self._service_tier: str | None = None
        self._canceller = Canceller(plan.config, plan.headers)
        self._exit: AsyncExitStack | None = None
        self._pipeline: PartStream[Any] | None = None
        # The next batch of parts, or None at the end (set while entered).
        self._next: Callable[[], Awaitable[list[parts.Part] | None]] | None = None
        self._tracker: _Tracker | None = None
        self._follower: _Follower | None = None
        self._plain: _PlainParts | None = None
        # The current batch's length and an iterator over its undelivered parts (the
        # consumer's position within it is that length minus what the iterator has
        # left). Only the iterator holds the batch: delivered parts are not kept alive.
        self._batch_len = 0
        self._items: Iterator[parts.Part] = iter(())
        self._base = plan.cursor.parts if plan.cursor is not None else 0
        self._complete = False
        self._detached = False
        self._entered = False

    def __repr__(self) -> str:
        return f"<InteractionStream interaction_id={self.interaction_id!r}>"

    # -- public state --------------------------------------------------------------------

    @property
    def cursor(self) -> InteractionCursor | None:
        """The consumer's position in a background stream, or ``None`` for other streams.

        Take it at any point (between parts) and pass it to
        :meth:`InteractionsModel.resume`, here or in another process.
        """
        follower = self._follower
        if follower is None or self.interaction_id is None:
            return None
        self._advance()
        position = self._position()
        return InteractionCursor(
            interaction_id=self.interaction_id,
            state=follower.snapshot(),
            last_event_id=follower.event_id,
            skip=position - follower.end,
            parts=position,
            complete=follower.complete,
        )

    @property
    def complete(self) -> bool:
        """True once the interaction reported a terminal status (no cancel is needed)."""
        return self._complete

    def detach(self) -> InteractionCursor | None:
        """Leave the background run going on exit (no cancel); returns the cursor."""
        self._detached = True
        return self.cursor

    def _advance(self) -> None:
        # Let the cursor's transform follow the consumer. Done per batch too, which
        # keeps the tracker's log bounded by the events in flight.
        tracker, follower = self._tracker, self._follower
        if tracker is not None and follower is not None:
            follower.advance(tracker.log, self._position())

    def _position(self) -> int:
        """Parts delivered to the consumer since the start of the interaction's stream."""
        return self._base + self._batch_len - length_hint(self._items)

    # -- lifecycle -----------------------------------------------------------------------

    async def __aenter__(self) -> InteractionStream:
        if self._entered:
            raise RuntimeError("an InteractionStream can be entered only once")
        self._entered = True
        stack = AsyncExitStack()
        try:
            client = await stack.enter_async_context(self._plan.config.client())
            self._pipeline = await self._open(client)
            await stack.enter_async_context(self._pipeline)
        except BaseException:
            with_cancel = not self._complete and not self._detached
            await stack.aclose()
            if with_cancel:
                await self._canceller.cancel()
            raise
        self._exit = stack
        plain = self._plain
        self._next = plain.next if plain is not None else self._pipeline.next_batch
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the stream (cancelling an unfinished background run, see the module doc)."""
        stack, self._exit = self._exit, None
        self._next = None
        if stack is not None:
            await stack.aclose()

    async def _maybe_cancel(self) -> None:
        # The pipeline's cleanup: shielded and bounded by the pipeline, and by the
        # cancel timeout inside. Skipped when the run finished, the consumer saw the
        # end of the stream (an error included: the cursor still resumes it), or
        # the stream was detached.
        pipeline = self._pipeline
        if self._complete or self._detached or (pipeline is not None and pipeline.exhausted):
            return
        await self._canceller.cancel()

    async def _open(self, client: httpx.AsyncClient) -> PartStream[parts.Part]:
        plan = self._plan
        if plan.cursor is not None:
            return self._open_resumed(client, plan.cursor)
        if not plan.background:
            return self._open_post_stream(client)
        assert plan.body is not None
        posted = await send_json(
            plan.config, client, "POST", plan.config.url("interactions"), plan.headers, plan.body
        )
        self.response_headers = posted.headers
        interaction_id = posted.value.get("id")
        if not isinstance(interaction_id, str) or not interaction_id:
            raise errors.InvalidResponseDataError(
                "google.interactions: background POST response did not include an "
                "interaction id; cannot stream the result.",
                data=posted.value,
            )
        self.interaction_id = interaction_id
        self._canceller.interaction_id = interaction_id
        self._service_tier = posted.headers.get("x-gemini-service-tier")
        if is_terminal_status(posted.value.get("status")):
            # Nothing left to stream: replay the finished response as parts.
            self._complete = True
            items = codec.synthesize_stream(
                posted.value,
                warnings=list(plan.warnings),
                generate_id=plan.generate_id,
                include_raw_chunks=plan.include_raw_chunks,
                header_service_tier=self._service_tier,
            )

            async def synthesized(emit: Emit[parts.Part]) -> None:
                await emit(list(items))

            return open_stream(synthesized)
        # The cursor's transform starts where this one does, as a copy of it.
        tracker = _Tracker(self._transform())
        initial = tracker.transform.snapshot()
        self._follower = _Follower(
            codec.InteractionsStreamTransform.restore(initial, generate_id=_constant_id)
        )
        return self._open_get_stream(client, tracker, last_event_id=None)

    def _open_resumed(
        self, client: httpx.AsyncClient, cursor: InteractionCursor
    ) -> PartStream[parts.Part]:
        # The transform as it was after the cursor's event; the parts of the events
        # after it that were delivered already (``skip``) are produced, not passed on.
        generate_id = self._plan.generate_id
        resumed = cursor.last_event_id is not None
        origin = cursor.parts - cursor.skip
        tracker = _Tracker(
            cursor._transform(generate_id),
            origin=origin,
            skip_to=cursor.parts,
            started=resumed,
        )
        self._follower = _Follower(
            cursor._transform(_constant_id),
            event_id=cursor.last_event_id,
            end=origin,
            complete=cursor.complete,
        )
        if not cursor.complete:
            return self._open_get_stream(client, tracker, last_event_id=cursor.last_event_id)
        # The terminal event was delivered: nothing is left on the server, the
        # restored transform finishes the stream.
        self._complete = True
        self._tracker = tracker

        async def nothing(emit: Emit[Any]) -> None:
            return

        return open_stream(nothing, tracker)

    def _transform(self) -> codec.InteractionsStreamTransform:
        return codec.InteractionsStreamTransform(
            warnings=list(self.warnings),
            generate_id=self._plan.generate_id,
            include_raw_chunks=self._plan.include_raw_chunks,
            service_tier=self._service_tier,
        )

    def _is_terminal(self, item: object) -> bool:
        if _event_type(item) in _TERMINAL_EVENTS:
            self._complete = True
            return True
        return False

    def _open_get_stream(
        self, client: httpx.AsyncClient, tracker: _Tracker, *, last_event_id: str | None
    ) -> PartStream[parts.Part]:
        plan = self._plan
        assert self.interaction_id is not None
        self._canceller.interaction_id = self.interaction_id
        source = SSESource(
            client,
            "GET",
            plan.config.url("interactions", self.interaction_id),
            # SSESource adds Accept: text/event-stream (as the reference does here).
            headers={**plan.headers, "Cache-Control": None},
            params={"stream": "true"},
            decode=_decode,
            event_id=_event_id,
            is_terminal=self._is_terminal,
            resume=plan.resume_policy,
            on_response=self._on_response,
            # A resume asks for the events after the cursor's (``&last_event_id=``).
            last_event_id=last_event_id,
        )
        self._tracker = tracker
        return open_stream(
            _with_google_errors(source, plan.config), self._tracker, cleanups=[self._maybe_cancel]
        )

    def _open_post_stream(self, client: httpx.AsyncClient) -> PartStream[parts.Part]:
        plan = self._plan
        transform = self._transform()
        source = SSESource(
            client,
            "POST",
            plan.config.url("interactions"),
            # The reference's POST carries neither header; keep the wire identical.
            headers={**plan.headers, "Accept": None, "Cache-Control": None},
            json=plan.body,
            # Each read's event data as is: the consumer side decodes (_PlainParts).
            decode_data=_as_batch,
            on_response=self._on_response,
        )
        pipeline = open_stream(_with_google_errors(source, plan.config))
        self._plain = _PlainParts(transform, pipeline.next_batch)
        return pipeline

    def _on_response(self, response: httpx.Response) -> None:
        if self.response_headers is None:
            self.response_headers = dict(response.headers)
        if self._plain is not None:
            # Known only now: the transform uses it when the body states no tier.
            tier = response.headers.get("x-gemini-service-tier")
            self._plain.transform.header_service_tier = tier

    # -- iteration -----------------------------------------------------------------------

    def __aiter__(self) -> InteractionStream:
        return self

    async def __anext__(self) -> parts.Part:
        for part in self._items:  # the hot path: the next part of the current batch
            return part
        fetch = self._next
        if fetch is None:
            raise RuntimeError("use the stream inside 'async with'")
        batch = await fetch()
        if batch is None:
            raise StopAsyncIteration
        self._base += self._batch_len
        self._batch_len = len(batch)
        items = self._items = iter(batch)
        part = next(items)  # batches are never empty
        if self._tracker is not None:
            self._advance()
        return part

    async def batches(self) -> AsyncIterator[list[parts.Part]]:
        """Iterate whole batches of parts (the fastest way to drain a stream).

        A batch counts as delivered once it is yielded: a :attr:`cursor` taken while
        handling it points after its last part.
        """
        rest = list(self._items)
        if rest:
            yield rest
        while True:
            fetch = self._next
            if fetch is None:
                raise RuntimeError("use the stream inside 'async with'")
            batch = await fetch()
            if batch is None:
                return
            self._base += self._batch_len
            self._batch_len = len(batch)
            self._items = iter(())  # all delivered
            if self._tracker is not None:
                self._advance()
            yield batch
