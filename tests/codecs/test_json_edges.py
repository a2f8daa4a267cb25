"""codecs.json edges: the decoder order and the exact excerpt an error quotes."""

from __future__ import annotations

import importlib.util

import pytest

from partstream.codecs import json as pjson
from partstream.errors import InvalidResponseDataError


def test_decoders_are_tried_fastest_first_and_all_installed_ones_are_listed() -> None:
    installed = [name for name in ("msgspec", "orjson") if importlib.util.find_spec(name)]
    assert [name for name, _, _ in pjson._backends()] == [*installed, "json"]
    assert pjson.BACKEND == "msgspec"  # a dependency: always there


def _excerpt_of(bad: str | bytes | bytearray | memoryview) -> str:
    with pytest.raises(InvalidResponseDataError) as info:
        pjson.loads(bad)
    data = info.value.data
    assert isinstance(data, str)
    return data


@pytest.mark.parametrize("kind", [str, bytes, bytearray, memoryview])
def test_the_excerpt_is_the_first_max_error_text_characters(kind: type) -> None:
    assert pjson.MAX_ERROR_TEXT == 200

    def make(text: str) -> str | bytes | bytearray | memoryview:
        return text if kind is str else kind(text.encode())

    exactly = "{" + "x" * 199  # 200 characters: quoted whole
    assert _excerpt_of(make(exactly)) == exactly
    over = "{" + "y" * 200  # 201: cut at 200, marked
    assert _excerpt_of(make(over)) == over[:200] + "..."
    long = "[" + "z" * 5000
    assert _excerpt_of(make(long)) == long[:200] + "..."
    assert _excerpt_of(make("{")) == "{"


def test_a_bytes_excerpt_counts_characters_not_bytes() -> None:
    # The euro signs are 3 bytes each: 200 characters are quoted whole, 201 are cut.
    exactly = "{" + "\u20ac" * 199
    assert _excerpt_of(exactly.encode()) == exactly
    over = "{" + "\u20ac" * 200
    assert _excerpt_of(over.encode()) == over[:200] + "..."
    # 4-byte characters: the most bytes a character can take.
    emoji = "\U0001f600" * 201
    assert _excerpt_of(emoji.encode()) == emoji[:200] + "..."
    braced = "{" + "\U0001f600" * 200
    assert _excerpt_of(braced.encode()) == braced[:200] + "..."
    invalid = b"{" + b"\xff" * 300  # each invalid byte is one replacement character
    assert _excerpt_of(invalid) == "{" + "\ufffd" * 199 + "..."
