"""Serving the emulator with hypercorn on loopback, on asyncio or trio."""

from __future__ import annotations

import ipaddress
import logging
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, Final
from urllib.parse import quote

import anyio
import attrs

from ._app import EmulatorApp
from ._app_state import DEFAULT_API_KEY, DEFAULT_GATEWAY_API_KEY
from ._script_and_faults import Faults, Script

__all__ = ["Emulator", "Served", "run_emulator", "serve_asgi"]

#: Seconds the server waits for open (idle keep-alive) connections when it stops;
#: the app ends its own streams and sessions first.
_GRACEFUL_TIMEOUT: Final = 0.1
#: Longest wait for the server to stop before it is cancelled outright.
_STOP_TIMEOUT: Final = 5.0


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
        raise ValueError(f"the emulator serves on loopback only, not {host!r}")


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
    if app is None:
        app = EmulatorApp(
            api_key=api_key, gateway_api_key=gateway_api_key, script=script, faults=faults
        )
    async with serve_asgi(
        app, host=host, port=port, log_level=log_level, before_stop=app.close_connections
    ) as served:
        yield Emulator(app=app, host=served.host, port=served.port)


@attrs.frozen
class Served:
    """Where :func:`serve_asgi` listens."""

    host: str
    port: int

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


@asynccontextmanager
async def serve_asgi(
    app: Any,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    log_level: str = "WARNING",
    before_stop: Callable[[], None] | None = None,
) -> AsyncIterator[Served]:
    """Serve any ASGI application with hypercorn on loopback for the ``async with`` block.

    The emulator is served this way; so can be an application under test (the
    example service's tests do). ``port=0`` picks a free port; the current event
    loop (asyncio or trio) runs the server. On exit ``before_stop`` runs, then the
    server stops gracefully (briefly: open connections get ``0.1`` s), even when
    the block failed or was cancelled; an error in the block is re-raised as itself.
    """
    from hypercorn.config import Config
    from hypercorn.utils import wrap_app

    _check_loopback(host)
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
    stopped = anyio.Event()
    wrapped = wrap_app(app, config.wsgi_max_body_size, "asgi")

    # The server runs shielded: an outer cancellation must not cut hypercorn's own
    # shutdown short (cancelling it mid-shutdown trips it up); it is stopped below.
    server_scope = anyio.CancelScope(shield=True)

    async def run_server() -> None:
        try:
            with server_scope:
                await serve(wrapped, config, sockets=sockets, shutdown_trigger=shutdown.wait)
        finally:
            stopped.set()

    error: BaseException | None = None
    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(run_server)
            try:
                yield Served(host=host, port=bound_port)
            except BaseException as exc:
                # Re-raised below, once the server is down, so that it reaches the
                # caller as itself rather than inside an exception group.
                error = exc
            finally:
                if before_stop is not None:
                    before_stop()
                shutdown.set()
                with anyio.CancelScope(shield=True):
                    with anyio.move_on_after(_STOP_TIMEOUT):
                        await stopped.wait()
                    server_scope.cancel()
    finally:
        for sock in sockets.insecure_sockets:
            sock.close()
    if error is not None:
        raise error
