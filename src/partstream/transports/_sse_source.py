"""The SSE source actor: an httpx streaming request, the decoder, and resume.

An :class:`SSESource` is a pipeline source (``await source(emit)``): it sends
the request, feeds each network read to an :class:`SSEDecoder`, turns the
events into items (``decode``) and hands them to ``emit`` as one batch per
read. It reads the socket again only after ``emit`` returned, so a consumer
that stalls stops the reads (and TCP flow control stops the server).

Resume (``resume=ResumePolicy()``): when the body ends or fails before an item
for which ``is_terminal`` is true, the source reconnects, carrying the last
event ID it delivered either as the standard ``Last-Event-ID`` header or as a
query parameter. The rules, which follow the AI SDK's
``streamGoogleInteractionEvents``:

* an attempt that delivered at least one item resets the failure count; one
  that delivered nothing (a refused connection, a retryable HTTP error, an
  empty body) counts as a failure;
* before reconnecting it waits ``base_delay * failures`` seconds (so 0 after a
  productive attempt), or the server's ``retry:`` field if one was received,
  or the response's ``Retry-After``; capped at ``max_delay``, times a random
  factor in ``[1, 1 + jitter]``;
* after ``max_attempts`` consecutive failures it raises
  :class:`~partstream.errors.StreamResumeError` whose ``__cause__`` is the
  last failure (its message says "SSE stream closed without producing any
  events" when the last attempt ended cleanly but empty);
* errors that a retry cannot fix are raised at once, unwrapped: a
  non-retryable HTTP status (400, 401, 403, 404, ...), a 2xx that is not
  ``text/event-stream``, an event over ``max_event_size``, and any exception
  raised by the ``decode``/``decode_data``/``event_id``/``is_terminal``/``on_response``
  hooks;
* a cancellation (the consumer left, a deadline) is never retried.

Replays: a server asked to resume after ID ``X`` may send event ``X`` again.
The first item of a resumed attempt that carries an ID is dropped when that ID
equals ``X`` (an exact repeat of the last delivered ID); later items are never
dropped, since with the SSE ``id`` field several events legitimately share the
last event ID. A replay of events *before* ``X`` cannot be detected and is
passed on.

Without a ``resume`` policy, a failure is raised as is (translated) and a
clean end of the body ends the stream. With a policy but no ``is_terminal``
predicate, nothing says the stream is incomplete, so a clean end also ends it
and only failures are resumed.
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any, Final, Generic, TypeVar, final, overload

import anyio
import httpx
from httpx._client import UseClientDefault

from ..errors import (
    MAX_ERROR_BODY,
    APICallError,
    InvalidArgumentError,
    InvalidResponseDataError,
    StreamResumeError,
    TransportError,
    truncate_body,
)
from ..pipeline import Emit
from ._sse_decoder import DEFAULT_MAX_EVENT_SIZE, ServerSentEvent, SSEDecoder
from ._sse_httpx import (
    _CLOSE_TIMEOUT,
    DEFAULT_TIMEOUT,
    _close,
    _default_ssl_context,
    _is_retryable,
    translate_httpx_error,
)
from ._sse_resume import ResumePolicy, parse_retry_after

__all__ = ["SSESource"]

T = TypeVar("T")

_EMPTY_CLOSE: Final = "SSE stream closed without producing any events"
#: How many of the latest waits ``SSESource.delays`` remembers.
_KEEP_DELAYS: Final = 64


class _Dropped(Exception):
    """An attempt's body ended cleanly before the terminal item (internal)."""


@final
class SSESource(Generic[T]):
    """A pipeline source that streams server-sent events over httpx, with resume.

    ``SSESource(client, "GET", url, ...)`` is used as
    ``open_stream(source, *stages)``. With ``client=None`` it creates its own
    ``httpx.AsyncClient`` (``DEFAULT_TIMEOUT``, following redirects) and closes
    it when done, even when cancelled; a client you pass is yours to close.

    Every request carries ``Accept: text/event-stream`` and
    ``Cache-Control: no-store`` (``headers`` can add or override headers; a
    ``None`` value removes one). ``decode`` turns each event into the item
    emitted (the event itself by default). ``event_id`` reads the resume ID
    from an item (default: the event's SSE ``id``); ``is_terminal`` marks the
    item after which the stream is complete and never resumed. ``sleep`` waits
    between attempts (tests inject a recorder; ``delays`` lists the waits).

    ``decode_data`` is the batch form for streams that read only the events'
    data (a JSON stream without resume): it gets the ``data`` strings of each
    read's events (:meth:`SSEDecoder.feed_data`) and returns the batch to emit
    (an empty one emits nothing). It cannot be combined with ``decode``,
    ``event_id``, ``is_terminal`` or ``resume``; ``last_event_id`` is then the
    decoder's last event ID after each read.

    Readable at any time: ``last_event_id`` (the ID of the last item handed to
    ``emit``; a portable cursor: pass it as ``last_event_id=`` to a new source
    to continue elsewhere), ``attempts``
    (requests sent so far) and ``delays`` (the latest waits before reconnecting,
    at most 64). One source runs one stream at a time.

    The cursor moves only forward: an item without an ID (``event_id`` returned
    ``None``, or an SSE event before any ``id:`` field of its connection) keeps
    the previous one, so an empty ``id:`` field does not clear it. Each
    connection gets a fresh decoder, as the standard's per-stream buffers are.
    """

    @overload
    def __init__(
        self: SSESource[ServerSentEvent],
        client: httpx.AsyncClient | None,
        method: str,
        url: str | httpx.URL,
        *,
        headers: Mapping[str, str | None] | None = None,
        json: Any = None,
        content: bytes | str | None = None,
        params: Mapping[str, str] | None = None,
        decode: None = None,
        decode_data: None = None,
        event_id: Callable[[ServerSentEvent], str | None] | None = None,
        is_terminal: Callable[[ServerSentEvent], bool] | None = None,
        resume: ResumePolicy | None = None,
        last_event_id: str | None = None,
        max_event_size: int = DEFAULT_MAX_EVENT_SIZE,
        timeout: httpx.Timeout | float | UseClientDefault | None = ...,
        on_response: Callable[[httpx.Response], None] | None = None,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
        max_error_body: int = MAX_ERROR_BODY,
    ) -> None: ...

    @overload
    def __init__(
        self,
        client: httpx.AsyncClient | None,
        method: str,
        url: str | httpx.URL,
        *,
        headers: Mapping[str, str | None] | None = None,
        json: Any = None,
        content: bytes | str | None = None,
        params: Mapping[str, str] | None = None,
        decode: Callable[[ServerSentEvent], T],
        decode_data: None = None,
        event_id: Callable[[T], str | None] | None = None,
        is_terminal: Callable[[T], bool] | None = None,
        resume: ResumePolicy | None = None,
        last_event_id: str | None = None,
        max_event_size: int = DEFAULT_MAX_EVENT_SIZE,
        timeout: httpx.Timeout | float | UseClientDefault | None = ...,
        on_response: Callable[[httpx.Response], None] | None = None,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
        max_error_body: int = MAX_ERROR_BODY,
    ) -> None: ...

    @overload
    def __init__(
        self,
        client: httpx.AsyncClient | None,
        method: str,
        url: str | httpx.URL,
        *,
        headers: Mapping[str, str | None] | None = None,
        json: Any = None,
        content: bytes | str | None = None,
        params: Mapping[str, str] | None = None,
        decode: None = None,
        decode_data: Callable[[list[str]], list[T]],
        event_id: None = None,
        is_terminal: None = None,
        resume: None = None,
        last_event_id: str | None = None,
        max_event_size: int = DEFAULT_MAX_EVENT_SIZE,
        timeout: httpx.Timeout | float | UseClientDefault | None = ...,
        on_response: Callable[[httpx.Response], None] | None = None,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
        max_error_body: int = MAX_ERROR_BODY,
    ) -> None: ...

    def __init__(
        self,
        client: httpx.AsyncClient | None,
        method: str,
        url: str | httpx.URL,
        *,
        headers: Mapping[str, str | None] | None = None,
        json: Any = None,
        content: bytes | str | None = None,
        params: Mapping[str, str] | None = None,
        decode: Callable[[ServerSentEvent], Any] | None = None,
        decode_data: Callable[[list[str]], list[Any]] | None = None,
        event_id: Callable[[Any], str | None] | None = None,
        is_terminal: Callable[[Any], bool] | None = None,
        resume: ResumePolicy | None = None,
        last_event_id: str | None = None,
        max_event_size: int = DEFAULT_MAX_EVENT_SIZE,
        timeout: httpx.Timeout | float | UseClientDefault | None = (httpx.USE_CLIENT_DEFAULT),
        on_response: Callable[[httpx.Response], None] | None = None,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
        max_error_body: int = MAX_ERROR_BODY,
    ) -> None:
        if json is not None and content is not None:
            raise InvalidArgumentError("pass json or content, not both", argument="content")
        if decode_data is not None and (
            decode is not None
            or event_id is not None
            or is_terminal is not None
            or resume is not None
        ):
            raise InvalidArgumentError(
                "decode_data cannot be combined with decode, event_id, is_terminal or resume",
                argument="decode_data",
            )
        SSEDecoder(max_event_size=max_event_size)  # validates max_event_size
        self._client = client
        self._method = method.upper()
        self._url = httpx.URL(url)
        base: dict[str, str | None] = {
            "Accept": "text/event-stream",
            "Cache-Control": "no-store",
        }
        self._headers = httpx.Headers(
            {k: v for k, v in {**base, **(headers or {})}.items() if v is not None}
        )
        self._json = json
        self._content = content
        self._params = dict(params or {})
        self._decode = decode
        self._decode_data = decode_data
        self._event_id = event_id
        self._is_terminal = is_terminal
        self._resume = resume
        self._max_event_size = max_event_size
        self._timeout = timeout
        self._on_response = on_response
        self._sleep = sleep
        self._max_error_body = max_error_body
        self._server_retry: float | None = None
        self._produced = False
        self._dedupe: str | None = None
        self.last_event_id: str | None = last_event_id or None
        self.attempts = 0
        self.delays: deque[float] = deque(maxlen=_KEEP_DELAYS)

    @property
    def url(self) -> str:
        return str(self._url)

    async def __call__(self, emit: Emit[T]) -> None:
        client = self._client
        if client is not None:
            await self._run(client, emit)
            return
        # Redirects are followed, as an EventSource's fetch does.
        client = httpx.AsyncClient(
            timeout=DEFAULT_TIMEOUT, follow_redirects=True, verify=_default_ssl_context()
        )
        try:
            await self._run(client, emit)
        finally:
            # Cleanup survives cancellation: shielded, bounded.
            with anyio.move_on_after(_CLOSE_TIMEOUT, shield=True):
                await client.aclose()

    # -- the resume loop -----------------------------------------------------------------

    async def _run(self, client: httpx.AsyncClient, emit: Emit[T]) -> None:
        policy = self._resume
        failures = 0
        while True:
            self.attempts += 1
            self._produced = False
            failure: Exception
            try:
                if await self._attempt(client, emit):
                    return
                if policy is None:
                    return  # no resume: a clean end of the body is the end
                failure = _Dropped(_EMPTY_CLOSE)
            except Exception as exc:
                if policy is None or not _is_retryable(exc):
                    raise
                failure = exc
            if self._produced:
                failures = 0
            else:
                failures += 1
                if failures >= policy.max_attempts:
                    raise self._give_up(failure, failures)
            delay = policy.delay(
                failures,
                server_retry=self._server_retry,
                retry_after=getattr(failure, "retry_after", None),
            )
            self.delays.append(delay)
            await self._sleep(delay)

    def _give_up(self, failure: Exception, failures: int) -> StreamResumeError:
        if isinstance(failure, _Dropped):
            cause: Exception = TransportError(f"{_EMPTY_CLOSE} (HTTP body from {self._url})")
            message = f"{_EMPTY_CLOSE}; gave up after {failures} consecutive failed attempts"
        else:
            cause = failure
            message = (
                f"gave up resuming the SSE stream from {self._url} after {failures} "
                f"consecutive failed attempts; last failure: {failure}"
            )
        error = StreamResumeError(message, attempts=self.attempts, last_event_id=self.last_event_id)
        error.__cause__ = cause
        return error

    # -- one attempt ---------------------------------------------------------------------

    def _request(self, client: httpx.AsyncClient) -> httpx.Request:
        headers = self._headers.copy()
        params = dict(self._params)
        cursor = self.last_event_id
        if cursor is not None:
            policy = self._resume
            if policy is not None and policy.id_in == "query":
                params[policy.query_param] = cursor
            else:
                headers["Last-Event-ID"] = cursor  # WHATWG: the reconnection request header
        # The server may replay the event we resume after: drop that exact repeat.
        self._dedupe = cursor
        return client.build_request(
            self._method,
            self._url,
            headers=headers,
            params=params or None,
            json=self._json,
            content=self._content,
            timeout=self._timeout,
        )

    async def _attempt(self, client: httpx.AsyncClient, emit: Emit[T]) -> bool:
        """One request; True when the stream is complete, False when it dropped early."""
        url = str(self._url)
        try:
            request = self._request(client)
            response = await client.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise translate_httpx_error(exc, url=url) from exc
        except httpx.InvalidURL as exc:
            raise translate_httpx_error(exc, url=url) from exc
        chunks = response.aiter_bytes()
        try:
            if response.status_code == 204:
                # WHATWG: "HTTP 204 No Content ... must fail the connection": the server
                # has nothing (more) to send; do not reconnect.
                return True
            if not response.is_success:
                raise await self._status_error(response)
            content_type = response.headers.get("content-type", "")
            if content_type.split(";", 1)[0].strip().lower() != "text/event-stream":
                raise await self._content_type_error(response, content_type)
            if self._on_response is not None:
                self._on_response(response)
            decoder = SSEDecoder(max_event_size=self._max_event_size)
            if self._decode_data is not None:
                await self._deliver_data(chunks, decoder, emit, url)
                return True
            try:
                async for chunk in chunks:
                    events = decoder.feed(chunk)
                    if decoder.retry is not None:
                        self._server_retry = decoder.retry / 1000.0
                    if events and await self._deliver(events, emit):
                        return True
            except httpx.HTTPError as exc:
                raise translate_httpx_error(exc, url=url) from exc
            decoder.end()  # an unterminated event at the end is dropped (WHATWG)
            return self._is_terminal is None
        finally:
            await _close(response, chunks)

    async def _deliver_data(
        self, chunks: AsyncIterator[bytes], decoder: SSEDecoder, emit: Emit[T], url: str
    ) -> None:
        """The ``decode_data`` loop: one ``decode_data`` call and one batch per read."""
        decode_data = self._decode_data
        assert decode_data is not None
        feed_data = decoder.feed_data
        try:
            async for chunk in chunks:
                data = feed_data(chunk)
                if data:
                    self._produced = True
                    items = decode_data(data)
                    if items:
                        await emit(items)
                    last = decoder.last_event_id
                    if last is not None:
                        self.last_event_id = last
        except httpx.HTTPError as exc:
            raise translate_httpx_error(exc, url=url) from exc
        decoder.end()  # an unterminated event at the end is dropped (WHATWG)

    async def _deliver(self, events: list[ServerSentEvent], emit: Emit[T]) -> bool:
        """Emit one batch for one read; True when it held the terminal item."""
        decode = self._decode
        hook = self._event_id
        is_terminal = self._is_terminal
        if decode is None and hook is None and is_terminal is None and self._dedupe is None:
            # Fast path: the events are the items, ids come from the SSE id field.
            self._produced = True
            await emit(events)  # type: ignore[arg-type]
            last = events[-1].id
            if last is not None:
                self.last_event_id = last
            return False
        items: list[Any] = events if decode is None else [decode(ev) for ev in events]
        batch: list[Any] = []
        terminal = False
        last = None
        for ev, item in zip(events, items, strict=True):
            eid = ev.id if hook is None else hook(item)
            if eid is not None:
                if self._dedupe is not None:
                    replayed = eid == self._dedupe
                    self._dedupe = None
                    if replayed:
                        continue
                last = eid
            batch.append(item)
            if is_terminal is not None and is_terminal(item):
                terminal = True
                break
        if batch:
            self._produced = True
            await emit(batch)
        # The cursor covers what the pipeline accepted, not what was only decoded.
        if last is not None:
            self.last_event_id = last
        return terminal

    async def _read_excerpt(self, response: httpx.Response) -> bytes:
        body = bytearray()
        chunks = response.aiter_bytes()
        try:
            async for chunk in chunks:
                body += chunk
                if len(body) > self._max_error_body:
                    break
        except httpx.HTTPError:
            pass  # a partial body is still worth showing
        finally:
            await _close(response, chunks)
        return bytes(body[: self._max_error_body + 1])

    async def _status_error(self, response: httpx.Response) -> APICallError:
        body = await self._read_excerpt(response)
        return APICallError(
            f"SSE request failed: {response.reason_phrase or 'HTTP error'}",
            url=str(response.request.url),
            status_code=response.status_code,
            response_headers=dict(response.headers),
            response_body=truncate_body(body, self._max_error_body),
            retry_after=parse_retry_after(response.headers),
        )

    async def _content_type_error(
        self, response: httpx.Response, content_type: str
    ) -> InvalidResponseDataError:
        excerpt = truncate_body(await self._read_excerpt(response), self._max_error_body)
        shown = repr(content_type) if content_type else "no content type"
        return InvalidResponseDataError(
            f"expected a text/event-stream response, got {shown} "
            f"(HTTP {response.status_code} from {response.request.url}); body: {excerpt!r}",
            data=excerpt,
        )
