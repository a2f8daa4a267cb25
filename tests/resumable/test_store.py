"""The store protocol, run on both stores (MemoryStore and a real Redis), asyncio and trio."""

from __future__ import annotations

import json
from typing import Any

import anyio
import anyio.lowlevel
import pytest
from tests.resumable.conftest import Stores

from partstream import errors
from partstream.resumable import LogReader, ResumableStore, encode_chunk, encode_state

pytestmark = pytest.mark.anyio


def delta(i: int) -> dict[str, Any]:
    return {"type": "text-delta", "id": "0", "delta": f"d{i}"}


def text(i: int) -> bytes:
    return encode_chunk(delta(i))


async def drain(reader: LogReader) -> list[bytes]:
    return [chunk async for chunk in reader]


async def test_a_late_reader_replays_from_the_start_then_follows_live(
    store: ResumableStore,
) -> None:
    got: list[bytes] = []
    async with anyio.create_task_group() as tg, store.produce("c1", message_id="m1") as writer:
        for i in range(10):
            await writer.append([delta(i)], state={"next": i + 1})
        await writer.flush()

        async def late() -> None:
            got.extend(await drain(store.read("c1")))

        tg.start_soon(late)
        await anyio.sleep(0.05)  # the reader has replayed and now waits on the live log
        for i in range(10, 20):
            await writer.append([delta(i)], state={"next": i + 1})
            await anyio.lowlevel.checkpoint()
    assert got == [text(i) for i in range(20)]
    run = await store.find_run("c1")
    assert run is not None
    assert (run.status, run.offset, run.state, run.state_offset) == ("ended", 20, {"next": 20}, 20)
    assert run.end is not None
    assert run.end.kind == "finish"
    assert run.end.offset == 20
    assert not run.lease_alive


async def test_a_reader_starts_at_any_offset(store: ResumableStore) -> None:
    async with store.produce("c1", message_id="m1") as writer:
        await writer.append([delta(0), delta(1), delta(2)])
        await writer.append([delta(3)])
        await writer.append([delta(4), delta(5)])
    for offset in range(7):
        reader = store.read("c1", from_offset=offset)
        assert await drain(reader) == [text(i) for i in range(offset, 6)]
        assert reader.offset == 6
        assert reader.end is not None
        assert reader.end.kind == "finish"
    with pytest.raises(errors.InvalidArgumentError, match="past the end"):
        await drain(store.read("c1", from_offset=7))
    with pytest.raises(errors.InvalidArgumentError, match="from_offset"):
        store.read("c1", from_offset=-1)


async def test_many_concurrent_readers_each_get_the_whole_message(
    store: ResumableStore,
) -> None:
    results: list[list[bytes]] = []

    async def read() -> None:
        results.append(await drain(store.read("c1")))

    async with store.produce("c1", message_id="m1") as writer, anyio.create_task_group() as tg:
        for n in range(12):
            if n % 3 == 0:
                tg.start_soon(read)
            await writer.append([delta(n)], state={"next": n + 1})
            await anyio.sleep(0.001)
        await writer.end("finish", [delta(12)])
    assert len(results) == 4
    assert all(r == [text(i) for i in range(13)] for r in results)


async def test_reading_a_chat_without_a_run(store: ResumableStore) -> None:
    assert await store.find_run("nobody") is None
    with pytest.raises(errors.NoActiveRunError):
        await drain(store.read("nobody"))
    assert await store.request_stop("nobody") is False
    with pytest.raises(errors.NoActiveRunError):
        async with store.take_over("nobody"):
            pass


@pytest.mark.parametrize("how", ["finish", "error", "abort"])
async def test_end_markers_stop_every_reader(store: ResumableStore, how: str) -> None:
    async with store.produce("c1", message_id="m1") as writer:
        await writer.append([delta(0)])
        end = await writer.end(how, [{"type": how}], reason=f"because {how}")  # type: ignore[arg-type]
    assert (end.kind, end.offset, end.reason) == (how, 2, f"because {how}")
    reader = store.read("c1")
    assert await drain(reader) == [text(0), encode_chunk({"type": how})]
    assert reader.end == end
    run = await store.find_run("c1")
    assert run is not None
    assert run.end == end
    assert not run.active


async def test_leaving_the_block_with_an_exception_ends_the_log_with_error(
    store: ResumableStore,
) -> None:
    error_chunk = {"type": "error", "errorText": "An error occurred."}
    with pytest.raises(ZeroDivisionError):
        async with store.produce("c1", message_id="m1", error_chunks=[error_chunk]) as writer:
            await writer.append([delta(0)])
            1 / 0  # noqa: B018
    reader = store.read("c1")
    assert await drain(reader) == [text(0), encode_chunk(error_chunk)]
    assert reader.end is not None
    assert reader.end.kind == "error"


async def test_a_block_cancelled_from_outside_leaves_the_run_for_a_takeover(
    store: ResumableStore,
) -> None:
    with anyio.move_on_after(0.1):
        async with store.produce("c1", message_id="m1", state={"next": 0}) as writer:
            for i in range(3):
                await writer.append([delta(i)], state={"next": i + 1})
            await anyio.sleep_forever()
    run = await store.find_run("c1")
    assert run is not None
    # What was queued is logged, the lease is released: orphaned, takeable at once.
    assert (run.active, run.offset, run.state, run.lease_alive) == (True, 3, {"next": 3}, False)
    async with store.take_over("c1") as taker:
        assert taker.run.state == {"next": 3}
        assert taker.offset == taker.run.offset == 3
        assert taker.lease.token > run.token
        await taker.append([delta(3)], state={"next": 4})
    assert await drain(store.read("c1")) == [text(i) for i in range(4)]


async def test_begin_refuses_a_second_active_run_unless_replacing(
    stores: Stores,
) -> None:
    store = await stores.open()
    with pytest.raises(errors.LeaseLostError):
        async with store.produce("c1", message_id="m1") as first:
            await first.append([delta(0)])
            await first.flush()
            with pytest.raises(errors.ActiveRunError) as refused:
                async with store.produce("c1", message_id="m2"):
                    pass
            assert refused.value.lease_alive
            assert refused.value.run_id == first.run_id
            old = store.read("c1", run_id=first.run_id)
            async with store.produce("c1", message_id="m2", replace=True) as second:
                await second.append([delta(100)])
            # The replaced run's readers got its end, its producer is fenced off.
            assert await drain(old) == [text(0)]
            assert old.end is not None
            assert old.end.kind == "abort"
            await first.append([delta(1)])
            await first.flush()
    assert await drain(store.read("c1")) == [text(100)]


async def test_take_over_is_refused_while_the_producer_lives(store: ResumableStore) -> None:
    async with store.produce("c1", message_id="m1", owner="worker-a"):
        with pytest.raises(errors.LeaseHeldError) as held:
            async with store.take_over("c1", owner="worker-b"):
                pass
        assert held.value.owner == "worker-a"
    with pytest.raises(errors.NoActiveRunError, match="ended"):
        async with store.take_over("c1"):
            pass


async def test_a_lease_not_renewed_expires_and_the_old_holder_is_fenced(
    stores: Stores,
) -> None:
    store = await stores.open()
    other = await stores.peer(store)
    lease, run = await store.begin_run(
        "c1", message_id="m1", owner="a", state=encode_state({"next": 0}), lease_ttl=0.15
    )
    assert run.lease_alive
    assert run.offset == 0
    assert run.state == {"next": 0}
    await store.append(lease, [text(0)], offset=0, state=encode_state({"next": 1}))
    assert await store.renew_lease(lease) is False  # renewed: alive again for 0.15 s
    await anyio.sleep(0.3)
    found = await other.find_run("c1")
    assert found is not None
    assert found.orphaned
    assert found.owner == "a"
    new, taken = await other.acquire_lease("c1", owner="b", lease_ttl=5)
    assert new.token > lease.token
    assert new.run_id == lease.run_id
    assert (taken.offset, taken.state, taken.state_offset, taken.owner) == (1, {"next": 1}, 1, "b")
    # The old holder cannot write, renew, or release the new holder's lease.
    with pytest.raises(errors.LeaseLostError):
        await store.append(lease, [text(99)], offset=1)
    with pytest.raises(errors.LeaseLostError):
        await store.renew_lease(lease)
    await store.release_lease(lease)
    await other.append(new, [text(1)], offset=1, state=encode_state({"next": 2}), end="finish")
    assert await drain(store.read("c1")) == [text(0), text(1)]


async def test_a_writer_whose_lease_was_taken_stops_with_lease_lost(
    stores: Stores,
) -> None:
    store = await stores.open(lease_ttl=0.3)
    other = await stores.peer(store)
    with pytest.raises(errors.LeaseLostError):
        async with store.produce("c1", message_id="m1") as writer:
            await writer.append([delta(0)], state={"next": 1})
            await writer.flush()
            # Another worker fences this one off (as after a pause longer than the lease).
            await other.begin_run("c1", message_id="m2", owner="b", replace=True)
            for i in range(1, 1000):
                await writer.append([delta(i)], state={"next": i + 1})
                await anyio.sleep(0.01)
    run = await other.find_run("c1")
    assert run is not None
    assert run.message_id == "m2"
    assert run.offset == 0


async def test_renewal_keeps_the_lease_and_the_keys_alive(stores: Stores) -> None:
    store = await stores.open(lease_ttl=0.15, ttl=0.25)
    async with store.produce("c1", message_id="m1") as writer:
        await writer.append([delta(0)])
        await anyio.sleep(0.55)  # twice both ttls: only the renewals keep them
        run = await store.find_run("c1")
        assert run is not None
        assert run.lease_alive
        assert run.offset == 1
        await writer.append([delta(1)])
    assert await drain(store.read("c1")) == [text(0), text(1)]
    await anyio.sleep(0.35)  # nobody renews an ended run: it expires
    assert await store.find_run("c1") is None


async def test_atomic_append_keeps_state_interaction_and_chunks_together(
    store: ResumableStore,
) -> None:
    async with store.produce("c1", message_id="m1", state={"next": 0}) as writer:
        assert (await store.find_run("c1")).state == {"next": 0}  # type: ignore[union-attr]
        await writer.append([delta(0), delta(1)], state={"next": 2}, interaction_id="v1_abc")
        await writer.append([delta(2)])  # no state: the stored one stays valid at offset 2
        await writer.flush()
        run = await store.find_run("c1")
        assert run is not None
        assert (run.offset, run.state, run.state_offset) == (3, {"next": 2}, 2)
        assert run.interaction_id == "v1_abc"
        assert run.message_id == "m1"


async def test_stop_from_another_client_cancels_the_producer_and_ends_with_abort(
    stores: Stores,
) -> None:
    store = await stores.open()
    other = await stores.peer(store)
    reader = store.read("c1", orphan_timeout=5)
    seen: list[bytes] = []
    async with (
        anyio.create_task_group() as tg,
        store.produce("c1", message_id="m1", abort_chunks=[{"type": "abort"}]) as w,
    ):

        async def follow() -> None:
            seen.extend(await drain(reader))

        await w.append([delta(0)])
        await w.flush()
        tg.start_soon(follow)
        assert await other.request_stop("c1") is True
        with anyio.fail_after(5):
            while True:  # the block is cancelled by the stop
                await w.append([delta(1)])
                await anyio.sleep(0.01)
    assert w.stop_requested
    assert seen[0] == text(0)
    assert seen[-1] == encode_chunk({"type": "abort"})
    assert reader.end is not None
    assert reader.end.kind == "abort"
    assert await other.request_stop("c1") is False  # nothing active any more


async def test_stop_with_on_stop_ignore_only_tells_the_block(stores: Stores) -> None:
    store = await stores.open()
    other = await stores.peer(store)
    async with store.produce("c1", message_id="m1", on_stop="ignore") as writer:
        await writer.append([delta(0)])
        assert not writer.stop_requested
        assert await other.request_stop("c1", run_id=writer.run_id) is True
        with anyio.fail_after(5):
            await writer.wait_stop_requested()
        await writer.end("abort", [{"type": "abort"}], reason="stopped by the user")
    run = await store.find_run("c1")
    assert run is not None
    assert run.stop_requested
    assert run.end is not None
    assert run.end.reason == "stopped by the user"
    assert await other.request_stop("c1", run_id="some-other-run") is False


async def test_a_reader_of_an_orphaned_run_gets_producer_gone_then_resumes(
    stores: Stores,
) -> None:
    store = await stores.open(poll_interval=0.05)
    lease, _ = await store.begin_run("c1", message_id="m1", owner="a", lease_ttl=0.1)
    await store.append(lease, [text(0), text(1)], offset=0)
    reader = store.read("c1", orphan_timeout=0.2)
    with anyio.fail_after(5), pytest.raises(errors.ProducerGoneError) as gone:
        await drain(reader)
    assert gone.value.offset == reader.offset == 2
    async with store.take_over("c1") as taker:
        await taker.append([delta(2)])
    resumed = store.read("c1", from_offset=gone.value.offset)
    assert await drain(resumed) == [text(2)]


async def test_a_capped_log_trims_and_a_fallen_off_reader_gets_a_clear_error(
    stores: Stores,
) -> None:
    store = await stores.open(max_chunks=10)
    behind = store.read("c1")
    async with store.produce("c1", message_id="m1") as writer:
        await writer.append([delta(0)])
        await writer.flush()
        assert await behind.next_batch() == [text(0)]  # a reader that then stalls
        for i in range(1, 30):  # the producer never waits for the stalled reader
            await writer.append([delta(i)])
    run = await store.find_run("c1")
    assert run is not None
    assert run.offset == 30
    assert 20 <= run.start <= 21
    with pytest.raises(errors.LogTrimmedError) as trimmed:
        await drain(behind)
    assert "max_chunks=" in str(trimmed.value)
    assert trimmed.value.option == "max_chunks"
    assert trimmed.value.start == run.start
    assert await drain(store.read("c1", from_offset=25)) == [text(i) for i in range(25, 30)]
    with pytest.raises(errors.LogTrimmedError):
        await drain(store.read("c1", from_offset=0))


async def test_the_byte_cap_trims_too_and_names_its_option(stores: Stores) -> None:
    size = len(text(10))
    store = await stores.open(max_bytes=size * 5)
    async with store.produce("c1", message_id="m1") as writer:
        for i in range(10, 30):
            await writer.append([delta(i)])
            await writer.flush()
        with pytest.raises(errors.LimitExceededError, match="max_bytes="):
            await writer.append([delta(i) for i in range(10, 16)])
    with pytest.raises(errors.LogTrimmedError, match="max_bytes=") as trimmed:
        await drain(store.read("c1"))
    assert trimmed.value.option == "max_bytes"
    assert await drain(store.read("c1", from_offset=19)) == [text(i) for i in range(29, 30)]


async def test_a_reader_holds_at_most_batch_entries_writes(stores: Stores) -> None:
    store = await stores.open(batch_entries=3)
    lease, _ = await store.begin_run("c1", message_id="m1", owner="a")
    for i in range(0, 20, 2):
        await store.append(lease, [text(i), text(i + 1)], offset=i)
    reader = store.read("c1")
    batch = await reader.next_batch()
    assert batch == [text(i) for i in range(6)]  # three writes of two chunks
    assert reader.offset == 6


async def test_appends_are_validated(store: ResumableStore) -> None:
    async with store.produce("c1", message_id="m1") as writer:
        with pytest.raises(errors.InvalidArgumentError, match="one non-empty line"):
            await writer.append(['{"type":\n"x"}'])
        with pytest.raises(errors.InvalidArgumentError, match="JSON-ready"):
            await writer.append([{"type": object()}])
        with pytest.raises(errors.InvalidArgumentError, match="sequence of chunks"):
            await writer.append({"type": "x"})  # type: ignore[arg-type]
        assert await writer.append(['{"type":"text-start","id":"0"}', b'{"type":"x"}']) == 2
    assert await drain(store.read("c1")) == [b'{"type":"text-start","id":"0"}', b'{"type":"x"}']
    with pytest.raises(errors.InvalidArgumentError, match="chat_id"):
        store.read("bad{chat}")
    with pytest.raises(errors.InvalidArgumentError, match="chat_id"):
        store.produce("", message_id="m")


async def test_chunks_keep_their_json_text_exactly(store: ResumableStore) -> None:
    chunk = {"type": "text-delta", "id": "0", "delta": 'é€😀 \n"quoted" \u2028'}
    async with store.produce("c1", message_id="m1") as writer:
        await writer.append([chunk, json.dumps(chunk)])
    got = await drain(store.read("c1"))
    assert [json.loads(c) for c in got] == [chunk, chunk]
    assert got[1] == json.dumps(chunk).encode()
