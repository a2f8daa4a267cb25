"""The emulated Interactions API: stored interactions, their timeline, SSE streaming.

Every interaction is a scripted list of events (see ``_model``) that becomes
visible on the emulator's clock: event ``i`` is due ``i * interval`` seconds
after creation (``Script.interval`` for a live stream, ``Script.background_interval``
for ``background: true``, all at once for a plain ``POST``). A GET shows what
is due so far; a stream sends it as it falls due; a cancel cuts the timeline
and ends it with ``cancelled``. No background task is needed, so a run
"progresses in the background" on any server and either event loop.
"""

from __future__ import annotations

import base64
import hashlib
import math
import time
from collections.abc import Mapping
from typing import Any, Final

import anyio
import attrs

from ._asgi import Action, FaultSchedule, Receive, Send, dumps
from ._model import fold_steps

__all__ = [
    "ERROR_EVENT",
    "MALFORMED_SSE_FRAME",
    "StoredInteraction",
    "format_time",
    "new_interaction_id",
]

#: What a "malformed event" fault sends on an SSE stream (not JSON).
MALFORMED_SSE_FRAME: Final = b'data: {"event_type": "step.delta", "index": \n\n'
#: What an "error event" fault sends on an SSE stream before ending it.
ERROR_EVENT: Final = {
    "event_type": "error",
    "error": {"code": "UNAVAILABLE", "message": "emulated fault: the model is overloaded"},
}

#: Largest body chunk one ASGI send carries when many events are already due.
_COALESCE_BYTES: Final = 64 * 1024
#: Longest single sleep of a waiting stream (it re-checks for cancellation).
_POLL_SECONDS: Final = 0.05

_TERMINAL: Final = frozenset({"completed", "failed", "cancelled", "incomplete", "requires_action"})


def format_time(seconds: float | None = None) -> str:
    """RFC 3339 UTC with whole seconds, the way the API writes ``created``."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def new_interaction_id(counter: int, seed: str) -> str:
    digest = hashlib.sha256(f"{counter}\x00{seed}".encode()).digest()
    return "v1_" + base64.urlsafe_b64encode(digest).decode().rstrip("=")[:40]


def _frame(event: Mapping[str, Any]) -> bytes:
    # The API sends each event as one `data:` line, no `event:`/`id:` fields.
    return b"data: " + dumps(event) + b"\n\n"


@attrs.define(eq=False)
class StoredInteraction:
    """One interaction and its scripted timeline."""

    id: str
    owner: dict[str, str]
    echo_steps: tuple[dict[str, Any], ...]
    events: list[dict[str, Any]]
    frames: list[bytes]
    started: float
    interval: float
    created: str
    previous_interaction_id: str | None = None
    background: bool = False
    ended: bool = False  # cut short (cancelled): the whole (new) timeline is due

    @classmethod
    def create(
        cls,
        *,
        interaction_id: str,
        owner: dict[str, str],
        events: list[dict[str, Any]],
        echo_steps: tuple[dict[str, Any], ...],
        interval: float,
        created: str,
        previous_interaction_id: str | None,
        background: bool,
    ) -> StoredInteraction:
        tag = hashlib.sha256(f"{interaction_id}|{created}".encode()).hexdigest()[:8]
        for n, event in enumerate(events):
            # event_id: opaque to clients; here "<tag>.<n>" so a resume can find its place.
            event["event_id"] = f"{tag}.{n}"
        return cls(
            id=interaction_id,
            owner=owner,
            echo_steps=echo_steps,
            events=events,
            frames=[_frame(e) for e in events],
            started=time.monotonic(),
            interval=interval,
            created=created,
            previous_interaction_id=previous_interaction_id,
            background=background,
        )

    @property
    def tag(self) -> str:
        return str(self.events[0]["event_id"]).partition(".")[0]

    def position_after(self, event_id: str) -> int | None:
        """Index of the first event after ``event_id``; None if it is not ours."""
        tag, _, number = event_id.partition(".")
        if tag != self.tag or not number.isdigit() or int(number) >= len(self.events):
            return None
        return int(number) + 1

    def visible(self, now: float | None = None) -> int:
        """How many events are due by ``now``."""
        if self.ended or self.interval <= 0:
            return len(self.events)
        now = time.monotonic() if now is None else now
        due = math.floor((now - self.started) / self.interval) + 1
        return max(1, min(len(self.events), due))

    def next_due(self, count: int) -> float:
        return self.started + count * self.interval

    def status(self, now: float | None = None) -> str:
        count = self.visible(now)
        if count == len(self.events):
            final = self.events[-1].get("interaction") or {}
            return str(final.get("status", "completed"))
        return "in_progress"

    def is_terminal(self, now: float | None = None) -> bool:
        return self.status(now) in _TERMINAL

    def cancel(self, now: float | None = None) -> bool:
        """Cut the timeline at ``now`` and end it ``cancelled``; False if already over."""
        count = self.visible(now)
        if count == len(self.events):
            return False
        tag = self.tag
        kept = self.events[:count]
        updated = format_time()
        tail: list[dict[str, Any]] = [
            {
                "interaction_id": self.id,
                "status": "cancelled",
                "event_type": "interaction.status_update",
            },
            {
                "interaction": {
                    "id": self.id,
                    "status": "cancelled",
                    "created": self.created,
                    "updated": updated,
                    "object": "interaction",
                    **self.owner,
                },
                "event_type": "interaction.completed",
            },
        ]
        for n, event in enumerate(tail, start=count):
            event["event_id"] = f"{tag}.{n}"
        self.events = kept + tail
        self.frames = self.frames[:count] + [_frame(e) for e in tail]
        self.ended = True
        return True

    def body(self, *, with_input: bool, include_id: bool = True) -> dict[str, Any]:
        """The interaction resource as a GET (``with_input``) or POST answers it."""
        count = self.visible()
        status = self.status()
        final = self.events[-1].get("interaction") or {} if count == len(self.events) else {}
        body: dict[str, Any] = {}
        if include_id:
            body["id"] = self.id
        body["status"] = status
        if final.get("usage") is not None:
            body["usage"] = final["usage"]
        body["created"] = self.created
        body["updated"] = final.get("updated", self.created)
        if final:
            body["service_tier"] = "standard"
        steps = fold_steps(self.events[:count])
        body["steps"] = [*self.echo_steps, *steps] if with_input else steps
        if self.previous_interaction_id:
            body["previous_interaction_id"] = self.previous_interaction_id
        body["object"] = "interaction"
        body.update(self.owner)
        return body

    def summary(self) -> dict[str, Any]:
        """The short body a ``background: true`` POST answers with."""
        return {
            "id": self.id,
            "status": self.status(),
            "created": self.created,
            "updated": self.created,
            "object": "interaction",
            **self.owner,
        }


async def _sleep_or_forever(seconds: float | None) -> None:
    if seconds is None:
        await anyio.sleep_forever()
    else:
        await anyio.sleep(seconds)


async def stream_interaction(
    send: Send,
    receive: Receive,
    interaction: StoredInteraction,
    start: int,
    schedule: FaultSchedule,
    extra_headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    """Send ``interaction``'s events from index ``start`` as SSE, live, with faults.

    Returns when the stream is complete, when a fault drops it (the body is then
    left unterminated, so the server aborts the connection) or when the client
    goes away.
    """
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"text/event-stream"),
                (b"cache-control", b"no-cache"),
                *(extra_headers or []),
            ],
        }
    )
    async with anyio.create_task_group() as tg:

        async def watch_disconnect() -> None:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    tg.cancel_scope.cancel()
                    return

        tg.start_soon(watch_disconnect)
        finished = await _pump(send, interaction, start, schedule)
        if finished:
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        tg.cancel_scope.cancel()


async def _pump(
    send: Send, interaction: StoredInteraction, cursor: int, schedule: FaultSchedule
) -> bool:
    """True when every event went out; False when a fault dropped the stream."""
    faults = schedule.faults
    while True:
        due = interaction.visible()
        if cursor >= len(interaction.events) and due == len(interaction.events):
            return True
        if cursor < due:
            if faults is None:
                # Fast path: coalesce what is already due into bounded chunks.
                chunk: list[bytes] = []
                size = 0
                while cursor < due and size < _COALESCE_BYTES:
                    frame = interaction.frames[cursor]
                    chunk.append(frame)
                    size += len(frame)
                    cursor += 1
                await send(
                    {"type": "http.response.body", "body": b"".join(chunk), "more_body": True}
                )
                continue
            if faults.error_after is not None and schedule.sent >= faults.error_after:
                # The API's in-stream failure: an `error` event, then the end.
                await send(
                    {"type": "http.response.body", "body": _frame(ERROR_EVENT), "more_body": True}
                )
                return True
            action = schedule.next_action()
            if action is Action.DROP:
                return False
            if action is Action.STALL:
                await _sleep_or_forever(faults.stall_seconds)
                continue
            if action is Action.MALFORMED:
                await send(
                    {"type": "http.response.body", "body": MALFORMED_SSE_FRAME, "more_body": True}
                )
                continue
            if action is Action.CLOSE:
                # An SSE stream has no close code: end the body cleanly, early.
                return True

            await send(
                {
                    "type": "http.response.body",
                    "body": interaction.frames[cursor],
                    "more_body": True,
                }
            )
            schedule.sent += 1
            cursor += 1
            continue
        wait = interaction.next_due(due) - time.monotonic()
        await anyio.sleep(min(max(wait, 0.0), _POLL_SECONDS))
