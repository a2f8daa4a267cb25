"""Shared logs of UI message streams: served by any worker, continued by another.

A chat's active answer is kept as a log of UI chunks (JSON texts) plus an
opaque state document (the orchestration keeps the ``InteractionCursor`` and
the UI converter's snapshot there), in memory (:class:`MemoryStore`, one
process) or in Redis Streams (:class:`RedisStore`, many workers; the ``redis``
extra: ``pip install 'partstream[redis]'``).

::

    async with store.produce(chat_id, message_id=mid) as writer:      # takes the lease
        async for batch in chunk_batches:
            await writer.append(batch, state=snapshot())                # chunks + state, atomic
    # leaving the block ends the log (finish / error / abort, see LogWriter)

    async for chunk in store.read(chat_id, from_offset=0):             # any worker
        send(b"data: " + chunk + b"\\n\\n")                               # replay, then live

    async with store.take_over(chat_id) as writer:                     # the producer died
        continue_from(writer.run.state, writer.run.offset)

    await store.request_stop(chat_id)                                  # from any worker

Leases are fenced: a worker whose lease expired or was taken over cannot append
(:class:`~partstream.errors.LeaseLostError`).

A chat service uses them through :class:`ChatStreams`, which runs each answer in
the service's task group (the ASGI lifespan) and serves it from the log::

    async with ChatStreams(store) as chats:                          # the app's lifespan
        response = await chats.start(chat_id, model.stream(prompt))  # POST /api/chat
        response = await chats.resume(chat_id)                       # GET .../stream (or 204)
        await chats.stop(chat_id)                                    # POST .../stop

For a background run it stores ``{"cursor": ..., "ui": converter.snapshot()}``
with each batch's chunks, atomically: where another worker continues the run.
"""

from __future__ import annotations

from ._chat import DEFAULT_MAX_READERS as DEFAULT_MAX_READERS
from ._chat import DEFAULT_MAX_STREAMS as DEFAULT_MAX_STREAMS
from ._chat import ChatStreams as ChatStreams
from ._chat import chat_error_response as chat_error_response
from ._chat import default_message_id as default_message_id
from ._chat_response import ChatStreamResponse as ChatStreamResponse
from ._chat_response import NoContentResponse as NoContentResponse
from ._memory import DEFAULT_MAX_RUNS as DEFAULT_MAX_RUNS
from ._memory import MemoryStore as MemoryStore
from ._protocol import OnStop as OnStop
from ._protocol import ResumableStore as ResumableStore
from ._reader import DEFAULT_BATCH_ENTRIES as DEFAULT_BATCH_ENTRIES
from ._reader import DEFAULT_POLL_INTERVAL as DEFAULT_POLL_INTERVAL
from ._reader import LogBatches as LogBatches
from ._reader import LogReader as LogReader
from ._redis import RedisStore as RedisStore
from ._types import DEFAULT_LEASE_TTL as DEFAULT_LEASE_TTL
from ._types import DEFAULT_MAX_BYTES as DEFAULT_MAX_BYTES
from ._types import DEFAULT_MAX_CHUNKS as DEFAULT_MAX_CHUNKS
from ._types import DEFAULT_ORPHAN_TIMEOUT as DEFAULT_ORPHAN_TIMEOUT
from ._types import DEFAULT_TTL as DEFAULT_TTL
from ._types import AppendResult as AppendResult
from ._types import Chunk as Chunk
from ._types import EndKind as EndKind
from ._types import Lease as Lease
from ._types import LogEnd as LogEnd
from ._types import LogSlice as LogSlice
from ._types import RunInfo as RunInfo
from ._types import RunStatus as RunStatus
from ._types import encode_chunk as encode_chunk
from ._types import encode_state as encode_state
from ._writer import DEFAULT_CLEANUP_TIMEOUT as DEFAULT_CLEANUP_TIMEOUT
from ._writer import DEFAULT_FLUSH_INTERVAL as DEFAULT_FLUSH_INTERVAL
from ._writer import DEFAULT_MAX_PENDING_BYTES as DEFAULT_MAX_PENDING_BYTES
from ._writer import LogWriter as LogWriter

__all__ = [
    "AppendResult",
    "ChatStreamResponse",
    "ChatStreams",
    "Chunk",
    "DEFAULT_BATCH_ENTRIES",
    "DEFAULT_CLEANUP_TIMEOUT",
    "DEFAULT_FLUSH_INTERVAL",
    "DEFAULT_LEASE_TTL",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_CHUNKS",
    "DEFAULT_MAX_PENDING_BYTES",
    "DEFAULT_MAX_READERS",
    "DEFAULT_MAX_RUNS",
    "DEFAULT_MAX_STREAMS",
    "DEFAULT_ORPHAN_TIMEOUT",
    "DEFAULT_POLL_INTERVAL",
    "DEFAULT_TTL",
    "EndKind",
    "Lease",
    "LogBatches",
    "LogEnd",
    "LogReader",
    "LogSlice",
    "LogWriter",
    "MemoryStore",
    "NoContentResponse",
    "OnStop",
    "RedisStore",
    "ResumableStore",
    "RunInfo",
    "RunStatus",
    "chat_error_response",
    "default_message_id",
    "encode_chunk",
    "encode_state",
]
