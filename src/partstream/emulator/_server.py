"""Serving the emulator with hypercorn on loopback, on asyncio or trio."""

from __future__ import annotations

import ipaddress
import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any, Final
from urllib.parse import quote

import anyio
import attrs

from ._app import DEFAULT_API_KEY, DEFAULT_GATEWAY_API_KEY, EmulatorApp
from ._knobs import Faults, Script

__all__ = ["Emulator", "run_emulator"]

#: Seconds the server waits for open (idle keep-alive) connections when it stops;
#: the app ends its own streams and sessions first.
_GRACEFUL_TIMEOUT: Final = 0.1


@attrs.frozen
class Emulator:
    """A running emulator: where it listens and the app (its state and knobs)."""

    app: EmulatorApp
    host: str
    port: int

    @property
    def url(self) -> str:
        """The server root, ``http://127.0.0.1:PORT``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def interactions_base_url(self) -> str:
        """The Google base URL (pass it as ``create_google(base_url=...)``)."""
        return f"{self.url}/v1beta"

    @property
    def gateway_base_url(self) -> str:
        """The AI Gateway base URL (pass it as ``create_gateway(base_url=...)``)."""
        return f"{self.url}/v4/ai"

    def realtime_url(self, model: str) -> str:
        """The realtime WebSocket URL for ``model``."""
        ws = "ws" + self.gateway_base_url.removeprefix("http")
        return f"{ws}/realtime-model?ai-model-id={quote(model, safe='')}"

    @property
    def api_key(self) -> str:
        """A Google API key the emulator accepts."""
        return self.app.api_key or DEFAULT_API_KEY

    @property
    def gateway_api_key(self) -> str:
        """An AI Gateway key the emulator accepts."""
        return self.app.gateway_api_key or DEFAULT_GATEWAY_API_KEY


def _on_trio() -> bool:
    trio: Any = sys.modules.get("trio")
    if trio is None:
        return False
    try:
        trio.lowlevel.current_task()
    except RuntimeError:
        return False
    return True


def _check_loopback(host: str) -> None:
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        raise ValueError(f"the emulator listens on loopback only, not {host!r}")


@asynccontextmanager
async def run_emulator(
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    app: EmulatorApp | None = None,
    api_key: str | None = DEFAULT_API_KEY,
    gateway_api_key: str | None = DEFAULT_GATEWAY_API_KEY,
    script: Script | None = None,
    faults: Faults | None = None,
    log_level: str = "WARNING",
) -> AsyncIterator[Emulator]:
    """Serve the emulator with hypercorn on ``host:port`` for the ``async with`` block.

    ``port=0`` picks a free port (see ``Emulator.port``). Runs on the current
    event loop, asyncio or trio. Pass ``app`` to serve an existing
    :class:`EmulatorApp`; otherwise one is built from the other arguments.
    Leaving the block ends every open stream and session and stops the server.
    """
    from hypercorn.config import Config
    from hypercorn.utils import wrap_app

    _check_loopback(host)
    if app is None:
        app = EmulatorApp(
            api_key=api_key, gateway_api_key=gateway_api_key, script=script, faults=faults
        )
    config = Config()
    bind_host = f"[{host}]" if ":" in host else host
    config.bind = [f"{bind_host}:{port}"]
    config.graceful_timeout = _GRACEFUL_TIMEOUT
    config.accesslog = None
    logger = logging.getLogger("partstream.emulator")
    logger.setLevel(log_level)
    config.errorlog = logger
    sockets = config.create_sockets()
    for sock in sockets.insecure_sockets:
        sock.listen(config.backlog)
    bound_port = int(sockets.insecure_sockets[0].getsockname()[1])

    serve: Any
    if _on_trio():
        from hypercorn.trio.run import worker_serve as serve
    else:
        from hypercorn.asyncio.run import worker_serve as serve

    shutdown = anyio.Event()
    asgi: Any = app
    wrapped = wrap_app(asgi, config.wsgi_max_body_size, "asgi")
    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(
                partial(serve, wrapped, config, sockets=sockets, shutdown_trigger=shutdown.wait)
            )
            try:
                yield Emulator(app=app, host=host, port=bound_port)
            finally:
                app.close_connections()
                shutdown.set()
    finally:
        for sock in sockets.insecure_sockets:
            sock.close()
