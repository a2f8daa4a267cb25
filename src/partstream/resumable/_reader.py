"""The reader's end of a shared log: replay from any offset, then follow live.

A reader pulls the log at its own pace (the producer never waits for it) and
holds at most one read's worth of entries (``batch_entries``) in memory.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import TYPE_CHECKING, Final, final

import anyio
from anyio.lowlevel import checkpoint_if_cancelled

from ..errors import InvalidArgumentError, NoActiveRunError, ProducerGoneError
from ._types import DEFAULT_ORPHAN_TIMEOUT, LogEnd, RunInfo, check_chat_id, check_int

if TYPE_CHECKING:
    from ._primitives import StorePrimitives

__all__ = ["DEFAULT_BATCH_ENTRIES", "DEFAULT_POLL_INTERVAL", "LogBatches", "LogReader"]

#: Log entries one read returns at most (Redis: ``XREAD COUNT``); each holds one write.
DEFAULT_BATCH_ENTRIES: Final = 64
#: Seconds one read waits for news before it looks whether the producer still lives.
DEFAULT_POLL_INTERVAL: Final = 1.0


@final
class LogReader:
    """Chunks of one run's log, from ``from_offset`` to its end marker.

    ``async for chunk in reader`` yields each chunk's JSON text (UTF-8 bytes, as
    the producer logged it); ``reader.batches()`` yields them a read at a time.
    Iteration stops at the end marker (``reader.end``). ``reader.offset`` is the
    offset of the next chunk: a reader that reconnects with
    ``from_offset=reader.offset`` neither repeats nor misses one.

    Errors: NoActiveRunError (no such run), LogTrimmedError (the offset fell off
    the capped log), LogGoneError (the log vanished), ProducerGoneError (nobody
    held the run's lease for ``orphan_timeout`` seconds), TransportError.
    """

    __slots__ = (
        "_batch_entries",
        "_chat_id",
        "_end",
        "_items",
        "_offset",
        "_opened",
        "_orphan_since",
        "_orphan_timeout",
        "_poll_interval",
        "_run",
        "_run_id",
        "_store",
    )

    def __init__(
        self,
        store: StorePrimitives,
        chat_id: str,
        *,
        run_id: str | None = None,
        from_offset: int = 0,
        orphan_timeout: float = DEFAULT_ORPHAN_TIMEOUT,
        batch_entries: int = DEFAULT_BATCH_ENTRIES,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
    ) -> None:
        check_int("from_offset", from_offset, 0)
        if not orphan_timeout > 0:
            raise InvalidArgumentError("orphan_timeout must be positive", argument="orphan_timeout")
        if batch_entries < 1:
            raise InvalidArgumentError("batch_entries must be at least 1", argument="batch_entries")
        if not 0 < poll_interval < math.inf:
            raise InvalidArgumentError("poll_interval must be positive", argument="poll_interval")
        self._store = store
        self._chat_id = check_chat_id(chat_id)
        self._run_id = run_id
        self._offset = from_offset
        self._orphan_timeout = orphan_timeout
        self._batch_entries = batch_entries
        self._poll_interval = poll_interval
        self._run: RunInfo | None = None
        self._opened = False
        self._end: LogEnd | None = None
        self._items: Iterator[bytes] = iter(())
        self._orphan_since: float | None = None

    def __repr__(self) -> str:
        return f"<LogReader chat={self._chat_id!r} run={self._run_id!r} offset={self._offset}>"

    @property
    def offset(self) -> int:
        """The offset of the next chunk this reader will give."""
        return self._offset

    @property
    def end(self) -> LogEnd | None:
        """The end marker, once the reader reached it."""
        return self._end

    @property
    def run(self) -> RunInfo | None:
        """The run as found when the reader opened (None before its first read)."""
        return self._run

    async def open(self) -> RunInfo | None:
        """Find the run (the first read does it otherwise); NoActiveRunError if there is none.

        With ``run_id`` naming an older run of the chat, the run record is gone
        (None) but its log may still be there until it expires.
        """
        if self._opened:
            return self._run
        run = await self._store.find_run(self._chat_id)
        if run is not None and self._run_id in (None, run.run_id):
            if self._offset > run.offset and not run.active:
                raise InvalidArgumentError(
                    f"from_offset {self._offset} is past the end of the log ({run.offset} chunks)",
                    argument="from_offset",
                )
            self._run = run
            self._run_id = run.run_id
        elif self._run_id is None:
            raise NoActiveRunError(
                f"chat {self._chat_id!r} has no run to read", chat_id=self._chat_id
            )
        self._opened = True
        return self._run

    async def next_batch(self) -> list[bytes] | None:
        """The next chunks (at least one), or None at the end marker."""
        for item in self._items:  # the rest of a batch a caller began with __anext__
            rest = [item, *self._items]
            self._items = iter(())
            return rest
        if self._end is not None:
            await checkpoint_if_cancelled()
            return None
        await self.open()
        run_id = self._run_id
        assert run_id is not None
        while True:
            got = await self._store.read_log(
                self._chat_id,
                run_id,
                offset=self._offset,
                limit=self._batch_entries,
                wait=self._poll_interval,
            )
            if got.end is not None:
                self._end = got.end
            if got.chunks:
                self._offset = got.offset
                self._orphan_since = None
                return got.chunks
            if got.end is not None:
                return None
            self._check_orphaned(got.producer_alive)

    def _check_orphaned(self, alive: bool | None) -> None:
        if alive is None:
            return
        if alive:
            self._orphan_since = None
            return
        now = anyio.current_time()
        if self._orphan_since is None:
            self._orphan_since = now
        elif now - self._orphan_since >= self._orphan_timeout:
            assert self._run_id is not None
            raise ProducerGoneError(
                f"the producer of run {self._run_id!r} of chat {self._chat_id!r} is gone: "
                f"nobody held its lease for {self._orphan_timeout:g} s (the reader stood at "
                f"offset {self._offset}; raise orphan_timeout= to wait longer)",
                chat_id=self._chat_id,
                run_id=self._run_id,
                offset=self._offset,
            )

    def batches(self) -> LogBatches:
        """Iterate a read at a time: ``async for chunks in reader.batches()``."""
        return LogBatches(self)

    def __aiter__(self) -> LogReader:
        return self

    async def __anext__(self) -> bytes:
        for item in self._items:  # the hot path: one chunk of the current batch
            return item
        batch = await self.next_batch()
        if batch is None:
            raise StopAsyncIteration
        items = self._items = iter(batch)
        return next(items)


@final
class LogBatches:
    """``async for chunks in reader.batches()``: lists of chunk JSON texts."""

    __slots__ = ("_reader",)

    def __init__(self, reader: LogReader) -> None:
        self._reader = reader

    def __aiter__(self) -> LogBatches:
        return self

    async def __anext__(self) -> list[bytes]:
        batch = await self._reader.next_batch()
        if batch is None:
            raise StopAsyncIteration
        return batch
