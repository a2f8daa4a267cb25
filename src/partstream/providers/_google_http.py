"""HTTP plumbing of the Google provider: headers, JSON requests, errors, cancel.

Everything that touches httpx for the Interactions API lives here, so httpx's
exceptions are translated at this one boundary (``httpx.ConnectError`` →
:class:`~partstream.errors.ConnectError`, timeouts → :class:`~partstream.errors.TimeoutError`,
other transport failures → :class:`~partstream.errors.TransportError`), and Google
error bodies (``{"error": {"code", "message", "status"}}``) become
:class:`~partstream.errors.APICallError` carrying that message.

The API key travels only in the ``x-goog-api-key`` header. It is held in a
:class:`Secret` whose ``repr``/``str`` are redacted, and scrubbed from every error
message and error body the provider builds.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import ssl
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any, Final, final
from urllib.parse import quote

import anyio
import attrs
import httpx
import sniffio

from .. import errors
from ..codecs.interactions import parse_response

__all__ = [
    "API_KEY_ENV",
    "API_REVISION",
    "DEFAULT_BASE_URL",
    "DEFAULT_CANCEL_TIMEOUT",
    "DEFAULT_MAX_RESPONSE_SIZE",
    "DEFAULT_TIMEOUT",
    "ApiConfig",
    "JsonResponse",
    "Secret",
    "SharedClient",
    "api_call_error",
    "failure_message",
    "google_error_data",
    "send_cancel",
    "send_json",
    "translate_httpx_error",
]

#: The Interactions API revision partstream was last checked against. Nothing sends
#: it unless asked: the reference sends no ``Api-Revision`` header (the API then
#: serves its current revision); ``create_google(api_revision=API_REVISION)`` pins it.
API_REVISION: Final = "2026-05-20"
DEFAULT_BASE_URL: Final = "https://generativelanguage.googleapis.com/v1beta"
API_KEY_ENV: Final = "GOOGLE_GENERATIVE_AI_API_KEY"
#: Largest non-streaming response body read into memory (bytes).
DEFAULT_MAX_RESPONSE_SIZE: Final = 64 * 1024 * 1024
#: Seconds a best-effort cancel request may take (it runs shielded at exit).
DEFAULT_CANCEL_TIMEOUT: Final = 10.0
#: Seconds closing the provider's shared client may take (it runs shielded).
DEFAULT_CLOSE_TIMEOUT: Final = 10.0
#: httpx timeouts for clients partstream creates: agent runs idle for long stretches
#: between events, so the read timeout is generous (a read timeout on a background
#: stream only triggers a resume with ``last_event_id``).
DEFAULT_TIMEOUT: Final = httpx.Timeout(30.0, read=300.0)


@final
class Secret:
    """A string that never shows itself in a ``repr``, ``str`` or f-string."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __reduce__(self) -> Any:
        raise TypeError("a Secret cannot be pickled")


@functools.cache
def _default_ssl_context() -> ssl.SSLContext:
    # Building a verifying SSL context costs tens of milliseconds: do it once (an
    # SSLContext is safe to share between clients, threads and event loops).
    return httpx.create_ssl_context()


def _new_client(**options: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=DEFAULT_TIMEOUT, verify=_default_ssl_context(), follow_redirects=False, **options
    )


def _loop_token() -> object:
    """What an httpx connection pool is bound to: the running asyncio loop or trio run."""
    if sniffio.current_async_library() == "trio":
        import trio

        return trio.lowlevel.current_trio_token()
    return asyncio.get_running_loop()


#: The shared client's pool: no bound on connections (a stream holds its connection
#: for as long as it runs, so a bound would make the next stream wait), httpx's
#: default number of idle connections kept for reuse.
_SHARED_LIMITS: Final = httpx.Limits(max_connections=None, max_keepalive_connections=20)


@final
class SharedClient:
    """A provider's own httpx client, shared by its calls while the provider is open.

    httpx pools connections per client, and the connections belong to the event
    loop that opened them. So the shared client serves the calls made in the event
    loop (or trio run) that opened the provider; a call from any other loop, or
    before :meth:`open` / after :meth:`aclose`, gets a client of its own for that
    call, as a provider that is never opened always does.
    """

    __slots__ = ("_client", "_loop")

    def __init__(self) -> None:
        self._client: httpx.AsyncClient | None = None
        self._loop: object | None = None

    @property
    def is_open(self) -> bool:
        return self._client is not None

    def open(self) -> None:
        if self._client is not None:
            raise RuntimeError("the provider is open already (enter it once at a time)")
        self._loop = _loop_token()
        self._client = _new_client(limits=_SHARED_LIMITS)

    def get(self) -> httpx.AsyncClient | None:
        """The shared client when it may serve a call in the running event loop."""
        client = self._client
        if client is not None and self._loop is _loop_token():
            return client
        return None

    async def aclose(self) -> None:
        """Close the shared client's connections. Idempotent; survives cancellation."""
        client = self._client
        if client is None:
            return
        if self._loop is not _loop_token():
            raise RuntimeError("close the provider in the event loop that opened it")
        self._client = self._loop = None
        with anyio.move_on_after(DEFAULT_CLOSE_TIMEOUT, shield=True):
            await client.aclose()


def _scrub(text: str, secret: str | None) -> str:
    if secret and len(secret) >= 4 and secret in text:
        return text.replace(secret, "***")
    return text


@final
@attrs.frozen(repr=False)
class ApiConfig:
    """Where and how a model talks to the Interactions API (shared by its calls)."""

    base_url: str
    api_key: Secret | None
    headers: Mapping[str, str | None]
    http_client: httpx.AsyncClient | None
    max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE
    cancel_timeout: float = DEFAULT_CANCEL_TIMEOUT
    api_revision: str | None = None
    #: The provider name (the AI SDK's ``name`` setting); models report ``<name>.interactions``.
    name: str = "google.generative-ai"
    shared: SharedClient = attrs.field(factory=SharedClient, eq=False)

    def __repr__(self) -> str:
        key = "set" if self.api_key is not None else "from environment"
        return f"ApiConfig(base_url={self.base_url!r}, api_key=<{key}>)"

    def key(self) -> str:
        """The API key, from the argument or the environment; a clear error if neither."""
        if self.api_key is not None:
            return self.api_key.reveal()
        value = os.environ.get(API_KEY_ENV)
        if not value:
            raise errors.InvalidArgumentError(
                "Google Generative AI API key is missing. Pass it using the 'api_key' "
                f"argument of create_google() or the {API_KEY_ENV} environment variable.",
                argument="api_key",
            )
        return value

    def request_headers(
        self, call_headers: Mapping[str, str | None] | None = None, **extra: str
    ) -> dict[str, str]:
        """Provider headers, then call headers, then ``extra``; ``None`` removes a header.

        ``Api-Revision`` (only when the provider pins one) comes first, so a
        call's own headers can still override it.
        """
        merged: dict[str, str | None] = {}
        if self.api_revision is not None:
            merged["api-revision"] = self.api_revision
        merged["x-goog-api-key"] = self.key()
        for source in (self.headers, call_headers or {}, extra):
            for name, value in source.items():
                merged[name.lower()] = value
        return {name: value for name, value in merged.items() if value is not None}

    def url(self, *segments: str) -> str:
        """``{base_url}/segment/...``, each segment percent-encoded as the reference's
        ``encodeURIComponent`` does (which leaves ``!~*'()`` as they are)."""
        return "/".join([self.base_url, *(quote(s, safe="!~*'()") for s in segments)])

    def scrub(self, text: str) -> str:
        """``text`` with the API key (if it appears) replaced by ``***``."""
        try:
            secret = self.key()
        except errors.InvalidArgumentError:
            return text
        return _scrub(text, secret)

    @asynccontextmanager
    async def client(self) -> AsyncIterator[httpx.AsyncClient]:
        """The client for one call, usable for the duration of the block.

        The caller's client if one was given; else the provider's shared client (an
        open provider, this event loop); else one partstream creates and closes here.
        """
        client = self.http_client if self.http_client is not None else self.shared.get()
        if client is not None:
            yield client
            return
        client = _new_client()
        try:
            yield client
        finally:
            with anyio.CancelScope(shield=True):
                await client.aclose()


def translate_httpx_error(exc: httpx.HTTPError, method: str, url: str) -> errors.PartstreamError:
    """The partstream error for an httpx failure (keep it as ``__cause__``)."""
    what = f"{method} {url}"
    if isinstance(exc, httpx.TimeoutException):
        return errors.TimeoutError(f"{what} timed out ({type(exc).__name__})")
    if isinstance(exc, httpx.ConnectError):
        return errors.ConnectError(f"could not connect for {what}: {exc}")
    if isinstance(exc, httpx.RemoteProtocolError):
        return errors.TransportError(f"{what}: the connection broke: {exc}")
    return errors.TransportError(f"{what} failed: {type(exc).__name__}: {exc}")


def _retry_after(headers: httpx.Headers) -> float | None:
    value = headers.get("retry-after-ms")
    if value is not None:
        try:
            return float(value) / 1000.0
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is not None:
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def google_error_data(data: Any) -> dict[str, Any] | None:
    """``data`` if it is a Google error body (the reference's schema), else ``None``.

    ``{"error": {"code": number | null, "message": str, "status": str, "details"?:
    list | null}}``: only such a body lends its ``message`` to the error.
    """
    if not isinstance(data, dict):
        return None
    inner = data.get("error")
    if not isinstance(inner, dict) or "code" not in inner:
        return None
    details = inner.get("details")
    if (
        (inner["code"] is not None and not _is_number(inner["code"]))
        or not isinstance(inner.get("message"), str)
        or not isinstance(inner.get("status"), str)
        or (details is not None and not isinstance(details, list))
    ):
        return None
    return data


def failure_message(data: Any, status: int, reason: str | None = None) -> str:
    """The AI SDK's message for a failed response: Google's, else the status text."""
    error = google_error_data(data)
    if error is not None:
        return str(error["error"]["message"])
    return reason or httpx.codes.get_reason_phrase(status) or f"HTTP {status}"


def api_call_error(
    config: ApiConfig,
    url: str,
    status: int,
    headers: httpx.Headers,
    body: bytes,
    reason: str | None = None,
) -> errors.APICallError:
    """An :class:`APICallError` from a failed response; Google's message when it sent one."""
    text = config.scrub(body.decode("utf-8", "replace"))
    data: Any = None
    try:
        data = json.loads(text) if text.strip() else None
    except ValueError:
        data = None
    return errors.APICallError(
        config.scrub(failure_message(data, status, reason)),
        url=url,
        status_code=status,
        response_headers=dict(headers),
        response_body=text,
        retry_after=_retry_after(headers),
        data=google_error_data(data),
    )


@attrs.frozen
class JsonResponse:
    """A successful JSON response: status, headers and the parsed body."""

    status: int
    headers: dict[str, str]
    value: dict[str, Any]


async def _read_limited(response: httpx.Response, limit: int) -> bytes:
    """The whole body, refusing more than ``limit`` bytes; closes the response."""
    chunks = response.aiter_bytes()
    body: list[bytes] = []
    size = 0
    try:
        async for chunk in chunks:
            size += len(chunk)
            if size > limit:
                raise errors.LimitExceededError(
                    limit="response body size",
                    value=limit,
                    option="max_response_size",
                    detail=f"{response.request.method} {response.request.url}",
                )
            body.append(chunk)
    finally:
        # httpx's body iterators are nested async generators: close the response,
        # then pull once more so the failing read finishes every one of them now
        # (an abandoned one would be finalised later, with a ResourceWarning on trio).
        with anyio.CancelScope(shield=True):
            await response.aclose()
            try:
                async for _ in chunks:
                    pass
            except Exception:
                pass
    return b"".join(body)


async def send_json(
    config: ApiConfig,
    client: httpx.AsyncClient,
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: Any = None,
) -> JsonResponse:
    """Send a request (JSON body when ``body`` is not ``None``); parse and validate the answer.

    The answer must be an Interaction (the reference validates it with its response
    schema): anything else raises :class:`~partstream.errors.InvalidResponseDataError`.
    """
    content = None
    if body is not None:
        content = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        headers = {"content-type": "application/json", **headers}
    request = client.build_request(method, url, headers=headers, content=content)
    try:
        response = await client.send(request, stream=True)
        payload = await _read_limited(response, config.max_response_size)
    except httpx.HTTPError as exc:
        raise translate_httpx_error(exc, method, url) from exc
    if not response.is_success:
        raise api_call_error(
            config, url, response.status_code, response.headers, payload, response.reason_phrase
        )
    value = parse_response(payload)
    return JsonResponse(response.status_code, dict(response.headers), value)


async def send_cancel(config: ApiConfig, interaction_id: str, headers: Mapping[str, str]) -> bool:
    """Best-effort ``POST {base}/interactions/{id}/cancel``, shielded and bounded in time.

    Returns whether the server accepted it. Never raises: a cancel that fails must not
    mask the outcome that made us cancel. The request runs in a shielded scope bounded
    by ``config.cancel_timeout`` so it survives the cancellation that triggered it.
    """
    if not interaction_id:
        return False  # store: false runs have no id to cancel
    url = config.url("interactions", interaction_id, "cancel")
    with anyio.move_on_after(config.cancel_timeout, shield=True):
        try:
            async with config.client() as client:
                response = await client.post(
                    url,
                    headers={"content-type": "application/json", **headers},
                    content=b"{}",
                )
                return response.is_success
        except Exception:
            return False
    return False
