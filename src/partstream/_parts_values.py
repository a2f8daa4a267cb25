"""Warnings and the values nested in parts: file data, token usage, finish reason.

Private; the public names are re-exported by :mod:`partstream.parts`. No
``from __future__ import annotations`` here nor in ``_parts_stream``: the field
annotations are real objects, so ``typing.get_type_hints`` works on the classes
although they carry the public module's name.
"""

import datetime as _dt
from collections.abc import Mapping
from typing import Any, ClassVar, Self, TypeAlias, final

import attrs

from ._parts_shape import _build, _key, _req, _Shape, parse_timestamp
from .errors import InvalidArgumentError

# The public names are listed (and re-exported) by partstream.parts.


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
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        return _build(cls, data)  # type: ignore[no-any-return]


@final
@attrs.frozen
class FinishReason(_Shape):
    """LanguageModelV4FinishReason: the unified reason and the provider's raw one."""

    type: ClassVar[str] = ""
    unified: str = _req("unified")
    raw: str | None = _key("raw")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        return _build(cls, data)  # type: ignore[no-any-return]


def _usage(value: Any) -> Usage:
    return value if isinstance(value, Usage) else Usage.from_dict(value)


def _finish_reason(value: Any) -> FinishReason:
    return value if isinstance(value, FinishReason) else FinishReason.from_dict(value)


def _timestamp(value: Any) -> _dt.datetime:
    return value if isinstance(value, _dt.datetime) else parse_timestamp(value)
