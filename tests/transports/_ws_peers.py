"""Real WebSocket peers on 127.0.0.1 for the client tests.

* ``raw_server(handler)``: an anyio TCP listener in the test's own event loop;
  ``handler(peer)`` gets a :class:`RawPeer` that reads the upgrade request and
  writes whatever bytes the test wants (malformed frames, abrupt closes, bad
  handshakes).
* ``threaded_server(...)``: runs an asyncio or trio server (``websockets``,
  hypercorn) in a thread with its own event loop, so one server serves tests on
  both anyio backends.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import struct
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import anyio
import anyio.abc
import trio

WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

# -- frames ----------------------------------------------------------------------------


def unmask(data: bytes, mask: bytes) -> bytes:
    """XOR with the 4-byte mask (RFC 6455 5.3), fast enough for megabytes."""
    n = len(data)
    if not n:
        return b""
    key = (mask * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "big") ^ int.from_bytes(key, "big")).to_bytes(n, "big")


def frame(
    opcode: int,
    payload: bytes = b"",
    *,
    fin: bool = True,
    rsv: int = 0,
    mask: bytes | None = None,
    length_bytes: int | None = None,
) -> bytes:
    """One frame as a server would write it (unmasked unless ``mask`` is given).

    ``length_bytes`` forces a 2- or 8-byte extended length (non-minimal encodings).
    """
    n = len(payload)
    b0 = (0x80 if fin else 0) | (rsv << 4) | opcode
    mask_bit = 0x80 if mask is not None else 0
    if length_bytes == 2 or (length_bytes is None and 126 <= n < 65536):
        head = struct.pack("!BBH", b0, mask_bit | 126, n)
    elif length_bytes == 8 or (length_bytes is None and n >= 65536):
        head = struct.pack("!BBQ", b0, mask_bit | 127, n)
    else:
        head = struct.pack("!BB", b0, mask_bit | n)
    if mask is not None:
        payload = unmask(payload, mask)
        head += mask
    return head + payload


def text(data: str, *, fin: bool = True) -> bytes:
    return frame(0x1, data.encode(), fin=fin)


def binary(data: bytes, *, fin: bool = True) -> bytes:
    return frame(0x2, data, fin=fin)


def cont(data: bytes, *, fin: bool = True) -> bytes:
    return frame(0x0, data, fin=fin)


def close(code: int | None = 1000, reason: str = "") -> bytes:
    if code is None:
        return frame(0x8)
    return frame(0x8, struct.pack("!H", code) + reason.encode())


def ping(payload: bytes = b"") -> bytes:
    return frame(0x9, payload)


def pong(payload: bytes = b"") -> bytes:
    return frame(0xA, payload)


# -- the raw peer -----------------------------------------------------------------------


class RawPeer:
    """The server end of one raw connection, with a read buffer."""

    def __init__(self, stream: anyio.abc.ByteStream) -> None:
        self.stream = stream
        self.buffer = b""
        self.request_head = b""
        self.headers: dict[str, str] = {}
        self.target = ""

    async def _fill(self) -> None:
        data = await self.stream.receive()
        self.buffer += data

    async def read_request(self) -> dict[str, str]:
        while b"\r\n\r\n" not in self.buffer:
            await self._fill()
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        self.request_head = head
        lines = head.decode("latin-1").split("\r\n")
        self.target = lines[0].split(" ")[1]
        self.headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            self.headers[name.strip().lower()] = value.strip()
        return self.headers

    def accept_value(self) -> bytes:
        key = self.headers["sec-websocket-key"].encode()
        return base64.b64encode(hashlib.sha1(key + WS_GUID).digest())

    async def handshake(
        self,
        *,
        subprotocol: str | None = None,
        extra_headers: bytes = b"",
        accept: bytes | None = None,
        trailing: bytes = b"",
    ) -> None:
        """Read the upgrade request and answer 101 (then ``trailing`` in the same write)."""
        await self.read_request()
        response = (
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: " + (accept or self.accept_value()) + b"\r\n"
        )
        if subprotocol is not None:
            response += b"Sec-WebSocket-Protocol: " + subprotocol.encode() + b"\r\n"
        await self.stream.send(response + extra_headers + b"\r\n" + trailing)

    async def send(self, data: bytes) -> None:
        await self.stream.send(data)

    async def read_frame(self) -> tuple[bool, int, bytes]:
        """One client frame: (fin, opcode, unmasked payload). Clients always mask (5.1)."""
        while len(self.buffer) < 2:
            await self._fill()
        b0, b1 = self.buffer[0], self.buffer[1]
        assert b1 & 0x80, "client frame is not masked"
        n = b1 & 0x7F
        pos = 2
        if n == 126:
            while len(self.buffer) < 4:
                await self._fill()
            n = struct.unpack("!H", self.buffer[2:4])[0]
            pos = 4
        elif n == 127:
            while len(self.buffer) < 10:
                await self._fill()
            n = struct.unpack("!Q", self.buffer[2:10])[0]
            pos = 10
        while len(self.buffer) < pos + 4 + n:
            await self._fill()
        mask = self.buffer[pos : pos + 4]
        raw = self.buffer[pos + 4 : pos + 4 + n]
        self.buffer = self.buffer[pos + 4 + n :]
        return bool(b0 & 0x80), b0 & 0x0F, unmask(raw, mask)

    async def read_until_close(self) -> tuple[int | None, str]:
        """Skip frames up to the client's close frame; return its (code, reason)."""
        while True:
            _, opcode, payload = await self.read_frame()
            if opcode == 0x8:
                if not payload:
                    return None, ""
                return struct.unpack("!H", payload[:2])[0], payload[2:].decode()

    async def read_eof(self) -> bytes:
        """Read until the client closes TCP; return what came (usually nothing more)."""
        rest = self.buffer
        self.buffer = b""
        try:
            while True:
                rest += await self.stream.receive()
        except (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError):
            return rest


Handler = Callable[[RawPeer], Awaitable[None]]


@asynccontextmanager
async def raw_server(
    handler: Handler, *, host: str = "127.0.0.1", grace: float = 5.0
) -> AsyncIterator[int]:
    """Serve ``handler`` on a loopback port in this event loop; yield the port.

    At exit, handlers get ``grace`` seconds to finish, then are cancelled. A
    handler that raised fails the test when the block exits.
    """
    failures: list[BaseException] = []
    done: list[anyio.Event] = []

    async def serve_one(stream: anyio.abc.SocketStream) -> None:
        finished = anyio.Event()
        done.append(finished)
        try:
            async with stream:
                await handler(RawPeer(stream))
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, anyio.EndOfStream):
            pass
        except Exception as exc:
            failures.append(exc)
        finally:
            finished.set()

    listener = await anyio.create_tcp_listener(local_host=host, local_port=0)
    port = int(listener.extra(anyio.abc.SocketAttribute.local_port))
    async with listener, anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, serve_one)
        try:
            yield port
        finally:
            with anyio.move_on_after(grace, shield=True):
                for finished in done:
                    await finished.wait()
            tg.cancel_scope.cancel()
    if failures:
        raise failures[0]


# -- servers in a thread ----------------------------------------------------------------


@contextmanager
def threaded_asyncio(start: Callable[[], Awaitable[tuple[int, Any]]]) -> Iterator[int]:
    """Run ``start()`` in an asyncio thread; it returns (port, server).

    The server needs ``close()`` and ``wait_closed()``.
    """
    ready = threading.Event()
    state: dict[str, Any] = {}

    async def main() -> None:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        state["stop"] = lambda: loop.call_soon_threadsafe(stop.set)
        try:
            port, server = await start()
        except BaseException as exc:
            state["error"] = exc
            ready.set()
            return
        state["port"] = port
        ready.set()
        await stop.wait()
        server.close()
        await server.wait_closed()

    thread = threading.Thread(target=asyncio.run, args=(main(),), daemon=True)
    thread.start()
    ready.wait(10)
    if "error" in state:
        raise state["error"]
    try:
        yield int(state["port"])
    finally:
        state["stop"]()
        thread.join(10)


@contextmanager
def threaded_trio(
    serve: Callable[[trio.TaskStatus[int]], Awaitable[None]],
) -> Iterator[int]:
    """Run ``serve(task_status)`` (reports its port via task_status) in a trio thread."""
    ready = threading.Event()
    state: dict[str, Any] = {}

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            state["cancel"] = nursery.cancel_scope.cancel
            state["token"] = trio.lowlevel.current_trio_token()
            try:
                state["port"] = await nursery.start(serve)
            except BaseException as exc:
                state["error"] = exc
                ready.set()
                raise
            ready.set()

    def run() -> None:
        try:
            trio.run(main)
        except BaseException as exc:
            state.setdefault("error", exc)
            ready.set()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    ready.wait(10)
    if "error" in state:
        raise state["error"]
    try:
        yield int(state["port"])
    finally:
        trio.from_thread.run_sync(state["cancel"], trio_token=state["token"])
        thread.join(10)
