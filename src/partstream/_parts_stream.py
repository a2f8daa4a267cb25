"""The stream parts and the generate-result content, one frozen attrs class each.

Private; the public names are re-exported by :mod:`partstream.parts` (see
``_parts_values`` for why there is no ``from __future__ import annotations``).
"""

import datetime as _dt
from typing import Any, ClassVar, TypeAlias, final

import attrs

from ._parts_shape import ProviderMetadata, _key, _req, _Shape
from ._parts_values import (
    FileData,
    FinishReason,
    Usage,
    Warning,
    _file_data,
    _finish_reason,
    _timestamp,
    _usage,
    _warnings,
)

# The public names are listed (and re-exported) by partstream.parts.


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
    timestamp: _dt.datetime | None = _key("timestamp", decode=_timestamp)
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
