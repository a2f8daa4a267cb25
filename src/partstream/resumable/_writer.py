"""The producer's end of a shared log: fenced, group-committed, renewed, stoppable.

``async with store.produce(chat_id, message_id=...) as writer`` takes the
chat's lease and runs three helper tasks in the writer's task group:

- the *flusher* writes what ``append`` queued, joining every append queued
  while the previous write was in flight, or within ``flush_interval`` of it,
  into one atomic store write (chunks joined, the last state kept with the
  offset it belongs to), so the store is called at most once per upstream
  batch, and at most once per ``flush_interval`` under load;
- the *renewer* extends the lease every third of its ttl (and learns of stops
  from it, should the stop signal itself be lost);
- the *stop watcher* waits for a stop requested from any worker.

A lost lease (another worker took over: fencing) or a store failure cancels
the block and surfaces as the store's exception when the block exits. A stop
cancels the block too (``on_stop="cancel"``) and the log ends with ``abort``.

How the block ends decides how the log ends:

=====================================  ============================================
block                                  log
=====================================  ============================================
``writer.end(...)`` was called          ended as asked
leaves normally                         ``finish``
raises an exception                     ``error`` (after ``error_chunks``), re-raised
cancelled by a stop                     ``abort`` (after ``abort_chunks``)
cancelled from outside                  left open, lease released: ready for a takeover
lease lost                              untouched (another worker owns it now)
=====================================  ============================================

What was queued is always written before the end (or the release), shielded
from cancellation and bounded by ``cleanup_timeout``.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Awaitable, Callable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, final

import anyio
import anyio.abc

from ..errors import InvalidArgumentError, PartstreamError, ResumableError
from ._types import (
    END_KINDS,
    Chunk,
    EndKind,
    Lease,
    LogEnd,
    RunInfo,
    check_reason,
    encode_batch,
    encode_chunks,
    encode_state,
)
from ._write_queue import WriteItem as _Item
from ._write_queue import take_write

if TYPE_CHECKING:
    from ._primitives import OnStop, StorePrimitives

__all__ = [
    "DEFAULT_CLEANUP_TIMEOUT",
    "DEFAULT_FLUSH_INTERVAL",
    "DEFAULT_MAX_PENDING_BYTES",
    "LogWriter",
]

#: Bytes of chunk JSON queued before ``append`` waits for the store (backpressure).
DEFAULT_MAX_PENDING_BYTES: Final = 1024 * 1024
#: Seconds a writer waits after a write before the next one, joining the appends queued
#: meanwhile (``flush()``, ``end()`` and a full queue do not wait). The first append
#: after a quiet spell is written at once. Readers on other workers see a chunk at
#: most this much later than the producer's own client; every write costs the
#: producer one Redis round trip (~130 us of CPU through coredis), so this bounds
#: what logging costs per second of a stream. (10 ms measured best in
#: ``benchmarks/bench_resumable.py``: longer lets big queues build up, which costs more.)
DEFAULT_FLUSH_INTERVAL: Final = 0.01
#: Seconds the final writes (or the release) may take when the block exits.
DEFAULT_CLEANUP_TIMEOUT: Final = 10.0
Opener = Callable[[], Awaitable[tuple[Lease, RunInfo]]]


@final
class LogWriter:
    """Appends UI chunks (and the state that follows them) to a run's log.

    Use it as ``async with`` (see the module docs). ``offset`` counts the chunks
    appended so far (queued included); ``logged_offset`` those the store holds.
    ``run`` is the run as it stood when the lease was taken: for a takeover,
    ``run.state`` / ``run.offset`` are where to continue from.
    """

    __slots__ = (
        "_abort_chunks",
        "_changed",
        "_cleanup_timeout",
        "_closing",
        "_end",
        "_error_chunks",
        "_failure",
        "_flush_interval",
        "_hurry",
        "_inflight",
        "_lease",
        "_logged",
        "_max_bytes",
        "_max_chunks",
        "_max_pending_bytes",
        "_offset",
        "_on_stop",
        "_open",
        "_pending",
        "_pending_bytes",
        "_run",
        "_stop_cancelled",
        "_stop_event",
        "_store",
        "_tg",
        "_urgent",
    )

    def __init__(
        self,
        store: StorePrimitives,
        open_run: Opener,
        *,
        on_stop: OnStop = "cancel",
        abort_chunks: Sequence[Chunk] = (),
        error_chunks: Sequence[Chunk] = (),
        max_pending_bytes: int = DEFAULT_MAX_PENDING_BYTES,
        flush_interval: float = DEFAULT_FLUSH_INTERVAL,
        cleanup_timeout: float = DEFAULT_CLEANUP_TIMEOUT,
    ) -> None:
        if on_stop not in ("cancel", "ignore"):
            raise InvalidArgumentError("on_stop is 'cancel' or 'ignore'", argument="on_stop")
        if max_pending_bytes < 1:
            raise InvalidArgumentError(
                "max_pending_bytes must be positive", argument="max_pending_bytes"
            )
        self._store = store
        self._open = open_run
        self._on_stop = on_stop
        self._abort_chunks = encode_chunks(abort_chunks)
        self._error_chunks = encode_chunks(error_chunks)
        self._max_pending_bytes = max_pending_bytes
        self._max_chunks = store.max_chunks
        self._max_bytes = store.max_bytes
        self._cleanup_timeout = cleanup_timeout
        self._flush_interval = flush_interval
        self._hurry: anyio.Event | None = None
        self._urgent = False
        self._lease: Lease | None = None
        self._run: RunInfo | None = None
        self._tg: anyio.abc.TaskGroup | None = None
        self._pending: list[_Item] = []
        self._pending_bytes = 0
        self._offset = 0
        self._logged = 0
        self._inflight = 0  # items of a write that was cut short: retried exactly as it was
        self._changed: anyio.Event | None = None
        self._stop_event: anyio.Event | None = None
        self._failure: PartstreamError | None = None
        self._closing = False
        self._stop_cancelled = False
        self._end: LogEnd | None = None

    def __repr__(self) -> str:
        lease = self._lease
        where = f"chat={lease.chat_id!r} run={lease.run_id!r} token={lease.token}" if lease else ""
        return f"<LogWriter {where} offset={self._offset} logged={self._logged}>"

    # -- what the writer knows ----------------------------------------------------------

    @property
    def lease(self) -> Lease:
        if self._lease is None:
            raise RuntimeError("use the writer inside 'async with'")
        return self._lease

    @property
    def run(self) -> RunInfo:
        if self._run is None:
            raise RuntimeError("use the writer inside 'async with'")
        return self._run

    @property
    def chat_id(self) -> str:
        return self.lease.chat_id

    @property
    def run_id(self) -> str:
        return self.lease.run_id

    @property
    def message_id(self) -> str:
        return self.run.message_id

    @property
    def offset(self) -> int:
        return self._offset

    @property
    def logged_offset(self) -> int:
        return self._logged

    @property
    def stop_requested(self) -> bool:
        return self._stop_event is not None and self._stop_event.is_set()

    @property
    def ended(self) -> LogEnd | None:
        return self._end

    @property
    def failure(self) -> PartstreamError | None:
        """What broke the writer (a lost lease: LeaseLostError; the store failed), if anything.

        Set as soon as it happened, while the block is being cancelled because of it.
        """
        return self._failure

    async def wait_stop_requested(self) -> None:
        """Return once a stop was requested for this run (from any worker)."""
        if self._stop_event is None:
            raise RuntimeError("use the writer inside 'async with'")
        await self._stop_event.wait()

    # -- writing ----------------------------------------------------------------------------

    async def append(
        self,
        chunks: Sequence[Chunk],
        *,
        state: Mapping[str, Any] | None = None,
        interaction_id: str | None = None,
    ) -> int:
        """Queue chunks (and the state right after them); returns the new ``offset``.

        The store keeps ``state`` atomically with these chunks: a takeover sees
        both or neither. Waits only while ``max_pending_bytes`` are queued.
        """
        # The hot path: no await unless the queue is full (the caller's reads and
        # writes are its checkpoints); encoding and the checks are all there is.
        if self._failure is not None or self._closing or self._tg is None:
            self._check_writable()
        data, size = encode_batch(chunks, max_chunks=self._max_chunks, max_bytes=self._max_bytes)
        encoded = encode_state(state) if state is not None else None
        if not data and encoded is None and interaction_id is None:
            return self._offset
        while self._pending and self._pending_bytes + size > self._max_pending_bytes:
            self._rush()
            await self._wait_changed()
            self._check_writable()
        self._queue(_Item(data, size, self._offset + len(data), encoded, interaction_id))
        return self._offset

    async def flush(self) -> None:
        """Wait until the store holds everything appended so far."""
        self._rush()
        while self._pending:
            self._raise_failure()
            await self._wait_changed()
        self._raise_failure()

    async def end(
        self,
        kind: EndKind = "finish",
        chunks: Sequence[Chunk] = (),
        *,
        state: Mapping[str, Any] | None = None,
        reason: str | None = None,
    ) -> LogEnd:
        """Write the last chunks and the end marker; readers stop there. Releases the lease."""
        if kind not in END_KINDS:
            raise InvalidArgumentError("kind is 'finish', 'error' or 'abort'", argument="kind")
        self._check_writable()
        data, size = encode_batch(chunks, max_chunks=self._max_chunks, max_bytes=self._max_bytes)
        encoded = encode_state(state) if state is not None else None
        self._closing = True
        reason = check_reason(reason)
        item = _Item(data, size, self._offset + len(data), encoded, None, kind, reason)
        self._queue(item)
        await self.flush()
        self._end = LogEnd(kind=kind, offset=self._offset, reason=item.reason)
        return self._end

    async def abandon(self) -> None:
        """Write what is queued and release the lease, leaving the run for a takeover."""
        self._check_writable()
        await self.flush()
        self._closing = True
        await self._store.release_lease(self.lease)

    # -- internals --------------------------------------------------------------------------

    def _check_writable(self) -> None:
        self._raise_failure()
        if self._tg is None:
            raise RuntimeError("use the writer inside 'async with'")
        if self._closing:
            lease = self.lease
            raise ResumableError(
                "this writer has ended its log or let its run go",
                chat_id=lease.chat_id,
                run_id=lease.run_id,
            )

    def _raise_failure(self) -> None:
        if self._failure is not None:
            raise self._failure

    def _queue(self, item: _Item) -> None:
        self._pending.append(item)
        self._pending_bytes += item.size
        self._offset = item.offset
        self._notify()

    def _rush(self) -> None:
        """Have the flusher write all that is queued now, not after its ``flush_interval``."""
        self._urgent = True
        if self._hurry is not None:
            self._hurry.set()

    def _notify(self) -> None:
        if self._changed is not None:
            self._changed.set()
            self._changed = None

    async def _wait_changed(self) -> None:
        if self._changed is None:
            self._changed = anyio.Event()
        await self._changed.wait()

    def _fail(self, exc: PartstreamError) -> None:
        if self._failure is None:
            self._failure = exc
        if self._tg is not None:
            self._tg.cancel_scope.cancel()
        self._notify()

    async def _write_next(self) -> None:
        # A write is one log entry, and the caps trim whole entries: keep it within them.
        taken, chunks, size = take_write(
            self._pending, self._inflight, max_bytes=self._max_bytes, max_chunks=self._max_chunks
        )
        state = state_offset = interaction_id = None
        for item in taken:
            if item.state is not None:
                state, state_offset = item.state, item.offset
            if item.interaction_id is not None:
                interaction_id = item.interaction_id
        last = taken[-1]
        self._inflight = len(taken)
        result = await self._store.append(
            self.lease,
            chunks,
            offset=self._logged,
            state=state,
            state_offset=state_offset,
            interaction_id=interaction_id,
            end=last.end,
            reason=last.reason,
        )
        # Only now are the items done: a write cut short is retried whole, with the same
        # items (the store recognises one that went through and does not apply it twice).
        self._inflight = 0
        del self._pending[: len(taken)]
        self._pending_bytes -= size
        self._logged = result.offset
        self._notify()

    async def _flush_loop(self) -> None:
        interval = self._flush_interval
        next_write = -math.inf
        while True:
            while not self._pending:
                await self._wait_changed()
            # The first append after a quiet spell is written at once; those that follow
            # within ``flush_interval`` are joined into the next write.
            wait = next_write - anyio.current_time()
            if wait > 0 and not self._urgent:
                self._hurry = anyio.Event()  # flush(), end() and a filling queue cut it short
                with anyio.move_on_after(wait):
                    await self._hurry.wait()
                self._hurry = None
            next_write = anyio.current_time() + interval
            try:
                await self._write_next()
            except PartstreamError as exc:
                self._fail(exc)
                return
            if not self._pending:
                self._urgent = False

    async def _keep_lease(self) -> None:
        lease = self.lease
        while True:
            await anyio.sleep(lease.ttl / 3)
            try:
                stop = await self._store.renew_lease(lease)
            except PartstreamError as exc:
                if not self._closing:  # end() and abandon() give the lease up on purpose
                    self._fail(exc)
                return
            if stop:
                self._stopped()

    async def _watch_stop(self) -> None:
        try:
            await self._store.wait_for_stop(self.lease)
        except PartstreamError:
            return  # the renewer still learns of a stop, every third of the lease ttl
        self._stopped()

    def _stopped(self) -> None:
        if self._stop_event is not None and not self._stop_event.is_set():
            self._stop_event.set()
            if self._on_stop == "cancel" and not self._closing and self._tg is not None:
                self._stop_cancelled = True
                self._tg.cancel_scope.cancel()

    async def _drain(self, end: EndKind | None = None, chunks: list[bytes] | None = None) -> None:
        """Write what is queued (and maybe an end) from the exiting task itself."""
        if end is not None and self._end is None:
            data = chunks or []
            self._queue(_Item(data, sum(map(len, data)), self._offset + len(data), None, None, end))
        while self._pending:
            await self._write_next()
        if end is not None and self._end is None:
            self._end = LogEnd(kind=end, offset=self._offset)

    # -- context management -----------------------------------------------------------------

    async def __aenter__(self) -> LogWriter:
        if self._tg is not None or self._lease is not None:
            raise RuntimeError("a LogWriter can be entered only once")
        lease, run = await self._open()
        self._lease, self._run = lease, run
        self._offset = self._logged = run.offset
        self._stop_event = anyio.Event()
        tg = anyio.create_task_group()
        try:
            await tg.__aenter__()
        except BaseException:
            with anyio.move_on_after(self._cleanup_timeout, shield=True):
                await self._store.release_lease(lease)
            raise
        self._tg = tg
        tg.start_soon(self._flush_loop)
        tg.start_soon(self._keep_lease)
        tg.start_soon(self._watch_stop)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        tg = self._tg
        if tg is None:
            return False
        ending = self._closing  # end() or abandon() ran
        if exc is None and not ending and self._failure is None:
            with contextlib.suppress(PartstreamError):  # a failure is raised below
                await self.flush()  # while the flusher runs: no write is cut short
        self._closing = True  # the helpers must not take the lease's removal as a failure
        cancelled = anyio.get_cancelled_exc_class()
        if isinstance(exc, cancelled):
            try:
                swallowed = bool(await tg.__aexit__(exc_type, exc, tb))
            except cancelled:  # not (only) ours: it goes on once the run is put away
                swallowed = False
        else:
            tg.cancel_scope.cancel()
            await tg.__aexit__(None, None, None)
            swallowed = False
        # Our own cancellation: a stop (with on_stop="cancel") or a failure of a helper.
        ours = swallowed and (self._stop_cancelled or self._failure is not None)
        if self._failure is not None:
            if ours or exc is None:
                raise self._failure
            return False
        if ending or ours or exc is None:
            # Nothing cancels this task now: no shield needed, and errors are the caller's.
            if ending:
                await self._drain()
            elif ours:
                await self._drain("abort", self._abort_chunks)
            else:
                await self._drain("finish")
            return ours
        # The block failed or was cancelled from outside: best effort, shielded and bounded.
        with anyio.move_on_after(self._cleanup_timeout, shield=True):
            try:
                if isinstance(exc, Exception):
                    await self._drain("error", self._error_chunks)
                else:  # keep the run for another worker: what is queued, then let go
                    await self._drain()
                    await self._store.release_lease(self.lease)
            except PartstreamError:
                pass  # the block's own exception says more
        return False
