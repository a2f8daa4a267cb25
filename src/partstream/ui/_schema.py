"""Shared pieces of the UI codecs: JSON as ``JSON.stringify`` writes it, field validators.

:func:`js_json` gives the exact UTF-8 bytes of ECMAScript ``JSON.stringify`` for a
JSON value. Plain values (strings, booleans, ``None``, safe integers, containers of
them with keys that are not array indices) go through msgspec, whose string
escaping is the one ``JSON.stringify`` uses (``\\u00XX`` lowercase for control
characters, everything else as UTF-8, ``</script>`` and U+2028 unescaped); anything
else (floats, integers beyond 2**53, integer-like object keys, lone surrogates) is
written by the slower, exact ``js_stringify``.

The validators check a decoded JSON value against the shapes of the reference's zod
schemas (``z.string()``, ``z.boolean()``, ``providerMetadataSchema``, ...) and raise
:class:`~partstream.errors.InvalidArgumentError` naming the path of the bad value.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

import msgspec

from ..codecs.interactions._javascript_json import js_stringify
from ..errors import InvalidArgumentError

__all__ = [
    "JS_SAFE_INTEGER",
    "Validator",
    "bad",
    "boolean",
    "check_keys",
    "data_type",
    "enum",
    "integer",
    "js_json",
    "json_value",
    "optional_string",
    "provider_metadata",
    "string",
    "string_record",
    "tool_metadata",
]

#: The largest integer a JavaScript number holds exactly (``Number.MAX_SAFE_INTEGER``).
JS_SAFE_INTEGER: Final = 2**53 - 1

_encode: Final = msgspec.json.encode

Validator = Callable[[Any, str], Any]
"""Checks ``value`` found at ``path``; returns it (possibly normalised) or raises."""


def _plain(value: Any) -> bool:
    """True when msgspec writes ``value`` exactly as ``JSON.stringify`` does."""
    pending = [value]
    pop, extend = pending.pop, pending.extend
    while pending:
        node = pop()
        kind = type(node)
        if kind is str or kind is bool or node is None:
            continue
        if kind is int:
            if -JS_SAFE_INTEGER <= node <= JS_SAFE_INTEGER:
                continue
            return False
        if kind is dict:
            for key in node:
                # JavaScript objects list integer-like keys first: leave those to js_stringify.
                if type(key) is not str or (key and "0" <= key[0] <= "9"):
                    return False
            extend(node.values())
        elif kind is list or kind is tuple:
            extend(node)
        else:
            return False  # floats (number formatting differs) and anything else
    return True


def js_json(value: Any) -> bytes:
    """``JSON.stringify(value)`` as UTF-8 bytes (raises InvalidArgumentError for non-JSON)."""
    if type(value) is str or _plain(value):
        try:
            return _encode(value)
        except UnicodeEncodeError:
            pass  # a lone surrogate: JSON.stringify writes it as \udXXX
    return js_stringify(value).encode("utf-8")


# ---------------------------------------------------------------------------------------
# Validators (zod shapes)


def bad(path: str, message: str) -> InvalidArgumentError:
    return InvalidArgumentError(f"{path}: {message}")


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "an array"
    return type(value).__name__


def string(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise bad(path, f"expected a string, got {_type_name(value)}")
    return str(value)


def optional_string(value: Any, path: str) -> str | None:
    return None if value is None else string(value, path)


def boolean(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise bad(path, f"expected a boolean, got {_type_name(value)}")
    return value


def integer(value: Any, path: str) -> int:
    """A non-negative integer (``z.number().int().nonnegative()``)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise bad(path, f"expected a non-negative integer, got {value!r}")
    return value


def enum(*choices: str) -> Validator:
    allowed = frozenset(choices)
    listed = ", ".join(repr(c) for c in choices)

    def check(value: Any, path: str) -> str:
        if not isinstance(value, str) or value not in allowed:
            raise bad(path, f"expected one of {listed}, got {value!r}")
        return value

    return check


def data_type(value: Any, path: str) -> str:
    """The type of a data chunk or part: ``data-<name>``."""
    if not isinstance(value, str) or not value.startswith("data-"):
        raise bad(path, 'type must start with "data-"')
    return value


def json_value(value: Any, path: str) -> Any:
    """Any JSON value (``jsonValueSchema`` / ``z.unknown()`` of decoded JSON)."""
    pending: list[tuple[Any, str]] = [(value, path)]
    while pending:
        node, where = pending.pop()
        if node is None or isinstance(node, str | bool | int):
            continue
        if isinstance(node, float):
            if not math.isfinite(node):
                raise bad(where, f"not a JSON value: {node!r}")
        elif isinstance(node, Mapping):
            for key, item in node.items():
                if not isinstance(key, str):
                    raise bad(where, f"object key {key!r} is not a string")
                pending.append((item, f"{where}.{key}"))
        elif isinstance(node, list | tuple):
            pending.extend((item, f"{where}[{i}]") for i, item in enumerate(node))
        else:
            raise bad(where, f"not a JSON value: {type(node).__name__}")
    return value


def _record(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise bad(path, f"expected an object, got {_type_name(value)}")
    return value


def _records(value: Any) -> Any:
    """``value`` as ``z.record``/``jsonValueSchema`` leave it: ``__proto__`` keys dropped."""
    if isinstance(value, Mapping):
        return {k: _records(v) for k, v in value.items() if k != "__proto__"}
    if isinstance(value, list | tuple):
        return [_records(v) for v in value]
    return value


def tool_metadata(value: Any, path: str) -> dict[str, Any]:
    """``Record<string, JSONValue>``."""
    json_value(_record(value, path), path)
    out: dict[str, Any] = _records(value)
    return out


def provider_metadata(value: Any, path: str) -> dict[str, dict[str, Any]]:
    """``providerMetadataSchema``: provider name -> ``Record<string, JSONValue>``."""
    for key, inner in _record(value, path).items():
        json_value(_record(inner, f"{path}.{key}"), f"{path}.{key}")
    out: dict[str, dict[str, Any]] = _records(value)
    return out


def string_record(value: Any, path: str) -> dict[str, str]:
    """``Record<string, string>`` (a provider reference)."""
    for key, inner in _record(value, path).items():
        string(inner, f"{path}.{key}")
    return {str(k): str(v) for k, v in value.items() if k != "__proto__"}


def check_keys(
    data: Mapping[str, Any], known: frozenset[str], required: Sequence[str], path: str
) -> None:
    """Refuse unknown keys and require the keys in ``required`` to be present."""
    extra = [key for key in data if key not in known]
    if extra:
        names = ", ".join(repr(k) for k in sorted(map(str, extra)))
        raise bad(path, f"unknown key {names} (pass strict=False to ignore unknown keys)")
    for key in required:
        if key not in data:
            raise bad(path, f"missing required key {key!r}")
