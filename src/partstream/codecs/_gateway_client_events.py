"""The client side of the normalized realtime protocol (RealtimeModelV4).

The session config (TypedDicts, for type checkers: at run time it is a plain
JSON mapping), the conversation items, and the client events we send (typed
attrs classes that keep unknown keys in ``extra``). Sans-IO.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Final, Literal, NotRequired, TypeAlias, TypedDict, final

import attrs

from ._gateway_schema import (
    _KEY,
    _KIND,
    _Event,
    _extra,
    _is_int,
    _is_number,
    _is_object,
    _is_str,
    _json_object,
    _opt,
    _register,
    _req,
)

__all__ = [
    "AudioFormat",
    "AudioMessage",
    "ClientEvent",
    "ConversationItemCreate",
    "ConversationItemTruncate",
    "FunctionCallOutput",
    "InputAudioAppend",
    "InputAudioClear",
    "InputAudioCommit",
    "ResponseCancel",
    "ResponseCreate",
    "SessionConfig",
    "SessionUpdate",
    "TextMessage",
    "ToolDefinition",
    "TranscriptionConfig",
    "TurnDetection",
    "UnknownClientEvent",
]

# ---------------------------------------------------------------------------------------
# The normalized session config (RealtimeModelV4SessionConfig), for type checkers only:
# at run time the config is a plain JSON mapping and passes through unchanged.


class AudioFormat(TypedDict):
    """SharedV4AudioFormat: a MIME-like ``type`` (``audio/pcm``, ...) and an optional rate."""

    type: str
    rate: NotRequired[int]


class TranscriptionConfig(TypedDict, total=False):
    """Input or output audio transcription settings."""

    model: str
    language: str
    prompt: str


class TurnDetection(TypedDict):
    """Voice activity detection; ``type="disabled"`` (or ``None``) means push-to-talk."""

    type: Literal["server-vad", "semantic-vad", "disabled"]
    threshold: NotRequired[float]
    silenceDurationMs: NotRequired[int]
    prefixPaddingMs: NotRequired[int]


class ToolDefinition(TypedDict):
    """A function the model may call; ``parameters`` is a JSON Schema."""

    type: Literal["function"]
    name: str
    description: NotRequired[str]
    parameters: dict[str, Any]


class SessionConfig(TypedDict, total=False):
    """The provider-neutral realtime session config, camelCase as on the wire."""

    instructions: str
    voice: str
    outputModalities: list[Literal["text", "audio"]]
    inputAudioFormat: AudioFormat
    inputAudioTranscription: TranscriptionConfig
    outputAudioTranscription: TranscriptionConfig
    outputAudioFormat: AudioFormat
    turnDetection: TurnDetection | None
    tools: list[ToolDefinition]
    providerOptions: dict[str, Any]


# ---------------------------------------------------------------------------------------
# Conversation items (RealtimeModelV4ConversationItem): helpers that build the JSON.


@final
@attrs.frozen
class TextMessage(_Event):
    """A user text message item (``{"type": "text-message", "role": "user", "text": ...}``)."""

    type: ClassVar[str] = "text-message"
    text: str = _req("text", _is_str)
    role: str = attrs.field(default="user", metadata={_KEY: "role", _KIND: _is_str})
    extra: Mapping[str, Any] = _extra()


@final
@attrs.frozen
class AudioMessage(_Event):
    """A complete user audio message item; ``audio`` is base64."""

    type: ClassVar[str] = "audio-message"
    audio: str = _req("audio", _is_str)
    role: str = attrs.field(default="user", metadata={_KEY: "role", _KIND: _is_str})
    extra: Mapping[str, Any] = _extra()


@final
@attrs.frozen
class FunctionCallOutput(_Event):
    """A tool result item: ``output`` is a JSON string, ``call_id`` the model's call id."""

    type: ClassVar[str] = "function-call-output"
    call_id: str = _req("callId", _is_str)
    output: str = _req("output", _is_str)
    name: str | None = _opt("name", _is_str)
    extra: Mapping[str, Any] = _extra()


# ---------------------------------------------------------------------------------------
# Client events (RealtimeModelV4ClientEvent)


@final
@attrs.frozen
class SessionUpdate(_Event):
    """Configure the session; ``config`` is the normalized session config JSON."""

    type: ClassVar[str] = "session-update"
    config: Mapping[str, Any] = attrs.field(
        metadata={_KEY: "config", _KIND: _is_object}, converter=_json_object
    )
    extra: Mapping[str, Any] = _extra()


@final
@attrs.frozen
class InputAudioAppend(_Event):
    """Append a base64 audio chunk to the input buffer."""

    type: ClassVar[str] = "input-audio-append"
    audio: str = _req("audio", _is_str)
    extra: Mapping[str, Any] = _extra()


@final
@attrs.frozen
class InputAudioCommit(_Event):
    """Commit the input audio buffer as a user turn."""

    type: ClassVar[str] = "input-audio-commit"
    extra: Mapping[str, Any] = _extra()


@final
@attrs.frozen
class InputAudioClear(_Event):
    """Drop the input audio buffer."""

    type: ClassVar[str] = "input-audio-clear"
    extra: Mapping[str, Any] = _extra()


@final
@attrs.frozen
class ConversationItemCreate(_Event):
    """Add an item (text, audio or tool output) to the conversation."""

    type: ClassVar[str] = "conversation-item-create"
    item: Mapping[str, Any] = attrs.field(
        metadata={_KEY: "item", _KIND: _is_object}, converter=_json_object
    )
    extra: Mapping[str, Any] = _extra()


@final
@attrs.frozen
class ConversationItemTruncate(_Event):
    """Truncate an assistant audio item after ``audio_end_ms`` (barge-in)."""

    type: ClassVar[str] = "conversation-item-truncate"
    item_id: str = _req("itemId", _is_str)
    content_index: int = _req("contentIndex", _is_int)
    audio_end_ms: int = _req("audioEndMs", _is_number)
    extra: Mapping[str, Any] = _extra()


@final
@attrs.frozen
class ResponseCreate(_Event):
    """Ask for a response; ``options`` may carry modalities, instructions, metadata."""

    type: ClassVar[str] = "response-create"
    options: Mapping[str, Any] | None = _opt("options", _is_object)
    extra: Mapping[str, Any] = _extra()


@final
@attrs.frozen
class ResponseCancel(_Event):
    """Cancel the response in progress."""

    type: ClassVar[str] = "response-cancel"
    extra: Mapping[str, Any] = _extra()


@final
@attrs.frozen
class UnknownClientEvent:
    """A client event this module has no type for (or that does not fit its schema)."""

    data: Mapping[str, Any]

    @property
    def type(self) -> str:
        return str(self.data.get("type"))

    def to_dict(self) -> dict[str, Any]:
        return dict(self.data)


ClientEvent: TypeAlias = (
    SessionUpdate
    | InputAudioAppend
    | InputAudioCommit
    | InputAudioClear
    | ConversationItemCreate
    | ConversationItemTruncate
    | ResponseCreate
    | ResponseCancel
    | UnknownClientEvent
)

_CLIENT_CLASSES: Final[tuple[type[_Event], ...]] = (
    SessionUpdate,
    InputAudioAppend,
    InputAudioCommit,
    InputAudioClear,
    ConversationItemCreate,
    ConversationItemTruncate,
    ResponseCreate,
    ResponseCancel,
)

for _cls in (TextMessage, AudioMessage, FunctionCallOutput, *_CLIENT_CLASSES):
    _register(_cls)

_CLIENT_BY_TYPE: Final[dict[str, type[_Event]]] = {c.type: c for c in _CLIENT_CLASSES}
