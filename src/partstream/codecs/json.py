"""Strict JSON decoding with the fastest decoder installed.

:func:`loads` parses one JSON text (RFC 8259: no ``NaN``/``Infinity``, no trailing
data, no byte order mark) and raises :class:`~partstream.errors.InvalidResponseDataError`
for anything else, with the decoder's own exception as ``__cause__``.

The decoder is picked once at import, fastest first (measured on the Interactions
SSE event shapes: ``benchmarks/bench_codec.py``): ``msgspec`` (a dependency; ~0.42
µs per ``step.delta`` event on the reference machine), ``orjson`` (the ``fast``
extra, ~0.49 µs), the standard library (~2.1 µs), so an environment without
msgspec still works. :data:`BACKEND` names the one in use.
The three agree on every valid JSON text apart from two corners: integers beyond
64 bits (``orjson`` gives a float, as JavaScript does) and lone UTF-16 surrogate
escapes (only the standard library accepts them).
"""

from __future__ import annotations

import json as _stdlib_json
from collections.abc import Callable
from typing import Any, Final

from ..errors import InvalidResponseDataError

__all__ = ["BACKEND", "MAX_ERROR_TEXT", "loads"]

#: How much of a bad JSON text an error message quotes.
MAX_ERROR_TEXT: Final = 200

_Decode = Callable[[Any], Any]
_Backend = tuple[str, _Decode, tuple[type[BaseException], ...]]


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _stdlib_backend() -> _Backend:
    decoder = _stdlib_json.JSONDecoder(parse_constant=_reject_constant)

    def decode(data: Any) -> Any:
        if not isinstance(data, str):
            data = bytes(data).decode("utf-8")
        return decoder.decode(data)

    return "json", decode, (ValueError, RecursionError)


def _backends() -> list[_Backend]:
    """Every decoder installed, fastest first (the standard library is always last)."""
    found: list[_Backend] = []
    try:
        import msgspec.json

        # msgspec.ValidationError: a number out of double range; RecursionError: deep nesting.
        decoder = msgspec.json.Decoder()
        found.append(("msgspec", decoder.decode, (msgspec.MsgspecError, RecursionError)))
    except ImportError:  # pragma: no cover - depends on the environment
        pass
    try:
        import orjson

        found.append(("orjson", orjson.loads, (orjson.JSONDecodeError,)))
    except ImportError:  # pragma: no cover - depends on the environment
        pass
    found.append(_stdlib_backend())
    return found


BACKEND: str
_decode: _Decode
_errors: tuple[type[BaseException], ...]
BACKEND, _decode, _errors = _backends()[0]


def _excerpt(data: object) -> str:
    if isinstance(data, str):
        text = data[: MAX_ERROR_TEXT + 1]
    elif isinstance(data, bytes | bytearray | memoryview):
        # Enough bytes for MAX_ERROR_TEXT + 1 characters of up to 4 bytes each, so a
        # cut never splits a character and the "..." marks every truncated excerpt.
        raw = bytes(data[: 4 * (MAX_ERROR_TEXT + 1)])
        text = raw.decode("utf-8", "replace")[: MAX_ERROR_TEXT + 1]
    else:  # not a JSON text at all: name its type, quote nothing
        return f"<{type(data).__name__}>"
    return text if len(text) <= MAX_ERROR_TEXT else text[:MAX_ERROR_TEXT] + "..."


def loads(data: str | bytes | bytearray | memoryview) -> Any:
    """Parse one JSON text into plain Python values (dict, list, str, int, float, bool, None).

    Raises :class:`~partstream.errors.InvalidResponseDataError` when ``data`` is not
    valid JSON; the message quotes at most :data:`MAX_ERROR_TEXT` characters of it.
    """
    try:
        return _decode(data)
    except _errors as exc:
        raise InvalidResponseDataError(
            f"invalid JSON ({exc}): {_excerpt(data)!r}", data=_excerpt(data)
        ) from exc
    except (UnicodeDecodeError, TypeError, ValueError) as exc:
        raise InvalidResponseDataError(
            f"invalid JSON ({exc}): {_excerpt(data)!r}", data=_excerpt(data)
        ) from exc
