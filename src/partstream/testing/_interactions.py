"""Hypothesis strategies for Google Interactions SSE event sequences.

- :func:`interactions_streams`: well-formed streams (``interaction.created``, steps
  of every kind interleaved across indices, status updates, a final
  ``interaction.completed``) with what a correct transform must report
  (:class:`InteractionsStream`: the text, reasoning and argument JSON per index);
- :func:`interactions_events`: one well-formed event of any type;
- :func:`malformed_events`: events of a known type with fields of the wrong JSON
  type or missing, and arbitrary JSON values;
- :func:`interactions_feeds`: what a transform may be fed: a mix of the above,
  parse failures and ``None``, as dicts and :class:`Parsed` wrappers.

Usage::

    from hypothesis import given
    from partstream.testing import interactions_streams

    @given(interactions_streams())
    def test_my_consumer(stream):
        ...  # stream.events are plain dicts, as decoded from the SSE data lines
"""

from __future__ import annotations

import json
from typing import Any, final

import attrs
from hypothesis import strategies as st

from ..codecs.interactions._api import Parsed, ParseFailure
from ._parts import json_values

__all__ = [
    "InteractionsStream",
    "interactions_events",
    "interactions_feeds",
    "interactions_streams",
    "malformed_events",
]

_text = st.text(max_size=12)
_nonempty = st.text(min_size=1, max_size=12)
_interaction_ids = st.sampled_from(["", "v1_interaction", "v1_ChdUR3NIYXVy"]) | _nonempty
_statuses = st.sampled_from(
    ["in_progress", "requires_action", "completed", "failed", "cancelled", "incomplete"]
)
_urls = st.sampled_from(
    ["https://a.example.com", "https://b.example.com/x?y=1", "https://A.example.com", "gs://b/f"]
)
_builtin_tools = st.sampled_from(
    ["google_search", "code_execution", "url_context", "file_search", "google_maps"]
)


@final
@attrs.frozen
class InteractionsStream:
    """A well-formed event sequence and what it says.

    ``texts`` / ``reasonings`` / ``arguments`` map a step index to the text of its
    text deltas, its reasoning summary, and its function-call argument JSON.
    ``interaction_id`` is the id as sent (``""`` means none).
    """

    events: list[dict[str, Any]]
    interaction_id: str
    texts: dict[int, str]
    reasonings: dict[int, str]
    arguments: dict[int, str]
    final_status: str | None


def _usage() -> st.SearchStrategy[dict[str, Any]]:
    counts = st.integers(min_value=0, max_value=10**6)
    return st.fixed_dictionaries(
        {},
        optional={
            "total_input_tokens": counts,
            "total_output_tokens": counts,
            "total_thought_tokens": counts,
            "total_cached_tokens": counts,
            "total_tokens": counts,
            "output_tokens_by_modality": st.lists(
                st.fixed_dictionaries(
                    {"modality": st.sampled_from(["text", "image", "video"]), "tokens": counts}
                ),
                max_size=3,
            ),
        },
    )


def _annotation() -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(
        st.fixed_dictionaries(
            {"type": st.just("url_citation"), "url": _urls}, optional={"title": _text}
        ),
        st.fixed_dictionaries(
            {"type": st.just("file_citation")},
            optional={
                "document_uri": st.sampled_from(["gs://bucket/a.pdf", "https://f.example/x.txt"]),
                "file_name": st.sampled_from(["a.pdf", "notes.md", "x"]),
            },
        ),
        st.fixed_dictionaries(
            {"type": st.just("place_citation"), "url": _urls}, optional={"name": _text}
        ),
    )


@st.composite
def _text_step(draw: st.DrawFn, index: int) -> tuple[list[dict[str, Any]], str]:
    pieces = draw(st.lists(st.text(max_size=8), max_size=5))
    start: dict[str, Any] = {
        "event_type": "step.start",
        "index": index,
        "step": {"type": "model_output"},
    }
    if draw(st.booleans()):
        # The content hint: the block is text from the start.
        start["step"]["content"] = [{"type": "text", "text": ""}]
    events = [start]
    for piece in pieces:
        events.append(
            {"event_type": "step.delta", "index": index, "delta": {"type": "text", "text": piece}}
        )
        if draw(st.integers(0, 4)) == 0:
            events.append(
                {
                    "event_type": "step.delta",
                    "index": index,
                    "delta": {
                        "type": draw(st.sampled_from(["text_annotation", "text_annotation_delta"])),
                        "annotations": draw(st.lists(_annotation(), max_size=3)),
                    },
                }
            )
        if draw(st.integers(0, 6)) == 0:
            kind = draw(st.sampled_from(["image", "video"]))
            events.append(
                {
                    "event_type": "step.delta",
                    "index": index,
                    "delta": draw(
                        st.sampled_from(
                            [
                                {"type": kind, "data": "AAAA", "mime_type": f"{kind}/x"},
                                {"type": kind, "uri": "https://example.test/media"},
                                {"type": kind},
                            ]
                        )
                    ),
                }
            )
    events.append({"event_type": "step.stop", "index": index})
    return events, "".join(pieces)


@st.composite
def _thought_step(draw: st.DrawFn, index: int) -> tuple[list[dict[str, Any]], str]:
    initial = draw(st.lists(st.text(max_size=8), max_size=2))
    step: dict[str, Any] = {"type": "thought"}
    if initial:
        step["summary"] = [{"type": "text", "text": t} for t in initial]
    events: list[dict[str, Any]] = [{"event_type": "step.start", "index": index, "step": step}]
    texts = list(initial)
    for _ in range(draw(st.integers(0, 4))):
        if draw(st.booleans()):
            text = draw(st.text(max_size=8))
            texts.append(text)
            delta: dict[str, Any] = {
                "type": "thought_summary",
                "content": {"type": "text", "text": text},
            }
        else:
            delta = {"type": "thought_signature", "signature": draw(_nonempty)}
        events.append({"event_type": "step.delta", "index": index, "delta": delta})
    events.append({"event_type": "step.stop", "index": index})
    return events, "".join(texts)


@st.composite
def _function_step(draw: st.DrawFn, index: int) -> tuple[list[dict[str, Any]], str]:
    arguments = json.dumps(draw(st.dictionaries(_text, st.integers() | _text, max_size=3)))
    cuts = sorted(draw(st.lists(st.integers(0, len(arguments)), max_size=4)))
    pieces = [arguments[a:b] for a, b in zip([0, *cuts], [*cuts, len(arguments)], strict=True)]
    step = {"type": "function_call", "id": draw(st.sampled_from(["", "call_1"])), "name": "f"}
    events: list[dict[str, Any]] = [{"event_type": "step.start", "index": index, "step": step}]
    events.extend(
        {
            "event_type": "step.delta",
            "index": index,
            "delta": {"type": "arguments_delta", "arguments": p},
        }
        for p in pieces
    )
    events.append({"event_type": "step.stop", "index": index})
    return events, arguments


@st.composite
def _builtin_step(draw: st.DrawFn, index: int) -> list[dict[str, Any]]:
    tool = draw(_builtin_tools)
    if draw(st.booleans()):
        kind = tool + "_call"
        step: dict[str, Any] = {
            "type": kind,
            "id": draw(st.sampled_from(["", "c1"])),
            "arguments": {},
        }
        delta: dict[str, Any] = {"type": kind, "arguments": {"q": draw(_text)}}
    else:
        kind = tool + "_result"
        step = {"type": kind, "call_id": draw(st.sampled_from(["", "c1"])), "result": None}
        delta = {
            "type": kind,
            "result": draw(
                st.lists(
                    st.fixed_dictionaries({"url": _urls}, optional={"title": _text}), max_size=3
                )
            ),
        }
    return [
        {"event_type": "step.start", "index": index, "step": step},
        {"event_type": "step.delta", "index": index, "delta": delta},
        {"event_type": "step.stop", "index": index},
    ]


@st.composite
def interactions_streams(draw: st.DrawFn, max_steps: int = 5) -> InteractionsStream:
    """A well-formed stream: created, interleaved steps, status updates, completed."""
    interaction_id = draw(_interaction_ids)
    created: dict[str, Any] = {
        "event_type": "interaction.created",
        "interaction": {"id": interaction_id, "status": "in_progress", "model": "gemini-x"},
    }
    if draw(st.booleans()):
        created["interaction"]["created"] = "2026-05-15T18:51:57Z"
    scripts: list[list[dict[str, Any]]] = []
    texts: dict[int, str] = {}
    reasonings: dict[int, str] = {}
    arguments: dict[int, str] = {}
    for index in range(draw(st.integers(0, max_steps))):
        kind = draw(st.sampled_from(["text", "thought", "function_call", "builtin", "unknown"]))
        if kind == "text":
            events, texts[index] = draw(_text_step(index))
        elif kind == "thought":
            events, reasonings[index] = draw(_thought_step(index))
        elif kind == "function_call":
            events, arguments[index] = draw(_function_step(index))
        elif kind == "builtin":
            events = draw(_builtin_step(index))
        else:
            events = [
                {"event_type": "step.start", "index": index, "step": {"type": "future_step"}},
                {"event_type": "step.delta", "index": index, "delta": {"type": "future"}},
                {"event_type": "step.stop", "index": index},
            ]
        scripts.append(events)
    # Interleave the steps, keeping each step's own order.
    out: list[dict[str, Any]] = [created]
    active = [list(s) for s in scripts]
    while active:
        pick = draw(st.integers(0, len(active) - 1))
        out.append(active[pick].pop(0))
        if not active[pick]:
            active.pop(pick)
        if draw(st.integers(0, 9)) == 0:
            out.append({"event_type": "interaction.status_update", "status": draw(_statuses)})
    final_status: str | None = None
    if draw(st.integers(0, 5)):
        final_status = draw(_statuses)
        interaction: dict[str, Any] = {"id": interaction_id, "status": final_status}
        if draw(st.booleans()):
            interaction["usage"] = draw(_usage())
        if draw(st.booleans()):
            interaction["service_tier"] = draw(st.sampled_from(["standard", "priority"]))
        out.append(
            {
                # An earlier API revision named the final event `interaction.complete`.
                "event_type": draw(
                    st.sampled_from(["interaction.completed", "interaction.complete"])
                ),
                "interaction": interaction,
            }
        )
    for number, event in enumerate(out):
        event["event_id"] = f"evt_{number}"
    return InteractionsStream(
        events=out,
        interaction_id=interaction_id,
        texts=texts,
        reasonings=reasonings,
        arguments=arguments,
        final_status=final_status,
    )


def interactions_events() -> st.SearchStrategy[dict[str, Any]]:
    """One well-formed event of any type (taken from a generated stream)."""
    return interactions_streams(max_steps=2).flatmap(lambda s: st.sampled_from(s.events))


_KNOWN_TYPES = [
    "interaction.created",
    "step.start",
    "step.delta",
    "step.stop",
    "interaction.status_update",
    "interaction.in_progress",
    "interaction.requires_action",
    "interaction.completed",
    "interaction.complete",
    "error",
]


@st.composite
def malformed_events(draw: st.DrawFn) -> Any:
    """Events with missing or mistyped fields, and arbitrary JSON values."""
    junk = json_values(6)
    choice = draw(st.integers(0, 3))
    if choice == 0:
        return draw(junk)
    event: dict[str, Any] = {"event_type": draw(st.sampled_from(_KNOWN_TYPES) | junk)}
    keys = st.sampled_from(
        [
            "index",
            "step",
            "delta",
            "interaction",
            "status",
            "error",
            "type",
            "content",
            "annotations",
            "arguments",
            "result",
            "usage",
            "id",
            "text",
            "data",
            "uri",
        ]
    )
    for key in draw(st.lists(keys, max_size=4)):
        event[key] = draw(junk | st.integers(-2, 3))
    if choice >= 2:
        # A nested object of the right kind whose own fields are junk.
        nested = {
            "type": draw(
                st.sampled_from(
                    [
                        "model_output",
                        "thought",
                        "function_call",
                        "google_search_call",
                        "google_search_result",
                        "file_search_result",
                        "google_maps_result",
                        "url_context_result",
                        "text",
                        "image",
                        "video",
                        "thought_summary",
                        "thought_signature",
                        "arguments_delta",
                        "text_annotation",
                        "mcp_server_tool_call",
                        "mcp_server_tool_result",
                    ]
                )
                | junk
            )
        }
        for key in draw(st.lists(keys, max_size=4)):
            nested[key] = draw(junk | st.lists(junk, max_size=3))
        event[draw(st.sampled_from(["step", "delta", "interaction"]))] = nested
        event.setdefault("index", draw(st.integers(0, 3)))
    return event


def _wrap(item: Any) -> st.SearchStrategy[Any]:
    # A dict or None may be fed bare; any other JSON value only inside Parsed.
    if isinstance(item, ParseFailure):
        return st.just(item)
    if type(item) is dict or item is None:
        return st.sampled_from([item, Parsed(value=item, raw=item)])
    return st.just(Parsed(value=item, raw=item))


def interactions_feeds() -> st.SearchStrategy[list[Any]]:
    """What a transform may be fed: valid and malformed events, failures, ``None``."""
    failure = st.builds(
        ParseFailure,
        error=st.fixed_dictionaries({"name": st.just("AI_JSONParseError"), "message": _text}),
        raw=st.none() | json_values(3),
    )
    one = st.one_of(
        interactions_events(),
        malformed_events(),
        failure,
        st.none(),
    )
    wrapped = one.flatmap(_wrap)
    valid_run = interactions_streams(max_steps=3).map(lambda s: s.events)
    return st.lists(wrapped, max_size=12) | st.tuples(valid_run, st.lists(wrapped, max_size=6)).map(
        lambda pair: list(pair[0]) + pair[1]
    )
