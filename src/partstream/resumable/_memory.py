"""The in-memory store: one process, the same guarantees and bounds as Redis.

Every primitive runs without awaiting between its checks and its writes, so
each one is atomic with respect to the other tasks of the event loop, as a Lua
script is on a Redis server. Runs expire ``ttl`` seconds after their last
write; the store holds at most ``max_runs`` runs (ended ones are evicted
first). Use it from one event loop (thread).
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Final, final

import anyio

from ..errors import (
    ActiveRunError,
    LeaseHeldError,
    LeaseLostError,
    LimitExceededError,
    LogGoneError,
    LogTrimmedError,
    NoActiveRunError,
    ResumableError,
)
from ._base import StoreBase, new_run_id
from ._reader import DEFAULT_BATCH_ENTRIES, DEFAULT_POLL_INTERVAL
from ._types import (
    DEFAULT_LEASE_TTL,
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_CHUNKS,
    DEFAULT_TTL,
    AppendResult,
    EndKind,
    Lease,
    LogEnd,
    LogSlice,
    RunInfo,
    check_chat_id,
    check_int,
    check_reason,
    check_text,
    decode_state,
)
from ._writer import (
    DEFAULT_CLEANUP_TIMEOUT,
    DEFAULT_FLUSH_INTERVAL,
    DEFAULT_MAX_PENDING_BYTES,
)

__all__ = ["DEFAULT_MAX_RUNS", "MemoryStore"]

#: Runs (active and ended, of all chats) a MemoryStore holds at most.
DEFAULT_MAX_RUNS: Final = 10_000
_COMPACT_AT: Final = 256


@final
class _Run:
    __slots__ = (
        "changed",
        "chat_id",
        "end",
        "ends",
        "entries",
        "expires",
        "head",
        "interaction_id",
        "message_id",
        "nbytes",
        "owner",
        "run_id",
        "seq",
        "sizes",
        "start",
        "state",
        "state_offset",
        "stop",
        "stop_event",
        "token",
        "trim",
    )

    def __init__(self, chat_id: str, run_id: str, message_id: str, owner: str, token: int):
        self.chat_id = chat_id
        self.run_id = run_id
        self.message_id = message_id
        self.owner = owner
        self.token = token
        self.interaction_id: str | None = None
        self.state: bytes | None = None
        self.state_offset = 0
        self.seq = 0  # chunks logged
        self.start = 0  # first offset still held
        self.nbytes = 0  # bytes held
        self.end: LogEnd | None = None
        self.stop = False
        self.trim = "max_chunks"
        self.expires = 0.0
        # The entries still held, from ``head`` on: each a write's chunks, its end offset, size.
        self.entries: list[list[bytes]] = []
        self.ends: list[int] = []
        self.sizes: list[int] = []
        self.head = 0
        self.changed: anyio.Event | None = None
        self.stop_event: anyio.Event | None = None

    def notify(self) -> None:
        if self.changed is not None:
            self.changed.set()
            self.changed = None


@final
class _Chat:
    __slots__ = ("fence", "lease_token", "lease_until", "run")

    def __init__(self) -> None:
        self.run: _Run | None = None
        self.fence = 0
        self.lease_token = 0
        self.lease_until = 0.0


@final
class MemoryStore(StoreBase):
    """A :class:`~partstream.resumable.ResumableStore` in this process's memory.

    For tests, the demo and single-process services. ``clock`` (seconds, monotonic)
    can be replaced to test expiry without waiting.
    """

    def __init__(
        self,
        *,
        ttl: float = DEFAULT_TTL,
        lease_ttl: float = DEFAULT_LEASE_TTL,
        max_chunks: int = DEFAULT_MAX_CHUNKS,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_runs: int = DEFAULT_MAX_RUNS,
        max_pending_bytes: int = DEFAULT_MAX_PENDING_BYTES,
        batch_entries: int = DEFAULT_BATCH_ENTRIES,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        flush_interval: float = DEFAULT_FLUSH_INTERVAL,
        cleanup_timeout: float = DEFAULT_CLEANUP_TIMEOUT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(
            ttl=ttl,
            lease_ttl=lease_ttl,
            max_chunks=max_chunks,
            max_bytes=max_bytes,
            max_pending_bytes=max_pending_bytes,
            batch_entries=batch_entries,
            poll_interval=poll_interval,
            flush_interval=flush_interval,
            cleanup_timeout=cleanup_timeout,
        )
        self._max_runs = check_int("max_runs", max_runs, 1)
        self._clock = clock
        self._chats: dict[str, _Chat] = {}
        self._runs: dict[str, _Run] = {}  # every run held, oldest first
        self._swept = clock()

    def __repr__(self) -> str:
        return f"<MemoryStore runs={len(self._runs)} chats={len(self._chats)}>"

    async def __aenter__(self) -> MemoryStore:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    # -- bookkeeping ------------------------------------------------------------------------

    def _sweep(self, now: float) -> None:
        if now - self._swept < min(self._ttl / 4, 60.0):
            return
        self._swept = now
        for run_id in [r for r, run in self._runs.items() if run.expires <= now]:
            self._drop(self._runs[run_id])

    def _drop(self, run: _Run) -> None:
        self._runs.pop(run.run_id, None)
        chat = self._chats.get(run.chat_id)
        if chat is not None and chat.run is run:
            chat.run = None
            if chat.lease_until <= self._clock():
                del self._chats[run.chat_id]
        run.notify()

    def _run(self, run_id: str) -> _Run | None:
        run = self._runs.get(run_id)
        if run is not None and run.expires <= self._clock():
            self._drop(run)
            return None
        return run

    def _current(self, chat_id: str) -> tuple[_Chat | None, _Run | None]:
        chat = self._chats.get(chat_id)
        if chat is None or chat.run is None:
            return chat, None
        return chat, self._run(chat.run.run_id)

    def _alive(self, chat: _Chat, run: _Run) -> bool:
        return (
            run.end is None and chat.lease_token == run.token and chat.lease_until > self._clock()
        )

    def _touch(self, run: _Run) -> None:
        run.expires = self._clock() + self._ttl

    def _info(self, chat: _Chat, run: _Run) -> RunInfo:
        return RunInfo(
            chat_id=run.chat_id,
            run_id=run.run_id,
            message_id=run.message_id,
            log_key=f"memory:{run.chat_id}:{run.run_id}",
            status="active" if run.end is None else "ended",
            offset=run.seq,
            start=run.start,
            token=run.token,
            owner=run.owner,
            lease_alive=self._alive(chat, run),
            stop_requested=run.stop,
            interaction_id=run.interaction_id,
            state=decode_state(run.state),
            state_offset=run.state_offset,
            end=run.end,
        )

    def _make_room(self) -> None:
        if len(self._runs) < self._max_runs:
            return
        for run in list(self._runs.values()):
            if run.end is not None:
                self._drop(run)
                return
        raise LimitExceededError(
            limit="runs in the memory store", value=self._max_runs, option="max_runs"
        )

    def _lease(self, chat: _Chat, run: _Run, owner: str, ttl: float) -> Lease:
        chat.fence += 1
        chat.lease_token = run.token = chat.fence
        chat.lease_until = self._clock() + ttl
        run.owner = owner
        return Lease(chat_id=run.chat_id, run_id=run.run_id, token=run.token, owner=owner, ttl=ttl)

    def _holder(self, lease: Lease) -> tuple[_Chat, _Run]:
        """The chat and run of a lease still held: the fencing check."""
        chat, run = self._current(lease.chat_id)
        if chat is None or run is None or run.run_id != lease.run_id:
            raise LeaseLostError(
                f"run {lease.run_id!r} of chat {lease.chat_id!r} is gone (expired or replaced)",
                chat_id=lease.chat_id,
                run_id=lease.run_id,
            )
        if chat.lease_token != lease.token or chat.lease_until <= self._clock():
            raise LeaseLostError(
                f"the lease on chat {lease.chat_id!r} (token {lease.token}) expired or was taken "
                f"over (token {chat.fence} is the latest); the write was refused",
                chat_id=lease.chat_id,
                run_id=lease.run_id,
            )
        return chat, run

    # -- primitives -------------------------------------------------------------------------

    async def begin_run(
        self,
        chat_id: str,
        *,
        message_id: str,
        owner: str,
        interaction_id: str | None = None,
        state: bytes | None = None,
        replace: bool = False,
        lease_ttl: float | None = None,
    ) -> tuple[Lease, RunInfo]:
        check_chat_id(chat_id)
        check_text("message_id", message_id)
        ttl = self._lease_ttl_for(lease_ttl)
        now = self._clock()
        self._sweep(now)
        chat, old = self._current(chat_id)
        if old is not None and old.end is None:
            assert chat is not None
            if not replace:
                alive = self._alive(chat, old)
                raise ActiveRunError(
                    f"chat {chat_id!r} has an active run ({old.run_id!r}, "
                    f"{'its producer lives' if alive else 'its lease expired'})",
                    chat_id=chat_id,
                    run_id=old.run_id,
                    lease_alive=alive,
                )
            old.end = LogEnd(kind="abort", offset=old.seq, reason="replaced by a new run")
            self._touch(old)
            old.notify()
        self._make_room()
        if chat is None:
            chat = self._chats[chat_id] = _Chat()
        run = _Run(chat_id, new_run_id(), message_id, owner, 0)
        run.interaction_id = interaction_id
        run.state = state
        self._runs[run.run_id] = run
        chat.run = run
        lease = self._lease(chat, run, owner, ttl)
        self._touch(run)
        await anyio.lowlevel.checkpoint()
        return lease, self._info(chat, run)

    async def acquire_lease(
        self,
        chat_id: str,
        *,
        owner: str,
        run_id: str | None = None,
        lease_ttl: float | None = None,
    ) -> tuple[Lease, RunInfo]:
        check_chat_id(chat_id)
        ttl = self._lease_ttl_for(lease_ttl)
        await anyio.lowlevel.checkpoint()
        chat, run = self._current(chat_id)
        if chat is None or run is None or (run_id is not None and run.run_id != run_id):
            named = f"run {run_id!r}" if run_id is not None else "active run"
            raise NoActiveRunError(
                f"chat {chat_id!r} has no {named} to take over",
                chat_id=chat_id,
                run_id=run_id,
            )
        if run.end is not None:
            raise NoActiveRunError(
                f"run {run.run_id!r} of chat {chat_id!r} has ended ({run.end.kind})",
                chat_id=chat_id,
                run_id=run.run_id,
            )
        if self._alive(chat, run):
            raise LeaseHeldError(
                f"run {run.run_id!r} of chat {chat_id!r} is held by {run.owner!r}",
                chat_id=chat_id,
                run_id=run.run_id,
                owner=run.owner,
            )
        lease = self._lease(chat, run, owner, ttl)
        self._touch(run)
        return lease, self._info(chat, run)

    async def renew_lease(self, lease: Lease) -> bool:
        await anyio.lowlevel.checkpoint()
        chat, run = self._holder(lease)
        chat.lease_until = self._clock() + lease.ttl
        self._touch(run)
        return run.stop

    async def release_lease(self, lease: Lease) -> None:
        await anyio.lowlevel.checkpoint()
        chat = self._chats.get(lease.chat_id)
        if chat is not None and chat.lease_token == lease.token:
            chat.lease_until = 0.0
            if chat.run is not None:
                chat.run.notify()

    async def append(
        self,
        lease: Lease,
        chunks: Sequence[bytes],
        *,
        offset: int,
        state: bytes | None = None,
        state_offset: int | None = None,
        interaction_id: str | None = None,
        end: EndKind | None = None,
        reason: str | None = None,
    ) -> AppendResult:
        await anyio.lowlevel.checkpoint()
        chat, run = self._holder(lease)
        if run.end is not None:
            raise ResumableError(
                f"run {run.run_id!r} of chat {run.chat_id!r} has ended",
                chat_id=run.chat_id,
                run_id=run.run_id,
            )
        if offset != run.seq:
            raise ResumableError(
                f"append at offset {offset}, but the log holds {run.seq} chunks",
                chat_id=run.chat_id,
                run_id=run.run_id,
            )
        if chunks:
            data = list(chunks)
            size = sum(map(len, data))
            run.seq += len(data)
            run.nbytes += size
            run.entries.append(data)
            run.ends.append(run.seq)
            run.sizes.append(size)
            self._trim(run)
        if state is not None:
            run.state = state
            run.state_offset = run.seq if state_offset is None else state_offset
        if interaction_id is not None:
            run.interaction_id = interaction_id
        if end is not None:
            run.end = LogEnd(kind=end, offset=run.seq, reason=check_reason(reason))
            chat.lease_until = 0.0
        self._touch(run)
        run.notify()
        return AppendResult(offset=run.seq, start=run.start)

    def _trim(self, run: _Run) -> None:
        newest = len(run.entries) - 1
        while run.head < newest and (
            run.seq - run.start > self._max_chunks or run.nbytes > self._max_bytes
        ):
            run.trim = "max_chunks" if run.seq - run.start > self._max_chunks else "max_bytes"
            run.start = run.ends[run.head]
            run.nbytes -= run.sizes[run.head]
            run.head += 1
        if run.head >= _COMPACT_AT and run.head * 2 >= len(run.entries):
            del run.entries[: run.head], run.ends[: run.head], run.sizes[: run.head]
            run.head = 0

    async def find_run(self, chat_id: str) -> RunInfo | None:
        check_chat_id(chat_id)
        await anyio.lowlevel.checkpoint()
        chat, run = self._current(chat_id)
        if chat is None or run is None:
            return None
        return self._info(chat, run)

    async def read_log(
        self, chat_id: str, run_id: str, *, offset: int, limit: int, wait: float
    ) -> LogSlice:
        await anyio.lowlevel.checkpoint()
        with anyio.move_on_after(wait):
            while True:
                run = self._run(run_id)
                if run is None:
                    raise LogGoneError(
                        f"the log of run {run_id!r} of chat {chat_id!r} is gone (expired)",
                        chat_id=chat_id,
                        run_id=run_id,
                    )
                got = self._slice(run, offset, limit)
                if got is not None:
                    return got
                if run.changed is None:
                    run.changed = anyio.Event()
                await run.changed.wait()
        run = self._run(run_id)
        chat = self._chats.get(chat_id)
        alive = run is not None and chat is not None and self._alive(chat, run)
        return LogSlice(chunks=[], offset=offset, producer_alive=alive)

    def _slice(self, run: _Run, offset: int, limit: int) -> LogSlice | None:
        if offset < run.start:
            value = self._max_chunks if run.trim == "max_chunks" else self._max_bytes
            raise LogTrimmedError(
                value=value,
                option=run.trim,
                offset=offset,
                start=run.start,
                unit="chunks" if run.trim == "max_chunks" else "bytes",
            )
        if offset > run.seq:
            raise LogGoneError(
                f"the log of run {run.run_id!r} holds {run.seq} chunks, fewer than offset {offset}",
                chat_id=run.chat_id,
                run_id=run.run_id,
            )
        if offset == run.seq:
            return None if run.end is None else LogSlice(chunks=[], offset=offset, end=run.end)
        first = bisect.bisect_right(run.ends, offset, lo=run.head)
        last = min(first + limit, len(run.ends))
        entry = run.entries[first]
        skip = offset - (run.ends[first] - len(entry))
        chunks = entry[skip:] if skip else list(entry)
        for index in range(first + 1, last):
            chunks.extend(run.entries[index])
        new_offset = run.ends[last - 1]
        end = run.end if new_offset == run.seq else None
        return LogSlice(chunks=chunks, offset=new_offset, end=end)

    async def request_stop(self, chat_id: str, *, run_id: str | None = None) -> bool:
        check_chat_id(chat_id)
        await anyio.lowlevel.checkpoint()
        _, run = self._current(chat_id)
        if run is None or run.end is not None or (run_id is not None and run.run_id != run_id):
            return False
        run.stop = True
        if run.stop_event is not None:
            run.stop_event.set()
        return True

    async def wait_for_stop(self, lease: Lease) -> None:
        run = self._run(lease.run_id)
        if run is None:
            raise LeaseLostError(
                f"run {lease.run_id!r} of chat {lease.chat_id!r} is gone",
                chat_id=lease.chat_id,
                run_id=lease.run_id,
            )
        if run.stop:
            await anyio.lowlevel.checkpoint()
            return
        if run.stop_event is None:
            run.stop_event = anyio.Event()
        await run.stop_event.wait()
