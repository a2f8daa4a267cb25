"""Tools as the UI stream sees them, and tool-call parsing as ``streamText`` does it.

``streamText`` checks every tool call against the tools of the call
(``parseToolCall``): an unknown tool or input that is not JSON (or fails the tool's
schema) makes the call *invalid*, which the UI stream reports as a
``tool-input-error`` chunk. :class:`ToolSpec` is what the converter needs to know
of a tool: whether it is dynamic, its title and metadata, and an optional
``validate`` for its input (the reference validates with the tool's schema; a
JSON Schema tool (``jsonSchema(...)``) without a validator accepts any input, and
so does a :class:`ToolSpec` without ``validate``).

Errors carry the reference's ``Error.toString()`` text (``AI_NoSuchToolError: ...``),
which is what the UI shows for a failed call unless tool errors are redacted.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, Literal, final

import attrs

from ..codecs.interactions._javascript_json import js_stringify, secure_json_parse
from ..errors import InvalidArgumentError, InvalidResponseDataError

__all__ = [
    "ParsedToolCall",
    "ToolSpec",
    "Tools",
    "get_error_message",
    "parse_tool_call",
    "tool_choice_violation",
    "tools_from_call_options",
]

# JavaScript's String.prototype.trim() removes WhiteSpace and LineTerminator code points.
_JS_SPACE: Final = re.compile(
    "^[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]*$"
)


@final
@attrs.frozen
class ToolSpec:
    """What the UI stream needs to know of one tool of the call.

    ``kind``: ``"function"`` (a tool the application runs), ``"dynamic"`` (its
    calls become ``dynamic-tool`` parts) or ``"provider"`` (a provider tool such as
    ``google_search``). ``title`` and ``metadata`` are copied onto the tool's
    chunks. ``validate(input)`` returns the validated input or raises (any
    exception makes the call invalid).
    """

    kind: Literal["function", "dynamic", "provider"] = "function"
    title: str | None = None
    metadata: dict[str, Any] | None = None
    validate: Callable[[Any], Any] | None = attrs.field(default=None, eq=False)


Tools = Mapping[str, ToolSpec]


def tools_from_call_options(tools: Sequence[Mapping[str, Any]] | None) -> dict[str, ToolSpec]:
    """The :class:`ToolSpec` of each tool of a call's ``tools`` option.

    ``{"type": "function", "name": ...}`` is a function tool; ``{"type":
    "provider", "name": ...}`` a provider tool (its input is not validated here).
    """
    out: dict[str, ToolSpec] = {}
    items: Sequence[Any] = tools or ()
    for i, tool in enumerate(items):
        name = tool.get("name") if isinstance(tool, Mapping) else None
        if not isinstance(name, str):
            raise InvalidArgumentError(f"tools[{i}] has no name", argument="tools")
        kind = tool.get("type")
        out[name] = ToolSpec(kind="provider" if kind == "provider" else "function")
    return out


def get_error_message(error: object) -> str:
    """The reference's ``getErrorMessage``: ``None`` -> ``"unknown error"``, a string as
    is, an exception as its message, anything else as JSON."""
    if error is None:
        return "unknown error"
    if isinstance(error, str):
        return error
    if isinstance(error, BaseException):
        return str(error)
    try:
        return js_stringify(error)
    except InvalidArgumentError:
        return repr(error)


def _reference_error(name: str, message: str) -> InvalidResponseDataError:
    """An error whose text is the reference's ``Error.toString()`` (``name: message``)."""
    return InvalidResponseDataError(f"{name}: {message}", data={"name": name, "message": message})


def no_such_tool(tool_name: str, available: Sequence[str] | None) -> InvalidResponseDataError:
    tail = (
        "No tools are available."
        if available is None
        else (f"Available tools: {', '.join(available)}.")
    )
    return _reference_error(
        "AI_NoSuchToolError", f"Model tried to call unavailable tool '{tool_name}'. {tail}"
    )


def _invalid_input(tool_name: str, cause: str) -> InvalidResponseDataError:
    message = f"Invalid input for tool {tool_name}: {cause}"
    return _reference_error("AI_InvalidToolInputError", message)


def _json_parse_error(text: str, exc: Exception) -> str:
    # JSONParseError.toString() around the parser's SyntaxError; a syntax error's
    # detail is Python's wording, not V8's (a forbidden __proto__ key reads the same).
    detail = f"SyntaxError: {exc}"
    return f"AI_JSONParseError: JSON parsing failed: Text: {text}.\nError message: {detail}"


def tool_choice_violation(
    kind: str, tool_name: str | None, called: Sequence[str], finish_reason: str
) -> InvalidResponseDataError | None:
    """``ToolChoiceViolationError`` when the calls do not satisfy the enforced tool choice."""
    if kind == "auto":
        return None
    if kind == "none":
        if not called:
            return None
        message = "Model response contained a tool call even though tool choice was none."
    elif finish_reason == "interrupted" or any(
        kind == "required" or name == tool_name for name in called
    ):
        return None
    elif kind == "required":
        message = "Model response did not contain a tool call even though tool choice was required."
    else:
        message = f"Model response did not contain a call to the required tool '{tool_name}'."
    return InvalidResponseDataError(f"AI_ToolChoiceViolationError: {message}")


@final
@attrs.frozen
class ParsedToolCall:
    """A tool call after ``parseToolCall``: valid (``error is None``) or invalid."""

    tool_call_id: str
    tool_name: str
    input: Any
    dynamic: bool | None
    provider_executed: bool | None
    provider_metadata: dict[str, Any] | None
    tool_metadata: dict[str, Any] | None
    title: str | None
    error: InvalidResponseDataError | None = None
    #: The input before the tool's validation changed it (``inputSchemaInput``), or None.
    schema_input: tuple[Any] | None = None


def _parse_json(text: str) -> tuple[bool, Any, str]:
    try:
        return True, secure_json_parse(text), ""
    except (ValueError, RecursionError) as exc:
        return False, None, _json_parse_error(text, exc)


def parse_tool_call(
    *,
    tool_call_id: str,
    tool_name: str,
    input_text: str,
    provider_executed: bool | None,
    dynamic: bool | None,
    provider_metadata: dict[str, Any] | None,
    tools: Tools | None,
) -> ParsedToolCall:
    """``parseToolCall`` without repair or refinement (``generate-text/parse-tool-call.ts``)."""
    tool = tools.get(tool_name) if tools is not None else None
    empty = _JS_SPACE.match(input_text) is not None
    if tool is None:
        # provider-executed dynamic tools are not part of the call's tools:
        if provider_executed and dynamic:
            ok, value, why = (True, {}, "") if empty else _parse_json(input_text)
            if ok:
                return ParsedToolCall(
                    tool_call_id, tool_name, value, True, True, provider_metadata, None, None
                )
            error = _invalid_input(tool_name, why)
        else:
            error = no_such_tool(tool_name, None if tools is None else list(tools))
    else:
        raw: Any = {}
        ok, why = True, ""
        if not empty:
            ok, raw, why = _parse_json(input_text)
        if ok:
            try:
                value = tool.validate(raw) if tool.validate is not None else raw
            except Exception as exc:  # the tool's own validator: any failure invalidates
                ok, why = False, f"AI_TypeValidationError: {get_error_message(exc)}"
        if ok:
            is_dynamic = tool.kind == "dynamic"
            return ParsedToolCall(
                tool_call_id,
                tool_name,
                value,
                True if is_dynamic else None,
                provider_executed,
                provider_metadata,
                tool.metadata,
                tool.title,
                schema_input=None if tool.validate is None or value == raw else (raw,),
            )
        error = _invalid_input(tool_name, why)
    # The invalid call keeps the parsed input when the text was JSON, else the text.
    ok, value, _ = _parse_json(input_text)
    return ParsedToolCall(
        tool_call_id,
        tool_name,
        value if ok else input_text,
        True,
        provider_executed,
        provider_metadata,
        tool.metadata if tool is not None else None,
        tool.title if tool is not None else None,
        error,
    )
