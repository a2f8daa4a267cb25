"""Interactions SSE events → AI SDK stream parts (sans-IO).

:class:`InteractionsStreamTransform` is the reference's
``buildGoogleInteractionsStreamTransform`` as a pipeline stage::

    t = InteractionsStreamTransform(warnings=[], generate_id=lambda: "id")
    parts = t.start() + t.feed(Parsed(value=event, raw=event)) + t.finish()

``feed`` takes one parse result or a list of them (a pipeline batch). Besides
:class:`Parsed` and :class:`ParseFailure` it accepts a plain ``dict`` (a parsed
event that is its own raw value; what :func:`decode_event` returns) and ``None``
(nothing; the ``[DONE]`` sentinel), so the hot path allocates no wrapper.

Event handling, as the reference does it:

- ``interaction.created`` → ``response-metadata`` (an empty id, sent when
  ``store: false``, is no id);
- ``step.start`` / ``step.delta`` / ``step.stop`` frame one block per ``index``;
  the block id is ``<interaction id or "interaction">:<index>``:

  - ``model_output`` opens *pending* and becomes text on its first text or
    annotation delta (``text-start``); image and video deltas are emitted at once
    as ``file`` parts; text annotations become ``source`` parts;
  - ``thought`` → ``reasoning-start/-delta/-end``, the signature on the end part;
  - ``function_call`` → ``tool-input-start/-delta/-end`` then ``tool-call`` with the
    accumulated argument JSON;
  - built-in ``*_call`` / ``*_result`` → provider-executed ``tool-call`` /
    ``tool-result`` at ``step.stop``, result citations → ``source`` parts;

- sources are de-duplicated across the whole stream (by url or file name);
- ``interaction.status_update`` (and ``.in_progress`` / ``.requires_action``)
  record the status; ``interaction.completed`` (also ``interaction.complete``)
  records id, status, usage and service tier (the body wins over the
  ``x-gemini-service-tier`` header passed as ``service_tier``);
- ``error`` events and parse failures → ``error`` parts (status ``failed``);
- ``finish`` (from :meth:`finish`): finish reason, usage, provider metadata.

Between events, :meth:`~InteractionsStreamTransform.snapshot` gives the state as
JSON-ready data and :meth:`~InteractionsStreamTransform.restore` builds a transform
that continues from it (in another process, say): what the provider's portable
cursor carries.

Deliberate differences from the reference, for inputs it mishandles: a ``step.*``
event without a numeric ``index`` is treated as a validation failure (error part);
an invalid image/video URL gives an error part instead of erroring the stream;
fields of the wrong JSON type are ignored.
"""

from __future__ import annotations

import copy
import random
import string
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final, final

from ...errors import InvalidArgumentError, InvalidResponseDataError
from ...parts import (
    Error,
    File,
    Finish,
    Part,
    Raw,
    ReasoningDelta,
    ReasoningEnd,
    ReasoningStart,
    ResponseMetadata,
    Source,
    StreamStart,
    TextDelta,
    TextEnd,
    TextStart,
    ToolCall,
    ToolInputDelta,
    ToolInputEnd,
    ToolInputStart,
    ToolResult,
    Warning,
    _field_setters,
    _layout_twin,
    warning_from_dict,
)
from ._api import (
    BUILTIN_TOOL_CALL_TYPES,
    BUILTIN_TOOL_RESULT_TYPES,
    Parsed,
    ParseFailure,
    _event_item,
    _json_values,
    _step_deltas,
    decode_event,
    error_to_json,
)
from ._finish import finish_reason
from ._javascript_json import js_number, js_stringify
from ._outputs import (
    builtin_tool_name,
    file_part,
    finish_metadata,
    google_metadata,
    interaction_id_of,
    parse_created,
)
from ._sources import annotations_to_sources, builtin_tool_result_to_sources, source_key
from ._usage import convert_usage

__all__ = ["InteractionsStreamTransform", "default_generate_id"]

_ID_ALPHABET: Final = string.digits + string.ascii_letters


def default_generate_id() -> str:
    """A random 16-character alphanumeric id (the AI SDK's ``generateId``)."""
    return "".join(random.choices(_ID_ALPHABET, k=16))


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
    | _Unknown
)

# The hot path's part construction: object.__new__ and the slot setters of id, delta
# and provider_metadata (see partstream.parts._field_setters).
_Setter = Callable[[Any, Any], None]
_new_object: Final[Callable[[type[Any]], Any]] = object.__new__
_set_id, _set_delta, _set_metadata = _field_setters(TextDelta)
_TEXT_DELTA_MAKER: Final[tuple[Callable[[type[Any]], Any], _Setter, _Setter, _Setter]] = (
    object.__new__,
    _set_id,
    _set_delta,
    _set_metadata,
)
# Faster still: a plain twin of TextDelta's layout, given its real class once filled
# (see partstream.parts._layout_twin). Without it, feed_data takes the dict path.
_TEXT_DELTA_TWIN: Final = _layout_twin(TextDelta)

_EMPTY: Final[dict[str, Any]] = {}
_TEXTUAL_DELTAS: Final = frozenset({"text", "text_annotation", "text_annotation_delta"})
_ANNOTATION_DELTAS: Final = frozenset({"text_annotation", "text_annotation_delta"})


def _index(event: dict[str, Any]) -> int | float | None:
    index = event.get("index")
    if type(index) is int:
        return index
    if type(index) is float and index == index and index not in (float("inf"), float("-inf")):
        return int(index) if index.is_integer() else index
    return None


def _str(value: Any) -> str | None:
    return value if type(value) is str else None


@final
class InteractionsStreamTransform:
    """Sans-IO stage: Interactions SSE parse results in, AI SDK stream parts out.

    ``warnings`` go on the ``stream-start`` part; ``generate_id`` names sources;
    ``include_raw_chunks`` adds a ``raw`` part before each event's parts;
    ``service_tier`` is the ``x-gemini-service-tier`` response header, used when
    the completed interaction does not state its tier.
    """

    __slots__ = (
        "_blocks",
        "_body_tier",
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

    def __init__(
        self,
        *,
        warnings: Iterable[Warning] = (),
        generate_id: Callable[[], str] = default_generate_id,
        include_raw_chunks: bool = False,
        service_tier: str | None = None,
    ) -> None:
        self._warnings = tuple(warnings)
        self._generate_id = generate_id
        self._include_raw = bool(include_raw_chunks)
        self._header_tier = service_tier
        self._body_tier: Any = None
        self._interaction_id: str | None = None
        self._usage: Any = None
        self._status: str | None = None
        self._has_function_call = False
        self._blocks: dict[int | float, _Block] = {}
        self._source_keys: set[str] = set()
        self._handlers: dict[str, Callable[[dict[str, Any], list[Part]], None]] = {
            "step.delta": self._step_delta,
            "step.start": self._step_start,
            "step.stop": self._step_stop,
            "interaction.created": self._created,
            "interaction.status_update": self._status_update,
            "interaction.in_progress": self._status_update,
            "interaction.requires_action": self._status_update,
            "interaction.completed": self._completed,
            # An earlier API revision named it `interaction.complete`.
            "interaction.complete": self._completed,
            "error": self._error,
        }

    # -- what the provider may want to know --------------------------------------------

    @property
    def interaction_id(self) -> str | None:
        """The interaction id seen so far (``None`` until one was sent, or if empty)."""
        return self._interaction_id

    @property
    def header_service_tier(self) -> str | None:
        """The ``x-gemini-service-tier`` header's tier; settable once the response arrives."""
        return self._header_tier

    @header_service_tier.setter
    def header_service_tier(self, tier: str | None) -> None:
        self._header_tier = tier

    @property
    def status(self) -> str | None:
        """The last interaction status seen (``failed`` after an error)."""
        return self._status

    # -- stage protocol ------------------------------------------------------------------

    def start(self) -> list[Part]:
        """The ``stream-start`` part, carrying the call's warnings."""
        return [StreamStart(warnings=self._warnings)]

    def feed(self, item: Any) -> list[Part]:
        """Parts for one parse result, or for a list of them (a pipeline batch).

        An item is a :class:`Parsed`, a :class:`ParseFailure`, a ``dict`` (a parsed
        event, its own raw value) or ``None`` (skipped).
        """
        out: list[Part] = []
        items = item if type(item) is list else (item,)
        one = self._one
        if self._include_raw:
            for entry in items:
                one(entry, out)
            return out
        # Hot path, inlined: a text delta for an open text block. Anything else, or
        # anything unexpected on the way, takes the general path, which decides the
        # same way for these events.
        blocks = self._blocks
        append = out.append
        new, set_id, set_delta, set_metadata = _TEXT_DELTA_MAKER
        for entry in items:
            event = entry.value if type(entry) is Parsed else entry
            if type(event) is dict and event.get("event_type") == "step.delta":
                index = event.get("index")
                block = blocks.get(index) if type(index) is int else None
                if type(block) is _Text:
                    delta = event.get("delta")
                    if type(delta) is dict and delta.get("type") == "text":
                        text = delta.get("text")
                        if type(text) is str:
                            if text:
                                # TextDelta(block.id, text), without attrs' frozen __init__.
                                part = new(TextDelta)
                                set_id(part, block.id)
                                set_delta(part, text)
                                set_metadata(part, None)
                                append(part)
                            continue
            one(entry, out)
        return out

    def feed_data(self, payloads: list[str]) -> list[Part]:
        """Parts for a batch of SSE ``data`` strings (the JSON of the events).

        The same parts as ``feed([decode_event(p) for p in payloads])``, faster: the
        batch is decoded in one C-level loop, and a text delta for an open text block
        (the bulk of a stream) becomes its part right here. Other events take
        :meth:`feed`'s path, and so does a batch that does not decode cleanly.
        """
        if self._include_raw:
            return self.feed(list(map(decode_event, payloads)))
        twin = _TEXT_DELTA_TWIN
        events = _step_deltas(payloads) if twin is not None else None
        if events is None or twin is None:
            return self._feed_values(payloads)
        out: list[Part] = []
        append = out.append
        blocks = self._blocks
        one = self._one
        new = _new_object
        # The last index found to hold a text block, and that block's id. Only the
        # general path changes the blocks, so the cache lives until it runs.
        cached: int | None = None
        block_id: str | None = None
        for event, payload in zip(events, payloads, strict=True):
            # The hot path's test, on the struct: the one `feed` makes on the dict.
            if event.event_type == "step.delta":
                index = event.index
                if type(index) is not int or index != cached:
                    block = blocks.get(index) if type(index) is int else None
                    if type(block) is _Text:
                        cached, block_id = index, block.id
                    else:
                        cached = block_id = None
                if block_id is not None:
                    delta = event.delta
                    if delta is not None and delta.type == "text":
                        text = delta.text
                        if type(text) is str:
                            if text:
                                # TextDelta(block_id, text), built as its twin.
                                part = new(twin)
                                part.id = block_id
                                part.delta = text
                                part.provider_metadata = None
                                part.__class__ = TextDelta
                                append(part)
                            continue
            one(decode_event(payload), out)
            cached = block_id = None
        return out

    def _feed_values(self, payloads: list[str]) -> list[Part]:
        """:meth:`feed_data` with plain dicts (no msgspec struct decoding)."""
        values = _json_values(payloads)
        if values is None:
            return self.feed(list(map(decode_event, payloads)))
        out: list[Part] = []
        append = out.append
        blocks = self._blocks
        one = self._one
        new, set_id, set_delta, set_metadata = _TEXT_DELTA_MAKER
        for event in values:
            if type(event) is dict and event.get("event_type") == "step.delta":
                index = event.get("index")
                block = blocks.get(index) if type(index) is int else None
                if type(block) is _Text:
                    delta = event.get("delta")
                    if type(delta) is dict and delta.get("type") == "text":
                        text = delta.get("text")
                        if type(text) is str:
                            if text:
                                part = new(TextDelta)
                                set_id(part, block.id)
                                set_delta(part, text)
                                set_metadata(part, None)
                                append(part)
                            continue
            one(_event_item(event), out)
        return out

    def finish(self) -> list[Part]:
        """The ``finish`` part: finish reason, usage and provider metadata.

        Blocks the stream left open (no ``step.stop``) are closed first with their
        end parts, so every start part has its end.
        """
        out: list[Part] = []
        for block in self._blocks.values():
            self._close_dangling(block, out)
        self._blocks.clear()
        out.append(
            Finish(
                usage=convert_usage(self._usage),
                finish_reason=finish_reason(
                    self._status, has_function_call=self._has_function_call
                ),
                provider_metadata=finish_metadata(
                    interaction_id=self._interaction_id,
                    service_tier=self._body_tier
                    if self._body_tier is not None
                    else self._header_tier,
                    usage=self._usage,
                    by_modality=True,
                ),
            )
        )
        return out

    # -- dispatch ------------------------------------------------------------------------

    def _one(self, item: Any, out: list[Part]) -> None:
        kind = type(item)
        if kind is dict:
            value = item
            if self._include_raw:
                out.append(Raw(raw_value=item))
        elif kind is Parsed:
            value = item.value
            if self._include_raw:
                out.append(Raw(raw_value=item.raw))
        elif kind is ParseFailure:
            if self._include_raw:
                out.append(Raw(raw_value=item.raw))
            self._status = "failed"
            out.append(Error(error=error_to_json(item.error)))
            return
        elif item is None:
            return
        else:
            raise InvalidArgumentError(
                f"expected Parsed, ParseFailure, dict or None, got {kind.__name__}",
                argument="item",
            )
        event_type = value.get("event_type") if type(value) is dict else None
        if type(event_type) is not str:
            self._invalid(value, "expected an object with a string event_type", out)
            return
        handler = self._handlers.get(event_type)
        if handler is not None:
            handler(value, out)

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
        self._status = "failed"
        error = event.get("error")
        out.append(
            Error(error=error if error is not None else {"message": "Unknown interaction error"})
        )

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

    # -- portable state: continue the stream in another transform ----------------------

    def snapshot(self) -> dict[str, Any]:
        """The transform's state as JSON-ready data, for :meth:`restore`.

        Taken between events, it holds everything later events depend on: the open
        blocks per index (kind, id, tool call id and name, signature, the argument
        JSON so far, an announced image's payload), the interaction id, status,
        usage and service tiers seen so far, whether a function call was seen, the
        keys of the sources already emitted (de-duplication), and the configuration
        (warnings, ``include_raw_chunks``). ``generate_id`` is code, not state: pass
        it to :meth:`restore`. The snapshot is a copy: later events do not change it.
        """
        return {
            "v": _SNAPSHOT_VERSION,
            "warnings": [w.to_dict() for w in self._warnings],
            "include_raw_chunks": self._include_raw,
            "header_service_tier": self._header_tier,
            "body_service_tier": copy.deepcopy(self._body_tier),
            "interaction_id": self._interaction_id,
            "status": self._status,
            "usage": copy.deepcopy(self._usage),
            "has_function_call": self._has_function_call,
            "blocks": [[index, _block_state(block)] for index, block in self._blocks.items()],
            "source_keys": sorted(self._source_keys),
        }

    @classmethod
    def restore(
        cls, state: Mapping[str, Any], *, generate_id: Callable[[], str] = default_generate_id
    ) -> InteractionsStreamTransform:
        """A transform that continues where the one that took ``state`` was.

        ``state`` is a :meth:`snapshot`, possibly after a JSON round trip: feeding
        the restored transform the events that followed gives the parts the original
        would have given (source ids come from ``generate_id``). Anything that is not
        a snapshot raises :class:`~partstream.errors.InvalidArgumentError`.
        """
        if not isinstance(state, Mapping):
            raise _bad_state(f"expected an object, got {type(state).__name__}")
        if state.get("v") != _SNAPSHOT_VERSION:
            raise _bad_state(f"unsupported version {state.get('v')!r}")
        warnings = state.get("warnings")
        if not isinstance(warnings, list):
            raise _bad_state("warnings must be a list")
        restored_warnings: list[Warning] = []
        for entry in warnings:
            if not isinstance(entry, Mapping):
                raise _bad_state("warnings must be a list of objects")
            try:
                restored_warnings.append(warning_from_dict(entry))
            except InvalidArgumentError as exc:
                raise _bad_state(f"warnings: {exc}") from None
        transform = cls(
            warnings=restored_warnings,
            generate_id=generate_id,
            include_raw_chunks=_state_bool(state, "include_raw_chunks"),
            service_tier=_state_str(state, "header_service_tier"),
        )
        transform._body_tier = copy.deepcopy(state.get("body_service_tier"))
        transform._interaction_id = interaction_id_of(_state_str(state, "interaction_id"))
        transform._status = _state_str(state, "status")
        transform._usage = copy.deepcopy(state.get("usage"))
        transform._has_function_call = _state_bool(state, "has_function_call")
        blocks = state.get("blocks")
        if not isinstance(blocks, list):
            raise _bad_state("blocks must be a list")
        for entry in blocks:
            if not isinstance(entry, list) or len(entry) != 2:
                raise _bad_state("each block must be an [index, block] pair")
            index = _index({"index": entry[0]})
            if index is None:
                raise _bad_state(f"a block index must be a finite number, got {entry[0]!r}")
            if index in transform._blocks:
                raise _bad_state(f"block index {index!r} appears twice")
            transform._blocks[index] = _block_from_state(entry[1])
        keys = state.get("source_keys")
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            raise _bad_state("source_keys must be a list of strings")
        transform._source_keys = set(keys)
        return transform


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
    raise _bad_state(f"unknown block kind {kind!r}")
