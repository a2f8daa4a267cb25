"""Actors joined by bounded batch channels, run in one anyio task group.

A *source* is an async function that reads the network and hands batches (one
list per read) to ``emit``. A *stage* is a sans-IO object with ``start()``,
``feed(batch)`` and ``finish()``, each returning a list; the pipeline runs each
stage as its own task between two bounded memory channels. The consumer pulls
items one at a time from the last channel and so sets the pace for everyone:
when it stalls, every channel fills up, ``emit`` blocks, and the source stops
reading its socket.

Bounds: each channel holds at most ``max_batches`` batches and every actor
holds at most one batch in hand, so a stalled consumer has at most
``(stages + 1) * (max_batches + 1) + 1`` batches in flight.

Failures travel *in band*: an actor that fails sends a failure marker after the
batches it already produced, so the consumer gets every item produced before
the error, then the original exception (never an ExceptionGroup of our tasks).
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from types import TracebackType
from typing import Any, Final, Generic, Protocol, TypeVar, final

import anyio
import anyio.abc
from anyio.lowlevel import checkpoint_if_cancelled
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from ..errors import InvalidArgumentError

__all__ = [
    "DEFAULT_CLEANUP_TIMEOUT",
    "DEFAULT_MAX_BATCHES",
    "Emit",
    "MapStage",
    "PartStream",
    "Source",
    "Stage",
    "open_stream",
]

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)
T_contra = TypeVar("T_contra", contravariant=True)
In = TypeVar("In")

#: Batches a channel holds before its writer blocks.
DEFAULT_MAX_BATCHES: Final = 8
#: Seconds a cleanup callback (such as a cancel request) may take at exit.
DEFAULT_CLEANUP_TIMEOUT: Final = 10.0

Emit = Callable[[list[T]], Awaitable[None]]
"""What a source calls with each batch; it blocks while the next channel is full."""

Source = Callable[[Emit[T]], Awaitable[None]]
"""An async function that produces batches through ``emit`` and returns at end of stream."""

Cleanup = Callable[[], Awaitable[None]]


class Stage(Protocol[In, T_co]):
    """A sans-IO step between two channels.

    ``start`` runs before the first batch, ``feed`` once per batch, ``finish`` at
    the end of a stream that ended without error. Each returns the items to pass
    on (an empty list passes nothing).
    """

    def start(self) -> Sequence[T_co]: ...

    def feed(self, batch: list[In]) -> Sequence[T_co]: ...

    def finish(self) -> Sequence[T_co]: ...


@final
class _Failure:
    """In-band marker: the actor upstream failed with ``exc``."""

    __slots__ = ("exc",)

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


_Item = list[Any] | _Failure


# Channel hops take the no-wait path when they can (``send_nowait``/``receive_nowait``
# first): anyio's ``send``/``receive`` make a trip through the event loop on every call,
# which costs more than a whole batch's items. An actor still yields to the loop whenever
# it must wait, and a full or empty channel forces that within ``max_batches`` batches, so
# cancelling the task group stops every actor within that bound; the consumer checks for
# cancellation on every batch.


async def _send_failure(send: MemoryObjectSendStream[_Item], exc: BaseException) -> None:
    try:
        await send.send(_Failure(exc))
    except (anyio.BrokenResourceError, anyio.ClosedResourceError):
        pass  # the consumer is gone; nobody is left to tell


async def _run_source(source: Source[Any], send: MemoryObjectSendStream[_Item]) -> None:
    async def emit(batch: list[Any]) -> None:
        if batch:
            try:
                send.send_nowait(batch)
            except anyio.WouldBlock:
                await send.send(batch)

    async with send:
        try:
            await source(emit)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError):
            return  # downstream closed: the stream is being torn down
        except Exception as exc:
            await _send_failure(send, exc)


async def _run_stage(
    stage: Stage[Any, Any],
    receive: MemoryObjectReceiveStream[_Item],
    send: MemoryObjectSendStream[_Item],
) -> None:
    async with receive, send:
        try:
            out = stage.start()
            if out:
                await send.send(list(out))
            while True:
                try:
                    item = receive.receive_nowait()
                except anyio.WouldBlock:
                    try:
                        item = await receive.receive()
                    except anyio.EndOfStream:
                        break
                except anyio.EndOfStream:
                    break
                if type(item) is _Failure:
                    await send.send(item)
                    return
                out = stage.feed(item)
                if out:
                    out = out if type(out) is list else list(out)
                    try:
                        send.send_nowait(out)
                    except anyio.WouldBlock:
                        await send.send(out)
            out = stage.finish()
            if out:
                await send.send(list(out))
        except (anyio.BrokenResourceError, anyio.ClosedResourceError):
            return
        except Exception as exc:
            await _send_failure(send, exc)


def _collapse(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The one meaningful exception of a task group failure, if there is one."""
    cancelled = anyio.get_cancelled_exc_class()
    leaves: list[BaseException] = []

    def walk(exc: BaseException) -> None:
        if isinstance(exc, BaseExceptionGroup):
            for inner in exc.exceptions:
                walk(inner)
        elif not isinstance(exc, cancelled):
            leaves.append(exc)

    walk(group)
    return leaves[0] if len(leaves) == 1 else group


@final
class PartStream(Generic[T]):
    """The consumer's end of a pipeline: an async context manager and async iterator.

    ``async with open_stream(...) as stream: async for item in stream: ...``.
    Leaving the block (normally, by ``break``, an exception or a cancellation)
    cancels every actor, closes their resources and runs the cleanup callbacks,
    shielded and bounded by ``cleanup_timeout``.
    """

    __slots__ = (
        "_cleanup_timeout",
        "_cleanups",
        "_closed",
        "_exhausted",
        "_items",
        "_max_batches",
        "_receive",
        "_source",
        "_stages",
        "_tg",
    )

    def __init__(
        self,
        source: Source[Any],
        stages: Sequence[Stage[Any, Any]],
        *,
        max_batches: int,
        cleanups: Sequence[Cleanup],
        cleanup_timeout: float,
    ) -> None:
        given: object = max_batches  # typed int, but callers may pass anything
        if isinstance(given, bool) or not isinstance(given, int) or given < 1:
            raise InvalidArgumentError("max_batches must be an int >= 1", argument="max_batches")
        self._source = source
        self._stages = tuple(stages)
        self._max_batches = max_batches
        self._cleanups: list[Cleanup] = list(cleanups)
        self._cleanup_timeout = cleanup_timeout
        self._tg: anyio.abc.TaskGroup | None = None
        self._receive: MemoryObjectReceiveStream[_Item] | None = None
        # The rest of the current batch. Every way of reading (``__anext__``, ``async for``,
        # ``batches()``) draws from this one list iterator, so they can be mixed freely.
        self._items: Iterator[T] = iter(())
        self._exhausted = False
        self._closed = False

    # -- lifecycle ---------------------------------------------------------------------

    def add_cleanup(self, callback: Cleanup) -> None:
        """Run ``callback`` when the stream closes, even under cancellation (shielded)."""
        self._cleanups.append(callback)

    @property
    def exhausted(self) -> bool:
        """True once the consumer has seen the end of the stream (or its error)."""
        return self._exhausted

    async def __aenter__(self) -> PartStream[T]:
        if self._tg is not None:
            raise RuntimeError("a PartStream can be entered only once")
        send, receive = anyio.create_memory_object_stream[_Item](self._max_batches)
        tg = anyio.create_task_group()
        await tg.__aenter__()
        self._tg = tg
        try:
            tg.start_soon(_run_source, self._source, send)
            for stage in self._stages:
                next_send, next_receive = anyio.create_memory_object_stream[_Item](
                    self._max_batches
                )
                tg.start_soon(_run_stage, stage, receive, next_send)
                receive = next_receive
        except BaseException:
            self._closed = True  # nothing is left to close: aclose() is a no-op now
            receive.close()  # the channel end no actor took yet
            tg.cancel_scope.cancel()
            await tg.__aexit__(None, None, None)
            raise
        self._receive = receive
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        await self.aclose()
        return False

    async def aclose(self) -> None:
        """Cancel every actor, wait for them, run the cleanups. Idempotent."""
        if self._closed or self._tg is None:
            return
        self._closed = True
        tg = self._tg
        try:
            tg.cancel_scope.cancel()
            try:
                await tg.__aexit__(None, None, None)
            except BaseExceptionGroup as group:
                raise _collapse(group) from None
        finally:
            if self._receive is not None:
                self._receive.close()
            if self._cleanups:  # no shielded scope to open for nothing
                await self._run_cleanups()

    async def _run_cleanups(self) -> None:
        # Cleanup survives cancellation: shielded, but bounded in time.
        with anyio.move_on_after(self._cleanup_timeout, shield=True):
            for callback in self._cleanups:
                try:
                    await callback()
                except Exception:
                    continue  # a failed best-effort cleanup must not mask the stream's outcome

    # -- iteration ---------------------------------------------------------------------

    def __aiter__(self) -> PartStream[T]:
        return self

    async def __anext__(self) -> T:
        for item in self._items:  # the hot path: one item of the current batch
            return item
        batch = await self._next_batch()
        if batch is None:
            raise StopAsyncIteration
        items = self._items = iter(batch)
        return next(items)  # batches are never empty

    async def _next_batch(self) -> list[T] | None:
        """The next batch, or None at the end of the stream."""
        receive = self._receive
        if receive is None:
            raise RuntimeError("use the stream inside 'async with'")
        if self._exhausted:
            return None
        await checkpoint_if_cancelled()
        try:
            try:
                item = receive.receive_nowait()
            except anyio.WouldBlock:
                item = await receive.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            self._exhausted = True
            return None
        if type(item) is _Failure:
            self._exhausted = True
            raise item.exc
        return item

    async def next_batch(self) -> list[T] | None:
        """The next whole batch (the rest of the current one first), or None at the end.

        For consumers that keep their own position within a batch: unlike a
        suspended :meth:`batches` generator, this keeps no reference to the batch it
        returned, so items die as soon as their consumer drops them (with many
        streams in flight, batches kept alive are what the garbage collector walks).
        """
        rest = list(self._items)
        if rest:
            return rest
        return await self._next_batch()

    async def batches(self) -> AsyncIterator[list[T]]:
        """Iterate whole batches instead of items (the fastest way to drain a stream)."""
        rest = list(self._items)
        if rest:
            yield rest
        while True:
            batch = await self._next_batch()
            if batch is None:
                return
            yield batch


def open_stream(
    source: Source[Any],
    *stages: Stage[Any, Any],
    max_batches: int = DEFAULT_MAX_BATCHES,
    cleanups: Sequence[Cleanup] = (),
    cleanup_timeout: float = DEFAULT_CLEANUP_TIMEOUT,
) -> PartStream[Any]:
    """Build a pipeline ``source -> stages... -> consumer``; use it with ``async with``."""
    if not math.isfinite(cleanup_timeout) or cleanup_timeout < 0:
        raise InvalidArgumentError(
            "cleanup_timeout must be a finite number >= 0", argument="cleanup_timeout"
        )
    return PartStream(
        source,
        stages,
        max_batches=max_batches,
        cleanups=cleanups,
        cleanup_timeout=cleanup_timeout,
    )


@final
class MapStage(Generic[T_contra, T_co]):
    """A stateless stage from a function ``batch -> items``."""

    __slots__ = ("_fn",)

    def __init__(self, fn: Callable[[list[T_contra]], list[T_co]]) -> None:
        self._fn = fn

    def start(self) -> list[T_co]:
        return []

    def feed(self, batch: list[T_contra]) -> list[T_co]:
        return self._fn(batch)

    def finish(self) -> list[T_co]:
        return []
