"""The pipeline's edges: argument checks, a zero cleanup timeout, start-up failure, unwrapping."""

from __future__ import annotations

import math
from typing import Any

import anyio
import anyio.lowlevel
import pytest

from partstream.errors import InvalidArgumentError, TransportError
from partstream.pipeline import (
    DEFAULT_CLEANUP_TIMEOUT,
    DEFAULT_MAX_BATCHES,
    Emit,
    MapStage,
    open_stream,
)
from partstream.pipeline._pipeline import _collapse

pytestmark = pytest.mark.anyio


async def _one_two(emit: Emit[int]) -> None:
    await emit([1, 2])


def test_defaults() -> None:
    assert DEFAULT_MAX_BATCHES == 8
    assert DEFAULT_CLEANUP_TIMEOUT == 10.0


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_max_batches_must_be_a_positive_int(bad: Any) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        open_stream(_one_two, max_batches=bad)
    assert info.value.argument == "max_batches"


@pytest.mark.parametrize("bad", [-0.001, -1, math.inf, math.nan])
def test_cleanup_timeout_must_be_finite_and_not_negative(bad: float) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        open_stream(_one_two, cleanup_timeout=bad)
    assert info.value.argument == "cleanup_timeout"


async def test_max_batches_one_and_cleanup_timeout_zero_are_valid() -> None:
    ran: list[str] = []

    async def quick() -> None:
        ran.append("quick")  # no await: done before the zero deadline is checked

    async def waits() -> None:
        await anyio.lowlevel.checkpoint()  # a zero timeout cancels it here
        ran.append("waits")

    async def after() -> None:
        ran.append("after")

    with anyio.fail_after(5):
        async with open_stream(
            _one_two, max_batches=1, cleanups=[quick, waits, after], cleanup_timeout=0
        ) as stream:
            assert [x async for x in stream] == [1, 2]
    assert ran == ["quick"]  # the scope is cancelled: the rest of the cleanups never run


async def test_cleanups_run_in_order_and_a_failing_one_does_not_stop_the_rest() -> None:
    ran: list[str] = []

    async def first() -> None:
        ran.append("first")
        raise TransportError("cancel request failed")

    async def second() -> None:
        ran.append("second")

    async with open_stream(_one_two, cleanups=[first]) as stream:
        stream.add_cleanup(second)
        assert [x async for x in stream] == [1, 2]
    assert ran == ["first", "second"]
    await stream.aclose()  # idempotent: the cleanups ran once
    assert ran == ["first", "second"]


async def test_a_stream_is_entered_once_and_read_inside_its_block() -> None:
    stream = open_stream(_one_two)
    with pytest.raises(RuntimeError, match="async with"):
        await stream.__anext__()
    async with stream:
        with pytest.raises(RuntimeError, match="only once"):
            await stream.__aenter__()
        assert [x async for x in stream] == [1, 2]
        assert stream.exhausted
        assert await stream.next_batch() is None


async def test_a_start_up_failure_cancels_what_started_and_propagates(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The second channel (the one after the first stage) cannot be made: the source
    # task already started must be cancelled and waited for, and the error raised
    # from `async with`, with no task left behind.
    real = anyio.create_memory_object_stream
    made = 0

    class Failing(real):  # type: ignore[misc,valid-type]
        def __new__(cls, *args: Any, **kwargs: Any) -> Any:
            nonlocal made
            made += 1
            if made == 2:
                raise MemoryError("no room for a channel")
            return real(*args, **kwargs)

    monkeypatch.setattr(anyio, "create_memory_object_stream", Failing)
    source_state: list[str] = []

    async def source(emit: Emit[int]) -> None:
        source_state.append("started")
        try:
            await anyio.sleep_forever()
        finally:
            source_state.append("cancelled")

    before = len(anyio.get_running_tasks())
    stream = open_stream(source, _Identity())
    with pytest.raises(MemoryError, match="no room"):
        async with stream:
            pytest.fail("entered a stream that failed to start")
    assert len(anyio.get_running_tasks()) == before
    assert source_state in ([], ["started", "cancelled"])
    monkeypatch.undo()
    await stream.aclose()  # the failed stream is closed already: a no-op, not an error


class _Identity:
    def start(self) -> list[int]:
        return []

    def feed(self, batch: list[int]) -> list[int]:
        return batch

    def finish(self) -> list[int]:
        return []


async def _a_cancellation() -> BaseException:
    """A real cancellation exception of the running backend (trio's has no constructor)."""
    caught: list[BaseException] = []
    with anyio.CancelScope() as scope:
        scope.cancel()
        try:
            await anyio.lowlevel.checkpoint()
        except anyio.get_cancelled_exc_class() as exc:
            caught.append(exc)
            raise
    return caught[0]


async def test_collapse_unwraps_one_meaningful_error_and_keeps_real_groups() -> None:
    leaf = TransportError("reset")
    inner = BaseExceptionGroup("inner", [await _a_cancellation(), leaf])
    assert _collapse(BaseExceptionGroup("outer", [inner])) is leaf
    assert _collapse(BaseExceptionGroup("one", [leaf])) is leaf
    two = BaseExceptionGroup("two", [leaf, ValueError("other")])
    assert _collapse(two) is two
    only_cancelled = BaseExceptionGroup("c", [await _a_cancellation()])
    assert _collapse(only_cancelled) is only_cancelled


class _Recorder:
    """A stage that returns tuples, drops odd batches and records finish()."""

    def __init__(self) -> None:
        self.finished = False
        self.fed: list[object] = []

    def start(self) -> tuple[int, ...]:
        return ()

    def feed(self, batch: list[int]) -> tuple[int, ...]:
        self.fed.append(batch)
        return () if batch[0] % 2 else tuple(batch)

    def finish(self) -> tuple[int, ...]:
        self.finished = True
        return ()


async def test_empty_batches_never_reach_the_consumer_and_batches_are_lists() -> None:
    async def source(emit: Emit[int]) -> None:
        for i in range(4):
            await emit([i, i])
            await emit([])  # nothing: not a batch

    async with open_stream(source) as stream:
        assert [b async for b in stream.batches()] == [[0, 0], [1, 1], [2, 2], [3, 3]]
    recorder = _Recorder()
    async with open_stream(source, recorder) as stream:
        got = [b async for b in stream.batches()]
    assert got == [[0, 0], [2, 2]]
    assert all(type(b) is list for b in got)  # a stage's tuple is handed on as a list
    assert recorder.finished


async def test_a_failed_stream_never_finishes_its_stages() -> None:
    async def source(emit: Emit[int]) -> None:
        await emit([2])
        raise TransportError("reset")

    recorder = _Recorder()
    async with open_stream(source, recorder) as stream:
        assert await stream.next_batch() == [2]
        with pytest.raises(TransportError):
            await stream.next_batch()
        assert stream.exhausted  # at once, not only after another read
        await anyio.wait_all_tasks_blocked()  # the stage has had every chance to go on
        assert not recorder.finished
    assert recorder.fed == [[2]]  # the failure is passed on, never fed to the stage


class Fatal(BaseException):
    """Not an Exception: an actor does not catch it, the task group does."""


async def test_a_base_exception_in_an_actor_surfaces_as_itself() -> None:
    async def source(emit: Emit[int]) -> None:
        await emit([1])
        raise Fatal

    with pytest.raises(Fatal):
        async with open_stream(source) as stream:
            async for _ in stream:
                pass


async def test_aclose_before_entering_is_a_no_op() -> None:
    ran: list[str] = []

    async def cleanup() -> None:
        ran.append("cleanup")

    stream = open_stream(_one_two, cleanups=[cleanup])
    await stream.aclose()
    assert ran == []


async def test_reading_a_batch_checks_for_cancellation_even_when_one_is_ready() -> None:
    async with open_stream(_one_two) as stream:
        await anyio.wait_all_tasks_blocked()  # the batch is waiting in the channel
        with anyio.CancelScope() as scope:
            scope.cancel()
            await stream.next_batch()
            pytest.fail("read a batch inside a cancelled scope")
        assert scope.cancelled_caught
        assert await stream.next_batch() == [1, 2]  # the batch was not lost


async def test_batches_of_a_fresh_stream_start_with_the_first_batch() -> None:
    async with open_stream(_one_two) as stream:
        assert [b async for b in stream.batches()] == [[1, 2]]


def test_map_stage_brackets_nothing() -> None:
    stage = MapStage[int, int](lambda b: [x + 1 for x in b])
    assert (stage.start(), stage.feed([1, 2]), stage.finish()) == ([], [2, 3], [])
