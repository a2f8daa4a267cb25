"""The emulated Interactions API routes: create, get (and resume), with HTTP faults.

``POST /v1beta/interactions`` (streaming, plain or background) and ``GET
/v1beta/interactions/{id}`` (``?stream=true&last_event_id=...`` to resume); the
router (``EmulatorApp._http``) handles cancel and delete itself. A JSON answer
goes through the request's fault schedule (drop, stall, malformed body).
"""

from __future__ import annotations

import json
from typing import Any, Final

import anyio

from ._app_state import _AppState
from ._asgi import (
    Action,
    FaultSchedule,
    Receive,
    Scope,
    Send,
    dumps,
    google_error,
    header,
    query_params,
    send_json,
)
from ._interactions import StoredInteraction, format_time, new_interaction_id, stream_interaction
from ._model import RequestError, build_events
from ._script_and_faults import Script

_MAX_STORED: Final = 10_000


class _InteractionsRoutes(_AppState):
    """The Interactions API's create and get (a base of ``EmulatorApp``)."""

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
