"""Loopback blasters that run in a separate process, so the client is what is measured.

One asyncio process serves both protocols on one port (127.0.0.1 only). The
request path selects the behaviour, so any client (including ones that build
their own URL from a base, like ``create_google(base_url=...)``) can be pointed
at it::

    /sse/<mode>/<key>=<value>/.../<anything>     an SSE response (any method)
    /ws/<mode>/<key>=<value>/...                 a WebSocket upgrade
    /stats/<tag>                                 JSON counters of a ``tag=`` stream

Modes (both protocols):

* ``blast``: ``events=N`` (SSE) or ``messages=N`` and ``size=B`` (WebSocket): the
  whole stream is pre-built once and written in large slices, then the stream
  ends (SSE: the connection closes; WebSocket: a 1000 close). With
  ``group=G/streams=N`` the body waits until N streams of group G are open.
* ``push``: an endless stream of small events, up to ``limit=`` bytes, counted in
  ``/stats/<tag>`` (``pushed``: bytes the socket accepted). With a stalled
  consumer this shows backpressure: the count stops growing.
* ``tick``: ``count=N`` events ``interval=S`` seconds apart, each carrying the
  ``time.time_ns()`` of its write in its text (``"t=<ns>;"``), for latency.

WebSocket ``blast`` with ``deflate=1``: when the client offers permessage-deflate
the server answers it and sends realistic realtime JSON events (``response-done``,
``benchmarks._deflate_frames``) compressed with context takeover, pre-built;
``deflate=0`` sends the same events uncompressed (a client that offers nothing
gets those too).

SSE events have the Interactions shape recorded in the conformance fixtures:
``interaction.created``, ``step.start``, ``step.delta`` (text) ..., ``step.stop``,
``interaction.completed``. WebSocket messages are Gateway realtime server
events (``{"type": "text-delta", ...}``), sent as pre-built unmasked frames; the
server answers pings and the closing handshake (RFC 6455 5.5).

Run ``python -m benchmarks._servers``: it prints ``LISTENING <port>`` and serves
until stdin closes. :class:`ServerProcess` does that for you.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import os
import socket
import struct
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

from ._deflate_frames import deflate_body, plain_body

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT.parent / "shared" / "conformance" / "interactions" / "fixtures"
INTERACTION_ID = "v1_benchmark"
CHUNK = 256 * 1024
_WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455 section 1.3

# -- SSE bodies -------------------------------------------------------------------------


def _fixture_events() -> list[dict[str, Any]]:
    path = FIXTURES / "basic.chunks.txt"
    if path.is_file():
        return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    return []


def sse_frame(event: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(event, separators=(",", ":")).encode() + b"\n\n"


def sse_head() -> bytes:
    """``interaction.created`` and ``step.start`` of a text step (shapes from the fixtures)."""
    created: dict[str, Any] = {
        "interaction": {
            "id": INTERACTION_ID,
            "status": "in_progress",
            "object": "interaction",
            "model": "gemini-2.5-flash",
        },
        "event_type": "interaction.created",
    }
    for event in _fixture_events():
        if event.get("event_type") == "interaction.created":
            created = event
            created["interaction"]["id"] = INTERACTION_ID
    start = {"index": 0, "step": {"type": "model_output"}, "event_type": "step.start"}
    return sse_frame(created) + sse_frame(start)


def sse_delta(text: str) -> bytes:
    return sse_frame(
        {"index": 0, "delta": {"text": text, "type": "text"}, "event_type": "step.delta"}
    )


DELTA_TEXT = "I'm doing great, thank you for asking! How are you doing today?"


def sse_tail() -> bytes:
    completed: dict[str, Any] = {
        "interaction": {
            "id": INTERACTION_ID,
            "status": "completed",
            "usage": {"total_input_tokens": 7, "total_output_tokens": 26, "total_tokens": 33},
        },
        "event_type": "interaction.completed",
    }
    for event in _fixture_events():
        if event.get("event_type") in ("interaction.completed", "interaction.complete"):
            completed = event
            completed["interaction"]["id"] = INTERACTION_ID
    return sse_frame({"index": 0, "event_type": "step.stop"}) + sse_frame(completed)


def sse_body(events: int) -> bytes:
    """A whole Interactions stream with ``events`` text ``step.delta`` events."""
    return sse_head() + sse_delta(DELTA_TEXT) * events + sse_tail()


# -- WebSocket frames -------------------------------------------------------------------


def ws_frame(payload: bytes, opcode: int = 0x1) -> bytes:
    """One unmasked, final server frame (RFC 6455 5.2: servers never mask)."""
    n = len(payload)
    if n < 126:
        header = struct.pack("!BB", 0x80 | opcode, n)
    elif n < 1 << 16:
        header = struct.pack("!BBH", 0x80 | opcode, 126, n)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 127, n)
    return header + payload


def ws_message(size: int, seq: int = 0) -> bytes:
    """A Gateway realtime ``text-delta`` server event of about ``size`` bytes of JSON."""
    base = {"type": "text-delta", "responseId": "resp_1", "itemId": f"item_{seq}", "delta": ""}
    overhead = len(json.dumps(base, separators=(",", ":")))
    text = ("streaming text " * (size // 15 + 1))[: max(1, size - overhead)]
    return json.dumps({**base, "delta": text}, separators=(",", ":")).encode()


def ws_close_frame(code: int = 1000) -> bytes:
    return ws_frame(struct.pack("!H", code), opcode=0x8)


# -- the server -------------------------------------------------------------------------


def _params(segments: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for seg in segments:
        key, sep, value = seg.partition("=")
        if sep:
            out[key] = value
    return out


class _Server:
    def __init__(self) -> None:
        self.stats: dict[str, dict[str, Any]] = {}
        self._bodies: dict[tuple[str, int, int], bytes] = {}
        self._events: dict[tuple[bool, int, int], bytes] = {}
        self._groups: dict[str, asyncio.Event] = {}

    def _body(self, kind: str, n: int, size: int) -> bytes:
        key = (kind, n, size)
        body = self._bodies.get(key)
        if body is None:
            body = sse_body(n) if kind == "sse" else ws_frame(ws_message(size)) * n
            if len(self._bodies) > 8:
                self._bodies.clear()
            self._bodies[key] = body
        return body

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            headers = {
                k.strip().lower(): v.strip()
                for k, _, v in (line.partition(":") for line in lines[1:] if line)
            }
            length = int(headers.get("content-length", "0"))
            if length:
                await reader.readexactly(length)
            segments = [s for s in target.split("?", 1)[0].split("/") if s]
            kind = segments[0] if segments else ""
            mode = segments[1] if len(segments) > 1 else ""
            params = _params(segments[2:])
            if kind == "stats":
                tag = segments[1] if len(segments) > 1 else ""
                body = json.dumps(self.stats.get(tag, {})).encode()
                writer.write(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                    b"content-length: %d\r\nconnection: close\r\n\r\n" % len(body) + body
                )
            elif kind == "sse" and target.split("?", 1)[0].endswith("/cancel"):
                writer.write(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                    b"content-length: 2\r\nconnection: close\r\n\r\n{}"
                )
            elif kind == "sse":
                await self._sse(writer, method, mode, params)
            elif kind == "ws":
                await self._ws(reader, writer, headers, mode, params)
            else:
                writer.write(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n")
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    # -- SSE --

    async def _sse(
        self, writer: asyncio.StreamWriter, method: str, mode: str, params: dict[str, str]
    ) -> None:
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
            b"cache-control: no-cache\r\nconnection: close\r\n\r\n"
        )
        if mode == "blast":
            await writer.drain()
            await self._barrier(params)
            await self._write_all(writer, self._body("sse", int(params.get("events", "1000")), 0))
        elif mode == "push":
            writer.write(sse_head())
            await self._push(writer, sse_delta(DELTA_TEXT), params)
        elif mode == "tick":
            writer.write(sse_head())
            await self._tick(writer, params, lambda t: sse_delta(t))
            writer.write(sse_tail())

    async def _barrier(self, params: dict[str, str]) -> None:
        """``group=G/streams=N``: hold every stream of group G until N of them are open.

        ``/stats/G`` then has ``released``: the ``time.time()`` the N-th arrived, so a
        client can time the transfer without the connection set-up.
        """
        group = params.get("group")
        if not group:
            return
        stats = self.stats.setdefault(group, {"arrived": 0})
        event = self._groups.setdefault(group, asyncio.Event())
        stats["arrived"] += 1
        if stats["arrived"] >= int(params.get("streams", "1")):
            stats["released"] = time.time()
            event.set()
        await event.wait()

    async def _write_all(self, writer: asyncio.StreamWriter, body: bytes) -> None:
        view = memoryview(body)
        for i in range(0, len(view), CHUNK):
            writer.write(view[i : i + CHUNK])
            await writer.drain()

    async def _push(
        self,
        writer: asyncio.StreamWriter,
        unit: bytes,
        params: dict[str, str],
        stop: asyncio.Event | None = None,
    ) -> None:
        limit = int(params.get("limit", str(1 << 30)))
        stats = self.stats.setdefault(params.get("tag", ""), {"pushed": 0, "streams": 0})
        stats["streams"] += 1
        chunk = unit * max(1, 16384 // len(unit))
        pushed = 0
        stopped = asyncio.ensure_future(stop.wait()) if stop is not None else None
        try:
            while pushed < limit:
                writer.write(chunk)
                drained = asyncio.ensure_future(writer.drain())
                if stopped is not None:
                    await asyncio.wait({drained, stopped}, return_when=asyncio.FIRST_COMPLETED)
                    if stopped.done():
                        # The client is closing (WebSocket): stop pushing. A client that is
                        # not reading would never see our close frame: drop the connection.
                        if not drained.done():
                            drained.cancel()
                            writer.transport.abort()
                        return
                await drained
                pushed += len(chunk)
                stats["pushed"] += len(chunk)
        finally:
            if stopped is not None:
                stopped.cancel()
        if stop is not None:
            await stop.wait()
            return
        # Hold the stream open: the client decides when it has seen enough.
        await asyncio.sleep(3600)

    async def _tick(self, writer: asyncio.StreamWriter, params: dict[str, str], make: Any) -> None:
        count = int(params.get("count", "100"))
        interval = float(params.get("interval", "0.01"))
        pad = "x" * int(params.get("pad", "40"))
        next_at = time.monotonic()
        for _ in range(count):
            next_at += interval
            delay = next_at - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            writer.write(make(f"t={time.time_ns()};{pad}"))
            await writer.drain()

    # -- WebSocket --

    async def _ws(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        headers: dict[str, str],
        mode: str,
        params: dict[str, str],
    ) -> None:
        key = headers.get("sec-websocket-key", "").encode()
        accept = base64.b64encode(hashlib.sha1(key + _WS_GUID).digest())
        response = (
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n"
        )
        offered = [p.strip() for p in headers.get("sec-websocket-protocol", "").split(",")]
        if offered and offered[0]:
            response += b"Sec-WebSocket-Protocol: " + offered[0].encode() + b"\r\n"
        compressed = "deflate" in params and "permessage-deflate" in headers.get(
            "sec-websocket-extensions", ""
        )
        if compressed and params["deflate"] == "1":
            # RFC 7692: accept the offer as is (context takeover, 15-bit windows).
            response += b"Sec-WebSocket-Extensions: permessage-deflate\r\n"
        writer.write(response + b"\r\n")
        closed = asyncio.Event()
        reader_task = asyncio.ensure_future(self._ws_read(reader, writer, closed))
        try:
            if mode == "blast" and "deflate" in params:
                body = self._event_body(
                    compressed and params["deflate"] == "1",
                    int(params.get("messages", "1000")),
                    int(params.get("size", "32768")),
                )
                await writer.drain()
                await self._write_all(writer, body)
            elif mode == "blast":
                body = self._body(
                    "ws", int(params.get("messages", "1000")), int(params.get("size", "150"))
                )
                await writer.drain()
                await self._barrier(params)
                await self._write_all(writer, body)
            elif mode == "push":
                frame = ws_frame(ws_message(int(params.get("size", "150"))))
                await self._push(writer, frame, params, closed)
            elif mode == "tick":
                await self._tick(
                    writer,
                    params,
                    lambda t: ws_frame(
                        json.dumps(
                            {"type": "text-delta", "responseId": "r", "itemId": "i", "delta": t}
                        ).encode()
                    ),
                )
            writer.write(ws_close_frame(1000))
            await writer.drain()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(closed.wait(), 10)
        finally:
            reader_task.cancel()
            with contextlib.suppress(BaseException):
                await reader_task

    def _event_body(self, compressed: bool, messages: int, size: int) -> bytes:
        key = (compressed, messages, size)
        body = self._events.get(key)
        if body is None:
            body = deflate_body(messages, size)[0] if compressed else plain_body(messages, size)
            if len(self._events) > 4:
                self._events.clear()
            self._events[key] = body
        return body

    async def _ws_read(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, closed: asyncio.Event
    ) -> None:
        """Read client frames: answer pings, note the close; ignore data."""
        try:
            while True:
                b0, b1 = await reader.readexactly(2)
                n = b1 & 0x7F
                if n == 126:
                    (n,) = struct.unpack("!H", await reader.readexactly(2))
                elif n == 127:
                    (n,) = struct.unpack("!Q", await reader.readexactly(8))
                mask = await reader.readexactly(4) if b1 & 0x80 else b"\0\0\0\0"
                data = await reader.readexactly(n)
                opcode = b0 & 0x0F
                if opcode == 0x9:  # ping -> pong with the same payload (5.5.2)
                    payload = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
                    writer.write(ws_frame(payload, opcode=0xA))
                elif opcode == 0x8:
                    closed.set()
                    return
        except (asyncio.IncompleteReadError, ConnectionError):
            closed.set()


async def _serve(port: int) -> None:
    server = _Server()
    srv = await asyncio.start_server(server.handle, "127.0.0.1", port, backlog=4096)
    bound = srv.sockets[0].getsockname()[1]
    print(f"LISTENING {bound}", flush=True)
    loop = asyncio.get_running_loop()
    stdin_closed = asyncio.Event()
    # Serve until the parent closes our stdin (or dies).
    loop.add_reader(sys.stdin.fileno(), lambda: stdin_closed.set())
    async with srv:
        await stdin_closed.wait()


def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(port))


# -- the parent's handle ------------------------------------------------------------------


class ServerProcess:
    """``with ServerProcess() as server:`` starts the blaster process, stops it at exit.

    ``command`` is the ``python -m`` command line of the server to run; it must print
    ``LISTENING <port>`` first and stop when its standard input closes.
    """

    def __init__(self, command: tuple[str, ...] = ("benchmarks._servers",)) -> None:
        self._command = command
        self._proc: subprocess.Popen[bytes] | None = None
        self.port = 0

    def __enter__(self) -> ServerProcess:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            [str(ROOT), str(ROOT / "src"), *filter(None, [env.get("PYTHONPATH")])]
        )
        self._proc = subprocess.Popen(
            [sys.executable, "-m", *self._command],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=ROOT,
            env=env,
        )
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline().decode().split()
        if len(line) != 2 or line[0] != "LISTENING":
            self.__exit__(None, None, None)
            raise RuntimeError(f"benchmark server {self._command[0]} did not start: {line!r}")
        self.port = int(line[1])
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        proc = self._proc
        if proc is None:
            return
        self._proc = None
        if proc.stdin is not None:
            proc.stdin.close()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()

    @property
    def pid(self) -> int:
        return self._proc.pid if self._proc is not None else 0

    def base(self, scheme: str = "http") -> str:
        return f"{scheme}://127.0.0.1:{self.port}"

    def sse_url(self, mode: str, **params: object) -> str:
        """A base URL for SSE mode ``mode``; append any path (e.g. ``/interactions``)."""
        return self.base() + "/sse/" + mode + "".join(f"/{k}={v}" for k, v in params.items())

    def ws_url(self, mode: str, **params: object) -> str:
        return self.base("ws") + "/ws/" + mode + "".join(f"/{k}={v}" for k, v in params.items())

    def stats(self, tag: str) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.base()}/stats/{tag}", timeout=10) as response:
            data: dict[str, Any] = json.loads(response.read())
        return data


if __name__ == "__main__":
    main()
