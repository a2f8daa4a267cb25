"""The server side of the normalized realtime protocol (RealtimeModelV4).

One frozen attrs class per server event the Gateway sends (``raw`` is the
upstream provider's event); :class:`UnknownServerEvent` carries anything else as
received. Each class gets a generated fast decoder (``_FAST_SERVER``). Sans-IO.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Final, TypeAlias, final

import attrs

from ._gateway_schema import (
    _Event,
    _extra,
    _is_str,
    _make_fast_decoder,
    _opt,
    _register,
    _req,
)

__all__ = [
    "AudioCommitted",
    "AudioDelta",
    "AudioDone",
    "AudioTranscriptDelta",
    "AudioTranscriptDone",
    "ContentPartAdded",
    "ContentPartDone",
    "ConversationItemAdded",
    "CustomEvent",
    "ErrorEvent",
    "FunctionCallArgumentsDelta",
    "FunctionCallArgumentsDone",
    "InputTranscriptionCompleted",
    "OutputItemAdded",
    "OutputItemDone",
    "ResponseCreated",
    "ResponseDone",
    "ServerEvent",
    "SessionCreated",
    "SessionUpdated",
    "SpeechStarted",
    "SpeechStopped",
    "TextDelta",
    "TextDone",
    "UnknownServerEvent",
]

# ---------------------------------------------------------------------------------------
# Server events (RealtimeModelV4ServerEvent). ``raw`` is the upstream provider's event.


@final
@attrs.frozen
class SessionCreated(_Event):
    type: ClassVar[str] = "session-created"
    session_id: str | None = _opt("sessionId", _is_str)
    raw: Any = _opt("raw", None)
    extra: Mapping[str, Any] = _extra()


@final
@attrs.frozen
class SessionUpdated(_Event):
    type: ClassVar[str] = "session-updated"
    raw: Any = _opt("raw", None)
    extra: Mapping[str, Any] = _extra()


@final
@attrs.frozen
class SpeechStarted(_Event):
    """Voice activity detection heard the user start speaking."""

    type: ClassVar[str] = "speech-started"
    item_id: str | None = _opt("itemId", _is_str)
    raw: Any = _opt("raw", None)
    extra: Mapping[str, Any] = _extra()


@final
@attrs.frozen
class SpeechStopped(_Event):
    type: ClassVar[str] = "speech-stopped"
    item_id: str | None = _opt("itemId", _is_str)
    raw: Any = _opt("raw", None)
    extra: Mapping[str, Any] = _extra()


@final
@attrs.frozen
class AudioCommitted(_Event):
    type: ClassVar[str] = "audio-committed"
    item_id: str | None = _opt("itemId", _is_str)
    previous_item_id: str | None = _opt("previousItemId", _is_str)
    raw: Any = _opt("raw", None)
    extra: Mapping[str, Any] = _extra()


@final
@attrs.frozen
class ConversationItemAdded(_Event):
    type: ClassVar[str] = "conversation-item-added"
    item_id: str = _req("itemId", _is_str)
    item: Any = _req("item", None)
    raw: Any = _opt("raw", None)
    extra: Mapping[str, Any] = _extra()


@final
@attrs.frozen
class InputTranscriptionCompleted(_Event):
    type: ClassVar[str] = "input-transcription-completed"
    item_id: str = _req("itemId", _is_str)
    transcript: str = _req("transcript", _is_str)
    raw: Any = _opt("raw", None)
    extra: Mapping[str, Any] = _extra()


@final
@attrs.frozen
class ResponseCreated(_Event):
    type: ClassVar[str] = "response-created"
    response_id: str = _req("responseId", _is_str)
    raw: Any = _opt("raw", None)
    extra: Mapping[str, Any] = _extra()


@final
@attrs.frozen
class ResponseDone(_Event):
    """The response finished; ``status`` is the provider's (completed, cancelled, ...)."""

    type: ClassVar[str] = "response-done"
    response_id: str = _req("responseId", _is_str)
    status: str = _req("status", _is_str)
    raw: Any = _opt("raw", None)
    extra: Mapping[str, Any] = _extra()


@final
@attrs.frozen
class OutputItemAdded(_Event):
    type: ClassVar[str] = "output-item-added"
    response_id: str = _req("responseId", _is_str)
    item_id: str = _req("itemId", _is_str)
    raw: Any = _opt("raw", None)
    extra: Mapping[str, Any] = _extra()


@final
@attrs.frozen
class OutputItemDone(_Event):
    type: ClassVar[str] = "output-item-done"
    response_id: str = _req("responseId", _is_str)
    item_id: str = _req("itemId", _is_str)
    raw: Any = _opt("raw", None)
    extra: Mapping[str, Any] = _extra()


@final
@attrs.frozen
class ContentPartAdded(_Event):
    type: ClassVar[str] = "content-part-added"
    response_id: str = _req("responseId", _is_str)
    item_id: str = _req("itemId", _is_str)
    raw: Any = _opt("raw", None)
    extra: Mapping[str, Any] = _extra()


@final
@attrs.frozen
class ContentPartDone(_Event):
    type: ClassVar[str] = "content-part-done"
    response_id: str = _req("responseId", _is_str)
    item_id: str = _req("itemId", _is_str)
    raw: Any = _opt("raw", None)
    extra: Mapping[str, Any] = _extra()


@final
@attrs.frozen
class AudioDelta(_Event):
    """A chunk of output audio; ``delta`` is base64."""

    type: ClassVar[str] = "audio-delta"
    response_id: str = _req("responseId", _is_str)
    item_id: str = _req("itemId", _is_str)
    delta: str = _req("delta", _is_str)
    raw: Any = _opt("raw", None)
    extra: Mapping[str, Any] = _extra()


@final
@attrs.frozen
class AudioDone(_Event):
    type: ClassVar[str] = "audio-done"
    response_id: str = _req("responseId", _is_str)
    item_id: str = _req("itemId", _is_str)
    raw: Any = _opt("raw", None)
    extra: Mapping[str, Any] = _extra()


@final
@attrs.frozen
class AudioTranscriptDelta(_Event):
    type: ClassVar[str] = "audio-transcript-delta"
    response_id: str = _req("responseId", _is_str)
    item_id: str = _req("itemId", _is_str)
    delta: str = _req("delta", _is_str)
    raw: Any = _opt("raw", None)
    extra: Mapping[str, Any] = _extra()


@final
@attrs.frozen
class AudioTranscriptDone(_Event):
    type: ClassVar[str] = "audio-transcript-done"
    response_id: str = _req("responseId", _is_str)
    item_id: str = _req("itemId", _is_str)
    transcript: str | None = _opt("transcript", _is_str)
    raw: Any = _opt("raw", None)
    extra: Mapping[str, Any] = _extra()


@final
@attrs.frozen
class TextDelta(_Event):
    type: ClassVar[str] = "text-delta"
    response_id: str = _req("responseId", _is_str)
    item_id: str = _req("itemId", _is_str)
    delta: str = _req("delta", _is_str)
    raw: Any = _opt("raw", None)
    extra: Mapping[str, Any] = _extra()


@final
@attrs.frozen
class TextDone(_Event):
    type: ClassVar[str] = "text-done"
    response_id: str = _req("responseId", _is_str)
    item_id: str = _req("itemId", _is_str)
    text: str | None = _opt("text", _is_str)
    raw: Any = _opt("raw", None)
    extra: Mapping[str, Any] = _extra()


@final
@attrs.frozen
class FunctionCallArgumentsDelta(_Event):
    type: ClassVar[str] = "function-call-arguments-delta"
    response_id: str = _req("responseId", _is_str)
    item_id: str = _req("itemId", _is_str)
    call_id: str = _req("callId", _is_str)
    delta: str = _req("delta", _is_str)
    raw: Any = _opt("raw", None)
    extra: Mapping[str, Any] = _extra()


@final
@attrs.frozen
class FunctionCallArgumentsDone(_Event):
    """The model called a tool: ``arguments`` is the complete JSON string."""

    type: ClassVar[str] = "function-call-arguments-done"
    response_id: str = _req("responseId", _is_str)
    item_id: str = _req("itemId", _is_str)
    call_id: str = _req("callId", _is_str)
    name: str = _req("name", _is_str)
    arguments: str = _req("arguments", _is_str)
    raw: Any = _opt("raw", None)
    extra: Mapping[str, Any] = _extra()


@final
@attrs.frozen
class ErrorEvent(_Event):
    """An error the Gateway or the upstream model reported in band (not a transport failure)."""

    type: ClassVar[str] = "error"
    message: str = _req("message", _is_str)
    code: str | None = _opt("code", _is_str)
    raw: Any = _opt("raw", None)
    extra: Mapping[str, Any] = _extra()


@final
@attrs.frozen
class CustomEvent(_Event):
    """A provider-specific event the normalization has no type for; ``raw_type`` names it."""

    type: ClassVar[str] = "custom"
    raw_type: str = _req("rawType", _is_str)
    raw: Any = _opt("raw", None)
    extra: Mapping[str, Any] = _extra()


@final
@attrs.frozen
class UnknownServerEvent:
    """A server event with a type this module does not know, or fields that do not fit.

    ``data`` is the JSON object exactly as received; ``type`` reads its ``type``.
    """

    data: Mapping[str, Any]

    @property
    def type(self) -> str:
        return str(self.data.get("type"))

    def to_dict(self) -> dict[str, Any]:
        return dict(self.data)


ServerEvent: TypeAlias = (
    SessionCreated
    | SessionUpdated
    | SpeechStarted
    | SpeechStopped
    | AudioCommitted
    | ConversationItemAdded
    | InputTranscriptionCompleted
    | ResponseCreated
    | ResponseDone
    | OutputItemAdded
    | OutputItemDone
    | ContentPartAdded
    | ContentPartDone
    | AudioDelta
    | AudioDone
    | AudioTranscriptDelta
    | AudioTranscriptDone
    | TextDelta
    | TextDone
    | FunctionCallArgumentsDelta
    | FunctionCallArgumentsDone
    | ErrorEvent
    | CustomEvent
    | UnknownServerEvent
)

_SERVER_CLASSES: Final[tuple[type[_Event], ...]] = (
    SessionCreated,
    SessionUpdated,
    SpeechStarted,
    SpeechStopped,
    AudioCommitted,
    ConversationItemAdded,
    InputTranscriptionCompleted,
    ResponseCreated,
    ResponseDone,
    OutputItemAdded,
    OutputItemDone,
    ContentPartAdded,
    ContentPartDone,
    AudioDelta,
    AudioDone,
    AudioTranscriptDelta,
    AudioTranscriptDone,
    TextDelta,
    TextDone,
    FunctionCallArgumentsDelta,
    FunctionCallArgumentsDone,
    ErrorEvent,
    CustomEvent,
)

for _cls in _SERVER_CLASSES:
    _register(_cls)

_SERVER_BY_TYPE: Final[dict[str, type[_Event]]] = {c.type: c for c in _SERVER_CLASSES}
_FAST_SERVER: Final[dict[str, Callable[[dict[str, Any]], _Event | None]]] = {
    c.type: _make_fast_decoder(c) for c in _SERVER_CLASSES
}
