"""One chat answer being produced: the model stream -> UI chunks -> the store's log.

A :class:`Job` runs in the task group of :class:`~partstream.resumable.ChatStreams`
(the application's lifespan), never in a browser's request: a browser that
leaves or reloads does not stop it; a stop request, a new message for the same
chat (``replace``) or the service shutting down do.

Per upstream batch the job appends the batch's UI chunks, each encoded once, and
for a background run the state document that follows them, in one atomic store
write::

    {"cursor": stream.cursor.to_dict(), "ui": converter.snapshot()}

so another worker can continue the run from exactly there (``model.resume`` with
the cursor, ``UIMessageStreamConverter.restore`` with ``ui``). How the log ends:

===============================  ==============================================
what happened                    the log's end
===============================  ==============================================
the model stream finished        its ``finish-step``/``finish`` chunks, ``finish``
the upstream failed at open      ``start`` + ``error`` (the POST answers with an
                                 HTTP error status), ``error``
the stream broke after the open  an ``error`` chunk, ``error``
a stop (any worker)              an ``abort`` chunk, ``abort`` (the background
                                 run is cancelled upstream)
replaced by a new message        an ``abort`` chunk, ``abort`` (cancelled upstream)
the service shuts down           a background run on a shared store is detached
                                 (it goes on upstream) and its lease released, for
                                 another worker to take over; otherwise an
                                 ``error`` chunk, ``error``
the lease was lost               nothing (another worker writes the log now); the
                                 upstream is cancelled unless that worker continues
                                 this very run
===============================  ==============================================
"""

from __future__ import annotations

import logging
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any, Final, Literal, final

import anyio

from ..errors import LeaseLostError, PartstreamError
from ..ui import ErrorChunk, UIMessageChunk, UIMessageStreamConverter, encode_chunk
from ..ui._source import END, first_batch, open_batches
from ._types import EndKind

if TYPE_CHECKING:
    from ._protocol import ResumableStore
    from ._writer import LogWriter

__all__ = ["Job", "ServiceShutdown", "StoreUnavailable", "run_job"]

logger = logging.getLogger("partstream.resumable")

Why = Literal["stop", "replace", "shutdown"]
_RESTARTING: Final = "The server is restarting; ask again."


class ServiceShutdown(PartstreamError):
    """The service shut down while the answer was being produced."""

    def __init__(self) -> None:
        super().__init__(_RESTARTING)


class StoreUnavailable(PartstreamError):
    """The store refused or failed to begin the run (``__cause__`` says why)."""


def _encode(chunks: list[UIMessageChunk]) -> list[bytes]:
    return [encode_chunk(chunk) for chunk in chunks]


@final
class Job:
    """One answer: its source and converter, and how far it got (see the module docs)."""

    __slots__ = (
        "_failed_open",
        "_failure",
        "_opened",
        "background",
        "begun",
        "chat_id",
        "converter",
        "done",
        "entered",
        "message_id",
        "run_id",
        "scope",
        "source",
        "start_chunks",
        "why",
    )

    def __init__(
        self,
        chat_id: str,
        message_id: str,
        source: Any,
        converter: UIMessageStreamConverter,
        start_chunks: list[UIMessageChunk],
    ) -> None:
        self.chat_id = chat_id
        self.message_id = message_id
        self.source = source
        self.converter = converter
        self.start_chunks = start_chunks  # logged with the first batch (or the failure)
        self.scope = anyio.CancelScope()  # cancelled by a stop, a replace or the shutdown
        self.why: Why | None = None
        self.begun = anyio.Event()  # the run exists in the store (or could not be begun)
        self._opened = anyio.Event()  # the upstream answered (or failed, or never will)
        self._failure: BaseException | None = None
        self._failed_open: BaseException | None = None
        self.done = anyio.Event()
        self.entered: Any = None
        self.background = False
        self.run_id: str | None = None

    def __repr__(self) -> str:
        return f"<Job chat={self.chat_id!r} run={self.run_id!r} why={self.why!r}>"

    @property
    def failure(self) -> BaseException | None:
        """Why the run could not begin or its upstream not open (once ``begun``/opened)."""
        return self._failure

    def cancel(self, why: Why) -> None:
        if self.why is None:
            self.why = why
        self.scope.cancel()

    async def opened(self) -> BaseException | None:
        """Wait until the upstream answered; the failure that stopped it, if one did."""
        await self._opened.wait()
        return self._failure

    def _open(self, failure: BaseException | None = None) -> None:
        if not self._opened.is_set():
            self._failure = failure
            self._opened.set()

    def _take_start(self) -> list[UIMessageChunk]:
        chunks, self.start_chunks = self.start_chunks, []
        return chunks

    def _state(self) -> dict[str, Any] | None:
        if not self.background:
            return None
        cursor = self.entered.cursor
        return {"cursor": cursor.to_dict(), "ui": self.converter.snapshot()}


async def run_job(
    job: Job,
    store: ResumableStore,
    *,
    owner: str | None,
    handoff: bool,
    cleanup_timeout: float,
) -> None:
    """Produce ``job`` into ``store``; never raises but for cancellation (see the module)."""
    try:
        writer_cm = store.produce(
            job.chat_id, message_id=job.message_id, owner=owner, replace=True, on_stop="ignore"
        )
        try:
            writer = await writer_cm.__aenter__()
        except PartstreamError as exc:
            logger.warning("could not begin the run of chat %r: %s", job.chat_id, exc)
            failure = StoreUnavailable(f"the store could not begin the run: {type(exc).__name__}")
            failure.__cause__ = exc
            job._failure = failure
            job._open(failure)
            return
        job.run_id = writer.run_id
        job.begun.set()
        try:
            await _produce(job, writer, store, handoff=handoff, cleanup_timeout=cleanup_timeout)
        except BaseException as exc:
            if not await writer_cm.__aexit__(type(exc), exc, exc.__traceback__):
                raise
        else:
            await writer_cm.__aexit__(None, None, None)
    except anyio.get_cancelled_exc_class():
        raise
    except LeaseLostError as exc:
        logger.info("chat %r: the lease was lost (%s)", job.chat_id, exc)
    except Exception:
        logger.exception("chat %r: the producer failed", job.chat_id)
    finally:
        job.begun.set()
        job._open(job._failed_open)  # never leave a response waiting
        job.done.set()


async def _produce(
    job: Job, writer: LogWriter, store: ResumableStore, *, handoff: bool, cleanup_timeout: float
) -> None:
    conv = job.converter
    outcome: tuple[EndKind, list[UIMessageChunk]] | None = None
    with job.scope:
        async with anyio.create_task_group() as tg:

            async def watch_stop() -> None:
                await writer.wait_stop_requested()
                job.cancel("stop")

            tg.start_soon(watch_stop)
            outcome = await _pump(job, writer, store, handoff=handoff, timeout=cleanup_timeout)
            tg.cancel_scope.cancel()
    if outcome is not None:
        kind, chunks = outcome
        await writer.end(kind, _encode(chunks), state=job._state())
        job._open(job._failed_open)
        return
    # Cancelled by a stop, a replace or the shutdown (a failure of the writer raises).
    job._open()  # the log below is what the waiting POST streams
    if job.why == "shutdown" and handoff and job.background:
        await writer.abandon()  # the run goes on upstream: another worker takes it over
        return
    if job.why == "shutdown":
        # The converter closes as on any failure; the browser is told why.
        failed = conv.fail(ServiceShutdown())
        chunks = job._take_start() + [
            ErrorChunk(_RESTARTING) if isinstance(chunk, ErrorChunk) else chunk for chunk in failed
        ]
        await writer.end("error", _encode(chunks), reason="the service shut down")
        return
    reason = "stopped" if job.why == "stop" else "replaced by a new message"
    try:
        await writer.end("abort", _encode(job._take_start() + conv.abort()), reason=reason)
    except LeaseLostError:
        if job.why != "replace":  # a replacing run fences this one off: that is expected
            raise


async def _pump(
    job: Job, writer: LogWriter, store: ResumableStore, *, handoff: bool, timeout: float
) -> tuple[EndKind, list[UIMessageChunk]]:
    conv = job.converter
    async with AsyncExitStack() as stack:
        try:
            entered, batches = await open_batches(job.source, stack)
            job.entered = entered
            job.background = getattr(entered, "cursor", None) is not None
            first = await first_batch(batches)
        except Exception as exc:  # before the first part: the POST answers with a status,
            job._failed_open = exc  # once the log has ended (a resume then finds it ended)
            return "error", job._take_start() + conv.fail(exc)
        job._open()
        interaction_id: str | None = None
        try:
            batch = first
            while batch is not END:
                chunks = conv.feed(batch)
                if job.start_chunks:
                    chunks = job._take_start() + chunks
                found = getattr(entered, "interaction_id", None)
                new_id = found if found != interaction_id else None
                interaction_id = found
                await writer.append(_encode(chunks), state=job._state(), interaction_id=new_id)
                batch = await anext(batches, END)
            return "finish", conv.finish()
        except Exception as exc:
            if writer.failure is not None:
                raise  # the lease is lost or the store failed: nothing more to log
            logger.info("chat %r: the stream broke: %s", job.chat_id, type(exc).__name__)
            return "error", conv.fail(exc)
        finally:
            # Leaving the block cancels a background run upstream, unless it goes on
            # without this worker: handed off at shutdown, or taken over by another.
            if job.background and (
                (job.why == "shutdown" and handoff)
                or await _taken_over(job, writer, store, timeout)
            ):
                entered.detach()


async def _taken_over(job: Job, writer: LogWriter, store: ResumableStore, timeout: float) -> bool:
    """Whether another worker took this very run over (rather than a new run fencing it off)."""
    if not isinstance(writer.failure, LeaseLostError) or job.why == "replace":
        return False
    with anyio.move_on_after(timeout, shield=True):
        try:
            run = await store.find_run(job.chat_id)
        except PartstreamError:
            return True  # cannot tell: leave the run to whoever holds the lease now
        return run is not None and run.run_id == job.run_id and run.active
    return True
