"""Properties: chunks and state go in together or not at all, under any interleaving of
writers, observers and a takeover; chunk encoding is exact."""

from __future__ import annotations

import json
from typing import Any

import anyio
import anyio.lowlevel
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.resumable.conftest import Stores

from partstream import errors
from partstream.resumable import LogWriter, ResumableStore, encode_chunk

pytestmark = pytest.mark.anyio

Plan = list[tuple[int, bool]]


def chunk(k: int) -> dict[str, Any]:
    return {"type": "data-k", "data": k}


async def observe(store: ResumableStore, done: anyio.Event, seen: list[int]) -> None:
    """Look at the run again and again while it is written: the state always matches."""
    while not done.is_set():
        run = await store.find_run("c1")
        if run is not None and run.state is not None:
            # Atomic: the state is exactly the one stored with the last chunk logged.
            assert run.state == {"next": run.offset}, run
            assert run.state_offset == run.offset, run
            got = await store.read_log("c1", run.run_id, offset=0, limit=1000, wait=0.001)
            assert [json.loads(c)["data"] for c in got.chunks] == list(range(got.offset))
            assert got.offset >= run.offset
            seen.append(run.offset)
        await anyio.lowlevel.checkpoint()


async def write(writer: LogWriter, plan: Plan, total: int) -> None:
    for n, pause in plan:
        start = writer.offset
        if start >= total:
            return
        batch = [chunk(k) for k in range(start, min(start + n, total))]
        await writer.append(batch, state={"next": start + len(batch)})
        if pause:
            await anyio.lowlevel.checkpoint()


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    plan=st.lists(st.tuples(st.integers(1, 4), st.booleans()), min_size=1, max_size=20),
    cut=st.integers(0, 20),
)
async def test_no_interleaving_shows_a_state_without_its_chunks(
    stores: Stores, plan: Plan, cut: int
) -> None:
    store = await stores.open()
    observer = await stores.peer(store)
    total = sum(n for n, _ in plan)
    done = anyio.Event()
    seen: list[int] = []
    async with anyio.create_task_group() as tg:
        tg.start_soon(observe, observer, done, seen)
        # Worker A writes the first ``cut`` appends, then is cancelled from outside.
        with anyio.CancelScope() as scope:
            async with store.produce("c1", message_id="m1", state={"next": 0}) as a:
                await write(a, plan[:cut], total)
                scope.cancel()
                await anyio.sleep_forever()
        zombie = a.lease
        # Worker B takes the run over and writes the rest, from where the log stands.
        async with observer.take_over("c1") as b:
            assert b.run.state == {"next": b.offset}
            with pytest.raises(errors.LeaseLostError):
                await store.append(zombie, [encode_chunk(chunk(-1))], offset=b.offset)
            await write(b, plan, total)
        done.set()
    run = await store.find_run("c1")
    assert run is not None
    assert run.offset == total
    assert run.end is not None
    got = [json.loads(c)["data"] async for c in store.read("c1")]
    assert got == list(range(total))  # nothing lost, nothing repeated, across the takeover
    assert seen == sorted(seen)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@given(st.dictionaries(st.text(), json_values, max_size=6))
def test_a_mapping_chunk_is_one_line_of_json_that_decodes_back(value: dict[str, Any]) -> None:
    text = encode_chunk(value)
    assert b"\n" not in text
    assert b"\r" not in text
    assert json.loads(text) == value
    assert encode_chunk(text) == text  # already-encoded text passes through as it is
    assert encode_chunk(text.decode()) == text


@given(st.text(), st.sampled_from(["\n", "\r"]), st.text())
def test_chunk_text_with_a_line_break_is_refused(head: str, brk: str, tail: str) -> None:
    with pytest.raises(errors.InvalidArgumentError, match="one non-empty line"):
        encode_chunk(head + brk + tail)
