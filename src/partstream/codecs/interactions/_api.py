"""Interactions API wire format: SSE event parsing and response validation (sans-IO).

The reference validates with zod schemas that are deliberately loose: every object
keeps unknown keys, and both unions (events, steps) end in a catch-all member
(``{event_type: string}``, ``{type: string}``). So an SSE event is *valid* exactly
when it is a JSON object with a string ``event_type``, and a response body is valid
when it is an object with a known ``status`` whose typed fields (ids, usage counts,
``steps[].type``) have the right JSON types. Validation here is those few checks,
nothing more, so it is cheap enough for the per-event hot path.

Parse results follow the AI SDK's ``ParseResult``: :class:`Parsed` (``value`` and
the ``raw`` JSON it came from; for JSON events the two are the same object) or
:class:`ParseFailure` (``error`` as the error part will carry it, and ``raw``).
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import repeat
from operator import contains
from typing import Any, Final, final

import attrs

from ...errors import InvalidArgumentError, InvalidResponseDataError
from ..json import BACKEND, loads
from ..json import _decode as _json_decode
from ..json import _errors as _json_errors
from ._javascript_json import js_stringify

# Everything a JSON backend raises for bad input (see partstream.codecs.json.loads).
_JSON_ERRORS: Final[tuple[type[BaseException], ...]] = (
    *_json_errors,
    UnicodeDecodeError,
    TypeError,
    ValueError,
)

__all__ = [
    "BUILTIN_TOOL_CALL_TYPES",
    "BUILTIN_TOOL_RESULT_TYPES",
    "INTERACTION_STATUSES",
    "TERMINAL_STATUSES",
    "ParseFailure",
    "Parsed",
    "ParseResult",
    "decode_event",
    "error_to_json",
    "is_terminal_status",
    "parse_event",
    "parse_response",
    "validate_event",
    "validate_response",
]

#: ``Interaction.status`` values (the reference's ``interactionStatusSchema``).
INTERACTION_STATUSES: Final = frozenset(
    {"in_progress", "requires_action", "completed", "failed", "cancelled", "incomplete"}
)
#: Statuses after which an interaction does no more work (polling stops).
TERMINAL_STATUSES: Final = frozenset({"completed", "failed", "cancelled", "incomplete"})

#: Built-in (provider-executed) tool steps: ``<tool>_call`` and ``<tool>_result``.
BUILTIN_TOOL_CALL_TYPES: Final = frozenset(
    {
        "google_search_call",
        "code_execution_call",
        "url_context_call",
        "file_search_call",
        "google_maps_call",
        "mcp_server_tool_call",
    }
)
BUILTIN_TOOL_RESULT_TYPES: Final = frozenset(
    {
        "google_search_result",
        "code_execution_result",
        "url_context_result",
        "file_search_result",
        "google_maps_result",
        "mcp_server_tool_result",
    }
)


@final
@attrs.frozen(eq=True)
class Parsed:
    """A successfully parsed event: the validated ``value`` and the ``raw`` JSON."""

    value: Any
    raw: Any = None


@final
@attrs.frozen(eq=True)
class ParseFailure:
    """An event that did not parse or validate.

    ``error`` is what the stream's ``error`` part carries: JSON-like data (the AI SDK
    shape ``{"name", "message"}``) or an exception (rendered with :func:`error_to_json`).
    ``raw`` is the parsed JSON when there was some (``None`` for text that is not JSON).
    """

    error: Any
    raw: Any = None


ParseResult = Parsed | ParseFailure


def error_to_json(error: Any) -> Any:
    """The JSON form of an error part's value: exceptions become ``{name, message}``."""
    if isinstance(error, BaseException):
        return {"name": type(error).__name__, "message": str(error)}
    return error


def _has_forbidden_key(root: Any) -> bool:
    # secure-json-parse (used by the AI SDK's JSON parsing) refuses `__proto__` keys
    # and `constructor` objects holding `prototype`: prototype pollution guards.
    pending = [root]
    while pending:
        node = pending.pop()
        if type(node) is dict:
            if "__proto__" in node:
                return True
            ctor = node.get("constructor")
            if type(ctor) is dict and "prototype" in ctor:
                return True
            pending.extend(v for v in node.values() if type(v) is dict or type(v) is list)
        elif type(node) is list:
            pending.extend(v for v in node if type(v) is dict or type(v) is list)
    return False


def _json_parse_error(text: str, cause: str) -> dict[str, str]:
    # The AI SDK's JSONParseError (name and message layout).
    return {
        "name": "AI_JSONParseError",
        "message": f"JSON parsing failed: Text: {text}.\nError message: {cause}",
    }


def _type_validation_error(value: Any, cause: str) -> dict[str, str]:
    # The AI SDK's TypeValidationError (name and message layout).
    try:
        shown = js_stringify(value)
    except InvalidArgumentError:
        shown = repr(value)
    return {
        "name": "AI_TypeValidationError",
        "message": f"Type validation failed: Value: {shown}.\nError message: {cause}",
    }


def validate_event(value: Any) -> ParseResult:
    """Validate a parsed JSON value as an Interactions SSE event."""
    if type(value) is dict and type(value.get("event_type")) is str:
        return Parsed(value=value, raw=value)
    return ParseFailure(
        error=_type_validation_error(value, "expected an object with a string event_type"),
        raw=value,
    )


def decode_event(data: str | bytes) -> dict[str, Any] | ParseFailure | None:
    """Decode one SSE ``data`` payload: the event ``dict``, a :class:`ParseFailure`, or ``None``.

    The allocation-free form of :func:`parse_event` for the hot path: a valid event
    is returned as the plain dict (its own raw value), which
    :class:`InteractionsStreamTransform` accepts as is. ``None`` is the ``[DONE]``
    sentinel some servers send (the AI SDK skips it). Never raises.
    """
    try:
        value = _json_decode(data)
    except _JSON_ERRORS as exc:
        if data == "[DONE]" or data == b"[DONE]":
            return None
        text = data if isinstance(data, str) else data.decode("utf-8", "replace")
        return ParseFailure(error=_json_parse_error(text, str(exc)), raw=None)
    if type(value) is dict and type(value.get("event_type")) is str:
        # "proto" is in both `__proto__` and `prototype`: one scan rules both out.
        if ("proto" in data if type(data) is str else b"proto" in data) and _has_forbidden_key(
            value
        ):
            text = data if isinstance(data, str) else data.decode("utf-8", "replace")
            return ParseFailure(
                error=_json_parse_error(text, "Object contains forbidden prototype property"),
                raw=None,
            )
        return value
    return ParseFailure(
        error=_type_validation_error(value, "expected an object with a string event_type"),
        raw=value,
    )


def _event_item(value: Any) -> dict[str, Any] | ParseFailure:
    """:func:`decode_event`'s result for decoded JSON ``value`` whose text had no "proto"."""
    if type(value) is dict and type(value.get("event_type")) is str:
        return value
    return ParseFailure(
        error=_type_validation_error(value, "expected an object with a string event_type"),
        raw=value,
    )


def _json_values(payloads: list[str]) -> list[Any] | None:
    """The JSON values of a batch of SSE ``data`` strings, in C-level loops.

    ``None`` when any of them fails to decode or mentions "proto" (a possible
    forbidden key): :func:`decode_event` then decides each one. Otherwise value
    ``i`` turned into :func:`_event_item` is exactly ``decode_event(payloads[i])``.
    """
    if any(map(contains, payloads, repeat("proto"))):
        return None
    try:
        return list(map(_json_decode, payloads))
    except _JSON_ERRORS:
        return None


def _step_delta_decoder() -> Callable[[str], Any] | None:
    """A msgspec decoder of event JSON into a struct of the fields text deltas use.

    ``forbid_unknown_fields``: every key of an accepted event is a field decoded as
    ``Any`` (as a dict decode would), so nothing is skipped unchecked and the struct
    decodes exactly when the dict decode does; events with other keys fail, and their
    batch takes the dict path. ``None`` when the JSON backend is not msgspec.
    """
    if BACKEND != "msgspec":  # pragma: no cover - msgspec is a dependency
        return None
    import msgspec

    # gc=False: decoded JSON cannot refer back to the struct, so no cycles.
    options: dict[str, Any] = {"forbid_unknown_fields": True, "gc": False, "module": __name__}
    delta = msgspec.defstruct("Delta", [("type", Any, None), ("text", Any, None)], **options)
    step_delta = msgspec.defstruct(
        "StepDelta",
        [
            ("event_type", Any, None),
            ("index", Any, None),
            ("delta", delta | None, None),
            ("event_id", Any, None),
        ],
        **options,
    )
    return msgspec.json.Decoder(step_delta).decode


_decode_step_delta: Final = _step_delta_decoder()


def _step_deltas(payloads: list[str]) -> list[Any] | None:
    """Each payload decoded by :func:`_step_delta_decoder`'s struct, in a C-level loop.

    The structs have ``event_type``, ``index``, ``delta`` (``None`` or a struct with
    ``type`` and ``text``), each as the event's dict would hold it (``None`` when
    absent). ``None`` when any payload does not decode that way (or no msgspec).
    """
    decode = _decode_step_delta
    if decode is None:  # pragma: no cover - msgspec is a dependency
        return None
    try:
        return list(map(decode, payloads))
    except _JSON_ERRORS:
        return None


def parse_event(data: str | bytes) -> ParseResult | None:
    """Decode one SSE ``data`` payload into a :class:`Parsed` or :class:`ParseFailure`.

    ``None`` for the ``[DONE]`` sentinel. Never raises.
    """
    result = decode_event(data)
    if type(result) is dict:
        return Parsed(value=result, raw=result)
    return result  # type: ignore[return-value]


# ---------------------------------------------------------------------------------------
# Response bodies (generate, background POST, polling GET)

_NULLISH_STRING_FIELDS: Final = (
    "id",
    "created",
    "updated",
    "model",
    "agent",
    "service_tier",
    "previous_interaction_id",
)
_USAGE_NUMBER_FIELDS: Final = (
    "total_input_tokens",
    "total_output_tokens",
    "total_thought_tokens",
    "total_cached_tokens",
    "total_tool_use_tokens",
    "total_tokens",
)
_USAGE_MODALITY_FIELDS: Final = (
    "input_tokens_by_modality",
    "output_tokens_by_modality",
    "cached_tokens_by_modality",
    "tool_use_tokens_by_modality",
)


def _is_number(value: Any) -> bool:
    return (type(value) is int or type(value) is float) and value == value


def _usage_problem(usage: Any) -> str | None:
    if type(usage) is not dict:
        return "usage must be an object"
    for key in _USAGE_NUMBER_FIELDS:
        value = usage.get(key)
        if value is not None and not _is_number(value):
            return f"usage.{key} must be a number"
    for key in _USAGE_MODALITY_FIELDS:
        entries = usage.get(key)
        if entries is None:
            continue
        if type(entries) is not list:
            return f"usage.{key} must be an array"
        for entry in entries:
            if type(entry) is not dict:
                return f"usage.{key}[] must be objects"
            modality = entry.get("modality")
            if modality is not None and type(modality) is not str:
                return f"usage.{key}[].modality must be a string"
            tokens = entry.get("tokens")
            if tokens is not None and not _is_number(tokens):
                return f"usage.{key}[].tokens must be a number"
    counts = usage.get("grounding_tool_count")
    if counts is not None:
        if type(counts) is not list:
            return "usage.grounding_tool_count must be an array"
        for entry in counts:
            if type(entry) is not dict:
                return "usage.grounding_tool_count[] must be objects"
            kind = entry.get("type")
            if kind is not None and type(kind) is not str:
                return "usage.grounding_tool_count[].type must be a string"
            count = entry.get("count")
            if count is not None and not _is_number(count):
                return "usage.grounding_tool_count[].count must be a number"
    return None


def _response_problem(value: Any) -> str | None:
    if type(value) is not dict:
        return "expected an object"
    status = value.get("status")
    if type(status) is not str or status not in INTERACTION_STATUSES:
        return f"status must be one of {', '.join(sorted(INTERACTION_STATUSES))}"
    for key in _NULLISH_STRING_FIELDS:
        field = value.get(key)
        if field is not None and type(field) is not str:
            return f"{key} must be a string"
    steps = value.get("steps")
    if steps is not None:
        if type(steps) is not list:
            return "steps must be an array"
        for step in steps:
            # Every step union member (and the catch-all) needs a string `type`.
            if type(step) is not dict or type(step.get("type")) is not str:
                return "steps[] must be objects with a string type"
    usage = value.get("usage")
    if usage is not None:
        problem = _usage_problem(usage)
        if problem is not None:
            return problem
    modalities = value.get("response_modalities")
    if modalities is not None and (
        type(modalities) is not list or any(type(m) is not str for m in modalities)
    ):
        return "response_modalities must be an array of strings"
    return None


def validate_response(value: Any) -> dict[str, Any]:
    """Check an Interaction response body; return it unchanged.

    Raises :class:`~partstream.errors.InvalidResponseDataError` (``data`` = the value)
    whose message follows the AI SDK's TypeValidationError.
    """
    problem = _response_problem(value)
    if problem is not None:
        raise InvalidResponseDataError(
            _type_validation_error(value, problem)["message"], data=value
        )
    return value  # type: ignore[no-any-return]


def parse_response(data: str | bytes) -> dict[str, Any]:
    """Decode and validate an Interaction response body (JSON text)."""
    return validate_response(loads(data))


def is_terminal_status(status: Any) -> bool:
    """Whether ``status`` ends the interaction (the reference's ``isTerminalStatus``)."""
    return type(status) is str and status in TERMINAL_STATUSES
