"""Running the matrix on both sides and normalising what each side did.

:func:`run_reference` serves the emulator in a thread of its own, runs every case
through the AI SDK in one Node process (``differential.mjs``) and keeps, per case,
the driver's outcome and the requests the emulator recorded for it.
:func:`run_partstream` runs one case through partstream against an emulator of the
calling test. :func:`normalise` turns either side's record into the document the
test compares; every rule there says why it is needed.
"""

from __future__ import annotations

import inspect
import json
import queue
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

import anyio
import attrs
from tests.reference.matrix import CASE_HEADER, CASES, Case, partstream_call_options
from tests.reference.node import run_driver

from partstream import errors
from partstream.emulator import Emulator, EmulatorApp, RecordedRequest, run_emulator
from partstream.providers.gateway import GatewayRealtimeSession, create_gateway
from partstream.providers.google import PollingPolicy, create_google
from partstream.transports.sse import ResumePolicy

__all__ = [
    "IGNORED_REQUEST_HEADERS",
    "Record",
    "ReferenceRun",
    "known_ids",
    "normalise",
    "run_partstream",
    "run_reference",
]


@attrs.frozen
class Record:
    """What one side did for one case: the outcome and the emulator's view of it."""

    outcome: dict[str, Any]
    requests: list[RecordedRequest]
    known_ids: frozenset[str]


@attrs.frozen
class ReferenceRun:
    versions: dict[str, str]
    records: dict[str, Record]


# --- the reference side ---------------------------------------------------------------


def known_ids(app: EmulatorApp) -> frozenset[str]:
    """The ids the emulator made up (interaction ids, event-id tags, step ids).

    They differ from run to run (they hash a counter and the clock), so
    :func:`normalise` replaces them with placeholders.
    """
    found: set[str] = set()
    for interaction in app.interactions.values():
        found.update((interaction.id, interaction.tag))
        for event in interaction.events:
            step = event.get("step")
            if isinstance(step, dict):
                found.update(v for k in ("id", "call_id") if isinstance(v := step.get(k), str))
    found.discard("")
    return frozenset(found)


def _requests_of(case: Case, requests: Iterable[RecordedRequest]) -> list[RecordedRequest]:
    if case.kind == "realtime":
        # A WebSocket handshake carries no custom header in the reference (a browser
        # WebSocket cannot set one): the case's own model id tells it apart.
        def mine(r: RecordedRequest) -> bool:
            if r.path.endswith("/realtime-model"):
                return r.query.get("ai-model-id") == case.model_id
            return r.headers.get(CASE_HEADER) == case.name
    else:

        def mine(r: RecordedRequest) -> bool:
            return r.headers.get(CASE_HEADER) == case.name

    return [r for r in requests if mine(r)]


def run_reference(cases: Iterable[Case] = CASES) -> ReferenceRun:
    """Every case through the AI SDK in one Node run against one emulator."""
    cases = list(cases)
    ready: queue.Queue[Emulator] = queue.Queue()
    done: queue.Queue[tuple[list[RecordedRequest], frozenset[str]] | BaseException] = queue.Queue()
    stop = threading.Event()

    async def serve() -> None:
        async with run_emulator() as emulator:
            ready.put(emulator)
            while not stop.is_set():
                await anyio.sleep(0.01)
            done.put((list(emulator.app.requests), known_ids(emulator.app)))

    def thread_main() -> None:
        try:
            anyio.run(serve)
        except BaseException as exc:  # reported to the test thread
            done.put(exc)

    thread = threading.Thread(target=thread_main, name="reference-emulator", daemon=True)
    thread.start()
    emulator = ready.get(timeout=30)
    try:
        out = run_driver(
            "differential.mjs",
            {
                "google": {
                    "baseURL": emulator.interactions_base_url,
                    "apiKey": emulator.api_key,
                },
                "gateway": {
                    "baseURL": emulator.gateway_base_url,
                    "apiKey": emulator.gateway_api_key,
                },
                "cases": [case.to_driver() for case in cases],
            },
        )
    finally:
        stop.set()
        thread.join(timeout=30)
    seen = done.get(timeout=1)
    if isinstance(seen, BaseException):
        raise seen
    requests, ids = seen
    records = {}
    for case in cases:
        outcome = dict(out["results"][case.name])
        outcome.pop("ms", None)
        records[case.name] = Record(outcome, _requests_of(case, requests), ids)
    return ReferenceRun(versions=out["versions"], records=records)


# --- the partstream side --------------------------------------------------------------

#: Polling and resume delays of the partstream side: the reference's (1 s doubling,
#: 0.5 s times the attempt) would only make the suite slow. The number of polls
#: depends on the delays; :func:`normalise` collapses repeated polls for that reason.
_POLLING: Final = PollingPolicy(initial_delay=0.01, max_delay=0.05)
_RESUME: Final = ResumePolicy(max_attempts=3, base_delay=0.01, id_in="query")

#: The AI SDK's doStream/doGenerate and its client-secret mint never retry (retries
#: live in generateText/streamText's maxRetries), so the differential compares
#: provider level with provider level: partstream's own retries (``max_retries``,
#: issue 11) are off here. Compare against generateText/streamText with the same
#: maxRetries to test retries themselves.
_NO_RETRIES: Final[dict[str, Any]] = (
    {"max_retries": 0} if "max_retries" in inspect.signature(create_google).parameters else {}
)
_NO_GATEWAY_RETRIES: Final[dict[str, Any]] = (
    {"max_retries": 0} if "max_retries" in inspect.signature(create_gateway).parameters else {}
)

#: partstream exception class -> the reference's error name for the same failure.
ERROR_NAMES: Final[dict[type[BaseException], str]] = {
    errors.APICallError: "AI_APICallError",
    errors.InvalidResponseDataError: "AI_InvalidResponseDataError",
    # The reference throws a plain Error when polling runs out of time.
    errors.TimeoutError: "Error",
}


def _error_name(exc: BaseException) -> str:
    for cls in type(exc).__mro__:
        if cls in ERROR_NAMES:
            return ERROR_NAMES[cls]
    return type(exc).__name__


def serialize_error(exc: BaseException) -> dict[str, Any]:
    """An exception in the driver's error shape: name, message, the fields that matter."""
    out: dict[str, Any] = {"name": _error_name(exc), "message": str(exc)}
    if isinstance(exc, errors.APICallError):
        out.update(
            statusCode=exc.status_code,
            isRetryable=exc.is_retryable,
            url=exc.url,
        )
        if exc.response_body is not None:
            out["responseBody"] = exc.response_body
        if exc.data is not None:
            out["data"] = exc.data
    elif isinstance(exc, errors.GatewayError):
        out.update(statusCode=exc.status_code, isRetryable=exc.is_retryable, type=exc.error_type)
    return {k: v for k, v in out.items() if v is not None}


def _counter() -> Callable[[], str]:
    n = 0

    def next_id() -> str:
        nonlocal n
        n += 1
        return f"id-{n}"

    return next_id


async def _run_google(case: Case, emulator: Emulator) -> dict[str, Any]:
    google = create_google(
        api_key=emulator.api_key,
        base_url=emulator.interactions_base_url,
        generate_id=_counter(),
        **_NO_RETRIES,
    )
    if isinstance(case.model, dict):
        model = google.interactions(agent=case.model["agent"], polling=_POLLING, resume=_RESUME)
    else:
        model = google.interactions(case.model, polling=_POLLING, resume=_RESUME)
    prompt, options = partstream_call_options(case)
    if case.kind == "generate":
        try:
            result = await model.generate(prompt, **options)
        except errors.PartstreamError as exc:
            return {"error": {"phase": "open", "error": serialize_error(exc)}}
        return {"result": result.to_dict()}
    out: dict[str, Any] = {"parts": []}
    stream = model.stream(prompt, **options)
    try:
        await stream.__aenter__()
    except errors.PartstreamError as exc:
        out["error"] = {"phase": "open", "error": serialize_error(exc)}
        return out
    try:
        out["request"] = {"body": stream.request_body}
        try:
            async for part in stream:
                out["parts"].append(part.to_dict())
                if len(out["parts"]) == case.cancel_after_parts:
                    break
        except errors.PartstreamError as exc:
            out["error"] = {"phase": "read", "error": serialize_error(exc)}
    finally:
        await stream.aclose()
    # Read at the end: a plain stream learns its headers with the first read.
    out["responseHeaders"] = dict(stream.response_headers or {})
    return out


async def _run_gateway(case: Case, emulator: Emulator) -> dict[str, Any]:
    gateway = create_gateway(
        api_key=case.api_key if case.api_key is not None else emulator.gateway_api_key,
        base_url=emulator.gateway_base_url,
        team_id_or_slug=case.team_id_or_slug,
        headers={**(case.provider_headers or {}), **case.headers},
        **_NO_GATEWAY_RETRIES,
    )
    assert case.model_id is not None
    model = gateway.realtime(case.model_id)
    out: dict[str, Any] = {}
    if case.server:
        # The long-lived credential: connect() resolves it itself.
        async with model.connect(session_config=case.session_config) as session:
            turn = await _turn(case, session)
        return {"wsConfig": {"url": model.url}, **turn, "close": {"code": session.close_code}}
    if case.token is not None:
        token, url = case.token, model.url
    else:
        try:
            minted = await model.mint_client_secret(case.expires_after_seconds)
        except errors.PartstreamError as exc:
            return {"error": {"phase": "open", "error": serialize_error(exc)}}
        out["secret"] = minted.to_dict()
        if case.kind == "mint":
            return out
        token, url = minted.token, minted.url
    try:
        config = model.get_websocket_config(token, url)
    except errors.PartstreamError as exc:
        return {"error": {"phase": "open", "error": serialize_error(exc)}}
    out["wsConfig"] = {"url": config.url, "protocols": list(config.protocols)}
    async with model.connect(session_config=case.session_config, token=token, url=url) as session:
        turn = await _turn(case, session)
    return {**out, **turn, "close": {"code": session.close_code}}


async def _turn(case: Case, session: GatewayRealtimeSession) -> dict[str, Any]:
    """The case's client events, then the server events up to ``case.until``."""
    out: dict[str, Any] = {"protocol": session.subprotocol, "events": []}
    for client_event in case.events:
        await session.send(client_event)
    async for event in session:
        out["events"].append(event.to_dict())
        if event.type == case.until:
            break
    return out


async def run_partstream(case: Case, emulator: Emulator) -> dict[str, Any]:
    """One case through partstream against ``emulator``."""
    if case.kind in ("stream", "generate"):
        return await _run_google(case, emulator)
    return await _run_gateway(case, emulator)


# --- normalisation --------------------------------------------------------------------

#: Request headers left out of the comparison, each for a reason:
IGNORED_REQUEST_HEADERS: Final[dict[str, str]] = {
    # Transport-level: set by the HTTP or WebSocket client, not by the provider code.
    "host": "the emulator's address",
    "content-length": "framing (the bodies are compared)",
    "connection": "connection management of the HTTP client",
    "accept-encoding": "the compressions each HTTP client can decode",
    "accept-language": "undici's fetch adds it to every request",
    "sec-fetch-mode": "undici's fetch adds it to every request",
    "upgrade": "part of every WebSocket handshake",
    "sec-websocket-key": "random per handshake (RFC 6455)",
    "sec-websocket-extensions": "which extensions each WebSocket client offers",
    # A deliberate difference (docs/deviations.md, "user-agent").
    "user-agent": "names the client: ai-sdk/google/<version> vs partstream/<version>",
}

# Each side talks to an emulator of its own, on a port of its own.
_EMULATOR_URL: Final = re.compile(r"\b(https?|wss?)://127\.0\.0\.1:\d+")
_TIMESTAMP: Final = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)")
# Ids the emulator's realtime endpoint and client-secret route make up from a counter
# or at random: they differ between the two runs.
_GENERATED: Final = re.compile(r"\b(?:sess|item|resp|call)_\d{6}\b|\bvcst_[0-9a-f]{32}\b")


class _Placeholders:
    """Replaces made-up ids with ``<id:N>``, N in order of first appearance."""

    def __init__(self, known: frozenset[str]) -> None:
        self._names: dict[str, str] = {}
        alternatives = sorted(known, key=len, reverse=True)
        self._known = (
            re.compile("|".join(re.escape(k) for k in alternatives)) if alternatives else None
        )

    def _name(self, match: re.Match[str]) -> str:
        return self._names.setdefault(match.group(0), f"<id:{len(self._names) + 1}>")

    def text(self, value: str) -> str:
        if self._known is not None:
            value = self._known.sub(self._name, value)
        value = _GENERATED.sub(self._name, value)
        value = _EMULATOR_URL.sub(r"\1://<emulator>", value)
        return _TIMESTAMP.sub("<time>", value)

    def walk(self, value: Any, key: str = "") -> Any:
        # Keys in sorted order, so both sides number their ids the same way.
        if isinstance(value, Mapping):
            return {k: self.walk(value[k], k) for k in sorted(value)}
        if isinstance(value, list | tuple):
            return [self.walk(v, key) for v in value]
        if isinstance(value, str):
            return self.text(value)
        if key == "expiresAt" and isinstance(value, int | float) and not isinstance(value, bool):
            # Unix seconds of when the emulator minted the secret: differs per run.
            return "<epoch>"
        return value


def _request_doc(request: RecordedRequest) -> dict[str, Any]:
    headers = {
        name: value
        for name, value in request.headers.items()
        if name not in IGNORED_REQUEST_HEADERS
    }
    if "sec-websocket-protocol" in headers:
        # A header list (RFC 9110 5.6.1): whitespace around the commas is the
        # client's formatting; the entries and their order are what count.
        entries = headers["sec-websocket-protocol"].split(",")
        headers["sec-websocket-protocol"] = ",".join(e.strip() for e in entries)
    return {
        "method": request.method,
        "path": request.path,
        "query": request.query,
        "headers": headers,
        "body": request.body,
    }


def _collapse_polls(requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # How many times a client polls (GET an unfinished interaction) depends on its
    # delays and the emulator's clock; one poll stands for a run of identical ones.
    out: list[dict[str, Any]] = []
    for request in requests:
        if out and request == out[-1] and request["method"] == "GET" and not request["query"]:
            continue
        out.append(request)
    return out


def _outcome_doc(outcome: Mapping[str, Any]) -> dict[str, Any]:
    doc = json.loads(json.dumps(outcome))
    headers = doc.get("responseHeaders")
    result = doc.get("result")
    if isinstance(result, dict) and isinstance(result.get("response"), dict):
        headers = result["response"].get("headers")
    if isinstance(headers, dict):
        # The server's clock.
        headers.pop("date", None)
    return dict(doc)


def normalise(record: Record) -> dict[str, Any]:
    """The document the test compares: requests and outcome, made-up values replaced."""
    requests = _collapse_polls([_request_doc(r) for r in record.requests])
    placeholders = _Placeholders(record.known_ids)
    return dict(placeholders.walk({"outcome": _outcome_doc(record.outcome), "requests": requests}))
