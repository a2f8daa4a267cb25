"""A local emulator of the Google Interactions API and the AI Gateway realtime endpoint.

A plain ASGI application (:class:`EmulatorApp`) served by hypercorn on loopback,
on asyncio or trio::

    from partstream.emulator import run_emulator

    async with run_emulator() as emulator:         # a free port on 127.0.0.1
        google = create_google(api_key=emulator.api_key,
                               base_url=emulator.interactions_base_url)
        ...

or from the shell: ``partstream emulator --port 8787``. It is the demo's default
backend, the loopback peer of the test suite and a fault injector: see
:class:`Script` (the deterministic scripted model) and :class:`Faults` (drop,
stall, error status, malformed event, WebSocket close code), per instance or per
request with the ``x-emulator-script`` / ``x-emulator-fault`` headers (or the
``emulator-script`` / ``emulator-fault`` query parameters).

Endpoints: ``POST /v1beta/interactions`` (streaming, plain, background),
``GET /v1beta/interactions/{id}`` (``?stream=true&last_event_id=...`` to resume),
``POST /v1beta/interactions/{id}/cancel``, ``DELETE /v1beta/interactions/{id}``,
``WS /v4/ai/realtime-model?ai-model-id=...`` and ``POST /v1/realtime/client-secrets``.
Needs the ``emulator`` extra (hypercorn).
"""

from ._app import EmulatorApp as EmulatorApp
from ._app_state import DEFAULT_API_KEY as DEFAULT_API_KEY
from ._app_state import DEFAULT_GATEWAY_API_KEY as DEFAULT_GATEWAY_API_KEY
from ._app_state import RecordedRequest as RecordedRequest
from ._interactions import MALFORMED_SSE_FRAME as MALFORMED_SSE_FRAME
from ._interactions import StoredInteraction as StoredInteraction
from ._realtime_output import MALFORMED_WS_MESSAGE as MALFORMED_WS_MESSAGE
from ._script_and_faults import FAULT_HEADER as FAULT_HEADER
from ._script_and_faults import FAULT_QUERY as FAULT_QUERY
from ._script_and_faults import SCRIPT_HEADER as SCRIPT_HEADER
from ._script_and_faults import SCRIPT_QUERY as SCRIPT_QUERY
from ._script_and_faults import Faults as Faults
from ._script_and_faults import KnobError as KnobError
from ._script_and_faults import Script as Script
from ._server import Emulator as Emulator
from ._server import Served as Served
from ._server import run_emulator as run_emulator
from ._server import serve_asgi as serve_asgi

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_GATEWAY_API_KEY",
    "Emulator",
    "EmulatorApp",
    "FAULT_HEADER",
    "FAULT_QUERY",
    "Faults",
    "KnobError",
    "MALFORMED_SSE_FRAME",
    "MALFORMED_WS_MESSAGE",
    "RecordedRequest",
    "SCRIPT_HEADER",
    "SCRIPT_QUERY",
    "Script",
    "Served",
    "StoredInteraction",
    "run_emulator",
    "serve_asgi",
]
