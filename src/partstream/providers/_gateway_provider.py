"""``create_gateway()``: the AI Gateway provider and its realtime model.

Credentials resolve the way the AI SDK resolves them, at use time (never at
construction, never printed): the ``api_key`` argument, else the
``AI_GATEWAY_API_KEY`` environment variable, else a Vercel OIDC token from
``VERCEL_OIDC_TOKEN``. Nothing found is a :class:`GatewayAuthenticationError`
that says how to fix it.
"""

from __future__ import annotations

import functools
import json
import math
import os
import ssl
from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager, nullcontext
from typing import Any, Final, Literal, final

import anyio
import httpx

from .. import __version__
from ..codecs._gateway_auth import (
    gateway_client_secrets_url,
    gateway_realtime_url,
    get_gateway_realtime_protocols,
)
from ..codecs._gateway_codec import build_session_config, parse_server_event, serialize_client_event
from ..codecs._gateway_server_events import ServerEvent
from ..errors import (
    GatewayResponseError,
    InvalidArgumentError,
    LimitExceededError,
)
from ..transports.websocket import DeflateOffer
from ._gateway_credentials import GatewayCredential, RealtimeToken, WebSocketConfig
from ._gateway_errors import (
    authentication_error,
    gateway_error_from_response,
    timeout_error,
)
from ._gateway_session import GatewayRealtimeSession, open_session

__all__ = [
    "DEFAULT_BASE_URL",
    "GatewayProvider",
    "GatewayRealtimeModel",
    "create_gateway",
]

#: The AI SDK's default Gateway base URL.
DEFAULT_BASE_URL: Final = "https://ai-gateway.vercel.sh/v4/ai"
#: Sent as ``ai-gateway-protocol-version`` (the AI SDK's Gateway protocol version).
PROTOCOL_VERSION: Final = "0.0.1"
#: Headers the AI SDK uses for the auth method and the team scope.
AUTH_METHOD_HEADER: Final = "ai-gateway-auth-method"
TEAM_HEADER: Final = "x-vercel-ai-gateway-team"
#: Largest client-secret response read, in bytes.
DEFAULT_MAX_RESPONSE_SIZE: Final = 1024 * 1024


@functools.cache
def _default_ssl_context() -> ssl.SSLContext:
    # httpx would build (and load the trust store into) a new SSL context for every
    # client made without one: tens of milliseconds per call. One is safe to share.
    return httpx.create_ssl_context()


def _resolve_credential(api_key: str | None) -> GatewayCredential:
    # AI SDK loadOptionalSetting: an explicit value wins (even ""), else the variable.
    key = api_key if api_key is not None else os.environ.get("AI_GATEWAY_API_KEY")
    if key:
        return GatewayCredential(token=key, auth_method="api-key")
    oidc = os.environ.get("VERCEL_OIDC_TOKEN", "").strip()
    if oidc:
        return GatewayCredential(token=oidc, auth_method="oidc")
    raise authentication_error(None)


def _redacted(data: Any) -> Any:
    """A response body for an error, without a token in it."""
    if isinstance(data, Mapping):
        return {k: ("<redacted>" if k == "token" else v) for k, v in data.items()}
    return data


@final
class GatewayProvider:
    """The AI Gateway provider; :meth:`realtime` gives a realtime model."""

    __slots__ = (
        "_api_key",
        "_headers",
        "_http_client",
        "_max_response_size",
        "_timeout",
        "base_url",
        "team_id_or_slug",
    )

    def __init__(
        self,
        *,
        api_key: str | None,
        base_url: str,
        team_id_or_slug: str | None,
        headers: Mapping[str, str],
        http_client: httpx.AsyncClient | None,
        timeout: float | None,
        max_response_size: int,
    ) -> None:
        self._api_key = api_key
        self.base_url = base_url
        self.team_id_or_slug = team_id_or_slug
        self._headers = dict(headers)
        self._http_client = http_client
        self._timeout = timeout
        self._max_response_size = max_response_size

    def __repr__(self) -> str:
        return (
            f"GatewayProvider(base_url={self.base_url!r}, team_id_or_slug={self.team_id_or_slug!r})"
        )

    def realtime(self, model_id: str) -> GatewayRealtimeModel:
        """A realtime model, e.g. ``"openai/gpt-realtime"`` (the id is sent verbatim)."""
        value: object = model_id
        if not isinstance(value, str) or not value:
            raise InvalidArgumentError("model_id must be a non-empty string", argument="model_id")
        return GatewayRealtimeModel(model_id, provider=self)

    # -- credentials and HTTP ---------------------------------------------------------

    def resolve_credential(self) -> GatewayCredential:
        """The Gateway credential in use now (raises GatewayAuthenticationError if none)."""
        return _resolve_credential(self._api_key)

    def auth_headers(self, credential: GatewayCredential) -> dict[str, str]:
        """The headers the AI SDK sends with a Gateway HTTP request."""
        headers = {
            "authorization": f"Bearer {credential.token}",
            "ai-gateway-protocol-version": PROTOCOL_VERSION,
            AUTH_METHOD_HEADER: credential.auth_method,
            "user-agent": f"partstream/{__version__} ai-sdk/gateway-compatible",
        }
        if self.team_id_or_slug is not None:
            headers[TEAM_HEADER] = self.team_id_or_slug
        for name, value in self._headers.items():
            headers[name.lower()] = value
        return headers

    @property
    def headers(self) -> dict[str, str]:
        """The custom headers given to :func:`create_gateway`."""
        return dict(self._headers)

    async def _post_json(
        self, url: str, body: Mapping[str, Any], credential: GatewayCredential
    ) -> tuple[int, Any]:
        headers = self.auth_headers(credential)
        client = self._http_client
        own = client is None
        if client is None:
            client = httpx.AsyncClient(timeout=self._timeout, verify=_default_ssl_context())
        chunks: list[bytes] = []
        size = 0
        try:
            # An overall deadline: the per-read httpx timeouts do not bound a body
            # that keeps coming.
            with anyio.fail_after(self._timeout) if self._timeout is not None else nullcontext():
                async with client.stream("POST", url, json=dict(body), headers=headers) as response:
                    # Read to the end, keeping at most max_response_size bytes: leaving
                    # the iterator early would leave httpx's generators unfinished.
                    async for chunk in response.aiter_bytes():
                        size += len(chunk)
                        if size <= self._max_response_size:
                            chunks.append(chunk)
                    status = response.status_code
        except httpx.TimeoutException as exc:
            raise timeout_error(str(exc) or type(exc).__name__, cause=exc) from exc
        except TimeoutError as exc:
            raise timeout_error(f"no complete answer within {self._timeout} s", cause=exc) from exc
        except httpx.HTTPError as exc:
            # The AI SDK turns a request that never got an answer into a response error.
            raise GatewayResponseError(
                f"Gateway request failed: {str(exc) or type(exc).__name__}",
                status_code=500,
                cause=exc,
            ) from exc
        finally:
            if own:
                await client.aclose()
        if size > self._max_response_size:
            raise LimitExceededError(
                limit="Gateway response size",
                value=self._max_response_size,
                option="max_response_size",
                detail=f"POST {url} sent {size} bytes",
            )
        text = b"".join(chunks)
        try:
            return status, json.loads(text)
        except ValueError:
            return status, text.decode("utf-8", "replace")

    async def mint_client_secret(
        self,
        model_id: str,
        *,
        expires_after_seconds: float | None = None,
        route_kind: str | None = None,
    ) -> tuple[str, float | None]:
        """POST ``/v1/realtime/client-secrets`` on the Gateway origin: ``(token, expires_at)``."""
        ttl: object = expires_after_seconds
        if ttl is not None and (
            not isinstance(ttl, int | float)
            or isinstance(ttl, bool)
            or not math.isfinite(ttl)
            or ttl <= 0
        ):
            raise InvalidArgumentError(
                "expires_after_seconds must be a positive number of seconds",
                argument="expires_after_seconds",
            )
        credential = self.resolve_credential()
        body: dict[str, Any] = {"model": model_id}
        if route_kind is not None:
            body["routeKind"] = route_kind
        if expires_after_seconds is not None:
            body["expiresIn"] = expires_after_seconds
        url = gateway_client_secrets_url(self.base_url)
        status, data = await self._post_json(url, body, credential)
        if not 200 <= status < 300:
            raise gateway_error_from_response(
                status_code=status, body=data, auth_method=credential.auth_method
            )
        token = data.get("token") if isinstance(data, Mapping) else None
        expires_at = data.get("expiresAt") if isinstance(data, Mapping) else None
        if (
            not isinstance(token, str)
            or not token
            or (
                expires_at is not None
                and (not isinstance(expires_at, int | float) or isinstance(expires_at, bool))
            )
        ):
            raise GatewayResponseError(
                "Invalid client secret response from the Gateway: "
                "expected {token: string, expiresAt?: number | null}",
                status_code=status,
                response=_redacted(data),
                validation_error="token must be a non-empty string, expiresAt a number or null",
            )
        return token, expires_at


@final
class GatewayRealtimeModel:
    """A realtime model behind the AI Gateway (the AI SDK's ``GatewayRealtimeModel``).

    The Gateway speaks the normalized realtime protocol, so this model is a thin
    identity codec; the connection and the authentication are what is
    Gateway-specific::

        async with model.connect(session_config={"instructions": "be brief"}) as session:
            await session.send_text_message("hello")
            async for event in session:
                ...
    """

    __slots__ = ("_provider", "model_id")

    specification_version: Final = "v4"
    provider_name: Final = "gateway.realtime"

    def __init__(self, model_id: str, *, provider: GatewayProvider) -> None:
        self.model_id = model_id
        self._provider = provider

    def __repr__(self) -> str:
        return f"GatewayRealtimeModel(model_id={self.model_id!r})"

    @property
    def provider(self) -> GatewayProvider:
        return self._provider

    @property
    def url(self) -> str:
        """The realtime WebSocket URL for this model."""
        return gateway_realtime_url(self._provider.base_url, self.model_id)

    async def get_token(self) -> RealtimeToken:
        """The resolved Gateway credential and the WebSocket URL (no request is made).

        The credential is long-lived: keep it on the server. To hand a browser a
        token, use :meth:`mint_client_secret`.
        """
        credential = self._provider.resolve_credential()
        return RealtimeToken(token=credential.token, url=self.url)

    async def mint_client_secret(self, expires_after_seconds: float | None = None) -> RealtimeToken:
        """Mint a short-lived, single-use client secret for this model.

        ``POST {gateway origin}/v1/realtime/client-secrets`` with the long-lived
        credential; the result's ``token`` is safe to give a browser, which opens
        the WebSocket with it in the ``ai-gateway-auth.`` subprotocol. Failures are
        Gateway errors (authentication, rate limit, model not found, ...).
        """
        token, expires_at = await self._provider.mint_client_secret(
            self.model_id, expires_after_seconds=expires_after_seconds
        )
        return RealtimeToken(token=token, url=self.url, expires_at=expires_at)

    def get_websocket_config(self, token: str, url: str | None = None) -> WebSocketConfig:
        """The URL and the auth subprotocols for ``token`` (the AI SDK's getWebSocketConfig)."""
        protocols = get_gateway_realtime_protocols(token, self._provider.team_id_or_slug)
        return WebSocketConfig(url=url if url is not None else self.url, protocols=tuple(protocols))

    # The identity codec, as in the AI SDK.
    @staticmethod
    def parse_server_event(raw: Any) -> ServerEvent:
        return parse_server_event(raw)

    @staticmethod
    def serialize_client_event(event: Any) -> dict[str, Any]:
        return serialize_client_event(event)

    @staticmethod
    def build_session_config(config: Any) -> dict[str, Any]:
        return build_session_config(config)

    def connect(
        self,
        session_config: Mapping[str, Any] | None = None,
        *,
        token: str | None = None,
        url: str | None = None,
        headers: Mapping[str, str] | None = None,
        ssl_context: ssl.SSLContext | None = None,
        max_message_size: int | None = None,
        max_batches: int | None = None,
        max_tool_calls: int = 1024,
        connect_timeout: float | None = None,
        open_timeout: float | None = None,
        close_timeout: float | None = None,
        ping_interval: float | None = None,
        ping_timeout: float | None = None,
        compression: Literal["deflate"] | DeflateOffer | None = None,
    ) -> AbstractAsyncContextManager[GatewayRealtimeSession]:
        """Open a realtime session: ``async with model.connect(...) as session``.

        ``token`` defaults to the resolved Gateway credential (a minted client
        secret works too). On open the session sends ``session-update`` with
        ``session_config``; leaving the block closes the WebSocket with 1000.
        ``max_tool_calls`` bounds the tool calls remembered until their output is
        sent. ``None`` options keep the WebSocket transport's defaults.

        ``compression="deflate"`` offers permessage-deflate (RFC 7692). It is off
        by default: the traffic is mostly base64 audio, which it shrinks by about
        30 %, for 15-45 times the client CPU per message and about 190 KiB of
        zlib state per session (BENCHMARKS.md, "permessage-deflate on the
        realtime paths"); transcripts and text deltas shrink much more, but
        weigh little.
        """
        transport_options = {
            name: value
            for name, value in (
                ("ssl_context", ssl_context),
                ("max_message_size", max_message_size),
                ("connect_timeout", connect_timeout),
                ("open_timeout", open_timeout),
                ("close_timeout", close_timeout),
                ("ping_interval", ping_interval),
                ("ping_timeout", ping_timeout),
                ("compression", compression),
            )
            if value is not None
        }
        return open_session(
            self,
            provider_headers=self._provider.headers,
            session_config=session_config,
            token=token,
            url=url,
            headers=headers,
            max_batches=max_batches,
            max_tool_calls=max_tool_calls,
            transport_options=transport_options,
        )


def create_gateway(
    *,
    api_key: str | None = None,
    base_url: str | None = None,
    team_id_or_slug: str | None = None,
    headers: Mapping[str, str] | None = None,
    http_client: httpx.AsyncClient | None = None,
    timeout: float | None = 30.0,
    max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE,
) -> GatewayProvider:
    """Create an AI Gateway provider.

    ``api_key``: an API key or Vercel access token (default: ``AI_GATEWAY_API_KEY``,
    then ``VERCEL_OIDC_TOKEN``, resolved when used). ``base_url``: default
    ``https://ai-gateway.vercel.sh/v4/ai``. ``team_id_or_slug``: team scope for tokens
    that reach several teams. ``headers``: sent with every request (and the WebSocket
    handshake). ``http_client``: an ``httpx.AsyncClient`` for the HTTP calls (it is not
    closed here). ``timeout``: seconds for HTTP calls made with the internal client.
    """
    resolved = (base_url if base_url is not None else DEFAULT_BASE_URL).rstrip("/")
    gateway_realtime_url(resolved, "check")  # validates the base URL early
    if max_response_size < 1:
        raise InvalidArgumentError(
            "max_response_size must be at least 1", argument="max_response_size"
        )
    return GatewayProvider(
        api_key=api_key,
        base_url=resolved,
        team_id_or_slug=team_id_or_slug,
        headers=headers or {},
        http_client=http_client,
        timeout=timeout,
        max_response_size=max_response_size,
    )
