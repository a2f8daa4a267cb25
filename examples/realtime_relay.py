"""A realtime relay: browsers connect here, this server talks to the AI Gateway.

The browser speaks the Gateway's own contract to the relay (the normalized
realtime events; its credential in the ``ai-gateway-auth.<token>`` subprotocol,
because a browser WebSocket cannot set headers), so browser code written for
the Gateway works unchanged against the relay. The relay checks the browser's
token with its own policy, then opens the upstream session with the long-lived
Gateway credential, which never leaves the server, and passes events through
verbatim in both directions (the Gateway codec is the identity). On the way it
can add what only the server knows, here the end user for spend attribution
(``providerOptions.gateway.user``).

It also serves ``POST /realtime/token`` for browsers that should talk to the
Gateway directly: it mints a short-lived client secret and returns
``{token, url, expiresAt?}`` (the AI SDK's setup-endpoint shape).

Run it (hypercorn on asyncio or trio)::

    AI_GATEWAY_API_KEY=... RELAY_CLIENT_TOKENS=dev-token \\
        python examples/realtime_relay.py --backend trio --port 8787

then connect a client to ``ws://127.0.0.1:8787/realtime?ai-model-id=openai%2Fgpt-realtime``
with the subprotocols ``get_gateway_realtime_protocols("dev-token")``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final
from urllib.parse import parse_qs

import anyio

from partstream.codecs.gateway_server import (
    RealtimeHandshake,
    RealtimeRejection,
    read_realtime_handshake,
    reject_realtime,
)
from partstream.errors import ConnectionClosed, GatewayError, PartstreamError
from partstream.providers.gateway import GatewayProvider, GatewayRealtimeSession, create_gateway

Scope = Mapping[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
Authorize = Callable[[RealtimeHandshake], str | None]

log = logging.getLogger("realtime_relay")

#: RFC 6455 section 7.4.1: codes that are never sent in a close frame.
_NOT_SENDABLE: Final = frozenset({1005, 1006, 1015})
#: 1011: the server hit an unexpected condition (here: the upstream failed).
_UPSTREAM_FAILED: Final = 1011


def token_list_policy(tokens: frozenset[str]) -> Authorize:
    """A policy that accepts the listed browser tokens; the end user is the token's name.

    A real application would verify its own session token (a signed cookie value,
    a JWT) and return the user id, or ``None`` to refuse.
    """

    def authorize(handshake: RealtimeHandshake) -> str | None:
        return (
            f"user-{sorted(tokens).index(handshake.token)}" if handshake.token in tokens else None
        )

    return authorize


class RealtimeRelay:
    """The ASGI app: ``/realtime`` (WebSocket relay) and ``POST /realtime/token``."""

    def __init__(
        self,
        gateway: GatewayProvider,
        authorize: Authorize,
        *,
        default_model: str = "openai/gpt-realtime",
    ) -> None:
        self.gateway = gateway
        self.authorize = authorize
        self.default_model = default_model

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
        elif scope["type"] == "websocket" and scope["path"] == "/realtime":
            await self.relay(scope, receive, send)
        elif scope["type"] == "http" and scope["path"] == "/realtime/token":
            await self.token(scope, receive, send)
        elif scope["type"] == "http":
            await _respond(send, 404, {"error": {"message": "not found", "type": "not_found"}})
        else:
            await receive()
            await send({"type": "websocket.close", "code": 1008})

    def _model_id(self, scope: Scope) -> str:
        query = parse_qs(bytes(scope.get("query_string", b"")).decode("latin-1"))
        return query.get("ai-model-id", [self.default_model])[0]

    # -- the WebSocket relay ------------------------------------------------------------

    async def relay(self, scope: Scope, receive: Receive, send: Send) -> None:
        handshake = read_realtime_handshake(scope)
        await receive()  # websocket.connect
        user = self.authorize(handshake) if isinstance(handshake, RealtimeHandshake) else None
        if not isinstance(handshake, RealtimeHandshake) or user is None:
            rejection = (
                handshake
                if isinstance(handshake, RealtimeRejection)
                else RealtimeRejection(
                    status_code=401, message="the relay does not know this token"
                )
            )
            await reject_realtime(scope, send, rejection)
            return
        model = self.gateway.realtime(self._model_id(scope))
        # The relay's own session-update: attribute spend to the end user.
        config = {"providerOptions": {"gateway": {"user": user}}}
        accepted = False
        try:
            async with model.connect(session_config=config) as upstream:
                await send(handshake.accept_message())
                accepted = True
                code, reason = await _pump(upstream, receive, send)
        except PartstreamError as exc:
            log.warning("upstream realtime session failed: %s", exc)
            if not accepted:
                # Refused before the browser was accepted: answer the upgrade with a 502.
                rejection = RealtimeRejection(
                    status_code=502,
                    message="the relay could not open the upstream realtime session",
                    error_type="response_error",
                )
                await reject_realtime(scope, send, rejection)
                return
            code, reason = _UPSTREAM_FAILED, "upstream failed"
        if code is not None:
            await _try_send(send, {"type": "websocket.close", "code": code, "reason": reason})

    # -- the client-secret endpoint -----------------------------------------------------

    async def token(self, scope: Scope, receive: Receive, send: Send) -> None:
        while (await receive()).get("more_body"):
            pass
        if scope["method"] != "POST":
            await _respond(
                send, 405, {"error": {"message": "use POST", "type": "invalid_request_error"}}
            )
            return
        try:
            secret = await self.gateway.realtime(self._model_id(scope)).mint_client_secret(60)
        except GatewayError as exc:
            status = exc.status_code if 400 <= exc.status_code < 600 else 502
            await _respond(send, status, {"error": {"message": str(exc), "type": exc.error_type}})
            return
        await _respond(send, 200, secret.to_dict())


async def _pump(
    upstream: GatewayRealtimeSession, receive: Receive, send: Send
) -> tuple[int | None, str]:
    """Move events both ways until one side ends; returns the close to send the browser."""
    result: tuple[int | None, str] = (None, "")

    async def browser_to_gateway(cancel: anyio.CancelScope) -> None:
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                cancel.cancel()  # the browser left: leaving the block closes upstream (1000)
                return
            text = message.get("text")
            if text is None and message.get("bytes") is not None:
                text = bytes(message["bytes"]).decode("utf-8", "replace")
            try:
                event = json.loads(text or "")
            except ValueError:
                continue  # not an event: nothing to relay
            if isinstance(event, dict) and isinstance(event.get("type"), str):
                try:
                    await upstream.send(event)  # verbatim: the Gateway codec is the identity
                except ConnectionClosed:
                    return  # upstream ended; the other direction reports how

    async def gateway_to_browser(cancel: anyio.CancelScope) -> None:
        nonlocal result
        try:
            async for event in upstream:
                await send({"type": "websocket.send", "text": json.dumps(event.to_dict())})
            code = upstream.close_code or 1000
            result = (code if code not in _NOT_SENDABLE else 1000, upstream.close_reason or "")
        except ConnectionClosed as exc:
            result = (exc.code if exc.code not in _NOT_SENDABLE else _UPSTREAM_FAILED, exc.reason)
        except PartstreamError as exc:
            log.warning("dropping the realtime relay: %s", exc)
            result = (_UPSTREAM_FAILED, "upstream failed")
        cancel.cancel()

    async with anyio.create_task_group() as tg:
        tg.start_soon(browser_to_gateway, tg.cancel_scope)
        tg.start_soon(gateway_to_browser, tg.cancel_scope)
    return result


async def _try_send(send: Send, message: dict[str, Any]) -> None:
    try:
        await send(message)
    except Exception:  # the browser is gone already
        log.debug("could not send %s", message["type"])


async def _respond(send: Send, status: int, body: Any) -> None:
    data = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"cache-control", b"no-store")],
        }
    )
    await send({"type": "http.response.body", "body": data})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--backend", choices=["asyncio", "trio"], default="asyncio")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8787)
    parser.add_argument("--gateway-base-url", default=None, help="default: the AI SDK's")
    args = parser.parse_args()

    from hypercorn.config import Config

    tokens = frozenset(t for t in os.environ.get("RELAY_CLIENT_TOKENS", "").split(",") if t)
    if not tokens:
        parser.error("set RELAY_CLIENT_TOKENS to the comma-separated browser tokens to accept")
    app = RealtimeRelay(create_gateway(base_url=args.gateway_base_url), token_list_policy(tokens))
    config = Config()
    config.bind = [f"{args.host}:{args.port}"]
    logging.basicConfig(level=logging.INFO)
    asgi: Any = app  # hypercorn's own ASGI types are narrower than this plain app's
    if args.backend == "trio":
        import trio
        from hypercorn.trio import serve as trio_serve

        trio.run(trio_serve, asgi, config)
    else:
        import asyncio

        from hypercorn.asyncio import serve as asyncio_serve

        asyncio.run(asyncio_serve(asgi, config))


if __name__ == "__main__":
    main()
