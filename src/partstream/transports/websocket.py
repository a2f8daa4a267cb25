"""RFC 6455 WebSocket client on wsproto over anyio (asyncio and trio).

``async with connect_websocket(url, subprotocols=[...]) as ws:`` then
``send_text``/``send_bytes``, ``receive``/``receive_batch``/``async for``,
``aclose(code, reason)``. See :func:`connect_websocket` for the options;
``compression="deflate"`` (or a :class:`DeflateOffer`) offers permessage-deflate
(RFC 7692), and ``ws.compression`` is the :class:`DeflateParameters` agreed on.
"""

from ._ws_connection import (
    DEFAULT_CLOSE_TIMEOUT as DEFAULT_CLOSE_TIMEOUT,
)
from ._ws_connection import (
    DEFAULT_CONNECT_TIMEOUT as DEFAULT_CONNECT_TIMEOUT,
)
from ._ws_connection import (
    DEFAULT_MAX_MESSAGE_SIZE as DEFAULT_MAX_MESSAGE_SIZE,
)
from ._ws_connection import (
    DEFAULT_OPEN_TIMEOUT as DEFAULT_OPEN_TIMEOUT,
)
from ._ws_connection import (
    DEFAULT_PING_INTERVAL as DEFAULT_PING_INTERVAL,
)
from ._ws_connection import (
    DEFAULT_PING_TIMEOUT as DEFAULT_PING_TIMEOUT,
)
from ._ws_connection import (
    DEFAULT_READ_SIZE as DEFAULT_READ_SIZE,
)
from ._ws_connection import (
    WebSocketConnection as WebSocketConnection,
)
from ._ws_connection import (
    WebSocketConnector as WebSocketConnector,
)
from ._ws_connection import (
    connect_websocket as connect_websocket,
)
from ._ws_deflate import (
    DeflateOffer as DeflateOffer,
)
from ._ws_deflate import (
    DeflateParameters as DeflateParameters,
)
from ._ws_frames import (
    Message as Message,
)
from ._ws_frames import (
    State as State,
)
from ._ws_handshake import (
    MAX_SUBPROTOCOL_HEADER as MAX_SUBPROTOCOL_HEADER,
)
from ._ws_handshake import (
    validate_subprotocols as validate_subprotocols,
)
from ._ws_protocol import (
    ClientProtocol as ClientProtocol,
)
from ._ws_url import (
    WebSocketURL as WebSocketURL,
)
from ._ws_url import (
    parse_websocket_url as parse_websocket_url,
)

__all__ = [
    "ClientProtocol",
    "DEFAULT_CLOSE_TIMEOUT",
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_MAX_MESSAGE_SIZE",
    "DEFAULT_OPEN_TIMEOUT",
    "DEFAULT_PING_INTERVAL",
    "DEFAULT_PING_TIMEOUT",
    "DEFAULT_READ_SIZE",
    "DeflateOffer",
    "DeflateParameters",
    "MAX_SUBPROTOCOL_HEADER",
    "Message",
    "State",
    "WebSocketConnection",
    "WebSocketConnector",
    "WebSocketURL",
    "connect_websocket",
    "parse_websocket_url",
    "validate_subprotocols",
]
