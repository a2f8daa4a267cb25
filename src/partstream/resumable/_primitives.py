"""The store primitives: the atomic steps every shared-log backend provides.

:class:`~partstream.resumable.ResumableStore` (``_protocol.py``) adds the helpers
built on them; the readers and writers need only these.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import Any, Literal, Protocol, runtime_checkable

from ._types import AppendResult, EndKind, Lease, LogSlice, RunInfo

__all__ = ["OnStop", "StorePrimitives"]

OnStop = Literal["cancel", "ignore"]
"""What a writer does when a stop is requested: cancel its block (and end the log
with ``abort``), or only set ``stop_requested`` for the block to act on."""


@runtime_checkable
class StorePrimitives(Protocol):
    """The atomic steps every backend provides (what the readers and writers are built on)."""

    @property
    def ttl(self) -> float:
        """Seconds a chat's records and logs live after their last write."""
        ...

    @property
    def lease_ttl(self) -> float:
        """Seconds a lease lives unless renewed (the default of ``produce``/``take_over``)."""
        ...

    @property
    def max_chunks(self) -> int:
        """Chunks one log keeps before trimming its oldest."""
        ...

    @property
    def max_bytes(self) -> int:
        """Bytes of chunk JSON one log keeps before trimming its oldest."""
        ...

    async def __aenter__(self) -> Any: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None: ...

    # -- primitives ----------------------------------------------------------------------

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
        """Start a new run (an empty log) for the chat and take its lease.

        Refused with ActiveRunError while the chat has an active run, unless
        ``replace``: the old run's log then ends with ``abort`` and its producer is
        fenced off. ``state`` is an encoded state document (``encode_state``).
        """
        ...

    async def acquire_lease(
        self,
        chat_id: str,
        *,
        owner: str,
        run_id: str | None = None,
        lease_ttl: float | None = None,
    ) -> tuple[Lease, RunInfo]:
        """Take over the chat's active run whose lease nobody holds, with a new token.

        LeaseHeldError if a live producer holds it, NoActiveRunError if there is no
        active run (or not the one named by ``run_id``). The RunInfo is read in the
        same atomic step: its ``state``/``offset`` are where to continue.
        """
        ...

    async def renew_lease(self, lease: Lease) -> bool:
        """Extend the lease by its ttl (and every key of the run by the store's ttl).

        Returns whether a stop was requested; LeaseLostError if the lease is gone.
        """
        ...

    async def release_lease(self, lease: Lease) -> None:
        """Give the lease up now (so a takeover need not wait for it to expire)."""
        ...

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
        """Log encoded ``chunks`` at ``offset``, store ``state``, maybe end: one atomic step.

        Fenced: refused with LeaseLostError unless ``lease`` is the live lease.
        ``offset`` must be the log's length (a retry of a write that went through
        is recognised and not applied twice). ``state`` is valid after
        ``state_offset`` (default: after these chunks). ``end`` writes the end
        marker and releases the lease.
        """
        ...

    async def find_run(self, chat_id: str) -> RunInfo | None:
        """The chat's latest run (active or ended), or None."""
        ...

    async def read_log(
        self, chat_id: str, run_id: str, *, offset: int, limit: int, wait: float
    ) -> LogSlice:
        """Chunks from ``offset`` on (at most ``limit`` log entries), waiting up to ``wait`` s.

        LogTrimmedError if ``offset`` was trimmed away; LogGoneError if the log vanished.
        """
        ...

    async def request_stop(self, chat_id: str, *, run_id: str | None = None) -> bool:
        """Ask the producer of the chat's active run (any worker) to stop; False if none."""
        ...

    async def wait_for_stop(self, lease: Lease) -> None:
        """Return once a stop is requested for the lease's run."""
        ...
