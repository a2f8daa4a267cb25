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

The classes live in private modules (``_parts_shape``: the JSON machinery;
``_parts_values``: warnings, usage, finish reason, file data; ``_parts_stream``:
the parts and content); they carry this module's name, so reprs, pickles and
``typing.get_type_hints`` all say ``partstream.parts.X``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._parts_shape import ProviderMetadata as ProviderMetadata
from ._parts_shape import _build
from ._parts_shape import _field_setters as _field_setters
from ._parts_shape import _layout_twin as _layout_twin
from ._parts_shape import _Shape as _Shape
from ._parts_shape import format_timestamp as format_timestamp
from ._parts_shape import parse_timestamp as parse_timestamp
from ._parts_stream import Content as Content
from ._parts_stream import Custom as Custom
from ._parts_stream import DocumentSource as DocumentSource
from ._parts_stream import Error as Error
from ._parts_stream import File as File
from ._parts_stream import Finish as Finish
from ._parts_stream import Part as Part
from ._parts_stream import Raw as Raw
from ._parts_stream import Reasoning as Reasoning
from ._parts_stream import ReasoningDelta as ReasoningDelta
from ._parts_stream import ReasoningEnd as ReasoningEnd
from ._parts_stream import ReasoningFile as ReasoningFile
from ._parts_stream import ReasoningStart as ReasoningStart
from ._parts_stream import ResponseMetadata as ResponseMetadata
from ._parts_stream import Source as Source
from ._parts_stream import StreamStart as StreamStart
from ._parts_stream import Text as Text
from ._parts_stream import TextDelta as TextDelta
from ._parts_stream import TextEnd as TextEnd
from ._parts_stream import TextStart as TextStart
from ._parts_stream import ToolApprovalRequest as ToolApprovalRequest
from ._parts_stream import ToolCall as ToolCall
from ._parts_stream import ToolInputDelta as ToolInputDelta
from ._parts_stream import ToolInputEnd as ToolInputEnd
from ._parts_stream import ToolInputStart as ToolInputStart
from ._parts_stream import ToolResult as ToolResult
from ._parts_stream import UrlSource as UrlSource
from ._parts_values import CompatibilityWarning as CompatibilityWarning
from ._parts_values import DataContent as DataContent
from ._parts_values import DeprecatedWarning as DeprecatedWarning
from ._parts_values import FileData as FileData
from ._parts_values import FinishReason as FinishReason
from ._parts_values import InputTokens as InputTokens
from ._parts_values import OtherWarning as OtherWarning
from ._parts_values import OutputTokens as OutputTokens
from ._parts_values import UnsupportedWarning as UnsupportedWarning
from ._parts_values import UrlContent as UrlContent
from ._parts_values import Usage as Usage
from ._parts_values import Warning as Warning
from ._parts_values import warning_from_dict as warning_from_dict
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
    if not isinstance(part, Content):  # the alias is a union of the content classes
        raise InvalidArgumentError(f"{data.get('type')!r} is a stream part, not content")
    return part


def _publish() -> None:
    # A class pickles as (its __module__, its name): name the module that stays.
    for name in __all__:
        value = globals()[name]
        if isinstance(value, type) and value.__module__.startswith("partstream._parts_"):
            value.__module__ = __name__


_publish()
