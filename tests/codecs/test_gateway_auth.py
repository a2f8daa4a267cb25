"""The Gateway realtime auth contract: the reference's vectors plus hypothesis round trips."""

from __future__ import annotations

import base64
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from partstream.codecs.gateway import (
    GATEWAY_AUTH_SUBPROTOCOL_PREFIX,
    GATEWAY_REALTIME_SUBPROTOCOL,
    GATEWAY_TEAM_SUBPROTOCOL_PREFIX,
    gateway_client_secrets_url,
    gateway_realtime_url,
    get_gateway_realtime_auth_token,
    get_gateway_realtime_protocols,
    get_gateway_realtime_team_id_or_slug,
    is_subprotocol_token,
)
from partstream.errors import InvalidArgumentError

TCHARS = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
tokens = st.text(alphabet=TCHARS, min_size=1, max_size=200)
teams = st.text(min_size=1, max_size=100)


def test_the_names_are_the_references() -> None:
    assert GATEWAY_REALTIME_SUBPROTOCOL == "ai-gateway-realtime.v1"
    assert GATEWAY_AUTH_SUBPROTOCOL_PREFIX == "ai-gateway-auth."
    assert GATEWAY_TEAM_SUBPROTOCOL_PREFIX == "ai-gateway-team."


# --- the reference's vectors (gateway-realtime-auth.test.ts) -----------------------------


def test_offers_the_marker_and_the_prefixed_token() -> None:
    assert get_gateway_realtime_protocols("vck_test-token") == [
        "ai-gateway-realtime.v1",
        "ai-gateway-auth.vck_test-token",
    ]


def test_offers_encoded_team_scoping() -> None:
    protocols = get_gateway_realtime_protocols("vck_test-token", "team/with/slashes")
    assert len(protocols) == 3
    team = protocols[2]
    assert team.startswith(GATEWAY_TEAM_SUBPROTOCOL_PREFIX)
    assert re.fullmatch(r"[A-Za-z0-9_-]+", team[len(GATEWAY_TEAM_SUBPROTOCOL_PREFIX) :])
    assert get_gateway_realtime_team_id_or_slug(", ".join(protocols)) == "team/with/slashes"


def test_token_round_trips_through_the_joined_header() -> None:
    header = ", ".join(get_gateway_realtime_protocols("vck_test-token"))
    assert get_gateway_realtime_auth_token(header) == "vck_test-token"


def test_token_tolerates_whitespace_and_order() -> None:
    header = f"  {GATEWAY_AUTH_SUBPROTOCOL_PREFIX}oidc-token  ,  {GATEWAY_REALTIME_SUBPROTOCOL}  "
    assert get_gateway_realtime_auth_token(header) == "oidc-token"


def test_token_absent_empty_or_whitespace_is_none() -> None:
    assert get_gateway_realtime_auth_token(GATEWAY_REALTIME_SUBPROTOCOL) is None
    assert get_gateway_realtime_auth_token(f"{GATEWAY_AUTH_SUBPROTOCOL_PREFIX}   ") is None
    assert get_gateway_realtime_auth_token(GATEWAY_AUTH_SUBPROTOCOL_PREFIX) is None
    assert get_gateway_realtime_auth_token(None) is None
    assert get_gateway_realtime_auth_token("") is None


def test_jwt_dots_survive() -> None:
    jwt = "header.payload.signature"
    header = ",".join(get_gateway_realtime_protocols(jwt))
    assert get_gateway_realtime_auth_token(header) == jwt


def test_team_round_trips() -> None:
    header = ", ".join(get_gateway_realtime_protocols("vck_test-token", "team_123"))
    assert get_gateway_realtime_team_id_or_slug(header) == "team_123"


def test_team_tolerates_whitespace_and_order() -> None:
    team = get_gateway_realtime_protocols("token", "my-team")[2]
    header = f"  {team}  ,  {GATEWAY_REALTIME_SUBPROTOCOL}  "
    assert get_gateway_realtime_team_id_or_slug(header) == "my-team"


def test_team_absent_is_none() -> None:
    assert get_gateway_realtime_team_id_or_slug(GATEWAY_REALTIME_SUBPROTOCOL) is None
    assert get_gateway_realtime_team_id_or_slug(None) is None
    assert get_gateway_realtime_team_id_or_slug("") is None
    assert get_gateway_realtime_team_id_or_slug(GATEWAY_TEAM_SUBPROTOCOL_PREFIX) is None


@pytest.mark.parametrize("encoded", ["%%%", "a", "abcde", "YQ=a", "Y*Q", "====="])
def test_malformed_team_is_none(encoded: str) -> None:
    assert get_gateway_realtime_team_id_or_slug(GATEWAY_TEAM_SUBPROTOCOL_PREFIX + encoded) is None


# --- beyond the vectors -------------------------------------------------------------------


def test_no_team_protocol_for_an_empty_team() -> None:
    assert len(get_gateway_realtime_protocols("t", "")) == 2
    assert len(get_gateway_realtime_protocols("t", None)) == 2


def test_team_decoding_tolerates_padding_and_standard_base64_like_atob() -> None:
    # atob accepts the standard alphabet and explicit padding.
    assert get_gateway_realtime_team_id_or_slug(GATEWAY_TEAM_SUBPROTOCOL_PREFIX + "YQ==") == "a"
    encoded = base64.b64encode("ä/?>".encode()).decode()
    assert get_gateway_realtime_team_id_or_slug(GATEWAY_TEAM_SUBPROTOCOL_PREFIX + encoded) == "ä/?>"


def test_team_with_invalid_utf8_decodes_with_replacement_like_text_decoder() -> None:
    encoded = base64.urlsafe_b64encode(b"t\xff").decode().rstrip("=")
    header = GATEWAY_TEAM_SUBPROTOCOL_PREFIX + encoded
    assert get_gateway_realtime_team_id_or_slug(header) == "t\ufffd"


def test_the_first_auth_entry_wins() -> None:
    header = f"{GATEWAY_AUTH_SUBPROTOCOL_PREFIX}one, {GATEWAY_AUTH_SUBPROTOCOL_PREFIX}two"
    assert get_gateway_realtime_auth_token(header) == "one"


@pytest.mark.parametrize(
    "token", ["", "has space", "comma,inside", "slash/inside", "ünïcode", "tab\there", 'q"uote']
)
def test_an_invalid_token_is_rejected_without_repeating_it(token: str) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        get_gateway_realtime_protocols(token)
    assert info.value.argument == "token"
    if token:
        assert token not in str(info.value)


def test_a_team_with_a_lone_surrogate_is_rejected() -> None:
    with pytest.raises(InvalidArgumentError):
        get_gateway_realtime_protocols("t", "bad\ud800")


@given(token=tokens, team=st.one_of(st.none(), teams), sep=st.sampled_from([",", ", ", " ,  "]))
def test_round_trip_for_any_token_and_team(token: str, team: str | None, sep: str) -> None:
    protocols = get_gateway_realtime_protocols(token, team)
    assert all(is_subprotocol_token(p) for p in protocols)
    for order in (protocols, protocols[::-1]):
        header = sep.join(order)
        assert get_gateway_realtime_auth_token(header) == token
        assert get_gateway_realtime_team_id_or_slug(header) == team


@given(header=st.one_of(st.none(), st.text(max_size=300)))
def test_the_readers_never_raise(header: str | None) -> None:
    token = get_gateway_realtime_auth_token(header)
    team = get_gateway_realtime_team_id_or_slug(header)
    assert token is None or (token and token == token.strip())
    assert team is None or isinstance(team, str)


@given(
    encoded=st.text(alphabet="ABCDEFabcdef0123456789-_+/= \t%", max_size=40),
)
def test_team_reader_never_raises_on_base64ish_noise(encoded: str) -> None:
    result = get_gateway_realtime_team_id_or_slug(GATEWAY_TEAM_SUBPROTOCOL_PREFIX + encoded)
    assert result is None or result != ""


# --- URLs (gateway-realtime-model.test.ts) ------------------------------------------------


def test_realtime_url_upgrades_https_and_form_encodes_the_model() -> None:
    assert (
        gateway_realtime_url("https://ai-gateway.vercel.sh/v4/ai", "openai/gpt-realtime")
        == "wss://ai-gateway.vercel.sh/v4/ai/realtime-model?ai-model-id=openai%2Fgpt-realtime"
    )


def test_realtime_url_upgrades_http_for_local_development() -> None:
    assert (
        gateway_realtime_url("http://localhost:3000/v4/ai", "openai/gpt-realtime")
        == "ws://localhost:3000/v4/ai/realtime-model?ai-model-id=openai%2Fgpt-realtime"
    )


def test_realtime_url_passes_a_bare_model_id_verbatim() -> None:
    assert (
        gateway_realtime_url("https://ai-gateway.vercel.sh/v4/ai", "gpt-realtime-2")
        == "wss://ai-gateway.vercel.sh/v4/ai/realtime-model?ai-model-id=gpt-realtime-2"
    )


def test_realtime_url_encodes_like_url_search_params() -> None:
    url = gateway_realtime_url("https://h/x/", "a b~*ä&=")
    assert url == "wss://h/x/realtime-model?ai-model-id=a+b%7E*%C3%A4%26%3D"


def test_client_secrets_url_is_on_the_origin() -> None:
    assert (
        gateway_client_secrets_url("https://ai-gateway.vercel.sh/v4/ai")
        == "https://ai-gateway.vercel.sh/v1/realtime/client-secrets"
    )
    assert (
        gateway_client_secrets_url("http://127.0.0.1:8080/v4/ai")
        == "http://127.0.0.1:8080/v1/realtime/client-secrets"
    )


@pytest.mark.parametrize("base", ["", "ai-gateway.vercel.sh/v4/ai", "ftp://h/x", "https://"])
def test_a_bad_base_url_is_an_invalid_argument(base: str) -> None:
    with pytest.raises(InvalidArgumentError):
        gateway_realtime_url(base, "m")


def test_model_id_lone_surrogates_become_replacement_characters_like_url_search_params() -> None:
    # URLSearchParams takes a USVString: a lone surrogate is U+FFFD (EF BF BD) on the
    # wire; a surrogate pair is the one character it spells.
    assert gateway_realtime_url("https://h", "a\ud800b").endswith("ai-model-id=a%EF%BF%BDb")
    assert gateway_realtime_url("https://h", "\ud83d\ude00").endswith("ai-model-id=%F0%9F%98%80")


@given(model=st.text(max_size=60))
def test_the_model_id_survives_the_query(model: str) -> None:
    from urllib.parse import parse_qs, urlsplit

    url = gateway_realtime_url("https://h/v4/ai", model)
    query = urlsplit(url).query
    assert "/" not in query
    parsed = parse_qs(query, keep_blank_values=True, errors="surrogatepass")
    assert parsed == {"ai-model-id": [model]}
