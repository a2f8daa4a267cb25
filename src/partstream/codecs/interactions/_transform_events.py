"""What each Interactions event does to the transform's state, and the parts it gives.

The per-event half of :class:`~partstream.codecs.interactions.InteractionsStreamTransform`
(its base class, which holds the state's slots): the ``interaction.*`` events
(``created``, ``status_update``, ``completed``, ``error``) and the ``step.*``
events, which open, fill and close one block per ``index`` (the kinds are in
``_transform_blocks``). The stage itself (batches, the hot paths, dispatch,
snapshots) is in ``_transform``. Sans-IO.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from ...errors import InvalidArgumentError, InvalidResponseDataError
from ...parts import (
    Error,
    File,
    Part,
    ReasoningDelta,
    ReasoningEnd,
    ReasoningStart,
    ResponseMetadata,
    Source,
    TextDelta,
    TextEnd,
    TextStart,
    ToolCall,
    ToolInputDelta,
    ToolInputEnd,
    ToolInputStart,
    ToolResult,
    Warning,
)
from ._api import BUILTIN_TOOL_CALL_TYPES, BUILTIN_TOOL_RESULT_TYPES, error_to_json
from ._javascript_json import js_number, js_stringify
from ._outputs import (
    builtin_tool_name,
    file_part,
    google_metadata,
    interaction_id_of,
    parse_created,
)
from ._processing import PROCESSING_STEPS, ProcessingBlock
from ._sources import annotations_to_sources, builtin_tool_result_to_sources, source_key
from ._transform_blocks import (
    _EMPTY,
    _Block,
    _BuiltinCall,
    _BuiltinResult,
    _FunctionCall,
    _Image,
    _index,
    _Pending,
    _Reasoning,
    _str,
    _Text,
    _Unknown,
)

_TEXTUAL_DELTAS: Final = frozenset({"text", "text_annotation", "text_annotation_delta"})
_ANNOTATION_DELTAS: Final = frozenset({"text_annotation", "text_annotation_delta"})


class _EventHandlers:
    """The event handlers of the transform, and its state (set by its ``__init__``)."""

    __slots__ = (
        "_blocks",
        "_body_tier",
        "_completed_seen",
        "_generate_id",
        "_handlers",
        "_has_function_call",
        "_header_tier",
        "_include_raw",
        "_interaction_id",
        "_source_keys",
        "_status",
        "_usage",
        "_warnings",
    )

    _blocks: dict[int | float, _Block]
    _body_tier: Any
    _completed_seen: bool
    _generate_id: Callable[[], str]
    _handlers: dict[str, Callable[[dict[str, Any], list[Part]], None]]
    _has_function_call: bool
    _header_tier: str | None
    _include_raw: bool
    _interaction_id: str | None
    _source_keys: set[str]
    _status: str | None
    _usage: Any
    _warnings: tuple[Warning, ...]

    def _invalid(self, value: Any, reason: str, out: list[Part]) -> None:
        # What a schema validation failure gives in the reference: an error part.
        try:
            shown = js_stringify(value)
        except InvalidArgumentError:
            shown = repr(value)
        self._status = "failed"
        out.append(
            Error(
                error={
                    "name": "AI_TypeValidationError",
                    "message": f"Type validation failed: Value: {shown}.\nError message: {reason}",
                }
            )
        )

    # -- interaction events --------------------------------------------------------------

    def _created(self, event: dict[str, Any], out: list[Part]) -> None:
        interaction = event.get("interaction")
        if type(interaction) is not dict:
            interaction = _EMPTY
        # `store: false` streams send `id: ""`: no server-side record, so no id.
        self._interaction_id = interaction_id_of(interaction.get("id"))
        out.append(
            ResponseMetadata(
                id=self._interaction_id,
                timestamp=parse_created(interaction.get("created")),
                model_id=_str(interaction.get("model")),
            )
        )

    def _status_update(self, event: dict[str, Any], out: list[Part]) -> None:
        status = event.get("status")
        if type(status) is str:
            self._status = status
        elif event.get("event_type") == "interaction.requires_action":
            self._status = "requires_action"
        else:
            self._status = "in_progress"

    def _completed(self, event: dict[str, Any], out: list[Part]) -> None:
        self._completed_seen = True
        interaction = event.get("interaction")
        if type(interaction) is not dict:
            return
        interaction_id = interaction_id_of(interaction.get("id"))
        if interaction_id is not None:
            self._interaction_id = interaction_id
        status = interaction.get("status")
        if type(status) is str:
            self._status = status
        usage = interaction.get("usage")
        if usage is not None:
            self._usage = usage
        # The Interactions API states the applied tier in the body, not in the
        # `x-gemini-service-tier` header `generateContent` uses: the body wins.
        tier = interaction.get("service_tier")
        if tier is not None:
            self._body_tier = tier

    def _error(self, event: dict[str, Any], out: list[Part]) -> None:
        # AI SDK 4.0.52: the error part carries a provider stream error: the message,
        # the event type, the error's code and the whole event as data.
        self._status = "failed"
        error = event.get("error")
        error = error if type(error) is dict else _EMPTY
        message = error.get("message")
        provider_error: dict[str, Any] = {
            "message": message if message is not None else "Unknown interaction error",
            "type": event.get("event_type"),
        }
        if error.get("code") is not None:
            provider_error["code"] = error["code"]
        provider_error["data"] = event
        out.append(Error(error=provider_error))

    # -- steps ---------------------------------------------------------------------------

    def _block_id(self, index: int | float) -> str:
        prefix = self._interaction_id if self._interaction_id is not None else "interaction"
        # The index as JavaScript prints the number (integers past 2**53 are doubles there).
        if type(index) is int and -(2**53) <= index <= 2**53:
            return f"{prefix}:{index}"
        return f"{prefix}:{js_number(float(index))}"

    def _emit_sources(self, sources: list[Source], out: list[Part]) -> None:
        keys = self._source_keys
        for source in sources:
            key = source_key(source)
            if key not in keys:
                keys.add(key)
                out.append(source)

    def _file(self, payload: dict[str, Any], default_media_type: str, out: list[Part]) -> None:
        try:
            part: File | None = file_part(
                payload, default_media_type, google_metadata(interaction_id=self._interaction_id)
            )
        except InvalidResponseDataError as exc:
            out.append(Error(error=error_to_json(exc)))
            return
        if part is not None:
            out.append(part)

    def _step_start(self, event: dict[str, Any], out: list[Part]) -> None:
        index = _index(event)
        if index is None:
            self._invalid(event, "step.start needs a numeric index", out)
            return
        previous = self._blocks.pop(index, None)
        if previous is not None:
            # A second step.start for an open index: end what the first one started.
            self._close_dangling(previous, out)
        step = event.get("step")
        if type(step) is not dict:
            step = _EMPTY
        block_id = self._block_id(index)
        step_type = step.get("type")
        block: _Block
        if step_type == "model_output":
            # `step.start` usually carries only the type; a populated content[0]
            # is a hint that settles the block kind at once.
            content = step.get("content")
            initial = content[0] if type(content) is list and content else None
            initial_type = initial.get("type") if type(initial) is dict else None
            if initial_type == "text":
                assert type(initial) is dict
                block = _Text(block_id)
                out.append(TextStart(id=block_id))
                self._emit_sources(
                    annotations_to_sources(initial.get("annotations"), self._generate_id), out
                )
            elif initial_type == "image":
                assert type(initial) is dict
                block = _Image(block_id, initial)
            else:
                block = _Pending(block_id)
        elif step_type == "thought":
            block = _Reasoning(block_id, _str(step.get("signature")))
            out.append(ReasoningStart(id=block_id))
            summary = step.get("summary")
            if type(summary) is list:
                for item in summary:
                    if type(item) is dict and item.get("type") == "text":
                        text = item.get("text")
                        if type(text) is str:
                            out.append(ReasoningDelta(id=block_id, delta=text))
        elif step_type == "function_call":
            self._has_function_call = True
            name = _str(step.get("name"))
            function_call = _FunctionCall(
                block_id,
                _str(step.get("id")) or block_id,
                name if name is not None else "unknown",
                _str(step.get("signature")),
            )
            block = function_call
            out.append(
                ToolInputStart(id=function_call.tool_call_id, tool_name=function_call.tool_name)
            )
        elif type(step_type) is str and step_type in BUILTIN_TOOL_CALL_TYPES:
            arguments = step.get("arguments")
            block = _BuiltinCall(
                block_id,
                step_type,
                _str(step.get("id")) or block_id,
                builtin_tool_name(step_type, step.get("name")),
                arguments if arguments is not None else {},
            )
        elif type(step_type) is str and step_type in PROCESSING_STEPS:
            block = ProcessingBlock.start(block_id, step_type, step, self._interaction_id)
        elif type(step_type) is str and step_type in BUILTIN_TOOL_RESULT_TYPES:
            block = _BuiltinResult(
                block_id,
                step_type,
                _str(step.get("call_id")) or block_id,
                builtin_tool_name(step_type, step.get("name")),
                step.get("result"),
            )
        else:
            block = _Unknown(block_id)
        self._blocks[index] = block

    def _close_dangling(self, block: _Block, out: list[Part]) -> None:
        # A block that never got its step.stop (the stream ended, or the index was
        # reopened): end what was started, emit nothing the stop would have completed.
        if type(block) is _Text:
            out.append(
                TextEnd(
                    id=block.id,
                    provider_metadata=google_metadata(interaction_id=self._interaction_id),
                )
            )
        elif type(block) is _Reasoning:
            out.append(
                ReasoningEnd(
                    id=block.id,
                    provider_metadata=google_metadata(
                        signature=block.signature, interaction_id=self._interaction_id
                    ),
                )
            )
        elif type(block) is _FunctionCall:
            out.append(ToolInputEnd(id=block.tool_call_id))

    def _stringify(self, value: Any, out: list[Part]) -> str | None:
        try:
            return js_stringify(value)
        except InvalidArgumentError as exc:
            out.append(Error(error=error_to_json(exc)))
            return None

    def _step_delta(self, event: dict[str, Any], out: list[Part]) -> None:
        index = _index(event)
        if index is None:
            self._invalid(event, "step.delta needs a numeric index", out)
            return
        block = self._blocks.get(index)
        if block is None:
            return
        delta = event.get("delta")
        if type(delta) is not dict:
            delta = _EMPTY
        dtype = delta.get("type")
        if type(dtype) is not str:
            dtype = None  # compared with strings only (and a list cannot be looked up in a set)
        kind = type(block)

        if kind is _Text and dtype == "text":  # the hot path
            text = delta.get("text")
            if type(text) is str and text:
                out.append(TextDelta(id=block.id, delta=text))
            return

        if kind is _Pending and dtype in _TEXTUAL_DELTAS:
            block = _Text(block.id)
            self._blocks[index] = block
            kind = _Text
            out.append(TextStart(id=block.id))

        # Image and video deltas carry the whole payload: emit the file at once,
        # leaving a text block at the same index open.
        if dtype == "image" and (kind is _Pending or kind is _Text or kind is _Image):
            self._file(delta, "image/png", out)
            if type(block) is _Image:
                block.data = block.uri = None  # emitted: nothing left for step.stop
            return
        if dtype == "video" and (kind is _Pending or kind is _Text):
            self._file(delta, "video/mp4", out)
            return

        if type(block) is _Text:
            if dtype == "text":
                text = delta.get("text")
                if type(text) is str and text:
                    out.append(TextDelta(id=block.id, delta=text))
            elif dtype in _ANNOTATION_DELTAS:
                self._emit_sources(
                    annotations_to_sources(delta.get("annotations"), self._generate_id), out
                )
        elif type(block) is _Reasoning:
            if dtype == "thought_summary":
                item = delta.get("content")
                if type(item) is dict and item.get("type") == "text":
                    text = item.get("text")
                    if type(text) is str:
                        out.append(ReasoningDelta(id=block.id, delta=text))
            elif dtype == "thought_signature":
                signature = _str(delta.get("signature"))
                if signature is not None:
                    block.signature = signature
        elif type(block) is _FunctionCall:
            if dtype == "arguments_delta":
                # Partial argument JSON, appended verbatim; parsed by the consumer.
                piece = delta.get("arguments")
                if type(piece) is str and piece:
                    block.arguments.append(piece)
                    out.append(ToolInputDelta(id=block.tool_call_id, delta=piece))
                call_id = _str(delta.get("id"))
                if call_id:
                    block.tool_call_id = call_id
                signature = _str(delta.get("signature"))
                if signature is not None:
                    block.signature = signature
                self._has_function_call = True
        elif type(block) is _BuiltinCall:
            if dtype == block.block_type:
                call_id = _str(delta.get("id"))
                if call_id:
                    block.tool_call_id = call_id
                arguments = delta.get("arguments")
                if type(arguments) is dict or type(arguments) is list:
                    block.arguments = arguments
                name = _str(delta.get("name"))
                if name is not None and block.block_type == "mcp_server_tool_call":
                    block.tool_name = name
        elif type(block) is ProcessingBlock:
            block.delta(delta)
        elif type(block) is _BuiltinResult and dtype == block.block_type:
            call_id = _str(delta.get("call_id"))
            if call_id:
                block.call_id = call_id
            if "result" in delta:
                block.result = delta["result"]
            name = _str(delta.get("name"))
            if name is not None and block.block_type == "mcp_server_tool_result":
                block.tool_name = name

    def _step_stop(self, event: dict[str, Any], out: list[Part]) -> None:
        index = _index(event)
        if index is None:
            self._invalid(event, "step.stop needs a numeric index", out)
            return
        block = self._blocks.pop(index, None)
        if block is None:
            return
        kind = type(block)
        if kind is _Text:
            out.append(
                TextEnd(
                    id=block.id,
                    provider_metadata=google_metadata(interaction_id=self._interaction_id),
                )
            )
        elif type(block) is _Reasoning:
            out.append(
                ReasoningEnd(
                    id=block.id,
                    provider_metadata=google_metadata(
                        signature=block.signature, interaction_id=self._interaction_id
                    ),
                )
            )
        elif type(block) is _Image:
            self._file(
                {"data": block.data, "mime_type": block.mime_type, "uri": block.uri},
                "image/png",
                out,
            )
        elif type(block) is _FunctionCall:
            out.append(ToolInputEnd(id=block.tool_call_id))
            out.append(
                ToolCall(
                    tool_call_id=block.tool_call_id,
                    tool_name=block.tool_name,
                    input="".join(block.arguments) or "{}",
                    provider_metadata=google_metadata(
                        signature=block.signature, interaction_id=self._interaction_id
                    ),
                )
            )
        elif type(block) is _BuiltinCall:
            arguments = self._stringify(block.arguments, out)
            if arguments is not None:
                out.append(
                    ToolCall(
                        tool_call_id=block.tool_call_id,
                        tool_name=block.tool_name,
                        input=arguments,
                        provider_executed=True,
                    )
                )
        elif type(block) is ProcessingBlock:
            out.append(block.part())
        elif type(block) is _BuiltinResult:
            out.append(
                ToolResult(
                    tool_call_id=block.call_id, tool_name=block.tool_name, result=block.result
                )
            )
            self._emit_sources(
                builtin_tool_result_to_sources(
                    {"type": block.block_type, "call_id": block.call_id, "result": block.result},
                    self._generate_id,
                ),
                out,
            )
