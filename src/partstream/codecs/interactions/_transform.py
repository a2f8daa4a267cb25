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

The module holds the stage (batches, the hot paths, dispatch, snapshots); what
each event does is in ``_transform_events``, the open blocks in
``_transform_blocks``.

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

from ...errors import InvalidArgumentError
from ...parts import (
    Error,
    Finish,
    FinishReason,
    Part,
    Raw,
    StreamStart,
    TextDelta,
    Warning,
    _field_setters,
    _layout_twin,
    warning_from_dict,
)
from ._api import (
    Parsed,
    ParseFailure,
    _event_item,
    _json_values,
    _step_deltas,
    decode_event,
    error_to_json,
)
from ._finish import finish_reason
from ._outputs import finish_metadata, interaction_id_of
from ._transform_blocks import (
    _SNAPSHOT_VERSION,
    _bad_state,
    _block_from_state,
    _block_state,
    _index,
    _state_bool,
    _state_str,
    _Text,
)
from ._transform_events import _EventHandlers
from ._usage import convert_usage

__all__ = ["InteractionsStreamTransform", "default_generate_id"]

_ID_ALPHABET: Final = string.digits + string.ascii_letters


def default_generate_id() -> str:
    """A random 16-character alphanumeric id (the AI SDK's ``generateId``)."""
    return "".join(random.choices(_ID_ALPHABET, k=16))


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


@final
class InteractionsStreamTransform(_EventHandlers):
    """Sans-IO stage: Interactions SSE parse results in, AI SDK stream parts out.

    ``warnings`` go on the ``stream-start`` part; ``generate_id`` names sources;
    ``include_raw_chunks`` adds a ``raw`` part before each event's parts;
    ``service_tier`` is the ``x-gemini-service-tier`` response header, used when
    the completed interaction does not state its tier.
    """

    __slots__ = ()

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
        self._body_tier = None
        self._interaction_id = None
        self._usage = None
        self._status = None
        self._has_function_call = False
        self._completed_seen = False
        self._blocks = {}
        self._source_keys = set()
        self._handlers = {
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
        # AI SDK 4.0.103: a stream that ended with neither its completion event nor a
        # final status was cut off: `interrupted`, no raw reason.
        interrupted = not self._completed_seen and self._status in (None, "in_progress")
        out.append(
            Finish(
                usage=convert_usage(self._usage),
                finish_reason=FinishReason(unified="interrupted")
                if interrupted
                else finish_reason(self._status, has_function_call=self._has_function_call),
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
            "completed": self._completed_seen,
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
        # Absent from snapshots taken before interrupted streams were told apart.
        transform._completed_seen = _state_bool({"completed": False, **state}, "completed")
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
