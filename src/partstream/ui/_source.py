"""What a UI stream reads from: a model stream (or any source of parts), batch by batch.

A *source* is an async context manager that gives an async iterable of parts
(``model.stream(...)``, any :class:`~partstream.pipeline.PartStream`) or a plain
async iterable of parts. :func:`open_batches` enters it on an exit stack and
yields lists of parts (whole batches where the source has ``batches()``);
:func:`first_batch` waits for the first part that shows the upstream answered,
so that an error until then can still become an HTTP error status.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any, Final

from .. import parts as p
from ..errors import InvalidArgumentError

__all__ = ["END", "first_batch", "open_batches"]

#: What :func:`first_batch` (and ``anext(batches, END)``) gives at the end of the parts.
END: Final[Any] = object()


async def open_batches(source: Any, stack: AsyncExitStack) -> tuple[Any, AsyncIterator[list[Any]]]:
    """Enter ``source`` on ``stack``; the entered value and its parts in batches."""
    entered = await stack.enter_async_context(source) if hasattr(source, "__aenter__") else source
    batches = getattr(entered, "batches", None)
    if callable(batches):
        generator: AsyncIterator[list[Any]] = batches()
    elif hasattr(entered, "__aiter__"):
        generator = _singles(entered)
    else:
        raise InvalidArgumentError(
            "the source must be an async context manager of parts or an async iterable of parts",
            argument="source",
        )
    aclose = getattr(generator, "aclose", None)
    if aclose is not None:
        stack.push_async_callback(aclose)
    return entered, generator


async def first_batch(batches: AsyncIterator[list[Any]]) -> Any:
    """The first batch with a part that says the upstream answered (or :data:`END`).

    ``stream-start`` makes no chunk and may come before the upstream's HTTP status
    is known: it is held back, so that an error status still becomes an HTTP error.
    """
    held: list[Any] = []
    while True:
        batch = await anext(batches, END)
        if batch is END:
            return held or END
        if not all(type(part) is p.StreamStart for part in batch):
            return held + batch if held else batch
        held.extend(batch)


async def _singles(parts: Any) -> AsyncIterator[list[Any]]:
    async for part in parts:
        yield [part]
