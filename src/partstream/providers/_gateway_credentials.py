"""What a realtime connection is opened with: the credential, the token, the config.

Plain frozen values, shared by the provider (which resolves and mints them) and
the session (which connects with them). No token is ever shown in a ``repr``.
"""

from __future__ import annotations

from typing import Any, final

import attrs

from ._gateway_errors import AuthMethod

__all__ = ["GatewayCredential", "RealtimeToken", "WebSocketConfig"]


@final
@attrs.frozen
class GatewayCredential:
    """A resolved Gateway credential. ``token`` is never shown in ``repr``."""

    token: str = attrs.field(repr=False)
    auth_method: AuthMethod


@final
@attrs.frozen
class RealtimeToken:
    """What a browser (or any client) needs to open the realtime WebSocket.

    ``token`` goes in the ``ai-gateway-auth.`` subprotocol; ``url`` is the WebSocket
    URL; ``expires_at`` is the expiry in Unix seconds when the Gateway gave one.
    """

    token: str = attrs.field(repr=False)
    url: str
    expires_at: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """The AI SDK JSON shape (``{token, url, expiresAt?}``), e.g. for a setup endpoint."""
        out: dict[str, Any] = {"token": self.token, "url": self.url}
        if self.expires_at is not None:
            out["expiresAt"] = self.expires_at
        return out


@final
@attrs.frozen
class WebSocketConfig:
    """The URL and subprotocols to open a realtime connection with (the token is inside)."""

    url: str
    protocols: tuple[str, ...] = attrs.field(repr=False)
