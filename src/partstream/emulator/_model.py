"""The deterministic scripted model behind the emulator (pure, no I/O).

Given an Interactions request body it produces the full list of SSE events the
real API would send (``interaction.created``, ``interaction.status_update``,
``step.start`` / ``step.delta`` / ``step.stop`` per step, ``interaction.completed``),
with the shapes recorded in the conformance fixtures. The same prompt and knobs
always give the same events (only the interaction id and timestamps vary).

- a ``thought`` step (an optional summary, then a signature);
- a ``model_output`` step whose text is derived from the prompt, cut into
  ``Script.deltas`` text deltas;
- with function tools declared (and no function result in the latest turn), a
  ``function_call`` step instead, ending in ``requires_action``;
- with the ``google_search`` tool declared, URL citations on the text, then a
  ``google_search_call`` and a ``google_search_result`` step (the order the real
  API uses);
- with a JSON ``response_format``, a JSON text synthesized from its schema;
- with a video input whose ``processing`` is ``"agentic"``, a ``processing_call``
  and a ``processing_result`` step before the answer (Gemini exploring the video);
- usage counted in words.

``labels`` (request metadata) must be a record of strings; it changes nothing.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import itertools
import json
from collections.abc import Mapping, Sequence
from typing import Any, Final
from urllib.parse import quote

import attrs

from ._script_and_faults import Script
from ._steps import fold_steps

__all__ = [
    "Answer",
    "RequestError",
    "TurnInput",
    "answer_for",
    "build_events",
    "fold_steps",
    "parse_turn",
    "split_text",
    "synthesize_value",
    "usage_for",
]

SEARCH_HOST: Final = "https://search.emulator.invalid"

_FILLER: Final = (
    "Each piece of this answer reached you as its own text delta, and your loop "
    "pulled it through a bounded channel at its own pace.",
    "Set GOOGLE_GENERATIVE_AI_API_KEY to ask a real Gemini model instead of this "
    "deterministic emulator.",
)


class RequestError(Exception):
    """The request body is not acceptable: answered with ``code`` and ``message``."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@attrs.frozen
class TurnInput:
    """What the scripted model reads from a request's ``input``."""

    text: str
    function_results: tuple[tuple[str, str, Any], ...]  # (call_id, name, result)
    echo_steps: tuple[dict[str, Any], ...]  # the user_input steps, for GET's timeline
    agentic_video: bool = False  # a video block of the latest turn asks for agentic processing


@attrs.frozen
class Answer:
    """What the scripted model decided to say."""

    thought_summary: str
    signature: str
    text: str | None
    function_call: tuple[str, str, dict[str, Any]] | None  # (id, name, arguments)
    search_query: str | None


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _sentence(text: str) -> str:
    return text if text.endswith((".", "!", "?", "…")) else text + "."


def _digest(*items: str) -> bytes:
    return hashlib.sha256("\x00".join(items).encode()).digest()


def _short_id(*items: str) -> str:
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
    number = int.from_bytes(_digest(*items)[:8], "big")
    chars = []
    for _ in range(8):
        number, rest = divmod(number, 36)
        chars.append(alphabet[rest])
    return "".join(chars)


def _block_text(block: Mapping[str, Any]) -> str | None:
    kind = block.get("type")
    if kind == "text":
        text = block.get("text")
        if not isinstance(text, str):
            raise RequestError(400, "input: a text content block needs a string 'text'")
        return text
    if kind in ("image", "audio", "video", "document"):
        return f"[{kind}]"
    return None


def parse_turn(value: Any) -> TurnInput:
    """Read the latest user turn of an Interactions ``input`` (string or steps)."""
    if isinstance(value, str):
        if not value:
            raise RequestError(400, "input must not be empty")
        step = {"type": "user_input", "content": [{"type": "text", "text": value}]}
        return TurnInput(text=value, function_results=(), echo_steps=(step,))
    if not isinstance(value, list) or not value:
        raise RequestError(400, "input must be a non-empty string or a non-empty list of steps")
    last_texts: list[str] = []
    last_results: list[tuple[str, str, Any]] = []
    last_agentic = False
    echo: list[dict[str, Any]] = []
    loose_blocks: list[dict[str, Any]] = []
    for step in value:
        if not isinstance(step, dict) or not isinstance(step.get("type"), str):
            raise RequestError(400, "input: every element must be an object with a string 'type'")
        kind = step["type"]
        if kind == "user_input":
            content = step.get("content") or []
            if not isinstance(content, list):
                raise RequestError(400, "input: user_input.content must be a list")
            texts: list[str] = []
            results: list[tuple[str, str, Any]] = []
            agentic = False
            for block in content:
                if not isinstance(block, dict):
                    raise RequestError(400, "input: content blocks must be objects")
                if block.get("type") == "function_result":
                    call_id = block.get("call_id")
                    if not isinstance(call_id, str):
                        raise RequestError(400, "input: function_result needs a string call_id")
                    results.append((call_id, str(block.get("name") or ""), block.get("result")))
                    continue
                text = _block_text(block)
                if text is not None:
                    texts.append(text)
                agentic = agentic or _agentic_video(block)
            last_texts, last_results, last_agentic = texts, results, agentic
            echo.append(copy.deepcopy(step))
        elif kind in ("text", "image", "audio", "video", "document"):
            # A bare content list (no step wrapper) is one user turn.
            text = _block_text(step)
            loose_blocks.append(copy.deepcopy(step))
            last_texts, last_results = ([*last_texts, text] if text else last_texts), []
            last_agentic = last_agentic or _agentic_video(step)
    if loose_blocks:
        echo.append({"type": "user_input", "content": loose_blocks})
    text = " ".join(t for t in last_texts if t)
    if not text and not last_results:
        raise RequestError(400, "input: the latest user turn has no text or function result")
    return TurnInput(
        text=text,
        function_results=tuple(last_results),
        echo_steps=tuple(echo),
        agentic_video=last_agentic,
    )


def _agentic_video(block: Mapping[str, Any]) -> bool:
    return block.get("type") == "video" and block.get("processing") == "agentic"


def _check_labels(labels: Any) -> None:
    if labels is not None and (
        not isinstance(labels, dict)
        or not all(isinstance(k, str) and isinstance(v, str) for k, v in labels.items())
    ):
        raise RequestError(400, "'labels' must be an object of string values")


def synthesize_value(schema: Any, hint: str, depth: int = 0) -> Any:
    """A deterministic value that fits a (simple) JSON Schema."""
    if not isinstance(schema, dict) or depth > 6:
        return hint
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    for key in ("anyOf", "oneOf", "allOf"):
        if isinstance(schema.get(key), list) and schema[key]:
            return synthesize_value(schema[key][0], hint, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or (kind is None and isinstance(schema.get("properties"), dict)):
        raw_props = schema.get("properties")
        props: dict[str, Any] = raw_props if isinstance(raw_props, dict) else {}
        required = [r for r in schema.get("required") or [] if isinstance(r, str)]
        names = required or list(props)[:1]
        return {name: synthesize_value(props.get(name, {}), f"{hint}", depth + 1) for name in names}
    if kind == "array":
        return [synthesize_value(schema.get("items", {}), hint, depth + 1)]
    if kind == "integer":
        return int(schema.get("minimum", 1))
    if kind == "number":
        return float(schema.get("minimum", 1))
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return hint


def _function_tools(tools: Sequence[Any]) -> list[dict[str, Any]]:
    return [t for t in tools if isinstance(t, dict) and t.get("type") == "function"]


def answer_for(body: Mapping[str, Any], turn: TurnInput, interaction_id: str) -> Answer:
    """Decide the scripted answer for one request (validated body)."""
    tools = body.get("tools") or []
    config = body.get("generation_config") or {}
    prompt = turn.text
    summary = (
        f"The user asks: {_sentence(_short(prompt, 60))} A short, direct answer will do."
        if prompt
        else "A tool returned its result; summarise it for the user."
    )
    signature = base64.b64encode(_digest("thought", prompt)[:24]).decode()

    function_tools = _function_tools(tools)
    tool_choice = config.get("tool_choice") if isinstance(config, dict) else None
    if function_tools and not turn.function_results and tool_choice != "none":
        chosen = function_tools[0]
        if isinstance(tool_choice, dict):
            allowed = (tool_choice.get("allowed_tools") or {}).get("tools") or []
            chosen = next((t for t in function_tools if t.get("name") in allowed), chosen)
        name = str(chosen.get("name"))
        arguments = synthesize_value(chosen.get("parameters") or {}, _short(prompt, 40))
        if not isinstance(arguments, dict):
            arguments = {"value": arguments}
        call_id = _short_id(interaction_id, "call", name)
        return Answer(summary, signature, None, (call_id, name, arguments), None)

    search = any(isinstance(t, dict) and t.get("type") == "google_search" for t in tools)
    text = _answer_text(prompt, turn.function_results, body.get("response_format"))
    return Answer(summary, signature, text, None, _short(prompt, 60) if search else None)


def _answer_text(prompt: str, results: Sequence[tuple[str, str, Any]], fmt: Any) -> str:
    formats = fmt if isinstance(fmt, list) else [fmt] if isinstance(fmt, dict) else []
    for item in formats:
        if isinstance(item, dict) and item.get("mime_type") == "application/json":
            schema = item.get("schema")
            value = synthesize_value(schema, _short(prompt, 40)) if schema else {"answer": prompt}
            return json.dumps(value, separators=(",", ":"))
    parts: list[str] = []
    for _call_id, name, result in results:
        shown = result if isinstance(result, str) else json.dumps(result)
        parts.append(f"The {name or 'tool'} tool returned {_short(shown, 120)}.")
    if prompt:
        parts.append(f"You asked: {_sentence(_short(prompt))} This is the partstream emulator.")
    parts.extend(_FILLER)
    return " ".join(parts)


def split_text(text: str, script: Script) -> list[str]:
    """Cut an answer into ``script.deltas`` non-empty pieces (or fixed-size ones)."""
    count = script.deltas
    if script.delta_chars is not None:
        size = script.delta_chars
        total = count * size
        source = text + " "
        repeated = (source * (total // len(source) + 1))[:total]
        return [repeated[i : i + size] for i in range(0, total, size)]
    while len(text) < count:
        text = f"{text} {text}"
    cuts = [0]
    length = len(text)
    for i in range(1, count):
        target = round(i * length / count)
        # Snap forward to just after a space when that keeps every piece non-empty.
        space = text.find(" ", target, round((i + 1) * length / count) - 1)
        cut = space + 1 if space != -1 else target
        cuts.append(max(cut, cuts[-1] + 1))
    cuts.append(length)
    return [text[a:b] for a, b in itertools.pairwise(cuts)]


def _words(text: str) -> int:
    return max(1, len(text.split()))


def usage_for(turn: TurnInput, answer: Answer, text: str, search: bool) -> dict[str, Any]:
    input_tokens = _words(turn.text) + 8 * len(turn.function_results)
    output_tokens = _words(text) if answer.text is not None else 12
    thought_tokens = _words(answer.thought_summary) + 16
    tool_tokens = 24 if search else 0
    usage: dict[str, Any] = {
        "total_tokens": input_tokens + output_tokens + thought_tokens + tool_tokens,
        "total_input_tokens": input_tokens,
        "input_tokens_by_modality": [{"modality": "text", "tokens": input_tokens}],
        "total_cached_tokens": 0,
        "total_output_tokens": output_tokens,
        "total_tool_use_tokens": tool_tokens,
        "total_thought_tokens": thought_tokens,
    }
    if search:
        usage["tool_use_tokens_by_modality"] = [{"modality": "text", "tokens": tool_tokens}]
    return usage


def _citations(text: str, query: str) -> list[dict[str, Any]]:
    middle = len(text) // 2
    return [
        {
            "start_index": start,
            "end_index": end,
            "url": f"{SEARCH_HOST}/result/{n}?q={quote(query)}",
            "title": f"emulated source {n}",
            "type": "url_citation",
        }
        for n, (start, end) in enumerate(((0, middle), (middle, len(text))), start=1)
    ]


def build_events(
    body: Mapping[str, Any],
    *,
    interaction_id: str,
    owner: Mapping[str, str],
    script: Script,
    created: str,
) -> tuple[list[dict[str, Any]], TurnInput]:
    """The full scripted event list for a request (without ``event_id``s).

    ``owner`` is ``{"model": ...}`` or ``{"agent": ...}``.
    """
    _check_labels(body.get("labels"))
    turn = parse_turn(body.get("input"))
    answer = answer_for(body, turn, interaction_id)
    config = body.get("generation_config") or {}
    summaries = script.thought_summary and (
        not isinstance(config, dict) or config.get("thinking_summaries") != "none"
    )
    head = {"id": interaction_id, "status": "in_progress", "object": "interaction", **owner}
    events: list[dict[str, Any]] = [
        {"interaction": {**head, "created": created}, "event_type": "interaction.created"},
        {
            "interaction_id": interaction_id,
            "status": "in_progress",
            "event_type": "interaction.status_update",
        },
        {"index": 0, "step": {"type": "thought"}, "event_type": "step.start"},
    ]

    def delta(index: int, value: dict[str, Any]) -> None:
        events.append({"index": index, "delta": value, "event_type": "step.delta"})

    def stop(index: int) -> None:
        events.append({"index": index, "event_type": "step.stop"})

    if summaries:
        delta(
            0,
            {
                "type": "thought_summary",
                "content": {"type": "text", "text": answer.thought_summary},
            },
        )
    delta(0, {"signature": answer.signature, "type": "thought_signature"})
    stop(0)

    first = 1  # the step index of the answer
    if turn.agentic_video:
        processing_id = _short_id(interaction_id, "processing")
        signature = base64.b64encode(_digest("processing", turn.text)[:12]).decode()
        events.append(
            {
                "index": 1,
                "step": {"id": processing_id, "signature": signature, "type": "processing_call"},
                "event_type": "step.start",
            }
        )
        stop(1)
        events.append(
            {
                "index": 2,
                "step": {"call_id": processing_id, "type": "processing_result"},
                "event_type": "step.start",
            }
        )
        stop(2)
        first = 3

    text = ""
    status = "completed"
    if answer.function_call is not None:
        call_id, name, arguments = answer.function_call
        events.append(
            {
                "index": first,
                "step": {
                    "id": call_id,
                    "signature": "",
                    "type": "function_call",
                    "name": name,
                    "arguments": {},
                },
                "event_type": "step.start",
            }
        )
        delta(first, {"arguments": json.dumps(arguments), "type": "arguments_delta"})
        stop(first)
        status = "requires_action"
    else:
        assert answer.text is not None
        pieces = split_text(answer.text, script)
        text = "".join(pieces)
        events.append(
            {"index": first, "step": {"type": "model_output"}, "event_type": "step.start"}
        )
        for piece in pieces:
            delta(first, {"text": piece, "type": "text"})
        if answer.search_query is not None:
            delta(
                first,
                {
                    "annotations": _citations(text, answer.search_query),
                    "type": "text_annotation_delta",
                },
            )
        stop(first)
        if answer.search_query is not None:
            search_id = _short_id(interaction_id, "search")
            events.append(
                {
                    "index": first + 1,
                    "step": {"id": search_id, "signature": "", "type": "google_search_call"},
                    "event_type": "step.start",
                }
            )
            delta(
                first + 1,
                {
                    "type": "google_search_call",
                    "arguments": {"queries": [answer.search_query]},
                },
            )
            stop(first + 1)
            events.append(
                {
                    "index": first + 2,
                    "step": {"call_id": search_id, "signature": "", "type": "google_search_result"},
                    "event_type": "step.start",
                }
            )
            results = [
                {"url": c["url"], "title": c["title"]}
                for c in _citations(text, answer.search_query)
            ]
            delta(first + 2, {"type": "google_search_result", "result": results, "is_error": False})
            stop(first + 2)

    usage = usage_for(turn, answer, text, answer.search_query is not None)
    events.append(
        {
            "interaction": {
                "id": interaction_id,
                "status": status,
                "usage": usage,
                "created": created,
                "updated": created,
                "service_tier": "standard",
                "object": "interaction",
                **owner,
            },
            "event_type": "interaction.completed",
        }
    )
    return events, turn
