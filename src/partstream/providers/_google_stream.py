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

The cursor and the two transforms that keep it exact are in ``_google_cursor``;
a plain stream's consumer-side decoding (``_PlainParts``) in ``_google_plain``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
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
from ._google_cursor import (
    _TERMINAL_EVENTS,
    InteractionCursor,
    _constant_id,
    _event_id,
    _event_type,
    _Follower,
    _Tracker,
)
from ._google_http import ApiConfig, failure_message, google_error_data, send_json
from ._google_plain import _as_batch, _PlainParts
from ._google_poll import Canceller, is_terminal_status

__all__ = ["InteractionStream", "StreamPlan"]


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
