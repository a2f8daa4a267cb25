"""Stream parts, generate-result content and warnings in the AI SDK's JSON shape.

One frozen, slotted attrs class per LanguageModelV4 stream part. Attributes are
snake_case; :meth:`to_dict` returns the AI SDK JSON (camelCase keys, ``None``
values omitted) and :func:`from_dict` inverts it::

    >>> TextDelta(id="0", delta="hi").to_dict()
    {'type': 'text-delta', 'id': '0', 'delta': 'hi'}
    >>> from_dict({'type': 'text-delta', 'id': '0', 'delta': 'hi'})
    TextDelta(id='0', delta='hi', provider_metadata=None)

Values that are free JSON in the AI SDK (``providerMetadata``, ``rawValue``,
``error``, a tool ``result``, ``usage.raw``) are kept as plain Python JSON values.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Final, TypeAlias, final

import attrs

from .errors import InvalidArgumentError

__all__ = [
    "CompatibilityWarning",
    "Content",
    "Custom",
    "DataContent",
    "DeprecatedWarning",
    "DocumentSource",
    "Error",
    "File",
    "FileData",
    "Finish",
    "FinishReason",
    "InputTokens",
    "OtherWarning",
    "OutputTokens",
    "Part",
    "ProviderMetadata",
    "Raw",
    "Reasoning",
    "ReasoningDelta",
    "ReasoningEnd",
    "ReasoningFile",
    "ReasoningStart",
    "ResponseMetadata",
    "Source",
    "StreamStart",
    "Text",
    "TextDelta",
    "TextEnd",
    "TextStart",
    "ToolApprovalRequest",
    "ToolCall",
    "ToolInputDelta",
    "ToolInputEnd",
    "ToolInputStart",
    "ToolResult",
    "UnsupportedWarning",
    "UrlContent",
    "UrlSource",
    "Usage",
    "Warning",
    "content_from_dict",
    "format_timestamp",
    "from_dict",
    "parse_timestamp",
    "warning_from_dict",
]

ProviderMetadata: TypeAlias = dict[str, dict[str, Any]]

_JSON_KEY: Final = "json"


def _key(name: str, *, default: Any = None, converter: Any = None) -> Any:
    """An attrs field whose JSON key is ``name`` (camelCase)."""
    if converter is not None:
        return attrs.field(default=default, metadata={_JSON_KEY: name}, converter=converter)
    return attrs.field(default=default, metadata={_JSON_KEY: name})


def _req(name: str, *, converter: Any = None) -> Any:
    if converter is not None:
        return attrs.field(metadata={_JSON_KEY: name}, converter=converter)
    return attrs.field(metadata={_JSON_KEY: name})


# ---------------------------------------------------------------------------------------
# Timestamps: JavaScript's Date.prototype.toISOString() form, e.g. 2026-05-15T18:51:55.000Z


def format_timestamp(value: _dt.datetime) -> str:
    """Format like JavaScript's ``Date.toISOString()`` (UTC, milliseconds, ``Z``)."""
    if value.tzinfo is not None:
        value = value.astimezone(_dt.UTC).replace(tzinfo=None)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def parse_timestamp(text: str) -> _dt.datetime:
    """Parse an ISO 8601 timestamp into an aware UTC datetime."""
    try:
        parsed = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidArgumentError(f"not an ISO 8601 timestamp: {text!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=_dt.UTC)
    return parsed.astimezone(_dt.UTC)


# ---------------------------------------------------------------------------------------
# Generic (de)serialisation driven by the fields' JSON keys.


class _Shape:
    """Mixin: ``to_dict`` from the attrs fields, omitting ``None`` values."""

    # The weak reference slot lives here, not after each class's fields (where attrs
    # would put it): then a plain class with the same field slots has the same
    # instance layout, which ``_layout_twin`` relies on. Parts stay weak-referenceable.
    __slots__ = ("__weakref__",)
    type: ClassVar[str]
    _fixed: ClassVar[dict[str, Any]] = {}

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type} if self.type else {}
        out.update(self._fixed)
        for name, key, encode in _codec(type(self))[0]:
            value = getattr(self, name)
            if value is not None:
                out[key] = encode(value) if encode is not None else value
        return out


_Encoder = Callable[[Any], Any] | None
_CODECS: dict[type, tuple[list[tuple[str, str, _Encoder]], list[tuple[str, str, _Encoder]]]] = {}


def _encode_value(value: Any) -> Any:
    if isinstance(value, _Shape):
        return value.to_dict()
    if isinstance(value, tuple):
        return [_encode_value(v) for v in value]
    if isinstance(value, _dt.datetime):
        return format_timestamp(value)
    return value


def _codec(
    cls: type,
) -> tuple[list[tuple[str, str, _Encoder]], list[tuple[str, str, _Encoder]]]:
    cached = _CODECS.get(cls)
    if cached is not None:
        return cached
    enc: list[tuple[str, str, _Encoder]] = []
    dec: list[tuple[str, str, _Encoder]] = []
    for f in attrs.fields(cls):
        key = f.metadata.get(_JSON_KEY, f.name)
        decoder = _DECODERS.get((cls, f.name))
        needs_encode = (cls, f.name) in _DECODERS
        enc.append((f.name, key, _encode_value if needs_encode else None))
        dec.append((f.name, key, decoder))
    _CODECS[cls] = (enc, dec)
    return enc, dec


def _build(cls: type[Any], data: Mapping[str, Any]) -> Any:
    kwargs: dict[str, Any] = {}
    for name, key, decode in _codec(cls)[1]:
        if key in data and data[key] is not None:
            value = data[key]
            kwargs[name] = decode(value) if decode is not None else value
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise InvalidArgumentError(f"invalid {cls.__name__} data: {exc}") from None


# ---------------------------------------------------------------------------------------
# Warnings (SharedV4Warning)


@final
@attrs.frozen
class UnsupportedWarning(_Shape):
    """A feature the provider does not support was used."""

    type: ClassVar[str] = "unsupported"
    feature: str = _req("feature")
    details: str | None = _key("details")


@final
@attrs.frozen
class CompatibilityWarning(_Shape):
    """A feature is supported only in a compatibility mode."""

    type: ClassVar[str] = "compatibility"
    feature: str = _req("feature")
    details: str | None = _key("details")


@final
@attrs.frozen
class DeprecatedWarning(_Shape):
    """A deprecated setting was used."""

    type: ClassVar[str] = "deprecated"
    setting: str = _req("setting")
    message: str = _req("message")


@final
@attrs.frozen
class OtherWarning(_Shape):
    """Any other warning, as a message."""

    type: ClassVar[str] = "other"
    message: str = _req("message")


Warning: TypeAlias = UnsupportedWarning | CompatibilityWarning | DeprecatedWarning | OtherWarning

_WARNINGS: dict[str, type[Any]] = {
    c.type: c for c in (UnsupportedWarning, CompatibilityWarning, DeprecatedWarning, OtherWarning)
}


_WARNING_CLASSES = (UnsupportedWarning, CompatibilityWarning, DeprecatedWarning, OtherWarning)


def warning_from_dict(data: Mapping[str, Any]) -> Warning:
    """Build a warning from its AI SDK JSON."""
    cls = _WARNINGS.get(data.get("type", ""))
    if cls is None:
        raise InvalidArgumentError(f"unknown warning type: {data.get('type')!r}")
    return _build(cls, data)  # type: ignore[no-any-return]


def _warnings(value: Any) -> tuple[Warning, ...]:
    return tuple(w if isinstance(w, _WARNING_CLASSES) else warning_from_dict(w) for w in value)


# ---------------------------------------------------------------------------------------
# Nested values: file data, usage, finish reason


@final
@attrs.frozen
class DataContent(_Shape):
    """Inline file data, base64-encoded (``{"type": "data", "data": ...}``)."""

    type: ClassVar[str] = "data"
    data: str = _req("data")


@final
@attrs.frozen
class UrlContent(_Shape):
    """File data by URL (``{"type": "url", "url": ...}``)."""

    type: ClassVar[str] = "url"
    url: str = _req("url")


FileData: TypeAlias = DataContent | UrlContent


def _file_data(value: Any) -> FileData:
    if isinstance(value, DataContent | UrlContent):
        return value
    kind = value.get("type")
    if kind == "data":
        return _build(DataContent, value)  # type: ignore[no-any-return]
    if kind == "url":
        return _build(UrlContent, value)  # type: ignore[no-any-return]
    raise InvalidArgumentError(f"unknown file data type: {kind!r}")


@final
@attrs.frozen
class InputTokens(_Shape):
    """Input token counts; ``None`` means the provider did not report it."""

    type: ClassVar[str] = ""
    total: int | None = _key("total")
    no_cache: int | None = _key("noCache")
    cache_read: int | None = _key("cacheRead")
    cache_write: int | None = _key("cacheWrite")


@final
@attrs.frozen
class OutputTokens(_Shape):
    """Output token counts; ``None`` means the provider did not report it."""

    type: ClassVar[str] = ""
    total: int | None = _key("total")
    text: int | None = _key("text")
    reasoning: int | None = _key("reasoning")


def _input_tokens(value: Any) -> InputTokens:
    return value if isinstance(value, InputTokens) else _build(InputTokens, value)


def _output_tokens(value: Any) -> OutputTokens:
    return value if isinstance(value, OutputTokens) else _build(OutputTokens, value)


@final
@attrs.frozen
class Usage(_Shape):
    """LanguageModelV4Usage: input and output token breakdown plus the provider's raw usage."""

    type: ClassVar[str] = ""
    input_tokens: InputTokens = _key("inputTokens", default=InputTokens(), converter=_input_tokens)
    output_tokens: OutputTokens = _key(
        "outputTokens", default=OutputTokens(), converter=_output_tokens
    )
    raw: dict[str, Any] | None = _key("raw")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Usage:
        return _build(cls, data)  # type: ignore[no-any-return]


@final
@attrs.frozen
class FinishReason(_Shape):
    """LanguageModelV4FinishReason: the unified reason and the provider's raw one."""

    type: ClassVar[str] = ""
    unified: str = _req("unified")
    raw: str | None = _key("raw")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FinishReason:
        return _build(cls, data)  # type: ignore[no-any-return]


def _usage(value: Any) -> Usage:
    return value if isinstance(value, Usage) else Usage.from_dict(value)


def _finish_reason(value: Any) -> FinishReason:
    return value if isinstance(value, FinishReason) else FinishReason.from_dict(value)


def _timestamp(value: Any) -> _dt.datetime:
    return value if isinstance(value, _dt.datetime) else parse_timestamp(value)


# ---------------------------------------------------------------------------------------
# Stream parts


@final
@attrs.frozen
class StreamStart(_Shape):
    """First part of every stream: the call's warnings."""

    type: ClassVar[str] = "stream-start"
    warnings: tuple[Warning, ...] = _key("warnings", default=(), converter=_warnings)


@final
@attrs.frozen
class ResponseMetadata(_Shape):
    """Response id, timestamp and model id, sent once they are known."""

    type: ClassVar[str] = "response-metadata"
    id: str | None = _key("id")
    timestamp: _dt.datetime | None = _key("timestamp")
    model_id: str | None = _key("modelId")


@final
@attrs.frozen
class TextStart(_Shape):
    type: ClassVar[str] = "text-start"
    id: str = _req("id")
    provider_metadata: ProviderMetadata | None = _key("providerMetadata")


@final
@attrs.frozen
class TextDelta(_Shape):
    type: ClassVar[str] = "text-delta"
    id: str = _req("id")
    delta: str = _req("delta")
    provider_metadata: ProviderMetadata | None = _key("providerMetadata")


@final
@attrs.frozen
class TextEnd(_Shape):
    type: ClassVar[str] = "text-end"
    id: str = _req("id")
    provider_metadata: ProviderMetadata | None = _key("providerMetadata")


@final
@attrs.frozen
class ReasoningStart(_Shape):
    type: ClassVar[str] = "reasoning-start"
    id: str = _req("id")
    provider_metadata: ProviderMetadata | None = _key("providerMetadata")


@final
@attrs.frozen
class ReasoningDelta(_Shape):
    type: ClassVar[str] = "reasoning-delta"
    id: str = _req("id")
    delta: str = _req("delta")
    provider_metadata: ProviderMetadata | None = _key("providerMetadata")


@final
@attrs.frozen
class ReasoningEnd(_Shape):
    type: ClassVar[str] = "reasoning-end"
    id: str = _req("id")
    provider_metadata: ProviderMetadata | None = _key("providerMetadata")


@final
@attrs.frozen
class ToolInputStart(_Shape):
    type: ClassVar[str] = "tool-input-start"
    id: str = _req("id")
    tool_name: str = _req("toolName")
    provider_metadata: ProviderMetadata | None = _key("providerMetadata")
    provider_executed: bool | None = _key("providerExecuted")
    dynamic: bool | None = _key("dynamic")
    title: str | None = _key("title")


@final
@attrs.frozen
class ToolInputDelta(_Shape):
    type: ClassVar[str] = "tool-input-delta"
    id: str = _req("id")
    delta: str = _req("delta")
    provider_metadata: ProviderMetadata | None = _key("providerMetadata")


@final
@attrs.frozen
class ToolInputEnd(_Shape):
    type: ClassVar[str] = "tool-input-end"
    id: str = _req("id")
    provider_metadata: ProviderMetadata | None = _key("providerMetadata")


@final
@attrs.frozen
class ToolApprovalRequest(_Shape):
    type: ClassVar[str] = "tool-approval-request"
    approval_id: str = _req("approvalId")
    tool_call_id: str = _req("toolCallId")
    provider_metadata: ProviderMetadata | None = _key("providerMetadata")


@final
@attrs.frozen
class ToolCall(_Shape):
    """A complete tool call; ``input`` is the arguments as a JSON string."""

    type: ClassVar[str] = "tool-call"
    tool_call_id: str = _req("toolCallId")
    tool_name: str = _req("toolName")
    input: str = _req("input")
    provider_executed: bool | None = _key("providerExecuted")
    dynamic: bool | None = _key("dynamic")
    provider_metadata: ProviderMetadata | None = _key("providerMetadata")


@final
@attrs.frozen
class ToolResult(_Shape):
    """The result of a (provider-executed) tool call; ``result`` is any JSON value.

    A missing result is JSON ``null`` (the reference sends ``result ?? null``), so
    ``to_dict`` always carries the ``result`` key.
    """

    type: ClassVar[str] = "tool-result"
    tool_call_id: str = _req("toolCallId")
    tool_name: str = _req("toolName")
    result: Any = _key("result")
    is_error: bool | None = _key("isError")
    preliminary: bool | None = _key("preliminary")
    dynamic: bool | None = _key("dynamic")
    provider_metadata: ProviderMetadata | None = _key("providerMetadata")

    def to_dict(self) -> dict[str, Any]:
        out = _Shape.to_dict(self)
        out.setdefault("result", None)
        return out


@final
@attrs.frozen
class Custom(_Shape):
    type: ClassVar[str] = "custom"
    kind: str = _req("kind")
    provider_metadata: ProviderMetadata | None = _key("providerMetadata")


@final
@attrs.frozen
class File(_Shape):
    """A generated file: inline base64 data or a URL."""

    type: ClassVar[str] = "file"
    media_type: str = _req("mediaType")
    data: FileData = _req("data", converter=_file_data)
    provider_metadata: ProviderMetadata | None = _key("providerMetadata")


@final
@attrs.frozen
class ReasoningFile(_Shape):
    type: ClassVar[str] = "reasoning-file"
    media_type: str = _req("mediaType")
    data: FileData = _req("data", converter=_file_data)
    provider_metadata: ProviderMetadata | None = _key("providerMetadata")


@final
@attrs.frozen
class UrlSource(_Shape):
    """A cited web page (``sourceType: "url"``)."""

    type: ClassVar[str] = "source"
    _fixed: ClassVar[dict[str, Any]] = {"sourceType": "url"}
    id: str = _req("id")
    url: str = _req("url")
    title: str | None = _key("title")
    provider_metadata: ProviderMetadata | None = _key("providerMetadata")


@final
@attrs.frozen
class DocumentSource(_Shape):
    """A cited document (``sourceType: "document"``)."""

    type: ClassVar[str] = "source"
    _fixed: ClassVar[dict[str, Any]] = {"sourceType": "document"}
    id: str = _req("id")
    media_type: str = _req("mediaType")
    title: str = _req("title")
    filename: str | None = _key("filename")
    provider_metadata: ProviderMetadata | None = _key("providerMetadata")


Source: TypeAlias = UrlSource | DocumentSource


@final
@attrs.frozen
class Error(_Shape):
    """An error inside the stream; the stream goes on. ``error`` is JSON-like."""

    type: ClassVar[str] = "error"
    error: Any = _req("error")


@final
@attrs.frozen
class Raw(_Shape):
    """A raw provider chunk, when ``include_raw_chunks`` is on.

    ``raw_value`` is ``None`` (and ``rawValue`` omitted) for a chunk that was not
    JSON, as the reference's ``rawValue: undefined``.
    """

    type: ClassVar[str] = "raw"
    raw_value: Any = _key("rawValue")


@final
@attrs.frozen
class Finish(_Shape):
    """Last part: usage, finish reason and provider metadata."""

    type: ClassVar[str] = "finish"
    usage: Usage = _req("usage", converter=_usage)
    finish_reason: FinishReason = _req("finishReason", converter=_finish_reason)
    provider_metadata: ProviderMetadata | None = _key("providerMetadata")


# ---------------------------------------------------------------------------------------
# Generate-result content (LanguageModelV4Content)


@final
@attrs.frozen
class Text(_Shape):
    type: ClassVar[str] = "text"
    text: str = _req("text")
    provider_metadata: ProviderMetadata | None = _key("providerMetadata")


@final
@attrs.frozen
class Reasoning(_Shape):
    type: ClassVar[str] = "reasoning"
    text: str = _req("text")
    provider_metadata: ProviderMetadata | None = _key("providerMetadata")


Part: TypeAlias = (
    StreamStart
    | ResponseMetadata
    | TextStart
    | TextDelta
    | TextEnd
    | ReasoningStart
    | ReasoningDelta
    | ReasoningEnd
    | ToolInputStart
    | ToolInputDelta
    | ToolInputEnd
    | ToolApprovalRequest
    | ToolCall
    | ToolResult
    | Custom
    | File
    | ReasoningFile
    | UrlSource
    | DocumentSource
    | Error
    | Raw
    | Finish
)

Content: TypeAlias = (
    Text
    | Reasoning
    | Custom
    | ReasoningFile
    | File
    | ToolApprovalRequest
    | UrlSource
    | DocumentSource
    | ToolCall
    | ToolResult
)

# Fields whose JSON value is not stored as is: decoded on the way in, encoded on the way out.
_DECODERS: dict[tuple[type, str], Callable[[Any], Any]] = {
    (StreamStart, "warnings"): _warnings,
    (ResponseMetadata, "timestamp"): _timestamp,
    (File, "data"): _file_data,
    (ReasoningFile, "data"): _file_data,
    (Finish, "usage"): _usage,
    (Finish, "finish_reason"): _finish_reason,
    (Usage, "input_tokens"): _input_tokens,
    (Usage, "output_tokens"): _output_tokens,
}

_PART_TYPES: dict[str, type[Any]] = {
    c.type: c
    for c in (
        StreamStart,
        ResponseMetadata,
        TextStart,
        TextDelta,
        TextEnd,
        ReasoningStart,
        ReasoningDelta,
        ReasoningEnd,
        ToolInputStart,
        ToolInputDelta,
        ToolInputEnd,
        ToolApprovalRequest,
        ToolCall,
        ToolResult,
        Custom,
        File,
        ReasoningFile,
        Error,
        Raw,
        Finish,
        Text,
        Reasoning,
    )
}
_SOURCE_TYPES: dict[str, type[Any]] = {"url": UrlSource, "document": DocumentSource}


def from_dict(data: Mapping[str, Any]) -> Part | Content:
    """Build a stream part (or generate content) from its AI SDK JSON shape."""
    kind = data.get("type")
    if kind == "source":
        cls = _SOURCE_TYPES.get(data.get("sourceType", ""))
        if cls is None:
            raise InvalidArgumentError(f"unknown sourceType: {data.get('sourceType')!r}")
    else:
        found = _PART_TYPES.get(kind) if isinstance(kind, str) else None
        if found is None:
            raise InvalidArgumentError(f"unknown part type: {kind!r}")
        cls = found
    return _build(cls, data)  # type: ignore[no-any-return]


def content_from_dict(data: Mapping[str, Any]) -> Content:
    """Build generate-result content; rejects stream-only part types."""
    part = from_dict(data)
    if not isinstance(
        part,
        Text
        | Reasoning
        | Custom
        | ReasoningFile
        | File
        | ToolApprovalRequest
        | UrlSource
        | DocumentSource
        | ToolCall
        | ToolResult,
    ):
        raise InvalidArgumentError(f"{data.get('type')!r} is a stream part, not content")
    return part


# ---------------------------------------------------------------------------------------
# Construction speed, for codecs' hot paths (private)


def _plain_fields(cls: type[Any]) -> tuple[str, ...]:
    """The field names of a slotted attrs class whose ``__init__`` only stores them."""
    if "__slots__" not in cls.__dict__ or any(
        hasattr(cls, hook) for hook in ("__attrs_pre_init__", "__attrs_post_init__")
    ):
        raise TypeError(f"{cls.__name__} is not a plain slotted attrs class")
    for field in attrs.fields(cls):
        if field.converter is not None or field.validator is not None or field.on_setattr:
            raise TypeError(f"{cls.__name__}.{field.name} has hooks __init__ would run")
    return tuple(field.name for field in attrs.fields(cls))


def _layout_twin(cls: type[Any]) -> type[Any] | None:
    """A plain class with the instance layout of part class ``cls``, or ``None``.

    The fastest way to build a frozen slotted instance in Python: create a twin,
    store every field on it (plain slot stores), then set its ``__class__`` to
    ``cls``. CPython allows that assignment between classes with the same slots and
    bases ("__class__ assignment works only if both classes have the same
    __slots__", Data model 3.3.2.4.1); the result is an ordinary ``cls`` instance,
    frozen as usual. Every field must be stored (a slot never set would be missing).
    ``None`` when this interpreter refuses the assignment (checked here, once).
    """
    names = _plain_fields(cls)
    if cls.__bases__ != (_Shape,):
        raise TypeError(f"{cls.__name__} does not derive from _Shape alone")
    twin: type[Any] = type(
        f"_{cls.__name__}Twin", (_Shape,), {"__slots__": names, "__module__": __name__}
    )
    probe = object.__new__(twin)
    for name in names:
        setattr(probe, name, None)
    try:
        probe.__class__ = cls
    except TypeError:  # pragma: no cover - an interpreter without the layout rule
        return None
    return twin


def _field_setters(cls: type[Any]) -> tuple[Callable[[Any, Any], None], ...]:
    """The slot setters of ``cls``'s attrs fields, in field order.

    A frozen attrs ``__init__`` stores each argument with ``object.__setattr__``,
    which ends in the field's slot descriptor; a hot path can call those
    descriptors itself on ``object.__new__(cls)`` and get the same instance for a
    fraction of the cost: ``part = object.__new__(TextDelta)``, then every setter
    once (a slot never set would be missing). The instance is the real class,
    frozen for everyone else. Only for fields without converters, validators or
    ``on_setattr`` hooks on classes without ``__attrs_pre_init__`` or
    ``__attrs_post_init__`` (anything else raises: the shortcut would skip them).
    """
    return tuple(cls.__dict__[name].__set__ for name in _plain_fields(cls))
