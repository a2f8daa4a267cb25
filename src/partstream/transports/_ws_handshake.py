"""The client side of the WebSocket opening handshake (RFC 6455 section 4), sans-IO.

wsproto's ``H11Handshake`` writes the upgrade request and checks the answer
(``Sec-WebSocket-Accept``, ``Upgrade``, ``Connection``, the chosen subprotocol
and extensions). This module validates what the caller offers *before* any
connection is made, never echoes a header value or subprotocol (they carry
credentials: the AI Gateway sends its token as a subprotocol) and turns a
refusal into a WebSocketHandshakeError with status, headers and a bounded body.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Final, final

import attrs
from wsproto.connection import ConnectionType
from wsproto.events import AcceptConnection, RejectConnection, RejectData, Request
from wsproto.handshake import H11Handshake

from ..errors import MAX_ERROR_BODY, InvalidArgumentError, WebSocketHandshakeError
from ._ws_deflate import DeflateOffer, DeflateParameters, _OfferExtension
from ._ws_url import WebSocketURL

__all__ = [
    "MAX_HANDSHAKE_HEAD",
    "MAX_SUBPROTOCOL_HEADER",
    "Accepted",
    "ClientHandshake",
    "HeadersLike",
    "validate_subprotocols",
]

HeadersLike = Mapping[str, str] | Sequence[tuple[str, str]]

#: Largest response head (status line and headers) accepted, in bytes.
MAX_HANDSHAKE_HEAD: Final = 16 * 1024
#: The Sec-WebSocket-Protocol header value must stay below this many bytes: many
#: servers and proxies refuse request header lines of 8 KiB or more.
MAX_SUBPROTOCOL_HEADER: Final = 8 * 1024

# RFC 7230 section 3.2.6: token = 1*tchar.
_TOKEN: Final = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# RFC 7230 section 3.2: field-value is visible characters, spaces and tabs (obs-text allowed).
_FIELD_VALUE: Final = re.compile(r"[\t\x20-\x7e\x80-\xff]*")
_HEAD_END: Final = re.compile(rb"\r?\n\r?\n")

# Headers the handshake writes itself; a caller's copy would contradict it.
_RESERVED_HEADERS: Final = frozenset(
    {
        "host",
        "upgrade",
        "connection",
        "sec-websocket-key",
        "sec-websocket-version",
        "sec-websocket-protocol",
        "sec-websocket-extensions",
        "content-length",
        "transfer-encoding",
    }
)
_USER_AGENT: Final = (b"User-Agent", b"partstream")


def validate_subprotocols(subprotocols: Sequence[str]) -> list[str]:
    """Check offered subprotocols: RFC 7230 tokens, header under 8 KiB.

    Errors name the position of a bad entry, never its value (it may be a secret).
    """
    if isinstance(subprotocols, str | bytes):
        raise InvalidArgumentError(
            "subprotocols must be a sequence of str, not a single string",
            argument="subprotocols",
        )
    result: list[str] = []
    offered: Sequence[object] = subprotocols
    for index, protocol in enumerate(offered):
        if not isinstance(protocol, str):
            raise InvalidArgumentError(
                f"subprotocols[{index}] must be a str", argument="subprotocols"
            )
        # RFC 6455 section 4.1: each offered subprotocol is an RFC 7230 token.
        if not _TOKEN.fullmatch(protocol):
            what = "is empty" if not protocol else "contains a character a token cannot hold"
            raise InvalidArgumentError(
                f"subprotocols[{index}] is not a valid RFC 7230 token: it {what} "
                "(the value is not shown because it may hold a credential)",
                argument="subprotocols",
            )
        result.append(protocol)
    size = len(", ".join(result))
    if size >= MAX_SUBPROTOCOL_HEADER:
        raise InvalidArgumentError(
            f"the Sec-WebSocket-Protocol header would be {size} bytes; "
            f"it must stay under {MAX_SUBPROTOCOL_HEADER}",
            argument="subprotocols",
        )
    return result


def _validate_headers(headers: HeadersLike | None) -> list[tuple[bytes, bytes]]:
    if headers is None:
        return []
    items: list[object] = list(headers.items()) if isinstance(headers, Mapping) else list(headers)
    result: list[tuple[bytes, bytes]] = []
    for item in items:
        if not isinstance(item, tuple | list) or len(item) != 2:
            raise InvalidArgumentError(
                "headers must be a mapping or a sequence of (name, value) pairs",
                argument="headers",
            )
        name: object = item[0]
        value: object = item[1]
        if not isinstance(name, str) or not _TOKEN.fullmatch(name):
            raise InvalidArgumentError(
                "a header name must be a non-empty RFC 7230 token", argument="headers"
            )
        if name.lower() in _RESERVED_HEADERS:
            raise InvalidArgumentError(
                f"the {name} header is written by the WebSocket handshake itself"
                + (
                    "; pass subprotocols= instead"
                    if name.lower() == "sec-websocket-protocol"
                    else ""
                ),
                argument="headers",
            )
        if not isinstance(value, str) or not _FIELD_VALUE.fullmatch(value):
            raise InvalidArgumentError(
                f"the value of header {name} is not a valid HTTP field value "
                "(the value is not shown because it may hold a credential)",
                argument="headers",
            )
        result.append((name.encode("ascii"), value.strip(" \t").encode("latin-1")))
    return result


@final
@attrs.frozen
class Accepted:
    """The server accepted the upgrade (101)."""

    subprotocol: str | None
    headers: list[tuple[str, str]]
    #: Bytes after the response head: the first frames of the connection.
    trailing_data: bytes
    #: The permessage-deflate agreement (RFC 7692), None when not offered or declined.
    deflate: DeflateParameters | None = None


def _decode_headers(headers: Sequence[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    return [(n.decode("latin-1"), v.decode("latin-1")) for n, v in headers]


@final
class ClientHandshake:
    """Build the upgrade request and read the response.

    ``request`` holds the bytes to write. Feed the response to
    ``receive_data``: it returns ``Accepted`` once the 101 arrived, ``None``
    while it needs more bytes, and raises WebSocketHandshakeError when the
    server refused or answered something that is not a valid upgrade.
    """

    __slots__ = (
        "_buffer",
        "_deflate_offer",
        "_handshake",
        "_offered_extension",
        "_reject",
        "_reject_body",
        "_url",
        "request",
    )

    def __init__(
        self,
        url: WebSocketURL,
        *,
        subprotocols: Sequence[str] = (),
        headers: HeadersLike | None = None,
        compression: DeflateOffer | None = None,
    ) -> None:
        offered = validate_subprotocols(subprotocols)
        if compression is not None and not isinstance(compression, DeflateOffer):
            raise InvalidArgumentError(
                'compression must be "deflate", a DeflateOffer or None', argument="compression"
            )
        self._deflate_offer = compression
        self._offered_extension = None if compression is None else _OfferExtension(compression)
        extra = _validate_headers(headers)
        if not any(name.lower() == b"user-agent" for name, _ in extra):
            extra.append(_USER_AGENT)
        self._url = url
        self._handshake = H11Handshake(ConnectionType.CLIENT)
        try:
            self.request = self._handshake.send(
                Request(
                    host=url.host_header,
                    target=url.resource,
                    extra_headers=extra,
                    subprotocols=offered,
                    extensions=[] if self._offered_extension is None else [self._offered_extension],
                )
            )
        except Exception:
            # h11 messages quote the offending value; it may be a credential.
            raise InvalidArgumentError(
                "the WebSocket upgrade request could not be built from these headers",
                argument="headers",
            ) from None
        self._buffer = b""
        self._reject: RejectConnection | None = None
        self._reject_body = bytearray()

    def receive_data(self, data: bytes) -> Accepted | None:
        if self._reject is not None:
            self._feed(data)
            return None
        self._buffer += data
        match = _HEAD_END.search(self._buffer)
        if match is None:
            if len(self._buffer) > MAX_HANDSHAKE_HEAD:
                raise WebSocketHandshakeError(
                    f"the handshake response head exceeds {MAX_HANDSHAKE_HEAD} bytes"
                )
            return None
        head, rest = self._buffer[: match.end()], self._buffer[match.end() :]
        self._buffer = b""
        accepted = self._feed(head)
        if accepted is not None:
            return attrs.evolve(accepted, trailing_data=rest)
        if not self._rejecting():
            raise WebSocketHandshakeError("the server sent an incomplete handshake response")
        if rest:
            self._feed(rest)
        return None

    def receive_eof(self) -> None:
        """The server closed the connection before finishing the handshake: always raises."""
        if self._reject is not None:
            self._refuse()
        raise WebSocketHandshakeError("the server closed the connection during the handshake")

    def _feed(self, data: bytes) -> Accepted | None:
        failure: tuple[str, int | None] | None = None
        try:
            self._handshake.receive_data(data)
            events = list(self._handshake.events())
        except Exception as exc:
            # RFC 6455 section 9.1: an extension that was not offered fails the connection.
            code = 1002 if str(exc).startswith("unrecognized extension") else None
            failure = (_describe(exc), code)
        if failure is not None:
            # Raised outside the handler: wsproto's message, which may quote what the
            # server echoed (a credential), stays out of __context__ as well.
            raise WebSocketHandshakeError(failure[0], close_code=failure[1])
        for event in events:
            if isinstance(event, AcceptConnection):
                offer, extension = self._deflate_offer, self._offered_extension
                return Accepted(
                    subprotocol=event.subprotocol,
                    headers=_decode_headers(event.extra_headers),
                    trailing_data=b"",
                    # RFC 7692 section 5: the server's answer to our offer, checked.
                    deflate=None
                    if offer is None or extension is None
                    else offer.negotiate(extension.answers),
                )
            if isinstance(event, RejectConnection):
                self._reject = event
                if not event.has_body:
                    self._refuse()
            elif isinstance(event, RejectData):
                room = MAX_ERROR_BODY + 1 - len(self._reject_body)
                self._reject_body += event.data[:room]
                if event.body_finished or len(self._reject_body) > MAX_ERROR_BODY:
                    self._refuse()
        return None

    def _rejecting(self) -> bool:
        return self._reject is not None

    def _refuse(self) -> None:
        reject = self._reject
        assert reject is not None
        status = reject.status_code
        raise WebSocketHandshakeError(
            f"the server refused the WebSocket upgrade with HTTP {status}",
            status_code=status,
            headers=dict(_decode_headers(reject.headers)),
            body=bytes(self._reject_body),
        )


def _describe(exc: Exception) -> str:
    """A message for a bad 101 response that never quotes a subprotocol value."""
    text = str(exc)
    if text.startswith("unrecognized subprotocol"):
        return "the server chose a subprotocol that was not offered"
    if text.startswith("unrecognized extension"):
        # Not quoted: a server that echoes the request could name a credential here.
        return "invalid handshake response: the server accepted an extension that was not offered"
    if text.startswith(("Missing header", "Bad accept token")):
        return f"invalid handshake response: {text}"
    return "invalid handshake response: not a valid HTTP/1.1 upgrade answer"
