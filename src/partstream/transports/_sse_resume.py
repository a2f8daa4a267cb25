"""How an SSE stream resumes: the policy, and when the server says to come back.

:class:`ResumePolicy` is the reconnection rule of :class:`SSESource` (attempts,
delays, where the last event ID travels); :func:`parse_retry_after` reads the
``retry-after-ms`` / ``Retry-After`` headers of a failed response.
"""

from __future__ import annotations

import email.utils
import math
import random
import time
from collections.abc import Callable
from typing import Any, Literal, final

import attrs
import httpx

from ..errors import InvalidArgumentError

__all__ = ["ResumePolicy", "parse_retry_after"]


def _positive_number(name: str, *, allow_zero: bool = True) -> Callable[[Any, Any, Any], None]:
    def check(_instance: Any, _attribute: Any, value: Any) -> None:
        ok = (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and math.isfinite(value)
            and (value >= 0 if allow_zero else value > 0)
        )
        if not ok:
            bound = ">= 0" if allow_zero else "> 0"
            raise InvalidArgumentError(f"{name} must be a finite number {bound}", argument=name)

    return check


def _check_attempts(_instance: Any, _attribute: Any, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidArgumentError("max_attempts must be an int >= 1", argument="max_attempts")


def _check_id_in(_instance: Any, _attribute: Any, value: Any) -> None:
    if value not in ("header", "query"):
        raise InvalidArgumentError('id_in must be "header" or "query"', argument="id_in")


@final
@attrs.frozen
class ResumePolicy:
    """How an :class:`SSESource` reconnects; the defaults are the AI SDK's.

    ``max_attempts`` consecutive failed attempts give up; the delay before a
    reconnection is ``base_delay`` seconds times the number of consecutive
    failures (a server ``retry:`` field or a ``Retry-After`` header replaces
    it), at most ``max_delay``, multiplied by a random factor in
    ``[1, 1 + jitter]``. The last event ID travels in the ``Last-Event-ID``
    header (``id_in="header"``) or in the query parameter ``query_param``.
    """

    max_attempts: int = attrs.field(default=3, validator=_check_attempts)
    base_delay: float = attrs.field(default=0.5, validator=_positive_number("base_delay"))
    jitter: float = attrs.field(default=0.0, validator=_positive_number("jitter"))
    id_in: Literal["header", "query"] = attrs.field(default="header", validator=_check_id_in)
    query_param: str = "last_event_id"
    max_delay: float = attrs.field(default=60.0, validator=_positive_number("max_delay"))

    def delay(
        self,
        failures: int,
        *,
        server_retry: float | None = None,
        retry_after: float | None = None,
        rand: Callable[[], float] = random.random,
    ) -> float:
        """Seconds to wait before the next attempt after ``failures`` consecutive failures."""
        if retry_after is not None:
            base = retry_after  # the HTTP response said when to come back
        elif server_retry is not None:
            base = server_retry  # WHATWG: the stream's reconnection time
        else:
            base = self.base_delay * failures
        base = min(max(base, 0.0), self.max_delay)
        if self.jitter and base:
            base *= 1.0 + self.jitter * rand()
        return base


def parse_retry_after(headers: httpx.Headers, *, now: float | None = None) -> float | None:
    """Seconds from ``retry-after-ms`` or ``Retry-After`` (seconds or an HTTP date)."""
    ms = headers.get("retry-after-ms")
    if ms is not None:
        try:
            value = float(ms)
        except ValueError:
            value = math.nan
        if math.isfinite(value) and value >= 0:
            return value / 1000.0
    raw = headers.get("retry-after")
    if raw is None:
        return None
    raw = raw.strip()
    try:
        seconds = float(raw)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            return None
        current = time.time() if now is None else now
        return max(0.0, when.timestamp() - current)
    return seconds if math.isfinite(seconds) and seconds >= 0 else None
