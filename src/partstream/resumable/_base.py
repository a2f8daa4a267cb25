"""What both stores share: their options and the helpers built on the primitives."""

from __future__ import annotations

import math
import os
import secrets
import socket
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..errors import InvalidArgumentError
from ._reader import DEFAULT_BATCH_ENTRIES, DEFAULT_POLL_INTERVAL, LogReader
from ._types import (
    DEFAULT_LEASE_TTL,
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_CHUNKS,
    DEFAULT_ORPHAN_TIMEOUT,
    DEFAULT_TTL,
    Chunk,
    Lease,
    RunInfo,
    check_chat_id,
    check_int,
    encode_state,
)
from ._writer import (
    DEFAULT_CLEANUP_TIMEOUT,
    DEFAULT_FLUSH_INTERVAL,
    DEFAULT_MAX_PENDING_BYTES,
    LogWriter,
)

if TYPE_CHECKING:
    from ._primitives import OnStop, StorePrimitives

__all__ = ["StoreBase", "default_owner", "new_run_id"]


def default_owner() -> str:
    """This process, as a lease holder names itself: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def new_run_id() -> str:
    return secrets.token_hex(8)


def _positive(name: str, value: object, *, minimum: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > minimum:
        raise InvalidArgumentError(f"{name} must be a number > {minimum:g}", argument=name)
    if not math.isfinite(value):
        raise InvalidArgumentError(f"{name} must be finite", argument=name)
    return float(value)


def _count(name: str, value: int) -> int:
    return check_int(name, value, 1)


class StoreBase:
    """The options every store has, and ``produce`` / ``take_over`` / ``read``."""

    def __init__(
        self,
        *,
        ttl: float = DEFAULT_TTL,
        lease_ttl: float = DEFAULT_LEASE_TTL,
        max_chunks: int = DEFAULT_MAX_CHUNKS,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_pending_bytes: int = DEFAULT_MAX_PENDING_BYTES,
        batch_entries: int = DEFAULT_BATCH_ENTRIES,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        flush_interval: float = DEFAULT_FLUSH_INTERVAL,
        cleanup_timeout: float = DEFAULT_CLEANUP_TIMEOUT,
    ) -> None:
        # Redis keeps expiries in whole milliseconds.
        self._ttl = _positive("ttl", ttl, minimum=0.001)
        self._lease_ttl = _positive("lease_ttl", lease_ttl, minimum=0.001)
        self._max_chunks = _count("max_chunks", max_chunks)
        self._max_bytes = _count("max_bytes", max_bytes)
        self._max_pending_bytes = _count("max_pending_bytes", max_pending_bytes)
        self._batch_entries = _count("batch_entries", batch_entries)
        self._poll_interval = _positive("poll_interval", poll_interval)
        self._cleanup_timeout = _positive("cleanup_timeout", cleanup_timeout)
        self._flush_interval = (
            0.0 if flush_interval == 0 else _positive("flush_interval", flush_interval)
        )

    @property
    def ttl(self) -> float:
        return self._ttl

    @property
    def lease_ttl(self) -> float:
        return self._lease_ttl

    @property
    def max_chunks(self) -> int:
        return self._max_chunks

    @property
    def max_bytes(self) -> int:
        return self._max_bytes

    def _lease_ttl_for(self, lease_ttl: float | None) -> float:
        return self._lease_ttl if lease_ttl is None else _positive("lease_ttl", lease_ttl)

    def produce(
        self,
        chat_id: str,
        *,
        message_id: str,
        owner: str | None = None,
        interaction_id: str | None = None,
        state: Mapping[str, Any] | None = None,
        replace: bool = False,
        lease_ttl: float | None = None,
        on_stop: OnStop = "cancel",
        abort_chunks: Sequence[Chunk] = (),
        error_chunks: Sequence[Chunk] = (),
    ) -> LogWriter:
        """A writer for a new run of the chat: ``async with store.produce(...) as writer``.

        Entering begins the run (ActiveRunError while another is active, unless
        ``replace``) and takes its lease; ``state`` is the state document of the
        empty log (where a takeover before the first append starts).
        """
        store: StorePrimitives = self  # type: ignore[assignment]
        check_chat_id(chat_id)
        encoded = encode_state(state) if state is not None else None
        who = owner or default_owner()
        ttl = self._lease_ttl_for(lease_ttl)

        async def open_run() -> tuple[Lease, RunInfo]:
            return await store.begin_run(
                chat_id,
                message_id=message_id,
                owner=who,
                interaction_id=interaction_id,
                state=encoded,
                replace=replace,
                lease_ttl=ttl,
            )

        return self._writer(store, open_run, on_stop, abort_chunks, error_chunks)

    def take_over(
        self,
        chat_id: str,
        *,
        run_id: str | None = None,
        owner: str | None = None,
        lease_ttl: float | None = None,
        on_stop: OnStop = "cancel",
        abort_chunks: Sequence[Chunk] = (),
        error_chunks: Sequence[Chunk] = (),
    ) -> LogWriter:
        """A writer continuing the chat's orphaned run (its producer died or let go).

        Entering takes the lease with a new fencing token (LeaseHeldError while
        its producer lives); ``writer.run.state`` is the stored state document,
        valid at ``writer.run.state_offset``, and the writer appends at
        ``writer.run.offset``.
        """
        store: StorePrimitives = self  # type: ignore[assignment]
        check_chat_id(chat_id)
        who = owner or default_owner()
        ttl = self._lease_ttl_for(lease_ttl)

        async def open_run() -> tuple[Lease, RunInfo]:
            return await store.acquire_lease(chat_id, owner=who, run_id=run_id, lease_ttl=ttl)

        return self._writer(store, open_run, on_stop, abort_chunks, error_chunks)

    def _writer(
        self,
        store: StorePrimitives,
        open_run: Any,
        on_stop: OnStop,
        abort_chunks: Sequence[Chunk],
        error_chunks: Sequence[Chunk],
    ) -> LogWriter:
        return LogWriter(
            store,
            open_run,
            on_stop=on_stop,
            abort_chunks=abort_chunks,
            error_chunks=error_chunks,
            max_pending_bytes=self._max_pending_bytes,
            flush_interval=self._flush_interval,
            cleanup_timeout=self._cleanup_timeout,
        )

    def read(
        self,
        chat_id: str,
        *,
        run_id: str | None = None,
        from_offset: int = 0,
        orphan_timeout: float = DEFAULT_ORPHAN_TIMEOUT,
    ) -> LogReader:
        """A reader of the chat's latest run (or ``run_id``) from ``from_offset``.

        It replays the log from there, then follows it live to its end marker.
        """
        store: StorePrimitives = self  # type: ignore[assignment]
        return LogReader(
            store,
            chat_id,
            run_id=run_id,
            from_offset=from_offset,
            orphan_timeout=orphan_timeout,
            batch_entries=self._batch_entries,
            poll_interval=self._poll_interval,
        )
