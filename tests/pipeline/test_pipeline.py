"""The pipeline's guarantees: order, backpressure, cancellation, error propagation."""

from __future__ import annotations

import weakref
from collections.abc import Sequence

import anyio
import anyio.lowlevel
import pytest

from partstream.errors import InvalidResponseDataError, TransportError
from partstream.pipeline import Emit, MapStage, open_stream

pytestmark = pytest.mark.anyio


class Doubler:
    """A stage that doubles ints, brackets the stream and records what it saw."""

    def __init__(self) -> None:
        self.fed = 0
        self.finished = False

    def start(self) -> Sequence[object]:
        return ["start"]

    def feed(self, batch: list[int]) -> Sequence[object]:
        self.fed += len(batch)
        return [x * 2 for x in batch]

    def finish(self) -> Sequence[object]:
        self.finished = True
        return ["end"]


async def test_items_arrive_in_order_through_stages() -> None:
    async def source(emit: Emit[int]) -> None:
        for start in range(0, 100, 10):
            await emit(list(range(start, start + 10)))
        await emit([])

    doubler = Doubler()
    plus_one = MapStage[object, object](lambda b: [x + 1 if isinstance(x, int) else x for x in b])
    async with open_stream(source, doubler, plus_one) as stream:
        got = [x async for x in stream]
    assert got == ["start", *[2 * x + 1 for x in range(100)], "end"]
    assert doubler.finished
    assert doubler.fed == 100
    assert stream.exhausted


async def test_batches_iterator_yields_whole_batches() -> None:
    async def source(emit: Emit[int]) -> None:
        await emit([1, 2, 3])
        await emit([4])

    async with open_stream(source) as stream:
        first = await stream.__anext__()
        rest = [b async for b in stream.batches()]
    assert first == 1
    assert rest == [[2, 3], [4]]


async def test_next_batch_gives_the_rest_then_whole_batches_and_keeps_none() -> None:
    class Box:
        pass

    refs: list[weakref.ref[Box]] = []

    def boxes(size: int) -> list[Box]:
        batch = [Box() for _ in range(size)]
        refs.extend(weakref.ref(b) for b in batch)
        return batch

    async def source(emit: Emit[Box]) -> None:
        await emit(boxes(3))
        await emit(boxes(2))
        raise TransportError("gone")  # its traceback holds this frame: no batch in it

    async with open_stream(source) as stream:
        first = await stream.__anext__()
        rest = await stream.next_batch()  # the rest of the current batch first
        assert rest is not None
        assert [first, *rest] == [r() for r in refs[:3]]
        del first, rest
        second = await stream.next_batch()
        assert second is not None
        assert len(second) == 2
        # The stream holds no reference to a batch it handed out.
        assert [r() for r in refs[:3]] == [None, None, None]
        del second
        assert [r() for r in refs] == [None] * 5
        with pytest.raises(TransportError, match="gone"):
            await stream.next_batch()
        assert await stream.next_batch() is None  # after the failure: the end
        assert stream.exhausted


@pytest.mark.parametrize("max_batches", [1, 4])
@pytest.mark.parametrize("stages", [0, 2])
async def test_stalled_consumer_bounds_batches_in_flight(max_batches: int, stages: int) -> None:
    produced = 0

    async def source(emit: Emit[int]) -> None:
        nonlocal produced
        for i in range(10_000):
            await emit([i])
            produced += 1

    pipeline = [MapStage[int, int](lambda b: b) for _ in range(stages)]
    async with open_stream(source, *pipeline, max_batches=max_batches) as stream:
        assert await stream.__anext__() == 0  # consume one, then stall
        await anyio.wait_all_tasks_blocked()
        bound = (stages + 1) * (max_batches + 1) + 1
        assert produced <= bound
        stalled_at = produced
        await anyio.sleep(0.05)
        await anyio.wait_all_tasks_blocked()
        assert produced == stalled_at, "source kept producing while the consumer stalled"
        # Draining resumes the source.
        got = [x async for x in stream]
    assert got == list(range(1, 10_000))


async def test_source_error_arrives_after_its_items_as_the_original_exception() -> None:
    async def source(emit: Emit[int]) -> None:
        await emit([1, 2])
        raise TransportError("connection reset")

    got: list[int] = []
    with pytest.raises(TransportError, match="connection reset"):
        async with open_stream(source, MapStage[int, int](lambda b: b)) as stream:
            async for x in stream:
                got.append(x)
    assert got == [1, 2]


async def test_stage_error_cancels_the_source_and_reaches_the_consumer() -> None:
    source_cancelled = anyio.Event()

    async def source(emit: Emit[int]) -> None:
        try:
            await emit([1])
            await anyio.sleep_forever()
        finally:
            source_cancelled.set()

    def explode(batch: list[int]) -> list[int]:
        raise InvalidResponseDataError("bad event")

    with pytest.raises(InvalidResponseDataError):
        async with open_stream(source, MapStage(explode)) as stream:
            async for _ in stream:
                pass
    assert source_cancelled.is_set()


async def test_break_cancels_actors_and_runs_cleanup_once() -> None:
    source_done = anyio.Event()
    cleanups: list[str] = []

    async def source(emit: Emit[int]) -> None:
        try:
            i = 0
            while True:
                await emit([i])
                i += 1
        finally:
            source_done.set()

    async def cleanup() -> None:
        await anyio.lowlevel.checkpoint()  # a cleanup may await even though the scope is cancelled
        cleanups.append("cancel-request")

    async with open_stream(source, cleanups=[cleanup]) as stream:
        async for x in stream:
            if x == 5:
                break
    assert source_done.is_set()
    assert cleanups == ["cancel-request"]


async def test_outer_cancel_scope_tears_down_and_still_runs_cleanup() -> None:
    ran = anyio.Event()
    closed = anyio.Event()

    async def source(emit: Emit[int]) -> None:
        try:
            await anyio.sleep_forever()
        finally:
            closed.set()

    async def cleanup() -> None:
        await anyio.sleep(0.01)
        ran.set()

    with anyio.move_on_after(0.05) as scope:
        async with open_stream(source, cleanups=[cleanup]) as stream:
            async for _ in stream:
                pass
    assert scope.cancelled_caught
    assert closed.is_set()
    assert ran.is_set()


async def test_cleanup_is_bounded_in_time() -> None:
    async def source(emit: Emit[int]) -> None:
        await emit([1])

    async def slow_cleanup() -> None:
        await anyio.sleep(30)

    with anyio.fail_after(5):
        async with open_stream(source, cleanups=[slow_cleanup], cleanup_timeout=0.05) as s:
            assert [x async for x in s] == [1]


async def test_consumer_exception_propagates_unwrapped() -> None:
    async def source(emit: Emit[int]) -> None:
        await emit([1])
        await anyio.sleep_forever()

    class Mine(Exception):
        pass

    with pytest.raises(Mine):
        async with open_stream(source) as stream:
            async for _ in stream:
                raise Mine


async def test_tasks_are_gone_after_exit() -> None:
    before = len(anyio.get_running_tasks())

    async def source(emit: Emit[int]) -> None:
        await emit([1])
        await anyio.sleep_forever()

    async with open_stream(source, MapStage[int, int](lambda b: b)) as stream:
        assert len(anyio.get_running_tasks()) == before + 2
        await stream.__anext__()
    assert len(anyio.get_running_tasks()) == before
