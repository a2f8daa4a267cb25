"""A plain stream's parts, made on the consumer's side of its one-actor pipeline."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Final

from .. import parts
from ..codecs import interactions as codec

__all__: list[str] = []

#: SSE events a plain stream's consumer turns into parts per ``feed_data`` call.
_SLICE: Final = 64


def _as_batch(data: list[str]) -> list[str]:
    return data


class _PlainParts:
    """A plain stream's parts, made on the consumer's side of its one-actor pipeline.

    The source task only reads: each read's SSE ``data`` strings go through the
    channel as one batch. The consumer turns them into parts ``_SLICE`` events at a
    time with the transform's ``feed_data`` (one C-level JSON loop per slice; text
    deltas become parts inline), right before delivering them. So what a stream
    reads ahead is text, which the garbage collector never walks, and a part lives
    only from its slice's decoding to its delivery: with a thousand streams in
    flight, a thousand read-aheads of part objects made every collection walk them
    all. ``stream-start`` comes first (before any network data), ``finish`` after
    a clean end; a failure of the source arrives after the parts of every event
    read before it, as from a stage.
    """

    __slots__ = ("_data", "_ended", "_next_batch", "_pos", "_started", "transform")

    def __init__(
        self,
        transform: codec.InteractionsStreamTransform,
        next_batch: Callable[[], Awaitable[list[str] | None]],
    ) -> None:
        self.transform = transform
        self._next_batch = next_batch
        self._data: list[str] = []
        self._pos = 0
        self._started = False
        self._ended = False

    async def next(self) -> list[parts.Part] | None:
        """The next non-empty batch of parts, or None after ``finish``."""
        transform = self.transform
        while True:
            data, pos = self._data, self._pos
            if pos < len(data):
                end = pos + _SLICE
                self._pos = end
                try:
                    got = transform.feed_data(
                        data if pos == 0 and end >= len(data) else data[pos:end]
                    )
                except BaseException:
                    self._ended, self._data = True, []  # as a failed stage: the end
                    raise
                if got:
                    return got
                continue
            if not self._started:
                self._started = True
                got = transform.start()
            elif self._ended:
                return None
            else:
                self._data, self._pos = [], 0
                batch = await self._next_batch()
                if batch is not None:
                    self._data = batch
                    continue
                self._ended = True
                got = transform.finish()
            if got:
                return got
