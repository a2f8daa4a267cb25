"""The UI message stream on the wire: SSE frames, ``[DONE]``, the headers (sans-IO).

``createUIMessageStreamResponse`` (``ai/src/ui-message-stream/``) writes each chunk as
``data: <JSON.stringify(chunk)>\\n\\n``, ends with ``data: [DONE]\\n\\n`` and sends
:data:`UI_MESSAGE_STREAM_HEADERS`. With ``keepAliveMs`` it first sends
``: stream-open\\n\\n`` and then ``: keep-alive\\n\\n`` whenever the stream was idle
that long (SSE comments, ignored by every client).

:func:`encode_chunk` writes a chunk's JSON byte for byte as ``JSON.stringify`` of
the reference's object does (same keys, same order, same escaping and number
formatting); it goes straight from the chunk's fields to bytes, without building
the dict first (it is the hot path of a chat server).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Final

import msgspec

from . import _chunks as c
from ._fields import Shape
from ._fields import encode_nested as to_json
from ._schema import js_json, string

__all__ = [
    "DONE_FRAME",
    "KEEP_ALIVE_FRAME",
    "STREAM_OPEN_FRAME",
    "UI_MESSAGE_STREAM_HEADERS",
    "encode_chunk",
    "encode_sse",
    "sse_frame",
    "text_delta_frame",
    "text_delta_head",
]

#: The headers of a UI message stream response (``UI_MESSAGE_STREAM_HEADERS``).
UI_MESSAGE_STREAM_HEADERS: Final = {
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
    "connection": "keep-alive",
    "x-vercel-ai-ui-message-stream": "v1",
    "x-accel-buffering": "no",  # disable nginx buffering
}
#: The last frame of every UI message stream.
DONE_FRAME: Final = b"data: [DONE]\n\n"
#: The comment sent first when keep-alives are on.
STREAM_OPEN_FRAME: Final = b": stream-open\n\n"
#: The comment sent after each idle interval when keep-alives are on.
KEEP_ALIVE_FRAME: Final = b": keep-alive\n\n"

_str: Final = msgspec.json.encode
_Encoder = Callable[[Any], bytes]


def _string_json(value: str) -> bytes:
    try:
        return _str(value)
    except UnicodeEncodeError:  # a lone surrogate: JSON.stringify escapes it
        return js_json(value)


def _generic(cls: type[Shape]) -> _Encoder:
    """An encoder that writes ``cls``'s fields in order, as ``to_dict`` + ``JSON.stringify``."""
    fixed_type = getattr(cls, "type", None)
    head = b'{"type":' + _str(fixed_type) if isinstance(fixed_type, str) else None
    fields: list[tuple[str, bytes, bool, bool, bool]] = []
    for name, key, check, null, _, nested in cls._specs:
        if name == "type":
            continue
        is_str = check is string and nested is None
        prefix = b',"' + key.encode() + b'":'
        fields.append((name, prefix, null == "keep", is_str, nested is not None))

    def encode(chunk: Any) -> bytes:
        out = [head if head is not None else b'{"type":' + _string_json(chunk.type)]
        for name, prefix, keep, is_str, nested in fields:
            value = getattr(chunk, name)
            if value is None:
                if keep:
                    out.append(prefix + b"null")
                continue
            if is_str:
                out.append(prefix + _string_json(value))
            elif value is True:
                out.append(prefix + b"true")
            elif value is False:
                out.append(prefix + b"false")
            else:
                out.append(prefix + js_json(to_json(value) if nested else value))
        out.append(b"}")
        return b"".join(out)

    return encode


def _text_like(type_name: str) -> _Encoder:
    """``{"type":..,"id":..,"delta":..[,"providerMetadata":..]}``: text and reasoning deltas."""
    head = b'{"type":"' + type_name.encode() + b'","id":'

    def encode(chunk: Any) -> bytes:
        try:
            body = head + _str(chunk.id) + b',"delta":' + _str(chunk.delta)
        except UnicodeEncodeError:
            body = head + js_json(chunk.id) + b',"delta":' + js_json(chunk.delta)
        pm = chunk.provider_metadata
        if pm is None:
            return body + b"}"
        return body + b',"providerMetadata":' + js_json(pm) + b"}"

    return encode


def text_delta_head(part_id: str) -> bytes:
    """``data: {"type":"text-delta","id":<id>,"delta":`` (a text id's frame head)."""
    return b'data: {"type":"text-delta","id":' + _string_json(part_id) + b',"delta":'


def text_delta_frame(head: bytes, delta: str, provider_metadata: Any) -> bytes:
    """The SSE frame of a text-delta chunk from its id's head."""
    try:
        body = head + _str(delta)
    except UnicodeEncodeError:
        body = head + js_json(delta)
    if provider_metadata is None:
        return body + b"}\n\n"
    return body + b',"providerMetadata":' + js_json(provider_metadata) + b"}\n\n"


_ENCODERS: Final[dict[type, _Encoder]] = {cls: _generic(cls) for cls in (*c.CHUNK_CLASSES,)}
_ENCODERS[c.TextDeltaChunk] = _text_like("text-delta")
_ENCODERS[c.ReasoningDeltaChunk] = _text_like("reasoning-delta")


def encode_chunk(chunk: c.UIMessageChunk) -> bytes:
    """``JSON.stringify(chunk)`` as UTF-8 bytes (the chunk's ``to_dict()``, exactly)."""
    return _ENCODERS[type(chunk)](chunk)


def sse_frame(chunk: c.UIMessageChunk) -> bytes:
    """One SSE frame: ``data: <json>\\n\\n``."""
    return b"data: " + _ENCODERS[type(chunk)](chunk) + b"\n\n"


def encode_sse(chunks: Iterable[c.UIMessageChunk], *, done: bool = False) -> bytes:
    """The SSE frames of ``chunks`` in one ``bytes`` (and the ``[DONE]`` frame with ``done``)."""
    encoders = _ENCODERS
    out = []
    for chunk in chunks:
        out.append(b"data: ")
        out.append(encoders[type(chunk)](chunk))
        out.append(b"\n\n")
    if done:
        out.append(DONE_FRAME)
    return b"".join(out)
