"""What the emulated realtime model says: events out (with faults) and scripted responses.

The output half of a realtime session (the base of :class:`RealtimeSession`,
which reads the client's events): ``emit`` sends one server event through the
session's fault schedule (stall, malformed message, drop, close code), and a
``response-create`` becomes a scripted response: a function call when the
session has tools, else text or audio deltas (a deterministic 440 Hz tone) with
their transcript.
"""

from __future__ import annotations

import array
import base64
import json
import math
from collections.abc import Callable, Mapping
from typing import Any, Final

import anyio
import anyio.abc

from ._asgi import Action, FaultSchedule, Receive, Send
from ._model import split_text, synthesize_value
from ._script_and_faults import Script

__all__ = ["MALFORMED_WS_MESSAGE"]

MALFORMED_WS_MESSAGE: Final = '{"type": "text-delta", "delta": '


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


class _SessionOutput:
    """A realtime session's state and what it sends (``RealtimeSession`` sets it up)."""

    _next_id: Callable[[str], str]
    _receive: Receive
    _send: Send
    model: str
    team: str | None
    script: Script
    schedule: FaultSchedule
    session_id: str
    config: dict[str, Any]
    items: list[dict[str, Any]]
    audio: bytearray
    _lock: anyio.Lock
    _closed: bool
    _dropped: bool
    _tg: anyio.abc.TaskGroup | None
    _active: anyio.CancelScope | None

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
        response_id = self._next_id("resp")
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
        item_id = self._next_id("item")
        call_id = self._next_id("call")
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
        item_id = self._next_id("item")
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
