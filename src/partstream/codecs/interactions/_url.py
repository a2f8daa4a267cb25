"""``new URL(text).href`` for the file URLs the reference hands out (sans-IO).

The reference wraps image/video ``uri`` values in a WHATWG ``URL``; its JSON form is
the serialised ``href``. This is the subset of the WHATWG URL parser that decides
that string for absolute URLs: scheme and host lower-cased, default port dropped,
an empty path of a special scheme becomes ``/``, ``.``/``..`` segments resolved,
backslashes in special URLs read as slashes, and the characters the standard's
percent-encode sets name are escaped. Text that has no scheme, or a special URL
with an empty or forbidden host or a bad port, is invalid (``None``), where
JavaScript throws ``TypeError: Invalid URL``.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["url_href"]

_SPECIAL_PORTS: Final = {"http": 80, "https": 443, "ws": 80, "wss": 443, "ftp": 21, "file": None}
_SCHEME: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_FORBIDDEN_HOST: Final = frozenset(" #/:<>?@[\\]^|\x00\t\n\r")
_FORBIDDEN_DOMAIN: Final = _FORBIDDEN_HOST | frozenset(chr(c) for c in range(0x20)) | {"%", "\x7f"}
_C0_OR_SPACE: Final = "".join(chr(c) for c in range(0x21))

# WHATWG percent-encode sets (beyond C0 controls and non-ASCII, always encoded).
_FRAGMENT_SET: Final = frozenset(' "<>`')
_QUERY_SET: Final = frozenset(' "#<>')
_SPECIAL_QUERY_SET: Final = _QUERY_SET | {"'"}
_PATH_SET: Final = _QUERY_SET | frozenset("?`{}")


def _encode(text: str, chars: frozenset[str]) -> str:
    if text.isascii() and not any(c in chars or c < " " or c == "\x7f" for c in text):
        return text
    out = []
    for ch in text:
        if ch in chars or ch < " " or ch == "\x7f" or not ch.isascii():
            out.append("".join(f"%{b:02X}" for b in ch.encode("utf-8")))
        else:
            out.append(ch)
    return "".join(out)


def _normalise_path(path: str, special: bool) -> str:
    segments = path.split("/")[1:]
    out: list[str] = []
    for i, segment in enumerate(segments):
        last = i == len(segments) - 1
        lowered = segment.lower()
        if lowered in ("..", ".%2e", "%2e.", "%2e%2e"):
            if out:
                out.pop()
            if last:
                out.append("")
        elif lowered in (".", "%2e"):
            if last:
                out.append("")
        else:
            out.append(_encode(segment, _PATH_SET))
    return "/" + "/".join(out) if out or special else ""


def _ipv4_number(part: str) -> int | None:
    if part[:2].lower() == "0x":
        digits, base = part[2:], 16
    elif len(part) > 1 and part.startswith("0"):
        digits, base = part[1:], 8
    else:
        digits, base = part, 10
    if not part:
        return None
    if not digits:
        return 0
    try:
        return int(digits, base) if digits.isalnum() and digits.isascii() else None
    except ValueError:
        return None


def _ipv4(host: str) -> str | bool | None:
    """The dotted form of an IPv4 host; ``False`` when it is not one; ``None`` if invalid."""
    parts = host.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    last = parts[-1]
    if not (last.isdigit() and last.isascii()) and _ipv4_number(last) is None:
        return False  # not "ends in a number": a domain
    if len(parts) > 4:
        return None
    numbers = [_ipv4_number(p) for p in parts]
    if any(n is None for n in numbers):
        return None
    values = [n for n in numbers if n is not None]
    if any(n > 255 for n in values[:-1]) or values[-1] >= 256 ** (5 - len(values)):
        return None
    address = values[-1] + sum(n * 256 ** (3 - i) for i, n in enumerate(values[:-1]))
    return ".".join(str((address >> shift) & 255) for shift in (24, 16, 8, 0))


def _percent_decode(text: str) -> str:
    if "%" not in text:
        return text
    raw = bytearray()
    i = 0
    data = text.encode("utf-8")
    while i < len(data):
        if data[i] == 0x25 and re.fullmatch(rb"[0-9A-Fa-f]{2}", data[i + 1 : i + 3]):
            raw.append(int(data[i + 1 : i + 3], 16))
            i += 3
        else:
            raw.append(data[i])
            i += 1
    return raw.decode("utf-8", "replace")


def _host(authority: str, special: bool, *, allow_empty: bool) -> tuple[str, str] | None:
    """``(host, port)`` of an authority without userinfo; ``None`` when invalid."""
    if authority.startswith("["):
        end = authority.find("]")
        if end < 0:
            return None
        host, rest = authority[: end + 1].lower(), authority[end + 1 :]
        if rest and not rest.startswith(":"):
            return None
        port = rest[1:]
    else:
        host, colon, port = authority.partition(":")
        if not host and (colon or (special and not allow_empty)):
            return None
        if special:
            domain = _percent_decode(host)
            if not domain.isascii():
                try:
                    domain = domain.encode("idna").decode("ascii")
                except UnicodeError:
                    return None
            domain = domain.lower()
            if any(c in _FORBIDDEN_DOMAIN for c in domain):
                return None
            if domain:
                ipv4 = _ipv4(domain)
                if ipv4 is None:
                    return None
                if isinstance(ipv4, str):
                    domain = ipv4
            host = domain
        else:
            if any(c in _FORBIDDEN_HOST for c in host):
                return None
            host = _encode(host, frozenset())
    if port and not (port.isdigit() and port.isascii()):
        return None
    if port and int(port) > 65535:
        return None
    return host, str(int(port)) if port else ""


def url_href(text: str) -> str | None:
    """The ``href`` JavaScript's ``new URL(text)`` gives, or ``None`` if it would throw."""
    # The URL parser takes a USVString (WebIDL): a lone surrogate is U+FFFD, a pair of
    # surrogates the character it spells.
    text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    text = text.strip(_C0_OR_SPACE).replace("\t", "").replace("\n", "").replace("\r", "")
    match = _SCHEME.match(text)
    if match is None:
        return None
    scheme = match.group()[:-1].lower()
    rest = text[match.end() :]
    special = scheme in _SPECIAL_PORTS
    if special:
        # Backslashes read as slashes in a special URL's authority and path only.
        cut = min((i for i in (rest.find("?"), rest.find("#")) if i >= 0), default=len(rest))
        rest = rest[:cut].replace("\\", "/") + rest[cut:]

    fragment = None
    if "#" in rest:
        rest, fragment = rest.split("#", 1)
    query = None
    if "?" in rest:
        rest, query = rest.split("?", 1)

    authority = None
    if special and scheme != "file":
        authority_and_path = rest.lstrip("/")
        cut = authority_and_path.find("/")
        authority = authority_and_path if cut < 0 else authority_and_path[:cut]
        path = "" if cut < 0 else authority_and_path[cut:]
    elif rest.startswith("//"):
        cut = rest.find("/", 2)
        authority = rest[2:] if cut < 0 else rest[2:cut]
        path = "" if cut < 0 else rest[cut:]
    else:
        path = rest

    href = scheme + ":"
    if authority is not None:
        userinfo, at, hostport = authority.rpartition("@")
        if at and not hostport:
            return None
        parsed = _host(hostport, special, allow_empty=scheme == "file")
        if parsed is None:
            return None
        host, port = parsed
        if port and special and _SPECIAL_PORTS[scheme] == int(port):
            port = ""
        credentials = ""
        if at:
            user, _, password = userinfo.partition(":")
            userinfo_set = _PATH_SET | frozenset("/:;=@[\\]^|")
            credentials = _encode(user, userinfo_set)
            if password:
                credentials += ":" + _encode(password, userinfo_set)
            if credentials:
                credentials += "@"
        href += "//" + credentials + host + (":" + port if port else "")
    if path.startswith("/") or special:
        href += _normalise_path(path if path.startswith("/") else "/" + path, special)
    else:
        # An opaque path (mailto:x, data:...): only controls and non-ASCII are escaped.
        href += _encode(path, frozenset())
    if query is not None:
        href += "?" + _encode(query, _SPECIAL_QUERY_SET if special else _QUERY_SET)
    if fragment is not None:
        href += "#" + _encode(fragment, _FRAGMENT_SET)
    return href
