"""Base64 the way the AI SDK's JavaScript does it (sans-IO).

* :func:`forgiving_base64_decode` is WHATWG "forgiving-base64 decode", what
  ``atob`` does: ASCII whitespace dropped, padding optional, leftover bits
  discarded, anything else outside the standard alphabet refused.
* :func:`base64_to_bytes` is provider-utils' ``convertBase64ToUint8Array``: the
  base64url letters ``-`` and ``_`` mapped to ``+`` and ``/`` first, then ``atob``.
* :func:`encode_base64` is provider-utils' ``convertToBase64``: bytes become
  standard base64 with padding; a string is taken as base64 already.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Final

__all__ = ["base64_to_bytes", "encode_base64", "forgiving_base64_decode"]

# WHATWG infra "ASCII whitespace": tab, LF, FF, CR, space (not VT, not U+00A0).
_ASCII_WHITESPACE: Final = str.maketrans("", "", "\t\n\f\r ")
_BASE64_URL_LETTERS: Final = str.maketrans("-_", "+/")
_BASE64_BODY: Final = re.compile(r"[A-Za-z0-9+/]*")


def forgiving_base64_decode(data: str) -> bytes | None:
    """WHATWG "forgiving-base64 decode" (what ``atob`` does); ``None`` on failure."""
    data = data.translate(_ASCII_WHITESPACE)
    # Only a length divisible by 4 may end in one or two "=", which are dropped.
    if len(data) % 4 == 0 and data.endswith("="):
        data = data[:-2] if data.endswith("==") else data[:-1]
    if len(data) % 4 == 1 or _BASE64_BODY.fullmatch(data) is None:
        return None
    try:
        # Leftover bits in the last character are discarded, as the spec says.
        return binascii.a2b_base64(data + "=" * (-len(data) % 4))
    except binascii.Error:  # pragma: no cover - the checks above rule it out
        return None


def base64_to_bytes(text: str) -> bytes | None:
    """``convertBase64ToUint8Array``: base64 or base64url text; ``None`` where ``atob`` throws."""
    return forgiving_base64_decode(text.translate(_BASE64_URL_LETTERS))


def encode_base64(data: str | bytes | bytearray | memoryview) -> str:
    """``convertToBase64``: bytes become standard base64 with padding; a string stays."""
    if isinstance(data, str):
        return data
    return base64.b64encode(bytes(data)).decode("ascii")
