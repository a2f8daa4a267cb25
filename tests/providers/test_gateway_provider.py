"""create_gateway(): credentials, URLs, client-secret minting and Gateway error mapping."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.providers import _gateway_peer as peer

from partstream import errors
from partstream.codecs.gateway import get_gateway_realtime_team_id_or_slug
from partstream.providers.gateway import (
    DEFAULT_BASE_URL,
    GatewayProviderOptions,
    create_gateway,
    gateway_error_from_response,
)

pytestmark = pytest.mark.anyio

SECRET = "vck_super-secret-key"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AI_GATEWAY_API_KEY", raising=False)
    monkeypatch.delenv("VERCEL_OIDC_TOKEN", raising=False)


# --- construction, URLs, credentials ------------------------------------------------------


def test_the_default_base_url_is_the_ai_sdks() -> None:
    assert DEFAULT_BASE_URL == "https://ai-gateway.vercel.sh/v4/ai"
    model = create_gateway(api_key=SECRET).realtime("openai/gpt-realtime")
    assert model.url == (
        "wss://ai-gateway.vercel.sh/v4/ai/realtime-model?ai-model-id=openai%2Fgpt-realtime"
    )
    assert model.model_id == "openai/gpt-realtime"
    assert model.specification_version == "v4"
    assert model.provider_name == "gateway.realtime"


def test_a_trailing_slash_on_the_base_url_is_dropped() -> None:
    model = create_gateway(api_key="k", base_url="http://127.0.0.1:9/v4/ai/").realtime("m")
    assert model.url == "ws://127.0.0.1:9/v4/ai/realtime-model?ai-model-id=m"


def test_a_bad_base_url_fails_at_creation() -> None:
    with pytest.raises(errors.InvalidArgumentError):
        create_gateway(base_url="not a url")


def test_an_empty_model_id_is_refused() -> None:
    with pytest.raises(errors.InvalidArgumentError):
        create_gateway(api_key="k").realtime("")


async def test_get_token_returns_the_api_key_and_the_url() -> None:
    token = await create_gateway(api_key=SECRET).realtime("openai/gpt-realtime").get_token()
    assert token.token == SECRET
    assert token.url.startswith("wss://ai-gateway.vercel.sh/v4/ai/realtime-model?")
    assert token.expires_at is None
    assert SECRET not in repr(token)
    assert token.to_dict() == {"token": SECRET, "url": token.url}


async def test_the_environment_api_key_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AI_GATEWAY_API_KEY", "from-env")
    monkeypatch.setenv("VERCEL_OIDC_TOKEN", "oidc")
    provider = create_gateway()
    assert (await provider.realtime("m").get_token()).token == "from-env"
    assert provider.resolve_credential().auth_method == "api-key"
    # An explicit argument wins over the environment.
    assert (await create_gateway(api_key="arg").realtime("m").get_token()).token == "arg"


async def test_the_oidc_token_is_the_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VERCEL_OIDC_TOKEN", "hdr.payload.sig")
    provider = create_gateway()
    credential = provider.resolve_credential()
    assert credential.auth_method == "oidc"
    assert credential.token == "hdr.payload.sig"
    assert "hdr.payload.sig" not in repr(credential)


async def test_no_credentials_is_an_authentication_error_with_guidance() -> None:
    with pytest.raises(errors.GatewayAuthenticationError) as info:
        await create_gateway().realtime("openai/gpt-realtime-2").get_token()
    message = str(info.value)
    assert message.startswith("AI Gateway authentication failed: No authentication provided.")
    assert "'api_key' argument" in message
    assert "AI_GATEWAY_API_KEY" in message
    assert "VERCEL_OIDC_TOKEN" in message
    assert info.value.status_code == 401
    assert info.value.is_retryable is False


def test_reprs_never_show_the_key() -> None:
    provider = create_gateway(api_key=SECRET, team_id_or_slug="t")
    assert SECRET not in repr(provider)
    assert SECRET not in repr(provider.realtime("m"))
    config = provider.realtime("m").get_websocket_config(SECRET)
    assert SECRET not in repr(config)


def test_websocket_config_carries_token_and_team() -> None:
    model = create_gateway(api_key="k", team_id_or_slug="my-team").realtime("openai/gpt-realtime")
    config = model.get_websocket_config("vcst_test-secret", url="wss://x/y")
    assert config.url == "wss://x/y"
    assert config.protocols[:2] == ("ai-gateway-realtime.v1", "ai-gateway-auth.vcst_test-secret")
    assert get_gateway_realtime_team_id_or_slug(", ".join(config.protocols)) == "my-team"


def test_the_identity_codec_is_exposed_on_the_model() -> None:
    model = create_gateway(api_key="k").realtime("m")
    event = {"type": "response-created", "responseId": "resp_1", "raw": {}}
    assert model.parse_server_event(event).to_dict() == event
    assert model.serialize_client_event({"type": "response-create"}) == {"type": "response-create"}
    assert model.build_session_config({"voice": "alloy"}) == {"voice": "alloy"}


# --- minting client secrets against a real server ----------------------------------------


async def test_mint_posts_to_the_origin_with_the_long_lived_key() -> None:
    def http(request: peer.HttpRequest) -> tuple[int, Any]:
        return 200, {"token": "vcst_minted", "expiresAt": 1_700_000_060}

    app = peer.Peer(http=http)
    async with peer.serve(app) as base:
        provider = create_gateway(api_key=SECRET, base_url=f"{base}/v4/ai", team_id_or_slug="t1")
        secret = await provider.realtime("openai/gpt-realtime").mint_client_secret(
            expires_after_seconds=120
        )
    assert secret.token == "vcst_minted"
    assert secret.expires_at == 1_700_000_060
    assert secret.url == (
        f"{base.replace('http', 'ws')}/v4/ai/realtime-model?ai-model-id=openai%2Fgpt-realtime"
    )
    (request,) = app.requests
    assert (request.method, request.path) == ("POST", "/v1/realtime/client-secrets")
    assert request.json() == {"model": "openai/gpt-realtime", "expiresIn": 120}
    assert request.headers["authorization"] == f"Bearer {SECRET}"
    assert request.headers["ai-gateway-auth-method"] == "api-key"
    assert request.headers["ai-gateway-protocol-version"] == "0.0.1"
    assert request.headers["x-vercel-ai-gateway-team"] == "t1"


async def test_mint_tolerates_a_null_expiry_and_custom_headers() -> None:
    def http(request: peer.HttpRequest) -> tuple[int, Any]:
        return 200, {"token": "vcst_minted", "expiresAt": None}

    app = peer.Peer(http=http)
    async with peer.serve(app) as base, httpx.AsyncClient() as client:
        provider = create_gateway(
            api_key=SECRET,
            base_url=f"{base}/v4/ai",
            headers={"X-Extra": "1"},
            http_client=client,
        )
        secret = await provider.realtime("m").mint_client_secret()
        assert not client.is_closed
    assert secret.expires_at is None
    assert "expiresAt" not in secret.to_dict()
    assert app.requests[0].json() == {"model": "m"}
    assert app.requests[0].headers["x-extra"] == "1"


@pytest.mark.parametrize(
    ("status", "body", "exc_type"),
    [
        (
            401,
            {"error": {"message": "bad key", "type": "authentication_error"}},
            errors.GatewayAuthenticationError,
        ),
        (
            400,
            {"error": {"message": "bad", "type": "invalid_request_error"}},
            errors.GatewayInvalidRequestError,
        ),
        (
            429,
            {"error": {"message": "slow", "type": "rate_limit_exceeded"}},
            errors.GatewayRateLimitError,
        ),
        (
            404,
            {"error": {"message": "nope", "type": "model_not_found", "param": {"modelId": "m"}}},
            errors.GatewayModelNotFoundError,
        ),
        (
            500,
            {"error": {"message": "boom", "type": "internal_server_error"}},
            errors.GatewayInternalServerError,
        ),
        (
            424,
            {"error": {"message": "dep", "type": "failed_dependency"}},
            errors.GatewayFailedDependencyError,
        ),
        (
            403,
            {"error": {"message": "rule", "type": "forbidden", "param": {"ruleId": "r1"}}},
            errors.GatewayForbiddenError,
        ),
        (
            503,
            {"error": {"message": "odd", "type": "brand_new_type"}},
            errors.GatewayInternalServerError,
        ),
        (502, "<html>bad gateway</html>", errors.GatewayResponseError),
        (200, {"no": "token"}, errors.GatewayResponseError),
    ],
)
async def test_mint_errors_map_to_gateway_errors(
    status: int, body: Any, exc_type: type[errors.GatewayError]
) -> None:
    def http(request: peer.HttpRequest) -> tuple[int, Any]:
        return status, body.encode() if isinstance(body, str) else body

    async with peer.serve(peer.Peer(http=http)) as base:
        provider = create_gateway(api_key=SECRET, base_url=f"{base}/v4/ai")
        with pytest.raises(exc_type) as info:
            await provider.realtime("m").mint_client_secret()
    assert type(info.value) is exc_type
    assert info.value.status_code == status
    assert SECRET not in str(info.value)
    if exc_type is errors.GatewayAuthenticationError:
        # The api-key guidance.
        assert "Invalid API key or token." in str(info.value)
    if exc_type is errors.GatewayModelNotFoundError:
        assert info.value.model_id == "m"  # type: ignore[attr-defined]
    if exc_type is errors.GatewayForbiddenError:
        assert info.value.rule_id == "r1"  # type: ignore[attr-defined]


async def test_mint_without_credentials_never_connects() -> None:
    app = peer.Peer(http=lambda r: (200, {"token": "x"}))
    async with peer.serve(app) as base:
        with pytest.raises(errors.GatewayAuthenticationError):
            await create_gateway(base_url=f"{base}/v4/ai").realtime("m").mint_client_secret()
    assert app.requests == []


async def test_mint_to_a_closed_port_is_a_gateway_response_error() -> None:
    async with peer.serve(peer.Peer()) as base:
        pass  # the server is gone now; its port refuses connections
    provider = create_gateway(api_key=SECRET, base_url=f"{base}/v4/ai")
    with pytest.raises(errors.GatewayResponseError) as info:
        await provider.realtime("m").mint_client_secret()
    assert isinstance(info.value.__cause__, httpx.ConnectError)


async def test_mint_response_size_is_bounded() -> None:
    big = {"token": "x" * 5000}
    async with peer.serve(peer.Peer(http=lambda r: (200, big))) as base:
        provider = create_gateway(api_key=SECRET, base_url=f"{base}/v4/ai", max_response_size=1000)
        with pytest.raises(errors.LimitExceededError) as info:
            await provider.realtime("m").mint_client_secret()
    assert info.value.option == "max_response_size"


async def test_a_slow_gateway_is_a_gateway_timeout_error() -> None:
    app = peer.Peer(http=lambda r: (200, {"token": "x"}), http_delay=2)
    async with peer.serve(app) as base:
        provider = create_gateway(api_key=SECRET, base_url=f"{base}/v4/ai", timeout=0.2)
        with pytest.raises(errors.GatewayTimeoutError) as info:
            await provider.realtime("m").mint_client_secret()
    assert info.value.status_code == 408
    assert "timeout=" in str(info.value)


@pytest.mark.parametrize("ttl", [0, -1, float("inf"), True])
async def test_a_bad_ttl_is_refused(ttl: Any) -> None:
    with pytest.raises(errors.InvalidArgumentError):
        await create_gateway(api_key="k").realtime("m").mint_client_secret(ttl)


# --- error mapping units ------------------------------------------------------------------


def test_generation_id_suffix_and_contextual_oidc_message() -> None:
    exc = gateway_error_from_response(
        status_code=401,
        body={"error": {"message": "x", "type": "authentication_error"}, "generationId": "gen_1"},
        auth_method="oidc",
    )
    assert isinstance(exc, errors.GatewayAuthenticationError)
    assert exc.generation_id == "gen_1"
    assert str(exc).endswith("[gen_1]")
    assert "OIDC" in str(exc)


@given(
    body=st.recursive(
        st.none() | st.text() | st.integers(),
        lambda c: st.dictionaries(st.text(), c) | st.lists(c),
        max_leaves=6,
    ),
    status=st.integers(400, 599),
)
def test_error_mapping_never_raises(body: Any, status: int) -> None:
    exc = gateway_error_from_response(status_code=status, body=body)
    assert isinstance(exc, errors.GatewayError)
    assert exc.status_code == status
    assert exc.is_retryable == errors.is_retryable_status(status)


# --- GatewayProviderOptions ---------------------------------------------------------------


def test_provider_options_camel_case_and_extra_keys() -> None:
    options = GatewayProviderOptions(
        order=["openai"],
        zero_data_retention=True,
        provider_timeouts={"byok": {"openai": 5000}},
        tags=["demo"],
        user="u1",
        hipaa_compliant=True,
        extra={"newOption": 1},
    )
    assert options.to_dict() == {
        "order": ["openai"],
        "zeroDataRetention": True,
        "providerTimeouts": {"byok": {"openai": 5000}},
        "tags": ["demo"],
        "user": "u1",
        "hipaaCompliant": True,
        "newOption": 1,
    }
    assert GatewayProviderOptions.from_dict(options.to_dict()) == options


@given(
    data=st.dictionaries(
        st.sampled_from(
            ["order", "only", "models", "tags", "user", "sort", "caching", "x", "byok"]
        ),
        st.one_of(st.text(max_size=5), st.lists(st.text(max_size=5), max_size=3)),
    )
)
def test_provider_options_round_trip(data: dict[str, Any]) -> None:
    assert GatewayProviderOptions.from_dict(data).to_dict() == data
