"""The body of a streamed ASGI response: serialised sends, keep-alive comments while idle.

Both UI message stream responses (:class:`~partstream.ui.UIMessageStreamResponse`
and ``partstream.resumable.ChatStreamResponse``) send through a
:class:`BodySender`: every ``send`` is awaited (a client that stops reading stops
the sender), a failing ``send`` becomes :class:`ClientGone`, and with keep-alive
on it sends ``: stream-open`` first, then ``: keep-alive`` after each idle
interval (the reference's ``keepAliveMs``), never while a send is under way.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import final

import anyio
import anyio.abc

from ._http import ASGISend
from ._wire import KEEP_ALIVE_FRAME, STREAM_OPEN_FRAME

__all__ = ["BodySender", "ClientGone"]


class ClientGone(Exception):
    """``send`` failed: the browser is gone."""


@final
class BodySender:
    """Sends one response's start and body pieces (see the module docstring)."""

    __slots__ = ("_done", "_last_send", "_lock", "_send")

    def __init__(self, send: ASGISend) -> None:
        self._send = send
        self._lock = anyio.Lock()
        self._last_send = time.monotonic()
        self._done = False

    async def start(
        self,
        status: int,
        headers: Sequence[tuple[bytes, bytes]],
        *,
        keep_alive: float | None = None,
        tg: anyio.abc.TaskGroup | None = None,
    ) -> None:
        """``http.response.start``; with ``keep_alive`` (and ``tg``) the comments begin."""
        await self._send({"type": "http.response.start", "status": status, "headers": headers})
        self._last_send = time.monotonic()
        if keep_alive is not None and tg is not None:
            await self.send(STREAM_OPEN_FRAME)
            tg.start_soon(self._keep_alive, keep_alive, tg.cancel_scope)

    async def send(self, data: bytes, *, more: bool = True) -> None:
        """One piece of the body (``more=False``: the last); ClientGone if it cannot go."""
        async with self._lock:
            if self._done:
                return
            self._done = not more
            try:
                await self._send({"type": "http.response.body", "body": data, "more_body": more})
            except anyio.get_cancelled_exc_class():
                raise
            except Exception as exc:  # the server cannot write any more: the client is gone
                raise ClientGone from exc
            finally:
                self._last_send = time.monotonic()

    async def _keep_alive(self, interval: float, scope: anyio.CancelScope) -> None:
        # A comment after each idle interval; never while a send is under way (a
        # client that does not read must not get more queued).
        try:
            while True:
                idle = time.monotonic() - self._last_send
                if idle < interval:
                    await anyio.sleep(interval - idle)
                elif self._lock.locked():
                    await anyio.sleep(interval)
                else:
                    await self.send(KEEP_ALIVE_FRAME)
        except ClientGone:
            scope.cancel()
