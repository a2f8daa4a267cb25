"""How a stream part is shaped: JSON keys, (de)serialisation, fast construction.

The machinery behind :mod:`partstream.parts` (private): the attrs field helpers
that record each field's camelCase JSON key and decoder, the ``_Shape`` mixin
whose ``to_dict`` omits ``None`` values, :func:`_build` (the generic
``from_dict``), the JavaScript timestamp form, and the construction shortcuts the
codecs' hot paths use (:func:`_layout_twin`, :func:`_field_setters`).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Final, TypeAlias

import attrs

from .errors import InvalidArgumentError

# The public names are listed (and re-exported) by partstream.parts.

ProviderMetadata: TypeAlias = dict[str, dict[str, Any]]

_JSON_KEY: Final = "json"
#: Field metadata: the function that turns the field's JSON value into its Python value.
_DECODE: Final = "decode"


def _key(name: str, *, default: Any = None, converter: Any = None, decode: Any = None) -> Any:
    """An attrs field whose JSON key is ``name`` (camelCase).

    A field with a ``converter`` decodes its JSON value with it (and encodes the
    value back with ``to_dict``); ``decode`` names the decoder of a field without one.
    """
    metadata = _metadata(name, converter if decode is None else decode)
    if converter is not None:
        return attrs.field(default=default, metadata=metadata, converter=converter)
    return attrs.field(default=default, metadata=metadata)


def _req(name: str, *, converter: Any = None) -> Any:
    metadata = _metadata(name, converter)
    if converter is not None:
        return attrs.field(metadata=metadata, converter=converter)
    return attrs.field(metadata=metadata)


def _metadata(name: str, decode: Any) -> dict[str, Any]:
    if decode is None:
        return {_JSON_KEY: name}
    return {_JSON_KEY: name, _DECODE: decode}


# ---------------------------------------------------------------------------------------
# Timestamps: JavaScript's Date.prototype.toISOString() form, e.g. 2026-05-15T18:51:55.000Z


def format_timestamp(value: _dt.datetime) -> str:
    """Format like JavaScript's ``Date.toISOString()`` (UTC, milliseconds, ``Z``)."""
    if value.tzinfo is not None:
        value = value.astimezone(_dt.UTC).replace(tzinfo=None)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def parse_timestamp(text: str) -> _dt.datetime:
    """Parse an ISO 8601 timestamp into an aware UTC datetime."""
    try:
        parsed = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidArgumentError(f"not an ISO 8601 timestamp: {text!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=_dt.UTC)
    return parsed.astimezone(_dt.UTC)


# ---------------------------------------------------------------------------------------
# Generic (de)serialisation driven by the fields' JSON keys.


class _Shape:
    """Mixin: ``to_dict`` from the attrs fields, omitting ``None`` values."""

    # The weak reference slot lives here, not after each class's fields (where attrs
    # would put it): then a plain class with the same field slots has the same
    # instance layout, which ``_layout_twin`` relies on. Parts stay weak-referenceable.
    __slots__ = ("__weakref__",)
    type: ClassVar[str]
    _fixed: ClassVar[dict[str, Any]] = {}

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type} if self.type else {}
        out.update(self._fixed)
        for name, key, encode in _codec(type(self))[0]:
            value = getattr(self, name)
            if value is not None:
                out[key] = encode(value) if encode is not None else value
        return out


_Encoder = Callable[[Any], Any] | None
_CODECS: dict[type, tuple[list[tuple[str, str, _Encoder]], list[tuple[str, str, _Encoder]]]] = {}


def _encode_value(value: Any) -> Any:
    if isinstance(value, _Shape):
        return value.to_dict()
    if isinstance(value, tuple):
        return [_encode_value(v) for v in value]
    if isinstance(value, _dt.datetime):
        return format_timestamp(value)
    return value


def _codec(
    cls: type,
) -> tuple[list[tuple[str, str, _Encoder]], list[tuple[str, str, _Encoder]]]:
    cached = _CODECS.get(cls)
    if cached is not None:
        return cached
    enc: list[tuple[str, str, _Encoder]] = []
    dec: list[tuple[str, str, _Encoder]] = []
    for f in attrs.fields(cls):
        key = f.metadata.get(_JSON_KEY, f.name)
        # A field whose JSON value is not stored as is: decoded on the way in, encoded
        # on the way out.
        decoder = f.metadata.get(_DECODE)
        enc.append((f.name, key, _encode_value if decoder is not None else None))
        dec.append((f.name, key, decoder))
    _CODECS[cls] = (enc, dec)
    return enc, dec


def _build(cls: type[Any], data: Mapping[str, Any]) -> Any:
    kwargs: dict[str, Any] = {}
    for name, key, decode in _codec(cls)[1]:
        if key in data and data[key] is not None:
            value = data[key]
            kwargs[name] = decode(value) if decode is not None else value
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise InvalidArgumentError(f"invalid {cls.__name__} data: {exc}") from None


# ---------------------------------------------------------------------------------------
# Construction speed, for codecs' hot paths (private)


def _plain_fields(cls: type[Any]) -> tuple[str, ...]:
    """The field names of a slotted attrs class whose ``__init__`` only stores them."""
    if "__slots__" not in cls.__dict__ or any(
        hasattr(cls, hook) for hook in ("__attrs_pre_init__", "__attrs_post_init__")
    ):
        raise TypeError(f"{cls.__name__} is not a plain slotted attrs class")
    for field in attrs.fields(cls):
        if field.converter is not None or field.validator is not None or field.on_setattr:
            raise TypeError(f"{cls.__name__}.{field.name} has hooks __init__ would run")
    return tuple(field.name for field in attrs.fields(cls))


def _layout_twin(cls: type[Any]) -> type[Any] | None:
    """A plain class with the instance layout of part class ``cls``, or ``None``.

    The fastest way to build a frozen slotted instance in Python: create a twin,
    store every field on it (plain slot stores), then set its ``__class__`` to
    ``cls``. CPython allows that assignment between classes with the same slots and
    bases ("__class__ assignment works only if both classes have the same
    __slots__", Data model 3.3.2.4.1); the result is an ordinary ``cls`` instance,
    frozen as usual. Every field must be stored (a slot never set would be missing).
    ``None`` when this interpreter refuses the assignment (checked here, once).
    """
    names = _plain_fields(cls)
    if cls.__bases__ != (_Shape,):
        raise TypeError(f"{cls.__name__} does not derive from _Shape alone")
    twin: type[Any] = type(
        f"_{cls.__name__}Twin", (_Shape,), {"__slots__": names, "__module__": __name__}
    )
    probe = object.__new__(twin)
    for name in names:
        setattr(probe, name, None)
    try:
        probe.__class__ = cls
    except TypeError:  # pragma: no cover - an interpreter without the layout rule
        return None
    return twin


def _field_setters(cls: type[Any]) -> tuple[Callable[[Any, Any], None], ...]:
    """The slot setters of ``cls``'s attrs fields, in field order.

    A frozen attrs ``__init__`` stores each argument with ``object.__setattr__``,
    which ends in the field's slot descriptor; a hot path can call those
    descriptors itself on ``object.__new__(cls)`` and get the same instance for a
    fraction of the cost: ``part = object.__new__(TextDelta)``, then every setter
    once (a slot never set would be missing). The instance is the real class,
    frozen for everyone else. Only for fields without converters, validators or
    ``on_setattr`` hooks on classes without ``__attrs_pre_init__`` or
    ``__attrs_post_init__`` (anything else raises: the shortcut would skip them).
    """
    return tuple(cls.__dict__[name].__set__ for name in _plain_fields(cls))
