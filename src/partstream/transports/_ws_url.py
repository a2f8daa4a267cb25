"""WebSocket URLs (RFC 6455 section 3): ``ws://`` and ``wss://``, sans-IO."""

from __future__ import annotations

import ipaddress
from typing import Final, final
from urllib.parse import quote, urlsplit

import attrs

from ..errors import InvalidArgumentError

__all__ = ["WebSocketURL", "parse_websocket_url"]

_DEFAULT_PORTS: Final = {"ws": 80, "wss": 443}
# Characters a request target may carry as they are (RFC 3986 pchar, "/", "?" and "%").
_TARGET_SAFE: Final = "/?:@!$&'()*+,;=-._~%"


@final
@attrs.frozen
class WebSocketURL:
    """A parsed ``ws``/``wss`` URL.

    ``host`` is the name or address to connect to (an IPv6 address without
    brackets), ``resource`` the request target (path and query, never empty)
    and ``host_header`` the value of the ``Host`` header.
    """

    secure: bool
    host: str
    port: int
    resource: str
    host_header: str


def parse_websocket_url(url: str) -> WebSocketURL:
    """Parse and check a WebSocket URL; raise InvalidArgumentError when it cannot be used."""
    if not isinstance(url, str):
        raise InvalidArgumentError("the WebSocket URL must be a str", argument="url")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidArgumentError(f"invalid WebSocket URL: {exc}", argument="url") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise InvalidArgumentError(
            "a WebSocket URL must start with ws:// or wss://", argument="url"
        )
    # RFC 6455 section 3: fragment identifiers MUST NOT be used in WebSocket URIs.
    if parts.fragment or url.endswith("#"):
        raise InvalidArgumentError("a WebSocket URL cannot have a #fragment", argument="url")
    if parts.username is not None or parts.password is not None:
        # Never echo the URL here: it carries credentials.
        raise InvalidArgumentError(
            "credentials in a WebSocket URL are not supported; "
            "pass an Authorization header in headers= instead",
            argument="url",
        )
    host = parts.hostname
    if not host:
        raise InvalidArgumentError("a WebSocket URL needs a host", argument="url")
    is_ipv6 = False
    try:
        is_ipv6 = ipaddress.ip_address(host).version == 6
    except ValueError:
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise InvalidArgumentError(
                "the WebSocket URL host is not a valid host name", argument="url"
            ) from None
    default_port = _DEFAULT_PORTS[scheme]
    if port is None:
        port = default_port
    elif port == 0:
        raise InvalidArgumentError("port 0 is not a valid WebSocket port", argument="url")
    bracketed = f"[{host}]" if is_ipv6 else host
    host_header = bracketed if port == default_port else f"{bracketed}:{port}"
    # RFC 6455 section 3: the resource name is the path ("/" when empty) and the query.
    resource = quote(parts.path or "/", safe=_TARGET_SAFE)
    if parts.query or url.split("#", 1)[0].endswith("?"):
        resource += "?" + quote(parts.query, safe=_TARGET_SAFE)
    return WebSocketURL(
        secure=scheme == "wss",
        host=host,
        port=port,
        resource=resource,
        host_header=host_header,
    )
