"""Prompt content parts -> Interactions content blocks: files and tool results (sans-IO).

The part-level half of :func:`convert_to_interactions_input` (``_input``): a
file part's data (the V4 tagged union, or bare bytes, base64 text or a URL) as an
``image``/``audio``/``video``/``document`` block, a tool result as a
``function_result`` block (text, JSON, denial, or content of text and images),
a tool call's input as its arguments object; and the path-naming checks every
part goes through (an error names where in the prompt it is).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Final
from urllib.parse import unquote_to_bytes

from partstream import parts
from partstream.errors import InvalidArgumentError, NoSuchProviderReferenceError

from ._javascript_json import check_json, js_stringify, secure_json_parse
from ._media import (
    encode_base64,
    is_full_media_type,
    resolve_full_media_type,
    top_level_media_type,
)
from ._processing import video_processing

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
    # How Gemini processes a video (AI SDK 4.0.63): agentic or static, with clipping.
    processing = video_processing(part.get("providerOptions"), warnings) if kind == "video" else {}
    if data["type"] == "data":
        inline = _bytes_or_str(data["data"])
        return {
            "type": kind,
            "data": encode_base64(inline),
            "mime_type": resolve_full_media_type(media_type, inline),
            **resolution,
            **processing,
        }
    uri = data["url"] if data["type"] == "url" else _resolve_reference(data["reference"])
    mime = {"mime_type": media_type} if is_full_media_type(media_type) else {}
    return {"type": kind, "uri": uri, **mime, **resolution, **processing}


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
