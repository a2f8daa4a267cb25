"""Streaming an interaction: the SSE pipeline, background runs, the portable cursor.

Three shapes, one surface (:class:`InteractionStream`):

* a plain call: ``POST {base}/interactions`` with ``stream: true``, its SSE body
  through the Interactions transform;
* a background call (``providerOptions.google.background``): ``POST`` without
  ``stream``; an already terminal answer is turned into a synthesised stream, any
  other one is read from ``GET {base}/interactions/{id}?stream=true``, resuming
  with ``&last_event_id=`` after a drop (the SSE transport's resume policy);
* :meth:`InteractionsModel.resume` of an :class:`InteractionCursor`.

**The cursor.** A background stream counts the parts its consumer has received
and remembers the ``event_id`` of the last event fully delivered. The transform's
state at that point (open steps, accumulated tool arguments, the sources already
cited) is a function of every event before it, so a cursor alone cannot rebuild
it; instead :meth:`resume` replays the interaction's event log from its start
(``GET ...?stream=true``) through a fresh transform, drops the parts the cursor
says were delivered, checks that the event id at that point matches, and yields
the rest. The transform is deterministic, so the parts that follow are exactly
the ones the first stream would have produced: nothing lost, nothing repeated.

**Cancel.** Leaving a background stream's block before the run finished (a
``break``, an exception, a cancellation or a timeout around it) sends ``POST
{base}/interactions/{id}/cancel`` once, shielded and bounded in time, from the
pipeline's cleanup. A stream that ended (normally or with an error) or saw the
terminal event never cancels, and neither does one that was :meth:`detached
<InteractionStream.detach>` to be resumed elsewhere.
"""

from __future__ import annotations

import json
import operator
from collections import deque
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AsyncExitStack
from types import TracebackType
from typing import Any, Final, final

import attrs
import httpx

from .. import errors, parts
from ..codecs import interactions as codec
from ..pipeline import Emit, PartStream, open_stream
from ..transports.sse import ResumePolicy, ServerSentEvent, SSESource
from ._google_http import ApiConfig, send_json
from ._google_poll import Canceller, is_terminal_status

__all__ = ["InteractionCursor", "InteractionStream", "StreamPlan"]

_TERMINAL_EVENTS: Final = frozenset({"interaction.completed", "interaction.complete", "error"})
_CURSOR_VERSION: Final = 1


@final
@attrs.frozen(kw_only=True)
class InteractionCursor:
    """Where a background stream's consumer is: enough to continue it anywhere.

    ``parts`` counts the parts delivered since the start of the interaction's
    stream; ``last_event_id`` is the ``event_id`` of the last event whose parts were
    all delivered (a consistency check for the replay). ``include_raw_chunks``,
    ``service_tier`` (the POST's ``x-gemini-service-tier`` header) and ``warnings``
    (the call warnings, as JSON) make the resumed parts identical to the original's.
    Serialise with :meth:`to_json` / :meth:`to_dict`; rebuild with the ``from_``
    class methods.
    """

    interaction_id: str
    last_event_id: str | None = None
    parts: int = 0
    include_raw_chunks: bool = False
    service_tier: str | None = None
    warnings: tuple[dict[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "version": _CURSOR_VERSION,
            "interactionId": self.interaction_id,
            "parts": self.parts,
        }
        if self.last_event_id is not None:
            out["lastEventId"] = self.last_event_id
        if self.include_raw_chunks:
            out["includeRawChunks"] = True
        if self.service_tier is not None:
            out["serviceTier"] = self.service_tier
        if self.warnings:
            out["warnings"] = [dict(w) for w in self.warnings]
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
        if data.get("version") != _CURSOR_VERSION:
            raise bad(f"unsupported version {data.get('version')!r}")
        interaction_id = data.get("interactionId")
        if not isinstance(interaction_id, str) or not interaction_id:
            raise bad("interactionId must be a non-empty string")
        count = data.get("parts")
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise bad("parts must be an integer >= 0")
        last = data.get("lastEventId")
        if last is not None and not isinstance(last, str):
            raise bad("lastEventId must be a string")
        tier = data.get("serviceTier")
        if tier is not None and not isinstance(tier, str):
            raise bad("serviceTier must be a string")
        raw = data.get("includeRawChunks", False)
        if not isinstance(raw, bool):
            raise bad("includeRawChunks must be a boolean")
        warnings = data.get("warnings", [])
        if not isinstance(warnings, list) or not all(isinstance(w, dict) for w in warnings):
            raise bad("warnings must be a list of objects")
        for w in warnings:
            try:
                parts.warning_from_dict(w)
            except errors.InvalidArgumentError as exc:
                raise bad(f"warnings: {exc}") from None
        return cls(
            interaction_id=interaction_id,
            last_event_id=last,
            parts=count,
            include_raw_chunks=raw,
            service_tier=tier,
            warnings=tuple(dict(w) for w in warnings),
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
    data: Any = exc.data
    message = config.scrub(Exception.__str__(exc))
    try:
        parsed = json.loads(body or "")
    except ValueError:
        parsed = None
    inner = parsed.get("error") if isinstance(parsed, dict) else None
    if isinstance(inner, dict) and isinstance(inner.get("message"), str):
        message, data = inner["message"], parsed
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

    Positions are counted in parts since the start of the interaction's stream.
    ``bounds`` holds ``(position after the event, event_id)`` for events with an id,
    for the consumer side to turn its count into a cursor. With ``skip > 0`` (a
    resume) the first ``skip`` parts are produced (to rebuild the transform's state)
    but not passed on, and the event id at that point is checked against the cursor.
    """

    __slots__ = (
        "_expect",
        "_m_end",
        "_m_ids",
        "_skip",
        "_transform",
        "_verified",
        "bounds",
        "produced",
    )

    def __init__(self, transform: Any, skip: int = 0, expect: str | None = None) -> None:
        self._transform = transform
        self._skip = skip
        self._expect = expect
        self._verified = skip == 0 or expect is None
        self._m_end = -1
        self._m_ids: set[str] = set()
        self.produced = 0
        self.bounds: deque[tuple[int, str]] = deque()

    def _keep(self, got: Sequence[parts.Part], out: list[parts.Part]) -> None:
        start = self.produced
        self.produced = start + len(got)
        skip = self._skip
        if start >= skip:
            out.extend(got)
        elif self.produced > skip:
            out.extend(got[skip - start :])

    def _note(self, event_id: str) -> None:
        end = self.produced
        self.bounds.append((end, event_id))
        if not self._verified:
            if end <= self._skip:
                if end > self._m_end:
                    self._m_end, self._m_ids = end, set()
                self._m_ids.add(event_id)
            else:
                self._verify()

    def _verify(self) -> None:
        self._verified = True
        if self._expect not in self._m_ids:
            raise errors.StreamResumeError(
                "the interaction's event log does not match the cursor: expected event "
                f"{self._expect!r} after {self._skip} parts",
                attempts=0,
                last_event_id=self._expect,
            )

    def start(self) -> list[parts.Part]:
        out: list[parts.Part] = []
        self._keep(self._transform.start(), out)
        return out

    def feed(self, batch: list[Any]) -> list[parts.Part]:
        out: list[parts.Part] = []
        transform = self._transform
        for item in batch:
            self._keep(transform.feed(item), out)
            event_id = _event_id(item)
            if event_id is not None:
                self._note(event_id)
        return out

    def finish(self) -> list[parts.Part]:
        out: list[parts.Part] = []
        self._keep(self._transform.finish(), out)
        if self.produced < self._skip:
            raise errors.StreamResumeError(
                f"the interaction's stream has {self.produced} parts, fewer than the "
                f"{self._skip} the cursor says were delivered",
                attempts=0,
                last_event_id=self._expect,
            )
        if not self._verified:
            self._verify()
        return out


_DATA: Final = operator.attrgetter("data")


class _DecodeAndTransform:
    """One stage for a plain stream: SSE events → JSON events → parts.

    The SSE source then takes its fast path (events as they come, no per-event hooks)
    and the decoding runs here in C-level ``map`` loops, feeding the transform whole
    batches: the stream's per-event cost is the decoder's and the transform's only.
    """

    __slots__ = ("_feed", "finish", "start", "transform")

    def __init__(self, transform: Any) -> None:
        self.transform = transform
        self.start = transform.start
        self.finish = transform.finish
        self._feed = transform.feed

    def feed(self, batch: list[ServerSentEvent]) -> list[parts.Part]:
        out: list[parts.Part] = self._feed(list(map(codec.decode_event, map(_DATA, batch))))
        return out


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
        "_batch",
        "_batches",
        "_canceller",
        "_complete",
        "_detached",
        "_entered",
        "_exit",
        "_index",
        "_last_id",
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
        self._service_tier: str | None = (
            plan.cursor.service_tier if plan.cursor is not None else None
        )
        self._canceller = Canceller(plan.config, plan.headers)
        self._exit: AsyncExitStack | None = None
        self._pipeline: PartStream[parts.Part] | None = None
        self._batches: AsyncIterator[list[parts.Part]] | None = None
        self._tracker: _Tracker | None = None
        self._plain: _DecodeAndTransform | None = None
        self._batch: list[parts.Part] = []
        self._index = 0
        self._base = plan.cursor.parts if plan.cursor is not None else 0
        self._last_id: str | None = plan.cursor.last_event_id if plan.cursor is not None else None
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
        if self._tracker is None or self.interaction_id is None:
            return None
        self._advance()
        return InteractionCursor(
            interaction_id=self.interaction_id,
            last_event_id=self._last_id,
            parts=self._base + self._index,
            include_raw_chunks=self._plan.include_raw_chunks,
            service_tier=self._service_tier,
            warnings=tuple(w.to_dict() for w in self.warnings),
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
        # Pop the event bounds the consumer has passed; the last one names the cursor's
        # event. Done per batch too, which keeps the deque bounded by the events in flight.
        tracker = self._tracker
        if tracker is None:
            return
        position = self._base + self._index
        bounds = tracker.bounds
        while bounds and bounds[0][0] <= position:
            self._last_id = bounds.popleft()[1]

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
        self._batches = self._pipeline.batches()
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
        batches, self._batches = self._batches, None
        if batches is not None:
            # Finish the batch iterator now (an abandoned async generator would be
            # finalised later by the event loop, with a ResourceWarning on trio).
            await batches.aclose()  # type: ignore[attr-defined]
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
            return self._open_get_stream(client, skip=plan.cursor.parts)
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
        return self._open_get_stream(client, skip=0)

    def _transform(self) -> Any:
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

    def _open_get_stream(self, client: httpx.AsyncClient, *, skip: int) -> PartStream[parts.Part]:
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
        )
        cursor = plan.cursor
        self._tracker = _Tracker(
            self._transform(),
            skip=skip,
            expect=cursor.last_event_id if cursor is not None else None,
        )
        return open_stream(
            _with_google_errors(source, plan.config), self._tracker, cleanups=[self._maybe_cancel]
        )

    def _open_post_stream(self, client: httpx.AsyncClient) -> PartStream[parts.Part]:
        plan = self._plan
        source = SSESource(
            client,
            "POST",
            plan.config.url("interactions"),
            # The reference's POST carries neither header; keep the wire identical.
            headers={**plan.headers, "Accept": None, "Cache-Control": None},
            json=plan.body,
            resume=None,
            on_response=self._on_response,
        )
        self._plain = _DecodeAndTransform(self._transform())
        return open_stream(_with_google_errors(source, plan.config), self._plain)

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
        index = self._index
        batch = self._batch
        if index < len(batch):
            self._index = index + 1
            return batch[index]
        batches = self._batches
        if batches is None:
            raise RuntimeError("use the stream inside 'async with'")
        batch = await batches.__anext__()
        self._base += len(self._batch)
        self._batch = batch
        self._index = 1
        if self._tracker is not None:
            self._advance()
        return batch[0]

    async def batches(self) -> AsyncIterator[list[parts.Part]]:
        """Iterate whole batches of parts (the fastest way to drain a stream).

        A batch counts as delivered once it is yielded: a :attr:`cursor` taken while
        handling it points after its last part.
        """
        if self._index < len(self._batch):
            rest = self._batch[self._index :]
            self._index = len(self._batch)
            yield rest
        batches = self._batches
        if batches is None:
            raise RuntimeError("use the stream inside 'async with'")
        async for batch in batches:
            self._base += len(self._batch)
            self._batch = batch
            self._index = len(batch)
            if self._tracker is not None:
                self._advance()
            yield batch
