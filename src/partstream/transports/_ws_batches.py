"""The bounded channel of message batches from the WebSocket reader to ``receive()``."""

from __future__ import annotations

from collections import deque
from typing import final

import anyio

from ._ws_frames import Message


@final
class _Batches:
    """The bounded channel of message batches from the reader task to ``receive()``.

    What an anyio memory object stream pair does here, without its per-wait
    bookkeeping (a generic receiver object and a task-info lookup on every
    wait, a checkpoint on every call), which cost about a tenth of the
    receive path on asyncio. ``put`` waits while ``max_batches`` batches wait;
    ``get`` waits for a batch. ``close_writer()`` ends the stream after the
    queued batches (``get`` then raises EndOfStream); ``close_reader()`` drops
    them (``put`` raises BrokenResourceError, ``get`` ClosedResourceError).
    A call that finds what it needs returns without a checkpoint.
    """

    __slots__ = ("_getters", "_items", "_max", "_putters", "reader_closed", "writer_closed")

    def __init__(self, max_batches: int) -> None:
        self._items: deque[list[Message]] = deque()
        self._max = max_batches
        # One event per side, shared by every task waiting on that side.
        self._getters: anyio.Event | None = None
        self._putters: anyio.Event | None = None
        self.reader_closed = False
        self.writer_closed = False

    def put_nowait(self, batch: list[Message]) -> bool:
        """Queue ``batch`` if there is room; False when the channel is full."""
        if self.reader_closed or self.writer_closed:
            raise anyio.BrokenResourceError
        if len(self._items) >= self._max:
            return False
        self._items.append(batch)
        getters = self._getters
        if getters is not None:
            self._getters = None
            getters.set()
        return True

    async def put(self, batch: list[Message]) -> None:
        while not self.put_nowait(batch):
            putters = self._putters
            if putters is None:
                putters = self._putters = anyio.Event()
            await putters.wait()

    def get_nowait(self) -> list[Message] | None:
        """The next batch, or None when none is queued (raises at the end)."""
        if self.reader_closed:
            raise anyio.ClosedResourceError
        items = self._items
        if items:
            batch = items.popleft()
            putters = self._putters
            if putters is not None:
                self._putters = None
                putters.set()
            return batch
        if self.writer_closed:
            raise anyio.EndOfStream
        return None

    async def get(self) -> list[Message]:
        while (batch := self.get_nowait()) is None:
            getters = self._getters
            if getters is None:
                getters = self._getters = anyio.Event()
            await getters.wait()
        return batch

    def close_writer(self) -> None:
        self.writer_closed = True
        self._wake()

    def close_reader(self) -> None:
        self.reader_closed = True
        self._items.clear()
        self._wake()

    def _wake(self) -> None:
        for event in (self._getters, self._putters):
            if event is not None:
                event.set()
        self._getters = self._putters = None
