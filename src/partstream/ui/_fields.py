"""The attrs plumbing shared by the UI chunk and UI message classes.

A field is declared with :func:`field` (its JSON key, its validator, whether
``None`` is written as JSON ``null``). :class:`Shape` gives every class
``to_dict()`` (keys in declaration order, ``None`` omitted unless the field keeps
nulls) and a validating ``from_dict()``; :func:`fast_builder` makes instances
without running the attrs ``__init__`` for the converter's hot path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Final, Literal, TypeVar, cast

import attrs

from ._schema import Validator, bad, check_keys

__all__ = ["Null", "Shape", "encode_nested", "fast_builder", "field", "from_data"]

_META: Final = "partstream.ui"
_NO_DEFAULT: Final = attrs.NOTHING

S = TypeVar("S", bound="Shape")
Null = Literal[False, "keep", "accept"]


def field(
    key: str,
    check: Validator,
    *,
    required: bool = False,
    kw_only: bool = False,
    null: Null = False,
    nested: Callable[[Any, str, bool], Any] | None = None,
) -> Any:
    """An attrs field for JSON key ``key``.

    ``required`` fields have no default (``kw_only`` for one after optional
    fields, to keep the reference's key order). ``null``: ``False`` refuses JSON ``null``
    (zod's ``z.optional(...)`` accepts only a missing key); ``"keep"`` writes
    ``None`` as ``null`` (a required ``z.unknown()`` key, whose value may be null);
    ``"accept"`` takes ``null`` as absent (``z.optional(z.unknown())``). ``nested``
    decodes a value holding other shapes (``(value, path, strict) -> value``).
    """
    meta = {_META: (key, check, null, nested)}
    if required:
        return attrs.field(metadata=meta, kw_only=kw_only)
    return attrs.field(default=None, metadata=meta, kw_only=kw_only)


_Spec = tuple[str, str, Validator, Null, bool, Any]  # name, key, check, null, required, nested


def encode_nested(value: Any) -> Any:
    """A field value holding shapes (or tuples of them) as plain JSON."""
    if isinstance(value, Shape):
        return value.to_dict()
    if isinstance(value, tuple):
        return [encode_nested(v) for v in value]
    return value


class Shape:
    """Mixin: ``to_dict``/``from_dict`` from the fields' metadata."""

    __slots__ = ()
    _specs: ClassVar[tuple[_Spec, ...]] = ()
    _known: ClassVar[frozenset[str]] = frozenset()
    _required: ClassVar[tuple[str, ...]] = ()
    _typed: ClassVar[bool] = True  # writes "type" first

    @classmethod
    def _prepare(cls) -> None:
        specs: list[_Spec] = []
        for f in attrs.fields(cast(Any, cls)):
            key, check, null, nested = f.metadata[_META]
            required = f.default is _NO_DEFAULT
            specs.append((f.name, key, check, null, required, nested))
        cls._specs = tuple(specs)
        typed = ["type"] if cls._typed else []
        cls._known = frozenset([*typed, *(s[1] for s in specs)])
        cls._required = tuple(s[1] for s in specs if s[4])

    def to_dict(self) -> dict[str, Any]:
        """The reference's JSON: same keys, same order, absent values omitted."""
        out: dict[str, Any] = {"type": getattr(self, "type")} if self._typed else {}  # noqa: B009
        for name, key, _, null, _, nested in self._specs:
            if name == "type":
                continue
            value = getattr(self, name)
            if value is not None:
                out[key] = encode_nested(value) if nested is not None else value
            elif null == "keep":
                out[key] = None
        return out


def from_data(cls: type[S], data: Any, path: str, strict: bool) -> S:
    """Validate ``data`` (a decoded JSON object) against ``cls`` and build it."""
    if not isinstance(data, Mapping):
        raise bad(path, f"expected an object, got {type(data).__name__}")
    if strict:
        check_keys(data, cls._known, cls._required, path)
    else:
        for key in cls._required:
            if key not in data:
                raise bad(path, f"missing required key {key!r}")
    kwargs: dict[str, Any] = {}
    for name, key, check, null, _, nested in cls._specs:
        if key not in data:
            continue
        value = data[key]
        where = f"{path}.{key}"
        if value is None:
            if null == "accept":
                continue
            if not null:
                # zod's z.optional() accepts undefined, never null.
                raise bad(where, "null is not allowed here (leave the key out)")
            kwargs[name] = None
            continue
        if nested is not None:
            kwargs[name] = nested(value, where, strict)
        else:
            kwargs[name] = check(value, where)
    return cls(**kwargs)


def fast_builder(cls: type[S]) -> Callable[..., S]:
    """``build(*values)``: an instance of ``cls`` from every field's value, in order.

    Stores the values with the slots' own descriptors on ``object.__new__(cls)``,
    which is what the frozen attrs ``__init__`` ends up doing, minus its per-field
    ``object.__setattr__`` calls. Only for classes without converters or hooks.
    """
    fields = attrs.fields(cast(Any, cls))
    names = [f.name for f in fields]
    for f in fields:
        if f.converter is not None or f.validator is not None:  # pragma: no cover
            raise TypeError(f"{cls.__name__}.{f.name} has hooks fast_builder would skip")
    setters = tuple(cls.__dict__[name].__set__ for name in names)
    new = object.__new__
    if len(setters) == 1:
        (s0,) = setters

        def build1(v0: Any) -> S:
            obj = new(cls)
            s0(obj, v0)
            return obj

        return build1
    if len(setters) == 2:
        s0, s1 = setters

        def build2(v0: Any, v1: Any) -> S:
            obj = new(cls)
            s0(obj, v0)
            s1(obj, v1)
            return obj

        return build2
    if len(setters) == 3:
        s0, s1, s2 = setters

        def build3(v0: Any, v1: Any, v2: Any) -> S:
            obj = new(cls)
            s0(obj, v0)
            s1(obj, v1)
            s2(obj, v2)
            return obj

        return build3

    def build(*values: Any) -> S:
        obj = new(cls)
        for setter, value in zip(setters, values, strict=True):
            setter(obj, value)
        return obj

    return build
