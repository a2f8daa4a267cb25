"""Normalized AI SDK realtime events (RealtimeModelV4) and the Gateway's identity codec.

The AI Gateway speaks the normalized realtime protocol on both sides, so its
codec is the identity: a server event is the JSON object the Gateway sent, a
client event is the JSON object we send. This module gives those objects
frozen attrs types without losing anything:

* every class keeps the keys its schema does not name (and explicit JSON
  ``null`` values of optional keys) in ``extra``, so
  ``server_event_from_dict(d).to_dict() == d`` for every object with a string
  ``type``;
* an event whose ``type`` is unknown, or whose fields do not fit the normalized
  schema, becomes :class:`UnknownServerEvent` / :class:`UnknownClientEvent`
  carrying the object as is (``event.type`` still reads the wire type).

Attributes are snake_case; ``to_dict()`` gives the camelCase wire JSON with
absent (``None``) values omitted. Sans-IO: no anyio, no httpx.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, ClassVar, Final, Literal, NotRequired, TypeAlias, TypedDict, final

import attrs

from ..errors import InvalidArgumentError, InvalidResponseDataError

__all__ = [
    "AudioCommitted",
    "AudioDelta",
    "AudioDone",
    "AudioFormat",
    "AudioMessage",
    "AudioTranscriptDelta",
    "AudioTranscriptDone",
    "ClientEvent",
    "ContentPartAdded",
    "ContentPartDone",
    "ConversationItemAdded",
    "ConversationItemCreate",
    "ConversationItemTruncate",
    "CustomEvent",
    "ErrorEvent",
    "FunctionCallArgumentsDelta",
    "FunctionCallArgumentsDone",
    "FunctionCallOutput",
    "InputAudioAppend",
    "InputAudioClear",
    "InputAudioCommit",
    "InputTranscriptionCompleted",
    "OutputItemAdded",
    "OutputItemDone",
    "ResponseCancel",
    "ResponseCreate",
    "ResponseCreated",
    "ResponseDone",
    "ServerEvent",
    "SessionConfig",
    "SessionCreated",
    "SessionUpdate",
    "SessionUpdated",
    "SpeechStarted",
    "SpeechStopped",
    "TextDelta",
    "TextDone",
    "TextMessage",
    "ToolDefinition",
    "TranscriptionConfig",
    "TurnDetection",
    "UnknownClientEvent",
    "UnknownServerEvent",
    "build_session_config",
    "client_event_from_dict",
    "decode_server_message",
    "encode_client_event",
    "parse_server_event",
    "serialize_client_event",
    "server_event_from_dict",
]

_EMPTY: Final[Mapping[str, Any]] = MappingProxyType({})
_MISSING: Final = object()

# Field metadata: the JSON key and the kind of JSON value the schema allows.
_KEY: Final = "json"
_KIND: Final = "kind"


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_object(value: Any) -> bool:
    return isinstance(value, Mapping)


def _is_str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


_Check = Callable[[Any], bool] | None


def _req(key: str, check: _Check) -> Any:
    return attrs.field(metadata={_KEY: key, _KIND: check})


def _opt(key: str, check: _Check, *, converter: Any = None) -> Any:
    if converter is not None:
        return attrs.field(default=None, metadata={_KEY: key, _KIND: check}, converter=converter)
    return attrs.field(default=None, metadata={_KEY: key, _KIND: check})


def _extra() -> Any:
    return attrs.field(factory=lambda: _EMPTY, kw_only=True, repr=False)


def _json_object(value: Any) -> Any:
    """Accept a typed item/config (anything with ``to_dict``) where JSON is expected."""
    to_dict = getattr(value, "to_dict", None)
    return to_dict() if callable(to_dict) else value


# (attribute, JSON key, check, required)
_Spec = tuple[tuple[str, str, _Check, bool], ...]


class _Event:
    """Mixin: wire (de)serialisation driven by the attrs fields' metadata."""

    __slots__ = ()
    type: ClassVar[str]
    _spec: ClassVar[_Spec] = ()
    _names: ClassVar[frozenset[str]] = frozenset()
    extra: Mapping[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """The wire JSON object: camelCase keys, ``None`` omitted, ``extra`` merged back."""
        out: dict[str, Any] = {"type": self.type}
        for attr, key, _, _ in self._spec:
            value = getattr(self, attr)
            if value is not None:
                out[key] = value
        if self.extra:
            out.update(self.extra)
        return out


def _register(cls: type[_Event]) -> None:
    spec: list[tuple[str, str, _Check, bool]] = []
    for f in attrs.fields(cls):  # type: ignore[arg-type]  # every _Event is attrs
        if f.name == "extra":
            continue
        spec.append((f.name, f.metadata[_KEY], f.metadata[_KIND], f.default is attrs.NOTHING))
    cls._spec = tuple(spec)
    cls._names = frozenset(["type", *(key for _, key, _, _ in spec)])


def _decode(cls: type[_Event], data: Mapping[str, Any]) -> _Event | None:
    """Build ``cls`` from ``data``, or ``None`` if the data does not fit the schema."""
    kwargs: dict[str, Any] = {}
    nulls: list[str] | None = None
    matched = 1  # "type"
    for attr, key, check, required in cls._spec:
        value = data.get(key, _MISSING)
        if value is _MISSING:
            if required:
                return None
            continue
        matched += 1
        if value is None:
            # An explicit null: allowed where the schema allows anything or the key is
            # optional; kept in ``extra`` so the round trip gives it back.
            if required and check is not None:
                return None
            if nulls is None:
                nulls = []
            nulls.append(key)
            if required:
                kwargs[attr] = None
            continue
        if check is not None and not check(value):
            return None
        kwargs[attr] = value
    if matched != len(data) or nulls is not None:
        names = cls._names
        extra = {k: v for k, v in data.items() if k not in names}
        for key in nulls or ():
            extra[key] = None
        kwargs["extra"] = extra
    try:
        return cls(**kwargs)
    except (TypeError, ValueError):  # pragma: no cover - the checks above rule it out
        return None


_FAST_CHECKS: Final[dict[Any, str]] = {
    _is_str: "type({v}) is str",
    _is_object: "type({v}) is dict",
    _is_int: "type({v}) is int",
    _is_number: "(type({v}) is int or type({v}) is float)",
    None: "True",
}


def _make_fast_decoder(cls: type[_Event]) -> Callable[[dict[str, Any]], _Event | None]:
    """A decoder specialised for ``cls`` (generated once, like attrs' ``__init__``).

    It handles the common case in straight-line code: exact JSON types, no explicit
    nulls, no extra keys. Anything else goes to the generic :func:`_decode`, so the
    result is the same either way (the property tests compare the two).
    """
    lines = ["def fast(data):", "    get = data.get"]
    args: list[str] = []
    present = 1
    optional: list[str] = []
    for index, (_, key, check, required) in enumerate(cls._spec):
        name = f"v{index}"
        args.append(name)
        test = _FAST_CHECKS[check].format(v=name)
        lines.append(f"    {name} = get({key!r}, MISSING)")
        if required:
            present += 1
            lines.append(f"    if {name} is MISSING or {name} is None or not {test}:")
            lines.append("        return slow(cls, data)")
        else:
            optional.append(name)
            lines.append(f"    if {name} is MISSING:")
            lines.append(f"        {name} = None")
            lines.append(f"    elif {name} is None or not {test}:")
            lines.append("        return slow(cls, data)")
    count = " + ".join([str(present), *(f"({n} is not None)" for n in optional)])
    lines.append(f"    if len(data) != {count}:")
    lines.append("        return slow(cls, data)")
    lines.append(f"    return cls({', '.join(args)})")
    namespace: dict[str, Any] = {"MISSING": _MISSING, "slow": _decode, "cls": cls}
    exec(compile("\n".join(lines), f"<fast decoder {cls.__name__}>", "exec"), namespace)
    decoder: Callable[[dict[str, Any]], _Event | None] = namespace["fast"]
    return decoder


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

for _cls in (TextMessage, AudioMessage, FunctionCallOutput, *_CLIENT_CLASSES, *_SERVER_CLASSES):
    _register(_cls)

_SERVER_BY_TYPE: Final[dict[str, type[_Event]]] = {c.type: c for c in _SERVER_CLASSES}
_FAST_SERVER: Final[dict[str, Callable[[dict[str, Any]], _Event | None]]] = {
    c.type: _make_fast_decoder(c) for c in _SERVER_CLASSES
}
_CLIENT_BY_TYPE: Final[dict[str, type[_Event]]] = {c.type: c for c in _CLIENT_CLASSES}


# ---------------------------------------------------------------------------------------
# The codec


def server_event_from_dict(data: Any) -> ServerEvent:
    """Type a server event; unknown or ill-fitting ones become :class:`UnknownServerEvent`.

    Raises :class:`InvalidResponseDataError` only when ``data`` is not an object with
    a string ``type`` (then it is not a normalized realtime event at all).
    """
    if type(data) is dict:
        kind = data.get("type")
        if type(kind) is str:
            fast = _FAST_SERVER.get(kind)
            if fast is not None:
                event = fast(data)
                if event is not None:
                    return event  # type: ignore[return-value]
            return UnknownServerEvent(data=data)
    if not isinstance(data, Mapping):
        raise InvalidResponseDataError(
            f"a realtime server event must be a JSON object, got {type(data).__name__}",
            data=data,
        )
    kind = data.get("type")
    if not isinstance(kind, str):
        raise InvalidResponseDataError(
            "a realtime server event must have a string 'type'", data=dict(data)
        )
    cls = _SERVER_BY_TYPE.get(kind)
    if cls is not None:
        decoded = _decode(cls, data)
        if decoded is not None:
            return decoded  # type: ignore[return-value]
    return UnknownServerEvent(data=data)


def client_event_from_dict(data: Any) -> ClientEvent:
    """Type a client event (what a server reads); unknown ones become UnknownClientEvent.

    Raises :class:`InvalidArgumentError` when ``data`` is not an object with a string
    ``type``.
    """
    if not isinstance(data, Mapping) or not isinstance(data.get("type"), str):
        raise InvalidArgumentError(
            "a realtime client event must be a JSON object with a string 'type'",
            argument="event",
        )
    cls = _CLIENT_BY_TYPE.get(data["type"])
    if cls is not None:
        event = _decode(cls, data)
        if event is not None:
            return event  # type: ignore[return-value]
    return UnknownClientEvent(data=data)


def parse_server_event(raw: Any) -> ServerEvent:
    """The Gateway's ``parseServerEvent``: identity on the JSON, typed for Python."""
    return server_event_from_dict(raw)


def serialize_client_event(event: Any) -> dict[str, Any]:
    """The Gateway's ``serializeClientEvent``: the normalized JSON object, unchanged.

    A mapping must have a string ``type`` and is otherwise passed through as is.
    """
    if isinstance(event, Mapping):
        if not isinstance(event.get("type"), str):
            raise InvalidArgumentError(
                "a realtime client event must have a string 'type'", argument="event"
            )
        return dict(event)
    to_dict = getattr(event, "to_dict", None)
    if not callable(to_dict):
        raise InvalidArgumentError(
            f"not a realtime client event: {type(event).__name__}", argument="event"
        )
    result: dict[str, Any] = to_dict()
    return result


def build_session_config(config: Any) -> dict[str, Any]:
    """The Gateway's ``buildSessionConfig``: the normalized config, unchanged."""
    if not isinstance(config, Mapping):
        raise InvalidArgumentError("session_config must be a mapping", argument="session_config")
    return dict(config)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def encode_client_event(event: ClientEvent | Mapping[str, Any]) -> str:
    """Serialize a client event to the text of one WebSocket message (compact JSON)."""
    data = serialize_client_event(event)
    try:
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidArgumentError(
            f"realtime client event is not JSON-serializable: {exc}", argument="event"
        ) from None


def _loads_stdlib(text: str | bytes) -> Any:
    # strict=False: a raw control character inside a string is taken as is (what the
    # flat-object scanner below does too, so every path accepts the same texts).
    return json.loads(text, parse_constant=_reject_constant, strict=False)


_BIG: Final = 9.2e18  # just under 2**63: orjson turns larger integers into floats


def _has_big_float(value: Any) -> bool:
    """True if a parsed value holds a float large enough to have been a >64-bit integer."""
    if type(value) is dict:
        values: Any = value.values()
    elif type(value) is list:
        values = value
    else:
        return type(value) is float and (value >= _BIG or value <= -_BIG)
    for item in values:
        kind = type(item)
        if kind is str:
            continue
        if kind is float:
            if item >= _BIG or item <= -_BIG:
                return True
        elif (kind is dict or kind is list) and _has_big_float(item):
            return True
    return False


def _make_loads() -> Callable[[str | bytes], Any]:
    try:  # the optional "fast" extra
        import orjson
    except ImportError:  # pragma: no cover - depends on the environment
        return _loads_stdlib
    fast = orjson.loads

    def loads(text: str | bytes) -> Any:
        # The result must not depend on the extra being installed: where orjson and
        # the standard library could disagree (it refuses or rounds integers beyond
        # 64 bits), the standard library decides.
        try:
            value = fast(text)
        except ValueError:
            return _loads_stdlib(text)
        if _has_big_float(value):
            return _loads_stdlib(text)
        return value

    return loads


_loads_json: Final = _make_loads()


#: Messages at least this long that look like a flat object of strings are split by
#: :func:`_scan_flat_strings` instead of a JSON parser (big audio deltas).
_SCAN_MIN: Final = 2048


def _scan_flat_strings(text: str) -> dict[str, str] | None:
    """Parse ``{"k":"v","k":"v",...}`` (compact, string values, no escapes), else ``None``.

    The Gateway writes compact JSON, and its large events are audio deltas whose
    values are plain strings (base64 has neither quotes nor backslashes). Without a
    backslash in the text every string ends at the next quote, so ``str.find`` gives
    the same object a JSON parser would, at memchr speed. Any other shape (nesting,
    numbers, spaces, escapes) returns ``None`` and the caller parses it fully.
    """
    if "\\" in text or text[:2] != '{"' or text[-2:] != '"}':
        return None
    out: dict[str, str] = {}
    find = text.find
    end = len(text) - 1
    pos = 1
    while True:
        key_end = find('"', pos + 1)
        if key_end < 0 or text[key_end + 1 : key_end + 3] != ':"':
            return None
        value_end = find('"', key_end + 3)
        if value_end < 0:
            return None
        out[text[pos + 1 : key_end]] = text[key_end + 3 : value_end]
        if value_end + 1 == end:
            return out
        if text[value_end + 1 : value_end + 3] != ',"':
            return None
        pos = value_end + 2


def decode_server_message(message: str | bytes) -> ServerEvent:
    """Decode one WebSocket message (text, or UTF-8 bytes) into a typed server event.

    Raises :class:`InvalidResponseDataError` if it is not a JSON object with a string
    ``type``.
    """
    if type(message) is str and len(message) >= _SCAN_MIN:
        flat = _scan_flat_strings(message)
        if flat is not None:
            return server_event_from_dict(flat)
    try:
        value = _loads_json(message)
    except (ValueError, TypeError, RecursionError) as exc:
        excerpt = message[:200]
        raise InvalidResponseDataError(
            f"realtime server message is not valid JSON: {exc}", data=excerpt
        ) from None
    return server_event_from_dict(value)
