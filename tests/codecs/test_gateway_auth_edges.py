"""Gateway auth and URL edges: ws(s) bases, error arguments, and a corpus checked in Node.

The corpus test runs the reference's own helpers (``@ai-sdk/gateway``) on a few
thousand generated header values in one Node call (``tests/reference/gateway_auth.mjs``)
and expects the same answers from ours: base64 text with whitespace, padding and
stray characters at every length, where hand-picked vectors miss cases.
"""

from __future__ import annotations

import random

import pytest
from tests.reference.node import run_driver

from partstream.codecs.gateway import (
    GATEWAY_AUTH_SUBPROTOCOL_PREFIX,
    GATEWAY_TEAM_SUBPROTOCOL_PREFIX,
    gateway_client_secrets_url,
    gateway_realtime_url,
    get_gateway_realtime_auth_token,
    get_gateway_realtime_protocols,
    get_gateway_realtime_team_id_or_slug,
    is_subprotocol_token,
)
from partstream.errors import InvalidArgumentError

TEAM = GATEWAY_TEAM_SUBPROTOCOL_PREFIX
AUTH = GATEWAY_AUTH_SUBPROTOCOL_PREFIX


def test_client_secrets_url_from_a_websocket_base_is_its_http_origin() -> None:
    # Deliberate: the reference resolves the path against the base as is (a ws:// URL
    # that fetch cannot POST to); we mint on the matching http(s) origin.
    assert gateway_client_secrets_url("ws://127.0.0.1:9/v4/ai") == (
        "http://127.0.0.1:9/v1/realtime/client-secrets"
    )
    assert gateway_client_secrets_url("wss://gw.example/v4/ai/") == (
        "https://gw.example/v1/realtime/client-secrets"
    )
    assert gateway_client_secrets_url("HTTPS://gw.example") == (
        "https://gw.example/v1/realtime/client-secrets"
    )


def test_realtime_url_keeps_a_websocket_base_and_trims_trailing_slashes() -> None:
    assert gateway_realtime_url("wss://gw.example/v4/ai", "m") == (
        "wss://gw.example/v4/ai/realtime-model?ai-model-id=m"
    )
    assert gateway_realtime_url("ws://127.0.0.1:9/PREFIX//", "m") == (
        "ws://127.0.0.1:9/PREFIX/realtime-model?ai-model-id=m"
    )
    assert gateway_realtime_url("https://h", "m") == "wss://h/realtime-model?ai-model-id=m"


@pytest.mark.parametrize("base", ["", "h/x", "ftp://h/x", "https://", "wss:///x"])
def test_a_bad_base_url_names_the_argument(base: str) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        gateway_realtime_url(base, "m")
    assert info.value.argument == "base_url"
    with pytest.raises(InvalidArgumentError) as info:
        gateway_client_secrets_url(base)
    assert info.value.argument == "base_url"


def test_a_bad_token_error_says_how_long_it_was_not_what_it_was() -> None:
    with pytest.raises(InvalidArgumentError, match="got a 9-character value") as info:
        get_gateway_realtime_protocols("has space")
    assert info.value.argument == "token"
    with pytest.raises(InvalidArgumentError, match="got a 0-character value"):
        get_gateway_realtime_protocols(None)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError) as team_info:
        get_gateway_realtime_protocols("t", "bad\ud800")
    assert team_info.value.argument == "team_id_or_slug"


def test_team_base64_edges() -> None:
    # Whitespace inside the value is dropped (forgiving-base64), where the length fits.
    assert get_gateway_realtime_team_id_or_slug(TEAM + "YW J") == "ab"
    assert get_gateway_realtime_team_id_or_slug(TEAM + "YWJj") == "abc"
    # One '=' of padding on a 3-character body; a lone trailing character is invalid.
    assert get_gateway_realtime_team_id_or_slug(TEAM + "YWI=") == "ab"
    assert get_gateway_realtime_team_id_or_slug(TEAM + "YWJjZ") is None
    # Characters outside the alphabet make the value invalid, whatever decodes around them.
    assert get_gateway_realtime_team_id_or_slug(TEAM + "YW.j") is None
    assert get_gateway_realtime_team_id_or_slug(TEAM + "Y===") is None


def test_a_team_whose_encoding_ends_in_x_keeps_it() -> None:
    # Only the padding is stripped: "X" is a base64 digit like any other.
    (_, _, team) = get_gateway_realtime_protocols("t", "teamaW")
    assert team == TEAM + "dGVhbWFX"
    assert get_gateway_realtime_team_id_or_slug(team) == "teamaW"


@pytest.mark.parametrize("header", [5, b"ai-gateway-auth.x", ["ai-gateway-auth.x"]])
def test_the_readers_return_none_for_a_header_that_is_not_text(header: object) -> None:
    assert get_gateway_realtime_auth_token(header) is None  # type: ignore[arg-type]
    assert get_gateway_realtime_team_id_or_slug(header) is None  # type: ignore[arg-type]


_B64ISH = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/= \t\n\f\r%.*"


def _corpus() -> list[str | None]:
    rng = random.Random(20261)
    headers: list[str | None] = [None, "", ",", " , ", AUTH, TEAM, f"{TEAM} ,{AUTH}"]
    for _ in range(3000):
        body = "".join(rng.choice(_B64ISH) for _ in range(rng.randrange(0, 13)))
        prefix = rng.choice([TEAM, AUTH, TEAM, "x-" + TEAM, TEAM.upper()])
        entry = prefix + body
        if rng.random() < 0.3:
            entry = rng.choice([" ", "\t", ""]) + entry + rng.choice([" ", ",", ""])
        if rng.random() < 0.3:
            other = rng.choice(["ai-gateway-realtime.v1", AUTH + "tok", TEAM + "YQ", ""])
            entry = f"{other},{entry}" if rng.random() < 0.5 else f"{entry},{other}"
        headers.append(entry)
    return headers


def _models() -> list[str]:
    rng = random.Random(20262)
    alphabet = "aZ9 ~*-._/&=+%?#\u00e4\u20ac\U0001f600\ud800\udc00"
    return ["".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 8))) for _ in range(400)]


def test_a_generated_corpus_reads_and_builds_as_the_reference_does() -> None:
    headers = _corpus()
    teams_to_encode = ["team_123", "team/with/slashes", "ä", "\U0001f600 x", "a" * 50, "-_+/"]
    protocols: list[tuple[str, str | None]] = [("vck_test-token", None)]
    protocols += [("tok", team) for team in teams_to_encode]
    bases = ["https://ai-gateway.vercel.sh/v4/ai", "http://localhost:3000/v4/ai", "wss://h:9/p"]
    rng = random.Random(20263)
    realtime = [[rng.choice(bases), model] for model in _models()]
    secrets = ["https://ai-gateway.vercel.sh/v4/ai", "http://127.0.0.1:8080/v4/ai/", "https://h"]
    ref = run_driver(
        "gateway_auth.mjs",
        {"headers": headers, "protocols": protocols, "realtime": realtime, "secrets": secrets},
    )
    assert [get_gateway_realtime_auth_token(h) for h in headers] == ref["tokens"]
    assert [get_gateway_realtime_team_id_or_slug(h) for h in headers] == ref["teams"]
    assert sum(team is not None for team in ref["teams"]) > 200  # the corpus reaches decoding
    ours = [get_gateway_realtime_protocols(token, team) for token, team in protocols]
    assert ours == ref["protocols"]
    assert all(is_subprotocol_token(p) for entry in ours for p in entry)
    assert [gateway_realtime_url(base, model) for base, model in realtime] == ref["realtime"]
    assert [gateway_client_secrets_url(base) for base in secrets] == ref["secrets"]
