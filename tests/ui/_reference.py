"""Run the same part sequences through the reference (Node) and through ``partstream.ui``.

A *case* is the JSON the Node driver ``tests/reference/ui_stream.mjs`` takes:
``{"parts": [...], "tools": {...} | None, "toolChoice": ..., "options": {...},
"throwAfter": bool}``. :func:`run_python` mirrors it with the converter: the same
tools, options and callbacks (the driver's ``makeOptions`` and ours below must
stay twins), the same stand-in for downloading generated files by URL.

Normalisations (each is needed, none hides a behaviour):

* ids the converters generate for repeated text/reasoning ids: the reference draws
  them from ``streamText``'s id generator, which it also calls for response ids
  that never reach the UI, so the numbers differ; both sides are renumbered in
  order of first appearance (``gen-<n>`` -> ``generated-<k>``);
* the detail of a JSON syntax error in a tool call's input: it is V8's
  ``SyntaxError`` text in Node and Python's ``json`` text here
  (``...Error message: SyntaxError: <detail>``); everything around it is compared.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from partstream import parts as p
from partstream.codecs.interactions._javascript_json import js_stringify
from partstream.ui import (
    StreamEvent,
    ToolSpec,
    UIMessageStreamConverter,
    encode_sse,
)

__all__ = [
    "make_case",
    "normalise",
    "renumber",
    "run_client",
    "run_prompt",
    "run_python",
    "run_reference",
    "split_sse",
]

THROW_TEXT = "upstream broke: secret-token-123"
_GENERATED = re.compile(r"gen-\d+")
# The detail after "SyntaxError: " in a JSON string (escaped quotes and backslashes kept).
_JSON_DETAIL = re.compile(r'(Error message: SyntaxError: )((?:[^"\\]|\\.)*)')


def make_case(
    parts: Sequence[Mapping[str, Any]],
    *,
    tools: Mapping[str, Mapping[str, Any]] | None = None,
    tool_choice: Any = None,
    options: Mapping[str, Any] | None = None,
    throw_after: bool = False,
) -> dict[str, Any]:
    case: dict[str, Any] = {"parts": list(parts), "options": dict(options or {})}
    if tools is not None:
        case["tools"] = dict(tools)
    if tool_choice is not None:
        case["toolChoice"] = tool_choice
    if throw_after:
        case["throwAfter"] = True
    return case


def _metadata(source: StreamEvent | p.Part) -> Any:
    # The twin of the driver's messageMetadata 'events'.
    if isinstance(source, StreamEvent):
        if source.type in ("start", "start-step"):
            return {"at": source.type}
        if source.type in ("finish-step", "finish"):
            return {"at": source.type, "reason": source.finish_reason}
        return None
    if isinstance(source, p.TextDelta):
        return {"at": "text-delta"}
    return None


def _resolve_file(part: p.Part) -> p.Part:
    # The twin of the driver's experimental_download: "bytes of <url>".
    if isinstance(part, p.File | p.ReasoningFile) and isinstance(part.data, p.UrlContent):
        data = base64.b64encode(f"bytes of {part.data.url}".encode()).decode()
        return type(part)(part.media_type, p.DataContent(data), part.provider_metadata)
    return part


def converter_for(case: Mapping[str, Any]) -> UIMessageStreamConverter:
    options = case.get("options") or {}
    tools = case.get("tools")
    counter = itertools.count()
    kwargs: dict[str, Any] = {}
    for key, name in (
        ("sendReasoning", "send_reasoning"),
        ("sendSources", "send_sources"),
        ("sendStart", "send_start"),
        ("sendFinish", "send_finish"),
        ("redactToolErrors", "redact_tool_errors"),
    ):
        if options.get(key) is not None:
            kwargs[name] = options[key]
    if options.get("onError") == "constant":
        kwargs["on_error"] = lambda error: "handled by onError"
    if options.get("messageMetadata") == "events":
        kwargs["message_metadata"] = _metadata
    message_id = options.get("messageId")
    if case.get("throwAfter"):
        # createUIMessageStream gives the message an id of its own generator.
        message_id = message_id or "merged-message-id"
    if message_id is not None:
        kwargs["generate_message_id"] = lambda: message_id
    if options.get("originalMessages") is not None:
        kwargs["original_messages"] = options["originalMessages"]
    return UIMessageStreamConverter(
        tools=None
        if tools is None
        else {
            name: ToolSpec(
                kind=t.get("kind", "function"), title=t.get("title"), metadata=t.get("metadata")
            )
            for name, t in tools.items()
        },
        tool_choice=case.get("toolChoice"),
        generate_id=lambda: f"gen-{next(counter)}",
        **kwargs,
    )


def run_python(case: Mapping[str, Any], *, batch: int = 3) -> dict[str, Any]:
    """The chunks (as dicts) and the SSE text of ``partstream.ui`` for ``case``."""
    parts = [_resolve_file(p.from_dict(item)) for item in case["parts"]]  # type: ignore[arg-type]
    conv = converter_for(case)
    chunks = conv.start()
    for i in range(0, len(parts), batch):
        chunks += conv.feed(parts[i : i + batch])
    chunks += conv.fail(RuntimeError(THROW_TEXT)) if case.get("throwAfter") else conv.finish()
    # The server's path: feed_sse, which must give encode_sse(feed(...)) exactly.
    fast = converter_for(case)
    sse = encode_sse(fast.start())
    for i in range(0, len(parts), batch):
        sse += fast.feed_sse(parts[i : i + batch])
    end = fast.fail(RuntimeError(THROW_TEXT)) if case.get("throwAfter") else fast.finish()
    sse += encode_sse(end, done=True)
    assert sse == encode_sse(chunks, done=True), "feed_sse and encode_sse(feed) differ"
    return {"chunks": [c.to_dict() for c in chunks], "sse": sse.decode()}


def run_reference(cases: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    from tests.reference.node import run_driver

    out = run_driver("ui_stream.mjs", {"cases": list(cases)}, timeout=300)
    results: list[dict[str, Any]] = out["results"]
    return results


def run_client(sse_texts: Sequence[str]) -> list[dict[str, Any]]:
    """What the reference's client (``DefaultChatTransport`` + ``readUIMessageStream``)
    makes of each SSE text: the message, the chunks, the errors."""
    from tests.reference.node import run_driver

    streams = [{"sse": sse} for sse in sse_texts]
    out = run_driver("ui_client.mjs", {"streams": streams}, timeout=300)
    results: list[dict[str, Any]] = out["results"]
    return results


def run_prompt(cases: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The reference's model messages and model prompt for each ``{messages, options}``."""
    from tests.reference.node import run_driver

    out = run_driver("ui_prompt.mjs", {"cases": list(cases)}, timeout=300)
    results: list[dict[str, Any]] = out["results"]
    return results


def _comparable_text(text: str) -> str:
    """JSON text with generated ids renumbered and JSON syntax error details masked."""
    seen: dict[str, str] = {}
    text = _GENERATED.sub(lambda m: seen.setdefault(m.group(), f"generated-{len(seen)}"), text)
    return _JSON_DETAIL.sub(r"\1<detail>", text)


def renumber(value: Any) -> Any:
    """``value`` (JSON) as compared: see the module docstring for the normalisations."""
    return json.loads(_comparable_text(js_stringify(value)))


def normalise(result: Mapping[str, Any]) -> dict[str, Any]:
    """The ``chunks`` and ``sse`` of ``result`` as compared (see the module docstring).

    Chunks are compared as what the wire carries: JSON.stringify's text parsed back
    (numbers as JavaScript has them).
    """
    return {"chunks": renumber(result["chunks"]), "sse": _comparable_text(result["sse"])}


def split_sse(sse: str) -> list[str]:
    """The frames of an SSE text (for readable failure output)."""
    return [frame + "\n\n" for frame in sse.split("\n\n") if frame]


Check = Callable[[Mapping[str, Any]], None]
