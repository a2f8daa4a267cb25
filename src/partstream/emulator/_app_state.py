"""The emulator's state: keys, knobs, stored interactions, sessions, the request log.

``_AppState`` is the base of :class:`~partstream.emulator.EmulatorApp`: what every
route reads and writes (the accepted keys, the instance's ``script`` and
``faults``, the stored interactions, minted client secrets, open sessions, the
log of recent requests) and the per-request knobs and fault schedules.
"""

from __future__ import annotations

import json
import random
import time
from collections import deque
from typing import Any, Final

import anyio
import attrs

from ._asgi import FaultSchedule, Scope, header, headers_dict, query_params
from ._interactions import StoredInteraction
from ._realtime import RealtimeSession
from ._script_and_faults import (
    FAULT_HEADER,
    FAULT_QUERY,
    SCRIPT_HEADER,
    SCRIPT_QUERY,
    Faults,
    Script,
    parse_knobs,
)

__all__ = ["DEFAULT_API_KEY", "DEFAULT_GATEWAY_API_KEY", "RecordedRequest"]

#: The Google API key the emulator accepts unless told otherwise.
DEFAULT_API_KEY: Final = "emulator-key"
#: The AI Gateway key the emulator accepts unless told otherwise.
DEFAULT_GATEWAY_API_KEY: Final = "emulator-gateway-key"


@attrs.frozen
class RecordedRequest:
    """One request as the emulator saw it (``app.requests`` keeps the latest ones)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    at: float


class _AppState:
    """What the routes share (the base of ``EmulatorApp``)."""

    def __init__(
        self,
        *,
        api_key: str | None = DEFAULT_API_KEY,
        gateway_api_key: str | None = DEFAULT_GATEWAY_API_KEY,
        script: Script | None = None,
        faults: Faults | None = None,
        max_recorded_requests: int = 1000,
    ) -> None:
        self.api_key = api_key
        self.gateway_api_key = gateway_api_key
        self.script = script if script is not None else Script()
        self.faults = faults
        self.requests: deque[RecordedRequest] = deque(maxlen=max_recorded_requests)
        self.interactions: dict[str, StoredInteraction] = {}
        self.client_secrets: dict[str, float] = {}  # token -> expires at (epoch seconds)
        self.sessions: list[RealtimeSession] = []
        self._counter = 0
        self._fault_uses = 0
        self._rng_seed = faults.seed if faults is not None else 0
        self._rng = random.Random(self._rng_seed)
        self._scopes: set[anyio.CancelScope] = set()

    # --- bookkeeping ---------------------------------------------------------------------

    def next_id(self, prefix: str) -> str:
        self._counter += 1
        return f"{prefix}_{self._counter:06d}"

    def requests_to(self, method: str, path: str) -> list[RecordedRequest]:
        """Recorded requests with this method and path (exact)."""
        return [r for r in self.requests if r.method == method and r.path == path]

    def close_connections(self) -> None:
        """End every open stream and session now (the server is shutting down)."""
        for scope in list(self._scopes):
            scope.cancel()

    def _schedule(
        self, kind: str, stream: bool, own: Faults | None, has_own: bool
    ) -> FaultSchedule:
        """The fault schedule for one request: its own faults, else the instance's."""
        if has_own:
            return FaultSchedule(own, random.Random(own.seed if own is not None else 0))
        faults = self._instance_faults(kind, stream)
        if faults is not None and faults.seed != self._rng_seed:
            self._rng_seed = faults.seed
            self._rng = random.Random(faults.seed)
        return FaultSchedule(faults, self._rng)

    def _instance_faults(self, kind: str, stream: bool) -> Faults | None:
        faults = self.faults
        if faults is None or not faults.active:
            return None
        if faults.target not in ("all", kind) and not (faults.target == "stream" and stream):
            return None
        if faults.times is not None:
            if self._fault_uses >= faults.times:
                return None
            self._fault_uses += 1
        return faults

    def _knobs(self, scope: Scope) -> tuple[Script, Faults | None, bool]:
        query = query_params(scope)
        fault_text = header(scope, FAULT_HEADER) or query.get(FAULT_QUERY)
        script, faults = parse_knobs(
            self.script,
            None,
            script_text=header(scope, SCRIPT_HEADER) or query.get(SCRIPT_QUERY),
            fault_text=fault_text,
        )
        return script, faults, bool(fault_text)

    def _record(self, scope: Scope, body: bytes | None) -> None:
        parsed: Any = None
        if body:
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = body.decode("utf-8", "replace")
        self.requests.append(
            RecordedRequest(
                method=str(scope.get("method", "GET")),
                path=str(scope["path"]),
                query=query_params(scope),
                headers=headers_dict(scope),
                body=parsed,
                at=time.time(),
            )
        )
