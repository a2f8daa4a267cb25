"""The writer's queue: what one store write joins (sans-IO)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final, final

from ._types import EndKind

__all__ = ["WriteItem", "take_write"]

#: Most bytes / chunks the flusher joins into one store write.
_MAX_WRITE_BYTES: Final = 512 * 1024
_MAX_WRITE_CHUNKS: Final = 4096


@final
class WriteItem:
    """One queued append: its chunks and what the store keeps with them."""

    __slots__ = ("chunks", "end", "interaction_id", "offset", "reason", "size", "state")

    def __init__(
        self,
        chunks: list[bytes],
        size: int,
        offset: int,
        state: bytes | None,
        interaction_id: str | None,
        end: EndKind | None = None,
        reason: str | None = None,
    ) -> None:
        self.chunks = chunks
        self.size = size
        self.offset = offset  # the log's length once these chunks are in
        self.state = state
        self.interaction_id = interaction_id
        self.end = end
        self.reason = reason


def take_write(
    pending: Iterable[WriteItem], inflight: int, *, max_bytes: int, max_chunks: int
) -> tuple[list[WriteItem], list[bytes], int]:
    """The queued items the next write joins, their chunks, their bytes.

    A write cut short (``inflight`` items) is retried whole, with the same items;
    otherwise the items are joined up to the store's caps and the first end marker.
    """
    taken: list[WriteItem] = []
    chunks: list[bytes] = []
    size = 0
    max_bytes = min(_MAX_WRITE_BYTES, max_bytes)
    max_chunks = min(_MAX_WRITE_CHUNKS, max_chunks)
    for item in pending:
        if inflight:
            if len(taken) == inflight:
                break
        elif taken and (
            size + item.size > max_bytes or len(chunks) + len(item.chunks) > max_chunks
        ):
            break
        taken.append(item)
        chunks.extend(item.chunks)
        size += item.size
        if item.end is not None:
            break
    return taken, chunks, size
