"""The emulator's ASGI application: the entry point and the HTTP router.

The routes live in ``_app_interactions`` (the Interactions API) and
``_app_gateway`` (client secrets, the realtime WebSocket); the state they share
(keys, knobs, stored interactions, the request log) in ``_app_state``.
"""

from __future__ import annotations

import json
from typing import Final

import anyio

from ._app_gateway import _GatewayRoutes
from ._app_interactions import _InteractionsRoutes
from ._asgi import (
    BodyTooLargeError,
    ClientGoneError,
    Receive,
    Scope,
    Send,
    gateway_error,
    google_error,
    query_params,
    read_body,
    send_json,
)
from ._script_and_faults import KnobError

__all__ = ["EmulatorApp"]

_INTERACTIONS: Final = "/v1beta/interactions"
_CLIENT_SECRETS: Final = "/v1/realtime/client-secrets"


def _asks_for_stream(raw: bytes) -> bool:
    try:
        body = json.loads(raw)
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("stream") is True


class EmulatorApp(_InteractionsRoutes, _GatewayRoutes):
    """ASGI application emulating the Interactions API and the Gateway realtime endpoint.

    ``api_key`` / ``gateway_api_key``: the keys it accepts (``None``: any non-empty
    key). ``script`` / ``faults``: instance defaults, assignable while running.
    """

    # --- ASGI entry point ------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            await self._lifespan(receive, send)
            return
        with anyio.CancelScope() as cancel_scope:
            self._scopes.add(cancel_scope)
            try:
                if kind == "http":
                    await self._http(scope, receive, send)
                elif kind == "websocket":
                    await self._websocket(scope, receive, send)
            finally:
                self._scopes.discard(cancel_scope)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.close_connections()
                await send({"type": "lifespan.shutdown.complete"})
                return

    # --- HTTP ------------------------------------------------------------------------------

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = str(scope["method"])
        path = str(scope["path"]).rstrip("/") or "/"
        try:
            body = await read_body(receive)
        except BodyTooLargeError:
            self._record(scope, None)
            await send_json(send, 413, google_error(413, "Request payload size exceeds the limit."))
            return
        except ClientGoneError:
            return
        self._record(scope, body)
        gateway = path == _CLIENT_SECRETS
        error = gateway_error if gateway else google_error
        try:
            script, own_faults, has_own = self._knobs(scope)
        except KnobError as exc:
            await send_json(send, 400, error(400, f"emulator knob: {exc}"))
            return

        if path in ("/", "/healthz"):
            await send_json(send, 200, {"emulator": "partstream", "interactions": _INTERACTIONS})
            return
        if gateway:
            if method != "POST":
                await send_json(send, 405, gateway_error(405, "use POST"))
                return
            schedule = self._schedule("client-secrets", False, own_faults, has_own)
            await self._client_secrets(scope, body, send, schedule.faults)
            return
        if path != _INTERACTIONS and not path.startswith(_INTERACTIONS + "/"):
            await send_json(send, 404, google_error(404, f"no route for {method} {path}"))
            return

        rest = path[len(_INTERACTIONS) :].strip("/")
        if not rest:
            route, interaction_id = ("create", None) if method == "POST" else ("?", None)
        elif rest.endswith(("/cancel", ":cancel")):
            route, interaction_id = ("cancel" if method == "POST" else "?"), rest[:-7]
        elif "/" not in rest:
            route = {"GET": "get", "DELETE": "delete"}.get(method, "?")
            interaction_id = rest
        else:
            route, interaction_id = "?", None
        if route == "?":
            await send_json(send, 405, google_error(405, f"{method} is not allowed on {path}"))
            return

        key_error = self._check_api_key(scope)
        if key_error is not None:
            await send_json(send, key_error[0], google_error(*key_error))
            return

        if route == "get":
            streaming = query_params(scope).get("stream") == "true"
        else:
            streaming = route == "create" and _asks_for_stream(body)
        schedule = self._schedule(route, streaming, own_faults, has_own)
        status = schedule.faults.status if schedule.faults is not None else None
        if status is not None:
            await send_json(send, status, google_error(status, f"emulated fault: HTTP {status}"))
            return

        if route == "create":
            await self._create(scope, receive, send, body, script, schedule)
            return
        assert interaction_id is not None
        interaction = self.interactions.get(interaction_id)
        if interaction is None:
            await send_json(
                send, 404, google_error(404, f"Interaction {interaction_id!r} was not found.")
            )
            return
        if route == "get":
            await self._get(scope, receive, send, interaction, schedule)
        elif route == "cancel":
            if interaction.cancel():
                await self._send_json_faulted(
                    send, 200, interaction.body(with_input=False), schedule
                )
            else:
                await send_json(
                    send,
                    400,
                    google_error(
                        400,
                        f"Interaction {interaction.id!r} is already {interaction.status()} "
                        "and cannot be cancelled.",
                    ),
                )
        else:  # delete
            del self.interactions[interaction_id]
            await send_json(send, 200, {})
