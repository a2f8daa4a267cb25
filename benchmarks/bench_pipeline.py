"""Items per second through a 3-stage partstream pipeline vs a per-item memory stream.

The pipeline: a source emitting pre-built batches, three trivial stages, and a
consumer iterating item by item (``async for item in stream``). The peer: the
bare anyio memory object stream a hand-written pipeline would use, one
``send``/``receive`` per item. Both run on each backend in the same process,
alternating, and the reported figure is the median of several rounds.

Targets (issue 2, item 7): the pipeline moves >= 10x the items/s of the
per-item stream, and >= 2M items/s on asyncio.
"""

from __future__ import annotations

import time
from typing import Any

import anyio

from partstream.pipeline import Emit, MapStage, open_stream

from ._common import BACKENDS, Row, check_size, median, result, row

BATCH = 64
STAGES = 3

_PARAMS: dict[str, dict[str, int]] = {
    "smoke": {"items": 4_096, "peer_items": 2_048, "rounds": 1},
    "full": {"items": 1_000_000, "peer_items": 200_000, "rounds": 5},
}


def _identity(batch: list[int]) -> list[int]:
    return batch


async def pipeline_items_per_second(items: int, batch: int = BATCH, stages: int = STAGES) -> float:
    """Drain ``items`` ints through ``stages`` identity stages, item by item."""
    batches = [list(range(i, min(i + batch, items))) for i in range(0, items, batch)]

    async def source(emit: Emit[int]) -> None:
        for b in batches:
            await emit(b)

    count = 0
    start = time.perf_counter()
    async with open_stream(
        source, *[MapStage[int, int](_identity) for _ in range(stages)]
    ) as stream:
        async for _ in stream:
            count += 1
    elapsed = time.perf_counter() - start
    if count != items:
        raise AssertionError(f"pipeline delivered {count} of {items} items")
    return items / elapsed


async def per_item_items_per_second(items: int) -> float:
    """The same ints sent one ``send`` per item over one anyio memory object stream."""
    send, receive = anyio.create_memory_object_stream[int](BATCH)
    count = 0

    async def producer() -> None:
        async with send:
            for i in range(items):
                await send.send(i)

    start = time.perf_counter()
    async with anyio.create_task_group() as tg:
        tg.start_soon(producer)
        async with receive:
            async for _ in receive:
                count += 1
    elapsed = time.perf_counter() - start
    if count != items:
        raise AssertionError(f"per-item stream delivered {count} of {items} items")
    return items / elapsed


def run(size: str) -> dict[str, Any]:
    sz = check_size(size)
    p = _PARAMS[sz]
    rows: list[Row] = []
    for backend in BACKENDS:
        ours: list[float] = []
        peers: list[float] = []
        for _ in range(p["rounds"]):
            ours.append(anyio.run(pipeline_items_per_second, p["items"], backend=backend))
            peers.append(anyio.run(per_item_items_per_second, p["peer_items"], backend=backend))
        value = median(ours)
        rows.append(
            row(
                variant=f"{STAGES} stages, batch {BATCH}",
                backend=backend,
                metric="items/s",
                value=value,
                peer="anyio per-item stream",
                peer_value=median(peers),
                target=">= 10x" + (", >= 2M/s" if backend == "asyncio" else ""),
                min_ratio=10.0,
                min_value=2_000_000.0 if backend == "asyncio" else None,
            )
        )
    return result("pipeline", sz, rows)


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(sys.argv[1] if len(sys.argv) > 1 else "full"), indent=2))
