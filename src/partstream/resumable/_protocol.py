"""The store protocol: what every shared-log backend provides.

The *primitives* (``begin_run`` ... ``wait_for_stop``) are each one atomic step
on the backend; :class:`~partstream.resumable.MemoryStore` and
:class:`~partstream.resumable.RedisStore` give them the same guarantees. The
*helpers* (``produce``, ``take_over``, ``read``) are built once on top of the
primitives (``_base.StoreBase``) and are what most code uses.

Offsets count chunks from the start of a message's log: chunk ``n`` has offset
``n``; a log of length ``L`` holds offsets ``start .. L-1`` (older ones trimmed
by the ``max_chunks``/``max_bytes`` caps).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from ._primitives import OnStop, StorePrimitives
from ._types import DEFAULT_ORPHAN_TIMEOUT, Chunk

if TYPE_CHECKING:
    from ._reader import LogReader
    from ._writer import LogWriter

__all__ = ["OnStop", "ResumableStore"]


@runtime_checkable
class ResumableStore(StorePrimitives, Protocol):
    """A shared log of UI message streams, one active run per chat, fenced leases, stop."""

    # -- helpers -------------------------------------------------------------------------

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
        """A writer for a new run: ``async with store.produce(...) as writer``."""
        ...

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
        """A writer that continues an orphaned run where its log (and state) stands."""
        ...

    def read(
        self,
        chat_id: str,
        *,
        run_id: str | None = None,
        from_offset: int = 0,
        orphan_timeout: float = DEFAULT_ORPHAN_TIMEOUT,
    ) -> LogReader:
        """A reader of the chat's latest run (or ``run_id``), replaying then following it."""
        ...
