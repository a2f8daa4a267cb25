"""AI SDK prompt -> Interactions ``input`` steps and ``system_instruction`` (sans-IO).

The prompt is the AI SDK LanguageModelV4 prompt as JSON-like dicts with the AI
SDK's camelCase keys. Messages become steps:

* ``system`` texts are joined with a blank line into ``system_instruction``;
* a ``user`` message is one ``user_input`` step (adjacent text blocks merged
  with a blank line between them);
* an ``assistant`` message fans out: runs of text/file parts form one
  ``model_output`` step, each reasoning part a ``thought`` step and each tool
  call a ``function_call`` step, in order;
* a ``tool`` message is one ``user_input`` step of ``function_result`` blocks.

File data is the V4 tagged union (``{"type": "data", "data": base64 str | bytes}``,
``{"type": "url", "url": ...}``, ``{"type": "reference", "reference": {...}}``,
``{"type": "text", "text": ...}``); bare ``bytes``, a base64 ``str`` or a URL string
(``https://...``, ``gs://...``, ``data:...;base64,...``) are accepted as ``data`` too.

With ``previous_interaction_id`` (and ``store`` not ``False``) the history the
server already holds is left out: assistant messages carrying that interaction
id in a part's ``providerOptions.google.interactionId``, and the tool results
answering their tool calls.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Final, final
from urllib.parse import unquote_to_bytes

import attrs

from partstream import parts
from partstream.errors import InvalidArgumentError, NoSuchProviderReferenceError

from ._javascript_json import check_json, js_stringify, secure_json_parse
from ._media import (
    encode_base64,
    is_full_media_type,
    resolve_full_media_type,
    top_level_media_type,
)

__all__ = ["ConvertedInput", "convert_to_interactions_input", "normalize_prompt"]

_PREFIX: Final = "google.interactions: "
_FILE_KINDS: Final = {
    "image": "image",
    "audio": "audio",
    "video": "video",
    "application": "document",
    "text": "document",
}
_MEDIA_RESOLUTIONS: Final = ("low", "medium", "high", "ultra_high")
_DENIED_DEFAULT: Final = "Tool execution denied by user."
# A bare string with a URL scheme is a URL (base64 text never contains ":").
_URL_SCHEME: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://|(?i:data):")

Prompt = str | Sequence[Mapping[str, Any]]


@final
@attrs.frozen
class ConvertedInput:
    """The ``input`` steps, the joined system text (or ``None``) and the warnings."""

    input: list[dict[str, Any]]
    system_instruction: str | None
    warnings: list[parts.Warning]


def _bad(path: str, message: str) -> InvalidArgumentError:
    return InvalidArgumentError(f"invalid prompt: {path}: {message}", argument="prompt")


def _field(part: Mapping[str, Any], key: str, path: str, kind: type | tuple[type, ...]) -> Any:
    value = part.get(key)
    if not isinstance(value, kind):
        raise _bad(f"{path}.{key}", f"expected {_kind_name(kind)}, got {type(value).__name__}")
    return value


def _tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names: dict[type, str] = {str: "a string", dict: "an object", list: "an array"}
    return " or ".join(
        "an object" if k is Mapping else names.get(k, k.__name__) for k in _tuple(kind)
    )


def _google(part: Mapping[str, Any], key: str) -> Any:
    """``part.providerOptions.google[key]``, or ``None`` when any level is missing."""
    options = part.get("providerOptions")
    if not isinstance(options, Mapping):
        return None
    google = options.get("google")
    return google.get(key) if isinstance(google, Mapping) else None


def normalize_prompt(prompt: Prompt) -> list[dict[str, Any]]:
    """Check the prompt's shape; a plain string becomes one user text message.

    A ``str`` message content (user or assistant) is taken as one text part.
    """
    if isinstance(prompt, str):
        return [{"role": "user", "content": [{"type": "text", "text": prompt}]}]
    if not isinstance(prompt, Sequence):
        raise InvalidArgumentError(
            f"prompt must be a string or a list of messages, got {type(prompt).__name__}",
            argument="prompt",
        )
    messages: list[dict[str, Any]] = []
    for i, message in enumerate(prompt):
        path = f"prompt[{i}]"
        if not isinstance(message, Mapping):
            raise _bad(path, f"expected a message object, got {type(message).__name__}")
        role = message.get("role")
        content = message.get("content")
        if role == "system":
            if not isinstance(content, str):
                raise _bad(f"{path}.content", "a system message's content must be a string")
        elif role in ("user", "assistant", "tool"):
            if isinstance(content, str) and role != "tool":
                content = [{"type": "text", "text": content}]
            elif not isinstance(content, Sequence) or isinstance(content, str | bytes):
                raise _bad(f"{path}.content", "expected an array of parts")
            for j, part in enumerate(content):
                if not isinstance(part, Mapping) or not isinstance(part.get("type"), str):
                    raise _bad(f"{path}.content[{j}]", "expected a part object with a type")
        else:
            raise _bad(
                f"{path}.role", f"expected 'system', 'user', 'assistant' or 'tool', got {role!r}"
            )
        messages.append({**message, "content": content})
    return messages


def _compact(messages: list[dict[str, Any]], previous_interaction_id: str) -> list[dict[str, Any]]:
    """Drop what the linked interaction already holds on the server."""
    out: list[dict[str, Any]] = []
    dropped_calls: set[str] = set()
    for message in messages:
        role = message["role"]
        if role == "assistant":
            content = message["content"]
            if any(_google(p, "interactionId") == previous_interaction_id for p in content):
                dropped_calls.update(
                    p.get("toolCallId")
                    for p in content
                    if p["type"] == "tool-call" and isinstance(p.get("toolCallId"), str)
                )
                continue
        elif role == "tool":
            remaining = [
                p
                for p in message["content"]
                if p["type"] != "tool-result"
                or not isinstance(p.get("toolCallId"), str)
                or p["toolCallId"] not in dropped_calls
            ]
            if not remaining:
                continue
            message = {**message, "content": remaining}
        out.append(message)
    return out


def _file_data(part: Mapping[str, Any], path: str) -> Mapping[str, Any]:
    """The part's tagged file data; bare bytes or a base64 string count as ``data``."""
    data = part.get("data")
    if isinstance(data, str) and _URL_SCHEME.match(data):
        return _bare_url(data)
    if isinstance(data, bytes | bytearray | memoryview | str):
        return {"type": "data", "data": data}
    if not isinstance(data, Mapping):
        raise _bad(f"{path}.data", f"expected file data, got {type(data).__name__}")
    kind = data.get("type")
    if kind == "data":
        inner = data.get("data")
        if not isinstance(inner, str | bytes | bytearray | memoryview):
            raise _bad(f"{path}.data.data", "expected a base64 string or bytes")
    elif kind == "url":
        url = data.get("url")
        if not isinstance(url, str):
            # A URL object (urllib's SplitResult or anything with geturl()/str).
            geturl = getattr(url, "geturl", None)
            url = geturl() if callable(geturl) else (None if url is None else str(url))
        if not isinstance(url, str):
            raise _bad(f"{path}.data.url", "expected a URL string")
        return {"type": "url", "url": url}
    elif kind == "reference":
        reference = data.get("reference")
        if not isinstance(reference, Mapping):
            raise _bad(f"{path}.data.reference", "expected a mapping of provider to file id")
    elif kind == "text":
        _field(data, "text", f"{path}.data", str)
    else:
        raise _bad(
            f"{path}.data.type", f"expected 'data', 'url', 'reference' or 'text', got {kind!r}"
        )
    return data


def _bare_url(url: str) -> dict[str, Any]:
    """A bare URL string as file data; a ``data:`` URL becomes its inline payload."""
    if url[:5].lower() != "data:":
        return {"type": "url", "url": url}
    header, comma, payload = url[5:].partition(",")
    if not comma:
        raise InvalidArgumentError("invalid data URL: no comma", argument="prompt")
    if header.lower().endswith(";base64"):
        return {"type": "data", "data": payload}
    return {"type": "data", "data": unquote_to_bytes(payload)}


def _resolve_reference(reference: Mapping[str, Any]) -> str:
    uri = reference.get("google")
    if uri is None:
        raise NoSuchProviderReferenceError(provider="google", reference=reference)
    return str(uri)


def _bytes_or_str(value: Any) -> str | bytes:
    return value if isinstance(value, str) else bytes(value)


def _file_block(
    part: Mapping[str, Any],
    path: str,
    warnings: list[parts.Warning],
    media_resolution: str | None,
) -> dict[str, Any] | None:
    """A user/assistant file part as an image/audio/video/document (or text) block."""
    data = _file_data(part, path)
    if data["type"] == "text":
        return {"type": "text", "text": data["text"]}
    media_type: str = _field(part, "mediaType", path, str)
    kind = _FILE_KINDS.get(top_level_media_type(media_type))
    if kind is None:
        warnings.append(
            parts.OtherWarning(
                message=f'{_PREFIX}unsupported file media type "{media_type}"; part dropped.'
            )
        )
        return None
    resolution = (
        {"resolution": media_resolution}
        if media_resolution is not None and kind in ("image", "video")
        else {}
    )
    if data["type"] == "data":
        inline = _bytes_or_str(data["data"])
        return {
            "type": kind,
            "data": encode_base64(inline),
            "mime_type": resolve_full_media_type(media_type, inline),
            **resolution,
        }
    uri = data["url"] if data["type"] == "url" else _resolve_reference(data["reference"])
    mime = {"mime_type": media_type} if is_full_media_type(media_type) else {}
    return {"type": kind, "uri": uri, **mime, **resolution}


def _tool_result_image(
    item: Mapping[str, Any], path: str, warnings: list[parts.Warning]
) -> dict[str, Any] | None:
    """An image file inside a tool result's content (no media resolution here)."""
    data = _file_data(item, path)
    media_type: str = item["mediaType"]
    if data["type"] == "data":
        inline = _bytes_or_str(data["data"])
        return {
            "type": "image",
            "data": encode_base64(inline),
            "mime_type": resolve_full_media_type(media_type, inline),
        }
    if data["type"] == "text":
        warnings.append(
            parts.OtherWarning(
                message=f"{_PREFIX}tool-result image part with `data.type === "
                '"text"` is not representable as an image; part dropped.'
            )
        )
        return None
    uri = data["url"] if data["type"] == "url" else _resolve_reference(data["reference"])
    mime = {"mime_type": media_type} if is_full_media_type(media_type) else {}
    return {"type": "image", "uri": uri, **mime}


def _tool_result_content(
    items: Any, path: str, warnings: list[parts.Warning]
) -> list[dict[str, Any]]:
    if not isinstance(items, Sequence) or isinstance(items, str | bytes):
        raise _bad(path, "expected an array of content parts")
    blocks: list[dict[str, Any]] = []
    for i, item in enumerate(items):
        ipath = f"{path}[{i}]"
        if not isinstance(item, Mapping):
            raise _bad(ipath, "expected a content part object")
        kind = item.get("type")
        if kind == "text":
            blocks.append({"type": "text", "text": _field(item, "text", ipath, str)})
        elif kind == "file":
            media_type = _field(item, "mediaType", ipath, str)
            if top_level_media_type(media_type) != "image":
                warnings.append(
                    parts.OtherWarning(
                        message=f'{_PREFIX}tool-result file with mediaType "{media_type}" is '
                        "not supported (Interactions `function_result.result` accepts only "
                        "text and image content); part dropped."
                    )
                )
                continue
            block = _tool_result_image(item, ipath, warnings)
            if block is not None:
                blocks.append(block)
        else:
            warnings.append(
                parts.OtherWarning(
                    message=f'{_PREFIX}tool-result content part type "{kind}" is not '
                    "supported; part dropped."
                )
            )
    return blocks


def _function_result(
    part: Mapping[str, Any], path: str, warnings: list[parts.Warning]
) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "function_result",
        "call_id": _field(part, "toolCallId", path, str),
        "name": _field(part, "toolName", path, str),
    }
    signature = _google(part, "signature")
    if signature is not None:
        block["signature"] = signature
    opath = f"{path}.output"
    output = _field(part, "output", path, Mapping)
    kind = output.get("type")
    if kind in ("text", "error-text"):
        result: Any = _field(output, "value", opath, str)
    elif kind in ("json", "error-json"):
        # The API takes a JSON value as its serialised text.
        result = js_stringify(output.get("value"))
    elif kind == "execution-denied":
        reason = output.get("reason")
        result = _DENIED_DEFAULT if reason is None else reason
    elif kind == "content":
        result = _tool_result_content(output.get("value"), f"{opath}.value", warnings)
    else:
        raise _bad(f"{opath}.type", f"unknown tool result output type {kind!r}")
    if kind in ("error-text", "error-json", "execution-denied"):
        block["is_error"] = True
    block["result"] = result
    return block


def _tool_arguments(value: Any, path: str) -> Any:
    """Tool-call input as an arguments object; text is parsed safely, else wrapped."""
    if not isinstance(value, str):
        check_json(value, f"{path}.input", argument="prompt")
        return {} if value is None else value
    try:
        parsed = secure_json_parse(value)
    except ValueError:
        return {"value": value}
    return parsed if isinstance(parsed, dict) else {"value": parsed}


def _merge_adjacent_text(content: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Join runs of plain text blocks with a blank line (annotated text stays apart)."""
    merged: list[dict[str, Any]] = []
    for block in content:
        last = merged[-1] if merged else None
        if (
            block["type"] == "text"
            and last is not None
            and last["type"] == "text"
            and last.get("annotations") is None
            and block.get("annotations") is None
        ):
            merged[-1] = {"type": "text", "text": f"{last['text']}\n\n{block['text']}"}
        else:
            merged.append(block)
    return merged


def _assistant_steps(
    content: list[Mapping[str, Any]],
    path: str,
    warnings: list[parts.Warning],
    media_resolution: str | None,
) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = []
    pending: list[dict[str, Any]] = []

    def flush() -> None:
        if pending:
            steps.append({"type": "model_output", "content": pending.copy()})
            pending.clear()

    for j, part in enumerate(content):
        ppath = f"{path}[{j}]"
        kind = part["type"]
        if kind == "text":
            pending.append({"type": "text", "text": _field(part, "text", ppath, str)})
        elif kind == "reasoning":
            flush()
            text = _field(part, "text", ppath, str)
            step: dict[str, Any] = {"type": "thought"}
            signature = _google(part, "signature")
            if signature is not None:
                step["signature"] = signature
            if text:
                step["summary"] = [{"type": "text", "text": text}]
            steps.append(step)
        elif kind == "file":
            block = _file_block(part, ppath, warnings, media_resolution)
            if block is not None:
                pending.append(block)
        elif kind == "tool-call":
            flush()
            step = {
                "type": "function_call",
                "id": _field(part, "toolCallId", ppath, str),
                "name": _field(part, "toolName", ppath, str),
                "arguments": _tool_arguments(part.get("input"), ppath),
            }
            signature = _google(part, "signature")
            if signature is not None:
                step["signature"] = signature
            steps.append(step)
        else:
            warnings.append(
                parts.OtherWarning(
                    message=f'{_PREFIX}unsupported assistant content part type "{kind}"; '
                    "part dropped."
                )
            )
    flush()
    return steps


def convert_to_interactions_input(
    prompt: Prompt,
    *,
    previous_interaction_id: str | None = None,
    store: bool | None = None,
    media_resolution: str | None = None,
) -> ConvertedInput:
    """Convert an AI SDK prompt into Interactions ``input`` steps (see the module doc).

    Raises :class:`~partstream.errors.InvalidArgumentError` for a malformed prompt,
    :class:`~partstream.errors.NoSuchProviderReferenceError` for a file reference
    without a ``google`` entry and
    :class:`~partstream.errors.UnsupportedFunctionalityError` for inline data whose
    top-level-only media type cannot be completed from its bytes.
    """
    if media_resolution is not None and media_resolution not in _MEDIA_RESOLUTIONS:
        raise InvalidArgumentError(
            f"media_resolution must be one of {_MEDIA_RESOLUTIONS}, got {media_resolution!r}",
            argument="mediaResolution",
        )
    messages = normalize_prompt(prompt)
    warnings: list[parts.Warning] = []

    if previous_interaction_id is not None and store is False:
        warnings.append(
            parts.OtherWarning(
                message=f"{_PREFIX}providerOptions.google.previousInteractionId was set "
                "together with store: false. These are incoherent (the prior interaction "
                "cannot be referenced when nothing was stored on the server); the full "
                "history will be sent and previous_interaction_id will still be emitted."
            )
        )
    elif previous_interaction_id is not None:
        messages = _compact(messages, previous_interaction_id)

    system_texts: list[str] = []
    steps: list[dict[str, Any]] = []
    for i, message in enumerate(messages):
        role = message["role"]
        path = f"prompt[{i}].content"
        if role == "system":
            system_texts.append(message["content"])
        elif role == "user":
            content: list[dict[str, Any]] = []
            for j, part in enumerate(message["content"]):
                if part["type"] == "text":
                    content.append(
                        {"type": "text", "text": _field(part, "text", f"{path}[{j}]", str)}
                    )
                elif part["type"] == "file":
                    block = _file_block(part, f"{path}[{j}]", warnings, media_resolution)
                    if block is not None:
                        content.append(block)
            merged = _merge_adjacent_text(content)
            if merged:
                steps.append({"type": "user_input", "content": merged})
        elif role == "assistant":
            steps.extend(_assistant_steps(message["content"], path, warnings, media_resolution))
        else:
            results: list[dict[str, Any]] = []
            for j, part in enumerate(message["content"]):
                if part["type"] != "tool-result":
                    warnings.append(
                        parts.OtherWarning(
                            message=f'{_PREFIX}unsupported tool message part type "'
                            f'{part["type"]}"; part dropped.'
                        )
                    )
                    continue
                results.append(_function_result(part, f"{path}[{j}]", warnings))
            if results:
                steps.append({"type": "user_input", "content": results})

    system_instruction = "\n\n".join(system_texts) if system_texts else None
    return ConvertedInput(input=steps, system_instruction=system_instruction, warnings=warnings)
