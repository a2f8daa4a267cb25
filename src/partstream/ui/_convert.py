"""Stream parts -> UI message chunks, as ``streamText(...).toUIMessageStream()`` does (sans-IO).

:class:`UIMessageStreamConverter` speaks the verbs of a pipeline stage:
``start()`` (the ``start`` chunk), ``feed(parts)`` (the chunks of a batch of model
parts), ``finish()`` (the model stream ended: ``finish-step`` and ``finish``), plus
``abort(reason)`` (the generation was stopped: an ``abort`` chunk) and
``fail(error)`` (the stream broke: an ``error`` chunk). Each returns a list of
chunks; after ``finish``/``abort``/``fail`` the converter is closed and returns no
more chunks.

It reproduces what the reference adds between the model and the UI: the
``start-step`` before the step's first part (``stream-start`` does not count),
text and reasoning ids made unique across the stream, empty text deltas dropped,
the provider metadata of the step's first text block carried onto its later
deltas (``streamText``'s text output transform), an ``error`` chunk after a delta
or end whose part was never started, tool calls parsed against the call's tools
(``tool-input-available`` or ``tool-input-error``), provider-executed tool results
(``tool-output-available``/``tool-output-error``), sources only with
``send_sources``, reasoning unless ``send_reasoning=False``, files as data URLs,
raw parts dropped, tool choice enforced, and the ``finish`` with the step's
finish reason (``"other"`` without a finish part; an ``error`` chunk instead when
the model sent nothing at all). Error texts come from ``on_error``, by default the
reference's ``"An error occurred."``: never a secret, never a traceback.

``feed_sse(parts)`` gives the SSE bytes of ``feed(parts)`` directly (the fast
path of a server). ``snapshot()`` returns the converter's state as JSON-able data and ``restore()``
loads it into a fresh converter built with the same options: the restored one
continues the stream exactly where the first one stopped.
"""

from __future__ import annotations

import secrets
import string as _string
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final, Literal, final

from .. import parts as p
from ..errors import InvalidArgumentError, InvalidResponseDataError
from . import _chunks as c
from ._core import HANDLERS, ConverterCore, MetadataSource, StepState, StreamEvent
from ._messages import UIMessage
from ._tools import Tools
from ._wire import encode_sse, text_delta_frame, text_delta_head

__all__ = ["SNAPSHOT_VERSION", "UIMessageStreamConverter", "default_generate_id"]

#: The version of the :meth:`UIMessageStreamConverter.snapshot` format.
SNAPSHOT_VERSION: Final = 1
_ALPHABET: Final = _string.ascii_letters + _string.digits
ToolChoice = str | Mapping[str, Any] | None


def default_generate_id() -> str:
    """An id like the reference's ``aitxt-`` ids (24 random alphanumerics)."""
    return "aitxt-" + "".join(secrets.choice(_ALPHABET) for _ in range(24))


def _tool_choice(choice: ToolChoice) -> tuple[str, str | None]:
    """``prepareToolChoice``: ``(type, toolName)``."""
    if choice is None:
        return "auto", None
    if isinstance(choice, str):
        if choice not in ("auto", "none", "required"):
            raise InvalidArgumentError(f"unknown tool choice {choice!r}", argument="tool_choice")
        return choice, None
    kind = choice.get("type")
    if kind == "tool" and isinstance(choice.get("toolName"), str):
        return "tool", str(choice["toolName"])
    if kind in ("auto", "none", "required"):
        return str(kind), None
    raise InvalidArgumentError(f"unknown tool choice {choice!r}", argument="tool_choice")


def _response_message_id(
    original: Sequence[UIMessage | Mapping[str, Any]] | None,
    generate: Callable[[], str] | None,
) -> str | None:
    """``getResponseUIMessageId`` + ``handleUIMessageStreamFinish``: continue the last
    assistant message, else a new id when a generator is given, else none (the
    client picks it)."""
    if original:
        last = original[-1]
        if isinstance(last, UIMessage):
            if last.role == "assistant":
                return last.id
        elif last.get("role") == "assistant":
            return str(last.get("id"))
    return generate() if generate is not None else None


@final
class UIMessageStreamConverter(ConverterCore):
    """Stream parts in, UI message chunks out (see the module docstring).

    Options follow ``toUIMessageStream``: ``send_reasoning`` (default on),
    ``send_sources`` (default off), ``send_start``/``send_finish``,
    ``on_error(error) -> str`` (stream errors; also failed tool calls when
    ``redact_tool_errors``, which defaults to ``on_error is not None``),
    ``message_metadata(source)`` (called with each part and each
    :class:`StreamEvent`; a result other than ``None`` is sent as message metadata),
    ``generate_message_id`` and ``original_messages`` (the response message's id:
    the last assistant message's id when continuing it). From ``streamText``:
    ``tools`` (name -> :class:`ToolSpec`; ``None``: the call has no tools),
    ``tool_choice`` and ``generate_id`` (for text/reasoning ids that repeat).
    """

    __slots__ = (
        "_generate_message_id",
        "_heads",
        "_message_id",
        "_original",
        "_phase",
        "_send_finish",
        "_send_start",
    )

    def __init__(
        self,
        *,
        tools: Tools | None = None,
        tool_choice: ToolChoice = None,
        send_reasoning: bool = True,
        send_sources: bool = False,
        send_start: bool = True,
        send_finish: bool = True,
        on_error: Callable[[object], str] | None = None,
        redact_tool_errors: bool | None = None,
        message_metadata: Callable[[MetadataSource], Any] | None = None,
        generate_message_id: Callable[[], str] | None = None,
        original_messages: Sequence[UIMessage | Mapping[str, Any]] | None = None,
        generate_id: Callable[[], str] = default_generate_id,
    ) -> None:
        self._tools = tools
        self._tool_choice = _tool_choice(tool_choice)
        self._send_reasoning = send_reasoning
        self._send_sources = send_sources
        self._send_start = send_start
        self._send_finish = send_finish
        self._on_error = on_error
        self._redact = on_error is not None if redact_tool_errors is None else redact_tool_errors
        self._message_metadata = message_metadata
        self._generate_message_id = generate_message_id
        self._original = original_messages
        self._generate_id = generate_id
        self._message_id: str | None = None
        self._phase: Literal["new", "open", "closed"] = "new"
        self._state = StepState(withhold=self._tool_choice[0] == "none")
        self._first_text = None
        self._text_pm = None
        self._heads: dict[str, bytes] = {}  # a text id's frame head (a cache)

    @property
    def message_id(self) -> str | None:
        """The response message's id (known after ``start()``; ``None``: the client picks it)."""
        return self._message_id

    @property
    def closed(self) -> bool:
        """True after ``finish()``, ``abort()`` or ``fail()``."""
        return self._phase == "closed"

    # -- verbs -------------------------------------------------------------------------

    def start(self, *, message_id: str | None = None) -> list[c.UIMessageChunk]:
        """The ``start`` chunk (with the message id and metadata), unless ``send_start=False``.

        ``message_id`` is the id to send when the converter has none of its own (no
        assistant message of ``original_messages`` to continue, no
        ``generate_message_id``): a server that logs the stream names the message
        before it starts (``partstream.resumable.ChatStreams`` does).
        """
        if self._phase != "new":
            raise InvalidArgumentError("start() was already called")
        self._phase = "open"
        own = _response_message_id(self._original, self._generate_message_id)
        self._message_id = own if own is not None else message_id
        meta = self._meta(StreamEvent("start"))
        if not self._send_start:
            return []
        return [c.StartChunk(meta, self._message_id)]

    def feed(self, batch: Iterable[p.Part]) -> list[c.UIMessageChunk]:
        """The chunks for a batch of model parts (none once the converter is closed)."""
        if self._phase != "open":
            if self._phase == "new":
                raise InvalidArgumentError("call start() before feed()")
            return []
        out: list[c.UIMessageChunk] = []
        items: Iterable[Any] = batch
        for part in items:
            kind = type(part)
            handler = HANDLERS.get(kind)
            if handler is None:
                raise InvalidArgumentError(f"not a stream part: {kind.__name__}")
            handler(self, part, out)
        return out

    def feed_sse(self, batch: Iterable[p.Part]) -> bytes:
        """``encode_sse(feed(batch))``, the same bytes, faster: text deltas (most of a
        stream) go straight to their SSE frames without a chunk object."""
        if self._phase != "open":
            if self._phase == "new":
                raise InvalidArgumentError("call start() before feed()")
            return b""
        out: list[bytes] = []
        pending: list[c.UIMessageChunk] = []
        state = self._state
        plain = self._message_metadata is None
        heads = self._heads
        items: Iterable[Any] = batch
        for part in items:
            kind = type(part)
            if kind is p.TextDelta and plain and state.started:
                # A text delta's frame without a chunk object (the rules are the same).
                rules = self._text_delta_rules(part)
                if rules is None:
                    continue
                pid, delta, pm = rules
                if pending:
                    out.append(encode_sse(pending))
                    pending = []
                head = heads.get(pid)
                if head is None:
                    if len(heads) > 256:
                        heads.clear()
                    head = heads[pid] = text_delta_head(pid)
                out.append(text_delta_frame(head, delta, pm))
                if pid not in state.active_text:
                    self._missing(pending, "text", pid)
                continue
            handler = HANDLERS.get(kind)
            if handler is None:
                raise InvalidArgumentError(f"not a stream part: {kind.__name__}")
            handler(self, part, pending)
        if pending:
            out.append(encode_sse(pending))
        return b"".join(out)

    def finish(self) -> list[c.UIMessageChunk]:
        """The model stream ended: ``finish-step`` and ``finish`` (an error if it was empty)."""
        if self._phase != "open":
            if self._phase == "new":
                raise InvalidArgumentError("call start() before finish()")
            return []
        self._phase = "closed"
        out: list[c.UIMessageChunk] = []
        state = self._state
        if not state.terminal and not state.output:
            error = InvalidResponseDataError(
                "AI_NoOutputGeneratedError: No output generated. "
                "The model stream ended without a finish chunk."
            )
            self._emit(out, p.Error(error=str(error)), c.ErrorChunk(self._error_text(error)))
            return out
        reason, usage = state.finish_reason, state.usage
        # Step metadata comes before the boundary (the UI takes a snapshot there).
        meta = self._meta(StreamEvent("finish-step", reason, usage))
        if meta is not None:
            out.append(c.MessageMetadataChunk(meta))
        out.append(c.FinishStepChunk())
        meta = self._meta(StreamEvent("finish", reason, usage))
        if self._send_finish:
            out.append(c.FinishChunk(reason, meta))  # type: ignore[arg-type]
        return out

    def abort(self, reason: str | None = None) -> list[c.UIMessageChunk]:
        """The generation was stopped: an ``abort`` chunk, then nothing more."""
        if self._phase == "closed":
            return []
        out = self.start() if self._phase == "new" else []
        self._phase = "closed"
        self._emit(out, StreamEvent("abort", reason=reason), c.AbortChunk(reason))
        return out

    def fail(self, error: object) -> list[c.UIMessageChunk]:
        """The stream broke with ``error``: an ``error`` chunk (text from ``on_error``), then
        nothing more (``createUIMessageStream`` does this for a failing merged stream)."""
        if self._phase == "closed":
            return []
        out = self.start() if self._phase == "new" else []
        self._phase = "closed"
        out.append(c.ErrorChunk(self._error_text(error)))
        return out

    # -- snapshot ----------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """The converter's state as plain JSON data, for :meth:`restore`."""
        s = self._state
        return {
            "version": SNAPSHOT_VERSION,
            "phase": self._phase,
            "messageId": self._message_id,
            "firstTextId": self._first_text,
            "textProviderMetadata": self._text_pm,
            "started": s.started,
            "terminal": s.terminal,
            "output": s.output,
            "finishReason": s.finish_reason,
            "usage": s.usage.to_dict() if s.usage is not None else None,
            "withhold": s.withhold,
            "usedText": sorted(s.used_text),
            "usedReasoning": sorted(s.used_reasoning),
            "textIds": dict(s.text_ids),
            "reasoningIds": dict(s.reasoning_ids),
            "activeText": sorted(s.active_text),
            "activeReasoning": sorted(s.active_reasoning),
            "toolCalls": {
                k: [name, meta, None if schema is None else [schema[0]]]
                for k, (name, meta, schema) in s.tool_calls.items()
            },
        }

    def restore(self, snapshot: Mapping[str, Any]) -> None:
        """Continue from ``snapshot`` (taken from a converter with the same options).

        Only a converter that has not started can restore; a snapshot that does
        not fit raises :class:`~partstream.errors.InvalidArgumentError`.
        """
        if self._phase != "new":
            raise InvalidArgumentError("restore() needs a converter that has not started")
        data: Any = snapshot
        version = data.get("version") if isinstance(data, Mapping) else None
        if version != SNAPSHOT_VERSION:
            raise InvalidArgumentError(
                f"snapshot version {version!r} is not {SNAPSHOT_VERSION}", argument="snapshot"
            )
        phase = snapshot["phase"]
        if phase not in ("new", "open", "closed"):
            raise InvalidArgumentError(f"snapshot phase {phase!r} is unknown", argument="snapshot")
        try:
            state = StepState(
                started=bool(snapshot["started"]),
                terminal=bool(snapshot["terminal"]),
                output=bool(snapshot["output"]),
                finish_reason=str(snapshot["finishReason"]),
                usage=None if snapshot["usage"] is None else p.Usage.from_dict(snapshot["usage"]),
                withhold=bool(snapshot["withhold"]),
                used_text=set(map(str, snapshot["usedText"])),
                used_reasoning=set(map(str, snapshot["usedReasoning"])),
                text_ids={str(k): str(v) for k, v in snapshot["textIds"].items()},
                reasoning_ids={str(k): str(v) for k, v in snapshot["reasoningIds"].items()},
                active_text=set(map(str, snapshot["activeText"])),
                active_reasoning=set(map(str, snapshot["activeReasoning"])),
                tool_calls={
                    str(k): [str(name), meta, None if schema is None else (schema[0],)]
                    for k, (name, meta, schema) in snapshot["toolCalls"].items()
                },
            )
            message_id = snapshot["messageId"]
            first = snapshot["firstTextId"]
            pm = snapshot["textProviderMetadata"]
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InvalidArgumentError(
                f"not a UIMessageStreamConverter snapshot ({type(exc).__name__}: {exc})",
                argument="snapshot",
            ) from None
        self._phase = phase
        self._message_id = None if message_id is None else str(message_id)
        self._first_text = None if first is None else str(first)
        self._text_pm = pm
        self._state = state
