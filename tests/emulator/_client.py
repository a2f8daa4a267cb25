"""Helpers for talking to the emulator over real HTTP in tests."""

from __future__ import annotations

import json
from typing import Any

import attrs
import httpx

from partstream.emulator import Emulator
from partstream.transports.sse import SSEDecoder


@attrs.define
class StreamResult:
    """What a client read from an SSE response before it ended (or failed)."""

    status: int
    raw: bytes
    events: list[dict[str, Any]]
    error: Exception | None


def headers(emulator: Emulator, **extra: str) -> dict[str, str]:
    return {"x-goog-api-key": emulator.api_key, "api-revision": "2026-05-20", **extra}


async def read_stream(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    json_body: Any = None,
    request_headers: dict[str, str] | None = None,
    timeout: float | None = 10.0,
) -> StreamResult:
    """Read an SSE response to its end, keeping what arrived if the connection fails."""
    decoder = SSEDecoder()
    raw = bytearray()
    events: list[dict[str, Any]] = []
    error: Exception | None = None
    status = 0
    try:
        async with client.stream(
            method, url, json=json_body, headers=request_headers, timeout=timeout
        ) as response:
            status = response.status_code
            async for chunk in response.aiter_raw():
                raw += chunk
                for event in decoder.feed(chunk):
                    events.append(_loads(event.data))
    except (httpx.TransportError, httpx.TimeoutException) as exc:
        error = exc
    return StreamResult(status=status, raw=bytes(raw), events=events, error=error)


def _loads(data: str) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except ValueError:
        return {"malformed": data}
    assert isinstance(value, dict)
    return value


def text_of(events: list[dict[str, Any]]) -> str:
    return "".join(
        e["delta"]["text"] for e in events if (e.get("delta") or {}).get("type") == "text"
    )


def without_ids(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Events with the per-interaction fields (ids, times) blanked, for comparisons."""
    text = json.dumps(events)
    for event in events:
        interaction = event.get("interaction") or {}
        for key in ("id", "created", "updated"):
            if interaction.get(key):
                text = text.replace(json.dumps(interaction[key]), '"*"')
        if event.get("interaction_id"):
            text = text.replace(json.dumps(event["interaction_id"]), '"*"')
    out = json.loads(text)
    for event in out:
        event.pop("event_id", None)
    assert isinstance(out, list)
    return out
