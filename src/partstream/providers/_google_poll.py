"""Polling a background interaction until it reaches a terminal status.

``GET {base}/interactions/{id}`` every 1 s, doubling up to 10 s, for at most
30 minutes (``providerOptions.google.pollingTimeoutMs`` overrides the limit). If
the caller cancels before the interaction finished, a best-effort ``POST
.../cancel`` is sent once, shielded and bounded, so the run stops on Google's
side. When the limit passes, :class:`~partstream.errors.PollingTimeoutError` is
raised and the run is left alone, as in the AI SDK (which cancels only on abort):
the error names the interaction, so the caller can still fetch, resume or cancel
it. The clock and the sleep are injectable for tests.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final, final

import anyio
import attrs
import httpx

from .. import errors
from ._google_http import ApiConfig, JsonResponse, send_cancel, send_json

__all__ = [
    "TERMINAL_STATUSES",
    "Canceller",
    "PollingPolicy",
    "is_terminal_status",
    "poll_until_terminal",
]

#: Statuses after which an interaction does no more work.
TERMINAL_STATUSES: Final = frozenset({"completed", "failed", "cancelled", "incomplete"})


def is_terminal_status(status: object) -> bool:
    return isinstance(status, str) and status in TERMINAL_STATUSES


def _check_delay(name: str) -> Callable[[Any, Any, float], None]:
    def check(instance: Any, attribute: Any, value: Any) -> None:
        if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
            raise errors.InvalidArgumentError(
                f"{name} must be a finite number of seconds >= 0, got {value!r}", argument=name
            )

    return check


@final
@attrs.frozen
class PollingPolicy:
    """How ``generate`` polls a background agent run.

    ``initial_delay`` seconds before the first ``GET``, doubling after each
    non-terminal answer up to ``max_delay``; gives up with
    :class:`~partstream.errors.PollingTimeoutError` after ``timeout`` seconds
    (``providerOptions.google.pollingTimeoutMs`` overrides ``timeout`` per call).
    ``clock`` and ``sleep`` default to anyio's and exist for tests.
    """

    initial_delay: float = attrs.field(default=1.0, validator=_check_delay("initial_delay"))
    max_delay: float = attrs.field(default=10.0, validator=_check_delay("max_delay"))
    timeout: float = attrs.field(default=30 * 60.0, validator=_check_delay("timeout"))
    clock: Callable[[], float] = anyio.current_time
    sleep: Callable[[float], Awaitable[None]] = anyio.sleep


@final
class Canceller:
    """Sends ``POST .../interactions/{id}/cancel`` at most once."""

    __slots__ = ("_config", "_headers", "interaction_id", "sent")

    def __init__(self, config: ApiConfig, headers: Mapping[str, str]) -> None:
        self._config = config
        self._headers = dict(headers)
        self.interaction_id: str | None = None
        self.sent = False

    async def cancel(self) -> None:
        """Cancel the interaction (once; a no-op without an id). Shielded, bounded, silent."""
        if self.sent or not self.interaction_id:
            return
        self.sent = True
        await send_cancel(self._config, self.interaction_id, self._headers)


async def poll_until_terminal(
    config: ApiConfig,
    client: httpx.AsyncClient,
    interaction_id: str | None,
    headers: Mapping[str, str],
    policy: PollingPolicy,
    *,
    timeout: float | None = None,
) -> JsonResponse:
    """Poll until the interaction's status is terminal; return that response.

    Raises :class:`~partstream.errors.InvalidResponseDataError` before any request
    when there is no id to poll, :class:`~partstream.errors.PollingTimeoutError`
    when the limit passes first (the run goes on). Cancellation sends the cancel
    request.
    """
    if not interaction_id:
        raise errors.InvalidResponseDataError(
            "google.interactions: cannot poll a background interaction without an id; "
            "the POST response did not include an interaction id."
        )
    limit = policy.timeout if timeout is None else timeout
    canceller = Canceller(config, headers)
    canceller.interaction_id = interaction_id
    try:
        response = await _poll(config, client, interaction_id, headers, policy, limit)
    except BaseException as exc:
        # The caller gave up (cancellation, a timeout around us): stop the run on
        # Google's side. The cancel is shielded, so it survives this cancellation.
        if isinstance(exc, anyio.get_cancelled_exc_class()):
            await canceller.cancel()
        raise
    if response is None:
        timeout_ms = limit * 1000
        shown = str(int(timeout_ms)) if float(timeout_ms).is_integer() else str(timeout_ms)
        raise errors.PollingTimeoutError(
            f"google.interactions: timed out polling interaction {interaction_id} after {shown}ms.",
            interaction_id=interaction_id,
            timeout_ms=timeout_ms,
        )
    return response


async def _poll(
    config: ApiConfig,
    client: httpx.AsyncClient,
    interaction_id: str,
    headers: Mapping[str, str],
    policy: PollingPolicy,
    limit: float,
) -> JsonResponse | None:
    """The polling loop: the terminal response, or ``None`` once ``limit`` has passed."""
    url = config.url("interactions", interaction_id)
    started = policy.clock()
    delay = policy.initial_delay
    while True:
        remaining = limit - (policy.clock() - started)
        if remaining <= 0:
            return None
        # Sleep no further than the deadline; the last GET happens at the deadline.
        await policy.sleep(min(delay, remaining))
        response = await send_json(config, client, "GET", url, headers)
        if is_terminal_status(response.value.get("status")):
            return response
        delay = min(delay * 2, policy.max_delay)
