"""The HTTP side of :class:`~partstream.resumable.ChatStreams`: a run's log as a UI message stream.

:class:`ChatStreamResponse` is an ASGI application (and a Starlette ``Response``):
it waits until the run's upstream answered (an error until then becomes an HTTP
error status, as :class:`~partstream.ui.UIMessageStreamResponse` does), then
replays the run's log from its first chunk and follows it live, each chunk
framed as ``data: <json>\\n\\n``, then ``data: [DONE]``. A browser that goes
away stops only its own reading: the producer runs on.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Final, final

import anyio

from ..errors import LogTrimmedError, PartstreamError, ProducerGoneError
from ..ui import DEFAULT_ERROR_TEXT, DONE_FRAME, ErrorChunk, ErrorResponse
from ..ui import TextResponse as TextResponse
from ..ui import encode_sse as encode_sse
from ..ui._body import BodySender, ClientGone
from ..ui._http import ASGIReceive, ASGISend, ResponseBase, logger
from ..ui._wire import UI_MESSAGE_STREAM_HEADERS

if TYPE_CHECKING:
    from ._protocol import ResumableStore

__all__ = ["BUSY", "ChatStreamResponse", "NoContentResponse", "Slots", "reader_error_text"]

#: The answer when this process already serves as many streams as it may.
BUSY: Final = ErrorResponse(
    503, "Too many chat streams at once; try again shortly.", (("retry-after", "1"),)
)
_HEADERS: Final = [(k.encode(), v.encode()) for k, v in UI_MESSAGE_STREAM_HEADERS.items()]
#: A failure of the open is given as this: how the producer's open ended.
Opening = Callable[[], Awaitable[BaseException | None]]


@final
class Slots:
    """A counter with a ceiling (streams served, runs produced) that never blocks."""

    __slots__ = ("limit", "used")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    def acquire(self) -> bool:
        if self.used >= self.limit:
            return False
        self.used += 1
        return True

    def release(self) -> None:
        self.used -= 1


def reader_error_text(exc: BaseException) -> str:
    """The text a browser gets when the log cannot be read on (never a secret)."""
    if isinstance(exc, ProducerGoneError):
        return "The answer was interrupted: the server producing it is gone."
    if isinstance(exc, LogTrimmedError):
        return "The answer is too long to replay from its start."
    return DEFAULT_ERROR_TEXT


@final
class NoContentResponse(ResponseBase):
    """``204 No Content``: what ``reconnectToStream`` takes for "no active stream"."""

    def __init__(self, headers: Mapping[str, str] | None = None) -> None:
        self.status_code = 204
        self.body = b""
        self.background = None
        self.raw_headers = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]

    async def __call__(self, scope: Any, receive: ASGIReceive, send: ASGISend) -> None:
        await send({"type": "http.response.start", "status": 204, "headers": self.raw_headers})
        await send({"type": "http.response.body", "body": b"", "more_body": False})


@final
class ChatStreamResponse(ResponseBase):
    """A chat run's UI message stream, read from the store (see the module docstring).

    Made by :meth:`ChatStreams.start <partstream.resumable.ChatStreams.start>` (with
    ``opening``: the wait for the upstream's answer) and :meth:`ChatStreams.resume
    <partstream.resumable.ChatStreams.resume>`.
    """

    def __init__(
        self,
        store: ResumableStore,
        chat_id: str,
        run_id: str,
        *,
        slots: Slots,
        opening: Opening | None = None,
        error_response: Callable[[BaseException], ErrorResponse],
        keep_alive: float | None = None,
        orphan_timeout: float,
    ) -> None:
        self.status_code = 200
        self.raw_headers = list(_HEADERS)
        self.background = None
        self.chat_id = chat_id
        self.run_id = run_id
        self._store = store
        self._slots = slots
        self._opening = opening
        self._error_response = error_response
        self._keep_alive = keep_alive
        self._orphan_timeout = orphan_timeout

    def __repr__(self) -> str:
        return f"<ChatStreamResponse chat={self.chat_id!r} run={self.run_id!r}>"

    async def __call__(self, scope: Any, receive: ASGIReceive, send: ASGISend) -> None:
        async with anyio.create_task_group() as tg:

            async def watch() -> None:
                # The browser went away: stop reading (the producer is not ours to stop).
                while (await receive()).get("type") != "http.disconnect":
                    pass
                tg.cancel_scope.cancel()

            tg.start_soon(watch)
            try:
                await self._respond(send, tg)
            except ClientGone:
                pass
            tg.cancel_scope.cancel()

    async def _respond(self, send: ASGISend, tg: Any) -> None:
        if self._opening is not None:
            failure = await self._opening()
            if failure is not None:
                error = self._error_response(failure)
                await TextResponse.for_error(error)(None, _no_receive, send)
                return
        if not self._slots.acquire():
            await TextResponse.for_error(BUSY)(None, _no_receive, send)
            return
        try:
            body = BodySender(send)
            await body.start(200, self.raw_headers, keep_alive=self._keep_alive, tg=tg)
            reader = self._store.read(
                self.chat_id, run_id=self.run_id, orphan_timeout=self._orphan_timeout
            )
            try:
                async for batch in reader.batches():
                    # Each chunk was encoded once, by the producer: only the framing is added.
                    await body.send(b"data: " + b"\n\ndata: ".join(batch) + b"\n\n")
                tail = DONE_FRAME
            except PartstreamError as exc:  # the log cannot be read on: say so in band
                logger.info("a chat stream could not be read on: %s", type(exc).__name__)
                tail = encode_sse([ErrorChunk(reader_error_text(exc))], done=True)
            await body.send(tail, more=False)
        finally:
            self._slots.release()


async def _no_receive() -> dict[str, Any]:  # pragma: no cover - TextResponse never receives
    return {"type": "http.disconnect"}
