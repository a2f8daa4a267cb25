"""The open blocks of an Interactions stream, one class per kind, and their snapshot form.

A ``step.start`` opens a block at its ``index``; ``step.delta`` events fill it;
``step.stop`` closes it (see ``_transform_events``). The kinds: ``_Pending`` (a
``model_output`` whose content kind is not known yet), ``_Text``, ``_Image``,
``_Reasoning`` (a ``thought``), ``_FunctionCall``, ``_BuiltinCall`` and
``_BuiltinResult`` (the ``*_call`` / ``*_result`` steps of built-in tools) and
``_Unknown``. :func:`_block_state` / :func:`_block_from_state` are their part of
the transform's snapshot (sans-IO, JSON-ready).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, Final, final

from ...errors import InvalidArgumentError
from ._processing import ProcessingBlock

_EMPTY: Final[dict[str, Any]] = {}


def _index(event: dict[str, Any]) -> int | float | None:
    index = event.get("index")
    if type(index) is int:
        return index
    if type(index) is float and index == index and index not in (float("inf"), float("-inf")):
        return int(index) if index.is_integer() else index
    return None


def _str(value: Any) -> str | None:
    return value if type(value) is str else None


# ---------------------------------------------------------------------------------------
# Open blocks, one per step index


@final
class _Pending:
    """A ``model_output`` step whose content kind is not known yet."""

    __slots__ = ("id",)

    def __init__(self, block_id: str) -> None:
        self.id = block_id


@final
class _Text:
    __slots__ = ("id",)

    def __init__(self, block_id: str) -> None:
        self.id = block_id


@final
class _Image:
    """A ``model_output`` step that announced an image in ``step.start``."""

    __slots__ = ("data", "id", "mime_type", "uri")

    def __init__(self, block_id: str, initial: dict[str, Any]) -> None:
        self.id = block_id
        self.data: Any = initial.get("data")
        self.mime_type: Any = initial.get("mime_type")
        self.uri: Any = initial.get("uri")


@final
class _Reasoning:
    __slots__ = ("id", "signature")

    def __init__(self, block_id: str, signature: str | None) -> None:
        self.id = block_id
        self.signature = signature


@final
class _FunctionCall:
    __slots__ = ("arguments", "id", "signature", "tool_call_id", "tool_name")

    def __init__(
        self, block_id: str, tool_call_id: str, tool_name: str, signature: str | None
    ) -> None:
        self.id = block_id
        self.tool_call_id = tool_call_id
        self.tool_name = tool_name
        self.signature = signature
        self.arguments: list[str] = []


@final
class _BuiltinCall:
    __slots__ = ("arguments", "block_type", "id", "tool_call_id", "tool_name")

    def __init__(
        self, block_id: str, block_type: str, tool_call_id: str, tool_name: str, arguments: Any
    ) -> None:
        self.id = block_id
        self.block_type = block_type
        self.tool_call_id = tool_call_id
        self.tool_name = tool_name
        self.arguments = arguments


@final
class _BuiltinResult:
    __slots__ = ("block_type", "call_id", "id", "result", "tool_name")

    def __init__(
        self, block_id: str, block_type: str, call_id: str, tool_name: str, result: Any
    ) -> None:
        self.id = block_id
        self.block_type = block_type
        self.call_id = call_id
        self.tool_name = tool_name
        self.result = result


@final
class _Unknown:
    __slots__ = ("id",)

    def __init__(self, block_id: str) -> None:
        self.id = block_id


_Block = (
    _Pending
    | _Text
    | _Image
    | _Reasoning
    | _FunctionCall
    | _BuiltinCall
    | _BuiltinResult
    | ProcessingBlock
    | _Unknown
)


# ---------------------------------------------------------------------------------------
# Snapshot encoding of the open blocks

_SNAPSHOT_VERSION: Final = 1


def _bad_state(why: str) -> InvalidArgumentError:
    return InvalidArgumentError(
        f"not an Interactions stream transform snapshot: {why}", argument="state"
    )


def _state_str(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise _bad_state(f"{key} must be a string or null")
    return value


def _state_req_str(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise _bad_state(f"{key} must be a string")
    return value


def _state_bool(data: Mapping[str, Any], key: str) -> bool:
    value = data.get(key)
    if not isinstance(value, bool):
        raise _bad_state(f"{key} must be a boolean")
    return value


def _block_state(block: _Block) -> dict[str, Any]:
    kind = type(block)
    if kind is _Text:
        return {"kind": "text", "id": block.id}
    if kind is _Pending:
        return {"kind": "pending", "id": block.id}
    if type(block) is _Reasoning:
        return {"kind": "reasoning", "id": block.id, "signature": block.signature}
    if type(block) is _FunctionCall:
        return {
            "kind": "function_call",
            "id": block.id,
            "tool_call_id": block.tool_call_id,
            "tool_name": block.tool_name,
            "signature": block.signature,
            "arguments": "".join(block.arguments),
        }
    if type(block) is _Image:
        return {
            "kind": "image",
            "id": block.id,
            "data": copy.deepcopy(block.data),
            "mime_type": copy.deepcopy(block.mime_type),
            "uri": copy.deepcopy(block.uri),
        }
    if type(block) is _BuiltinCall:
        return {
            "kind": "builtin_call",
            "id": block.id,
            "block_type": block.block_type,
            "tool_call_id": block.tool_call_id,
            "tool_name": block.tool_name,
            "arguments": copy.deepcopy(block.arguments),
        }
    if type(block) is _BuiltinResult:
        return {
            "kind": "builtin_result",
            "id": block.id,
            "block_type": block.block_type,
            "call_id": block.call_id,
            "tool_name": block.tool_name,
            "result": copy.deepcopy(block.result),
        }
    if type(block) is ProcessingBlock:
        return block.state()
    return {"kind": "unknown", "id": block.id}


def _block_from_state(data: Any) -> _Block:
    if not isinstance(data, Mapping):
        raise _bad_state("a block must be an object")
    kind = data.get("kind")
    block_id = _state_req_str(data, "id")
    if kind == "text":
        return _Text(block_id)
    if kind == "pending":
        return _Pending(block_id)
    if kind == "reasoning":
        return _Reasoning(block_id, _state_str(data, "signature"))
    if kind == "function_call":
        call = _FunctionCall(
            block_id,
            _state_req_str(data, "tool_call_id"),
            _state_req_str(data, "tool_name"),
            _state_str(data, "signature"),
        )
        arguments = _state_req_str(data, "arguments")
        if arguments:
            call.arguments.append(arguments)
        return call
    if kind == "image":
        image = _Image(block_id, _EMPTY)
        image.data = copy.deepcopy(data.get("data"))
        image.mime_type = copy.deepcopy(data.get("mime_type"))
        image.uri = copy.deepcopy(data.get("uri"))
        return image
    if kind == "builtin_call":
        return _BuiltinCall(
            block_id,
            _state_req_str(data, "block_type"),
            _state_req_str(data, "tool_call_id"),
            _state_req_str(data, "tool_name"),
            copy.deepcopy(data.get("arguments")),
        )
    if kind == "builtin_result":
        return _BuiltinResult(
            block_id,
            _state_req_str(data, "block_type"),
            _state_req_str(data, "call_id"),
            _state_req_str(data, "tool_name"),
            copy.deepcopy(data.get("result")),
        )
    if kind == "unknown":
        return _Unknown(block_id)
    if kind == "processing":
        processing = ProcessingBlock.from_state(data)
        if processing is None:
            raise _bad_state("a processing block needs a step_type and string ids")
        return processing
    raise _bad_state(f"unknown block kind {kind!r}")
