"""Server-sent events: the WHATWG decoder and an httpx streaming source with resume.

``SSEDecoder`` (sans-IO) turns ``text/event-stream`` bytes into
``ServerSentEvent`` values; ``SSESource`` is the pipeline source that streams
them over httpx with backpressure and resumes a dropped stream
(``ResumePolicy``). ``encode_event``/``encode_events`` write the format.
"""

from ._sse_decoder import DEFAULT_MAX_EVENT_SIZE as DEFAULT_MAX_EVENT_SIZE
from ._sse_decoder import ServerSentEvent as ServerSentEvent
from ._sse_decoder import SSEDecoder as SSEDecoder
from ._sse_decoder import encode_event as encode_event
from ._sse_decoder import encode_events as encode_events
from ._sse_httpx import DEFAULT_TIMEOUT as DEFAULT_TIMEOUT
from ._sse_httpx import translate_httpx_error as translate_httpx_error
from ._sse_resume import ResumePolicy as ResumePolicy
from ._sse_resume import parse_retry_after as parse_retry_after
from ._sse_source import SSESource as SSESource

__all__ = [
    "DEFAULT_MAX_EVENT_SIZE",
    "DEFAULT_TIMEOUT",
    "ResumePolicy",
    "SSEDecoder",
    "SSESource",
    "ServerSentEvent",
    "encode_event",
    "encode_events",
    "parse_retry_after",
    "translate_httpx_error",
]
