"""What only the memory store has: an injectable clock, and a bound on the runs it holds."""

from __future__ import annotations

import pytest

from partstream import errors
from partstream.resumable import MemoryStore, encode_chunk

pytestmark = pytest.mark.anyio


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_leases_and_runs_expire_on_the_stores_clock(anyio_backend: str) -> None:
    clock = Clock()
    store = MemoryStore(ttl=60, lease_ttl=10, clock=clock)
    lease, _ = await store.begin_run("c1", message_id="m1", owner="a")
    await store.append(lease, [b'{"k":0}'], offset=0)
    clock.now += 9
    assert (await store.find_run("c1")).lease_alive  # type: ignore[union-attr]
    clock.now += 2
    run = await store.find_run("c1")
    assert run is not None
    assert run.orphaned
    with pytest.raises(errors.LeaseLostError):
        await store.renew_lease(lease)
    clock.now += 60
    assert await store.find_run("c1") is None  # 60 s after its last write
    with pytest.raises(errors.LogGoneError, match="expired"):
        await store.read_log("c1", lease.run_id, offset=0, limit=10, wait=0.01)


async def test_the_store_holds_at_most_max_runs(anyio_backend: str) -> None:
    store = MemoryStore(max_runs=3)
    leases = [(await store.begin_run(f"c{i}", message_id="m", owner="a"))[0] for i in range(3)]
    with pytest.raises(errors.LimitExceededError, match="max_runs="):
        await store.begin_run("c3", message_id="m", owner="a")
    await store.append(leases[1], [encode_chunk({"k": 1})], offset=0, end="finish")
    await store.begin_run("c3", message_id="m", owner="a")  # the ended run made room
    assert await store.find_run("c1") is None
    assert (await store.find_run("c0")) is not None
    assert repr(store) == "<MemoryStore runs=3 chats=3>"


def test_options_are_checked() -> None:
    with pytest.raises(errors.InvalidArgumentError, match="max_runs"):
        MemoryStore(max_runs=0)
    with pytest.raises(errors.InvalidArgumentError, match="lease_ttl"):
        MemoryStore(lease_ttl=0)
    with pytest.raises(errors.InvalidArgumentError, match="max_chunks"):
        MemoryStore(max_chunks=True)
    with pytest.raises(errors.InvalidArgumentError, match="ttl"):
        MemoryStore(ttl=float("inf"))
