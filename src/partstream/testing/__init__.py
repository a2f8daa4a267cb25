"""Public hypothesis strategies and helpers for your own fuzzing (needs ``hypothesis``).

SSE: ``sse_events``, ``sse_streams``, ``chunkings``, ``chunked_sse_streams``
(events, their many valid encodings, arbitrary chunkings; see
:mod:`partstream.testing._sse`). Stream parts: ``parts``, ``warnings``,
``provider_metadata``, ``json_values``. Interactions SSE events:
``interactions_streams``, ``interactions_events``, ``malformed_events``,
``interactions_feeds`` (see :mod:`partstream.testing._interactions`). AI SDK UI:
``ui_message_chunks``, ``ui_message_parts``, ``ui_messages``, ``chat_request_bodies``
(see :mod:`partstream.testing._ui`).
"""

from ._interactions import InteractionsStream as InteractionsStream
from ._interactions import interactions_events as interactions_events
from ._interactions import interactions_feeds as interactions_feeds
from ._interactions import interactions_streams as interactions_streams
from ._interactions import malformed_events as malformed_events
from ._parts import json_values as json_values
from ._parts import parts as parts
from ._parts import provider_metadata as provider_metadata
from ._parts import warnings as warnings
from ._sse import SSEStream as SSEStream
from ._sse import chunked_sse_streams as chunked_sse_streams
from ._sse import chunkings as chunkings
from ._sse import sse_events as sse_events
from ._sse import sse_streams as sse_streams
from ._ui import chat_request_bodies as chat_request_bodies
from ._ui import ui_message_chunks as ui_message_chunks
from ._ui import ui_message_parts as ui_message_parts
from ._ui import ui_messages as ui_messages

__all__ = [
    "InteractionsStream",
    "SSEStream",
    "chat_request_bodies",
    "chunked_sse_streams",
    "chunkings",
    "interactions_events",
    "interactions_feeds",
    "interactions_streams",
    "json_values",
    "malformed_events",
    "parts",
    "provider_metadata",
    "sse_events",
    "sse_streams",
    "ui_message_chunks",
    "ui_message_parts",
    "ui_messages",
    "warnings",
]
