"""UI message chunks: the events of the UI message stream (``ai`` 7.x), as attrs classes.

One frozen attrs class per chunk type of ``uiMessageChunkSchema``
(``ai/src/ui-message-stream/ui-message-chunks.ts``). Fields are declared in the
order the reference writes the keys (``toUIMessageChunk``), so :meth:`to_dict`
gives the same JSON object, key for key; ``None`` means absent and is omitted,
except for the keys the reference always writes (``input``, ``output``, ``data``,
``messageMetadata`` of ``message-metadata``), where it is JSON ``null``.

:func:`chunk_from_dict` validates a decoded chunk like the reference's schema (the
same required keys and value types). With ``strict=True`` (the default) it also
refuses unknown keys; with ``strict=False`` it ignores them, as the reference's
``z.looseObject`` schemas do.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Final, Literal, TypeAlias, final, get_args

import attrs

from ..errors import InvalidArgumentError
from ._fields import Shape, field, from_data
from ._messages import FileUIPart, TextUIPart, citations, steering_parts
from ._schema import (
    bad,
    boolean,
    data_type,
    enum,
    json_value,
    provider_metadata,
    string,
    tool_metadata,
)

__all__ = [
    "CHUNK_CLASSES",
    "FINISH_REASONS",
    "AbortChunk",
    "CustomChunk",
    "DataChunk",
    "ErrorChunk",
    "FileChunk",
    "FinishChunk",
    "FinishReason",
    "FinishStepChunk",
    "MessageMetadataChunk",
    "ReasoningDeltaChunk",
    "ReasoningEndChunk",
    "ReasoningFileChunk",
    "ReasoningStartChunk",
    "ResetStepChunk",
    "SourceDocumentChunk",
    "SourceUrlChunk",
    "StartChunk",
    "StartStepChunk",
    "SteeringMessageChunk",
    "TextDeltaChunk",
    "TextEndChunk",
    "TextStartChunk",
    "ToolApprovalRequestChunk",
    "ToolApprovalResponseChunk",
    "ToolInputAvailableChunk",
    "ToolInputDeltaChunk",
    "ToolInputErrorChunk",
    "ToolInputStartChunk",
    "ToolOutputAvailableChunk",
    "ToolOutputDeniedChunk",
    "ToolOutputErrorChunk",
    "UIMessageChunk",
    "chunk_from_dict",
]

FinishReason = Literal[
    "stop", "length", "content-filter", "tool-calls", "error", "interrupted", "other"
]
#: The finish reasons a ``finish`` chunk may carry.
FINISH_REASONS: Final = (
    "stop",
    "length",
    "content-filter",
    "tool-calls",
    "error",
    "interrupted",
    "other",
)

PM = dict[str, dict[str, Any]]
_PM: Final = provider_metadata
_ENCODING: Final = enum("json", "text")


class _Chunk(Shape):
    __slots__ = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, strict: bool = True) -> Any:
        """Validate ``data`` as a chunk of this type and build it."""
        chunk = chunk_from_dict(data, strict=strict)
        if not isinstance(chunk, cls):
            raise InvalidArgumentError(
                f"chunk: expected a {cls.__name__}, got {data.get('type')!r}"
            )
        return chunk


def _pm() -> Any:
    return field("providerMetadata", _PM)


@final
@attrs.frozen
class StartChunk(_Chunk):
    """Opens the assistant message; ``message_id`` when the server picks it."""

    type: ClassVar[Literal["start"]] = "start"
    message_metadata: Any = field("messageMetadata", json_value, null="accept")
    message_id: str | None = field("messageId", string)


@final
@attrs.frozen
class StartStepChunk(_Chunk):
    type: ClassVar[Literal["start-step"]] = "start-step"


@final
@attrs.frozen
class FinishStepChunk(_Chunk):
    type: ClassVar[Literal["finish-step"]] = "finish-step"


@final
@attrs.frozen
class ResetStepChunk(_Chunk):
    """Removes every part the current step added (a retried step)."""

    type: ClassVar[Literal["reset-step"]] = "reset-step"


@final
@attrs.frozen
class TextStartChunk(_Chunk):
    type: ClassVar[Literal["text-start"]] = "text-start"
    id: str = field("id", string, required=True)
    provider_metadata: PM | None = _pm()


@final
@attrs.frozen
class TextDeltaChunk(_Chunk):
    type: ClassVar[Literal["text-delta"]] = "text-delta"
    id: str = field("id", string, required=True)
    delta: str = field("delta", string, required=True)
    provider_metadata: PM | None = _pm()


@final
@attrs.frozen
class TextEndChunk(_Chunk):
    type: ClassVar[Literal["text-end"]] = "text-end"
    id: str = field("id", string, required=True)
    citations: tuple[dict[str, Any], ...] | None = field("citations", string, nested=citations)
    provider_metadata: PM | None = _pm()


@final
@attrs.frozen
class ReasoningStartChunk(_Chunk):
    type: ClassVar[Literal["reasoning-start"]] = "reasoning-start"
    id: str = field("id", string, required=True)
    provider_metadata: PM | None = _pm()


@final
@attrs.frozen
class ReasoningDeltaChunk(_Chunk):
    type: ClassVar[Literal["reasoning-delta"]] = "reasoning-delta"
    id: str = field("id", string, required=True)
    delta: str = field("delta", string, required=True)
    provider_metadata: PM | None = _pm()


@final
@attrs.frozen
class ReasoningEndChunk(_Chunk):
    type: ClassVar[Literal["reasoning-end"]] = "reasoning-end"
    id: str = field("id", string, required=True)
    provider_metadata: PM | None = _pm()


@final
@attrs.frozen
class ErrorChunk(_Chunk):
    """An error shown to the user; ``error_text`` must never carry a secret."""

    type: ClassVar[Literal["error"]] = "error"
    error_text: str = field("errorText", string, required=True)


@final
@attrs.frozen
class ToolInputStartChunk(_Chunk):
    type: ClassVar[Literal["tool-input-start"]] = "tool-input-start"
    tool_call_id: str = field("toolCallId", string, required=True)
    tool_name: str = field("toolName", string, required=True)
    input_encoding: Literal["json", "text"] | None = field("inputEncoding", _ENCODING)
    provider_executed: bool | None = field("providerExecuted", boolean)
    provider_metadata: PM | None = _pm()
    tool_metadata: dict[str, Any] | None = field("toolMetadata", tool_metadata)
    dynamic: bool | None = field("dynamic", boolean)
    title: str | None = field("title", string)


@final
@attrs.frozen
class ToolInputDeltaChunk(_Chunk):
    type: ClassVar[Literal["tool-input-delta"]] = "tool-input-delta"
    tool_call_id: str = field("toolCallId", string, required=True)
    input_text_delta: str = field("inputTextDelta", string, required=True)


@final
@attrs.frozen
class ToolInputAvailableChunk(_Chunk):
    """A complete tool call; ``input`` is its parsed JSON value."""

    type: ClassVar[Literal["tool-input-available"]] = "tool-input-available"
    tool_call_id: str = field("toolCallId", string, required=True)
    tool_name: str = field("toolName", string, required=True)
    input: Any = field("input", json_value, required=True, null="keep")
    provider_executed: bool | None = field("providerExecuted", boolean)
    provider_metadata: PM | None = _pm()
    tool_metadata: dict[str, Any] | None = field("toolMetadata", tool_metadata)
    dynamic: bool | None = field("dynamic", boolean)
    title: str | None = field("title", string)


@final
@attrs.frozen
class ToolInputErrorChunk(_Chunk):
    """A tool call that cannot run (unknown tool, unparsable input)."""

    type: ClassVar[Literal["tool-input-error"]] = "tool-input-error"
    tool_call_id: str = field("toolCallId", string, required=True)
    tool_name: str = field("toolName", string, required=True)
    input: Any = field("input", json_value, required=True, null="keep")
    provider_executed: bool | None = field("providerExecuted", boolean)
    provider_metadata: PM | None = _pm()
    tool_metadata: dict[str, Any] | None = field("toolMetadata", tool_metadata)
    dynamic: bool | None = field("dynamic", boolean)
    error_text: str = field("errorText", string, required=True, kw_only=True)
    title: str | None = field("title", string)


@final
@attrs.frozen
class ToolApprovalRequestChunk(_Chunk):
    type: ClassVar[Literal["tool-approval-request"]] = "tool-approval-request"
    approval_id: str = field("approvalId", string, required=True)
    tool_call_id: str = field("toolCallId", string, required=True)
    approval_descriptor: Any = field("approvalDescriptor", json_value, null="accept")
    input_schema_input: Any = field("inputSchemaInput", json_value, null="accept")
    reason: str | None = field("reason", string)
    is_automatic: bool | None = field("isAutomatic", boolean)
    signature: str | None = field("signature", string)


@final
@attrs.frozen
class ToolApprovalResponseChunk(_Chunk):
    type: ClassVar[Literal["tool-approval-response"]] = "tool-approval-response"
    approval_id: str = field("approvalId", string, required=True)
    approved: bool = field("approved", boolean, required=True)
    reason: str | None = field("reason", string)
    provider_executed: bool | None = field("providerExecuted", boolean)
    provider_metadata: PM | None = _pm()


@final
@attrs.frozen
class ToolOutputAvailableChunk(_Chunk):
    type: ClassVar[Literal["tool-output-available"]] = "tool-output-available"
    tool_call_id: str = field("toolCallId", string, required=True)
    output: Any = field("output", json_value, required=True, null="keep")
    provider_executed: bool | None = field("providerExecuted", boolean)
    provider_metadata: PM | None = _pm()
    tool_metadata: dict[str, Any] | None = field("toolMetadata", tool_metadata)
    preliminary: bool | None = field("preliminary", boolean)
    dynamic: bool | None = field("dynamic", boolean)


@final
@attrs.frozen
class ToolOutputErrorChunk(_Chunk):
    type: ClassVar[Literal["tool-output-error"]] = "tool-output-error"
    tool_call_id: str = field("toolCallId", string, required=True)
    error_text: str = field("errorText", string, required=True)
    provider_executed: bool | None = field("providerExecuted", boolean)
    provider_metadata: PM | None = _pm()
    tool_metadata: dict[str, Any] | None = field("toolMetadata", tool_metadata)
    dynamic: bool | None = field("dynamic", boolean)


@final
@attrs.frozen
class ToolOutputDeniedChunk(_Chunk):
    type: ClassVar[Literal["tool-output-denied"]] = "tool-output-denied"
    tool_call_id: str = field("toolCallId", string, required=True)


@final
@attrs.frozen
class CustomChunk(_Chunk):
    type: ClassVar[Literal["custom"]] = "custom"
    kind: str = field("kind", string, required=True)
    provider_metadata: PM | None = _pm()


@final
@attrs.frozen
class SourceUrlChunk(_Chunk):
    type: ClassVar[Literal["source-url"]] = "source-url"
    source_id: str = field("sourceId", string, required=True)
    url: str = field("url", string, required=True)
    title: str | None = field("title", string)
    provider_metadata: PM | None = _pm()


@final
@attrs.frozen
class SourceDocumentChunk(_Chunk):
    type: ClassVar[Literal["source-document"]] = "source-document"
    source_id: str = field("sourceId", string, required=True)
    media_type: str = field("mediaType", string, required=True)
    title: str = field("title", string, required=True)
    filename: str | None = field("filename", string)
    provider_metadata: PM | None = _pm()


@final
@attrs.frozen
class FileChunk(_Chunk):
    """A generated file; ``url`` is a data URL (``data:<type>;base64,...``) or a URL."""

    type: ClassVar[Literal["file"]] = "file"
    media_type: str = field("mediaType", string, required=True)
    url: str = field("url", string, required=True)
    provider_metadata: PM | None = _pm()


@final
@attrs.frozen
class ReasoningFileChunk(_Chunk):
    type: ClassVar[Literal["reasoning-file"]] = "reasoning-file"
    media_type: str = field("mediaType", string, required=True)
    url: str = field("url", string, required=True)
    provider_metadata: PM | None = _pm()


@final
@attrs.frozen
class SteeringMessageChunk(_Chunk):
    """A user message added to the running generation (experimental in the reference)."""

    type: ClassVar[Literal["steering-message"]] = "steering-message"
    id: str = field("id", string, required=True)
    parts: tuple[TextUIPart | FileUIPart, ...] = field(
        "parts", string, required=True, nested=steering_parts
    )


@final
@attrs.frozen
class DataChunk(_Chunk):
    """Application data, ``type`` ``"data-<name>"``; ``transient`` data is not kept."""

    type: str = field("type", data_type, required=True)
    data: Any = field("data", json_value, required=True, null="keep")
    id: str | None = field("id", string)
    transient: bool | None = field("transient", boolean)

    def __attrs_post_init__(self) -> None:
        data_type(self.type, "type")


@final
@attrs.frozen
class FinishChunk(_Chunk):
    type: ClassVar[Literal["finish"]] = "finish"
    finish_reason: FinishReason | None = field("finishReason", enum(*FINISH_REASONS))
    message_metadata: Any = field("messageMetadata", json_value, null="accept")


@final
@attrs.frozen
class AbortChunk(_Chunk):
    type: ClassVar[Literal["abort"]] = "abort"
    reason: str | None = field("reason", string)


@final
@attrs.frozen
class MessageMetadataChunk(_Chunk):
    type: ClassVar[Literal["message-metadata"]] = "message-metadata"
    message_metadata: Any = field("messageMetadata", json_value, required=True, null="keep")


UIMessageChunk: TypeAlias = (
    StartChunk
    | StartStepChunk
    | FinishStepChunk
    | ResetStepChunk
    | TextStartChunk
    | TextDeltaChunk
    | TextEndChunk
    | ReasoningStartChunk
    | ReasoningDeltaChunk
    | ReasoningEndChunk
    | ErrorChunk
    | ToolInputStartChunk
    | ToolInputDeltaChunk
    | ToolInputAvailableChunk
    | ToolInputErrorChunk
    | ToolApprovalRequestChunk
    | ToolApprovalResponseChunk
    | ToolOutputAvailableChunk
    | ToolOutputErrorChunk
    | ToolOutputDeniedChunk
    | CustomChunk
    | SourceUrlChunk
    | SourceDocumentChunk
    | FileChunk
    | ReasoningFileChunk
    | SteeringMessageChunk
    | DataChunk
    | FinishChunk
    | AbortChunk
    | MessageMetadataChunk
)

_FIXED: Final[tuple[type[_Chunk], ...]] = tuple(
    cls for cls in get_args(UIMessageChunk) if cls is not DataChunk
)
#: Every chunk class.
CHUNK_CLASSES: Final[tuple[type[_Chunk], ...]] = (*_FIXED, DataChunk)
_BY_TYPE: Final[dict[str, type[Any]]] = {getattr(cls, "type"): cls for cls in _FIXED}  # noqa: B009
for _cls in CHUNK_CLASSES:
    _cls._prepare()


def chunk_from_dict(data: Mapping[str, Any], *, strict: bool = True) -> UIMessageChunk:
    """Validate a decoded chunk and build its class (``InvalidArgumentError`` if it is bad)."""
    if not isinstance(data, Mapping):
        raise bad("chunk", f"expected an object, got {type(data).__name__}")
    kind = data.get("type")
    if isinstance(kind, str) and kind.startswith("data-"):
        return from_data(DataChunk, data, "chunk", strict)
    cls = _BY_TYPE.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise bad("chunk.type", f"unknown UI message chunk type: {kind!r}")
    chunk: UIMessageChunk = from_data(cls, data, f"chunk({kind})", strict)
    return chunk
