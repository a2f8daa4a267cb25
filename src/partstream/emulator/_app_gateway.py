"""The emulated AI Gateway routes: client-secret minting and the realtime WebSocket.

``POST /v1/realtime/client-secrets`` mints single-use secrets; ``WS
.../realtime-model?ai-model-id=...`` checks the auth subprotocols (the server
side of the contract, :mod:`partstream.codecs.gateway_server`), accepts by
echoing the marker subprotocol only, and runs a :class:`RealtimeSession`.
"""

from __future__ import annotations

import json
import secrets
import time

from ..codecs.gateway_server import RealtimeRejection, read_realtime_handshake, reject_realtime
from ._app_state import _AppState
from ._asgi import Receive, Scope, Send, gateway_error, header, query_params, send_json
from ._realtime import RealtimeSession, reject_websocket
from ._script_and_faults import Faults, KnobError


class _GatewayRoutes(_AppState):
    """Client secrets and realtime sessions (a base of ``EmulatorApp``)."""

    # --- Gateway -------------------------------------------------------------------------

    def _gateway_key_ok(self, token: str | None) -> bool:
        if not token:
            return False
        if self.gateway_api_key is None or token == self.gateway_api_key:
            return True
        expires = self.client_secrets.pop(token, None)  # minted secrets are single-use
        return expires is not None and expires > time.time()

    async def _client_secrets(
        self, scope: Scope, raw: bytes, send: Send, faults: Faults | None
    ) -> None:
        if faults is not None and faults.status is not None:
            await send_json(
                send,
                faults.status,
                gateway_error(faults.status, f"emulated fault: HTTP {faults.status}"),
            )
            return
        authorization = header(scope, "authorization") or ""
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if (
            scheme.lower() != "bearer"
            or not token
            or (self.gateway_api_key is not None and token != self.gateway_api_key)
        ):
            await send_json(send, 401, gateway_error(401, "Invalid or missing AI Gateway API key."))
            return
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        if (
            not isinstance(body, dict)
            or not isinstance(body.get("model"), str)
            or not body["model"]
        ):
            await send_json(send, 400, gateway_error(400, "'model' (a string) is required."))
            return
        expires_in = body.get("expiresIn", 60)
        if (
            not isinstance(expires_in, int)
            or isinstance(expires_in, bool)
            or not 1 <= expires_in <= 3600
        ):
            await send_json(send, 400, gateway_error(400, "'expiresIn' must be 1..3600 seconds."))
            return
        secret = "vcst_" + secrets.token_hex(16)
        expires_at = int(time.time()) + expires_in
        self.client_secrets[secret] = float(expires_at)
        await send_json(send, 200, {"token": secret, "expiresAt": expires_at})

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = await receive()
        if message["type"] != "websocket.connect":
            return
        self._record(scope, None)
        path = str(scope["path"]).rstrip("/")
        if not path.endswith("/realtime-model"):
            await reject_websocket(scope, send, 404, f"no WebSocket route {path}")
            return
        try:
            script, own_faults, has_own = self._knobs(scope)
        except KnobError as exc:
            await reject_websocket(scope, send, 400, f"emulator knob: {exc}")
            return
        handshake = read_realtime_handshake(scope)
        if isinstance(handshake, RealtimeRejection):
            await reject_realtime(scope, send, handshake)
            return
        if not self._gateway_key_ok(handshake.token):
            await reject_websocket(scope, send, 401, "Invalid AI Gateway credential.")
            return
        model = query_params(scope).get("ai-model-id", "")
        if not model:
            await reject_websocket(scope, send, 400, "the ai-model-id query parameter is required")
            return
        schedule = self._schedule("realtime", False, own_faults, has_own)
        faults = schedule.faults
        if faults is not None and faults.status is not None:
            await reject_websocket(
                scope, send, faults.status, f"emulated fault: HTTP {faults.status}"
            )
            return
        # Echoes the ai-gateway-realtime.v1 marker only, never the token-bearing entries.
        await send(handshake.accept_message())
        session = RealtimeSession(
            self.next_id,
            receive,
            send,
            model=model,
            team=handshake.team_id_or_slug,
            script=script,
            schedule=schedule,
        )
        self.sessions.append(session)
        del self.sessions[:-100]
        await session.run()
