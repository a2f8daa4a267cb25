"""ResumePolicy delays, Retry-After parsing and httpx error translation (no sockets)."""

from __future__ import annotations

import email.utils

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from partstream import errors
from partstream.transports import sse
from partstream.transports.sse import ResumePolicy, parse_retry_after, translate_httpx_error


def test_defaults_are_the_ai_sdk_ones() -> None:
    policy = ResumePolicy()
    assert (policy.max_attempts, policy.base_delay, policy.jitter) == (3, 0.5, 0.0)
    assert (policy.id_in, policy.query_param) == ("header", "last_event_id")
    assert [policy.delay(n) for n in (0, 1, 2)] == [0.0, 0.5, 1.0]


def test_server_hints_replace_the_computed_delay() -> None:
    policy = ResumePolicy()
    assert policy.delay(2, server_retry=3.0) == 3.0
    assert policy.delay(0, server_retry=3.0) == 3.0
    assert policy.delay(1, server_retry=3.0, retry_after=7.0) == 7.0
    assert policy.delay(1, retry_after=10_000.0) == 60.0  # capped at max_delay
    assert ResumePolicy(max_delay=5).delay(100) == 5.0


@given(
    failures=st.integers(min_value=0, max_value=10),
    jitter=st.floats(min_value=0, max_value=2),
    rand=st.floats(min_value=0, max_value=1, exclude_max=True),
)
def test_jitter_stays_within_its_bounds(failures: int, jitter: float, rand: float) -> None:
    policy = ResumePolicy(jitter=jitter, max_delay=1e9)
    base = 0.5 * failures
    delay = policy.delay(failures, rand=lambda: rand)
    assert base <= delay <= base * (1 + jitter) + 1e-9
    assert delay == pytest.approx(base * (1 + jitter * rand))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_attempts": 0},
        {"max_attempts": 1.5},
        {"max_attempts": True},
        {"base_delay": -1},
        {"base_delay": float("nan")},
        {"jitter": float("inf")},
        {"max_delay": -0.1},
        {"id_in": "cookie"},
    ],
)
def test_bad_policies_are_rejected(kwargs: dict[str, object]) -> None:
    with pytest.raises(errors.InvalidArgumentError):
        ResumePolicy(**kwargs)  # type: ignore[arg-type]


def test_parse_retry_after_forms() -> None:
    h = httpx.Headers
    assert parse_retry_after(h({})) is None
    assert parse_retry_after(h({"Retry-After": "3"})) == 3.0
    assert parse_retry_after(h({"Retry-After": " 1.5 "})) == 1.5
    assert parse_retry_after(h({"retry-after-ms": "250", "Retry-After": "9"})) == 0.25
    assert parse_retry_after(h({"retry-after-ms": "junk", "Retry-After": "9"})) == 9.0
    assert parse_retry_after(h({"Retry-After": "-1"})) is None
    assert parse_retry_after(h({"Retry-After": "soon"})) is None
    date = email.utils.formatdate(1_000_030.0, usegmt=True)
    assert parse_retry_after(h({"Retry-After": date}), now=1_000_000.0) == 30.0
    assert parse_retry_after(h({"Retry-After": date}), now=2_000_000.0) == 0.0


def test_httpx_errors_translate_to_partstream_errors() -> None:
    request = httpx.Request("GET", "http://127.0.0.1/x")
    cases: list[tuple[Exception, type[errors.PartstreamError]]] = [
        (httpx.ConnectError("refused", request=request), errors.ConnectError),
        (httpx.ConnectTimeout("slow", request=request), errors.TimeoutError),
        (httpx.ReadTimeout("slow", request=request), errors.TimeoutError),
        (httpx.ReadError("reset", request=request), errors.TransportError),
        (httpx.RemoteProtocolError("peer closed", request=request), errors.TransportError),
        (httpx.UnsupportedProtocol("ftp", request=request), errors.InvalidArgumentError),
        (httpx.DecodingError("bad gzip", request=request), errors.InvalidResponseDataError),
        (httpx.InvalidURL("no host"), errors.InvalidArgumentError),
    ]
    for exc, kind in cases:
        translated = translate_httpx_error(exc, url="http://127.0.0.1/x")
        assert type(translated) is kind, exc
        assert "http://127.0.0.1/x" in str(translated)


def test_public_names() -> None:
    assert sse.__all__ == sorted(sse.__all__)
    for name in sse.__all__:
        assert hasattr(sse, name)
    assert sse.SSEDecoder.__module__ == "partstream.transports._sse_decoder"
