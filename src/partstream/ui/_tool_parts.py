"""Tool parts of UI messages: ``tool-<name>`` and ``dynamic-tool``, in every state.

A tool part's keys depend on its ``state`` (the reference validates it with a
discriminated union on ``state``): :data:`_STATES` lists, per state, the keys it
may carry, the keys it must carry and the keys it must not carry, and the shape
of its ``approval``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Final, Literal, final

import attrs

from ._fields import Shape, field, from_data
from ._schema import bad, boolean, enum, json_value, provider_metadata, string, tool_metadata

__all__ = ["DynamicToolUIPart", "ToolApproval", "ToolState", "ToolUIPart"]

ToolState = Literal[
    "input-streaming",
    "input-available",
    "approval-requested",
    "approval-responded",
    "output-available",
    "output-error",
    "output-denied",
]


@final
@attrs.frozen
class ToolApproval(Shape):
    """A tool part's ``approval``: requested (``approved`` absent), then answered."""

    _typed: ClassVar[bool] = False
    id: str = field("id", string, required=True)
    approved: bool | None = field("approved", boolean)
    descriptor: Any = field("descriptor", json_value, null="accept")
    request_reason: str | None = field("requestReason", string)
    reason: str | None = field("reason", string)
    is_automatic: bool | None = field("isAutomatic", boolean)
    signature: str | None = field("signature", string)
    input_schema_input: Any = field("inputSchemaInput", json_value, null="accept")


ToolApproval._prepare()

_Approval = Literal["requested", "responded", "granted", "denied"]


def _approval(value: Any, path: str, kind: _Approval, strict: bool) -> ToolApproval:
    approval = from_data(ToolApproval, value, path, strict)
    if kind == "requested":
        if approval.approved is not None or approval.reason is not None:
            raise bad(path, "a requested approval has no 'approved' and no 'reason' yet")
    elif approval.approved is None:
        raise bad(f"{path}.approved", "missing required key 'approved'")
    elif kind == "granted" and approval.approved is not True:
        raise bad(f"{path}.approved", "expected true")
    elif kind == "denied" and approval.approved is not False:
        raise bad(f"{path}.approved", "expected false")
    return approval


# state -> (keys allowed beyond the common ones, required keys, forbidden keys, approval kind)
_STATES: Final[dict[str, tuple[frozenset[str], frozenset[str], frozenset[str], _Approval]]] = {
    "input-streaming": (
        frozenset({"input", "rawInput", "inputEncoding"}),
        frozenset(),
        frozenset({"output", "errorText", "approval"}),
        "requested",
    ),
    "input-available": (
        frozenset({"input"}),
        frozenset({"input"}),
        frozenset({"output", "errorText", "approval"}),
        "requested",
    ),
    "approval-requested": (
        frozenset({"input", "approval"}),
        frozenset({"input", "approval"}),
        frozenset({"output", "errorText"}),
        "requested",
    ),
    "approval-responded": (
        frozenset({"input", "approval"}),
        frozenset({"input", "approval"}),
        frozenset({"output", "errorText"}),
        "responded",
    ),
    "output-available": (
        frozenset({"input", "output", "resultProviderMetadata", "preliminary", "approval"}),
        frozenset({"input", "output"}),
        frozenset({"errorText"}),
        "granted",
    ),
    "output-error": (
        frozenset({"input", "rawInput", "errorText", "resultProviderMetadata", "approval"}),
        frozenset({"errorText"}),
        frozenset({"output"}),
        "granted",
    ),
    "output-denied": (
        frozenset({"input", "approval"}),
        frozenset({"input", "approval"}),
        frozenset({"output", "errorText"}),
        "denied",
    ),
}
_COMMON: Final = frozenset(
    {"type", "toolCallId", "title", "toolMetadata", "state", "providerExecuted"}
    | {"callProviderMetadata"}
)
_STATE: Final = enum(*_STATES)
_ENCODING: Final = enum("json", "text")
# Keys whose value is written even when it is None (JSON null), per state.
_KEEP_NULL: Final = {
    "input": frozenset(state for state, spec in _STATES.items() if "input" in spec[1]),
    "output": frozenset({"output-available"}),
}

# Python attribute -> (JSON key, validator); the validators of the state-dependent keys.
_CHECKS: Final[dict[str, tuple[str, Any]]] = {
    "tool_call_id": ("toolCallId", string),
    "title": ("title", string),
    "tool_metadata": ("toolMetadata", tool_metadata),
    "provider_executed": ("providerExecuted", boolean),
    "call_provider_metadata": ("callProviderMetadata", provider_metadata),
    "result_provider_metadata": ("resultProviderMetadata", provider_metadata),
    "input": ("input", json_value),
    "output": ("output", json_value),
    "error_text": ("errorText", string),
    "input_encoding": ("inputEncoding", _ENCODING),
    "preliminary": ("preliminary", boolean),
}


def _decode_tool(
    data: Any, path: str, strict: bool, extra: Mapping[str, tuple[str, Any]]
) -> dict[str, Any]:
    """The constructor arguments of a tool part, validated for its state."""
    if not isinstance(data, Mapping):
        raise bad(path, "expected a tool part object")
    state = _STATE(data.get("state"), f"{path}.state")
    allowed, required, forbidden, approval_kind = _STATES[state]
    known = _COMMON | allowed | {key for key, _ in extra.values()}
    for key in data:
        if key in forbidden:
            raise bad(f"{path}.{key}", f"must not be set in state {state!r}")
        if key not in known and strict:
            raise bad(path, f"unknown key {key!r} (pass strict=False to ignore unknown keys)")
    for key in ("toolCallId", *sorted(required)):
        if key not in data:
            raise bad(path, f"missing required key {key!r} in state {state!r}")
    kwargs: dict[str, Any] = {"state": state}
    for name, (key, check) in (*_CHECKS.items(), *extra.items()):
        if key not in data or (key not in known):
            continue
        value = data[key]
        where = f"{path}.{key}"
        if key in ("input", "output"):
            kwargs[name] = json_value(value, where)
            continue
        if value is None:
            raise bad(where, "null is not allowed here (leave the key out)")
        kwargs[name] = check(value, where)
    if "rawInput" in data and "rawInput" in allowed:
        raw = data["rawInput"]
        # input-streaming keeps the raw text; output-error any value.
        kwargs["raw_input"] = (
            string(raw, f"{path}.rawInput")
            if state == "input-streaming"
            else json_value(raw, f"{path}.rawInput")
        )
    if "approval" in data:
        kwargs["approval"] = _approval(data["approval"], f"{path}.approval", approval_kind, strict)
    return kwargs


class _Tool(Shape):
    __slots__ = ()
    _order: ClassVar[tuple[tuple[str, str], ...]] = ()

    def to_dict(self) -> dict[str, Any]:
        """The part's JSON, its keys in the order the reference writes them."""
        state = getattr(self, "state")  # noqa: B009
        out: dict[str, Any] = {}
        for name, key in self._order:
            value = getattr(self, name)
            if value is None:
                keep = _KEEP_NULL.get(key)
                if keep is not None and state in keep:
                    out[key] = None
                continue
            out[key] = value.to_dict() if isinstance(value, ToolApproval) else value
        return out


def _tool_type(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value.startswith("tool-"):
        raise bad(path, 'type must start with "tool-"')
    return value


_FIELDS_DOC: Final = """
``input``/``output`` are JSON values (``None`` is JSON null where the state requires
the key); ``raw_input`` is the raw input text while streaming or whatever failed to
parse; ``call_provider_metadata``/``result_provider_metadata`` belong to the call and
to its result.
"""


@final
@attrs.frozen
class ToolUIPart(_Tool):
    __doc__ = 'A static tool\'s part, ``type`` ``"tool-<name>"``.' + _FIELDS_DOC

    type: str = attrs.field(validator=lambda _s, _a, v: _tool_type(v, "type"))
    tool_call_id: str
    state: ToolState
    input: Any = None
    output: Any = None
    error_text: str | None = None
    raw_input: Any = None
    input_encoding: Literal["json", "text"] | None = None
    title: str | None = None
    tool_metadata: dict[str, Any] | None = None
    provider_executed: bool | None = None
    preliminary: bool | None = None
    call_provider_metadata: dict[str, dict[str, Any]] | None = None
    result_provider_metadata: dict[str, dict[str, Any]] | None = None
    approval: ToolApproval | None = None

    _order: ClassVar[tuple[tuple[str, str], ...]] = (
        ("type", "type"),
        ("tool_call_id", "toolCallId"),
        ("state", "state"),
        ("title", "title"),
        ("tool_metadata", "toolMetadata"),
        ("input", "input"),
        ("input_encoding", "inputEncoding"),
        ("output", "output"),
        ("raw_input", "rawInput"),
        ("error_text", "errorText"),
        ("provider_executed", "providerExecuted"),
        ("preliminary", "preliminary"),
        ("call_provider_metadata", "callProviderMetadata"),
        ("result_provider_metadata", "resultProviderMetadata"),
        ("approval", "approval"),
    )

    @property
    def tool_name(self) -> str:
        """The tool's name: ``type`` without its ``tool-`` prefix."""
        return self.type[5:]

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], *, strict: bool = True, path: str = "part"
    ) -> ToolUIPart:
        kwargs = _decode_tool(data, path, strict, {})
        return cls(type=_tool_type(data.get("type"), f"{path}.type"), **kwargs)


def _false(value: Any, path: str) -> bool:
    if value is not False:
        raise bad(path, "expected false")
    return False


@final
@attrs.frozen
class DynamicToolUIPart(_Tool):
    __doc__ = (
        'A dynamic tool\'s part (``type`` ``"dynamic-tool"``, the name in ``tool_name``);'
        " ``dynamic=False`` marks a static tool that is no longer available." + _FIELDS_DOC
    )

    type: ClassVar[Literal["dynamic-tool"]] = "dynamic-tool"
    tool_name: str
    tool_call_id: str
    state: ToolState
    input: Any = None
    output: Any = None
    error_text: str | None = None
    raw_input: Any = None
    input_encoding: Literal["json", "text"] | None = None
    title: str | None = None
    tool_metadata: dict[str, Any] | None = None
    provider_executed: bool | None = None
    preliminary: bool | None = None
    call_provider_metadata: dict[str, dict[str, Any]] | None = None
    result_provider_metadata: dict[str, dict[str, Any]] | None = None
    approval: ToolApproval | None = None
    dynamic: Literal[False] | None = None

    _order: ClassVar[tuple[tuple[str, str], ...]] = (
        ("type", "type"),
        ("tool_name", "toolName"),
        ("tool_call_id", "toolCallId"),
        ("state", "state"),
        ("input", "input"),
        ("input_encoding", "inputEncoding"),
        ("output", "output"),
        ("error_text", "errorText"),
        ("preliminary", "preliminary"),
        ("provider_executed", "providerExecuted"),
        ("title", "title"),
        ("tool_metadata", "toolMetadata"),
        ("call_provider_metadata", "callProviderMetadata"),
        ("result_provider_metadata", "resultProviderMetadata"),
        ("raw_input", "rawInput"),
        ("approval", "approval"),
        ("dynamic", "dynamic"),
    )

    @classmethod
    def from_dict(cls, data: Any, *, strict: bool = True, path: str = "part") -> DynamicToolUIPart:
        if not isinstance(data, Mapping) or data.get("type") != "dynamic-tool":
            raise bad(f"{path}.type", "expected 'dynamic-tool'")
        extra = {"tool_name": ("toolName", string), "dynamic": ("dynamic", _false)}
        kwargs = _decode_tool(data, path, strict, extra)
        if "tool_name" not in kwargs:
            raise bad(path, "missing required key 'toolName'")
        return cls(**kwargs)
