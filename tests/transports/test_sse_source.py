"""SSESource against a raw-socket HTTP/1.1 server on 127.0.0.1 that injects faults.

The server answers the n-th connection with the n-th scripted :class:`Reply`:
any status and headers, the body framed by ``Connection: close`` (EOF ends the
body), ``Transfer-Encoding: chunked`` or ``Content-Length``, optionally cut
after a given number of body bytes or stalled. Every test runs on asyncio and
trio.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, Literal

import anyio
import anyio.abc
import anyio.lowlevel
import attrs
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from partstream.errors import (
    APICallError,
    ConnectError,
    InvalidArgumentError,
    InvalidResponseDataError,
    LimitExceededError,
    StreamResumeError,
    TimeoutError,
    TransportError,
)
from partstream.pipeline import open_stream
from partstream.transports.sse import ResumePolicy, ServerSentEvent, SSESource

pytestmark = pytest.mark.anyio

Framing = Literal["close", "chunked", "length"]


@attrs.define
class Reply:
    """What the server sends on one connection."""

    body: bytes = b""
    status: int = 200
    headers: Sequence[tuple[str, str]] = (("Content-Type", "text/event-stream"),)
    framing: Framing = "close"
    cut_at: int | None = None  # close the connection after this many body bytes
    stall: bool = False  # keep the connection open (silent) after the bytes sent
    stream: AsyncIterator[bytes] | None = None  # more body ("close" framing), sent as produced


@attrs.define
class Request:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes


_REASONS = {200: "OK", 204: "No Content", 401: "Unauthorized", 429: "Too Many Requests"}


Script = Sequence[Reply] | Callable[[Request, int], Reply]


class RawSSEServer:
    """A fault-injecting HTTP/1.1 server on 127.0.0.1 (one reply per connection).

    ``script`` is a list (the n-th connection gets the n-th reply, the last one
    repeats) or a function of the request and its index. ``sent`` counts the
    body bytes written per connection; ``closed`` counts connections whose
    client went away (or that the server finished).
    """

    def __init__(self, script: Script) -> None:
        self.script = script
        self.requests: list[Request] = []
        self.sent: list[int] = []
        self.closed = 0
        self.port = 0

    def reply_for(self, request: Request, index: int) -> Reply:
        if callable(self.script):
            return self.script(request, index)
        return self.script[min(index, len(self.script) - 1)]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/stream"

    async def _handle(self, stream: anyio.abc.SocketStream) -> None:
        async with stream:
            try:
                await self._serve(stream)
            except (anyio.BrokenResourceError, anyio.ClosedResourceError, anyio.EndOfStream):
                pass  # the client went away first
            except OSError:
                pass
            finally:
                self.closed += 1

    async def _serve(self, stream: anyio.abc.SocketStream) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            data += await stream.receive()
            assert len(data) < 65536
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        while len(body) < length:
            body += await stream.receive()
        index = len(self.requests)
        request = Request(method, target, headers, body)
        self.requests.append(request)
        self.sent.append(0)
        reply = self.reply_for(request, index)
        payload = reply.body if reply.cut_at is None else reply.body[: reply.cut_at]
        out = [f"HTTP/1.1 {reply.status} {_REASONS.get(reply.status, 'Status')}"]
        out += [f"{k}: {v}" for k, v in reply.headers]
        if reply.framing == "chunked":
            out.append("Transfer-Encoding: chunked")
        elif reply.framing == "length":
            out.append(f"Content-Length: {len(reply.body)}")
        out.append("Connection: close")
        await stream.send(("\r\n".join(out) + "\r\n\r\n").encode("latin-1"))
        if reply.framing == "chunked":
            if payload:
                await stream.send(b"%x\r\n%s\r\n" % (len(payload), payload))
            if reply.cut_at is None:
                await stream.send(b"0\r\n\r\n")
        elif payload:
            await stream.send(payload)
        self.sent[index] = len(payload)
        if reply.stream is not None:
            async for piece in reply.stream:
                await stream.send(piece)
                self.sent[index] += len(piece)
        if reply.stall:
            while True:  # silent until the client goes away (EndOfStream ends this)
                await stream.receive()


@asynccontextmanager
async def serve(script: Script) -> AsyncIterator[RawSSEServer]:
    server = RawSSEServer(script)
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
    server.port = listener.extra(anyio.abc.SocketAttribute.local_port)
    async with listener, anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, server._handle)
        try:
            yield server
        finally:
            tg.cancel_scope.cancel()


class Sleeps:
    """An injected ``sleep`` that records the delays and does not wait."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        await anyio.lowlevel.checkpoint()


def frame(payload: dict[str, object]) -> bytes:
    return b"data: " + json.dumps(payload).encode() + b"\n\n"


def interactions_source(
    url: str, sleeps: Sleeps, *, policy: ResumePolicy | None = None
) -> SSESource[dict[str, object]]:
    def terminal(item: dict[str, object]) -> bool:
        return item.get("event_type") in ("interaction.completed", "error")

    def event_id(item: dict[str, object]) -> str | None:
        value = item.get("event_id")
        return value if isinstance(value, str) and value else None

    return SSESource(
        None,
        "GET",
        url,
        decode=lambda ev: json.loads(ev.data),
        event_id=event_id,
        is_terminal=terminal,
        resume=policy or ResumePolicy(id_in="query"),
        sleep=sleeps,
    )


async def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    with anyio.fail_after(timeout):
        while not condition():
            await anyio.sleep(0.01)


async def collect(source: SSESource[Any]) -> list[Any]:
    async with open_stream(source) as stream:
        got = [item async for item in stream]
    return got


# -- requests, responses, errors ---------------------------------------------------------


async def test_plain_events_and_request_headers() -> None:
    body = b"data: a\n\nid: 1\ndata: b\n\n"
    async with serve([Reply(body)]) as server:
        source = SSESource(
            None,
            "GET",
            server.url,
            headers={"X-Extra": "1", "Cache-Control": None},
            params={"stream": "true"},
        )
        got = await collect(source)
    assert got == [ServerSentEvent(data="a"), ServerSentEvent(data="b", id="1")]
    assert source.attempts == 1
    assert source.last_event_id == "1"
    req = server.requests[0]
    assert req.method == "GET"
    assert req.target == "/stream?stream=true"
    assert req.headers["accept"] == "text/event-stream"
    assert req.headers["x-extra"] == "1"
    assert "cache-control" not in req.headers  # a None header value removes it
    assert "last-event-id" not in req.headers


async def test_post_json_with_a_supplied_client_that_stays_open() -> None:
    async with serve([Reply(b"data: ok\n\n")]) as server, httpx.AsyncClient() as client:
        source = SSESource(client, "POST", server.url, json={"stream": True})
        assert [ev.data for ev in await collect(source)] == ["ok"]
        req = server.requests[0]
        assert req.method == "POST"
        assert json.loads(req.body) == {"stream": True}
        assert req.headers["content-type"] == "application/json"
        assert req.headers["cache-control"] == "no-store"
        assert not client.is_closed  # not ours to close
        # ...and still usable for a second stream.
        assert [ev.data for ev in await collect(SSESource(client, "GET", server.url))] == ["ok"]


async def test_on_response_sees_the_headers() -> None:
    seen: list[str] = []
    headers = (("Content-Type", "text/event-stream; charset=latin-1"), ("X-Tier", "gold"))
    async with serve([Reply(b"data: \xc3\xa9\n\n", headers=headers)]) as server:
        source = SSESource(
            None, "GET", server.url, on_response=lambda r: seen.append(r.headers["x-tier"])
        )
        got = await collect(source)
    assert seen == ["gold"]
    assert got == [ServerSentEvent(data="\u00e9")]  # UTF-8 whatever the declared charset


async def test_non_retryable_status_is_raised_at_once_with_a_bounded_body() -> None:
    body = b'{"error": {"message": "bad key"}}' + b"x" * 10_000
    reply = Reply(body, status=401, headers=(("Content-Type", "application/json"),))
    async with serve([reply]) as server:
        source = SSESource(None, "GET", server.url, resume=ResumePolicy(), max_error_body=100)
        with pytest.raises(APICallError) as info:
            await collect(source)
    error = info.value
    assert error.status_code == 401
    assert not error.is_retryable
    assert error.response_body is not None
    assert error.response_body.startswith('{"error": {"message": "bad key"}}')
    assert len(error.response_body) < 200
    assert error.url == server.url
    assert source.attempts == 1
    assert len(server.requests) == 1


async def test_wrong_content_type_is_a_clear_error_with_an_excerpt() -> None:
    reply = Reply(b'{"not": "sse"}', headers=(("Content-Type", "application/json"),))
    async with serve([reply]) as server:
        source = SSESource(None, "GET", server.url, resume=ResumePolicy())
        with pytest.raises(InvalidResponseDataError) as info:
            await collect(source)
    assert "text/event-stream" in str(info.value)
    assert "application/json" in str(info.value)
    assert '{"not": "sse"}' in str(info.value)
    assert source.attempts == 1


async def test_missing_content_type_is_rejected() -> None:
    async with serve([Reply(b"data: x\n\n", headers=())]) as server:
        with pytest.raises(InvalidResponseDataError, match="no content type"):
            await collect(SSESource(None, "GET", server.url))


async def test_204_ends_the_stream_without_reconnecting() -> None:
    sleeps = Sleeps()
    async with serve([Reply(status=204, headers=())]) as server:
        source = interactions_source(server.url, sleeps)
        assert await collect(source) == []
    assert source.attempts == 1
    assert sleeps.delays == []


async def test_oversized_event_raises_the_limit_error_and_is_not_retried() -> None:
    body = b"data: small\n\ndata: " + b"x" * 5000 + b"\n\n"
    async with serve([Reply(body)]) as server:
        source = SSESource(None, "GET", server.url, resume=ResumePolicy(), max_event_size=1000)
        got: list[ServerSentEvent] = []
        with pytest.raises(LimitExceededError) as info:
            async with open_stream(source) as stream:
                async for ev in stream:
                    got.append(ev)
    assert [ev.data for ev in got] == ["small"]
    assert info.value.option == "max_event_size"
    assert source.attempts == 1


async def test_connection_refused_is_a_connect_error() -> None:
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
    port = listener.extra(anyio.abc.SocketAttribute.local_port)
    await listener.aclose()  # nothing listens on this port any more
    url = f"http://127.0.0.1:{port}/stream"
    with pytest.raises(ConnectError):
        await collect(SSESource(None, "GET", url))
    sleeps = Sleeps()
    source = SSESource(None, "GET", url, resume=ResumePolicy(), sleep=sleeps)
    with pytest.raises(StreamResumeError) as info:
        await collect(source)
    assert isinstance(info.value.__cause__, ConnectError)
    assert source.attempts == 3
    assert sleeps.delays == [0.5, 1.0]


async def test_hook_errors_propagate_unchanged_and_are_not_retried() -> None:
    def decode(ev: ServerSentEvent) -> object:
        raise ValueError(f"cannot decode {ev.data}")

    async with serve([Reply(b"data: x\n\n")]) as server:
        source = SSESource(None, "GET", server.url, decode=decode, resume=ResumePolicy())
        with pytest.raises(ValueError, match="cannot decode x"):
            await collect(source)
    assert source.attempts == 1


async def test_decode_data_gets_each_reads_data_and_emits_its_batch() -> None:
    calls: list[list[str]] = []

    def decode_data(data: list[str]) -> list[str]:
        calls.append(data)
        return [d.upper() for d in data if d != "skip"]

    body = (
        b"data: a\n\nid: 7\ndata: b\ndata: c\n\nevent: x\ndata: skip\n\n: c\n\ndata: \xc3\xa9\n\n"
    )
    async with serve([Reply(body, framing="chunked")]) as server:
        source = SSESource(None, "GET", server.url, decode_data=decode_data)
        got = await collect(source)
    assert got == ["A", "B\nC", "\u00c9"]
    assert [d for call in calls for d in call] == ["a", "b\nc", "skip", "\u00e9"]
    assert source.last_event_id == "7"
    assert source.attempts == 1


async def test_decode_data_errors_propagate_after_the_batches_before_them() -> None:
    def decode_data(data: list[str]) -> list[str]:
        if "bad" in data:
            raise ValueError("bad data")
        return data

    async def chunks() -> AsyncIterator[bytes]:
        yield b"data: ok\n\n"
        await anyio.sleep(0.05)
        yield b"data: bad\n\n"

    got: list[str] = []
    async with serve([Reply(stream=chunks())]) as server:
        with pytest.raises(ValueError, match="bad data"):
            async with open_stream(
                SSESource(None, "GET", server.url, decode_data=decode_data)
            ) as s:
                async for item in s:
                    got.append(item)
    assert got == ["ok"]


@pytest.mark.parametrize("framing", ["close", "chunked"])
async def test_decode_data_cut_without_resume(framing: Framing) -> None:
    body = b"data: a\n\ndata: b\n\n"
    async with serve([Reply(body, framing=framing, cut_at=12)]) as server:
        source = SSESource(None, "GET", server.url, decode_data=lambda data: data)
        got: list[str] = []
        error: Exception | None = None
        try:
            async with open_stream(source) as stream:
                async for item in stream:
                    got.append(item)
        except TransportError as exc:
            error = exc
    assert got == ["a"]
    assert (error is None) == (framing == "close")


def test_decode_data_excludes_the_per_event_hooks() -> None:
    for extra in (
        {"decode": lambda ev: ev},
        {"event_id": lambda item: None},
        {"is_terminal": lambda item: False},
        {"resume": ResumePolicy()},
    ):
        with pytest.raises(InvalidArgumentError, match="decode_data cannot be combined"):
            SSESource(None, "GET", "http://127.0.0.1:1/", decode_data=list, **extra)


# -- resume ---------------------------------------------------------------------------------


def events_for(count: int, text: str = "h\u00e9llo \u20ac\U0001f600") -> list[dict[str, object]]:
    out: list[dict[str, object]] = [
        {"event_id": f"e{i}", "event_type": "step.delta", "delta": {"text": f"{text} {i}"}}
        for i in range(count)
    ]
    out.append({"event_id": f"e{count}", "event_type": "interaction.completed"})
    return out


async def test_resume_by_query_after_a_cut_mid_event() -> None:
    events = events_for(3)
    body = b"".join(frame(e) for e in events)
    cut = len(frame(events[0])) + 5
    sleeps = Sleeps()
    second = Reply(b"".join(frame(e) for e in events[1:]))
    async with serve([Reply(body, cut_at=cut), second]) as server:
        source = interactions_source(server.url, sleeps)
        got = await collect(source)
    assert got == events
    assert source.attempts == 2
    assert sleeps.delays == [0.0]  # the first attempt delivered an event: no wait
    assert "last_event_id=e0" in server.requests[1].target
    assert "last-event-id" not in server.requests[1].headers
    assert source.last_event_id == "e3"


async def test_resume_by_header_with_sse_ids_and_a_replayed_event() -> None:
    first = b"id: 1\ndata: a\n\nid: 2\ndata: b\n\nid: 3\ndata: c"  # cut inside event 3
    # The server replays event 2 (the one we resume after): it must not appear twice.
    second = b"id: 2\ndata: b\n\nid: 3\ndata: c\n\ndata: d\n\nevent: end\ndata: \n\n"
    sleeps = Sleeps()
    async with serve([Reply(first), Reply(second)]) as server:
        source = SSESource(
            None,
            "GET",
            server.url,
            is_terminal=lambda ev: ev.event == "end",
            resume=ResumePolicy(),
            sleep=sleeps,
        )
        got = await collect(source)
    assert [(ev.data, ev.id) for ev in got] == [
        ("a", "1"),
        ("b", "2"),
        ("c", "3"),
        ("d", "3"),  # shares the last event ID with "c": not a replay
        ("", "3"),
    ]
    assert server.requests[1].headers["last-event-id"] == "2"
    assert source.attempts == 2


async def test_a_portable_cursor_starts_the_first_request_after_it() -> None:
    events = events_for(2)
    body = b"".join(frame(e) for e in events)  # the server replays e0: suppressed
    sleeps = Sleeps()
    async with serve([Reply(body)]) as server:
        source = SSESource(
            None,
            "GET",
            server.url,
            decode=lambda ev: json.loads(ev.data),
            event_id=lambda item: item.get("event_id"),
            is_terminal=lambda item: item.get("event_type") == "interaction.completed",
            resume=ResumePolicy(),
            last_event_id="e0",
            sleep=sleeps,
        )
        got = await collect(source)
    assert got == events[1:]
    assert server.requests[0].headers["last-event-id"] == "e0"


async def test_empty_bodies_give_up_after_three_attempts() -> None:
    sleeps = Sleeps()
    async with serve([Reply(b": just a comment\n\n")]) as server:
        source = interactions_source(server.url, sleeps)
        with pytest.raises(StreamResumeError) as info:
            await collect(source)
    error = info.value
    assert "SSE stream closed without producing any events" in str(error)
    assert isinstance(error.__cause__, TransportError)
    assert error.attempts == 3
    assert source.attempts == 3
    assert len(server.requests) == 3
    assert sleeps.delays == [0.5, 1.0]  # 500 ms x attempt


async def test_productive_attempts_reset_the_failure_count() -> None:
    events = events_for(4)
    frames = [frame(e) for e in events]

    def script(request: Request, index: int) -> Reply:
        # empty, one event, empty, empty, one event, empty, rest: never 3 empty in a row
        start = 0
        for i, ev in enumerate(events):
            if f"last_event_id={ev['event_id']}" in request.target:
                start = i + 1
        if index in (0, 2, 3, 5):
            return Reply(b"")
        if index in (1, 4):
            return Reply(frames[start])
        return Reply(b"".join(frames[start:]))

    sleeps = Sleeps()
    async with serve(script) as server:
        source = interactions_source(server.url, sleeps)
        got = await collect(source)
    assert got == events
    assert source.attempts == 7
    assert sleeps.delays == [0.5, 0.0, 0.5, 1.0, 0.0, 0.5]


async def test_retryable_statuses_then_success() -> None:
    events = events_for(1)
    body = b"".join(frame(e) for e in events)
    error_reply = Reply(b"overloaded", status=503, headers=(("Content-Type", "text/plain"),))
    sleeps = Sleeps()
    async with serve([error_reply, error_reply, Reply(body)]) as server:
        source = interactions_source(server.url, sleeps)
        got = await collect(source)
    assert got == events
    assert sleeps.delays == [0.5, 1.0]
    assert len(server.requests) == 3


async def test_giving_up_on_500_keeps_the_last_api_error_as_cause() -> None:
    reply = Reply(b"boom", status=500, headers=(("Content-Type", "text/plain"),))
    sleeps = Sleeps()
    async with serve([reply]) as server:
        source = interactions_source(server.url, sleeps)
        with pytest.raises(StreamResumeError) as info:
            await collect(source)
    cause = info.value.__cause__
    assert isinstance(cause, APICallError)
    assert cause.status_code == 500
    assert cause.is_retryable
    assert cause.response_body == "boom"
    assert "SSE stream closed without producing any events" not in str(info.value)
    assert len(server.requests) == 3


@pytest.mark.parametrize(
    ("header", "expected"),
    [(("Retry-After", "2"), 2.0), (("retry-after-ms", "1250"), 1.25), (("Retry-After", "x"), 0.5)],
)
async def test_429_retry_after_sets_the_delay(header: tuple[str, str], expected: float) -> None:
    events = events_for(0)
    limited = Reply(b"slow down", status=429, headers=(("Content-Type", "text/plain"), header))
    sleeps = Sleeps()
    async with serve([limited, Reply(frame(events[0]))]) as server:
        source = interactions_source(server.url, sleeps)
        assert await collect(source) == events
    assert sleeps.delays == [expected]
    assert len(server.requests) == 2


async def test_server_retry_field_overrides_the_delay() -> None:
    sleeps = Sleeps()
    first = b"retry: 1500\n\n: then nothing"
    async with serve([Reply(first), Reply(frame(events_for(0)[0]))]) as server:
        source = interactions_source(server.url, sleeps)
        await collect(source)
    assert sleeps.delays == [1.5]
    assert len(server.requests) == 2


async def test_a_stall_times_out_and_resumes() -> None:
    events = events_for(2)
    frames = [frame(e) for e in events]
    replies = [Reply(frames[0], stall=True), Reply(b"".join(frames[1:]))]
    sleeps = Sleeps()
    async with serve(replies) as server:
        source = SSESource(
            None,
            "GET",
            server.url,
            decode=lambda ev: json.loads(ev.data),
            event_id=lambda item: item.get("event_id"),
            is_terminal=lambda item: item.get("event_type") == "interaction.completed",
            resume=ResumePolicy(),
            timeout=httpx.Timeout(5.0, read=0.3),
            sleep=sleeps,
        )
        got = await collect(source)
    assert got == events
    assert sleeps.delays == [0.0]


async def test_a_stall_without_resume_raises_timeout_after_the_events() -> None:
    async with serve([Reply(b"data: a\n\n", stall=True)]) as server:
        source = SSESource(None, "GET", server.url, timeout=httpx.Timeout(5.0, read=0.3))
        got: list[ServerSentEvent] = []
        with pytest.raises(TimeoutError):
            async with open_stream(source) as stream:
                async for ev in stream:
                    got.append(ev)
    assert [ev.data for ev in got] == ["a"]


@pytest.mark.parametrize("framing", ["close", "chunked", "length"])
async def test_a_cut_without_resume(framing: Framing) -> None:
    body = b"data: a\n\ndata: b\n\n"
    async with serve([Reply(body, framing=framing, cut_at=12)]) as server:
        source = SSESource(None, "GET", server.url)
        got: list[ServerSentEvent] = []
        error: Exception | None = None
        try:
            async with open_stream(source) as stream:
                async for ev in stream:
                    got.append(ev)
        except TransportError as exc:
            error = exc
    assert [ev.data for ev in got] == ["a"]
    # EOF ends a Connection: close body cleanly; a short chunked/length body is a failure.
    assert (error is None) == (framing == "close")


async def test_terminal_item_ends_the_stream_even_if_the_server_holds_it_open() -> None:
    events = events_for(1)
    body = b"".join(frame(e) for e in events)
    async with serve([Reply(body, stall=True)]) as server:
        source = interactions_source(server.url, Sleeps())
        with anyio.fail_after(5):
            assert await collect(source) == events
        await wait_for(lambda: server.closed == 1)
    assert source.attempts == 1


async def test_leaving_early_cancels_without_retrying_and_closes_the_connection() -> None:
    sleeps = Sleeps()
    async with serve([Reply(frame(events_for(3)[0]), stall=True)]) as server:
        source = interactions_source(server.url, sleeps)
        async with open_stream(source) as stream:
            async for _item in stream:
                break
        await wait_for(lambda: server.closed == 1)
        await anyio.sleep(0.05)
        assert len(server.requests) == 1
    assert source.attempts == 1
    assert sleeps.delays == []


async def test_a_cancelled_resume_wait_is_not_retried() -> None:
    async def forever(seconds: float) -> None:
        await anyio.sleep_forever()

    async with serve([Reply(b"")]) as server:
        source = SSESource(
            None,
            "GET",
            server.url,
            is_terminal=lambda ev: False,
            resume=ResumePolicy(),
            sleep=forever,
        )
        with anyio.move_on_after(0.3) as scope:
            await collect(source)
        assert scope.cancelled_caught
    assert source.attempts == 1


async def test_a_stalled_consumer_stops_the_socket_reads() -> None:
    event = b"data: " + b"x" * 1000 + b"\n\n"
    total_events = 40_000  # ~40 MB: far more than the socket buffers hold

    async def produce() -> AsyncIterator[bytes]:
        for _ in range(total_events // 16):
            yield event * 16

    async with serve([Reply(stream=produce())]) as server:
        source = SSESource(None, "GET", server.url)
        async with open_stream(source, max_batches=1) as stream:
            first = await stream.__anext__()
            assert first.data == "x" * 1000
            await anyio.sleep(0.5)  # the consumer stalls; the server keeps trying to send
            stalled_at = server.sent[0]
            await anyio.sleep(0.3)
            assert server.sent[0] == stalled_at  # nothing more went out: reads stopped
            assert stalled_at < len(event) * total_events // 2
            count = 1
            async for _ in stream:
                count += 1
        assert count == total_events


# -- resume under arbitrary cuts (hypothesis picks where the connections break) -------------


@attrs.define
class ResumingServer:
    """Serves ``frames`` from after the requested ``last_event_id``, cutting as told."""

    frames: list[bytes]
    eol_tail: list[int]  # bytes of a frame's end that come after its dispatching line end
    cuts: list[int | None]
    framings: list[Framing]
    replay: bool
    delivered: list[int] = attrs.Factory(list)  # new events each connection completed

    def __call__(self, request: Request, index: int) -> Reply:
        start = 0
        for i in range(len(self.frames)):
            if f"last_event_id=e{i}&" in request.target + "&":
                start = i + 1
        first = start - 1 if (self.replay and start > 0) else start
        body = b"".join(self.frames[first:])
        cut = self.cuts[index] if index < len(self.cuts) else None
        if cut is not None:
            cut = min(cut, len(body))
        sent = len(body) if cut is None else cut
        # Count the events whose dispatching line end went out (replays excluded).
        offset = 0
        new = 0
        for i in range(first, len(self.frames)):
            offset += len(self.frames[i])
            if offset - self.eol_tail[i] <= sent and i >= start:
                new += 1
        self.delivered.append(new)
        framing = self.framings[index % len(self.framings)]
        return Reply(body, cut_at=cut, framing=framing)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    count=st.integers(min_value=1, max_value=5),
    eols=st.lists(st.sampled_from([b"\n", b"\r\n", b"\r"]), min_size=6, max_size=6),
    cuts=st.lists(st.none() | st.integers(min_value=0, max_value=400), max_size=6),
    framings=st.lists(st.sampled_from(["close", "chunked", "length"]), min_size=1, max_size=3),
    replay=st.booleans(),
)
async def test_resume_under_arbitrary_cuts(
    count: int,
    eols: list[bytes],
    cuts: list[int | None],
    framings: list[Framing],
    replay: bool,
) -> None:
    events = events_for(count, text="\u00e9\u20ac\U0001f600 r\u00e9sum\u00e9")
    frames = []
    tails = []
    for ev, eol in zip(events, eols, strict=False):
        frames.append(b"data: " + json.dumps(ev, ensure_ascii=False).encode() + eol + eol)
        tails.append(1 if eol == b"\r\n" else 0)  # CR LF: the CR already ends the line
    peer = ResumingServer(frames, tails, cuts, framings, replay)
    sleeps = Sleeps()
    got: list[dict[str, object]] = []
    error: StreamResumeError | None = None
    async with serve(peer) as server:
        source = interactions_source(server.url, sleeps)
        try:
            async with open_stream(source) as stream:
                async for item in stream:
                    got.append(item)
        except StreamResumeError as exc:
            error = exc
    # Nothing duplicated, order kept, nothing lost before the end.
    assert got == events[: len(got)]
    attempts = len(server.requests)
    assert source.attempts == attempts
    assert peer.delivered[:attempts] == peer.delivered
    # The delays follow the policy: 0 after a productive attempt, else 0.5 x failures.
    failures = 0
    expected_delays = []
    for new in peer.delivered[:-1]:
        failures = 0 if new else failures + 1
        expected_delays.append(0.5 * failures)
    assert sleeps.delays == expected_delays
    if error is None:
        assert got == events
    else:
        assert peer.delivered[-3:] == [0, 0, 0]
        assert error.attempts == attempts


def _named_cuts() -> list[tuple[str, int, int]]:
    """(name, cut offset, events completed before the cut) over CRLF frames."""
    f0, f1 = (_crlf_frame(ev) for ev in events_for(2)[:2])
    euro = f1.index("\u20ac".encode())
    return [
        ("inside the first event", 10, 0),
        ("between events", len(f0), 1),
        ("mid-line", len(f0) + 10, 1),
        ("mid-UTF-8 character", len(f0) + euro + 1, 1),
        ("between CR and LF of the data line end", len(f0) + len(f1) - 3, 1),
        ("after the blank line's CR, before its LF", len(f0) + len(f1) - 1, 2),
    ]


def _crlf_frame(event: dict[str, object]) -> bytes:
    return b"data: " + json.dumps(event, ensure_ascii=False).encode() + b"\r\n\r\n"


@pytest.mark.parametrize(("name", "cut", "completed"), _named_cuts())
async def test_resume_at_named_cut_points(name: str, cut: int, completed: int) -> None:
    events = events_for(2)
    frames = [_crlf_frame(ev) for ev in events]

    def script(request: Request, index: int) -> Reply:
        if index == 0:
            return Reply(b"".join(frames), cut_at=cut, framing="chunked")
        start = next(
            (i + 1 for i in range(len(frames)) if f"last_event_id=e{i}" in request.target), 0
        )
        return Reply(b"".join(frames[start:]))

    sleeps = Sleeps()
    async with serve(script) as server:
        source = interactions_source(server.url, sleeps)
        got = await collect(source)
    assert got == events, name
    assert source.attempts == 2
    expected_cursor = f"last_event_id=e{completed - 1}" if completed else None
    if expected_cursor is None:
        assert "last_event_id" not in server.requests[1].target
        assert sleeps.delays == [0.5]  # the first attempt delivered nothing
    else:
        assert expected_cursor in server.requests[1].target
        assert sleeps.delays == [0.0]


async def test_an_owned_client_follows_redirects() -> None:
    moved = Reply(status=307, headers=(("Location", "/moved"),))
    async with serve([moved, Reply(b"data: here\n\n")]) as server:
        got = await collect(SSESource(None, "GET", server.url))
    assert [ev.data for ev in got] == ["here"]
    assert [r.target for r in server.requests] == ["/stream", "/moved"]


async def test_the_cursor_covers_only_what_emit_accepted() -> None:
    async def produce() -> AsyncIterator[bytes]:
        for i in range(5):
            yield b"id: %d\ndata: %d\n\n" % (i, i)
            await anyio.sleep(0.05)

    seen: list[list[ServerSentEvent]] = []

    async def emit(batch: list[ServerSentEvent]) -> None:
        seen.append(batch)
        if len(seen) == 2:
            await anyio.sleep_forever()  # the consumer stalls on the second batch

    async with serve([Reply(stream=produce(), stall=True)]) as server:
        source = SSESource(None, "GET", server.url)
        with anyio.move_on_after(1.0):
            await source(emit)
    assert len(seen) == 2
    assert source.last_event_id == seen[0][-1].id  # not the id of the batch in limbo
