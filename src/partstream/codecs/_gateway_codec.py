"""The Gateway's identity codec for the normalized realtime events (sans-IO).

The AI Gateway speaks the normalized realtime protocol on both sides, so its
codec is the identity: a server event is the JSON object the Gateway sent, a
client event is the JSON object we send. The typed classes
(``_gateway_client_events``, ``_gateway_server_events``) give those objects
frozen attrs types without losing anything:

* every class keeps the keys its schema does not name (and explicit JSON
  ``null`` values of optional keys) in ``extra``, so
  ``server_event_from_dict(d).to_dict() == d`` for every object with a string
  ``type``;
* an event whose ``type`` is unknown, or whose fields do not fit the normalized
  schema, becomes :class:`UnknownServerEvent` / :class:`UnknownClientEvent`
  carrying the object as is (``event.type`` still reads the wire type).

Attributes are snake_case; ``to_dict()`` gives the camelCase wire JSON with
absent (``None``) values omitted. This module decodes messages (JSON, with a
fast path for big flat audio deltas) and encodes client events. Sans-IO: no
anyio, no httpx.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, Final

from ..errors import InvalidArgumentError, InvalidResponseDataError
from . import _gateway_client_events as _client
from . import _gateway_server_events as _server
from ._gateway_client_events import ClientEvent, UnknownClientEvent
from ._gateway_schema import _decode
from ._gateway_server_events import ServerEvent, UnknownServerEvent

__all__ = [
    "build_session_config",
    "client_event_from_dict",
    "decode_server_message",
    "encode_client_event",
    "parse_server_event",
    "serialize_client_event",
    "server_event_from_dict",
]


# Bound by assignment, not imported by name: CPython 3.11 compiles ``name.get(...)``
# on a name bound by ``from ... import`` as an attribute load that makes a bound
# method on every call (it takes such names for modules): 2% of a message's decoding.
_FAST_SERVER: Final = _server._FAST_SERVER
_SERVER_BY_TYPE: Final = _server._SERVER_BY_TYPE
_CLIENT_BY_TYPE: Final = _client._CLIENT_BY_TYPE


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
