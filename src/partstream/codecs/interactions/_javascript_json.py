"""JSON the way the JavaScript reference writes and reads it (sans-IO).

``js_stringify`` gives the exact text of ECMAScript ``JSON.stringify`` for a JSON
value: compact, integer-like object keys first, numbers in the Number::toString
form (``1`` not ``1.0``, ``1e+21``, ``1e-7``), non-finite numbers as ``null``,
lone surrogates escaped. ``secure_json_parse`` is ``JSON.parse`` that refuses
prototype-polluting keys (``__proto__``; ``constructor`` holding ``prototype``).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final

from partstream.errors import InvalidArgumentError

__all__ = ["check_json", "js_number", "js_stringify", "secure_json_parse"]

_MAX_SAFE_INTEGER: Final = 2**53 - 1
_ARRAY_INDEX = re.compile(r"0|[1-9][0-9]*")
_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")


def js_number(value: float) -> str:
    """ECMAScript Number::toString of a finite double (shortest round-trip digits)."""
    if value == 0:
        return "0"
    sign, digits_t, exponent = Decimal(repr(float(value))).normalize().as_tuple()
    assert isinstance(exponent, int)
    digits = "".join(map(str, digits_t))
    k = len(digits)
    n = exponent + k  # value = 0.digits x 10**n
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        text = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        mantissa = digits if k == 1 else digits[0] + "." + digits[1:]
        text = f"{mantissa}e{'+' if e >= 0 else '-'}{abs(e)}"
    return ("-" if sign else "") + text


def _is_array_index(key: str) -> bool:
    return _ARRAY_INDEX.fullmatch(key) is not None and int(key) < 2**32 - 1


def _write(value: Any, out: list[str]) -> None:
    if value is None or value is True or value is False:
        out.append("null" if value is None else ("true" if value else "false"))
    elif isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
        if _LONE_SURROGATE.search(text):
            text = _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
        out.append(text)
    elif isinstance(value, int):
        out.append(str(value) if abs(value) <= _MAX_SAFE_INTEGER else js_number(float(value)))
    elif isinstance(value, float):
        out.append(js_number(value) if math.isfinite(value) else "null")
    elif isinstance(value, Mapping):
        keys = list(value)
        if not all(isinstance(k, str) for k in keys):
            raise InvalidArgumentError("JSON object keys must be strings")
        # JavaScript objects list integer-like keys first, ascending.
        ordered = sorted((k for k in keys if _is_array_index(k)), key=int) + [
            k for k in keys if not _is_array_index(k)
        ]
        out.append("{")
        for i, key in enumerate(ordered):
            if i:
                out.append(",")
            _write(key, out)
            out.append(":")
            _write(value[key], out)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _write(item, out)
        out.append("]")
    else:
        raise InvalidArgumentError(f"not a JSON value: {type(value).__name__}")


def js_stringify(value: Any) -> str:
    """``JSON.stringify(value)`` for a JSON value (dicts, lists, str, numbers, bools, None)."""
    out: list[str] = []
    try:
        _write(value, out)
    except RecursionError:
        raise InvalidArgumentError("JSON value is nested too deeply") from None
    return "".join(out)


def _is_plain_json(value: Any) -> bool:
    """Fast check with exact types; ``False`` also for subclasses (then checked slowly)."""
    pending = [value]
    pop, extend = pending.pop, pending.extend
    while pending:
        node = pop()
        kind = type(node)
        if kind is str or kind is int or kind is bool or node is None:
            continue
        if kind is float:
            if not math.isfinite(node):
                return False
        elif kind is dict:
            if not all(type(k) is str for k in node):
                return False
            extend(node.values())
        elif kind is list or kind is tuple:
            extend(node)
        else:
            return False
    return True


def check_json(value: Any, where: str, *, argument: str | None = None) -> None:
    """Raise :class:`InvalidArgumentError` unless ``value`` is plain, finite JSON.

    JSON here: ``None``, ``bool``, ``int``, finite ``float``, ``str``, lists/tuples and
    mappings with string keys. Iterative, so deep nesting cannot overflow the stack.
    """
    if _is_plain_json(value):
        return
    pending: list[tuple[Any, str]] = [(value, where)]
    while pending:
        node, path = pending.pop()
        if node is None or isinstance(node, str | bool | int):
            continue
        if isinstance(node, float):
            if not math.isfinite(node):
                raise InvalidArgumentError(f"{path} is not JSON: {node!r}", argument=argument)
        elif isinstance(node, Mapping):
            for key, item in node.items():
                if not isinstance(key, str):
                    raise InvalidArgumentError(
                        f"{path} is not JSON: key {key!r} is not a string", argument=argument
                    )
                pending.append((item, f"{path}.{key}"))
        elif isinstance(node, list | tuple):
            pending.extend((item, f"{path}[{i}]") for i, item in enumerate(node))
        else:
            raise InvalidArgumentError(
                f"{path} is not JSON: a {type(node).__name__}", argument=argument
            )


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _parse_int(text: str) -> int | float:
    # JavaScript numbers are doubles: integers past 2**53 lose precision there too.
    number = int(text)
    return number if abs(number) <= _MAX_SAFE_INTEGER else float(text)


def _has_forbidden_key(root: Any) -> bool:
    pending = [root]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            if "__proto__" in node:
                return True
            ctor = node.get("constructor")
            if isinstance(ctor, dict) and "prototype" in ctor:
                return True
            pending.extend(v for v in node.values() if isinstance(v, dict | list))
        elif isinstance(node, list):
            pending.extend(v for v in node if isinstance(v, dict | list))
    return False


def secure_json_parse(text: str) -> Any:
    """Parse JSON text like ``JSON.parse``; raise ``ValueError`` on bad or polluting input."""
    try:
        value = json.loads(text, parse_constant=_reject_constant, parse_int=_parse_int)
    except RecursionError:
        raise ValueError("JSON text is nested too deeply") from None
    if _has_forbidden_key(value):
        raise ValueError("Object contains forbidden prototype property")
    return value
