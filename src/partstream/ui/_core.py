"""The per-part rules of the parts -> UI chunks conversion (``streamText`` + ``toUIMessageStream``).

:class:`ConverterCore` holds the options and the step state and has one handler
per stream part class (:data:`HANDLERS`); the public
:class:`~partstream.ui.UIMessageStreamConverter` adds the verbs and the snapshot.
Each handler follows the reference's stages in order: ``streamLanguageModelCall``
(tool-call parsing, tool choice), the step transform (``start-step``, unique
text/reasoning ids, empty deltas dropped), the text output transform (the first
text block's metadata), the event processor (parts that were never started) and
``toUIMessageChunk``/``toUIMessageStream`` (the chunk and its message metadata).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, Literal, final

import attrs

from .. import parts as p
from ..codecs.interactions._javascript_json import js_stringify
from ..errors import InvalidResponseDataError
from . import _chunks as c
from ._fields import fast_builder
from ._tools import (
    ParsedToolCall,
    Tools,
    get_error_message,
    parse_tool_call,
    tool_choice_violation,
)

__all__ = ["DEFAULT_ERROR_TEXT", "HANDLERS", "ConverterCore", "StepState", "StreamEvent"]

#: The error text the reference shows when no ``on_error`` is given.
DEFAULT_ERROR_TEXT: Final = "An error occurred."
_text_delta_chunk = fast_builder(c.TextDeltaChunk)


@final
@attrs.frozen
class StreamEvent:
    """A part of the UI stream's own making, given to ``message_metadata``.

    ``start``/``start-step``/``finish-step``/``finish``/``abort``; ``finish_reason``
    and ``usage`` (of the model's finish part) on ``finish-step`` and ``finish``,
    ``reason`` on ``abort``.
    """

    type: Literal["start", "start-step", "finish-step", "finish", "abort"]
    finish_reason: str | None = None
    usage: p.Usage | None = None
    reason: str | None = None


MetadataSource = StreamEvent | p.Part


@final
@attrs.define(slots=True)
class StepState:
    """What the conversion remembers (all of it goes into a snapshot)."""

    started: bool = False  # start-step sent
    terminal: bool = False  # a finish or error part came
    output: bool = False  # an output part came (text, reasoning, tool input, file, call)
    finish_reason: str = "other"
    usage: p.Usage | None = None
    withhold: bool = False  # tool choice "none": tool parts are held back
    # Unique ids across the stream (provider ids may repeat), and this step's mapping.
    used_text: set[str] = attrs.Factory(set)
    used_reasoning: set[str] = attrs.Factory(set)
    text_ids: dict[str, str] = attrs.Factory(dict)
    reasoning_ids: dict[str, str] = attrs.Factory(dict)
    active_text: set[str] = attrs.Factory(set)
    active_reasoning: set[str] = attrs.Factory(set)
    # Tool calls by id: [tool name, tool metadata, input before validation or None]
    tool_calls: dict[str, list[Any]] = attrs.Factory(dict)


class ConverterCore:
    """Options, state and the per-part rules (see the module docstring)."""

    __slots__ = (
        "_first_text",
        "_generate_id",
        "_message_metadata",
        "_on_error",
        "_redact",
        "_send_reasoning",
        "_send_sources",
        "_state",
        "_text_pm",
        "_tool_choice",
        "_tools",
    )

    _tools: Tools | None
    _tool_choice: tuple[str, str | None]
    _send_reasoning: bool
    _send_sources: bool
    _on_error: Callable[[object], str] | None
    _redact: bool
    _message_metadata: Callable[[MetadataSource], Any] | None
    _generate_id: Callable[[], str]
    _state: StepState
    _first_text: str | None  # the text output transform: the step's first text id
    _text_pm: Any  # ... and the provider metadata its deltas carry on

    # -- helpers -----------------------------------------------------------------------

    def _meta(self, source: MetadataSource) -> Any:
        return self._message_metadata(source) if self._message_metadata is not None else None

    def _emit(self, out: list[Any], source: MetadataSource, chunk: Any) -> None:
        """``toUIMessageStream`` for one part: its chunk, then its message metadata."""
        meta = self._message_metadata(source) if self._message_metadata is not None else None
        if chunk is not None:
            out.append(chunk)
        if meta is not None:
            out.append(c.MessageMetadataChunk(meta))

    def _error_text(self, error: object) -> str:
        return self._on_error(error) if self._on_error is not None else DEFAULT_ERROR_TEXT

    def _tool_error_text(self, error: object) -> str:
        # Tool errors keep the text the model received unless they are redacted.
        return self._error_text(error) if self._redact else get_error_message(error)

    def _begin(self, out: list[Any]) -> None:
        """The step's first part (``stream-start`` aside) opens it with ``start-step``."""
        if not self._state.started:
            self._state.started = True
            self._emit(out, StreamEvent("start-step"), c.StartStepChunk())

    def _missing(self, out: list[Any], kind: str, part_id: str) -> None:
        # The event processor's check: a delta or end of a part that was never started.
        message = f"{kind} part {part_id} not found"
        self._emit(out, p.Error(error=message), c.ErrorChunk(self._error_text(message)))

    def _error(self, out: list[Any], error: object, source: MetadataSource) -> None:
        self._state.terminal = True
        self._state.finish_reason = "error"
        self._emit(out, source, c.ErrorChunk(self._error_text(error)))

    def _tool(self, name: str) -> Any:
        return self._tools.get(name) if self._tools is not None else None

    def _dynamic(self, tool_name: str, dynamic: bool | None) -> bool | None:
        """``isDynamic``: a known tool decides; for an unknown one the part does."""
        tool = self._tool(tool_name)
        if tool is None:
            return dynamic
        return True if tool.kind == "dynamic" else None

    def _reserve(self, used: set[str], part_id: str) -> str:
        """Provider ids are unique within one call only: a repeated one gets a new id."""
        if part_id not in used:
            used.add(part_id)
            return part_id
        generated = unique = self._generate_id()
        suffix = 0
        while unique in used:
            suffix += 1
            unique = f"{generated}-{suffix}"
        used.add(unique)
        return unique

    # -- text ----------------------------------------------------------------------------

    def _text_start(self, part: p.TextStart, out: list[Any]) -> None:
        self._begin(out)
        state = self._state
        rid = self._reserve(state.used_text, part.id)
        state.text_ids[part.id] = rid
        if self._first_text is None:
            self._first_text = rid
        state.active_text.add(rid)
        self._emit(out, part, c.TextStartChunk(rid, part.provider_metadata))

    def _text_delta_rules(self, part: p.TextDelta) -> tuple[str, str, Any] | None:
        """A text delta's id, text and metadata as they reach the UI (``None``: dropped).

        The step drops empty deltas and maps the id to the stream-unique one; the
        text output transform gives the later deltas of the step's first text
        block the last provider metadata it saw.
        """
        delta, pm = part.delta, part.provider_metadata
        if not delta and pm is None:
            return None
        pid = self._state.text_ids.get(part.id, part.id)
        first = self._first_text
        if first is None:
            self._first_text = first = pid
        if pid == first:
            if pm is not None:
                self._text_pm = pm
            if delta:
                pm = self._text_pm
        if delta:
            self._state.output = True
        return pid, delta, pm

    def _text_delta(self, part: p.TextDelta, out: list[Any]) -> None:
        self._begin(out)
        rules = self._text_delta_rules(part)
        if rules is None:
            return
        pid, delta, pm = rules
        self._emit(out, part, _text_delta_chunk(pid, delta, pm))
        if pid not in self._state.active_text:
            self._missing(out, "text", pid)

    def _text_end(self, part: p.TextEnd, out: list[Any]) -> None:
        self._begin(out)
        state = self._state
        pid = state.text_ids.pop(part.id, part.id)
        if self._first_text is None:
            self._first_text = pid
        self._emit(out, part, c.TextEndChunk(pid, None, part.provider_metadata))
        if pid in state.active_text:
            state.active_text.discard(pid)
        else:
            self._missing(out, "text", pid)

    # -- reasoning -----------------------------------------------------------------------

    def _reasoning_start(self, part: p.ReasoningStart, out: list[Any]) -> None:
        self._begin(out)
        state = self._state
        rid = self._reserve(state.used_reasoning, part.id)
        state.reasoning_ids[part.id] = rid
        state.active_reasoning.add(rid)
        chunk = c.ReasoningStartChunk(rid, part.provider_metadata) if self._send_reasoning else None
        self._emit(out, part, chunk)

    def _reasoning_delta(self, part: p.ReasoningDelta, out: list[Any]) -> None:
        self._begin(out)
        state = self._state
        pid = state.reasoning_ids.get(part.id, part.id)
        if part.delta:
            state.output = True
        chunk = (
            c.ReasoningDeltaChunk(pid, part.delta, part.provider_metadata)
            if self._send_reasoning
            else None
        )
        self._emit(out, part, chunk)
        if pid not in state.active_reasoning:
            self._missing(out, "reasoning", pid)

    def _reasoning_end(self, part: p.ReasoningEnd, out: list[Any]) -> None:
        self._begin(out)
        state = self._state
        pid = state.reasoning_ids.pop(part.id, part.id)
        chunk = c.ReasoningEndChunk(pid, part.provider_metadata) if self._send_reasoning else None
        self._emit(out, part, chunk)
        if pid in state.active_reasoning:
            state.active_reasoning.discard(pid)
        else:
            self._missing(out, "reasoning", pid)

    # -- tools ---------------------------------------------------------------------------

    # With tool choice "none" the tool parts are held back before they reach the step.

    def _tool_input_start(self, part: p.ToolInputStart, out: list[Any]) -> None:
        if self._state.withhold:
            return
        self._begin(out)
        tool = self._tool(part.tool_name)
        # streamLanguageModelCall: dynamic defaults to the tool's kind, title is the tool's.
        dynamic = (
            part.dynamic
            if part.dynamic is not None
            else (tool is not None and tool.kind == "dynamic")
        )
        chunk = c.ToolInputStartChunk(
            part.id,
            part.tool_name,
            None,
            part.provider_executed,
            part.provider_metadata,
            tool.metadata if tool is not None else None,
            self._dynamic(part.tool_name, dynamic),
            tool.title if tool is not None else None,
        )
        self._emit(out, part, chunk)

    def _tool_input_delta(self, part: p.ToolInputDelta, out: list[Any]) -> None:
        if self._state.withhold:
            return
        self._begin(out)
        if part.delta:
            self._state.output = True
        self._emit(out, part, c.ToolInputDeltaChunk(part.id, part.delta))

    def _tool_input_end(self, part: p.ToolInputEnd, out: list[Any]) -> None:
        if not self._state.withhold:
            self._begin(out)
            self._emit(out, part, None)

    def _tool_call(self, part: p.ToolCall, out: list[Any]) -> None:
        state = self._state
        call: ParsedToolCall = parse_tool_call(
            tool_call_id=part.tool_call_id,
            tool_name=part.tool_name,
            input_text=part.input,
            provider_executed=part.provider_executed,
            dynamic=part.dynamic,
            provider_metadata=part.provider_metadata,
            tools=self._tools,
        )
        state.tool_calls[call.tool_call_id] = [
            call.tool_name,
            call.tool_metadata,
            call.schema_input,
        ]
        if state.withhold:
            return
        self._begin(out)
        state.output = True
        dynamic = self._dynamic(call.tool_name, call.dynamic)
        chunk: Any
        if call.error is not None:
            # streamText sends the model a tool result for an invalid call only when it is
            # not provider-executed; that text is what the UI shows unless redacted.
            text = (
                self._error_text(call.error)
                if call.provider_executed
                else self._tool_error_text(call.error)
            )
            chunk = c.ToolInputErrorChunk(
                call.tool_call_id,
                call.tool_name,
                call.input,
                call.provider_executed,
                call.provider_metadata,
                call.tool_metadata,
                dynamic,
                error_text=text,
                title=call.title,
            )
        else:
            chunk = c.ToolInputAvailableChunk(
                call.tool_call_id,
                call.tool_name,
                call.input,
                call.provider_executed,
                call.provider_metadata,
                call.tool_metadata,
                dynamic,
                call.title,
            )
        self._emit(out, part, chunk)

    def _tool_result(self, part: p.ToolResult, out: list[Any]) -> None:
        state = self._state
        if state.withhold:
            return
        self._begin(out)
        call = state.tool_calls.get(part.tool_call_id)
        metadata = call[1] if call is not None else None
        dynamic = self._dynamic(part.tool_name, part.dynamic)
        chunk: Any
        if part.is_error:
            # Provider-executed errors keep their own text (JSON unless it is a string).
            result = part.result
            text = result if isinstance(result, str) else js_stringify(result)
            chunk = c.ToolOutputErrorChunk(
                part.tool_call_id, text, True, part.provider_metadata, metadata, dynamic
            )
        else:
            chunk = c.ToolOutputAvailableChunk(
                part.tool_call_id,
                part.result,
                True,
                part.provider_metadata,
                metadata,
                None,
                dynamic,
            )
        self._emit(out, part, chunk)

    def _tool_approval_request(self, part: p.ToolApprovalRequest, out: list[Any]) -> None:
        state = self._state
        if state.withhold:
            return
        self._begin(out)
        call = state.tool_calls.get(part.tool_call_id)
        if call is None:
            error = InvalidResponseDataError(
                "AI_ToolCallNotFoundForApprovalError: Tool call "
                f'"{part.tool_call_id}" not found for approval request "{part.approval_id}".'
            )
            self._error(out, error, p.Error(error=str(error)))
            return
        schema_input = call[2]
        chunk = c.ToolApprovalRequestChunk(
            part.approval_id,
            part.tool_call_id,
            None,
            schema_input[0] if schema_input is not None else None,
        )
        self._emit(out, part, chunk)

    # -- the rest ------------------------------------------------------------------------

    def _file(self, part: p.File | p.ReasoningFile, out: list[Any]) -> None:
        self._begin(out)
        self._state.output = True
        data = part.data
        url = (
            f"data:{part.media_type};base64,{data.data}"
            if isinstance(data, p.DataContent)
            else data.url  # not downloaded (the reference downloads it: see ui.resolve_files)
        )
        chunk: Any
        if isinstance(part, p.File):
            chunk = c.FileChunk(part.media_type, url, part.provider_metadata)
        else:
            chunk = (
                c.ReasoningFileChunk(part.media_type, url, part.provider_metadata)
                if self._send_reasoning
                else None
            )
        self._emit(out, part, chunk)

    def _source(self, part: p.UrlSource | p.DocumentSource, out: list[Any]) -> None:
        self._begin(out)
        chunk: Any = None
        if self._send_sources:
            if isinstance(part, p.UrlSource):
                chunk = c.SourceUrlChunk(part.id, part.url, part.title, part.provider_metadata)
            else:
                chunk = c.SourceDocumentChunk(
                    part.id, part.media_type, part.title, part.filename, part.provider_metadata
                )
        self._emit(out, part, chunk)

    def _custom(self, part: p.Custom, out: list[Any]) -> None:
        self._begin(out)
        self._emit(out, part, c.CustomChunk(part.kind, part.provider_metadata))

    def _error_part(self, part: p.Error, out: list[Any]) -> None:
        self._begin(out)
        self._error(out, part.error, part)

    def _finish_part(self, part: p.Finish, out: list[Any]) -> None:
        self._begin(out)
        state = self._state
        reason = part.finish_reason.unified
        kind, name = self._tool_choice
        names = [call[0] for call in state.tool_calls.values()]
        violation = tool_choice_violation(kind, name, names, reason)
        state.terminal = True
        state.usage = part.usage
        state.finish_reason = "error" if violation is not None else reason
        if violation is not None:
            self._error(out, violation, p.Error(error=str(violation)))

    def _opens_step(self, part: Any, out: list[Any]) -> None:
        # response-metadata and raw parts make no chunk, but they open the step.
        self._begin(out)

    def _ignore(self, part: Any, out: list[Any]) -> None:
        pass  # stream-start: its warnings are the caller's to log


_Handler = Callable[[Any, Any, list[Any]], None]

HANDLERS: Final[dict[type, _Handler]] = {
    p.TextStart: ConverterCore._text_start,
    p.TextDelta: ConverterCore._text_delta,
    p.TextEnd: ConverterCore._text_end,
    p.ReasoningStart: ConverterCore._reasoning_start,
    p.ReasoningDelta: ConverterCore._reasoning_delta,
    p.ReasoningEnd: ConverterCore._reasoning_end,
    p.ToolInputStart: ConverterCore._tool_input_start,
    p.ToolInputDelta: ConverterCore._tool_input_delta,
    p.ToolInputEnd: ConverterCore._tool_input_end,
    p.ToolCall: ConverterCore._tool_call,
    p.ToolResult: ConverterCore._tool_result,
    p.ToolApprovalRequest: ConverterCore._tool_approval_request,
    p.File: ConverterCore._file,
    p.ReasoningFile: ConverterCore._file,
    p.UrlSource: ConverterCore._source,
    p.DocumentSource: ConverterCore._source,
    p.Custom: ConverterCore._custom,
    p.Error: ConverterCore._error_part,
    p.Finish: ConverterCore._finish_part,
    p.ResponseMetadata: ConverterCore._opens_step,
    p.Raw: ConverterCore._opens_step,
    p.StreamStart: ConverterCore._ignore,
}
