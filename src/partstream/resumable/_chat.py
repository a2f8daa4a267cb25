"""Chat answers produced in the background of a service and served from the log.

:class:`ChatStreams` is what a chat endpoint needs beyond parsing the request:

* ``await chats.start(chat_id, model.stream(...), converter=...)`` begins the
  chat's run in the store, runs the model stream **in the service's task group**
  (not in the request: a browser that leaves or reloads does not stop it) and
  returns the response for the POST, which waits for the upstream's answer (an
  error until then is an HTTP error status) and then streams the log;
* ``await chats.resume(chat_id)``: the response for ``GET /api/chat/{id}/stream``,
  the run's log from its first chunk (``DefaultChatTransport`` replays it), or
  ``204`` when the chat has no active run;
* ``await chats.stop(chat_id)``: stops the run on whichever worker produces it
  (and cancels a background run upstream).

Use it as an async context manager in the application's lifespan; leaving the
block stops what is still running, bounded by ``cleanup_timeout``::

    @asynccontextmanager
    async def lifespan(app):
        async with create_google() as google, ChatStreams(MemoryStore()) as chats:
            yield {"google": google, "chats": chats}
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, final

import anyio
import anyio.abc

from ..errors import InvalidArgumentError
from ..ui import ErrorResponse, TextResponse, UIMessageStreamConverter, default_error_response
from ..ui._http import ResponseBase
from ._chat_job import Job, StoreUnavailable, logger, run_job
from ._chat_response import BUSY, ChatStreamResponse, NoContentResponse, Slots
from ._memory import MemoryStore
from ._types import DEFAULT_ORPHAN_TIMEOUT, check_chat_id, check_int
from ._writer import DEFAULT_CLEANUP_TIMEOUT

if TYPE_CHECKING:
    from ._protocol import ResumableStore

__all__ = [
    "DEFAULT_MAX_READERS",
    "DEFAULT_MAX_STREAMS",
    "ChatStreams",
    "chat_error_response",
    "default_message_id",
]

#: Answers produced at once by one ChatStreams (``start`` answers 503 beyond).
DEFAULT_MAX_STREAMS: Final = 100
#: Stream responses served at once by one ChatStreams (503 beyond).
DEFAULT_MAX_READERS: Final = 1000
_ALPHABET: Final = string.ascii_letters + string.digits
_STORE_DOWN: Final = ErrorResponse(
    503, "The chat store is unavailable; try again shortly.", (("retry-after", "1"),)
)


def default_message_id() -> str:
    """A message id like the reference's ``generateId()`` (16 random alphanumerics)."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(16))


def chat_error_response(exc: BaseException) -> ErrorResponse:
    """:func:`~partstream.ui.default_error_response`, and 503 when the store failed."""
    if isinstance(exc, StoreUnavailable):
        return _STORE_DOWN
    return default_error_response(exc)


@final
class ChatStreams:
    """Run chats' answers in the background of a service; serve them from a shared log.

    ``store``: a :class:`~partstream.resumable.MemoryStore` (one process) or a
    :class:`~partstream.resumable.RedisStore` (many workers). ``converter()``
    makes the converter of a run when ``start`` is given none (and, to continue a
    run another worker began, the one its snapshot is restored into: give every
    run converters with the same options). ``max_streams``: answers produced at
    once here, ``max_readers``: stream responses served at once here (both 503
    beyond). ``keep_alive``: seconds of silence after which a ``: keep-alive``
    comment is sent. ``error_response`` maps a failure of the upstream's open to
    the HTTP answer (by default :func:`chat_error_response`). ``handoff``: at
    shutdown, leave background runs going upstream for another worker to take
    over (default: when the store is shared, not a MemoryStore).
    ``cleanup_timeout`` bounds each stop and the shutdown; ``orphan_timeout`` is
    how long a reader waits on a run nobody produces.
    """

    __slots__ = (
        "_cleanup_timeout",
        "_closing",
        "_converter",
        "_error_response",
        "_generate_message_id",
        "_handoff",
        "_jobs",
        "_keep_alive",
        "_orphan_timeout",
        "_owner",
        "_producers",
        "_readers",
        "_store",
        "_tg",
    )

    def __init__(
        self,
        store: ResumableStore,
        *,
        converter: Callable[[], UIMessageStreamConverter] = UIMessageStreamConverter,
        max_streams: int = DEFAULT_MAX_STREAMS,
        max_readers: int = DEFAULT_MAX_READERS,
        keep_alive: float | None = None,
        error_response: Callable[[BaseException], ErrorResponse] = chat_error_response,
        generate_message_id: Callable[[], str] = default_message_id,
        owner: str | None = None,
        handoff: bool | None = None,
        cleanup_timeout: float = DEFAULT_CLEANUP_TIMEOUT,
        orphan_timeout: float = DEFAULT_ORPHAN_TIMEOUT,
    ) -> None:
        check_int("max_streams", max_streams, 1)
        check_int("max_readers", max_readers, 1)
        for name, number in (
            ("keep_alive", keep_alive),
            ("cleanup_timeout", cleanup_timeout),
            ("orphan_timeout", orphan_timeout),
        ):
            if number is not None and not 0 < number < float("inf"):
                raise InvalidArgumentError(f"{name} must be a positive number", argument=name)
        self._store = store
        self._converter = converter
        self._producers = Slots(max_streams)
        self._readers = Slots(max_readers)
        self._keep_alive = keep_alive
        self._error_response = error_response
        self._generate_message_id = generate_message_id
        self._owner = owner
        self._handoff = not isinstance(store, MemoryStore) if handoff is None else handoff
        self._cleanup_timeout = cleanup_timeout
        self._orphan_timeout = orphan_timeout
        self._jobs: dict[str, Job] = {}
        self._tg: anyio.abc.TaskGroup | None = None
        self._closing = False

    def __repr__(self) -> str:
        return f"<ChatStreams producing={len(self._jobs)} serving={self._readers.used}>"

    @property
    def store(self) -> ResumableStore:
        return self._store

    @property
    def producing(self) -> int:
        """Answers being produced here now."""
        return len(self._jobs)

    @property
    def serving(self) -> int:
        """Stream responses being served here now."""
        return self._readers.used

    # -- lifespan -----------------------------------------------------------------------

    async def __aenter__(self) -> ChatStreams:
        if self._tg is not None or self._closing:
            raise RuntimeError("a ChatStreams can be entered only once")
        tg = anyio.create_task_group()
        await tg.__aenter__()
        self._tg = tg
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        tg = self._tg
        if tg is None:
            return None
        self._closing = True
        jobs = list(self._jobs.values())
        for job in jobs:
            job.cancel("shutdown")
        # Each producer ends its log (or hands its run off); bounded, then cut short.
        with anyio.move_on_after(self._cleanup_timeout, shield=True):
            for job in jobs:
                await job.done.wait()
        tg.cancel_scope.cancel()
        try:
            return await tg.__aexit__(exc_type, exc, tb)
        except BaseExceptionGroup as group:
            # The producers never raise: the group holds the block's own exception,
            # which goes on as itself (the block's caller need not unwrap a group).
            if exc is not None and all(e is exc for e in group.exceptions):
                return False
            raise

    # -- the three routes ---------------------------------------------------------------

    async def start(
        self,
        chat_id: str,
        source: Any,
        *,
        converter: UIMessageStreamConverter | None = None,
        message_id: str | None = None,
    ) -> ResponseBase:
        """Begin the chat's answer from ``source``; the response for the POST.

        ``source`` is what :class:`~partstream.ui.UIMessageStreamResponse` takes
        (``model.stream(...)``: entered here, in the background). A run the chat
        still has (here or on another worker) ends with ``abort``: the new message
        replaces it. ``message_id`` names the answer when the converter does not
        (it continues no assistant message and has no ``generate_message_id``);
        by default a new id. Answers 503 at ``max_streams`` or when the store
        cannot begin the run.
        """
        check_chat_id(chat_id)
        tg = self._tg
        if tg is None or self._closing:
            raise RuntimeError("use ChatStreams inside 'async with' (the app's lifespan)")
        conv = converter if converter is not None else self._converter()
        old = self._jobs.get(chat_id)
        if old is not None:
            # The new message replaces the chat's answer: stop it first (bounded).
            old.cancel("replace")
            with anyio.move_on_after(self._cleanup_timeout):
                await old.done.wait()
        if self._producers.used >= self._producers.limit:
            return TextResponse.for_error(BUSY)  # the source was never entered: nothing to close
        start_chunks = conv.start(message_id=message_id or self._generate_message_id())
        assert conv.message_id is not None
        job = Job(chat_id, conv.message_id, source, conv, start_chunks)
        self._producers.acquire()  # released by _run, which runs from here on
        self._jobs[chat_id] = job
        tg.start_soon(self._run, job)
        await job.begun.wait()
        if job.run_id is None:
            failure = job.failure or StoreUnavailable("the run could not begin")
            return TextResponse.for_error(self._error_response(failure))
        return self._response(chat_id, job.run_id, job.opened)

    async def resume(self, chat_id: str, *, message_id: str | None = None) -> ResponseBase:
        """The chat's active answer from its first chunk, or ``204`` when there is none.

        With ``message_id``: that answer even when it has ended since (while the store
        keeps its log), for a page that reloaded mid-answer and holds the message
        half done; ``204`` when the chat's latest answer is another one.
        """
        check_chat_id(chat_id)
        run = await self._store.find_run(chat_id)
        wanted = run is not None and (
            run.active if message_id is None else run.message_id == message_id
        )
        if run is None or not wanted:
            return NoContentResponse()
        return self._response(chat_id, run.run_id, None)

    async def stop(self, chat_id: str) -> bool:
        """Stop the chat's active answer (on any worker); False when it had none.

        When this process produces it, returns once its log has ended (bounded by
        ``cleanup_timeout``): a background run has been cancelled upstream by then.
        """
        check_chat_id(chat_id)
        stopped = await self._store.request_stop(chat_id)
        job = self._jobs.get(chat_id)
        if job is not None:
            if not stopped:
                job.cancel("stop")  # not begun in the store yet: stop it here
            stopped = True
            with anyio.move_on_after(self._cleanup_timeout):
                await job.done.wait()
        return stopped

    # -- internals ----------------------------------------------------------------------

    def _response(self, chat_id: str, run_id: str, opening: Any) -> ChatStreamResponse:
        return ChatStreamResponse(
            self._store,
            chat_id,
            run_id,
            slots=self._readers,
            opening=opening,
            error_response=self._error_response,
            keep_alive=self._keep_alive,
            orphan_timeout=self._orphan_timeout,
        )

    async def _run(self, job: Job) -> None:
        try:
            await run_job(
                job,
                self._store,
                owner=self._owner,
                handoff=self._handoff,
                cleanup_timeout=self._cleanup_timeout,
            )
        finally:
            self._producers.release()
            if self._jobs.get(job.chat_id) is job:
                del self._jobs[job.chat_id]
            logger.debug("chat %r: producer done (%s)", job.chat_id, job.why or "ended")
