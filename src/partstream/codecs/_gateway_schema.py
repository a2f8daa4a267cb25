"""The typed-event machinery of the Gateway realtime codec (sans-IO, private).

An event class is a frozen attrs class deriving from :class:`_Event`; each field
records its camelCase JSON key and the JSON kind its schema allows. ``_register``
derives the class's wire spec from the fields, :func:`_decode` builds an event
from a JSON object (or ``None`` when the object does not fit, so the codec keeps
it as an unknown event), and :func:`_make_fast_decoder` generates a
straight-line decoder for the common shape. Keys the schema does not name land
in ``extra``, so nothing is lost on a round trip.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, ClassVar, Final

import attrs

_EMPTY: Final[Mapping[str, Any]] = MappingProxyType({})
_MISSING: Final = object()

# Field metadata: the JSON key and the kind of JSON value the schema allows.
_KEY: Final = "json"
_KIND: Final = "kind"


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_object(value: Any) -> bool:
    return isinstance(value, Mapping)


def _is_str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


_Check = Callable[[Any], bool] | None


def _req(key: str, check: _Check) -> Any:
    return attrs.field(metadata={_KEY: key, _KIND: check})


def _opt(key: str, check: _Check, *, converter: Any = None) -> Any:
    if converter is not None:
        return attrs.field(default=None, metadata={_KEY: key, _KIND: check}, converter=converter)
    return attrs.field(default=None, metadata={_KEY: key, _KIND: check})


def _extra() -> Any:
    return attrs.field(factory=lambda: _EMPTY, kw_only=True, repr=False)


def _json_object(value: Any) -> Any:
    """Accept a typed item/config (anything with ``to_dict``) where JSON is expected."""
    to_dict = getattr(value, "to_dict", None)
    return to_dict() if callable(to_dict) else value


# (attribute, JSON key, check, required)
_Spec = tuple[tuple[str, str, _Check, bool], ...]


class _Event:
    """Mixin: wire (de)serialisation driven by the attrs fields' metadata."""

    __slots__ = ()
    type: ClassVar[str]
    _spec: ClassVar[_Spec] = ()
    _names: ClassVar[frozenset[str]] = frozenset()
    extra: Mapping[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """The wire JSON object: camelCase keys, ``None`` omitted, ``extra`` merged back."""
        out: dict[str, Any] = {"type": self.type}
        for attr, key, _, _ in self._spec:
            value = getattr(self, attr)
            if value is not None:
                out[key] = value
        if self.extra:
            out.update(self.extra)
        return out


def _register(cls: type[_Event]) -> None:
    spec: list[tuple[str, str, _Check, bool]] = []
    for f in attrs.fields(cls):  # type: ignore[arg-type]  # every _Event is attrs
        if f.name == "extra":
            continue
        spec.append((f.name, f.metadata[_KEY], f.metadata[_KIND], f.default is attrs.NOTHING))
    cls._spec = tuple(spec)
    cls._names = frozenset(["type", *(key for _, key, _, _ in spec)])


def _decode(cls: type[_Event], data: Mapping[str, Any]) -> _Event | None:
    """Build ``cls`` from ``data``, or ``None`` if the data does not fit the schema."""
    kwargs: dict[str, Any] = {}
    nulls: list[str] | None = None
    matched = 1  # "type"
    for attr, key, check, required in cls._spec:
        value = data.get(key, _MISSING)
        if value is _MISSING:
            if required:
                return None
            continue
        matched += 1
        if value is None:
            # An explicit null: allowed where the schema allows anything or the key is
            # optional; kept in ``extra`` so the round trip gives it back.
            if required and check is not None:
                return None
            if nulls is None:
                nulls = []
            nulls.append(key)
            if required:
                kwargs[attr] = None
            continue
        if check is not None and not check(value):
            return None
        kwargs[attr] = value
    if matched != len(data) or nulls is not None:
        names = cls._names
        extra = {k: v for k, v in data.items() if k not in names}
        for key in nulls or ():
            extra[key] = None
        kwargs["extra"] = extra
    try:
        return cls(**kwargs)
    except (TypeError, ValueError):  # pragma: no cover - the checks above rule it out
        return None


_FAST_CHECKS: Final[dict[Any, str]] = {
    _is_str: "type({v}) is str",
    _is_object: "type({v}) is dict",
    _is_int: "type({v}) is int",
    _is_number: "(type({v}) is int or type({v}) is float)",
    None: "True",
}


def _make_fast_decoder(cls: type[_Event]) -> Callable[[dict[str, Any]], _Event | None]:
    """A decoder specialised for ``cls`` (generated once, like attrs' ``__init__``).

    It handles the common case in straight-line code: exact JSON types, no explicit
    nulls, no extra keys. Anything else goes to the generic :func:`_decode`, so the
    result is the same either way (the property tests compare the two).
    """
    lines = ["def fast(data):", "    get = data.get"]
    args: list[str] = []
    present = 1
    optional: list[str] = []
    for index, (_, key, check, required) in enumerate(cls._spec):
        name = f"v{index}"
        args.append(name)
        test = _FAST_CHECKS[check].format(v=name)
        lines.append(f"    {name} = get({key!r}, MISSING)")
        if required:
            present += 1
            lines.append(f"    if {name} is MISSING or {name} is None or not {test}:")
            lines.append("        return slow(cls, data)")
        else:
            optional.append(name)
            lines.append(f"    if {name} is MISSING:")
            lines.append(f"        {name} = None")
            lines.append(f"    elif {name} is None or not {test}:")
            lines.append("        return slow(cls, data)")
    count = " + ".join([str(present), *(f"({n} is not None)" for n in optional)])
    lines.append(f"    if len(data) != {count}:")
    lines.append("        return slow(cls, data)")
    lines.append(f"    return cls({', '.join(args)})")
    namespace: dict[str, Any] = {"MISSING": _MISSING, "slow": _decode, "cls": cls}
    exec(compile("\n".join(lines), f"<fast decoder {cls.__name__}>", "exec"), namespace)
    decoder: Callable[[dict[str, Any]], _Event | None] = namespace["fast"]
    return decoder
