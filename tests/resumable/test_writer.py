"""The writer's group commit: a burst of appends becomes one write, and waiting is cut short
whenever someone needs the log now."""

from __future__ import annotations

import anyio
import pytest
from tests.resumable.conftest import Stores

from partstream.resumable import encode_chunk

pytestmark = pytest.mark.anyio


async def logged(stores: Stores, store: object) -> int:
    run = await store.find_run("c1")  # type: ignore[attr-defined]
    assert run is not None
    offset: int = run.offset
    return offset


async def test_a_burst_is_joined_and_flush_does_not_wait_for_the_interval(
    stores: Stores,
) -> None:
    store = await stores.open(flush_interval=30)
    with anyio.fail_after(5):  # nothing here waits for the 30 s interval
        async with store.produce("c1", message_id="m1") as writer:
            await writer.append([{"k": 0}])
            await anyio.sleep(0.05)
            assert await logged(stores, store) == 1  # the first append after a quiet spell
            for k in range(1, 50):
                await writer.append([{"k": k}], state={"next": k + 1})
                await anyio.sleep(0.001)
            assert await logged(stores, store) == 1  # the burst waits for the interval...
            assert writer.logged_offset == 1
            assert writer.offset == 50
            await writer.flush()  # ...unless someone needs it now
            run = await store.find_run("c1")
            assert run is not None
            assert (run.offset, run.state, run.state_offset) == (50, {"next": 50}, 50)
            for k in range(50, 60):
                await writer.append([{"k": k}])
            await writer.end("finish", [{"k": 60}])
    got = [chunk async for chunk in store.read("c1")]
    assert got == [encode_chunk({"k": k}) for k in range(61)]


async def test_a_full_queue_is_written_without_waiting_for_the_interval(
    stores: Stores,
) -> None:
    store = await stores.open(flush_interval=30, max_pending_bytes=200)
    with anyio.fail_after(5):
        async with store.produce("c1", message_id="m1") as writer:
            for k in range(100):  # 100 x ~10 bytes: the queue fills up again and again
                await writer.append([{"k": k}])
            # Written as it filled up: never more than max_pending_bytes queued (7+ bytes each).
            assert (writer.offset - writer.logged_offset) * 7 <= 200
    assert len([c async for c in store.read("c1")]) == 100
