"""The emulated AI Gateway realtime endpoint (WebSocket) and client-secret minting.

Speaks the normalized AI SDK realtime protocol: the client sends
``session-update``, ``input-audio-*``, ``conversation-item-*``, ``response-*``
events; the emulator answers with ``session-created`` (on connect),
``session-updated``, ``conversation-item-added``, ``audio-committed``, a scripted
response (``response-created`` … ``text-delta``/``audio-delta`` …
``response-done``, or function-call events when the session has tools), and
``error`` events for client events it cannot accept (the session stays open).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any, Final

import anyio

from ..codecs.gateway_server import RealtimeRejection, reject_realtime
from ._asgi import GATEWAY_ERROR_TYPE, FaultSchedule, Message, Receive, Scope, Send
from ._realtime_output import _SessionOutput
from ._script_and_faults import Script

__all__ = ["RealtimeSession", "reject_websocket"]

#: Largest input audio buffer (base64-decoded bytes) a session keeps.
MAX_AUDIO_BUFFER: Final = 15 << 20
#: Most conversation items a session keeps.
MAX_ITEMS: Final = 10_000

_CLIENT_EVENTS: Final = frozenset(
    {
        "session-update",
        "input-audio-append",
        "input-audio-commit",
        "input-audio-clear",
        "conversation-item-create",
        "conversation-item-truncate",
        "response-create",
        "response-cancel",
    }
)


async def reject_websocket(scope: Scope, send: Send, status: int, message: str) -> None:
    """Refuse a WebSocket handshake with an HTTP status and a Gateway error body."""
    error_type = GATEWAY_ERROR_TYPE.get(status, "internal_server_error")
    await reject_realtime(scope, send, RealtimeRejection(status, message, error_type))


class _ClientEventError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class RealtimeSession(_SessionOutput):
    """One accepted realtime WebSocket session."""

    def __init__(
        self,
        next_id: Callable[[str], str],
        receive: Receive,
        send: Send,
        *,
        model: str,
        team: str | None,
        script: Script,
        schedule: FaultSchedule,
    ) -> None:
        self._next_id = next_id
        self._receive = receive
        self._send = send
        self.model = model
        self.team = team
        self.script = script
        self.schedule = schedule
        self.session_id = next_id("sess")
        self.config: dict[str, Any] = {}
        self.items: list[dict[str, Any]] = []
        self.audio = bytearray()
        self._lock = anyio.Lock()
        self._closed = False
        self._dropped = False
        self._tg: anyio.abc.TaskGroup | None = None
        self._active: anyio.CancelScope | None = None

    # --- the session ------------------------------------------------------------------

    async def run(self) -> None:
        """Serve until the client leaves or a fault ends the session."""
        async with anyio.create_task_group() as tg:
            self._tg = tg
            async with self._lock:
                await self._end_if_due()
            await self.emit(
                {
                    "type": "session-created",
                    "sessionId": self.session_id,
                    "raw": {
                        "type": "session.created",
                        "session": {"id": self.session_id, "model": self.model, "team": self.team},
                    },
                }
            )
            while not self._closed:
                message = await self._receive()
                if message["type"] == "websocket.disconnect":
                    self._closed = True
                    tg.cancel_scope.cancel()
                    break
                if message["type"] == "websocket.receive":
                    await self._on_message(message)

    async def _on_message(self, message: Message) -> None:
        text = message.get("text")
        if text is None:
            await self._error("invalid_event", "binary messages are not part of the protocol")
            return
        try:
            event = json.loads(text)
        except ValueError:
            await self._error("invalid_json", "the message is not valid JSON")
            return
        try:
            await self._dispatch(event)
        except _ClientEventError as exc:
            await self._error(exc.code, exc.message, event)

    async def _dispatch(self, event: Any) -> None:
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            raise _ClientEventError("invalid_event", "a client event is an object with a 'type'")
        kind = event["type"]
        if kind not in _CLIENT_EVENTS:
            raise _ClientEventError("unknown_event_type", f"unknown client event type {kind!r}")
        if kind == "session-update":
            config = event.get("config")
            if not isinstance(config, dict):
                raise _ClientEventError("invalid_event", "session-update needs a 'config' object")
            tools = config.get("tools", [])
            if not isinstance(tools, list) or not all(
                isinstance(t, dict) and isinstance(t.get("name"), str) for t in tools
            ):
                raise _ClientEventError(
                    "invalid_event", "config.tools must be a list of named tools"
                )
            self.config.update(config)
            await self.emit(
                {
                    "type": "session-updated",
                    "raw": {"type": "session.updated", "session": self.config},
                }
            )
        elif kind == "input-audio-append":
            audio = event.get("audio")
            bad_audio = _ClientEventError("invalid_audio", "'audio' must be base64 text")
            if not isinstance(audio, str):
                raise bad_audio
            try:
                chunk = base64.b64decode(audio, validate=True)
            except (ValueError, binascii.Error):
                raise bad_audio from None
            if len(self.audio) + len(chunk) > MAX_AUDIO_BUFFER:
                raise _ClientEventError(
                    "audio_buffer_full",
                    f"the input audio buffer is limited to {MAX_AUDIO_BUFFER} bytes",
                )
            self.audio += chunk
        elif kind == "input-audio-commit":
            if not self.audio:
                raise _ClientEventError(
                    "input_audio_buffer_commit_empty", "there is no input audio to commit"
                )
            await self._commit_audio()
        elif kind == "input-audio-clear":
            self.audio.clear()
            await self.emit(
                {
                    "type": "custom",
                    "rawType": "input_audio_buffer.cleared",
                    "raw": {"type": "input_audio_buffer.cleared"},
                }
            )
        elif kind == "conversation-item-create":
            await self._create_item(event.get("item"))
        elif kind == "conversation-item-truncate":
            item_id = event.get("itemId")
            if not any(item["id"] == item_id for item in self.items):
                raise _ClientEventError("item_not_found", f"no conversation item {item_id!r}")
            await self.emit(
                {
                    "type": "custom",
                    "rawType": "conversation.item.truncated",
                    "raw": {"type": "conversation.item.truncated", "item_id": item_id},
                }
            )
        elif kind == "response-create":
            if self._active is not None:
                raise _ClientEventError(
                    "conversation_already_has_active_response", "a response is already in progress"
                )
            options = event.get("options") or {}
            if not isinstance(options, dict):
                raise _ClientEventError(
                    "invalid_event", "response-create options must be an object"
                )
            scope = anyio.CancelScope()
            self._active = scope
            assert self._tg is not None
            self._tg.start_soon(self._respond, scope, options)
        else:  # response-cancel
            if self._active is None:
                raise _ClientEventError("response_cancel_not_active", "no response is in progress")
            self._active.cancel()

    async def _commit_audio(self) -> None:
        if len(self.items) >= MAX_ITEMS:
            raise _ClientEventError(
                "conversation_full", f"a session keeps at most {MAX_ITEMS} conversation items"
            )
        item_id = self._next_id("item")
        previous = self.items[-1]["id"] if self.items else None
        size = len(self.audio)
        self.audio.clear()
        item = {"type": "audio-message", "role": "user", "bytes": size}
        self.items.append({"id": item_id, "item": item})
        await self.emit(
            {
                "type": "audio-committed",
                "itemId": item_id,
                **({"previousItemId": previous} if previous else {}),
                "raw": {"type": "input_audio_buffer.committed", "item_id": item_id},
            }
        )
        await self.emit(
            {
                "type": "conversation-item-added",
                "itemId": item_id,
                "item": item,
                "raw": {"type": "conversation.item.added", "item_id": item_id},
            }
        )
        if self.config.get("inputAudioTranscription"):
            await self.emit(
                {
                    "type": "input-transcription-completed",
                    "itemId": item_id,
                    "transcript": f"[{size} bytes of audio]",
                    "raw": {"type": "conversation.item.input_audio_transcription.completed"},
                }
            )

    async def _create_item(self, item: Any) -> None:
        if not isinstance(item, dict):
            raise _ClientEventError(
                "invalid_item", "conversation-item-create needs an 'item' object"
            )
        kind = item.get("type")
        if kind == "text-message":
            if not isinstance(item.get("text"), str):
                raise _ClientEventError("invalid_item", "a text-message needs a string 'text'")
        elif kind == "audio-message":
            try:
                base64.b64decode(str(item.get("audio")), validate=True)
            except (ValueError, binascii.Error):
                raise _ClientEventError(
                    "invalid_item", "an audio-message needs base64 'audio'"
                ) from None
        elif kind == "function-call-output":
            if not isinstance(item.get("callId"), str) or not isinstance(item.get("output"), str):
                raise _ClientEventError(
                    "invalid_item", "a function-call-output needs string 'callId' and 'output'"
                )
        else:
            raise _ClientEventError("invalid_item", f"unknown conversation item type {kind!r}")
        if len(self.items) >= MAX_ITEMS:
            raise _ClientEventError(
                "conversation_full", f"a session keeps at most {MAX_ITEMS} conversation items"
            )
        item_id = self._next_id("item")
        self.items.append({"id": item_id, "item": item})
        await self.emit(
            {
                "type": "conversation-item-added",
                "itemId": item_id,
                "item": item,
                "raw": {"type": "conversation.item.added", "item_id": item_id},
            }
        )
