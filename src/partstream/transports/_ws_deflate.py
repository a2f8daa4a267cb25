"""permessage-deflate (RFC 7692) for the WebSocket client: the offer and its negotiation.

:class:`DeflateOffer` writes the ``Sec-WebSocket-Extensions`` offer and checks
the server's answer (RFC 7692 sections 5 and 7.1) into
:class:`DeflateParameters`, or refuses it with a
:class:`~partstream.errors.WebSocketHandshakeError` carrying the close code the
client fails the connection with (1002; 1010 for an agreement it cannot carry
out). ``_OfferExtension`` is what wsproto's handshake calls to write the offer
and collect the answers. Sans-IO; the codec (inflating, deflating, the frames)
is ``_ws_deflate_codec``.
"""

from __future__ import annotations

import re
from typing import Final, final

import attrs
from wsproto.extensions import Extension

from ..errors import InvalidArgumentError, WebSocketHandshakeError
from ._ws_frames import CLOSE_PROTOCOL_ERROR

__all__ = ["EXTENSION_NAME", "DeflateOffer", "DeflateParameters"]

EXTENSION_NAME: Final = "permessage-deflate"

# RFC 6455 section 7.4.1: 1002 for an answer that breaks the rules, 1010 for a valid
# answer this client cannot use.
_CLOSE_EXTENSION: Final = 1010

# RFC 7692 section 7.1.2: window bits are 8 to 15, written as a plain decimal.
_WINDOW_BITS: Final = {str(bits): bits for bits in range(8, 16)}
# RFC 6455 section 9.1 / RFC 7230: extension-param = token [ "=" (token / quoted-string) ].
_TOKEN: Final = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_PARAM: Final = re.compile(rf'\s*({_TOKEN})\s*(?:=\s*(?:({_TOKEN})|"((?:[^"\\]|\\.)*)"))?\s*')


def _check_bits(value: int | None, name: str, low: int) -> int | None:
    given: object = value
    if given is None:
        return None
    if isinstance(given, bool) or not isinstance(given, int) or not low <= given <= 15:
        raise InvalidArgumentError(f"{name} must be None or an int from {low} to 15", argument=name)
    return value


def _check_range(value: int, name: str, low: int, high: int) -> int:
    given: object = value
    if isinstance(given, bool) or not isinstance(given, int) or not low <= given <= high:
        raise InvalidArgumentError(f"{name} must be an int from {low} to {high}", argument=name)
    return value


def _check_flags(value: object) -> None:
    for name in ("server_no_context_takeover", "client_no_context_takeover"):
        if not isinstance(getattr(value, name), bool):
            raise InvalidArgumentError(f"{name} must be a bool", argument=name)


def _refuse(reason: str, code: int = CLOSE_PROTOCOL_ERROR) -> WebSocketHandshakeError:
    return WebSocketHandshakeError(
        f"the server's permessage-deflate answer is refused: {reason} (closing with {code})",
        close_code=code,
    )


@final
@attrs.frozen
class DeflateParameters:
    """What client and server agreed on for permessage-deflate (RFC 7692 section 7.1).

    ``*_max_window_bits`` are 15 when the answer did not limit them. ``level`` and
    ``mem_level`` are this side's compressor settings (from the offer), not negotiated.
    """

    server_no_context_takeover: bool = False
    client_no_context_takeover: bool = False
    server_max_window_bits: int = 15
    client_max_window_bits: int = 15
    level: int = 6
    mem_level: int = 5

    def __attrs_post_init__(self) -> None:
        # Built by negotiate(); checked for those who build one for ClientProtocol.
        _check_flags(self)
        _check_range(self.server_max_window_bits, "server_max_window_bits", 8, 15)
        _check_range(self.client_max_window_bits, "client_max_window_bits", 9, 15)
        _check_range(self.level, "level", 0, 9)
        _check_range(self.mem_level, "mem_level", 1, 9)


@final
@attrs.frozen
class DeflateOffer:
    """The permessage-deflate offer a client sends, and how it compresses.

    ``connect_websocket(url, compression="deflate")`` uses ``DeflateOffer()``: it
    offers ``client_max_window_bits`` without a value (any window the server asks
    for, 9 to 15) and accepts whatever the server answers within RFC 7692.

    * ``server_no_context_takeover``: ask the server to compress every message on
      its own (less memory held between messages on both sides, worse ratio).
    * ``client_no_context_takeover``: compress every message sent on its own.
    * ``server_max_window_bits`` (8-15): ask the server for at most this window.
    * ``client_max_window_bits`` (9-15): use at most this window when sending; None
      offers the parameter without a value. (zlib cannot compress with 8.)
    * ``level`` (0-9) and ``mem_level`` (1-9): zlib settings of the compressor.
    """

    server_no_context_takeover: bool = attrs.field(default=False, kw_only=True)
    client_no_context_takeover: bool = attrs.field(default=False, kw_only=True)
    server_max_window_bits: int | None = attrs.field(default=None, kw_only=True)
    client_max_window_bits: int | None = attrs.field(default=None, kw_only=True)
    level: int = attrs.field(default=6, kw_only=True)
    mem_level: int = attrs.field(default=5, kw_only=True)

    def __attrs_post_init__(self) -> None:
        _check_flags(self)
        _check_bits(self.server_max_window_bits, "server_max_window_bits", 8)
        _check_bits(self.client_max_window_bits, "client_max_window_bits", 9)
        _check_range(self.level, "level", 0, 9)
        _check_range(self.mem_level, "mem_level", 1, 9)

    def header_value(self) -> str:
        """The offer as written in ``Sec-WebSocket-Extensions`` (RFC 7692 section 7.1)."""
        params = [EXTENSION_NAME]
        if self.server_no_context_takeover:
            params.append("server_no_context_takeover")
        if self.client_no_context_takeover:
            params.append("client_no_context_takeover")
        if self.server_max_window_bits is not None:
            params.append(f"server_max_window_bits={self.server_max_window_bits}")
        if self.client_max_window_bits is None:
            params.append("client_max_window_bits")
        else:
            params.append(f"client_max_window_bits={self.client_max_window_bits}")
        return "; ".join(params)

    def negotiate(self, answers: list[str]) -> DeflateParameters | None:
        """Check the server's permessage-deflate answers (normally zero or one).

        Returns the agreed parameters, None when the server declined (no answer),
        or raises WebSocketHandshakeError with ``close_code`` set (RFC 7692 section
        7.1: a response with a parameter not defined for responses, an invalid
        value, a repeated parameter, or a configuration the client does not
        support fails the connection).
        """
        if not answers:
            return None
        if len(answers) > 1:
            raise _refuse("the extension was accepted more than once")
        values = _parse_params(answers[0])
        server_no_takeover = "server_no_context_takeover" in values
        client_no_takeover = "client_no_context_takeover" in values
        for flag in ("server_no_context_takeover", "client_no_context_takeover"):
            if values.get(flag, None) is not None:
                raise _refuse(f"{flag} takes no value")
        server_bits = _bits_value(values, "server_max_window_bits")
        client_bits = _bits_value(values, "client_max_window_bits")
        # 7.1.1.1: the server accepts server_no_context_takeover by repeating it.
        if self.server_no_context_takeover and not server_no_takeover:
            raise _refuse("server_no_context_takeover was offered but not accepted")
        # 7.1.2.1: an offered server_max_window_bits=N is accepted with a value <= N.
        if self.server_max_window_bits is not None:
            if server_bits is None:
                raise _refuse("server_max_window_bits was offered but not accepted")
            if server_bits > self.server_max_window_bits:
                raise _refuse("server_max_window_bits is larger than offered")
        # 7.1.2.2: client_max_window_bits only in answer to an offer of it, <= its value.
        if client_bits is None:
            client_bits = self.client_max_window_bits or 15
        elif self.client_max_window_bits is not None and client_bits > self.client_max_window_bits:
            raise _refuse("client_max_window_bits is larger than offered")
        if client_bits == 8:
            # zlib cannot deflate with a 256-byte window (madler/zlib#171).
            raise _refuse("client_max_window_bits=8 is not supported", _CLOSE_EXTENSION)
        return DeflateParameters(
            server_no_context_takeover=server_no_takeover,
            # 7.1.1.2: our own client_no_context_takeover stays on whatever the answer.
            client_no_context_takeover=client_no_takeover or self.client_no_context_takeover,
            server_max_window_bits=server_bits or 15,
            client_max_window_bits=client_bits,
            level=self.level,
            mem_level=self.mem_level,
        )


def _parse_params(answer: str) -> dict[str, str | None]:
    """The parameters of one ``permessage-deflate; a; b=1`` element, checked for syntax."""
    name, *params = answer.split(";")
    if name.strip() != EXTENSION_NAME:
        raise _refuse("not a permessage-deflate element")
    values: dict[str, str | None] = {}
    for param in params:
        match = _PARAM.fullmatch(param)
        if match is None:
            raise _refuse("a parameter is not valid extension-param syntax")
        key, token, quoted = match.groups()
        if key not in _RESPONSE_PARAMS:
            # Never quoted: a server that echoes the request could put a credential here.
            raise _refuse("a parameter is not a permessage-deflate response parameter")
        if key in values:
            raise _refuse(f"{key} is repeated")
        # RFC 7692 section 5: a quoted value must be a token once unquoted.
        value = token if quoted is None else re.sub(r"\\(.)", r"\1", quoted)
        values[key] = value
    return values


_RESPONSE_PARAMS: Final = frozenset(
    {
        "server_no_context_takeover",
        "client_no_context_takeover",
        "server_max_window_bits",
        "client_max_window_bits",
    }
)


def _bits_value(values: dict[str, str | None], name: str) -> int | None:
    if name not in values:
        return None
    value = values[name]
    # 7.1.2: in a response both window parameters carry a value, 8 to 15.
    bits = _WINDOW_BITS.get(value) if value is not None else None
    if bits is None:
        raise _refuse(f"{name} needs a value from 8 to 15")
    return bits


# -- the handshake's side -------------------------------------------------------------------


@final
class _OfferExtension(Extension):
    """What wsproto's handshake calls: writes our offer, collects the server's answers."""

    name = EXTENSION_NAME

    def __init__(self, offer: DeflateOffer) -> None:
        self._value = offer.header_value().partition("; ")[2]
        self.answers: list[str] = []

    def offer(self) -> str:
        return self._value

    def finalize(self, offer: str) -> None:
        self.answers.append(offer)
