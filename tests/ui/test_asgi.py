"""The ASGI response and request reading, served by hypercorn on loopback (asyncio and trio).

Real server, real sockets: the bytes on the wire, errors before the first part as
HTTP errors, errors after it in band, the upstream stopped when the browser goes
away (and a background run cancelled on the emulator), backpressure from a client
that stops reading, keep-alive comments, and request limits enforced while reading.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx
import pytest

from partstream import parts as p
from partstream.emulator import Faults, Script, run_emulator, serve_asgi
from partstream.errors import APICallError, InvalidArgumentError, PartstreamError
from partstream.providers.google import create_google
from partstream.ui import (
    UI_MESSAGE_STREAM_HEADERS,
    ChatRequestLimits,
    TextResponse,
    UIMessageStreamConverter,
    UIMessageStreamResponse,
    default_error_response,
    encode_sse,
    read_chat_request,
    to_prompt,
)

pytestmark = pytest.mark.anyio

FINISH = p.Finish(usage=p.Usage(), finish_reason=p.FinishReason(unified="stop", raw="completed"))
TEXT: list[p.Part] = [
    p.StreamStart(),
    p.ResponseMetadata(id="r1"),
    p.TextStart(id="t"),
    p.TextDelta(id="t", delta="Hello </script> é"),
    p.TextEnd(id="t"),
    FINISH,
]
SECRET = "sk-live-0123456789"
USER = {"id": "u1", "role": "user", "parts": [{"type": "text", "text": "hello"}]}


class Source:
    """A parts source that records its life: entered, exited, parts handed out."""

    def __init__(
        self,
        batches: Sequence[list[p.Part]] = (),
        *,
        forever: Callable[[int], p.Part] | None = None,
        delay: float = 0.0,
        fail_on_enter: BaseException | None = None,
        fail_after: BaseException | None = None,
    ) -> None:
        self.planned = list(batches)
        self.forever = forever
        self.delay = delay
        self.fail_on_enter = fail_on_enter
        self.fail_after = fail_after
        self.entered = False
        self.exited = anyio.Event()
        self.produced = 0

    async def __aenter__(self) -> Source:
        self.entered = True
        if self.fail_on_enter is not None:
            self.exited.set()
            raise self.fail_on_enter
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.exited.set()

    async def batches_(self) -> AsyncIterator[list[p.Part]]:
        for batch in self.planned:
            await anyio.sleep(self.delay)
            self.produced += len(batch)
            yield batch
        if self.fail_after is not None:
            raise self.fail_after
        if self.forever is not None:
            while True:
                await anyio.sleep(self.delay)
                self.produced += 1
                yield [self.forever(self.produced)]

    def batches(self) -> AsyncIterator[list[p.Part]]:  # what a PartStream offers
        return self.batches_()


def _expected(parts: list[p.Part], converter: UIMessageStreamConverter | None = None) -> bytes:
    conv = converter or UIMessageStreamConverter()
    return encode_sse(conv.start() + conv.feed(parts) + conv.finish(), done=True)


async def _lifespan(receive: Any, send: Any) -> None:
    """The ASGI lifespan protocol: nothing to set up or tear down."""
    while True:
        message = await receive()
        await send({"type": message["type"] + ".complete"})
        if message["type"] == "lifespan.shutdown":
            return


@asynccontextmanager
async def _serving(make: Callable[[], Any]) -> AsyncIterator[str]:
    """Serve ``make()`` (a fresh response per request) as a bare ASGI app."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        await make()(scope, receive, send)

    async with serve_asgi(app) as served:
        yield served.url


async def test_bytes_headers_and_done(anyio_backend: str) -> None:
    source = Source([TEXT[:2], TEXT[2:4], TEXT[4:]])
    async with (
        _serving(lambda: UIMessageStreamResponse(source)) as url,
        httpx.AsyncClient() as client,
    ):
        response = await client.post(url)
    assert response.status_code == 200
    for key, value in UI_MESSAGE_STREAM_HEADERS.items():
        assert response.headers[key] == value
    assert response.content == _expected(TEXT)
    assert response.content.endswith(b"data: [DONE]\n\n")
    assert source.exited.is_set()


async def test_plain_async_iterables_and_extra_headers(anyio_backend: str) -> None:
    async def parts() -> AsyncIterator[p.Part]:
        for part in TEXT:
            yield part

    def make() -> UIMessageStreamResponse:
        return UIMessageStreamResponse(
            parts(), headers={"X-Chat": "1", "Cache-Control": "no-store"}
        )

    async with _serving(make) as url, httpx.AsyncClient() as client:
        response = await client.post(url)
    assert response.content == _expected(TEXT)
    assert response.headers["x-chat"] == "1"
    assert response.headers["cache-control"] == "no-store"  # the caller's header wins


async def _chat(url: str, client: httpx.AsyncClient, **body: Any) -> httpx.Response:
    payload = {"id": "chat-1", "messages": [USER], "trigger": "submit-message", **body}
    return await client.post(url + "/api/chat", json=payload)


async def test_starlette_route_with_the_emulator_model(anyio_backend: str) -> None:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    async with run_emulator() as emulator:
        model = create_google(
            api_key=emulator.api_key, base_url=emulator.interactions_base_url
        ).interactions("gemini-2.5-flash")

        async def chat(request: Request) -> Response:
            try:
                chat = await read_chat_request(request)
                prompt = to_prompt(chat.messages)
            except PartstreamError as exc:
                return TextResponse.for_error(default_error_response(exc))
            converter = UIMessageStreamConverter(
                original_messages=chat.messages, generate_message_id=lambda: "msg-1"
            )
            return UIMessageStreamResponse(model.stream(prompt), converter=converter)

        app = Starlette(routes=[Route("/api/chat", chat, methods=["POST"])])
        async with serve_asgi(app) as served, httpx.AsyncClient() as client:
            ok = await _chat(served.url, client)
            bad = await _chat(served.url, client, messages=[])
    assert ok.status_code == 200
    frames = [json.loads(f[6:]) for f in ok.text.split("\n\n") if f.startswith("data: {")]
    assert frames[0] == {"type": "start", "messageId": "msg-1"}
    assert [f["type"] for f in frames][-2:] == ["finish-step", "finish"]
    assert "".join(f["delta"] for f in frames if f["type"] == "text-delta").startswith("You asked")
    assert ok.text.endswith("data: [DONE]\n\n")
    assert bad.status_code == 400
    assert "Messages array must not be empty" in bad.text


async def test_fastapi_returns_it_as_a_response(anyio_backend: str) -> None:
    fastapi = pytest.importorskip("fastapi", reason="FastAPI is an optional peer")
    app = fastapi.FastAPI()

    @app.post("/api/chat")  # type: ignore[untyped-decorator]
    async def chat() -> UIMessageStreamResponse:
        return UIMessageStreamResponse(Source([TEXT]))

    async with serve_asgi(app) as served, httpx.AsyncClient() as client:
        response = await client.post(served.url + "/api/chat")
    assert response.status_code == 200
    assert response.content == _expected(TEXT)


@pytest.mark.parametrize(
    ("error", "status", "text", "headers"),
    [
        (InvalidArgumentError("prompt: bad part"), 400, "prompt: bad part", {}),
        (
            APICallError(f"upstream {SECRET}", url="https://x", status_code=429, retry_after=2.5),
            429,
            "rate limited",
            {"retry-after": "3"},
        ),
        (
            APICallError(f"key {SECRET}", url="https://x", status_code=401),
            502,
            "returned an error",
            {},
        ),
        (RuntimeError(SECRET), 500, "An error occurred.", {}),
    ],
)
async def test_errors_before_the_first_part_are_http_errors(
    anyio_backend: str, error: Exception, status: int, text: str, headers: dict[str, str]
) -> None:
    for source in (Source(fail_on_enter=error), Source([[p.StreamStart()]], fail_after=error)):
        make = lambda s=source: UIMessageStreamResponse(s)  # noqa: E731
        async with _serving(make) as url, httpx.AsyncClient() as client:
            response = await client.post(url)
        assert response.status_code == status
        assert text in response.text
        assert SECRET not in response.text
        assert response.headers["content-type"] == "text/plain; charset=utf-8"
        for key, value in headers.items():
            assert response.headers[key] == value
        assert source.exited.is_set()


@pytest.mark.parametrize(("fault", "status"), [(429, 429), (401, 502), (500, 502), (503, 503)])
async def test_upstream_http_errors_of_the_real_model(
    anyio_backend: str, fault: int, status: int
) -> None:
    async with run_emulator(faults=Faults(status=fault)) as emulator:
        model = create_google(
            api_key=emulator.api_key, base_url=emulator.interactions_base_url
        ).interactions("gemini-2.5-flash")
        make = lambda: UIMessageStreamResponse(model.stream("hi"))  # noqa: E731
        async with _serving(make) as url, httpx.AsyncClient() as client:
            response = await client.post(url)
    assert response.status_code == status
    assert emulator.api_key not in response.text
    assert "emulated fault" not in response.text  # the upstream's body stays on the server


async def test_a_connect_error_is_a_502(anyio_backend: str) -> None:
    with anyio.fail_after(10):
        listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
        port = listener.extra(anyio.abc.SocketAttribute.local_port)
        await listener.aclose()  # nothing listens there any more
    model = create_google(api_key="k", base_url=f"http://127.0.0.1:{port}/v1beta").interactions(
        "gemini-2.5-flash"
    )
    make = lambda: UIMessageStreamResponse(model.stream("hi"))  # noqa: E731
    async with _serving(make) as url, httpx.AsyncClient() as client:
        response = await client.post(url)
    assert response.status_code == 502
    assert response.text == "Could not reach the model provider."


async def test_errors_after_the_start_go_in_band(anyio_backend: str) -> None:
    source = Source([TEXT[:2], TEXT[2:4]], fail_after=RuntimeError(SECRET))
    async with (
        _serving(lambda: UIMessageStreamResponse(source)) as url,
        httpx.AsyncClient() as client,
    ):
        response = await client.post(url)
    assert response.status_code == 200
    conv = UIMessageStreamConverter()
    expected = conv.start() + conv.feed(TEXT[:4]) + conv.fail(RuntimeError(SECRET))
    assert response.content == encode_sse(expected, done=True)
    assert b'data: {"type":"error","errorText":"An error occurred."}' in response.content
    assert SECRET.encode() not in response.content
    assert source.exited.is_set()


async def _read_a_little_then_leave(url: str) -> bytes:
    """POST, read the first bytes of the answer, close the connection."""
    host, port = url.removeprefix("http://").split(":")
    async with await anyio.connect_tcp(host, int(port)) as stream:
        await stream.send(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        return await stream.receive(4096)


async def test_disconnect_stops_the_upstream(anyio_backend: str) -> None:
    source = Source([TEXT[:3]], forever=lambda n: p.TextDelta(id="t", delta=f"{n} "), delay=0.01)
    async with _serving(lambda: UIMessageStreamResponse(source)) as url:
        await _read_a_little_then_leave(url)  # the browser goes away after the first bytes
        with anyio.fail_after(5):
            await source.exited.wait()
        produced = source.produced
        await anyio.sleep(0.2)
        assert source.produced == produced  # nothing reads the upstream any more


async def test_disconnect_cancels_a_background_run(anyio_backend: str) -> None:
    async with run_emulator(script=Script(background_interval=5)) as emulator:
        model = create_google(
            api_key=emulator.api_key, base_url=emulator.interactions_base_url
        ).interactions("gemini-2.5-flash")

        def make() -> UIMessageStreamResponse:
            stream = model.stream("slow", provider_options={"google": {"background": True}})
            return UIMessageStreamResponse(stream)

        async with _serving(make) as url:
            assert (await _read_a_little_then_leave(url)).startswith(b"HTTP/1.1 200")
            with anyio.fail_after(10):
                while not [r for r in emulator.app.requests if r.path.endswith("/cancel")]:
                    await anyio.sleep(0.02)
        (run,) = emulator.app.interactions.values()
        assert run.status() == "cancelled"


async def test_a_client_that_stops_reading_stops_the_upstream(anyio_backend: str) -> None:
    big = "x" * 65536
    source = Source([TEXT[:3]], forever=lambda n: p.TextDelta(id="t", delta=big))
    async with _serving(lambda: UIMessageStreamResponse(source)) as url:
        host, port = url.removeprefix("http://").split(":")
        stream = await anyio.connect_tcp(host, int(port))
        async with stream:
            await stream.send(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
            head = await stream.receive(1024)  # the headers, then read nothing more
            assert head.startswith(b"HTTP/1.1 200")
            with anyio.fail_after(20):
                while True:  # wait until the socket buffers are full and the producer stalls
                    before = source.produced
                    await anyio.sleep(0.3)
                    if source.produced == before:
                        break
            # Bounded by the kernel's socket buffers and the server's, not by the stream.
            assert source.produced * len(big) < 64 * 1024 * 1024
            assert not source.exited.is_set()


async def test_keep_alive_comments(anyio_backend: str) -> None:
    source = Source([TEXT[:3], TEXT[3:]], delay=0.25)
    make = lambda: UIMessageStreamResponse(source, keep_alive=0.05)  # noqa: E731
    async with _serving(make) as url, httpx.AsyncClient() as client:
        response = await client.post(url)
    body = response.content
    assert body.startswith(b": stream-open\n\n")
    assert b": keep-alive\n\n" in body
    frames = [f for f in body.split(b"\n\n") if f and not f.startswith(b":")]
    assert b"\n\n".join(frames) + b"\n\n" == _expected(TEXT)
    with pytest.raises(InvalidArgumentError, match="keep_alive"):
        UIMessageStreamResponse(source, keep_alive=0)


async def test_generated_files_by_url_are_downloaded_when_asked(anyio_backend: str) -> None:
    file = p.File(media_type="image/png", data=p.UrlContent(url="https://example.test/cat.png"))
    fetched: list[str] = []

    async def download(url: str) -> bytes:
        fetched.append(url)
        return b"\x89PNG"

    make = lambda: UIMessageStreamResponse(Source([[file, FINISH]]), download=download)  # noqa: E731
    async with _serving(make) as url, httpx.AsyncClient() as client:
        response = await client.post(url)
    data = base64.b64encode(b"\x89PNG").decode()
    assert f'"url":"data:image/png;base64,{data}"'.encode() in response.content
    assert fetched == ["https://example.test/cat.png"]


def _limited_app(limits: ChatRequestLimits, read: list[int]) -> Any:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return

        async def counting() -> Any:
            message = await receive()
            read[0] += len(message.get("body", b""))
            return message

        try:
            chat = await read_chat_request(counting, scope=scope, limits=limits)
        except PartstreamError as exc:
            await TextResponse.for_error(default_error_response(exc))(scope, receive, send)
            return
        await TextResponse(f"{len(chat.messages)} messages")(scope, receive, send)

    return app


def _complete(answer: bytes) -> bool:
    head, sep, body = answer.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.lower().split(b"\r\n"):
        if line.startswith(b"content-length:"):
            return len(body) >= int(line.split(b":", 1)[1])
    return True


async def _read_answer(stream: anyio.abc.ByteStream) -> bytes:
    """An HTTP/1.1 answer with a Content-Length body, or what came before EOF."""
    answer = b""
    while not _complete(answer):
        try:
            answer += await stream.receive(65536)
        except (anyio.EndOfStream, anyio.BrokenResourceError, OSError):
            break
    return answer


async def _raw_request(url: str, head: bytes, body_chunks: int, chunk: bytes) -> tuple[bytes, int]:
    """Send ``head`` then up to ``body_chunks`` chunks until the server answers."""
    host, port = url.removeprefix("http://").split(":")
    sent = 0
    async with await anyio.connect_tcp(host, int(port)) as stream:
        await stream.send(head)
        answer = b""
        async with anyio.create_task_group() as tg:

            async def reader() -> None:
                nonlocal answer
                answer = await _read_answer(stream)
                tg.cancel_scope.cancel()

            tg.start_soon(reader)
            try:
                for _ in range(body_chunks):
                    await stream.send(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
                    sent += len(chunk)
            except (anyio.BrokenResourceError, OSError):
                pass  # the server closed the connection after its answer
            with anyio.fail_after(10):
                await anyio.sleep_forever()
    return answer, sent


async def test_request_limits_over_http(anyio_backend: str) -> None:
    limits = ChatRequestLimits(max_body_bytes=64 * 1024, max_messages=3, max_data_url_bytes=1024)
    read = [0]
    async with serve_asgi(_limited_app(limits, read)) as served, httpx.AsyncClient() as client:
        ok = await client.post(served.url, json={"id": "c", "messages": [USER]})
        many = await client.post(served.url, json={"id": "c", "messages": [USER] * 4})
        file = {
            "type": "file",
            "mediaType": "image/png",
            "url": "data:image/png;base64," + "A" * 2000,
        }
        huge_file = await client.post(
            served.url, json={"id": "c", "messages": [{**USER, "parts": [file]}]}
        )
        # A 512 MiB body announced: refused from its Content-Length, before any of it.
        read[0] = 0
        declared, _ = await _raw_request(
            served.url,
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 536870912\r\n\r\n",
            0,
            b"",
        )
        assert read[0] == 0
        # A 512 MiB body streamed (chunked, no length): reading stops at the limit.
        read[0] = 0
        streamed, sent = await _raw_request(
            served.url,
            b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
            8192,
            b"x" * 65536,
        )
    assert ok.status_code == 200
    assert ok.text == "1 messages"
    assert many.status_code == 400
    assert "max_messages=" in many.text
    assert huge_file.status_code == 400
    assert "max_data_url_bytes=" in huge_file.text
    for answer in (declared, streamed):
        assert answer.startswith(b"HTTP/1.1 400")
        assert b"max_body_bytes=" in answer
    assert read[0] <= limits.max_body_bytes + 65536
    assert sent < 64 * 1024 * 1024  # the client got its answer long before 512 MiB
