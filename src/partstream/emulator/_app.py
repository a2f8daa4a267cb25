"""The emulator's ASGI application: routing, API-key checks, request log."""

from __future__ import annotations

import json
import random
import secrets
import time
from collections import deque
from typing import Any, Final

import anyio
import attrs

from ..codecs.gateway_server import RealtimeRejection, read_realtime_handshake, reject_realtime
from ._asgi import (
    Action,
    BodyTooLargeError,
    ClientGoneError,
    FaultSchedule,
    Receive,
    Scope,
    Send,
    dumps,
    gateway_error,
    google_error,
    header,
    headers_dict,
    query_params,
    read_body,
    send_json,
)
from ._interactions import (
    StoredInteraction,
    format_time,
    new_interaction_id,
    stream_interaction,
)
from ._model import RequestError, build_events
from ._realtime import RealtimeSession, reject_websocket
from ._script_and_faults import (
    FAULT_HEADER,
    FAULT_QUERY,
    SCRIPT_HEADER,
    SCRIPT_QUERY,
    Faults,
    KnobError,
    Script,
    parse_knobs,
)

__all__ = ["DEFAULT_API_KEY", "DEFAULT_GATEWAY_API_KEY", "EmulatorApp", "RecordedRequest"]

#: The Google API key the emulator accepts unless told otherwise.
DEFAULT_API_KEY: Final = "emulator-key"
#: The AI Gateway key the emulator accepts unless told otherwise.
DEFAULT_GATEWAY_API_KEY: Final = "emulator-gateway-key"

_INTERACTIONS: Final = "/v1beta/interactions"
_CLIENT_SECRETS: Final = "/v1/realtime/client-secrets"
_MAX_STORED: Final = 10_000


@attrs.frozen
class RecordedRequest:
    """One request as the emulator saw it (``app.requests`` keeps the latest ones)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    at: float


def _asks_for_stream(raw: bytes) -> bool:
    try:
        body = json.loads(raw)
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("stream") is True


class EmulatorApp:
    """ASGI application emulating the Interactions API and the Gateway realtime endpoint.

    ``api_key`` / ``gateway_api_key``: the keys it accepts (``None``: any non-empty
    key). ``script`` / ``faults``: instance defaults, assignable while running.
    """

    def __init__(
        self,
        *,
        api_key: str | None = DEFAULT_API_KEY,
        gateway_api_key: str | None = DEFAULT_GATEWAY_API_KEY,
        script: Script | None = None,
        faults: Faults | None = None,
        max_recorded_requests: int = 1000,
    ) -> None:
        self.api_key = api_key
        self.gateway_api_key = gateway_api_key
        self.script = script if script is not None else Script()
        self.faults = faults
        self.requests: deque[RecordedRequest] = deque(maxlen=max_recorded_requests)
        self.interactions: dict[str, StoredInteraction] = {}
        self.client_secrets: dict[str, float] = {}  # token -> expires at (epoch seconds)
        self.sessions: list[RealtimeSession] = []
        self._counter = 0
        self._fault_uses = 0
        self._rng_seed = faults.seed if faults is not None else 0
        self._rng = random.Random(self._rng_seed)
        self._scopes: set[anyio.CancelScope] = set()

    # --- bookkeeping ---------------------------------------------------------------------

    def next_id(self, prefix: str) -> str:
        self._counter += 1
        return f"{prefix}_{self._counter:06d}"

    def requests_to(self, method: str, path: str) -> list[RecordedRequest]:
        """Recorded requests with this method and path (exact)."""
        return [r for r in self.requests if r.method == method and r.path == path]

    def close_connections(self) -> None:
        """End every open stream and session now (the server is shutting down)."""
        for scope in list(self._scopes):
            scope.cancel()

    def _schedule(
        self, kind: str, stream: bool, own: Faults | None, has_own: bool
    ) -> FaultSchedule:
        """The fault schedule for one request: its own faults, else the instance's."""
        if has_own:
            return FaultSchedule(own, random.Random(own.seed if own is not None else 0))
        faults = self._instance_faults(kind, stream)
        if faults is not None and faults.seed != self._rng_seed:
            self._rng_seed = faults.seed
            self._rng = random.Random(faults.seed)
        return FaultSchedule(faults, self._rng)

    def _instance_faults(self, kind: str, stream: bool) -> Faults | None:
        faults = self.faults
        if faults is None or not faults.active:
            return None
        if faults.target not in ("all", kind) and not (faults.target == "stream" and stream):
            return None
        if faults.times is not None:
            if self._fault_uses >= faults.times:
                return None
            self._fault_uses += 1
        return faults

    def _knobs(self, scope: Scope) -> tuple[Script, Faults | None, bool]:
        query = query_params(scope)
        fault_text = header(scope, FAULT_HEADER) or query.get(FAULT_QUERY)
        script, faults = parse_knobs(
            self.script,
            None,
            script_text=header(scope, SCRIPT_HEADER) or query.get(SCRIPT_QUERY),
            fault_text=fault_text,
        )
        return script, faults, bool(fault_text)

    def _record(self, scope: Scope, body: bytes | None) -> None:
        parsed: Any = None
        if body:
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = body.decode("utf-8", "replace")
        self.requests.append(
            RecordedRequest(
                method=str(scope.get("method", "GET")),
                path=str(scope["path"]),
                query=query_params(scope),
                headers=headers_dict(scope),
                body=parsed,
                at=time.time(),
            )
        )

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

    def _check_api_key(self, scope: Scope) -> tuple[int, str] | None:
        key = header(scope, "x-goog-api-key") or query_params(scope).get("key")
        if not key:
            return (
                403,
                "Method doesn't allow unregistered callers (callers without established "
                "identity). Please use API Key or other form of API consumer identity to call "
                "this API.",
            )
        if self.api_key is not None and key != self.api_key:
            return (400, "API key not valid. Please pass a valid API key.")
        return None

    async def _send_json_faulted(
        self, send: Send, status: int, value: Any, schedule: FaultSchedule
    ) -> None:
        """A JSON answer, with drop (cut body), stall and malformed-body faults."""
        if schedule.faults is None:
            await send_json(send, status, value)
            return
        body = dumps(value)
        action = schedule.next_action()
        if action is Action.STALL:
            stall = schedule.faults.stall_seconds
            if stall is None:
                await anyio.sleep_forever()
            else:
                await anyio.sleep(stall)
            action = Action.SEND
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json; charset=UTF-8"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        if action is Action.DROP:
            # Headers promised a body that never comes: the server aborts the connection.
            await send(
                {"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True}
            )
            return
        if action is Action.MALFORMED:
            body = body[:-1] + b" "  # same length, no longer JSON
        await send({"type": "http.response.body", "body": body, "more_body": False})

    async def _create(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        raw: bytes,
        script: Script,
        schedule: FaultSchedule,
    ) -> None:
        try:
            body = json.loads(raw)
        except ValueError:
            await send_json(send, 400, google_error(400, "Invalid JSON payload received."))
            return
        try:
            interaction = self._new_interaction(body, script)
        except RequestError as exc:
            await send_json(send, exc.code, google_error(exc.code, exc.message))
            return
        stored = body.get("store", True) is not False
        if stored:
            self.interactions[interaction.id] = interaction
            while len(self.interactions) > _MAX_STORED:
                del self.interactions[next(iter(self.interactions))]
        if body.get("stream") is True:
            await stream_interaction(send, receive, interaction, 0, schedule)
        elif interaction.background:
            await self._send_json_faulted(send, 200, interaction.summary(), schedule)
        else:
            await self._send_json_faulted(
                send, 200, interaction.body(with_input=False, include_id=stored), schedule
            )

    def _new_interaction(self, body: Any, script: Script) -> StoredInteraction:
        if not isinstance(body, dict):
            raise RequestError(400, "the request body must be a JSON object")
        model, agent = body.get("model"), body.get("agent")
        if (model is None) == (agent is None):
            raise RequestError(400, "exactly one of 'model' or 'agent' must be set")
        name = model if model is not None else agent
        if not isinstance(name, str) or not name:
            raise RequestError(400, "'model' / 'agent' must be a non-empty string")
        owner = {"model": name} if model is not None else {"agent": name}
        tools = body.get("tools")
        if tools is not None and (
            not isinstance(tools, list)
            or not all(isinstance(t, dict) and isinstance(t.get("type"), str) for t in tools)
        ):
            raise RequestError(400, "'tools' must be a list of objects with a 'type'")
        for tool in tools or []:
            if tool["type"] == "function" and not isinstance(tool.get("name"), str):
                raise RequestError(400, "a function tool needs a string 'name'")
        stream = body.get("stream") is True
        background = body.get("background") is True
        stored = body.get("store", True) is not False
        if stream and background:
            raise RequestError(400, "'stream' and 'background' cannot both be true")
        if background and not stored:
            raise RequestError(400, "'background' requires 'store' to be true")
        previous = body.get("previous_interaction_id")
        if previous is not None and (
            not isinstance(previous, str) or previous not in self.interactions
        ):
            raise RequestError(404, f"Interaction {previous!r} was not found.")
        self._counter += 1
        interaction_id = (
            new_interaction_id(self._counter, json.dumps(body.get("input"))[:200]) if stored else ""
        )
        created = format_time()
        events, turn = build_events(
            body, interaction_id=interaction_id, owner=owner, script=script, created=created
        )
        interval = script.background_interval if background else script.interval if stream else 0.0
        return StoredInteraction.create(
            interaction_id=interaction_id,
            owner=owner,
            events=events,
            echo_steps=turn.echo_steps,
            interval=interval,
            created=created,
            previous_interaction_id=previous,
            background=background,
        )

    async def _get(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        interaction: StoredInteraction,
        schedule: FaultSchedule,
    ) -> None:
        query = query_params(scope)
        if query.get("stream") != "true":
            await self._send_json_faulted(send, 200, interaction.body(with_input=True), schedule)
            return
        start = 0
        last = query.get("last_event_id") or header(scope, "last-event-id")
        if last:
            position = interaction.position_after(last)
            if position is None:
                await send_json(
                    send,
                    400,
                    google_error(
                        400, f"last_event_id {last!r} is not an event of this interaction."
                    ),
                )
                return
            start = position
        await stream_interaction(send, receive, interaction, start, schedule)

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
            self,
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
