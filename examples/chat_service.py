"""A chat service for the AI SDK's browser chat client (``useChat``), on asyncio or trio.

Routes (what ``DefaultChatTransport`` and the page use):

* ``POST /api/chat``: the transport's request (``{id, messages, trigger, messageId}``,
  plus the page's ``model`` (a Gemini model id), ``background`` (run it as a
  background interaction) and ``search`` (the google_search tool)). The answer
  is the UI message stream. It is produced in the service's task group, not in
  the request: a browser that leaves or reloads does not stop it.
* ``GET /api/chat/{id}/stream``: the chat's active answer from its start
  (``resume: true`` on reload), or ``204`` when there is none; ``?message=<id>``
  asks for that answer even if it ended meanwhile (the page reloaded mid-answer).
* ``POST /api/chat/{id}/stop``: stop the chat's answer (a background run is
  cancelled upstream); ``{"stopped": bool}``.
* ``POST /api/realtime/token``: a short-lived AI Gateway client secret for a
  browser realtime session (``{token, url, expiresAt}``, what ``useRealtime``'s
  ``api: {token}`` expects); the Gateway key never leaves the server.
* ``GET /``: the chat page; ``GET /realtime``: a realtime text session page
  (both bundled from ``examples/web/`` by ``python3 tasks.py web``).

Bounds: the request body and messages are limited while they are read (400),
answers produced at once are capped (503), the Google provider is opened once
for the service's life (one connection pool), an upstream 401/429/5xx at open
is an HTTP status (``partstream.ui.default_error_response``).

Configuration from the environment: ``GOOGLE_GENERATIVE_AI_API_KEY``,
``GOOGLE_BASE_URL``, ``AI_GATEWAY_API_KEY``, ``GATEWAY_BASE_URL``, and
``REDIS_URL`` (set: answers are logged in Redis, any worker serves them; unset:
in this process's memory). Run it against the embedded emulator (no keys)::

    python3 tasks.py web                                  # build the page once
    .venv/bin/python examples/chat_service.py --emulator  # http://127.0.0.1:8000/

or with real keys: ``.venv/bin/hypercorn examples.chat_service:app``.
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Final

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from partstream.errors import GatewayError, InvalidArgumentError, PartstreamError
from partstream.providers.gateway import create_gateway
from partstream.providers.google import DEFAULT_BASE_URL, create_google
from partstream.resumable import ChatStreams, MemoryStore, RedisStore, ResumableStore
from partstream.ui import (
    ChatRequestLimits,
    TextResponse,
    UIMessageStreamConverter,
    default_error_response,
    read_chat_request,
    to_prompt,
    tools_from_call_options,
)

DEFAULT_MODEL: Final = "gemini-2.5-flash"
DEFAULT_REALTIME_MODEL: Final = "openai/gpt-realtime"
SYSTEM: Final = "You are a helpful assistant. Answer briefly."
SEARCH: Final = [{"type": "provider", "id": "google.google_search", "name": "google_search"}]
#: What one chat request may hold (each limit answers 400 with its name).
LIMITS: Final = ChatRequestLimits(
    max_body_bytes=2 * 1024 * 1024, max_messages=200, max_data_url_bytes=1024 * 1024
)
#: Answers produced at once by this process (503 beyond).
MAX_STREAMS: Final = 64
_MODEL_ID: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,79}")
WEB_DIST: Final = Path(__file__).resolve().parent / "web" / "dist"
_ASSETS: Final = frozenset({"chat.js", "chat.css", "realtime.js"})


def _page(script: str, title: str) -> str:
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title><link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/chat.css"></head>
<body><div id="root"></div><script type="module" src="/assets/{script}"></script></body></html>
"""


NOT_BUILT: Final = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>partstream chat: not built</title></head>
<body><h1>The chat page is not built yet</h1>
<p>Build it once with <code>python3 tasks.py web</code> (it needs node and npm: it installs
<code>examples/web/package.json</code> and bundles the page with esbuild into
<code>examples/web/dist/</code>), then reload this page.</p></body></html>
"""


def call_options(body: Mapping[str, Any]) -> dict[str, Any]:
    """The model call the page asked for: ``model``, ``background``, ``search`` (checked)."""
    model = body.get("model", DEFAULT_MODEL)
    if not isinstance(model, str) or not _MODEL_ID.fullmatch(model):
        raise InvalidArgumentError("'model' must be a Gemini model id such as gemini-2.5-flash")
    for flag in ("background", "search"):
        if not isinstance(body.get(flag, False), bool):
            raise InvalidArgumentError(f"'{flag}' must be true or false")
    options: dict[str, Any] = {"model": model}
    if body.get("background"):
        options["provider_options"] = {"google": {"background": True}}
    if body.get("search"):
        options["tools"] = SEARCH
    return options


def create_app(
    *,
    google_api_key: str | None = None,
    google_base_url: str | None = None,
    gateway_api_key: str | None = None,
    gateway_base_url: str | None = None,
    redis_url: str | None = None,
    max_streams: int = MAX_STREAMS,
    limits: ChatRequestLimits = LIMITS,
    keep_alive: float = 15.0,
    web_dist: Path = WEB_DIST,
) -> Starlette:
    """The service. Keys default to the providers' environment variables."""
    gateway = create_gateway(api_key=gateway_api_key, base_url=gateway_base_url)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        store: ResumableStore = RedisStore(redis_url) if redis_url else MemoryStore()
        google = create_google(api_key=google_api_key, base_url=google_base_url or DEFAULT_BASE_URL)
        # One connection pool and one task group of answers for the service's life.
        async with (
            google,
            store,
            ChatStreams(store, max_streams=max_streams, keep_alive=keep_alive) as chats,
        ):
            app.state.google, app.state.chats = google, chats
            yield

    async def chat(request: Request) -> Response:
        try:
            chat = await read_chat_request(request, limits=limits)
            options = call_options(chat.body)
            prompt = to_prompt(chat.messages, system=SYSTEM)
        except PartstreamError as exc:  # a 400 that names the problem
            return TextResponse.for_error(default_error_response(exc))
        model = request.app.state.google.interactions(options.pop("model"))
        converter = UIMessageStreamConverter(
            tools=tools_from_call_options(options["tools"]) if "tools" in options else None,
            send_sources=True,
            original_messages=chat.messages,
        )
        chats: ChatStreams = request.app.state.chats
        return await chats.start(chat.id, model.stream(prompt, **options), converter=converter)

    async def resume(request: Request) -> Response:
        # ?message=<id>: the page reloaded holding that answer half done; it gets the
        # answer whole even if it ended meanwhile (else only an active one, else 204).
        message = request.query_params.get("message") or None
        chats: ChatStreams = request.app.state.chats
        try:
            return await chats.resume(request.path_params["id"], message_id=message)
        except InvalidArgumentError as exc:
            return TextResponse.for_error(default_error_response(exc))

    async def stop(request: Request) -> Response:
        try:
            stopped = await request.app.state.chats.stop(request.path_params["id"])
        except InvalidArgumentError as exc:
            return TextResponse.for_error(default_error_response(exc))
        return JSONResponse({"stopped": stopped})

    async def realtime_token(request: Request) -> Response:
        # The browser posts {sessionConfig}; the session config travels later, in its
        # own session-update. Read at most a little of it.
        size = 0
        async for piece in request.stream():
            size += len(piece)
            if size > 64 * 1024:
                return TextResponse("the request body is too large", 400)
        model = request.query_params.get("model", DEFAULT_REALTIME_MODEL)
        try:
            secret = await gateway.realtime(model).mint_client_secret(60)
        except GatewayError as exc:  # its text is the Gateway's: keep it on the server
            status = exc.status_code if 400 <= exc.status_code < 600 else 502
            return TextResponse("The AI Gateway refused the realtime session.", status)
        except PartstreamError as exc:
            return TextResponse.for_error(default_error_response(exc))
        return JSONResponse(secret.to_dict(), headers={"cache-control": "no-store"})

    def page(script: str, title: str) -> Any:
        async def serve(request: Request) -> Response:
            if not (web_dist / script).is_file():
                return HTMLResponse(NOT_BUILT, status_code=503)
            return HTMLResponse(_page(script, title))

        return serve

    async def asset(request: Request) -> Response:
        name = request.path_params["name"]
        path = web_dist / name
        if name not in _ASSETS or not path.is_file():
            return TextResponse("not found", 404)
        return FileResponse(path, headers={"cache-control": "no-cache"})

    return Starlette(
        lifespan=lifespan,
        routes=[
            Route("/", page("chat.js", "partstream chat")),
            Route("/realtime", page("realtime.js", "partstream realtime")),
            Route("/assets/{name}", asset),
            Route("/api/chat", chat, methods=["POST"]),
            Route("/api/chat/{id}/stream", resume),
            Route("/api/chat/{id}/stop", stop, methods=["POST"]),
            Route("/api/realtime/token", realtime_token, methods=["POST"]),
        ],
    )


app = create_app(
    google_base_url=os.environ.get("GOOGLE_BASE_URL"),
    gateway_base_url=os.environ.get("GATEWAY_BASE_URL"),
    redis_url=os.environ.get("REDIS_URL"),
)


async def _serve_with_emulator(host: str, port: int, interval: float) -> None:
    """The service and the emulator in one process, the service on ``host:port``."""
    import anyio

    from partstream.emulator import Script, run_emulator, serve_asgi

    async with run_emulator(script=Script(deltas=24, interval=interval)) as emulator:
        service = create_app(
            google_api_key=emulator.api_key,
            google_base_url=emulator.interactions_base_url,
            gateway_api_key=emulator.gateway_api_key,
            gateway_base_url=emulator.gateway_base_url,
        )
        async with serve_asgi(service, host=host, port=port, log_level="INFO") as served:
            print(f"chat service on {served.url}/ (the emulator on {emulator.url})", flush=True)
            await anyio.sleep_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description="the partstream chat service")
    parser.add_argument("--emulator", action="store_true", help="answer with the emulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--backend", choices=["asyncio", "trio"], default="asyncio")
    parser.add_argument(
        "--interval", type=float, default=0.05, help="seconds between emulated events"
    )
    args = parser.parse_args()
    import anyio

    if args.emulator:
        anyio.run(_serve_with_emulator, args.host, args.port, args.interval, backend=args.backend)
        return
    from partstream.emulator import serve_asgi

    async def serve() -> None:
        async with serve_asgi(app, host=args.host, port=args.port, log_level="INFO") as served:
            print(f"chat service on {served.url}/", flush=True)
            await anyio.sleep_forever()

    anyio.run(serve, backend=args.backend)


if __name__ == "__main__":
    main()
