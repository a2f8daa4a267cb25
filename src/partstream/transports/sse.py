"""Server-sent events: the WHATWG decoder, an httpx streaming source with resume."""

from ._sse_decoder import DEFAULT_MAX_EVENT_SIZE as DEFAULT_MAX_EVENT_SIZE
from ._sse_decoder import ServerSentEvent as ServerSentEvent
from ._sse_decoder import SSEDecoder as SSEDecoder
from ._sse_decoder import encode_event as encode_event
from ._sse_decoder import encode_events as encode_events

__all__ = [
    "DEFAULT_MAX_EVENT_SIZE",
    "SSEDecoder",
    "ServerSentEvent",
    "encode_event",
    "encode_events",
]
