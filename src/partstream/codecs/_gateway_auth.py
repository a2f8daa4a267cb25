"""The AI Gateway realtime auth contract, carried in ``Sec-WebSocket-Protocol``.

A browser ``WebSocket`` cannot set request headers, so the Gateway credential
rides the subprotocol list instead of an ``Authorization`` header. The client
offers::

    ai-gateway-realtime.v1                marker; the server echoes it on the 101
    ai-gateway-auth.<token>               the bearer token, verbatim
    ai-gateway-team.<base64url(team)>     optional team scope, UTF-8, no padding

and the server reads them back from the raw header with
:func:`get_gateway_realtime_auth_token` and
:func:`get_gateway_realtime_team_id_or_slug`, which never raise.

Sans-IO: no anyio, no httpx.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Final
from urllib.parse import urlsplit

from ..errors import InvalidArgumentError

__all__ = [
    "GATEWAY_AUTH_SUBPROTOCOL_PREFIX",
    "GATEWAY_REALTIME_SUBPROTOCOL",
    "GATEWAY_TEAM_SUBPROTOCOL_PREFIX",
    "gateway_client_secrets_url",
    "gateway_realtime_url",
    "get_gateway_realtime_auth_token",
    "get_gateway_realtime_protocols",
    "get_gateway_realtime_team_id_or_slug",
    "is_subprotocol_token",
]

#: Marker subprotocol offered on every handshake so the server has one to select.
GATEWAY_REALTIME_SUBPROTOCOL: Final = "ai-gateway-realtime.v1"
#: Prefix of the subprotocol that carries the Gateway bearer token.
GATEWAY_AUTH_SUBPROTOCOL_PREFIX: Final = "ai-gateway-auth."
#: Prefix of the subprotocol that carries the optional team id or slug (base64url).
GATEWAY_TEAM_SUBPROTOCOL_PREFIX: Final = "ai-gateway-team."

# RFC 6455 section 4.1: a subprotocol is an RFC 7230 "token": 1*tchar, where
# tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" /
#         "`" / "|" / "~" / DIGIT / ALPHA
_TOKEN: Final = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# WHATWG forgiving-base64: ASCII whitespace is dropped before decoding.
_ASCII_WHITESPACE: Final = str.maketrans("", "", "\t\n\f\r ")
_BASE64_BODY: Final = re.compile(r"[A-Za-z0-9+/]*")


def is_subprotocol_token(value: str) -> bool:
    """True if ``value`` fits the RFC 6455 subprotocol (RFC 7230 token) grammar."""
    return _TOKEN.fullmatch(value) is not None


def _encode_team(team: str) -> str:
    try:
        raw = team.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidArgumentError(
            "team_id_or_slug is not encodable as UTF-8 (it contains a lone surrogate)",
            argument="team_id_or_slug",
        ) from None
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def get_gateway_realtime_protocols(token: str, team_id_or_slug: str | None = None) -> list[str]:
    """Client side: the subprotocols that carry ``token`` (and a team scope) to the Gateway.

    Returns ``[marker, "ai-gateway-auth.<token>"]`` plus
    ``"ai-gateway-team.<base64url(team)>"`` when a non-empty team is given. The token
    is sent verbatim, so it must be a valid subprotocol token; one that is not is
    rejected here, before any connection, with an error that does not repeat it.
    """
    value: object = token
    if not isinstance(value, str) or not is_subprotocol_token(value):
        length = len(value) if isinstance(value, str) else 0
        raise InvalidArgumentError(
            "the Gateway token cannot be sent as a WebSocket subprotocol: it must be "
            "non-empty and use only letters, digits and !#$%&'*+-.^_`|~ "
            f"(RFC 6455 section 4.1); got a {length}-character value that does not fit",
            argument="token",
        )
    protocols = [GATEWAY_REALTIME_SUBPROTOCOL, GATEWAY_AUTH_SUBPROTOCOL_PREFIX + token]
    if team_id_or_slug:
        protocols.append(GATEWAY_TEAM_SUBPROTOCOL_PREFIX + _encode_team(team_id_or_slug))
    return protocols


def _find_protocol(header: str | None, prefix: str) -> str | None:
    """The first comma-separated, trimmed entry of ``header`` that starts with ``prefix``."""
    if not header:
        return None
    for entry in header.split(","):
        entry = entry.strip()
        if entry.startswith(prefix):
            return entry
    return None


def get_gateway_realtime_auth_token(header: str | None) -> str | None:
    """Server side: the bearer token in a raw ``Sec-WebSocket-Protocol`` value, or ``None``.

    Absent headers, a missing auth entry and an empty or whitespace token all give
    ``None``. Never raises.
    """
    if not isinstance(header, str):
        return None
    entry = _find_protocol(header, GATEWAY_AUTH_SUBPROTOCOL_PREFIX)
    if entry is None:
        return None
    # The entry is trimmed already, so the rest needs no further trimming.
    return entry[len(GATEWAY_AUTH_SUBPROTOCOL_PREFIX) :] or None


def _forgiving_base64_decode(data: str) -> bytes | None:
    """WHATWG "forgiving-base64 decode" (what ``atob`` does); ``None`` on failure."""
    data = data.translate(_ASCII_WHITESPACE)
    if len(data) % 4 == 0 and data.endswith("="):
        data = data[:-2] if data.endswith("==") else data[:-1]
    if len(data) % 4 == 1 or _BASE64_BODY.fullmatch(data) is None:
        return None
    try:
        # Leftover bits in the last character are discarded, as the spec says.
        return binascii.a2b_base64(data + "=" * (-len(data) % 4))
    except binascii.Error:  # pragma: no cover - the checks above rule it out
        return None


def get_gateway_realtime_team_id_or_slug(header: str | None) -> str | None:
    """Server side: the team id or slug in a raw ``Sec-WebSocket-Protocol`` value, or ``None``.

    The value is base64url (padding optional; standard base64 is tolerated the way
    the reference's ``atob`` tolerates it). Absent, empty or malformed values give
    ``None``; invalid UTF-8 decodes with replacement characters, like ``TextDecoder``.
    Never raises.
    """
    if not isinstance(header, str):
        return None
    entry = _find_protocol(header, GATEWAY_TEAM_SUBPROTOCOL_PREFIX)
    if entry is None:
        return None
    encoded = entry[len(GATEWAY_TEAM_SUBPROTOCOL_PREFIX) :]
    if not encoded:
        return None
    standard = encoded.replace("-", "+").replace("_", "/")
    decoded = _forgiving_base64_decode(standard + "=" * ((4 - len(standard) % 4) % 4))
    if decoded is None:
        return None
    return decoded.decode("utf-8", "replace") or None


# --- URLs ------------------------------------------------------------------------------

# application/x-www-form-urlencoded (what URLSearchParams writes): these bytes stay,
# space becomes "+", every other byte is percent-encoded.
_FORM_SAFE: Final = frozenset(b"*-._0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


def _form_encode(value: str) -> str:
    # URLSearchParams takes a USVString (WebIDL): a lone surrogate becomes U+FFFD and
    # a surrogate pair the character it spells, before the UTF-8 encoding.
    usv = value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    out: list[str] = []
    for byte in usv.encode("utf-8"):
        if byte in _FORM_SAFE:
            out.append(chr(byte))
        elif byte == 0x20:
            out.append("+")
        else:
            out.append(f"%{byte:02X}")
    return "".join(out)


def _split_base(base_url: str, *, argument: str) -> tuple[str, str, str]:
    parts = urlsplit(base_url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https", "ws", "wss") or not parts.netloc:
        raise InvalidArgumentError(
            f"{argument} must be an absolute http(s) or ws(s) URL, got {base_url!r}",
            argument=argument,
        )
    return scheme, parts.netloc, parts.path.rstrip("/")


def gateway_realtime_url(base_url: str, model_id: str) -> str:
    """The realtime WebSocket URL: the base upgraded to ws(s) + ``/realtime-model?ai-model-id=``.

    The model id goes verbatim (the Gateway owns its resolution), form-encoded so a
    qualified id such as ``openai/gpt-realtime`` survives as ``openai%2Fgpt-realtime``.
    """
    scheme, netloc, path = _split_base(base_url, argument="base_url")
    scheme = {"http": "ws", "https": "wss"}.get(scheme, scheme)
    return f"{scheme}://{netloc}{path}/realtime-model?ai-model-id={_form_encode(model_id)}"


def gateway_client_secrets_url(base_url: str) -> str:
    """Where client secrets are minted: ``/v1/realtime/client-secrets`` on the base's origin."""
    scheme, netloc, _ = _split_base(base_url, argument="base_url")
    scheme = {"ws": "http", "wss": "https"}.get(scheme, scheme)
    return f"{scheme}://{netloc}/v1/realtime/client-secrets"
