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

import array
import base64
import binascii
import json
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

import anyio

from ..codecs.gateway_server import RealtimeRejection, reject_realtime
from ._asgi import GATEWAY_ERROR_TYPE, Action, FaultSchedule, Message, Receive, Scope, Send
from ._model import split_text, synthesize_value
from ._script_and_faults import Script

if TYPE_CHECKING:
    from ._app import EmulatorApp

__all__ = [
    "MALFORMED_WS_MESSAGE",
    "RealtimeSession",
    "reject_websocket",
]

#: What a "malformed event" fault sends on a realtime session (not JSON).
MALFORMED_WS_MESSAGE: Final = '{"type": "text-delta", "delta": '

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


def _tone(chunk_bytes: int, index: int, sample_rate: int = 24_000) -> bytes:
    """A deterministic 440 Hz PCM16 tone chunk (little-endian), for audio deltas."""
    samples = chunk_bytes // 2
    start = index * samples
    values = array.array(
        "h",
        (
            int(8000 * math.sin(2 * math.pi * 440 * (start + i) / sample_rate))
            for i in range(samples)
        ),
    )
    if values.itemsize != 2:  # pragma: no cover - 'h' is 16-bit everywhere we run
        raise RuntimeError("array('h') is not 16-bit here")
    return values.tobytes()


class _ClientEventError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class RealtimeSession:
    """One accepted realtime WebSocket session."""

    def __init__(
        self,
        app: EmulatorApp,
        receive: Receive,
        send: Send,
        *,
        model: str,
        team: str | None,
        script: Script,
        schedule: FaultSchedule,
    ) -> None:
        self._app = app
        self._receive = receive
        self._send = send
        self.model = model
        self.team = team
        self.script = script
        self.schedule = schedule
        self.session_id = app.next_id("sess")
        self.config: dict[str, Any] = {}
        self.items: list[dict[str, Any]] = []
        self.audio = bytearray()
        self._lock = anyio.Lock()
        self._closed = False
        self._dropped = False
        self._tg: anyio.abc.TaskGroup | None = None
        self._active: anyio.CancelScope | None = None

    # --- sending, with faults ---------------------------------------------------------

    async def emit(self, event: dict[str, Any]) -> None:
        async with self._lock:
            if self._closed:
                return
            faults = self.schedule.faults
            while True:
                action = self.schedule.next_action()
                if action is Action.STALL:
                    assert faults is not None
                    if faults.stall_seconds is None:
                        await anyio.sleep_forever()
                    else:
                        await anyio.sleep(faults.stall_seconds)
                    continue
                if action is Action.MALFORMED:
                    await self._send({"type": "websocket.send", "text": MALFORMED_WS_MESSAGE})
                    continue
                break
            if action is Action.SEND:
                await self._send(
                    {"type": "websocket.send", "text": json.dumps(event, separators=(",", ":"))}
                )
                self.schedule.sent += 1
            await self._end_if_due(action)

    async def _end_if_due(self, action: Action = Action.SEND) -> None:
        """Drop or close the session once the fault's event count is reached."""
        faults = self.schedule.faults
        if faults is None:
            return
        sent = self.schedule.sent
        if action is Action.DROP or (faults.drop_after is not None and sent >= faults.drop_after):
            # Returning without a close frame: the server closes with 1011.
            self._dropped = True
            self._stop()
        elif action is Action.CLOSE or (
            faults.close_code is not None and sent >= faults.close_after
        ):
            assert faults.close_code is not None
            await self._send(
                {"type": "websocket.close", "code": faults.close_code, "reason": "emulated fault"}
            )
            self._stop()

    def _stop(self) -> None:
        self._closed = True
        if self._tg is not None:
            self._tg.cancel_scope.cancel()

    async def _error(self, code: str, message: str, raw: Any = None) -> None:
        await self.emit(
            {
                "type": "error",
                "message": message,
                "code": code,
                "raw": {"type": "error", "error": {"code": code, "message": message}, "event": raw},
            }
        )

    async def _pace(self) -> None:
        if self.script.interval > 0:
            await anyio.sleep(self.script.interval)

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
        # A dropped session returns without a close frame; the server then closes with 1011.

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
        item_id = self._app.next_id("item")
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
        item_id = self._app.next_id("item")
        self.items.append({"id": item_id, "item": item})
        await self.emit(
            {
                "type": "conversation-item-added",
                "itemId": item_id,
                "item": item,
                "raw": {"type": "conversation.item.added", "item_id": item_id},
            }
        )

    # --- scripted responses -----------------------------------------------------------

    def _last_input(self) -> Mapping[str, Any] | None:
        return self.items[-1]["item"] if self.items else None

    def _answer_text(self) -> str:
        last = self._last_input()
        said = "nothing yet"
        if last is not None:
            if last.get("type") == "text-message":
                said = f'"{last["text"]}"'
            elif last.get("type") == "function-call-output":
                return (
                    f"The {last.get('name') or 'tool'} tool returned {last['output']}. "
                    "That settles it."
                )
            else:
                said = "some audio"
        return (
            f"You said {said}. This is the partstream emulator answering over the "
            "AI Gateway realtime protocol."
        )

    async def _respond(self, scope: anyio.CancelScope, options: Mapping[str, Any]) -> None:
        response_id = self._app.next_id("resp")
        status = "completed"
        try:
            await self.emit(
                {
                    "type": "response-created",
                    "responseId": response_id,
                    "raw": {"type": "response.created", "response": {"id": response_id}},
                }
            )
            with scope:
                tools = self.config.get("tools") or []
                last = self._last_input()
                if tools and (last is None or last.get("type") != "function-call-output"):
                    await self._function_call(response_id, tools[0])
                else:
                    modalities = options.get("modalities") or self.config.get("outputModalities")
                    if not isinstance(modalities, list) or not modalities:
                        modalities = ["audio"]
                    await self._speak(response_id, audio="audio" in modalities)
            if scope.cancelled_caught:
                status = "cancelled"
        finally:
            self._active = None
        await self.emit(
            {
                "type": "response-done",
                "responseId": response_id,
                "status": status,
                "raw": {"type": "response.done", "response": {"id": response_id, "status": status}},
            }
        )

    async def _function_call(self, response_id: str, tool: Mapping[str, Any]) -> None:
        item_id = self._app.next_id("item")
        call_id = self._app.next_id("call")
        name = str(tool.get("name"))
        last = self._last_input()
        hint = str(last.get("text", "")) if last else ""
        arguments = synthesize_value(tool.get("parameters") or {}, hint[:40] or "emulated")
        text = json.dumps(arguments if isinstance(arguments, dict) else {"value": arguments})
        ids = {"responseId": response_id, "itemId": item_id}
        await self.emit(
            {"type": "output-item-added", **ids, "raw": {"type": "response.output_item.added"}}
        )
        half = len(text) // 2
        for piece in (text[:half], text[half:]):
            await self._pace()
            await self.emit(
                {
                    "type": "function-call-arguments-delta",
                    **ids,
                    "callId": call_id,
                    "delta": piece,
                    "raw": {"type": "response.function_call_arguments.delta"},
                }
            )
        await self.emit(
            {
                "type": "function-call-arguments-done",
                **ids,
                "callId": call_id,
                "name": name,
                "arguments": text,
                "raw": {"type": "response.function_call_arguments.done"},
            }
        )
        await self.emit(
            {"type": "output-item-done", **ids, "raw": {"type": "response.output_item.done"}}
        )

    async def _speak(self, response_id: str, *, audio: bool) -> None:
        item_id = self._app.next_id("item")
        ids = {"responseId": response_id, "itemId": item_id}
        pieces = split_text(self._answer_text(), self.script)
        await self.emit(
            {"type": "output-item-added", **ids, "raw": {"type": "response.output_item.added"}}
        )
        await self.emit(
            {"type": "content-part-added", **ids, "raw": {"type": "response.content_part.added"}}
        )
        if audio:
            chunks = self.script.audio_chunks
            for i in range(max(chunks, len(pieces))):
                await self._pace()
                if i < chunks:
                    data = base64.b64encode(_tone(self.script.audio_chunk_bytes, i)).decode()
                    await self.emit(
                        {
                            "type": "audio-delta",
                            **ids,
                            "delta": data,
                            "raw": {"type": "response.output_audio.delta"},
                        }
                    )
                if i < len(pieces):
                    await self.emit(
                        {
                            "type": "audio-transcript-delta",
                            **ids,
                            "delta": pieces[i],
                            "raw": {"type": "response.output_audio_transcript.delta"},
                        }
                    )
            await self.emit(
                {"type": "audio-done", **ids, "raw": {"type": "response.output_audio.done"}}
            )
            await self.emit(
                {
                    "type": "audio-transcript-done",
                    **ids,
                    "transcript": "".join(pieces),
                    "raw": {"type": "response.output_audio_transcript.done"},
                }
            )
        else:
            for piece in pieces:
                await self._pace()
                await self.emit(
                    {
                        "type": "text-delta",
                        **ids,
                        "delta": piece,
                        "raw": {"type": "response.output_text.delta"},
                    }
                )
            await self.emit(
                {
                    "type": "text-done",
                    **ids,
                    "text": "".join(pieces),
                    "raw": {"type": "response.output_text.done"},
                }
            )
        await self.emit(
            {"type": "content-part-done", **ids, "raw": {"type": "response.content_part.done"}}
        )
        await self.emit(
            {"type": "output-item-done", **ids, "raw": {"type": "response.output_item.done"}}
        )
