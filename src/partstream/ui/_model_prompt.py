"""Model messages -> the LanguageModelV4 prompt a model takes, as ``streamText`` does (sans-IO).

:func:`to_prompt` is :func:`convert_to_model_messages` followed by what
``streamText`` does before it calls the model (``standardizePrompt`` and
``convertToLanguageModelPrompt``, ``ai/src/prompt/``):

* system messages from the browser only with ``allow_system_messages=True`` (a
  system message in what the client sends is a prompt injection unless you trust
  it); the server's own ``system`` text goes first;
* data URLs split into media type and base64 data (``splitDataUrl``), and a user
  file's media type taken from its bytes when they carry an image signature;
* empty text parts dropped, consecutive tool messages combined, approval requests
  and the application's own approval answers left out;
* every tool call of the application answered by a tool result (else
  :class:`~partstream.errors.InvalidArgumentError`, the reference's
  ``MissingToolResultsError``).

The result is what ``model.stream(prompt=...)`` takes. URLs are not downloaded:
the reference downloads those the model does not support; partstream's Google
model accepts every URL and the provider decides.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

from ..errors import InvalidArgumentError
from ._messages import UIMessage
from ._prompt import ConvertDataPart, convert_to_model_messages
from ._tools import Tools

__all__ = ["to_prompt"]

_Signature = tuple[str, tuple[int | None, ...]]
# provider-utils detectMediaType, top-level "image" (None matches any byte).
_IMAGE_SIGNATURES: Final[tuple[_Signature, ...]] = (
    ("image/gif", (0x47, 0x49, 0x46, 0x38, 0x37, 0x61)),
    ("image/gif", (0x47, 0x49, 0x46, 0x38, 0x39, 0x61)),
    ("image/png", (0x89, 0x50, 0x4E, 0x47)),
    ("image/jpeg", (0xFF, 0xD8)),
    ("image/webp", (0x52, 0x49, 0x46, 0x46, None, None, None, None, 0x57, 0x45, 0x42, 0x50)),
    ("image/bmp", (0x42, 0x4D, None, None, None, None, 0x00, 0x00, 0x00, 0x00)),
    ("image/tiff", (0x49, 0x49, 0x2A, 0x00)),
    ("image/tiff", (0x4D, 0x4D, 0x00, 0x2A)),
    ("image/avif", (0, 0, 0, None, 0x66, 0x74, 0x79, 0x70, 0x61, 0x76, 0x69, 0x66)),
    ("image/heic", (0, 0, 0, None, 0x66, 0x74, 0x79, 0x70, 0x68, 0x65, 0x69, 0x63)),
)
_SNIFF_BYTES: Final = 18
_ID3_SCAN_BYTES: Final = 128 * 1024 + 12
_ATOB_SPACE: Final = re.compile(r"[\t\n\f\r ]")
_ATOB_CHARS: Final = re.compile(r"[A-Za-z0-9+/]*")


def _bad(message: str) -> InvalidArgumentError:
    return InvalidArgumentError(message, argument="messages")


def _atob(text: str) -> bytes:
    """``atob(text)`` (base64url letters mapped first, as convertBase64ToUint8Array does)."""
    text = _ATOB_SPACE.sub("", text.replace("-", "+").replace("_", "/"))
    if len(text) % 4 == 0 and text.endswith("="):
        text = text[:-2] if text.endswith("==") else text[:-1]
    if len(text) % 4 == 1 or not _ATOB_CHARS.fullmatch(text):
        raise _bad("a file's data URL does not hold valid base64 data")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):  # pragma: no cover - excluded by the checks above
        raise _bad("a file's data URL does not hold valid base64 data") from None


def _prefix(data: str, max_bytes: int) -> bytes:
    return _atob(data[: -(-max_bytes // 3) * 4])[:max_bytes]


def _image_media_type(data: str) -> str | None:
    """``detectMediaType({data, topLevelType: 'image'})`` of base64 ``data``."""
    head = _prefix(data, _SNIFF_BYTES)
    if len(head) > 10 and head[:3] == b"ID3":
        head = _prefix(data, _ID3_SCAN_BYTES)
        size = (
            ((head[6] & 0x7F) << 21)
            | ((head[7] & 0x7F) << 14)
            | ((head[8] & 0x7F) << 7)
            | (head[9] & 0x7F)
        )
        head = head[size + 10 :]
    for media_type, signature in _IMAGE_SIGNATURES:
        if len(head) >= len(signature) and all(
            b is None or head[i] == b for i, b in enumerate(signature)
        ):
            return media_type
    return None


def _file_data(data: Mapping[str, Any]) -> tuple[dict[str, Any], str | None]:
    """``convertToLanguageModelV4FilePart``: (data, the media type of a data URL or None)."""
    if data.get("type") != "url":
        return dict(data), None
    url = str(data["url"])
    if url[:5].lower() != "data:":
        return {"type": "url", "url": url}, None
    # splitDataUrl: the header before the first comma, the content up to the next one.
    pieces = url.split(",")
    if len(pieces) < 2:
        raise _bad(f"Invalid data URL format in content {url[:64]!r}")
    media_type = pieces[0].split(";")[0].split(":")[1]
    return {"type": "data", "data": pieces[1]}, media_type


def _options(part: Mapping[str, Any], out: dict[str, Any]) -> dict[str, Any]:
    if part.get("providerOptions") is not None:
        out["providerOptions"] = part["providerOptions"]
    return out


def _user_file(part: Mapping[str, Any]) -> dict[str, Any]:
    """``convertPartToLanguageModelPart`` for a file (nothing is downloaded)."""
    data, url_media_type = _file_data(part["data"])
    media_type = url_media_type if url_media_type is not None else part.get("mediaType")
    if data["type"] == "data" and isinstance(data["data"], str):
        detected = _image_media_type(data["data"])
        if detected is not None:
            media_type = detected
    if media_type is None:
        raise _bad("Media type is missing for file part")
    out: dict[str, Any] = {"type": "file", "mediaType": media_type}
    if part.get("filename") is not None:
        out["filename"] = part["filename"]
    out["data"] = data
    return _options(part, out)


def _user(message: Mapping[str, Any]) -> dict[str, Any]:
    content: list[dict[str, Any]] = []
    for part in message["content"]:
        if part["type"] == "text":
            if part["text"] != "":  # empty text parts are removed
                content.append(_options(part, {"type": "text", "text": part["text"]}))
        else:
            content.append(_user_file(part))
    return {"role": "user", "content": content}


def _assistant_part(part: Mapping[str, Any]) -> dict[str, Any]:
    kind = part["type"]
    if kind in ("file", "reasoning-file"):
        data, url_media_type = _file_data(part["data"])
        media_type = url_media_type if url_media_type is not None else part.get("mediaType")
        out: dict[str, Any] = {"type": kind, "data": data}
        if kind == "file" and part.get("filename") is not None:
            out["filename"] = part["filename"]
        out["mediaType"] = media_type
        return _options(part, out)
    if kind == "tool-call":
        out = {k: part[k] for k in ("type", "toolCallId", "toolName") if k in part}
        if "input" in part:
            out["input"] = part["input"]
        if part.get("providerExecuted") is not None:
            out["providerExecuted"] = part["providerExecuted"]
        return _options(part, out)
    keys = {"custom": ("kind",), "reasoning": ("text",), "text": ("text",)}.get(
        kind, ("toolCallId", "toolName", "output")
    )
    return _options(part, {"type": kind, **{k: part[k] for k in keys}})


def _assistant(message: Mapping[str, Any]) -> dict[str, Any]:
    content = [
        _assistant_part(part)
        for part in message["content"]
        if part["type"] != "tool-approval-request"
        and not (part["type"] == "text" and part["text"] == "" and "providerOptions" not in part)
    ]
    return {"role": "assistant", "content": content}


def _tool(message: Mapping[str, Any]) -> dict[str, Any]:
    content: list[dict[str, Any]] = []
    for part in message["content"]:
        if part["type"] == "tool-result":
            content.append(
                _options(part, {k: part[k] for k in ("type", "toolCallId", "toolName", "output")})
            )
        elif part.get("providerExecuted"):
            # Only the answers to approvals of provider-executed tools go to the model.
            answer = {k: part[k] for k in ("type", "approvalId", "approved")}
            if part.get("reason") is not None:
                answer["reason"] = part["reason"]
            content.append(answer)
    return {"role": "tool", "content": content}


def _check_tool_results(messages: Sequence[Mapping[str, Any]]) -> None:
    """Every tool call of the application needs its result before the next user turn."""
    pending: dict[str, None] = {}
    for message in messages:
        role = message["role"]
        if role == "assistant":
            for part in message["content"]:
                if part["type"] == "tool-call" and not part.get("providerExecuted"):
                    pending[part["toolCallId"]] = None
        elif role == "tool":
            for part in message["content"]:
                if part["type"] == "tool-result":
                    pending.pop(part["toolCallId"], None)
        elif pending:
            break
    if pending:
        ids = list(pending)
        plural = len(ids) > 1
        raise _bad(
            f"Tool result{'s are' if plural else ' is'} missing for tool "
            f"call{'s' if plural else ''} {', '.join(ids)}."
        )


def to_prompt(
    messages: Sequence[UIMessage],
    *,
    system: str | None = None,
    allow_system_messages: bool = False,
    tools: Tools | None = None,
    ignore_incomplete_tool_calls: bool = False,
    convert_data_part: ConvertDataPart | None = None,
) -> list[dict[str, Any]]:
    """UI messages -> the LanguageModelV4 prompt ``model.stream(prompt=...)`` takes."""
    model_messages = convert_to_model_messages(
        messages,
        tools=tools,
        ignore_incomplete_tool_calls=ignore_incomplete_tool_calls,
        convert_data_part=convert_data_part,
    )
    if not model_messages:
        raise _bad("messages must not be empty")
    if not allow_system_messages and any(m["role"] == "system" for m in model_messages):
        raise _bad(
            "System messages are not allowed in the messages; pass the server's own "
            "text as system=, or allow_system_messages=True to trust the client's"
        )
    prompt: list[dict[str, Any]] = [] if system is None else [{"role": "system", "content": system}]
    for message in model_messages:
        role = message["role"]
        converted = (
            _options(message, {"role": "system", "content": message["content"]})
            if role == "system"
            else _user(message)
            if role == "user"
            else _assistant(message)
            if role == "assistant"
            else _tool(message)
        )
        if role == "tool" and prompt and prompt[-1]["role"] == "tool":
            prompt[-1]["content"].extend(converted["content"])  # consecutive tool messages
        else:
            prompt.append(converted)
    _check_tool_results(prompt)
    return [m for m in prompt if m["role"] != "tool" or m["content"]]
