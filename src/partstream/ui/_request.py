"""The request ``useChat``'s ``DefaultChatTransport`` sends, read with limits (sans-IO).

The transport POSTs ``JSON.stringify({...body, id, messages, trigger, messageId})``
(``ai/src/ui/http-chat-transport.ts``): the chat id, every message of the chat,
``"submit-message"`` or ``"regenerate-message"``, the id of the message to
regenerate, and whatever extra ``body`` the page added (``model``, ...).

:class:`ChatRequestReader` takes the body in pieces and refuses it as soon as it
grows past :attr:`ChatRequestLimits.max_body_bytes` (a 512 MiB upload is never
held whole); :meth:`~ChatRequestReader.finish` parses and validates it against
the other limits (message count, data URL size). Every refusal is a
:class:`~partstream.errors.LimitExceededError` naming the limit and the option
that raises it, or an :class:`~partstream.errors.InvalidArgumentError` saying
what is wrong; both make a 400 response in :mod:`partstream.ui`'s ASGI helpers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Literal, final

import attrs

from ..codecs.json import loads
from ..errors import InvalidArgumentError, InvalidResponseDataError, LimitExceededError
from ._messages import FileUIPart, SteeringMessageUIPart, UIMessage, validate_ui_messages

__all__ = [
    "DEFAULT_CHAT_REQUEST_LIMITS",
    "ChatRequest",
    "ChatRequestLimits",
    "ChatRequestReader",
    "parse_chat_request",
]

_MIB: Final = 1024 * 1024


@final
@attrs.frozen
class ChatRequestLimits:
    """Bounds on a chat request; each error names the one that was hit.

    ``max_body_bytes``: the request body (8 MiB); ``max_messages``: messages in
    the chat (1000); ``max_data_url_bytes``: one file part's ``data:`` URL (5 MiB,
    about 3.7 MiB of file); ``max_parts``: parts of one message (1000).
    """

    max_body_bytes: int = 8 * _MIB
    max_messages: int = 1000
    max_data_url_bytes: int = 5 * _MIB
    max_parts: int = 1000

    def __attrs_post_init__(self) -> None:
        for field in attrs.fields(type(self)):
            value = getattr(self, field.name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise InvalidArgumentError(
                    f"{field.name} must be a positive integer", argument=field.name
                )


DEFAULT_CHAT_REQUEST_LIMITS: Final = ChatRequestLimits()


@final
@attrs.frozen
class ChatRequest:
    """A validated chat request: ``messages`` as :class:`UIMessage`, the rest as sent.

    ``body`` holds the keys the page added besides the transport's own
    (``{"model": ..., "background": true}``, ...), as decoded JSON.
    """

    id: str
    messages: tuple[UIMessage, ...]
    trigger: Literal["submit-message", "regenerate-message"] | None = None
    message_id: str | None = None
    body: dict[str, Any] = attrs.field(factory=dict)


_TRANSPORT_KEYS: Final = frozenset({"id", "messages", "trigger", "messageId"})


def _check_sizes(messages: list[UIMessage], limits: ChatRequestLimits) -> None:
    if len(messages) > limits.max_messages:
        raise LimitExceededError(
            limit="chat message count",
            value=limits.max_messages,
            option="max_messages",
            detail=f"the request has {len(messages)} messages",
        )
    for i, message in enumerate(messages):
        if len(message.parts) > limits.max_parts:
            raise LimitExceededError(
                limit="message part count",
                value=limits.max_parts,
                option="max_parts",
                detail=f"messages[{i}] has {len(message.parts)} parts",
            )
        for j, part in enumerate(message.parts):
            files = part.parts if isinstance(part, SteeringMessageUIPart) else (part,)
            for file in files:
                if isinstance(file, FileUIPart) and file.url[:5].lower() == "data:":
                    size = len(file.url.encode("utf-8"))
                    if size > limits.max_data_url_bytes:
                        raise LimitExceededError(
                            limit="file data URL size in bytes",
                            value=limits.max_data_url_bytes,
                            option="max_data_url_bytes",
                            detail=f"messages[{i}].parts[{j}] is {size} bytes",
                        )


def parse_chat_request(
    body: bytes | str | Mapping[str, Any],
    *,
    limits: ChatRequestLimits = DEFAULT_CHAT_REQUEST_LIMITS,
    strict: bool = False,
) -> ChatRequest:
    """Validate a chat request body (bytes, text or already-decoded JSON).

    ``strict=True`` refuses keys the UI message schemas do not know; by default
    they are dropped, as the reference's ``validateUIMessages`` does, so a newer
    client keeps working.
    """
    if isinstance(body, bytes | str):
        size = len(body.encode("utf-8")) if isinstance(body, str) else len(body)
        if size > limits.max_body_bytes:
            raise _too_big(limits, size)
        try:
            data = loads(body)
        except InvalidResponseDataError as exc:
            raise InvalidArgumentError(f"the chat request is not JSON: {exc}") from None
    else:
        data = body
    if not isinstance(data, Mapping):
        raise InvalidArgumentError("the chat request must be a JSON object")
    chat_id = data.get("id")
    if not isinstance(chat_id, str):
        raise InvalidArgumentError("the chat request needs its chat 'id' (a string)")
    trigger = data.get("trigger")
    if trigger is not None and trigger not in ("submit-message", "regenerate-message"):
        raise InvalidArgumentError(
            f"trigger must be 'submit-message' or 'regenerate-message', got {trigger!r}"
        )
    message_id = data.get("messageId")
    if message_id is not None and not isinstance(message_id, str):
        raise InvalidArgumentError("messageId must be a string")
    raw = data.get("messages")
    if isinstance(raw, list) and len(raw) > limits.max_messages:
        # Count first: a flood of messages is refused before any of them is validated.
        raise LimitExceededError(
            limit="chat message count",
            value=limits.max_messages,
            option="max_messages",
            detail=f"the request has {len(raw)} messages",
        )
    messages = validate_ui_messages(raw, strict=strict)
    _check_sizes(messages, limits)
    return ChatRequest(
        id=chat_id,
        messages=tuple(messages),
        trigger=trigger,
        message_id=message_id,
        body={k: v for k, v in data.items() if k not in _TRANSPORT_KEYS},
    )


def _too_big(limits: ChatRequestLimits, size: int | None) -> LimitExceededError:
    detail = f"the body has {size} bytes" if size is not None else "the body is larger"
    return LimitExceededError(
        limit="chat request body size in bytes",
        value=limits.max_body_bytes,
        option="max_body_bytes",
        detail=detail,
    )


@final
class ChatRequestReader:
    """Collects a request body piece by piece, refusing it once it is too large.

    ``reader.feed(data)`` for each piece (raises as soon as the body passes
    ``max_body_bytes``), then ``reader.finish()`` -> :class:`ChatRequest`.
    ``check_length(content_length)`` refuses a body announced too large before any
    of it is read.
    """

    __slots__ = ("_limits", "_parts", "_size", "_strict")

    def __init__(
        self, *, limits: ChatRequestLimits = DEFAULT_CHAT_REQUEST_LIMITS, strict: bool = False
    ) -> None:
        self._limits = limits
        self._strict = strict
        self._parts: list[bytes] = []
        self._size = 0

    def check_length(self, content_length: str | int | None) -> None:
        """Refuse a ``Content-Length`` above the limit (or one that is not a number)."""
        if content_length is None:
            return
        try:
            size = int(content_length)
        except ValueError:
            raise InvalidArgumentError(f"bad Content-Length: {content_length!r}") from None
        if size > self._limits.max_body_bytes:
            raise _too_big(self._limits, size)

    def feed(self, data: bytes) -> None:
        """Add the next piece of the body."""
        self._size += len(data)
        if self._size > self._limits.max_body_bytes:
            self._parts.clear()
            raise _too_big(self._limits, None)
        if data:
            self._parts.append(bytes(data))

    def finish(self) -> ChatRequest:
        """Parse and validate the whole body."""
        body = b"".join(self._parts)
        self._parts.clear()
        return parse_chat_request(body, limits=self._limits, strict=self._strict)
