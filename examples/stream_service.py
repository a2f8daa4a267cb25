"""A Starlette service that re-streams Interactions parts to browsers and relays realtime sessions.

Routes:

* ``POST /chat`` with ``{"prompt": "...", "background": false}``: the model's stream
  parts as server-sent events, one ``data: <part JSON>`` frame per part (the AI SDK
  JSON shape, ``part.to_dict()``), then ``data: [DONE]``. The browser's pace is the
  model's pace: a slow reader slows the upstream socket, nothing piles up. A
  browser that goes away ends the upstream stream (and cancels a background run).
* ``WS /realtime?model=...``: a realtime relay. The browser sends normalized
  client events (JSON text); the service forwards them over its own AI Gateway
  session and sends the server events back. The Gateway credential stays here.
* ``GET /``: a tiny page that uses both.

Run it against the local emulator (no keys needed)::

    partstream emulator --port 8787 &
    GOOGLE_BASE_URL=http://127.0.0.1:8787/v1beta GOOGLE_GENERATIVE_AI_API_KEY=emulator-key \\
    GATEWAY_BASE_URL=http://127.0.0.1:8787/v4/ai AI_GATEWAY_API_KEY=emulator-gateway-key \\
    hypercorn examples.stream_service:app

or with real keys and no ``*_BASE_URL``. Needs starlette (a dev dependency).
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from partstream import errors
from partstream.providers.gateway import create_gateway
from partstream.providers.google import create_google

DEFAULT_MODEL = "gemini-2.5-flash"
DEFAULT_REALTIME_MODEL = "openai/gpt-realtime"
MAX_PROMPT_CHARS = 32_000

PAGE = """<!doctype html>
<meta charset="utf-8"><title>partstream service</title>
<form id="f"><input id="p" size="60" value="Explain backpressure."><button>ask</button></form>
<pre id="out"></pre>
<script>
f.onsubmit = async (e) => {
  e.preventDefault(); out.textContent = "";
  const r = await fetch("chat", {method: "POST", body: JSON.stringify({prompt: p.value})});
  const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  for (;;) {
    const {value, done} = await reader.read(); if (done) break;
    buf += value; const frames = buf.split("\\n\\n"); buf = frames.pop();
    for (const f of frames) {
      const data = f.slice(6); if (data === "[DONE]") continue;
      const part = JSON.parse(data);
      if (part.type === "text-delta") out.textContent += part.delta;
    }
  }
};
</script>
"""


def sse_frame(value: Any) -> bytes:
    """One server-sent event carrying ``value`` as JSON (``data:`` never spans lines)."""
    return b"data: " + json.dumps(value, ensure_ascii=False).encode() + b"\n\n"


def _client_event(text: str) -> dict[str, Any] | str:
    """A browser's client event, or why it is not one."""
    try:
        event = json.loads(text)
    except ValueError:
        return "the message is not JSON"
    if not isinstance(event, dict):
        return "a client event is a JSON object"
    return event


def create_app(
    *,
    google_api_key: str | None = None,
    google_base_url: str | None = None,
    gateway_api_key: str | None = None,
    gateway_base_url: str | None = None,
    model: str = DEFAULT_MODEL,
) -> Starlette:
    """The service; keys and base URLs default to the providers' own (environment) defaults."""
    google = (
        create_google(api_key=google_api_key, base_url=google_base_url)
        if google_base_url
        else create_google(api_key=google_api_key)
    )
    gateway = create_gateway(api_key=gateway_api_key, base_url=gateway_base_url)

    async def page(request: Request) -> Response:
        return HTMLResponse(PAGE)

    async def chat(request: Request) -> Response:
        try:
            body = json.loads(await request.body())
        except ValueError:
            body = None
        prompt = body.get("prompt") if isinstance(body, dict) else None
        if not isinstance(prompt, str) or not prompt or len(prompt) > MAX_PROMPT_CHARS:
            return JSONResponse(
                {"error": f"send {{'prompt': a string of 1..{MAX_PROMPT_CHARS} characters}}"},
                status_code=400,
            )
        options: dict[str, Any] = {}
        if body.get("background") is True:
            options["provider_options"] = {"google": {"background": True}}
        stream = google.interactions(model).stream(prompt, **options)

        async def frames() -> AsyncIterator[bytes]:
            # Cancelled when the browser goes away: leaving the block closes the
            # upstream stream (and cancels an unfinished background run).
            try:
                async with stream as parts:
                    async for part in parts:
                        yield sse_frame(part.to_dict())
            except errors.PartstreamError as exc:
                # The upstream failed after the response started: tell the browser in band.
                yield sse_frame({"type": "error", "error": str(exc)})
            yield b"data: [DONE]\n\n"

        return StreamingResponse(
            frames(),
            media_type="text/event-stream",
            headers={"cache-control": "no-cache", "x-accel-buffering": "no"},
        )

    async def realtime(websocket: WebSocket) -> None:
        await websocket.accept()
        model_id = websocket.query_params.get("model", DEFAULT_REALTIME_MODEL)
        try:
            async with (
                gateway.realtime(model_id).connect() as session,
                anyio.create_task_group() as tg,
            ):

                async def browser_to_gateway() -> None:
                    while True:
                        try:
                            text = await websocket.receive_text()
                        except WebSocketDisconnect:
                            tg.cancel_scope.cancel()
                            return
                        event = _client_event(text)
                        if isinstance(event, str):
                            await websocket.send_text(
                                json.dumps({"type": "error", "code": "relay", "message": event})
                            )
                            continue
                        await session.send(event)

                async def gateway_to_browser() -> None:
                    async for event in session:
                        await websocket.send_text(json.dumps(event.to_dict()))
                    tg.cancel_scope.cancel()

                tg.start_soon(browser_to_gateway)
                tg.start_soon(gateway_to_browser)
        except errors.PartstreamError as exc:
            message = json.dumps({"type": "error", "code": "upstream", "message": str(exc)})
            try:
                await websocket.send_text(message)
                await websocket.close(code=1011)
            except (WebSocketDisconnect, RuntimeError):
                pass  # the browser is gone already
            return
        try:
            await websocket.close(code=1000)
        except RuntimeError:
            pass  # the browser closed first

    return Starlette(
        routes=[
            Route("/", page),
            Route("/chat", chat, methods=["POST"]),
            WebSocketRoute("/realtime", realtime),
        ]
    )


app = create_app(
    google_base_url=os.environ.get("GOOGLE_BASE_URL"),
    gateway_base_url=os.environ.get("GATEWAY_BASE_URL"),
)
