"""partstream.codecs.json: strict JSON with the fastest decoder, partstream errors."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given

from partstream.codecs import json as pjson
from partstream.errors import InvalidResponseDataError
from partstream.testing import json_values

BACKENDS = pjson._backends()


def test_the_fastest_installed_decoder_is_used() -> None:
    names = [name for name, _, _ in BACKENDS]
    assert names[-1] == "json"
    assert names[0] == pjson.BACKEND


@pytest.mark.parametrize("backend", BACKENDS, ids=[b[0] for b in BACKENDS])
@pytest.mark.parametrize(
    "text",
    [
        "NaN",
        "[Infinity]",
        "-Infinity",
        "{",
        "1 2",
        "\ufeff{}",
        '"\x01"',
        "",
        "[" * 5000 + "]" * 5000,
    ],
)
def test_every_backend_is_strict(backend: Any, text: str) -> None:
    _, decode, errors = backend
    with pytest.raises(errors):
        decode(text)


@pytest.mark.parametrize("text", ["NaN", "{", "", "[" * 5000 + "]" * 5000, b"\xff"])
def test_errors_are_partstream_errors(text: str | bytes) -> None:
    with pytest.raises(InvalidResponseDataError, match="invalid JSON") as info:
        pjson.loads(text)
    assert info.value.__cause__ is not None
    assert len(str(info.value)) < pjson.MAX_ERROR_TEXT + 200


def _beyond_64_bits_as_float(value: Any) -> Any:
    # orjson reads integers beyond 64 bits as floats (as JavaScript reads any integer).
    if isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**64:
        return float(value)
    if isinstance(value, list):
        return [_beyond_64_bits_as_float(v) for v in value]
    if isinstance(value, dict):
        return {k: _beyond_64_bits_as_float(v) for k, v in value.items()}
    return value


@pytest.mark.parametrize("backend", BACKENDS, ids=[b[0] for b in BACKENDS])
@given(value=json_values(12))
def test_every_backend_round_trips_json(backend: Any, value: Any) -> None:
    name, decode, _ = backend
    text = json.dumps(value)
    expected = _beyond_64_bits_as_float(value) if name == "orjson" else value
    assert decode(text) == expected
    assert decode(text.encode()) == expected
    if name == pjson.BACKEND:
        assert pjson.loads(text) == expected


def test_big_integers() -> None:
    text = "123456789012345678901234567890"
    for name, decode, _ in BACKENDS:
        assert decode(text) == (float(text) if name == "orjson" else int(text))


@pytest.mark.parametrize("value", [None, 123, [1, 2], object()])
def test_a_value_that_is_not_text_is_an_invalid_response_naming_its_type(value: Any) -> None:
    with pytest.raises(InvalidResponseDataError, match="invalid JSON") as info:
        pjson.loads(value)
    assert info.value.data == f"<{type(value).__name__}>"
    assert isinstance(info.value.__cause__, TypeError)
