"""UI messages (what ``useChat`` keeps and sends back) and their parts (sans-IO).

One frozen attrs class per part type of the ``ai`` package's ``UIMessage``:
``to_dict()`` gives its JSON (keys in the order the reference's
``processUIMessageStream`` writes them, absent values omitted) and ``from_dict()``
validates like the reference's ``validateUIMessages`` schema: the same required
keys, value types, tool states and approval shapes. With ``strict=True`` (the
default) unknown keys are refused; ``strict=False`` drops them, as the reference's
``z.object`` schemas do (a newer browser client may send keys this version does
not know).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Final, Literal, TypeAlias, final

import attrs

from ._fields import Shape, field, from_data
from ._schema import (
    bad,
    data_type,
    enum,
    integer,
    json_value,
    provider_metadata,
    string,
    string_record,
)
from ._tool_parts import DynamicToolUIPart, ToolApproval, ToolState, ToolUIPart

__all__ = [
    "CustomUIPart",
    "DataUIPart",
    "DynamicToolUIPart",
    "FileUIPart",
    "ReasoningFileUIPart",
    "ReasoningUIPart",
    "SourceDocumentUIPart",
    "SourceUrlUIPart",
    "SteeringMessageUIPart",
    "StepStartUIPart",
    "TextUIPart",
    "ToolApproval",
    "ToolState",
    "ToolUIPart",
    "UIMessage",
    "UIMessagePart",
    "citations",
    "steering_parts",
    "ui_message_part_from_dict",
    "validate_ui_messages",
]

_PM: Final = provider_metadata
_TEXT_STATE: Final = enum("streaming", "done")


def _citation(value: Any, path: str) -> dict[str, Any]:
    """``citationSchema``: ``{source, startIndex?, endIndex?, citedText?}``."""
    if not isinstance(value, Mapping):
        raise bad(path, "expected a citation object")
    source = value.get("source")
    if not isinstance(source, Mapping) or source.get("type") != "source":
        raise bad(f"{path}.source", "expected a source part")
    kind = source.get("sourceType")
    need: tuple[str, ...] = ("id", "url") if kind == "url" else ("id", "mediaType", "title")
    if kind not in ("url", "document"):
        raise bad(f"{path}.source.sourceType", "expected 'url' or 'document'")
    for key in need:
        string(source.get(key), f"{path}.source.{key}")
    for key in ("title", "filename"):
        if key in source and key not in need:
            string(source[key], f"{path}.source.{key}")
    if "providerMetadata" in source:
        _PM(source["providerMetadata"], f"{path}.source.providerMetadata")
    for key in ("startIndex", "endIndex"):
        if key in value:
            integer(value[key], f"{path}.{key}")
    if "citedText" in value:
        string(value["citedText"], f"{path}.citedText")
    return dict(value)


def citations(value: Any, path: str, strict: bool = True) -> tuple[dict[str, Any], ...]:
    """A list of citations (kept as their JSON objects)."""
    if not isinstance(value, list | tuple):
        raise bad(path, "expected an array of citations")
    return tuple(_citation(item, f"{path}[{i}]") for i, item in enumerate(value))


class _Part(Shape):
    __slots__ = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, strict: bool = True) -> Any:
        """Validate and build this part from its JSON object."""
        if data.get("type") != getattr(cls, "type", None):
            raise bad("part", f"expected type {getattr(cls, 'type', None)!r}")
        return from_data(cls, data, "part", strict)


@final
@attrs.frozen
class TextUIPart(_Part):
    type: ClassVar[Literal["text"]] = "text"
    text: str = field("text", string, required=True)
    provider_metadata: dict[str, dict[str, Any]] | None = field("providerMetadata", _PM)
    state: Literal["streaming", "done"] | None = field("state", _TEXT_STATE)
    citations: tuple[dict[str, Any], ...] | None = field("citations", string, nested=citations)


@final
@attrs.frozen
class ReasoningUIPart(_Part):
    type: ClassVar[Literal["reasoning"]] = "reasoning"
    text: str = field("text", string, required=True)
    id: str | None = field("id", string)
    provider_metadata: dict[str, dict[str, Any]] | None = field("providerMetadata", _PM)
    state: Literal["streaming", "done"] | None = field("state", _TEXT_STATE)


@final
@attrs.frozen
class CustomUIPart(_Part):
    type: ClassVar[Literal["custom"]] = "custom"
    kind: str = field("kind", string, required=True)
    provider_metadata: dict[str, dict[str, Any]] | None = field("providerMetadata", _PM)


@final
@attrs.frozen
class SourceUrlUIPart(_Part):
    type: ClassVar[Literal["source-url"]] = "source-url"
    source_id: str = field("sourceId", string, required=True)
    url: str = field("url", string, required=True)
    title: str | None = field("title", string)
    provider_metadata: dict[str, dict[str, Any]] | None = field("providerMetadata", _PM)


@final
@attrs.frozen
class SourceDocumentUIPart(_Part):
    type: ClassVar[Literal["source-document"]] = "source-document"
    source_id: str = field("sourceId", string, required=True)
    media_type: str = field("mediaType", string, required=True)
    title: str = field("title", string, required=True)
    filename: str | None = field("filename", string)
    provider_metadata: dict[str, dict[str, Any]] | None = field("providerMetadata", _PM)


@final
@attrs.frozen
class FileUIPart(_Part):
    """A file: ``url`` is a data URL or a remote URL (or ``""`` with a provider reference)."""

    type: ClassVar[Literal["file"]] = "file"
    media_type: str = field("mediaType", string, required=True)
    url: str = field("url", string, required=True)
    filename: str | None = field("filename", string)
    provider_reference: dict[str, str] | None = field("providerReference", string_record)
    provider_metadata: dict[str, dict[str, Any]] | None = field("providerMetadata", _PM)


@final
@attrs.frozen
class ReasoningFileUIPart(_Part):
    type: ClassVar[Literal["reasoning-file"]] = "reasoning-file"
    media_type: str = field("mediaType", string, required=True)
    url: str = field("url", string, required=True)
    provider_metadata: dict[str, dict[str, Any]] | None = field("providerMetadata", _PM)


@final
@attrs.frozen
class StepStartUIPart(_Part):
    """The boundary between two steps of an assistant message."""

    type: ClassVar[Literal["step-start"]] = "step-start"


def steering_parts(value: Any, path: str, strict: bool) -> tuple[TextUIPart | FileUIPart, ...]:
    """The text and file parts of a steering message (in a chunk or a message part)."""
    if not isinstance(value, list | tuple):
        raise bad(path, "expected an array of parts")
    out: list[TextUIPart | FileUIPart] = []
    for i, item in enumerate(value):
        where = f"{path}[{i}]"
        kind = item.get("type") if isinstance(item, Mapping) else None
        if kind == "text":
            out.append(from_data(TextUIPart, _only(item, _STEERING_TEXT, strict), where, strict))
        elif kind == "file":
            out.append(from_data(FileUIPart, item, where, strict))
        else:
            raise bad(where, "expected a text or file part")
    return tuple(out)


_STEERING_TEXT: Final = frozenset({"type", "text", "providerMetadata"})


def _only(data: Mapping[str, Any], keys: frozenset[str], strict: bool) -> Mapping[str, Any]:
    """``data`` reduced to ``keys`` (strict: refuse the others)."""
    extra = [k for k in data if k not in keys]
    if not extra:
        return data
    if strict:
        raise bad("part", f"unknown key {extra[0]!r} (pass strict=False to ignore unknown keys)")
    return {k: v for k, v in data.items() if k in keys}


@final
@attrs.frozen
class SteeringMessageUIPart(_Part):
    """A user message added to a running generation (experimental in the reference)."""

    type: ClassVar[Literal["steering-message"]] = "steering-message"
    id: str = field("id", string, required=True)
    parts: tuple[TextUIPart | FileUIPart, ...] = field(
        "parts", string, required=True, nested=steering_parts
    )


@final
@attrs.frozen
class DataUIPart(_Part):
    """Application data, ``type`` ``"data-<name>"``; ``data`` is any JSON value."""

    type: str = field("type", data_type, required=True)
    data: Any = field("data", json_value, required=True, null="keep")
    id: str | None = field("id", string)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, strict: bool = True) -> DataUIPart:
        return from_data(cls, data, "part", strict)


UIMessagePart: TypeAlias = (
    TextUIPart
    | CustomUIPart
    | ReasoningUIPart
    | ToolUIPart
    | DynamicToolUIPart
    | SourceUrlUIPart
    | SourceDocumentUIPart
    | FileUIPart
    | ReasoningFileUIPart
    | DataUIPart
    | SteeringMessageUIPart
    | StepStartUIPart
)

_STATIC: Final[dict[str, type[_Part]]] = {
    getattr(c, "type"): c  # noqa: B009
    for c in (
        TextUIPart,
        ReasoningUIPart,
        CustomUIPart,
        SourceUrlUIPart,
        SourceDocumentUIPart,
        FileUIPart,
        ReasoningFileUIPart,
        SteeringMessageUIPart,
        StepStartUIPart,
    )
}
_SHAPES: Final[list[type[Shape]]] = [*_STATIC.values(), DataUIPart]
for _cls in _SHAPES:
    _cls._prepare()

_INVALID_TYPE: Final = (
    'Invalid UI message part type. Expected a known part type (for example "text" or '
    '"dynamic-tool") or a type starting with "data-" or "tool-".'
)


def ui_message_part_from_dict(data: Any, *, strict: bool = True, path: str = "part") -> Any:
    """Validate one part (dispatching on its ``type`` as the reference does)."""
    kind = data.get("type") if isinstance(data, Mapping) else None
    if isinstance(kind, str):
        if kind.startswith("data-"):
            return from_data(DataUIPart, data, path, strict)
        if kind.startswith("tool-"):
            return ToolUIPart.from_dict(data, strict=strict, path=path)
        if kind == "dynamic-tool":
            return DynamicToolUIPart.from_dict(data, strict=strict, path=path)
        cls = _STATIC.get(kind)
        if cls is not None:
            return from_data(cls, data, path, strict)
    raise bad(f"{path}.type", _INVALID_TYPE)


def _message_parts(value: Any, path: str, strict: bool) -> tuple[UIMessagePart, ...]:
    if not isinstance(value, list | tuple):
        raise bad(path, "expected an array of parts")
    return tuple(
        ui_message_part_from_dict(item, strict=strict, path=f"{path}[{i}]")
        for i, item in enumerate(value)
    )


@final
@attrs.frozen
class UIMessage(Shape):
    """A chat message: ``role`` ``system``/``user``/``assistant``, its ``parts`` and metadata."""

    _typed: ClassVar[bool] = False
    id: str = field("id", string, required=True)
    role: Literal["system", "user", "assistant"] = field(
        "role", enum("system", "user", "assistant"), required=True
    )
    parts: tuple[UIMessagePart, ...] = field("parts", string, required=True, nested=_message_parts)
    metadata: Any = field("metadata", json_value, null="accept")

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], *, strict: bool = True, path: str = "message"
    ) -> UIMessage:
        """Validate and build a message; non-assistant messages need at least one part."""
        message = from_data(cls, data, path, strict)
        if message.role != "assistant" and not message.parts:
            raise bad(f"{path}.parts", "Message must contain at least one part")
        return message


UIMessage._prepare()


def validate_ui_messages(value: Any, *, strict: bool = True) -> list[UIMessage]:
    """Validate a non-empty list of messages (``validateUIMessages`` without tool schemas)."""
    if not isinstance(value, Sequence) or isinstance(value, str | bytes):
        raise bad("messages", "expected an array of messages")
    if not value:
        raise bad("messages", "Messages array must not be empty")
    return [
        UIMessage.from_dict(item, strict=strict, path=f"messages[{i}]")
        if isinstance(item, Mapping)
        else _not_object(f"messages[{i}]")
        for i, item in enumerate(value)
    ]


def _not_object(path: str) -> UIMessage:
    raise bad(path, "expected a message object")
