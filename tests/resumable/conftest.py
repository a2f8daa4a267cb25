"""Both stores behind one fixture: every protocol test runs on MemoryStore and RedisStore.

``stores.open(**options)`` gives a fresh, entered store (Redis: a new key prefix
on the session's redis-server); ``stores.peer(store)`` gives another client of
the same data (Redis: its own connection pool, as another worker has; memory:
the same object, the only way to share one).
"""

from __future__ import annotations

import gc
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest

from partstream.resumable import MemoryStore, RedisStore, ResumableStore

# coredis 6.9 leaves the six anyio memory streams of a connection unclosed when
# establishing it failed or was cancelled (a ResourceWarning once it is collected;
# nothing else leaks). These tests restart servers, refuse connections and cancel
# producers on purpose, so any test here may collect one.
COREDIS_UNCLOSED_STREAMS = pytest.mark.filterwarnings(
    "ignore:Exception ignored in. <function MemoryObject(Send|Receive)Stream.__del__"
    ":pytest.PytestUnraisableExceptionWarning"
)


@pytest.fixture(autouse=True)
def _collect_coredis_garbage(request: pytest.FixtureRequest) -> Iterator[None]:
    """Collect a Redis test's garbage in the test, where the filter above applies.

    Left to a later collection, coredis's unclosed streams would be reported (as an
    error) in whatever test happens to run then.
    """
    yield
    if "redis" in request.node.name or "redis" in request.node.path.name:
        gc.collect()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = str(Path(__file__).parent)
    for item in items:
        if str(item.path).startswith(here):
            item.add_marker(COREDIS_UNCLOSED_STREAMS)


class Stores:
    def __init__(self, kind: str, stack: AsyncExitStack, request: pytest.FixtureRequest) -> None:
        self.kind = kind
        self._stack = stack
        self._request = request
        self._prefixes: dict[int, tuple[str, dict[str, Any]]] = {}

    @property
    def redis_url(self) -> str:
        url: str = self._request.getfixturevalue("redis_url")
        return url

    async def open(self, **options: Any) -> ResumableStore:
        # Writes at once (the default 50 ms of joining would only slow the tests down;
        # test_writer.py tests the interval itself).
        options.setdefault("flush_interval", 0.002)
        store: ResumableStore
        if self.kind == "memory":
            store = MemoryStore(**options)
        else:
            prefix = f"t{uuid.uuid4().hex[:12]}"
            store = RedisStore(self.redis_url, key_prefix=prefix, **options)
            self._prefixes[id(store)] = (prefix, options)
        await self._stack.enter_async_context(store)
        return store

    async def peer(self, store: ResumableStore) -> ResumableStore:
        if self.kind == "memory":
            return store
        prefix, options = self._prefixes[id(store)]
        other = RedisStore(self.redis_url, key_prefix=prefix, **options)
        await self._stack.enter_async_context(other)
        return other

    def prefix(self, store: ResumableStore) -> str:
        return self._prefixes[id(store)][0]


@pytest.fixture(params=["memory", "redis"])
async def stores(request: pytest.FixtureRequest, anyio_backend: str) -> AsyncIterator[Stores]:
    async with AsyncExitStack() as stack:
        yield Stores(str(request.param), stack, request)


@pytest.fixture
async def store(stores: Stores) -> ResumableStore:
    return await stores.open()
