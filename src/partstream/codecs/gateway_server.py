"""The server side of the Gateway realtime auth contract, for ASGI services.

What ``codecs.gateway`` does for a client (auth subprotocols out), this module
does for a server (auth subprotocols in, an accept or a 401 out).

A Python service that accepts realtime connections the way the Gateway does
(an emulator, a relay in front of the Gateway, a test peer) reads the offered
subprotocols from the ASGI scope, gets the token, the team and the
subprotocol to echo, or a rejection, and answers::

    async def app(scope, receive, send):
        handshake = read_realtime_handshake(scope)
        await receive()                                   # {"type": "websocket.connect"}
        if isinstance(handshake, RealtimeRejection):
            await reject_realtime(scope, send, handshake)  # HTTP 401 with a JSON error
            return
        check(handshake.token, handshake.team_id_or_slug)
        await send(handshake.accept_message())            # echoes ai-gateway-realtime.v1
        ...

Only the marker subprotocol is ever echoed: echoing the auth entry would send
the token back in the response headers. A server-side client may instead send the
credential as ``Authorization: Bearer <token>`` (and the team as
``x-vercel-ai-gateway-team``), as the AI SDK's ``getServerWebSocketConfig`` does;
that is accepted too, the subprotocol winning when both are present. Nothing here
imports anyio or a server.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, Final, final

import attrs

from ..errors import InvalidArgumentError
from . import _gateway_auth as _auth

__all__ = [
    "ASGISend",
    "RealtimeHandshake",
    "RealtimeRejection",
    "accept_realtime",
    "offered_subprotocols_header",
    "read_realtime_handshake",
    "reject_realtime",
]

ASGISend = Callable[[dict[str, Any]], Awaitable[None]]

#: The ASGI extension that lets a WebSocket app answer the upgrade with an HTTP response.
_HTTP_RESPONSE_EXTENSION: Final = "websocket.http.response"
#: RFC 6455 section 7.4.1: 1008 is "policy violation", the close code for a refusal.
_CLOSE_POLICY_VIOLATION: Final = 1008


@final
@attrs.frozen
class RealtimeHandshake:
    """An acceptable realtime handshake.

    ``token`` is the bearer token from ``ai-gateway-auth.<token>`` (hidden from
    ``repr``); ``team_id_or_slug`` the decoded team scope or ``None``;
    ``subprotocol`` the marker to echo, or ``None`` when the client did not offer it.
    """

    token: str = attrs.field(repr=False)
    team_id_or_slug: str | None
    subprotocol: str | None

    def accept_message(
        self, headers: Iterable[tuple[bytes, bytes]] | None = None
    ) -> dict[str, Any]:
        """The ASGI ``websocket.accept`` message, echoing the marker when it was offered."""
        message: dict[str, Any] = {"type": "websocket.accept", "subprotocol": self.subprotocol}
        if headers is not None:
            message["headers"] = list(headers)
        return message


@final
@attrs.frozen
class RealtimeRejection:
    """A refused handshake: the HTTP status and a message that never contains a token."""

    status_code: int
    message: str
    error_type: str = "authentication_error"

    def body(self) -> bytes:
        """A Gateway-shaped JSON error body: ``{"error": {"message", "type"}}``."""
        return json.dumps({"error": {"message": self.message, "type": self.error_type}}).encode()

    def response_messages(self) -> list[dict[str, Any]]:
        """The ASGI ``websocket.http.response.*`` messages that answer with this error."""
        body = self.body()
        return [
            {
                "type": "websocket.http.response.start",
                "status": self.status_code,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            },
            {"type": "websocket.http.response.body", "body": body, "more_body": False},
        ]


def offered_subprotocols_header(scope: Mapping[str, Any]) -> str | None:
    """The raw ``Sec-WebSocket-Protocol`` value of an ASGI WebSocket scope, or ``None``.

    Several header lines are joined with commas (RFC 7230 section 3.2.2); a server
    that only fills ``scope["subprotocols"]`` is read from there.
    """
    values: list[str] = []
    for name, value in scope.get("headers") or ():
        if bytes(name).lower() == b"sec-websocket-protocol":
            values.append(bytes(value).decode("latin-1"))
    if values:
        return ",".join(values)
    offered = scope.get("subprotocols")
    if offered:
        return ",".join(str(p) for p in offered)
    return None


def _header(scope: Mapping[str, Any], name: bytes) -> str | None:
    for key, value in scope.get("headers") or ():
        if bytes(key).lower() == name:
            return bytes(value).decode("latin-1")
    return None


def read_realtime_handshake(scope: Mapping[str, Any]) -> RealtimeHandshake | RealtimeRejection:
    """Read the Gateway auth contract from an ASGI WebSocket scope. Never raises for
    what the client sent; raises InvalidArgumentError if ``scope`` is not a WebSocket scope.
    """
    if scope.get("type") != "websocket":
        raise InvalidArgumentError(
            f"not an ASGI WebSocket scope (type={scope.get('type')!r})", argument="scope"
        )
    header = offered_subprotocols_header(scope)
    token = _auth.get_gateway_realtime_auth_token(header)
    team = _auth.get_gateway_realtime_team_id_or_slug(header)
    if token is None:
        # The server-side form: the credential in the Authorization header.
        scheme, _, bearer = (_header(scope, b"authorization") or "").partition(" ")
        if scheme.lower() == "bearer" and bearer.strip():
            token = bearer.strip()
            team = team or _header(scope, b"x-vercel-ai-gateway-team") or None
    if token is None:
        return RealtimeRejection(
            status_code=401,
            message=(
                "missing AI Gateway credentials: offer the subprotocol "
                "'ai-gateway-auth.<token>' (with 'ai-gateway-realtime.v1') or send "
                "'Authorization: Bearer <token>'"
            ),
        )
    offered = [p.strip() for p in header.split(",")] if header else []
    return RealtimeHandshake(
        token=token,
        team_id_or_slug=team,
        subprotocol=_auth.GATEWAY_REALTIME_SUBPROTOCOL
        if _auth.GATEWAY_REALTIME_SUBPROTOCOL in offered
        else None,
    )


async def accept_realtime(
    send: ASGISend,
    handshake: RealtimeHandshake,
    *,
    headers: Iterable[tuple[bytes, bytes]] | None = None,
) -> None:
    """Send ``websocket.accept`` for ``handshake`` (after ``websocket.connect`` was received)."""
    await send(handshake.accept_message(headers))


async def reject_realtime(
    scope: Mapping[str, Any], send: ASGISend, rejection: RealtimeRejection
) -> None:
    """Refuse the upgrade: an HTTP error response with a JSON body where the server
    supports the ASGI ``websocket.http.response`` extension, else a close before
    accepting (which the server answers with HTTP 403).
    """
    if _HTTP_RESPONSE_EXTENSION in (scope.get("extensions") or {}):
        for message in rejection.response_messages():
            await send(message)
    else:
        await send({"type": "websocket.close", "code": _CLOSE_POLICY_VIOLATION, "reason": ""})
