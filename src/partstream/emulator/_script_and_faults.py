"""The emulator's scripted model (`Script`) and fault injection (`Faults`): its knobs.

Both are frozen attrs classes. An emulator instance has defaults for each
(``EmulatorApp.script`` / ``EmulatorApp.faults``, both assignable at run time);
a single request overrides them with a header or a query parameter holding
``key=value`` pairs separated by ``;`` or ``,`` (keys accept ``-`` or ``_``)::

    x-emulator-script: deltas=40; delta-chars=16; interval=0.01
    x-emulator-fault: drop-after=5
    GET /v4/ai/realtime-model?ai-model-id=m&emulator-fault=close-code%3D4001

The query parameter names are ``emulator-script`` and ``emulator-fault`` (a
browser WebSocket cannot set headers). A bad knob is answered with a 400.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final

import attrs

__all__ = [
    "FAULT_HEADER",
    "FAULT_QUERY",
    "FAULT_TARGETS",
    "SCRIPT_HEADER",
    "SCRIPT_QUERY",
    "Faults",
    "KnobError",
    "Script",
    "parse_knobs",
]

SCRIPT_HEADER: Final = "x-emulator-script"
FAULT_HEADER: Final = "x-emulator-fault"
SCRIPT_QUERY: Final = "emulator-script"
FAULT_QUERY: Final = "emulator-fault"

#: What an instance-level `Faults` applies to (`Faults.target`).
FAULT_TARGETS: Final = frozenset(
    {"all", "create", "get", "stream", "cancel", "realtime", "client-secrets"}
)

#: Bounds on what one scripted answer may cost the emulator (a 400 beyond them).
MAX_DELTAS: Final = 1_000_000
MAX_DELTA_CHARS: Final = 1 << 20
MAX_TEXT_CHARS: Final = 64 << 20


class KnobError(ValueError):
    """A knob header, query parameter or constructor argument is not valid."""


def _non_negative(name: str) -> Any:
    def check(_instance: Any, _attribute: Any, value: float | None) -> None:
        if value is not None and (not math.isfinite(value) or value < 0):
            raise KnobError(f"{name} must be a finite number >= 0, got {value!r}")

    return check


@attrs.frozen(kw_only=True)
class Script:
    """How the deterministic scripted model answers.

    - ``deltas``: number of text deltas in an answer (Interactions ``step.delta``
      text events; realtime ``text-delta`` / ``audio-transcript-delta`` events).
    - ``delta_chars``: when set, every text delta is exactly this many
      characters (the answer is the prompt-derived text, repeated to fit);
      otherwise the prompt-derived answer is split into ``deltas`` pieces.
    - ``interval``: seconds between events of a live stream (pacing).
    - ``background_interval``: seconds between events of a ``background: true``
      interaction, which progresses on the emulator's clock whether or not
      anyone is listening (so a ``POST`` returns it ``in_progress``).
    - ``thought_summary``: include a thought summary delta in the thought step.
    - ``audio_chunks`` / ``audio_chunk_bytes``: realtime ``audio-delta`` count
      and size (PCM16 bytes before base64).
    """

    deltas: int = attrs.field(default=6)
    delta_chars: int | None = None
    interval: float = attrs.field(default=0.0, validator=_non_negative("interval"))
    background_interval: float = attrs.field(
        default=0.05, validator=_non_negative("background_interval")
    )
    thought_summary: bool = True
    audio_chunks: int = 4
    audio_chunk_bytes: int = 960

    def __attrs_post_init__(self) -> None:
        if not 1 <= self.deltas <= MAX_DELTAS:
            raise KnobError(f"deltas must be in 1..{MAX_DELTAS}, got {self.deltas}")
        if self.delta_chars is not None:
            if not 1 <= self.delta_chars <= MAX_DELTA_CHARS:
                raise KnobError(f"delta_chars must be in 1..{MAX_DELTA_CHARS}")
            if self.deltas * self.delta_chars > MAX_TEXT_CHARS:
                raise KnobError(f"deltas * delta_chars must be <= {MAX_TEXT_CHARS}")
        if not 0 <= self.audio_chunks <= 10_000:
            raise KnobError("audio_chunks must be in 0..10000")
        if not 2 <= self.audio_chunk_bytes <= MAX_DELTA_CHARS or self.audio_chunk_bytes % 2:
            raise KnobError(f"audio_chunk_bytes must be even and in 2..{MAX_DELTA_CHARS}")


@attrs.frozen(kw_only=True)
class Faults:
    """Faults to inject, counted in server events of one connection.

    - ``status``: answer with this HTTP error status instead (Google's or the
      Gateway's error body shape; a WebSocket handshake is refused with it).
    - ``drop_after``: after this many events, drop the connection: an HTTP
      response ends mid-body (the chunked body is never terminated, the socket
      closes), a WebSocket closes with 1011 (ASGI cannot abort without a close
      frame).
    - ``drop_probability`` with ``seed``: before each event, drop with this
      probability (a ``random.Random(seed)`` per emulator, so runs repeat).
    - ``stall_after`` / ``stall_seconds``: after this many events, send nothing
      for ``stall_seconds`` (``None``: until the client goes away).
    - ``malformed_after``: after this many events, send one malformed event
      (invalid JSON) and carry on.
    - ``error_after``: SSE only: after this many events, send an ``error`` event
      (the API's in-stream failure) and end the stream there.
    - ``close_code`` / ``close_after``: WebSocket only: after ``close_after``
      events, close with ``close_code``.
    - ``target``: instance-level faults apply to ``all`` requests or only to one
      kind: ``create`` (POST interactions), ``get`` (GET an interaction,
      streaming or not), ``stream`` (any SSE response), ``cancel``,
      ``realtime``, ``client-secrets``.
    - ``times``: instance-level faults apply to this many matching requests,
      then stop (``None``: always).
    """

    status: int | None = None
    drop_after: int | None = None
    drop_probability: float = 0.0
    seed: int = 0
    stall_after: int | None = None
    stall_seconds: float | None = attrs.field(
        default=None, validator=_non_negative("stall_seconds")
    )
    malformed_after: int | None = None
    error_after: int | None = None
    close_code: int | None = None
    close_after: int = 0
    target: str = "all"
    times: int | None = None

    def __attrs_post_init__(self) -> None:
        if self.status is not None and not 400 <= self.status <= 599:
            raise KnobError(f"status must be an HTTP error status (400..599), got {self.status}")
        for name in ("drop_after", "stall_after", "malformed_after", "error_after", "times"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise KnobError(f"{name} must be >= 0, got {value}")
        if self.close_after < 0:
            raise KnobError("close_after must be >= 0")
        if not 0.0 <= self.drop_probability <= 1.0:
            raise KnobError("drop_probability must be in [0, 1]")
        if self.close_code is not None and not (
            self.close_code in (1000, 1001, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014)
            or 3000 <= self.close_code <= 4999
        ):
            raise KnobError(f"close_code {self.close_code} cannot be sent in a close frame")
        if self.target not in FAULT_TARGETS:
            raise KnobError(f"target must be one of {sorted(FAULT_TARGETS)}, got {self.target!r}")

    @property
    def active(self) -> bool:
        """Whether any fault is configured."""
        return (
            self.status is not None
            or self.drop_after is not None
            or self.drop_probability > 0
            or self.stall_after is not None
            or self.malformed_after is not None
            or self.error_after is not None
            or self.close_code is not None
        )


_SCRIPT_FIELDS: Final = {
    "deltas": int,
    "delta_chars": int,
    "interval": float,
    "background_interval": float,
    "thought_summary": bool,
    "audio_chunks": int,
    "audio_chunk_bytes": int,
}
_FAULT_FIELDS: Final = {
    "status": int,
    "drop_after": int,
    "drop_probability": float,
    "seed": int,
    "stall_after": int,
    "stall_seconds": float,
    "malformed_after": int,
    "error_after": int,
    "close_code": int,
    "close_after": int,
    "target": str,
    "times": int,
}


def _convert(key: str, kind: type, text: str) -> Any:
    if text.lower() in ("none", "null", ""):
        return None
    bad = KnobError(f"knob {key!r}: {text!r} is not a valid {kind.__name__}")
    if kind is bool:
        if text.lower() in ("1", "true", "yes", "on"):
            return True
        if text.lower() in ("0", "false", "no", "off"):
            return False
        raise bad
    try:
        value = kind(text)
    except ValueError:
        raise bad from None
    if kind is float and not math.isfinite(value):
        raise bad
    return value


def _parse(text: str, fields: Mapping[str, type]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for item in text.replace(",", ";").split(";"):
        item = item.strip()
        if not item:
            continue
        key, sep, raw = item.partition("=")
        name = key.strip().lower().replace("-", "_")
        if not sep or name not in fields:
            raise KnobError(f"unknown knob {key.strip()!r} (known: {', '.join(sorted(fields))})")
        values[name] = _convert(name, fields[name], raw.strip())
    return values


def parse_knobs(
    base_script: Script,
    base_faults: Faults | None,
    *,
    script_text: str | None,
    fault_text: str | None,
) -> tuple[Script, Faults | None]:
    """Apply a request's knob texts over the instance defaults (raises KnobError)."""
    script = base_script
    faults = base_faults
    try:
        if script_text:
            script = attrs.evolve(base_script, **_parse(script_text, _SCRIPT_FIELDS))
        if fault_text:
            # A request's own faults replace the instance ones and apply to it whole.
            faults = Faults(**_parse(fault_text, _FAULT_FIELDS))
    except TypeError as exc:  # a None where a value is required
        raise KnobError(str(exc)) from None
    return script, faults
