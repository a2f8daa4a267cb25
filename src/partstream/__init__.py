"""partstream: AI model streams as backpressured stream parts, on asyncio and trio.

The public names live in submodules (``partstream.parts``, ``partstream.errors``,
``partstream.providers.google``, ``partstream.providers.gateway``,
``partstream.transports.sse``, ``partstream.transports.websocket``); the most used
ones are re-exported here.
"""

from . import errors as errors
from . import parts as parts
from .errors import PartstreamError as PartstreamError
from .pipeline import PartStream as PartStream
from .pipeline import open_stream as open_stream

__version__ = "0.1.0"

__all__ = [
    "PartStream",
    "PartstreamError",
    "errors",
    "open_stream",
    "parts",
]
