"""The UI message stream as an ASGI response (any ASGI server; asyncio or trio).

``UIMessageStreamResponse(source, converter=...)`` streams a model's parts to the
browser as the UI message stream (``x-vercel-ai-ui-message-stream: v1``). It is
an ASGI application and, with Starlette installed, a Starlette ``Response``, so::

    @app.post("/api/chat")                  # Starlette or FastAPI
    async def chat(request):
        chat = await read_chat_request(request)
        return UIMessageStreamResponse(model.stream(prompt=to_prompt(chat.messages)))

``source`` is an async context manager that gives an async iterable of parts
(``model.stream(...)``, any :class:`~partstream.pipeline.PartStream`) or a plain
async iterable of parts. The response

* enters the source and waits for its first part other than ``stream-start``
  **before** it sends ``http.response.start``: an error until then (the upstream
  answered 401/429/5xx, the connection failed, the prompt was refused) becomes a
  non-2xx answer with a short text (``error_response``, by default
  :func:`default_error_response`);
  after the 200, errors travel in band as an ``error`` chunk, then ``[DONE]``;
* watches ``http.disconnect``: when the browser goes away it stops reading and
  leaves the source's context (which closes the upstream connection and cancels
  a background run);
* awaits every ``send``: a client that stops reading stops the upstream (the
  server's send buffer fills, ``send`` blocks, nothing else reads the source);
* with ``keep_alive`` (seconds) sends ``: stream-open`` first and ``: keep-alive``
  comments whenever the stream was idle that long (the reference's
  ``keepAliveMs``);
* with ``download`` resolves generated files given by URL into data URLs, as the
  reference does (``download(url) -> bytes``, awaited); without it the URL is
  passed on as the file chunk's ``url``.
"""

from __future__ import annotations

import base64
import math
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AsyncExitStack
from typing import Any, final

import anyio

from .. import parts as p
from ..errors import InvalidArgumentError
from . import _chunks as c
from ._body import BodySender, ClientGone
from ._convert import UIMessageStreamConverter
from ._core import DEFAULT_ERROR_TEXT
from ._http import (
    ASGIReceive,
    ASGISend,
    ErrorResponse,
    ResponseBase,
    TextResponse,
    default_error_response,
    logger,
)
from ._source import END, first_batch, open_batches
from ._wire import (
    DONE_FRAME,
    UI_MESSAGE_STREAM_HEADERS,
    encode_sse,
)

__all__ = ["Download", "UIMessageStreamResponse"]

Download = Callable[[str], Awaitable[bytes]]


def _headers(extra: Mapping[str, str] | None) -> list[tuple[bytes, bytes]]:
    # prepareHeaders: the caller's headers, then each default that is not set.
    out = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (extra or {}).items()]
    present = {k for k, _ in out}
    for key, value in UI_MESSAGE_STREAM_HEADERS.items():
        if key.encode() not in present:
            out.append((key.encode(), value.encode()))
    return out


async def _resolve(batch: list[Any], download: Download) -> list[Any]:
    """Generated files given by URL become inline data (the reference downloads them)."""
    out = []
    for part in batch:
        if isinstance(part, p.File | p.ReasoningFile) and isinstance(part.data, p.UrlContent):
            data = base64.b64encode(await download(part.data.url)).decode("ascii")
            part = type(part)(part.media_type, p.DataContent(data), part.provider_metadata)
        out.append(part)
    return out


@final
class UIMessageStreamResponse(ResponseBase):
    """Stream a model's parts as the UI message stream (see the module docstring)."""

    def __init__(
        self,
        source: Any,
        *,
        converter: UIMessageStreamConverter | None = None,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        keep_alive: float | None = None,
        error_response: Callable[[BaseException], ErrorResponse] = default_error_response,
        download: Download | None = None,
    ) -> None:
        if keep_alive is not None and (not math.isfinite(keep_alive) or keep_alive <= 0):
            raise InvalidArgumentError("keep_alive must be a positive number of seconds")
        self._source = source
        self.converter = converter if converter is not None else UIMessageStreamConverter()
        self.status_code = status_code
        self.raw_headers = _headers(headers)
        self.background = None
        self._keep_alive = keep_alive
        self._error_response = error_response
        self._download = download

    async def __call__(self, scope: Any, receive: ASGIReceive, send: ASGISend) -> None:
        async with anyio.create_task_group() as tg:

            async def watch() -> None:
                # The browser went away: stop everything (leaving the source's context
                # below, cancelled, closes the upstream).
                while (await receive()).get("type") != "http.disconnect":
                    pass
                tg.cancel_scope.cancel()

            tg.start_soon(watch)
            try:
                # The source is entered and left inside the task group: its own task
                # group nests in ours.
                async with AsyncExitStack() as stack:
                    await self._respond(BodySender(send), send, stack, tg)
            except ClientGone:
                pass
            tg.cancel_scope.cancel()

    async def _respond(
        self, body: BodySender, send: ASGISend, stack: AsyncExitStack, tg: Any
    ) -> None:
        try:
            _, batches = await open_batches(self._source, stack)
            first = await first_batch(batches)
        except Exception as exc:  # before the 200: an HTTP error answer
            logger.info("the UI message stream could not start: %s", type(exc).__name__)
            await TextResponse.for_error(self._error_response(exc))(None, _no_receive, send)
            return
        await body.start(self.status_code, self.raw_headers, keep_alive=self._keep_alive, tg=tg)
        await self._pump(body, first, batches)

    async def _pump(self, body: BodySender, first: Any, batches: AsyncIterator[list[Any]]) -> None:
        conv = self.converter
        data = encode_sse(conv.start())
        batch = first
        try:
            while batch is not END:
                if self._download is not None:
                    batch = await _resolve(batch, self._download)
                data += conv.feed_sse(batch)
                if data:
                    await body.send(data)
                    data = b""
                batch = await anext(batches, END)
            chunks = conv.finish()
        except ClientGone:
            raise
        except Exception as exc:  # after the 200 the error goes in band
            logger.info("the UI message stream broke: %s", type(exc).__name__)
            try:
                chunks = conv.fail(exc)
            except Exception:  # on_error itself failed: the safe default text
                chunks = [c.ErrorChunk(DEFAULT_ERROR_TEXT)]
        await body.send(data + encode_sse(chunks) + DONE_FRAME, more=False)


async def _no_receive() -> dict[str, Any]:  # pragma: no cover - TextResponse never receives
    return {"type": "http.disconnect"}
